// libFuzzer target for strict field validation on arbitrary JSON: validate_fields runs on every
// request body, so no input may crash it, and its verdict must be consistent (a clean result has no
// decode error, and unknown fields always make a strict error). Built only in build-san.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "api/schema.h"
#include "api/schema_validation.h"

namespace {

void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "schema_validation_fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  bosun::Json doc = bosun::Json::parse(input, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return 0;
  const bosun::api::SchemaSet& schemas = bosun::api::SchemaSet::global();
  for (const char* kind : {"Pod", "Deployment", "Secret"}) {
    const bosun::api::SchemaType* root =
        schemas.find(std::string_view(kind) == "Deployment" ? "apps" : "", "v1", kind);
    bosun::api::FieldValidationResult r = bosun::api::validate_fields(doc, *root);
    if (r.ok() != r.decode_error().empty())
      fail("ok() disagrees with decode_error()", r.decode_error());
    if (r.unknown_fields.empty() != r.strict_error().empty()) {
      fail("strict_error() disagrees with unknown_fields", r.strict_error());
    }
    if (!doc.is_object() && r.type_errors.size() != 1)
      fail("a non-object body must fail once", doc.dump());
  }
  return 0;
}
