#include "runtime/registry_client.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>

#include "common/json.h"
#include "runtime/image_digest.h"
#include "runtime/image_manifest.h"
#include "runtime/libcurl.h"
#include "runtime/reference.h"

namespace bosun::runtime {
namespace {

namespace fs = std::filesystem;

// Media types the puller understands, in the order a registry should prefer them.
constexpr const char* kManifestAccept =
    "Accept: application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json, "
    "application/vnd.oci.image.manifest.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json";
constexpr size_t kMaxManifestBytes = 4 << 20;  // containerd's limit for manifests and indexes

struct CurlDeleter {
  const Libcurl* lib;
  void operator()(CURL* c) const { lib->easy_cleanup(c); }
};
struct SlistDeleter {
  const Libcurl* lib;
  void operator()(curl_slist* l) const { lib->slist_free_all(l); }
};

struct Response {
  long status = 0;
  std::map<std::string, std::string> headers;  // lowercased names; the last value wins
  std::vector<std::string> challenges;         // every WWW-Authenticate value
  std::string body;
};

// Where a response body goes: memory (manifests, tokens) or a file being hashed (blobs).
struct Sink {
  std::string* memory = nullptr;
  size_t memory_limit = kMaxManifestBytes;
  int fd = -1;
  Sha256* hash = nullptr;
  int64_t written = 0;
  bool too_big = false;
  bool write_failed = false;
  std::function<void(int64_t)> on_bytes;
  long status = 0;  // only 2xx bodies are kept
};

size_t header_cb(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<Response*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    // A new response (after a redirect or 100-continue): forget the previous headers.
    r->headers.clear();
    r->challenges.clear();
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon != std::string_view::npos) {
    std::string name(line.substr(0, colon));
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
      value.remove_prefix(1);
    while (!value.empty() &&
           (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
      value.remove_suffix(1);
    }
    if (name == "www-authenticate") r->challenges.emplace_back(value);
    r->headers[name] = std::string(value);
  }
  return size * n;
}

size_t write_cb(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<Sink*>(user);
  size_t len = size * n;
  if (s->fd < 0 || !s->hash) {
    if (s->memory->size() + len > s->memory_limit) {
      s->too_big = true;
      return 0;
    }
    s->memory->append(data, len);
    return len;
  }
  for (size_t off = 0; off < len;) {
    ssize_t w = ::write(s->fd, data + off, len - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      s->write_failed = true;
      return 0;
    }
    off += static_cast<size_t>(w);
  }
  s->hash->update(data, len);
  s->written += static_cast<int64_t>(len);
  if (s->on_bytes) s->on_bytes(s->written);
  return len;
}

Error unreachable(const std::string& url, const char* why) {
  return make_error(ErrorCode::kServiceUnavailable,
                    "failed to do request: Get \"" + url + "\": " + why);
}

class RegistrySession {
 public:
  RegistrySession(const Libcurl& lib, const ImageReference& ref, const PullOptions& options)
      : lib_(lib), ref_(ref), options_(options), curl_(lib.easy_init(), CurlDeleter{&lib}) {
    std::string host = registry_host(ref);
    base_ = (registry_uses_plain_http(host, options.insecure_registries) ? "http://" : "https://") +
            host + "/v2/" + ref.path;
    credentials_ = find_credentials(options.credentials, ref);
  }

  const std::string& base() const { return base_; }

  // GET with the session's authorization; on a 401, answers the challenge once and retries.
  Result<Response> get(const std::string& url, const char* accept, Sink* file_sink) {
    BOSUN_ASSIGN_OR_RETURN(Response r, get_once(url, accept, file_sink));
    if (r.status != 401) return r;
    BOSUN_RETURN_IF_ERROR(answer_challenge(r));
    return get_once(url, accept, file_sink);
  }

