#include "api/field_set.h"

#include <algorithm>
#include <cmath>
#include <exception>
#include <stdexcept>

#include "api/go_json.h"
#include "common/field_errors.h"

namespace bosun::api {
namespace {

int sign(int64_t a, int64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }
int float_sign(double a, double b) { return a < b ? -1 : (a > b ? 1 : 0); }

double as_double(const Json& v) {
  if (v.is_number_unsigned()) return static_cast<double>(v.get<uint64_t>());
  if (v.is_number_integer()) return static_cast<double>(v.get<int64_t>());
  return v.get<double>();
}

int compare_integers(const Json& a, const Json& b) {
  const bool au = a.is_number_unsigned(), bu = b.is_number_unsigned();
  if (!au && !bu) return sign(a.get<int64_t>(), b.get<int64_t>());
  if (au && bu) {
    uint64_t x = a.get<uint64_t>(), y = b.get<uint64_t>();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  // One side is unsigned (so non-negative); a negative signed value is below it.
  if (au) {
    int64_t y = b.get<int64_t>();
    if (y < 0) return 1;
    uint64_t x = a.get<uint64_t>();
    return x < static_cast<uint64_t>(y) ? -1 : (x > static_cast<uint64_t>(y) ? 1 : 0);
  }
  return -compare_integers(b, a);
}

int compare_lists(const Json& a, const Json& b) {
  for (size_t i = 0;; ++i) {
    if (i >= a.size() && i >= b.size()) return 0;
    if (i >= a.size()) return -1;
    if (i >= b.size()) return 1;
    if (int c = compare_json_values(a[i], b[i]); c != 0) return c;
  }
}

// value.MapCompare: walks the sorted union of keys; a side that runs out of keys, or lacks the key,
// orders as SMD's zip decides.
int compare_maps(const Json& a, const Json& b) {
  if (a.empty() && b.empty()) return 0;
  auto ia = a.begin(), ib = b.begin();
  size_t i = 0;
  while (ia != a.end() || ib != b.end()) {
    int c;
    bool take_a = ib == b.end() || (ia != a.end() && ia.key() <= ib.key());
    bool take_b = ia == a.end() || (ib != b.end() && ib.key() <= ia.key());
    if (i == a.size()) {
      c = -1;
    } else if (i == b.size()) {
      c = 1;
    } else if (!take_a) {
      c = 1;  // the key is missing on the left
    } else if (!take_b) {
      c = -1;
    } else {
      c = compare_json_values(ia.value(), ib.value());
    }
    if (c != 0) return c;
    if (take_a) ++ia;
    if (take_b) ++ib;
    ++i;
  }
  return 0;
}

// Go's decoder refuses numbers beyond float64 (strconv.ErrRange); nlohmann reads them as infinity.
bool all_finite(const Json& v) {
  if (v.is_number_float()) return std::isfinite(v.get<double>());
  if (v.is_array() || v.is_object()) {
    for (const Json& x : v)
      if (!all_finite(x)) return false;
  }
  return true;
}

// The common list-map key, a flat object of plain strings and integers (`{"containerPort":80,
// "protocol":"TCP"}`), read without the general parser. nullopt for anything else.
std::optional<PathElement::KeyFields> parse_simple_key(std::string_view t) {
  PathElement::KeyFields out;
  size_t i = 0;
  auto plain_string = [&](std::string* s) {
    if (i >= t.size() || t[i] != '"') return false;
    size_t end = ++i;
    while (end < t.size() && t[end] != '"') {
      auto c = static_cast<unsigned char>(t[end]);
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;
      ++end;
    }
    if (end >= t.size()) return false;
    s->assign(t.substr(i, end - i));
    i = end + 1;
    return true;
  };
  if (t.size() < 2 || t[0] != '{') return std::nullopt;
  i = 1;
  if (t[i] == '}') return i + 1 == t.size() ? std::optional(out) : std::nullopt;
  while (true) {
    std::string name;
    if (!plain_string(&name) || i >= t.size() || t[i] != ':') return std::nullopt;
    ++i;
    if (i < t.size() && t[i] == '"') {
      std::string value;
      if (!plain_string(&value)) return std::nullopt;
      out.emplace_back(std::move(name), Json(std::move(value)));
    } else {
      size_t start = i;
      if (i < t.size() && t[i] == '-') ++i;
      if (i >= t.size() || t[i] < '1' || t[i] > '9') {
        // A lone 0 is fine; leading zeros, fractions and the rest take the general parser.
        if (!(i < t.size() && t[i] == '0' && i + 1 < t.size() &&
              (t[i + 1] == ',' || t[i + 1] == '}'))) {
          return std::nullopt;
        }
      }
      while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
      if (i - start > 18) return std::nullopt;  // may not fit int64
      int64_t n = 0;
      for (size_t k = start + (t[start] == '-' ? 1 : 0); k < i; ++k) n = n * 10 + (t[k] - '0');
      out.emplace_back(std::move(name), Json(t[start] == '-' ? -n : n));
    }
    if (i >= t.size()) return std::nullopt;
    if (t[i] == '}') return i + 1 == t.size() ? std::optional(out) : std::nullopt;
    if (t[i] != ',') return std::nullopt;
    ++i;
  }
}

// Parses JSON text nested no deeper than FieldSet::kMaxFieldsV1Depth.
Result<Json> parse_limited(std::string_view text) {
  try {
    Json::parser_callback_t limit = [](int depth, Json::parse_event_t, Json&) {
      if (depth > FieldSet::kMaxFieldsV1Depth) throw std::length_error("JSON nested too deeply");
      return true;
    };
    Json v = Json::parse(text.begin(), text.end(), limit);
    if (!all_finite(v)) return make_error(ErrorCode::kBadRequest, "number out of range");
    return v;
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kBadRequest, e.what());
  }
}

template <typename T>
bool insert_sorted(std::vector<T>& v, const T& x) {
  if (v.empty() || v.back() < x) {
    v.push_back(x);
    return true;
  }
  auto it = std::lower_bound(v.begin(), v.end(), x);
  if (it != v.end() && *it == x) return false;
  v.insert(it, x);
  return true;
}

FieldSet& descend(std::vector<FieldSet::Node>& children, const PathElement& pe) {
  if (children.empty() || children.back().element < pe) {
    children.push_back({pe, FieldSet()});
    return children.back().set;
  }
  auto it =
      std::lower_bound(children.begin(), children.end(), pe,
                       [](const FieldSet::Node& n, const PathElement& e) { return n.element < e; });
  if (it != children.end() && it->element == pe) return it->set;
  return children.insert(it, {pe, FieldSet()})->set;
}

const FieldSet::Node* find_child(const std::vector<FieldSet::Node>& children,
                                 const PathElement& pe) {
  auto it =
      std::lower_bound(children.begin(), children.end(), pe,
                       [](const FieldSet::Node& n, const PathElement& e) { return n.element < e; });
  if (it != children.end() && it->element == pe) return &*it;
  return nullptr;
}

std::vector<PathElement> members_union(const std::vector<PathElement>& a,
                                       const std::vector<PathElement>& b) {
  std::vector<PathElement> out;
  out.reserve(a.size() + b.size());
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    int c = a[i].compare(b[j]);
    if (c < 0) {
      out.push_back(a[i++]);
    } else if (c > 0) {
      out.push_back(b[j++]);
    } else {
      out.push_back(a[i++]);
      ++j;
    }
  }
  out.insert(out.end(), a.begin() + i, a.end());
  out.insert(out.end(), b.begin() + j, b.end());
  return out;
}

std::vector<PathElement> members_intersection(const std::vector<PathElement>& a,
                                              const std::vector<PathElement>& b) {
  std::vector<PathElement> out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    int c = a[i].compare(b[j]);
    if (c < 0) {
      ++i;
    } else if (c > 0) {
      ++j;
    } else {
      out.push_back(a[i++]);
      ++j;
    }
  }
  return out;
}

