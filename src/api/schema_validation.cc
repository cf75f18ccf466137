#include "api/schema_validation.h"

#include <cstdint>
#include <limits>

#include <fmt/format.h>

#include "api/quantity.h"
#include "common/field_errors.h"

namespace bosun::api {
namespace {

// encoding/json's description of the JSON value it could not store (UnmarshalTypeError.Value).
const char* value_description(const Json& v) {
  switch (v.type()) {
    case Json::value_t::string:
      return "string";
    case Json::value_t::boolean:
      return "bool";
    case Json::value_t::array:
      return "array";
    case Json::value_t::object:
      return "object";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return "number";
    default:
      return "null";
  }
}

bool fits_int(const Json& v, int64_t lo, int64_t hi) {
  if (v.is_number_unsigned()) return v.get<uint64_t>() <= static_cast<uint64_t>(hi);
  if (v.is_number_integer()) {
    int64_t n = v.get<int64_t>();
    return n >= lo && n <= hi;
  }
  return false;
}

bool base64_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// Walks one document beside its schema. Two paths grow and shrink as it descends: the strict
// decoder's
// ("spec.containers[0].ports[0].name", which the unknown-field errors print) and encoding/json's
// field stack
// ("spec.containers.ports.name": field names only, which the type errors print).
class FieldValidator {
 public:
  FieldValidator(const FieldValidationOptions& options, FieldValidationResult* out)
      : options_(options), out_(out) {
    path_.reserve(256);
    go_path_.reserve(256);
  }

  void object(const Json& obj, const SchemaType& type, bool preserve_unknown) {
    bool allow_unknown = preserve_unknown || type.preserve_unknown();
    for (auto it = obj.begin(); it != obj.end(); ++it) {
      const std::string& key = it.key();
      const SchemaField* f = type.field(key);
      size_t mark = path_.size();
      size_t go_mark = go_path_.size();
      if (!path_.empty()) path_ += '.';
      path_ += key;
      if (f == nullptr) {
        if (!allow_unknown && options_.report_unknown) out_->unknown_fields.push_back(path_);
      } else {
        if (!go_path_.empty()) go_path_ += '.';
        go_path_ += key;
        value(*it, *f->type, type, f->preserve_unknown);
      }
      path_.resize(mark);
      go_path_.resize(go_mark);
    }
  }

