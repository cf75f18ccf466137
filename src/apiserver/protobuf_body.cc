#include "apiserver/protobuf_body.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/time_format.h"

namespace bosun::apiserver {

namespace {

// What a field holds on the wire and in JSON.
enum class Kind {
  kString,
  kBytes,  // base64 in JSON, as Go encodes []byte
  kInt,    // int32/int64 varints
  kBool,
  kMessage,
  kStringMap,    // map<string, string>
  kBytesMap,     // map<string, bytes>
  kQuantityMap,  // map<string, Quantity>
  kIntOrString,
  kQuantity,
  kTime,  // metav1.Time: RFC 3339, absent when zero
};

struct Message;
using MessageRef = const Message& (*)();

struct Field {
  uint32_t number;
  const char* name;
  Kind kind;
  bool repeated = false;
  MessageRef message = nullptr;
  // Go pointer fields (and the few ints without omitempty) keep their zero values in JSON.
  bool keep_zero = false;
};

struct Message {
  std::vector<Field> fields;
  const Field* find(uint32_t n) const {
    for (const Field& f : fields) {
      if (f.number == n) return &f;
    }
    return nullptr;
  }
};

// ---- The messages of k8s.io/api's generated.proto that kubectl's create subcommands send.

const Message& owner_reference() {
  static const Message m{{{1, "kind", Kind::kString},
                          {3, "name", Kind::kString},
                          {4, "uid", Kind::kString},
                          {5, "apiVersion", Kind::kString},
                          {6, "controller", Kind::kBool, false, nullptr, true},
                          {7, "blockOwnerDeletion", Kind::kBool, false, nullptr, true}}};
  return m;
}

const Message& object_meta() {
  static const Message m{{{1, "name", Kind::kString},
                          {2, "generateName", Kind::kString},
                          {3, "namespace", Kind::kString},
                          {5, "uid", Kind::kString},
                          {6, "resourceVersion", Kind::kString},
                          {7, "generation", Kind::kInt},
                          {8, "creationTimestamp", Kind::kTime},
                          {10, "deletionGracePeriodSeconds", Kind::kInt, false, nullptr, true},
                          {11, "labels", Kind::kStringMap},
                          {12, "annotations", Kind::kStringMap},
                          {13, "ownerReferences", Kind::kMessage, true, owner_reference},
                          {14, "finalizers", Kind::kString, true}}};
  return m;
}

const Message& local_object_reference() {
  static const Message m{{{1, "name", Kind::kString}}};
  return m;
}

const Message& label_selector_requirement() {
  static const Message m{{{1, "key", Kind::kString},
                          {2, "operator", Kind::kString},
                          {3, "values", Kind::kString, true}}};
  return m;
}

const Message& label_selector() {
  static const Message m{
      {{1, "matchLabels", Kind::kStringMap},
       {2, "matchExpressions", Kind::kMessage, true, label_selector_requirement}}};
  return m;
}

const Message& container_port() {
  static const Message m{{{1, "name", Kind::kString},
                          {2, "hostPort", Kind::kInt},
                          {3, "containerPort", Kind::kInt, false, nullptr, true},
                          {4, "protocol", Kind::kString},
                          {5, "hostIP", Kind::kString}}};
  return m;
}

const Message& env_var() {
  static const Message m{{{1, "name", Kind::kString}, {2, "value", Kind::kString}}};
  return m;
}

const Message& resource_requirements() {
  static const Message m{{{1, "limits", Kind::kQuantityMap}, {2, "requests", Kind::kQuantityMap}}};
  return m;
}

const Message& container() {
  static const Message m{{{1, "name", Kind::kString},
                          {2, "image", Kind::kString},
                          {3, "command", Kind::kString, true},
                          {4, "args", Kind::kString, true},
                          {5, "workingDir", Kind::kString},
                          {6, "ports", Kind::kMessage, true, container_port},
                          {7, "env", Kind::kMessage, true, env_var},
                          {8, "resources", Kind::kMessage, false, resource_requirements},
                          {13, "terminationMessagePath", Kind::kString},
                          {14, "imagePullPolicy", Kind::kString},
                          {16, "stdin", Kind::kBool},
                          {17, "stdinOnce", Kind::kBool},
                          {18, "tty", Kind::kBool},
                          {20, "terminationMessagePolicy", Kind::kString}}};
  return m;
}

const Message& pod_spec() {
  static const Message m{{{2, "containers", Kind::kMessage, true, container},
                          {3, "restartPolicy", Kind::kString},
                          {4, "terminationGracePeriodSeconds", Kind::kInt, false, nullptr, true},
                          {6, "dnsPolicy", Kind::kString},
                          {7, "nodeSelector", Kind::kStringMap},
                          {8, "serviceAccountName", Kind::kString},
                          {10, "nodeName", Kind::kString},
                          {11, "hostNetwork", Kind::kBool},
                          {15, "imagePullSecrets", Kind::kMessage, true, local_object_reference},
                          {19, "schedulerName", Kind::kString},
                          {20, "initContainers", Kind::kMessage, true, container}}};
  return m;
}

const Message& pod_template_spec() {
  static const Message m{{{1, "metadata", Kind::kMessage, false, object_meta},
                          {2, "spec", Kind::kMessage, false, pod_spec}}};
  return m;
}

const Message& rolling_update_deployment() {
  static const Message m{
      {{1, "maxUnavailable", Kind::kIntOrString}, {2, "maxSurge", Kind::kIntOrString}}};
  return m;
}

const Message& deployment_strategy() {
  static const Message m{{{1, "type", Kind::kString},
                          {2, "rollingUpdate", Kind::kMessage, false, rolling_update_deployment}}};
  return m;
}

const Message& deployment_spec() {
  static const Message m{{{1, "replicas", Kind::kInt, false, nullptr, true},
                          {2, "selector", Kind::kMessage, false, label_selector},
                          {3, "template", Kind::kMessage, false, pod_template_spec},
                          {4, "strategy", Kind::kMessage, false, deployment_strategy},
                          {5, "minReadySeconds", Kind::kInt},
                          {6, "revisionHistoryLimit", Kind::kInt, false, nullptr, true},
                          {7, "paused", Kind::kBool},
                          {9, "progressDeadlineSeconds", Kind::kInt, false, nullptr, true}}};
  return m;
}

const Message& service_port() {
  static const Message m{{{1, "name", Kind::kString},
                          {2, "protocol", Kind::kString},
                          {3, "port", Kind::kInt, false, nullptr, true},
                          {4, "targetPort", Kind::kIntOrString},
                          {5, "nodePort", Kind::kInt}}};
  return m;
}

const Message& service_spec() {
  static const Message m{{{1, "ports", Kind::kMessage, true, service_port},
                          {2, "selector", Kind::kStringMap},
                          {3, "clusterIP", Kind::kString},
                          {4, "type", Kind::kString},
                          {5, "externalIPs", Kind::kString, true},
                          {7, "sessionAffinity", Kind::kString},
                          {10, "externalName", Kind::kString}}};
  return m;
}

const Message& namespace_spec() {
  static const Message m{{{1, "finalizers", Kind::kString, true}}};
  return m;
}

const Message& policy_rule() {
  static const Message m{{{1, "verbs", Kind::kString, true},
                          {2, "apiGroups", Kind::kString, true},
                          {3, "resources", Kind::kString, true},
                          {4, "resourceNames", Kind::kString, true},
                          {5, "nonResourceURLs", Kind::kString, true}}};
  return m;
}

const Message& subject() {
  static const Message m{{{1, "kind", Kind::kString},
                          {2, "apiGroup", Kind::kString},
                          {3, "name", Kind::kString},
                          {4, "namespace", Kind::kString}}};
  return m;
}

const Message& role_ref() {
  static const Message m{
      {{1, "apiGroup", Kind::kString}, {2, "kind", Kind::kString}, {3, "name", Kind::kString}}};
  return m;
}

const Message& resource_quota_spec() {
  static const Message m{{{1, "hard", Kind::kQuantityMap}, {2, "scopes", Kind::kString, true}}};
  return m;
}

// Top-level kinds: metadata is field 1 in every one.
struct TopLevel {
  const char* api_version;
  const char* kind;
  std::vector<Field> fields;
};

const std::vector<TopLevel>& top_levels() {
  static const std::vector<TopLevel> kinds = [] {
    Field meta{1, "metadata", Kind::kMessage, false, object_meta};
    std::vector<TopLevel> v;
    v.push_back({"v1", "Namespace", {meta, {2, "spec", Kind::kMessage, false, namespace_spec}}});
    v.push_back({"v1",
                 "ConfigMap",
                 {meta,
                  {2, "data", Kind::kStringMap},
                  {3, "binaryData", Kind::kBytesMap},
                  {4, "immutable", Kind::kBool, false, nullptr, true}}});
    v.push_back({"v1",
                 "Secret",
                 {meta,
                  {2, "data", Kind::kBytesMap},
                  {3, "type", Kind::kString},
                  {4, "stringData", Kind::kStringMap},
                  {5, "immutable", Kind::kBool, false, nullptr, true}}});
    v.push_back({"v1",
                 "ServiceAccount",
                 {meta,
                  {3, "imagePullSecrets", Kind::kMessage, true, local_object_reference},
                  {4, "automountServiceAccountToken", Kind::kBool, false, nullptr, true}}});
    v.push_back({"v1", "Service", {meta, {2, "spec", Kind::kMessage, false, service_spec}}});
    v.push_back(
        {"v1", "ResourceQuota", {meta, {2, "spec", Kind::kMessage, false, resource_quota_spec}}});
    v.push_back(
        {"apps/v1", "Deployment", {meta, {2, "spec", Kind::kMessage, false, deployment_spec}}});
    for (const char* k : {"Role", "ClusterRole"}) {
      v.push_back({"rbac.authorization.k8s.io/v1",
                   k,
                   {meta, {2, "rules", Kind::kMessage, true, policy_rule}}});
    }
    for (const char* k : {"RoleBinding", "ClusterRoleBinding"}) {
      v.push_back({"rbac.authorization.k8s.io/v1",
                   k,
                   {meta,
                    {2, "subjects", Kind::kMessage, true, subject},
                    {3, "roleRef", Kind::kMessage, false, role_ref}}});
    }
    return v;
  }();
  return kinds;
}

// ---- The wire format.

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }

