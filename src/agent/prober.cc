#include "agent/prober.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "common/openssl_init.h"

namespace bosun::agent {
namespace {

using Ms = std::chrono::milliseconds;
using SteadyTime = std::chrono::steady_clock::time_point;

// The kubelet keeps at most 10 KiB of a probe's output or response body.
constexpr size_t kMaxProbeOutput = 10 * 1024;
constexpr int kMaxRedirects = 10;
// kube-probe/<major>.<minor>: the API level Bosun follows (design §6).
constexpr const char* kProbeUserAgent = "kube-probe/1.33";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Go's syscall error strings are glibc's with a lower-case first letter.
std::string go_errno(int err) {
  std::string s = std::strerror(err);
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

std::string join_host_port(const std::string& host, int port) {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

int remaining_ms(SteadyTime deadline) {
  auto left = std::chrono::duration_cast<Ms>(deadline - std::chrono::steady_clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<int64_t>(left, 1 << 30));
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    reset();
    fd_ = std::exchange(o.fd_, -1);
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// Dials host:port from inside the namespace. Errors are worded as Go's net.Dial errors, which the
// kubelet passes through as the probe's output: "dial tcp 127.0.0.1:80: connect: connection
// refused", "dial tcp 10.0.0.1:80: i/o timeout".
Result<Fd> dial(const std::string& netns_path, const std::string& host, int port,
                SteadyTime deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res) {
    return make_error(ErrorCode::kInternal, "dial tcp: lookup " + host + ": no such host");
  }
  sockaddr_storage addr{};
  std::memcpy(&addr, res->ai_addr, res->ai_addrlen);
  socklen_t addr_len = res->ai_addrlen;
  int family = res->ai_family;
  ::freeaddrinfo(res);
  char ip[INET6_ADDRSTRLEN] = "";
  if (family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, ip, sizeof ip);
  } else {
    ::inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, ip, sizeof ip);
  }
  const std::string where = "dial tcp " + join_host_port(ip, port) + ": ";

  BOSUN_ASSIGN_OR_RETURN(int raw, open_socket_in_netns(netns_path, family, SOCK_STREAM));
  Fd fd(raw);
  ::fcntl(fd.get(), F_SETFL, ::fcntl(fd.get(), F_GETFL) | O_NONBLOCK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) {
    if (errno != EINPROGRESS) {
      return make_error(ErrorCode::kInternal, where + "connect: " + go_errno(errno));
    }
    pollfd p{fd.get(), POLLOUT, 0};
    int n;
    do {
      n = ::poll(&p, 1, remaining_ms(deadline));
    } while (n < 0 && errno == EINTR);
    if (n == 0) return make_error(ErrorCode::kTimeout, where + "i/o timeout");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return make_error(ErrorCode::kInternal, where + "connect: " + go_errno(err));
  }
  return fd;
}

// A plain or TLS byte stream over a non-blocking socket, every call bounded by the deadline.
class Stream {
 public:
  Stream(Fd fd, SteadyTime deadline) : fd_(std::move(fd)), deadline_(deadline) {}
  ~Stream() {
    if (ssl_) SSL_free(ssl_);
    if (ctx_) SSL_CTX_free(ctx_);
  }

