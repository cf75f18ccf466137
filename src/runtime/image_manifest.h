// OCI image-spec and Docker schema 2 documents: descriptors, manifests, indexes (manifest lists)
// and image configs, parsed from JSON into plain structs. Used by the image store, the importer,
// the puller and the bundle builder (ImageConfig). Pure functions and value types: thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/result.h"

namespace bosun::runtime {

inline constexpr std::string_view kMediaTypeOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kMediaTypeOciManifest =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kMediaTypeOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kMediaTypeOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kMediaTypeOciLayerGzip =
    "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kMediaTypeDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kMediaTypeDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kMediaTypeDockerConfig =
    "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kMediaTypeDockerLayer =
    "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr std::string_view kMediaTypeDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";

// Annotations naming an image in an OCI layout's index.json: containerd's full reference, and the
// OCI one (which other tools may set to a tag alone).
inline constexpr std::string_view kAnnotationImageName = "io.containerd.image.name";
inline constexpr std::string_view kAnnotationRefName = "org.opencontainers.image.ref.name";

bool is_index_media_type(std::string_view media_type);
bool is_manifest_media_type(std::string_view media_type);
// Tar layers, compressed or not, OCI or Docker, including the non-distributable variants.
bool is_layer_media_type(std::string_view media_type);

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;
};

struct Descriptor {
  std::string media_type;
  std::string digest;
  int64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;
};

struct ImageManifest {
  std::string media_type;  // from the document, or the OCI type when it has none
  Descriptor config;
  std::vector<Descriptor> layers;
};

struct ImageIndex {
  std::string media_type;
  std::vector<Descriptor> manifests;
};

// The parts of an image config the runtime uses: what the bundle builder merges with the pod's
// container spec (Kubernetes' rules for command/args), and the layers' diff IDs.
struct ImageConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value"
  std::string working_dir;
  std::string user;
  std::string stop_signal;                 // e.g. "SIGQUIT"; empty means SIGTERM
  std::vector<std::string> exposed_ports;  // "80/tcp", sorted
  std::map<std::string, std::string> labels;
  std::string os;
  std::string architecture;
  std::vector<std::string> diff_ids;
};

Result<Descriptor> parse_descriptor(const Json& json);
Json descriptor_to_json(const Descriptor& d);

// Errors are kBadRequest naming what is wrong; nothing here throws.
Result<ImageManifest> parse_image_manifest(std::string_view json);
Result<ImageIndex> parse_image_index(std::string_view json);
Result<ImageConfig> parse_image_config(std::string_view json);

// Which of an index's manifests runs on os/architecture (containerd's platform matcher, without
// variants: amd64 has none). nullptr when none does.
const Descriptor* select_platform(const ImageIndex& index, std::string_view os,
                                  std::string_view architecture);

// The media type a document declares, or "" if it declares none or is not a JSON object.
std::string sniff_media_type(std::string_view json);

}  // namespace bosun::runtime
