// The schema set: every API type's fields (JSON type, required, enum, default, patch strategy and
// merge key, list and map types, description), parsed once from the schema texts of src/api/schema/
// (our own data, one text per API group/version). Strict field validation, strategic merge patch,
// OpenAPI generation and server-side apply all read it. A SchemaSet is immutable once built: share
// it freely between threads; SchemaSet::global() is built on first use, thread-safely.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "api/gvk.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::api {

// What a value is on the wire. The first eleven are leaves; Quantity and IntOrString accept a JSON
// string or number, Time and MicroTime are RFC 3339 strings, Byte is base64 text, Any is any JSON
// left unchecked (as runtime.RawExtension and fieldsV1 are).
enum class ValueKind : uint8_t {
  kString,
  kInt32,
  kInt64,
  kNumber,
  kBoolean,
  kByte,
  kQuantity,
  kIntOrString,
  kTime,
  kMicroTime,
  kAny,
  kArray,
  kMap,
  kObject,
};

// The schema text's spelling of a leaf kind ("string", "int32", "Quantity", ...);
// "array"/"map"/"object" else.
std::string_view value_kind_name(ValueKind kind);

// x-kubernetes-patch-strategy.
enum class PatchStrategy : uint8_t { kNone, kMerge, kReplace, kRetainKeys, kMergeRetainKeys };
// x-kubernetes-list-type.
enum class ListType : uint8_t { kNone, kAtomic, kSet, kMap };
// x-kubernetes-map-type (on map fields and, as struct=atomic, on object types).
enum class MapType : uint8_t { kNone, kAtomic, kGranular };

std::string_view patch_strategy_name(
    PatchStrategy s);                         // "merge", "retainKeys", "merge,retainKeys", ...
std::string_view list_type_name(ListType t);  // "atomic", "set", "map", ""
std::string_view map_type_name(MapType t);    // "atomic", "granular", ""

class SchemaType;
struct SchemaField;

// One node of a type expression: a leaf, an array or map of an element type, or a named object
// type. Nodes are owned by their SchemaSet and never move, so pointers to them stay valid for its
// lifetime.
struct TypeRef {
  ValueKind kind = ValueKind::kAny;
  const TypeRef* element = nullptr;  // kArray and kMap: the element (value) type
  const SchemaType* named =
      nullptr;  // kObject: the type; a leaf declared by name (meta/v1 Time): that type

  bool is_object() const { return kind == ValueKind::kObject; }
  // The field `name` of an object type; nullptr for an unknown name or a non-object.
  const SchemaField* field(std::string_view name) const;
  // One step down a document: an object's field type, a map's value type, an array's element type.
  const TypeRef* child(std::string_view key) const;
  // OpenAPI's "type": "string", "integer", "number", "boolean", "array", "object"; empty for kAny
  // and kIntOrString, which OpenAPI leaves untyped.
  std::string_view openapi_type() const;
  // OpenAPI's "format": "int32", "int64", "double", "byte", "date-time", "int-or-string"; empty if
  // none.
  std::string_view openapi_format() const;
  // The Go type Kubernetes decodes into, as encoding/json prints it in type errors ("int32",
  // "[]v1.Container", "map[string]string", "v1.PodSpec").
  std::string go_type_name() const;
};

struct SchemaField {
  std::string name;  // the JSON name
  const TypeRef* type = nullptr;
  bool required = false;
  bool preserve_unknown = false;  // x-kubernetes-preserve-unknown-fields
  PatchStrategy patch_strategy = PatchStrategy::kNone;
  ListType list_type = ListType::kNone;
  MapType map_type = MapType::kNone;
  std::string merge_key;                   // x-kubernetes-patch-merge-key
  std::vector<std::string> list_map_keys;  // x-kubernetes-list-map-keys
  std::vector<std::string> enum_values;
  std::optional<Json> default_value;
  std::string description;
};

