// SharedInformerFactory: one Informer per resource for every component of a process
// (client-go's SharedInformerFactory), so the controllers, and the scheduler when it runs in the
// same process (`bosun server`), cost one list+watch and one cache per resource between them.
// Every informer watches all namespaces, has the namespace, owner-uid and label indexes, and keeps
// objects without metadata.managedFields (kube-scheduler's informers drop them too; no consumer
// reads them, and a PUT without them keeps the stored ones). Thread-safe. start() starts the
// informers requested so far (whoever owns the factory calls it once the components sharing it
// have registered); one requested later starts at the next start(), and a handler added to a
// running informer first gets the cached objects as adds. Also: filtering_handler(), client-go's
// FilteringResourceEventHandler, for a consumer that wants a subset of a shared informer.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "client/informer.h"
#include "client/rest_client.h"
#include "common/json.h"

namespace bosun::client {

class SharedInformerFactory {
 public:
  explicit SharedInformerFactory(RestClient& client) : client_(client) {}
  ~SharedInformerFactory();  // stops every informer

  SharedInformerFactory(const SharedInformerFactory&) = delete;
  SharedInformerFactory& operator=(const SharedInformerFactory&) = delete;

  // The informer of a resource (all namespaces), created on first use.
  Informer& informer(const GroupVersionResource& gvr);

  // Starts the informers not yet started.
  void start();
  // Waits until every informer has synced; false on timeout.
  bool wait_for_sync(std::chrono::milliseconds timeout);
  // Stops every informer: no handler runs after it returns.
  void stop();

  RestClient& client() { return client_; }

 private:
  RestClient& client_;
  std::mutex mu_;  // guards informers_ and started_
  std::map<std::string, std::unique_ptr<Informer>> informers_;
  std::map<std::string, bool> started_;
};

// Hands `inner` only the objects `keep` accepts, as if the informer had a selector: an update
// that makes an object pass is an add, one that makes it stop passing is a delete (of the old
// state), and an update outside the subset is dropped (client-go's
// FilteringResourceEventHandler; the watch cache does the same for a field-selected watch).
EventHandler filtering_handler(std::function<bool(const Json&)> keep, EventHandler inner);

}  // namespace bosun::client
