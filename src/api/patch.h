// The patch engine behind PATCH requests: JSON Patch (RFC 6902, application/json-patch+json), JSON
// Merge Patch (RFC 7386, application/merge-patch+json) and strategic merge patch
// (application/strategic-merge-patch+json, driven by the schemas' patch strategies and merge keys),
// with kube-apiserver's semantics, quirks and error wording. The API server's PATCH handler calls
// apply_patch; controllers and tests may call the three engines directly. Pure functions over
// immutable schemas; safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/schema.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::api {

enum class PatchType : uint8_t { kJsonPatch, kMergePatch, kStrategicMergePatch };

// The patch type of a PATCH request's Content-Type ("application/merge-patch+json; charset=utf-8"
// included); nullopt for anything else. Server-side apply (application/apply-patch+yaml) is not a
// patch type of this engine.
std::optional<PatchType> patch_type_for_media_type(std::string_view content_type);
// "application/json-patch+json", "application/merge-patch+json",
// "application/strategic-merge-patch+json".
std::string_view patch_media_type(PatchType type);

// kube-apiserver's limits: maxJSONPatchOperations, and JSONPatchMaxCopyBytes (what the "copy"
// operations of one JSON Patch may add to the document, in bytes of JSON).
inline constexpr size_t kMaxJsonPatchOperations = 10000;
inline constexpr int64_t kMaxJsonPatchCopyBytes = 3 * 1024 * 1024;

// kube-apiserver's message for a patch whose application failed (422 Invalid, no causes): it
// drops the underlying error's text.
inline constexpr std::string_view kPatchRejectedMessage =
    "the server rejected our request due to an error in our request";

struct PatchOptions {
  // true for fieldValidation=Strict and =Warn (the server's default when the query has none):
  // kube-apiserver then decodes the body strictly first, which words decoding errors as
  // `error decoding patch: ...` and reports duplicate fields (and unknown fields of JSON Patch
  // operations) as strict errors. false for fieldValidation=Ignore.
  bool strict_decoding = true;
};

struct PatchResult {
  Json object;
  // Strict decoding errors of the body itself, worded as Kubernetes' (`duplicate field
  // "spec.replicas"`; for JSON Patch `json patch unknown field "[0].pathz"`), empty unless
  // strict_decoding. With fieldValidation=Warn each becomes a Warning header; with Strict the
  // handler fails the request (422) with them and the object's own unknown fields.
  std::vector<std::string> strict_errors;
};

// Applies a PATCH body to `original`, an object of type `schema`, and returns the patched object
// (neither validated nor defaulted: that is the handler's next step). Errors are the Status
// kube-apiserver returns:
//  - a body that does not decode, or of the wrong shape: 400 BadRequest (JSON Patch and merge
//    patch under strict decoding: `error decoding patch: json: cannot unmarshal object into Go
//    value of type []handlers.jsonPatchOp`; merge patch `null`: `Invalid JSON Patch`);
//  - more than kMaxJsonPatchOperations operations: 413 (`Request entity too large: The allowed
//    maximum operations in a JSON patch is 10000, got 10001`);
//  - a JSON Patch operation that does not apply, or a strategic merge patch with a list of lists:
//    422 Invalid with kPatchRejectedMessage;
//  - the strategic merge patch format errors ($deleteFromPrimitiveList, $retainKeys,
//    $setElementOrder): 400 BadRequest; its other errors (a list element without its merge key,
//    an unknown $patch directive, ...): 500 with apimachinery's text (kube-apiserver's reason is
//    "" there; see strategic_merge_patch);
//  - strategic merge patch without a schema (schema == nullptr, as for a custom resource): 415
//    UnsupportedMediaType listing the patch types such resources accept;
//  - a result that is not an object (a merge patch that is a JSON array): 422 Invalid,
//    ` "" is invalid: patch: Invalid value: "[...]": json: cannot unmarshal array into Go value of
//    type v1.Deployment`.
// The original is never modified.
Result<PatchResult> apply_patch(PatchType type, const Json& original, std::string_view body,
                                const SchemaType* schema, const PatchOptions& options = {});

// ---- The three engines, on decoded values. Their errors carry the underlying library's own text
// (evanphx/json-patch v4, apimachinery's strategicpatch); apply_patch maps them onto the Status
// kube-apiserver returns.

// RFC 6902 as kube-apiserver applies it (evanphx/json-patch v4): add, remove, replace, move, copy,
// test, with that library's quirks: negative array indices count from the end; "replace" of a
// missing object key adds it; an operation without "value" uses null; a path without a leading
// "/" drops its first segment. `operations` must be an array (or null: no operation) of objects;
// anything else is 400 BadRequest (`json: cannot unmarshal object into Go value of type
// jsonpatch.Patch`). An operation that does not apply is 422 Invalid with evanphx's text
// (`replace operation does not apply: doc is missing path: /spec/foo/bar: missing value`).
// Operations past kMaxJsonPatchOperations are not refused here; "copy" stops at
// kMaxJsonPatchCopyBytes.
Result<Json> json_patch(Json document, const Json& operations);

// RFC 7386 as evanphx/json-patch's MergePatch: null deletes a key, objects merge recursively,
// anything else replaces; nulls inside newly added objects are dropped. A patch that is not an
// object replaces the document when it is an array, and is 400 BadRequest `Invalid JSON Patch`
// when null or a scalar.
Result<Json> merge_patch(Json document, const Json& patch);

// Strategic merge patch (apimachinery's StrategicMergeMapPatch) with `type` giving each field's
// patch strategy and merge key: lists with patch strategy merge are merged by their merge key (or,
// for lists of scalars, as sets); other lists and maps with strategy replace are replaced; null
// deletes; directives `$patch: replace|delete|merge` (on maps and list elements),
// `$setElementOrder/<list>`, `$retainKeys` and `$deleteFromPrimitiveList/<list>` apply as
// Kubernetes applies them, including its ordering of merged lists. Where the schema knows no field
// (type == nullptr, `any` subtrees, fields it does not declare) maps still merge and lists are
// replaced, as for Kubernetes' map types. A patch that is null changes nothing; one that is not an
// object is 400 BadRequest. Error codes: kBadRequest for apimachinery's patch format errors
// (`invalid patch format of retainKeys`), kInvalid for `lists of lists are not supported`, and
// kInternal (HTTP 500) for the rest, worded as apimachinery words them (`map: map[image:nginx]
// does not contain declared merge key: name`); kube-apiserver returns those with reason ""
// (StatusReasonUnknown), which ErrorCode cannot express.
Result<Json> strategic_merge_patch(Json original, const Json& patch, const TypeRef* type);
Result<Json> strategic_merge_patch(Json original, const Json& patch, const SchemaType& type);

}  // namespace bosun::api
