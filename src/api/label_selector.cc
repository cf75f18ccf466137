#include "api/label_selector.h"

#include <algorithm>
#include <charconv>
#include <utility>

#include <fmt/format.h>

#include "api/validation.h"

namespace bosun::api {
namespace {

// field.Path rendering, enough for the paths selectors produce.
std::string child(std::string_view path, std::string_view name) {
  if (path.empty()) return std::string(name);
  std::string out(path);
  out += '.';
  out += name;
  return out;
}
std::string index(std::string_view path, size_t i) { return fmt::format("{}[{}]", path, i); }
std::string key_of(std::string_view path, std::string_view key) {
  return fmt::format("{}[{}]", path, key);
}

std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out += sep;
    out += parts[i];
  }
  return out;
}

// Go's %#v of a []string, which field.Error prints for a list-valued bad value: []string{"a", "b"},
// and
// []string(nil) for a nil slice (LabelSelectorAsSelector passes nil when `values` is absent).
std::string go_string_slice(const std::vector<std::string>& values) {
  if (values.empty()) return "[]string(nil)";
  std::string out = "[]string{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ", ";
    out += go_quote(values[i]);
  }
  return out + "}";
}

// A field.Invalid whose bad value is a []string: FieldError can only print JSON values, so the Go
// rendering of the slice goes into the detail with the value omitted; the resulting text is the
// same as Kubernetes'.
void invalid_slice(FieldErrors& errs, std::string field, const std::vector<std::string>& values,
                   std::string_view detail) {
  errs.add({FieldErrorType::kInvalid, std::move(field), nullptr,
            go_string_slice(values) + ": " + std::string(detail), true});
}

// strconv.ParseInt(s, 10, 64): optional sign, decimal digits, no overflow.
bool parse_go_int64(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
    if (s.empty()) return false;
  }
  uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || ptr != s.data() + s.size()) return false;
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (neg) {
    if (n > kMax + 1) return false;
    *out = n == kMax + 1 ? INT64_MIN : -static_cast<int64_t>(n);
  } else {
    if (n > kMax) return false;
    *out = static_cast<int64_t>(n);
  }
  return true;
}

bool has_value(const std::vector<std::string>& values, std::string_view v) {
  for (const auto& x : values) {
    if (x == v) return true;
  }
  return false;
}

Error field_errors_error(const FieldErrors& errs) {
  return make_error(ErrorCode::kBadRequest, errs.aggregate_message());
}

// ---- The string grammar: a faithful copy of labels.Lexer and labels.Parser's behaviour. ----

enum class Token : uint8_t {
  kError,
  kEnd,
  kClosedPar,
  kComma,
  kDoesNotExist,
  kDoubleEquals,
  kEquals,
  kGreaterThan,
  kIdentifier,
  kIn,
  kLessThan,
  kNotEquals,
  kNotIn,
  kOpenPar,
};

struct Item {
  Token tok;
  std::string_view literal;
  size_t pos;
};

bool is_whitespace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool is_special(char c) {
  switch (c) {
    case '=':
    case '!':
    case '(':
    case ')':
    case ',':
    case '>':
    case '<':
      return true;
    default:
      return false;
  }
}

