#include "runtime/image_testlib.h"

#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "common/check.h"
#include "runtime/image_digest.h"

namespace bosun::runtime::testing {
namespace {

namespace fs = std::filesystem;

la_ssize_t append_cb(archive*, void* client, const void* buf, size_t size) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), size);
  return static_cast<la_ssize_t>(size);
}

struct Writer {
  archive* a;
  std::string out;
  explicit Writer(bool gzip) : a(archive_write_new()) {
    archive_write_set_format_pax_restricted(a);
    if (gzip) archive_write_add_filter_gzip(a);
    archive_write_set_bytes_in_last_block(a, 1);
    BOSUN_CHECK(archive_write_open(a, &out, nullptr, append_cb, nullptr) == ARCHIVE_OK,
                "archive_write_open");
  }
  void add(const LayerEntry& e) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_uid(entry, e.uid);
    archive_entry_set_gid(entry, e.gid);
    archive_entry_set_mtime(entry, 1700000000, 0);
    unsigned type = AE_IFREG;
    switch (e.type) {
      case 'd':
        type = AE_IFDIR;
        break;
      case 'l':
        type = AE_IFLNK;
        archive_entry_set_symlink(entry, e.link.c_str());
        break;
      case 'h':
        archive_entry_set_hardlink(entry, e.link.c_str());
        break;
      case 'c':
        type = AE_IFCHR;
        archive_entry_set_rdev(entry, makedev(e.devmajor, e.devminor));
        break;
      default:
        break;
    }
    archive_entry_set_filetype(entry, type);
    archive_entry_set_perm(entry, e.mode);
    for (const auto& [k, v] : e.xattrs)
      archive_entry_xattr_add_entry(entry, k.c_str(), v.data(), v.size());
    if (e.type == 'f') archive_entry_set_size(entry, static_cast<la_int64_t>(e.data.size()));
    BOSUN_CHECK(archive_write_header(a, entry) == ARCHIVE_OK, archive_error_string(a));
    if (e.type == 'f' && !e.data.empty()) {
      BOSUN_CHECK(archive_write_data(a, e.data.data(), e.data.size()) ==
                      static_cast<la_ssize_t>(e.data.size()),
                  "archive_write_data");
    }
    archive_entry_free(entry);
  }
  std::string finish() {
    archive_write_close(a);
    archive_write_free(a);
    a = nullptr;
    return std::move(out);
  }
};

