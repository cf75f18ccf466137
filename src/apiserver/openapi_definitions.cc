// DefinitionSet: the schema texts' types written as OpenAPI schema objects, the way kube-openapi
// generates them from Kubernetes' Go types.
#include <string>

#include "apiserver/openapi_spec.h"
#include "common/check.h"

namespace bosun::apiserver::openapi {

namespace {

Json gvk_list(const std::vector<api::GroupVersionKind>& gvks) {
  Json list = Json::array();
  for (const api::GroupVersionKind& g : gvks) {
    list.push_back(Json{{"group", g.group}, {"version", g.version}, {"kind", g.kind}});
  }
  return list;
}

Json ref_to(std::string_view name, Dialect d) {
  return Json{{"$ref", ref_prefix(d) + std::string(name)}};
}

// A reference with siblings (description, default, extensions). OpenAPI 3.0 ignores a $ref's
// siblings, so kube-openapi's v3 builder moves the $ref into a one-element allOf; Swagger 2.0
// keeps them side by side.
Json ref_with(Json ref, Json siblings, Dialect d) {
  if (siblings.empty()) return ref;
  if (d == Dialect::kV3) {
    siblings["allOf"] = Json::array({std::move(ref)});
    return siblings;
  }
  siblings.update(ref);
  return siblings;
}

Json leaf(std::string_view type, std::string_view format = {}) {
  Json s{{"type", type}};
  if (!format.empty()) s["format"] = format;
  return s;
}

// Quantity and IntOrString: v3 states both JSON types they accept (oneOf); Swagger 2.0 cannot, so
// Kubernetes publishes them as strings there (int-or-string by format).
Json quantity_schema(Dialect d) {
  if (d == Dialect::kV2) return leaf("string");
  return Json{{"oneOf", Json::array({leaf("string"), leaf("number")})}};
}

Json int_or_string_schema(Dialect d) {
  if (d == Dialect::kV2) return leaf("string", "int-or-string");
  return Json{{"format", "int-or-string"},
              {"oneOf", Json::array({leaf("integer"), leaf("string")})}};
}

std::string_view leaf_name(api::ValueKind kind) {
  switch (kind) {
    case api::ValueKind::kQuantity:
      return kQuantityName;
    case api::ValueKind::kIntOrString:
      return kIntOrStringName;
    case api::ValueKind::kTime:
      return kTimeName;
    case api::ValueKind::kMicroTime:
      return kMicroTimeName;
    case api::ValueKind::kAny:
      return kRawExtensionName;
    default:
      return {};
  }
}

}  // namespace

std::string ref_prefix(Dialect d) {
  return d == Dialect::kV3 ? "#/components/schemas/" : "#/definitions/";
}

std::string DefinitionSet::add(const api::SchemaType& type) {
  auto [it, inserted] = defs_.try_emplace(type.full_name());
  if (!inserted) return type.full_name();
  it->second.type = &type;
  for (const api::SchemaField& f : type.fields()) add_ref(*f.type);
  return type.full_name();
}

void DefinitionSet::add_ref(const api::TypeRef& ref) {
  switch (ref.kind) {
    case api::ValueKind::kArray:
    case api::ValueKind::kMap:
      if (ref.element != nullptr) add_ref(*ref.element);
      return;
    default:
      break;
  }
  if (ref.named != nullptr) {
    add(*ref.named);
    return;
  }
  std::string_view name = leaf_name(ref.kind);
  if (!name.empty()) add_named(name);
}

std::string DefinitionSet::add_named(std::string_view name) {
  if (const api::SchemaType* t = schemas_.find(name)) return add(*t);
  auto [it, inserted] = defs_.try_emplace(std::string(name));
  if (!inserted) return std::string(name);
  Def& def = it->second;
  if (name == kQuantityName) {
    def.synthetic = Synthetic::kQuantity;
  } else if (name == kIntOrStringName) {
    def.synthetic = Synthetic::kIntOrString;
  } else if (name == kRawExtensionName) {
    def.synthetic = Synthetic::kRawExtension;
  } else if (name == kPatchName) {
    def.synthetic = Synthetic::kPatch;
  } else if (name == kTimeName) {
    def.synthetic = Synthetic::kTime;
  } else if (name == kMicroTimeName) {
    def.synthetic = Synthetic::kMicroTime;
  } else if (name == kWatchEventName) {
    def.synthetic = Synthetic::kWatchEvent;
    add_named(kRawExtensionName);
  } else {
    BOSUN_CHECK(false, "no built-in description for this OpenAPI definition");
  }
  return std::string(name);
}

std::string DefinitionSet::add_list(const api::ResourceType& resource) {
  BOSUN_CHECK(resource.schema != nullptr, "a served resource without a schema");
  std::string item = add(*resource.schema);
  if (const api::SchemaType* t =
          schemas_.find(resource.group, resource.version, resource.list_kind)) {
    return add(*t);
  }
  std::string name = resource.schema->package() + "." + resource.list_kind;
  auto [it, inserted] = defs_.try_emplace(name);
  if (inserted) {
    it->second.synthetic = Synthetic::kList;
    it->second.item_ref = item;
    it->second.gvk = {resource.group, resource.version, resource.list_kind};
    add_named(kListMetaName);
  }
  return name;
}

Json DefinitionSet::render(Dialect d) const {
  Json out = Json::object();
  for (const auto& [name, def] : defs_) out[name] = render_def(def, d);
  return out;
}

Json DefinitionSet::render_def(const Def& def, Dialect d) const {
  switch (def.synthetic) {
    case Synthetic::kNone:
      return render_object(*def.type, d);
    case Synthetic::kQuantity: {
      Json s = quantity_schema(d);
      s["description"] =
          "A fixed-point number with an optional suffix (binary Ki, Mi, Gi, ...; decimal k, M, G, "
          "...; or an exponent), written as a string such as \"500m\" or \"2Gi\".";
      return s;
    }
    case Synthetic::kIntOrString: {
      Json s = int_or_string_schema(d);
      s["description"] = "Either an integer or a string, such as a port number or a port name.";
      return s;
    }
    case Synthetic::kRawExtension:
      return Json{{"type", "object"}, {"description", "An embedded object of any kind."}};
    case Synthetic::kPatch:
      return Json{
          {"type", "object"},
          {"description", "The body of a PATCH request, in the format its Content-Type names."}};
    case Synthetic::kTime:
      return Json{{"type", "string"},
                  {"format", "date-time"},
                  {"description", "A point in time, RFC 3339 in whole seconds."}};
    case Synthetic::kMicroTime:
      return Json{{"type", "string"},
                  {"format", "date-time"},
                  {"description", "A point in time with microseconds, RFC 3339."}};
    case Synthetic::kWatchEvent: {
      Json props = Json::object();
      props["type"] = Json{{"type", "string"},
                           {"default", ""},
                           {"description", "ADDED, MODIFIED, DELETED, BOOKMARK or ERROR."}};
      props["object"] = ref_with(ref_to(kRawExtensionName, d),
                                 Json{{"description", "The object, or a Status for ERROR."}}, d);
      return Json{{"type", "object"},
                  {"description", "One event of a watch stream."},
                  {"required", Json::array({"type", "object"})},
                  {"properties", std::move(props)}};
    }
    case Synthetic::kList: {
      Json props = Json::object();
      props["apiVersion"] =
          Json{{"type", "string"}, {"description", "The versioned schema of this object."}};
      props["kind"] = Json{{"type", "string"}, {"description", "The type of this object."}};
      props["metadata"] = ref_with(
          ref_to(kListMetaName, d),
          Json{{"default", Json::object()}, {"description", "Standard list metadata."}}, d);
      props["items"] = Json{{"type", "array"},
                            {"description", "The objects of the list."},
                            {"items", ref_to(def.item_ref, d)}};
      return Json{{"type", "object"},
                  {"description",
                   "A list of " + def.item_ref.substr(def.item_ref.rfind('.') + 1) + " objects."},
                  {"required", Json::array({"items"})},
                  {"properties", std::move(props)},
                  {"x-kubernetes-group-version-kind", gvk_list({def.gvk})}};
    }
  }
  return Json::object();
}

Json DefinitionSet::render_object(const api::SchemaType& type, Dialect d) const {
  Json s = Json::object();
  if (!type.description().empty()) s["description"] = type.description();
  if (type.is_scalar()) {
    switch (type.ref().kind) {
      case api::ValueKind::kQuantity:
        s.update(quantity_schema(d));
        break;
      case api::ValueKind::kIntOrString:
        s.update(int_or_string_schema(d));
        break;
      case api::ValueKind::kAny:
        // FieldsV1 and other opaque values: Kubernetes publishes them as bare objects.
        s["type"] = "object";
        break;
      default:
        s["type"] = type.ref().openapi_type();
        if (!type.ref().openapi_format().empty()) s["format"] = type.ref().openapi_format();
        break;
    }
    return s;
  }
  s["type"] = "object";
  Json props = Json::object();
  Json required = Json::array();
  for (const api::SchemaField& f : type.fields()) {
    props[f.name] = render_field(f, d);
    if (f.required) required.push_back(f.name);
  }
  if (!props.empty()) s["properties"] = std::move(props);
  if (!required.empty()) s["required"] = std::move(required);
  if (!type.gvks().empty()) s["x-kubernetes-group-version-kind"] = gvk_list(type.gvks());
  if (type.atomic()) s["x-kubernetes-map-type"] = "atomic";
  if (type.preserve_unknown()) s["x-kubernetes-preserve-unknown-fields"] = true;
  return s;
}

Json DefinitionSet::render_field(const api::SchemaField& f, Dialect d) const {
  Json extra = Json::object();
  if (!f.description.empty()) extra["description"] = f.description;
  if (f.default_value) extra["default"] = *f.default_value;
  if (!f.enum_values.empty()) extra["enum"] = f.enum_values;
  if (f.patch_strategy != api::PatchStrategy::kNone) {
    extra["x-kubernetes-patch-strategy"] = api::patch_strategy_name(f.patch_strategy);
  }
  if (!f.merge_key.empty()) extra["x-kubernetes-patch-merge-key"] = f.merge_key;
  if (f.list_type != api::ListType::kNone) {
    extra["x-kubernetes-list-type"] = api::list_type_name(f.list_type);
  }
  if (!f.list_map_keys.empty()) extra["x-kubernetes-list-map-keys"] = f.list_map_keys;
  if (f.map_type != api::MapType::kNone) {
    extra["x-kubernetes-map-type"] = api::map_type_name(f.map_type);
  }
  if (f.preserve_unknown) extra["x-kubernetes-preserve-unknown-fields"] = true;
  Json type = render_type(*f.type, d);
  if (type.contains("$ref")) return ref_with(std::move(type), std::move(extra), d);
  type.update(extra);
  return type;
}

Json DefinitionSet::render_type(const api::TypeRef& ref, Dialect d) const {
  switch (ref.kind) {
    case api::ValueKind::kArray: {
      Json s{{"type", "array"}};
      s["items"] = ref.element ? render_type(*ref.element, d) : Json::object();
      return s;
    }
    case api::ValueKind::kMap: {
      Json s{{"type", "object"}};
      s["additionalProperties"] = ref.element ? render_type(*ref.element, d) : Json::object();
      return s;
    }
    default:
      break;
  }
  if (ref.named != nullptr) return ref_to(ref.named->full_name(), d);
  std::string_view name = leaf_name(ref.kind);
  if (!name.empty()) return ref_to(name, d);
  return leaf(ref.openapi_type(), ref.openapi_format());
}

}  // namespace bosun::apiserver::openapi
