// to_yaml (declared in decode.h): the block style go-yaml v2 writes for kubectl, with libyaml's
// rules for when a scalar may be plain, single-quoted, literal or must be double-quoted.

#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/decode.h"
#include "api/yaml_scalar.h"

namespace bosun::api {
namespace {

enum class Style { kPlain, kSingle, kDouble, kLiteral };

// One code point of valid UTF-8 at s[i]; sets *len.
uint32_t code_point(std::string_view s, size_t i, size_t* len) {
  unsigned char c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    *len = 1;
    return c;
  }
  size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : 4;
  uint32_t cp = c & (0x7F >> n);
  for (size_t k = 1; k < n && i + k < s.size(); ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3F);
  }
  *len = n;
  return cp;
}

// go-yaml's is_printable: what it writes unescaped (note: not tab, and nothing beyond U+FFFF).
bool is_printable(uint32_t c) {
  return c == 0x0A || (c >= 0x20 && c <= 0x7E) || (c >= 0xA0 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD && c != 0xFEFF);
}
bool is_break(uint32_t c) {
  return c == '\r' || c == '\n' || c == 0x85 || c == 0x2028 || c == 0x2029;
}
bool is_blankz(uint32_t c) { return c == ' ' || c == '\t' || c == 0 || is_break(c); }

struct Analysis {
  bool flow_plain = true;
  bool block_plain = true;
  bool single_quoted = true;
  bool block = true;
};

// libyaml's yaml_emitter_analyze_scalar.
Analysis analyze(std::string_view v) {
  Analysis a;
  if (v.empty()) {
    a.flow_plain = false;
    a.block = false;
    return a;
  }
  bool flow_ind = false, block_ind = false;
  if (v.substr(0, 3) == "---" || v.substr(0, 3) == "...") flow_ind = block_ind = true;
  bool line_breaks = false, special = false;
  bool leading_space = false, leading_break = false, trailing_space = false, trailing_break = false;
  bool break_space = false, space_break = false, prev_space = false, prev_break = false;
  bool preceded_by_ws = true;
  size_t i = 0;
  while (i < v.size()) {
    size_t len;
    uint32_t c = code_point(v, i, &len);
    size_t j = i + len;
    bool followed_by_ws = true;
    if (j < v.size()) {
      size_t l2;
      followed_by_ws = is_blankz(code_point(v, j, &l2));
    }
    bool first = i == 0, last = j >= v.size();
    if (first) {
      switch (c) {
        case '#':
        case ',':
        case '[':
        case ']':
        case '{':
        case '}':
        case '&':
        case '*':
        case '!':
        case '|':
        case '>':
        case '\'':
        case '"':
        case '%':
        case '@':
        case '`':
          flow_ind = block_ind = true;
          break;
        case '?':
        case ':':
          flow_ind = true;
          if (followed_by_ws) block_ind = true;
          break;
        case '-':
          if (followed_by_ws) flow_ind = block_ind = true;
          break;
        default:
          break;
      }
    } else {
      switch (c) {
        case ',':
        case '?':
        case '[':
        case ']':
        case '{':
        case '}':
          flow_ind = true;
          break;
        case ':':
          flow_ind = true;
          if (followed_by_ws) block_ind = true;
          break;
        case '#':
          if (preceded_by_ws) flow_ind = block_ind = true;
          break;
        default:
          break;
      }
    }
    // Breaks other than LF (CR, NEL, LS, PS) are escaped in double quotes: YAML readers disagree
    // on whether they end a line.
    if (!is_printable(c) || (is_break(c) && c != '\n')) special = true;
    if (is_break(c)) line_breaks = true;
    if (c == ' ') {
      if (first) leading_space = true;
      if (last) trailing_space = true;
      if (prev_break) break_space = true;
      prev_space = true;
      prev_break = false;
    } else if (is_break(c)) {
      if (first) leading_break = true;
      if (last) trailing_break = true;
      if (prev_space) space_break = true;
      prev_break = true;
      prev_space = false;
    } else {
      prev_space = prev_break = false;
    }
    preceded_by_ws = is_blankz(c);
    i = j;
  }
  if (leading_space || leading_break || trailing_space || trailing_break) {
    a.flow_plain = a.block_plain = false;
  }
  if (trailing_space) a.block = false;
  if (break_space) a.flow_plain = a.block_plain = a.single_quoted = false;
  if (space_break || special) a.flow_plain = a.block_plain = a.single_quoted = a.block = false;
  if (line_breaks) a.flow_plain = a.block_plain = false;
  if (flow_ind) a.flow_plain = false;
  if (block_ind) a.block_plain = false;
  return a;
}

