// The string form of label selectors: a faithful copy of the behaviour of labels.Lexer and
// labels.Parser (k8s.io/apimachinery/pkg/labels/selector.go), including their error messages, plus
// byte positions.
#include <algorithm>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "api/label_selector.h"
#include "api/label_selector_internal.h"
#include "api/validation.h"

namespace bosun::api {
namespace {

using selector_internal::join;
using selector_internal::parse_go_int64;

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

}  // namespace

Result<LabelSelector> LabelSelector::parse(std::string_view text, SelectorSyntaxError* detail) {
  std::optional<ParseFailure> failure;
  Parser p(text);
  std::vector<LabelRequirement> reqs = p.parse(failure);
  if (failure) {
    if (detail) *detail = SelectorSyntaxError{failure->message, failure->position};
    return make_error(ErrorCode::kBadRequest,
                      fmt::format("{} (at byte {})", failure->message, failure->position));
  }
  selector_internal::sort_by_key(reqs);
  LabelSelector s;
  s.requirements_ = std::move(reqs);
  return s;
}

}  // namespace bosun::api
