#include "api/decode.h"

#include <fmt/format.h>

#include <set>
#include <string>
#include <utility>

#include "api/yaml_decode.h"
#include "common/field_errors.h"

namespace bosun::api {
namespace {

// Kubernetes' strict JSON decoding (sigs.k8s.io/json) keeps at most 100 strict errors.
constexpr size_t kMaxStrictErrors = 100;

// Builds Json in place from nlohmann's SAX events, noting repeated keys with their field paths
// (nlohmann's own parser silently keeps the last) and refusing to nest deeper than
// kMaxDecodeDepth.
class StrictJsonSax {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  bool null() { return put(nullptr); }
  bool boolean(bool v) { return put(v); }
  bool number_integer(number_integer_t v) { return put(v); }
  bool number_unsigned(number_unsigned_t v) { return put(v); }
  bool number_float(number_float_t v, const string_t&) { return put(v); }
  bool string(string_t& v) { return put(std::move(v)); }
  bool binary(binary_t& v) { return put(Json::binary(std::move(v))); }

  bool start_object(std::size_t) { return open(Json::object()); }
  bool start_array(std::size_t) { return open(Json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(string_t& k) {
    Frame& top = stack_.back();
    auto& obj = top.value->get_ref<Json::object_t&>();
    auto [it, inserted] = obj.try_emplace(k);
    if (!inserted) {
      note_duplicate(k);
      it->second = nullptr;
    }
    top.key = std::move(k);
    pending_ = &it->second;
    return true;
  }

  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) {
    error_position_ = position;
    std::string what = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..."
    size_t col = what.find("column ");
    size_t colon = col == std::string::npos ? std::string::npos : what.find(": ", col);
    error_ = colon == std::string::npos ? what : what.substr(colon + 2);
    return false;
  }

  Json& root() { return root_; }
  const std::string& error() const { return error_; }
  size_t error_position() const { return error_position_; }
  std::vector<std::string>& duplicates() { return duplicates_; }

 private:
  struct Frame {
    Json* value;
    std::string key;  // objects: the key being filled
  };

  Json* place(Json v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Json* top = stack_.back().value;
    if (top->is_array()) {
      auto& arr = top->get_ref<Json::array_t&>();
      arr.push_back(std::move(v));
      return &arr.back();
    }
    *pending_ = std::move(v);
    return pending_;
  }

  bool put(Json v) {
    place(std::move(v));
    return true;
  }

  bool open(Json v) {
    if (stack_.size() >= kMaxDecodeDepth) {
      error_ = fmt::format("exceeded max depth of {}", kMaxDecodeDepth);
      return false;
    }
    Json* p = place(std::move(v));
    stack_.push_back(Frame{p, {}});
    return true;
  }

  bool close() {
    stack_.pop_back();
    return true;
  }

  void note_duplicate(const std::string& k) {
    std::string path;
    for (size_t i = 0; i + 1 < stack_.size(); ++i) {
      const Frame& f = stack_[i];
      if (f.value->is_array()) {
        internal::append_path_index(&path, f.value->size() - 1);
      } else {
        internal::append_path_key(&path, f.key);
      }
    }
    internal::append_path_key(&path, k);
    duplicates_.push_back(std::move(path));
  }

  Json root_;
  std::vector<Frame> stack_;
  Json* pending_ = nullptr;
  std::vector<std::string> duplicates_;
  std::string error_;
  size_t error_position_ = 0;
};

bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Offset of the first byte that is not whitespace or a UTF-8 byte order mark.
size_t skip_space(std::string_view text, size_t i) {
  if (i == 0 && text.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
  while (i < text.size() && is_json_space(text[i])) ++i;
  return i;
}

// The end of the JSON object or array starting at `start` (strings and escapes respected), or
// text.size() when it never closes (the strict parse then reports where).
size_t json_value_end(std::string_view text, size_t start) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = start; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return text.size();
}

// Parses text[begin, end) as exactly one JSON value; positions in errors are those of `text`.
Result<Decoded> parse_json_value(std::string_view text, size_t begin, size_t end,
                                 const DecodeOptions& options) {
  StrictJsonSax sax;
  std::string_view slice = text.substr(begin, end - begin);
  bool ok = false;
  try {
    ok = Json::sax_parse(slice.begin(), slice.end(), &sax, Json::input_format_t::json, true);
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kRequestEntityTooLarge, "json: document too large");
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kBadRequest, fmt::format("json: {}", e.what()));
  }
  if (!ok) {
    size_t line = 0, column = 0;
    size_t pos = begin + (sax.error_position() > 0 ? sax.error_position() - 1 : 0);
    internal::line_and_column(text, pos, &line, &column);
    return make_error(ErrorCode::kBadRequest,
                      fmt::format("json: line {}, column {}: {}", line, column, sax.error()));
  }
  Decoded d{std::move(sax.root()), std::move(sax.duplicates())};
  if (options.fail_on_duplicates && !d.duplicate_fields.empty()) {
    // sigs.k8s.io/json's UnmarshalStrictError: "json: " and the de-duplicated strict errors.
    std::string msg = "json: ";
    std::set<std::string> seen;
    size_t n = 0;
    for (const auto& f : d.duplicate_fields) {
      if (!seen.insert(f).second) continue;
      if (n == kMaxStrictErrors) break;
      if (n++) msg += ", ";
      msg += fmt::format("duplicate field {}", go_quote(f));
    }
    return make_error(ErrorCode::kBadRequest, std::move(msg));
  }
  return d;
}

// A stream of JSON objects/arrays, as kubectl reads `{...}{...}` files.
Result<std::vector<Decoded>> decode_json_stream(std::string_view text,
                                                const DecodeOptions& options) {
  std::vector<Decoded> out;
  size_t i = skip_space(text, 0);
  while (i < text.size()) {
    if (text[i] != '{' && text[i] != '[') {
      size_t line = 0, column = 0;
      internal::line_and_column(text, i, &line, &column);
      return make_error(ErrorCode::kBadRequest,
                        fmt::format("json: line {}, column {}: invalid character {} after a JSON "
                                    "document",
                                    line, column, go_quote(text.substr(i, 1))));
    }
    size_t end = json_value_end(text, i);
    BOSUN_ASSIGN_OR_RETURN(Decoded d, parse_json_value(text, i, end, options));
    out.push_back(std::move(d));
    i = skip_space(text, end);
  }
  return out;
}

}  // namespace

