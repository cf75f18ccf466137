#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/json.h"
#include "store/continue_token.h"
#include "store/event_queue.h"
#include "store/store.h"
#include "store/store_conformance.h"
#include "store/store_conformance_helpers.h"

namespace bosun::store {

bool store_conformance_watch_tests_linked();

bool store_conformance_tests_linked() { return store_conformance_watch_tests_linked(); }

void StoreConformanceTest::SetUp() {
  Result<std::unique_ptr<Store>> store = GetParam().open();
  ASSERT_TRUE(store.ok()) << store.error().message;
  store_ = std::move(store).value();
}

void StoreConformanceTest::TearDown() { store_.reset(); }

namespace {

using namespace conformance;
using ::testing::ElementsAre;

// CRUD and compare-and-swap.

TEST_P(StoreConformanceTest, NewStoreRevisionIsNeverZero) {
  // resourceVersion "0" means "any version" to Kubernetes clients, so no list may ever report it.
  EXPECT_GE(store_->current_revision(), 1u);
  auto list = store_->list(kPods, {});
  STORE_ASSERT_OK(list);
  EXPECT_GE(list->revision, 1u);
}

TEST_P(StoreConformanceTest, CreateThenGetReturnsValueAndRevisions) {
  uint64_t before = store_->current_revision();
  auto revision = store_->create("/registry/pods/default/a", "{\"kind\":\"Pod\"}");
  STORE_ASSERT_OK(revision);
  EXPECT_GT(*revision, before);
  EXPECT_EQ(store_->current_revision(), *revision);
  auto kv = store_->get("/registry/pods/default/a");
  STORE_ASSERT_OK(kv);
  EXPECT_EQ(*kv,
            (KeyValue{"/registry/pods/default/a", "{\"kind\":\"Pod\"}", *revision, *revision}));
}

TEST_P(StoreConformanceTest, CreateOfExistingKeyIsAlreadyExists) {
  auto first = must(store_->create("/registry/pods/default/a", "one"));
  auto second = store_->create("/registry/pods/default/a", "two");
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(store_->current_revision(), first) << "a failed create must not use a revision";
  EXPECT_EQ(must(store_->get("/registry/pods/default/a")).value, "one");
}

TEST_P(StoreConformanceTest, GetOfMissingKeyIsNotFound) {
  auto kv = store_->get("/registry/pods/default/missing");
  ASSERT_FALSE(kv.ok());
  EXPECT_EQ(kv.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformanceTest, InvalidKeysAreBadRequest) {
  for (std::string key :
       {std::string(""), std::string("registry/pods/a"), std::string("/registry/a\0b", 13)}) {
    auto r = store_->create(key, "v");
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.error().code, ErrorCode::kBadRequest);
  }
}

TEST_P(StoreConformanceTest, UpdateIsCompareAndSwapOnModRevision) {
  uint64_t created = must(store_->create("/registry/pods/default/a", "v1"));
  auto updated = store_->update("/registry/pods/default/a", "v2", created);
  STORE_ASSERT_OK(updated);
  EXPECT_EQ(updated->value, "v2");
  EXPECT_EQ(updated->create_revision, created);
  EXPECT_EQ(updated->mod_revision, created + 1);

  auto stale = store_->update("/registry/pods/default/a", "v3", created);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_EQ(stale.error().message, kConflictMessage);
  EXPECT_EQ(store_->current_revision(), created + 1)
      << "a lost compare-and-swap must not use a revision";
  EXPECT_EQ(must(store_->get("/registry/pods/default/a")), updated.value());

  auto next = store_->update("/registry/pods/default/a", "v3", updated->mod_revision);
  STORE_ASSERT_OK(next);
  EXPECT_EQ(next->mod_revision, created + 2);
}

TEST_P(StoreConformanceTest, UpdateOfMissingOrDeletedKeyIsNotFound) {
  auto missing = store_->update("/registry/pods/default/nope", "v", 1);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  uint64_t created = must(store_->create("/registry/pods/default/a", "v1"));
  STORE_ASSERT_OK(store_->remove("/registry/pods/default/a"));
  auto deleted = store_->update("/registry/pods/default/a", "v2", created);
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformanceTest, RemoveReturnsPreviousValueAndItsRevision) {
  uint64_t created = must(store_->create("/registry/pods/default/a", "v1"));
  KeyValue updated = must(store_->update("/registry/pods/default/a", "v2", created));
  auto removed = store_->remove("/registry/pods/default/a");
  STORE_ASSERT_OK(removed);
  EXPECT_EQ(removed->prev, updated);
  EXPECT_EQ(removed->revision, updated.mod_revision + 1);
  EXPECT_EQ(store_->current_revision(), removed->revision);
  EXPECT_EQ(store_->get("/registry/pods/default/a").error().code, ErrorCode::kNotFound);
  auto again = store_->remove("/registry/pods/default/a");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
}

TEST_P(StoreConformanceTest, RemoveWithStaleRevisionIsConflict) {
  uint64_t created = must(store_->create("/registry/pods/default/a", "v1"));
  KeyValue updated = must(store_->update("/registry/pods/default/a", "v2", created));
  auto stale = store_->remove("/registry/pods/default/a", created);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_EQ(must(store_->get("/registry/pods/default/a")), updated);
  STORE_ASSERT_OK(store_->remove("/registry/pods/default/a", updated.mod_revision));
}

TEST_P(StoreConformanceTest, RecreatedKeyStartsANewIncarnation) {
  must(store_->create("/registry/pods/default/a", "v1"));
  STORE_ASSERT_OK(store_->remove("/registry/pods/default/a"));
  uint64_t again = must(store_->create("/registry/pods/default/a", "v2"));
  KeyValue kv = must(store_->get("/registry/pods/default/a"));
  EXPECT_EQ(kv.create_revision, again);
  EXPECT_EQ(kv.mod_revision, again);
  EXPECT_EQ(kv.value, "v2");
}

TEST_P(StoreConformanceTest, ValuesAreOpaqueBytes) {
  const std::string binary("\0\xff\x01{\"a\":1}\n", 10);
  uint64_t r1 = must(store_->create("/registry/secrets/default/bin", binary));
  must(store_->create("/registry/secrets/default/empty", ""));
  EventQueue events;
  auto watch = must(store_->watch("/registry/secrets", r1 - 1, events.callback()));
  EXPECT_EQ(must(store_->get("/registry/secrets/default/bin")).value, binary);
  EXPECT_EQ(must(store_->get("/registry/secrets/default/empty")).value, "");
  auto list = must(store_->list("/registry/secrets", {}));
  ASSERT_EQ(list.items.size(), 2u);
  EXPECT_EQ(list.items[0].value, binary);
  auto got = events.pop(2);
  STORE_ASSERT_OK(got);
  EXPECT_EQ((*got)[0].value, binary);
  EXPECT_EQ((*got)[1].value, "");
}

// GuaranteedUpdate.

TEST_P(StoreConformanceTest, GuaranteedUpdateRetriesConflictsUnderContention) {
  const std::string key = "/registry/configmaps/default/counter";
  uint64_t created = must(store_->create(key, "0"));
  constexpr int kThreads = 16;
  constexpr int kIncrements = 25;
  std::atomic<int> calls{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        auto r = store_->guaranteed_update(
            key, [&](const KeyValue& current) -> Result<std::optional<std::string>> {
              calls.fetch_add(1);
              return std::optional<std::string>(std::to_string(std::stoi(current.value) + 1));
            });
        EXPECT_TRUE(r.ok()) << r.error().message;
      }
    });
  }
  for (auto& t : threads) t.join();
  KeyValue kv = must(store_->get(key));
  EXPECT_EQ(kv.value, std::to_string(kThreads * kIncrements)) << "an increment was lost";
  EXPECT_EQ(kv.mod_revision, created + kThreads * kIncrements)
      << "every successful update is one revision";
  EXPECT_GE(calls.load(), kThreads * kIncrements);
}

