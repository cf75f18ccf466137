#include "api/yaml_decode.h"

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cmath>
#include <exception>
#include <istream>
#include <set>
#include <streambuf>
#include <string>
#include <unordered_map>
#include <utility>

#include "api/yaml_scalar.h"
#include "common/field_errors.h"

namespace bosun::api::internal {
namespace {

constexpr std::string_view kPrefix = "error converting YAML to JSON: ";
constexpr std::string_view kLongTagPrefix = "tag:yaml.org,2002:";

// go-yaml v2's alias budget (decode.go allowedAliasRatio): up to 400,000 decoded nodes 99% may
// come from alias expansion, falling to 10% at 4,000,000 nodes. Any input then decodes to a value
// whose size is bounded by the size of the text.
constexpr double kAliasRatioRangeLow = 400000;
constexpr double kAliasRatioRangeHigh = 4000000;
// go-yaml shares strings between alias copies; Json copies them, so the bytes that aliases copy are
// bounded as well.
constexpr uint64_t kMaxAliasBytes = 32u << 20;

double allowed_alias_ratio(double decode_count) {
  if (decode_count <= kAliasRatioRangeLow) return 0.99;
  if (decode_count >= kAliasRatioRangeHigh) return 0.10;
  return 0.99 - 0.89 * ((decode_count - kAliasRatioRangeLow) /
                        (kAliasRatioRangeHigh - kAliasRatioRangeLow));
}

// An error found while building; thrown through yaml-cpp's parser (which unwinds cleanly) to stop
// it. `pos` is a byte offset into the text.
struct BuildError : std::exception {
  // A YAML error ("yaml: line L, column C: <message>"), or with json = true an error of the JSON
  // conversion ("<message> at line L, column C"). pos = npos: the message stands alone.
  BuildError(size_t p, std::string m, bool j = false) : pos(p), message(std::move(m)), json(j) {}
  const char* what() const noexcept override { return message.c_str(); }
  size_t pos;
  std::string message;
  bool json;
};

// A read-only streambuf over the caller's text, so yaml-cpp reads it without a copy.
class ViewStreamBuf final : public std::streambuf {
 public:
  explicit ViewStreamBuf(std::string_view text) {
    char* p = const_cast<char*>(text.data());
    setg(p, p, p + text.size());
  }
};

std::string quote_key(std::string_view key) { return go_quote(key); }

// A scalar after tag resolution, in both the forms it can take: as a value and as a mapping key.
struct ResolvedScalar {
  Json value;
  std::string value_error;  // set when the value cannot be JSON (inf, NaN)
  std::string key;
  std::string key_error;  // set when it cannot be a key (null)
  uint64_t bytes = 0;
};

size_t pos_of(const YAML::Mark& m) { return m.pos < 0 ? 0 : static_cast<size_t>(m.pos); }

std::string tag_of(const YamlScalar& s, std::string_view raw) {
  switch (s.kind) {
    case YamlScalar::Kind::kNull:
      return "!!null";
    case YamlScalar::Kind::kBool:
      return "!!bool";
    case YamlScalar::Kind::kInt:
    case YamlScalar::Kind::kUint:
      return "!!int";
    case YamlScalar::Kind::kFloat:
      return "!!float";
    case YamlScalar::Kind::kString:
      return is_yaml_timestamp(raw) ? "!!timestamp" : "!!str";
  }
  return "!!str";
}

// sigs.k8s.io/yaml turns go-yaml's values into JSON text that the API server reads back: a float
// that is a whole number below 1e21 prints as an integer and so becomes one; Inf and NaN cannot be
// written at all (json.Marshal's "unsupported value").
void finish_scalar(const YamlScalar& s, std::string_view raw, ResolvedScalar* out) {
  switch (s.kind) {
    case YamlScalar::Kind::kNull:
      out->value = nullptr;
      out->key_error = "unsupported map key of type: <nil>";
      return;
    case YamlScalar::Kind::kBool:
      out->value = s.boolean;
      out->key = s.boolean ? "true" : "false";
      return;
    case YamlScalar::Kind::kInt:
      out->value = s.int_value;
      out->key = std::to_string(s.int_value);
      return;
    case YamlScalar::Kind::kUint:
      out->value = s.uint_value;
      out->key = std::to_string(s.uint_value);
      return;
    case YamlScalar::Kind::kFloat: {
      double d = s.float_value;
      std::string k = go_format_float(d, 32);
      if (k == "+Inf") k = ".inf";
      if (k == "-Inf") k = "-.inf";
      if (k == "NaN") k = ".nan";
      out->key = std::move(k);
      if (!std::isfinite(d)) {
        out->value_error = fmt::format("json: unsupported value: {}", go_format_float(d, 64));
      } else if (d == std::trunc(d) && std::fabs(d) < 1e21 && d >= -9223372036854775808.0 &&
                 d < 9223372036854775808.0) {
        out->value = static_cast<int64_t>(d);
      } else {
        out->value = d;
      }
      return;
    }
    case YamlScalar::Kind::kString:
      out->value = std::string(raw);
      out->key = std::string(raw);
      out->bytes = raw.size();
      return;
  }
}

class JsonBuilder final : public YAML::EventHandler {
 public:
  JsonBuilder(std::string_view text, const DecodeOptions& options)
      : text_(text), options_(options) {}

