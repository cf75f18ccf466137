// One pass over the layer file: a "raw" libarchive reader decompresses it, and the tar reader pulls
// its bytes through a callback that also hashes them, so the diff ID comes out of the unpack
// without reading the layer twice.
#include "runtime/layer_unpack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "runtime/image_digest.h"
#include "runtime/libarchive.h"

namespace bosun::runtime {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueWhiteout = ".wh..wh..opq";
constexpr std::string_view kWhiteoutMetaPrefix = ".wh..wh.";

Error bad(std::string message) { return make_error(ErrorCode::kBadRequest, std::move(message)); }

struct ArchiveDeleter {
  const Libarchive* lib;
  void operator()(archive* a) const { lib->read_free(a); }
};
struct WriteDeleter {
  const Libarchive* lib;
  void operator()(archive* a) const { lib->write_free(a); }
};
using ReadArchive = std::unique_ptr<archive, ArchiveDeleter>;

// The decompressed stream of a layer file, hashed as it is consumed.
struct RawStream {
  explicit RawStream(const Libarchive& l) : lib(l), raw(nullptr, ArchiveDeleter{&l}) {}
  const Libarchive& lib;
  ReadArchive raw;
  Sha256 hash;
  uint64_t bytes = 0;
  std::string error;
};

Result<void> open_raw(RawStream& s, const fs::path& file) {
  const Libarchive& ar = s.lib;
  s.raw.reset(ar.read_new());
  ar.read_support_filter_all(s.raw.get());
  ar.read_support_format_raw(s.raw.get());
  ar.read_support_format_empty(s.raw.get());
  if (ar.read_open_filename(s.raw.get(), file.c_str(), 1 << 16) != ARCHIVE_OK) {
    return bad("cannot read layer " + file.string() + ": " + ar.error_string(s.raw.get()));
  }
  archive_entry* entry = nullptr;
  int r = ar.read_next_header(s.raw.get(), &entry);
  if (r == ARCHIVE_EOF) return ok_result();
  if (r != ARCHIVE_OK) {
    return bad("cannot read layer " + file.string() + ": " + ar.error_string(s.raw.get()));
  }
  return ok_result();
}

la_ssize_t raw_read(archive*, void* client, const void** buffer) {
  auto* s = static_cast<RawStream*>(client);
  const Libarchive& ar = s->lib;
  size_t size = 0;
  la_int64_t offset = 0;
  int r = ar.read_data_block(s->raw.get(), buffer, &size, &offset);
  if (r == ARCHIVE_EOF) return 0;
  if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
    const char* e = ar.error_string(s->raw.get());
    s->error = e ? e : "decompression failed";
    return -1;
  }
  s->hash.update(*buffer, size);
  s->bytes += size;
  return static_cast<la_ssize_t>(size);
}

Result<void> drain(RawStream& s) {
  const void* buf = nullptr;
  while (true) {
    la_ssize_t n = raw_read(nullptr, &s, &buf);
    if (n == 0) return ok_result();
    if (n < 0) return bad("layer is corrupt: " + s.error);
  }
}

// Splits an entry name into safe components: leading "/" and "./" dropped (tar writers differ),
// "." ignored, ".." refused.
Result<std::vector<std::string>> clean_components(std::string_view name) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i <= name.size()) {
    size_t j = name.find('/', i);
    if (j == std::string_view::npos) j = name.size();
    std::string_view c = name.substr(i, j - i);
    if (c == "..") return bad("layer entry \"" + std::string(name) + "\" escapes the root");
    if (!c.empty() && c != ".") out.emplace_back(c);
    i = j + 1;
  }
  return out;
}

fs::path join(const fs::path& root, const std::vector<std::string>& comps, size_t n) {
  fs::path p = root;
  for (size_t i = 0; i < n; ++i) p /= comps[i];
  return p;
}