std::vector<PathElement> members_difference(const std::vector<PathElement>& a,
                                            const std::vector<PathElement>& b) {
  std::vector<PathElement> out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    int c = a[i].compare(b[j]);
    if (c < 0) {
      out.push_back(a[i++]);
    } else if (c > 0) {
      ++j;
    } else {
      ++i;
      ++j;
    }
  }
  out.insert(out.end(), a.begin() + i, a.end());
  return out;
}

// The first position in sorted `v` whose element is not below `step`.
template <typename T, typename Get>
typename std::vector<T>::const_iterator lower_bound_step(const std::vector<T>& v,
                                                         const PathStep& step, Get get) {
  size_t lo = 0, hi = v.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (step.compare(get(v[mid])) > 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return v.begin() + static_cast<std::ptrdiff_t>(lo);
}

const PathElement& node_element(const FieldSet::Node& n) { return n.element; }
const PathElement& self_element(const PathElement& e) { return e; }

void append_key(std::string& out, const PathElement& pe, std::string& scratch) {
  scratch.clear();
  pe.append_serialized(scratch);
  append_go_json_string(out, scratch, /*escape_html=*/false);
}

}  // namespace

// ---- Values.

int compare_json_values(const Json& a, const Json& b) {
  if (a.is_number_float()) {
    if (b.is_number_float()) return float_sign(a.get<double>(), b.get<double>());
    if (b.is_number()) return float_sign(a.get<double>(), as_double(b));
    return -1;
  }
  if (b.is_number_float()) {
    if (a.is_number()) return float_sign(as_double(a), b.get<double>());
    return 1;
  }
  if (a.is_number()) return b.is_number() ? compare_integers(a, b) : -1;
  if (b.is_number()) return 1;
  if (a.is_string()) {
    if (!b.is_string()) return -1;
    int c = a.get_ref<const std::string&>().compare(b.get_ref<const std::string&>());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (b.is_string()) return 1;
  if (a.is_boolean()) {
    if (!b.is_boolean()) return -1;
    return sign(a.get<bool>() ? 1 : 0, b.get<bool>() ? 1 : 0);
  }
  if (b.is_boolean()) return 1;
  if (a.is_array()) return b.is_array() ? compare_lists(a, b) : -1;
  if (b.is_array()) return 1;
  if (a.is_object()) return b.is_object() ? compare_maps(a, b) : -1;
  if (b.is_object()) return 1;
  return 0;  // both null
}

std::string json_value_to_string(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::number_float:
      return go_format_float(v.get<double>());
    case Json::value_t::number_integer:
      return std::to_string(v.get<int64_t>());
    case Json::value_t::number_unsigned:
      return std::to_string(v.get<uint64_t>());
    case Json::value_t::string:
      return go_quote(v.get_ref<const std::string&>());
    case Json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case Json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < v.size(); ++i) {
        if (i > 0) out += ',';
        out += json_value_to_string(v[i]);
      }
      return out + "]";
    }
    case Json::value_t::object: {
      std::string out;
      for (auto it = v.begin(); it != v.end(); ++it) {
        out += it.key() + "=" + json_value_to_string(it.value());
      }
      return out;
    }
    default:
      return "{{undefined}}";
  }
}

