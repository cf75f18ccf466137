#include "controller/deployment_util.h"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "common/time_format.h"

namespace bosun::controller::deployment_util {

namespace {

const Json* member(const Json& obj, std::string_view key) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(key);
  return it == obj.end() || it->is_null() ? nullptr : &*it;
}

int64_t as_int(const Json* v, int64_t fallback = 0) {
  if (!v) return fallback;
  if (v->is_number_integer()) return v->get<int64_t>();
  if (v->is_number_float()) return static_cast<int64_t>(v->get<double>());
  return fallback;
}

std::string_view as_str(const Json* v) {
  return v && v->is_string() ? std::string_view(v->get_ref<const std::string&>())
                             : std::string_view();
}

std::optional<int64_t> parse_int(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t n = 0;
  size_t i = 0;
  bool negative = s[0] == '-';
  if (negative || s[0] == '+') i = 1;
  if (i == s.size()) return std::nullopt;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9' || n > (INT64_MAX - 9) / 10) return std::nullopt;
    n = n * 10 + (s[i] - '0');
  }
  return negative ? -n : n;
}

Json& annotations_of(Json& obj) {
  Json& meta = obj["metadata"];
  if (!meta.is_object()) meta = Json::object();
  Json& annotations = meta["annotations"];
  if (!annotations.is_object()) annotations = Json::object();
  return annotations;
}

bool skip_copy_annotation(std::string_view key) {
  return key == kLastAppliedAnnotation || key == kRevisionAnnotation ||
         key == kRevisionHistoryAnnotation || key == kDesiredReplicasAnnotation ||
         key == kMaxReplicasAnnotation || key == kRollbackToAnnotation;
}

bool is_zero(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return true;
    case Json::value_t::boolean:
      return !v.get<bool>();
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
    case Json::value_t::number_float:
      return v.get<double>() == 0;
    case Json::value_t::string:
      return v.get_ref<const std::string&>().empty();
    case Json::value_t::object:
    case Json::value_t::array:
      return v.empty();
    default:
      return false;
  }
}

std::string_view creation(const Json& rs) {
  const Json* meta = member(rs, "metadata");
  return meta ? as_str(member(*meta, "creationTimestamp")) : std::string_view();
}

std::string_view name_of(const Json& rs) {
  const Json* meta = member(rs, "metadata");
  return meta ? as_str(member(*meta, "name")) : std::string_view();
}

// ReplicaSetsByCreationTimestamp.Less; RFC 3339 in whole seconds and UTC sorts as text.
bool created_before(const Json& a, const Json& b) {
  std::string_view ca = creation(a);
  std::string_view cb = creation(b);
  if (ca == cb) return name_of(a) < name_of(b);
  return ca < cb;
}

}  // namespace

int64_t int_at(const Json& obj, std::string_view a, std::string_view b) {
  const Json* outer = member(obj, a);
  return outer ? as_int(member(*outer, b)) : 0;
}

int32_t spec_replicas(const Json& obj) {
  const Json* spec = member(obj, "spec");
  return static_cast<int32_t>(spec ? as_int(member(*spec, "replicas"), 1) : 1);
}

int32_t status_count(const Json& obj, std::string_view field) {
  return static_cast<int32_t>(int_at(obj, "status", field));
}

std::string annotation_or_empty(const Json& obj, std::string_view key) {
  const Json* meta = member(obj, "metadata");
  const Json* annotations = meta ? member(*meta, "annotations") : nullptr;
  return std::string(annotations ? as_str(member(*annotations, key)) : std::string_view());
}

int64_t revision_of(const Json& rs) {
  return parse_int(annotation_or_empty(rs, kRevisionAnnotation)).value_or(0);
}

bool is_rolling_update(const Json& d) {
  const Json* spec = member(d, "spec");
  const Json* strategy = spec ? member(*spec, "strategy") : nullptr;
  std::string_view type = strategy ? as_str(member(*strategy, "type")) : std::string_view();
  return type == "RollingUpdate";
}

bool being_deleted(const Json& obj) {
  const Json* meta = member(obj, "metadata");
  return meta && !as_str(member(*meta, "deletionTimestamp")).empty();
}

// ---- Hash and templates ------------------------------------------------------------------------