 private:
  Result<Response> get_once(const std::string& url, const char* accept, Sink* file_sink,
                            const std::string& authorization_override = "") {
    CURL* c = curl_.get();
    lib_.easy_reset(c);
    Response r;
    Sink memory_sink;
    memory_sink.memory = &r.body;
    Sink* sink = file_sink ? file_sink : &memory_sink;
    std::unique_ptr<curl_slist, SlistDeleter> headers(nullptr, SlistDeleter{&lib_});
    auto add = [&](const std::string& h) {
      headers.reset(lib_.slist_append(headers.release(), h.c_str()));
    };
    if (accept) add(accept);
    std::string auth = authorization_override.empty() ? authorization_ : authorization_override;
    if (!auth.empty()) add("Authorization: " + auth);
    lib_.easy_setopt(c, CURLOPT_URL, url.c_str());
    lib_.easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    lib_.easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    lib_.easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    lib_.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    lib_.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    lib_.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_seconds);
    lib_.easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    lib_.easy_setopt(c, CURLOPT_LOW_SPEED_TIME, options_.stall_timeout_seconds);
    lib_.easy_setopt(c, CURLOPT_USERAGENT, "bosun/1 (containerd-compatible)");
    if (!options_.ca_file.empty()) lib_.easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
    lib_.easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
    lib_.easy_setopt(c, CURLOPT_HEADERDATA, &r);
    // Error bodies go to memory whatever the sink, so that a 401's body never lands in a blob.
    struct Router {
      Sink* ok;
      Sink* err;
      Response* r;
      CURL* c;
      const Libcurl* lib;
    } router{sink, &memory_sink, &r, c, &lib_};
    lib_.easy_setopt(
        c, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* u) -> size_t {
          auto* rt = static_cast<Router*>(u);
          long code = 0;
          rt->lib->easy_getinfo(rt->c, CURLINFO_RESPONSE_CODE, &code);
          return write_cb(d, s, n, code >= 200 && code < 300 ? rt->ok : rt->err);
        });
    lib_.easy_setopt(c, CURLOPT_WRITEDATA, &router);
    CURLcode rc = lib_.easy_perform(c);
    if (sink->too_big || memory_sink.too_big) {
      return make_error(ErrorCode::kBadRequest, "response from " + url + " is larger than 4 MiB");
    }
    if (sink->write_failed) {
      return make_error(ErrorCode::kInternal, "writing download: " + std::string(strerror(errno)));
    }
    if (rc != CURLE_OK) return unreachable(url, lib_.easy_strerror(rc));
    lib_.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    return r;
  }

  Result<void> answer_challenge(const Response& r) {
    std::vector<AuthChallenge> challenges;
    for (const auto& value : r.challenges) {
      for (auto& c : parse_www_authenticate(value)) challenges.push_back(std::move(c));
    }
    for (const auto& ch : challenges) {
      if (ch.scheme == "bearer") return fetch_token(ch);
    }
    for (const auto& ch : challenges) {
      if (ch.scheme != "basic") continue;
      if (credentials_ && authorization_.empty()) {
        authorization_ =
            "Basic " + base64_encode(credentials_->username + ":" + credentials_->password);
        return ok_result();
      }
      // containerd's authorizer words a basic challenge it has nothing for this way, and the
      // kubelet shows it as is: the phrase users search for.
      if (!credentials_) {
        return make_error(ErrorCode::kUnauthorized,
                          "pull access denied, repository does not exist or may require "
                          "authorization: authorization failed: no basic auth credentials");
      }
    }
    return access_denied(r);
  }

  Error access_denied(const Response& r) {
    std::string server_message;
    Json body = Json::parse(r.body, nullptr, false);
    if (body.is_object() && body.contains("errors") && body["errors"].is_array() &&
        !body["errors"].empty() && body["errors"][0].is_object()) {
      const Json& e = body["errors"][0];
      server_message =
          ": server message: " + lower_code(e.value("code", "")) + ": " + e.value("message", "");
    }
    return make_error(ErrorCode::kUnauthorized,
                      "pull access denied, repository does not exist or may require authorization" +
                          server_message);
  }

  static std::string lower_code(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }

  // The token flow of the distribution spec ("Token Authentication Specification"): ask the realm
  // for a pull token on this repository, with basic credentials when we have them.
  Result<void> fetch_token(const AuthChallenge& ch) {
    auto realm = ch.params.find("realm");
    if (realm == ch.params.end()) {
      return make_error(ErrorCode::kUnauthorized, "bearer challenge without a realm");
    }
    CURL* c = curl_.get();
    std::string url = realm->second;
    std::string sep = url.find('?') == std::string::npos ? "?" : "&";
    auto escape = [&](const std::string& v) {
      char* e = lib_.easy_escape(c, v.c_str(), static_cast<int>(v.size()));
      std::string out = e ? e : "";
      lib_.free(e);
      return out;
    };
    if (auto s = ch.params.find("service"); s != ch.params.end()) {
      url += sep + "service=" + escape(s->second);
      sep = "&";
    }
    std::string scope = "repository:" + ref_.path + ":pull";
    if (auto s = ch.params.find("scope"); s != ch.params.end() && !s->second.empty())
      scope = s->second;
    url += sep + "scope=" + escape(scope);
    std::string basic;
    if (credentials_) {
      basic = "Basic " + base64_encode(credentials_->username + ":" + credentials_->password);
    }
    BOSUN_ASSIGN_OR_RETURN(Response tr, get_once(url, "Accept: application/json", nullptr, basic));
    if (tr.status == 401 || tr.status == 403) return access_denied(tr);
    if (tr.status != 200) {
      return make_error(ErrorCode::kUnauthorized,
                        "failed to fetch anonymous token: unexpected status from GET request to " +
                            realm->second + ": " + std::to_string(tr.status));
    }
    Json body = Json::parse(tr.body, nullptr, false);
    std::string token;
    if (body.is_object()) {
      token = body.value("token", "");
      if (token.empty()) token = body.value("access_token", "");
    }
    if (token.empty())
      return make_error(ErrorCode::kUnauthorized, "token server returned no token");
    authorization_ = "Bearer " + token;
    return ok_result();
  }

