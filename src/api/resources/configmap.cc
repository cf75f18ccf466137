// The ConfigMap strategy: ValidateConfigMap / ValidateConfigMapUpdate (keys, the 1 MiB budget,
// `immutable`) and printConfigMap.
#include "api/resources/resources.h"
#include "api/resources/strategy_util.h"
#include "api/resources/table_util.h"

namespace bosun::api::resources {
namespace {

// core.MaxSecretSize, which bounds ConfigMaps too.
constexpr size_t kMaxSize = 1024 * 1024;

FieldErrors validate_config_map(const Json& cm) {
  FieldErrors errs;
  validate_kube_finalizer_names(cm, errs);
  size_t total = 0;
  const Json& data = get_object(cm, "data");
  const Json& binary = get_object(cm, "binaryData");
  for (auto& [key, value] : data.items()) {
    for (auto& m : is_config_map_key(key)) errs.invalid(key_path("data", key), key, std::move(m));
    if (binary.contains(key)) {
      errs.invalid(key_path("data", key), key, "duplicate of key present in binaryData");
    }
    total += as_string(&value).size();
  }
  for (auto& [key, value] : binary.items()) {
    for (auto& m : is_config_map_key(key)) {
      errs.invalid(key_path("binaryData", key), key, std::move(m));
    }
    total += decoded_size(as_string(&value));
  }
  // The error names the whole object (an empty path).
  if (total > kMaxSize) errs.too_long("", "", kMaxSize);
  return errs;
}

FieldErrors validate_config_map_update(const Json& cm, const Json& old) {
  FieldErrors errs;
  if (get_bool(old, "immutable")) {
    if (!get_bool(cm, "immutable")) {
      errs.forbidden("immutable", "field is immutable when `immutable` is set");
    }
    for (const char* key : {"data", "binaryData"}) {
      if (!semantic_equal(get_object(cm, key), get_object(old, key))) {
        errs.forbidden(key, "field is immutable when `immutable` is set");
      }
    }
  }
  errs.append(validate_config_map(cm));
  return errs;
}

}  // namespace

void install_config_map(ResourceType& t, const Clock& clock) {
  const Clock* c = &clock;
  t.strategy.validate_create = validate_config_map;
  t.strategy.validate_update = validate_config_map_update;
  t.strategy.table_columns = {
      name_column(),
      string_column("Data",
                    "Data contains the configuration data. Each key must consist of alphanumeric "
                    "characters, '-', '_' or '.'. Values with non-UTF-8 byte sequences must use "
                    "the BinaryData field. The keys stored in Data must not overlap with the keys "
                    "in the BinaryData field, this is enforced during validation process."),
      age_column()};
  t.strategy.table_cells = [c](const Json& cm) {
    int64_t n =
        static_cast<int64_t>(get_object(cm, "data").size() + get_object(cm, "binaryData").size());
    return Json::array({name_cell(cm), n, age_cell(cm, c->now())});
  };
}

}  // namespace bosun::api::resources
