// The node's content-addressed image store, an OCI image layout under a root directory
// (`<data-dir>/images`): blobs/sha256/<hex>, index.json naming images with containerd's and OCI's
// annotations, and unpacked layers under layers/<chain-id hex>/fs for overlayfs. Used by the
// importer, the puller, the agent and `bosun image`. An ImageStore is safe for concurrent use from
// many threads, and several processes may share one root: every file is written to a temporary
// name, fsynced and renamed, so readers never see a partial blob or index; index changes and
// garbage collection take flock(2) locks under the root.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "runtime/image_manifest.h"

namespace bosun::runtime {

// One named image as the store resolves it.
struct Image {
  std::string name;   // normalized reference: "docker.io/library/busybox:latest"
  Descriptor target;  // the image's manifest (a single-platform one)
  ImageManifest manifest;
  ImageConfig config;
  std::string id;  // the config digest, the image ID crictl and the kubelet show
  std::vector<std::string> chain_ids;  // one per layer, bottom first
  int64_t size = 0;                    // config plus compressed layers, as `crictl images` reports
};

struct GcStats {
  int blobs_removed = 0;
  int layers_removed = 0;
};

class ImageStore {
 public:
  // Holds off garbage collection while content is being written but is not yet named by an image
  // (a pull or an import in progress). Move-only; released on destruction.
  class Lease {
   public:
    Lease() = default;
    explicit Lease(int fd) : fd_(fd) {}
    Lease(Lease&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    Lease& operator=(Lease&& o) noexcept;
    ~Lease();

   private:
    int fd_ = -1;
  };

  // Creates the layout under root if missing (oci-layout, index.json, blobs/sha256, layers).
  static Result<std::unique_ptr<ImageStore>> open(const std::filesystem::path& root);

  const std::filesystem::path& root() const { return root_; }

  Result<Lease> lease() const;

  // --- blobs ---
  // Path of a blob, valid digest or not yet present; kBadRequest for a digest that is not sha256.
  Result<std::filesystem::path> blob_path(std::string_view digest) const;
  bool has_blob(std::string_view digest) const;
  Result<std::string> read_blob(std::string_view digest) const;
  // Stores data and returns its digest. With expected_digest, content that does not hash to it is
  // refused (kBadRequest "digest mismatch: ...") and nothing is stored.
  Result<std::string> write_blob(std::string_view data, std::string_view expected_digest = {});
  // Moves a file (on the store's filesystem, e.g. from ingest_dir()) into the blobs after hashing
  // and fsyncing it; verifies expected_digest when given. The file is gone afterwards either way.
  Result<std::string> commit_blob_file(const std::filesystem::path& file,
                                       std::string_view expected_digest = {});
  // A fresh private directory on the store's filesystem for staging content; remove it when done.
  Result<std::filesystem::path> make_ingest_dir() const;

  // --- images ---
  // Names the image whose manifest is `manifest` (already stored, with its config and layers):
  // validates the whole graph, then records it in index.json. A name already in use moves to the
  // new image, as `docker tag` and containerd's image update do.
  Result<Image> put_image(std::string_view name, const Descriptor& manifest);
  // By reference ("busybox", "docker.io/library/busybox:latest", "x@sha256:...") or by image ID
  // ("sha256:<config hex>", or an unambiguous hex prefix of at least 12 characters). kNotFound
  // when absent.
  Result<Image> get(std::string_view ref) const;
  Result<std::vector<Image>> list() const;
  // Removes the name (or, given an image ID, every name of that image), then garbage-collects
  // blobs and unpacked layers no image references any more.
  Result<void> remove(std::string_view ref);
  Result<GcStats> garbage_collect();

  // --- layers ---
  // Unpacks each of the image's layers that is not unpacked yet (once per chain ID, verifying the
  // diff ID against the config) and returns overlayfs lowerdirs, topmost layer first.
  Result<std::vector<std::filesystem::path>> unpack(const Image& image);
  // The lowerdirs of an unpacked image, topmost first; kNotFound if a layer is not unpacked.
  Result<std::vector<std::filesystem::path>> lowerdirs(const Image& image) const;
  std::filesystem::path layer_dir(std::string_view chain_id) const;

 private:
  explicit ImageStore(std::filesystem::path root);
  struct Snapshot;
  Result<std::shared_ptr<const Snapshot>> snapshot() const;
  Result<Image> resolve(const std::string& name, const Descriptor& target) const;
  Result<void> write_index(const std::vector<Descriptor>& manifests);
  Result<std::vector<Descriptor>> read_index_entries() const;

  std::filesystem::path root_;
  mutable std::mutex mu_;  // guards cache_
  mutable std::shared_ptr<const Snapshot> cache_;
  std::mutex
      unpack_mu_;  // one unpack at a time in this process; rename settles races between processes
};

}  // namespace bosun::runtime