  // TLS without certificate verification, as the kubelet's prober (InsecureSkipVerify).
  Result<void> start_tls(const std::string& server_name) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_) return make_error(ErrorCode::kInternal, "tls: cannot create a context");
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_.get());
    in6_addr a6;
    in_addr a4;
    if (inet_pton(AF_INET, server_name.c_str(), &a4) != 1 &&
        inet_pton(AF_INET6, server_name.c_str(), &a6) != 1) {
      SSL_set_tlsext_host_name(ssl_, server_name.c_str());
    }
    for (;;) {
      int r = SSL_connect(ssl_);
      if (r == 1) return ok_result();
      BOSUN_RETURN_IF_ERROR(wait_ssl(r, "tls handshake"));
    }
  }

  Result<void> write_all(std::string_view data) {
    size_t off = 0;
    while (off < data.size()) {
      if (ssl_) {
        int r = SSL_write(ssl_, data.data() + off, static_cast<int>(data.size() - off));
        if (r > 0) {
          off += static_cast<size_t>(r);
          continue;
        }
        BOSUN_RETURN_IF_ERROR(wait_ssl(r, "write"));
        continue;
      }
      ssize_t n = ::send(fd_.get(), data.data() + off, data.size() - off, MSG_NOSIGNAL);
      if (n > 0) {
        off += static_cast<size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        BOSUN_RETURN_IF_ERROR(wait(POLLOUT));
      } else {
        return make_error(ErrorCode::kInternal, "write: " + go_errno(errno));
      }
    }
    return ok_result();
  }

  // Bytes read (0 at end of stream).
  Result<size_t> read_some(char* buf, size_t cap) {
    for (;;) {
      if (ssl_) {
        int r = SSL_read(ssl_, buf, static_cast<int>(cap));
        if (r > 0) return static_cast<size_t>(r);
        int e = SSL_get_error(ssl_, r);
        if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)) {
          return size_t{0};
        }
        BOSUN_RETURN_IF_ERROR(wait_ssl(r, "read"));
        continue;
      }
      ssize_t n = ::recv(fd_.get(), buf, cap, 0);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EAGAIN || errno == EINTR) {
        BOSUN_RETURN_IF_ERROR(wait(POLLIN));
        continue;
      }
      return make_error(ErrorCode::kInternal, "read: " + go_errno(errno));
    }
  }

 private:
  Result<void> wait(short events) {
    pollfd p{fd_.get(), events, 0};
    int n;
    do {
      n = ::poll(&p, 1, remaining_ms(deadline_));
    } while (n < 0 && errno == EINTR);
    if (n == 0) return make_error(ErrorCode::kTimeout, "timeout");
    return ok_result();
  }
  Result<void> wait_ssl(int r, const char* what) {
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ) return wait(POLLIN);
    if (e == SSL_ERROR_WANT_WRITE) return wait(POLLOUT);
    unsigned long code = ERR_get_error();
    char buf[256] = "";
    if (code) ERR_error_string_n(code, buf, sizeof buf);
    ERR_clear_error();
    return make_error(ErrorCode::kInternal,
                      std::string(what) + ": " + (code ? buf : "connection reset by peer"));
  }

  Fd fd_;
  SteadyTime deadline_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
};

struct HttpResponse {
  int status = 0;
  std::string location;
  std::string body;  // at most kMaxProbeOutput bytes
};

std::string url_of(const HttpProbeRequest& r) {
  std::string path = r.path;
  if (!path.empty() && path[0] != '/') path = "/" + path;
  return r.scheme + "://" + join_host_port(r.host, r.port) + path;
}