// ---- PathElement.

PathElement PathElement::field(std::string name) {
  PathElement pe;
  pe.kind_ = Kind::kField;
  pe.name_ = std::move(name);
  return pe;
}

PathElement PathElement::key(KeyFields fields) {
  PathElement pe;
  pe.kind_ = Kind::kKey;
  std::stable_sort(fields.begin(), fields.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  pe.key_ = std::move(fields);
  return pe;
}

PathElement PathElement::value(Json v) {
  PathElement pe;
  pe.kind_ = Kind::kValue;
  pe.value_ = std::move(v);
  return pe;
}

PathElement PathElement::index(int64_t i) {
  PathElement pe;
  pe.kind_ = Kind::kIndex;
  pe.index_ = i;
  return pe;
}

int PathElement::compare(const PathElement& o) const {
  if (kind_ != o.kind_) return kind_ < o.kind_ ? -1 : 1;
  switch (kind_) {
    case Kind::kField: {
      int c = name_.compare(o.name_);
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Kind::kKey:
      // value.FieldList.Compare: field by field, names then values; the shorter list first.
      for (size_t i = 0;; ++i) {
        if (i >= key_.size() && i >= o.key_.size()) return 0;
        if (i >= key_.size()) return -1;
        if (i >= o.key_.size()) return 1;
        int c = key_[i].first.compare(o.key_[i].first);
        if (c != 0) return c < 0 ? -1 : 1;
        if (int v = compare_json_values(key_[i].second, o.key_[i].second); v != 0) return v;
      }
    case Kind::kValue:
      return compare_json_values(value_, o.value_);
    case Kind::kIndex:
      return sign(index_, o.index_);
  }
  return 0;
}

std::string PathElement::to_string() const {
  switch (kind_) {
    case Kind::kField:
      return "." + name_;
    case Kind::kKey: {
      std::string out = "[";
      for (size_t i = 0; i < key_.size(); ++i) {
        if (i > 0) out += ',';
        out += key_[i].first + "=" + json_value_to_string(key_[i].second);
      }
      return out + "]";
    }
    case Kind::kValue:
      return "[=" + json_value_to_string(value_) + "]";
    case Kind::kIndex:
      return "[" + std::to_string(index_) + "]";
  }
  return "{{invalid path element}}";
}

void PathElement::append_serialized(std::string& out) const {
  switch (kind_) {
    case Kind::kField:
      out += "f:";
      out += name_;
      return;
    case Kind::kKey:
      out += "k:{";
      for (size_t i = 0; i < key_.size(); ++i) {
        if (i > 0) out += ',';
        append_go_json_string(out, key_[i].first);
        out += ':';
        append_go_json(out, key_[i].second);
      }
      out += '}';
      return;
    case Kind::kValue:
      out += "v:";
      append_go_json(out, value_);
      return;
    case Kind::kIndex:
      out += "i:";
      out += std::to_string(index_);
      return;
  }
}

std::string PathElement::serialize() const {
  std::string out;
  append_serialized(out);
  return out;
}

Result<std::optional<PathElement>> PathElement::parse(std::string_view key) {
  // The wording is structured-merge-diff's DeserializePathElement.
  if (key.size() < 2) return make_error(ErrorCode::kBadRequest, "key must be 2 characters long:");
  if (key[1] != ':') {
    return make_error(ErrorCode::kBadRequest, "missing colon: " + std::string(key));
  }
  std::string_view body = key.substr(2);
  switch (key[0]) {
    case 'f':
      return std::optional<PathElement>(field(std::string(body)));
    case 'v': {
      BOSUN_ASSIGN_OR_RETURN(Json v, parse_limited(body));
      return std::optional<PathElement>(value(std::move(v)));
    }
    case 'k': {
      if (auto simple = parse_simple_key(body)) {
        return std::optional<PathElement>(PathElement::key(std::move(*simple)));
      }
      BOSUN_ASSIGN_OR_RETURN(Json v, parse_limited(body));
      if (!v.is_object() && !v.is_null()) {
        return make_error(ErrorCode::kBadRequest,
                          "ReadObjectCB: expect { or n, key " + std::string(key));
      }
      KeyFields fields;
      if (v.is_object()) {
        for (auto it = v.begin(); it != v.end(); ++it) fields.emplace_back(it.key(), it.value());
      }
      return std::optional<PathElement>(PathElement::key(std::move(fields)));
    }
    case 'i': {
      // strconv.Atoi: an optional sign and decimal digits, within int64.
      std::string_view digits = body;
      bool negative = false;
      if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
        negative = digits[0] == '-';
        digits.remove_prefix(1);
      }
      if (digits.empty()) {
        return make_error(ErrorCode::kBadRequest,
                          "strconv.Atoi: parsing " + go_quote(body) + ": invalid syntax");
      }
      uint64_t n = 0;
      const uint64_t limit = negative ? (uint64_t{1} << 63) : (uint64_t{1} << 63) - 1;
      for (char c : digits) {
        if (c < '0' || c > '9') {
          return make_error(ErrorCode::kBadRequest,
                            "strconv.Atoi: parsing " + go_quote(body) + ": invalid syntax");
        }
        uint64_t d = static_cast<uint64_t>(c - '0');
        if (n > (limit - d) / 10) {
          return make_error(ErrorCode::kBadRequest,
                            "strconv.Atoi: parsing " + go_quote(body) + ": value out of range");
        }
        n = n * 10 + d;
      }
      int64_t i = negative ? static_cast<int64_t>(0 - n) : static_cast<int64_t>(n);
      return std::optional<PathElement>(index(i));
    }
    default:
      return std::optional<PathElement>();
  }
}

std::string field_path_string(std::span<const PathElement> path) {
  std::string out;
  for (const auto& pe : path) out += pe.to_string();
  return out;
}

std::string field_path_string(std::span<const PathStep> path) {
  std::string out;
  for (const auto& step : path) out += step.materialize().to_string();
  return out;
}

int PathStep::compare(const PathElement& e) const {
  if (element) return element->compare(e);
  if (e.kind() != PathElement::Kind::kField) return -1;
  int c = field->compare(e.field_name());
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

PathElement PathStep::materialize() const {
  return element ? *element : PathElement::field(*field);
}

// ---- FieldSet.

FieldSet::FieldSet() = default;
FieldSet::FieldSet(const FieldSet&) = default;
FieldSet::FieldSet(FieldSet&&) noexcept = default;
FieldSet& FieldSet::operator=(const FieldSet&) = default;
FieldSet& FieldSet::operator=(FieldSet&&) noexcept = default;
FieldSet::~FieldSet() = default;

FieldSet::FieldSet(std::initializer_list<FieldPath> paths) {
  for (const auto& p : paths) insert(p);
}

void FieldSet::insert(std::span<const PathElement> path) {
  if (path.empty()) return;
  FieldSet* s = this;
  for (size_t i = 0; i + 1 < path.size(); ++i) s = &descend(s->children_, path[i]);
  insert_sorted(s->members_, path.back());
}

void FieldSet::insert(std::span<const PathStep> path) {
  if (path.empty()) return;
  FieldSet* s = this;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    const PathStep& step = path[i];
    auto& ch = s->children_;
    if (ch.empty() || step.compare(ch.back().element) > 0) {
      ch.push_back({step.materialize(), FieldSet()});
      s = &ch.back().set;
      continue;
    }
    auto it = lower_bound_step(ch, step, node_element);
    if (it != ch.end() && step.compare(it->element) == 0) {
      s = &ch[static_cast<size_t>(it - ch.begin())].set;
    } else {
      s = &ch.insert(it, {step.materialize(), FieldSet()})->set;
    }
  }
  const PathStep& last = path.back();
  auto& m = s->members_;
  if (m.empty() || last.compare(m.back()) > 0) {
    m.push_back(last.materialize());
    return;
  }
  auto it = lower_bound_step(m, last, self_element);
  if (it != m.end() && last.compare(*it) == 0) return;
  m.insert(it, last.materialize());
}

bool FieldSet::has_member(const PathStep& step) const {
  auto it = lower_bound_step(members_, step, self_element);
  return it != members_.end() && step.compare(*it) == 0;
}

const FieldSet* FieldSet::child(const PathStep& step) const {
  auto it = lower_bound_step(children_, step, node_element);
  if (it != children_.end() && step.compare(it->element) == 0) return &it->set;
  return nullptr;
}

bool FieldSet::has(std::span<const PathElement> path) const {
  if (path.empty()) return false;
  const FieldSet* s = this;
  for (size_t i = 0; i + 1 < path.size(); ++i) {
    s = s->child(path[i]);
    if (!s) return false;
  }
  return s->has_member(path.back());
}

bool FieldSet::has_member(const PathElement& pe) const {
  return std::binary_search(members_.begin(), members_.end(), pe);
}

const FieldSet* FieldSet::child(const PathElement& pe) const {
  const Node* n = find_child(children_, pe);
  return n ? &n->set : nullptr;
}

bool FieldSet::empty() const {
  if (!members_.empty()) return false;
  for (const auto& n : children_)
    if (!n.set.empty()) return false;
  return true;
}

size_t FieldSet::size() const {
  size_t n = members_.size();
  for (const auto& c : children_) n += c.set.size();
  return n;
}

FieldSet FieldSet::unite(const FieldSet& o) const {
  FieldSet out;
  out.members_ = members_union(members_, o.members_);
  const auto &a = children_, &b = o.children_;
  out.children_.reserve(a.size() + b.size());
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    int c = a[i].element.compare(b[j].element);
    if (c < 0) {
      out.children_.push_back(a[i++]);
    } else if (c > 0) {
      out.children_.push_back(b[j++]);
    } else {
      out.children_.push_back({a[i].element, a[i].set.unite(b[j].set)});
      ++i;
      ++j;
    }
  }
  out.children_.insert(out.children_.end(), a.begin() + i, a.end());
  out.children_.insert(out.children_.end(), b.begin() + j, b.end());
  return out;
}

