#include "apiserver/negotiation.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <vector>

namespace bosun::apiserver {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

struct MediaRange {
  std::string type;     // "application"
  std::string subtype;  // "json"
  std::vector<std::pair<std::string, std::string>> params;
  double q = 1.0;
  size_t order = 0;

  std::string_view param(std::string_view key) const {
    for (const auto& [k, v] : params) {
      if (k == key) return v;
    }
    return {};
  }
};

// goautoneg's ParseAccept: comma-separated ranges with ;-separated parameters, q pulled out.
std::vector<MediaRange> parse_accept(std::string_view accept) {
  std::vector<MediaRange> out;
  size_t order = 0;
  while (!accept.empty()) {
    size_t comma = accept.find(',');
    std::string_view item = trim(accept.substr(0, comma));
    accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
    if (item.empty()) continue;
    MediaRange r;
    r.order = order++;
    size_t semi = item.find(';');
    std::string_view mt = trim(item.substr(0, semi));
    size_t slash = mt.find('/');
    if (slash == std::string_view::npos) continue;
    r.type = lower(trim(mt.substr(0, slash)));
    r.subtype = lower(trim(mt.substr(slash + 1)));
    std::string_view rest =
        semi == std::string_view::npos ? std::string_view() : item.substr(semi + 1);
    while (!rest.empty()) {
      size_t s = rest.find(';');
      std::string_view p = trim(rest.substr(0, s));
      rest = s == std::string_view::npos ? std::string_view() : rest.substr(s + 1);
      size_t eq = p.find('=');
      if (eq == std::string_view::npos) continue;
      std::string key = lower(trim(p.substr(0, eq)));
      std::string value(trim(p.substr(eq + 1)));
      if (key == "q") {
        r.q = std::strtod(value.c_str(), nullptr);
      } else {
        r.params.emplace_back(std::move(key), std::move(value));
      }
    }
    out.push_back(std::move(r));
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const MediaRange& a, const MediaRange& b) { return a.q > b.q; });
  return out;
}

// What one range asks for, if Bosun can serve it.
std::optional<OutputFormat> servable(const MediaRange& r, bool allow_meta_forms) {
  if (r.q <= 0) return std::nullopt;
  bool json = r.type == "application" && r.subtype == "json";
  bool yaml = r.type == "application" && r.subtype == "yaml";
  bool any = (r.type == "*" && r.subtype == "*") || (r.type == "application" && r.subtype == "*");
  std::string_view as = r.param("as");
  if (!as.empty()) {
    // A conversion target: Kubernetes honours it only on JSON (and protobuf, not served here).
    if (!json || !allow_meta_forms) return std::nullopt;
    std::string_view g = r.param("g");
    std::string_view v = r.param("v");
    if (g != "meta.k8s.io" || (v != "v1" && v != "v1beta1")) return std::nullopt;
    OutputFormat f;
    f.meta_version = std::string(v);
    if (as == "Table") {
      f.kind = OutputKind::kTable;
    } else if (as == "PartialObjectMetadata" || as == "PartialObjectMetadataList") {
      f.kind = OutputKind::kPartialObjectMetadata;
    } else {
      return std::nullopt;
    }
    return f;
  }
  if (json || any) return OutputFormat{};
  if (yaml) return OutputFormat{OutputKind::kObject, true, ""};
  return std::nullopt;
}

}  // namespace

Result<OutputFormat> negotiate_output(std::string_view accept, bool allow_meta_forms) {
  if (trim(accept).empty()) return OutputFormat{};
  for (const MediaRange& r : parse_accept(accept)) {
    if (auto f = servable(r, allow_meta_forms)) return *f;
  }
  // NewNotAcceptableError lists what the endpoint's serializers support.
  return make_error(ErrorCode::kNotAcceptable,
                    "only the following media types are accepted: application/json, "
                    "application/yaml");
}

std::string media_type_of(std::string_view content_type) {
  size_t semi = content_type.find(';');
  return lower(trim(content_type.substr(0, semi)));
}

Result<BodyFormat> negotiate_body(std::string_view content_type) {
  std::string mt = media_type_of(content_type);
  if (mt.empty() || mt == "application/json") return BodyFormat::kJson;
  if (mt == "application/yaml") return BodyFormat::kYaml;
  if (mt == "application/vnd.kubernetes.protobuf") return BodyFormat::kProtobuf;
  return make_error(ErrorCode::kUnsupportedMediaType,
                    "the body of the request was in an unknown format - accepted media types "
                    "include: application/json, application/yaml");
}

Result<PatchType> negotiate_patch(std::string_view content_type) {
  std::string mt = media_type_of(content_type);
  if (mt == "application/json-patch+json") return PatchType::kJsonPatch;
  if (mt == "application/merge-patch+json") return PatchType::kMergePatch;
  if (mt == "application/strategic-merge-patch+json") return PatchType::kStrategicMergePatch;
  if (mt == "application/apply-patch+yaml") return PatchType::kApply;
  return make_error(ErrorCode::kUnsupportedMediaType,
                    "the body of the request was in an unknown format - accepted media types "
                    "include: application/json-patch+json, application/merge-patch+json, "
                    "application/apply-patch+yaml, application/strategic-merge-patch+json");
}

}  // namespace bosun::apiserver
