#include "runtime/image_manifest.h"

#include <algorithm>

#include "runtime/reference.h"

namespace bosun::runtime {
namespace {

Error bad(std::string message) { return make_error(ErrorCode::kBadRequest, std::move(message)); }

Result<Json> parse_object(std::string_view text, std::string_view what) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return bad(std::string(what) + " is not valid JSON");
  if (!j.is_object()) return bad(std::string(what) + " is not a JSON object");
  return j;
}

// Docker writes null for empty lists and maps; both forms are accepted.
Result<std::vector<std::string>> string_list(const Json& obj, const char* key,
                                             std::string_view what) {
  std::vector<std::string> out;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return out;
  if (!it->is_array()) return bad(std::string(what) + "." + key + " must be a list of strings");
  for (const auto& v : *it) {
    if (!v.is_string()) return bad(std::string(what) + "." + key + " must be a list of strings");
    out.push_back(v.get<std::string>());
  }
  return out;
}

Result<std::string> string_field(const Json& obj, const char* key, std::string_view what) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return std::string();
  if (!it->is_string()) return bad(std::string(what) + "." + key + " must be a string");
  return it->get<std::string>();
}

}  // namespace

bool is_index_media_type(std::string_view t) {
  return t == kMediaTypeOciIndex || t == kMediaTypeDockerManifestList;
}

bool is_manifest_media_type(std::string_view t) {
  return t == kMediaTypeOciManifest || t == kMediaTypeDockerManifest;
}

bool is_layer_media_type(std::string_view t) {
  return t.starts_with("application/vnd.oci.image.layer.") ||
         t.starts_with("application/vnd.docker.image.rootfs.");
}

Result<Descriptor> parse_descriptor(const Json& j) {
  if (!j.is_object()) return bad("descriptor is not a JSON object");
  Descriptor d;
  BOSUN_ASSIGN_OR_RETURN(d.media_type, string_field(j, "mediaType", "descriptor"));
  BOSUN_ASSIGN_OR_RETURN(d.digest, string_field(j, "digest", "descriptor"));
  std::string why;
  if (!validate_digest(d.digest, &why)) {
    return bad("descriptor digest \"" + d.digest + "\": " + why);
  }
  auto size = j.find("size");
  if (size == j.end() || !size->is_number_integer() || size->get<int64_t>() < 0) {
    return bad("descriptor " + d.digest + " has no valid size");
  }
  d.size = size->get<int64_t>();
  if (auto a = j.find("annotations"); a != j.end() && a->is_object()) {
    for (const auto& [k, v] : a->items()) {
      if (v.is_string()) d.annotations[k] = v.get<std::string>();
    }
  }
  if (auto p = j.find("platform"); p != j.end() && p->is_object()) {
    Platform platform;
    BOSUN_ASSIGN_OR_RETURN(platform.os, string_field(*p, "os", "platform"));
    BOSUN_ASSIGN_OR_RETURN(platform.architecture, string_field(*p, "architecture", "platform"));
    BOSUN_ASSIGN_OR_RETURN(platform.variant, string_field(*p, "variant", "platform"));
    d.platform = platform;
  }
  return d;
}

Json descriptor_to_json(const Descriptor& d) {
  Json j = {{"mediaType", d.media_type}, {"digest", d.digest}, {"size", d.size}};
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (d.platform) {
    Json p = {{"os", d.platform->os}, {"architecture", d.platform->architecture}};
    if (!d.platform->variant.empty()) p["variant"] = d.platform->variant;
    j["platform"] = p;
  }
  return j;
}

std::string sniff_media_type(std::string_view text) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, false);
  if (!j.is_object()) return "";
  auto it = j.find("mediaType");
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

