#include "api/go_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>

namespace bosun::api {
namespace {

constexpr char kHex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence at s[i], or 0 if the bytes there are not one (overlong forms,
// surrogates and code points past U+10FFFF included), as Go's utf8.DecodeRuneInString decides.
size_t utf8_sequence(std::string_view s, size_t i, uint32_t* rune) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  size_t n;
  uint32_t r;
  if (b0 < 0xC2) return 0;  // continuation byte or overlong two-byte lead
  if (b0 < 0xE0) {
    n = 2;
    r = b0 & 0x1F;
  } else if (b0 < 0xF0) {
    n = 3;
    r = b0 & 0x0F;
  } else if (b0 < 0xF5) {
    n = 4;
    r = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    r = (r << 6) | (b & 0x3F);
  }
  if ((n == 3 && r < 0x800) || (n == 4 && (r < 0x10000 || r > 0x10FFFF))) return 0;
  if (r >= 0xD800 && r <= 0xDFFF) return 0;
  *rune = r;
  return n;
}

void append_go_json_object(std::string& out, const Json& value) {
  out += '{';
  bool first = true;
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (!first) out += ',';
    first = false;
    append_go_json_string(out, it.key());
    out += ':';
    append_go_json(out, it.value());
  }
  out += '}';
}

// The shortest digits of |f| and its decimal exponent, from the scientific form "d.ddde±XX".
void shortest_digits(double f, std::string* digits, int* exponent) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(f), std::chars_format::scientific);
  std::string_view s(buf, r.ptr - buf);
  size_t e = s.find('e');
  digits->clear();
  for (char c : s.substr(0, e))
    if (c != '.') *digits += c;
  *exponent = std::atoi(std::string(s.substr(e + 1)).c_str());
}

}  // namespace

void append_go_json_string(std::string& out, std::string_view s, bool escape_html) {
  out += '"';
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      if (b >= 0x20 && b != '"' && b != '\\' &&
          !(escape_html && (b == '<' || b == '>' || b == '&'))) {
        out += static_cast<char>(b);
      } else if (b == '"' || b == '\\') {
        out += '\\';
        out += static_cast<char>(b);
      } else if (b == '\n') {
        out += "\\n";
      } else if (b == '\r') {
        out += "\\r";
      } else if (b == '\t') {
        out += "\\t";
      } else {
        out += "\\u00";
        out += kHex[b >> 4];
        out += kHex[b & 0xF];
      }
      ++i;
      continue;
    }
    uint32_t rune = 0;
    size_t n = utf8_sequence(s, i, &rune);
    if (n == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    if (rune == 0x2028 || rune == 0x2029) {
      out += "\\u202";
      out += kHex[rune & 0xF];
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
  out += '"';
}

std::string go_json_float(double f) {
  const double a = std::fabs(f);
  char buf[64];
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    std::string s(buf, r.ptr);
    // encoding/json trims a zero-padded negative exponent: "1e-07" becomes "1e-7".
    size_t n = s.size();
    if (n >= 4 && s[n - 4] == 'e' && s[n - 3] == '-' && s[n - 2] == '0') s.erase(n - 2, 1);
    return s;
  }
  auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

std::string go_format_float(double f) {
  if (f == 0) return std::signbit(f) ? "-0" : "0";
  if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
  if (std::isnan(f)) return "NaN";
  std::string digits;
  int exp = 0;
  shortest_digits(f, &digits, &exp);
  std::string out = f < 0 ? "-" : "";
  // strconv's 'g' with the shortest precision switches to exponent form when the exponent is below
  // -4 or at least 6 (eprec is 6 for shortest), with at least two exponent digits.
  if (exp < -4 || exp >= 6) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1, std::string::npos);
    }
    out += 'e';
    out += exp < 0 ? '-' : '+';
    int e = std::abs(exp);
    if (e < 10) out += '0';
    out += std::to_string(e);
    return out;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(f), std::chars_format::fixed);
  out.append(buf, r.ptr);
  return out;
}

void append_go_json(std::string& out, const Json& value) {
  switch (value.type()) {
    case Json::value_t::null:
    case Json::value_t::discarded:
      out += "null";
      return;
    case Json::value_t::boolean:
      out += value.get<bool>() ? "true" : "false";
      return;
    case Json::value_t::number_integer:
      out += std::to_string(value.get<int64_t>());
      return;
    case Json::value_t::number_unsigned:
      out += std::to_string(value.get<uint64_t>());
      return;
    case Json::value_t::number_float:
      out += go_json_float(value.get<double>());
      return;
    case Json::value_t::string:
      append_go_json_string(out, value.get_ref<const std::string&>());
      return;
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const Json& item : value) {
        if (!first) out += ',';
        first = false;
        append_go_json(out, item);
      }
      out += ']';
      return;
    }
    case Json::value_t::object:
      append_go_json_object(out, value);
      return;
    case Json::value_t::binary:
      out += "null";
      return;
  }
}

std::string go_json(const Json& value) {
  std::string out;
  append_go_json(out, value);
  return out;
}

}  // namespace bosun::api
