// Sends to many sockets with one system call, through io_uring (liburing). Each send is
// non-blocking (MSG_DONTWAIT | MSG_NOSIGNAL): the kernel issues it during submission and it takes
// what the socket can, so that every completion is in when the call returns. Used by SendBatch, the
// watch fan-out's writes to thousands of streams. Not thread-safe: one per thread.
#pragma once

#include <liburing.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>

namespace bosun::apiserver {

class BatchSender {
 public:
  struct Send {
    int fd = -1;
    std::string_view bytes;
  };

  // At most `entries` sends per call. Null, with the reason in `error`, when the kernel refuses
  // io_uring (too old, disabled by sysctl, a seccomp profile).
  static std::unique_ptr<BatchSender> create(unsigned entries, std::string* error);
  ~BatchSender();
  BatchSender(const BatchSender&) = delete;
  BatchSender& operator=(const BatchSender&) = delete;

  unsigned capacity() const { return entries_; }
  // Sends each of `sends` (at most capacity()); results[i] receives the bytes sent for sends[i]
  // (fewer than asked, or 0, when the socket's buffer filled) or -errno (-EAGAIN: nothing sent,
  // the socket is full). A send the ring could not take reports -EAGAIN too, so that the caller
  // sends it later the ordinary way; one whose outcome is unknown (the ring failed after taking it)
  // reports -EIO: its connection must close, since its bytes may or may not have gone. After such
  // a failure usable() is false.
  void send_all(std::span<const Send> sends, std::span<int> results);
  bool usable() const { return usable_; }

 private:
  explicit BatchSender(unsigned entries) : entries_(entries) {}

  const unsigned entries_;
  io_uring ring_{};
  bool ring_ready_ = false;  // io_uring_queue_init succeeded
  bool usable_ = true;
};

}  // namespace bosun::apiserver