// string2token: the literal tokens.
Token literal_token(std::string_view s) {
  if (s == ")") return Token::kClosedPar;
  if (s == ",") return Token::kComma;
  if (s == "!") return Token::kDoesNotExist;
  if (s == "==") return Token::kDoubleEquals;
  if (s == "=") return Token::kEquals;
  if (s == ">") return Token::kGreaterThan;
  if (s == "in") return Token::kIn;
  if (s == "<") return Token::kLessThan;
  if (s == "!=") return Token::kNotEquals;
  if (s == "notin") return Token::kNotIn;
  if (s == "(") return Token::kOpenPar;
  return Token::kError;
}

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  Item lex() {
    char ch = skip_whitespace(read());
    // Like Kubernetes' lexer, a NUL byte reads as the end of the input.
    if (ch == 0) return {Token::kEnd, {}, at_nul_ ? pos_ - 1 : s_.size()};
    unread();
    if (is_special(ch)) return scan_special();
    return scan_id_or_keyword();
  }

 private:
  char read() {
    at_nul_ = false;
    if (pos_ < s_.size()) {
      char b = s_[pos_++];
      at_nul_ = b == 0;
      return b;
    }
    return 0;
  }
  void unread() { --pos_; }

  char skip_whitespace(char ch) {
    while (is_whitespace(ch)) ch = read();
    return ch;
  }

  Item scan_id_or_keyword() {
    size_t start = pos_;
    size_t end = start;
    while (true) {
      char ch = read();
      if (ch == 0) break;
      if (is_special(ch) || is_whitespace(ch)) {
        unread();
        break;
      }
      end = pos_;
    }
    std::string_view lit = s_.substr(start, end - start);
    Token t = literal_token(lit);
    return {t == Token::kError ? Token::kIdentifier : t, lit, start};
  }

  Item scan_special() {
    size_t start = pos_;
    Item last{Token::kError, {}, start};
    while (true) {
      char ch = read();
      if (ch == 0) break;
      if (!is_special(ch)) {
        unread();
        break;
      }
      std::string_view buf = s_.substr(start, pos_ - start);
      Token t = literal_token(buf);
      if (t != Token::kError) {
        last = {t, buf, start};
      } else if (last.tok != Token::kError) {
        unread();
        break;
      }
    }
    // Every single special character is a token, so the lexer's ErrorToken cannot arise.
    return last;
  }

  std::string_view s_;
  size_t pos_ = 0;
  bool at_nul_ = false;
};

enum class Context { kKeyAndOperator, kValues };

struct ParseFailure {
  std::string message;
  size_t position;
};

class Parser {
 public:
  explicit Parser(std::string_view s) {
    Lexer l(s);
    while (true) {
      Item it = l.lex();
      items_.push_back(it);
      if (it.tok == Token::kEnd) break;
    }
  }

  // Returns the requirements in input order, or sets `failure`.
  std::vector<LabelRequirement> parse(std::optional<ParseFailure>& failure) {
    std::vector<LabelRequirement> reqs;
    while (true) {
      Item it = lookahead(Context::kValues);
      switch (it.tok) {
        case Token::kIdentifier:
        case Token::kDoesNotExist: {
          auto r = parse_requirement(failure);
          if (!r) {
            failure->message = "unable to parse requirement: " + failure->message;
            return {};
          }
          reqs.push_back(std::move(*r));
          Item t = consume(Context::kValues);
          if (t.tok == Token::kEnd) return reqs;
          if (t.tok == Token::kComma) {
            Item t2 = lookahead(Context::kValues);
            if (t2.tok != Token::kIdentifier && t2.tok != Token::kDoesNotExist) {
              failure = ParseFailure{
                  fmt::format("found '{}', expected: identifier after ','", t2.literal), t2.pos};
              return {};
            }
            break;
          }
          failure = ParseFailure{
              fmt::format("found '{}', expected: ',' or 'end of string'", t.literal), t.pos};
          return {};
        }
        case Token::kEnd:
          return reqs;
        default:
          failure = ParseFailure{
              fmt::format("found '{}', expected: !, identifier, or 'end of string'", it.literal),
              it.pos};
          return {};
      }
    }
  }

 private:
  // A value and the position of the token it came from, for pointing at a bad one.
  struct Values {
    std::vector<std::pair<std::string_view, size_t>> items;
    void insert(std::string_view v, size_t pos) {
      for (const auto& [x, p] : items) {
        if (x == v) return;
      }
      items.emplace_back(v, pos);
    }
    // sets.String.List(): sorted, unique.
    std::vector<std::string> list() {
      std::sort(items.begin(), items.end());
      std::vector<std::string> out;
      out.reserve(items.size());
      for (const auto& [v, p] : items) out.emplace_back(v);
      return out;
    }
  };

