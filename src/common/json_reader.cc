#include "common/json_reader.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace bosun {
namespace {

// Bytes that end a plain run inside a string: the quote, the backslash, control characters
// (RFC 8259 requires them escaped) and every non-ASCII byte (its UTF-8 sequence is checked).
constexpr std::array<bool, 256> kStringStop = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = true;
  for (int c = 0x80; c < 0x100; ++c) t[c] = true;
  t['"'] = true;
  t['\\'] = true;
  return t;
}();

class Reader {
 public:
  explicit Reader(std::string_view text)
      : p_(text.data()), begin_(text.data()), end_(p_ + text.size()) {}

  Result<Json> read() {
    // nlohmann skips a UTF-8 byte order mark at the very start.
    if (end_ - p_ >= 3 && static_cast<unsigned char>(p_[0]) == 0xEF &&
        static_cast<unsigned char>(p_[1]) == 0xBB && static_cast<unsigned char>(p_[2]) == 0xBF) {
      p_ += 3;
    }
    Json root;
    if (!read_tree(root)) return error();
    skip_space();
    // nlohmann's lexer takes a NUL byte for the end of the input: whatever follows it is ignored.
    if (p_ != end_ && *p_ != '\0') {
      fail("unexpected content after the value");
      return error();
    }
    return root;
  }

 private:
  struct Frame {
    Json* container;
    bool is_object;
  };

  Error error() const {
    return make_error(ErrorCode::kBadRequest,
                      "json: " + std::string(what_) + " at byte " + std::to_string(at_ - begin_));
  }
  bool fail(const char* what) {
    what_ = what;
    at_ = p_;
    return false;
  }

  void skip_space() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  // The value tree without recursion: deep nesting in untrusted-looking input cannot exhaust the
  // stack (nlohmann's parser is iterative too).
  bool read_tree(Json& root) {
    std::vector<Frame> stack;
    Json* target = &root;
    for (;;) {
      // A value into *target.
      skip_space();
      if (p_ == end_) return fail("unexpected end of input");
      switch (*p_) {
        case '{': {
          ++p_;
          *target = Json::object();
          skip_space();
          if (p_ != end_ && *p_ == '}') {
            ++p_;
            break;
          }
          stack.push_back({target, true});
          if (!member_slot(*target, &target)) return false;
          continue;
        }
        case '[': {
          ++p_;
          *target = Json::array();
          skip_space();
          if (p_ != end_ && *p_ == ']') {
            ++p_;
            break;
          }
          stack.push_back({target, false});
          auto& array = target->get_ref<Json::array_t&>();
          array.emplace_back();
          target = &array.back();
          continue;
        }
        case '"': {
          ++p_;
          std::string s;
          if (!read_string(s)) return false;
          *target = std::move(s);
          break;
        }
        case 't':
          if (!literal("true")) return false;
          *target = true;
          break;
        case 'f':
          if (!literal("false")) return false;
          *target = false;
          break;
        case 'n':
          if (!literal("null")) return false;
          *target = nullptr;
          break;
        default:
          if (!read_number(*target)) return false;
          break;
      }
      // The value is complete: close the containers it completes, or find the next slot.
      for (;;) {
        if (stack.empty()) return true;
        skip_space();
        if (p_ == end_) return fail("unexpected end of input");
        Frame& top = stack.back();
        const char c = *p_++;
        if (c == ',') {
          if (top.is_object) {
            skip_space();
            if (!member_slot(*top.container, &target)) return false;
          } else {
            auto& array = top.container->get_ref<Json::array_t&>();
            array.emplace_back();
            target = &array.back();
          }
          break;
        }
        if (c == (top.is_object ? '}' : ']')) {
          stack.pop_back();
          continue;
        }
        --p_;
        return fail(top.is_object ? "expected ',' or '}'" : "expected ',' or ']'");
      }
    }
  }

  // At a member's key: reads `"key" :` and points *slot at the member's value, emptied (the last of
  // duplicate keys wins, as with nlohmann). Our encoder writes keys sorted, so the hint at the end
  // makes each insertion constant time.
  bool member_slot(Json& object, Json** slot) {
    if (p_ == end_ || *p_ != '"') return fail("expected a string key");
    ++p_;
    std::string key;
    if (!read_string(key)) return false;
    skip_space();
    if (p_ == end_ || *p_ != ':') return fail("expected ':'");
    ++p_;
    auto& members = object.get_ref<Json::object_t&>();
    auto it = members.emplace_hint(members.end(), std::move(key), nullptr);
    it->second = nullptr;
    *slot = &it->second;
    return true;
  }

