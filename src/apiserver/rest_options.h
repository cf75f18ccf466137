// The query parameters of REST requests, parsed and validated as Kubernetes' metav1 ListOptions,
// CreateOptions/UpdateOptions/PatchOptions and DeleteOptions are, with upstream's messages for bad
// values. Used by the REST handlers. Plain values and pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/field_selector.h"
#include "api/label_selector.h"
#include "api/registry.h"
#include "apiserver/http_message.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::apiserver {

enum class ResourceVersionMatch { kUnset, kNotOlderThan, kExact };

struct ListOptions {
  api::LabelSelector label_selector;
  // Terms carry the canonical field labels (after the kind's label conversion: Pods' spec.host is
  // spec.nodeName).
  api::FieldSelector field_selector;
  std::string resource_version;  // as sent: "", "0" or a decimal revision
  uint64_t revision = 0;         // resource_version parsed; 0 for "" and "0"
  ResourceVersionMatch match = ResourceVersionMatch::kUnset;
  int64_t limit = 0;
  std::string continue_token;
  bool watch = false;
  bool allow_watch_bookmarks = false;
  std::optional<bool> send_initial_events;
  std::optional<int64_t> timeout_seconds;
};

// metav1.ListOptions from the query, checked by ValidateListOptions and the kind's field label
// conversion. BadRequest for unparsable selectors and resource versions, Invalid (422, kind
// ListOptions.meta.k8s.io) for forbidden combinations.
Result<ListOptions> parse_list_options(const QueryParams& query, const api::ResourceType& type);

enum class FieldValidation { kIgnore, kWarn, kStrict };

// CreateOptions, UpdateOptions and PatchOptions share these.
struct WriteOptions {
  bool dry_run = false;
  std::string field_manager;
  // The server's default is Warn; kubectl asks for Strict.
  FieldValidation field_validation = FieldValidation::kWarn;
  std::optional<bool> force;  // apply patches only
  // The field manager recorded in managedFields: fieldManager, else the User-Agent's program name
  // (filled by the handler, which sees the headers).
  std::string manager;
};

// `kind` is "CreateOptions", "UpdateOptions" or "PatchOptions" (for the 422's wording); `apply`
// requires a fieldManager and alone allows force.
Result<WriteOptions> parse_write_options(const QueryParams& query, std::string_view kind,
                                         bool apply = false);

enum class PropagationPolicy { kDefault, kOrphan, kBackground, kForeground };

struct DeleteOptions {
  std::optional<int64_t> grace_period_seconds;
  std::optional<std::string> precondition_uid;
  std::optional<std::string> precondition_resource_version;
  std::optional<bool> orphan_dependents;  // deprecated, still honoured
  PropagationPolicy propagation = PropagationPolicy::kDefault;
  bool dry_run = false;
};

// DeleteOptions from the body (JSON or YAML; empty means none) merged over the query parameters
// (gracePeriodSeconds, propagationPolicy, orphanDependents, dryRun), as the delete handler reads
// them; validated as ValidateDeleteOptions.
Result<DeleteOptions> parse_delete_options(const Request& request);
// DeleteOptions embedded in another body (an Eviction's deleteOptions); null is none.
Result<DeleteOptions> delete_options_from_json(const Json& body);

// `Warning: 299 - "<text>"`, as Kubernetes' warning recorder writes it.
std::string warning_header_value(std::string_view text);

}  // namespace bosun::apiserver
