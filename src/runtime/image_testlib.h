// Test images for every test that needs one (the image store's, the runc driver's, the agent's):
// a small image built from Debian's busybox-static (/bin/busybox plus symlinks for sh, ls, cat,
// sleep, echo, wget, nc, httpd, ...), as layer tars, as a `docker save` archive, as an OCI archive,
// or stored straight into an ImageStore. Test code only; functions are thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.h"
#include "common/result.h"
#include "runtime/image_store.h"

namespace bosun::runtime::testing {

// Where Debian's busybox-static puts its binary.
inline constexpr const char* kBusyboxPath = "/bin/busybox";
// The applets linked in the test image's /bin.
const std::vector<std::string>& busybox_applets();
bool busybox_available();

// One entry of a layer tar. type: 'f' file, 'd' directory, 'l' symlink (link = target),
// 'h' hardlink (link = path of the first name), 'c' character device (devmajor/devminor).
struct LayerEntry {
  std::string path{};
  char type = 'f';
  std::string data{};
  std::string link{};
  unsigned mode = 0644;
  int uid = 0;
  int gid = 0;
  unsigned devmajor = 0;
  unsigned devminor = 0;
  std::map<std::string, std::string> xattrs{};
};

// A pax tar of the entries, gzip-compressed when asked.
std::string make_layer_tar(const std::vector<LayerEntry>& entries, bool gzip = false);
// A tar archive of whole files (an image archive's members), uncompressed.
std::string make_archive(const std::vector<std::pair<std::string, std::string>>& files);

// An image in memory: layer blobs as they would be shipped, and the config they need.
struct TestImage {
  std::vector<std::string> layers;    // tar bytes, compressed or not
  std::vector<std::string> diff_ids;  // sha256 of each uncompressed layer
  bool gzip = false;
  Json config;  // the image config document
  std::string config_bytes() const { return config.dump(); }
  std::vector<std::string> repo_tags;  // "busybox:latest"
  // An OCI (or, with docker_media_types, Docker schema 2) manifest for the layers and config.
  std::string manifest(bool docker_media_types = false) const;
};

struct BusyboxImageOptions {
  bool gzip = false;
  std::vector<std::string> cmd = {"sh"};
  std::vector<std::string> entrypoint;
  std::vector<std::string> env = {
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};
  std::string working_dir;
  std::string user;
  std::string stop_signal;
  std::vector<std::string> exposed_ports;
  std::vector<std::string> repo_tags = {"busybox:latest"};
  // Extra layers on top of the busybox one.
  std::vector<std::vector<LayerEntry>> extra_layers;
};

// The busybox layer's entries: /bin/busybox, applet symlinks, /etc/passwd, /etc/group, and the
// directories a container expects (/tmp 1777, /root, /proc, /sys, /dev, /etc, /var, /home).
std::vector<LayerEntry> busybox_layer_entries();
TestImage busybox_image(const BusyboxImageOptions& options = {});
// An image of the given layers with a minimal config.
TestImage image_of_layers(const std::vector<std::vector<LayerEntry>>& layers, bool gzip = false);

enum class DockerArchiveLayout {
  kLegacy,    // <id>/layer.tar and <hex>.json, as docker save wrote before Docker 25
  kOciBlobs,  // blobs/sha256/<hex> plus oci-layout and index.json, as Docker 25+ writes
};
// The bytes of a `docker save` archive holding the images.
std::string docker_archive(const std::vector<TestImage>& images,
                           DockerArchiveLayout layout = DockerArchiveLayout::kLegacy);
// The bytes of an OCI image layout archive; each image is named in index.json by `names[i]` (a
// full reference in io.containerd.image.name, its tag in org.opencontainers.image.ref.name).
std::string oci_archive(const std::vector<TestImage>& images,
                        const std::vector<std::string>& names);

// Stores the image's blobs and names it in the store; with unpack, also unpacks its layers.
Result<Image> store_image(ImageStore& store, const TestImage& image, std::string_view name,
                          bool unpack = true);
// The busybox test image stored (and unpacked) under `name`.
Result<Image> add_busybox_image(ImageStore& store, std::string_view name = "busybox:latest",
                                const BusyboxImageOptions& options = {});

// A temporary directory removed (recursively, after unmounting nothing) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

Result<void> write_file(const std::filesystem::path& path, std::string_view data);

}  // namespace bosun::runtime::testing
