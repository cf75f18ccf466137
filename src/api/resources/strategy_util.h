// Shared helpers of the resource strategies in src/api/resources: null-safe access to JSON
// objects, field paths as apimachinery's field.Path prints them, the small validators of
// Kubernetes' core validation that several kinds share, and the schema-driven part of v1
// defaulting (declarative `+default` markers and Quantity canonicalisation). Used by the
// strategies of both resource lists. Pure functions; safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/schema.h"
#include "common/field_errors.h"
#include "common/json.h"

namespace bosun::api::resources {

// ---- JSON access. A missing key, a null and a value of the wrong JSON type all read as absent;
// nothing here throws.

// The value at `key` when `obj` is an object holding a non-null value there, else nullptr.
const Json* get(const Json& obj, std::string_view key);
// Nested lookup: get(get(obj, a), b)...
const Json* get_path(const Json& obj, std::initializer_list<std::string_view> keys);
std::string_view get_string(const Json& obj, std::string_view key);
std::string_view as_string(const Json* v);
std::optional<int64_t> get_int(const Json& obj, std::string_view key);
// An integral JSON number (a float is truncated, as far as it fits in int64), else nullopt.
std::optional<int64_t> json_int(const Json& v);
bool get_bool(const Json& obj, std::string_view key);
// An array (or object) value, or a shared empty one.
const Json& get_array(const Json& obj, std::string_view key);
const Json& get_object(const Json& obj, std::string_view key);
const Json& empty_array();
const Json& empty_object();

// `obj[key]` as an object, replacing a missing, null or non-object value by {}. `obj` must be an
// object.
Json& ensure_object(Json& obj, std::string_view key);
// Sets obj[key] = value when the key is missing or null (a defaulter's `if x == nil`).
void set_default(Json& obj, std::string_view key, Json value);
// The same, also replacing "" (a defaulter's `if x == ""` on a non-pointer string).
void set_default_string(Json& obj, std::string_view key, std::string_view value);

// apimachinery's Semantic.DeepEqual on the JSON forms: null, a missing key, [] and {} are equal
// (Kubernetes treats nil and empty slices and maps alike); Quantities compare as written, which is
// enough once both sides went through the same defaulting (canonical form).
bool semantic_equal(const Json& a, const Json& b);

// ---- Field paths, as field.Path.String() prints them.
std::string child_path(std::string_view parent, std::string_view name);  // "spec.containers"
std::string index_path(std::string_view parent, size_t index);           // "spec.containers[0]"
std::string key_path(std::string_view parent, std::string_view key);     // "data[app.conf]"

// ---- Validators shared by several kinds (pkg/apis/core/validation).

// One Invalid error per message of is_dns1123_label / is_dns1123_subdomain / is_qualified_name.
void validate_dns1123_label(std::string_view value, const std::string& path, FieldErrors& errs);
void validate_dns1123_subdomain(std::string_view value, const std::string& path, FieldErrors& errs);
void validate_qualified_name(std::string_view value, const std::string& path, FieldErrors& errs);
// ValidateNonnegativeField: `must be greater than or equal to 0`.
void validate_nonnegative(int64_t value, const std::string& path, FieldErrors& errs);
// ValidateImmutableField: Invalid(new value) `field is immutable` when they differ.
void validate_immutable(const Json* new_value, const Json* old_value, const std::string& path,
                        FieldErrors& errs);
// validation.IsConfigMapKey (ConfigMap and Secret keys, key selectors).
std::vector<std::string> is_config_map_key(std::string_view value);
// validation.IsRelaxedEnvVarName (RelaxedEnvironmentVariableValidation, on by default in 1.33).
std::vector<std::string> is_relaxed_env_var_name(std::string_view value);
// validateKubeFinalizerName on metadata.finalizers[i]: a name without '/' must be one of
// Kubernetes' standard finalizers (core ValidateObjectMeta adds this to apimachinery's checks).
void validate_kube_finalizer_names(const Json& obj, FieldErrors& errs);
// apimachinery ValidateFinalizerName plus validateKubeFinalizerName, for spec.finalizers of a
// namespace.
void validate_finalizer_name(std::string_view name, const std::string& path, FieldErrors& errs);

// netutils.ParseIPSloppy: the 16 bytes of an IPv4 (as ::ffff:a.b.c.d, octets may have leading
// zeros) or IPv6 address, nullopt for anything else. `is_v4` tells which form was written.
std::optional<std::array<uint8_t, 16>> parse_ip(std::string_view text, bool* is_v4 = nullptr);
// ValidateNonSpecialIP (Endpoints, EndpointSlices): not unspecified, loopback or link-local.
void validate_non_special_ip(std::string_view ip, const std::string& path, FieldErrors& errs);

// Go's base64.StdEncoding.EncodeToString (what []byte fields look like in JSON).
std::string base64_encode(std::string_view bytes);
// base64.StdEncoding.DecodeString (padding required, CR and LF ignored); nullopt when invalid.
std::optional<std::string> base64_decode(std::string_view text);
// The decoded size of a base64 value (Secret data, ConfigMap binaryData); the text's own size
// when it does not decode (strict field validation reports those).
size_t decoded_size(std::string_view base64);

// ---- Defaulting driven by the schema texts.

// Walks `obj` as an instance of `type` and (1) sets every field whose schema declares a default
// (Kubernetes' `+default=` markers, applied by its generated defaulters) where the object lacks it,
// (2) rewrites every Quantity in Kubernetes' canonical form (the form the API server serialises)
// and rounds the values of resource lists (maps of quantities: requests, limits, capacity...) up
// to milli precision as SetDefaults_ResourceList does. Values that do not parse are left alone
// for validation to report.
void apply_schema_defaults(Json& obj, const SchemaType& type);
// The same for a kind of the global schema set; does nothing for an unknown kind.
void apply_schema_defaults(Json& obj, std::string_view group, std::string_view version,
                           std::string_view kind);

}  // namespace bosun::api::resources
