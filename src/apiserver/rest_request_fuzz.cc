// Fuzzes what the REST layer reads from untrusted requests before any handler runs: the path and
// query as RequestInfo, the Accept, Content-Type and list options, protobuf bodies, and the
// stored-object codec's resourceVersion splice over arbitrary text. Nothing may crash; a splice
// into a JSON object must give a JSON object whose metadata carries the revision.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "api/registry.h"
#include "apiserver/http_message.h"
#include "apiserver/negotiation.h"
#include "apiserver/object_codec.h"
#include "apiserver/protobuf_body.h"
#include "apiserver/request_info.h"
#include "apiserver/rest_options.h"
#include "common/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bosun;
  using namespace bosun::apiserver;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string_view target = input.substr(0, nl);
  std::string_view rest = nl == std::string_view::npos ? std::string_view() : input.substr(nl + 1);

  if (auto t = parse_target(target); t.ok()) {
    for (std::string_view method : {"GET", "POST", "DELETE"}) {
      // Empty segments ("/api//x") give empty names, as Go's strings.Split does; routing turns
      // them away.
      RequestInfo info = parse_request_info(method, t->segments, t->query);
      BOSUN_CHECK(!info.is_resource_request || info.parts.size() >= 1,
                  "a resource request names a resource");
      (void)metrics_verb(info, rest);
    }
    const api::ResourceType* pods = api::ResourceRegistry::builtin().find("", "v1", "pods");
    (void)parse_list_options(t->query, *pods);
    (void)parse_write_options(t->query, "PatchOptions", true);
  }
  (void)negotiate_output(rest, true);
  (void)negotiate_body(rest);
  (void)negotiate_patch(rest);
  if (auto decoded = decode_kubernetes_protobuf(rest); decoded.ok()) {
    BOSUN_CHECK(decoded->is_object() && decoded->contains("kind"),
                "a decoded protobuf body is an object of a kind");
  }

  (void)with_resource_version(rest, 7);
  Json in = Json::parse(rest, nullptr, false);
  if (in.is_object() && in.contains("metadata") && in["metadata"].is_object() &&
      !in["metadata"].contains("resourceVersion")) {
    // Stored values come from our encoder, so the splice is checked on that form: arbitrary text
    // may repeat a key ("metadata" twice), where a parser keeps the last and the splice the first.
    Json out = Json::parse(with_resource_version(in.dump(), 7), nullptr, false);
    BOSUN_CHECK(out.is_object(), "splicing into an object gives an object");
    BOSUN_CHECK(out["metadata"]["resourceVersion"] == "7", "the revision is in the metadata");
  }
  return 0;
}
