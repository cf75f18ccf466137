#include "runtime/container_attach.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace bosun::runtime {
namespace {

// A client whose unread output grows past this is dropped: the container's log must not wait for
// a slow `kubectl attach`.
constexpr size_t kMaxClientQueue = 4 << 20;
// Input the container has not read yet; past it clients are not read until it drains.
constexpr size_t kMaxPendingStdin = 1 << 20;

Error sys_error(const std::string& what, int err = errno) {
  return make_error(ErrorCode::kInternal, what + ": " + std::strerror(err));
}

// Binds or connects to <dir>/attach.sock; a directory too long for sun_path is reached through
// an O_PATH descriptor and /proc/self/fd, as runc does for its own sockets.
template <typename Fn>
int with_socket_address(const std::string& dir, Fn fn) {
  std::string path = dir + "/" + kAttachSocketFile;
  int dir_fd = -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) {
    dir_fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return -1;
    path = "/proc/self/fd/" + std::to_string(dir_fd) + "/" + kAttachSocketFile;
  }
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int rc = fn(reinterpret_cast<const sockaddr*>(&addr), static_cast<socklen_t>(sizeof addr));
  int saved = errno;
  if (dir_fd >= 0) ::close(dir_fd);
  errno = saved;
  return rc;
}

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

std::string message(AttachKind kind, std::string_view data) {
  std::string m;
  m.reserve(data.size() + 1);
  m.push_back(static_cast<char>(kind));
  m.append(data);
  return m;
}

// 1: sent; 0: the socket is full; -1: the peer is gone.
int send_message(int fd, const std::string& m) {
  while (true) {
    ssize_t n = ::send(fd, m.data(), m.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return 1;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) return 0;
    return -1;
  }
}

}  // namespace

Result<int> listen_attach_socket(const std::string& dir) {
  int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return sys_error("attach socket");
  std::string path = dir + "/" + kAttachSocketFile;
  ::unlink(path.c_str());
  // Only root (the agent) may connect: the socket carries a container's input.
  mode_t old = ::umask(0177);
  int rc = with_socket_address(
      dir, [fd](const sockaddr* a, socklen_t len) { return ::bind(fd, a, len); });
  int saved = errno;
  ::umask(old);
  if (rc != 0 || ::listen(fd, 16) != 0) {
    Error e = sys_error("attach socket " + path, rc != 0 ? saved : errno);
    ::close(fd);
    return e;
  }
  return fd;
}

AttachHub::AttachHub(int listen_fd, int stdin_fd, bool owns_stdin, AttachOptions options)
    : listen_fd_(listen_fd), stdin_fd_(stdin_fd), owns_stdin_(owns_stdin), options_(options) {
  if (stdin_fd_ >= 0 && owns_stdin_) set_nonblocking(stdin_fd_);
}

AttachHub::~AttachHub() {
  for (auto& c : clients_) ::close(c->fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (owns_stdin_ && stdin_fd_ >= 0) ::close(stdin_fd_);
}

void AttachHub::poll_fds(std::vector<pollfd>* out) const {
  if (listen_fd_ >= 0) out->push_back({listen_fd_, POLLIN, 0});
  const bool read_input = stdin_pending_.size() < kMaxPendingStdin;
  for (const auto& c : clients_) {
    short events = read_input ? POLLIN : 0;
    if (!c->queue.empty()) events |= POLLOUT;
    out->push_back({c->fd, events, 0});
  }
  if (stdin_fd_ >= 0 && !stdin_pending_.empty()) out->push_back({stdin_fd_, POLLOUT, 0});
}

void AttachHub::on_event(int fd, short revents) {
  if (revents == 0) return;
  if (fd == listen_fd_) return accept_clients();
  if (fd == stdin_fd_ && (revents & (POLLOUT | POLLERR | POLLHUP))) {
    flush_stdin();
    return;
  }
  for (auto& c : clients_) {
    if (c->fd != fd) continue;
    bool alive = true;
    if (revents & POLLIN) alive = read_client(*c);
    if (alive && (revents & POLLOUT)) alive = flush_client(*c);
    if (alive && (revents & (POLLHUP | POLLERR)) && !(revents & POLLIN)) alive = false;
    if (!alive) drop_client(fd);
    return;
  }
}

void AttachHub::accept_clients() {
  while (true) {
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR) continue;
      return;
    }
    auto c = std::make_unique<Client>();
    c->fd = fd;
    clients_.push_back(std::move(c));
  }
}