  Item lookahead(Context ctx) const {
    Item it = items_[std::min(position_, items_.size() - 1)];
    // In a values context "in" and "notin" are plain identifiers ("x in (in)").
    if (ctx == Context::kValues && (it.tok == Token::kIn || it.tok == Token::kNotIn)) {
      it.tok = Token::kIdentifier;
    }
    return it;
  }
  Item consume(Context ctx) {
    Item it = lookahead(ctx);
    ++position_;
    return it;
  }

  std::optional<LabelRequirement> parse_requirement(std::optional<ParseFailure>& failure) {
    // parseKeyAndInferOperator
    std::optional<SelectorOperator> op;
    Item t = consume(Context::kValues);
    if (t.tok == Token::kDoesNotExist) {
      op = SelectorOperator::kDoesNotExist;
      t = consume(Context::kValues);
    }
    if (t.tok != Token::kIdentifier) {
      failure = ParseFailure{fmt::format("found '{}', expected: identifier", t.literal), t.pos};
      return std::nullopt;
    }
    Item key = t;
    if (auto errs = is_qualified_name(key.literal); !errs.empty()) {
      // Kubernetes validates the key against a nil field path, which prints as "<nil>".
      FieldErrors fe;
      fe.invalid("<nil>", Json(key.literal), join(errs, "; "));
      failure = ParseFailure{fe.aggregate_message(), key.pos};
      return std::nullopt;
    }
    Item next = lookahead(Context::kValues);
    if ((next.tok == Token::kEnd || next.tok == Token::kComma) && !op) {
      op = SelectorOperator::kExists;
    }
    if (op) {
      // "!key" stays DoesNotExist even if an operator follows; the caller then trips over that
      // operator.
      return make(key, *op, {}, failure);
    }

    // parseOperator
    Item o = consume(Context::kKeyAndOperator);
    switch (o.tok) {
      case Token::kIn:
        op = SelectorOperator::kIn;
        break;
      case Token::kEquals:
        op = SelectorOperator::kEquals;
        break;
      case Token::kDoubleEquals:
        op = SelectorOperator::kDoubleEquals;
        break;
      case Token::kGreaterThan:
        op = SelectorOperator::kGreaterThan;
        break;
      case Token::kLessThan:
        op = SelectorOperator::kLessThan;
        break;
      case Token::kNotIn:
        op = SelectorOperator::kNotIn;
        break;
      case Token::kNotEquals:
        op = SelectorOperator::kNotEquals;
        break;
      default:
        failure = ParseFailure{
            fmt::format("found '{}', expected: in, notin, =, ==, !=, gt, lt", o.literal), o.pos};
        return std::nullopt;
    }

    Values values;
    bool ok = (*op == SelectorOperator::kIn || *op == SelectorOperator::kNotIn)
                  ? parse_values(values, failure)
                  : parse_exact_value(values, failure);
    if (!ok) return std::nullopt;
    return make(key, *op, std::move(values), failure);
  }

  std::optional<LabelRequirement> make(const Item& key, SelectorOperator op, Values values,
                                       std::optional<ParseFailure>& failure) {
    auto positions = values.items;
    auto r = LabelRequirement::create(std::string(key.literal), op, values.list());
    if (r.ok()) return std::move(r).value();
    // Point at the first value (in the order Kubernetes checks them) that is wrong on its own.
    std::sort(positions.begin(), positions.end());
    size_t pos = key.pos;
    for (const auto& [v, p] : positions) {
      int64_t n;
      bool numeric_op = op == SelectorOperator::kGreaterThan || op == SelectorOperator::kLessThan;
      if (!label_value_ok(v) || (numeric_op && !parse_go_int64(v, &n))) {
        pos = p;
        break;
      }
    }
    failure = ParseFailure{r.error().message, pos};
    return std::nullopt;
  }