  // The finished documents, null ones left out.
  std::vector<Decoded>& documents() { return documents_; }
  size_t documents_seen() const { return documents_seen_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    // yaml-cpp starts a new document wherever a root node ends, e.g. at `b: 1` after `- a`.
    // libyaml (and go-yaml, its Go port) require `---` there.
    if (documents_seen_ > 0 && !explicit_start(pos_of(mark)) &&
        !preceded_by_end_marker(pos_of(mark))) {
      throw BuildError(pos_of(mark), "did not find expected <document start>");
    }
    // yaml-cpp can get stuck before a character it cannot place (a `,` at the root after `...`),
    // starting empty documents at the same spot forever.
    if (documents_seen_ > 0 && pos_of(mark) <= last_document_pos_) {
      throw BuildError(pos_of(mark), "did not find expected node content");
    }
    last_document_pos_ = pos_of(mark);
    ++documents_seen_;
    frames_.clear();
    anchors_.clear();
    root_ = nullptr;
    duplicates_.clear();
    duplicate_lines_.clear();
    decode_count_ = alias_count_ = alias_bytes_ = 0;
  }

  void OnDocumentEnd() override {
    if (!duplicate_lines_.empty() && options_.fail_on_duplicates) {
      std::string msg = "yaml: unmarshal errors:";
      for (const auto& l : duplicate_lines_) msg += "\n  " + l;
      throw BuildError(std::string::npos, std::move(msg));
    }
    if (root_.is_null()) return;
    documents_.push_back(Decoded{std::move(root_), std::move(duplicates_)});
    root_ = nullptr;
    duplicates_.clear();
  }

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    count_nodes(1, false, mark);
    ResolvedScalar r;
    finish_scalar(YamlScalar{YamlScalar::Kind::kNull}, "", &r);
    if (!frames_.empty()) {
      Frame& top = frames_.back();
      if (top.is_map && top.have_key && top.block && top.key_plain && pos_of(mark) == top.key_pos &&
          !colon_follows(top.key_pos, top.key)) {
        // yaml-cpp reads a lone `b` line in a block mapping as `b: null`; libyaml rejects it.
        throw BuildError(top.key_pos, "could not find expected ':'");
      }
    }
    add_scalar(std::move(r), mark, anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t id) override {
    auto it = anchors_.find(id);
    if (it == anchors_.end()) throw BuildError(pos_of(mark), "unknown anchor referenced");
    const Anchor& a = it->second;
    if (!a.complete)
      throw BuildError(pos_of(mark), fmt::format("anchor '{}' value contains itself", a.name));
    count_nodes(a.nodes, true, mark);
    alias_bytes_ += a.bytes;
    if (alias_bytes_ > kMaxAliasBytes) {
      throw BuildError(pos_of(mark), "document contains excessive aliasing");
    }
    if (in_key_position()) {
      if (!a.is_scalar) throw BuildError(pos_of(mark), "invalid map key: a mapping or sequence");
      if (!a.scalar.key_error.empty()) throw BuildError(pos_of(mark), a.scalar.key_error);
      set_key(a.scalar.key, mark, false, false);
      return;
    }
    if (a.is_scalar && !a.scalar.value_error.empty()) {
      throw BuildError(pos_of(mark), a.scalar.value_error, true);
    }
    place(Json(a.is_scalar ? a.scalar.value : a.value), mark, a.nodes, a.bytes);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    count_nodes(1, false, mark);
    if (tag == "!") check_quote_closed(pos_of(mark));
    ResolvedScalar r;
    bool plain = tag == "?";
    if (plain) {
      finish_scalar(resolve_plain_scalar(value), value, &r);
    } else if (!valid_utf8(value)) {
      std::string repaired = repair_escapes(value);
      if (tag.compare(0, kLongTagPrefix.size(), kLongTagPrefix) == 0) {
        resolve_tagged(std::string_view(tag).substr(kLongTagPrefix.size()), repaired, mark, &r);
      } else {
        finish_scalar(YamlScalar{}, repaired, &r);
      }
    } else if (tag.compare(0, kLongTagPrefix.size(), kLongTagPrefix) == 0) {
      resolve_tagged(std::string_view(tag).substr(kLongTagPrefix.size()), value, mark, &r);
    } else {
      // Quoted scalars, block scalars, the non-specific `!` and unknown tags are strings.
      finish_scalar(YamlScalar{}, value, &r);
    }
    if (in_key_position()) {
      if (!r.key_error.empty()) throw BuildError(pos_of(mark), r.key_error);
      bool merge = value == "<<" && (plain || tag == "tag:yaml.org,2002:merge");
      if (anchor) store_scalar_anchor(anchor, r);
      set_key(std::move(r.key), mark, plain, merge);
      return;
    }
    add_scalar(std::move(r), mark, anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    start_collection(mark, anchor, false, false);
  }
  void OnSequenceEnd() override { end_collection(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    start_collection(mark, anchor, true, style != YAML::EmitterStyle::Flow);
  }
  void OnMapEnd() override { end_collection(); }

  void OnAnchor(const YAML::Mark&, const std::string& name) override { pending_anchor_ = name; }

 private:
  struct Frame {
    bool is_map = false;
    bool block = false;
    Json value;
    YAML::anchor_t anchor = 0;
    size_t pos = 0;
    uint64_t nodes = 1;
    uint64_t bytes = 0;
    // Mappings: the key waiting for its value.
    bool have_key = false;
    bool key_plain = false;
    bool key_is_merge = false;
    std::string key;
    size_t key_pos = 0;
    // Keys that came from a merge (`<<`) and were not set explicitly: explicit keys override
    // them without being duplicates.
    std::set<std::string> merged;
  };
  struct Anchor {
    std::string name;
    bool complete = false;
    bool is_scalar = false;
    ResolvedScalar scalar;
    Json value;
    uint64_t nodes = 1;
    uint64_t bytes = 0;
  };

  bool in_key_position() const {
    return !frames_.empty() && frames_.back().is_map && !frames_.back().have_key;
  }

  void count_nodes(uint64_t n, bool alias, const YAML::Mark& mark) {
    decode_count_ += n;
    if (alias) alias_count_ += n;
    double dc = static_cast<double>(decode_count_);
    if (alias_count_ > 100 && decode_count_ > 1000 &&
        static_cast<double>(alias_count_) / dc > allowed_alias_ratio(dc)) {
      throw BuildError(pos_of(mark), "document contains excessive aliasing");
    }
  }

  void resolve_tagged(std::string_view tag, const std::string& value, const YAML::Mark& mark,
                      ResolvedScalar* r) {
    if (tag == "str") {
      finish_scalar(YamlScalar{}, value, r);
      return;
    }
    if (tag == "binary") {
      std::string bytes;
      if (!decode_base64(value, &bytes)) {
        throw BuildError(pos_of(mark), "!!binary value contains invalid base64 data");
      }
      finish_scalar(YamlScalar{}, coerce_utf8(bytes), r);
      return;
    }
    if (tag != "bool" && tag != "int" && tag != "float" && tag != "null" && tag != "timestamp") {
      // go-yaml leaves scalars with other tags (!!map, !!set, ...) as strings.
      finish_scalar(YamlScalar{}, value, r);
      return;
    }
    YamlScalar s = resolve_plain_scalar(value);
    bool ok = false;
    switch (s.kind) {
      case YamlScalar::Kind::kNull:
        ok = tag == "null";
        break;
      case YamlScalar::Kind::kBool:
        ok = tag == "bool";
        break;
      case YamlScalar::Kind::kInt:
      case YamlScalar::Kind::kUint:
        ok = tag == "int" || tag == "float";
        if (tag == "float") {
          double d = s.kind == YamlScalar::Kind::kInt ? static_cast<double>(s.int_value)
                                                      : static_cast<double>(s.uint_value);
          s = YamlScalar{YamlScalar::Kind::kFloat};
          s.float_value = d;
        }
        break;
      case YamlScalar::Kind::kFloat:
        ok = tag == "float";
        break;
      case YamlScalar::Kind::kString:
        ok = tag == "timestamp" && is_yaml_timestamp(value);
        break;
    }
    if (!ok) {
      throw BuildError(pos_of(mark), fmt::format("cannot decode {} `{}` as a !!{}",
                                                 tag_of(s, value), value, tag));
    }
    finish_scalar(s, value, r);
  }

  void add_scalar(ResolvedScalar r, const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (in_key_position()) {
      if (!r.key_error.empty()) throw BuildError(pos_of(mark), r.key_error);
      if (anchor) store_scalar_anchor(anchor, r);
      set_key(std::move(r.key), mark, false, false);
      return;
    }
    if (!r.value_error.empty()) throw BuildError(pos_of(mark), r.value_error, true);
    if (anchor) store_scalar_anchor(anchor, r);
    uint64_t bytes = r.bytes;
    place(std::move(r.value), mark, 1, bytes);
  }

  void store_scalar_anchor(YAML::anchor_t id, const ResolvedScalar& r) {
    Anchor& a = anchors_[id];
    a.name = std::move(pending_anchor_);
    pending_anchor_.clear();
    a.complete = true;
    a.is_scalar = true;
    a.scalar = r;
    a.nodes = 1;
    a.bytes = r.bytes;
  }

  void set_key(std::string key, const YAML::Mark& mark, bool plain, bool merge) {
    Frame& top = frames_.back();
    top.bytes += key.size();
    top.key = std::move(key);
    top.key_pos = pos_of(mark);
    top.key_plain = plain;
    top.key_is_merge = merge;
    top.have_key = true;
  }

  void start_collection(const YAML::Mark& mark, YAML::anchor_t anchor, bool is_map, bool block) {
    count_nodes(1, false, mark);
    if (in_key_position()) throw BuildError(pos_of(mark), "invalid map key: a mapping or sequence");
    if (frames_.size() >= kMaxDecodeDepth) {
      throw BuildError(pos_of(mark), fmt::format("exceeded max depth of {}", kMaxDecodeDepth));
    }
    if (anchor) {
      Anchor& a = anchors_[anchor];
      a = Anchor{};
      a.name = std::move(pending_anchor_);
      pending_anchor_.clear();
    }
    Frame f;
    f.is_map = is_map;
    f.block = block;
    f.value = is_map ? Json::object() : Json::array();
    f.anchor = anchor;
    f.pos = pos_of(mark);
    frames_.push_back(std::move(f));
  }

  void end_collection() {
    Frame f = std::move(frames_.back());
    frames_.pop_back();
    if (f.anchor) {
      Anchor& a = anchors_[f.anchor];
      a.complete = true;
      a.value = f.value;
      a.nodes = f.nodes;
      a.bytes = f.bytes;
    }
    YAML::Mark mark;
    mark.pos = static_cast<int>(f.pos);
    place(std::move(f.value), mark, f.nodes, f.bytes);
  }

  void place(Json v, const YAML::Mark& mark, uint64_t nodes, uint64_t bytes) {
    if (frames_.empty()) {
      root_ = std::move(v);
      return;
    }
    Frame& top = frames_.back();
    top.nodes += nodes;
    top.bytes += bytes;
    if (!top.is_map) {
      top.value.push_back(std::move(v));
      return;
    }
    top.have_key = false;
    if (top.key_is_merge) {
      merge(top, v, mark);
      return;
    }
    auto& obj = top.value.get_ref<Json::object_t&>();
    auto it = obj.find(top.key);
    if (it != obj.end()) {
      if (top.merged.erase(top.key) == 0) note_duplicate(top.key_pos, top.key);
      it->second = std::move(v);
    } else {
      obj.emplace(std::move(top.key), std::move(v));
    }
  }

  // go-yaml v2's merge: the value of `<<` is a mapping or a sequence of mappings; earlier maps in
  // the sequence win over later ones, and explicit keys of the mapping win over merged ones.
  void merge(Frame& top, const Json& v, const YAML::Mark& mark) {
    auto merge_one = [&](const Json& m) {
      for (const auto& [k, val] : m.items()) {
        auto& obj = top.value.get_ref<Json::object_t&>();
        if (obj.find(k) != obj.end()) continue;
        obj.emplace(k, val);
        top.merged.insert(k);
      }
    };
    if (v.is_object()) {
      merge_one(v);
      return;
    }
    if (v.is_array()) {
      for (const auto& m : v) {
        if (!m.is_object()) {
          throw BuildError(pos_of(mark), "map merge requires map or sequence of maps as the value");
        }
      }
      for (const auto& m : v) merge_one(m);
      return;
    }
    throw BuildError(pos_of(mark), "map merge requires map or sequence of maps as the value");
  }

  void note_duplicate(size_t key_pos, const std::string& key) {
    // The field path of the repeated key: each open collection contributes the key or index
    // under which the next one sits.
    std::string path;
    for (size_t i = 0; i + 1 < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      if (f.is_map) {
        append_path_key(&path, f.key);
      } else {
        append_path_index(&path, f.value.size());
      }
    }
    append_path_key(&path, key);
    duplicates_.push_back(std::move(path));
    size_t line = 0, column = 0;
    line_and_column(text_, key_pos, &line, &column);
    duplicate_lines_.push_back(
        fmt::format("line {}: key {} already set in map", line, quote_key(key)));
  }

  bool colon_follows(size_t pos, std::string_view key) const {
    if (pos > text_.size() || text_.substr(pos, key.size()) != key) return true;
    size_t i = pos + key.size();
    while (i < text_.size() && (text_[i] == ' ' || text_[i] == '\t')) ++i;
    return i < text_.size() && text_[i] == ':';
  }

  // yaml-cpp accepts a quoted scalar that runs to the end of the input; libyaml does not.
  void check_quote_closed(size_t pos) const {
    if (pos >= text_.size()) return;
    char q = text_[pos];
    if (q != '"' && q != '\'') return;
    for (size_t i = pos + 1; i < text_.size(); ++i) {
      char c = text_[i];
      if (q == '"' && c == '\\') {
        ++i;
      } else if (c == q) {
        if (q == '\'' && i + 1 < text_.size() && text_[i + 1] == '\'') {
          ++i;
          continue;
        }
        return;
      }
    }
    throw BuildError(pos, "found unexpected end of stream");
  }

  // Whether the document at `pos` opens with `---` (yaml-cpp's document mark is that line).
  bool explicit_start(size_t pos) const {
    if (pos + 3 > text_.size() || text_.compare(pos, 3, "---") != 0) return false;
    return pos + 3 == text_.size() || text_[pos + 3] == ' ' || text_[pos + 3] == '\t' ||
           text_[pos + 3] == '\n' || text_[pos + 3] == '\r';
  }

  // A bare document may follow one closed by `...`: is the previous content line before `pos`
  // (blank and comment lines skipped) that marker?
  bool preceded_by_end_marker(size_t pos) const {
    size_t line_start = pos;
    while (line_start > 0 && text_[line_start - 1] != '\n') --line_start;
    while (line_start > 0) {
      size_t end = line_start - 1;  // the '\n' closing the previous line
      size_t begin = end;
      while (begin > 0 && text_[begin - 1] != '\n') --begin;
      std::string_view line = text_.substr(begin, end - begin);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r')) {
        line.remove_suffix(1);
      }
      size_t first = line.find_first_not_of(" \t");
      if (first != std::string_view::npos && line[first] != '#') {
        return line.substr(0, 3) == "..." &&
               (line.size() == 3 || line[3] == ' ' || line[3] == '\t');
      }
      line_start = begin;
    }
    return false;
  }

 private:
  std::string_view text_;
  const DecodeOptions& options_;
  std::vector<Frame> frames_;
  std::unordered_map<YAML::anchor_t, Anchor> anchors_;
  std::string pending_anchor_;
  Json root_;
  std::vector<std::string> duplicates_;
  std::vector<std::string> duplicate_lines_;
  std::vector<Decoded> documents_;
  size_t documents_seen_ = 0;
  size_t last_document_pos_ = 0;
  uint64_t decode_count_ = 0;
  uint64_t alias_count_ = 0;
  uint64_t alias_bytes_ = 0;
};

}  // namespace

void line_and_column(std::string_view text, size_t offset, size_t* line, size_t* column) {
  if (offset > text.size()) offset = text.size();
  size_t l = 1, line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++l;
      line_start = i + 1;
    }
  }
  *line = l;
  *column = offset - line_start + 1;
}

