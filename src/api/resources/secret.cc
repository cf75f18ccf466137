// The Secret strategy: SetDefaults_Secret (type Opaque), the v1 -> internal conversion's merge of
// stringData into data, ValidateSecret / ValidateSecretUpdate and printSecret.
#include "api/resources/resources.h"
#include "api/resources/strategy_util.h"
#include "api/resources/table_util.h"

namespace bosun::api::resources {
namespace {

constexpr size_t kMaxSecretSize = 1024 * 1024;

void default_secret(Json& secret) {
  if (!secret.is_object()) return;
  set_default_string(secret, "type", "Opaque");
  // stringData is write-only: Kubernetes folds it into data (overriding keys there) when it
  // decodes the request, so it is never stored or returned.
  if (auto it = secret.find("stringData"); it != secret.end()) {
    if (it->is_object()) {
      Json& data = ensure_object(secret, "data");
      for (auto& [k, v] : it->items()) {
        if (v.is_string()) data[k] = base64_encode(v.get_ref<const std::string&>());
      }
    }
    secret.erase("stringData");
  }
}

bool has_key(const Json& data, std::string_view key) { return data.contains(key); }

// Whether a data value decodes to well-formed JSON (dockercfg secrets).
bool json_value(const Json& data, std::string_view key) {
  auto bytes = base64_decode(get_string(data, key));
  return bytes && Json::accept(*bytes);
}

FieldErrors validate_secret(const Json& secret) {
  FieldErrors errs;
  validate_kube_finalizer_names(secret, errs);
  const Json& data = get_object(secret, "data");
  size_t total = 0;
  for (auto& [key, value] : data.items()) {
    for (auto& m : is_config_map_key(key)) errs.invalid(key_path("data", key), key, std::move(m));
    total += decoded_size(as_string(&value));
  }
  if (total > kMaxSecretSize) errs.too_long("data", "", kMaxSecretSize);
  std::string_view type = get_string(secret, "type");
  if (type == "kubernetes.io/service-account-token") {
    const Json& ann = get_object(get_object(secret, "metadata"), "annotations");
    constexpr std::string_view kSaName = "kubernetes.io/service-account.name";
    if (get_string(ann, kSaName).empty()) errs.required(key_path("metadata.annotations", kSaName));
  } else if (type == "kubernetes.io/dockercfg" || type == "kubernetes.io/dockerconfigjson") {
    std::string_view key = type == "kubernetes.io/dockercfg" ? ".dockercfg" : ".dockerconfigjson";
    if (!has_key(data, key)) {
      errs.required(key_path("data", key));
    } else if (!json_value(data, key)) {
      // Kubernetes quotes encoding/json's error here; the contents stay redacted either way.
      errs.invalid(key_path("data", key), "<secret contents redacted>",
                   "invalid character in JSON value");
    }
  } else if (type == "kubernetes.io/basic-auth") {
    if (!has_key(data, "username") && !has_key(data, "password")) {
      errs.required("data[username]");
      errs.required("data[password]");
    }
  } else if (type == "kubernetes.io/ssh-auth") {
    if (decoded_size(get_string(data, "ssh-privatekey")) == 0)
      errs.required("data[ssh-privatekey]");
  } else if (type == "kubernetes.io/tls") {
    if (!has_key(data, "tls.crt")) errs.required("data[tls.crt]");
    if (!has_key(data, "tls.key")) errs.required("data[tls.key]");
  }
  return errs;
}

FieldErrors validate_secret_update(const Json& secret, const Json& old) {
  FieldErrors errs;
  validate_immutable(get(secret, "type"), get(old, "type"), "type", errs);
  if (get_bool(old, "immutable")) {
    if (!get_bool(secret, "immutable")) {
      errs.forbidden("immutable", "field is immutable when `immutable` is set");
    }
    if (!semantic_equal(get_object(secret, "data"), get_object(old, "data"))) {
      errs.forbidden("data", "field is immutable when `immutable` is set");
    }
  }
  errs.append(validate_secret(secret));
  return errs;
}

}  // namespace

void install_secret(ResourceType& t, const Clock& clock) {
  const Clock* c = &clock;
  t.strategy.default_fields = default_secret;
  t.strategy.validate_create = validate_secret;
  t.strategy.validate_update = validate_secret_update;
  t.strategy.table_columns = {
      name_column(),
      string_column("Type",
                    "Used to facilitate programmatic handling of secret data. More info: "
                    "https://kubernetes.io/docs/concepts/configuration/secret/#secret-types"),
      string_column("Data",
                    "Data contains the secret data. Each key must consist of alphanumeric "
                    "characters, '-', '_' or '.'. The serialized form of the secret data is a "
                    "base64 encoded string, representing the arbitrary (possibly non-string) data "
                    "value here. Described in https://tools.ietf.org/html/rfc4648#section-4"),
      age_column()};
  t.strategy.table_cells = [c](const Json& s) {
    return Json::array({name_cell(s), std::string(get_string(s, "type")),
                        static_cast<int64_t>(get_object(s, "data").size()), age_cell(s, c->now())});
  };
}

}  // namespace bosun::api::resources
