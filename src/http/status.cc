#include "http/status.h"

namespace bosun::apiserver {

Json status_json(const Error& error) {
  Json status = {
      {"kind", "Status"},          {"apiVersion", "v1"},       {"metadata", Json::object()},
      {"status", "Failure"},       {"message", error.message}, {"reason", error.reason()},
      {"code", error.http_code()},
  };
  if (!error.causes.empty()) {
    Json causes = Json::array();
    for (const Cause& c : error.causes) {
      // Go's metav1.StatusCause omits empty fields.
      Json cause = Json::object();
      if (!c.reason.empty()) cause["reason"] = c.reason;
      if (!c.message.empty()) cause["message"] = c.message;
      if (!c.field.empty()) cause["field"] = c.field;
      causes.push_back(std::move(cause));
    }
    status["details"] = {{"causes", std::move(causes)}};
  }
  return status;
}

}  // namespace bosun::apiserver
