// The resource registry: one entry per resource type the API serves (group, version, kind, plural,
// short names, scope, verbs, subresources, schema, field selectors, strategy hooks), declared once,
// so that the API server's handlers, discovery, kubectl's name resolution and the field selector
// code stay generic over types. A ResourceRegistry is safe to share between threads once built;
// ResourceRegistry::builtin() is built on first use and never changes. make_builtin() gives a
// private copy whose strategy hooks a caller may fill before sharing it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/gvk.h"
#include "api/schema.h"
#include "common/field_errors.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::api {

// A subresource such as pods/status or deployments/scale, as discovery lists it.
struct Subresource {
  std::string name;       // "status", "scale", "binding", "eviction", "log", "exec", ...
  GroupVersionKind kind;  // what it reads and writes: autoscaling/v1 Scale, policy/v1 Eviction, ...
  std::vector<std::string> verbs;  // "get", "patch", "update", "create", ...
  const SchemaType* schema =
      nullptr;  // the body's schema; nullptr for streaming ones (log, exec, proxy)
};

// A field label a list or watch may select on, and where its value lives in the object. Kubernetes
// computes these from its internal types (ToSelectableFields); here they are dotted JSON paths into
// the served version.
struct SelectableField {
  std::string label;  // "spec.nodeName", "involvedObject.kind"
  std::string path;   // "spec.nodeName", "regarding.kind"
  std::string
      default_value;  // the value when the path is absent: "false" for a bool, "0" for a count
};

// One accepted ?fieldSelector label and the selectable field it becomes
// (AddFieldLabelConversionFunc).
struct FieldLabel {
  std::string label;  // as the client writes it: "spec.host", "regarding.kind"
  std::string
      canonical;  // the SelectableField label it maps to: "spec.nodeName", "involvedObject.kind"
};

// A column of the Table kubectl get prints (metav1.TableColumnDefinition).
struct TableColumn {
  std::string name;    // "Name"
  std::string type;    // "string", "integer", "date", ...
  std::string format;  // "name" for the name column, else usually empty
  std::string description;
  int priority = 0;  // 0 always shown, 1 only with -o wide
};

// Validates metadata.name (or, with prefix, metadata.generateName) and returns the problems in
// Kubernetes' words, empty when the name is valid (apimachinery's ValidateNameFunc).
using NameValidator = std::function<std::vector<std::string>(std::string_view name, bool prefix)>;

// The per-type behaviour of Kubernetes' registry strategies. Every hook is set and callable: the
// defaults do nothing (or, for the table, print Kubernetes' default Name/Created At columns) until
// a type's own strategy fills them in.
struct ResourceStrategy {
  std::function<void(Json& obj)> default_fields;
  std::function<void(Json& obj)> prepare_for_create;
  std::function<void(Json& obj, const Json& old)> prepare_for_update;
  std::function<FieldErrors(const Json& obj)> validate_create;
  std::function<FieldErrors(const Json& obj, const Json& old)> validate_update;
  NameValidator validate_name;
  std::vector<TableColumn> table_columns;
  // One cell per column, in order, as a JSON array.
  std::function<Json(const Json& obj)> table_cells;
};

struct ResourceType {
  std::string group;  // "" for core
  std::string version;
  std::string kind;       // "Deployment"
  std::string list_kind;  // "DeploymentList"; empty for create-only resources (bindings)
  std::string plural;     // "deployments"
  std::string singular;   // "deployment"
  std::vector<std::string> short_names;
  std::vector<std::string> categories;  // "all" for what `kubectl get all` lists
  bool namespaced = true;
  std::vector<std::string> verbs;
  std::vector<Subresource> subresources;
  const SchemaType* schema = nullptr;
  // Empty means the generic conversion: only metadata.name and metadata.namespace are accepted.
  std::vector<FieldLabel> field_labels;
  std::vector<SelectableField> selectable_fields;
  ResourceStrategy strategy;

  GroupVersionKind gvk() const { return {group, version, kind}; }
  GroupVersionResource gvr() const { return {group, version, plural}; }
  std::string api_version() const { return group.empty() ? version : group + "/" + version; }
  bool has_verb(std::string_view verb) const;
  const Subresource* subresource(std::string_view name) const;

  // The field label conversion of the kind: the canonical label for an accepted one, else a
  // BadRequest error worded as Kubernetes words it (`field label not supported: spec.foo`, or for
  // kinds with only the generic conversion `"spec.foo" is not a known field selector: only
  // "metadata.name", "metadata.namespace"`).
  Result<std::string> convert_field_label(std::string_view label) const;
  // The value of a selectable field in obj ("" for labels the kind does not select on, as
  // Kubernetes' field sets read a missing key). Strings as they are, booleans "true"/"false",
  // numbers in decimal.
  std::string field_value(const Json& obj, std::string_view canonical_label) const;
};

class ResourceRegistry {
 public:
  // The resources Bosun serves, with the strategy hooks in their default state.
  static const ResourceRegistry& builtin();
  static ResourceRegistry make_builtin();

  // Adds an entry; aborts if its (group, version, plural) or (group, kind) is already taken, as
  // that is a programming error in the declarations.
  void add(ResourceType type);

  const std::vector<ResourceType>& all() const { return types_; }
  // By URL: (group, version, plural). Subresources are looked up on the result.
  const ResourceType* find(std::string_view group, std::string_view version,
                           std::string_view plural) const;
  ResourceType* find_mutable(std::string_view group, std::string_view version,
                             std::string_view plural);
  // By kind within a group (any version): what an object's apiVersion and kind name.
  const ResourceType* find_kind(std::string_view group, std::string_view kind) const;
  // As kubectl resolves what a user types: a plural, singular, short name or kind (any case),
  // optionally qualified by group ("deployments.apps", "ev.events.k8s.io"). Unqualified names
  // prefer the core group, then the order of declaration.
  const ResourceType* find_by_name(std::string_view name) const;

 private:
  std::vector<ResourceType> types_;
};

// Kubernetes' name validators (apimachinery/pkg/api/validation and path): DNS-1123 subdomain for
// most kinds, DNS-1123 label for namespaces, DNS-1035 label for services, a path segment for RBAC
// kinds. With prefix, a trailing '-' is allowed, as generateName needs.
std::vector<std::string> name_is_dns_subdomain(std::string_view name, bool prefix);
std::vector<std::string> name_is_dns_label(std::string_view name, bool prefix);
std::vector<std::string> name_is_dns1035_label(std::string_view name, bool prefix);
std::vector<std::string> validate_path_segment_name(std::string_view name, bool prefix);

}  // namespace bosun::api
