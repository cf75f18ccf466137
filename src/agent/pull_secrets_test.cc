// The pod's imagePullSecrets as the kubelet reads them: dockerconfigjson and dockercfg secrets in
// order, other types and empty values ignored, a missing secret reported but not fatal, a malformed
// one failing the pull; and PodSyncer handing the credentials to the runtime's pull.
#include "agent/pull_secrets.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "agent/fake_runtime.h"
#include "agent/pod_sync.h"

namespace bosun::agent {
namespace {

Json secret(const std::string& type, const std::string& key, const std::string& value) {
  return Json{{"type", type}, {"data", {{key, runtime::base64_encode(value)}}}};
}

constexpr const char* kRegcred =
    R"({"auths":{"127.0.0.1:5000":{"username":"alice","password":"s3cret"}}})";

struct Lookups {
  std::map<std::string, Json> secrets;  // "ns/name" -> secret
  std::vector<std::string> asked;
  ObjectLookup fn() {
    return [this](std::string_view resource, std::string_view ns,
                  std::string_view name) -> Result<Json> {
      std::string key = std::string(ns) + "/" + std::string(name);
      asked.push_back(std::string(resource) + " " + key);
      auto it = secrets.find(key);
      if (it == secrets.end()) {
        return make_error(ErrorCode::kNotFound, "secrets \"" + std::string(name) + "\" not found");
      }
      return it->second;
    };
  }
};

Json pod_with_secrets(const std::vector<std::string>& names) {
  Json pod = Json::parse(R"js({
    "metadata": {"name": "web", "namespace": "prod", "uid": "uid-1"},
    "spec": {"nodeName": "node-a", "restartPolicy": "Always", "containers": [
      {"name": "app", "image": "127.0.0.1:5000/busybox:1", "imagePullPolicy": "Always"}]}
  })js");
  Json refs = Json::array();
  for (const auto& n : names) refs.push_back({{"name", n}});
  if (!names.empty()) pod["spec"]["imagePullSecrets"] = refs;
  return pod;
}

TEST(PodPullSecrets, ReadsDockerConfigSecretsInOrderFromThePodsNamespace) {
  Lookups l;
  l.secrets["prod/regcred"] =
      secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", kRegcred);
  l.secrets["prod/legacy"] = secret("kubernetes.io/dockercfg", ".dockercfg",
                                    R"({"registry.example.com":{"auth":"Ym9iOnB3"}})");
  l.secrets["prod/opaque"] = secret("Opaque", ".dockerconfigjson", kRegcred);
  l.secrets["prod/empty"] = secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", "");
  auto got = pod_pull_secrets(pod_with_secrets({"regcred", "opaque", "empty", "legacy"}), l.fn());
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(l.asked, (std::vector<std::string>{"secrets prod/regcred", "secrets prod/opaque",
                                               "secrets prod/empty", "secrets prod/legacy"}));
  EXPECT_TRUE(got->missing.empty());
  ASSERT_EQ(got->configs.size(), 2u);
  ASSERT_EQ(got->configs[0].auths.size(), 1u);
  EXPECT_EQ(got->configs[0].auths[0].first, "127.0.0.1:5000");
  EXPECT_EQ(got->configs[0].auths[0].second, (runtime::RegistryCredentials{"alice", "s3cret"}));
  ASSERT_EQ(got->configs[1].auths.size(), 1u);
  EXPECT_EQ(got->configs[1].auths[0].second, (runtime::RegistryCredentials{"bob", "pw"}));

  auto ref = runtime::parse_image_reference("127.0.0.1:5000/busybox:1");
  ASSERT_TRUE(ref.ok());
  auto creds = runtime::find_credentials(got->configs, *ref);
  ASSERT_TRUE(creds.has_value());
  EXPECT_EQ(creds->username, "alice");
}

TEST(PodPullSecrets, NoSecretsAskNothing) {
  Lookups l;
  auto got = pod_pull_secrets(pod_with_secrets({}), l.fn());
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->configs.empty());
  EXPECT_TRUE(l.asked.empty());
}

TEST(PodPullSecrets, MissingSecretsAreListedAndTheOthersStillUsed) {
  Lookups l;
  l.secrets["prod/regcred"] =
      secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", kRegcred);
  auto got = pod_pull_secrets(pod_with_secrets({"gone", "regcred", "", "also-gone"}), l.fn());
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->missing, (std::vector<std::string>{"gone", "also-gone"}));
  EXPECT_EQ(got->configs.size(), 1u);
  EXPECT_EQ(missing_pull_secrets_message(got->missing),
            "Unable to retrieve some image pull secrets (gone, also-gone); attempting to pull the "
            "image may not succeed.");
}

TEST(PodPullSecrets, AMalformedDockerConfigFailsThePull) {
  Lookups l;
  l.secrets["prod/bad"] =
      secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", "{not json");
  auto got = pod_pull_secrets(pod_with_secrets({"bad"}), l.fn());
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().code, ErrorCode::kBadRequest);
}

// Hands everything to a FakeRuntime and keeps each PullRequest's credentials.
class RecordingRuntime : public ContainerRuntime {
 public:
  explicit RecordingRuntime(FakeRuntime& inner) : inner_(inner) {}
  std::vector<std::vector<runtime::DockerConfig>> pulls() {
    std::lock_guard lock(mu_);
    return pulls_;
  }