// One GET; Connection: close, so the body ends with the stream when it has no length.
Result<HttpResponse> http_get(const std::string& netns_path, const HttpProbeRequest& req,
                              SteadyTime deadline, bool* headers_done) {
  BOSUN_ASSIGN_OR_RETURN(Fd fd, dial(netns_path, req.host, req.port, deadline));
  Stream stream(std::move(fd), deadline);
  if (req.scheme == "https") BOSUN_RETURN_IF_ERROR(stream.start_tls(req.host));

  std::string target = req.path.empty() ? "/" : req.path;
  if (target[0] != '/') target = "/" + target;
  // Kubernetes' probe request: User-Agent kube-probe/<version> and Accept */* unless the spec
  // sets them (an empty Accept removes it); a Host header replaces the request's host.
  std::string host_header = join_host_port(req.host, req.port);
  bool has_agent = false, has_accept = false;
  std::string extra;
  for (const auto& [name, value] : req.headers) {
    std::string n = lower(name);
    if (n == "host") {
      host_header = value;
      continue;
    }
    if (n == "user-agent") has_agent = true;
    if (n == "accept") {
      has_accept = true;
      if (value.empty()) continue;
    }
    if (n == "connection" || n == "content-length") continue;
    extra += name + ": " + value + "\r\n";
  }
  std::string request = "GET " + target + " HTTP/1.1\r\nHost: " + host_header + "\r\n";
  if (!has_agent) request += std::string("User-Agent: ") + kProbeUserAgent + "\r\n";
  if (!has_accept) request += "Accept: */*\r\n";
  request += extra + "Connection: close\r\n\r\n";
  BOSUN_RETURN_IF_ERROR(stream.write_all(request));

  std::string data;
  char buf[8192];
  size_t header_end = std::string::npos;
  while (header_end == std::string::npos) {
    BOSUN_ASSIGN_OR_RETURN(size_t n, stream.read_some(buf, sizeof buf));
    if (n == 0) return make_error(ErrorCode::kInternal, "EOF");
    data.append(buf, n);
    header_end = data.find("\r\n\r\n");
    if (header_end == std::string::npos && data.size() > 1 << 20) {
      return make_error(ErrorCode::kInternal, "net/http: response headers too large");
    }
  }
  *headers_done = true;
  HttpResponse resp;
  std::string head = data.substr(0, header_end);
  std::string rest = data.substr(header_end + 4);
  size_t sp = head.find(' ');
  if (head.rfind("HTTP/", 0) != 0 || sp == std::string::npos) {
    return make_error(ErrorCode::kInternal, "net/http: malformed HTTP response");
  }
  resp.status = std::atoi(head.c_str() + sp + 1);
  int64_t content_length = -1;
  bool chunked = false;
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos && pos < head.size()) {
    size_t next = head.find("\r\n", pos + 2);
    std::string line =
        head.substr(pos + 2, (next == std::string::npos ? head.size() : next) - pos - 2);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = lower(line.substr(0, colon));
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      if (name == "content-length") content_length = std::atoll(value.c_str());
      if (name == "transfer-encoding" && lower(value).find("chunked") != std::string::npos) {
        chunked = true;
      }
      if (name == "location") resp.location = value;
    }
    pos = next;
  }

  // The body, up to 10 KiB (the kubelet reads no more), then the connection is dropped.
  auto enough = [&] {
    if (chunked) return rest.find("\r\n0\r\n") != std::string::npos || rest.rfind("0\r\n", 0) == 0;
    if (content_length >= 0) return static_cast<int64_t>(rest.size()) >= content_length;
    return false;
  };
  while (rest.size() < kMaxProbeOutput + 64 && !enough()) {
    auto n = stream.read_some(buf, sizeof buf);
    if (!n.ok() || *n == 0) break;
    rest.append(buf, *n);
  }
  if (chunked) {
    std::string body;
    size_t p = 0;
    while (p < rest.size()) {
      size_t eol = rest.find("\r\n", p);
      if (eol == std::string::npos) break;
      size_t len = std::strtoul(rest.c_str() + p, nullptr, 16);
      if (len == 0) break;
      body.append(rest, eol + 2, std::min(len, rest.size() - std::min(rest.size(), eol + 2)));
      p = eol + 2 + len + 2;
    }
    rest = std::move(body);
  } else if (content_length >= 0 && static_cast<int64_t>(rest.size()) > content_length) {
    rest.resize(static_cast<size_t>(content_length));
  }
  if (rest.size() > kMaxProbeOutput) rest.resize(kMaxProbeOutput);
  resp.body = std::move(rest);
  return resp;
}

// Splits an absolute http(s) URL; false when it is not one.
bool parse_absolute_url(const std::string& url, HttpProbeRequest* out) {
  std::string scheme;
  size_t p = url.find("://");
  if (p == std::string::npos) return false;
  scheme = lower(url.substr(0, p));
  if (scheme != "http" && scheme != "https") return false;
  std::string rest = url.substr(p + 3);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  out->path = slash == std::string::npos ? "" : rest.substr(slash);
  out->scheme = scheme;
  out->port = scheme == "https" ? 443 : 80;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    out->host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      out->port = std::atoi(authority.c_str() + close + 2);
    }
  } else {
    size_t colon = authority.rfind(':');
    out->host = authority.substr(0, colon);
    if (colon != std::string::npos) out->port = std::atoi(authority.c_str() + colon + 1);
  }
  return true;
}

int json_int(const Json& o, const char* key, int fallback) {
  if (!o.is_object()) return fallback;
  auto it = o.find(key);
  if (it == o.end() || !it->is_number_integer()) return fallback;
  return static_cast<int>(it->get<int64_t>());
}

std::string json_str(const Json& o, const char* key) {
  if (!o.is_object()) return {};
  auto it = o.find(key);
  return it != o.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string join_command(const std::vector<std::string>& cmd) {
  std::string out;
  for (const std::string& c : cmd) {
    if (!out.empty()) out += ' ';
    out += c;
  }
  return out;
}

}  // namespace

// ---- one probe ----

