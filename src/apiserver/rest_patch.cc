// PATCH of an object or its status: Kubernetes' patchHandler. JSON Patch, JSON Merge Patch and
// strategic merge patch go through the patch engine (api/patch.h) on the current object, then the
// same update path as PUT; server-side apply goes through the field manager (api/apply.h) and may
// create the object. Patches are re-applied to a fresh read when a concurrent write intervenes, as
// the patcher's GuaranteedUpdate does.
#include <fmt/format.h>

#include "api/decode.h"
#include "api/managed_fields.h"
#include "api/object_meta.h"
#include "api/patch.h"
#include "api/schema_validation.h"
#include "apiserver/api_errors.h"
#include "apiserver/object_codec.h"
#include "apiserver/rest_core.h"

namespace bosun::apiserver {

namespace {

// Go's fmt "%+v" of a decoded JSON value (map[string]interface{} and friends), which the strategic
// merge patch handler puts in its 422: `map[spec:map[replicas:3]]`.
void go_format(const Json& v, std::string& out) {
  switch (v.type()) {
    case Json::value_t::object: {
      out += "map[";
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!first) out += ' ';
        first = false;
        out += it.key();
        out += ':';
        go_format(it.value(), out);
      }
      out += ']';
      break;
    }
    case Json::value_t::array: {
      out += '[';
      for (size_t i = 0; i < v.size(); ++i) {
        if (i) out += ' ';
        go_format(v[i], out);
      }
      out += ']';
      break;
    }
    case Json::value_t::string:
      out += v.get_ref<const std::string&>();
      break;
    case Json::value_t::null:
      out += "<nil>";
      break;
    case Json::value_t::boolean:
      out += v.get<bool>() ? "true" : "false";
      break;
    case Json::value_t::number_float:
      out += fmt::format("{}", v.get<double>());
      break;
    default:
      out += v.dump();
      break;
  }
}

// The 422 the patcher returns when the patched object does not decode, strictly or at all:
// ` "" is invalid: patch: Invalid value: "<value>": <detail>`.
Error patch_invalid(std::string value, std::string detail) {
  FieldErrors errs;
  errs.invalid("patch", std::move(value), std::move(detail));
  return errs.to_error("", "");
}

api::PatchType engine_type(PatchType t) {
  switch (t) {
    case PatchType::kJsonPatch:
      return api::PatchType::kJsonPatch;
    case PatchType::kMergePatch:
      return api::PatchType::kMergePatch;
    default:
      return api::PatchType::kStrategicMergePatch;
  }
}

}  // namespace