std::string read_whole(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string hex_of(const std::string& digest) { return digest.substr(7); }

Json config_for(const std::vector<std::string>& diff_ids, const BusyboxImageOptions& o) {
  Json cfg = Json::object();
  cfg["Env"] = o.env;
  if (!o.cmd.empty()) cfg["Cmd"] = o.cmd;
  if (!o.entrypoint.empty()) cfg["Entrypoint"] = o.entrypoint;
  if (!o.working_dir.empty()) cfg["WorkingDir"] = o.working_dir;
  if (!o.user.empty()) cfg["User"] = o.user;
  if (!o.stop_signal.empty()) cfg["StopSignal"] = o.stop_signal;
  if (!o.exposed_ports.empty()) {
    Json ports = Json::object();
    for (const auto& p : o.exposed_ports) ports[p] = Json::object();
    cfg["ExposedPorts"] = ports;
  }
  return {{"architecture", "amd64"},
          {"os", "linux"},
          {"created", "2023-11-14T22:13:20Z"},
          {"config", cfg},
          {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
          {"history", Json::array({{{"created_by", "bosun image_testlib"}}})}};
}

}  // namespace

const std::vector<std::string>& busybox_applets() {
  static const std::vector<std::string> kApplets = {
      "sh",      "ash",      "ls",       "cat",     "sleep",    "echo",     "wget",  "nc",
      "httpd",   "true",     "false",    "id",      "env",      "ps",       "mkdir", "rm",
      "touch",   "hostname", "kill",     "grep",    "head",     "tail",     "test",  "printf",
      "date",    "wc",       "tee",      "mount",   "stat",     "readlink", "pwd",   "cp",
      "mv",      "ln",       "chmod",    "chown",   "df",       "du",       "find",  "sed",
      "awk",     "sort",     "seq",      "uname",   "whoami",   "dd",       "yes",   "xargs",
      "cut",     "tr",       "basename", "dirname", "nslookup", "ping",     "ip",    "ifconfig",
      "netstat", "top",      "free",     "sync",    "mknod",    "umount",   "vi"};
  return kApplets;
}

bool busybox_available() { return access(kBusyboxPath, X_OK) == 0; }

std::string make_layer_tar(const std::vector<LayerEntry>& entries, bool gzip) {
  Writer w(gzip);
  for (const auto& e : entries) w.add(e);
  return w.finish();
}

std::string make_archive(const std::vector<std::pair<std::string, std::string>>& files) {
  Writer w(false);
  for (const auto& [name, data] : files) {
    w.add(LayerEntry{.path = name, .type = 'f', .data = data});
  }
  return w.finish();
}

std::vector<LayerEntry> busybox_layer_entries() {
  std::vector<LayerEntry> e;
  for (const char* d :
       {"bin", "etc", "proc", "sys", "dev", "var", "home", "root", "usr", "usr/bin"}) {
    e.push_back({.path = d, .type = 'd', .mode = 0755});
  }
  e.push_back({.path = "root", .type = 'd', .mode = 0700});
  e.push_back({.path = "tmp", .type = 'd', .mode = 01777});
  e.push_back({.path = "bin/busybox", .type = 'f', .data = read_whole(kBusyboxPath), .mode = 0755});
  for (const auto& applet : busybox_applets()) {
    e.push_back({.path = "bin/" + applet, .type = 'l', .link = "busybox", .mode = 0777});
  }
  e.push_back({.path = "usr/bin/env", .type = 'l', .link = "/bin/busybox", .mode = 0777});
  e.push_back(
      {.path = "etc/passwd",
       .data = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n"});
  e.push_back({.path = "etc/group", .data = "root:x:0:\nnogroup:x:65534:\n"});
  return e;
}

std::string TestImage::manifest(bool docker) const {
  std::string cfg = config_bytes();
  Json layers_json = Json::array();
  for (const auto& l : layers) {
    std::string_view type = docker ? (gzip ? kMediaTypeDockerLayerGzip : kMediaTypeDockerLayer)
                                   : (gzip ? kMediaTypeOciLayerGzip : kMediaTypeOciLayer);
    layers_json.push_back({{"mediaType", type},
                           {"digest", sha256_digest(l)},
                           {"size", static_cast<int64_t>(l.size())}});
  }
  Json m = {{"schemaVersion", 2},
            {"mediaType", docker ? kMediaTypeDockerManifest : kMediaTypeOciManifest},
            {"config",
             {{"mediaType", docker ? kMediaTypeDockerConfig : kMediaTypeOciConfig},
              {"digest", sha256_digest(cfg)},
              {"size", static_cast<int64_t>(cfg.size())}}},
            {"layers", layers_json}};
  return m.dump();
}

TestImage image_of_layers(const std::vector<std::vector<LayerEntry>>& layers, bool gzip) {
  BusyboxImageOptions o;
  o.gzip = gzip;
  TestImage image;
  image.gzip = gzip;
  for (const auto& entries : layers) {
    std::string plain = make_layer_tar(entries, false);
    image.diff_ids.push_back(sha256_digest(plain));
    image.layers.push_back(gzip ? make_layer_tar(entries, true) : plain);
  }
  image.config = config_for(image.diff_ids, o);
  image.repo_tags = o.repo_tags;
  return image;
}

TestImage busybox_image(const BusyboxImageOptions& o) {
  std::vector<std::vector<LayerEntry>> layers = {busybox_layer_entries()};
  for (const auto& extra : o.extra_layers) layers.push_back(extra);
  TestImage image = image_of_layers(layers, o.gzip);
  image.config = config_for(image.diff_ids, o);
  image.repo_tags = o.repo_tags;
  return image;
}

std::string docker_archive(const std::vector<TestImage>& images, DockerArchiveLayout layout) {
  std::vector<std::pair<std::string, std::string>> files;
  Json manifest = Json::array();
  Json index_manifests = Json::array();
  std::set<std::string> written;
  auto add_once = [&](const std::string& name, const std::string& data) {
    if (written.insert(name).second) files.emplace_back(name, data);
  };
  for (const auto& image : images) {
    std::string cfg = image.config_bytes();
    std::string cfg_hex = hex_of(sha256_digest(cfg));
    Json entry = Json::object();
    Json layer_names = Json::array();
    if (layout == DockerArchiveLayout::kLegacy) {
      entry["Config"] = cfg_hex + ".json";
      add_once(cfg_hex + ".json", cfg);
      for (size_t i = 0; i < image.layers.size(); ++i) {
        std::string id = hex_of(sha256_digest(image.diff_ids[i] + cfg_hex));
        add_once(id + "/VERSION", "1.0");
        add_once(id + "/layer.tar", image.layers[i]);
        layer_names.push_back(id + "/layer.tar");
      }
    } else {
      entry["Config"] = "blobs/sha256/" + cfg_hex;
      add_once("blobs/sha256/" + cfg_hex, cfg);
      for (const auto& l : image.layers) {
        std::string name = "blobs/sha256/" + hex_of(sha256_digest(l));
        add_once(name, l);
        layer_names.push_back(name);
      }
      std::string m = image.manifest(/*docker_media_types=*/false);
      add_once("blobs/sha256/" + hex_of(sha256_digest(m)), m);
      Json desc = {{"mediaType", kMediaTypeOciManifest},
                   {"digest", sha256_digest(m)},
                   {"size", static_cast<int64_t>(m.size())}};
      if (!image.repo_tags.empty()) {
        desc["annotations"] = {
            {"io.containerd.image.name", "docker.io/library/" + image.repo_tags[0]},
            {"org.opencontainers.image.ref.name", "latest"}};
      }
      index_manifests.push_back(desc);
    }
    entry["RepoTags"] = image.repo_tags.empty() ? Json(nullptr) : Json(image.repo_tags);
    entry["Layers"] = layer_names;
    manifest.push_back(entry);
  }
  files.emplace_back("manifest.json", manifest.dump());
  if (layout == DockerArchiveLayout::kOciBlobs) {
    files.emplace_back("oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    files.emplace_back("index.json", Json({{"schemaVersion", 2},
                                           {"mediaType", kMediaTypeOciIndex},
                                           {"manifests", index_manifests}})
                                         .dump());
  }
  return make_archive(files);
}

std::string oci_archive(const std::vector<TestImage>& images,
                        const std::vector<std::string>& names) {
  std::vector<std::pair<std::string, std::string>> files;
  std::set<std::string> written;
  auto add_blob = [&](const std::string& data) {
    std::string name = "blobs/sha256/" + hex_of(sha256_digest(data));
    if (written.insert(name).second) files.emplace_back(name, data);
  };
  Json manifests = Json::array();
  for (size_t i = 0; i < images.size(); ++i) {
    const TestImage& image = images[i];
    for (const auto& l : image.layers) add_blob(l);
    add_blob(image.config_bytes());
    std::string m = image.manifest();
    add_blob(m);
    Json desc = {{"mediaType", kMediaTypeOciManifest},
                 {"digest", sha256_digest(m)},
                 {"size", static_cast<int64_t>(m.size())},
                 {"platform", {{"os", "linux"}, {"architecture", "amd64"}}}};
    if (i < names.size() && !names[i].empty()) {
      std::string tag = names[i].substr(names[i].rfind(':') + 1);
      desc["annotations"] = {{"io.containerd.image.name", names[i]},
                             {"org.opencontainers.image.ref.name", tag}};
    }
    manifests.push_back(desc);
  }
  files.insert(files.begin(), {"oci-layout", R"({"imageLayoutVersion":"1.0.0"})"});
  files.emplace_back(
      "index.json",
      Json({{"schemaVersion", 2}, {"mediaType", kMediaTypeOciIndex}, {"manifests", manifests}})
          .dump());
  return make_archive(files);
}

Result<Image> store_image(ImageStore& store, const TestImage& image, std::string_view name,
                          bool unpack) {
  BOSUN_ASSIGN_OR_RETURN(auto lease, store.lease());
  for (const auto& l : image.layers) BOSUN_RETURN_IF_ERROR(store.write_blob(l));
  BOSUN_RETURN_IF_ERROR(store.write_blob(image.config_bytes()));
  std::string m = image.manifest();
  BOSUN_ASSIGN_OR_RETURN(std::string digest, store.write_blob(m));
  Descriptor d{std::string(kMediaTypeOciManifest), digest, static_cast<int64_t>(m.size()), {}, {}};
  BOSUN_ASSIGN_OR_RETURN(Image stored, store.put_image(name, d));
  if (unpack) BOSUN_RETURN_IF_ERROR(store.unpack(stored));
  return stored;
}

Result<Image> add_busybox_image(ImageStore& store, std::string_view name,
                                const BusyboxImageOptions& options) {
  return store_image(store, busybox_image(options), name, true);
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "bosun-image-test-XXXXXX").string();
  BOSUN_CHECK(mkdtemp(tmpl.data()) != nullptr, "mkdtemp");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

Result<void> write_file(const fs::path& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  out.close();
  if (!out) return make_error(ErrorCode::kInternal, "cannot write " + path.string());
  return ok_result();
}

}  // namespace bosun::runtime::testing