TEST_P(StoreConformanceTest, GuaranteedUpdateWithoutChangeWritesNothing) {
  const std::string key = "/registry/configmaps/default/a";
  uint64_t created = must(store_->create(key, "same"));
  auto unchanged =
      store_->guaranteed_update(key, [](const KeyValue&) -> Result<std::optional<std::string>> {
        return std::optional<std::string>();
      });
  STORE_ASSERT_OK(unchanged);
  EXPECT_EQ(unchanged->mod_revision, created);
  auto same_bytes = store_->guaranteed_update(
      key, [](const KeyValue& current) -> Result<std::optional<std::string>> {
        return std::optional<std::string>(current.value);
      });
  STORE_ASSERT_OK(same_bytes);
  EXPECT_EQ(same_bytes->mod_revision, created);
  EXPECT_EQ(store_->current_revision(), created);
}

TEST_P(StoreConformanceTest, GuaranteedUpdatePassesErrorsThrough) {
  bool called = false;
  auto missing =
      store_->guaranteed_update("/registry/configmaps/default/none",
                                [&](const KeyValue&) -> Result<std::optional<std::string>> {
                                  called = true;
                                  return std::optional<std::string>("x");
                                });
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(called);

  must(store_->create("/registry/configmaps/default/a", "v"));
  auto invalid = store_->guaranteed_update(
      "/registry/configmaps/default/a", [](const KeyValue&) -> Result<std::optional<std::string>> {
        return make_error(ErrorCode::kInvalid, "spec.replicas: Invalid value");
      });
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, ErrorCode::kInvalid);
  EXPECT_EQ(invalid.error().message, "spec.replicas: Invalid value");
}