Result<int> open_socket_in_netns(const std::string& netns_path, int domain, int type) {
  if (netns_path.empty()) {
    int fd = ::socket(domain, type | SOCK_CLOEXEC, 0);
    if (fd < 0) return make_error(ErrorCode::kInternal, "socket: " + go_errno(errno));
    return fd;
  }
  // setns() changes only the calling thread's namespace, and a socket stays in the namespace it
  // was made in: a throw-away thread makes it there, so no agent thread ever changes namespace.
  int fd = -1;
  std::string error;
  std::thread maker([&] {
    int ns = ::open(netns_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0) {
      error = "open " + netns_path + ": " + go_errno(errno);
      return;
    }
    if (::setns(ns, CLONE_NEWNET) != 0) {
      error = "setns " + netns_path + ": " + go_errno(errno);
      ::close(ns);
      return;
    }
    ::close(ns);
    fd = ::socket(domain, type | SOCK_CLOEXEC, 0);
    if (fd < 0) error = "socket: " + go_errno(errno);
  });
  maker.join();
  if (fd < 0) return make_error(ErrorCode::kInternal, error);
  return fd;
}

Result<int> resolve_probe_port(const Json& port, const Json& container) {
  int value = -1;
  if (port.is_number_integer()) {
    value = static_cast<int>(port.get<int64_t>());
  } else if (port.is_string()) {
    std::string name = port.get<std::string>();
    bool found = false;
    if (container.is_object() && container.contains("ports") && container["ports"].is_array()) {
      for (const Json& p : container["ports"]) {
        if (json_str(p, "name") == name) {
          value = json_int(p, "containerPort", -1);
          found = true;
          break;
        }
      }
    }
    if (!found) {
      // Like the kubelet: not a port name, so perhaps a number written as a string.
      char* end = nullptr;
      long v = std::strtol(name.c_str(), &end, 10);
      if (name.empty() || *end != '\0') {
        return make_error(ErrorCode::kInvalid,
                          "strconv.Atoi: parsing \"" + name + "\": invalid syntax");
      }
      value = static_cast<int>(v);
    }
  } else {
    return make_error(ErrorCode::kInvalid, "intOrString had no kind: " + port.dump());
  }
  if (value > 0 && value < 65536) return value;
  return make_error(ErrorCode::kInvalid, "invalid port number: " + std::to_string(value));
}

ProbeOutcome probe_tcp(const std::string& netns_path, const std::string& host, int port,
                       std::chrono::milliseconds timeout) {
  auto fd = dial(netns_path, host, port, std::chrono::steady_clock::now() + timeout);
  if (!fd.ok()) return {ProbeResult::kFailure, fd.error().message};
  return {ProbeResult::kSuccess, ""};
}

ProbeOutcome probe_http(const std::string& netns_path, const HttpProbeRequest& request,
                        std::chrono::milliseconds timeout) {
  const SteadyTime deadline = std::chrono::steady_clock::now() + timeout;
  HttpProbeRequest current = request;
  const std::string first_host = request.host;
  for (int redirects = 0;; ++redirects) {
    const std::string url = url_of(current);
    if (redirects > kMaxRedirects) {
      return {ProbeResult::kFailure, "Get \"" + url + "\": stopped after 10 redirects"};
    }
    bool headers_done = false;
    auto resp = http_get(netns_path, current, deadline, &headers_done);
    if (!resp.ok()) {
      // Go's http.Client wording, which is what the kubelet reports.
      std::string why = resp.error().message;
      if (resp.error().code == ErrorCode::kTimeout && why.rfind("dial tcp", 0) != 0) {
        why = headers_done
                  ? "context deadline exceeded (Client.Timeout or context cancellation while "
                    "reading body)"
                  : "context deadline exceeded (Client.Timeout exceeded while awaiting headers)";
      }
      return {ProbeResult::kFailure, "Get \"" + url + "\": " + why};
    }
    if (resp->status >= 300 && resp->status < 400 && !resp->location.empty()) {
      HttpProbeRequest next = current;
      if (parse_absolute_url(resp->location, &next)) {
        // The kubelet follows redirects only on the same host; another host ends the probe with
        // the redirect itself, a warning that counts as success.
        if (next.host != first_host) {
          return {ProbeResult::kWarning,
                  "Probe terminated redirects, Response body: " + resp->body};
        }
      } else if (resp->location[0] == '/') {
        next.path = resp->location;
      } else {
        std::string base = current.path.empty() ? "/" : current.path;
        next.path = base.substr(0, base.rfind('/') + 1) + resp->location;
      }
      current = next;
      continue;
    }
    if (resp->status >= 200 && resp->status < 400) {
      if (resp->status >= 300) {
        return {ProbeResult::kWarning, "Probe terminated redirects, Response body: " + resp->body};
      }
      return {ProbeResult::kSuccess, resp->body};
    }
    // Kubernetes keeps the body out of the user-facing failure (issue 99425).
    return {ProbeResult::kFailure,
            "HTTP probe failed with statuscode: " + std::to_string(resp->status)};
  }
}