  const Libcurl& lib_;
  ImageReference ref_;
  const PullOptions& options_;
  std::unique_ptr<CURL, CurlDeleter> curl_;
  std::string base_;
  std::optional<RegistryCredentials> credentials_;
  std::string authorization_;
};

Error status_error(const std::string& ref, const std::string& what, const Response& r) {
  if (r.status == 404) return make_error(ErrorCode::kNotFound, ref + ": not found");
  if (r.status == 401 || r.status == 403) {
    return make_error(ErrorCode::kUnauthorized,
                      "pull access denied, repository does not exist or may require authorization");
  }
  return make_error(ErrorCode::kServiceUnavailable, "unexpected status from GET request to " +
                                                        what + ": " + std::to_string(r.status));
}

// The manifest (or index) a reference names, its digest checked.
struct Fetched {
  std::string body;
  std::string media_type;
  std::string digest;
};

Result<Fetched> fetch_manifest(RegistrySession& session, const std::string& ref_text,
                               const std::string& reference, const std::string& expected_digest) {
  std::string url = session.base() + "/manifests/" + reference;
  BOSUN_ASSIGN_OR_RETURN(Response r, session.get(url, kManifestAccept, nullptr));
  if (r.status != 200) return status_error(ref_text, url, r);
  Fetched f;
  f.body = std::move(r.body);
  f.digest = sha256_digest(f.body);
  if (!expected_digest.empty() && f.digest != expected_digest) {
    return make_error(ErrorCode::kBadRequest, "manifest " + reference +
                                                  ": digest mismatch: expected " + expected_digest +
                                                  ", got " + f.digest);
  }
  if (auto h = r.headers.find("docker-content-digest");
      h != r.headers.end() && expected_digest.empty() && h->second.starts_with("sha256:") &&
      h->second != f.digest) {
    return make_error(ErrorCode::kBadRequest, "manifest " + reference +
                                                  ": digest mismatch: registry says " + h->second +
                                                  ", content is " + f.digest);
  }
  f.media_type = sniff_media_type(f.body);
  if (f.media_type.empty()) {
    auto ct = r.headers.find("content-type");
    if (ct != r.headers.end()) f.media_type = ct->second.substr(0, ct->second.find(';'));
  }
  return f;
}

}  // namespace

std::string registry_host(const ImageReference& ref) {
  // Docker Hub's API lives on registry-1.docker.io, as containerd's docker resolver maps it.
  return ref.domain == "docker.io" ? "registry-1.docker.io" : ref.domain;
}

bool registry_uses_plain_http(std::string_view host, const std::vector<std::string>& insecure) {
  for (const auto& entry : insecure) {
    if (entry == host) return true;
    // "host" also covers every port of it, as containerd's host configuration does for plain names.
    if (entry.find(':') == std::string::npos && host.starts_with(entry) &&
        host.size() > entry.size() && host[entry.size()] == ':') {
      return true;
    }
  }
  std::string_view address = host;
  if (size_t colon = address.rfind(':');
      colon != std::string_view::npos && address.find(']') == std::string_view::npos) {
    address = address.substr(0, colon);
  }
  in_addr a{};
  if (inet_pton(AF_INET, std::string(address).c_str(), &a) == 1) {
    return (ntohl(a.s_addr) >> 24) == 127;
  }
  return false;
}

