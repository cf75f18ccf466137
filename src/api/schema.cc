#include "api/schema.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>

#include <fmt/format.h>

namespace bosun::api {

std::string_view value_kind_name(ValueKind kind) {
  switch (kind) {
    case ValueKind::kString:
      return "string";
    case ValueKind::kInt32:
      return "int32";
    case ValueKind::kInt64:
      return "int64";
    case ValueKind::kNumber:
      return "number";
    case ValueKind::kBoolean:
      return "boolean";
    case ValueKind::kByte:
      return "byte";
    case ValueKind::kQuantity:
      return "Quantity";
    case ValueKind::kIntOrString:
      return "IntOrString";
    case ValueKind::kTime:
      return "Time";
    case ValueKind::kMicroTime:
      return "MicroTime";
    case ValueKind::kAny:
      return "any";
    case ValueKind::kArray:
      return "array";
    case ValueKind::kMap:
      return "map";
    case ValueKind::kObject:
      return "object";
  }
  return "any";
}

std::string_view patch_strategy_name(PatchStrategy s) {
  switch (s) {
    case PatchStrategy::kNone:
      return "";
    case PatchStrategy::kMerge:
      return "merge";
    case PatchStrategy::kReplace:
      return "replace";
    case PatchStrategy::kRetainKeys:
      return "retainKeys";
    case PatchStrategy::kMergeRetainKeys:
      return "merge,retainKeys";
  }
  return "";
}

std::string_view list_type_name(ListType t) {
  switch (t) {
    case ListType::kNone:
      return "";
    case ListType::kAtomic:
      return "atomic";
    case ListType::kSet:
      return "set";
    case ListType::kMap:
      return "map";
  }
  return "";
}

std::string_view map_type_name(MapType t) {
  switch (t) {
    case MapType::kNone:
      return "";
    case MapType::kAtomic:
      return "atomic";
    case MapType::kGranular:
      return "granular";
  }
  return "";
}

const SchemaField* TypeRef::field(std::string_view name) const {
  if (kind != ValueKind::kObject || named == nullptr) return nullptr;
  return named->field(name);
}

const TypeRef* TypeRef::child(std::string_view key) const {
  switch (kind) {
    case ValueKind::kArray:
    case ValueKind::kMap:
      return element;
    case ValueKind::kObject: {
      const SchemaField* f = field(key);
      return f ? f->type : nullptr;
    }
    default:
      return nullptr;
  }
}

std::string_view TypeRef::openapi_type() const {
  switch (kind) {
    case ValueKind::kString:
    case ValueKind::kByte:
    case ValueKind::kQuantity:
    case ValueKind::kTime:
    case ValueKind::kMicroTime:
      return "string";
    case ValueKind::kInt32:
    case ValueKind::kInt64:
      return "integer";
    case ValueKind::kNumber:
      return "number";
    case ValueKind::kBoolean:
      return "boolean";
    case ValueKind::kArray:
      return "array";
    case ValueKind::kMap:
    case ValueKind::kObject:
      return "object";
    case ValueKind::kIntOrString:
    case ValueKind::kAny:
      return "";
  }
  return "";
}

std::string_view TypeRef::openapi_format() const {
  switch (kind) {
    case ValueKind::kInt32:
      return "int32";
    case ValueKind::kInt64:
      return "int64";
    case ValueKind::kNumber:
      return "double";
    case ValueKind::kByte:
      return "byte";
    case ValueKind::kTime:
    case ValueKind::kMicroTime:
      return "date-time";
    case ValueKind::kIntOrString:
      return "int-or-string";
    default:
      return "";
  }
}

std::string TypeRef::go_type_name() const {
  if (named != nullptr) return fmt::format("{}.{}", named->go_package(), named->name());
  switch (kind) {
    case ValueKind::kString:
      return "string";
    case ValueKind::kInt32:
      return "int32";
    case ValueKind::kInt64:
      return "int64";
    case ValueKind::kNumber:
      return "float64";
    case ValueKind::kBoolean:
      return "bool";
    case ValueKind::kByte:
      return "[]uint8";  // Go prints []byte as []uint8
    case ValueKind::kQuantity:
      return "resource.Quantity";
    case ValueKind::kIntOrString:
      return "intstr.IntOrString";
    case ValueKind::kTime:
      return "v1.Time";
    case ValueKind::kMicroTime:
      return "v1.MicroTime";
    case ValueKind::kAny:
      return "runtime.RawExtension";
    case ValueKind::kArray:
      return "[]" + (element ? element->go_type_name() : std::string("interface {}"));
    case ValueKind::kMap:
      return "map[string]" + (element ? element->go_type_name() : std::string("interface {}"));
    case ValueKind::kObject:
      return "struct";
  }
  return "";
}

const SchemaField* SchemaType::field(std::string_view json_name) const {
  auto it = std::lower_bound(index_.begin(), index_.end(), json_name,
                             [](const auto& e, std::string_view n) { return e.first < n; });
  if (it == index_.end() || it->first != json_name) return nullptr;
  return &fields_[it->second];
}

std::string_view SchemaType::go_package() const {
  std::string_view p = package_;
  size_t dot = p.rfind('.');
  return dot == std::string_view::npos ? p : p.substr(dot + 1);
}

struct SchemaSet::Impl {
  std::deque<SchemaType> types;
  std::deque<TypeRef> refs;
  std::map<std::string, SchemaType*, std::less<>> by_name;
  std::map<std::string, const SchemaType*, std::less<>> by_gvk;  // "group/version/Kind"
};

SchemaSet::SchemaSet() : impl_(std::make_unique<Impl>()) {}
SchemaSet::~SchemaSet() = default;

namespace {

std::string gvk_key(std::string_view group, std::string_view version, std::string_view kind) {
  std::string k;
  k.reserve(group.size() + version.size() + kind.size() + 2);
  k.append(group).append("/").append(version).append("/").append(kind);
  return k;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    out.emplace_back(
        s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return out;
}

bool is_identifier(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-' || c == '$';
    if (!ok) return false;
  }
  return true;
}

// Splits a line into whitespace-separated tokens up to a lone ":" token, after which the rest of
// the line is the description. A token starting `default="` runs to its closing quote so that
// string defaults may hold spaces.
void tokenize(std::string_view line, std::vector<std::string_view>* tokens,
              std::string_view* description) {
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    if (line[i] == ':' && (i + 1 == line.size() || line[i + 1] == ' ' || line[i + 1] == '\t')) {
      *description = trim(line.substr(i + 1));
      return;
    }
    size_t start = i;
    if (line.substr(i).starts_with("default=\"")) {
      i += 9;
      while (i < line.size() && line[i] != '"') i += (line[i] == '\\') ? 2 : 1;
      if (i < line.size()) ++i;
    }
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    tokens->push_back(line.substr(start, std::min(i, line.size()) - start));
  }
}

std::optional<ValueKind> leaf_kind(std::string_view s) {
  if (s == "string") return ValueKind::kString;
  if (s == "int32") return ValueKind::kInt32;
  if (s == "int64") return ValueKind::kInt64;
  if (s == "number") return ValueKind::kNumber;
  if (s == "boolean") return ValueKind::kBoolean;
  if (s == "byte") return ValueKind::kByte;
  if (s == "Quantity" || s == "quantity") return ValueKind::kQuantity;
  if (s == "IntOrString" || s == "int-or-string") return ValueKind::kIntOrString;
  if (s == "Time" || s == "time") return ValueKind::kTime;
  if (s == "MicroTime" || s == "micro-time") return ValueKind::kMicroTime;
  if (s == "any") return ValueKind::kAny;
  return std::nullopt;
}

bool string_like(ValueKind k) {
  return k == ValueKind::kString || k == ValueKind::kQuantity || k == ValueKind::kIntOrString ||
         k == ValueKind::kTime || k == ValueKind::kMicroTime || k == ValueKind::kByte;
}

}  // namespace