ProbeOutcome run_probe(const Json& probe, const ProbeTarget& target) {
  const Ms timeout(std::chrono::seconds(probe_timing(probe).timeout_seconds));
  const std::string default_host = target.pod_ip.empty() ? "127.0.0.1" : target.pod_ip;
  if (probe.contains("exec") && probe["exec"].is_object()) {
    std::vector<std::string> command;
    if (probe["exec"].contains("command") && probe["exec"]["command"].is_array()) {
      for (const Json& c : probe["exec"]["command"]) {
        if (c.is_string()) command.push_back(c.get<std::string>());
      }
    }
    if (!target.exec) return {ProbeResult::kUnknown, "exec probes need a container runtime"};
    auto r = target.exec(command, timeout);
    if (!r.ok()) {
      if (r.error().code == ErrorCode::kTimeout) {
        return {ProbeResult::kFailure, "command \"" + join_command(command) + "\" timed out"};
      }
      return {ProbeResult::kUnknown, r.error().message};
    }
    std::string output = r->output.substr(0, kMaxProbeOutput);
    if (r->timed_out) {
      return {ProbeResult::kFailure, "command \"" + join_command(command) + "\" timed out"};
    }
    return {r->exit_code == 0 ? ProbeResult::kSuccess : ProbeResult::kFailure, output};
  }
  if (probe.contains("httpGet") && probe["httpGet"].is_object()) {
    const Json& h = probe["httpGet"];
    auto port = resolve_probe_port(h.value("port", Json()), target.container);
    if (!port.ok()) return {ProbeResult::kUnknown, port.error().message};
    HttpProbeRequest req;
    req.scheme = lower(json_str(h, "scheme"));
    if (req.scheme.empty()) req.scheme = "http";
    req.host = json_str(h, "host");
    if (req.host.empty()) req.host = default_host;
    req.port = *port;
    req.path = json_str(h, "path");
    if (h.contains("httpHeaders") && h["httpHeaders"].is_array()) {
      for (const Json& hdr : h["httpHeaders"]) {
        req.headers.emplace_back(json_str(hdr, "name"), json_str(hdr, "value"));
      }
    }
    return probe_http(target.netns_path, req, timeout);
  }
  if (probe.contains("tcpSocket") && probe["tcpSocket"].is_object()) {
    const Json& t = probe["tcpSocket"];
    auto port = resolve_probe_port(t.value("port", Json()), target.container);
    if (!port.ok()) return {ProbeResult::kUnknown, port.error().message};
    std::string host = json_str(t, "host");
    return probe_tcp(target.netns_path, host.empty() ? default_host : host, *port, timeout);
  }
  if (probe.contains("grpc")) {
    return {ProbeResult::kUnknown, "gRPC probes are not supported by this node"};
  }
  return {ProbeResult::kUnknown, "missing probe handler"};
}

// ---- the worker ----

const char* probe_type_name(ProbeType type) {
  switch (type) {
    case ProbeType::kLiveness:
      return "Liveness";
    case ProbeType::kReadiness:
      return "Readiness";
    case ProbeType::kStartup:
      return "Startup";
  }
  return "";
}

ProbeTiming probe_timing(const Json& probe) {
  ProbeTiming t;
  t.initial_delay_seconds = std::max(0, json_int(probe, "initialDelaySeconds", 0));
  t.period_seconds = json_int(probe, "periodSeconds", 10);
  if (t.period_seconds <= 0) t.period_seconds = 10;
  t.timeout_seconds = json_int(probe, "timeoutSeconds", 1);
  if (t.timeout_seconds <= 0) t.timeout_seconds = 1;
  t.success_threshold = std::max(1, json_int(probe, "successThreshold", 1));
  t.failure_threshold = std::max(1, json_int(probe, "failureThreshold", 3));
  return t;
}

ProbeWorker::ProbeWorker(Clock& clock, ProbeWorkerConfig config)
    : clock_(clock),
      real_clock_(dynamic_cast<RealClock*>(&clock) != nullptr),
      config_(std::move(config)),
      timing_(probe_timing(config_.probe)) {}

