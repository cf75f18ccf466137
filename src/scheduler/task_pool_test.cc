#include "scheduler/task_pool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>

namespace bosun::scheduler {
namespace {

size_t thread_count() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// Tasks that block until released, counting how many run at once.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int running = 0;
  int max_running = 0;
  int done = 0;

  std::function<void()> task() {
    return [this] {
      std::unique_lock lock(mu);
      max_running = std::max(max_running, ++running);
      cv.notify_all();
      cv.wait(lock, [&] { return open; });
      --running;
      ++done;
      cv.notify_all();
    };
  }
  bool wait(const std::function<bool()>& pred) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), pred);
  }
  void release() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

TEST(TaskPoolTest, NoThreadsUntilATaskIsPosted) {
  const size_t before = thread_count();
  TaskPool pool(16, 0);
  // At most: a thread of an earlier test may still be leaving /proc/self/task.
  EXPECT_LE(thread_count(), before);
}

TEST(TaskPoolTest, ThreadsStartForWaitingTasksUpToTheLimit) {
  Gate gate;
  TaskPool pool(3, 0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(pool.post(gate.task()));
  ASSERT_TRUE(gate.wait([&] { return gate.running == 3; }));
  gate.release();
  ASSERT_TRUE(gate.wait([&] { return gate.done == 5; }));
  EXPECT_EQ(gate.max_running, 3);
}

TEST(TaskPoolTest, AnIdleThreadTakesTheNextTask) {
  Gate gate;
  gate.open = true;
  const size_t before = thread_count();
  TaskPool pool(16, 0);
  for (int i = 1; i <= 20; ++i) {
    ASSERT_TRUE(pool.post(gate.task()));
    ASSERT_TRUE(gate.wait([&] { return gate.done == i; }));
    // The thread is idle again once its task has returned and it waits for the next one.
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // One-at-a-time tasks never needed a second thread (at most a few if a post raced with the
  // thread going back to wait; never one per task).
  EXPECT_LE(thread_count(), before + 3);
}

TEST(TaskPoolTest, StopDropsQueuedTasksAndRefusesNewOnes) {
  Gate gate;
  TaskPool pool(1, 0);
  ASSERT_TRUE(pool.post(gate.task()));
  ASSERT_TRUE(gate.wait([&] { return gate.running == 1; }));
  ASSERT_TRUE(pool.post(gate.task()));
  std::thread stopper([&] { pool.stop(); });
  // post() succeeds until stop() has cleared the queue (these no-ops are dropped with it).
  while (pool.post([] {})) std::this_thread::yield();
  gate.release();
  stopper.join();
  EXPECT_EQ(gate.done, 1);
}

}  // namespace
}  // namespace bosun::scheduler
