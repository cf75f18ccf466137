// build_paths: the REST paths and operations of the served resources, named and tagged as
// kube-apiserver's installer and kube-openapi name them (operation IDs, x-kubernetes-action, the
// kind's x-kubernetes-group-version-kind on every operation). kubectl reads three things here:
// the kind of a resource's paths (explain), and whether the kind's PATCH operation accepts
// strategic merge patch and the fieldValidation query parameter (apply, create, replace).
#include <algorithm>
#include <cctype>

#include "apiserver/openapi_spec.h"

namespace bosun::apiserver::openapi {

namespace {

// Parameter descriptions are ours; names and types are Kubernetes'.
const Parameter kName{"name", "path", "string", "Name of the object.", true};
const Parameter kNamespace{"namespace", "path", "string",
                           "Namespace of the object; the scope of names.", true};
const Parameter kPretty{"pretty", "query", "string", "If 'true', the output is indented."};
const Parameter kDryRun{"dryRun", "query", "string",
                        "When 'All', every stage runs but nothing is persisted."};
const Parameter kFieldManager{"fieldManager", "query", "string",
                              "Name of the actor making the change, recorded in managedFields; "
                              "required for apply patches."};
const Parameter kFieldValidation{
    "fieldValidation", "query", "string",
    "How to treat unknown and duplicate fields in the body: Ignore (drop them), Warn (drop them "
    "and send a warning header each, the default) or Strict (fail the request)."};
const Parameter kForce{"force", "query", "boolean",
                       "Apply patches only: take over fields other managers own."};
const Parameter kAllowWatchBookmarks{"allowWatchBookmarks", "query", "boolean",
                                     "Watch only: ask for BOOKMARK events."};
const Parameter kContinue{"continue", "query", "string",
                          "The token of a previous limited list, to get its next page."};
const Parameter kFieldSelector{"fieldSelector", "query", "string",
                               "Restricts the objects by their fields."};
const Parameter kLabelSelector{"labelSelector", "query", "string",
                               "Restricts the objects by their labels."};
const Parameter kLimit{"limit", "query", "integer",
                       "The largest number of objects to return; a continue token follows when "
                       "more exist."};
const Parameter kResourceVersion{"resourceVersion", "query", "string",
                                 "The resource version the list is served from, or the watch "
                                 "starts after."};
const Parameter kResourceVersionMatch{"resourceVersionMatch", "query", "string",
                                      "How resourceVersion applies to a list: Exact or "
                                      "NotOlderThan."};
const Parameter kSendInitialEvents{"sendInitialEvents", "query", "boolean",
                                   "Watch only: start with the current objects as ADDED events."};
const Parameter kTimeoutSeconds{"timeoutSeconds", "query", "integer",
                                "Ends the list or watch call after this many seconds."};
const Parameter kWatch{"watch", "query", "boolean", "Stream changes instead of returning a list."};
const Parameter kGracePeriodSeconds{"gracePeriodSeconds", "query", "integer",
                                    "Seconds before the object is removed; 0 removes it at once."};
const Parameter kIgnoreStoreReadError{"ignoreStoreReadErrorWithClusterBreakingPotential", "query",
                                      "boolean",
                                      "Delete an object that can no longer be read from storage."};
const Parameter kOrphanDependents{"orphanDependents", "query", "boolean",
                                  "Deprecated: use propagationPolicy."};
const Parameter kPropagationPolicy{"propagationPolicy", "query", "string",
                                   "What happens to dependents: Orphan, Background or Foreground."};
// pods/log
const Parameter kLogContainer{"container", "query", "string",
                              "The container to read; optional when the pod has one."};
const Parameter kLogFollow{"follow", "query", "boolean", "Stream the log as it grows."};
const Parameter kLogInsecure{"insecureSkipTLSVerifyBackend", "query", "boolean",
                             "Do not verify the serving certificate of the node."};
const Parameter kLogLimitBytes{"limitBytes", "query", "integer", "Stop after this many bytes."};
const Parameter kLogPrevious{"previous", "query", "boolean",
                             "Read the previous, terminated instance of the container."};
const Parameter kLogSinceSeconds{"sinceSeconds", "query", "integer",
                                 "Only lines newer than this many seconds."};
const Parameter kLogStream{"stream", "query", "string", "All, Stdout or Stderr."};
const Parameter kLogTailLines{"tailLines", "query", "integer",
                              "Only this many lines from the end."};
const Parameter kLogTimestamps{"timestamps", "query", "boolean",
                               "Prefix each line with its RFC 3339 time."};
// exec and attach
const Parameter kExecCommand{"command", "query", "string",
                             "The command to run; repeated for each argument."};
const Parameter kExecContainer{"container", "query", "string", "The container to run in."};
const Parameter kExecStderr{"stderr", "query", "boolean", "Stream the command's stderr."};
const Parameter kExecStdin{"stdin", "query", "boolean", "Stream stdin to the command."};
const Parameter kExecStdout{"stdout", "query", "boolean", "Stream the command's stdout."};
const Parameter kExecTty{"tty", "query", "boolean", "Allocate a terminal."};
const Parameter kPorts{"ports", "query", "integer", "Pod ports to forward."};

const std::vector<const Parameter*> kListParams = {&kAllowWatchBookmarks,
                                                   &kContinue,
                                                   &kFieldSelector,
                                                   &kLabelSelector,
                                                   &kLimit,
                                                   &kResourceVersion,
                                                   &kResourceVersionMatch,
                                                   &kSendInitialEvents,
                                                   &kTimeoutSeconds,
                                                   &kWatch};
const std::vector<const Parameter*> kWriteParams = {&kDryRun, &kFieldManager, &kFieldValidation};
const std::vector<const Parameter*> kPatchParams = {&kDryRun, &kFieldManager, &kFieldValidation,
                                                    &kForce};
const std::vector<const Parameter*> kDeleteParams = {&kDryRun, &kGracePeriodSeconds,
                                                     &kIgnoreStoreReadError, &kOrphanDependents,
                                                     &kPropagationPolicy};
const std::vector<const Parameter*> kDeleteCollectionParams = {&kContinue,
                                                               &kDryRun,
                                                               &kFieldSelector,
                                                               &kGracePeriodSeconds,
                                                               &kIgnoreStoreReadError,
                                                               &kLabelSelector,
                                                               &kLimit,
                                                               &kOrphanDependents,
                                                               &kPropagationPolicy,
                                                               &kResourceVersion,
                                                               &kResourceVersionMatch,
                                                               &kSendInitialEvents,
                                                               &kTimeoutSeconds};

// The media types kubectl may send a PATCH in; kubectl computes strategic merge patches from the
// schemas only when the kind's PATCH operation lists application/strategic-merge-patch+json.
const std::vector<std::string_view> kPatchTypes = {
    "application/apply-patch+yaml", "application/json-patch+json", "application/merge-patch+json",
    "application/strategic-merge-patch+json"};
const std::vector<std::string_view> kAnyType = {"*/*"};
const std::vector<std::string_view> kJson = {"application/json", "application/yaml"};
const std::vector<std::string_view> kJsonAndWatch = {"application/json", "application/yaml",
                                                     "application/json;stream=watch"};
const std::vector<std::string_view> kText = {"text/plain"};

std::string capitalized(std::string_view s) {
  std::string out(s);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

// Everything that is the same for the operations of one resource.
struct ResourceContext {
  const api::ResourceType& t;
  DefinitionSet& defs;
  std::string prefix;    // "/apis/apps/v1"
  std::string gv_part;   // "AppsV1"
  std::string tag;       // "apps_v1"
  std::string kind_ref;  // the kind's definition
  std::string scope;     // "Namespaced" or ""
};

// kube-openapi's operation ID: the verb, then the group and version, then the rest of the
// installer's route name ("patch" + "AppsV1" + "NamespacedDeploymentScale").
std::string op_id(const ResourceContext& c, std::string_view verb, std::string_view rest) {
  return std::string(verb) + c.gv_part + std::string(rest);
}

Operation make_op(const ResourceContext& c, std::string_view method, std::string id,
                  std::string description, std::string_view action,
                  const api::GroupVersionKind& gvk) {
  Operation op;
  op.method = method;
  op.id = std::move(id);
  op.description = std::move(description);
  op.action = action;
  op.gvk = gvk;
  op.tag = c.tag;
  return op;
}

void add_write_body(Operation& op, std::string ref) {
  op.request_ref = std::move(ref);
  op.consumes = kAnyType;
  op.request_required = true;
}

void add_patch_body(const ResourceContext& c, Operation& op) {
  op.request_ref = c.defs.add_named(kPatchName);
  op.consumes = kPatchTypes;
  op.request_required = true;
  op.parameters = kPatchParams;
}

void ok_responses(Operation& op, const std::string& ref, bool created, bool accepted) {
  op.responses.push_back({"200", "OK", ref});
  if (created) op.responses.push_back({"201", "Created", ref});
  if (accepted) op.responses.push_back({"202", "Accepted", ref});
  op.responses.push_back({"401", "Unauthorized", ""});
  op.produces = kJson;
}

// Create-only kinds (bindings) have no List type.
std::string list_ref(const ResourceContext& c) {
  return c.t.list_kind.empty() ? c.kind_ref : c.defs.add_list(c.t);
}

void add_collection_paths(const ResourceContext& c, ApiPaths& paths) {
  const api::ResourceType& t = c.t;
  std::string collection = c.prefix + (t.namespaced ? "/namespaces/{namespace}/" : "/") + t.plural;
  PathItem item;
  if (t.namespaced) item.parameters.push_back(&kNamespace);
  item.parameters.push_back(&kPretty);
  if (t.has_verb("list")) {
    Operation op = make_op(c, "get", op_id(c, "list", c.scope + t.kind),
                           "List or watch objects of kind " + t.kind + ".", "list", t.gvk());
    op.parameters = kListParams;
    ok_responses(op, list_ref(c), false, false);
    op.produces = kJsonAndWatch;
    item.operations.push_back(std::move(op));
  }
  if (t.has_verb("create")) {
    Operation op = make_op(c, "post", op_id(c, "create", c.scope + t.kind),
                           "Create " + t.kind + " objects.", "post", t.gvk());
    op.parameters = kWriteParams;
    add_write_body(op, c.kind_ref);
    ok_responses(op, c.kind_ref, true, true);
    item.operations.push_back(std::move(op));
  }
  if (t.has_verb("deletecollection")) {
    Operation op =
        make_op(c, "delete", op_id(c, "delete", "Collection" + c.scope + t.kind),
                "Delete a collection of " + t.kind + " objects.", "deletecollection", t.gvk());
    op.parameters = kDeleteCollectionParams;
    op.request_ref = c.defs.add_named(kDeleteOptionsName);
    op.consumes = kAnyType;
    ok_responses(op, c.defs.add_named(kStatusName), false, false);
    item.operations.push_back(std::move(op));
  }
  if (!item.operations.empty()) paths[collection] = std::move(item);

  if (t.namespaced && t.has_verb("list")) {
    // Listing across namespaces: /apis/apps/v1/deployments.
    PathItem all;
    all.parameters.push_back(&kPretty);
    Operation op = make_op(c, "get", op_id(c, "list", t.kind + "ForAllNamespaces"),
                           "List or watch objects of kind " + t.kind + " in every namespace.",
                           "list", t.gvk());
    op.parameters = kListParams;
    ok_responses(op, list_ref(c), false, false);
    op.produces = kJsonAndWatch;
    all.operations.push_back(std::move(op));
    paths[c.prefix + "/" + t.plural] = std::move(all);
  }
}

void add_object_path(const ResourceContext& c, ApiPaths& paths) {
  const api::ResourceType& t = c.t;
  PathItem item;
  item.parameters.push_back(&kName);
  if (t.namespaced) item.parameters.push_back(&kNamespace);
  item.parameters.push_back(&kPretty);
  std::string rest = c.scope + t.kind;
  if (t.has_verb("get")) {
    Operation op = make_op(c, "get", op_id(c, "read", rest), "Read the specified " + t.kind + ".",
                           "get", t.gvk());
    ok_responses(op, c.kind_ref, false, false);
    item.operations.push_back(std::move(op));
  }
  if (t.has_verb("update")) {
    Operation op = make_op(c, "put", op_id(c, "replace", rest),
                           "Replace the specified " + t.kind + ".", "put", t.gvk());
    op.parameters = kWriteParams;
    add_write_body(op, c.kind_ref);
    ok_responses(op, c.kind_ref, true, false);
    item.operations.push_back(std::move(op));
  }
  if (t.has_verb("patch")) {
    Operation op = make_op(c, "patch", op_id(c, "patch", rest),
                           "Partially update the specified " + t.kind + ".", "patch", t.gvk());
    add_patch_body(c, op);
    ok_responses(op, c.kind_ref, true, false);
    item.operations.push_back(std::move(op));
  }
  if (t.has_verb("delete")) {
    Operation op = make_op(c, "delete", op_id(c, "delete", rest),
                           "Delete the specified " + t.kind + ".", "delete", t.gvk());
    op.parameters = kDeleteParams;
    op.request_ref = c.defs.add_named(kDeleteOptionsName);
    op.consumes = kAnyType;
    ok_responses(op, c.kind_ref, false, true);
    item.operations.push_back(std::move(op));
  }
  if (!item.operations.empty()) {
    paths[c.prefix + (t.namespaced ? "/namespaces/{namespace}/" : "/") + t.plural + "/{name}"] =
        std::move(item);
  }
}

// The deprecated /watch/ paths kube-apiserver still publishes.
void add_watch_paths(const ResourceContext& c, ApiPaths& paths) {
  const api::ResourceType& t = c.t;
  if (!t.has_verb("watch")) return;
  std::string event = c.defs.add_named(kWatchEventName);
  auto watch_op = [&](std::string id, std::string description, std::string_view action) {
    Operation op = make_op(c, "get", std::move(id), std::move(description), action, t.gvk());
    op.parameters = kListParams;
    ok_responses(op, event, false, false);
    op.produces = kJsonAndWatch;
    op.deprecated = true;
    return op;
  };
  std::string scoped = c.prefix + "/watch" + (t.namespaced ? "/namespaces/{namespace}/" : "/");
  {
    PathItem list;
    if (t.namespaced) list.parameters.push_back(&kNamespace);
    list.parameters.push_back(&kPretty);
    list.operations.push_back(watch_op(op_id(c, "watch", c.scope + t.kind + "List"),
                                       "Watch changes to a list of " + t.kind + ".", "watchlist"));
    paths[scoped + t.plural] = std::move(list);
  }
  {
    PathItem one;
    one.parameters.push_back(&kName);
    if (t.namespaced) one.parameters.push_back(&kNamespace);
    one.parameters.push_back(&kPretty);
    one.operations.push_back(watch_op(op_id(c, "watch", c.scope + t.kind),
                                      "Watch changes to one " + t.kind + ".", "watch"));
    paths[scoped + t.plural + "/{name}"] = std::move(one);
  }
  if (t.namespaced) {
    PathItem all;
    all.parameters.push_back(&kPretty);
    all.operations.push_back(watch_op(op_id(c, "watch", t.kind + "ListForAllNamespaces"),
                                      "Watch changes to " + t.kind + " in every namespace.",
                                      "watchlist"));
    paths[c.prefix + "/watch/" + t.plural] = std::move(all);
  }
}

std::string_view method_of_verb(std::string_view verb) {
  if (verb == "get") return "get";
  if (verb == "update") return "put";
  if (verb == "patch") return "patch";
  if (verb == "create") return "post";
  if (verb == "delete") return "delete";
  return {};
}

std::string_view route_verb(std::string_view method) {
  if (method == "get") return "read";
  if (method == "put") return "replace";
  if (method == "post") return "create";
  return method;  // "patch", "delete"
}

void add_subresource_path(const ResourceContext& c, const api::Subresource& sub, ApiPaths& paths) {
  const api::ResourceType& t = c.t;
  PathItem item;
  item.parameters.push_back(&kName);
  if (t.namespaced) item.parameters.push_back(&kNamespace);
  if (sub.schema != nullptr) item.parameters.push_back(&kPretty);
  std::string rest = c.scope + t.kind + capitalized(sub.name);
  // Subresources without a body schema stream: logs are read, the others (exec, attach,
  // portforward, proxy) are "connect" operations kube-apiserver upgrades to a stream.
  bool is_log = sub.schema == nullptr && sub.name == "log";
  bool connect = sub.schema == nullptr && !is_log;
  std::vector<std::string_view> methods;
  for (const std::string& verb : sub.verbs) {
    std::string_view m = method_of_verb(verb);
    if (!m.empty() && std::find(methods.begin(), methods.end(), m) == methods.end()) {
      methods.push_back(m);
    }
  }
  for (std::string_view m : methods) {
    Operation op;
    if (connect) {
      std::string upper(m);
      for (char& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      op = make_op(c, m, op_id(c, "connect", capitalized(m) + rest),
                   "Connect " + upper + " requests to " + sub.name + " of " + t.kind + ".",
                   "connect", sub.kind);
      if (sub.name == "exec" || sub.name == "attach") {
        op.parameters = {&kExecCommand, &kExecContainer, &kExecStderr,
                         &kExecStdin,   &kExecStdout,    &kExecTty};
        if (sub.name == "attach") op.parameters.erase(op.parameters.begin());
      } else if (sub.name == "portforward") {
        op.parameters = {&kPorts};
      }
      op.responses = {{"200", "OK", "", true}, {"401", "Unauthorized", ""}};
      op.produces = {"*/*"};
    } else if (is_log) {
      op = make_op(c, m, op_id(c, "read", rest), "Read the log of the specified " + t.kind + ".",
                   "get", sub.kind);
      op.parameters = {&kLogContainer,  &kLogFollow,    &kLogInsecure,
                       &kLogLimitBytes, &kLogPrevious,  &kLogSinceSeconds,
                       &kLogStream,     &kLogTailLines, &kLogTimestamps};
      op.responses = {{"200", "OK", "", true}, {"401", "Unauthorized", ""}};
      op.produces = kText;
    } else {
      std::string ref = c.defs.add(*sub.schema);
      op =
          make_op(c, m, op_id(c, route_verb(m), rest),
                  capitalized(route_verb(m)) + " " + sub.name + " of the specified " + t.kind + ".",
                  m, sub.kind);
      if (m == "put" || m == "post") {
        op.parameters = kWriteParams;
        add_write_body(op, ref);
      } else if (m == "patch") {
        add_patch_body(c, op);
      } else if (m == "delete") {
        op.parameters = kDeleteParams;
      }
      ok_responses(op, ref, m != "get" && m != "delete", m == "post");
    }
    item.operations.push_back(std::move(op));
  }
  if (item.operations.empty()) return;
  paths[c.prefix + (t.namespaced ? "/namespaces/{namespace}/" : "/") + t.plural + "/{name}/" +
        sub.name] = std::move(item);
}

}  // namespace

std::string operation_id_part(std::string_view s, bool capitalize_first) {
  std::string out;
  bool capitalize = capitalize_first;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char ch = static_cast<unsigned char>(s[i]);
    if (std::isalpha(ch) || ch == '_' || (i != 0 && std::isdigit(ch))) {
      out.push_back(capitalize ? static_cast<char>(std::toupper(ch)) : static_cast<char>(ch));
      capitalize = false;
    } else {
      capitalize = true;
    }
  }
  return out;
}

namespace {

std::string_view trimmed_group(std::string_view group) {
  if (group.empty()) return "core";
  if (group.ends_with(".k8s.io")) group.remove_suffix(7);
  return group;
}

}  // namespace

std::string group_tag(std::string_view group, std::string_view version) {
  return operation_id_part(trimmed_group(group), false) + "_" + operation_id_part(version, false);
}

std::string group_version_id(std::string_view group, std::string_view version) {
  return operation_id_part(trimmed_group(group), true) + operation_id_part(version, true);
}

ApiPaths build_paths(const api::ResourceRegistry& registry, DefinitionSet& defs,
                     std::optional<std::string_view> group,
                     std::optional<std::string_view> version) {
  ApiPaths paths;
  for (const api::ResourceType& t : registry.all()) {
    if (group && t.group != *group) continue;
    if (version && t.version != *version) continue;
    if (t.schema == nullptr) continue;
    ResourceContext c{t,
                      defs,
                      t.group.empty() ? "/api/" + t.version : "/apis/" + t.group + "/" + t.version,
                      group_version_id(t.group, t.version),
                      group_tag(t.group, t.version),
                      defs.add(*t.schema),
                      t.namespaced ? "Namespaced" : ""};
    add_collection_paths(c, paths);
    add_object_path(c, paths);
    add_watch_paths(c, paths);
    for (const api::Subresource& sub : t.subresources) add_subresource_path(c, sub, paths);
  }
  return paths;
}

}  // namespace bosun::apiserver::openapi