  bool varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      uint8_t b = static_cast<uint8_t>(data_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        *out = v;
        return true;
      }
    }
    return false;
  }
  bool bytes(std::string_view* out) {
    uint64_t n = 0;
    if (!varint(&n) || n > data_.size() - pos_) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(uint32_t wire_type) {
    uint64_t ignored = 0;
    std::string_view ignored_bytes;
    switch (wire_type) {
      case 0:
        return varint(&ignored);
      case 1:
        return advance(8);
      case 2:
        return bytes(&ignored_bytes);
      case 5:
        return advance(4);
      default:
        return false;
    }
  }

 private:
  bool advance(size_t n) {
    if (n > data_.size() - pos_) return false;
    pos_ += n;
    return true;
  }
  std::string_view data_;
  size_t pos_ = 0;
};

Error malformed() {
  return make_error(ErrorCode::kBadRequest,
                    "the object provided is unrecognized: malformed protobuf body");
}

std::string base64(std::string_view in) {
  static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(n >> s) & 0x3f];
  }
  if (i + 1 == in.size()) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    out += kAlphabet[(n >> 18) & 0x3f];
    out += kAlphabet[(n >> 12) & 0x3f];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 0x3f];
    out += kAlphabet[(n >> 12) & 0x3f];
    out += kAlphabet[(n >> 6) & 0x3f];
    out += '=';
  }
  return out;
}

