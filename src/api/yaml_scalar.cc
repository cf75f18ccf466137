#include "api/yaml_scalar.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

namespace bosun::api {
namespace {

constexpr char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

enum class ParseStatus { kOk, kSyntax, kRange };

// Go's strconv.ParseUint(s, 0, 64): base from the prefix (0x, 0o, 0b, a leading 0 = octal).
ParseStatus parse_go_uint(std::string_view s, uint64_t* out) {
  if (s.empty()) return ParseStatus::kSyntax;
  int base = 10;
  if (s[0] == '0') {
    if (s.size() >= 3 && lower(s[1]) == 'b') {
      base = 2;
      s.remove_prefix(2);
    } else if (s.size() >= 3 && lower(s[1]) == 'o') {
      base = 8;
      s.remove_prefix(2);
    } else if (s.size() >= 3 && lower(s[1]) == 'x') {
      base = 16;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  uint64_t n = 0;
  for (char c : s) {
    int d;
    if (is_digit(c)) {
      d = c - '0';
    } else if (lower(c) >= 'a' && lower(c) <= 'z') {
      d = lower(c) - 'a' + 10;
    } else {
      return ParseStatus::kSyntax;
    }
    if (d >= base) return ParseStatus::kSyntax;
    if (n > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(d)) / base) {
      return ParseStatus::kRange;
    }
    n = n * base + d;
  }
  *out = n;
  return ParseStatus::kOk;
}

// Go's strconv.ParseInt(s, 0, 64).
ParseStatus parse_go_int(std::string_view s, int64_t* out) {
  if (s.empty()) return ParseStatus::kSyntax;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  uint64_t un = 0;
  ParseStatus st = parse_go_uint(s, &un);
  if (st != ParseStatus::kOk) return st;
  constexpr uint64_t kCutoff = uint64_t{1} << 63;
  if (!neg && un >= kCutoff) return ParseStatus::kRange;
  if (neg && un > kCutoff) return ParseStatus::kRange;
  *out = neg ? static_cast<int64_t>(0 - un) : static_cast<int64_t>(un);
  return ParseStatus::kOk;
}

// go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$
bool is_yaml_style_float(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start) return false;
  } else {
    size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      while (i < s.size() && is_digit(s[i])) ++i;
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t start = i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start) return false;
  }
  return i == s.size();
}

// Go's strconv.ParseFloat(s, 64) for strings already known to be decimal floats. Overflow is an
// error in Go (the caller then keeps the string); underflow is not.
bool parse_go_float(std::string_view s, double* out) {
  bool neg = false;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ptr != s.data() + s.size()) return false;
  if (ec == std::errc::result_out_of_range) {
    // from_chars reports both overflow and underflow; strtod tells them apart.
    std::string copy(s);
    v = std::strtod(copy.c_str(), nullptr);
    if (std::isinf(v)) return false;
  } else if (ec != std::errc()) {
    return false;
  }
  *out = neg ? -v : v;
  return true;
}

struct MapEntry {
  std::string_view text;
  YamlScalar value;
};

YamlScalar make_bool(bool b) {
  YamlScalar s;
  s.kind = YamlScalar::Kind::kBool;
  s.boolean = b;
  return s;
}
YamlScalar make_float(double d) {
  YamlScalar s;
  s.kind = YamlScalar::Kind::kFloat;
  s.float_value = d;
  return s;
}