// Builds a SchemaSet in two passes: parse every text (types, fields, unresolved names), then link
// names to types and check what only the whole set can tell (merge keys exist, list-map keys exist,
// defaults fit).
class SchemaParser {
 public:
  SchemaParser(SchemaSet* set, bool allow_unresolved)
      : set_(set), impl_(*set->impl_), allow_unresolved_(allow_unresolved) {
    for (int k = 0; k <= static_cast<int>(ValueKind::kAny); ++k) {
      leaf_[k] = &impl_.refs.emplace_back(TypeRef{static_cast<ValueKind>(k), nullptr, nullptr});
    }
  }

  void parse_source(const SchemaSource& src) {
    std::string_view text = src.text;
    std::string package;
    SchemaType* current = nullptr;
    int line_no = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
      size_t end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      std::string_view line = text.substr(pos, end - pos);
      pos = end + 1;
      ++line_no;
      where_ = fmt::format("{}:{}", src.name, line_no);
      std::string_view t = trim(line);
      if (t.empty() || t.front() == '#') continue;
      bool indented = line.front() == ' ' || line.front() == '\t';
      std::vector<std::string_view> tokens;
      std::string_view description;
      tokenize(t, &tokens, &description);
      if (tokens.empty()) {
        error("a line with a description but no name");
        continue;
      }
      if (!indented) {
        if (tokens[0] == "package") {
          if (tokens.size() != 2 || !is_identifier(tokens[1])) {
            error("expected `package <name>`");
            continue;
          }
          package = std::string(tokens[1]);
          current = nullptr;
        } else if (tokens[0] == "type") {
          current = parse_type_line(package, tokens, description);
        } else {
          error(fmt::format("unexpected `{}` at the start of a line (fields are indented)",
                            tokens[0]));
        }
        continue;
      }
      if (current == nullptr) {
        error("a field line outside of a type");
        continue;
      }
      if (current->scalar_) {
        error(fmt::format("scalar type {} cannot have fields", current->name_));
        continue;
      }
      parse_field_line(current, tokens, description);
    }
  }

  void link() {
    for (const Pending& p : pending_) {
      auto it = impl_.by_name.find(p.full_name);
      if (it == impl_.by_name.end()) {
        std::string what = fmt::format("{} ({})", p.full_name, p.where);
        if (allow_unresolved_) {
          set_->unresolved_.push_back(what);
          p.ref->kind = ValueKind::kAny;  // accepted unchecked until the type exists
        } else {
          errors_.push_back(fmt::format("{}: unresolved type {}", p.where, p.full_name));
        }
        continue;
      }
      const SchemaType* target = it->second;
      p.ref->named = target;
      p.ref->kind = target->self_.kind;
    }
    // Fields never move once parsing is over, so the lookup index can now point at their names.
    for (SchemaType& type : impl_.types) {
      for (auto& [name, i] : type.index_) name = type.fields_[i].name;
      std::sort(type.index_.begin(), type.index_.end());
    }
    for (SchemaType& type : impl_.types) {
      for (SchemaField& f : type.fields_) check_field(type, f);
    }
  }

  std::vector<std::string> take_errors() { return std::move(errors_); }

 private:
  struct Pending {
    TypeRef* ref;
    std::string full_name;
    std::string where;
  };
  struct FieldSource {
    std::string where;
    std::string default_text;
  };

  void error(std::string message) { errors_.push_back(fmt::format("{}: {}", where_, message)); }

  SchemaType* parse_type_line(const std::string& package,
                              const std::vector<std::string_view>& tokens,
                              std::string_view description) {
    if (package.empty()) {
      error("`type` before any `package` line");
      return nullptr;
    }
    if (tokens.size() < 2 || !is_identifier(tokens[1]) ||
        tokens[1].find('.') != std::string_view::npos) {
      error("expected `type <Name> [attributes] [: description]`");
      return nullptr;
    }
    SchemaType& type = impl_.types.emplace_back();
    type.name_ = std::string(tokens[1]);
    type.package_ = package;
    type.full_name_ = package + "." + type.name_;
    type.description_ = std::string(description);
    type.source_ = where_;
    type.self_ = TypeRef{ValueKind::kObject, nullptr, &type};
    for (size_t i = 2; i < tokens.size(); ++i) {
      std::string_view a = tokens[i];
      if (a.starts_with("gvk=")) {
        std::vector<std::string> parts = split(a.substr(4), '/');
        if (parts.size() != 3 || parts[1].empty() || parts[2].empty()) {
          error(fmt::format("bad `{}`: expected gvk=<group>/<version>/<Kind>", a));
          continue;
        }
        GroupVersionKind gvk{parts[0], parts[1], parts[2]};
        std::string key = gvk_key(gvk.group, gvk.version, gvk.kind);
        if (!impl_.by_gvk.emplace(key, &type).second) {
          error(fmt::format("kind {} declared twice", key));
          continue;
        }
        type.gvks_.push_back(std::move(gvk));
      } else if (a.starts_with("scalar=")) {
        std::optional<ValueKind> k = leaf_kind(a.substr(7));
        if (!k) {
          error(fmt::format("unknown scalar kind in `{}`", a));
          continue;
        }
        type.scalar_ = true;
        type.self_.kind = *k;
      } else if (a == "struct=atomic") {
        type.atomic_ = true;
      } else if (a == "struct=granular") {
        type.atomic_ = false;
      } else if (a == "preserve-unknown") {
        type.preserve_unknown_ = true;
      } else {
        error(fmt::format("unknown type attribute `{}`", a));
      }
    }
    if (!impl_.by_name.emplace(type.full_name_, &type).second) {
      error(fmt::format("type {} declared twice", type.full_name_));
    }
    set_->order_.push_back(&type);
    return &type;
  }

  // Parses a type expression; nullptr (with an error recorded) if it is malformed.
  const TypeRef* parse_type_expr(std::string_view s, const std::string& package) {
    if (s.starts_with("[]")) {
      const TypeRef* elem = parse_type_expr(s.substr(2), package);
      if (elem == nullptr) return nullptr;
      return &impl_.refs.emplace_back(TypeRef{ValueKind::kArray, elem, nullptr});
    }
    if (s.starts_with("map[")) {
      if (!s.starts_with("map[string]")) {
        error(fmt::format("map keys must be strings in `{}`", s));
        return nullptr;
      }
      const TypeRef* elem = parse_type_expr(s.substr(11), package);
      if (elem == nullptr) return nullptr;
      return &impl_.refs.emplace_back(TypeRef{ValueKind::kMap, elem, nullptr});
    }
    // Lower-case spellings of the leaves are accepted on `scalar=` only; in field types the names
    // are exact.
    if (s == "string" || s == "int32" || s == "int64" || s == "number" || s == "boolean" ||
        s == "byte" || s == "Quantity" || s == "IntOrString" || s == "Time" || s == "MicroTime" ||
        s == "any") {
      return leaf_[static_cast<int>(*leaf_kind(s))];
    }
    if (!is_identifier(s) || s.front() == '.' || s.back() == '.' ||
        !(s.front() >= 'A' && s.front() <= 'Z')) {
      if (!(is_identifier(s) && s.find('.') != std::string_view::npos)) {
        error(fmt::format("unknown type `{}`", s));
        return nullptr;
      }
    }
    TypeRef* ref = &impl_.refs.emplace_back(TypeRef{ValueKind::kObject, nullptr, nullptr});
    std::string full =
        s.find('.') == std::string_view::npos ? package + "." + std::string(s) : std::string(s);
    pending_.push_back(Pending{ref, std::move(full), where_});
    return ref;
  }

  void parse_field_line(SchemaType* type, const std::vector<std::string_view>& tokens,
                        std::string_view description) {
    if (tokens.size() < 2) {
      error("expected `<jsonName> <type> [attributes] [: description]`");
      return;
    }
    std::string_view name = tokens[0];
    if (!is_identifier(name) || name.find('.') != std::string_view::npos) {
      error(fmt::format("bad field name `{}`", name));
      return;
    }
    if (std::any_of(type->fields_.begin(), type->fields_.end(),
                    [&](const SchemaField& f) { return f.name == name; })) {
      error(fmt::format("field {} declared twice in {}", name, type->name_));
      return;
    }
    const TypeRef* ref = parse_type_expr(tokens[1], type->package_);
    if (ref == nullptr) return;
    SchemaField f;
    f.name = std::string(name);
    f.type = ref;
    f.description = std::string(description);
    FieldSource fs{where_, ""};
    for (size_t i = 2; i < tokens.size(); ++i) {
      std::string_view a = tokens[i];
      if (a == "required") {
        f.required = true;
      } else if (a == "preserve-unknown") {
        f.preserve_unknown = true;
      } else if (a == "int-or-string") {
        f.type = leaf_[static_cast<int>(ValueKind::kIntOrString)];
      } else if (a.starts_with("enum=")) {
        f.enum_values = split(a.substr(5), '|');
        if (std::any_of(f.enum_values.begin(), f.enum_values.end(),
                        [](auto& v) { return v.empty(); })) {
          error(fmt::format("empty value in `{}`", a));
        }
      } else if (a.starts_with("default=")) {
        fs.default_text = std::string(a.substr(8));
        if (fs.default_text.empty()) error("empty default=");
      } else if (a.starts_with("patch=")) {
        std::string_view v = a.substr(6);
        if (v == "merge") {
          f.patch_strategy = PatchStrategy::kMerge;
        } else if (v == "replace") {
          f.patch_strategy = PatchStrategy::kReplace;
        } else if (v == "retainKeys") {
          f.patch_strategy = PatchStrategy::kRetainKeys;
        } else if (v == "merge,retainKeys" || v == "retainKeys,merge") {
          f.patch_strategy = PatchStrategy::kMergeRetainKeys;
        } else {
          error(fmt::format("unknown patch strategy in `{}`", a));
        }
      } else if (a.starts_with("merge-key=")) {
        f.merge_key = std::string(a.substr(10));
        if (f.merge_key.empty()) error("empty merge-key=");
      } else if (a.starts_with("list=")) {
        std::string_view v = a.substr(5);
        if (v == "atomic") {
          f.list_type = ListType::kAtomic;
        } else if (v == "set") {
          f.list_type = ListType::kSet;
        } else if (v == "map") {
          f.list_type = ListType::kMap;
        } else {
          error(fmt::format("unknown list type in `{}`", a));
        }
      } else if (a.starts_with("list-keys=")) {
        f.list_map_keys = split(a.substr(10), ',');
      } else if (a.starts_with("map=")) {
        std::string_view v = a.substr(4);
        if (v == "atomic") {
          f.map_type = MapType::kAtomic;
        } else if (v == "granular") {
          f.map_type = MapType::kGranular;
        } else {
          error(fmt::format("unknown map type in `{}`", a));
        }
      } else if (a == "struct=atomic") {
        f.map_type = MapType::kAtomic;
      } else {
        error(fmt::format("unknown field attribute `{}`", a));
      }
    }
    type->index_.emplace_back(std::string_view(), static_cast<uint32_t>(type->fields_.size()));
    type->fields_.push_back(std::move(f));
    field_sources_[&type->fields_].push_back(std::move(fs));
  }

  // Checks one field once every name is resolved and every type's index is built.
  void check_field(SchemaType& type, SchemaField& f) {
    size_t i = static_cast<size_t>(&f - type.fields_.data());
    const FieldSource& fs = field_sources_[&type.fields_][i];
    auto fail = [&](std::string msg) {
      errors_.push_back(fmt::format("{}: {}.{}: {}", fs.where, type.name_, f.name, msg));
    };
    const TypeRef* t = f.type;
    bool is_list = t->kind == ValueKind::kArray;
    const TypeRef* elem = is_list ? t->element : nullptr;
    bool elem_object =
        elem != nullptr && elem->kind == ValueKind::kObject && elem->named != nullptr;
    // Upstream tags a few non-list fields with a merge key too (LabelSelectorRequirement.key); kept
    // as data.
    if (!f.merge_key.empty()) {
      if (elem_object && elem->named->field(f.merge_key) == nullptr) {
        fail(fmt::format("merge-key {} is not a field of {}", f.merge_key, elem->named->name()));
      }
    }
    if (f.patch_strategy == PatchStrategy::kMerge ||
        f.patch_strategy == PatchStrategy::kMergeRetainKeys) {
      if (is_list && elem_object && f.merge_key.empty())
        fail("patch=merge on a list of objects needs merge-key");
    }
    if (f.list_type != ListType::kNone && !is_list) fail("list= on a field that is not a list");
    if (f.list_type == ListType::kMap) {
      if (f.list_map_keys.empty()) fail("list=map needs list-keys");
      if (elem != nullptr && elem->kind != ValueKind::kObject && elem->kind != ValueKind::kAny) {
        fail("list=map on a list of non-objects");
      }
      for (const std::string& k : f.list_map_keys) {
        if (elem_object && elem->named->field(k) == nullptr) {
          fail(fmt::format("list key {} is not a field of {}", k, elem->named->name()));
        }
      }
    } else if (!f.list_map_keys.empty()) {
      fail("list-keys without list=map");
    }
    if (f.map_type != MapType::kNone && t->kind != ValueKind::kMap &&
        t->kind != ValueKind::kObject && t->kind != ValueKind::kAny) {
      fail("map= on a field that is neither a map nor an object");
    }
    const TypeRef* leaf = t;
    while (leaf->kind == ValueKind::kArray) leaf = leaf->element;
    if (!f.enum_values.empty() && !string_like(leaf->kind)) fail("enum= on a non-string field");
    if (!fs.default_text.empty()) {
      try {
        f.default_value = Json::parse(fs.default_text);
      } catch (const Json::exception&) {
        // A bare word is accepted as a string default (default=Always), which is what these texts
        // mostly need.
        if (string_like(t->kind)) {
          f.default_value = Json(fs.default_text);
        } else {
          fail(fmt::format("default `{}` is not JSON", fs.default_text));
        }
      }
    }
  }

  SchemaSet* set_;
  SchemaSet::Impl& impl_;
  bool allow_unresolved_;
  const TypeRef* leaf_[static_cast<int>(ValueKind::kAny) + 1];
  std::vector<Pending> pending_;
  std::map<const std::vector<SchemaField>*, std::vector<FieldSource>> field_sources_;
  std::vector<std::string> errors_;
  std::string where_;
};

