#include "api/resources/table_util.h"

#include "api/resources/human_duration.h"
#include "api/resources/strategy_util.h"

namespace bosun::api::resources {

const std::string_view kNameColumnDescription =
    "Name must be unique within a namespace. Is required when creating resources, although some "
    "resources may allow a client to request the generation of an appropriate name "
    "automatically. Name is primarily intended for creation idempotence and configuration "
    "definition. Cannot be updated. More info: "
    "https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";

const std::string_view kAgeColumnDescription =
    "CreationTimestamp is a timestamp representing the server time when this object was created. "
    "It is not guaranteed to be set in happens-before order across separate operations. Clients "
    "may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the "
    "system. Read-only. Null for lists. More info: "
    "https://git.k8s.io/community/contributors/devel/sig-architecture/"
    "api-conventions.md#metadata";

TableColumn name_column() {
  return {"Name", "string", "name", std::string(kNameColumnDescription), 0};
}

TableColumn age_column() { return {"Age", "string", "", std::string(kAgeColumnDescription), 0}; }

TableColumn string_column(std::string name, std::string description, int priority) {
  return {std::move(name), "string", "", std::move(description), priority};
}

Json name_cell(const Json& obj) {
  const Json* meta = get(obj, "metadata");
  return meta != nullptr ? Json(std::string(get_string(*meta, "name"))) : Json("");
}

Json age_cell(const Json& obj, std::chrono::system_clock::time_point now) {
  const Json* ts = get_path(obj, {"metadata", "creationTimestamp"});
  return translate_timestamp_since(ts != nullptr ? *ts : Json(nullptr), now);
}

}  // namespace bosun::api::resources