void FieldSet::merge_from(const FieldSet& o) {
  if (o.empty()) return;
  if (empty()) {
    *this = o;
    return;
  }
  *this = unite(o);
}

FieldSet FieldSet::intersect(const FieldSet& o) const {
  FieldSet out;
  out.members_ = members_intersection(members_, o.members_);
  const auto &a = children_, &b = o.children_;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    int c = a[i].element.compare(b[j].element);
    if (c < 0) {
      ++i;
    } else if (c > 0) {
      ++j;
    } else {
      FieldSet inter = a[i].set.intersect(b[j].set);
      if (!inter.empty()) out.children_.push_back({a[i].element, std::move(inter)});
      ++i;
      ++j;
    }
  }
  return out;
}

FieldSet FieldSet::difference(const FieldSet& o) const {
  FieldSet out;
  out.members_ = members_difference(members_, o.members_);
  const auto &a = children_, &b = o.children_;
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    int c = a[i].element.compare(b[j].element);
    if (c < 0) {
      out.children_.push_back(a[i++]);
    } else if (c > 0) {
      ++j;
    } else {
      FieldSet diff = a[i].set.difference(b[j].set);
      if (!diff.empty()) out.children_.push_back({a[i].element, std::move(diff)});
      ++i;
      ++j;
    }
  }
  out.children_.insert(out.children_.end(), a.begin() + i, a.end());
  return out;
}

