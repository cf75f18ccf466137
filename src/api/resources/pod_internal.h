// Internal pieces of the Pod strategy shared by pod.cc, pod_table.cc and pod_update_validation.cc.
// The public surface is resources.h and pod_spec.h. Pure functions; safe from any thread.
#pragma once

#include <chrono>
#include <vector>

#include "api/registry.h"
#include "common/field_errors.h"
#include "common/json.h"

namespace bosun::api::resources::pod {

// printPod's column definitions and one row's cells (always the -o wide set: the API server
// generates tables with Wide, kubectl hides priority-1 columns itself).
std::vector<TableColumn> table_columns();
Json table_cells(const Json& pod, std::chrono::system_clock::time_point now);

// validatePodMetadataAndSpec without ValidateObjectMeta (the API server's part): pod-specific
// annotations, the spec, projected token volumes need a service account, no whitespace around
// images.
FieldErrors validate_metadata_and_spec(const Json& pod);
// ValidatePodCreate's type-specific part.
FieldErrors validate_create(const Json& pod);
// ValidatePodUpdate's type-specific part.
FieldErrors validate_update(const Json& pod, const Json& old);
// ValidatePodEphemeralContainersUpdate's type-specific part.
FieldErrors validate_ephemeral_containers_update(const Json& pod, const Json& old);
// ValidatePodStatusUpdate's type-specific part.
FieldErrors validate_status_update(const Json& pod, const Json& old);

}  // namespace bosun::api::resources::pod
