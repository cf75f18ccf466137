#include "agent/fake_runtime.h"

#include <gtest/gtest.h>

namespace bosun::agent {
namespace {

runtime::SandboxConfig sandbox(const std::string& uid) {
  runtime::SandboxConfig s;
  s.pod_uid = uid;
  s.pod_name = "p";
  s.pod_namespace = "ns";
  return s;
}

ContainerConfig container(const std::string& uid, const std::string& name, int attempt = 0) {
  ContainerConfig c;
  c.pod_uid = uid;
  c.name = name;
  c.attempt = attempt;
  c.image = "busybox:1.36";
  return c;
}

PullRequest pull(const std::string& image) {
  PullRequest r;
  r.image = image;
  return r;
}

TEST(FakeRuntime, ContainersRunAfterTheStartupLatency) {
  FakeClock clock;
  FakeRuntimeOptions o;
  o.clock = &clock;
  o.startup_latency = std::chrono::seconds(2);
  FakeRuntime rt(o);
  ASSERT_TRUE(rt.run_pod_sandbox(sandbox("u1")).ok());
  auto id = rt.create_container(container("u1", "app"));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(rt.container_status(*id)->state, ContainerState::kCreated);
  ASSERT_TRUE(rt.start_container(*id).ok());
  EXPECT_EQ(rt.container_status(*id)->state, ContainerState::kCreated);
  clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(rt.list_containers()->at(0).state, ContainerState::kCreated);
  const auto started = clock.now() + std::chrono::seconds(1);
  clock.advance(std::chrono::seconds(5));
  auto st = rt.container_status(*id);
  EXPECT_EQ(st->state, ContainerState::kRunning);
  EXPECT_EQ(st->started_at, started);
  EXPECT_EQ(st->image, "busybox:1.36");
  EXPECT_TRUE(st->image_ref.starts_with("busybox@sha256:")) << st->image_ref;
}

TEST(FakeRuntime, ExitWithCodeOomAndTheListenerHears) {
  FakeClock clock;
  FakeRuntimeOptions o;
  o.clock = &clock;
  FakeRuntime rt(o);
  std::vector<std::string> heard;
  rt.set_container_event_listener([&](const std::string& uid) { heard.push_back(uid); });
  ASSERT_TRUE(rt.run_pod_sandbox(sandbox("u1")).ok());
  auto a = *rt.create_container(container("u1", "a"));
  auto b = *rt.create_container(container("u1", "b"));
  ASSERT_TRUE(rt.start_container(a).ok());
  ASSERT_TRUE(rt.start_container(b).ok());
  ASSERT_TRUE(rt.exit_container("u1", "a", 3).ok());
  ASSERT_TRUE(rt.exit_container("u1", "b", 137, /*oom=*/true).ok());
  EXPECT_EQ(rt.container_status(a)->exit_code, 3);
  EXPECT_EQ(rt.container_status(a)->reason, "Error");
  EXPECT_EQ(rt.container_status(b)->reason, "OOMKilled");
  EXPECT_EQ(heard, (std::vector<std::string>{"u1", "u1"}));
  // Nothing left running of that name.
  EXPECT_EQ(rt.exit_container("u1", "a", 0).error().code, ErrorCode::kNotFound);
  // Exited containers can be removed; the sandbox removal takes the rest.
  EXPECT_TRUE(rt.remove_container(a).ok());
  EXPECT_EQ(rt.container_count(), 1u);
  ASSERT_TRUE(rt.remove_pod_sandbox("u1").ok());
  EXPECT_EQ(rt.container_count(), 0u);
  EXPECT_EQ(rt.sandbox_count(), 0u);
}

TEST(FakeRuntime, ImagesPresentPullableAndPullErrors) {
  FakeRuntimeOptions o;
  o.images = std::set<std::string>{"present:1"};
  o.pullable = std::set<std::string>{"remote:1"};
  o.record_calls = true;
  FakeRuntime rt(o);
  EXPECT_TRUE(rt.image_status("present:1")->has_value());
  EXPECT_FALSE(rt.image_status("remote:1")->has_value());
  EXPECT_FALSE(rt.pull_image(pull("missing:1")).ok());
  ASSERT_TRUE(rt.pull_image(pull("remote:1")).ok());
  EXPECT_TRUE(rt.image_status("remote:1")->has_value());
  rt.set_pull_error("remote:1", make_error(ErrorCode::kUnauthorized, "denied"));
  EXPECT_EQ(rt.pull_image(pull("remote:1")).error().message, "denied");
  rt.set_pull_error("remote:1", std::nullopt);
  EXPECT_TRUE(rt.pull_image(pull("remote:1")).ok());
  EXPECT_EQ(rt.calls().front(), "pull_image missing:1");
  // A container of an image that is not present cannot be created.
  ASSERT_TRUE(rt.run_pod_sandbox(sandbox("u1")).ok());
  auto c = container("u1", "x");
  c.image = "missing:1";
  EXPECT_FALSE(rt.create_container(c).ok());
}

TEST(FakeRuntime, StopSandboxStopsContainersAndExecNeedsARunningContainer) {
  FakeRuntimeOptions o;
  o.record_calls = true;
  FakeRuntime rt(o);
  rt.set_exec_result(1, "not ready");
  ASSERT_TRUE(rt.run_pod_sandbox(sandbox("u1")).ok());
  auto cfg = container("u1", "app");
  cfg.env = {"A=1"};
  auto id = *rt.create_container(cfg);
  ASSERT_TRUE(rt.start_container(id).ok());
  auto r = rt.exec_sync(id, {"cat", "/ready"}, std::chrono::seconds(1));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 1);
  EXPECT_EQ(r->output, "not ready");
  EXPECT_EQ(rt.container_config(id)->env, (std::vector<std::string>{"A=1"}));
  ASSERT_TRUE(rt.stop_container(id, std::chrono::seconds(30)).ok());
  EXPECT_EQ(rt.container_status(id)->exit_code, 143);
  EXPECT_FALSE(rt.exec_sync(id, {"true"}, std::chrono::seconds(1)).ok());
  ASSERT_TRUE(rt.stop_pod_sandbox("u1").ok());
  EXPECT_FALSE(rt.list_pod_sandboxes()->at(0).ready);
  EXPECT_FALSE(rt.create_container(container("u1", "late")).ok());
}

TEST(FakeRuntime, ScheduleIsAskedToTellTheListenerWhenTheContainerComesUp) {
  FakeClock clock;
  std::vector<std::pair<Clock::Duration, std::function<void()>>> timers;
  FakeRuntimeOptions o;
  o.clock = &clock;
  o.startup_latency = std::chrono::milliseconds(500);
  o.schedule = [&](Clock::Duration d, std::function<void()> fn) {
    timers.emplace_back(d, std::move(fn));
  };
  FakeRuntime rt(o);
  std::vector<std::string> heard;
  rt.set_container_event_listener([&](const std::string& uid) { heard.push_back(uid); });
  ASSERT_TRUE(rt.run_pod_sandbox(sandbox("u1")).ok());
  auto id = *rt.create_container(container("u1", "app"));
  ASSERT_TRUE(rt.start_container(id).ok());
  ASSERT_EQ(timers.size(), 1u);
  EXPECT_EQ(timers[0].first, std::chrono::milliseconds(500));
  clock.advance(std::chrono::milliseconds(500));
  timers[0].second();
  EXPECT_EQ(heard, (std::vector<std::string>{"u1"}));
  EXPECT_EQ(rt.container_status(id)->state, ContainerState::kRunning);
}

}  // namespace
}  // namespace bosun::agent