// A named type: an object with fields, or a named leaf (`type Time scalar=Time`).
class SchemaType {
 public:
  const std::string& name() const { return name_; }            // "PodSpec"
  const std::string& package() const { return package_; }      // "io.k8s.api.core.v1"
  const std::string& full_name() const { return full_name_; }  // "io.k8s.api.core.v1.PodSpec"
  const std::string& description() const { return description_; }
  // The kinds this type is the body of; several for meta/v1 DeleteOptions, none for nested types.
  const std::vector<GroupVersionKind>& gvks() const { return gvks_; }
  bool is_scalar() const { return scalar_; }
  // x-kubernetes-map-type: atomic on the type (struct=atomic): replaced as a whole by apply and
  // merge.
  bool atomic() const { return atomic_; }
  bool preserve_unknown() const { return preserve_unknown_; }
  // Fields in the order the schema text lists them.
  const std::vector<SchemaField>& fields() const { return fields_; }
  const SchemaField* field(std::string_view json_name) const;
  // The type as the root of a walk: kind kObject (or the scalar's kind) with named == this.
  const TypeRef& ref() const { return self_; }
  // The Go package alias Kubernetes' type errors print: the last segment of the package ("v1").
  std::string_view go_package() const;

 private:
  friend class SchemaSet;
  friend class SchemaParser;
  std::string name_;
  std::string package_;
  std::string full_name_;
  std::string description_;
  std::vector<GroupVersionKind> gvks_;
  bool scalar_ = false;
  bool atomic_ = false;
  bool preserve_unknown_ = false;
  std::vector<SchemaField> fields_;
  // (name, index into fields_) sorted by name: a binary search over a few dozen short keys beats
  // hashing here.
  std::vector<std::pair<std::string_view, uint32_t>> index_;
  TypeRef self_;
  std::string source_;  // "apps_v1:12", for error messages
};

// One schema text: a name for messages ("apps_v1") and the text itself.
struct SchemaSource {
  std::string_view name;
  std::string_view text;
};

// The schema texts compiled into the binary (src/api/schema/all.cc).
std::span<const SchemaSource> builtin_schema_sources();

class SchemaSet {
 public:
  // Parses and links the texts. Any syntax error, unknown attribute, duplicate type or field, or
  // (unless allow_unresolved) unresolved type reference is an Invalid error naming the text and
  // line.
  static Result<std::unique_ptr<SchemaSet>> parse(std::span<const SchemaSource> sources,
                                                  bool allow_unresolved = false);
  // The schema set of builtin_schema_sources(), parsed on first use. Aborts on a malformed text:
  // the texts are our own data, and schema_test loads them all so that CI catches a mistake first.
  static const SchemaSet& global();

  SchemaSet(const SchemaSet&) = delete;
  SchemaSet& operator=(const SchemaSet&) = delete;
  ~SchemaSet();

  // By full name: "io.k8s.api.apps.v1.Deployment".
  const SchemaType* find(std::string_view full_name) const;
  // The body type of a kind: {"apps", "v1", "Deployment"}.
  const SchemaType* find(const GroupVersionKind& gvk) const;
  const SchemaType* find(std::string_view group, std::string_view version,
                         std::string_view kind) const;
  // Every type, in the order the texts declare them.
  const std::vector<const SchemaType*>& types() const { return order_; }
  // References that did not resolve (only with allow_unresolved):
  // "io.k8s.api.core.v1.PodTemplateSpec (apps_v1:40)".
  const std::vector<std::string>& unresolved() const { return unresolved_; }

  // The field at a dotted path below root, stepping through arrays and maps implicitly:
  // field_at(Deployment, "spec.template.spec.containers") is the containers field of PodSpec.
  static const SchemaField* field_at(const SchemaType& root, std::string_view dotted_path);

 private:
  friend class SchemaParser;
  SchemaSet();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<const SchemaType*> order_;
  std::vector<std::string> unresolved_;
};

}  // namespace bosun::api