  // parseValues: "(" values ")".
  bool parse_values(Values& out, std::optional<ParseFailure>& failure) {
    Item t = consume(Context::kValues);
    if (t.tok != Token::kOpenPar) {
      failure = ParseFailure{fmt::format("found '{}' expected: '('", t.literal), t.pos};
      return false;
    }
    Item la = lookahead(Context::kValues);
    switch (la.tok) {
      case Token::kIdentifier:
      case Token::kComma: {
        if (!parse_identifiers_list(out, failure)) return false;
        Item c = consume(Context::kValues);
        if (c.tok != Token::kClosedPar) {
          failure = ParseFailure{fmt::format("found '{}', expected: ')'", la.literal), c.pos};
          return false;
        }
        return true;
      }
      case Token::kClosedPar:
        consume(Context::kValues);
        out.insert("", la.pos);
        return true;
      default:
        failure = ParseFailure{
            fmt::format("found '{}', expected: ',', ')' or identifier", la.literal), la.pos};
        return false;
    }
  }

  // parseIdentifiersList: possibly empty identifiers separated by commas; empty ones are "".
  bool parse_identifiers_list(Values& out, std::optional<ParseFailure>& failure) {
    while (true) {
      Item t = consume(Context::kValues);
      switch (t.tok) {
        case Token::kIdentifier: {
          out.insert(t.literal, t.pos);
          Item t2 = lookahead(Context::kValues);
          if (t2.tok == Token::kComma) continue;
          if (t2.tok == Token::kClosedPar) return true;
          failure =
              ParseFailure{fmt::format("found '{}', expected: ',' or ')'", t2.literal), t2.pos};
          return false;
        }
        case Token::kComma: {
          if (out.items.empty()) out.insert("", t.pos);
          Item t2 = lookahead(Context::kValues);
          if (t2.tok == Token::kClosedPar) {
            out.insert("", t2.pos);
            return true;
          }
          if (t2.tok == Token::kComma) out.insert("", t2.pos);
          continue;
        }
        default:
          failure = ParseFailure{fmt::format("found '{}', expected: ',', or identifier", t.literal),
                                 t.pos};
          return false;
      }
    }
  }

  // parseExactValue: one value, possibly empty ("x=" selects an empty value).
  bool parse_exact_value(Values& out, std::optional<ParseFailure>& failure) {
    Item la = lookahead(Context::kValues);
    if (la.tok == Token::kEnd || la.tok == Token::kComma) {
      out.insert("", la.pos);
      return true;
    }
    Item t = consume(Context::kValues);
    if (t.tok == Token::kIdentifier) {
      out.insert(t.literal, t.pos);
      return true;
    }
    failure = ParseFailure{fmt::format("found '{}', expected: identifier", t.literal), t.pos};
    return false;
  }

  std::vector<Item> items_;
  size_t position_ = 0;
};

void sort_by_key(std::vector<LabelRequirement>& reqs) {
  // Kubernetes sorts with sort.Sort, which is an insertion sort (stable) for the short lists
  // selectors are.
  std::stable_sort(
      reqs.begin(), reqs.end(),
      [](const LabelRequirement& a, const LabelRequirement& b) { return a.key() < b.key(); });
}

const std::string* lookup_in(const Labels& labels, std::string_view key) {
  auto it = labels.find(key);
  return it == labels.end() ? nullptr : &it->second;
}

