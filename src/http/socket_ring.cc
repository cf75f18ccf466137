#include "http/socket_ring.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

namespace bosun::apiserver {

namespace {
// Interrupted or short-of-memory submissions, and interrupted waits, are tried again this many
// times.
constexpr int kRetries = 3;
// A submitted operation whose completion has not been read yet.
constexpr int kPending = INT_MIN;
}  // namespace

std::unique_ptr<SocketRing> SocketRing::create(unsigned entries, std::string* error) {
  std::unique_ptr<SocketRing> s(new SocketRing(entries));
  int r = io_uring_queue_init(entries, &s->ring_, 0);
  if (r < 0) {
    if (error != nullptr) *error = std::strerror(-r);
    return nullptr;
  }
  s->ring_ready_ = true;
  return s;
}

SocketRing::~SocketRing() {
  if (ring_ready_) io_uring_queue_exit(&ring_);
}

template <class Prep>
void SocketRing::run(size_t n, std::span<int> results, Prep prep) {
  std::fill(results.begin(), results.end(), -EAGAIN);
  if (!usable_) return;
  n = std::min({n, results.size(), static_cast<size_t>(entries_)});
  size_t prepared = 0;
  for (; prepared < n; ++prepared) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
    if (sqe == nullptr) break;
    prep(sqe, prepared);
    io_uring_sqe_set_data64(sqe, prepared);
  }
  if (prepared == 0) return;
  // One system call: the kernel issues every operation as it takes it, and since none may block,
  // all completions are posted before it returns.
  size_t submitted = 0;
  for (int failures = 0; submitted < prepared && failures <= kRetries;) {
    int r = io_uring_submit_and_wait(&ring_, static_cast<unsigned>(prepared));
    if (r > 0) {
      for (size_t i = submitted; i < submitted + static_cast<size_t>(r) && i < prepared; ++i) {
        results[i] = kPending;
      }
      submitted += static_cast<size_t>(r);
      continue;
    }
    if (r == 0 || r == -EINTR || r == -EAGAIN || r == -EBUSY) {
      ++failures;
      continue;
    }
    break;
  }
  submitted = std::min(submitted, prepared);
  size_t reaped = 0;
  for (int failures = 0; reaped < submitted && failures <= kRetries;) {
    io_uring_cqe* cqe = nullptr;
    int r = io_uring_wait_cqe(&ring_, &cqe);
    if (r < 0) {
      ++failures;
      continue;
    }
    unsigned head = 0;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      uint64_t i = io_uring_cqe_get_data64(cqe);
      if (i < submitted && results[i] == kPending) {
        results[i] = cqe->res;
        ++reaped;
      }
      ++seen;
    }
    io_uring_cq_advance(&ring_, seen);
  }
  if (submitted < prepared || reaped < submitted) {
    // The ring misbehaves: operations it never took stay -EAGAIN (their SQEs, left in the ring,
    // are never submitted since the ring is not entered again); a taken one whose result never
    // came is -EIO.
    usable_ = false;
    for (size_t i = 0; i < submitted; ++i) {
      if (results[i] == kPending) results[i] = -EIO;
    }
  }
}

void SocketRing::send_all(std::span<const Send> sends, std::span<int> results) {
  run(sends.size(), results, [&](io_uring_sqe* sqe, size_t i) {
    io_uring_prep_send(sqe, sends[i].fd, sends[i].bytes.data(), sends[i].bytes.size(),
                       MSG_NOSIGNAL | MSG_DONTWAIT);
  });
}

void SocketRing::recv_all(std::span<const Recv> recvs, std::span<int> results) {
  run(recvs.size(), results, [&](io_uring_sqe* sqe, size_t i) {
    io_uring_prep_recv(sqe, recvs[i].fd, recvs[i].into.data(), recvs[i].into.size(), MSG_DONTWAIT);
  });
}

}  // namespace bosun::apiserver
