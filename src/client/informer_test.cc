// Informers against the real API server: a paged initial list, events in order to handlers, the
// cache and its indexes (namespace, owner uid, user-defined), transform and selectors, resuming
// after a watch timeout, and re-listing after 410 Expired.
#include "client/informer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "client/test_config.h"

namespace bosun::client {
namespace {

using apiserver::testing::RestTestServer;
using apiserver::testing::RestTestServerOptions;

Json config_map(std::string_view name, std::string_view app = "a") {
  return Json{{"apiVersion", "v1"},
              {"kind", "ConfigMap"},
              {"metadata", {{"name", name}, {"labels", {{"app", app}}}}},
              {"data", {{"k", "v"}}}};
}

// Collects handler calls as "add x", "update x", "delete x", in the order they arrive.
class Recorder {
 public:
  EventHandler handler() {
    EventHandler h;
    h.on_add = [this](const ObjectPtr& o) { record("add " + name(*o)); };
    h.on_update = [this](const ObjectPtr& old_o, const ObjectPtr& new_o) {
      EXPECT_EQ(name(*old_o), name(*new_o));
      record("update " + name(*new_o));
    };
    h.on_delete = [this](const ObjectPtr& o) { record("delete " + name(*o)); };
    return h;
  }
  // Waits (up to 20 s) until `n` events arrived; returns them.
  std::vector<std::string> wait_for(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(20), [&] { return events_.size() >= n; });
    return events_;
  }