  bool literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return fail("invalid literal");
    }
    p_ += word.size();
    return true;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Four hex digits after "\u"; -1 when malformed.
  int read_hex4() {
    if (end_ - p_ < 4) return -1;
    int v = 0;
    for (int i = 0; i < 4; ++i) {
      int h = hex_value(p_[i]);
      if (h < 0) return -1;
      v = v * 16 + h;
    }
    p_ += 4;
    return v;
  }

  static void append_utf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }

  // One UTF-8 sequence starting at p_ (a byte >= 0x80), checked as RFC 3629 (and nlohmann's lexer)
  // define it: no overlong forms, no surrogates, nothing past U+10FFFF.
  bool utf8_sequence() {
    auto byte = [&](ptrdiff_t i) { return static_cast<unsigned char>(p_[i]); };
    const unsigned char b0 = byte(0);
    int len = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range
    if (b0 >= 0xC2 && b0 <= 0xDF) {
      len = 2;
    } else if (b0 == 0xE0) {
      len = 3, lo = 0xA0;
    } else if ((b0 >= 0xE1 && b0 <= 0xEC) || b0 == 0xEE || b0 == 0xEF) {
      len = 3;
    } else if (b0 == 0xED) {
      len = 3, hi = 0x9F;
    } else if (b0 == 0xF0) {
      len = 4, lo = 0x90;
    } else if (b0 >= 0xF1 && b0 <= 0xF3) {
      len = 4;
    } else if (b0 == 0xF4) {
      len = 4, hi = 0x8F;
    } else {
      return fail("invalid UTF-8 byte");
    }
    if (end_ - p_ < len) return fail("invalid UTF-8 byte");
    if (byte(1) < lo || byte(1) > hi) return fail("invalid UTF-8 byte");
    for (int i = 2; i < len; ++i) {
      if (byte(i) < 0x80 || byte(i) > 0xBF) return fail("invalid UTF-8 byte");
    }
    p_ += len;
    return true;
  }

  // After the opening quote: the string's value into `out`, p_ past the closing quote.
  bool read_string(std::string& out) {
    for (;;) {
      const char* run = p_;
      while (p_ != end_ && !kStringStop[static_cast<unsigned char>(*p_)]) ++p_;
      if (p_ == end_) return fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        out.append(run, p_);
        ++p_;
        return true;
      }
      if (c >= 0x80) {
        // Checked, then kept with its run.
        if (!utf8_sequence()) return false;
        out.append(run, p_);
        continue;
      }
      out.append(run, p_);
      if (c < 0x20) return fail("control character in a string");
      // A backslash escape.
      ++p_;
      if (p_ == end_) return fail("unterminated string");
      switch (*p_++) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case '/':
          out.push_back('/');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          int cp = read_hex4();
          if (cp < 0) return fail("invalid \\u escape");
          if (cp >= 0xDC00 && cp <= 0xDFFF) return fail("lone low surrogate");
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') {
              return fail("high surrogate without its low surrogate");
            }
            p_ += 2;
            int low = read_hex4();
            if (low < 0xDC00 || low > 0xDFFF) {
              return fail("high surrogate without its low surrogate");
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          append_utf8(out, static_cast<uint32_t>(cp));
          break;
        }
        default:
          --p_;
          return fail("invalid escape");
      }
    }
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  // RFC 8259 numbers with nlohmann's types: an integer without a sign is unsigned, with a minus
  // signed, and one that does not fit (or has a fraction or exponent) a double.
  bool read_number(Json& out) {
    const char* start = p_;
    bool negative = false;
    if (*p_ == '-') {
      negative = true;
      ++p_;
    }
    if (p_ == end_) return fail("invalid number");
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      while (p_ != end_ && is_digit(*p_)) ++p_;
    } else {
      return fail(negative ? "invalid number" : "invalid value");
    }
    bool integer = true;
    if (p_ != end_ && *p_ == '.') {
      integer = false;
      ++p_;
      if (p_ == end_ || !is_digit(*p_)) return fail("invalid number");
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !is_digit(*p_)) return fail("invalid number");
      while (p_ != end_ && is_digit(*p_)) ++p_;
    }
    if (integer) {
      if (negative) {
        int64_t v = 0;
        auto r = std::from_chars(start, p_, v);
        if (r.ec == std::errc() && r.ptr == p_) {
          out = v;
          return true;
        }
      } else {
        uint64_t v = 0;
        auto r = std::from_chars(start, p_, v);
        if (r.ec == std::errc() && r.ptr == p_) {
          out = v;
          return true;
        }
      }
    }
    // strtod, as nlohmann: an underflow is zero, an overflow an error (nlohmann refuses
    // non-finite numbers).
    std::string token(start, p_);
    const double v = std::strtod(token.c_str(), nullptr);
    if (!std::isfinite(v)) {
      p_ = start;
      return fail("number overflow");
    }
    out = v;
    return true;
  }

  const char* p_;
  const char* const begin_;
  const char* const end_;
  const char* what_ = "";
  const char* at_ = nullptr;
};

}  // namespace

Result<Json> read_json(std::string_view text) {
  try {
    return Reader(text).read();
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kRequestEntityTooLarge, "json: document too large");
  }
}

}  // namespace bosun