// go-yaml v2's resolveMap: the YAML 1.1 booleans in the three spellings it accepts, the null
// spellings, and the special floats.
bool lookup_resolve_map(std::string_view s, YamlScalar* out) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  static const MapEntry kEntries[] = {
      {"y", make_bool(true)},
      {"Y", make_bool(true)},
      {"yes", make_bool(true)},
      {"Yes", make_bool(true)},
      {"YES", make_bool(true)},
      {"true", make_bool(true)},
      {"True", make_bool(true)},
      {"TRUE", make_bool(true)},
      {"on", make_bool(true)},
      {"On", make_bool(true)},
      {"ON", make_bool(true)},
      {"n", make_bool(false)},
      {"N", make_bool(false)},
      {"no", make_bool(false)},
      {"No", make_bool(false)},
      {"NO", make_bool(false)},
      {"false", make_bool(false)},
      {"False", make_bool(false)},
      {"FALSE", make_bool(false)},
      {"off", make_bool(false)},
      {"Off", make_bool(false)},
      {"OFF", make_bool(false)},
      {"", YamlScalar{YamlScalar::Kind::kNull}},
      {"~", YamlScalar{YamlScalar::Kind::kNull}},
      {"null", YamlScalar{YamlScalar::Kind::kNull}},
      {"Null", YamlScalar{YamlScalar::Kind::kNull}},
      {"NULL", YamlScalar{YamlScalar::Kind::kNull}},
      {".nan", make_float(std::numeric_limits<double>::quiet_NaN())},
      {".NaN", make_float(std::numeric_limits<double>::quiet_NaN())},
      {".NAN", make_float(std::numeric_limits<double>::quiet_NaN())},
      {".inf", make_float(kInf)},
      {".Inf", make_float(kInf)},
      {".INF", make_float(kInf)},
      {"+.inf", make_float(kInf)},
      {"+.Inf", make_float(kInf)},
      {"+.INF", make_float(kInf)},
      {"-.inf", make_float(-kInf)},
      {"-.Inf", make_float(-kInf)},
      {"-.INF", make_float(-kInf)},
  };
  if (s.size() > 5) return false;
  for (const auto& e : kEntries) {
    if (e.text == s) {
      *out = e.value;
      return true;
    }
  }
  return false;
}

// Reads 1..max_digits decimal digits (Go's layout fields "1", "2", "15", "4", "5" take one or two).
bool read_num(std::string_view s, size_t* i, size_t min_digits, size_t max_digits, int* out) {
  size_t start = *i;
  int v = 0;
  while (*i < s.size() && *i - start < max_digits && is_digit(s[*i])) {
    v = v * 10 + (s[*i] - '0');
    ++*i;
  }
  if (*i - start < min_digits) return false;
  *out = v;
  return true;
}

int days_in_month(int year, int month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
  return kDays[month - 1];
}

}  // namespace

YamlScalar resolve_plain_scalar(std::string_view in) {
  YamlScalar out;
  char hint = 'N';
  if (!in.empty()) {
    char c = in[0];
    if (c == '+' || c == '-' || is_digit(c)) {
      hint = 'D';
    } else if (c == '.') {
      hint = '.';
    } else if (std::string_view("yYnNtTfFoO~").find(c) != std::string_view::npos) {
      hint = 'M';
    } else {
      return out;  // a string for sure
    }
  }
  if (lookup_resolve_map(in, &out)) return out;
  switch (hint) {
    case '.': {
      double d;
      if (is_yaml_style_float(in) && parse_go_float(in, &d)) return make_float(d);
      break;
    }
    case 'D': {
      std::string plain;
      plain.reserve(in.size());
      for (char c : in) {
        if (c != '_') plain += c;
      }
      int64_t i;
      if (parse_go_int(plain, &i) == ParseStatus::kOk) {
        out.kind = YamlScalar::Kind::kInt;
        out.int_value = i;
        return out;
      }
      uint64_t u;
      if (parse_go_uint(plain, &u) == ParseStatus::kOk) {
        out.kind = YamlScalar::Kind::kUint;
        out.uint_value = u;
        return out;
      }
      double d;
      if (is_yaml_style_float(plain) && parse_go_float(plain, &d)) return make_float(d);
      break;
    }
    default:
      break;
  }
  return YamlScalar{};
}

