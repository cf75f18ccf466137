#include "api/patch_internal.h"

#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include "common/field_errors.h"

namespace bosun::api::patch_internal {
namespace {

int64_t as_int64(const Json& v) {
  if (v.is_number_unsigned()) return static_cast<int64_t>(v.get<uint64_t>());
  return v.get<int64_t>();
}

// fmt's %v of a float64: strconv's 'g' with the shortest digits, which switches to an exponent
// when it is below -4 or at least 6 (`1e+06`, `123456.7`, `1.5e-05`).
std::string go_float(double d) {
  char buf[64];
  auto sci = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view s(buf, static_cast<size_t>(sci.ptr - buf));
  size_t e = s.find('e');
  int exp = 0;
  if (e != std::string_view::npos) {
    std::from_chars(s.data() + e + (s[e + 1] == '+' ? 2 : 1), s.data() + s.size(), exp);
  }
  if (exp < -4 || exp >= 6) return std::string(s);  // to_chars writes Go's form: 1.5e+06
  auto fix = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
  return std::string(buf, static_cast<size_t>(fix.ptr - buf));
}

void append_v(std::string& out, const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      out += "<nil>";
      return;
    case Json::value_t::object: {
      out += "map[";
      bool first = true;
      for (const auto& [k, e] : v.get_ref<const Json::object_t&>()) {
        if (!first) out += ' ';
        first = false;
        out += k;
        out += ':';
        append_v(out, e);
      }
      out += ']';
      return;
    }
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const Json& e : v.get_ref<const Json::array_t&>()) {
        if (!first) out += ' ';
        first = false;
        append_v(out, e);
      }
      out += ']';
      return;
    }
    case Json::value_t::string:
      out += v.get_ref<const std::string&>();
      return;
    case Json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      return;
    default:
      break;
  }
  if (go_kind(v) == GoKind::kInt) {
    out += std::to_string(as_int64(v));
  } else {
    out += go_float(v.get<double>());
  }
}

void append_s(std::string& out, const Json& v) {
  switch (go_kind(v)) {
    case GoKind::kString:
      out += v.get_ref<const std::string&>();
      return;
    case GoKind::kMap: {
      out += "map[";
      bool first = true;
      for (const auto& [k, e] : v.get_ref<const Json::object_t&>()) {
        if (!first) out += ' ';
        first = false;
        out += k;
        out += ':';
        append_s(out, e);
      }
      out += ']';
      return;
    }
    case GoKind::kSlice: {
      out += '[';
      bool first = true;
      for (const Json& e : v.get_ref<const Json::array_t&>()) {
        if (!first) out += ' ';
        first = false;
        append_s(out, e);
      }
      out += ']';
      return;
    }
    case GoKind::kNil:
      out += "%!s(<nil>)";
      return;
    default:
      out += fmt::format("%!s({}={})", go_type_name(v), go_format_v(v));
      return;
  }
}

// A string that is equal for two scalars exactly when go_equal is true; false for maps and slices.
bool canonical_key(const Json& k, std::string* out) {
  switch (go_kind(k)) {
    case GoKind::kNil:
      *out = "n";
      return true;
    case GoKind::kString:
      out->assign("s");
      out->append(k.get_ref<const std::string&>());
      return true;
    case GoKind::kInt:
      *out = "i" + std::to_string(as_int64(k));
      return true;
    case GoKind::kFloat: {
      char buf[40];
      double d = k.get<double>();
      if (d == 0) d = 0;  // -0 == 0 in Go
      auto r = std::to_chars(buf, buf + sizeof buf, d);
      out->assign("f");
      out->append(buf, r.ptr);
      return true;
    }
    case GoKind::kBool:
      *out = k.get<bool>() ? "b1" : "b0";
      return true;
    default:
      return false;
  }
}

}  // namespace

GoKind go_kind(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return GoKind::kNil;
    case Json::value_t::object:
      return GoKind::kMap;
    case Json::value_t::array:
      return GoKind::kSlice;
    case Json::value_t::string:
      return GoKind::kString;
    case Json::value_t::boolean:
      return GoKind::kBool;
    case Json::value_t::number_integer:
      return GoKind::kInt;
    case Json::value_t::number_unsigned:
      // Past int64 sigs.k8s.io/json falls back to float64.
      return v.get<uint64_t>() <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                 ? GoKind::kInt
                 : GoKind::kFloat;
    default:
      return GoKind::kFloat;
  }
}