Result<ImageManifest> parse_image_manifest(std::string_view text) {
  BOSUN_ASSIGN_OR_RETURN(Json j, parse_object(text, "manifest"));
  ImageManifest m;
  BOSUN_ASSIGN_OR_RETURN(m.media_type, string_field(j, "mediaType", "manifest"));
  if (m.media_type.empty()) m.media_type = kMediaTypeOciManifest;
  if (!is_manifest_media_type(m.media_type)) {
    return bad("unsupported manifest media type \"" + m.media_type + "\"");
  }
  auto schema = j.find("schemaVersion");
  if (schema == j.end() || *schema != 2) return bad("manifest schemaVersion must be 2");
  auto config = j.find("config");
  if (config == j.end()) return bad("manifest has no config");
  BOSUN_ASSIGN_OR_RETURN(m.config, parse_descriptor(*config));
  auto layers = j.find("layers");
  if (layers != j.end() && !layers->is_null()) {
    if (!layers->is_array()) return bad("manifest layers must be a list");
    for (const auto& l : *layers) {
      BOSUN_ASSIGN_OR_RETURN(Descriptor d, parse_descriptor(l));
      if (!is_layer_media_type(d.media_type)) {
        return bad("unsupported layer media type \"" + d.media_type + "\"");
      }
      if (d.media_type.find("zstd") != std::string::npos) {
        return bad("zstd-compressed layers are not supported (" + d.digest + ")");
      }
      m.layers.push_back(std::move(d));
    }
  }
  return m;
}

Result<ImageIndex> parse_image_index(std::string_view text) {
  BOSUN_ASSIGN_OR_RETURN(Json j, parse_object(text, "image index"));
  ImageIndex index;
  BOSUN_ASSIGN_OR_RETURN(index.media_type, string_field(j, "mediaType", "index"));
  if (index.media_type.empty()) index.media_type = kMediaTypeOciIndex;
  if (!is_index_media_type(index.media_type)) {
    return bad("unsupported index media type \"" + index.media_type + "\"");
  }
  auto manifests = j.find("manifests");
  if (manifests != j.end() && !manifests->is_null()) {
    if (!manifests->is_array()) return bad("index manifests must be a list");
    for (const auto& m : *manifests) {
      BOSUN_ASSIGN_OR_RETURN(Descriptor d, parse_descriptor(m));
      index.manifests.push_back(std::move(d));
    }
  }
  return index;
}

Result<ImageConfig> parse_image_config(std::string_view text) {
  BOSUN_ASSIGN_OR_RETURN(Json j, parse_object(text, "image config"));
  ImageConfig c;
  BOSUN_ASSIGN_OR_RETURN(c.os, string_field(j, "os", "config"));
  BOSUN_ASSIGN_OR_RETURN(c.architecture, string_field(j, "architecture", "config"));
  if (auto cfg = j.find("config"); cfg != j.end() && !cfg->is_null()) {
    if (!cfg->is_object()) return bad("image config.config must be an object");
    BOSUN_ASSIGN_OR_RETURN(c.entrypoint, string_list(*cfg, "Entrypoint", "config"));
    BOSUN_ASSIGN_OR_RETURN(c.cmd, string_list(*cfg, "Cmd", "config"));
    BOSUN_ASSIGN_OR_RETURN(c.env, string_list(*cfg, "Env", "config"));
    BOSUN_ASSIGN_OR_RETURN(c.working_dir, string_field(*cfg, "WorkingDir", "config"));
    BOSUN_ASSIGN_OR_RETURN(c.user, string_field(*cfg, "User", "config"));
    BOSUN_ASSIGN_OR_RETURN(c.stop_signal, string_field(*cfg, "StopSignal", "config"));
    if (auto ports = cfg->find("ExposedPorts"); ports != cfg->end() && ports->is_object()) {
      for (const auto& [port, unused] : ports->items()) c.exposed_ports.push_back(port);
    }
    if (auto labels = cfg->find("Labels"); labels != cfg->end() && labels->is_object()) {
      for (const auto& [k, v] : labels->items()) {
        if (v.is_string()) c.labels[k] = v.get<std::string>();
      }
    }
  }
  auto rootfs = j.find("rootfs");
  if (rootfs == j.end() || !rootfs->is_object()) return bad("image config has no rootfs");
  BOSUN_ASSIGN_OR_RETURN(c.diff_ids, string_list(*rootfs, "diff_ids", "rootfs"));
  for (const auto& d : c.diff_ids) {
    if (!d.starts_with("sha256:") || !validate_digest(d)) {
      return bad("image config rootfs.diff_ids holds an invalid digest \"" + d + "\"");
    }
  }
  std::sort(c.exposed_ports.begin(), c.exposed_ports.end());
  return c;
}

const Descriptor* select_platform(const ImageIndex& index, std::string_view os,
                                  std::string_view architecture) {
  for (const auto& d : index.manifests) {
    if (d.platform && d.platform->os == os && d.platform->architecture == architecture &&
        (is_manifest_media_type(d.media_type) || d.media_type.empty())) {
      return &d;
    }
  }
  return nullptr;
}

}  // namespace bosun::runtime
