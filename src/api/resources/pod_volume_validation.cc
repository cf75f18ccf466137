// ValidateVolumes and the volume sources users write most, as pkg/apis/core/validation words them.
#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "api/quantity.h"
#include "api/resources/pod_validation_internal.h"
#include "api/resources/strategy_util.h"
#include "api/validation.h"

namespace bosun::api::resources::podval {
namespace {

constexpr std::string_view kFileModeError =
    "must be a number between 0 and 0777 (octal), both inclusive";

// The volume sources in the order Kubernetes checks them, with the name its "may not specify
// more than 1 volume type" error uses (two of them differ from the JSON name upstream).
struct SourceKind {
  std::string_view key;
  std::string_view forbidden_name;
};
constexpr SourceKind kSources[] = {
    {"emptyDir", "emptyDir"},
    {"hostPath", "hostPath"},
    {"gitRepo", "gitRepo"},
    {"gcePersistentDisk", "gcePersistentDisk"},
    {"awsElasticBlockStore", "awsElasticBlockStore"},
    {"secret", "secret"},
    {"nfs", "nfs"},
    {"iscsi", "iscsi"},
    {"glusterfs", "glusterfs"},
    {"flocker", "flocker"},
    {"persistentVolumeClaim", "persistentVolumeClaim"},
    {"rbd", "rbd"},
    {"cinder", "cinder"},
    {"cephfs", "cephFS"},
    {"quobyte", "quobyte"},
    {"downwardAPI", "downwarAPI"},
    {"fc", "fc"},
    {"flexVolume", "flexVolume"},
    {"configMap", "configMap"},
    {"azureFile", "azureFile"},
    {"vsphereVolume", "vsphereVolume"},
    {"photonPersistentDisk", "photonPersistentDisk"},
    {"portworxVolume", "portworxVolume"},
    {"azureDisk", "azureDisk"},
    {"storageos", "storageos"},
    {"projected", "projected"},
    {"scaleIO", "scaleIO"},
    {"csi", "csi"},
    {"ephemeral", "ephemeral"},
    {"image", "image"},
};

void require_string(const Json& obj, std::string_view key, const std::string& path,
                    FieldErrors& errs) {
  if (get_string(obj, key).empty()) errs.required(child_path(path, key));
}

void validate_mode(const Json& obj, std::string_view key, const std::string& path,
                   FieldErrors& errs) {
  auto mode = as_int(get(obj, key));
  if (mode && (*mode > 0777 || *mode < 0)) {
    errs.invalid(child_path(path, key), *mode, std::string(kFileModeError));
  }
}

// validateKeyToPath.
void validate_key_to_path(const Json& kp, const std::string& path, FieldErrors& errs) {
  require_string(kp, "key", path, errs);
  std::string_view p = get_string(kp, "path");
  if (p.empty()) errs.required(child_path(path, "path"));
  validate_local_non_reserved_path(p, child_path(path, "path"), errs);
  validate_mode(kp, "mode", path, errs);
}

void validate_items(const Json& source, const std::string& path, FieldErrors& errs) {
  const Json& items = get_array(source, "items");
  std::string items_path = child_path(path, "items");
  for (size_t i = 0; i < items.size(); ++i) {
    validate_key_to_path(items[i], index_path(items_path, i), errs);
  }
}

const std::set<std::string_view>& volume_field_paths() {
  static const std::set<std::string_view> kPaths = {"metadata.annotations", "metadata.labels",
                                                    "metadata.name", "metadata.namespace",
                                                    "metadata.uid"};
  return kPaths;
}

// validateDownwardAPIVolumeFile (the field and resource selector checks are shared with env).
void validate_downward_file(const Json& file, const std::string& path, FieldErrors& errs) {
  std::string_view p = get_string(file, "path");
  if (p.empty()) errs.required(child_path(path, "path"));
  validate_local_non_reserved_path(p, child_path(path, "path"), errs);
  const Json* field_ref = get(file, "fieldRef");
  const Json* res_ref = get(file, "resourceFieldRef");
  if (field_ref != nullptr) {
    if (get_string(*field_ref, "apiVersion").empty()) {
      errs.required(child_path(child_path(path, "fieldRef"), "apiVersion"));
    } else if (std::string_view fp = get_string(*field_ref, "fieldPath"); fp.empty()) {
      errs.required(child_path(child_path(path, "fieldRef"), "fieldPath"));
    } else if (fp.find('[') == std::string_view::npos && !volume_field_paths().count(fp)) {
      errs.not_supported(child_path(child_path(path, "fieldRef"), "fieldPath"), std::string(fp),
                         {volume_field_paths().begin(), volume_field_paths().end()});
    }
    if (res_ref != nullptr) {
      errs.invalid(path, "resource",
                   "fieldRef and resourceFieldRef can not be specified simultaneously");
    }
  } else if (res_ref != nullptr) {
    if (get_string(*res_ref, "containerName").empty()) {
      errs.required(child_path(child_path(path, "resourceFieldRef"), "containerName"));
    } else if (get_string(*res_ref, "resource").empty()) {
      errs.required(child_path(child_path(path, "resourceFieldRef"), "resource"));
    }
  } else {
    errs.required(path, "one of fieldRef and resourceFieldRef is required");
  }
  validate_mode(file, "mode", path, errs);
}

void validate_projected(const Json& projected, const std::string& path, FieldErrors& errs) {
  validate_mode(projected, "defaultMode", path, errs);
  std::set<std::string, std::less<>> all_paths;
  const Json& sources = get_array(projected, "sources");
  std::string sources_path = child_path(path, "sources");
  auto note_path = [&](std::string_view p, const Json& bad) {
    if (p.empty()) return;
    if (!all_paths.emplace(p).second) errs.invalid(path, bad, "conflicting duplicate paths");
  };
  for (size_t i = 0; i < sources.size(); ++i) {
    const Json& src = sources[i];
    std::string src_path = index_path(sources_path, i);
    int num = 0;
    for (const char* kind : {"secret", "configMap"}) {
      const Json* s = get(src, kind);
      if (s == nullptr) continue;
      ++num;
      std::string spath = child_path(src_path, kind);
      require_string(*s, "name", spath, errs);
      const Json& items = get_array(*s, "items");
      for (size_t j = 0; j < items.size(); ++j) {
        validate_key_to_path(items[j], index_path(child_path(spath, "items"), j), errs);
        note_path(get_string(items[j], "path"), Json(get_string(*s, "name")));
      }
    }
    if (const Json* d = get(src, "downwardAPI")) {
      ++num;
      std::string dpath = child_path(src_path, "downwardAPI");
      for (const Json& file : get_array(*d, "items")) {
        validate_downward_file(file, dpath, errs);
        note_path(get_string(file, "path"), Json(get_string(file, "path")));
      }
    }
    if (const Json* t = get(src, "serviceAccountToken")) {
      ++num;
      std::string tpath = child_path(src_path, "serviceAccountToken");
      int64_t exp = as_int(get(*t, "expirationSeconds")).value_or(0);
      if (exp < 10 * 60) {
        errs.invalid(child_path(tpath, "expirationSeconds"), exp,
                     "may not specify a duration less than 10 minutes");
      }
      if (exp > (int64_t{1} << 32)) {
        errs.invalid(child_path(tpath, "expirationSeconds"), exp,
                     "may not specify a duration larger than 2^32 seconds");
      }
      std::string_view p = get_string(*t, "path");
      if (p.empty()) {
        errs.required(child_path(path, "path"));
      } else {
        validate_local_non_reserved_path(p, child_path(path, "path"), errs);
      }
    }
    if (get(src, "clusterTrustBundle") != nullptr) ++num;
    if (num > 1) errs.forbidden(src_path, "may not specify more than 1 volume type per source");
  }
}

void validate_host_path(const Json& hp, const std::string& path, FieldErrors& errs) {
  std::string_view p = get_string(hp, "path");
  if (p.empty()) {
    errs.required(child_path(path, "path"));
    return;
  }
  if (has_backsteps(p))
    errs.invalid(child_path(path, "path"), std::string(p), "must not contain '..'");
  if (const Json* type = get(hp, "type")) {
    static const std::vector<std::string> kTypes = {
        "",     "BlockDevice",  "CharDevice", "Directory", "DirectoryOrCreate",
        "File", "FileOrCreate", "Socket"};
    std::string_view t = as_string(type);
    if (std::find(kTypes.begin(), kTypes.end(), t) == kTypes.end()) {
      errs.not_supported(child_path(path, "type"), *type, kTypes);
    }
  }
}

void validate_partition(const Json& src, const std::string& path, FieldErrors& errs) {
  auto part = as_int(get(src, "partition"));
  if (part && (*part < 0 || *part > 255)) {
    errs.invalid(child_path(path, "partition"), *part, inclusive_range_error(1, 255));
  }
}

void validate_source(std::string_view key, const Json& src, const std::string& spath,
                     std::string_view vol_name, const Json* pod_meta, FieldErrors& errs) {
  if (key == "emptyDir") {
    if (const Json* limit = get(src, "sizeLimit")) {
      auto q = Quantity::from_json(*limit);
      if (q.ok() && q->sign() < 0) {
        errs.forbidden(child_path(spath, "sizeLimit"),
                       "SizeLimit field must be a valid resource quantity");
      }
    }
  } else if (key == "hostPath") {
    validate_host_path(src, spath, errs);
  } else if (key == "gitRepo") {
    require_string(src, "repository", spath, errs);
    validate_local_descending_path(get_string(src, "directory"), child_path(spath, "directory"),
                                   errs);
  } else if (key == "gcePersistentDisk") {
    // Upstream validates this source under the path "persistentDisk".
    std::string p =
        child_path(std::string_view(spath).substr(0, spath.rfind('.')), "persistentDisk");
    require_string(src, "pdName", p, errs);
    validate_partition(src, p, errs);
  } else if (key == "awsElasticBlockStore") {
    require_string(src, "volumeID", spath, errs);
    validate_partition(src, spath, errs);
  } else if (key == "secret") {
    require_string(src, "secretName", spath, errs);
    validate_mode(src, "defaultMode", spath, errs);
    validate_items(src, spath, errs);
  } else if (key == "configMap") {
    require_string(src, "name", spath, errs);
    validate_mode(src, "defaultMode", spath, errs);
    validate_items(src, spath, errs);
  } else if (key == "nfs") {
    require_string(src, "server", spath, errs);
    std::string_view p = get_string(src, "path");
    if (p.empty()) errs.required(child_path(spath, "path"));
    if (p.empty() || p.front() != '/') {
      errs.invalid(child_path(spath, "path"), std::string(p), "must be an absolute path");
    }
  } else if (key == "iscsi") {
    require_string(src, "targetPortal", spath, errs);
    require_string(src, "iqn", spath, errs);
    auto lun = as_int(get(src, "lun")).value_or(0);
    if (lun < 0 || lun > 255)
      errs.invalid(child_path(spath, "lun"), lun, inclusive_range_error(0, 255));
  } else if (key == "glusterfs") {
    require_string(src, "endpoints", spath, errs);
    require_string(src, "path", spath, errs);
  } else if (key == "persistentVolumeClaim") {
    require_string(src, "claimName", spath, errs);
  } else if (key == "rbd") {
    if (get_array(src, "monitors").empty()) errs.required(child_path(spath, "monitors"));
    require_string(src, "image", spath, errs);
  } else if (key == "cinder") {
    require_string(src, "volumeID", spath, errs);
  } else if (key == "cephfs") {
    if (get_array(src, "monitors").empty()) {
      errs.required(child_path(spath, "monitors"));
    }
  } else if (key == "downwardAPI") {
    validate_mode(src, "defaultMode", spath, errs);
    for (const Json& file : get_array(src, "items")) validate_downward_file(file, spath, errs);
  } else if (key == "flexVolume") {
    require_string(src, "driver", spath, errs);
  } else if (key == "azureFile") {
    require_string(src, "secretName", spath, errs);
    require_string(src, "shareName", spath, errs);
  } else if (key == "azureDisk") {
    require_string(src, "diskName", spath, errs);
    if (get_string(src, "diskURI").empty()) errs.required(child_path(spath, "diskURI"));
  } else if (key == "projected") {
    validate_projected(src, spath, errs);
  } else if (key == "csi") {
    require_string(src, "driver", spath, errs);
  } else if (key == "ephemeral") {
    if (get(src, "volumeClaimTemplate") == nullptr) {
      errs.required(child_path(spath, "volumeClaimTemplate"));
    }
    // The PVC of a generic ephemeral volume is named <pod>-<volume>, which must be a valid name.
    std::string_view pod_name = pod_meta != nullptr ? get_string(*pod_meta, "name") : "";
    if (!pod_name.empty() && !vol_name.empty()) {
      std::string pvc = fmt::format("{}-{}", pod_name, vol_name);
      for (auto& msg : is_dns1123_subdomain(pvc)) {
        errs.invalid(child_path(std::string_view(spath).substr(0, spath.rfind('.')), "name"),
                     std::string(vol_name), fmt::format("PVC name {}: {}", go_quote(pvc), msg));
      }
    }
  }
}

}  // namespace

std::optional<int64_t> as_int(const Json* v) {
  if (v == nullptr) return std::nullopt;
  return json_int(*v);
}

std::vector<std::string_view> container_names(const Json& containers) {
  std::vector<std::string_view> out;
  if (!containers.is_array()) return out;
  for (const Json& c : containers) out.push_back(get_string(c, "name"));
  return out;
}

bool has_backsteps(std::string_view target) {
  size_t start = 0;
  while (start <= target.size()) {
    // filepath.ToSlash is the identity on Linux, so only '/' separates elements.
    size_t end = target.find('/', start);
    std::string_view part =
        target.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (part == "..") return true;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return false;
}

void validate_local_descending_path(std::string_view target, const std::string& path,
                                    FieldErrors& errs) {
  if (!target.empty() && target.front() == '/') {
    errs.invalid(path, std::string(target), "must be a relative path");
  }
  if (has_backsteps(target)) errs.invalid(path, std::string(target), "must not contain '..'");
}

void validate_local_non_reserved_path(std::string_view target, const std::string& path,
                                      FieldErrors& errs) {
  validate_local_descending_path(target, path, errs);
  // Not reported again when the '..' element check already caught it.
  if (target.substr(0, 2) == ".." && target.substr(0, 3) != "../") {
    errs.invalid(path, std::string(target), "must not start with '..'");
  }
}

VolumeMap validate_volumes(const Json& volumes, const Json* pod_meta, const std::string& path,
                           FieldErrors& errs) {
  VolumeMap out;
  if (!volumes.is_array()) return out;
  // The PVCs generic ephemeral volumes create; a persistentVolumeClaim source may not name one.
  std::set<std::string, std::less<>> created_pvcs;
  std::string_view pod_name = pod_meta != nullptr ? get_string(*pod_meta, "name") : "";
  if (!pod_name.empty()) {
    for (const Json& v : volumes) {
      if (get(v, "ephemeral") != nullptr) {
        created_pvcs.insert(fmt::format("{}-{}", pod_name, get_string(v, "name")));
      }
    }
  }
  for (size_t i = 0; i < volumes.size(); ++i) {
    const Json& vol = volumes[i];
    std::string idx = index_path(path, i);
    std::string name_path = child_path(idx, "name");
    std::string_view name = get_string(vol, "name");
    FieldErrors el;
    int num = 0;
    for (const SourceKind& kind : kSources) {
      const Json* src = get(vol, kind.key);
      if (src == nullptr) continue;
      if (num > 0) {
        el.forbidden(child_path(idx, kind.forbidden_name),
                     "may not specify more than 1 volume type");
        continue;
      }
      ++num;
      validate_source(kind.key, *src, child_path(idx, kind.key), name, pod_meta, el);
    }
    if (num == 0) el.required(idx, "must specify a volume type");
    if (name.empty()) {
      el.required(name_path);
    } else {
      validate_dns1123_label(name, name_path, el);
    }
    if (out.count(name)) el.duplicate(name_path, std::string(name));
    if (el.empty()) {
      out.emplace(std::string(name), &vol);
    } else {
      errs.append(el);
    }
    if (const Json* pvc = get(vol, "persistentVolumeClaim")) {
      std::string_view claim = get_string(*pvc, "claimName");
      if (created_pvcs.count(claim)) {
        errs.invalid(child_path(child_path(idx, "persistentVolumeClaim"), "claimName"),
                     std::string(claim),
                     "must not reference a PVC that gets created for an ephemeral volume");
      }
    }
  }
  return out;
}

}  // namespace bosun::api::resources::podval