// The directory root/comps[0..n), refusing any component that is a symlink or not a directory, and
// creating missing ones: a whiteout must never be written through a link that leaves the layer.
Result<fs::path> safe_dir(const fs::path& root, const std::vector<std::string>& comps, size_t n) {
  fs::path p = root;
  for (size_t i = 0; i < n; ++i) {
    p /= comps[i];
    struct stat st;
    if (lstat(p.c_str(), &st) == 0) {
      if (S_ISLNK(st.st_mode)) return bad("layer entry passes through symlink " + p.string());
      if (!S_ISDIR(st.st_mode))
        return bad("layer entry parent " + p.string() + " is not a directory");
    } else if (errno == ENOENT) {
      if (mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) {
        return make_error(ErrorCode::kInternal, "mkdir " + p.string() + ": " + strerror(errno));
      }
    } else {
      return make_error(ErrorCode::kInternal, "lstat " + p.string() + ": " + strerror(errno));
    }
  }
  return p;
}

// Whiteouts in overlayfs' own form: a 0/0 character device hides a lower entry; the opaque xattr
// hides a lower directory's contents (the OCI image-spec's "Whiteouts" section).
Result<bool> apply_whiteout(const fs::path& root, const std::vector<std::string>& comps) {
  const std::string& base = comps.back();
  if (!std::string_view(base).starts_with(kWhiteoutPrefix)) return false;
  BOSUN_ASSIGN_OR_RETURN(fs::path dir, safe_dir(root, comps, comps.size() - 1));
  if (base == kOpaqueWhiteout) {
    if (setxattr(dir.c_str(), "trusted.overlay.opaque", "y", 1, 0) != 0) {
      return make_error(ErrorCode::kInternal,
                        "set opaque xattr on " + dir.string() + ": " + strerror(errno));
    }
    return true;
  }
  // Other ".wh..wh." names are aufs bookkeeping (hardlink directories); they carry nothing.
  if (std::string_view(base).starts_with(kWhiteoutMetaPrefix)) return true;
  std::string target = base.substr(kWhiteoutPrefix.size());
  if (target.empty() || target == "." || target == "..") {
    return bad("layer has an invalid whiteout \"" + base + "\"");
  }
  fs::path path = dir / target;
  if (mknod(path.c_str(), S_IFCHR | 0000, makedev(0, 0)) != 0 && errno != EEXIST) {
    return make_error(ErrorCode::kInternal,
                      "mknod whiteout " + path.string() + ": " + strerror(errno));
  }
  return true;
}

// xattrs that would steer overlayfs itself (redirects, metacopy) must not come from an image.
void drop_overlay_xattrs(const Libarchive& ar, archive_entry* e) {
  if (ar.entry_xattr_reset(e) == 0) return;
  std::vector<std::pair<std::string, std::string>> keep;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  bool dropped = false;
  while (ar.entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
    if (std::string_view(name).starts_with("trusted.overlay.")) {
      dropped = true;
      continue;
    }
    keep.emplace_back(name, std::string(static_cast<const char*>(value), size));
  }
  if (!dropped) return;
  ar.entry_xattr_clear(e);
  for (const auto& [k, v] : keep) ar.entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
}

}  // namespace

Result<std::string> layer_diff_id(const fs::path& layer_file) {
  BOSUN_ASSIGN_OR_RETURN(const Libarchive* lib, libarchive());
  RawStream s(*lib);
  BOSUN_RETURN_IF_ERROR(open_raw(s, layer_file));
  BOSUN_RETURN_IF_ERROR(drain(s));
  return s.hash.digest();
}