// go-yaml's stringv (which style it asks for) followed by libyaml's select_scalar_style (which
// style the text allows), in block context.
Style choose_style(std::string_view s, bool simple_key) {
  Style style;
  if (s.find('\n') != std::string_view::npos) {
    style = Style::kLiteral;
  } else if (resolve_plain_scalar(s).kind == YamlScalar::Kind::kString && !is_base60_float(s) &&
             !is_yaml_timestamp(s) && s != "<<") {
    // `<<` would read back as a merge key.
    style = Style::kPlain;
  } else {
    style = Style::kDouble;
  }
  Analysis a = analyze(s);
  if (style == Style::kPlain) {
    if (!a.block_plain || (s.empty() && simple_key)) style = Style::kSingle;
  }
  if (style == Style::kSingle && !a.single_quoted) style = Style::kDouble;
  if (style == Style::kLiteral && (!a.block || simple_key)) style = Style::kDouble;
  return style;
}

void write_double_quoted(std::string_view s, std::string* out) {
  *out += '"';
  size_t i = 0;
  while (i < s.size()) {
    size_t len;
    uint32_t c = code_point(s, i, &len);
    if (is_printable(c) && !is_break(c) && c != '"' && c != '\\') {
      out->append(s.substr(i, len));
    } else {
      switch (c) {
        case 0x00:
          *out += "\\0";
          break;
        case 0x07:
          *out += "\\a";
          break;
        case 0x08:
          *out += "\\b";
          break;
        case 0x09:
          *out += "\\t";
          break;
        case 0x0A:
          *out += "\\n";
          break;
        case 0x0B:
          *out += "\\v";
          break;
        case 0x0C:
          *out += "\\f";
          break;
        case 0x0D:
          *out += "\\r";
          break;
        case 0x1B:
          *out += "\\e";
          break;
        case '"':
          *out += "\\\"";
          break;
        case '\\':
          *out += "\\\\";
          break;
        case 0x85:
          *out += "\\N";
          break;
        case 0xA0:
          *out += "\\_";
          break;
        case 0x2028:
          *out += "\\L";
          break;
        case 0x2029:
          *out += "\\P";
          break;
        default:
          if (c <= 0xFF) {
            *out += fmt::format("\\x{:02X}", c);
          } else if (c <= 0xFFFF) {
            *out += fmt::format("\\u{:04X}", c);
          } else {
            *out += fmt::format("\\U{:08X}", c);
          }
      }
    }
    i += len;
  }
  *out += '"';
}

void write_single_quoted(std::string_view s, std::string* out) {
  *out += '\'';
  for (char c : s) {
    if (c == '\'') *out += '\'';
    *out += c;
  }
  *out += '\'';
}

// A literal block scalar: `|` with libyaml's hints, then the lines at `indent`.
void write_literal(std::string_view s, size_t indent, std::string* out) {
  *out += '|';
  if (s[0] == ' ' || s[0] == '\n') *out += '2';
  if (s.back() != '\n') {
    *out += '-';
  } else if (s.size() == 1 || s[s.size() - 2] == '\n') {
    *out += '+';
  }
  *out += '\n';
  bool at_line_start = true;
  for (char c : s) {
    if (c == '\n') {
      *out += '\n';
      at_line_start = true;
      continue;
    }
    if (at_line_start) {
      out->append(indent, ' ');
      at_line_start = false;
    }
    *out += c;
  }
  if (!at_line_start) *out += '\n';
}

