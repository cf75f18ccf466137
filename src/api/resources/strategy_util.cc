#include "api/resources/strategy_util.h"

#include <algorithm>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>

#include "api/object_meta.h"
#include "api/quantity.h"
#include "api/validation.h"

namespace bosun::api::resources {

// ---- JSON access
// ---------------------------------------------------------------------------------------

const Json& empty_array() {
  static const Json* const kEmpty = new Json(Json::array());
  return *kEmpty;
}

const Json& empty_object() {
  static const Json* const kEmpty = new Json(Json::object());
  return *kEmpty;
}

const Json* get(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

const Json* get_path(const Json& obj, std::initializer_list<std::string_view> keys) {
  const Json* v = &obj;
  for (std::string_view k : keys) {
    v = get(*v, k);
    if (v == nullptr) return nullptr;
  }
  return v;
}

std::string_view as_string(const Json* v) {
  if (v == nullptr || !v->is_string()) return {};
  return v->get_ref<const std::string&>();
}

std::string_view get_string(const Json& obj, std::string_view key) {
  return as_string(get(obj, key));
}

std::optional<int64_t> get_int(const Json& obj, std::string_view key) {
  const Json* v = get(obj, key);
  if (v == nullptr) return std::nullopt;
  return json_int(*v);
}

std::optional<int64_t> json_int(const Json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) {
    // Out-of-range doubles have no int64 value (and converting them would be undefined).
    double d = v.get<double>();
    if (!(d >= -9.2e18 && d <= 9.2e18)) return std::nullopt;
    return static_cast<int64_t>(d);
  }
  return std::nullopt;
}

bool get_bool(const Json& obj, std::string_view key) {
  const Json* v = get(obj, key);
  return v != nullptr && v->is_boolean() && v->get<bool>();
}

const Json& get_array(const Json& obj, std::string_view key) {
  const Json* v = get(obj, key);
  return v != nullptr && v->is_array() ? *v : empty_array();
}

const Json& get_object(const Json& obj, std::string_view key) {
  const Json* v = get(obj, key);
  return v != nullptr && v->is_object() ? *v : empty_object();
}

Json& ensure_object(Json& obj, std::string_view key) {
  Json& v = obj[std::string(key)];
  if (!v.is_object()) v = Json::object();
  return v;
}

void set_default(Json& obj, std::string_view key, Json value) {
  if (!obj.is_object()) return;
  auto it = obj.find(key);
  if (it == obj.end()) {
    obj.emplace(std::string(key), std::move(value));
  } else if (it->is_null()) {
    *it = std::move(value);
  }
}

void set_default_string(Json& obj, std::string_view key, std::string_view value) {
  if (!obj.is_object()) return;
  auto it = obj.find(key);
  if (it == obj.end()) {
    obj.emplace(std::string(key), std::string(value));
  } else if (it->is_null() || (it->is_string() && it->get_ref<const std::string&>().empty())) {
    *it = std::string(value);
  }
}

namespace {

bool is_nil_like(const Json& v) {
  return v.is_null() || (v.is_array() && v.empty()) || (v.is_object() && v.empty());
}

}  // namespace

bool semantic_equal(const Json& a, const Json& b) {
  if (is_nil_like(a) && is_nil_like(b)) return true;
  if (a.type() != b.type()) {
    // 1 and 1.0 are the same number to Go's decoder.
    if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
    return false;
  }
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      auto jt = b.find(it.key());
      if (jt == b.end()) {
        if (!is_nil_like(*it)) return false;
      } else if (!semantic_equal(*it, *jt)) {
        return false;
      }
    }
    for (auto jt = b.begin(); jt != b.end(); ++jt) {
      if (!a.contains(jt.key()) && !is_nil_like(*jt)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!semantic_equal(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

// ---- Field paths
// ---------------------------------------------------------------------------------------

std::string child_path(std::string_view parent, std::string_view name) {
  if (parent.empty()) return std::string(name);
  std::string out;
  out.reserve(parent.size() + 1 + name.size());
  out.append(parent).push_back('.');
  out.append(name);
  return out;
}

std::string index_path(std::string_view parent, size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

std::string key_path(std::string_view parent, std::string_view key) {
  return fmt::format("{}[{}]", parent, key);
}

// ---- Validators
// ----------------------------------------------------------------------------------------

void validate_dns1123_label(std::string_view value, const std::string& path, FieldErrors& errs) {
  if (dns1123_label_ok(value)) return;
  for (auto& msg : is_dns1123_label(value)) errs.invalid(path, std::string(value), std::move(msg));
}

void validate_dns1123_subdomain(std::string_view value, const std::string& path,
                                FieldErrors& errs) {
  if (dns1123_subdomain_ok(value)) return;
  for (auto& msg : is_dns1123_subdomain(value)) {
    errs.invalid(path, std::string(value), std::move(msg));
  }
}

void validate_qualified_name(std::string_view value, const std::string& path, FieldErrors& errs) {
  if (qualified_name_ok(value)) return;
  for (auto& msg : is_qualified_name(value)) errs.invalid(path, std::string(value), std::move(msg));
}

void validate_nonnegative(int64_t value, const std::string& path, FieldErrors& errs) {
  if (value < 0) errs.invalid(path, value, "must be greater than or equal to 0");
}

void validate_immutable(const Json* new_value, const Json* old_value, const std::string& path,
                        FieldErrors& errs) {
  const Json& n = new_value != nullptr ? *new_value : empty_object();
  const Json& o = old_value != nullptr ? *old_value : empty_object();
  if (semantic_equal(n, o)) return;
  errs.invalid(path, new_value != nullptr ? *new_value : Json(nullptr), "field is immutable");
}

namespace {

bool config_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

// validation.hasChDirPrefix.
void chdir_prefix_errors(std::string_view value, std::vector<std::string>& errs) {
  if (value == ".") {
    errs.emplace_back("must not be '.'");
  } else if (value == "..") {
    errs.emplace_back("must not be '..'");
  } else if (value.substr(0, 2) == "..") {
    errs.emplace_back("must not start with '..'");
  }
}

}  // namespace

std::vector<std::string> is_config_map_key(std::string_view value) {
  std::vector<std::string> errs;
  if (value.size() > kDns1123SubdomainMaxLength) {
    errs.push_back(max_len_error(kDns1123SubdomainMaxLength));
  }
  bool ok = !value.empty();
  for (char c : value) ok = ok && config_key_char(c);
  if (!ok) {
    errs.push_back(
        regex_error("a valid config key must consist of alphanumeric characters, '-', "
                    "'_' or '.'",
                    "[-._a-zA-Z0-9]+", {"key.name", "KEY_NAME", "key-name"}));
  }
  chdir_prefix_errors(value, errs);
  return errs;
}

std::vector<std::string> is_relaxed_env_var_name(std::string_view value) {
  std::vector<std::string> errs;
  if (value.empty()) errs.push_back("environment variable name " + empty_error());
  for (unsigned char c : value) {
    // unicode.IsPrint over ASCII is 0x20..0x7e; '=' separates name from value.
    if (c < 0x20 || c > 0x7e || c == '=') {
      errs.emplace_back(
          "a valid environment variable name must consist only of printable ASCII characters "
          "other than '='");
      break;
    }
  }
  return errs;
}

namespace {

bool standard_finalizer(std::string_view name) {
  return name == kFinalizerKubernetes || name == kFinalizerOrphanDependents ||
         name == kFinalizerDeleteDependents;
}

void validate_kube_finalizer_name(std::string_view name, const std::string& path,
                                  FieldErrors& errs) {
  if (name.find('/') == std::string_view::npos && !standard_finalizer(name)) {
    errs.invalid(path, std::string(name),
                 "name is neither a standard finalizer name nor is it fully qualified");
  }
}

}  // namespace

void validate_kube_finalizer_names(const Json& obj, FieldErrors& errs) {
  const Json* meta = get(obj, "metadata");
  if (meta == nullptr) return;
  const Json& fins = get_array(*meta, "finalizers");
  for (size_t i = 0; i < fins.size(); ++i) {
    if (!fins[i].is_string()) continue;
    validate_kube_finalizer_name(fins[i].get_ref<const std::string&>(),
                                 index_path("metadata.finalizers", i), errs);
  }
}

void validate_finalizer_name(std::string_view name, const std::string& path, FieldErrors& errs) {
  validate_qualified_name(name, path, errs);
  validate_kube_finalizer_name(name, path, errs);
}

namespace {

std::optional<std::array<uint8_t, 4>> parse_ipv4(std::string_view s) {
  std::array<uint8_t, 4> out{};
  for (int i = 0; i < 4; ++i) {
    size_t dot = s.find('.');
    std::string_view part = i < 3 ? s.substr(0, dot) : s;
    if ((i < 3 && dot == std::string_view::npos) || part.empty() || part.size() > 3) {
      return std::nullopt;
    }
    int v = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    if (v > 255) return std::nullopt;
    out[i] = static_cast<uint8_t>(v);
    if (i < 3) s.remove_prefix(dot + 1);
  }
  return out;
}

std::optional<std::array<uint8_t, 16>> parse_ipv6(std::string_view s) {
  std::array<uint8_t, 16> out{};
  std::vector<uint16_t> head, tail;
  bool gap = false;
  std::vector<uint16_t>* cur = &head;
  size_t words = 0;
  if (s.substr(0, 2) == "::") {
    gap = true;
    cur = &tail;
    s.remove_prefix(2);
  }
  while (!s.empty()) {
    size_t colon = s.find(':');
    std::string_view part = s.substr(0, colon);
    if (part.find('.') != std::string_view::npos) {
      // An embedded IPv4 address ends the text.
      auto v4 = parse_ipv4(part);
      if (!v4 || colon != std::string_view::npos) return std::nullopt;
      cur->push_back(uint16_t((*v4)[0] << 8 | (*v4)[1]));
      cur->push_back(uint16_t((*v4)[2] << 8 | (*v4)[3]));
      s = {};
      break;
    }
    if (part.empty() || part.size() > 4) return std::nullopt;
    uint16_t v = 0;
    for (char c : part) {
      int d = (c >= '0' && c <= '9')   ? c - '0'
              : (c >= 'a' && c <= 'f') ? c - 'a' + 10
              : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                                       : -1;
      if (d < 0) return std::nullopt;
      v = uint16_t(v << 4 | d);
    }
    cur->push_back(v);
    if (colon == std::string_view::npos) break;
    s.remove_prefix(colon + 1);
    if (s.substr(0, 1) == ":") {
      if (gap) return std::nullopt;
      gap = true;
      cur = &tail;
      s.remove_prefix(1);
    } else if (s.empty()) {
      return std::nullopt;
    }
  }
  words = head.size() + tail.size();
  if (words > 8 || (!gap && words != 8) || (gap && words == 8)) return std::nullopt;
  size_t i = 0;
  for (uint16_t w : head) {
    out[i++] = uint8_t(w >> 8);
    out[i++] = uint8_t(w);
  }
  i = 16 - tail.size() * 2;
  for (uint16_t w : tail) {
    out[i++] = uint8_t(w >> 8);
    out[i++] = uint8_t(w);
  }
  return out;
}

}  // namespace

std::optional<std::array<uint8_t, 16>> parse_ip(std::string_view text, bool* is_v4) {
  if (text.find(':') == std::string_view::npos) {
    auto v4 = parse_ipv4(text);
    if (!v4) return std::nullopt;
    if (is_v4 != nullptr) *is_v4 = true;
    std::array<uint8_t, 16> out{};
    out[10] = out[11] = 0xff;
    for (int i = 0; i < 4; ++i) out[12 + i] = (*v4)[i];
    return out;
  }
  if (is_v4 != nullptr) *is_v4 = false;
  return parse_ipv6(text);
}

void validate_non_special_ip(std::string_view ip, const std::string& path, FieldErrors& errs) {
  bool v4 = false;
  auto bytes = parse_ip(ip, &v4);
  if (!bytes) {
    errs.invalid(path, std::string(ip), "must be a valid IP address");
    return;
  }
  const auto& b = *bytes;
  // An IPv6 text of an IPv4-mapped address is an IPv4 address to Go as well.
  bool mapped = v4 || (std::all_of(b.begin(), b.begin() + 10, [](uint8_t x) { return x == 0; }) &&
                       b[10] == 0xff && b[11] == 0xff);
  bool unspecified = mapped ? (b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] == 0)
                            : std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
  bool loopback = mapped
                      ? b[12] == 127
                      : (std::all_of(b.begin(), b.begin() + 15, [](uint8_t x) { return x == 0; }) &&
                         b[15] == 1);
  bool link_local =
      mapped ? (b[12] == 169 && b[13] == 254) : (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
  bool link_local_mc =
      mapped ? (b[12] == 224 && b[13] == 0 && b[14] == 0) : (b[0] == 0xff && (b[1] & 0x0f) == 0x02);
  if (unspecified)
    errs.invalid(path, std::string(ip), fmt::format("may not be unspecified ({})", ip));
  if (loopback) {
    errs.invalid(path, std::string(ip), "may not be in the loopback range (127.0.0.0/8, ::1/128)");
  }
  if (link_local) {
    errs.invalid(path, std::string(ip),
                 "may not be in the link-local range (169.254.0.0/16, fe80::/10)");
  }
  if (link_local_mc) {
    errs.invalid(path, std::string(ip),
                 "may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)");
  }
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    uint32_t n = (uint32_t(uint8_t(bytes[i])) << 16) | (uint32_t(uint8_t(bytes[i + 1])) << 8) |
                 uint32_t(uint8_t(bytes[i + 2]));
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (size_t rest = bytes.size() - i; rest > 0) {
    uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    if (rest == 2) n |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += kAlphabet[n >> 18];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  // base64.StdEncoding: padding required; Go's decoder skips CR and LF.
  std::string clean;
  clean.reserve(text.size());
  for (char c : text) {
    if (c != '\r' && c != '\n') clean += c;
  }
  if (clean.size() % 4 != 0) return std::nullopt;
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(clean.size() / 4 * 3);
  for (size_t i = 0; i < clean.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      char c = clean[i + j];
      if (c == '=' && i + 4 == clean.size() && j >= 2) {
        v[j] = 0;
        ++pad;
      } else if (pad > 0 || (v[j] = value(c)) < 0) {
        return std::nullopt;
      }
    }
    uint32_t n = uint32_t(v[0]) << 18 | uint32_t(v[1]) << 12 | uint32_t(v[2]) << 6 | uint32_t(v[3]);
    out += char(n >> 16);
    if (pad < 2) out += char((n >> 8) & 0xff);
    if (pad < 1) out += char(n & 0xff);
  }
  return out;
}

size_t decoded_size(std::string_view base64) {
  auto out = base64_decode(base64);
  return out ? out->size() : base64.size();
}

// ---- Schema-driven defaulting
// --------------------------------------------------------------------------

namespace {

// Per named type: whether a walk below it can change anything (a default or a Quantity is
// reachable), and the fields that carry a default. Computed once for the global schema set;
// types of other sets are walked without pruning.
struct TypeInfo {
  bool relevant = true;
  std::vector<const SchemaField*> defaulted;
};

bool ref_relevant(const TypeRef* t, const std::unordered_map<const SchemaType*, TypeInfo>& info) {
  while (t != nullptr && (t->kind == ValueKind::kArray || t->kind == ValueKind::kMap)) {
    t = t->element;
  }
  if (t == nullptr) return false;
  if (t->kind == ValueKind::kQuantity) return true;
  if (t->kind == ValueKind::kObject && t->named != nullptr) {
    auto it = info.find(t->named);
    return it == info.end() || it->second.relevant;
  }
  return false;
}

const std::unordered_map<const SchemaType*, TypeInfo>& type_info() {
  static const auto* const kInfo = [] {
    auto* info = new std::unordered_map<const SchemaType*, TypeInfo>();
    const auto& types = SchemaSet::global().types();
    for (const SchemaType* t : types) {
      TypeInfo ti;
      ti.relevant = false;
      for (const SchemaField& f : t->fields()) {
        if (f.default_value) ti.defaulted.push_back(&f);
      }
      ti.relevant = !ti.defaulted.empty();
      info->emplace(t, std::move(ti));
    }
    // Propagate relevance upwards until nothing changes (types reference each other freely).
    for (bool changed = true; changed;) {
      changed = false;
      for (const SchemaType* t : types) {
        TypeInfo& ti = (*info)[t];
        if (ti.relevant) continue;
        for (const SchemaField& f : t->fields()) {
          if (ref_relevant(f.type, *info)) {
            ti.relevant = true;
            changed = true;
            break;
          }
        }
      }
    }
    return info;
  }();
  return *kInfo;
}

// Quantity.String() of a parsable value; with `round_milli`, values finer than 1m are rounded up
// first (Quantity.RoundUp(-3)).
void canonicalise_quantity(Json& v, bool round_milli) {
  if (!v.is_string() && !v.is_number()) return;
  auto q = Quantity::from_json(v);
  if (!q.ok()) return;
  Quantity out = *q;
  // Beyond 2^63/1000 the milli value saturates; such values have no sub-milli part to round.
  constexpr int64_t kMaxExactMilli = INT64_MAX / 1000;
  if (round_milli && q->value() < kMaxExactMilli && q->value() > -kMaxExactMilli) {
    Quantity rounded = Quantity::from_milli(q->milli_value(), q->format());
    if (rounded != *q) out = rounded;
  }
  v = out.to_string();
}

void walk(Json& v, const TypeRef* t, const std::unordered_map<const SchemaType*, TypeInfo>& info);

void walk_object(Json& obj, const SchemaType& type,
                 const std::unordered_map<const SchemaType*, TypeInfo>& info) {
  auto it = info.find(&type);
  if (it != info.end()) {
    if (!it->second.relevant) return;
    for (const SchemaField* f : it->second.defaulted) {
      const Json& d = *f->default_value;
      if (d.is_string() && !d.get_ref<const std::string&>().empty()) {
        set_default_string(obj, f->name, d.get_ref<const std::string&>());
      } else {
        set_default(obj, f->name, d);
      }
    }
  } else {
    for (const SchemaField& f : type.fields()) {
      if (f.default_value) set_default(obj, f.name, *f.default_value);
    }
  }
  for (auto jt = obj.begin(); jt != obj.end(); ++jt) {
    const SchemaField* f = type.field(jt.key());
    if (f == nullptr || jt->is_null()) continue;
    walk(*jt, f->type, info);
  }
}

void walk(Json& v, const TypeRef* t, const std::unordered_map<const SchemaType*, TypeInfo>& info) {
  if (t == nullptr) return;
  switch (t->kind) {
    case ValueKind::kQuantity:
      canonicalise_quantity(v, false);
      return;
    case ValueKind::kArray:
      if (!v.is_array() || !ref_relevant(t->element, info)) return;
      for (Json& e : v) walk(e, t->element, info);
      return;
    case ValueKind::kMap:
      if (!v.is_object() || t->element == nullptr) return;
      if (t->element->kind == ValueKind::kQuantity) {
        // A ResourceList: SetDefaults_ResourceList rounds every value up to milli precision.
        for (auto& [k, e] : v.items()) canonicalise_quantity(e, true);
        return;
      }
      if (!ref_relevant(t->element, info)) return;
      for (auto& [k, e] : v.items()) walk(e, t->element, info);
      return;
    case ValueKind::kObject:
      if (v.is_object() && t->named != nullptr) walk_object(v, *t->named, info);
      return;
    default:
      return;
  }
}

}  // namespace

void apply_schema_defaults(Json& obj, const SchemaType& type) {
  if (!obj.is_object()) return;
  walk_object(obj, type, type_info());
}

void apply_schema_defaults(Json& obj, std::string_view group, std::string_view version,
                           std::string_view kind) {
  const SchemaType* t = SchemaSet::global().find(group, version, kind);
  if (t != nullptr) apply_schema_defaults(obj, *t);
}

}  // namespace bosun::api::resources
