// apply_patch: what kube-apiserver's PATCH handler (endpoints/handlers/patch.go: jsonPatcher,
// smpPatcher) does between reading the body and decoding the patched object, including how it maps
// each engine's errors onto a Status.
#include "api/patch.h"

#include <fmt/format.h>

#include <string>
#include <utility>

#include "api/decode.h"
#include "api/patch_internal.h"
#include "api/schema_validation.h"
#include "common/field_errors.h"

namespace bosun::api {
namespace {

using patch_internal::cannot_unmarshal;

constexpr std::string_view kJsonPatchMediaType = "application/json-patch+json";
constexpr std::string_view kMergePatchMediaType = "application/merge-patch+json";
constexpr std::string_view kStrategicMergePatchMediaType = "application/strategic-merge-patch+json";

// What custom resources accept (they have no Go types to drive a strategic merge).
constexpr std::string_view kUnsupportedStrategicMessage =
    "the body of the request was in an unknown format - accepted media types include: "
    "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml";

constexpr std::string_view kGoMapType = "map[string]interface {}";

// The strict decoding of a JSON Patch body into []handlers.jsonPatchOp that precedes
// jsonpatch.DecodePatch under fieldValidation=Strict|Warn: type errors fail the request, fields
// other than op/path/from/value are strict errors.
Result<void> check_json_patch_ops(const Json& body, std::vector<std::string>* strict_errors) {
  if (body.is_null()) return {};
  if (!body.is_array()) {
    return make_error(ErrorCode::kBadRequest,
                      "error decoding patch: " + cannot_unmarshal(body, "[]handlers.jsonPatchOp"));
  }
  const auto& ops = body.get_ref<const Json::array_t&>();
  for (size_t i = 0; i < ops.size(); ++i) {
    const Json& op = ops[i];
    if (op.is_null()) continue;
    if (!op.is_object()) {
      return make_error(ErrorCode::kBadRequest,
                        "error decoding patch: " + cannot_unmarshal(op, "handlers.jsonPatchOp"));
    }
    for (const auto& [k, v] : op.get_ref<const Json::object_t&>()) {
      if (k == "op" || k == "path" || k == "from") {
        if (!v.is_null() && !v.is_string()) {
          return make_error(ErrorCode::kBadRequest,
                            fmt::format("error decoding patch: json: cannot unmarshal {} into Go "
                                        "struct field jsonPatchOp.{} of type string",
                                        patch_internal::json_value_word(v), k));
        }
      } else if (k != "value") {
        strict_errors->push_back("json patch " +
                                 unknown_field_message(fmt::format("[{}].{}", i, k)));
      }
    }
  }
  return {};
}

// A patched document that is not an object cannot be decoded into the kind; kube-apiserver says so
// as an Invalid error on the field "patch".
Error not_an_object(const Json& result, const SchemaType* schema) {
  std::string type = schema != nullptr ? schema->ref().go_type_name() : std::string(kGoMapType);
  FieldErrors errs;
  errs.invalid("patch", Json(result.dump(-1, ' ', false, Json::error_handler_t::replace)),
               cannot_unmarshal(result, type));
  return errs.to_error("", "");
}

}  // namespace

std::optional<PatchType> patch_type_for_media_type(std::string_view content_type) {
  // kube-apiserver cuts the parameters off at the first ';' and compares the rest exactly.
  size_t semi = content_type.find(';');
  if (semi != std::string_view::npos && semi > 0) content_type = content_type.substr(0, semi);
  if (content_type == kJsonPatchMediaType) return PatchType::kJsonPatch;
  if (content_type == kMergePatchMediaType) return PatchType::kMergePatch;
  if (content_type == kStrategicMergePatchMediaType) return PatchType::kStrategicMergePatch;
  return std::nullopt;
}

std::string_view patch_media_type(PatchType type) {
  switch (type) {
    case PatchType::kJsonPatch:
      return kJsonPatchMediaType;
    case PatchType::kMergePatch:
      return kMergePatchMediaType;
    case PatchType::kStrategicMergePatch:
      return kStrategicMergePatchMediaType;
  }
  return {};
}

Result<PatchResult> apply_patch(PatchType type, const Json& original, std::string_view body,
                                const SchemaType* schema, const PatchOptions& options) {
  if (type == PatchType::kStrategicMergePatch && schema == nullptr) {
    return make_error(ErrorCode::kUnsupportedMediaType, std::string(kUnsupportedStrategicMessage));
  }
  DecodeOptions decode_options;
  decode_options.fail_on_duplicates = false;
  Result<Decoded> decoded = decode_json_document(body, decode_options);
  if (!decoded.ok()) {
    Error e = std::move(decoded).error();
    if (e.code != ErrorCode::kBadRequest) return e;
    switch (type) {
      case PatchType::kJsonPatch:
        if (options.strict_decoding) e.message = "error decoding patch: " + e.message;
        break;
      case PatchType::kMergePatch:
        // Without strict decoding the library only says the patch is not JSON.
        e.message =
            options.strict_decoding ? "error decoding patch: " + e.message : "Invalid JSON Patch";
        break;
      case PatchType::kStrategicMergePatch:
        break;
    }
    return e;
  }
  PatchResult out;
  const Json& patch = decoded->value;
  if (options.strict_decoding) {
    for (const std::string& path : decoded->duplicate_fields) {
      std::string msg = duplicate_field_message(path);
      out.strict_errors.push_back(type == PatchType::kJsonPatch ? "json patch " + msg : msg);
    }
  }

  switch (type) {
    case PatchType::kJsonPatch: {
      if (options.strict_decoding) {
        BOSUN_RETURN_IF_ERROR(check_json_patch_ops(patch, &out.strict_errors));
      }
      size_t count = patch.is_array() ? patch.size() : 0;
      if (count > kMaxJsonPatchOperations) {
        return make_error(ErrorCode::kRequestEntityTooLarge,
                          fmt::format("Request entity too large: The allowed maximum operations "
                                      "in a JSON patch is {}, got {}",
                                      kMaxJsonPatchOperations, count));
      }
      Result<Json> r = json_patch(original, patch);
      if (!r.ok()) {
        // The operation's own error text is not returned to the client.
        if (r.error().code == ErrorCode::kInvalid) {
          return make_error(ErrorCode::kInvalid, std::string(kPatchRejectedMessage));
        }
        return std::move(r).error();
      }
      out.object = std::move(r).value();
      break;
    }
    case PatchType::kMergePatch: {
      if (options.strict_decoding && !patch.is_object() && !patch.is_null()) {
        return make_error(ErrorCode::kBadRequest,
                          "error decoding patch: " + cannot_unmarshal(patch, kGoMapType));
      }
      BOSUN_ASSIGN_OR_RETURN(out.object, merge_patch(original, patch));
      break;
    }
    case PatchType::kStrategicMergePatch: {
      Result<Json> r = strategic_merge_patch(original, patch, *schema);
      if (!r.ok()) {
        if (r.error().code == ErrorCode::kInvalid) {
          return make_error(ErrorCode::kInvalid, std::string(kPatchRejectedMessage));
        }
        return std::move(r).error();
      }
      out.object = std::move(r).value();
      break;
    }
  }
  if (!out.object.is_object()) return not_an_object(out.object, schema);
  return out;
}

}  // namespace bosun::api