// Writes a string scalar; literal blocks end the line themselves (returns true then).
bool write_string(std::string_view raw, bool simple_key, size_t indent, std::string* out) {
  std::string s = coerce_utf8(raw);
  switch (choose_style(s, simple_key)) {
    case Style::kPlain:
      *out += s;
      return false;
    case Style::kSingle:
      write_single_quoted(s, out);
      return false;
    case Style::kDouble:
      write_double_quoted(s, out);
      return false;
    case Style::kLiteral:
      write_literal(s, indent, out);
      return true;
  }
  return false;
}

std::string base64(const std::vector<uint8_t>& bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i < bytes.size()) {
    uint32_t n = bytes[i] << 16;
    if (i + 1 < bytes.size()) n |= bytes[i + 1] << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// Writes a scalar (anything but a non-empty object or array) after "key: ", "- " or at the root;
// always ends the line.
void write_scalar(const Json& v, size_t indent, std::string* out) {
  switch (v.type()) {
    case Json::value_t::null:
      *out += "null";
      break;
    case Json::value_t::boolean:
      *out += v.get<bool>() ? "true" : "false";
      break;
    case Json::value_t::number_integer:
      *out += std::to_string(v.get<int64_t>());
      break;
    case Json::value_t::number_unsigned:
      *out += std::to_string(v.get<uint64_t>());
      break;
    case Json::value_t::number_float: {
      double d = v.get<double>();
      if (std::isnan(d)) {
        *out += ".nan";
      } else if (std::isinf(d)) {
        *out += d > 0 ? ".inf" : "-.inf";
      } else {
        *out += go_format_float(d, 64);
      }
      break;
    }
    case Json::value_t::string:
      if (write_string(v.get_ref<const std::string&>(), false, indent, out)) return;
      break;
    case Json::value_t::binary:
      *out += "!!binary " + base64(v.get_binary());
      break;
    case Json::value_t::object:
      *out += "{}";
      break;
    case Json::value_t::array:
      *out += "[]";
      break;
    case Json::value_t::discarded:
      *out += "null";
      break;
  }
  *out += '\n';
}

void write_mapping(const Json& obj, size_t indent, bool first_inline, std::string* out);
void write_sequence(const Json& arr, size_t indent, bool first_inline, std::string* out);

// The entries of a mapping at `indent`; with first_inline the first key continues the current
// line (after "- ").
void write_mapping(const Json& obj, size_t indent, bool first_inline, std::string* out) {
  bool first = true;
  for (const auto& [key, value] : obj.items()) {
    if (!(first && first_inline)) out->append(indent, ' ');
    first = false;
    write_string(key, true, indent, out);
    *out += ':';
    if (value.is_object() && !value.empty()) {
      *out += '\n';
      write_mapping(value, indent + 2, false, out);
    } else if (value.is_array() && !value.empty()) {
      // go-yaml writes a mapping's sequences without indenting them under the key.
      *out += '\n';
      write_sequence(value, indent, false, out);
    } else {
      *out += ' ';
      write_scalar(value, indent + 2, out);
    }
  }
}

void write_sequence(const Json& arr, size_t indent, bool first_inline, std::string* out) {
  bool first = true;
  for (const auto& item : arr) {
    if (!(first && first_inline)) out->append(indent, ' ');
    first = false;
    *out += "- ";
    if (item.is_object() && !item.empty()) {
      write_mapping(item, indent + 2, true, out);
    } else if (item.is_array() && !item.empty()) {
      write_sequence(item, indent + 2, true, out);
    } else {
      write_scalar(item, indent + 2, out);
    }
  }
}

}  // namespace

std::string to_yaml(const Json& value) {
  std::string out;
  if (value.is_object() && !value.empty()) {
    write_mapping(value, 0, false, &out);
  } else if (value.is_array() && !value.empty()) {
    write_sequence(value, 0, false, &out);
  } else {
    write_scalar(value, 2, &out);
  }
  return out;
}

}  // namespace bosun::api
