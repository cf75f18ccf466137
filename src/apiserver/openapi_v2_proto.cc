#include "apiserver/openapi_v2_proto.h"

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "apiserver/protobuf_writer.h"

namespace bosun::apiserver {

namespace {

// Field numbers of gnostic's OpenAPIv2.proto (package openapi.v2).
namespace field {
// Document
constexpr uint32_t kDocSwagger = 1, kDocInfo = 2, kDocHost = 3, kDocBasePath = 4, kDocSchemes = 5,
                   kDocConsumes = 6, kDocProduces = 7, kDocPaths = 8, kDocDefinitions = 9,
                   kDocVendorExtension = 16;
// Info
constexpr uint32_t kInfoTitle = 1, kInfoVersion = 2, kInfoDescription = 3, kInfoVendorExtension = 7;
// Paths, NamedPathItem, Definitions, NamedSchema, NamedAny, Any
constexpr uint32_t kPathsVendorExtension = 1, kPathsPath = 2;
constexpr uint32_t kNamedName = 1, kNamedValue = 2;
constexpr uint32_t kDefinitionsAdditionalProperties = 1;
constexpr uint32_t kAnyYaml = 2;
// PathItem
constexpr uint32_t kPathRef = 1, kPathParameters = 9, kPathVendorExtension = 10;
// Operation
constexpr uint32_t kOpTags = 1, kOpSummary = 2, kOpDescription = 3, kOpOperationId = 5,
                   kOpProduces = 6, kOpConsumes = 7, kOpParameters = 8, kOpResponses = 9,
                   kOpSchemes = 10, kOpDeprecated = 11, kOpVendorExtension = 13;
// ParametersItem, Parameter, NonBodyParameter
constexpr uint32_t kItemParameter = 1, kItemJsonReference = 2;
constexpr uint32_t kParamBody = 1, kParamNonBody = 2;
constexpr uint32_t kNonBodyHeader = 1, kNonBodyFormData = 2, kNonBodyQuery = 3, kNonBodyPath = 4;
// BodyParameter
constexpr uint32_t kBodyDescription = 1, kBodyName = 2, kBodyIn = 3, kBodyRequired = 4,
                   kBodySchema = 5, kBodyVendorExtension = 6;
// JsonReference
constexpr uint32_t kRefRef = 1, kRefDescription = 2;
// Responses, NamedResponseValue, ResponseValue, Response, SchemaItem
constexpr uint32_t kResponsesCode = 1, kResponsesVendorExtension = 2;
constexpr uint32_t kResponseValueResponse = 1, kResponseValueJsonReference = 2;
constexpr uint32_t kResponseDescription = 1, kResponseSchema = 2, kResponseVendorExtension = 5;
constexpr uint32_t kSchemaItemSchema = 1;
// Schema
constexpr uint32_t kSchemaRef = 1, kSchemaFormat = 2, kSchemaTitle = 3, kSchemaDescription = 4,
                   kSchemaDefault = 5, kSchemaMultipleOf = 6, kSchemaMaximum = 7,
                   kSchemaExclusiveMaximum = 8, kSchemaMinimum = 9, kSchemaExclusiveMinimum = 10,
                   kSchemaMaxLength = 11, kSchemaMinLength = 12, kSchemaPattern = 13,
                   kSchemaMaxItems = 14, kSchemaMinItems = 15, kSchemaUniqueItems = 16,
                   kSchemaMaxProperties = 17, kSchemaMinProperties = 18, kSchemaRequired = 19,
                   kSchemaEnum = 20, kSchemaAdditionalProperties = 21, kSchemaType = 22,
                   kSchemaItems = 23, kSchemaAllOf = 24, kSchemaProperties = 25,
                   kSchemaDiscriminator = 26, kSchemaReadOnly = 27, kSchemaExample = 30,
                   kSchemaVendorExtension = 31;
constexpr uint32_t kAdditionalSchema = 1, kAdditionalBoolean = 2;
constexpr uint32_t kTypeItemValue = 1, kItemsItemSchema = 1, kPropertiesAdditional = 1;
}  // namespace field

// The non-body parameter messages (QueryParameterSubSchema, PathParameterSubSchema,
// HeaderParameterSubSchema, FormDataParameterSubSchema) share their keywords but not their numbers:
// query and formData have allowEmptyValue at 5 and everything after it one higher.
struct NonBodyNumbers {
  uint32_t required, in, description, name, allow_empty_value, type, format, default_value, maximum,
      exclusive_maximum, minimum, exclusive_minimum, max_length, min_length, pattern, max_items,
      min_items, unique_items, enum_values, multiple_of, vendor_extension;
};
constexpr NonBodyNumbers kQueryNumbers{1,  2,  3,  4,  5,  6,  7,  10, 11, 12, 13,
                                       14, 15, 16, 17, 18, 19, 20, 21, 22, 23};
constexpr NonBodyNumbers kPathNumbers{1,  2,  3,  4,  0,  5,  6,  9,  10, 11, 12,
                                      13, 14, 15, 16, 17, 18, 19, 20, 21, 22};

class Converter {
 public:
  std::string take() { return w_.take(); }
  const std::string& error() const { return error_; }