Result<Image> pull_image(ImageStore& store, std::string_view reference,
                         const PullOptions& options) {
  BOSUN_ASSIGN_OR_RETURN(ImageReference ref, parse_image_reference(reference));
  std::string name = ref.docker_ref();
  auto wrap = [&](Error e) {
    e.message = "failed to resolve reference \"" + name + "\": " + e.message;
    return e;
  };
  auto report = [&](const PullProgress& p) {
    if (options.progress) options.progress(p);
  };
  BOSUN_ASSIGN_OR_RETURN(auto lease, store.lease());
  // libcurl is loaded by the first pull, not at start-up (libcurl.h says why).
  BOSUN_ASSIGN_OR_RETURN(const Libcurl* curl, libcurl());
  RegistrySession session(*curl, ref, options);
  report({});
  auto top = fetch_manifest(session, name, ref.digest.empty() ? ref.tag : ref.digest, ref.digest);
  if (!top.ok()) return wrap(top.error());
  Fetched manifest_doc = std::move(*top);
  if (is_index_media_type(manifest_doc.media_type)) {
    BOSUN_RETURN_IF_ERROR(store.write_blob(manifest_doc.body, manifest_doc.digest));
    BOSUN_ASSIGN_OR_RETURN(ImageIndex index, parse_image_index(manifest_doc.body));
    const Descriptor* pick = select_platform(index, options.os, options.architecture);
    if (!pick) {
      return make_error(ErrorCode::kNotFound,
                        "failed to pull and unpack image \"" + name +
                            "\": no match for platform in manifest: not found");
    }
    auto platform = fetch_manifest(session, name, pick->digest, pick->digest);
    if (!platform.ok()) return wrap(platform.error());
    manifest_doc = std::move(*platform);
  }
  if (!is_manifest_media_type(manifest_doc.media_type)) {
    return make_error(ErrorCode::kBadRequest, "unsupported manifest media type \"" +
                                                  manifest_doc.media_type + "\" for " + name);
  }
  BOSUN_ASSIGN_OR_RETURN(ImageManifest manifest, parse_image_manifest(manifest_doc.body));

  // Config and layers, skipping what the store already holds (layers shared with other images).
  std::vector<Descriptor> blobs = {manifest.config};
  blobs.insert(blobs.end(), manifest.layers.begin(), manifest.layers.end());
  PullProgress progress;
  progress.phase = PullProgress::Phase::kDownloading;
  progress.layers_total = static_cast<int>(manifest.layers.size());
  for (size_t i = 0; i < blobs.size(); ++i) {
    const Descriptor& d = blobs[i];
    if (!store.has_blob(d.digest)) {
      BOSUN_ASSIGN_OR_RETURN(fs::path dir, store.make_ingest_dir());
      fs::path file = dir / "blob";
      int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0)
        return make_error(ErrorCode::kInternal, "create " + file.string() + ": " + strerror(errno));
      Sha256 hash;
      Sink sink;
      sink.fd = fd;
      sink.hash = &hash;
      progress.digest = d.digest;
      progress.bytes_total = d.size;
      int64_t last_report = 0;
      sink.on_bytes = [&](int64_t done) {
        progress.bytes_done = done;
        if (done - last_report >= (256 << 10)) {
          last_report = done;
          report(progress);
        }
      };
      std::string url = session.base() + "/blobs/" + d.digest;
      auto r = session.get(url, nullptr, &sink);
      close(fd);
      auto fail = [&](Error e) {
        std::error_code ec;
        fs::remove_all(dir, ec);
        return e;
      };
      if (!r.ok()) return fail(r.error());
      if (r->status != 200) return fail(status_error(name, url, *r));
      std::string got = hash.digest();
      if (got != d.digest) {
        return fail(make_error(ErrorCode::kBadRequest, "failed to pull and unpack image \"" + name +
                                                           "\": blob " + d.digest +
                                                           ": digest mismatch: got " + got));
      }
      auto committed = store.commit_blob_file(file, d.digest);
      std::error_code ec;
      fs::remove_all(dir, ec);
      if (!committed.ok()) return committed.error();
      report(progress);
    }
    if (i > 0) ++progress.layers_done;
  }
  BOSUN_RETURN_IF_ERROR(store.write_blob(manifest_doc.body, manifest_doc.digest));
  Descriptor target{manifest.media_type,
                    manifest_doc.digest,
                    static_cast<int64_t>(manifest_doc.body.size()),
                    {},
                    {}};
  BOSUN_ASSIGN_OR_RETURN(Image image, store.put_image(name, target));
  if (options.unpack) {
    progress.phase = PullProgress::Phase::kUnpacking;
    report(progress);
    BOSUN_RETURN_IF_ERROR(store.unpack(image));
  }
  progress.phase = PullProgress::Phase::kDone;
  report(progress);
  return image;
}

}  // namespace bosun::runtime
