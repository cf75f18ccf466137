// Importing image archives into the image store: `docker save` archives (manifest.json with layer
// tars, both the classic layout and Docker 25's OCI-blobs layout) and OCI image layout archives
// (oci-layout + index.json), gzip-compressed or not. What `bosun image import` and the tests call.
// Thread-safe: each call works in its own staging directory under the store.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/result.h"
#include "runtime/image_store.h"

namespace bosun::runtime {

struct ImportOptions {
  // Unpack the layers right away, as `ctr image import` does, so the first container starts fast.
  bool unpack = true;
  // For OCI archives whose index names an image only by a tag (org.opencontainers.image.ref.name
  // "v1"): the repository to put in front, as `ctr import --base-name` does.
  std::string base_name;
  // Platform picked from an image index inside the archive.
  std::string os = "linux";
  std::string architecture = "amd64";
};

// Imports every image of the archive; returns them as stored (one entry per name). Bad archives
// are kBadRequest errors naming the problem; nothing is named in the store unless its whole graph
// (manifest, config, layers, diff IDs) checked out.
Result<std::vector<Image>> import_image_archive(ImageStore& store,
                                                const std::filesystem::path& archive_path,
                                                const ImportOptions& options = {});

}  // namespace bosun::runtime