std::string safe_encode_string(std::string_view s) {
  static constexpr std::string_view kAlphabet = "bcdfghjklmnpqrstvwxz2456789";
  std::string out(s.size(), ' ');
  for (size_t i = 0; i < s.size(); ++i) {
    out[i] = kAlphabet[static_cast<unsigned char>(s[i]) % kAlphabet.size()];
  }
  return out;
}

std::string compute_hash(const Json& pod_template, std::optional<int32_t> collision_count) {
  uint32_t h = 2166136261u;
  auto write = [&h](const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < n; ++i) {
      h ^= p[i];
      h *= 16777619u;
    }
  };
  std::string text = pod_template.dump();
  write(text.data(), text.size());
  if (collision_count) {
    uint32_t c = static_cast<uint32_t>(*collision_count);
    unsigned char bytes[8] = {static_cast<unsigned char>(c),
                              static_cast<unsigned char>(c >> 8),
                              static_cast<unsigned char>(c >> 16),
                              static_cast<unsigned char>(c >> 24),
                              0,
                              0,
                              0,
                              0};
    write(bytes, sizeof bytes);
  }
  return safe_encode_string(fmt::format("{}", h));
}

bool semantic_equal(const Json& a, const Json& b) {
  bool za = is_zero(a);
  bool zb = is_zero(b);
  if (za || zb) return za && zb;
  if (a.is_number() && b.is_number()) {
    if (a.is_number_float() || b.is_number_float()) return a.get<double>() == b.get<double>();
    return a == b;
  }
  if (a.type() != b.type()) return false;
  if (a.is_object()) {
    static const Json kNull;
    for (const auto& [k, v] : a.items()) {
      auto it = b.find(k);
      if (!semantic_equal(v, it == b.end() ? kNull : *it)) return false;
    }
    for (const auto& [k, v] : b.items()) {
      if (!a.contains(k) && !is_zero(v)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (!semantic_equal(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

namespace {

// semantic_equal of two objects, with `skip(key)` members left out and `nested(key, a, b)`
// deciding the members it claims; no copies (every sync compares the template with each
// ReplicaSet's).
template <typename Skip, typename Nested>
bool objects_equal(const Json& a, const Json& b, Skip skip, Nested nested) {
  static const Json kNull;
  // Only objects (or absent values) are compared member by member.
  if ((!a.is_object() && !a.is_null()) || (!b.is_object() && !b.is_null())) {
    return semantic_equal(a, b);
  }
  const Json& oa = a.is_object() ? a : kNull;
  const Json& ob = b.is_object() ? b : kNull;
  if (!oa.is_null()) {
    for (const auto& [k, v] : oa.items()) {
      if (skip(k)) continue;
      auto it = ob.is_null() ? ob.end() : ob.find(k);
      const Json& other = it == ob.end() ? kNull : *it;
      std::optional<bool> decided = nested(k, v, other);
      if (decided ? !*decided : !semantic_equal(v, other)) return false;
    }
  }
  if (!ob.is_null()) {
    for (const auto& [k, v] : ob.items()) {
      if (skip(k) || (!oa.is_null() && oa.contains(k))) continue;
      std::optional<bool> decided = nested(k, kNull, v);
      if (decided ? !*decided : !is_zero(v)) return false;
    }
  }
  return true;
}

}  // namespace

bool equal_ignore_hash(const Json& t1, const Json& t2) {
  auto none = [](std::string_view) { return false; };
  auto no_nested = [](std::string_view, const Json&, const Json&) -> std::optional<bool> {
    return std::nullopt;
  };
  auto labels = [&](std::string_view key, const Json& a, const Json& b) -> std::optional<bool> {
    if (key != "labels") return std::nullopt;
    return objects_equal(
        a, b, [](std::string_view k) { return k == kPodTemplateHashLabel; }, no_nested);
  };
  auto metadata = [&](std::string_view key, const Json& a, const Json& b) -> std::optional<bool> {
    if (key != "metadata") return std::nullopt;
    return objects_equal(a, b, none, labels);
  };
  return objects_equal(t1, t2, none, metadata);
}

// ---- Fenceposts --------------------------------------------------------------------------------

Result<int32_t> scaled_value(const Json* v, int32_t total, bool round_up) {
  if (!v || v->is_null()) return 0;
  if (v->is_number()) return static_cast<int32_t>(as_int(v));
  if (!v->is_string())
    return make_error(ErrorCode::kInvalid, "invalid type: neither int nor percentage");
  std::string_view s = v->get_ref<const std::string&>();
  if (s.empty() || s.back() != '%') {
    return make_error(ErrorCode::kInvalid, "invalid type: string is not a percentage");
  }
  auto n = parse_int(s.substr(0, s.size() - 1));
  if (!n) return make_error(ErrorCode::kInvalid, fmt::format("invalid value \"{}\"", s));
  double scaled = static_cast<double>(*n) * static_cast<double>(total) / 100.0;
  return static_cast<int32_t>(round_up ? std::ceil(scaled) : std::floor(scaled));
}

Result<std::pair<int32_t, int32_t>> resolve_fenceposts(const Json* max_surge,
                                                       const Json* max_unavailable,
                                                       int32_t desired) {
  BOSUN_ASSIGN_OR_RETURN(int32_t surge, scaled_value(max_surge, desired, true));
  BOSUN_ASSIGN_OR_RETURN(int32_t unavailable, scaled_value(max_unavailable, desired, false));
  // Both zero would let no rollout proceed; validation forbids it, this guards old objects.
  if (surge == 0 && unavailable == 0) unavailable = 1;
  return std::pair{surge, unavailable};
}

namespace {

std::pair<int32_t, int32_t> fenceposts_of(const Json& d) {
  const Json* spec = member(d, "spec");
  const Json* strategy = spec ? member(*spec, "strategy") : nullptr;
  const Json* rolling = strategy ? member(*strategy, "rollingUpdate") : nullptr;
  auto r =
      resolve_fenceposts(rolling ? member(*rolling, "maxSurge") : nullptr,
                         rolling ? member(*rolling, "maxUnavailable") : nullptr, spec_replicas(d));
  return r.ok() ? *r : std::pair<int32_t, int32_t>{0, 0};
}

}  // namespace

int32_t max_unavailable(const Json& d) {
  int32_t replicas = spec_replicas(d);
  if (!is_rolling_update(d) || replicas == 0) return 0;
  return std::min(fenceposts_of(d).second, replicas);
}

int32_t max_surge(const Json& d) {
  if (!is_rolling_update(d)) return 0;
  return fenceposts_of(d).first;
}

// ---- ReplicaSet lists --------------------------------------------------------------------------

int32_t total_spec_replicas(const RsList& rss) {
  int32_t n = 0;
  for (const auto& rs : rss) {
    if (rs) n += spec_replicas(*rs);
  }
  return n;
}

int32_t total_status(const RsList& rss, std::string_view field) {
  int32_t n = 0;
  for (const auto& rs : rss) {
    if (rs) n += status_count(*rs, field);
  }
  return n;
}

RsList filter_active(const RsList& rss) {
  RsList out;
  for (const auto& rs : rss) {
    if (rs && spec_replicas(*rs) > 0) out.push_back(rs);
  }
  return out;
}

void sort_by_creation(RsList& rss, bool newest_first) {
  std::stable_sort(rss.begin(), rss.end(), [newest_first](const RsPtr& a, const RsPtr& b) {
    return newest_first ? created_before(*b, *a) : created_before(*a, *b);
  });
}

void sort_by_size(RsList& rss, bool newer_first) {
  std::stable_sort(rss.begin(), rss.end(), [newer_first](const RsPtr& a, const RsPtr& b) {
    int32_t ra = spec_replicas(*a);
    int32_t rb = spec_replicas(*b);
    if (ra != rb) return ra > rb;
    return newer_first ? created_before(*b, *a) : created_before(*a, *b);
  });
}

void sort_by_revision(RsList& rss) {
  std::stable_sort(rss.begin(), rss.end(), [](const RsPtr& a, const RsPtr& b) {
    int64_t ra = revision_of(*a);
    int64_t rb = revision_of(*b);
    if (ra == rb) return created_before(*a, *b);
    return ra < rb;
  });
}

RsPtr find_new_rs(const Json& d, const RsList& rss) {
  RsList sorted = rss;
  sort_by_creation(sorted);
  const Json* spec = member(d, "spec");
  const Json* tmpl = spec ? member(*spec, "template") : nullptr;
  static const Json kEmpty = Json::object();
  for (const auto& rs : sorted) {
    const Json* rs_spec = member(*rs, "spec");
    const Json* rs_tmpl = rs_spec ? member(*rs_spec, "template") : nullptr;
    // The oldest match wins: several identical ReplicaSets can exist after a hash collision.
    if (equal_ignore_hash(rs_tmpl ? *rs_tmpl : kEmpty, tmpl ? *tmpl : kEmpty)) return rs;
  }
  return nullptr;
}

RsList find_old_rss(const Json&, const RsList& rss, const RsPtr& new_rs) {
  RsList out;
  for (const auto& rs : rss) {
    if (rs != new_rs) out.push_back(rs);
  }
  return out;
}

int64_t max_revision(const RsList& rss) {
  int64_t max = 0;
  for (const auto& rs : rss) {
    if (rs) max = std::max(max, revision_of(*rs));
  }
  return max;
}

RsPtr find_active_or_latest(const RsPtr& new_rs, RsList old_rss) {
  if (!new_rs && old_rss.empty()) return nullptr;
  sort_by_creation(old_rss, /*newest_first=*/true);
  RsList all = old_rss;
  all.push_back(new_rs);
  RsList active = filter_active(all);
  if (active.empty()) return new_rs ? new_rs : old_rss.front();
  if (active.size() == 1) return active.front();
  return nullptr;
}

bool is_saturated(const Json& d, const RsPtr& rs) {
  if (!rs) return false;
  auto desired = parse_int(annotation_or_empty(*rs, kDesiredReplicasAnnotation));
  if (!desired) return false;
  int32_t replicas = spec_replicas(d);
  return spec_replicas(*rs) == replicas && *desired == replicas &&
         status_count(*rs, "availableReplicas") == replicas;
}

// ---- Scaling -----------------------------------------------------------------------------------

Result<int32_t> new_rs_new_replicas(const Json& d, const RsList& all, const Json& new_rs) {
  int32_t replicas = spec_replicas(d);
  int32_t current_new = spec_replicas(new_rs);
  const Json* spec = member(d, "spec");
  const Json* strategy = spec ? member(*spec, "strategy") : nullptr;
  std::string_view type = strategy ? as_str(member(*strategy, "type")) : std::string_view();
  if (type == "RollingUpdate") {
    const Json* rolling = member(*strategy, "rollingUpdate");
    BOSUN_ASSIGN_OR_RETURN(
        int32_t surge,
        scaled_value(rolling ? member(*rolling, "maxSurge") : nullptr, replicas, true));
    int32_t current = total_spec_replicas(all);
    int32_t max_total = replicas + surge;
    if (current >= max_total) return current_new;
    int32_t scale_up = std::min(max_total - current, replicas - current_new);
    return current_new + scale_up;
  }
  if (type == "Recreate") return replicas;
  return make_error(ErrorCode::kInvalid, fmt::format("deployment type {} isn't supported", type));
}

int32_t proportion(const Json& rs, const Json& d, int32_t to_add, int32_t added) {
  int32_t rs_replicas = spec_replicas(rs);
  if (rs_replicas == 0 || to_add == 0 || to_add == added) return 0;
  int32_t fraction;
  if (spec_replicas(d) == 0) {
    fraction = -rs_replicas;
  } else {
    int32_t deployment_replicas = spec_replicas(d) + max_surge(d);
    auto annotated = parse_int(annotation_or_empty(rs, kMaxReplicasAnnotation));
    int64_t base = annotated ? *annotated : status_count(d, "replicas");
    if (base == 0) {
      fraction = 0;
    } else {
      double size =
          static_cast<double>(rs_replicas) * deployment_replicas / static_cast<double>(base);
      fraction = static_cast<int32_t>(std::round(size)) - rs_replicas;
    }
  }
  int32_t allowed = to_add - added;
  return to_add > 0 ? std::min(fraction, allowed) : std::max(fraction, allowed);
}

// ---- Annotations -------------------------------------------------------------------------------

bool replicas_annotations_need_update(const Json& rs, int32_t desired, int32_t max) {
  return annotation_or_empty(rs, kDesiredReplicasAnnotation) != std::to_string(desired) ||
         annotation_or_empty(rs, kMaxReplicasAnnotation) != std::to_string(max);
}

bool set_replicas_annotations(Json& rs, int32_t desired, int32_t max) {
  if (!replicas_annotations_need_update(rs, desired, max)) return false;
  Json& a = annotations_of(rs);
  a[std::string(kDesiredReplicasAnnotation)] = std::to_string(desired);
  a[std::string(kMaxReplicasAnnotation)] = std::to_string(max);
  return true;
}

bool set_new_rs_annotations(const Json& d, Json& rs, int64_t new_revision, bool exists) {
  bool changed = false;
  Json& a = annotations_of(rs);
  const Json* meta = member(d, "metadata");
  if (const Json* da = meta ? member(*meta, "annotations") : nullptr; da && da->is_object()) {
    for (const auto& [k, v] : da->items()) {
      if (skip_copy_annotation(k) || !v.is_string()) continue;
      auto it = a.find(k);
      if (it != a.end() && *it == v) continue;
      a[k] = v;
      changed = true;
    }
  }
  std::string old_revision = annotation_or_empty(rs, kRevisionAnnotation);
  bool had_revision = a.contains(std::string(kRevisionAnnotation));
  int64_t old_int = 0;
  if (!old_revision.empty()) {
    auto parsed = parse_int(old_revision);
    if (!parsed) return false;  // as Kubernetes: an unparsable revision is left alone
    old_int = *parsed;
  }
  if (old_int < new_revision) {
    a[std::string(kRevisionAnnotation)] = std::to_string(new_revision);
    changed = true;
  }
  // A ReplicaSet that had a revision and gets a newer one is the target of a rollback: its old
  // revisions stay visible in revision-history, bounded to 2000 characters (oldest dropped).
  if (had_revision && old_int < new_revision) {
    std::string history = annotation_or_empty(rs, kRevisionHistoryAnnotation);
    if (history.empty()) {
      a[std::string(kRevisionHistoryAnnotation)] = old_revision;
    } else {
      std::vector<std::string> parts;
      size_t start = 0;
      while (true) {
        size_t comma = history.find(',', start);
        parts.push_back(history.substr(start, comma - start));
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
      size_t total = history.size() + old_revision.size() + 1;
      size_t first = 0;
      while (total > kMaxRevisionHistoryLength && first < parts.size()) {
        total -= parts[first].size() + 1;
        ++first;
      }
      if (total <= kMaxRevisionHistoryLength) {
        std::string joined;
        for (size_t i = first; i < parts.size(); ++i) joined += parts[i] + ",";
        a[std::string(kRevisionHistoryAnnotation)] = joined + old_revision;
      }
    }
  }
  if (!exists) {
    int32_t replicas = spec_replicas(d);
    if (set_replicas_annotations(rs, replicas, replicas + max_surge(d))) changed = true;
  }
  return changed;
}

bool set_deployment_revision(Json& d, std::string_view revision) {
  if (annotation_or_empty(d, kRevisionAnnotation) == revision) return false;
  annotations_of(d)[std::string(kRevisionAnnotation)] = std::string(revision);
  return true;
}

// ---- Status and conditions ---------------------------------------------------------------------

const Json* get_condition(const Json& status, std::string_view type) {
  const Json* conditions = member(status, "conditions");
  if (!conditions || !conditions->is_array()) return nullptr;
  for (const Json& c : *conditions) {
    if (as_str(member(c, "type")) == type) return &c;
  }
  return nullptr;
}

Json new_condition(std::string_view type, std::string_view status, std::string_view reason,
                   std::string_view message, Clock::WallTime now) {
  std::string t = format_rfc3339(now);
  return Json{{"type", type},       {"status", status},    {"reason", reason},
              {"message", message}, {"lastUpdateTime", t}, {"lastTransitionTime", t}};
}

void set_condition(Json& status, Json condition) {
  std::string_view type = as_str(member(condition, "type"));
  if (const Json* current = get_condition(status, type)) {
    bool same_status = as_str(member(*current, "status")) == as_str(member(condition, "status"));
    if (same_status && as_str(member(*current, "reason")) == as_str(member(condition, "reason"))) {
      return;
    }
    if (same_status && current->contains("lastTransitionTime")) {
      condition["lastTransitionTime"] = (*current)["lastTransitionTime"];
    }
  }
  remove_condition(status, type);
  status["conditions"].push_back(std::move(condition));
}

void remove_condition(Json& status, std::string_view type) {
  Json kept = Json::array();
  if (const Json* conditions = member(status, "conditions"); conditions && conditions->is_array()) {
    for (const Json& c : *conditions) {
      if (as_str(member(c, "type")) != type) kept.push_back(c);
    }
  }
  // Kubernetes' conditions field is omitempty: the last condition removed takes the field along.
  if (kept.empty()) {
    if (status.is_object()) status.erase("conditions");
  } else {
    status["conditions"] = std::move(kept);
  }
}

bool has_progress_deadline(const Json& d) {
  const Json* spec = member(d, "spec");
  const Json* deadline = spec ? member(*spec, "progressDeadlineSeconds") : nullptr;
  return deadline && deadline->is_number() && as_int(deadline) != INT32_MAX;
}

Json calculate_status(const RsList& all, const RsPtr& new_rs, const Json& d, Clock::WallTime now) {
  int32_t available = total_status(all, "availableReplicas");
  int32_t unavailable = std::max(0, total_spec_replicas(all) - available);
  Json status = Json::object();
  // The API omits zero counts (omitempty), so the status compares equal to what it reads back.
  auto put = [&status](const char* key, int64_t v) {
    if (v != 0) status[key] = v;
  };
  const Json* meta = member(d, "metadata");
  put("observedGeneration", meta ? as_int(member(*meta, "generation")) : 0);
  put("replicas", total_status(all, "replicas"));
  put("updatedReplicas", new_rs ? status_count(*new_rs, "replicas") : 0);
  put("readyReplicas", total_status(all, "readyReplicas"));
  put("availableReplicas", available);
  put("unavailableReplicas", unavailable);
  const Json* old_status = member(d, "status");
  if (const Json* c = old_status ? member(*old_status, "collisionCount") : nullptr) {
    status["collisionCount"] = *c;
  }
  if (const Json* c = old_status ? member(*old_status, "conditions") : nullptr;
      c && c->is_array()) {
    status["conditions"] = *c;
  }
  if (available >= spec_replicas(d) - max_unavailable(d)) {
    set_condition(status, new_condition(kAvailable, "True", kMinimumReplicasAvailable,
                                        "Deployment has minimum availability.", now));
  } else {
    set_condition(status, new_condition(kAvailable, "False", kMinimumReplicasUnavailable,
                                        "Deployment does not have minimum availability.", now));
  }
  return status;
}

bool deployment_complete(const Json& d, const Json& status) {
  int32_t replicas = spec_replicas(d);
  const Json* meta = member(d, "metadata");
  int64_t generation = meta ? as_int(member(*meta, "generation")) : 0;
  return as_int(member(status, "updatedReplicas")) == replicas &&
         as_int(member(status, "replicas")) == replicas &&
         as_int(member(status, "availableReplicas")) == replicas &&
         as_int(member(status, "observedGeneration")) >= generation;
}

bool deployment_progressing(const Json& d, const Json& status) {
  static const Json kEmpty = Json::object();
  const Json* old = member(d, "status");
  if (!old) old = &kEmpty;
  auto n = [](const Json& s, const char* f) { return as_int(member(s, f)); };
  int64_t old_old = n(*old, "replicas") - n(*old, "updatedReplicas");
  int64_t new_old = n(status, "replicas") - n(status, "updatedReplicas");
  return n(status, "updatedReplicas") > n(*old, "updatedReplicas") || new_old < old_old ||
         n(status, "readyReplicas") > n(*old, "readyReplicas") ||
         n(status, "availableReplicas") > n(*old, "availableReplicas");
}

namespace {

std::optional<Clock::WallTime> deadline_of(const Json& d, const Json& condition) {
  auto from = parse_rfc3339(as_str(member(condition, "lastUpdateTime")));
  if (!from.ok()) return std::nullopt;
  return saturating_add(*from, std::chrono::seconds(int_at(d, "spec", "progressDeadlineSeconds")));
}

}  // namespace

bool deployment_timed_out(const Json& d, const Json& status, Clock::WallTime now) {
  if (!has_progress_deadline(d)) return false;
  const Json* condition = get_condition(status, kProgressing);
  if (!condition) return false;
  std::string_view reason = as_str(member(*condition, "reason"));
  // A completed rollout is not re-judged on a later resync.
  if (reason == kNewRSAvailableReason) return false;
  if (reason == kTimedOutReason) return true;
  auto deadline = deadline_of(d, *condition);
  return deadline && *deadline < now;
}

std::optional<Clock::Duration> time_to_deadline(const Json& d, Clock::WallTime now) {
  const Json* status = member(d, "status");
  const Json* condition = status ? get_condition(*status, kProgressing) : nullptr;
  if (!condition) return std::nullopt;
  auto deadline = deadline_of(d, *condition);
  if (!deadline) return std::nullopt;
  return std::chrono::duration_cast<Clock::Duration>(saturating_difference(*deadline, now));
}

}  // namespace bosun::controller::deployment_util
