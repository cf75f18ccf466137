// Differential fuzzing of read_json against nlohmann's parser: the same verdict on every input and,
// when both accept it, the same tree.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/json_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  bosun::Json expected = bosun::Json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto got = bosun::read_json(text);
  if (expected.is_discarded() != !got.ok()) std::abort();
  if (got.ok() && (*got != expected || got->dump() != expected.dump())) {
    // NaN never occurs (JSON has no NaN), so inequality is a real difference.
    std::abort();
  }
  return 0;
}
