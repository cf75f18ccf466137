// Attaching to a running container's standard streams (CRI Attach, behind `kubectl attach` and
// `kubectl run -i`): the container's monitor serves a unix socket in the bundle (attach.sock,
// SOCK_SEQPACKET, like CRI-O's conmon) that relays the container's output to every attached client
// and their input to the container's stdin (a pipe, or the terminal's master with tty). AttachHub
// is the monitor's side, driven by its single poll loop; AttachConnection is the agent's, used by
// one attach session's thread. Neither is synchronised.
#pragma once

#include <poll.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace bosun::runtime {

inline constexpr const char* kAttachSocketFile = "attach.sock";

// The first byte of every message on the attach socket.
enum AttachKind : uint8_t {
  kAttachStdin = 0,       // client to monitor: input for the container
  kAttachStdout = 1,      // monitor to client: output (everything, with a terminal)
  kAttachStderr = 2,      // monitor to client
  kAttachCloseStdin = 3,  // client to monitor: the client's input ended
  kAttachResize = 4,      // client to monitor: width and height, uint16 each, little-endian
  kAttachHello = 5,       // client to monitor, first: flags (bit 0: the client attaches stdin)
};

// Output and input travel in messages of at most this many data bytes.
inline constexpr size_t kAttachMaxMessage = 32 * 1024;

// The container's stdin settings from its spec (Container.stdin, stdinOnce, tty).
struct AttachOptions {
  bool stdin = false;
  bool stdin_once = false;
  bool tty = false;
};

// Creates <dir>/attach.sock (mode 0600) listening, non-blocking. Paths longer than a sockaddr_un
// holds are reached through /proc/self/fd.
Result<int> listen_attach_socket(const std::string& dir);

class AttachHub {
 public:
  // listen_fd (owned) from listen_attach_socket; stdin_fd is where clients' input goes: the write
  // end of the container's stdin pipe (owned: closing it is how stdinOnce ends the container's
  // input) or the terminal's master (not owned), or -1 when the container has no stdin.
  AttachHub(int listen_fd, int stdin_fd, bool owns_stdin, AttachOptions options);
  ~AttachHub();
  AttachHub(const AttachHub&) = delete;
  AttachHub& operator=(const AttachHub&) = delete;

  // Appends the descriptors to poll, with their events.
  void poll_fds(std::vector<pollfd>* out) const;
  // One polled descriptor's events (fd as poll_fds gave it).
  void on_event(int fd, short revents);
  // Container output, to every attached client (kAttachStdout or kAttachStderr). A client that
  // lets more than a few MiB queue up is disconnected rather than slowing the container's log.
  void broadcast(AttachKind stream, const char* data, size_t n);
  // The terminal's master is about to be closed: input has nowhere to go any more.
  void stdin_gone();
  // The container's output ended: queued output gets up to flush_millis to leave, then every
  // client is disconnected (their session ends) and no new one is accepted.
  void close_all(int flush_millis);
  // Called with a client's terminal size (TIOCSWINSZ on the master).
  void set_resize_handler(std::function<void(uint16_t width, uint16_t height)> handler) {
    on_resize_ = std::move(handler);
  }

  size_t client_count() const { return clients_.size(); }
  bool stdin_open() const { return stdin_fd_ >= 0; }

 private:
  struct Client {
    int fd = -1;
    bool stdin = false;  // attached the container's stdin (and has not ended it)
    std::deque<std::string> queue;
    size_t queued_bytes = 0;
  };
  void accept_clients();
  // Reads what the client sent; false when it is gone.
  bool read_client(Client& c);
  bool flush_client(Client& c);
  void client_stdin_ended(Client& c);
  void drop_client(int fd);
  void flush_stdin();
  void close_stdin();

  int listen_fd_;
  int stdin_fd_;
  bool owns_stdin_;
  AttachOptions options_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::string stdin_pending_;
  bool close_stdin_when_flushed_ = false;
  std::function<void(uint16_t, uint16_t)> on_resize_;
};

// The agent's end of one attach: connect, then poll fd() for POLLIN (and POLLOUT while
// has_pending()).
class AttachConnection {
 public:
  // NotFound when the container has no attach socket (not running, or started before attach
  // existed): the caller may follow the log instead.
  static Result<std::unique_ptr<AttachConnection>> connect(const std::string& bundle_dir,
                                                           bool stdin);
  ~AttachConnection();
  AttachConnection(const AttachConnection&) = delete;
  AttachConnection& operator=(const AttachConnection&) = delete;

  int fd() const { return fd_; }

  struct Output {
    AttachKind stream = kAttachStdout;
    std::string data;
  };
  enum class ReadResult { kData, kAgain, kEnd };
  // Non-blocking; kEnd once the container's output ended or the monitor dropped this client.
  ReadResult read(Output* out);

  // Queued in order and sent as the socket takes them (flush()).
  void write_stdin(std::string_view data);
  void close_stdin();
  void resize(uint16_t width, uint16_t height);
  // Sends what it can without blocking; false when the monitor is gone.
  bool flush();
  bool has_pending() const { return !queue_.empty(); }

 private:
  explicit AttachConnection(int fd) : fd_(fd) {}
  void enqueue(std::string message);
  int fd_;
  std::deque<std::string> queue_;
  std::vector<char> buf_;
};

}  // namespace bosun::runtime
