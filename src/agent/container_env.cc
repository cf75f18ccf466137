#include "agent/container_env.h"
#include "common/json_fields.h"

#include <map>

#include "api/quantity.h"
#include "runtime/registry_auth.h"

namespace bosun::agent {
namespace {

using json_fields::member;
using json_fields::string_at;

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) out += sep;
    out += v[i];
  }
  return out;
}

// metadata.labels / metadata.annotations as the downward API formats a whole map: sorted
// `key="value"` lines with the value quoted as Go's %q does.
std::string format_map(const Json& m) {
  std::vector<std::string> lines;
  if (m.is_object()) {
    for (const auto& [k, v] : m.items()) {
      std::string q = "\"";
      for (char c : v.is_string() ? v.get<std::string>() : v.dump()) {
        switch (c) {
          case '"':
            q += "\\\"";
            break;
          case '\\':
            q += "\\\\";
            break;
          case '\n':
            q += "\\n";
            break;
          case '\t':
            q += "\\t";
            break;
          default:
            q += c;
        }
      }
      lines.push_back(k + "=" + q + "\"");
    }
  }
  return join(lines, "\n");
}

// The relaxed environment variable name rule (Kubernetes 1.32+ default): printable ASCII, no '='.
bool valid_env_name(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (c < 32 || c > 126 || c == '=') return false;
  }
  return true;
}

// The kubelet's object managers report a missing object with the singular resource name.
Error not_found(std::string_view resource, std::string_view name) {
  std::string kind = resource == "secrets" ? "secret" : "configmap";
  return make_error(ErrorCode::kNotFound, kind + " \"" + std::string(name) + "\" not found");
}

Result<Json> fetch(const EnvContext& ctx, std::string_view resource, std::string_view ns,
                   std::string_view name) {
  if (!ctx.lookup) return not_found(resource, name);
  auto r = ctx.lookup(resource, ns, name);
  if (!r.ok() && r.error().code == ErrorCode::kNotFound) return not_found(resource, name);
  return r;
}

// The string values of a ConfigMap (data, then binaryData is not an env source) or a Secret
// (data, base64-decoded; stringData never reaches a stored Secret).
std::map<std::string, std::string> object_values(const Json& object, bool secret) {
  std::map<std::string, std::string> out;
  const Json& data = member(object, "data");
  if (!data.is_object()) return out;
  for (const auto& [k, v] : data.items()) {
    if (!v.is_string()) continue;
    if (secret) {
      auto decoded = runtime::base64_decode(v.get<std::string>());
      out[k] = decoded ? *decoded : std::string();
    } else {
      out[k] = v.get<std::string>();
    }
  }
  return out;
}

const Json* find_container(const Json& pod, std::string_view name) {
  for (const char* list : {"containers", "initContainers"}) {
    const Json& cs = member(member(pod, "spec"), list);
    if (!cs.is_array()) continue;
    for (const Json& c : cs) {
      if (string_at(c, "name") == name) return &c;
    }
  }
  return nullptr;
}

Result<api::Quantity> quantity_or_zero(const Json& v) {
  if (v.is_null()) return api::Quantity();
  return api::Quantity::from_json(v);
}

}  // namespace

std::string expand_env_references(
    std::string_view input,
    const std::function<std::optional<std::string>(std::string_view)>& lookup) {
  std::string out;
  out.reserve(input.size());
  size_t i = 0;
  while (i < input.size()) {
    char c = input[i];
    if (c != '$' || i + 1 >= input.size()) {
      out += c;
      ++i;
      continue;
    }
    char next = input[i + 1];
    if (next == '$') {
      // `$$` escapes a reference: one literal `$`.
      out += '$';
      i += 2;
      continue;
    }
    if (next != '(') {
      out += c;
      out += next;
      i += 2;
      continue;
    }
    size_t close = input.find(')', i + 2);
    if (close == std::string_view::npos) {
      // An unclosed reference is kept as written.
      out.append(input.substr(i));
      break;
    }
    std::string_view name = input.substr(i + 2, close - i - 2);
    std::optional<std::string> value;
    if (!name.empty()) value = lookup(name);
    if (value) {
      out += *value;
    } else {
      out.append(input.substr(i, close - i + 1));
    }
    i = close + 1;
  }
  return out;
}