  void document(const Json& doc) {
    if (!expect_object(doc, "document")) return;
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      const std::string& k = it.key();
      const Json& v = it.value();
      if (k == "swagger") {
        str(field::kDocSwagger, v, k);
      } else if (k == "info") {
        info(v);
      } else if (k == "host") {
        str(field::kDocHost, v, k);
      } else if (k == "basePath") {
        str(field::kDocBasePath, v, k);
      } else if (k == "schemes") {
        strings(field::kDocSchemes, v, k);
      } else if (k == "consumes") {
        strings(field::kDocConsumes, v, k);
      } else if (k == "produces") {
        strings(field::kDocProduces, v, k);
      } else if (k == "paths") {
        paths(v);
      } else if (k == "definitions") {
        definitions(v);
      } else if (!extension(field::kDocVendorExtension, k, v)) {
        unsupported(k, "document");
      }
    }
  }

 private:
  bool expect_object(const Json& v, std::string_view where) {
    if (v.is_object()) return true;
    fail("expected an object at " + std::string(where));
    return false;
  }

  void fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
  }

  void unsupported(std::string_view key, std::string_view where) {
    fail("openapi v2 protobuf: key \"" + std::string(key) + "\" of " + std::string(where) +
         " is not supported");
  }

  // proto3 leaves default values (empty strings, false, 0) out of the wire.
  void str(uint32_t f, const Json& v, std::string_view key) {
    if (!v.is_string())
      return fail("openapi v2 protobuf: " + std::string(key) + " is not a string");
    const std::string& s = v.get_ref<const std::string&>();
    if (!s.empty()) w_.string(f, s);
  }

  void boolean(uint32_t f, const Json& v, std::string_view key) {
    if (!v.is_boolean())
      return fail("openapi v2 protobuf: " + std::string(key) + " is not a boolean");
    if (v.get<bool>()) w_.boolean(f, true);
  }

  void integer(uint32_t f, const Json& v, std::string_view key) {
    if (!v.is_number_integer()) {
      return fail("openapi v2 protobuf: " + std::string(key) + " is not an integer");
    }
    int64_t n = v.get<int64_t>();
    if (n != 0) w_.varint(f, static_cast<uint64_t>(n));
  }

  void number(uint32_t f, const Json& v, std::string_view key) {
    if (!v.is_number())
      return fail("openapi v2 protobuf: " + std::string(key) + " is not a number");
    double d = v.get<double>();
    if (d != 0) w_.float64(f, d);
  }