 private:
  // `parent` is the innermost struct, which encoding/json names in its messages.
  void value(const Json& v, const TypeRef& t, const SchemaType& parent, bool preserve_unknown) {
    if (v.is_null()) return;
    switch (t.kind) {
      case ValueKind::kAny:
        return;
      case ValueKind::kString:
        if (!v.is_string()) mismatch(value_description(v), t, parent);
        return;
      case ValueKind::kInt32:
        integer(v, t, parent, std::numeric_limits<int32_t>::min(),
                std::numeric_limits<int32_t>::max());
        return;
      case ValueKind::kInt64:
        integer(v, t, parent, std::numeric_limits<int64_t>::min(),
                std::numeric_limits<int64_t>::max());
        return;
      case ValueKind::kNumber:
        if (!v.is_number()) mismatch(value_description(v), t, parent);
        return;
      case ValueKind::kBoolean:
        if (!v.is_boolean()) mismatch(value_description(v), t, parent);
        return;
      case ValueKind::kByte:
        if (!v.is_string()) {
          mismatch(value_description(v), t, parent);
        } else if (long at = base64_error_offset(v.get_ref<const std::string&>()); at >= 0) {
          add_error(fmt::format("illegal base64 data at input byte {}", at));
        }
        return;
      case ValueKind::kQuantity: {
        // resource.Quantity decodes itself: any JSON that is not a valid quantity fails with
        // ParseQuantity's message, with no field named.
        if (v.is_number_integer() || v.is_number_unsigned()) return;
        Result<Quantity> q =
            Quantity::from_json(v.is_string() || v.is_number() ? v : Json(v.dump()));
        if (!q.ok()) add_error(q.error().message);
        return;
      }
      case ValueKind::kIntOrString: {
        // intstr.IntOrString decodes a string as StrVal and anything else into its int32 IntVal.
        if (v.is_string()) return;
        static const TypeRef kInt32{ValueKind::kInt32, nullptr, nullptr};
        integer(v, kInt32, parent, std::numeric_limits<int32_t>::min(),
                std::numeric_limits<int32_t>::max());
        return;
      }
      case ValueKind::kTime:
      case ValueKind::kMicroTime: {
        // metav1.Time decodes a JSON string; other values fail as a string would.
        static const TypeRef kString{ValueKind::kString, nullptr, nullptr};
        if (!v.is_string()) {
          mismatch(value_description(v), kString, parent);
        } else if (std::string e = go_time_parse_error(v.get_ref<const std::string&>(),
                                                       t.kind == ValueKind::kMicroTime);
                   !e.empty()) {
          add_error(std::move(e));
        }
        return;
      }
      case ValueKind::kArray: {
        if (!v.is_array()) {
          mismatch(value_description(v), t, parent);
          return;
        }
        size_t mark = path_.size();
        size_t i = 0;
        for (const Json& e : v) {
          path_ += '[';
          path_ += std::to_string(i++);
          path_ += ']';
          value(e, *t.element, parent, preserve_unknown);
          path_.resize(mark);
        }
        return;
      }
      case ValueKind::kMap: {
        if (!v.is_object()) {
          mismatch(value_description(v), t, parent);
          return;
        }
        size_t mark = path_.size();
        for (auto it = v.begin(); it != v.end(); ++it) {
          path_ += '.';
          path_ += it.key();
          value(*it, *t.element, parent, preserve_unknown);
          path_.resize(mark);
        }
        return;
      }
      case ValueKind::kObject:
        if (!v.is_object()) {
          mismatch(value_description(v), t, parent);
        } else if (t.named != nullptr) {
          object(v, *t.named, preserve_unknown);
        }
        return;
    }
  }

  void integer(const Json& v, const TypeRef& t, const SchemaType& parent, int64_t lo, int64_t hi) {
    if (v.is_number_integer() || v.is_number_unsigned()) {
      if (!fits_int(v, lo, hi)) mismatch("number " + v.dump(), t, parent);
    } else if (v.is_number_float()) {
      mismatch("number " + v.dump(), t, parent);
    } else {
      mismatch(value_description(v), t, parent);
    }
  }

  void mismatch(std::string_view what, const TypeRef& t, const SchemaType& parent) {
    add_error(fmt::format("json: cannot unmarshal {} into Go struct field {}.{} of type {}", what,
                          parent.name(), go_path_, t.go_type_name()));
  }

  void add_error(std::string message) { out_->type_errors.push_back({path_, std::move(message)}); }