Result<Response> handle_patch(RestCore& core, RestRequest& r) {
  BOSUN_ASSIGN_OR_RETURN(PatchType patch_type, negotiate_patch(r.req().header("Content-Type")));
  bool apply = patch_type == PatchType::kApply;
  BOSUN_ASSIGN_OR_RETURN(WriteOptions options,
                         parse_write_options(r.req().query, "PatchOptions", apply));
  options.manager = api::manager_or_user_agent(options.field_manager, r.req().header("User-Agent"));
  const ResourceScope& scope = *r.scope;
  const api::ResourceType& type = r.type();
  const std::string& body = r.req().body;
  const std::string& name = r.info.name;
  const std::string& ns = r.info.namespace_;

  if (apply) {
    const api::FieldManager* fm = scope.manager_for(r.info.subresource);
    if (fm == nullptr) return method_not_allowed_error();
    api::DecodeOptions dopts;
    dopts.fail_on_duplicates = false;
    auto decoded = api::decode_document(body, dopts);
    if (!decoded.ok()) {
      return bad_request_error(fmt::format("error decoding YAML: {}", decoded.error().message));
    }
    Json config = decoded->value.is_null() ? Json::object() : std::move(decoded->value);
    if (!config.is_object()) {
      return bad_request_error("error decoding YAML: the applied configuration is not an object");
    }
    if (options.field_validation != FieldValidation::kIgnore &&
        !decoded->duplicate_fields.empty()) {
      std::vector<std::string> dups;
      for (const auto& f : decoded->duplicate_fields)
        dups.push_back(api::duplicate_field_message(f));
      if (options.field_validation == FieldValidation::kStrict) {
        return bad_request_error(
            fmt::format("error strict decoding YAML: {}", api::strict_decoding_message(dups)));
      }
      for (auto& d : dups) r.warnings.push_back(std::move(d));
    }
    bool force = options.force.value_or(false);
    // Apply to an object that does not exist creates it (forceAllowCreate).
    auto current = core.store().get(object_key(scope.prefix, ns, name));
    if (!current.ok() && current.error().code == ErrorCode::kNotFound &&
        r.info.subresource.empty()) {
      BOSUN_ASSIGN_OR_RETURN(
          api::ApplyResult applied,
          fm->apply(Json::object(), config, options.manager, force, core.clock()));
      Json obj = std::move(applied.object);
      if (api::name(obj).empty()) api::set_name(obj, name);
      if (api::name(obj) != name) {
        return bad_request_error(
            fmt::format("the name of the object ({}) does not match the name on the URL ({})",
                        api::name(obj), name));
      }
      auto created = create_object(core, scope, ns, std::move(obj), options, true);
      if (created.ok()) return object_response(r, 201, std::move(created).value());
      // Someone created it meanwhile: apply to theirs below.
      if (created.error().code != ErrorCode::kAlreadyExists) return std::move(created).error();
    }
    BOSUN_ASSIGN_OR_RETURN(UpdateOutcome outcome,
                           update_object(
                               core, scope, ns, name, r.info.subresource,
                               [&](const Json& live) -> Result<Json> {
                                 BOSUN_ASSIGN_OR_RETURN(
                                     api::ApplyResult applied,
                                     fm->apply(live, config, options.manager, force, core.clock()));
                                 return std::move(applied.object);
                               },
                               options, true));
    return object_response(r, 200, std::move(outcome.json));
  }

  api::PatchOptions popts;
  popts.strict_decoding = options.field_validation != FieldValidation::kIgnore;
  bool warned = false;
  auto fn = [&](const Json& current) -> Result<Json> {
    BOSUN_ASSIGN_OR_RETURN(
        api::PatchResult patched,
        api::apply_patch(engine_type(patch_type), current, body, type.schema, popts));
    Json obj = std::move(patched.object);
    std::vector<std::string> strict = std::move(patched.strict_errors);
    if (type.schema != nullptr) {
      api::FieldValidationResult res = api::validate_fields(obj, *type.schema);
      // What the patcher shows as the offending value: the patched object for JSON patches, the
      // patch itself (as Go prints a map) for strategic merge patches.
      auto shown = [&]() -> std::string {
        if (patch_type != PatchType::kStrategicMergePatch) return to_json(obj);
        std::string out;
        go_format(Json::parse(body, nullptr, false), out);
        return out;
      };
      if (!res.type_errors.empty()) return patch_invalid(shown(), res.type_errors.front().message);
      for (const std::string& f : res.unknown_fields)
        strict.push_back(api::unknown_field_message(f));
      if (!strict.empty()) {
        if (options.field_validation == FieldValidation::kStrict) {
          return patch_invalid(shown(), api::strict_decoding_message(strict));
        }
        if (!warned) {
          for (auto& s : strict) r.warnings.push_back(std::move(s));
          warned = true;
        }
      }
    }
    if (type.schema != nullptr) {
      // What the typed object cannot hold is dropped, as decoding into it drops it.
      drop_unknown_fields(obj, api::validate_fields(obj, *type.schema).unknown_fields);
    }
    // checkName: a patch may not rename or move the object.
    if (api::name(obj) != name) {
      return bad_request_error(
          fmt::format("the name of the object ({}) does not match the name on the URL ({})",
                      api::name(obj), name));
    }
    if (type.namespaced && !api::namespace_of(obj).empty() && api::namespace_of(obj) != ns) {
      return bad_request_error(fmt::format(
          "the namespace of the object ({}) does not match the namespace on the request ({})",
          api::namespace_of(obj), ns));
    }
    return obj;
  };
  BOSUN_ASSIGN_OR_RETURN(UpdateOutcome outcome,
                         update_object(core, scope, ns, name, r.info.subresource, fn, options));
  return object_response(r, 200, std::move(outcome.json));
}

}  // namespace bosun::apiserver
