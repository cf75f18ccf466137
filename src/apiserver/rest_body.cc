// Decoding a request body for its endpoint, as Kubernetes' create/update handlers decode: the
// apiVersion and kind default to the endpoint's and must name it (with upstream's words when they
// do not), values of the wrong type fail decoding, and unknown or duplicate fields fail
// (fieldValidation=Strict), become Warning headers (Warn) or pass (Ignore).
#include <fmt/format.h>

#include "api/decode.h"
#include "api/schema_validation.h"
#include "apiserver/api_errors.h"
#include "apiserver/protobuf_body.h"
#include "apiserver/rest_core.h"

namespace bosun::apiserver {

namespace {

std::pair<std::string, std::string> split_api_version(std::string_view av) {
  size_t slash = av.find('/');
  if (slash == std::string_view::npos) return {"", std::string(av)};
  return {std::string(av.substr(0, slash)), std::string(av.substr(slash + 1))};
}

std::string_view string_member(const Json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return {};
  return it->get_ref<const std::string&>();
}

// summarizeData: the first bytes of the body, hex-encoded, as transformDecodeError shows them.
std::string summarize(std::string_view body) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  size_t n = std::min<size_t>(body.size(), 30);
  for (size_t i = 0; i < n; ++i) {
    out += kHex[static_cast<unsigned char>(body[i]) >> 4];
    out += kHex[static_cast<unsigned char>(body[i]) & 0xf];
  }
  if (body.size() > 30) out += " ...";
  return out;
}

// Removes the member a validate_fields path names ("spec.containers[0].imagee"). Map keys in such
// paths may hold dots themselves, so each step takes whichever key the object actually has.
bool prune_path(Json& node, std::string_view path) {
  if (path.empty()) return false;
  if (path.front() == '[') {
    size_t close = path.find(']');
    if (close == std::string_view::npos || !node.is_array()) return false;
    size_t index = 0;
    for (char c : path.substr(1, close - 1)) {
      if (c < '0' || c > '9') return false;
      index = index * 10 + static_cast<size_t>(c - '0');
    }
    if (index >= node.size()) return false;
    std::string_view rest = path.substr(close + 1);
    if (rest.starts_with('.')) rest.remove_prefix(1);
    return prune_path(node[index], rest);
  }
  if (!node.is_object()) return false;
  if (auto it = node.find(std::string(path)); it != node.end()) {
    node.erase(it);
    return true;
  }
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '.' && path[i] != '[') continue;
    auto it = node.find(std::string(path.substr(0, i)));
    if (it == node.end()) continue;
    std::string_view rest = path.substr(path[i] == '.' ? i + 1 : i);
    if (prune_path(*it, rest)) return true;
  }
  return false;
}

}  // namespace

void drop_unknown_fields(Json& obj, const std::vector<std::string>& paths) {
  for (const std::string& p : paths) prune_path(obj, p);
}

Result<Json> decode_body(RestRequest& r, const api::GroupVersionKind& expected,
                         const api::SchemaType* schema, FieldValidation validation) {
  BOSUN_ASSIGN_OR_RETURN(BodyFormat format, negotiate_body(r.req().header("Content-Type")));
  api::DecodeOptions dopts;
  dopts.fail_on_duplicates = false;
  Result<api::Decoded> decoded = make_error(ErrorCode::kInternal, "not decoded");
  if (format == BodyFormat::kProtobuf) {
    BOSUN_ASSIGN_OR_RETURN(Json value, decode_kubernetes_protobuf(r.req().body));
    decoded = api::Decoded{std::move(value), {}};
  } else {
    decoded = api::decode_document(r.req().body, dopts);
  }
  if (!decoded.ok() || !decoded->value.is_object()) {
    std::string detail =
        decoded.ok() ? "Object 'Kind' is missing in '" + r.req().body + "'"
                     : "couldn't get version/kind; json parse error: " + decoded.error().message;
    return bad_request_error(
        fmt::format("the object provided is unrecognized (must be of type "
                    "{}): {} ({})",
                    expected.kind, detail, summarize(r.req().body)));
  }
  Json obj = std::move(decoded->value);

  // gvkWithDefaults: a missing apiVersion or kind is the endpoint's.
  std::string av(string_member(obj, "apiVersion"));
  std::string kind(string_member(obj, "kind"));
  if (av.empty()) av = expected.api_version();
  if (kind.empty()) kind = expected.kind;
  auto [group, version] = split_api_version(av);
  if (group != expected.group || version != expected.version || kind != expected.kind) {
    const api::SchemaType* data_type = api::SchemaSet::global().find(group, version, kind);
    if (data_type == nullptr) {
      return bad_request_error(fmt::format(
          "{} in version {} cannot be handled as a {}: no kind {} is registered for version {} "
          "in scheme \"pkg/api/legacyscheme/scheme.go:30\"",
          kind, go_quote(version), expected.kind, go_quote(kind), go_quote(av)));
    }
    if (kind == expected.kind && group != expected.group) {
      // The same kind from another group converts (events.k8s.io Events to core ones), and then
      // the handler refuses the group version.
      return bad_request_error(
          fmt::format("the API version in the data ({}) does not match the "
                      "expected API version ({})",
                      av, expected.api_version()));
    }
    std::string package = expected.group.empty() || expected.group == "events.k8s.io"
                              ? "core"
                              : expected.group.substr(0, expected.group.find('.'));
    return bad_request_error(fmt::format(
        "{} in version {} cannot be handled as a {}: converting ({}.{}) to ({}.{}): unknown "
        "conversion",
        kind, go_quote(version), expected.kind, version, kind, package, expected.kind));
  }
  obj["apiVersion"] = av;
  obj["kind"] = kind;

  if (schema != nullptr) {
    api::FieldValidationResult res = api::validate_fields(obj, *schema);
    if (!res.type_errors.empty()) {
      return bad_request_error(
          api::cannot_handle_message(kind, version, res.type_errors.front().message));
    }
    if (validation != FieldValidation::kIgnore) {
      std::vector<std::string> problems;
      for (const std::string& f : res.unknown_fields) {
        problems.push_back(api::unknown_field_message(f));
      }
      for (const std::string& f : decoded->duplicate_fields) {
        problems.push_back(api::duplicate_field_message(f));
      }
      if (!problems.empty()) {
        if (validation == FieldValidation::kStrict) {
          return bad_request_error(
              api::cannot_handle_message(kind, version, api::strict_decoding_message(problems)));
        }
        for (std::string& p : problems) r.warnings.push_back(std::move(p));
      }
    }
    // Decoding into Go structs drops what they do not declare, whatever the validation mode.
    drop_unknown_fields(obj, res.unknown_fields);
  }
  return obj;
}

}  // namespace bosun::apiserver
