// WatchLoop: the one thread that waits on every informer's watch connection of a process (an
// epoll loop over their non-blocking sockets) and on their back-off timers. Informers used to
// block in a read on a thread each (26 in an idle `bosun server`, each with its stack, a 320 KB
// JSON parser and an allocator cache); client-go's reflectors are goroutines, which cost nothing
// while they wait. Callbacks run on the loop thread, one at a time, and must not block: they read
// what has arrived, hand events on, and post anything slow (a list, a new watch) elsewhere.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace bosun::client {

class WatchLoop {
 public:
  using Id = uint64_t;
  // What a callback asks for next: to leave the loop, to wait for its socket (or its `idle`), or
  // to be called again at once after the other ready entries had their turn: a callback that
  // stops early with input still buffered (its share of the thread used up) would otherwise wait
  // for the socket to signal bytes it has already read.
  enum class Next { kRemove, kWait, kAgain };
  // Called with timed_out false when the socket is readable (or closed) or the callback asked to
  // run again, true when `idle` passed without that.
  using Callback = std::function<Next(bool timed_out)>;

  // The process's loop, used by every Informer; its thread starts with the first registration and
  // is never stopped.
  static WatchLoop& shared();

  WatchLoop();
  ~WatchLoop();  // ends the thread; no callback may be registered any more

  WatchLoop(const WatchLoop&) = delete;
  WatchLoop& operator=(const WatchLoop&) = delete;

  // Watches `fd` for reading; the callback runs once right away (what arrived with the response
  // head is buffered already), then whenever the socket is readable. `idle` is measured from
  // each of those calls. `owner` (what owns the socket) is kept until the socket has left the
  // loop, so the descriptor cannot be closed and reused by another registration before that.
  Id add_socket(int fd, std::chrono::milliseconds idle, Callback callback,
                std::shared_ptr<void> owner);
  // Calls `callback(true)` after `delay` (and again while it returns kAgain).
  Id add_timer(std::chrono::milliseconds delay, Callback callback);
  // Unregisters; when it returns, the callback is not running and will not run again (unless
  // called from that callback itself, which should return kRemove instead). Unknown ids are fine.
  void remove(Id id);

  size_t size() const;  // registrations (tests)

 private:
  using SteadyClock = std::chrono::steady_clock;
  struct Entry {
    int fd = -1;  // -1: a timer
    std::chrono::milliseconds idle{0};
    SteadyClock::time_point deadline;
    // Call at once as if readable: bytes that came with the response head may already sit in
    // the connection's buffers (or the callback returned kAgain), and the socket would never
    // signal them.
    bool poke = false;
    Callback callback;
    std::shared_ptr<void> owner;
  };

  Id add(int fd, std::chrono::milliseconds idle, Callback callback, std::shared_ptr<void> owner);
  // Takes the entry out of the map and epoll; the caller drops it outside mu_.
  Entry erase_locked(std::map<Id, Entry>::iterator it);
  void run();
  void wake();
  void call(Id id, bool timed_out);

  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // an eventfd: a new deadline or stop

  mutable std::mutex mu_;            // guards everything below
  std::condition_variable idle_cv_;  // remove() waits for running_ to change
  std::map<Id, Entry> entries_;
  Id next_id_ = 1;
  Id running_ = 0;  // the entry whose callback runs now
  bool started_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace bosun::client