  void strings(uint32_t f, const Json& v, std::string_view key) {
    if (!v.is_array()) return fail("openapi v2 protobuf: " + std::string(key) + " is not a list");
    for (const Json& s : v) {
      if (!s.is_string())
        return fail("openapi v2 protobuf: " + std::string(key) + " holds a non-string");
      w_.string(f, s.get_ref<const std::string&>());
    }
  }

  // gnostic's Any keeps a value as YAML text; JSON is YAML, and kubectl reads it with a YAML
  // decoder (x-kubernetes-group-version-kind becomes a list of maps or a map of strings).
  void any(uint32_t f, const Json& v) {
    w_.open(f);
    w_.string(field::kAnyYaml, v.dump() + "\n");
    w_.close();
  }

  bool extension(uint32_t f, const std::string& key, const Json& v) {
    if (!key.starts_with("x-")) return false;
    w_.open(f);
    w_.string(field::kNamedName, key);
    any(field::kNamedValue, v);
    w_.close();
    return true;
  }

  void info(const Json& v) {
    if (!expect_object(v, "info")) return;
    w_.open(field::kDocInfo);
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& k = it.key();
      if (k == "title") {
        str(field::kInfoTitle, it.value(), k);
      } else if (k == "version") {
        str(field::kInfoVersion, it.value(), k);
      } else if (k == "description") {
        str(field::kInfoDescription, it.value(), k);
      } else if (!extension(field::kInfoVendorExtension, k, it.value())) {
        unsupported(k, "info");
      }
    }
    w_.close();
  }

  void paths(const Json& v) {
    if (!expect_object(v, "paths")) return;
    w_.open(field::kDocPaths);
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (extension(field::kPathsVendorExtension, it.key(), it.value())) continue;
      w_.open(field::kPathsPath);
      w_.string(field::kNamedName, it.key());
      path_item(it.value(), it.key());
      w_.close();
    }
    w_.close();
  }

  void path_item(const Json& v, const std::string& path) {
    if (!expect_object(v, path)) return;
    static constexpr std::pair<std::string_view, uint32_t> kMethods[] = {
        {"get", 2},     {"put", 3},  {"post", 4}, {"delete", 5},
        {"options", 6}, {"head", 7}, {"patch", 8}};
    w_.open(field::kNamedValue);
    // Written in field-number order, as Go's proto.Marshal does.
    if (v.contains("$ref")) str(field::kPathRef, v["$ref"], "$ref");
    for (const auto& [method, number] : kMethods) {
      if (v.contains(method)) operation(number, v[method], path + " " + std::string(method));
    }
    if (v.contains("parameters")) parameters(field::kPathParameters, v["parameters"], path);
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& k = it.key();
      bool known = k == "$ref" || k == "parameters" ||
                   std::any_of(std::begin(kMethods), std::end(kMethods),
                               [&](const auto& m) { return m.first == k; });
      if (known) continue;
      if (!extension(field::kPathVendorExtension, k, it.value())) unsupported(k, path);
    }
    w_.close();
  }

  void operation(uint32_t f, const Json& v, const std::string& where) {
    if (!expect_object(v, where)) return;
    w_.open(f);
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& k = it.key();
      const Json& x = it.value();
      if (k == "tags") {
        strings(field::kOpTags, x, k);
      } else if (k == "summary") {
        str(field::kOpSummary, x, k);
      } else if (k == "description") {
        str(field::kOpDescription, x, k);
      } else if (k == "operationId") {
        str(field::kOpOperationId, x, k);
      } else if (k == "produces") {
        strings(field::kOpProduces, x, k);
      } else if (k == "consumes") {
        strings(field::kOpConsumes, x, k);
      } else if (k == "parameters") {
        parameters(field::kOpParameters, x, where);
      } else if (k == "responses") {
        responses(x, where);
      } else if (k == "schemes") {
        strings(field::kOpSchemes, x, k);
      } else if (k == "deprecated") {
        boolean(field::kOpDeprecated, x, k);
      } else if (!extension(field::kOpVendorExtension, k, x)) {
        unsupported(k, where);
      }
    }
    w_.close();
  }

  void parameters(uint32_t f, const Json& list, const std::string& where) {
    if (!list.is_array())
      return fail("openapi v2 protobuf: parameters of " + where + " not a list");
    for (const Json& p : list) {
      if (!expect_object(p, where + " parameter")) return;
      w_.open(f);  // ParametersItem
      if (p.contains("$ref")) {
        w_.open(field::kItemJsonReference);
        str(field::kRefRef, p["$ref"], "$ref");
        if (p.contains("description")) str(field::kRefDescription, p["description"], "description");
        w_.close();
      } else {
        w_.open(field::kItemParameter);
        std::string in = p.value("in", "");
        if (in == "body") {
          body_parameter(p, where);
        } else if (in == "query" || in == "formData") {
          w_.open(field::kParamNonBody);
          non_body_parameter(in == "query" ? field::kNonBodyQuery : field::kNonBodyFormData,
                             kQueryNumbers, p, where);
          w_.close();
        } else if (in == "path" || in == "header") {
          w_.open(field::kParamNonBody);
          non_body_parameter(in == "path" ? field::kNonBodyPath : field::kNonBodyHeader,
                             kPathNumbers, p, where);
          w_.close();
        } else {
          fail("openapi v2 protobuf: parameter of " + where + " has in=\"" + in + "\"");
        }
        w_.close();
      }
      w_.close();
    }
  }

  void body_parameter(const Json& p, const std::string& where) {
    w_.open(field::kParamBody);
    for (auto it = p.begin(); it != p.end(); ++it) {
      const std::string& k = it.key();
      if (k == "description") {
        str(field::kBodyDescription, it.value(), k);
      } else if (k == "name") {
        str(field::kBodyName, it.value(), k);
      } else if (k == "in") {
        str(field::kBodyIn, it.value(), k);
      } else if (k == "required") {
        boolean(field::kBodyRequired, it.value(), k);
      } else if (k == "schema") {
        schema(field::kBodySchema, it.value(), where + " body");
      } else if (!extension(field::kBodyVendorExtension, k, it.value())) {
        unsupported(k, where + " body parameter");
      }
    }
    w_.close();
  }

  void non_body_parameter(uint32_t f, const NonBodyNumbers& n, const Json& p,
                          const std::string& where) {
    w_.open(f);
    for (auto it = p.begin(); it != p.end(); ++it) {
      const std::string& k = it.key();
      const Json& x = it.value();
      if (k == "required") {
        boolean(n.required, x, k);
      } else if (k == "in") {
        str(n.in, x, k);
      } else if (k == "description") {
        str(n.description, x, k);
      } else if (k == "name") {
        str(n.name, x, k);
      } else if (k == "allowEmptyValue" && n.allow_empty_value != 0) {
        boolean(n.allow_empty_value, x, k);
      } else if (k == "type") {
        str(n.type, x, k);
      } else if (k == "format") {
        str(n.format, x, k);
      } else if (k == "default") {
        any(n.default_value, x);
      } else if (k == "maximum") {
        number(n.maximum, x, k);
      } else if (k == "exclusiveMaximum") {
        boolean(n.exclusive_maximum, x, k);
      } else if (k == "minimum") {
        number(n.minimum, x, k);
      } else if (k == "exclusiveMinimum") {
        boolean(n.exclusive_minimum, x, k);
      } else if (k == "maxLength") {
        integer(n.max_length, x, k);
      } else if (k == "minLength") {
        integer(n.min_length, x, k);
      } else if (k == "pattern") {
        str(n.pattern, x, k);
      } else if (k == "maxItems") {
        integer(n.max_items, x, k);
      } else if (k == "minItems") {
        integer(n.min_items, x, k);
      } else if (k == "uniqueItems") {
        boolean(n.unique_items, x, k);
      } else if (k == "enum" && x.is_array()) {
        for (const Json& e : x) any(n.enum_values, e);
      } else if (k == "multipleOf") {
        number(n.multiple_of, x, k);
      } else if (!extension(n.vendor_extension, k, x)) {
        unsupported(k, where + " parameter");
      }
    }
    w_.close();
  }

  void responses(const Json& v, const std::string& where) {
    if (!expect_object(v, where + " responses")) return;
    w_.open(field::kOpResponses);
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (extension(field::kResponsesVendorExtension, it.key(), it.value())) continue;
      const Json& r = it.value();
      if (!expect_object(r, where + " response")) return;
      w_.open(field::kResponsesCode);
      w_.string(field::kNamedName, it.key());
      w_.open(field::kNamedValue);
      if (r.contains("$ref")) {
        w_.open(field::kResponseValueJsonReference);
        str(field::kRefRef, r["$ref"], "$ref");
        w_.close();
      } else {
        w_.open(field::kResponseValueResponse);
        for (auto rit = r.begin(); rit != r.end(); ++rit) {
          const std::string& k = rit.key();
          if (k == "description") {
            str(field::kResponseDescription, rit.value(), k);
          } else if (k == "schema") {
            w_.open(field::kResponseSchema);
            schema(field::kSchemaItemSchema, rit.value(), where + " response");
            w_.close();
          } else if (!extension(field::kResponseVendorExtension, k, rit.value())) {
            unsupported(k, where + " response");
          }
        }
        w_.close();
      }
      w_.close();
      w_.close();
    }
    w_.close();
  }

  void definitions(const Json& v) {
    if (!expect_object(v, "definitions")) return;
    w_.open(field::kDocDefinitions);
    for (auto it = v.begin(); it != v.end(); ++it) {
      named_schema(field::kDefinitionsAdditionalProperties, it.key(), it.value());
    }
    w_.close();
  }

  void named_schema(uint32_t f, const std::string& name, const Json& s) {
    w_.open(f);
    w_.string(field::kNamedName, name);
    schema(field::kNamedValue, s, name);
    w_.close();
  }

  void schema(uint32_t f, const Json& s, const std::string& where) {
    if (!expect_object(s, where)) return;
    w_.open(f);
    // Field-number order, as Go's proto.Marshal writes a Schema.
    auto has = [&](const char* k) { return s.contains(k); };
    if (has("$ref")) str(field::kSchemaRef, s["$ref"], "$ref");
    if (has("format")) str(field::kSchemaFormat, s["format"], "format");
    if (has("title")) str(field::kSchemaTitle, s["title"], "title");
    if (has("description")) str(field::kSchemaDescription, s["description"], "description");
    if (has("default")) any(field::kSchemaDefault, s["default"]);
    if (has("multipleOf")) number(field::kSchemaMultipleOf, s["multipleOf"], "multipleOf");
    if (has("maximum")) number(field::kSchemaMaximum, s["maximum"], "maximum");
    if (has("exclusiveMaximum")) {
      boolean(field::kSchemaExclusiveMaximum, s["exclusiveMaximum"], "exclusiveMaximum");
    }
    if (has("minimum")) number(field::kSchemaMinimum, s["minimum"], "minimum");
    if (has("exclusiveMinimum")) {
      boolean(field::kSchemaExclusiveMinimum, s["exclusiveMinimum"], "exclusiveMinimum");
    }
    if (has("maxLength")) integer(field::kSchemaMaxLength, s["maxLength"], "maxLength");
    if (has("minLength")) integer(field::kSchemaMinLength, s["minLength"], "minLength");
    if (has("pattern")) str(field::kSchemaPattern, s["pattern"], "pattern");
    if (has("maxItems")) integer(field::kSchemaMaxItems, s["maxItems"], "maxItems");
    if (has("minItems")) integer(field::kSchemaMinItems, s["minItems"], "minItems");
    if (has("uniqueItems")) boolean(field::kSchemaUniqueItems, s["uniqueItems"], "uniqueItems");
    if (has("maxProperties")) {
      integer(field::kSchemaMaxProperties, s["maxProperties"], "maxProperties");
    }
    if (has("minProperties")) {
      integer(field::kSchemaMinProperties, s["minProperties"], "minProperties");
    }
    if (has("required")) strings(field::kSchemaRequired, s["required"], "required");
    if (has("enum")) {
      if (!s["enum"].is_array()) return fail("openapi v2 protobuf: enum of " + where);
      for (const Json& e : s["enum"]) any(field::kSchemaEnum, e);
    }
    if (has("additionalProperties")) {
      const Json& a = s["additionalProperties"];
      w_.open(field::kSchemaAdditionalProperties);
      if (a.is_boolean()) {
        // A oneof member is written even when false: its presence is the information.
        w_.boolean(field::kAdditionalBoolean, a.get<bool>());
      } else {
        schema(field::kAdditionalSchema, a, where + ".additionalProperties");
      }
      w_.close();
    }
    if (has("type")) {
      w_.open(field::kSchemaType);
      const Json& t = s["type"];
      if (t.is_array()) {
        strings(field::kTypeItemValue, t, "type");
      } else {
        str(field::kTypeItemValue, t, "type");
      }
      w_.close();
    }
    if (has("items")) {
      const Json& items = s["items"];
      w_.open(field::kSchemaItems);
      if (items.is_array()) {
        for (const Json& i : items) schema(field::kItemsItemSchema, i, where + ".items");
      } else {
        schema(field::kItemsItemSchema, items, where + ".items");
      }
      w_.close();
    }
    if (has("allOf")) {
      if (!s["allOf"].is_array()) return fail("openapi v2 protobuf: allOf of " + where);
      for (const Json& sub : s["allOf"]) schema(field::kSchemaAllOf, sub, where + ".allOf");
    }
    if (has("properties")) {
      const Json& props = s["properties"];
      if (!expect_object(props, where + ".properties")) return;
      w_.open(field::kSchemaProperties);
      for (auto it = props.begin(); it != props.end(); ++it) {
        named_schema(field::kPropertiesAdditional, it.key(), it.value());
      }
      w_.close();
    }
    if (has("discriminator")) str(field::kSchemaDiscriminator, s["discriminator"], "discriminator");
    if (has("readOnly")) boolean(field::kSchemaReadOnly, s["readOnly"], "readOnly");
    if (has("example")) any(field::kSchemaExample, s["example"]);
    static constexpr std::string_view kKnown[] = {"$ref",
                                                  "format",
                                                  "title",
                                                  "description",
                                                  "default",
                                                  "multipleOf",
                                                  "maximum",
                                                  "exclusiveMaximum",
                                                  "minimum",
                                                  "exclusiveMinimum",
                                                  "maxLength",
                                                  "minLength",
                                                  "pattern",
                                                  "maxItems",
                                                  "minItems",
                                                  "uniqueItems",
                                                  "maxProperties",
                                                  "minProperties",
                                                  "required",
                                                  "enum",
                                                  "additionalProperties",
                                                  "type",
                                                  "items",
                                                  "allOf",
                                                  "properties",
                                                  "discriminator",
                                                  "readOnly",
                                                  "example"};
    for (auto it = s.begin(); it != s.end(); ++it) {
      const std::string& k = it.key();
      if (std::find(std::begin(kKnown), std::end(kKnown), k) != std::end(kKnown)) continue;
      if (!extension(field::kSchemaVendorExtension, k, it.value())) unsupported(k, where);
    }
    w_.close();
  }

  ProtoWriter w_;
  std::string error_;
};

}  // namespace

Result<std::string> openapi_v2_to_protobuf(const Json& swagger) {
  Converter c;
  c.document(swagger);
  if (!c.error().empty()) return make_error(ErrorCode::kInternal, c.error());
  return c.take();
}

}  // namespace bosun::apiserver
