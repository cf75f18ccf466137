#include "client/watch_loop.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "common/thread_util.h"

namespace bosun::client {
namespace {

// epoll's user data for the wake-up eventfd; entry ids start at 1.
constexpr uint64_t kWakeId = 0;

}  // namespace

WatchLoop& WatchLoop::shared() {
  static WatchLoop* loop = new WatchLoop();  // never destroyed: informers outlive static order
  return *loop;
}

WatchLoop::WatchLoop() {
  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeId;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

WatchLoop::~WatchLoop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake();
  if (thread_.joinable()) thread_.join();
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

WatchLoop::Id WatchLoop::add_socket(int fd, std::chrono::milliseconds idle, Callback callback,
                                    std::shared_ptr<void> owner) {
  return add(fd, idle, std::move(callback), std::move(owner));
}

WatchLoop::Id WatchLoop::add_timer(std::chrono::milliseconds delay, Callback callback) {
  return add(-1, delay, std::move(callback), nullptr);
}

WatchLoop::Entry WatchLoop::erase_locked(std::map<Id, Entry>::iterator it) {
  Entry e = std::move(it->second);
  if (e.fd >= 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, e.fd, nullptr);
  entries_.erase(it);
  return e;
}

WatchLoop::Id WatchLoop::add(int fd, std::chrono::milliseconds idle, Callback callback,
                             std::shared_ptr<void> owner) {
  Id id;
  {
    std::lock_guard lock(mu_);
    id = next_id_++;
    Entry& e = entries_[id];
    e.fd = fd;
    e.idle = idle;
    e.poke = fd >= 0;
    e.deadline = e.poke ? SteadyClock::now() : SteadyClock::now() + idle;
    e.callback = std::move(callback);
    e.owner = std::move(owner);
    if (fd >= 0) {
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.u64 = id;
      ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    }
    if (!started_) {
      started_ = true;
      thread_ = std::thread([this] { run(); });
    }
  }
  wake();  // the new deadline may be the nearest
  return id;
}

void WatchLoop::remove(Id id) {
  Entry removed;  // dropped after the lock: its owner may close a socket
  std::unique_lock lock(mu_);
  // From the callback itself (this thread runs it) there is nothing to wait for.
  if (std::this_thread::get_id() != thread_.get_id()) {
    idle_cv_.wait(lock, [&] { return running_ != id; });
  }
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  removed = erase_locked(it);
  lock.unlock();
}

size_t WatchLoop::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void WatchLoop::wake() {
  uint64_t one = 1;
  ssize_t n = ::write(wake_fd_, &one, sizeof one);
  (void)n;  // a full counter already wakes the loop
}

void WatchLoop::call(Id id, bool timed_out) {
  Callback callback;
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end()) return;  // removed meanwhile
    running_ = id;
    callback = it->second.callback;  // a copy: remove() from another thread may erase the entry
  }
  const Next next = callback(timed_out);
  callback = nullptr;
  Entry removed;  // dropped after the lock: its owner may close a socket
  std::unique_lock lock(mu_);
  running_ = 0;
  auto it = entries_.find(id);
  if (it != entries_.end()) {
    if (next == Next::kRemove) {
      removed = erase_locked(it);
    } else {
      // kAgain: due now, so the loop calls it once the ready entries it is serving had theirs.
      it->second.poke = next == Next::kAgain;
      it->second.deadline =
          it->second.poke ? SteadyClock::now() : SteadyClock::now() + it->second.idle;
    }
  }
  idle_cv_.notify_all();
  lock.unlock();
}

void WatchLoop::run() {
  set_thread_name("inf-watch");
  std::vector<epoll_event> events(64);
  bool busy = false;  // handled something since the last long wait
  for (;;) {
    int timeout_ms = -1;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      auto now = SteadyClock::now();
      for (const auto& [id, e] : entries_) {
        auto left = std::chrono::ceil<std::chrono::milliseconds>(e.deadline - now).count();
        if (left < 0) left = 0;
        if (timeout_ms < 0 || left < timeout_ms) timeout_ms = static_cast<int>(left);
      }
    }
    // After a burst of events, a second without any means the cluster went quiet: the loop's
    // allocator cache would otherwise keep what the burst freed.
    const bool capped = busy && (timeout_ms < 0 || timeout_ms > 1000);
    if (capped) timeout_ms = 1000;
    int n = ::epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
    if (n < 0 && errno != EINTR) return;
    if (n == 0 && capped) {
      release_idle_memory();
      busy = false;
      continue;
    }
    std::vector<Id> called;  // in this round: each entry gets one turn per round
    for (int i = 0; i < n; ++i) {
      Id id = events[i].data.u64;
      if (id == kWakeId) {
        uint64_t count;
        ssize_t r = ::read(wake_fd_, &count, sizeof count);
        (void)r;
        continue;
      }
      call(id, false);
      called.push_back(id);
      busy = true;
    }
    // Deadlines that passed: silent sockets, due timers, and pokes (kAgain, or a new socket).
    std::vector<std::pair<Id, bool>> due;  // and whether it timed out
    {
      std::lock_guard lock(mu_);
      auto now = SteadyClock::now();
      for (const auto& [id, e] : entries_) {
        if (e.deadline > now || std::find(called.begin(), called.end(), id) != called.end()) {
          continue;
        }
        due.emplace_back(id, e.fd < 0 || !e.poke);  // a timer is always a timeout
      }
    }
    for (auto [id, timed_out] : due) {
      call(id, timed_out);
      busy = true;
    }
  }
}

}  // namespace bosun::client