Result<std::vector<Decoded>> decode_documents(std::string_view text, const DecodeOptions& options) {
  size_t first = skip_space(text, 0);
  if (first < text.size() && text[first] == '{') return decode_json_stream(text, options);
  if (first < text.size() && text[first] == '[') {
    // `[a, b]` is a YAML flow sequence as well; only JSON-looking text takes the fast path.
    auto json = decode_json_stream(text, options);
    if (json.ok()) return json;
  }
  return internal::decode_yaml(text, options, false);
}

Result<std::vector<Json>> decode_manifests(std::string_view text) {
  BOSUN_ASSIGN_OR_RETURN(auto docs, decode_documents(text, DecodeOptions{}));
  std::vector<Json> out;
  out.reserve(docs.size());
  for (auto& d : docs) out.push_back(std::move(d.value));
  return out;
}

Result<Decoded> decode_document(std::string_view text, const DecodeOptions& options) {
  size_t first = skip_space(text, 0);
  if (first < text.size() && (text[first] == '{' || text[first] == '[')) {
    auto json = decode_json_document(text, options);
    if (json.ok() || text[first] == '{') return json;
  }
  BOSUN_ASSIGN_OR_RETURN(auto docs, internal::decode_yaml(text, options, true));
  if (docs.empty()) return Decoded{};
  return std::move(docs.front());
}

Result<Decoded> decode_json_document(std::string_view text, const DecodeOptions& options) {
  return parse_json_value(text, 0, text.size(), options);
}

Result<Json> decode_json(std::string_view text) {
  BOSUN_ASSIGN_OR_RETURN(Decoded d, decode_json_document(text, DecodeOptions{}));
  return std::move(d.value);
}

}  // namespace bosun::api