Result<UnpackedLayer> unpack_layer(const fs::path& layer_file, const fs::path& dest_in) {
  std::error_code ec;
  // libarchive's symlink check walks the whole path, so the destination itself must have none.
  fs::path dest = fs::canonical(dest_in, ec);
  if (ec)
    return make_error(ErrorCode::kInternal,
                      "layer destination " + dest_in.string() + ": " + ec.message());

  // libarchive is loaded by the first unpack, not at start-up (libarchive.h says why).
  BOSUN_ASSIGN_OR_RETURN(const Libarchive* lib, libarchive());
  const Libarchive& ar = *lib;
  RawStream raw(ar);
  BOSUN_RETURN_IF_ERROR(open_raw(raw, layer_file));
  ReadArchive tar(ar.read_new(), ArchiveDeleter{&ar});
  ar.read_support_format_tar(tar.get());
  ar.read_support_format_gnutar(tar.get());
  if (ar.read_open(tar.get(), &raw, nullptr, raw_read, nullptr) != ARCHIVE_OK) {
    return bad("layer " + layer_file.string() + " is not a tar: " + ar.error_string(tar.get()));
  }
  std::unique_ptr<archive, WriteDeleter> disk(ar.write_disk_new(), WriteDeleter{&ar});
  // No name lookup: ownership stays numeric, as the image's own /etc/passwd means it.
  ar.write_disk_set_options(disk.get(), ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_OWNER |
                                            ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
                                            ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                            ARCHIVE_EXTRACT_SECURE_NODOTDOT);

  UnpackedLayer result;
  while (true) {
    archive_entry* e = nullptr;
    int r = ar.read_next_header(tar.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      if (!raw.error.empty()) return bad("layer is corrupt: " + raw.error);
      return bad("layer " + layer_file.string() + ": " + ar.error_string(tar.get()));
    }
    ++result.entries;
    const char* pathname = ar.entry_pathname(e);
    if (!pathname) return bad("layer entry without a name");
    BOSUN_ASSIGN_OR_RETURN(auto comps, clean_components(pathname));
    if (comps.empty()) continue;  // the layer's own root "./"
    BOSUN_ASSIGN_OR_RETURN(bool whiteout, apply_whiteout(dest, comps));
    if (whiteout) continue;
    // Parent directories the tar does not list yet are created here, checked for symlinks.
    if (auto parent = safe_dir(dest, comps, comps.size() - 1); !parent.ok()) {
      return std::move(parent).error();
    }
    std::string full = join(dest, comps, comps.size()).string();
    ar.entry_set_pathname(e, full.c_str());
    if (const char* link = ar.entry_hardlink(e)) {
      BOSUN_ASSIGN_OR_RETURN(auto target, clean_components(link));
      if (target.empty())
        return bad("layer hardlink \"" + std::string(pathname) + "\" has no target");
      std::string target_full = join(dest, target, target.size()).string();
      ar.entry_set_hardlink(e, target_full.c_str());
    }
    drop_overlay_xattrs(ar, e);
    r = ar.write_header(disk.get(), e);
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      return bad("layer entry \"" + std::string(pathname) + "\": " + ar.error_string(disk.get()));
    }
    if (ar.entry_size(e) > 0) {
      const void* buf = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      while ((r = ar.read_data_block(tar.get(), &buf, &size, &offset)) == ARCHIVE_OK) {
        if (ar.write_data_block(disk.get(), buf, size, offset) < ARCHIVE_OK) {
          return make_error(ErrorCode::kInternal, "writing \"" + std::string(pathname) +
                                                      "\": " + ar.error_string(disk.get()));
        }
      }
      if (r != ARCHIVE_EOF) {
        if (!raw.error.empty()) return bad("layer is corrupt: " + raw.error);
        return bad("layer entry \"" + std::string(pathname) + "\": " + ar.error_string(tar.get()));
      }
    }
    if (ar.write_finish_entry(disk.get()) < ARCHIVE_WARN) {
      return make_error(ErrorCode::kInternal, "finishing \"" + std::string(pathname) +
                                                  "\": " + ar.error_string(disk.get()));
    }
  }
  // Directory modes and times are fixed up on close (libarchive defers them so that read-only
  // directories can still be filled).
  if (ar.write_close(disk.get()) != ARCHIVE_OK) {
    return make_error(ErrorCode::kInternal,
                      std::string("finishing layer: ") + ar.error_string(disk.get()));
  }
  // The tar reader stops at the end-of-archive blocks; the diff ID covers the padding after them.
  BOSUN_RETURN_IF_ERROR(drain(raw));
  result.diff_id = raw.hash.digest();
  result.bytes = raw.bytes;
  return result;
}

}  // namespace bosun::runtime