bool AttachHub::read_client(Client& c) {
  char buf[kAttachMaxMessage + 64];
  // A bounded number of messages per wake-up, so one chatty client cannot starve the log.
  for (int i = 0; i < 64; ++i) {
    ssize_t n = ::recv(c.fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno == EAGAIN || errno == EWOULDBLOCK;
    }
    if (n == 0) return false;
    auto kind = static_cast<uint8_t>(buf[0]);
    std::string_view data(buf + 1, static_cast<size_t>(n - 1));
    switch (kind) {
      case kAttachHello:
        c.stdin = !data.empty() && (data[0] & 1) && stdin_fd_ >= 0;
        break;
      case kAttachStdin:
        // A client that did not ask for stdin, or a container without one, has its input
        // dropped, as containerd does when either side has no stdin.
        if (c.stdin && stdin_fd_ >= 0) {
          stdin_pending_.append(data);
          flush_stdin();
        }
        break;
      case kAttachCloseStdin:
        if (c.stdin) {
          client_stdin_ended(c);
          // Without stdinOnce (or with a terminal) the client's output ends with its input.
          if (!(options_.stdin_once && !options_.tty)) return false;
        }
        break;
      case kAttachResize:
        if (data.size() >= 4 && on_resize_) {
          auto u16 = [&](size_t at) {
            return static_cast<uint16_t>(static_cast<uint8_t>(data[at]) |
                                         (static_cast<uint8_t>(data[at + 1]) << 8));
          };
          on_resize_(u16(0), u16(2));
        }
        break;
      default:
        break;
    }
  }
  return true;
}

// containerd's CRI attach: when an attach's input ends and the container is stdinOnce without a
// terminal, the container's stdin is closed for good (its reader sees EOF once the input already
// sent is read); otherwise the container's stdin stays open for the next attach.
void AttachHub::client_stdin_ended(Client& c) {
  if (!c.stdin) return;
  c.stdin = false;
  if (options_.stdin_once && !options_.tty && stdin_fd_ >= 0) {
    close_stdin_when_flushed_ = true;
    flush_stdin();
  }
}

bool AttachHub::flush_client(Client& c) {
  while (!c.queue.empty()) {
    int r = send_message(c.fd, c.queue.front());
    if (r < 0) return false;
    if (r == 0) return true;
    c.queued_bytes -= c.queue.front().size();
    c.queue.pop_front();
  }
  return true;
}

void AttachHub::drop_client(int fd) {
  auto it =
      std::find_if(clients_.begin(), clients_.end(), [fd](const auto& c) { return c->fd == fd; });
  if (it == clients_.end()) return;
  // A client that goes away has ended its input too.
  client_stdin_ended(**it);
  ::close(fd);
  clients_.erase(it);
}

