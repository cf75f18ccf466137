#include "runtime/image_import.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include "common/json.h"
#include "runtime/image_digest.h"
#include "runtime/image_manifest.h"
#include "runtime/libarchive.h"
#include "runtime/reference.h"

namespace bosun::runtime {
namespace {

namespace fs = std::filesystem;

Error bad(std::string message) { return make_error(ErrorCode::kBadRequest, std::move(message)); }

struct Member {
  fs::path staged;
  std::string digest;
  int64_t size = 0;
  bool gzip = false;
  bool committed = false;
};

// The archive unpacked into a staging directory: member name -> staged file and digest.
struct Staged {
  fs::path dir;
  std::map<std::string, Member> members;
  std::map<std::string, std::string> symlinks;  // member name -> member name it points to
};

// "./a/b" and "a//b" are the same member; ".." never is one.
Result<std::string> clean_name(std::string_view name) {
  std::string out;
  size_t i = 0;
  while (i <= name.size()) {
    size_t j = name.find('/', i);
    if (j == std::string_view::npos) j = name.size();
    std::string_view c = name.substr(i, j - i);
    if (c == "..") return bad("archive member \"" + std::string(name) + "\" escapes the archive");
    if (!c.empty() && c != ".") {
      if (!out.empty()) out += '/';
      out += c;
    }
    i = j + 1;
  }
  return out;
}

struct ReadDeleter {
  const Libarchive* lib;
  void operator()(archive* a) const { lib->read_free(a); }
};

Result<void> stage_archive(const fs::path& path, Staged& staged) {
  // libarchive is loaded by the first import, not at start-up (libarchive.h says why).
  BOSUN_ASSIGN_OR_RETURN(const Libarchive* lib, libarchive());
  const Libarchive& ar = *lib;
  std::unique_ptr<archive, ReadDeleter> a(ar.read_new(), ReadDeleter{&ar});
  ar.read_support_filter_all(a.get());
  ar.read_support_format_tar(a.get());
  ar.read_support_format_gnutar(a.get());
  if (ar.read_open_filename(a.get(), path.c_str(), 1 << 16) != ARCHIVE_OK) {
    return bad("cannot read image archive " + path.string() + ": " + ar.error_string(a.get()));
  }
  int n = 0;
  std::vector<char> buf(1 << 17);
  while (true) {
    archive_entry* e = nullptr;
    int r = ar.read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
      return bad("image archive " + path.string() + ": " + ar.error_string(a.get()));
    }
    const char* raw_name = ar.entry_pathname(e);
    if (!raw_name) continue;
    BOSUN_ASSIGN_OR_RETURN(std::string name, clean_name(raw_name));
    if (name.empty()) continue;
    auto type = ar.entry_filetype(e);
    if (type == AE_IFLNK) {
      // Old `docker save` links a layer it already wrote: "<id>/layer.tar -> ../<id2>/layer.tar".
      std::string dir =
          name.find('/') == std::string::npos ? "" : name.substr(0, name.rfind('/') + 1);
      const char* target = ar.entry_symlink(e);
      if (target) {
        auto resolved = clean_name(std::string_view(target).starts_with("/") ? std::string(target)
                                                                             : dir + target);
        if (resolved.ok()) staged.symlinks[name] = *resolved;
      }
      continue;
    }
    if (const char* link = ar.entry_hardlink(e)) {
      auto resolved = clean_name(link);
      if (resolved.ok()) staged.symlinks[name] = *resolved;
      continue;
    }
    if (type != AE_IFREG) continue;
    Member m;
    m.staged = staged.dir / std::to_string(n++);
    int fd = open(m.staged.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return make_error(ErrorCode::kInternal, "staging " + name + ": " + strerror(errno));
    Sha256 hash;
    bool first = true;
    while (true) {
      la_ssize_t got = ar.read_data(a.get(), buf.data(), buf.size());
      if (got < 0) {
        close(fd);
        return bad("image archive member " + name + ": " + ar.error_string(a.get()));
      }
      if (got == 0) break;
      if (first && got >= 2)
        m.gzip = static_cast<unsigned char>(buf[0]) == 0x1f &&
                 static_cast<unsigned char>(buf[1]) == 0x8b;
      first = false;
      hash.update(buf.data(), static_cast<size_t>(got));
      m.size += got;
      for (la_ssize_t off = 0; off < got;) {
        ssize_t w = write(fd, buf.data() + off, static_cast<size_t>(got - off));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
          int err = errno;
          close(fd);
          return make_error(ErrorCode::kInternal, "staging " + name + ": " + strerror(err));
        }
        off += w;
      }
    }
    close(fd);
    m.digest = hash.digest();
    staged.members[name] = std::move(m);
  }
  return ok_result();
}

Result<Member*> member(Staged& staged, std::string name_in, std::string_view what) {
  BOSUN_ASSIGN_OR_RETURN(std::string name, clean_name(name_in));
  for (int hops = 0; hops < 8; ++hops) {
    auto it = staged.members.find(name);
    if (it != staged.members.end()) return &it->second;
    auto link = staged.symlinks.find(name);
    if (link == staged.symlinks.end()) break;
    name = link->second;
  }
  return bad("image archive has no " + std::string(what) + " \"" + name_in + "\"");
}

Result<std::string> read_member(Member& m) {
  std::string out;
  int fd = open(m.staged.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error(ErrorCode::kInternal, "read staged member: " + std::string(strerror(errno)));
  char buf[1 << 16];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  return out;
}

// Moves a staged member into the store's blobs once; later uses of the same member are no-ops.
Result<void> commit(ImageStore& store, Member& m) {
  if (m.committed) return ok_result();
  BOSUN_RETURN_IF_ERROR(store.commit_blob_file(m.staged, m.digest));
  m.committed = true;
  return ok_result();
}

Result<std::vector<Image>> import_docker_archive(ImageStore& store, Staged& staged) {
  Member& manifest_member = staged.members.at("manifest.json");
  BOSUN_ASSIGN_OR_RETURN(std::string text, read_member(manifest_member));
  Json manifest = Json::parse(text, nullptr, false);
  if (!manifest.is_array()) return bad("image archive manifest.json is not a JSON list");
  std::vector<Image> out;
  for (const auto& entry : manifest) {
    if (!entry.is_object() || !entry.contains("Config") || !entry["Config"].is_string()) {
      return bad("image archive manifest.json entry has no Config");
    }
    BOSUN_ASSIGN_OR_RETURN(Member * config,
                           member(staged, entry["Config"].get<std::string>(), "config"));
    BOSUN_ASSIGN_OR_RETURN(std::string config_text, read_member(*config));
    BOSUN_ASSIGN_OR_RETURN(ImageConfig parsed, parse_image_config(config_text));
    const Json& layer_names = entry.contains("Layers") ? entry["Layers"] : Json::array();
    if (!layer_names.is_array() || layer_names.size() != parsed.diff_ids.size()) {
      return bad("image archive entry " + config->digest + " lists " +
                 std::to_string(layer_names.is_array() ? layer_names.size() : 0) +
                 " layers but its config has " + std::to_string(parsed.diff_ids.size()) +
                 " diff IDs");
    }
    std::vector<std::string> names;
    if (entry.contains("RepoTags") && entry["RepoTags"].is_array()) {
      for (const auto& t : entry["RepoTags"]) {
        if (t.is_string()) names.push_back(t.get<std::string>());
      }
    }
    if (names.empty()) {
      return bad("image " + config->digest +
                 " in the archive has no RepoTags; tag it before saving");
    }
    Json layers = Json::array();
    for (size_t i = 0; i < layer_names.size(); ++i) {
      if (!layer_names[i].is_string()) return bad("image archive layer names must be strings");
      BOSUN_ASSIGN_OR_RETURN(Member * layer,
                             member(staged, layer_names[i].get<std::string>(), "layer"));
      // An uncompressed layer is its own diff; catching a mismatch here names the broken file.
      if (!layer->gzip && layer->digest != parsed.diff_ids[i]) {
        return bad("layer " + layer_names[i].get<std::string>() + " has digest " + layer->digest +
                   ", but the image config says " + parsed.diff_ids[i]);
      }
      layers.push_back(
          {{"mediaType", layer->gzip ? kMediaTypeDockerLayerGzip : kMediaTypeDockerLayer},
           {"digest", layer->digest},
           {"size", layer->size}});
      BOSUN_RETURN_IF_ERROR(commit(store, *layer));
    }
    BOSUN_RETURN_IF_ERROR(commit(store, *config));
    Json m = {{"schemaVersion", 2},
              {"mediaType", kMediaTypeDockerManifest},
              {"config",
               {{"mediaType", kMediaTypeDockerConfig},
                {"digest", config->digest},
                {"size", config->size}}},
              {"layers", layers}};
    std::string m_text = m.dump();
    BOSUN_ASSIGN_OR_RETURN(std::string m_digest, store.write_blob(m_text));
    Descriptor target{std::string(kMediaTypeDockerManifest),
                      m_digest,
                      static_cast<int64_t>(m_text.size()),
                      {},
                      {}};
    for (const auto& name : names) {
      BOSUN_ASSIGN_OR_RETURN(Image image, store.put_image(name, target));
      out.push_back(std::move(image));
    }
  }
  return out;
}

Result<std::vector<Image>> import_oci_archive(ImageStore& store, Staged& staged,
                                              const ImportOptions& options) {
  BOSUN_ASSIGN_OR_RETURN(Member * layout, member(staged, "oci-layout", "oci-layout file"));
  BOSUN_ASSIGN_OR_RETURN(std::string layout_text, read_member(*layout));
  Json layout_json = Json::parse(layout_text, nullptr, false);
  if (!layout_json.is_object() || layout_json.value("imageLayoutVersion", "") != "1.0.0") {
    return bad("image archive oci-layout is not imageLayoutVersion 1.0.0");
  }
  // Every blob is checked against its name on the way in; unreferenced ones are collected later.
  for (auto& [name, m] : staged.members) {
    if (!name.starts_with("blobs/")) continue;
    std::string digest = name.substr(6);
    size_t slash = digest.find('/');
    if (slash == std::string::npos) continue;
    digest[slash] = ':';
    if (m.digest != digest) {
      return bad("image archive blob " + name + " has digest " + m.digest);
    }
  }
  auto blob = [&](const std::string& digest) -> Result<std::string> {
    BOSUN_ASSIGN_OR_RETURN(std::string hex, sha256_hex(digest));
    BOSUN_ASSIGN_OR_RETURN(Member * m, member(staged, "blobs/sha256/" + hex, "blob"));
    return read_member(*m);
  };
  auto commit_blob = [&](const std::string& digest) -> Result<void> {
    BOSUN_ASSIGN_OR_RETURN(std::string hex, sha256_hex(digest));
    BOSUN_ASSIGN_OR_RETURN(Member * m, member(staged, "blobs/sha256/" + hex, "blob"));
    return commit(store, *m);
  };
  BOSUN_ASSIGN_OR_RETURN(Member * index_member, member(staged, "index.json", "index.json"));
  BOSUN_ASSIGN_OR_RETURN(std::string index_text, read_member(*index_member));
  BOSUN_ASSIGN_OR_RETURN(ImageIndex index, parse_image_index(index_text));
  std::vector<Image> out;
  for (const auto& top : index.manifests) {
    std::string name;
    if (auto it = top.annotations.find(std::string(kAnnotationImageName));
        it != top.annotations.end()) {
      name = it->second;
    } else if (auto ref = top.annotations.find(std::string(kAnnotationRefName));
               ref != top.annotations.end()) {
      if (ref->second.find_first_of("/:@") != std::string::npos) {
        name = ref->second;
      } else if (!options.base_name.empty()) {
        name = options.base_name + ":" + ref->second;
      } else {
        return bad("image archive names an image only by the tag \"" + ref->second +
                   "\"; give a base name");
      }
    } else {
      return bad("image archive entry " + top.digest + " has no name annotation");
    }
    Descriptor target = top;
    if (is_index_media_type(top.media_type)) {
      BOSUN_ASSIGN_OR_RETURN(std::string nested_text, blob(top.digest));
      BOSUN_ASSIGN_OR_RETURN(ImageIndex nested, parse_image_index(nested_text));
      const Descriptor* pick = select_platform(nested, options.os, options.architecture);
      if (!pick) {
        return bad("image " + name + " has no manifest for " + options.os + "/" +
                   options.architecture);
      }
      target = *pick;
    }
    BOSUN_ASSIGN_OR_RETURN(std::string manifest_text, blob(target.digest));
    BOSUN_ASSIGN_OR_RETURN(ImageManifest manifest, parse_image_manifest(manifest_text));
    if (target.media_type.empty()) target.media_type = manifest.media_type;
    BOSUN_RETURN_IF_ERROR(commit_blob(manifest.config.digest));
    for (const auto& l : manifest.layers) BOSUN_RETURN_IF_ERROR(commit_blob(l.digest));
    BOSUN_RETURN_IF_ERROR(commit_blob(target.digest));
    BOSUN_ASSIGN_OR_RETURN(Image image, store.put_image(name, target));
    out.push_back(std::move(image));
  }
  return out;
}

}  // namespace

Result<std::vector<Image>> import_image_archive(ImageStore& store, const fs::path& archive_path,
                                                const ImportOptions& options) {
  BOSUN_ASSIGN_OR_RETURN(auto lease, store.lease());
  BOSUN_ASSIGN_OR_RETURN(fs::path dir, store.make_ingest_dir());
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(dir, ec);
    }
  } cleanup{dir};
  Staged staged;
  staged.dir = dir;
  BOSUN_RETURN_IF_ERROR(stage_archive(archive_path, staged));
  Result<std::vector<Image>> images = std::vector<Image>{};
  if (staged.members.count("manifest.json")) {
    images = import_docker_archive(store, staged);
  } else if (staged.members.count("index.json")) {
    images = import_oci_archive(store, staged, options);
  } else {
    return bad(archive_path.string() +
               " is not a docker-archive or an OCI image archive (no manifest.json or index.json)");
  }
  if (!images.ok()) return images;
  if (options.unpack) {
    for (const auto& image : *images) BOSUN_RETURN_IF_ERROR(store.unpack(image));
  }
  return images;
}

}  // namespace bosun::runtime
