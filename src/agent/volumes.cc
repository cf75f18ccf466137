#include "agent/volumes.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/atomic_writer.h"
#include "api/quantity.h"
#include "common/field_errors.h"
#include "runtime/registry_auth.h"

namespace bosun::agent {
namespace {

namespace fs = std::filesystem;

// The API's defaultMode for configMap, secret, downwardAPI and projected volumes (0644).
constexpr unsigned kDefaultFileMode = 0644;

Error internal(std::string msg) { return make_error(ErrorCode::kInternal, std::move(msg)); }
Error invalid(std::string msg) { return make_error(ErrorCode::kInvalid, std::move(msg)); }
Error errno_error(const std::string& what, int err) {
  return internal(what + ": " + std::strerror(err));
}

const Json* field(const Json& o, const char* key) {
  if (!o.is_object()) return nullptr;
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string str(const Json& o, const char* key) {
  const Json* v = field(o, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

const Json& metadata_of(const Json& pod) {
  static const Json kEmpty = Json::object();
  const Json* m = field(pod, "metadata");
  return m ? *m : kEmpty;
}

bool boolean(const Json& o, const char* key) {
  const Json* v = field(o, key);
  return v && v->is_boolean() && v->get<bool>();
}

unsigned mode_or(const Json& o, const char* key, unsigned fallback) {
  const Json* v = field(o, key);
  if (v && v->is_number_integer()) return static_cast<unsigned>(v->get<int64_t>()) & 07777;
  return fallback;
}

Result<void> make_dirs(const std::string& path, unsigned mode) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return internal("mkdir " + path + ": " + ec.message());
  if (::chmod(path.c_str(), mode) != 0) return errno_error("chmod " + path, errno);
  return ok_result();
}

// Mount points at or under `prefix`, from /proc/self/mountinfo (which also shows mounts an earlier
// agent process made, so teardown works after a restart). Octal escapes (\040) are decoded.
std::vector<std::string> mounts_under(const std::string& prefix) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, dev, root, point;
    fields >> id >> parent >> dev >> root >> point;
    std::string decoded;
    for (size_t i = 0; i < point.size(); ++i) {
      if (point[i] == '\\' && i + 3 < point.size()) {
        decoded += static_cast<char>(std::stoi(point.substr(i + 1, 3), nullptr, 8));
        i += 3;
      } else {
        decoded += point[i];
      }
    }
    if (decoded == prefix || decoded.rfind(prefix + "/", 0) == 0) out.push_back(decoded);
  }
  return out;
}

bool is_mount_point(const std::string& path) {
  for (const std::string& m : mounts_under(path)) {
    if (m == path) return true;
  }
  return false;
}

Result<void> mount_tmpfs(const std::string& path, int64_t size_bytes) {
  if (is_mount_point(path)) return ok_result();
  std::string opts = "mode=0777";
  if (size_bytes > 0) opts += ",size=" + std::to_string(size_bytes);
  if (::mount("tmpfs", path.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
    return errno_error("mount tmpfs at " + path, errno);
  }
  return ok_result();
}

// ValidatePathNoBacksteps: no `..` element.
bool has_backsteps(std::string_view path) {
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (path.substr(i, j - i) == "..") return true;
    i = j + 1;
  }
  return false;
}

// ---- configMap and secret payloads ----

// `data` (strings) and `binaryData`/secret `data` (base64) of an object, by key.
Result<std::map<std::string, std::string>> object_data(const Json& object, bool secret) {
  std::map<std::string, std::string> out;
  auto add_base64 = [&](const Json* data) -> Result<void> {
    if (!data || !data->is_object()) return ok_result();
    for (auto it = data->begin(); it != data->end(); ++it) {
      if (!it.value().is_string()) continue;
      auto bytes = runtime::base64_decode(it.value().get<std::string>());
      if (!bytes) return internal("key " + it.key() + " does not hold base64 data");
      out[it.key()] = std::move(*bytes);
    }
    return ok_result();
  };
  if (secret) {
    BOSUN_RETURN_IF_ERROR(add_base64(field(object, "data")));
    if (const Json* sd = field(object, "stringData"); sd && sd->is_object()) {
      for (auto it = sd->begin(); it != sd->end(); ++it) {
        if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
      }
    }
  } else {
    if (const Json* d = field(object, "data"); d && d->is_object()) {
      for (auto it = d->begin(); it != d->end(); ++it) {
        if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
      }
    }
    BOSUN_RETURN_IF_ERROR(add_base64(field(object, "binaryData")));
  }
  return out;
}

// configMap/secret items: all keys when `items` is empty, else each item's key at its path with
// its mode. A missing key fails unless the source is optional (kubelet MakePayload).
Result<void> add_key_items(const std::map<std::string, std::string>& data, const Json& source,
                           unsigned default_mode, bool secret, Payload* payload) {
  const Json* items = field(source, "items");
  bool optional = boolean(source, "optional");
  if (!items || !items->is_array() || items->empty()) {
    for (const auto& [key, value] : data) (*payload)[key] = {value, default_mode};
    return ok_result();
  }
  for (const Json& item : *items) {
    std::string key = str(item, "key");
    auto it = data.find(key);
    if (it == data.end()) {
      if (optional) continue;
      return invalid(secret ? "references non-existent secret key: " + key
                            : "configmap references non-existent config key: " + key);
    }
    std::string path = str(item, "path");
    if (path.empty()) path = key;
    (*payload)[path] = {it->second, mode_or(item, "mode", default_mode)};
  }
  return ok_result();
}

// The ConfigMap or Secret, or null when it is missing and optional. The NotFound error is worded
// as the kubelet's object managers word it: `configmap "x" not found`.
Result<Json> get_source_object(client::RestClient* client, std::string_view ns,
                               const std::string& name, bool secret, bool optional) {
  if (client == nullptr) return internal("no API client to read " + name);
  auto got = secret ? client->get(client::core_resource("secrets"), ns, name)
                    : client->get(client::kConfigMaps, ns, name);
  if (got.ok()) return std::move(got).value();
  if (got.error().code == ErrorCode::kNotFound) {
    if (optional) return Json(nullptr);
    return make_error(ErrorCode::kNotFound, std::string(secret ? "secret" : "configmap") + " " +
                                                go_quote(name) + " not found");
  }
  return std::move(got).error();
}

Result<Payload> key_payload(client::RestClient* client, const Json& pod, const Json& source,
                            bool secret, unsigned default_mode) {
  std::string ns = str(metadata_of(pod), "namespace");
  std::string name = str(source, secret ? "secretName" : "name");
  bool optional = boolean(source, "optional");
  BOSUN_ASSIGN_OR_RETURN(Json object, get_source_object(client, ns, name, secret, optional));
  Payload payload;
  if (object.is_null()) return payload;
  BOSUN_ASSIGN_OR_RETURN(auto data, object_data(object, secret));
  BOSUN_RETURN_IF_ERROR(add_key_items(data, source, default_mode, secret, &payload));
  return payload;
}

Result<void> add_downward_items(const Json& pod, const Json& items, unsigned default_mode,
                                const VolumeManagerOptions& node, Payload* payload) {
  if (!items.is_array()) return ok_result();
  for (const Json& item : items) {
    std::string path = str(item, "path");
    std::string value;
    if (const Json* ref = field(item, "fieldRef")) {
      BOSUN_ASSIGN_OR_RETURN(value, downward_field_value(pod, str(*ref, "fieldPath")));
    } else if (const Json* ref = field(item, "resourceFieldRef")) {
      BOSUN_ASSIGN_OR_RETURN(value, downward_resource_value(pod, *ref, node));
    } else {
      return invalid("downwardAPI item " + go_quote(path) +
                     " has neither fieldRef nor resourceFieldRef");
    }
    (*payload)[path] = {value, mode_or(item, "mode", default_mode)};
  }
  return ok_result();
}

// Sum of the containers' memory limits, when every container has one (the kubelet sizes a memory
// emptyDir without sizeLimit by the pod's memory limit, else the node's allocatable memory).
int64_t pod_memory_limit(const Json& pod) {
  const Json* containers = field(pod["spec"], "containers");
  if (!containers || !containers->is_array()) return 0;
  int64_t total = 0;
  for (const Json& c : *containers) {
    const Json* resources = field(c, "resources");
    const Json* limits = resources ? field(*resources, "limits") : nullptr;
    const Json* mem = limits ? field(*limits, "memory") : nullptr;
    if (!mem) return 0;
    auto q = api::Quantity::from_json(*mem);
    if (!q.ok()) return 0;
    total += q->value();
  }
  return total;
}

std::string format_int(int64_t v) { return std::to_string(v); }

}  // namespace

// ---- public helpers ----

Result<void> check_host_path_type(const std::string& path, std::string_view type) {
  if (type.empty()) return ok_result();
  struct stat st;
  bool exists = ::stat(path.c_str(), &st) == 0;
  auto expect = [&](mode_t want, const char* description) -> Result<void> {
    if (!exists) return invalid("hostPath " + path + " doesn't exist");
    if ((st.st_mode & S_IFMT) == want) return ok_result();
    const char* actual = S_ISDIR(st.st_mode)    ? "Directory"
                         : S_ISREG(st.st_mode)  ? "File"
                         : S_ISSOCK(st.st_mode) ? "Socket"
                         : S_ISCHR(st.st_mode)  ? "CharDevice"
                         : S_ISBLK(st.st_mode)  ? "BlockDevice"
                                                : "";
    return invalid("hostPath type check failed: " + path + " is not a " + description +
                   ", it's a " + actual);
  };
  if (type == "DirectoryOrCreate") {
    if (!exists) {
      std::error_code ec;
      fs::create_directories(path, ec);
      if (ec) return internal("mkdir " + path + ": " + ec.message());
      ::chmod(path.c_str(), 0755);
      return ok_result();
    }
    return expect(S_IFDIR, "directory");
  }
  if (type == "Directory") return expect(S_IFDIR, "directory");
  if (type == "FileOrCreate") {
    if (!exists) {
      // Like the kubelet, only the file is created: its directory must exist.
      int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
      if (fd < 0) return errno_error("open " + path, errno);
      ::close(fd);
      return ok_result();
    }
    return expect(S_IFREG, "file");
  }
  if (type == "File") return expect(S_IFREG, "file");
  if (type == "Socket") return expect(S_IFSOCK, "socket file");
  if (type == "CharDevice") return expect(S_IFCHR, "character device");
  if (type == "BlockDevice") return expect(S_IFBLK, "block device");
  return invalid(std::string(type) + " is an invalid volume type");
}

Result<std::string> downward_field_value(const Json& pod, std::string_view field_path) {
  const Json& meta = metadata_of(pod);
  auto format_map = [](const Json* m) {
    // fieldpath.FormatMap: key="value" lines in key order, %q-quoted, no trailing newline.
    std::string out;
    if (m && m->is_object()) {
      for (auto it = m->begin(); it != m->end(); ++it) {  // nlohmann keeps keys sorted
        if (!out.empty()) out += '\n';
        out += it.key() + "=" +
               go_quote(it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
      }
    }
    return out;
  };
  auto subscript = [&](std::string_view prefix,
                       const char* map_name) -> std::optional<std::string> {
    if (field_path.rfind(prefix, 0) != 0 || field_path.size() < prefix.size() + 3) return {};
    std::string_view rest = field_path.substr(prefix.size());
    if (rest.front() != '[' || rest.back() != ']') return {};
    std::string_view inner = rest.substr(1, rest.size() - 2);
    if (inner.size() >= 2 && (inner.front() == '\'' || inner.front() == '"') &&
        inner.back() == inner.front()) {
      inner = inner.substr(1, inner.size() - 2);
    }
    const Json* m = field(meta, map_name);
    std::string key(inner);
    if (m && m->is_object() && m->contains(key) && (*m)[key].is_string()) {
      return (*m)[key].get<std::string>();
    }
    return std::string();
  };
  if (field_path == "metadata.name") return str(meta, "name");
  if (field_path == "metadata.namespace") return str(meta, "namespace");
  if (field_path == "metadata.uid") return str(meta, "uid");
  if (field_path == "metadata.labels") return format_map(field(meta, "labels"));
  if (field_path == "metadata.annotations") return format_map(field(meta, "annotations"));
  if (auto v = subscript("metadata.labels", "labels")) return *v;
  if (auto v = subscript("metadata.annotations", "annotations")) return *v;
  return invalid("unsupported fieldPath: " + std::string(field_path));
}

Result<std::string> downward_resource_value(const Json& pod, const Json& ref,
                                            const VolumeManagerOptions& node) {
  std::string container_name = str(ref, "containerName");
  std::string resource = str(ref, "resource");
  const Json* container = nullptr;
  const Json* spec = field(pod, "spec");
  const Json* cs = spec ? field(*spec, "containers") : nullptr;
  if (cs && cs->is_array()) {
    for (const Json& c : *cs) {
      if (str(c, "name") == container_name) container = &c;
    }
  }

  if (container == nullptr) return invalid("container " + container_name + " not found");
  size_t dot = resource.find('.');
  if (dot == std::string::npos) return invalid("unsupported container resource : " + resource);
  std::string kind = resource.substr(0, dot);  // limits | requests
  std::string name = resource.substr(dot + 1);
  if ((kind != "limits" && kind != "requests") ||
      (name != "cpu" && name != "memory" && name != "ephemeral-storage")) {
    return invalid("unsupported container resource : " + resource);
  }
  api::Quantity divisor = api::Quantity::from_int(1);
  if (const Json* d = field(ref, "divisor")) {
    BOSUN_ASSIGN_OR_RETURN(divisor, api::Quantity::from_json(*d));
    if (divisor.is_zero()) divisor = api::Quantity::from_int(1);
  }
  const Json resources = container->value("resources", Json::object());
  const Json* list = field(resources, kind.c_str());
  const Json* q = list ? field(*list, name.c_str()) : nullptr;
  api::Quantity value;
  if (q) {
    BOSUN_ASSIGN_OR_RETURN(value, api::Quantity::from_json(*q));
  } else if (kind == "limits") {
    // The kubelet fills unset limits from the node's allocatable before it reads them.
    if (name == "cpu") value = api::Quantity::from_milli(node.node_allocatable_cpu_milli);
    if (name == "memory") value = api::Quantity::from_int(node.node_allocatable_memory_bytes);
    if (name == "ephemeral-storage") {
      value = api::Quantity::from_int(node.node_allocatable_ephemeral_storage_bytes);
    }
  }
  if (name == "cpu") {
    double v = std::ceil(static_cast<double>(value.milli_value()) /
                         static_cast<double>(divisor.milli_value()));
    return format_int(static_cast<int64_t>(v));
  }
  double v = std::ceil(static_cast<double>(value.value()) / static_cast<double>(divisor.value()));
  return format_int(static_cast<int64_t>(v));
}

// ---- VolumeManager ----

VolumeManager::VolumeManager(VolumeManagerOptions options)
    : options_(std::move(options)), clock_(options_.clock ? *options_.clock : Clock::real()) {}

std::string VolumeManager::pod_volumes_dir(std::string_view pod_uid) const {
  return options_.data_dir + "/pods/" + std::string(pod_uid) + "/volumes";
}

Result<std::string> VolumeManager::setup_volume(const Json& pod, const Json& volume,
                                                bool refresh_only, bool* changed) {
  const std::string name = str(volume, "name");
  const std::string uid = str(metadata_of(pod), "uid");
  const std::string ns = str(metadata_of(pod), "namespace");
  const std::string base = pod_volumes_dir(uid);
  auto plugin_dir = [&](const char* plugin) { return base + "/" + plugin + "/" + name; };

  auto write_content = [&](const std::string& dir, const Payload& payload,
                           bool tmpfs) -> Result<std::string> {
    if (!refresh_only || !fs::exists(dir)) {
      BOSUN_RETURN_IF_ERROR(make_dirs(dir, 0755));
      if (tmpfs && options_.use_tmpfs) {
        BOSUN_RETURN_IF_ERROR(mount_tmpfs(dir, 0));
        ::chmod(dir.c_str(), 0755);
      }
    }
    BOSUN_ASSIGN_OR_RETURN(bool wrote, write_payload(dir, payload, clock_));
    if (wrote && changed) *changed = true;
    return dir;
  };

  if (const Json* src = field(volume, "emptyDir")) {
    std::string dir = plugin_dir(kEmptyDirPluginDir);
    if (refresh_only) return dir;
    std::string medium = str(*src, "medium");
    if (medium != "" && medium != "Memory") {
      return invalid("emptyDir medium " + go_quote(medium) + " is not supported by this node");
    }
    // 0777 as the kubelet makes emptyDirs: any user a container runs as may write to it.
    BOSUN_RETURN_IF_ERROR(make_dirs(dir, 0777));
    if (medium == "Memory" && options_.use_tmpfs) {
      int64_t size = 0;
      if (const Json* limit = field(*src, "sizeLimit")) {
        BOSUN_ASSIGN_OR_RETURN(auto q, api::Quantity::from_json(*limit));
        size = q.value();
      }
      int64_t pod_limit = pod_memory_limit(pod);
      if (pod_limit > 0 && (size == 0 || pod_limit < size)) size = pod_limit;
      if (size == 0) size = options_.node_allocatable_memory_bytes;
      BOSUN_RETURN_IF_ERROR(mount_tmpfs(dir, size));
      ::chmod(dir.c_str(), 0777);
    }
    return dir;
  }
  if (const Json* src = field(volume, "hostPath")) {
    std::string path = str(*src, "path");
    if (refresh_only) return path;
    if (has_backsteps(path)) {
      return invalid("invalid HostPath `" + path + "`: must not contain '..'");
    }
    std::string type = str(*src, "type");
    BOSUN_RETURN_IF_ERROR(check_host_path_type(path, type));
    if (type.empty() && ::access(path.c_str(), F_OK) != 0) {
      // No type: the kubelet checks nothing, and containerd creates a missing bind-mount source
      // as a directory (0755) before starting the container; runc alone would fail instead.
      std::error_code ec;
      fs::create_directories(path, ec);
      if (ec) return internal("mkdir " + path + ": " + ec.message());
    }
    return path;
  }
  if (const Json* src = field(volume, "configMap")) {
    unsigned mode = mode_or(*src, "defaultMode", kDefaultFileMode);
    BOSUN_ASSIGN_OR_RETURN(Payload p, key_payload(options_.client, pod, *src, false, mode));
    return write_content(plugin_dir(kConfigMapPluginDir), p, false);
  }
  if (const Json* src = field(volume, "secret")) {
    unsigned mode = mode_or(*src, "defaultMode", kDefaultFileMode);
    BOSUN_ASSIGN_OR_RETURN(Payload p, key_payload(options_.client, pod, *src, true, mode));
    return write_content(plugin_dir(kSecretPluginDir), p, true);
  }
  if (const Json* src = field(volume, "downwardAPI")) {
    unsigned mode = mode_or(*src, "defaultMode", kDefaultFileMode);
    Payload p;
    BOSUN_RETURN_IF_ERROR(
        add_downward_items(pod, src->value("items", Json::array()), mode, options_, &p));
    return write_content(plugin_dir(kDownwardApiPluginDir), p, false);
  }
  if (const Json* src = field(volume, "projected")) {
    unsigned mode = mode_or(*src, "defaultMode", kDefaultFileMode);
    Payload p;
    bool has_secret = false;
    const Json* sources = field(*src, "sources");
    for (const Json& s : sources && sources->is_array() ? *sources : Json::array()) {
      if (const Json* cm = field(s, "configMap")) {
        BOSUN_ASSIGN_OR_RETURN(Payload part, key_payload(options_.client, pod, *cm, false, mode));
        for (auto& [path, file] : part) p[path] = std::move(file);  // later sources win
      } else if (const Json* sec = field(s, "secret")) {
        has_secret = true;
        Json named = *sec;
        named["secretName"] = str(*sec, "name");
        BOSUN_ASSIGN_OR_RETURN(Payload part, key_payload(options_.client, pod, named, true, mode));
        for (auto& [path, file] : part) p[path] = std::move(file);  // later sources win
      } else if (const Json* d = field(s, "downwardAPI")) {
        BOSUN_RETURN_IF_ERROR(
            add_downward_items(pod, d->value("items", Json::array()), mode, options_, &p));
      } else if (field(s, "serviceAccountToken")) {
        return invalid("projected volume " + go_quote(name) +
                       ": serviceAccountToken sources are not supported by this node");
      } else {
        return invalid("projected volume " + go_quote(name) +
                       ": only configMap, secret and downwardAPI sources are supported");
      }
    }
    return write_content(plugin_dir(kProjectedPluginDir), p, has_secret);
  }
  if (const Json* src = field(volume, "persistentVolumeClaim")) {
    if (refresh_only) return std::string();
    std::string claim = str(*src, "claimName");
    auto wrap = [&](std::string msg) {
      return invalid("error processing PVC " + ns + "/" + claim + ": " + msg);
    };
    if (options_.client == nullptr) return internal("no API client to read PVC " + claim);
    auto pvc = options_.client->get(client::core_resource("persistentvolumeclaims"), ns, claim);
    if (!pvc.ok()) return wrap("failed to fetch PVC from API server: " + pvc.error().message);
    if (field((*pvc)["metadata"], "deletionTimestamp")) {
      return wrap("can't start pod because PVC " + ns + "/" + claim + " is being deleted");
    }
    std::string phase = str(pvc->value("status", Json::object()), "phase");
    std::string pv_name = str(pvc->value("spec", Json::object()), "volumeName");
    if (phase != "Bound" || pv_name.empty()) {
      return wrap("PVC " + ns + "/" + claim + " has non-bound phase (" + go_quote(phase) +
                  ") or empty pvc.Spec.VolumeName (" + go_quote(pv_name) + ")");
    }
    auto pv = options_.client->get(client::core_resource("persistentvolumes"), "", pv_name);
    if (!pv.ok()) {
      return wrap("failed to fetch PV " + pv_name + " from API server: " + pv.error().message);
    }
    const Json spec = pv->value("spec", Json::object());
    const Json* claim_ref = field(spec, "claimRef");
    if (!claim_ref) {
      return wrap("found PV object " + go_quote(pv_name) +
                  " but it has a nil pv.Spec.ClaimRef indicating it is not yet bound to the claim");
    }
    std::string pvc_uid = str((*pvc)["metadata"], "uid");
    if (str(*claim_ref, "uid") != pvc_uid) {
      return wrap("found PV object " + go_quote(pv_name) + " but its pv.Spec.ClaimRef.UID (" +
                  go_quote(str(*claim_ref, "uid")) + ") does not point to claim.UID (" +
                  go_quote(pvc_uid) + ")");
    }
    if (const Json* hp = field(spec, "hostPath")) {
      std::string path = str(*hp, "path");
      if (has_backsteps(path))
        return invalid("invalid HostPath `" + path + "`: must not contain '..'");
      BOSUN_RETURN_IF_ERROR(check_host_path_type(path, str(*hp, "type")));
      return path;
    }
    if (const Json* local = field(spec, "local")) {
      std::string path = str(*local, "path");
      struct stat st;
      if (::stat(path.c_str(), &st) != 0) {
        return invalid("path " + go_quote(path) + " does not exist");
      }
      return path;
    }
    return invalid("PersistentVolume " + go_quote(pv_name) +
                   " is neither hostPath nor local: not supported by this node");
  }
  if (refresh_only) return std::string();
  return invalid("volume " + go_quote(name) + " has a type this node does not support");
}

Result<VolumePaths> VolumeManager::setup(const Json& pod) {
  VolumePaths out;
  const Json spec = pod.value("spec", Json::object());
  const Json* volumes = field(spec, "volumes");
  if (!volumes || !volumes->is_array()) return out;
  for (const Json& v : *volumes) {
    BOSUN_ASSIGN_OR_RETURN(std::string path, setup_volume(pod, v, false, nullptr));
    out[str(v, "name")] = path;
  }
  return out;
}

Result<bool> VolumeManager::refresh(const Json& pod) {
  bool changed = false;
  const Json spec = pod.value("spec", Json::object());
  const Json* volumes = field(spec, "volumes");
  if (!volumes || !volumes->is_array()) return false;
  for (const Json& v : *volumes) {
    BOSUN_RETURN_IF_ERROR(setup_volume(pod, v, true, &changed));
  }
  return changed;
}

Result<void> VolumeManager::teardown(std::string_view pod_uid) {
  if (pod_uid.empty() || pod_uid.find('/') != std::string_view::npos || pod_uid == "." ||
      pod_uid == "..") {
    return invalid("invalid pod uid " + go_quote(std::string(pod_uid)));
  }
  const std::string dir = pod_volumes_dir(pod_uid);
  // Deepest first, so a mount inside another comes off before its parent.
  std::vector<std::string> mounts = mounts_under(dir);
  std::sort(mounts.begin(), mounts.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (const std::string& m : mounts) {
    if (::umount2(m.c_str(), 0) != 0 && errno != EINVAL && errno != ENOENT) {
      // Busy (a process still has it open): detach it so the directory can go now.
      if (::umount2(m.c_str(), MNT_DETACH) != 0 && errno != EINVAL) {
        return errno_error("unmount " + m, errno);
      }
    }
  }
  if (!mounts_under(dir).empty()) return internal("mounts remain under " + dir);
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (ec) return internal("remove " + dir + ": " + ec.message());
  return ok_result();
}

// ---- container mounts ----

Result<std::vector<runtime::BindMount>> container_mounts(const Json& container,
                                                         const VolumePaths& volumes) {
  std::vector<runtime::BindMount> out;
  const std::string container_name = str(container, "name");
  const Json* mounts = field(container, "volumeMounts");
  if (!mounts || !mounts->is_array()) return out;
  for (const Json& m : *mounts) {
    std::string name = str(m, "name");
    auto it = volumes.find(name);
    if (it == volumes.end()) {
      return invalid("cannot find volume " + go_quote(name) + " to mount into container " +
                     go_quote(container_name));
    }
    runtime::BindMount bind;
    bind.host_path = it->second;
    bind.container_path = str(m, "mountPath");
    bind.read_only = boolean(m, "readOnly");
    std::string propagation = str(m, "mountPropagation");
    if (propagation == "HostToContainer") {
      bind.propagation = runtime::MountPropagation::kHostToContainer;
    } else if (propagation == "Bidirectional") {
      bind.propagation = runtime::MountPropagation::kBidirectional;
    } else if (!propagation.empty() && propagation != "None") {
      return invalid("invalid mount propagation mode " + go_quote(propagation));
    }
    if (!str(m, "subPathExpr").empty()) {
      return invalid("subPathExpr is not supported by this node (volume " + go_quote(name) + ")");
    }
    std::string sub_path = str(m, "subPath");
    if (!sub_path.empty()) {
      if (sub_path[0] == '/') {
        return invalid("error SubPath `" + sub_path + "` must not be an absolute path");
      }
      if (has_backsteps(sub_path)) {
        return invalid("unable to provision SubPath `" + sub_path + "`: must not contain '..'");
      }
      const std::string volume_path = it->second;
      std::string full = volume_path + "/" + sub_path;
      struct stat st;
      if (::lstat(full.c_str(), &st) != 0) {
        // The kubelet creates a missing subPath as a directory, with the volume's mode.
        struct stat vst;
        unsigned mode = ::stat(volume_path.c_str(), &vst) == 0 ? (vst.st_mode & 07777) : 0755;
        std::error_code ec;
        fs::create_directories(full, ec);
        if (ec) return internal("mkdir " + full + ": " + ec.message());
        ::chmod(full.c_str(), mode);
      }
      // A symlink inside the volume must not lead out of it (CVE-2017-1002101).
      char real_volume[PATH_MAX], real_sub[PATH_MAX];
      if (::realpath(volume_path.c_str(), real_volume) == nullptr ||
          ::realpath(full.c_str(), real_sub) == nullptr) {
        return internal("resolve subPath " + full + ": " + std::strerror(errno));
      }
      std::string base(real_volume), resolved(real_sub);
      if (resolved != base && resolved.rfind(base + "/", 0) != 0) {
        return invalid("subpath " + go_quote(resolved) + " not within volume path " +
                       go_quote(base));
      }
      bind.host_path = resolved;
    }
    out.push_back(std::move(bind));
  }
  return out;
}

}  // namespace bosun::agent
