// Sends to, or receives from, many sockets with one system call, through io_uring (liburing). Each
// operation is non-blocking (MSG_DONTWAIT): the kernel issues it during submission and it takes or
// gives what the socket can, so that every completion is in when the call returns. Used by
// SendBatch (the watch fan-out's writes to thousands of streams) and by the watchers benchmark's
// client. Not thread-safe: one per thread.
#pragma once

#include <liburing.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace bosun::apiserver {

class SocketRing {
 public:
  struct Send {
    int fd = -1;
    std::string_view bytes;
  };
  struct Recv {
    int fd = -1;
    std::span<char> into;
  };

  // At most `entries` operations per call. Null, with the reason in `error`, when the kernel
  // refuses io_uring (too old, disabled by sysctl, a seccomp profile).
  static std::unique_ptr<SocketRing> create(unsigned entries, std::string* error);
  ~SocketRing();
  SocketRing(const SocketRing&) = delete;
  SocketRing& operator=(const SocketRing&) = delete;

  unsigned capacity() const { return entries_; }
  // Sends each of `sends` (at most capacity(); MSG_NOSIGNAL too); results[i] receives the bytes
  // sent for sends[i] (fewer than asked, or 0, when the socket's buffer filled) or -errno
  // (-EAGAIN: nothing sent, the socket is full).
  void send_all(std::span<const Send> sends, std::span<int> results);
  // Receives into each of `recvs` (at most capacity()); results[i] receives the bytes read (0: the
  // peer closed) or -errno (-EAGAIN: the socket had nothing).
  void recv_all(std::span<const Recv> recvs, std::span<int> results);
  // For both: an operation the ring could not take reports -EAGAIN, so that the caller does it
  // later the ordinary way; one whose outcome is unknown (the ring failed after taking it)
  // reports -EIO, and its connection must close, since its bytes may or may not have gone. After
  // such a failure usable() is false.
  bool usable() const { return usable_; }

 private:
  explicit SocketRing(unsigned entries) : entries_(entries) {}
  // Prepares up to n operations with prep(sqe, i), submits them in one call and collects their
  // results.
  template <class Prep>
  void run(size_t n, std::span<int> results, Prep prep);

  const unsigned entries_;
  io_uring ring_{};
  bool ring_ready_ = false;  // io_uring_queue_init succeeded
  bool usable_ = true;
};

}  // namespace bosun::apiserver
