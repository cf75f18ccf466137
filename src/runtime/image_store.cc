#include "runtime/image_store.h"

#include "common/file_util.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>
#include <set>

#include "common/json.h"
#include "common/log.h"
#include "common/thread_random.h"
#include "runtime/image_digest.h"
#include "runtime/layer_unpack.h"
#include "runtime/reference.h"

namespace bosun::runtime {
namespace {

namespace fs = std::filesystem;

constexpr const char* kIndexFile = "index.json";
constexpr const char* kIndexLock = ".index.lock";
constexpr const char* kGcLock = ".gc.lock";

Error internal(std::string message) { return make_error(ErrorCode::kInternal, std::move(message)); }
Error sys_error(const std::string& what) { return internal(what + ": " + strerror(errno)); }

std::string random_suffix() {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t v = thread_random()();
  std::string out;
  for (int i = 0; i < 16; ++i, v >>= 4) out += kHex[v & 15];
  return out;
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

Result<int> lock_file(const fs::path& path, int op) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return sys_error("open " + path.string());
  while (flock(fd, op) != 0) {
    if (errno != EINTR) {
      Error e = sys_error("flock " + path.string());
      close(fd);
      return e;
    }
  }
  return fd;
}

Result<void> fsync_dir(const fs::path& dir) { return fsync_directory(dir.string()); }

// Readers of the layout (other processes included) see the old file or the new one, never a
// partial one, and a crash leaves at worst a stray temporary file.
Result<void> write_file_atomic(const fs::path& path, std::string_view data) {
  return bosun::write_file_atomic(path.string(), data);
}

Result<std::string> read_file(const fs::path& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno == ENOENT) return make_error(ErrorCode::kNotFound, path.string() + " not found");
    return sys_error("open " + path.string());
  }
  std::string out;
  struct stat st;
  if (fstat(fd.get(), &st) == 0 && st.st_size > 0) out.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  while (true) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read " + path.string());
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

Result<std::string> hash_file(const fs::path& path) {
  Fd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return sys_error("open " + path.string());
  Sha256 h;
  std::vector<char> buf(1 << 17);
  while (true) {
    ssize_t n = read(fd.get(), buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return sys_error("read " + path.string());
    }
    if (n == 0) break;
    h.update(buf.data(), static_cast<size_t>(n));
  }
  return h.digest();
}

Error digest_mismatch(std::string_view expected, std::string_view actual) {
  return make_error(ErrorCode::kBadRequest, "digest mismatch: expected " + std::string(expected) +
                                                ", got " + std::string(actual));
}

std::string name_of(const Descriptor& d) {
  auto it = d.annotations.find(std::string(kAnnotationImageName));
  if (it != d.annotations.end()) return it->second;
  it = d.annotations.find(std::string(kAnnotationRefName));
  return it != d.annotations.end() ? it->second : "";
}

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

struct ImageStore::Snapshot {
  ino_t ino = 0;
  int64_t mtime_ns = 0;
  off_t size = 0;
  std::vector<Image> images;
};

ImageStore::Lease& ImageStore::Lease::operator=(Lease&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) close(fd_);
    fd_ = std::exchange(o.fd_, -1);
  }
  return *this;
}

ImageStore::Lease::~Lease() {
  if (fd_ >= 0) close(fd_);
}

ImageStore::ImageStore(fs::path root) : root_(std::move(root)) {}

