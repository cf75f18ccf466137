#include "apiserver/api_errors.h"

#include <fmt/format.h>

namespace bosun::apiserver {

namespace {

// The marker of a message NewGenericServerResponse built (a 404 or 405 from the router), whose
// details carry the router's own words as an UnexpectedServerResponse cause.
constexpr std::string_view kPathNotFoundMessage =
    "the server could not find the requested resource";
constexpr std::string_view kMethodNotAllowedMessage =
    "the server does not allow this method on the requested resource";

// Reads Go's %q back: the quoted string starting at s[0] == '"'. Returns the unquoted text and
// the length consumed, or nullopt when s does not start with a well-formed quoted string.
std::optional<std::pair<std::string, size_t>> go_unquote_prefix(std::string_view s) {
  if (s.empty() || s[0] != '"') return std::nullopt;
  std::string out;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == '"') return std::pair<std::string, size_t>(std::move(out), i + 1);
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i >= s.size()) return std::nullopt;
    switch (s[i]) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'x': {
        if (i + 2 >= s.size()) return std::nullopt;
        out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
        i += 2;
        break;
      }
      default:
        out += s[i];
    }
  }
  return std::nullopt;
}

struct Subject {
  std::string group;
  std::string kind;  // a resource ("deployments") or a Kind ("Deployment")
  std::string name;
};

// Splits "deployments.apps" into {"apps", "deployments"}.
void split_qualified(std::string_view qualified, Subject& out) {
  size_t dot = qualified.find('.');
  if (dot == std::string_view::npos) {
    out.kind = std::string(qualified);
  } else {
    out.kind = std::string(qualified.substr(0, dot));
    out.group = std::string(qualified.substr(dot + 1));
  }
}

// `<qualified> "<name>"<rest>` at the start of text.
std::optional<Subject> subject_at(std::string_view text) {
  size_t q = text.find(" \"");
  if (q == std::string_view::npos || q == 0) return std::nullopt;
  std::string_view qualified = text.substr(0, q);
  if (qualified.find(' ') != std::string_view::npos) return std::nullopt;
  auto name = go_unquote_prefix(text.substr(q + 1));
  if (!name) return std::nullopt;
  Subject s;
  split_qualified(qualified, s);
  s.name = std::move(name->first);
  return s;
}

std::optional<Subject> subject_of(const Error& error) {
  std::string_view m = error.message;
  switch (error.code) {
    case ErrorCode::kConflict: {
      constexpr std::string_view kPrefix = "Operation cannot be fulfilled on ";
      if (!m.starts_with(kPrefix)) return std::nullopt;
      return subject_at(m.substr(kPrefix.size()));
    }
    case ErrorCode::kForbidden: {
      if (auto s = subject_at(m)) return s;
      // `<resource> is forbidden: ...` when there is no name.
      size_t p = m.find(" is forbidden: ");
      if (p == std::string_view::npos || m.substr(0, p).find(' ') != std::string_view::npos)
        return std::nullopt;
      Subject s;
      split_qualified(m.substr(0, p), s);
      return s;
    }
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kInvalid:
      return subject_at(m);
    default:
      return std::nullopt;
  }
}

Json causes_json(const std::vector<Cause>& causes) {
  Json out = Json::array();
  for (const Cause& c : causes) {
    // Go's metav1.StatusCause omits empty fields.
    Json cause = Json::object();
    if (!c.reason.empty()) cause["reason"] = c.reason;
    if (!c.message.empty()) cause["message"] = c.message;
    if (!c.field.empty()) cause["field"] = c.field;
    out.push_back(std::move(cause));
  }
  return out;
}

}  // namespace

std::string qualified_resource(std::string_view group, std::string_view resource) {
  if (group.empty()) return std::string(resource);
  return fmt::format("{}.{}", resource, group);
}

std::string qualified_kind(std::string_view group, std::string_view kind) {
  if (group.empty()) return std::string(kind);
  return fmt::format("{}.{}", kind, group);
}

Error not_found_error(std::string_view resource, std::string_view name) {
  return make_error(ErrorCode::kNotFound, fmt::format("{} {} not found", resource, go_quote(name)));
}