// Lists and pagination.

TEST_P(StoreConformanceTest, ListReturnsKeysUnderPrefixSortedAtCurrentRevision) {
  for (const char* key :
       {"/registry/pods/ns1/c", "/registry/pods/ns1/a", "/registry/pods/ns10/x",
        "/registry/pods/ns1/b", "/registry/services/ns1/a", "/registry/pods/ns0/z"}) {
    must(store_->create(key, std::string("value of ") + key));
  }
  auto list = store_->list("/registry/pods/ns1", {});
  STORE_ASSERT_OK(list);
  EXPECT_THAT(keys_of(list->items),
              ElementsAre("/registry/pods/ns1/a", "/registry/pods/ns1/b", "/registry/pods/ns1/c"));
  EXPECT_EQ(list->items[0].value, "value of /registry/pods/ns1/a");
  EXPECT_EQ(list->revision, store_->current_revision());
  EXPECT_EQ(list->continue_token, "");
  EXPECT_FALSE(list->remaining_count.has_value());
}

TEST_P(StoreConformanceTest, PrefixesAreIsolatedInListsAndWatches) {
  EventQueue events;
  auto watch = must(store_->watch("/registry/pods/a", 0, events.callback()));
  must(store_->create("/registry/pods/a", "exact key, not under the directory"));
  must(store_->create("/registry/pods/ab/y", "sibling"));
  uint64_t inside = must(store_->create("/registry/pods/a/x", "inside"));
  for (const char* prefix : {"/registry/pods/a", "/registry/pods/a/"}) {
    auto list = store_->list(prefix, {});
    STORE_ASSERT_OK(list);
    EXPECT_THAT(keys_of(list->items), ElementsAre("/registry/pods/a/x")) << prefix;
  }
  auto got = events.pop(1);
  STORE_ASSERT_OK(got);
  EXPECT_EQ((*got)[0].key, "/registry/pods/a/x");
  EXPECT_EQ((*got)[0].revision, inside);
  uint64_t after = must(store_->create("/registry/pods/a/z", "barrier"));
  got = events.pop(1);
  STORE_ASSERT_OK(got);
  EXPECT_EQ((*got)[0].revision, after) << "an event from outside the prefix was delivered";
}

TEST_P(StoreConformanceTest, ListAtOldRevisionShowsThePast) {
  uint64_t a1 = must(store_->create("/registry/pods/default/a", "a1"));
  uint64_t b1 = must(store_->create("/registry/pods/default/b", "b1"));
  uint64_t then = store_->current_revision();
  must(store_->update("/registry/pods/default/a", "a2", a1));
  STORE_ASSERT_OK(store_->remove("/registry/pods/default/b"));
  must(store_->create("/registry/pods/default/c", "c1"));

  ListOptions at_then;
  at_then.revision = then;
  auto past = store_->list(kPods, at_then);
  STORE_ASSERT_OK(past);
  EXPECT_EQ(past->revision, then);
  EXPECT_THAT(past->items, ElementsAre(KeyValue{"/registry/pods/default/a", "a1", a1, a1},
                                       KeyValue{"/registry/pods/default/b", "b1", b1, b1}));
  auto now = must(store_->list(kPods, {}));
  EXPECT_THAT(keys_of(now.items),
              ElementsAre("/registry/pods/default/a", "/registry/pods/default/c"));
  EXPECT_EQ(now.items[0].value, "a2");
}

TEST_P(StoreConformanceTest, ListAtFutureRevisionIsTooLargeResourceVersion) {
  must(store_->create("/registry/pods/default/a", "v"));
  uint64_t current = store_->current_revision();
  ListOptions options;
  options.revision = current + 10;
  auto list = store_->list(kPods, options);
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error().code, ErrorCode::kTimeout);
  EXPECT_EQ(list.error().message, "Too large resource version: " + std::to_string(current + 10) +
                                      ", current: " + std::to_string(current));
  ASSERT_EQ(list.error().causes.size(), 1u);
  EXPECT_EQ(list.error().causes[0].reason, "ResourceVersionTooLarge");
}