Result<std::unique_ptr<ImageStore>> ImageStore::open(const fs::path& root_in) {
  std::error_code ec;
  fs::create_directories(root_in, ec);
  if (ec) return internal("create " + root_in.string() + ": " + ec.message());
  fs::path root = fs::canonical(root_in, ec);
  if (ec) return internal("resolve " + root_in.string() + ": " + ec.message());
  for (const char* d : {"blobs/sha256", "layers", "ingest"}) {
    fs::create_directories(root / d, ec);
    if (ec) return internal("create " + (root / d).string() + ": " + ec.message());
  }
  if (!fs::exists(root / "oci-layout")) {
    BOSUN_RETURN_IF_ERROR(
        write_file_atomic(root / "oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  }
  auto store = std::unique_ptr<ImageStore>(new ImageStore(root));
  if (!fs::exists(root / kIndexFile)) {
    BOSUN_ASSIGN_OR_RETURN(int fd, lock_file(root / kIndexLock, LOCK_EX));
    Fd lock(fd);
    if (!fs::exists(root / kIndexFile)) BOSUN_RETURN_IF_ERROR(store->write_index({}));
  }
  return store;
}

Result<ImageStore::Lease> ImageStore::lease() const {
  BOSUN_ASSIGN_OR_RETURN(int fd, lock_file(root_ / kGcLock, LOCK_SH));
  return Lease(fd);
}

Result<fs::path> ImageStore::blob_path(std::string_view digest) const {
  BOSUN_ASSIGN_OR_RETURN(std::string hex, sha256_hex(digest));
  return root_ / "blobs" / "sha256" / hex;
}

bool ImageStore::has_blob(std::string_view digest) const {
  auto p = blob_path(digest);
  return p.ok() && access(p->c_str(), F_OK) == 0;
}

Result<std::string> ImageStore::read_blob(std::string_view digest) const {
  BOSUN_ASSIGN_OR_RETURN(fs::path p, blob_path(digest));
  auto data = read_file(p);
  if (!data.ok() && data.error().code == ErrorCode::kNotFound) {
    return make_error(ErrorCode::kNotFound, "blob " + std::string(digest) + " not found");
  }
  return data;
}

Result<std::string> ImageStore::write_blob(std::string_view data, std::string_view expected) {
  std::string digest = sha256_digest(data);
  if (!expected.empty() && expected != digest) return digest_mismatch(expected, digest);
  BOSUN_ASSIGN_OR_RETURN(fs::path p, blob_path(digest));
  if (access(p.c_str(), F_OK) == 0) return digest;  // content-addressed: already there is done
  BOSUN_RETURN_IF_ERROR(write_file_atomic(p, data));
  return digest;
}

Result<std::string> ImageStore::commit_blob_file(const fs::path& file, std::string_view expected) {
  auto digest = hash_file(file);
  auto fail = [&](Error e) -> Result<std::string> {
    unlink(file.c_str());
    return e;
  };
  if (!digest.ok()) return fail(digest.error());
  if (!expected.empty() && expected != *digest) return fail(digest_mismatch(expected, *digest));
  auto p = blob_path(*digest);
  if (!p.ok()) return fail(p.error());
  if (access(p->c_str(), F_OK) == 0) {
    unlink(file.c_str());
    return *digest;
  }
  {
    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0 || fsync(fd.get()) != 0) return fail(sys_error("fsync " + file.string()));
  }
  chmod(file.c_str(), 0644);
  if (rename(file.c_str(), p->c_str()) != 0) return fail(sys_error("rename into " + p->string()));
  BOSUN_RETURN_IF_ERROR(fsync_dir(p->parent_path()));
  return *digest;
}

Result<fs::path> ImageStore::make_ingest_dir() const {
  fs::path dir = root_ / "ingest" / random_suffix();
  if (mkdir(dir.c_str(), 0700) != 0) return sys_error("mkdir " + dir.string());
  return dir;
}

Result<std::vector<Descriptor>> ImageStore::read_index_entries() const {
  auto text = read_file(root_ / kIndexFile);
  if (!text.ok()) {
    if (text.error().code == ErrorCode::kNotFound) return std::vector<Descriptor>{};
    return text.error();
  }
  BOSUN_ASSIGN_OR_RETURN(ImageIndex index, parse_image_index(*text));
  return index.manifests;
}

Result<void> ImageStore::write_index(const std::vector<Descriptor>& manifests) {
  Json list = Json::array();
  for (const auto& d : manifests) list.push_back(descriptor_to_json(d));
  Json index = {{"schemaVersion", 2}, {"mediaType", kMediaTypeOciIndex}, {"manifests", list}};
  BOSUN_RETURN_IF_ERROR(write_file_atomic(root_ / kIndexFile, index.dump()));
  std::lock_guard lock(mu_);
  cache_.reset();
  return ok_result();
}

Result<Image> ImageStore::resolve(const std::string& name, const Descriptor& target) const {
  Image image;
  image.name = name;
  image.target = target;
  BOSUN_ASSIGN_OR_RETURN(std::string manifest_text, read_blob(target.digest));
  BOSUN_ASSIGN_OR_RETURN(image.manifest, parse_image_manifest(manifest_text));
  BOSUN_ASSIGN_OR_RETURN(std::string config_text, read_blob(image.manifest.config.digest));
  BOSUN_ASSIGN_OR_RETURN(image.config, parse_image_config(config_text));
  if (image.config.diff_ids.size() != image.manifest.layers.size()) {
    return make_error(ErrorCode::kBadRequest,
                      "image " + name + " has " + std::to_string(image.manifest.layers.size()) +
                          " layers but its config lists " +
                          std::to_string(image.config.diff_ids.size()) + " diff IDs");
  }
  image.id = image.manifest.config.digest;
  image.chain_ids = chain_ids(image.config.diff_ids);
  image.size = image.manifest.config.size;
  for (const auto& l : image.manifest.layers) image.size += l.size;
  return image;
}

Result<std::shared_ptr<const ImageStore::Snapshot>> ImageStore::snapshot() const {
  struct stat st {};
  if (stat((root_ / kIndexFile).c_str(), &st) != 0 && errno != ENOENT) {
    return sys_error("stat index.json");
  }
  int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  {
    std::lock_guard lock(mu_);
    if (cache_ && cache_->ino == st.st_ino && cache_->mtime_ns == mtime_ns &&
        cache_->size == st.st_size) {
      return cache_;
    }
  }
  auto snap = std::make_shared<Snapshot>();
  snap->ino = st.st_ino;
  snap->mtime_ns = mtime_ns;
  snap->size = st.st_size;
  BOSUN_ASSIGN_OR_RETURN(auto entries, read_index_entries());
  for (const auto& d : entries) {
    std::string name = name_of(d);
    auto image = resolve(name, d);
    if (!image.ok()) {
      // One broken entry (a blob removed by hand) must not hide the other images.
      SPDLOG_WARN("image store: skipping {}: {}", name, image.error().message);
      continue;
    }
    snap->images.push_back(std::move(*image));
  }
  std::lock_guard lock(mu_);
  cache_ = snap;
  return std::shared_ptr<const Snapshot>(snap);
}

Result<Image> ImageStore::put_image(std::string_view name, const Descriptor& manifest) {
  BOSUN_ASSIGN_OR_RETURN(ImageReference ref, parse_image_reference(name));
  std::string key = ref.docker_ref();
  if (!is_manifest_media_type(manifest.media_type)) {
    return make_error(ErrorCode::kBadRequest,
                      "an image must name a manifest, not \"" + manifest.media_type + "\"");
  }
  Descriptor target = manifest;
  target.annotations.clear();
  target.annotations[std::string(kAnnotationImageName)] = key;
  target.annotations[std::string(kAnnotationRefName)] = ref.digest.empty() ? ref.tag : ref.digest;
  BOSUN_ASSIGN_OR_RETURN(Image image, resolve(key, target));
  for (const auto& layer : image.manifest.layers) {
    if (!has_blob(layer.digest)) {
      return make_error(ErrorCode::kNotFound,
                        "layer " + layer.digest + " of " + key + " is missing");
    }
  }
  BOSUN_ASSIGN_OR_RETURN(int fd, lock_file(root_ / kIndexLock, LOCK_EX));
  Fd lock(fd);
  BOSUN_ASSIGN_OR_RETURN(auto entries, read_index_entries());
  std::erase_if(entries, [&](const Descriptor& d) { return name_of(d) == key; });
  entries.push_back(target);
  BOSUN_RETURN_IF_ERROR(write_index(entries));
  return image;
}

Result<Image> ImageStore::get(std::string_view ref_text) const {
  BOSUN_ASSIGN_OR_RETURN(auto snap, snapshot());
  auto not_found = [&] {
    return make_error(ErrorCode::kNotFound, "image \"" + std::string(ref_text) + "\" not found");
  };
  auto by_id = [&](std::string_view hex_prefix) -> Result<Image> {
    const Image* found = nullptr;
    for (const auto& image : snap->images) {
      if (std::string_view(image.id).substr(7).starts_with(hex_prefix)) {
        if (found && found->id != image.id) {
          return make_error(ErrorCode::kBadRequest,
                            "image ID prefix \"" + std::string(hex_prefix) + "\" is ambiguous");
        }
        found = &image;
      }
    }
    if (!found) return not_found();
    return *found;
  };
  if (ref_text.starts_with("sha256:")) return by_id(ref_text.substr(7));
  auto ref = parse_image_reference(ref_text);
  if (ref.ok()) {
    std::string key = ref->docker_ref();
    for (const auto& image : snap->images) {
      if (image.name == key) return image;
    }
    // "name@sha256:<manifest digest>" also finds the image stored under a tag of that name.
    if (!ref->digest.empty()) {
      std::string repo = ref->name();
      for (const auto& image : snap->images) {
        if (image.target.digest == ref->digest && image.name.starts_with(repo) &&
            image.name.size() > repo.size() &&
            (image.name[repo.size()] == ':' || image.name[repo.size()] == '@')) {
          return image;
        }
      }
    }
  }
  if (ref_text.size() >= 12 && ref_text.size() <= 64 && is_hex(ref_text)) return by_id(ref_text);
  if (!ref.ok()) return ref.error();
  return not_found();
}

Result<std::vector<Image>> ImageStore::list() const {
  BOSUN_ASSIGN_OR_RETURN(auto snap, snapshot());
  std::vector<Image> out = snap->images;
  std::sort(out.begin(), out.end(), [](const Image& a, const Image& b) { return a.name < b.name; });
  return out;
}

Result<void> ImageStore::remove(std::string_view ref_text) {
  BOSUN_ASSIGN_OR_RETURN(Image image, get(ref_text));
  auto ref = parse_image_reference(ref_text);
  // Removing by ID (or by a digest that found a tagged image) removes every name of the image, as
  // `docker rmi <id>` does when nothing else uses it.
  bool by_id = ref_text.starts_with("sha256:") || !ref.ok() || ref->docker_ref() != image.name;
  {
    BOSUN_ASSIGN_OR_RETURN(int fd, lock_file(root_ / kIndexLock, LOCK_EX));
    Fd lock(fd);
    BOSUN_ASSIGN_OR_RETURN(auto entries, read_index_entries());
    size_t before = entries.size();
    std::erase_if(entries, [&](const Descriptor& d) {
      if (!by_id) return name_of(d) == image.name;
      auto manifest = read_blob(d.digest);
      if (!manifest.ok()) return false;
      auto m = parse_image_manifest(*manifest);
      return m.ok() && m->config.digest == image.id;
    });
    if (entries.size() != before) BOSUN_RETURN_IF_ERROR(write_index(entries));
  }
  auto gc = garbage_collect();
  if (!gc.ok()) return gc.error();
  return ok_result();
}

Result<GcStats> ImageStore::garbage_collect() {
  BOSUN_ASSIGN_OR_RETURN(int fd, lock_file(root_ / kGcLock, LOCK_EX));
  Fd lock(fd);
  {
    std::lock_guard guard(mu_);
    cache_.reset();
  }
  // Mark from the index as it is on disk, entries that do not resolve included: a blob they still
  // name may be what a later repair needs.
  BOSUN_ASSIGN_OR_RETURN(auto entries, read_index_entries());
  std::set<std::string> blobs;
  std::set<std::string> layers;
  for (const auto& d : entries) {
    blobs.insert(d.digest);
    auto manifest_text = read_blob(d.digest);
    if (!manifest_text.ok()) continue;
    auto manifest = parse_image_manifest(*manifest_text);
    if (!manifest.ok()) continue;
    blobs.insert(manifest->config.digest);
    for (const auto& l : manifest->layers) blobs.insert(l.digest);
    auto config_text = read_blob(manifest->config.digest);
    if (!config_text.ok()) continue;
    auto config = parse_image_config(*config_text);
    if (!config.ok()) continue;
    for (const auto& c : chain_ids(config->diff_ids)) layers.insert(c.substr(7));
  }
  GcStats stats;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(root_ / "blobs" / "sha256", ec)) {
    if (!blobs.count("sha256:" + e.path().filename().string())) {
      fs::remove(e.path(), ec);
      if (!e.path().filename().string().starts_with(".")) ++stats.blobs_removed;
    }
  }
  for (const auto& e : fs::directory_iterator(root_ / "layers", ec)) {
    if (!layers.count(e.path().filename().string())) {
      fs::remove_all(e.path(), ec);
      if (ec) return internal("remove " + e.path().string() + ": " + ec.message());
      if (!e.path().filename().string().starts_with("tmp-")) ++stats.layers_removed;
    }
  }
  // Nobody holds a lease now, so whatever is staged is left over from an interrupted import.
  for (const auto& e : fs::directory_iterator(root_ / "ingest", ec)) fs::remove_all(e.path(), ec);
  return stats;
}

fs::path ImageStore::layer_dir(std::string_view chain_id) const {
  std::string_view hex = chain_id.starts_with("sha256:") ? chain_id.substr(7) : chain_id;
  return root_ / "layers" / std::string(hex);
}

Result<std::vector<fs::path>> ImageStore::lowerdirs(const Image& image) const {
  std::vector<fs::path> out;
  for (size_t i = image.chain_ids.size(); i-- > 0;) {
    fs::path fs_dir = layer_dir(image.chain_ids[i]) / "fs";
    if (access(fs_dir.c_str(), F_OK) != 0) {
      return make_error(ErrorCode::kNotFound,
                        "layer " + image.chain_ids[i] + " of " + image.name + " is not unpacked");
    }
    out.push_back(fs_dir);
  }
  return out;
}

Result<std::vector<fs::path>> ImageStore::unpack(const Image& image) {
  BOSUN_ASSIGN_OR_RETURN(Lease held, lease());
  std::lock_guard lock(unpack_mu_);
  for (size_t i = 0; i < image.chain_ids.size(); ++i) {
    fs::path dir = layer_dir(image.chain_ids[i]);
    if (access((dir / "fs").c_str(), F_OK) == 0) continue;
    fs::path tmp = root_ / "layers" / ("tmp-" + random_suffix());
    std::error_code ec;
    fs::create_directories(tmp / "fs", ec);
    if (ec) return internal("create " + tmp.string() + ": " + ec.message());
    auto cleanup = [&] { fs::remove_all(tmp, ec); };
    const Descriptor& layer = image.manifest.layers[i];
    auto blob = blob_path(layer.digest);
    if (!blob.ok()) {
      cleanup();
      return blob.error();
    }
    auto unpacked = unpack_layer(*blob, tmp / "fs");
    if (!unpacked.ok()) {
      cleanup();
      return Error{unpacked.error().code,
                   "unpacking layer " + layer.digest + ": " + unpacked.error().message,
                   {}};
    }
    if (unpacked->diff_id != image.config.diff_ids[i]) {
      cleanup();
      return make_error(ErrorCode::kBadRequest,
                        "layer " + layer.digest + " has diff ID " + unpacked->diff_id +
                            ", but the image config says " + image.config.diff_ids[i]);
    }
    if (rename(tmp.c_str(), dir.c_str()) != 0) {
      int err = errno;
      cleanup();
      // Another process unpacked the same layer first; its copy is as good as ours.
      if (err != EEXIST && err != ENOTEMPTY) {
        return internal("rename into " + dir.string() + ": " + strerror(err));
      }
    }
    BOSUN_RETURN_IF_ERROR(fsync_dir(root_ / "layers"));
  }
  return lowerdirs(image);
}

}  // namespace bosun::runtime
