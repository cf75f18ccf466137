#include "apiserver/rest_options.h"

#include <charconv>

#include <fmt/format.h>

#include "api/decode.h"
#include "common/field_errors.h"

namespace bosun::apiserver {

namespace {

Error bad_request(std::string message) {
  return make_error(ErrorCode::kBadRequest, std::move(message));
}

// strconv.ParseInt's error text, which the parameter codec returns for a bad number.
Result<int64_t> parse_int_param(std::string_view name, std::string_view text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size()) {
    return bad_request(
        fmt::format("{}: strconv.ParseInt: parsing {}: invalid syntax", name, go_quote(text)));
  }
  return v;
}

bool parse_go_bool(std::string_view v, bool* out) {
  if (v == "1" || v == "t" || v == "T" || v == "TRUE" || v == "true" || v == "True") {
    *out = true;
    return true;
  }
  if (v == "0" || v == "f" || v == "F" || v == "FALSE" || v == "false" || v == "False") {
    *out = false;
    return true;
  }
  return false;
}

Result<std::optional<bool>> parse_bool_param(const QueryParams& query, std::string_view name) {
  auto v = query.get(name);
  if (!v || v->empty()) return std::optional<bool>();
  bool b = false;
  if (!parse_go_bool(*v, &b)) {
    return bad_request(
        fmt::format("{}: strconv.ParseBool: parsing {}: invalid syntax", name, go_quote(*v)));
  }
  return std::optional<bool>(b);
}

Error invalid_options(std::string_view kind, const FieldErrors& errs) {
  return errs.to_error(fmt::format("{}.meta.k8s.io", kind), "");
}

void validate_dry_run(const std::vector<std::string_view>& values, FieldErrors& errs) {
  for (std::string_view v : values) {
    if (v != "All") {
      // field.NotSupported over the whole slice, printed with Go's %#v.
      std::string shown = "[]string{";
      for (size_t i = 0; i < values.size(); ++i) {
        if (i) shown += ", ";
        shown += go_quote(values[i]);
      }
      shown += "}";
      errs.add(FieldError{FieldErrorType::kNotSupported, "dryRun", nullptr,
                          fmt::format("{}: supported values: \"All\"", shown), true});
      return;
    }
  }
}

}  // namespace