const std::string* lookup_in(const Json& labels, std::string_view key) {
  if (!labels.is_object()) return nullptr;
  auto it = labels.find(key);
  if (it == labels.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

}  // namespace

std::string_view selector_operator_name(SelectorOperator op) {
  switch (op) {
    case SelectorOperator::kIn:
      return "in";
    case SelectorOperator::kNotIn:
      return "notin";
    case SelectorOperator::kEquals:
      return "=";
    case SelectorOperator::kDoubleEquals:
      return "==";
    case SelectorOperator::kNotEquals:
      return "!=";
    case SelectorOperator::kExists:
      return "exists";
    case SelectorOperator::kDoesNotExist:
      return "!";
    case SelectorOperator::kGreaterThan:
      return "gt";
    case SelectorOperator::kLessThan:
      return "lt";
  }
  return "";
}

// ---- LabelRequirement ----

Result<LabelRequirement> LabelRequirement::create(std::string key, SelectorOperator op,
                                                  std::vector<std::string> values,
                                                  std::string_view path) {
  FieldErrors errs;
  if (auto msgs = is_qualified_name(key); !msgs.empty()) {
    errs.invalid(child(path, "key"), Json(key), join(msgs, "; "));
  }
  std::string values_path = child(path, "values");
  LabelRequirement r;
  switch (op) {
    case SelectorOperator::kIn:
    case SelectorOperator::kNotIn:
      if (values.empty()) {
        invalid_slice(errs, values_path, values,
                      "for 'in', 'notin' operators, values set can't be empty");
      }
      break;
    case SelectorOperator::kEquals:
    case SelectorOperator::kDoubleEquals:
    case SelectorOperator::kNotEquals:
      if (values.size() != 1) {
        invalid_slice(errs, values_path, values,
                      "exact-match compatibility requires one single value");
      }
      break;
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist:
      if (!values.empty()) {
        invalid_slice(errs, values_path, values,
                      "values set must be empty for exists and does not exist");
      }
      break;
    case SelectorOperator::kGreaterThan:
    case SelectorOperator::kLessThan:
      if (values.size() != 1) {
        invalid_slice(errs, values_path, values,
                      "for 'Gt', 'Lt' operators, exactly one value is required");
      }
      for (size_t i = 0; i < values.size(); ++i) {
        if (!parse_go_int64(values[i], &r.number_)) {
          errs.invalid(index(values_path, i), Json(values[i]),
                       "for 'Gt', 'Lt' operators, the value must be an integer");
        }
      }
      break;
  }
  for (size_t i = 0; i < values.size(); ++i) {
    if (auto msgs = is_valid_label_value(values[i]); !msgs.empty()) {
      errs.invalid(key_of(index(values_path, i), key), Json(values[i]), join(msgs, "; "));
    }
  }
  if (!errs.empty()) return field_errors_error(errs);
  r.key_ = std::move(key);
  r.op_ = op;
  r.values_ = std::move(values);
  return r;
}

template <typename Lookup>
bool LabelRequirement::matches_with(const Lookup& lookup) const {
  const std::string* v = lookup(key_);
  switch (op_) {
    case SelectorOperator::kIn:
    case SelectorOperator::kEquals:
    case SelectorOperator::kDoubleEquals:
      return v != nullptr && has_value(values_, *v);
    case SelectorOperator::kNotIn:
    case SelectorOperator::kNotEquals:
      return v == nullptr || !has_value(values_, *v);
    case SelectorOperator::kExists:
      return v != nullptr;
    case SelectorOperator::kDoesNotExist:
      return v == nullptr;
    case SelectorOperator::kGreaterThan:
    case SelectorOperator::kLessThan: {
      // A label value that is not an integer never matches, as in Kubernetes.
      int64_t n;
      if (v == nullptr || values_.size() != 1 || !parse_go_int64(*v, &n)) return false;
      return op_ == SelectorOperator::kGreaterThan ? n > number_ : n < number_;
    }
  }
  return false;
}

bool LabelRequirement::matches(const Labels& labels) const {
  return matches_with([&](std::string_view k) { return lookup_in(labels, k); });
}

bool LabelRequirement::matches(const Json& labels) const {
  return matches_with([&](std::string_view k) { return lookup_in(labels, k); });
}

void LabelRequirement::append_to(std::string& out) const {
  if (op_ == SelectorOperator::kDoesNotExist) out += '!';
  out += key_;
  switch (op_) {
    case SelectorOperator::kEquals:
      out += '=';
      break;
    case SelectorOperator::kDoubleEquals:
      out += "==";
      break;
    case SelectorOperator::kNotEquals:
      out += "!=";
      break;
    case SelectorOperator::kIn:
      out += " in (";
      break;
    case SelectorOperator::kNotIn:
      out += " notin (";
      break;
    case SelectorOperator::kGreaterThan:
      out += '>';
      break;
    case SelectorOperator::kLessThan:
      out += '<';
      break;
    case SelectorOperator::kExists:
    case SelectorOperator::kDoesNotExist:
      return;
  }
  if (values_.size() == 1) {
    out += values_[0];
  } else if (std::is_sorted(values_.begin(), values_.end())) {
    out += join(values_, ",");
  } else {
    // Printed sorted without touching the requirement, as Kubernetes' safeSort does.
    auto sorted = values_;
    std::sort(sorted.begin(), sorted.end());
    out += join(sorted, ",");
  }
  if (op_ == SelectorOperator::kIn || op_ == SelectorOperator::kNotIn) out += ')';
}

std::string LabelRequirement::to_string() const {
  std::string out;
  append_to(out);
  return out;
}

// ---- LabelSelector ----

LabelSelector LabelSelector::nothing() {
  LabelSelector s;
  s.nothing_ = true;
  return s;
}

Result<LabelSelector> LabelSelector::parse(std::string_view text, SelectorSyntaxError* detail) {
  std::optional<ParseFailure> failure;
  Parser p(text);
  std::vector<LabelRequirement> reqs = p.parse(failure);
  if (failure) {
    if (detail) *detail = SelectorSyntaxError{failure->message, failure->position};
    return make_error(ErrorCode::kBadRequest,
                      fmt::format("{} (at byte {})", failure->message, failure->position));
  }
  sort_by_key(reqs);
  LabelSelector s;
  s.requirements_ = std::move(reqs);
  return s;
}

LabelSelector LabelSelector::from_set(const Labels& set) {
  LabelSelector s;
  s.requirements_.reserve(set.size());
  for (const auto& [k, v] : set) {
    LabelRequirement r;
    r.key_ = k;
    r.op_ = SelectorOperator::kEquals;
    r.values_ = {v};
    s.requirements_.push_back(std::move(r));
  }
  return s;
}

Result<LabelSelector> LabelSelector::from_validated_set(const Labels& set) {
  LabelSelector s;
  for (const auto& [k, v] : set) {
    BOSUN_ASSIGN_OR_RETURN(auto r, LabelRequirement::create(k, SelectorOperator::kEquals, {v}));
    s.requirements_.push_back(std::move(r));
  }
  return s;
}

Result<LabelSelector> LabelSelector::from_json(const Json& ls) {
  if (ls.is_null()) return nothing();
  if (!ls.is_object()) {
    return make_error(ErrorCode::kBadRequest,
                      "a label selector must be an object, got " + std::string(ls.type_name()));
  }
  const Json* match_labels = nullptr;
  const Json* match_expressions = nullptr;
  if (auto it = ls.find("matchLabels"); it != ls.end() && !it->is_null()) {
    if (!it->is_object()) {
      return make_error(ErrorCode::kBadRequest, "matchLabels must be an object of strings");
    }
    match_labels = &*it;
  }
  if (auto it = ls.find("matchExpressions"); it != ls.end() && !it->is_null()) {
    if (!it->is_array())
      return make_error(ErrorCode::kBadRequest, "matchExpressions must be a list");
    match_expressions = &*it;
  }
  std::vector<LabelRequirement> reqs;
  if (match_labels) {
    for (const auto& [k, v] : match_labels->items()) {
      if (!v.is_string()) {
        return make_error(ErrorCode::kBadRequest,
                          "matchLabels[" + k + "] must be a string, got " + v.type_name());
      }
      BOSUN_ASSIGN_OR_RETURN(
          auto r, LabelRequirement::create(k, SelectorOperator::kEquals, {v.get<std::string>()}));
      reqs.push_back(std::move(r));
    }
  }
  if (match_expressions) {
    for (const Json& e : *match_expressions) {
      if (!e.is_object()) {
        return make_error(ErrorCode::kBadRequest, "matchExpressions items must be objects");
      }
      std::string key;
      std::string op_name;
      std::vector<std::string> values;
      if (auto it = e.find("key"); it != e.end() && !it->is_null()) {
        if (!it->is_string()) return make_error(ErrorCode::kBadRequest, "key must be a string");
        key = it->get<std::string>();
      }
      if (auto it = e.find("operator"); it != e.end() && !it->is_null()) {
        if (!it->is_string())
          return make_error(ErrorCode::kBadRequest, "operator must be a string");
        op_name = it->get<std::string>();
      }
      if (auto it = e.find("values"); it != e.end() && !it->is_null()) {
        if (!it->is_array()) return make_error(ErrorCode::kBadRequest, "values must be a list");
        for (const Json& v : *it) {
          if (!v.is_string()) {
            return make_error(ErrorCode::kBadRequest, "values must be a list of strings");
          }
          values.push_back(v.get<std::string>());
        }
      }
      SelectorOperator op;
      if (op_name == "In") {
        op = SelectorOperator::kIn;
      } else if (op_name == "NotIn") {
        op = SelectorOperator::kNotIn;
      } else if (op_name == "Exists") {
        op = SelectorOperator::kExists;
      } else if (op_name == "DoesNotExist") {
        op = SelectorOperator::kDoesNotExist;
      } else {
        return make_error(ErrorCode::kBadRequest,
                          go_quote(op_name) + " is not a valid pod selector operator");
      }
      BOSUN_ASSIGN_OR_RETURN(auto r,
                             LabelRequirement::create(std::move(key), op, std::move(values)));
      reqs.push_back(std::move(r));
    }
  }
  LabelSelector s;
  s.requirements_ = std::move(reqs);
  sort_by_key(s.requirements_);
  return s;
}

LabelSelector LabelSelector::add(std::vector<LabelRequirement> requirements) const {
  if (nothing_) return *this;  // labels.Nothing().Add(...) is still Nothing
  LabelSelector s = *this;
  for (auto& r : requirements) s.requirements_.push_back(std::move(r));
  sort_by_key(s.requirements_);
  return s;
}

bool LabelSelector::matches(const Labels& labels) const {
  if (nothing_) return false;
  for (const auto& r : requirements_) {
    if (!r.matches(labels)) return false;
  }
  return true;
}

bool LabelSelector::matches(const Json& labels) const {
  if (nothing_) return false;
  for (const auto& r : requirements_) {
    if (!r.matches(labels)) return false;
  }
  return true;
}

std::string LabelSelector::to_string() const {
  std::string out;
  for (size_t i = 0; i < requirements_.size(); ++i) {
    if (i) out += ',';
    requirements_[i].append_to(out);
  }
  return out;
}

std::optional<std::string_view> LabelSelector::requires_exact_match(std::string_view key) const {
  for (const auto& r : requirements_) {
    if (r.key() != key) continue;
    switch (r.op()) {
      case SelectorOperator::kEquals:
      case SelectorOperator::kDoubleEquals:
      case SelectorOperator::kIn:
        if (r.values().size() == 1) return std::string_view(r.values()[0]);
        break;
      default:
        break;
    }
    return std::nullopt;
  }
  return std::nullopt;
}

Result<Json> LabelSelector::to_json() const {
  if (nothing_) return Json(nullptr);
  Json match_labels = Json::object();
  Json match_expressions = Json::array();
  for (const auto& r : requirements_) {
    std::string_view op_name;
    switch (r.op()) {
      case SelectorOperator::kEquals:
      case SelectorOperator::kDoubleEquals:
        if (r.values().size() != 1) {
          return make_error(ErrorCode::kBadRequest, "equals operator must have exactly one value");
        }
        match_labels[r.key()] = r.values()[0];
        continue;
      case SelectorOperator::kIn:
        op_name = "In";
        break;
      case SelectorOperator::kNotIn:
        op_name = "NotIn";
        break;
      case SelectorOperator::kExists:
        op_name = "Exists";
        break;
      case SelectorOperator::kDoesNotExist:
        op_name = "DoesNotExist";
        break;
      case SelectorOperator::kGreaterThan:
      case SelectorOperator::kLessThan:
        return make_error(ErrorCode::kBadRequest, go_quote(selector_operator_name(r.op())) +
                                                      " isn't supported in label selectors");
      case SelectorOperator::kNotEquals:
        return make_error(ErrorCode::kBadRequest, go_quote(selector_operator_name(r.op())) +
                                                      " is not a valid label selector operator");
    }
    Json e = {{"key", r.key()}, {"operator", op_name}};
    auto values = r.values();
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    if (!values.empty()) e["values"] = values;
    match_expressions.push_back(std::move(e));
  }
  Json out = Json::object();
  if (!match_labels.empty()) out["matchLabels"] = std::move(match_labels);
  if (!match_expressions.empty()) out["matchExpressions"] = std::move(match_expressions);
  return out;
}

// ---- Validation of the object form ----

FieldErrors validate_label_selector(const Json& ls, std::string_view path,
                                    bool allow_invalid_label_value) {
  FieldErrors errs;
  if (ls.is_null()) return errs;
  if (!ls.is_object()) {
    errs.add({FieldErrorType::kTypeInvalid, std::string(path), ls, "must be an object"});
    return errs;
  }
  std::string labels_path = child(path, "matchLabels");
  if (auto it = ls.find("matchLabels"); it != ls.end() && !it->is_null()) {
    if (!it->is_object()) {
      errs.add({FieldErrorType::kTypeInvalid, labels_path, *it, "must be an object"});
    } else {
      for (const auto& [k, v] : it->items()) {
        validate_label_name(k, labels_path, errs);
        if (!v.is_string()) {
          errs.add({FieldErrorType::kTypeInvalid, labels_path, v, "must be a string"});
          continue;
        }
        for (auto& msg : is_valid_label_value(v.get_ref<const std::string&>())) {
          errs.invalid(labels_path, v, std::move(msg));
        }
      }
    }
  }
  std::string exprs_path = child(path, "matchExpressions");
  auto it = ls.find("matchExpressions");
  if (it == ls.end() || it->is_null()) return errs;
  if (!it->is_array()) {
    errs.add({FieldErrorType::kTypeInvalid, exprs_path, *it, "must be a list"});
    return errs;
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& e = (*it)[i];
    std::string epath = index(exprs_path, i);
    if (!e.is_object()) {
      errs.add({FieldErrorType::kTypeInvalid, epath, e, "must be an object"});
      continue;
    }
    Json op = e.value("operator", Json(""));
    Json key = e.value("key", Json(""));
    Json values = e.value("values", Json::array());
    if (values.is_null()) values = Json::array();
    std::string values_path = child(epath, "values");
    size_t n_values = values.is_array() ? values.size() : 0;
    if (op == "In" || op == "NotIn") {
      if (n_values == 0) {
        errs.required(values_path, "must be specified when `operator` is 'In' or 'NotIn'");
      }
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (n_values > 0) {
        errs.forbidden(values_path,
                       "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
      }
    } else {
      errs.invalid(child(epath, "operator"), op, "not a valid selector operator");
    }
    if (key.is_string()) {
      validate_label_name(key.get_ref<const std::string&>(), child(epath, "key"), errs);
    } else {
      errs.add({FieldErrorType::kTypeInvalid, child(epath, "key"), key, "must be a string"});
    }
    if (!values.is_array()) {
      errs.add({FieldErrorType::kTypeInvalid, values_path, values, "must be a list"});
      continue;
    }
    for (size_t j = 0; j < values.size(); ++j) {
      const Json& v = values[j];
      if (!v.is_string()) {
        errs.add({FieldErrorType::kTypeInvalid, index(values_path, j), v, "must be a string"});
        continue;
      }
      if (allow_invalid_label_value) continue;
      for (auto& msg : is_valid_label_value(v.get_ref<const std::string&>())) {
        errs.invalid(index(values_path, j), v, std::move(msg));
      }
    }
  }
  return errs;
}

}  // namespace bosun::api
