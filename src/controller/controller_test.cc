#include "controller/controller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "client/kubeconfig.h"

namespace bosun::controller {
namespace {

size_t thread_count() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

// Reconciles block until released, so the test sees how many run at once.
class BlockingController final : public Controller {
 public:
  explicit BlockingController(ControllerContext ctx) : Controller(ctx) {}
  ~BlockingController() override {
    release();
    stop();
  }
  std::string_view name() const override { return "blocking-controller"; }

  void release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  // Waits until `n` reconciles are running at once (or 10 s pass).
  bool wait_running(int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return running_ >= n; });
  }
  bool wait_done(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return done_.size() >= n; });
  }
  int max_running() {
    std::lock_guard lock(mu_);
    return max_running_;
  }

 protected:
  Result<void> reconcile(const std::string& key) override {
    std::unique_lock lock(mu_);
    ++running_;
    max_running_ = std::max(max_running_, running_);
    cv_.notify_all();
    cv_.wait(lock, [&] { return released_; });
    --running_;
    done_.insert(key);
    cv_.notify_all();
    return {};
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool released_ = false;
  int running_ = 0;
  int max_running_ = 0;
  std::set<std::string> done_;
};

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Never contacted: the controller under test only uses its queue.
    client::ClientConfig config;
    config.server = "https://127.0.0.1:1";
    config.insecure_skip_tls_verify = true;
    auto c = client::RestClient::create(std::move(config));
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(*c);
    informers_ = std::make_unique<SharedInformers>(*client_);
  }

  std::unique_ptr<client::RestClient> client_;
  std::unique_ptr<SharedInformers> informers_;
  FakeClock clock_{std::chrono::system_clock::now()};
};

TEST_F(ControllerTest, AnIdleControllerRunsOneWorker) {
  BlockingController c(ControllerContext{*client_, *informers_, clock_});
  const size_t before = thread_count();
  c.run(5);
  // At most: a thread of an earlier test may still be leaving /proc/self/task.
  EXPECT_LE(thread_count(), before + 1);
}

TEST_F(ControllerTest, WorkersStartWhileKeysWaitUpToTheLimit) {
  BlockingController c(ControllerContext{*client_, *informers_, clock_});
  for (int i = 0; i < 6; ++i) c.enqueue("ns/k" + std::to_string(i));
  c.run(3);
  // Three keys in reconcile at once: the first worker started the second, the second the third.
  ASSERT_TRUE(c.wait_running(3));
  c.release();
  ASSERT_TRUE(c.wait_done(6));
  EXPECT_EQ(c.max_running(), 3);
}

TEST_F(ControllerTest, StopJoinsEveryWorkerStarted) {
  auto c = std::make_unique<BlockingController>(ControllerContext{*client_, *informers_, clock_});
  const size_t before = thread_count();
  for (int i = 0; i < 4; ++i) c->enqueue("ns/k" + std::to_string(i));
  c->run(4);
  ASSERT_TRUE(c->wait_running(4));
  c->release();
  c->stop();
  // A joined thread leaves /proc/self/task as the kernel releases it, just after the join returns
  // (and a thread of an earlier test may still be leaving too).
  for (int i = 0; i < 500 && thread_count() > before; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_LE(thread_count(), before);
}

}  // namespace
}  // namespace bosun::controller
