// libFuzzer target for the JSON decoders on arbitrary bytes: no crash, no undefined behaviour,
// bounded nesting; whatever decodes must survive to_yaml and decode (as YAML) to an equal value.
// Built only in build-san.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/decode.h"

namespace {

void fail(const char* what, const std::string& yaml, const std::string& detail) {
  std::fprintf(stderr, "json_decode_fuzz: %s\n--- to_yaml:\n%s\n--- detail: %s\n", what,
               yaml.c_str(), detail.c_str());
  std::abort();
}

void round_trip(const bosun::Json& value) {
  const std::string yaml = bosun::api::to_yaml(value);
  auto again = bosun::api::decode_documents(yaml, bosun::api::DecodeOptions{});
  if (!again.ok()) fail("to_yaml output does not decode", yaml, again.error().message);
  // A null document decodes to no document at all.
  if (value.is_null()) {
    if (!again->empty()) fail("null did not decode to nothing", yaml, "");
    return;
  }
  if (again->size() != 1) fail("to_yaml output is not one document", yaml, "");
  if (again->front().value != value) {
    fail("round trip changed the value", yaml,
         again->front().value.dump(-1, ' ', false, bosun::Json::error_handler_t::replace));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto strict = bosun::api::decode_json(input);
  if (strict.ok()) round_trip(*strict);
  auto lenient = bosun::api::decode_json_document(input, bosun::api::DecodeOptions{false});
  if (lenient.ok()) round_trip(lenient->value);
  if (strict.ok() && (!lenient.ok() || lenient->value != *strict)) {
    fail("strict and lenient decoding disagree", "", "");
  }
  (void)bosun::api::decode_documents(input, bosun::api::DecodeOptions{false});
  return 0;
}