  const FieldValidationOptions& options_;
  FieldValidationResult* out_;
  std::string path_;
  std::string go_path_;
};

}  // namespace

namespace {

// The layouts metav1.Time and metav1.MicroTime parse with (time.RFC3339 and metav1.RFC3339Micro).
constexpr std::string_view kRfc3339 = "2006-01-02T15:04:05Z07:00";
constexpr std::string_view kRfc3339Micro = "2006-01-02T15:04:05.000000Z07:00";

bool digit_at(std::string_view s, size_t i) { return i < s.size() && s[i] >= '0' && s[i] <= '9'; }

// Go's getnum: one or two digits (exactly two when fixed).
bool getnum(std::string_view& s, bool fixed, int* out) {
  if (!digit_at(s, 0)) return false;
  if (!digit_at(s, 1)) {
    if (fixed) return false;
    *out = s[0] - '0';
    s.remove_prefix(1);
    return true;
  }
  *out = (s[0] - '0') * 10 + (s[1] - '0');
  s.remove_prefix(2);
  return true;
}

int days_in(int month, int year) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

std::string go_time_parse_error(std::string_view value, bool micro) {
  // Go's time.Parse, element by element over the fixed layout, failing with its ParseError texts.
  const std::string_view layout = micro ? kRfc3339Micro : kRfc3339;
  enum Elem { kYear, kMonth, kDay, kHour, kMinute, kSecond, kFraction, kZone };
  struct Chunk {
    std::string_view prefix;
    Elem elem;
    std::string_view text;
  };
  static const Chunk kChunks[] = {{"", kYear, "2006"},        {"-", kMonth, "01"},
                                  {"-", kDay, "02"},          {"T", kHour, "15"},
                                  {":", kMinute, "04"},       {":", kSecond, "05"},
                                  {"", kFraction, ".000000"}, {"", kZone, "Z07:00"}};
  auto cannot_parse = [&](std::string_view rest, std::string_view elem) {
    return fmt::format("parsing time {} as {}: cannot parse {} as {}", go_quote(value),
                       go_quote(layout), go_quote(rest), go_quote(elem));
  };
  auto out_of_range = [&](std::string_view what) {
    return fmt::format("parsing time {}: {} out of range", go_quote(value), what);
  };
  std::string_view rest = value;
  int year = 0, month = 0, day = 0, n = 0;
  for (const Chunk& c : kChunks) {
    if (c.elem == kFraction && !micro) continue;
    if (!c.prefix.empty()) {
      if (rest.empty() || rest.front() != c.prefix.front()) return cannot_parse(rest, c.prefix);
      rest.remove_prefix(1);
    }
    std::string_view hold = rest;
    switch (c.elem) {
      case kYear:
        if (rest.size() < 4 || !digit_at(rest, 0) || !digit_at(rest, 1) || !digit_at(rest, 2) ||
            !digit_at(rest, 3)) {
          return cannot_parse(hold, c.text);
        }
        year = std::stoi(std::string(rest.substr(0, 4)));
        rest.remove_prefix(4);
        break;
      case kMonth:
        if (!getnum(rest, true, &month)) return cannot_parse(hold, c.text);
        if (month < 1 || month > 12) return out_of_range("month");
        break;
      case kDay:
        // Any one or two digits here; the day is checked against the month at the end, as Go does.
        if (!getnum(rest, true, &day)) return cannot_parse(hold, c.text);
        break;
      case kHour:
        if (!getnum(rest, false, &n)) return cannot_parse(hold, c.text);
        if (n >= 24) return out_of_range("hour");
        break;
      case kMinute:
        if (!getnum(rest, true, &n)) return cannot_parse(hold, c.text);
        if (n >= 60) return out_of_range("minute");
        break;
      case kSecond:
        if (!getnum(rest, true, &n)) return cannot_parse(hold, c.text);
        if (n >= 60) return out_of_range("second");
        // RFC 3339 without a fraction in the layout still accepts one after the seconds.
        if (!micro && rest.size() >= 2 && (rest[0] == '.' || rest[0] == ',') && digit_at(rest, 1)) {
          size_t i = 2;
          while (digit_at(rest, i)) ++i;
          rest.remove_prefix(i);
        }
        break;
      case kFraction:
        // RFC3339Micro demands exactly six digits.
        if (rest.size() < 7 || (rest[0] != '.' && rest[0] != ','))
          return cannot_parse(hold, c.text);
        for (size_t i = 1; i < 7; ++i) {
          if (!digit_at(rest, i)) return cannot_parse(hold, c.text);
        }
        rest.remove_prefix(7);
        break;
      case kZone: {
        if (!rest.empty() && rest.front() == 'Z') {
          rest.remove_prefix(1);
          break;
        }
        if (rest.size() < 6 || rest[3] != ':') return cannot_parse(hold, c.text);
        std::string_view hh = rest.substr(1, 2), mm = rest.substr(4, 2);
        int oh = 0, om = 0;
        if (!getnum(hh, true, &oh) || !getnum(mm, true, &om)) return cannot_parse(hold, c.text);
        if (oh > 24) return out_of_range("time zone offset hour");
        if (om > 60) return out_of_range("time zone offset minute");
        if (rest[0] != '+' && rest[0] != '-') return cannot_parse(hold, c.text);
        rest.remove_prefix(6);
        break;
      }
    }
  }
  if (!rest.empty())
    return fmt::format("parsing time {}: extra text: {}", go_quote(value), go_quote(rest));
  if (day < 1 || day > days_in(month, year))
    return fmt::format("parsing time {}: day out of range", go_quote(value));
  return "";
}

long base64_error_offset(std::string_view src) {
  // Go's decodeQuantum, quantum by quantum: CR and LF are skipped anywhere, padding ends the input.
  size_t n = src.size();
  size_t si = 0;
  auto newline = [&](size_t i) { return src[i] == '\n' || src[i] == '\r'; };
  while (si < n) {
    for (int j = 0; j < 4;) {
      if (si == n) {
        if (j == 0) return -1;
        return static_cast<long>(si - j);
      }
      unsigned char in = static_cast<unsigned char>(src[si++]);
      if (base64_char(in)) {
        ++j;
        continue;
      }
      if (in == '\n' || in == '\r') continue;
      if (in != '=') return static_cast<long>(si - 1);
      if (j == 0 || j == 1) return static_cast<long>(si - 1);
      if (j == 2) {
        while (si < n && newline(si)) ++si;
        if (si == n) return static_cast<long>(n);
        if (src[si] != '=') return static_cast<long>(si - 1);
        ++si;
      }
      while (si < n && newline(si)) ++si;
      if (si < n) return static_cast<long>(si);
      return -1;
    }
  }
  return -1;
}

std::vector<std::string> FieldValidationResult::unknown_field_warnings() const {
  std::vector<std::string> out;
  out.reserve(unknown_fields.size());
  for (const std::string& p : unknown_fields) out.push_back(unknown_field_message(p));
  return out;
}

std::string FieldValidationResult::strict_error() const {
  if (unknown_fields.empty()) return "";
  return strict_decoding_message(unknown_field_warnings());
}

std::string FieldValidationResult::decode_error() const {
  if (!type_errors.empty()) return type_errors.front().message;
  return strict_error();
}

FieldValidationResult validate_fields(const Json& obj, const SchemaType& root,
                                      const FieldValidationOptions& options) {
  FieldValidationResult out;
  validate_fields(obj, root, options, &out);
  return out;
}

void validate_fields(const Json& obj, const SchemaType& root, const FieldValidationOptions& options,
                     FieldValidationResult* out) {
  if (!obj.is_object()) {
    out->type_errors.push_back(
        {"", fmt::format("json: cannot unmarshal {} into Go value of type {}.{}",
                         value_description(obj), root.go_package(), root.name())});
    return;
  }
  FieldValidator(options, out).object(obj, root, false);
}

std::string unknown_field_message(std::string_view path) {
  return fmt::format("unknown field {}", go_quote(path));
}

std::string duplicate_field_message(std::string_view path) {
  return fmt::format("duplicate field {}", go_quote(path));
}

std::string strict_decoding_message(std::span<const std::string> errors) {
  std::string out = "strict decoding error: ";
  for (size_t i = 0; i < errors.size(); ++i) {
    if (i != 0) out += ", ";
    out += errors[i];
  }
  return out;
}

std::string cannot_handle_message(std::string_view kind, std::string_view version,
                                  std::string_view detail) {
  return fmt::format("{} in version {} cannot be handled as a {}: {}", kind, go_quote(version),
                     kind, detail);
}

}  // namespace bosun::api