bool is_yaml_timestamp(std::string_view s) {
  // Every layout starts with a four-digit year and a dash.
  if (s.size() < 8 || !is_digit(s[0]) || !is_digit(s[1]) || !is_digit(s[2]) || !is_digit(s[3]) ||
      s[4] != '-') {
    return false;
  }
  size_t i = 5;
  int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
  int month, day;
  if (!read_num(s, &i, 1, 2, &month) || i >= s.size() || s[i] != '-') return false;
  ++i;
  if (!read_num(s, &i, 1, 2, &day)) return false;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return false;
  if (i == s.size()) return true;  // "2006-1-2"
  char sep = s[i];
  if (sep != 'T' && sep != 't' && sep != ' ') return false;
  ++i;
  int hour, minute, second;
  if (!read_num(s, &i, 1, 2, &hour) || i >= s.size() || s[i] != ':') return false;
  ++i;
  if (!read_num(s, &i, 1, 2, &minute) || i >= s.size() || s[i] != ':') return false;
  ++i;
  if (!read_num(s, &i, 1, 2, &second)) return false;
  if (hour > 23 || minute > 59 || second > 59) return false;
  if (i < s.size() && s[i] == '.') {
    // Go accepts a fractional second after the seconds even where the layout has none.
    size_t start = ++i;
    while (i < s.size() && is_digit(s[i])) ++i;
    if (i == start) return false;
  }
  if (sep == ' ') return i == s.size();
  if (i == s.size()) return false;
  if (s[i] == 'Z') return i + 1 == s.size();
  if (s[i] != '+' && s[i] != '-') return false;
  ++i;
  int zh, zm;
  if (!read_num(s, &i, 2, 2, &zh) || i >= s.size() || s[i] != ':') return false;
  ++i;
  if (!read_num(s, &i, 2, 2, &zm)) return false;
  return i == s.size() && zh < 24 && zm < 60;
}

bool is_base60_float(std::string_view s) {
  // ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i >= s.size() || !is_digit(s[i])) return false;
  ++i;
  while (i < s.size() && (is_digit(s[i]) || s[i] == '_')) ++i;
  int groups = 0;
  while (i < s.size() && s[i] == ':') {
    ++i;
    if (i + 1 < s.size() && s[i] >= '0' && s[i] <= '5' && is_digit(s[i + 1])) {
      i += 2;
    } else if (i < s.size() && is_digit(s[i])) {
      ++i;
    } else {
      return false;
    }
    ++groups;
  }
  if (groups == 0) return false;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && (is_digit(s[i]) || s[i] == '_')) ++i;
  }
  return i == s.size();
}

std::string coerce_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t min = 0;
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4, min = 0x10000;
    }
    bool ok = len != 0 && i + len <= s.size();
    uint32_t cp = len ? (c & (0x7F >> len)) : 0;
    for (size_t k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (ok && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) ok = false;
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::string go_format_float(double v, int bits) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  std::to_chars_result r;
  if (bits == 32) {
    r = std::to_chars(buf, buf + sizeof(buf), static_cast<float>(v), std::chars_format::scientific);
  } else {
    r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  }
  std::string_view sci(buf, r.ptr - buf);
  std::string out;
  if (!sci.empty() && sci[0] == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  int exp = 0;
  std::string_view exp_text = sci.substr(e + 1);
  bool exp_neg = !exp_text.empty() && exp_text[0] == '-';
  if (!exp_text.empty() && (exp_text[0] == '+' || exp_text[0] == '-')) exp_text.remove_prefix(1);
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exp);
  if (exp_neg) exp = -exp;
  // Shortest %g: exponent form when the exponent is < -4 or >= 6 (eprec is 6 for shortest).
  if (exp < -4 || exp >= 6) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1);
    }
    out += 'e';
    out += exp < 0 ? '-' : '+';
    int a = exp < 0 ? -exp : exp;
    if (a < 10) out += '0';
    out += std::to_string(a);
    return out;
  }
  int dp = exp + 1;  // digits before the decimal point
  int nd = static_cast<int>(digits.size());
  if (dp <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-dp), '0');
    out += digits;
  } else if (dp >= nd) {
    out += digits;
    out.append(static_cast<size_t>(dp - nd), '0');
  } else {
    out.append(digits, 0, dp);
    out += '.';
    out.append(digits, dp);
  }
  return out;
}

}  // namespace bosun::api
