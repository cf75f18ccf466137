// libFuzzer target for reading fieldsV1 (FieldSet::from_fields_v1_string) from arbitrary bytes:
// whatever reads must write text that reads back to the same set, and writes the same text again
// from then on; the Json form must agree, and the set algebra must hold its identities. Built only
// in build-san.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include "api/field_set.h"

namespace {

using bosun::api::FieldSet;
using bosun::api::PathElement;

void fail(const char* what, std::string_view input, const std::string& written) {
  std::fprintf(stderr, "field_set_fuzz: %s (input %.*s, written %s)\n", what,
               static_cast<int>(input.size()), input.data(), written.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  bosun::Result<FieldSet> parsed = FieldSet::from_fields_v1_string(input);
  if (!parsed.ok()) return 0;
  const FieldSet& set = *parsed;
  const std::string written = set.to_fields_v1_string();

  bosun::Result<FieldSet> again = FieldSet::from_fields_v1_string(written);
  if (!again.ok()) fail("written form does not read back", input, written);
  if (!(*again == set)) fail("written form reads back to a different set", input, written);
  // Number spellings settle after one round (-0.0 is written "-0" and read back as the integer 0).
  const std::string rewritten = again->to_fields_v1_string();
  bosun::Result<FieldSet> third = FieldSet::from_fields_v1_string(rewritten);
  if (!third.ok() || third->to_fields_v1_string() != rewritten) {
    fail("written form is not stable", input, written);
  }

  bosun::Result<FieldSet> from_json = FieldSet::from_fields_v1(set.to_fields_v1());
  if (!from_json.ok() || !(*from_json == set)) fail("Json form disagrees", input, written);

  if (!(set.unite(set) == set)) fail("s | s != s", input, written);
  if (!(set.intersect(set) == set)) fail("s & s != s", input, written);
  if (!set.difference(set).empty()) fail("s - s is not empty", input, written);
  if (!set.recursive_difference(set).empty()) fail("s -- s is not empty", input, written);
  if (!(set.unite(FieldSet()) == set)) fail("s | {} != s", input, written);
  size_t paths = 0;
  set.for_each([&](std::span<const PathElement> path) {
    ++paths;
    if (!set.has(path)) fail("an iterated path is not in the set", input, written);
  });
  if (paths != set.size()) fail("size disagrees with iteration", input, written);
  if (set.empty() != (paths == 0)) fail("empty disagrees with iteration", input, written);
  return 0;
}