ProbeWorker::~ProbeWorker() { stop(); }

void ProbeWorker::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { run_loop(); });
}

void ProbeWorker::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

void ProbeWorker::trigger() {
  {
    std::lock_guard lock(mu_);
    triggered_ = true;
  }
  cv_.notify_all();
}

std::optional<bool> ProbeWorker::result() const {
  std::lock_guard lock(mu_);
  return result_;
}

void ProbeWorker::set_result(std::optional<bool> result, const std::string& message) {
  bool changed;
  {
    std::lock_guard lock(mu_);
    changed = result_ != result;
    result_ = result;
  }
  if (result.has_value() && changed && config_.on_update) {
    config_.on_update(ProbeUpdate{config_.type, container_id_, *result, message});
  }
}

bool ProbeWorker::step() {
  std::optional<ProbedContainer> c = config_.container ? config_.container() : std::nullopt;
  if (!c || c->id.empty()) return true;  // not created yet: wait for it
  if (c->id != container_id_) {
    // A new container (first start or restart): the initial result again, probing resumes.
    container_id_ = c->id;
    std::optional<bool> initial;
    if (config_.type == ProbeType::kReadiness) initial = false;
    if (config_.type == ProbeType::kLiveness) initial = true;
    {
      std::lock_guard lock(mu_);
      result_.reset();
    }
    set_result(initial, "");
    on_hold_ = false;
  }
  if (on_hold_) return true;
  if (!c->running) {
    set_result(false, "");
    // A container that will not run again needs no more probing.
    return !c->terminated || !c->restart_never;
  }
  if (c->pod_terminating &&
      (config_.type == ProbeType::kLiveness || config_.type == ProbeType::kStartup)) {
    // A quiet shutdown: no restart for a pod that is going away.
    set_result(true, "");
    return false;
  }
  auto since_start =
      std::chrono::duration_cast<std::chrono::seconds>(clock_.now() - c->started_at).count();
  if (since_start < timing_.initial_delay_seconds) return true;
  if (c->started) {
    if (config_.type == ProbeType::kStartup) return true;  // done once the container started
  } else if (config_.type != ProbeType::kStartup) {
    return true;  // liveness and readiness wait for the startup probe
  }

  ProbeOutcome outcome = config_.run ? config_.run(config_.probe) : ProbeOutcome{};
  ++probes_run_;
  if (outcome.result == ProbeResult::kUnknown) return true;  // a prober error: thrown away
  if (outcome.result != ProbeResult::kSuccess && config_.on_probe_failed) {
    config_.on_probe_failed(config_.type, outcome);
  }
  // A warning (redirect to another host) is a success, as the kubelet counts it.
  ProbeResult result =
      outcome.result == ProbeResult::kFailure ? ProbeResult::kFailure : ProbeResult::kSuccess;
  if (last_result_ == result) {
    ++result_run_;
  } else {
    last_result_ = result;
    result_run_ = 1;
  }
  if ((result == ProbeResult::kFailure && result_run_ < timing_.failure_threshold) ||
      (result == ProbeResult::kSuccess && result_run_ < timing_.success_threshold)) {
    return true;
  }
  set_result(result == ProbeResult::kSuccess, outcome.output);
  if ((config_.type == ProbeType::kLiveness || config_.type == ProbeType::kStartup) &&
      result == ProbeResult::kFailure) {
    // The container will be restarted: no probing until a new container appears.
    on_hold_ = true;
    result_run_ = 0;
  }
  return true;
}

void ProbeWorker::run_loop() {
  const auto period = std::chrono::seconds(timing_.period_seconds);
  auto next = clock_.monotonic();
  for (;;) {
    next += period;  // a ticker: the period counts from the last tick, not from the probe's end
    if (!step()) return;
    std::unique_lock lock(mu_);
    for (;;) {
      if (stopping_) return;
      if (triggered_) {
        triggered_ = false;
        break;
      }
      auto now = clock_.monotonic();
      if (now >= next) break;
      if (real_clock_) {
        cv_.wait_until(lock, next);
      } else {
        // An injected clock moves without notifying anyone: look again shortly (real time).
        cv_.wait_for(lock, std::chrono::milliseconds(1));
      }
    }
    if (clock_.monotonic() > next + period) next = clock_.monotonic();  // dropped ticks
  }
}

}  // namespace bosun::agent
