// WatchLoop: a readable socket calls its callback (and at once after registering, for bytes that
// came with a response head), a silent one times out, timers fire once, a callback that returns
// kRemove is dropped, one that returns kAgain runs again after the others without new input, and
// remove() from another thread waits for a running callback.
#include "client/watch_loop.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bosun::client {
namespace {

using namespace std::chrono_literals;

class SocketPair {
 public:
  SocketPair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds_), 0); }
  ~SocketPair() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  int reader() const { return fds_[0]; }
  void send(char c) { EXPECT_EQ(::write(fds_[1], &c, 1), 1); }
  // Reads what is there; the byte count.
  int drain() {
    char buf[64];
    ssize_t n = ::read(fds_[0], buf, sizeof buf);
    return n < 0 ? 0 : static_cast<int>(n);
  }

 private:
  int fds_[2] = {-1, -1};
};

// Counts callbacks and lets the test wait for a number of them.
struct Calls {
  std::mutex mu;
  std::condition_variable cv;
  int readable = 0;
  int timed_out = 0;
  void record(bool t) {
    std::lock_guard lock(mu);
    (t ? timed_out : readable)++;
    cv.notify_all();
  }
  bool wait(int want_readable, int want_timed_out) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, 10s,
                       [&] { return readable >= want_readable && timed_out >= want_timed_out; });
  }
};

TEST(WatchLoop, ReadableSocketsCallBackAndAFalseReturnUnregisters) {
  WatchLoop loop;
  SocketPair pair;
  Calls calls;
  std::atomic<int> bytes{0};
  auto id = loop.add_socket(
      pair.reader(), 60s,
      [&](bool timed_out) {
        bytes += pair.drain();
        calls.record(timed_out);
        return bytes.load() < 2 ? WatchLoop::Next::kWait : WatchLoop::Next::kRemove;
      },
      nullptr);
  ASSERT_TRUE(calls.wait(1, 0));  // the call right after registering, with nothing to read
  EXPECT_EQ(bytes.load(), 0);
  pair.send('a');
  ASSERT_TRUE(calls.wait(2, 0));
  EXPECT_EQ(bytes.load(), 1);
  pair.send('b');
  ASSERT_TRUE(calls.wait(3, 0));
  EXPECT_EQ(bytes.load(), 2);
  // It returned false: gone from the loop, and later bytes call nothing.
  for (int i = 0; i < 100 && loop.size() != 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(loop.size(), 0u);
  pair.send('c');
  std::this_thread::sleep_for(50ms);
  std::lock_guard lock(calls.mu);
  EXPECT_EQ(calls.readable, 3);
  EXPECT_EQ(calls.timed_out, 0);
  loop.remove(id);  // already gone: fine
}

TEST(WatchLoop, ASilentSocketTimesOutAndTimersFireOnce) {
  WatchLoop loop;
  SocketPair pair;
  Calls socket_calls;
  loop.add_socket(
      pair.reader(), 50ms,
      [&](bool timed_out) {
        socket_calls.record(timed_out);
        return timed_out ? WatchLoop::Next::kRemove : WatchLoop::Next::kWait;
      },
      nullptr);
  Calls timer_calls;
  loop.add_timer(20ms, [&](bool timed_out) {
    timer_calls.record(timed_out);
    return WatchLoop::Next::kRemove;
  });
  ASSERT_TRUE(socket_calls.wait(1, 1));
  ASSERT_TRUE(timer_calls.wait(0, 1));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(loop.size(), 0u);
  std::lock_guard lock(timer_calls.mu);
  EXPECT_EQ(timer_calls.timed_out, 1);
  EXPECT_EQ(timer_calls.readable, 0);
}

TEST(WatchLoop, AgainRunsACallbackOnceMoreAfterTheOthersWithoutNewInput) {
  WatchLoop loop;
  SocketPair flood;
  SocketPair other;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> order;
  auto log = [&](std::string e) {
    std::lock_guard lock(mu);
    order.push_back(std::move(e));
    cv.notify_all();
  };
  loop.add_socket(
      other.reader(), 60s,
      [&](bool) {
        if (other.drain() > 0) log("other");
        return WatchLoop::Next::kWait;
      },
      nullptr);
  std::atomic<int> flood_calls{0};
  loop.add_socket(
      flood.reader(), 60s,
      [&](bool timed_out) {
        EXPECT_FALSE(timed_out);
        const int n = ++flood_calls;
        log("flood");
        // Input for the other socket while this one still has "buffered" work: it is served
        // before this one's next turn.
        if (n == 2) other.send('x');
        return n < 5 ? WatchLoop::Next::kAgain : WatchLoop::Next::kWait;
      },
      nullptr);
  {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return order.size() >= 6; }));
  }
  std::this_thread::sleep_for(50ms);  // kWait and no input: no sixth turn
  EXPECT_EQ(flood_calls.load(), 5);
  std::lock_guard lock(mu);
  EXPECT_EQ(order,
            (std::vector<std::string>{"flood", "flood", "other", "flood", "flood", "flood"}));
}

TEST(WatchLoop, RemoveWaitsForARunningCallbackAndReleasesTheOwner) {
  WatchLoop loop;
  SocketPair pair;
  std::promise<void> entered;
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::atomic<bool> finished{false};
  auto owner = std::make_shared<int>(7);
  std::weak_ptr<int> watched = owner;
  auto id = loop.add_socket(
      pair.reader(), 60s,
      [&](bool) {
        entered.set_value();
        released.wait();
        finished = true;
        return WatchLoop::Next::kWait;
      },
      std::move(owner));
  entered.get_future().wait();  // the first call, right after registering
  auto removed = std::async(std::launch::async, [&] { loop.remove(id); });
  EXPECT_EQ(removed.wait_for(100ms), std::future_status::timeout);
  release.set_value();
  removed.wait();
  EXPECT_TRUE(finished.load());
  EXPECT_EQ(loop.size(), 0u);
  EXPECT_TRUE(watched.expired());  // the loop let go of the socket's owner
}

}  // namespace
}  // namespace bosun::client