Result<std::string> pod_field_value(const Json& pod, std::string_view path, const EnvContext& ctx) {
  const Json& meta = member(pod, "metadata");
  const Json& spec = member(pod, "spec");
  auto subscript = [&](std::string_view prefix) -> std::optional<std::string> {
    // metadata.labels['key'] (the only subscript form the API server accepts).
    if (!path.starts_with(prefix) || path.size() < prefix.size() + 4) return std::nullopt;
    std::string_view rest = path.substr(prefix.size());
    if (!rest.starts_with("['") || !rest.ends_with("']")) return std::nullopt;
    return std::string(rest.substr(2, rest.size() - 4));
  };
  if (path == "metadata.name") return string_at(meta, "name");
  if (path == "metadata.namespace") return string_at(meta, "namespace");
  if (path == "metadata.uid") return string_at(meta, "uid");
  if (path == "metadata.labels") return format_map(member(meta, "labels"));
  if (path == "metadata.annotations") return format_map(member(meta, "annotations"));
  if (auto key = subscript("metadata.labels")) {
    return string_at(member(meta, "labels"), key->c_str());
  }
  if (auto key = subscript("metadata.annotations")) {
    return string_at(member(meta, "annotations"), key->c_str());
  }
  if (path == "spec.nodeName") return string_at(spec, "nodeName");
  if (path == "spec.serviceAccountName") return string_at(spec, "serviceAccountName");
  if (path == "status.hostIP") return ctx.host_ips.empty() ? std::string() : ctx.host_ips[0];
  if (path == "status.hostIPs") return join(ctx.host_ips, ",");
  if (path == "status.podIP") return ctx.pod_ips.empty() ? std::string() : ctx.pod_ips[0];
  if (path == "status.podIPs") return join(ctx.pod_ips, ",");
  return make_error(ErrorCode::kBadRequest, "unsupported fieldPath: " + std::string(path));
}

Result<std::string> resource_field_value(const Json& pod, const Json& container, const Json& ref,
                                         const EnvContext& ctx) {
  const Json* target = &container;
  const std::string container_name = string_at(ref, "containerName");
  if (!container_name.empty() && container_name != string_at(container, "name")) {
    target = find_container(pod, container_name);
    if (!target) {
      return make_error(ErrorCode::kBadRequest,
                        "container " + container_name + " not found in the pod");
    }
  }
  const std::string resource = string_at(ref, "resource");
  BOSUN_ASSIGN_OR_RETURN(api::Quantity divisor, quantity_or_zero(member(ref, "divisor")));
  if (divisor.is_zero()) divisor = api::Quantity::from_int(1);
  const Json& resources = member(*target, "resources");
  const size_t dot = resource.find('.');
  if (dot == std::string::npos) {
    return make_error(ErrorCode::kBadRequest, "unsupported container resource: " + resource);
  }
  const std::string kind = resource.substr(0, dot);  // limits | requests
  const std::string name = resource.substr(dot + 1);
  if (kind != "limits" && kind != "requests") {
    return make_error(ErrorCode::kBadRequest, "unsupported container resource: " + resource);
  }
  BOSUN_ASSIGN_OR_RETURN(api::Quantity value,
                         quantity_or_zero(member(member(resources, kind.c_str()), name.c_str())));
  // An unset limit is the node's allocatable (MergeContainerResourceLimits).
  if (kind == "limits" && member(member(resources, "limits"), name.c_str()).is_null()) {
    if (name == "cpu") value = api::Quantity::from_milli(ctx.node_allocatable_cpu_milli);
    if (name == "memory") value = api::Quantity::from_int(ctx.node_allocatable_memory_bytes);
    if (name == "ephemeral-storage") {
      value = api::Quantity::from_int(ctx.node_allocatable_ephemeral_storage_bytes);
    }
  }
  auto ceil_div = [](int64_t a, int64_t b) -> int64_t {
    if (b <= 0) return 0;
    return a / b + (a % b != 0 && a > 0 ? 1 : 0);
  };
  if (name == "cpu") {
    // ConvertResourceCPUToString: ceil(milli value / divisor milli value).
    return std::to_string(ceil_div(value.milli_value(), divisor.milli_value()));
  }
  if (name == "memory" || name == "ephemeral-storage" || name.starts_with("hugepages-")) {
    return std::to_string(ceil_div(value.value(), divisor.value()));
  }
  return make_error(ErrorCode::kBadRequest, "unsupported container resource: " + resource);
}

