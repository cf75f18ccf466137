// SharedInformers: one Informer per resource for all the controllers of a process (client-go's
// SharedInformerFactory), so N controllers watching pods cost one list+watch and one cache. Each
// informer gets the namespace, owner-uid and label indexes. Used by the controller-manager and its
// controllers; thread-safe. Informers must be requested (and their handlers added) before start().
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "client/informer.h"
#include "client/rest_client.h"

namespace bosun::controller {

class SharedInformers {
 public:
  explicit SharedInformers(client::RestClient& client) : client_(client) {}
  ~SharedInformers();  // stops every informer

  // The informer of a resource (all namespaces), created on first use with the standard indexes.
  client::Informer& informer(const client::GroupVersionResource& gvr);

  // Starts the informers not yet started.
  void start();
  // Waits until every informer has synced; false on timeout.
  bool wait_for_sync(std::chrono::milliseconds timeout);
  void stop();

  client::RestClient& client() { return client_; }

 private:
  client::RestClient& client_;
  std::mutex mu_;  // guards informers_ and started_
  std::map<std::string, std::unique_ptr<client::Informer>> informers_;
  std::map<std::string, bool> started_;
};

}  // namespace bosun::controller