FieldSet FieldSet::recursive_difference(const FieldSet& o) const {
  FieldSet out;
  out.members_ = members_difference(members_, o.members_);
  for (const auto& n : children_) {
    if (o.has_member(n.element)) continue;
    if (const FieldSet* sub = o.child(n.element)) {
      FieldSet diff = n.set.recursive_difference(*sub);
      if (!diff.empty()) out.children_.push_back({n.element, std::move(diff)});
    } else {
      out.children_.push_back(n);
    }
  }
  return out;
}

void FieldSet::subtract(const FieldSet& o) {
  if (!o.members_.empty() && !members_.empty()) {
    members_ = members_difference(members_, o.members_);
  }
  size_t out = 0;
  for (size_t i = 0; i < children_.size(); ++i) {
    if (const FieldSet* sub = o.child(children_[i].element)) {
      children_[i].set.subtract(*sub);
      if (children_[i].set.empty()) continue;
    }
    if (out != i) children_[out] = std::move(children_[i]);
    ++out;
  }
  children_.resize(out);
}

void FieldSet::subtract_recursive(const FieldSet& o) {
  if (!o.members_.empty() && !members_.empty()) {
    members_ = members_difference(members_, o.members_);
  }
  size_t out = 0;
  for (size_t i = 0; i < children_.size(); ++i) {
    if (o.has_member(children_[i].element)) continue;
    if (const FieldSet* sub = o.child(children_[i].element)) {
      children_[i].set.subtract_recursive(*sub);
      if (children_[i].set.empty()) continue;
    }
    if (out != i) children_[out] = std::move(children_[i]);
    ++out;
  }
  children_.resize(out);
}

