// meta.k8s.io Tables, which `kubectl get` prints: column definitions and cells from the resource
// strategy's table hooks, one row per object carrying the object as includeObject asks (default a
// PartialObjectMetadata with the full metadata, which `kubectl get -A` and `--show-labels` read),
// for lists, single objects and watch events. Also PartialObjectMetadata for metadata-only
// clients. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "api/registry.h"
#include "apiserver/http_message.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::apiserver {

enum class IncludeObject { kNone, kMetadata, kObject };

struct TableOptions {
  std::string meta_version = "v1";  // "v1" or "v1beta1": the Table's apiVersion
  IncludeObject include_object = IncludeObject::kMetadata;
  bool no_headers = false;
};

// metav1.TableOptions from the query (includeObject, noHeaders), checked as ValidateTableOptions.
Result<TableOptions> parse_table_options(const QueryParams& query, std::string_view meta_version);

// The columnDefinitions array of a type.
Json table_column_definitions(const api::ResourceType& type);
// One row: {"cells": [...], "object": ...}.
Json table_row(const api::ResourceType& type, const Json& obj, const TableOptions& options);
// The same row as JSON text, taking the row's object from `obj_json` (obj's own text) instead of
// re-serialising it: the hot path of large Table lists and Table watches.
std::string table_row_text(const api::ResourceType& type, const Json& obj,
                           std::string_view obj_json, const TableOptions& options);
// A whole Table: `list_metadata` is the Table's metadata ({"resourceVersion": ...}).
std::string render_table(const api::ResourceType& type, const std::vector<const Json*>& objects,
                         const Json& list_metadata, const TableOptions& options);
// A whole Table from the objects' JSON texts.
std::string render_table_texts(const api::ResourceType& type,
                               const std::vector<std::string>& objects, const Json& list_metadata,
                               const TableOptions& options);
// A Table around rows already rendered (each a JSON text), as the watch encoder frames them.
std::string table_json(std::string_view meta_version, const Json& list_metadata,
                       std::string_view column_definitions, std::string_view rows);

// meta.k8s.io PartialObjectMetadata of an object (its kind, apiVersion and whole metadata).
Json partial_object_metadata(const Json& obj, std::string_view meta_version);

}  // namespace bosun::apiserver
