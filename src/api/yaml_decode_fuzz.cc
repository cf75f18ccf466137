// libFuzzer target for decode_documents on arbitrary bytes (mostly YAML): no crash, no undefined
// behaviour, bounded memory (aliases and nesting are limited); whatever decodes must survive
// to_yaml and decode again to an equal value. Built only in build-san.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/decode.h"

namespace {

void fail(const char* what, const std::string& yaml, const std::string& detail) {
  std::fprintf(stderr, "yaml_decode_fuzz: %s\n--- to_yaml:\n%s\n--- detail: %s\n", what,
               yaml.c_str(), detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  for (bool strict : {true, false}) {
    bosun::api::DecodeOptions options;
    options.fail_on_duplicates = strict;
    auto docs = bosun::api::decode_documents(input, options);
    if (!docs.ok()) continue;
    for (const auto& doc : *docs) {
      const std::string yaml = bosun::api::to_yaml(doc.value);
      auto again = bosun::api::decode_documents(yaml, bosun::api::DecodeOptions{});
      if (!again.ok()) fail("to_yaml output does not decode", yaml, again.error().message);
      if (again->size() != 1) fail("to_yaml output is not one document", yaml, "");
      if (again->front().value != doc.value) {
        fail("round trip changed the value", yaml,
             again->front().value.dump(-1, ' ', false, bosun::Json::error_handler_t::replace));
      }
    }
  }
  (void)bosun::api::decode_document(input, bosun::api::DecodeOptions{});
  return 0;
}
