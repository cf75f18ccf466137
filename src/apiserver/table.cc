#include "apiserver/table.h"

#include <fmt/format.h>

#include "apiserver/object_codec.h"
#include "common/field_errors.h"

namespace bosun::apiserver {

Result<TableOptions> parse_table_options(const QueryParams& query, std::string_view meta_version) {
  TableOptions o;
  o.meta_version = std::string(meta_version.empty() ? "v1" : meta_version);
  if (auto io = query.get("includeObject"); io && !io->empty()) {
    if (*io == "None") {
      o.include_object = IncludeObject::kNone;
    } else if (*io == "Metadata") {
      o.include_object = IncludeObject::kMetadata;
    } else if (*io == "Object") {
      o.include_object = IncludeObject::kObject;
    } else {
      FieldErrors errs;
      errs.not_supported("includeObject", std::string(*io), {"Metadata", "None", "Object"});
      return errs.to_error("TableOptions.meta.k8s.io", "");
    }
  }
  if (auto nh = query.get("noHeaders")) o.no_headers = *nh == "true" || *nh == "1";
  return o;
}

Json table_column_definitions(const api::ResourceType& type) {
  Json defs = Json::array();
  for (const api::TableColumn& c : type.strategy.table_columns) {
    defs.push_back({{"name", c.name},
                    {"type", c.type},
                    {"format", c.format},
                    {"description", c.description},
                    {"priority", c.priority}});
  }
  return defs;
}

Json partial_object_metadata(const Json& obj, std::string_view meta_version) {
  Json meta = Json::object();
  if (obj.is_object()) {
    if (auto m = obj.find("metadata"); m != obj.end() && m->is_object()) meta = *m;
  }
  return Json{{"kind", "PartialObjectMetadata"},
              {"apiVersion", fmt::format("meta.k8s.io/{}", meta_version)},
              {"metadata", std::move(meta)}};
}

Json table_row(const api::ResourceType& type, const Json& obj, const TableOptions& options) {
  Json row = Json::object();
  Json cells = type.strategy.table_cells ? type.strategy.table_cells(obj) : Json::array();
  row["cells"] = cells.is_array() ? std::move(cells) : Json::array();
  switch (options.include_object) {
    case IncludeObject::kNone:
      row["object"] = nullptr;
      break;
    case IncludeObject::kMetadata:
      // PartialObjectMetadata is always meta.k8s.io/v1 in Kubernetes' tables.
      row["object"] = partial_object_metadata(obj, "v1");
      break;
    case IncludeObject::kObject:
      row["object"] = obj;
      break;
  }
  return row;
}

std::string table_row_text(const api::ResourceType& type, const Json& obj,
                           std::string_view obj_json, const TableOptions& options) {
  Json cells = type.strategy.table_cells ? type.strategy.table_cells(obj) : Json::array();
  std::string out = "{\"cells\":";
  out += to_json(cells.is_array() ? cells : Json::array());
  out += ",\"object\":";
  switch (options.include_object) {
    case IncludeObject::kNone:
      out += "null";
      break;
    case IncludeObject::kObject:
      out += obj_json;
      break;
    case IncludeObject::kMetadata: {
      // PartialObjectMetadata around the object's own metadata text.
      auto span = find_top_level_member(obj_json, "metadata");
      out += R"({"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1","metadata":)";
      if (span) {
        out += obj_json.substr(span->begin, span->end - span->begin);
      } else {
        out += "{}";
      }
      out += "}";
      break;
    }
  }
  out += "}";
  return out;
}

std::string render_table_texts(const api::ResourceType& type,
                               const std::vector<std::string>& objects, const Json& list_metadata,
                               const TableOptions& options) {
  std::string rows = "[";
  for (size_t i = 0; i < objects.size(); ++i) {
    if (i) rows += ',';
    Json obj = Json::parse(objects[i], nullptr, false);
    rows += table_row_text(type, obj, objects[i], options);
  }
  rows += "]";
  std::string defs = options.no_headers ? "[]" : to_json(table_column_definitions(type));
  return table_json(options.meta_version, list_metadata, defs, rows);
}

std::string table_json(std::string_view meta_version, const Json& list_metadata,
                       std::string_view column_definitions, std::string_view rows) {
  std::string out;
  out.reserve(column_definitions.size() + rows.size() + 128);
  out += R"({"kind":"Table","apiVersion":"meta.k8s.io/)";
  out += meta_version;
  out += R"(","metadata":)";
  out += to_json(list_metadata);
  out += R"(,"columnDefinitions":)";
  out += column_definitions;
  out += R"(,"rows":)";
  out += rows;
  out += "}";
  return out;
}

std::string render_table(const api::ResourceType& type, const std::vector<const Json*>& objects,
                         const Json& list_metadata, const TableOptions& options) {
  std::string rows = "[";
  for (size_t i = 0; i < objects.size(); ++i) {
    if (i) rows += ',';
    rows += to_json(table_row(type, *objects[i], options));
  }
  rows += "]";
  std::string defs = options.no_headers ? "[]" : to_json(table_column_definitions(type));
  return table_json(options.meta_version, list_metadata, defs, rows);
}

}  // namespace bosun::apiserver
