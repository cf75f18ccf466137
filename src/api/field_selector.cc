#include "api/field_selector.h"

#include <algorithm>

#include <fmt/format.h>

namespace bosun::api {
namespace {

// Go's utf8.DecodeRuneInString: the rune at s[0] and its length; an invalid sequence is (U+FFFD,
// 1).
std::pair<uint32_t, size_t> decode_rune(std::string_view s) {
  constexpr uint32_t kError = 0xFFFD;
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char c0 = b(0);
  if (c0 < 0x80) return {c0, 1};
  auto cont = [&](size_t i, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    return i < s.size() && b(i) >= lo && b(i) <= hi;
  };
  if (c0 >= 0xC2 && c0 <= 0xDF) {
    if (cont(1)) return {((c0 & 0x1Fu) << 6) | (b(1) & 0x3Fu), 2};
  } else if (c0 >= 0xE0 && c0 <= 0xEF) {
    // No overlongs (E0 needs A0..BF) and no surrogates (ED needs 80..9F).
    unsigned char lo = c0 == 0xE0 ? 0xA0 : 0x80;
    unsigned char hi = c0 == 0xED ? 0x9F : 0xBF;
    if (cont(1, lo, hi) && cont(2)) {
      return {((c0 & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu), 3};
    }
  } else if (c0 >= 0xF0 && c0 <= 0xF4) {
    unsigned char lo = c0 == 0xF0 ? 0x90 : 0x80;
    unsigned char hi = c0 == 0xF4 ? 0x8F : 0xBF;
    if (cont(1, lo, hi) && cont(2) && cont(3)) {
      return {
          ((c0 & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu),
          4};
    }
  }
  return {kError, 1};
}

void append_rune(std::string& out, uint32_t r) {
  if (r < 0x80) {
    out += static_cast<char>(r);
  } else if (r < 0x800) {
    out += static_cast<char>(0xC0 | (r >> 6));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    out += static_cast<char>(0xE0 | (r >> 12));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (r >> 18));
    out += static_cast<char>(0x80 | ((r >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((r >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (r & 0x3F));
  }
}

struct UnescapeFailure {
  std::string message;
  size_t offset;  // within the value
};

// fields.UnescapeValue. Like Go's, it walks the value rune by rune once escaping is involved, so
// invalid UTF-8 in such a value comes out as U+FFFD.
bool unescape(std::string_view s, std::string& out, UnescapeFailure& failure) {
  if (s.find_first_of("\\,=") == std::string_view::npos) {
    out.assign(s);
    return true;
  }
  out.clear();
  out.reserve(s.size());
  bool in_slash = false;
  size_t slash_at = 0;
  for (size_t i = 0; i < s.size();) {
    auto [r, n] = decode_rune(s.substr(i));
    if (in_slash) {
      if (r == '\\' || r == ',' || r == '=') {
        out += static_cast<char>(r);
      } else {
        std::string seq = "\\";
        append_rune(seq, r);
        failure = {"invalid field selector: invalid escape sequence: " + seq, slash_at};
        return false;
      }
      in_slash = false;
    } else if (r == '\\') {
      in_slash = true;
      slash_at = i;
    } else if (r == ',' || r == '=') {
      // Go prints the rune with %v, i.e. as its number.
      failure = {fmt::format("invalid field selector: unescaped character in value: {}", r), i};
      return false;
    } else {
      append_rune(out, r);
    }
    i += n;
  }
  if (in_slash) {
    failure = {"invalid field selector: invalid escape sequence: \\", slash_at};
    return false;
  }
  return true;
}

struct Term {
  std::string_view text;
  size_t pos;
};

// splitTerms: split on commas that are not escaped; the escapes stay in the terms.
std::vector<Term> split_terms(std::string_view s) {
  std::vector<Term> terms;
  if (s.empty()) return terms;
  size_t start = 0;
  bool in_slash = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_slash) {
      in_slash = false;
    } else if (c == '\\') {
      in_slash = true;
    } else if (c == ',') {
      terms.push_back({s.substr(start, i - start), start});
      start = i + 1;
    }
  }
  terms.push_back({s.substr(start), start});
  return terms;
}

// splitTerm: the first "!=", "==" or "=" splits the field (never unescaped) from the raw value.
bool split_term(std::string_view term, std::string_view& lhs, std::string_view& op,
                std::string_view& rhs) {
  for (size_t i = 0; i < term.size(); ++i) {
    for (std::string_view o :
         {std::string_view("!="), std::string_view("=="), std::string_view("=")}) {
      if (term.substr(i).starts_with(o)) {
        lhs = term.substr(0, i);
        op = o;
        rhs = term.substr(i + o.size());
        return true;
      }
    }
  }
  return false;
}

Error syntax_error(const std::string& message, size_t position, SelectorSyntaxError* detail) {
  if (detail) *detail = SelectorSyntaxError{message, position};
  return make_error(ErrorCode::kBadRequest, fmt::format("{} (at byte {})", message, position));
}

// The value of a selectable field as Kubernetes formats it, or nothing.
std::optional<std::string> field_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return v.dump();
  return std::nullopt;
}

const Json* walk(const Json& object, std::string_view path) {
  const Json* cur = &object;
  while (!path.empty()) {
    size_t dot = path.find('.');
    std::string_view part = path.substr(0, dot);
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(part);
    if (it == cur->end()) return nullptr;
    cur = &*it;
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return cur;
}

}  // namespace

std::string escape_field_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == ',' || c == '=') out += '\\';
    out += c;
  }
  return out;
}

Result<std::string> unescape_field_value(std::string_view value) {
  std::string out;
  UnescapeFailure failure;
  if (!unescape(value, out, failure)) return make_error(ErrorCode::kBadRequest, failure.message);
  return out;
}

FieldSelector FieldSelector::nothing() {
  FieldSelector s;
  s.nothing_ = true;
  return s;
}

FieldSelector FieldSelector::one_term_equal(std::string field, std::string value) {
  FieldSelector s;
  s.requirements_.push_back({std::move(field), false, std::move(value)});
  return s;
}

FieldSelector FieldSelector::from_set(const Fields& set) {
  FieldSelector s;
  for (const auto& [f, v] : set) s.requirements_.push_back({f, false, v});
  return s;
}

Result<FieldSelector> FieldSelector::parse(std::string_view text, SelectorSyntaxError* detail) {
  std::vector<Term> terms = split_terms(text);
  std::sort(terms.begin(), terms.end(),
            [](const Term& a, const Term& b) { return a.text < b.text; });
  FieldSelector s;
  for (const Term& t : terms) {
    if (t.text.empty()) continue;
    std::string_view lhs, op, rhs;
    if (!split_term(t.text, lhs, op, rhs)) {
      return syntax_error(
          fmt::format("invalid selector: '{}'; can't understand '{}'", text, t.text), t.pos,
          detail);
    }
    FieldRequirement r{std::string(lhs), op == "!=", {}};
    UnescapeFailure failure;
    if (!unescape(rhs, r.value, failure)) {
      size_t value_pos = t.pos + lhs.size() + op.size();
      return syntax_error(failure.message, value_pos + failure.offset, detail);
    }
    // Kubernetes parses through an identity Transform, which drops terms with neither field nor
    // value ("=").
    if (r.field.empty() && r.value.empty()) continue;
    s.requirements_.push_back(std::move(r));
  }
  return s;
}

bool FieldSelector::matches(const Fields& fields) const {
  return matches_with([&](std::string_view f) -> std::string_view {
    auto it = fields.find(f);
    return it == fields.end() ? std::string_view() : std::string_view(it->second);
  });
}

Result<FieldSelector> FieldSelector::transform(const TransformFn& fn) const {
  if (nothing_) return *this;
  FieldSelector out;
  for (const auto& r : requirements_) {
    BOSUN_ASSIGN_OR_RETURN(auto fv, fn(r.field, r.value));
    if (fv.first.empty() && fv.second.empty()) continue;
    out.requirements_.push_back({std::move(fv.first), r.not_equals, std::move(fv.second)});
  }
  return out;
}

std::string FieldSelector::to_string() const {
  std::string out;
  for (size_t i = 0; i < requirements_.size(); ++i) {
    if (i) out += ',';
    out += requirements_[i].field;
    out += requirements_[i].not_equals ? "!=" : "=";
    out += escape_field_value(requirements_[i].value);
  }
  return out;
}

std::optional<std::string_view> FieldSelector::requires_exact_match(std::string_view field) const {
  for (const auto& r : requirements_) {
    if (!r.not_equals && r.field == field) return std::string_view(r.value);
  }
  return std::nullopt;
}

Result<void> check_supported(const FieldSelector& selector, const std::set<std::string>& supported,
                             FieldLabelConversion conversion) {
  if (conversion == FieldLabelConversion::kAuto) {
    conversion = FieldLabelConversion::kDefault;
    for (const auto& f : supported) {
      if (f != "metadata.name" && f != "metadata.namespace") {
        conversion = FieldLabelConversion::kPerKind;
        break;
      }
    }
  }
  for (const auto& r : selector.requirements()) {
    if (supported.count(r.field)) continue;
    if (conversion == FieldLabelConversion::kPerKind) {
      return make_error(ErrorCode::kBadRequest, "field label not supported: " + r.field);
    }
    return make_error(ErrorCode::kBadRequest,
                      go_quote(r.field) +
                          " is not a known field selector: only \"metadata.name\", "
                          "\"metadata.namespace\"");
  }
  return ok_result();
}

Fields object_fields(const Json& object, const std::vector<std::string>& extra_paths) {
  Fields out;
  out["metadata.name"] = "";
  out["metadata.namespace"] = "";
  for (std::string_view base :
       {std::string_view("metadata.name"), std::string_view("metadata.namespace")}) {
    if (const Json* v = walk(object, base); v && v->is_string()) {
      out[std::string(base)] = v->get<std::string>();
    }
  }
  for (const auto& path : extra_paths) {
    const Json* v = walk(object, path);
    if (!v) continue;
    if (auto text = field_text(*v)) out[path] = std::move(*text);
  }
  return out;
}

}  // namespace bosun::api
