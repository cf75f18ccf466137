// libFuzzer target for the patch engine on arbitrary bytes: an original document and a patch
// separated by a line "---" (the whole input is the patch, onto a fixed Deployment, when there is
// none). Neither may crash or hang strategic merge patch (with the Deployment and Pod schemas and
// without a schema), JSON Patch or merge patch; errors carry only the codes kube-apiserver uses;
// the original is never modified; an empty patch changes nothing. Built only in build-san.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/decode.h"
#include "api/patch.h"
#include "api/schema.h"

namespace {

using bosun::ErrorCode;
using bosun::Json;
namespace api = bosun::api;

constexpr std::string_view kDeployment = R"({"apiVersion":"apps/v1","kind":"Deployment",
"metadata":{"name":"web","labels":{"app":"web"},"finalizers":["a","b"]},
"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},
"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}},
"template":{"metadata":{"labels":{"app":"web"}},"spec":{
"containers":[{"name":"web","image":"nginx","ports":[{"containerPort":80}],
"env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},{"name":"side","image":"busybox"}],
"volumes":[{"name":"data","emptyDir":{}}],"tolerations":[{"key":"k"}]}}}})";

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "strategic_merge_patch_fuzz: %s\n%s\n", what, detail.c_str());
  std::abort();
}

std::string show(const Json& v) { return v.dump(-1, ' ', false, Json::error_handler_t::replace); }

void check_error(const bosun::Error& e, const char* engine) {
  switch (e.code) {
    case ErrorCode::kBadRequest:
    case ErrorCode::kInvalid:
    case ErrorCode::kInternal:
    case ErrorCode::kRequestEntityTooLarge:
      if (e.message.empty()) fail("error without a message", engine);
      return;
    default:
      fail("unexpected error code", std::string(engine) + ": " + e.message);
  }
}

void run_apply(api::PatchType type, const Json& original, std::string_view body,
               const api::SchemaType* schema, bool strict) {
  api::PatchOptions options;
  options.strict_decoding = strict;
  auto r = api::apply_patch(type, original, body, schema, options);
  if (!r.ok()) {
    check_error(r.error(), "apply_patch");
    return;
  }
  if (!r->object.is_object()) fail("apply_patch returned a non-object", show(r->object));
  (void)show(r->object);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t sep = input.find("\n---\n");
  std::string_view original_text =
      sep == std::string_view::npos ? kDeployment : input.substr(0, sep);
  std::string_view patch_text = sep == std::string_view::npos ? input : input.substr(sep + 5);

  api::DecodeOptions lenient;
  lenient.fail_on_duplicates = false;
  auto decoded = api::decode_json_document(original_text, lenient);
  if (!decoded.ok()) return 0;
  const Json original = std::move(decoded->value);
  const Json before = original;

  const api::SchemaSet& schemas = api::SchemaSet::global();
  const api::SchemaType* deployment = schemas.find("apps", "v1", "Deployment");
  const api::SchemaType* pod = schemas.find("", "v1", "Pod");

  for (const api::SchemaType* schema : {deployment, pod}) {
    run_apply(api::PatchType::kStrategicMergePatch, original, patch_text, schema, true);
  }
  run_apply(api::PatchType::kJsonPatch, original, patch_text, deployment, true);
  run_apply(api::PatchType::kJsonPatch, original, patch_text, deployment, false);
  run_apply(api::PatchType::kMergePatch, original, patch_text, deployment, true);
  run_apply(api::PatchType::kMergePatch, original, patch_text, deployment, false);

  auto patch = api::decode_json_document(patch_text, lenient);
  if (patch.ok()) {
    auto r = api::strategic_merge_patch(original, patch->value, nullptr);
    if (!r.ok()) check_error(r.error(), "strategic_merge_patch without schema");
  }

  if (original.is_object()) {
    for (const api::SchemaType* schema : {deployment, pod}) {
      auto same = api::strategic_merge_patch(original, Json::object(), *schema);
      if (!same.ok() || *same != original)
        fail("an empty patch changed the object", show(original));
    }
  }
  if (original != before) fail("the original was modified", show(original));
  return 0;
}