TEST_P(StoreConformanceTest, PagesStayAtOneRevisionUnderConcurrentWrites) {
  std::map<std::string, KeyValue> original;
  for (int i = 0; i < 25; ++i) {
    char name[64];
    std::snprintf(name, sizeof(name), "/registry/pods/default/k%02d", i);
    uint64_t r = must(store_->create(name, std::string("v1-") + name));
    original[name] = KeyValue{name, std::string("v1-") + name, r, r};
  }
  uint64_t at = store_->current_revision();

  std::atomic<bool> stop{false};
  std::thread writer([&] {
    // Churn the listed keys while the client pages: updates, deletions and creations in between.
    for (int n = 0; !stop.load(); ++n) {
      char name[64];
      std::snprintf(name, sizeof(name), "/registry/pods/default/k%02d", n % 25);
      (void)store_->guaranteed_update(
          name, [&](const KeyValue& kv) -> Result<std::optional<std::string>> {
            return std::optional<std::string>(kv.value + "+");
          });
      std::snprintf(name, sizeof(name), "/registry/pods/default/k%02d-new-%d", n % 25, n);
      (void)store_->create(name, "new");
      if (n == 5) (void)store_->remove("/registry/pods/default/k20");
    }
  });

  ListOptions options;
  options.limit = 10;
  std::vector<KeyValue> all;
  std::vector<int64_t> remaining;
  for (int page = 0; page < 10; ++page) {
    auto list = store_->list(kPods, options);
    STORE_ASSERT_OK(list);
    if (page == 0) {
      EXPECT_GE(list->revision, at);
      at = list->revision;
    }
    EXPECT_EQ(list->revision, at) << "page " << page << " was read at another revision";
    all.insert(all.end(), list->items.begin(), list->items.end());
    if (list->continue_token.empty()) {
      EXPECT_FALSE(list->remaining_count.has_value());
      break;
    }
    ASSERT_TRUE(list->remaining_count.has_value());
    remaining.push_back(*list->remaining_count);
    options.continue_token = list->continue_token;
    // Let the writer get ahead between pages.
    uint64_t seen = store_->current_revision();
    while (store_->current_revision() < seen + 3) std::this_thread::yield();
  }
  stop.store(true);
  writer.join();

  // What the pages returned is exactly the list at the first page's revision.
  ListOptions at_options;
  at_options.revision = at;
  auto whole = store_->list(kPods, at_options);
  STORE_ASSERT_OK(whole);
  EXPECT_EQ(all, whole->items);
  int64_t total = static_cast<int64_t>(whole->items.size());
  ASSERT_GE(remaining.size(), 1u);
  EXPECT_EQ(remaining[0], total - 10);
  if (remaining.size() > 1) {
    EXPECT_EQ(remaining[1], total - 20);
  }
}

TEST_P(StoreConformanceTest, PaginationWalksEveryKeyOnceWithRemainingCounts) {
  for (int i = 0; i < 25; ++i) {
    char name[64];
    std::snprintf(name, sizeof(name), "/registry/pods/default/k%02d", i);
    must(store_->create(name, "v"));
  }
  ListOptions options;
  options.limit = 10;
  auto p1 = must(store_->list(kPods, options));
  EXPECT_EQ(p1.items.size(), 10u);
  EXPECT_EQ(p1.remaining_count, 15);
  options.continue_token = p1.continue_token;
  auto p2 = must(store_->list(kPods, options));
  EXPECT_EQ(p2.items.front().key, "/registry/pods/default/k10");
  EXPECT_EQ(p2.remaining_count, 5);
  options.continue_token = p2.continue_token;
  auto p3 = must(store_->list(kPods, options));
  EXPECT_EQ(p3.items.size(), 5u);
  EXPECT_EQ(p3.items.back().key, "/registry/pods/default/k24");
  EXPECT_EQ(p3.continue_token, "");
  EXPECT_FALSE(p3.remaining_count.has_value());

  // An exact fit ends without a continue token, as with etcd's More=false.
  options = {};
  options.limit = 25;
  auto exact = must(store_->list(kPods, options));
  EXPECT_EQ(exact.items.size(), 25u);
  EXPECT_EQ(exact.continue_token, "");
}

TEST_P(StoreConformanceTest, ContinueTokenIsKubernetesEncoding) {
  must(store_->create("/registry/pods/default/a", "v"));
  must(store_->create("/registry/pods/default/b", "v"));
  ListOptions options;
  options.limit = 1;
  auto page = must(store_->list(kPods, options));
  auto json = base64url_decode(page.continue_token);
  STORE_ASSERT_OK(json);
  EXPECT_EQ(*json, "{\"v\":\"meta.k8s.io/v1\",\"rv\":" + std::to_string(page.revision) +
                       ",\"start\":\"default/a\\u0000\"}");
  EXPECT_EQ(page.continue_token.find('='), std::string::npos)
      << "unpadded base64url, as Go's RawURLEncoding";
}