Result<std::unique_ptr<SchemaSet>> SchemaSet::parse(std::span<const SchemaSource> sources,
                                                    bool allow_unresolved) {
  std::unique_ptr<SchemaSet> set(new SchemaSet());
  SchemaParser parser(set.get(), allow_unresolved);
  for (const SchemaSource& src : sources) parser.parse_source(src);
  parser.link();
  std::vector<std::string> errors = parser.take_errors();
  if (!errors.empty()) {
    std::string msg = "malformed schema text:";
    for (const std::string& e : errors) msg += "\n  " + e;
    return make_error(ErrorCode::kInvalid, std::move(msg));
  }
  return set;
}

const SchemaSet& SchemaSet::global() {
  // A function-local static: C++ guarantees one thread builds it while the others wait.
  static const SchemaSet* const kSet = [] {
    Result<std::unique_ptr<SchemaSet>> r = parse(builtin_schema_sources());
    if (!r.ok()) {
      std::fprintf(stderr, "FATAL: %s\n", r.error().message.c_str());
      std::abort();
    }
    return std::move(r).value().release();
  }();
  return *kSet;
}

const SchemaType* SchemaSet::find(std::string_view full_name) const {
  auto it = impl_->by_name.find(full_name);
  return it == impl_->by_name.end() ? nullptr : it->second;
}

const SchemaType* SchemaSet::find(const GroupVersionKind& gvk) const {
  return find(gvk.group, gvk.version, gvk.kind);
}

const SchemaType* SchemaSet::find(std::string_view group, std::string_view version,
                                  std::string_view kind) const {
  auto it = impl_->by_gvk.find(gvk_key(group, version, kind));
  return it == impl_->by_gvk.end() ? nullptr : it->second;
}

const SchemaField* SchemaSet::field_at(const SchemaType& root, std::string_view dotted_path) {
  const TypeRef* t = &root.ref();
  const SchemaField* f = nullptr;
  while (!dotted_path.empty()) {
    size_t dot = dotted_path.find('.');
    std::string_view seg = dotted_path.substr(0, dot);
    dotted_path = dot == std::string_view::npos ? std::string_view() : dotted_path.substr(dot + 1);
    while (t != nullptr && (t->kind == ValueKind::kArray || t->kind == ValueKind::kMap))
      t = t->element;
    if (t == nullptr) return nullptr;
    f = t->field(seg);
    if (f == nullptr) return nullptr;
    t = f->type;
  }
  return f;
}

}  // namespace bosun::api