Result<ListOptions> parse_list_options(const QueryParams& query, const api::ResourceType& type) {
  ListOptions o;
  if (auto ls = query.get("labelSelector"); ls && !ls->empty()) {
    api::SelectorSyntaxError detail;
    auto sel = api::LabelSelector::parse(*ls, &detail);
    if (!sel.ok())
      return bad_request(detail.message.empty() ? sel.error().message : detail.message);
    o.label_selector = std::move(sel).value();
  }
  if (auto fs = query.get("fieldSelector"); fs && !fs->empty()) {
    api::SelectorSyntaxError detail;
    auto sel = api::FieldSelector::parse(*fs, &detail);
    if (!sel.ok())
      return bad_request(detail.message.empty() ? sel.error().message : detail.message);
    // The kind's field label conversion (scope.Convertor.ConvertFieldLabel).
    auto converted =
        sel->transform([&](std::string_view field,
                           std::string_view value) -> Result<std::pair<std::string, std::string>> {
          BOSUN_ASSIGN_OR_RETURN(std::string canonical, type.convert_field_label(field));
          return std::pair<std::string, std::string>(std::move(canonical), std::string(value));
        });
    if (!converted.ok()) return bad_request(converted.error().message);
    o.field_selector = std::move(converted).value();
  }
  if (auto rv = query.get("resourceVersion")) o.resource_version = std::string(*rv);
  if (!o.resource_version.empty() && o.resource_version != "0") {
    auto [p, ec] =
        std::from_chars(o.resource_version.data(),
                        o.resource_version.data() + o.resource_version.size(), o.revision);
    if (ec != std::errc() || p != o.resource_version.data() + o.resource_version.size()) {
      return bad_request(fmt::format(
          "resourceVersion: Invalid value: {}: strconv.ParseUint: parsing {}: invalid syntax",
          go_quote(o.resource_version), go_quote(o.resource_version)));
    }
  }
  std::string match;
  if (auto m = query.get("resourceVersionMatch")) match = std::string(*m);
  if (auto l = query.get("limit"); l && !l->empty()) {
    BOSUN_ASSIGN_OR_RETURN(o.limit, parse_int_param("limit", *l));
  }
  if (auto c = query.get("continue")) o.continue_token = std::string(*c);
  BOSUN_ASSIGN_OR_RETURN(auto watch, parse_bool_param(query, "watch"));
  o.watch = watch.value_or(false);
  BOSUN_ASSIGN_OR_RETURN(auto bookmarks, parse_bool_param(query, "allowWatchBookmarks"));
  o.allow_watch_bookmarks = bookmarks.value_or(false);
  BOSUN_ASSIGN_OR_RETURN(o.send_initial_events, parse_bool_param(query, "sendInitialEvents"));
  if (auto t = query.get("timeoutSeconds"); t && !t->empty()) {
    BOSUN_ASSIGN_OR_RETURN(int64_t secs, parse_int_param("timeoutSeconds", *t));
    o.timeout_seconds = secs;
  }

  // ValidateListOptions.
  FieldErrors errs;
  if (match == "NotOlderThan") {
    o.match = ResourceVersionMatch::kNotOlderThan;
  } else if (match == "Exact") {
    o.match = ResourceVersionMatch::kExact;
  } else if (!match.empty()) {
    errs.not_supported("resourceVersionMatch", match, {"Exact", "NotOlderThan", ""});
  }
  if (o.match != ResourceVersionMatch::kUnset) {
    if (o.watch) {
      // Watches accept only NotOlderThan, and only with sendInitialEvents.
      if (!o.send_initial_events.has_value()) {
        errs.forbidden("resourceVersionMatch",
                       "resourceVersionMatch is forbidden for watch unless sendInitialEvents is "
                       "provided");
      } else if (o.match != ResourceVersionMatch::kNotOlderThan) {
        errs.not_supported("resourceVersionMatch", match, {"NotOlderThan"});
      }
    } else if (o.resource_version.empty()) {
      errs.forbidden("resourceVersionMatch",
                     "resourceVersionMatch is forbidden unless resourceVersion is provided");
    } else if (!o.continue_token.empty()) {
      errs.forbidden("resourceVersionMatch",
                     "resourceVersionMatch is forbidden when continue is provided");
    } else if (o.match == ResourceVersionMatch::kExact && o.resource_version == "0") {
      errs.forbidden("resourceVersionMatch",
                     "resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"");
    }
  } else if (o.send_initial_events.has_value() && o.watch) {
    errs.forbidden("resourceVersionMatch",
                   "sendInitialEvents requires setting resourceVersionMatch to NotOlderThan");
  }
  if (o.send_initial_events.has_value() && !o.watch) {
    errs.forbidden("sendInitialEvents", "sendInitialEvents is forbidden for list");
  }
  if (o.send_initial_events.has_value() && o.watch && !o.allow_watch_bookmarks) {
    errs.forbidden("allowWatchBookmarks",
                   "allowWatchBookmarks must be set to true when sendInitialEvents is provided");
  }
  if (!errs.empty()) return invalid_options("ListOptions", errs);
  return o;
}

Result<WriteOptions> parse_write_options(const QueryParams& query, std::string_view kind,
                                         bool apply) {
  WriteOptions o;
  FieldErrors errs;
  std::vector<std::string_view> dry_run = query.get_all("dryRun");
  validate_dry_run(dry_run, errs);
  o.dry_run = !dry_run.empty();
  if (auto fm = query.get("fieldManager")) o.field_manager = std::string(*fm);
  // ValidateFieldManager: at most 128 bytes, printable ASCII.
  if (o.field_manager.size() > 128) {
    errs.too_long("fieldManager", o.field_manager, 128);
  } else {
    for (unsigned char c : o.field_manager) {
      if (c < 0x20 || c > 0x7e) {
        errs.invalid("fieldManager", o.field_manager, "must only contain printable characters");
        break;
      }
    }
  }
  if (apply && o.field_manager.empty())
    errs.required("fieldManager", "is required for apply patch");
  if (auto fv = query.get("fieldValidation")) {
    if (*fv == "Strict") {
      o.field_validation = FieldValidation::kStrict;
    } else if (*fv == "Warn" || fv->empty()) {
      o.field_validation = FieldValidation::kWarn;
    } else if (*fv == "Ignore") {
      o.field_validation = FieldValidation::kIgnore;
    } else {
      errs.not_supported("fieldValidation", std::string(*fv), {"Ignore", "Strict", "Warn"});
    }
  }
  if (auto f = query.get("force"); f && !f->empty()) {
    bool b = false;
    if (!parse_go_bool(*f, &b)) {
      return bad_request(
          fmt::format("force: strconv.ParseBool: parsing {}: invalid syntax", go_quote(*f)));
    }
    if (!apply) {
      errs.forbidden("force", "may not be specified for non-apply patch");
    } else {
      o.force = b;
    }
  }
  if (!errs.empty()) return invalid_options(kind, errs);
  return o;
}

namespace {

// The DeleteOptions fields of a decoded body over what the query gave.
Result<void> merge_delete_body(const Json& body, DeleteOptions& o, std::string& policy,
                               std::vector<std::string>& dry_run) {
  if (body.is_null()) return ok_result();
  if (!body.is_object()) return bad_request("the body of the request was in an unknown format");
  // A body that is not DeleteOptions (kubectl always sends the kind, or none) is refused.
  if (auto k = body.find("kind"); k != body.end() && k->is_string() && *k != "DeleteOptions") {
    return bad_request(fmt::format("{} in version {} cannot be handled as a DeleteOptions",
                                   k->get<std::string>(),
                                   go_quote(body.value("apiVersion", std::string()))));
  }
  if (auto g = body.find("gracePeriodSeconds"); g != body.end() && !g->is_null()) {
    if (!g->is_number_integer()) {
      return bad_request(
          "DeleteOptions in version \"v1\" cannot be handled as a DeleteOptions: json: cannot "
          "unmarshal " +
          std::string(g->type_name()) +
          " into Go struct field DeleteOptions.gracePeriodSeconds of type int64");
    }
    o.grace_period_seconds = g->get<int64_t>();
  }
  if (auto od = body.find("orphanDependents"); od != body.end() && od->is_boolean()) {
    o.orphan_dependents = od->get<bool>();
  }
  if (auto p = body.find("propagationPolicy"); p != body.end() && p->is_string()) {
    policy = p->get<std::string>();
  }
  if (auto d = body.find("dryRun"); d != body.end() && d->is_array()) {
    dry_run.clear();
    for (const Json& v : *d) {
      if (v.is_string()) dry_run.push_back(v.get<std::string>());
    }
  }
  if (auto pre = body.find("preconditions"); pre != body.end() && pre->is_object()) {
    if (auto u = pre->find("uid"); u != pre->end() && u->is_string()) {
      o.precondition_uid = u->get<std::string>();
    }
    if (auto rv = pre->find("resourceVersion"); rv != pre->end() && rv->is_string()) {
      o.precondition_resource_version = rv->get<std::string>();
    }
  }
  return ok_result();
}

Result<DeleteOptions> finish_delete_options(DeleteOptions o, const std::string& policy,
                                            const std::vector<std::string>& dry_run) {
  FieldErrors errs;
  std::vector<std::string_view> dry_run_views(dry_run.begin(), dry_run.end());
  validate_dry_run(dry_run_views, errs);
  o.dry_run = !dry_run.empty();
  if (policy == "Orphan") {
    o.propagation = PropagationPolicy::kOrphan;
  } else if (policy == "Background") {
    o.propagation = PropagationPolicy::kBackground;
  } else if (policy == "Foreground") {
    o.propagation = PropagationPolicy::kForeground;
  } else if (!policy.empty()) {
    errs.not_supported("propagationPolicy", policy, {"Foreground", "Background", "Orphan"});
  }
  if (o.orphan_dependents.has_value() && o.propagation != PropagationPolicy::kDefault) {
    errs.invalid("propagationPolicy", policy,
                 "orphanDependents and deletionPropagation cannot be both set");
  }
  if (!errs.empty()) return invalid_options("DeleteOptions", errs);
  return o;
}

}  // namespace

Result<DeleteOptions> parse_delete_options(const Request& request) {
  DeleteOptions o;
  const QueryParams& q = request.query;
  if (auto g = q.get("gracePeriodSeconds"); g && !g->empty()) {
    BOSUN_ASSIGN_OR_RETURN(int64_t v, parse_int_param("gracePeriodSeconds", *g));
    o.grace_period_seconds = v;
  }
  BOSUN_ASSIGN_OR_RETURN(o.orphan_dependents, parse_bool_param(q, "orphanDependents"));
  std::string policy;
  if (auto p = q.get("propagationPolicy")) policy = std::string(*p);
  std::vector<std::string_view> dry_run_q = q.get_all("dryRun");
  std::vector<std::string> dry_run(dry_run_q.begin(), dry_run_q.end());
  if (!request.body.empty()) {
    api::DecodeOptions dopts;
    dopts.fail_on_duplicates = false;
    auto decoded = api::decode_document(request.body, dopts);
    if (!decoded.ok()) return bad_request(decoded.error().message);
    BOSUN_RETURN_IF_ERROR(merge_delete_body(decoded->value, o, policy, dry_run));
  }
  return finish_delete_options(std::move(o), policy, dry_run);
}

Result<DeleteOptions> delete_options_from_json(const Json& body) {
  DeleteOptions o;
  std::string policy;
  std::vector<std::string> dry_run;
  BOSUN_RETURN_IF_ERROR(merge_delete_body(body, o, policy, dry_run));
  return finish_delete_options(std::move(o), policy, dry_run);
}

std::string warning_header_value(std::string_view text) {
  return fmt::format("299 - {}", go_quote(text));
}

}  // namespace bosun::apiserver
