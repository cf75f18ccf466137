// Pieces every resource table shares (pkg/printers/internalversion): the Name and Age column
// definitions with Kubernetes' descriptions, and the cells that read metadata. Used by the
// strategies' table_columns / table_cells. Pure functions; safe from any thread.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "api/registry.h"
#include "common/json.h"

namespace bosun::api::resources {

// metav1.ObjectMeta's SwaggerDoc texts, which Kubernetes uses as the Name and Age descriptions.
extern const std::string_view kNameColumnDescription;
extern const std::string_view kAgeColumnDescription;

// {Name, string, format name, priority 0}.
TableColumn name_column();
// {Age, string, priority 0}.
TableColumn age_column();
// A string column of the given priority.
TableColumn string_column(std::string name, std::string description, int priority = 0);

// metadata.name ("" when absent).
Json name_cell(const Json& obj);
// The AGE cell: translateTimestampSince(metadata.creationTimestamp) at `now`.
Json age_cell(const Json& obj, std::chrono::system_clock::time_point now);

}  // namespace bosun::api::resources