Result<ContainerEnv> resolve_container_env(const Json& container, const EnvContext& ctx) {
  static const Json kEmptyPod = Json::object();
  const Json& pod = ctx.pod ? *ctx.pod : kEmptyPod;
  const std::string ns = string_at(member(pod, "metadata"), "namespace");
  ContainerEnv out;
  std::vector<std::string> order;
  std::map<std::string, std::string, std::less<>> values;
  auto set = [&](const std::string& k, std::string v) {
    auto [it, inserted] = values.insert_or_assign(k, std::move(v));
    if (inserted) order.push_back(k);
  };

  const Json& env_from = member(container, "envFrom");
  if (env_from.is_array()) {
    for (const Json& source : env_from) {
      const std::string prefix = string_at(source, "prefix");
      const bool is_secret = source.contains("secretRef");
      const Json& ref = member(source, is_secret ? "secretRef" : "configMapRef");
      if (!ref.is_object()) continue;
      const std::string name = string_at(ref, "name");
      const bool optional = member(ref, "optional").is_boolean() && ref["optional"].get<bool>();
      auto object = fetch(ctx, is_secret ? "secrets" : "configmaps", ns, name);
      if (!object.ok()) {
        if (optional && object.error().code == ErrorCode::kNotFound) continue;
        return std::move(object).error();
      }
      std::vector<std::string> invalid;
      for (auto& [k, v] : object_values(*object, is_secret)) {
        std::string key = prefix + k;
        if (!valid_env_name(key)) {
          invalid.push_back(key);
          continue;
        }
        set(key, std::move(v));
      }
      if (!invalid.empty()) {
        out.warnings.push_back("Keys [" + join(invalid, ", ") + "] from the EnvFrom " +
                               (is_secret ? "secret " : "configMap ") + ns + "/" + name +
                               " were skipped since they are considered invalid environment "
                               "variable names.");
      }
    }
  }

  auto lookup = [&](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it != values.end()) return it->second;
    if (ctx.service_env) {
      if (auto s = ctx.service_env->find(std::string(name)); s != ctx.service_env->end()) {
        return s->second;
      }
    }
    return std::nullopt;
  };

  const Json& env = member(container, "env");
  if (env.is_array()) {
    for (const Json& var : env) {
      const std::string name = string_at(var, "name");
      const Json& from = member(var, "valueFrom");
      if (!from.is_object()) {
        set(name, expand_env_references(string_at(var, "value"), lookup));
        continue;
      }
      if (const Json& f = member(from, "fieldRef"); f.is_object()) {
        BOSUN_ASSIGN_OR_RETURN(std::string v, pod_field_value(pod, string_at(f, "fieldPath"), ctx));
        set(name, std::move(v));
      } else if (const Json& r = member(from, "resourceFieldRef"); r.is_object()) {
        BOSUN_ASSIGN_OR_RETURN(std::string v, resource_field_value(pod, container, r, ctx));
        set(name, std::move(v));
      } else {
        const bool is_secret = from.contains("secretKeyRef");
        const Json& ref = member(from, is_secret ? "secretKeyRef" : "configMapKeyRef");
        if (!ref.is_object()) continue;
        const std::string obj_name = string_at(ref, "name");
        const std::string key = string_at(ref, "key");
        const bool optional = member(ref, "optional").is_boolean() && ref["optional"].get<bool>();
        auto object = fetch(ctx, is_secret ? "secrets" : "configmaps", ns, obj_name);
        if (!object.ok()) {
          if (optional && object.error().code == ErrorCode::kNotFound) continue;
          return std::move(object).error();
        }
        auto data = object_values(*object, is_secret);
        auto it = data.find(key);
        if (it == data.end()) {
          if (optional) continue;
          return make_error(ErrorCode::kNotFound, "couldn't find key " + key + " in " +
                                                      (is_secret ? "Secret " : "ConfigMap ") + ns +
                                                      "/" + obj_name);
        }
        set(name, it->second);
      }
    }
  }

  out.env.reserve(order.size() + (ctx.service_env ? ctx.service_env->size() : 0));
  for (const auto& k : order) out.env.push_back(k + "=" + values[k]);
  if (ctx.service_env) {
    for (const auto& [k, v] : *ctx.service_env) {
      if (values.find(k) == values.end()) out.env.push_back(k + "=" + v);
    }
  }
  for (const char* list : {"command", "args"}) {
    const Json& items = member(container, list);
    if (!items.is_array()) continue;
    auto& dest = std::string_view(list) == "command" ? out.command : out.args;
    for (const Json& item : items) {
      dest.push_back(
          expand_env_references(item.is_string() ? item.get<std::string>() : item.dump(), lookup));
    }
  }
  return out;
}

}  // namespace bosun::agent
