#include "agent/container_log_manager.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/time_format.h"

namespace bosun::agent {
namespace {

namespace fs = std::filesystem;

// Only what the log manager asks: the containers, and reopening a log (which the monitor does by
// creating a new file at the path).
class LogRuntime final : public ContainerRuntime {
 public:
  std::vector<ContainerStatus> containers;
  std::vector<std::string> reopened;
  bool fail_reopen = false;

  std::string version() const override { return "logs://0"; }
  std::string_view id_prefix() const override { return "logs"; }
  Result<std::optional<ImageInfo>> image_status(std::string_view) override { return none(); }
  Result<ImageInfo> pull_image(const PullRequest&) override { return none(); }
  Result<SandboxStatus> run_pod_sandbox(const runtime::SandboxConfig&) override { return none(); }
  Result<void> stop_pod_sandbox(std::string_view) override { return none(); }
  Result<void> remove_pod_sandbox(std::string_view) override { return none(); }
  Result<std::vector<SandboxStatus>> list_pod_sandboxes() override { return none(); }
  Result<std::string> create_container(const ContainerConfig&) override { return none(); }
  Result<void> start_container(std::string_view) override { return none(); }
  Result<void> stop_container(std::string_view, std::chrono::milliseconds,
                              std::string_view) override {
    return none();
  }
  Result<void> remove_container(std::string_view) override { return none(); }
  Result<std::vector<ContainerStatus>> list_containers() override { return containers; }
  Result<ContainerStatus> container_status(std::string_view) override { return none(); }
  Result<ExecSyncResult> exec_sync(std::string_view, const std::vector<std::string>&,
                                   std::chrono::milliseconds) override {
    return none();
  }
  void set_container_event_listener(std::function<void(const std::string&)>) override {}

  Result<void> reopen_container_log(std::string_view id) override {
    if (fail_reopen) return make_error(ErrorCode::kNotFound, "container is not running");
    reopened.emplace_back(id);
    for (const auto& c : containers) {
      if (c.id == id) std::ofstream(c.log_path, std::ios::app).flush();
    }
    return {};
  }

 private:
  static Error none() { return make_error(ErrorCode::kNotFound, "not in this test"); }
};

class ContainerLogManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string t = (fs::temp_directory_path() / "bosun-logman-XXXXXX").string();
    dir_ = ::mkdtemp(t.data());
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  ContainerStatus container(const std::string& id, ContainerState state, size_t bytes) {
    ContainerStatus c;
    c.id = id;
    c.state = state;
    c.log_path = dir_ + "/" + id + "/0.log";
    fs::create_directories(dir_ + "/" + id);
    std::ofstream(c.log_path) << std::string(bytes, 'x');
    return c;
  }
  std::string dir_;
};

TEST_F(ContainerLogManagerTest, RotatesRunningContainersOverTheSize) {
  LogRuntime runtime;
  runtime.containers = {container("big", ContainerState::kRunning, 2048),
                        container("small", ContainerState::kRunning, 100),
                        container("exited", ContainerState::kExited, 4096)};
  FakeClock clock(*parse_rfc3339("2024-05-01T12:00:00Z"));
  ContainerLogManager logs(runtime, {.max_size_bytes = 1024, .max_files = 5}, clock);
  EXPECT_EQ(logs.rotate_logs(), 1u);
  EXPECT_EQ(runtime.reopened, std::vector<std::string>{"big"});
  const std::string big = runtime.containers[0].log_path;
  EXPECT_EQ(rotated_logs(big), std::vector<std::string>{big + ".20240501-120000"});
  EXPECT_EQ(fs::file_size(big), 0u);
  // An exited container's log stays whole: it writes nothing more.
  EXPECT_EQ(fs::file_size(runtime.containers[2].log_path), 4096u);
  EXPECT_TRUE(rotated_logs(runtime.containers[2].log_path).empty());
}

TEST_F(ContainerLogManagerTest, AFailedReopenKeepsTheLogAndTheOthersGoOn) {
  LogRuntime runtime;
  runtime.containers = {container("a", ContainerState::kRunning, 2048)};
  runtime.fail_reopen = true;
  FakeClock clock(*parse_rfc3339("2024-05-01T12:00:00Z"));
  ContainerLogManager logs(runtime, {.max_size_bytes = 1024, .max_files = 5}, clock);
  EXPECT_EQ(logs.rotate_logs(), 0u);
  EXPECT_EQ(fs::file_size(runtime.containers[0].log_path), 2048u);
  EXPECT_TRUE(rotated_logs(runtime.containers[0].log_path).empty());
}

TEST(LogRotationPolicy, ParsedAsTheKubeletDoes) {
  auto p = make_log_rotation_policy("10Mi", 5);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->max_size_bytes, 10 * 1024 * 1024);
  EXPECT_EQ(p->max_files, 5);
  p = make_log_rotation_policy("2k", 2);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->max_size_bytes, 2000);
  p = make_log_rotation_policy("-1", 5);
  ASSERT_TRUE(p.ok());
  EXPECT_LT(p->max_size_bytes, 0);

  p = make_log_rotation_policy("10Mi", 1);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message, "invalid MaxFiles 1, must be > 1");
  p = make_log_rotation_policy("1500m", 5);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message,
            "failed to parse container log max size \"1500m\": invalid max log size");
  p = make_log_rotation_policy("ten", 5);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message.rfind("failed to parse container log max size \"ten\": ", 0), 0u);
}

}  // namespace
}  // namespace bosun::agent
