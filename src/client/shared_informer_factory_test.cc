// SharedInformerFactory: one informer per resource for every consumer, objects cached without
// managedFields; filtering_handler: the add/update/delete a consumer of a subset sees, as
// client-go's FilteringResourceEventHandler (and as a field-selected watch would report them).
#include "client/shared_informer_factory.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>

#include "client/test_config.h"

namespace bosun::client {
namespace {

using apiserver::testing::RestTestServer;
using namespace std::chrono_literals;

const GroupVersionResource kConfigMapsGvr{"", "v1", "configmaps"};

ObjectPtr pod(std::string_view name, std::string_view phase) {
  return std::make_shared<const Json>(
      Json{{"metadata", {{"name", name}}}, {"status", {{"phase", phase}}}});
}

bool running(const Json& o) { return o["status"].value("phase", "") == "Running"; }

struct Calls {
  std::vector<std::string> seen;
  EventHandler handler() {
    EventHandler h;
    h.on_add = [this](const ObjectPtr& o) { seen.push_back("add " + phase(*o)); };
    h.on_update = [this](const ObjectPtr& a, const ObjectPtr& b) {
      seen.push_back("update " + phase(*a) + "->" + phase(*b));
    };
    h.on_delete = [this](const ObjectPtr& o) { seen.push_back("delete " + phase(*o)); };
    return h;
  }
  static std::string phase(const Json& o) { return o["status"].value("phase", ""); }
};

TEST(FilteringHandler, ObjectsEnteringAndLeavingTheSubsetAreAddsAndDeletes) {
  Calls calls;
  EventHandler h = filtering_handler(running, calls.handler());
  h.on_add(pod("a", "Pending"));                            // outside: nothing
  h.on_update(pod("a", "Pending"), pod("a", "Running"));    // enters: add
  h.on_update(pod("a", "Running"), pod("a", "Running"));    // inside: update
  h.on_update(pod("a", "Running"), pod("a", "Succeeded"));  // leaves: delete of the old state
  h.on_update(pod("a", "Succeeded"), pod("a", "Failed"));   // outside: nothing
  h.on_delete(pod("a", "Failed"));                          // outside: nothing
  h.on_add(pod("b", "Running"));
  h.on_delete(pod("b", "Running"));
  EXPECT_EQ(calls.seen,
            (std::vector<std::string>{"add Running", "update Running->Running", "delete Running",
                                      "add Running", "delete Running"}));
}

TEST(FilteringHandler, MissingCallbacksAreSkipped) {
  EventHandler inner;  // no callbacks at all
  EventHandler h = filtering_handler(running, inner);
  h.on_add(pod("a", "Running"));
  h.on_update(pod("a", "Running"), pod("a", "Pending"));
  h.on_update(pod("a", "Pending"), pod("a", "Running"));
  h.on_delete(pod("a", "Running"));
}

TEST(SharedInformerFactory, ConsumersShareOneInformerAndItsCacheHasNoManagedFields) {
  auto server = RestTestServer::start();
  ASSERT_TRUE(server.ok()) << server.error().message;
  auto client = RestClient::create(testing::admin_config(**server));
  ASSERT_TRUE(client.ok()) << client.error().message;
  Json cm = {{"apiVersion", "v1"},
             {"kind", "ConfigMap"},
             {"metadata", {{"name", "one"}, {"namespace", "default"}}},
             {"data", {{"k", "v"}}}};
  auto created = (*client)->create(kConfigMapsGvr, "default", cm);
  ASSERT_TRUE(created.ok()) << created.error().message;
  ASSERT_TRUE((*created)["metadata"].contains("managedFields")) << created->dump();

  SharedInformerFactory factory(**client);
  Informer& first = factory.informer(kConfigMapsGvr);
  Informer& second = factory.informer(kConfigMapsGvr);
  EXPECT_EQ(&first, &second);
  EXPECT_NE(&first, &factory.informer(kPods));

  std::mutex mu;
  std::condition_variable cv;
  int adds = 0;
  for (Informer* inf : {&first, &second}) {
    EventHandler h;
    h.on_add = [&](const ObjectPtr&) {
      std::lock_guard lock(mu);
      ++adds;
      cv.notify_all();
    };
    inf->add_event_handler(std::move(h));
  }
  factory.start();
  ASSERT_TRUE(factory.wait_for_sync(10s));
  {
    std::unique_lock lock(mu);
    EXPECT_TRUE(cv.wait_for(lock, 10s, [&] { return adds == 2; })) << adds;
  }
  EXPECT_EQ(first.list_count(), 1);  // one list for both consumers
  ObjectPtr cached = first.get("default/one");
  ASSERT_TRUE(cached);
  EXPECT_FALSE((*cached)["metadata"].contains("managedFields"));
  EXPECT_EQ((*cached)["data"]["k"], "v");
  factory.stop();
}

}  // namespace
}  // namespace bosun::client