Error already_exists_error(std::string_view resource, std::string_view name) {
  return make_error(ErrorCode::kAlreadyExists,
                    fmt::format("{} {} already exists", resource, go_quote(name)));
}

Error conflict_error(std::string_view resource, std::string_view name, std::string_view detail) {
  return make_error(ErrorCode::kConflict, fmt::format("Operation cannot be fulfilled on {} {}: {}",
                                                      resource, go_quote(name), detail));
}

Error forbidden_error(std::string_view resource, std::string_view name, std::string_view detail) {
  if (name.empty()) {
    return make_error(ErrorCode::kForbidden, fmt::format("{} is forbidden: {}", resource, detail));
  }
  return make_error(ErrorCode::kForbidden,
                    fmt::format("{} {} is forbidden: {}", resource, go_quote(name), detail));
}

Error bad_request_error(std::string message) {
  return make_error(ErrorCode::kBadRequest, std::move(message));
}

Error internal_error(std::string_view detail) {
  // NewInternalError's wording.
  return make_error(ErrorCode::kInternal, fmt::format("Internal error occurred: {}", detail));
}

Error path_not_found_error() {
  Error e = make_error(ErrorCode::kNotFound, std::string(kPathNotFoundMessage));
  e.causes.push_back({"UnexpectedServerResponse", "404 page not found", ""});
  return e;
}

Error method_not_allowed_error() {
  Error e = make_error(ErrorCode::kMethodNotAllowed, std::string(kMethodNotAllowedMessage));
  e.causes.push_back({"UnexpectedServerResponse", "405: Method Not Allowed", ""});
  return e;
}

Error expired_error(std::string message) {
  return make_error(ErrorCode::kGone, std::move(message));
}

Error too_large_resource_version_error(uint64_t requested, uint64_t current) {
  Error e =
      make_error(ErrorCode::kTimeout,
                 fmt::format("Too large resource version: {}, current: {}", requested, current));
  e.causes.push_back({"ResourceVersionTooLarge", "Too large resource version", ""});
  return e;
}

Json status_json_with_details(const Error& error) {
  Json status = {
      {"kind", "Status"},          {"apiVersion", "v1"},       {"metadata", Json::object()},
      {"status", "Failure"},       {"message", error.message}, {"reason", error.reason()},
      {"code", error.http_code()},
  };
  Json details = Json::object();
  if (auto s = subject_of(error)) {
    if (!s->name.empty()) details["name"] = s->name;
    if (!s->group.empty()) details["group"] = s->group;
    if (!s->kind.empty()) details["kind"] = s->kind;
  }
  if (!error.causes.empty()) details["causes"] = causes_json(error.causes);
  if (error.code == ErrorCode::kTimeout && !error.causes.empty() &&
      error.causes[0].reason == "ResourceVersionTooLarge") {
    details["retryAfterSeconds"] = 1;
  }
  // Kubernetes' StatusError always has details for the reasons that name an object, and for the
  // router's 404/405; plain BadRequest and friends have none.
  bool has_details = !details.empty() || error.code == ErrorCode::kNotFound ||
                     error.code == ErrorCode::kAlreadyExists ||
                     error.code == ErrorCode::kConflict || error.code == ErrorCode::kInvalid;
  if (has_details) status["details"] = std::move(details);
  return status;
}

Response status_response(const Error& error) {
  Response r;
  r.status = error.http_code();
  r.body = status_json_with_details(error).dump(-1, ' ', false, Json::error_handler_t::replace);
  return r;
}

Json success_status(std::string_view name, std::string_view group, std::string_view resource,
                    std::string_view uid) {
  Json details = Json::object();
  details["name"] = name;
  if (!group.empty()) details["group"] = group;
  details["kind"] = resource;
  if (!uid.empty()) details["uid"] = uid;
  return Json{{"kind", "Status"},
              {"apiVersion", "v1"},
              {"metadata", Json::object()},
              {"status", "Success"},
              {"details", std::move(details)}};
}

}  // namespace bosun::apiserver