bool FieldSet::intersects(const FieldSet& o) const {
  size_t i = 0, j = 0;
  while (i < members_.size() && j < o.members_.size()) {
    int c = members_[i].compare(o.members_[j]);
    if (c == 0) return true;
    if (c < 0) {
      ++i;
    } else {
      ++j;
    }
  }
  i = 0;
  j = 0;
  while (i < children_.size() && j < o.children_.size()) {
    int c = children_[i].element.compare(o.children_[j].element);
    if (c == 0) {
      if (children_[i].set.intersects(o.children_[j].set)) return true;
      ++i;
      ++j;
    } else if (c < 0) {
      ++i;
    } else {
      ++j;
    }
  }
  return false;
}

bool FieldSet::operator==(const FieldSet& o) const {
  if (members_.size() != o.members_.size() || children_.size() != o.children_.size()) {
    return false;
  }
  for (size_t i = 0; i < members_.size(); ++i)
    if (!(members_[i] == o.members_[i])) return false;
  for (size_t i = 0; i < children_.size(); ++i) {
    if (!(children_[i].element == o.children_[i].element)) return false;
    if (!(children_[i].set == o.children_[i].set)) return false;
  }
  return true;
}

void FieldSet::for_each_prefixed(
    FieldPath& prefix, const std::function<void(std::span<const PathElement>)>& fn) const {
  for (const auto& m : members_) {
    prefix.push_back(m);
    fn(prefix);
    prefix.pop_back();
  }
  for (const auto& n : children_) {
    prefix.push_back(n.element);
    n.set.for_each_prefixed(prefix, fn);
    prefix.pop_back();
  }
}