void AttachHub::flush_stdin() {
  while (stdin_fd_ >= 0 && !stdin_pending_.empty()) {
    ssize_t n = ::write(stdin_fd_, stdin_pending_.data(), stdin_pending_.size());
    if (n > 0) {
      stdin_pending_.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    // EPIPE: nothing reads the container's stdin any more; what was typed is lost.
    stdin_pending_.clear();
  }
  if (close_stdin_when_flushed_ && stdin_pending_.empty()) close_stdin();
}

void AttachHub::close_stdin() {
  if (stdin_fd_ >= 0 && owns_stdin_) ::close(stdin_fd_);
  stdin_fd_ = -1;
  stdin_pending_.clear();
  for (auto& c : clients_) c->stdin = false;
}

void AttachHub::stdin_gone() {
  if (!owns_stdin_) {
    stdin_fd_ = -1;
    stdin_pending_.clear();
  }
}

void AttachHub::broadcast(AttachKind stream, const char* data, size_t n) {
  if (clients_.empty() || n == 0) return;
  std::vector<int> slow;
  for (size_t off = 0; off < n; off += kAttachMaxMessage) {
    std::string m =
        message(stream, std::string_view(data + off, std::min(kAttachMaxMessage, n - off)));
    for (auto& c : clients_) {
      if (c->queue.empty()) {
        int r = send_message(c->fd, m);
        if (r == 1) continue;
        if (r < 0) {
          slow.push_back(c->fd);
          continue;
        }
      }
      c->queued_bytes += m.size();
      c->queue.push_back(m);
      if (c->queued_bytes > kMaxClientQueue) slow.push_back(c->fd);
    }
  }
  std::sort(slow.begin(), slow.end());
  slow.erase(std::unique(slow.begin(), slow.end()), slow.end());
  for (int fd : slow) drop_client(fd);
}

void AttachHub::close_all(int flush_millis) {
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    listen_fd_ = -1;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(flush_millis);
  while (true) {
    std::vector<pollfd> fds;
    for (auto& c : clients_) {
      if (!c->queue.empty()) fds.push_back({c->fd, POLLOUT, 0});
    }
    if (fds.empty()) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) break;
    int r = ::poll(fds.data(), fds.size(), static_cast<int>(left));
    if (r < 0 && errno != EINTR) break;
    for (const pollfd& p : fds) {
      if (!p.revents) continue;
      for (auto& c : clients_) {
        if (c->fd == p.fd && !flush_client(*c)) c->queue.clear();
      }
    }
  }
  for (auto& c : clients_) ::close(c->fd);
  clients_.clear();
  if (owns_stdin_ && stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

Result<std::unique_ptr<AttachConnection>> AttachConnection::connect(const std::string& bundle_dir,
                                                                    bool stdin) {
  int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (fd < 0) return sys_error("attach socket");
  int rc = with_socket_address(bundle_dir, [fd](const sockaddr* a, socklen_t len) {
    int r;
    do {
      r = ::connect(fd, a, len);
    } while (r != 0 && errno == EINTR);
    return r;
  });
  if (rc != 0) {
    int e = errno;
    ::close(fd);
    if (e == ENOENT || e == ECONNREFUSED) {
      return make_error(ErrorCode::kNotFound,
                        "no attach socket in " + bundle_dir + ": " + std::strerror(e));
    }
    return sys_error("connect to the attach socket in " + bundle_dir, e);
  }
  std::unique_ptr<AttachConnection> c(new AttachConnection(fd));
  set_nonblocking(fd);
  c->enqueue(message(kAttachHello, std::string(1, stdin ? '\x01' : '\x00')));
  c->flush();
  return c;
}

AttachConnection::~AttachConnection() {
  if (fd_ >= 0) ::close(fd_);
}

AttachConnection::ReadResult AttachConnection::read(Output* out) {
  if (buf_.empty()) buf_.resize(kAttachMaxMessage + 64);
  while (true) {
    ssize_t n = ::recv(fd_, buf_.data(), buf_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return ReadResult::kAgain;
      return ReadResult::kEnd;
    }
    if (n == 0) return ReadResult::kEnd;
    auto kind = static_cast<uint8_t>(buf_[0]);
    if (kind != kAttachStdout && kind != kAttachStderr) continue;
    out->stream = static_cast<AttachKind>(kind);
    out->data.assign(buf_.data() + 1, static_cast<size_t>(n - 1));
    return ReadResult::kData;
  }
}

void AttachConnection::enqueue(std::string m) { queue_.push_back(std::move(m)); }

void AttachConnection::write_stdin(std::string_view data) {
  for (size_t off = 0; off < data.size(); off += kAttachMaxMessage) {
    enqueue(message(kAttachStdin, data.substr(off, kAttachMaxMessage)));
  }
}

void AttachConnection::close_stdin() { enqueue(message(kAttachCloseStdin, {})); }

void AttachConnection::resize(uint16_t width, uint16_t height) {
  char size[4] = {static_cast<char>(width & 0xff), static_cast<char>(width >> 8),
                  static_cast<char>(height & 0xff), static_cast<char>(height >> 8)};
  enqueue(message(kAttachResize, std::string_view(size, 4)));
}

bool AttachConnection::flush() {
  while (!queue_.empty()) {
    int r = send_message(fd_, queue_.front());
    if (r < 0) return false;
    if (r == 0) return true;
    queue_.pop_front();
  }
  return true;
}

}  // namespace bosun::runtime