  std::string version() const override { return inner_.version(); }
  std::string_view id_prefix() const override { return inner_.id_prefix(); }
  Result<std::optional<ImageInfo>> image_status(std::string_view image) override {
    return inner_.image_status(image);
  }
  Result<ImageInfo> pull_image(const PullRequest& request) override {
    {
      std::lock_guard lock(mu_);
      pulls_.push_back(request.credentials);
    }
    return inner_.pull_image(request);
  }
  Result<SandboxStatus> run_pod_sandbox(const runtime::SandboxConfig& config) override {
    return inner_.run_pod_sandbox(config);
  }
  Result<void> stop_pod_sandbox(std::string_view uid) override {
    return inner_.stop_pod_sandbox(uid);
  }
  Result<void> remove_pod_sandbox(std::string_view uid) override {
    return inner_.remove_pod_sandbox(uid);
  }
  Result<std::vector<SandboxStatus>> list_pod_sandboxes() override {
    return inner_.list_pod_sandboxes();
  }
  Result<std::string> create_container(const ContainerConfig& config) override {
    return inner_.create_container(config);
  }
  Result<void> start_container(std::string_view id) override { return inner_.start_container(id); }
  Result<void> stop_container(std::string_view id, std::chrono::milliseconds grace,
                              std::string_view stop_signal = {}) override {
    return inner_.stop_container(id, grace, stop_signal);
  }
  Result<void> remove_container(std::string_view id) override {
    return inner_.remove_container(id);
  }
  Result<std::vector<ContainerStatus>> list_containers() override {
    return inner_.list_containers();
  }
  Result<ContainerStatus> container_status(std::string_view id) override {
    return inner_.container_status(id);
  }
  Result<ExecSyncResult> exec_sync(std::string_view id, const std::vector<std::string>& command,
                                   std::chrono::milliseconds timeout) override {
    return inner_.exec_sync(id, command, timeout);
  }
  void set_container_event_listener(std::function<void(const std::string&)> listener) override {
    inner_.set_container_event_listener(std::move(listener));
  }

 private:
  FakeRuntime& inner_;
  std::mutex mu_;
  std::vector<std::vector<runtime::DockerConfig>> pulls_;
};

struct RecordedEvent {
  std::string reason, message;
};

class Events : public EventRecorder {
 public:
  void record(const Json&, std::string_view, std::string_view, std::string_view reason,
              std::string message) override {
    std::lock_guard lock(mu_);
    events_.push_back({std::string(reason), std::move(message)});
  }
  std::vector<std::string> messages(std::string_view reason) {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (auto& e : events_) {
      if (e.reason == reason) out.push_back(e.message);
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<RecordedEvent> events_;
};

class PodSyncPullSecretsTest : public ::testing::Test {
 protected:
  PodSyncPullSecretsTest() {
    FakeRuntimeOptions o;
    o.clock = &clock_;
    o.images = std::set<std::string>{};
    fake_ = std::make_unique<FakeRuntime>(o);
    runtime_ = std::make_unique<RecordingRuntime>(*fake_);
    NodeContext node;
    node.node_name = "node-a";
    node.data_dir = "/data";
    node.create_log_directories = false;
    syncer_ = std::make_unique<PodSyncer>(*runtime_, clock_, node, &events_, lookups_.fn());
  }

  FakeClock clock_;
  Lookups lookups_;
  Events events_;
  std::unique_ptr<FakeRuntime> fake_;
  std::unique_ptr<RecordingRuntime> runtime_;
  std::unique_ptr<PodSyncer> syncer_;
  PodSyncState state_;
};

TEST_F(PodSyncPullSecretsTest, ThePullCarriesThePodsImagePullSecrets) {
  lookups_.secrets["prod/regcred"] =
      secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", kRegcred);
  syncer_->sync_pod(pod_with_secrets({"regcred"}), state_);
  auto pulls = runtime_->pulls();
  ASSERT_EQ(pulls.size(), 1u);
  ASSERT_EQ(pulls[0].size(), 1u);
  ASSERT_EQ(pulls[0][0].auths.size(), 1u);
  EXPECT_EQ(pulls[0][0].auths[0].second, (runtime::RegistryCredentials{"alice", "s3cret"}));
  EXPECT_TRUE(events_.messages("FailedToRetrieveImagePullSecret").empty());
  EXPECT_EQ(state_.waiting.count("app"), 0u);
}

TEST_F(PodSyncPullSecretsTest, AMissingSecretIsReportedAndThePullGoesOn) {
  syncer_->sync_pod(pod_with_secrets({"regcred"}), state_);
  ASSERT_EQ(runtime_->pulls().size(), 1u);
  EXPECT_TRUE(runtime_->pulls()[0].empty());
  EXPECT_EQ(events_.messages("FailedToRetrieveImagePullSecret"),
            (std::vector<std::string>{"Unable to retrieve some image pull secrets (regcred); "
                                      "attempting to pull the image may not succeed."}));
}

TEST_F(PodSyncPullSecretsTest, AMalformedSecretIsErrImagePullWithoutAPull) {
  lookups_.secrets["prod/bad"] =
      secret("kubernetes.io/dockerconfigjson", ".dockerconfigjson", "{not json");
  syncer_->sync_pod(pod_with_secrets({"bad"}), state_);
  EXPECT_TRUE(runtime_->pulls().empty());
  ASSERT_EQ(state_.waiting.count("app"), 1u);
  EXPECT_EQ(state_.waiting["app"].reason, "ErrImagePull");
  auto failed = events_.messages("Failed");
  ASSERT_FALSE(failed.empty());
  EXPECT_TRUE(failed[0].starts_with("Failed to pull image \"127.0.0.1:5000/busybox:1\": "))
      << failed[0];
}

}  // namespace
}  // namespace bosun::agent