 private:
  static std::string name(const Json& o) { return o["metadata"].value("name", std::string()); }
  void record(std::string e) {
    std::lock_guard<std::mutex> lock(mu_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
};

class InformerTest : public ::testing::Test {
 protected:
  void start(RestTestServerOptions options = {}) {
    auto s = RestTestServer::start(std::move(options));
    ASSERT_TRUE(s.ok()) << s.error().message;
    server_ = std::move(s).value();
    auto c = RestClient::create(testing::admin_config(*server_));
    ASSERT_TRUE(c.ok()) << c.error().message;
    client_ = std::move(c).value();
  }
  void SetUp() override { start(); }
  void create(std::string_view ns, const Json& object) {
    auto r = client_->create(kConfigMaps, ns, object);
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  void create_namespace(std::string_view name) {
    auto r = client_->create(
        core_resource("namespaces"), "",
        Json{{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", name}}}});
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  std::unique_ptr<RestTestServer> server_;
  std::unique_ptr<RestClient> client_;
};

TEST_F(InformerTest, PagedListThenOrderedEventsIntoAnIndexedCache) {
  create_namespace("other");
  for (int i = 0; i < 7; ++i) create("default", config_map("d" + std::to_string(i)));
  Json owned = config_map("owned", "b");
  owned["metadata"]["ownerReferences"] = Json::array(
      {{{"apiVersion", "apps/v1"}, {"kind", "ReplicaSet"}, {"name", "rs"}, {"uid", "uid-1"}}});
  create("other", owned);

  InformerOptions o;
  o.resource = kConfigMaps;
  o.page_size = 3;  // three pages and a bit
  Informer informer(*client_, o);
  informer.add_index("app", [](const Json& obj) {
    const Json& labels = obj["metadata"].value("labels", Json::object());
    return std::vector<std::string>{labels.value("app", std::string())};
  });
  Recorder recorder;
  informer.add_event_handler(recorder.handler());
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(20)));
  EXPECT_EQ(informer.list_count(), 1);
  size_t initial = informer.size();  // the 8 above, plus any the server bootstraps
  EXPECT_GE(initial, 8u);
  ASSERT_NE(informer.get("other/owned"), nullptr);
  EXPECT_EQ(informer.get("nope/none"), nullptr);
  EXPECT_EQ(informer.by_index(Informer::kNamespaceIndex, "other").size(), 1u);
  EXPECT_EQ(informer.by_index(Informer::kOwnerUidIndex, "uid-1").size(), 1u);
  EXPECT_EQ(informer.by_index("app", "a").size(), 7u);
  EXPECT_EQ(informer.by_index("app", "b").size(), 1u);
  EXPECT_EQ(informer.by_index(Informer::kLabelIndex, "app=a").size(), 7u);
  EXPECT_EQ(recorder.wait_for(initial).size(), initial);

  create("default", config_map("new", "b"));
  ASSERT_TRUE(
      client_->patch(kConfigMaps, "default", "new", PatchType::kMerge, R"({"data":{"k":"2"}})")
          .ok());
  ASSERT_TRUE(client_->remove(kConfigMaps, "other", "owned").ok());
  auto events = recorder.wait_for(initial + 3);
  ASSERT_EQ(events.size(), initial + 3);
  EXPECT_EQ(std::vector<std::string>(events.begin() + initial, events.end()),
            (std::vector<std::string>{"add new", "update new", "delete owned"}));
  EXPECT_EQ((*informer.get("default/new"))["data"]["k"], "2");
  EXPECT_EQ(informer.by_index("app", "b").size(), 1u);
  EXPECT_TRUE(informer.by_index(Informer::kOwnerUidIndex, "uid-1").empty());
  EXPECT_TRUE(informer.by_index(Informer::kNamespaceIndex, "other").empty());
  informer.stop();
}

TEST_F(InformerTest, AnUpdateMovesTheObjectOnlyWhereItsIndexValuesChanged) {
  create("default", config_map("m", "a"));
  create("default", config_map("n", "a"));
  InformerOptions o;
  o.resource = kConfigMaps;
  o.namespace_name = "default";
  Informer informer(*client_, o);
  Recorder recorder;
  informer.add_event_handler(recorder.handler());
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(20)));
  size_t initial = recorder.wait_for(informer.size()).size();
  auto names = [&](std::string_view index, std::string_view value) {
    std::vector<std::string> out;
    for (const auto& p : informer.by_index(index, value)) out.push_back(p->at("metadata")["name"]);
    return out;
  };
  using Names = std::vector<std::string>;
  auto patch = [&](std::string_view name, std::string_view body) {
    ASSERT_TRUE(client_->patch(kConfigMaps, "default", name, PatchType::kMerge, body).ok());
  };

  // Data only: every index keeps the object, and the cached copy is the new one.
  patch("m", R"({"data":{"k":"1"}})");
  // A label moves: out of app=a, into app=b; the namespace index keeps it.
  patch("n", R"({"metadata":{"labels":{"app":"b"}}})");
  // An owner added: into the owner index, labels unchanged.
  patch("m", R"({"metadata":{"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet",)"
             R"("name":"rs","uid":"uid-9"}]}})");
  ASSERT_EQ(recorder.wait_for(initial + 3).size(), initial + 3);
  EXPECT_EQ((*informer.get("default/m"))["data"]["k"], "1");
  EXPECT_EQ(names(Informer::kLabelIndex, "app=a"), Names{"m"});
  EXPECT_EQ(names(Informer::kLabelIndex, "app=b"), Names{"n"});
  EXPECT_EQ(names(Informer::kOwnerUidIndex, "uid-9"), Names{"m"});
  EXPECT_EQ(names(Informer::kNamespaceIndex, "default").size(), informer.size());
  // The pointers the index hands out are the current versions.
  EXPECT_EQ(informer.by_index(Informer::kOwnerUidIndex, "uid-9")[0], informer.get("default/m"));

  // A deletion takes it out of every index.
  ASSERT_TRUE(client_->remove(kConfigMaps, "default", "m").ok());
  ASSERT_EQ(recorder.wait_for(initial + 4).size(), initial + 4);
  EXPECT_TRUE(names(Informer::kLabelIndex, "app=a").empty());
  EXPECT_TRUE(names(Informer::kOwnerUidIndex, "uid-9").empty());
  EXPECT_EQ(names(Informer::kNamespaceIndex, "default").size(), informer.size());
  informer.stop();
}

TEST_F(InformerTest, AHandlerOrIndexAddedWhileRunningStartsFromTheCache) {
  for (int i = 0; i < 3; ++i) create("default", config_map("c" + std::to_string(i)));
  InformerOptions o;
  o.resource = kConfigMaps;
  o.namespace_name = "default";
  Informer informer(*client_, o);
  // The first handler holds the dispatcher in its first call until released, so that changes
  // queue up behind it while the second handler joins.
  std::mutex gate_mu;
  std::condition_variable gate_cv;
  bool entered = false;
  bool open = false;
  Recorder first;
  EventHandler gated = first.handler();
  gated.on_add = [&, record = gated.on_add](const ObjectPtr& o) {
    {
      std::unique_lock lock(gate_mu);
      entered = true;
      gate_cv.notify_all();
      gate_cv.wait(lock, [&] { return open; });
    }
    record(o);
  };
  informer.add_event_handler(gated);
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(20)));
  {
    std::unique_lock lock(gate_mu);
    ASSERT_TRUE(gate_cv.wait_for(lock, std::chrono::seconds(20), [&] { return entered; }));
  }
  // Cached, and its notification queued behind the held dispatcher, before the second joins.
  create("default", config_map("queued"));
  for (int i = 0; i < 2000 && informer.get("default/queued") == nullptr; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_NE(informer.get("default/queued"), nullptr);
  const size_t cached = informer.size();

  // Joins a running informer (a shared one whose other users started it): the cache as adds,
  // then only the changes after it joined; the queued add is part of the replay, not a second
  // call.
  Recorder late;
  informer.add_event_handler(late.handler());
  EXPECT_EQ(informer.handler_count(), 2u);
  informer.add_index("app", [](const Json& obj) {
    const Json& labels = obj["metadata"].value("labels", Json::object());
    return std::vector<std::string>{labels.value("app", std::string())};
  });
  EXPECT_EQ(informer.by_index("app", "a").size(), 4u);
  {
    std::lock_guard lock(gate_mu);
    open = true;
  }
  gate_cv.notify_all();
  EXPECT_EQ(first.wait_for(cached).size(), cached);

  create("default", config_map("later", "b"));
  ASSERT_TRUE(client_->remove(kConfigMaps, "default", "c0").ok());
  auto events = late.wait_for(cached + 2);
  ASSERT_EQ(events.size(), cached + 2);
  std::vector<std::string> replayed(events.begin(), events.begin() + cached);
  std::sort(replayed.begin(), replayed.end());
  EXPECT_EQ(std::adjacent_find(replayed.begin(), replayed.end()), replayed.end());
  EXPECT_EQ(std::count(replayed.begin(), replayed.end(), "add queued"), 1);
  for (const std::string& e : replayed) EXPECT_EQ(e.rfind("add ", 0), 0u) << e;
  EXPECT_EQ(std::vector<std::string>(events.begin() + cached, events.end()),
            (std::vector<std::string>{"add later", "delete c0"}));
  EXPECT_EQ(first.wait_for(cached + 2).size(), cached + 2);
  EXPECT_EQ(informer.by_index("app", "b").size(), 1u);
  EXPECT_EQ(informer.by_index("app", "a").size(), 3u);
  informer.stop();
  // Nothing arrived twice or late: exactly the replay and the two changes.
  EXPECT_EQ(late.wait_for(0).size(), cached + 2);
}

TEST_F(InformerTest, TransformAndFieldSelector) {
  create("default", config_map("keep"));
  create("default", config_map("skip"));
  InformerOptions o;
  o.resource = kConfigMaps;
  o.namespace_name = "default";
  o.field_selector = "metadata.name=keep";
  o.transform = [](Json obj) {
    return Json{{"metadata", {{"name", obj["metadata"]["name"]}}}, {"k", obj["data"]["k"]}};
  };
  Informer informer(*client_, o);
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(20)));
  EXPECT_EQ(informer.keys(), std::vector<std::string>{"default/keep"});
  EXPECT_EQ(*informer.get("default/keep"), (Json{{"metadata", {{"name", "keep"}}}, {"k", "v"}}));
}

TEST_F(InformerTest, ResumesAfterWatchTimeoutAndRelistsAfterExpired) {
  RestTestServerOptions options;
  options.watch_cache.ring_capacity = 4;
  server_.reset();
  start(options);
  InformerOptions o;
  o.resource = kConfigMaps;
  o.namespace_name = "default";
  o.label_selector = "app=watched";
  o.watch_timeout_seconds = 1;
  // The server's last bookmark before a timeout would carry the informer past the hidden changes.
  o.allow_watch_bookmarks = false;
  o.initial_backoff = std::chrono::milliseconds(10);
  Informer informer(*client_, o);
  Recorder recorder;
  informer.add_event_handler(recorder.handler());
  informer.start();
  ASSERT_TRUE(informer.wait_for_sync(std::chrono::seconds(20)));
  // Changes the selector hides move the server's revision past the ring while the informer's
  // resourceVersion stays behind: its next watch is answered 410 and it must list again.
  for (int i = 0; i < 12; ++i) create("default", config_map("hidden" + std::to_string(i)));
  create("default", config_map("seen", "watched"));
  auto events = recorder.wait_for(1);
  EXPECT_EQ(events, std::vector<std::string>{"add seen"});
  ASSERT_NE(informer.get("default/seen"), nullptr);
  for (int i = 0; i < 200 && informer.list_count() < 2; ++i) {
    for (int j = 0; j < 5; ++j) create("default", config_map("more" + std::to_string(i * 5 + j)));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GE(informer.list_count(), 2);
  // Nothing was lost or reported twice across the re-list.
  create("default", config_map("after", "watched"));
  events = recorder.wait_for(2);
  EXPECT_EQ(events, (std::vector<std::string>{"add seen", "add after"}));
  informer.stop();
}

// Threads of this process whose name starts with `prefix` (/proc/self/task/*/comm).
int threads_named(std::string_view prefix) {
  int n = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name.rfind(prefix, 0) == 0) ++n;
  }
  return n;
}