std::string_view go_type_name(const Json& v) {
  switch (go_kind(v)) {
    case GoKind::kNil:
      return "%!s(<nil>)";
    case GoKind::kMap:
      return "map[string]interface {}";
    case GoKind::kSlice:
      return "[]interface {}";
    case GoKind::kString:
      return "string";
    case GoKind::kInt:
      return "int64";
    case GoKind::kFloat:
      return "float64";
    case GoKind::kBool:
      return "bool";
  }
  return "";
}

std::string go_format_v(const Json& v) {
  std::string out;
  append_v(out, v);
  return out;
}

std::string go_format_s(const Json& v) {
  std::string out;
  append_s(out, v);
  return out;
}

bool go_equal(const Json& a, const Json& b) {
  GoKind ka = go_kind(a);
  if (ka != go_kind(b)) return false;
  switch (ka) {
    case GoKind::kNil:
      return true;
    case GoKind::kString:
      return a.get_ref<const std::string&>() == b.get_ref<const std::string&>();
    case GoKind::kInt:
      return as_int64(a) == as_int64(b);
    case GoKind::kFloat:
      return a.get<double>() == b.get<double>();
    case GoKind::kBool:
      return a.get<bool>() == b.get<bool>();
    default:
      return false;
  }
}

std::string_view json_value_word(const Json& v) {
  switch (v.type()) {
    case Json::value_t::object:
      return "object";
    case Json::value_t::array:
      return "array";
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::null:
      return "null";
    default:
      return "number";
  }
}

std::string cannot_unmarshal(const Json& v, std::string_view go_type) {
  return fmt::format("json: cannot unmarshal {} into Go value of type {}", json_value_word(v),
                     go_type);
}

bool go_atoi(std::string_view s, int64_t* out, std::string* error) {
  auto fail = [&](std::string_view why) {
    *error = fmt::format("strconv.Atoi: parsing {}: {}", go_quote(s), why);
    return false;
  };
  std::string_view digits = s;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return fail("invalid syntax");
  // ParseUint stops at the first bad byte, or as soon as the value overflows.
  uint64_t n = 0;
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  for (char c : digits) {
    if (c < '0' || c > '9') return fail("invalid syntax");
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (n > (kMax - d) / 10) return fail("value out of range");
    n = n * 10 + d;
  }
  constexpr uint64_t kLimit = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (!negative && n > kLimit) return fail("value out of range");
  if (negative && n > kLimit + 1) return fail("value out of range");
  *out = negative ? static_cast<int64_t>(0 - n) : static_cast<int64_t>(n);
  return true;
}

void KeyIndex::add(const Json& key) {
  std::string c;
  bool valid = canonical_key(key, &c);
  // Only the first occurrence of a key matters; later duplicates need no slot.
  bool first = valid && find_canonical(c, true) < 0;
  keys_.push_back(std::move(c));
  valid_.push_back(valid);
  if (!slots_.empty()) {
    if (first) {
      if ((keys_.size() + 1) * 2 > slots_.size()) {
        rehash(slots_.size() * 2);
      } else {
        insert_slot(keys_.size() - 1);
      }
    }
  } else if (keys_.size() > kLinearLimit) {
    rehash(64);
  }
}

void KeyIndex::insert_slot(size_t position) {
  size_t mask = slots_.size() - 1;
  size_t i = std::hash<std::string>{}(keys_[position]) & mask;
  while (slots_[i] >= 0) i = (i + 1) & mask;
  slots_[i] = static_cast<int32_t>(position);
}

void KeyIndex::rehash(size_t capacity) {
  while (capacity < keys_.size() * 2) capacity *= 2;
  slots_.assign(capacity, -1);
  // Re-inserting first occurrences only, in order, keeps each key's first position.
  for (size_t p = 0; p < keys_.size(); ++p) {
    if (valid_[p] && find_canonical(keys_[p], true) < 0) insert_slot(p);
  }
}

long KeyIndex::find_canonical(const std::string& c, bool valid) const {
  if (!valid) return -1;
  if (slots_.empty()) {
    for (size_t p = 0; p < keys_.size(); ++p) {
      if (valid_[p] && keys_[p] == c) return static_cast<long>(p);
    }
    return -1;
  }
  size_t mask = slots_.size() - 1;
  for (size_t i = std::hash<std::string>{}(c)&mask; slots_[i] >= 0; i = (i + 1) & mask) {
    if (keys_[static_cast<size_t>(slots_[i])] == c) return slots_[i];
  }
  return -1;
}

long KeyIndex::find(const Json& key) const {
  std::string c;
  bool valid = canonical_key(key, &c);
  return find_canonical(c, valid);
}

}  // namespace bosun::api::patch_internal