void FieldSet::for_each(const std::function<void(std::span<const PathElement>)>& fn) const {
  FieldPath prefix;
  for_each_prefixed(prefix, fn);
}

std::vector<FieldPath> FieldSet::paths() const {
  std::vector<FieldPath> out;
  for_each([&](std::span<const PathElement> p) { out.emplace_back(p.begin(), p.end()); });
  return out;
}

std::string FieldSet::to_string() const {
  std::string out;
  for_each([&](std::span<const PathElement> p) {
    out += field_path_string(p);
    out += '\n';
  });
  return out;
}

void FieldSet::emit_v1(std::string& out, bool include_self) const {
  std::string scratch;
  out += '{';
  bool first = true;
  auto comma = [&] {
    if (!first) out += ',';
    first = false;
  };
  // Kubernetes writes the `.` entry first (structured-merge-diff emitContentsV1).
  if (include_self && (!members_.empty() || !children_.empty())) {
    comma();
    out += "\".\":{}";
  }
  size_t mi = 0, ci = 0;
  while (mi < members_.size() || ci < children_.size()) {
    int c = mi == members_.size()    ? 1
            : ci == children_.size() ? -1
                                     : members_[mi].compare(children_[ci].element);
    comma();
    if (c < 0) {
      append_key(out, members_[mi++], scratch);
      out += ":{}";
    } else {
      append_key(out, children_[ci].element, scratch);
      out += ':';
      children_[ci].set.emit_v1(out, /*include_self=*/c == 0);
      if (c == 0) ++mi;
      ++ci;
    }
  }
  out += '}';
}