Result<Json> decode_fields(const std::vector<Field>& fields, std::string_view data, int depth);

Result<Json> decode_message(const Message& m, std::string_view data, int depth) {
  return decode_fields(m.fields, data, depth);
}

// {key 1, value 2} map entries; `value_kind` decides what the value is.
Result<std::pair<std::string, Json>> decode_entry(std::string_view data, Kind value_kind) {
  Reader r(data);
  std::string key;
  Json value = value_kind == Kind::kBytesMap ? Json("") : Json("");
  while (!r.done()) {
    uint64_t tag = 0;
    if (!r.varint(&tag)) return malformed();
    uint32_t number = static_cast<uint32_t>(tag >> 3), wire = tag & 7;
    std::string_view b;
    if ((number == 1 || number == 2) && wire == 2) {
      if (!r.bytes(&b)) return malformed();
      if (number == 1) {
        key = std::string(b);
      } else if (value_kind == Kind::kBytesMap) {
        value = base64(b);
      } else if (value_kind == Kind::kQuantityMap) {
        Reader q(b);
        while (!q.done()) {
          uint64_t qt = 0;
          if (!q.varint(&qt)) return malformed();
          std::string_view s;
          if ((qt >> 3) == 1 && (qt & 7) == 2) {
            if (!q.bytes(&s)) return malformed();
            value = std::string(s);
          } else if (!q.skip(qt & 7)) {
            return malformed();
          }
        }
      } else {
        value = std::string(b);
      }
    } else if (!r.skip(wire)) {
      return malformed();
    }
  }
  return std::pair<std::string, Json>(std::move(key), std::move(value));
}