TEST_P(StoreConformanceTest, ContinueTokenWithRevisionIsBadRequest) {
  must(store_->create("/registry/pods/default/a", "v"));
  must(store_->create("/registry/pods/default/b", "v"));
  ListOptions options;
  options.limit = 1;
  auto page = must(store_->list(kPods, options));
  options.continue_token = page.continue_token;
  options.revision = page.revision;
  auto list = store_->list(kPods, options);
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.error().code, ErrorCode::kBadRequest);
  EXPECT_EQ(list.error().message, "specifying resource version is not allowed when using continue");
}

TEST_P(StoreConformanceTest, MalformedContinueTokensAreBadRequest) {
  must(store_->create("/registry/pods/default/a", "v"));
  std::vector<std::string> tokens = {
      "not base64!",
      base64url_encode("{\"v\":\"meta.k8s.io/v1\",\"rv\":0,\"start\":\"default/a\"}"),
      base64url_encode("{\"v\":\"meta.k8s.io/v2\",\"rv\":5,\"start\":\"default/a\"}"),
      base64url_encode("{\"v\":\"meta.k8s.io/v1\",\"rv\":5,\"start\":\"\"}"),
      // A start key that climbs out of the listed prefix would expose other resources.
      base64url_encode("{\"v\":\"meta.k8s.io/v1\",\"rv\":5,\"start\":\"../secrets/default/x\"}"),
  };
  for (const auto& token : tokens) {
    ListOptions options;
    options.continue_token = token;
    auto list = store_->list(kPods, options);
    ASSERT_FALSE(list.ok()) << token;
    EXPECT_EQ(list.error().code, ErrorCode::kBadRequest) << token;
    EXPECT_THAT(list.error().message,
                ::testing::StartsWith("invalid continue token: continue key is not valid"));
  }
}

TEST_P(StoreConformanceTest, CompactedContinueTokenIsGoneWithKubernetesMessage) {
  for (const char* key :
       {"/registry/pods/default/a", "/registry/pods/default/b", "/registry/pods/default/c"}) {
    must(store_->create(key, "v"));
  }
  ListOptions options;
  options.limit = 1;
  auto page = must(store_->list(kPods, options));
  KeyValue b = must(store_->get("/registry/pods/default/b"));
  must(store_->update("/registry/pods/default/b", "v2", b.mod_revision));
  STORE_ASSERT_OK(store_->compact(store_->current_revision()));

  options.continue_token = page.continue_token;
  auto expired = store_->list(kPods, options);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, ErrorCode::kGone);
  EXPECT_EQ(expired.error().reason(), "Expired");
  EXPECT_EQ(expired.error().message, kContinueExpiredMessage);

  // The token Kubernetes offers with the 410 continues at the newest revision.
  auto inconsistent = inconsistent_continue_token(page.continue_token, kPods);
  STORE_ASSERT_OK(inconsistent);
  options.continue_token = *inconsistent;
  options.limit = 0;
  auto rest = store_->list(kPods, options);
  STORE_ASSERT_OK(rest);
  EXPECT_THAT(keys_of(rest->items),
              ElementsAre("/registry/pods/default/b", "/registry/pods/default/c"));
  EXPECT_EQ(rest->items[0].value, "v2");
  EXPECT_EQ(rest->revision, store_->current_revision());
}

TEST_P(StoreConformanceTest, ListAtCompactedRevisionIsGone) {
  uint64_t first = must(store_->create("/registry/pods/default/a", "v1"));
  KeyValue kv = must(store_->update("/registry/pods/default/a", "v2", first));
  must(store_->update("/registry/pods/default/a", "v3", kv.mod_revision));
  uint64_t compact_to = kv.mod_revision;
  STORE_ASSERT_OK(store_->compact(compact_to));
  EXPECT_EQ(store_->compacted_revision(), compact_to);

  ListOptions options;
  options.revision = compact_to - 1;
  auto old = store_->list(kPods, options);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.error().code, ErrorCode::kGone);
  EXPECT_EQ(old.error().message, kListExpiredMessage);

  options.revision = compact_to;
  auto at = store_->list(kPods, options);
  STORE_ASSERT_OK(at);
  ASSERT_EQ(at->items.size(), 1u);
  EXPECT_EQ(at->items[0].value, "v2") << "the state at the compacted revision itself is kept";
}

}  // namespace
}  // namespace bosun::store