std::string FieldSet::to_fields_v1_string() const {
  std::string out;
  emit_v1(out, false);
  return out;
}

Json FieldSet::to_v1_json(bool include_self) const {
  Json out = Json::object();
  if (include_self && (!members_.empty() || !children_.empty())) out["."] = Json::object();
  for (const auto& m : members_) out[m.serialize()] = Json::object();
  for (const auto& n : children_) {
    out[n.element.serialize()] = n.set.to_v1_json(has_member(n.element));
  }
  return out;
}

Json FieldSet::to_fields_v1() const { return to_v1_json(false); }

// readIterV1: reads one level of fieldsV1 into `children`; `is_member` tells whether the enclosing
// path itself is in the set (a `.` key, or a level with nothing else in it).
Result<void> FieldSet::read_v1(const Json& v, int depth, FieldSet* children, bool* has_children,
                               bool* is_member) {
  *has_children = false;
  *is_member = false;
  if (depth > FieldSet::kMaxFieldsV1Depth) {
    return make_error(ErrorCode::kBadRequest, "fieldsV1 is nested too deeply");
  }
  if (v.is_null()) {
    *is_member = true;
    return {};
  }
  if (!v.is_object()) {
    return make_error(ErrorCode::kBadRequest,
                      std::string("expected an object in fieldsV1, found ") + v.type_name());
  }
  std::vector<PathElement> members;
  std::vector<FieldSet::Node> nodes;
  members.reserve(v.size());
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key() == ".") {
      *is_member = true;
      continue;
    }
    BOSUN_ASSIGN_OR_RETURN(std::optional<PathElement> pe, PathElement::parse(it.key()));
    if (!pe) continue;  // an element type from a newer version: dropped, as SMD does
    FieldSet grandchildren;
    bool has_grandchildren = false, child_is_member = false;
    BOSUN_RETURN_IF_ERROR(
        read_v1(it.value(), depth + 1, &grandchildren, &has_grandchildren, &child_is_member));
    if (child_is_member && has_grandchildren) {
      members.push_back(*pe);
    } else if (child_is_member) {
      members.push_back(std::move(*pe));
      continue;
    }
    if (has_grandchildren) nodes.push_back({std::move(*pe), std::move(grandchildren)});
  }
  if (members.empty() && nodes.empty()) {
    *is_member = true;
    return {};
  }
  *has_children = true;
  // Keys come in string order, which is SMD's order for field names: sort only when needed.
  if (!std::is_sorted(members.begin(), members.end())) {
    std::sort(members.begin(), members.end());
  }
  members.erase(std::unique(members.begin(), members.end()), members.end());
  auto by_element = [](const FieldSet::Node& a, const FieldSet::Node& b) {
    return a.element < b.element;
  };
  if (!std::is_sorted(nodes.begin(), nodes.end(), by_element)) {
    std::stable_sort(nodes.begin(), nodes.end(), by_element);
  }
  // Of equal elements the last one read wins, as in SMD.
  size_t out = 0;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (out > 0 && nodes[out - 1].element == nodes[i].element) {
      nodes[out - 1] = std::move(nodes[i]);
    } else {
      if (out != i) nodes[out] = std::move(nodes[i]);
      ++out;
    }
  }
  nodes.resize(out);
  children->members_ = std::move(members);
  children->children_ = std::move(nodes);
  return {};
}

Result<FieldSet> FieldSet::from_fields_v1(const Json& fields) {
  FieldSet out;
  bool has_children = false, is_member = false;
  BOSUN_RETURN_IF_ERROR(read_v1(fields, 0, &out, &has_children, &is_member));
  if (!has_children) return FieldSet();
  return out;
}

Result<FieldSet> FieldSet::from_fields_v1_string(std::string_view text) {
  BOSUN_ASSIGN_OR_RETURN(Json parsed, parse_limited(text));
  return from_fields_v1(parsed);
}

}  // namespace bosun::api