void append_path_key(std::string* path, std::string_view key) {
  if (!path->empty()) *path += '.';
  path->append(key);
}

void append_path_index(std::string* path, size_t index) { *path += fmt::format("[{}]", index); }

namespace {

Error yaml_error(std::string_view text, size_t pos, const std::string& message, bool json) {
  if (pos == std::string_view::npos) {
    return make_error(ErrorCode::kBadRequest, fmt::format("{}{}", kPrefix, message));
  }
  size_t line = 0, column = 0;
  line_and_column(text, pos, &line, &column);
  if (json) {
    return make_error(ErrorCode::kBadRequest,
                      fmt::format("{}{} at line {}, column {}", kPrefix, message, line, column));
  }
  return make_error(ErrorCode::kBadRequest,
                    fmt::format("{}yaml: line {}, column {}: {}", kPrefix, line, column, message));
}

}  // namespace

Result<std::vector<Decoded>> decode_yaml(std::string_view text, const DecodeOptions& options,
                                         bool first_only) {
  std::string bad;
  size_t bad_pos = check_yaml_text(text, &bad);
  if (bad_pos != std::string_view::npos) return yaml_error(text, bad_pos, bad, false);
  // A UTF-8 byte order mark is allowed (libyaml skips it); yaml-cpp's offsets then count from
  // after it, so drop it here and keep the offsets ours.
  size_t bom = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  std::string_view body = text.substr(bom);
  ViewStreamBuf buf(body);
  std::istream in(&buf);
  JsonBuilder builder(body, options);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(builder)) {
      if (first_only && builder.documents_seen() > 0) break;
    }
  } catch (const BuildError& e) {
    return yaml_error(text, e.pos == std::string_view::npos ? e.pos : e.pos + bom, e.message,
                      e.json);
  } catch (const YAML::DeepRecursion& e) {
    return yaml_error(text, pos_of(e.mark) + bom,
                      fmt::format("exceeded max depth of {}", kMaxDecodeDepth), false);
  } catch (const YAML::ParserException& e) {
    size_t pos = pos_of(e.mark);
    return yaml_error(text, pos + bom, libyaml_message(e.msg, body, pos), false);
  } catch (const std::bad_alloc&) {
    return make_error(ErrorCode::kRequestEntityTooLarge,
                      fmt::format("{}yaml: document too large", kPrefix));
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kBadRequest, fmt::format("{}yaml: {}", kPrefix, e.what()));
  }
  return std::move(builder.documents());
}

}  // namespace bosun::api::internal