Result<Json> decode_fields(const std::vector<Field>& fields, std::string_view data, int depth) {
  if (depth > 32) return malformed();
  Json out = Json::object();
  Reader r(data);
  while (!r.done()) {
    uint64_t tag = 0;
    if (!r.varint(&tag)) return malformed();
    uint32_t number = static_cast<uint32_t>(tag >> 3), wire = tag & 7;
    const Field* f = nullptr;
    for (const Field& candidate : fields) {
      if (candidate.number == number) f = &candidate;
    }
    bool want_bytes = f && f->kind != Kind::kInt && f->kind != Kind::kBool;
    if (f == nullptr || (want_bytes && wire != 2) || (!want_bytes && wire != 0)) {
      if (!r.skip(wire)) return malformed();
      continue;
    }
    Json value;
    if (!want_bytes) {
      uint64_t v = 0;
      if (!r.varint(&v)) return malformed();
      if (f->kind == Kind::kBool) {
        value = v != 0;
        if (!f->keep_zero && !f->repeated && v == 0) continue;
      } else {
        value = static_cast<int64_t>(v);
        if (!f->keep_zero && !f->repeated && v == 0) continue;
      }
    } else {
      std::string_view b;
      if (!r.bytes(&b)) return malformed();
      switch (f->kind) {
        case Kind::kString:
          if (!f->repeated && b.empty()) continue;
          value = std::string(b);
          break;
        case Kind::kBytes:
          value = base64(b);
          break;
        case Kind::kMessage: {
          BOSUN_ASSIGN_OR_RETURN(value, decode_message(f->message(), b, depth + 1));
          break;
        }
        case Kind::kStringMap:
        case Kind::kBytesMap:
        case Kind::kQuantityMap: {
          BOSUN_ASSIGN_OR_RETURN(auto entry, decode_entry(b, f->kind));
          Json& map = out[f->name];
          if (!map.is_object()) map = Json::object();
          map[entry.first] = std::move(entry.second);
          continue;
        }
        case Kind::kIntOrString: {
          static const Message ios{
              {{1, "type", Kind::kInt}, {2, "intVal", Kind::kInt}, {3, "strVal", Kind::kString}}};
          BOSUN_ASSIGN_OR_RETURN(Json parts, decode_message(ios, b, depth + 1));
          if (parts.value("type", int64_t{0}) == 1) {
            value = parts.value("strVal", std::string());
          } else {
            value = parts.value("intVal", int64_t{0});
          }
          break;
        }
        case Kind::kQuantity: {
          static const Message q{{{1, "string", Kind::kString}}};
          BOSUN_ASSIGN_OR_RETURN(Json parts, decode_message(q, b, depth + 1));
          value = parts.value("string", std::string());
          break;
        }
        case Kind::kTime: {
          static const Message t{{{1, "seconds", Kind::kInt}, {2, "nanos", Kind::kInt}}};
          BOSUN_ASSIGN_OR_RETURN(Json parts, decode_message(t, b, depth + 1));
          int64_t seconds = parts.value("seconds", int64_t{0});
          if (seconds == 0 && parts.value("nanos", int64_t{0}) == 0) continue;
          value =
              format_rfc3339(std::chrono::system_clock::time_point(std::chrono::seconds(seconds)));
          break;
        }
        default:
          break;
      }
    }
    if (f->repeated) {
      Json& list = out[f->name];
      if (!list.is_array()) list = Json::array();
      list.push_back(std::move(value));
    } else {
      out[f->name] = std::move(value);
    }
  }
  return out;
}

}  // namespace

Result<Json> decode_kubernetes_protobuf(std::string_view body) {
  constexpr std::string_view kMagic("k8s\0", 4);
  if (!body.starts_with(kMagic)) return malformed();
  // runtime.Unknown: typeMeta 1 {apiVersion 1, kind 2}, raw 2, contentEncoding 3, contentType 4.
  static const Message type_meta{{{1, "apiVersion", Kind::kString}, {2, "kind", Kind::kString}}};
  Reader r(body.substr(kMagic.size()));
  std::string api_version, kind;
  std::string_view raw;
  while (!r.done()) {
    uint64_t tag = 0;
    if (!r.varint(&tag)) return malformed();
    uint32_t number = static_cast<uint32_t>(tag >> 3), wire = tag & 7;
    std::string_view b;
    if (wire == 2 && (number == 1 || number == 2 || number == 3)) {
      if (!r.bytes(&b)) return malformed();
      if (number == 1) {
        BOSUN_ASSIGN_OR_RETURN(Json tm, decode_message(type_meta, b, 0));
        api_version = tm.value("apiVersion", std::string());
        kind = tm.value("kind", std::string());
      } else if (number == 2) {
        raw = b;
      } else if (!b.empty()) {
        // A compressed body (contentEncoding gzip) is not something kubectl sends.
        return make_error(ErrorCode::kUnsupportedMediaType,
                          fmt::format("unsupported protobuf content encoding {}", b));
      }
    } else if (!r.skip(wire)) {
      return malformed();
    }
  }
  for (const TopLevel& t : top_levels()) {
    if (api_version != t.api_version || kind != t.kind) continue;
    BOSUN_ASSIGN_OR_RETURN(Json obj, decode_fields(t.fields, raw, 0));
    obj["apiVersion"] = api_version;
    obj["kind"] = kind;
    return obj;
  }
  return make_error(ErrorCode::kUnsupportedMediaType,
                    fmt::format("the body of the request was in an unknown format - accepted media "
                                "types include: application/json, application/yaml (no protobuf "
                                "decoding for {} {})",
                                api_version, kind));
}

}  // namespace bosun::apiserver