TEST_F(InformerTest, WatchingInformersShareOneThread) {
  std::vector<std::unique_ptr<Informer>> informers;
  for (const char* ns : {"default", "kube-system", "kube-public", "a", "b", "c"}) {
    InformerOptions o;
    o.resource = kConfigMaps;
    o.namespace_name = ns;
    informers.push_back(std::make_unique<Informer>(*client_, o));
  }
  Recorder recorder;
  informers[0]->add_event_handler(recorder.handler());
  for (auto& informer : informers) informer->start();
  for (auto& informer : informers) ASSERT_TRUE(informer->wait_for_sync(std::chrono::seconds(20)));
  create("default", config_map("x"));
  EXPECT_EQ(recorder.wait_for(1), std::vector<std::string>{"add x"});
  // Six open watches: one thread waits on all of them; the ones that listed end when idle.
  EXPECT_EQ(threads_named("inf-watch"), 1);
  for (int i = 0; i < 100 && threads_named("inf-list") > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(threads_named("inf-list"), 0);
  EXPECT_EQ(threads_named("inf-configmaps"), 0);
  for (auto& informer : informers) informer->stop();
}

// A port nothing listens on: every list fails at once.
ClientConfig unreachable_server() {
  ClientConfig config;
  config.server = "https://127.0.0.1:1";
  config.insecure_skip_tls_verify = true;
  config.timeout = std::chrono::seconds(2);
  return config;
}

TEST(InformerStopTest, StopsPromptlyWhileTheServerIsUnreachable) {
  // The reflector backs off on the loop's timer.
  auto client = RestClient::create(unreachable_server());
  ASSERT_TRUE(client.ok()) << client.error().message;
  InformerOptions o;
  o.resource = kConfigMaps;
  o.initial_backoff = std::chrono::milliseconds(10);
  Informer informer(**client, o);
  informer.start();
  EXPECT_FALSE(informer.wait_for_sync(std::chrono::milliseconds(300)));
  informer.stop();  // returns (a hang here fails the test by its timeout)
  EXPECT_FALSE(informer.has_synced());
  EXPECT_EQ(informer.list_count(), 0);
}

TEST(InformerStopTest, StopOutwaitsTheTaskTheLoopPostsMeanwhile) {
  // With no back-off the loop's timer posts the next reflector task while the task that armed it
  // is still finishing. stop() must wait for both: the informer is destroyed right after, and a
  // task left behind would run on freed memory (the sanitizer build reports it).
  auto client = RestClient::create(unreachable_server());
  ASSERT_TRUE(client.ok()) << client.error().message;
  InformerOptions o;
  o.resource = kConfigMaps;
  o.initial_backoff = std::chrono::milliseconds(0);
  o.max_backoff = std::chrono::milliseconds(0);
  for (int i = 0; i < 300; ++i) {
    auto informer = std::make_unique<Informer>(**client, o);
    informer->start();
    std::this_thread::sleep_for(std::chrono::microseconds(100 * (i % 20)));
    informer->stop();
    EXPECT_FALSE(informer->has_synced());
    informer.reset();
  }
}

}  // namespace
}  // namespace bosun::client
