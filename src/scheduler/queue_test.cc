#include "scheduler/queue.h"

#include <gtest/gtest.h>

#include <thread>

#include "scheduler/framework.h"
#include "scheduler/test_util.h"

namespace bosun::scheduler {
namespace {

using testing::pod;
using testing::pod_json;
using namespace std::chrono_literals;

std::shared_ptr<const PodInfo> prio_pod(const std::string& name, int priority) {
  Json p = pod_json(name);
  p["spec"]["priority"] = priority;
  return pod(p);
}

class QueueTest : public ::testing::Test {
 protected:
  FakeClock clock_;
  // Pods rejected by NodeResourcesFit wait for pod deletions and node changes; by NodeAffinity for
  // node changes only.
  SchedulingQueue queue_{clock_, QueueOptions{}, [](const std::set<std::string>& plugins) {
                           uint32_t events = 0;
                           if (plugins.count("NodeResourcesFit")) {
                             events |= kAssignedPodDelete | kNodeAdd | kNodeUpdate;
                           }
                           if (plugins.count("NodeAffinity")) events |= kNodeAdd | kNodeUpdate;
                           return events;
                         }};

  QueuedPodInfo pop_named(const std::string& name) {
    auto p = queue_.try_pop();
    EXPECT_TRUE(p.has_value());
    if (p) {
      EXPECT_EQ(p->pod->name, name);
    }
    return p ? *p : QueuedPodInfo{};
  }
  void fail(QueuedPodInfo info, std::set<std::string> plugins) {
    info.unschedulable_plugins = std::move(plugins);
    ASSERT_TRUE(queue_.add_unschedulable_if_not_present(info).ok());
    queue_.done(info.pod->uid);
  }
};

TEST_F(QueueTest, ActiveOrderIsPriorityThenAge) {
  queue_.add(prio_pod("low-old", 0));
  clock_.advance(1s);
  queue_.add(prio_pod("high", 100));
  clock_.advance(1s);
  queue_.add(prio_pod("low-new", 0));
  pop_named("high");
  pop_named("low-old");
  pop_named("low-new");
  EXPECT_FALSE(queue_.try_pop().has_value());
}

TEST_F(QueueTest, BackoffDoublesFromOneToTenSeconds) {
  EXPECT_EQ(queue_.backoff_duration(1), 1s);
  EXPECT_EQ(queue_.backoff_duration(2), 2s);
  EXPECT_EQ(queue_.backoff_duration(4), 8s);
  EXPECT_EQ(queue_.backoff_duration(5), 10s);
  EXPECT_EQ(queue_.backoff_duration(50), 10s);
}

TEST_F(QueueTest, ErrorsWaitOutTheirBackoff) {
  queue_.add(prio_pod("p", 0));
  QueuedPodInfo info = pop_named("p");
  EXPECT_EQ(info.attempts, 1);
  fail(info, {});  // an error: straight to backoffQ
  EXPECT_EQ(queue_.backoff_size(), 1u);
  clock_.advance(999ms);
  queue_.flush_backoff_completed();
  EXPECT_EQ(queue_.active_size(), 0u);
  clock_.advance(1ms);
  queue_.flush_backoff_completed();
  EXPECT_EQ(queue_.active_size(), 1u);
  info = pop_named("p");
  EXPECT_EQ(info.attempts, 2);
  fail(info, {});
  clock_.advance(1s);
  queue_.flush_backoff_completed();
  EXPECT_EQ(queue_.active_size(), 0u);  // second back-off is 2 s
  clock_.advance(1s);
  queue_.flush_backoff_completed();
  EXPECT_EQ(queue_.active_size(), 1u);
}

TEST_F(QueueTest, UnschedulablePodsMoveOnRelevantEventsOnly) {
  queue_.add(prio_pod("fit", 0));
  queue_.add(prio_pod("affinity", 0));
  QueuedPodInfo fit = pop_named("fit");
  QueuedPodInfo affinity = pop_named("affinity");
  fail(fit, {"NodeResourcesFit"});
  fail(affinity, {"NodeAffinity"});
  EXPECT_EQ(queue_.unschedulable_size(), 2u);

  clock_.advance(5s);
  queue_.move_all_to_active_or_backoff(kAssignedPodDelete);
  EXPECT_EQ(queue_.unschedulable_size(), 1u);
  EXPECT_EQ(queue_.active_size(), 1u);  // back-off (1 s) already over
  pop_named("fit");

  queue_.move_all_to_active_or_backoff(kNodeAdd);
  EXPECT_EQ(queue_.unschedulable_size(), 0u);
  pop_named("affinity");
}

TEST_F(QueueTest, MovedWhileBackingOffGoesToBackoffQ) {
  queue_.add(prio_pod("p", 0));
  fail(pop_named("p"), {"NodeResourcesFit"});
  queue_.move_all_to_active_or_backoff(kNodeAdd);
  EXPECT_EQ(queue_.backoff_size(), 1u);
  EXPECT_EQ(queue_.active_size(), 0u);
  clock_.advance(1s);
  queue_.flush_backoff_completed();
  EXPECT_EQ(queue_.active_size(), 1u);
}

TEST_F(QueueTest, EventDuringTheAttemptSendsThePodToBackoff) {
  queue_.add(prio_pod("p", 0));
  QueuedPodInfo info = pop_named("p");
  queue_.move_all_to_active_or_backoff(kNodeAdd);  // while the pod is in flight
  fail(info, {"NodeResourcesFit"});
  EXPECT_EQ(queue_.unschedulable_size(), 0u);
  EXPECT_EQ(queue_.backoff_size(), 1u);
}

TEST_F(QueueTest, UnschedulablePodsAreFlushedAfterFiveMinutes) {
  queue_.add(prio_pod("p", 0));
  fail(pop_named("p"), {"NodeAffinity"});
  clock_.advance(4min);
  queue_.flush_unschedulable_leftover();
  EXPECT_EQ(queue_.unschedulable_size(), 1u);
  clock_.advance(61s);
  queue_.flush_unschedulable_leftover();
  EXPECT_EQ(queue_.unschedulable_size(), 0u);
  EXPECT_EQ(queue_.active_size(), 1u);
}

TEST_F(QueueTest, UpdateGivesAnUnschedulablePodAnotherChance) {
  queue_.add(prio_pod("p", 0));
  fail(pop_named("p"), {"NodeAffinity"});
  clock_.advance(2s);
  queue_.update(prio_pod("p", 5));
  EXPECT_EQ(queue_.active_size(), 1u);
  auto info = queue_.try_pop();
  ASSERT_TRUE(info);
  EXPECT_EQ(info->pod->priority, 5);
  EXPECT_EQ(info->attempts, 2);
}

TEST_F(QueueTest, RemoveAndDuplicates) {
  queue_.add(prio_pod("p", 0));
  queue_.remove("p");
  EXPECT_FALSE(queue_.try_pop());
  queue_.add(prio_pod("q", 0));
  QueuedPodInfo info = pop_named("q");
  queue_.add(prio_pod("q", 0));  // re-added by an informer while in flight
  info.unschedulable_plugins = {"NodeAffinity"};
  auto r = queue_.add_unschedulable_if_not_present(info);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kAlreadyExists);
}

TEST_F(QueueTest, PopBlocksUntilAPodArrivesOrClose) {
  std::optional<QueuedPodInfo> got;
  std::thread popper([&] { got = queue_.pop(); });
  queue_.add(prio_pod("p", 0));
  popper.join();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->pod->name, "p");

  bool closed = false;
  std::thread waiter([&] { closed = !queue_.pop().has_value(); });
  queue_.close();
  waiter.join();
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace bosun::scheduler
