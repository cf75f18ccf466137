// The reconcile pattern every controller follows (style.md): informer handlers only enqueue keys;
// N workers take keys from a rate-limited WorkQueue (one key never on two workers) and call
// reconcile(key), which reads the caches, compares desired with observed state and writes the
// difference. An error re-queues the key with per-key exponential back-off; success forgets it.
// Used by every controller of the controller-manager. Thread-safe: run()/stop() from one thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "client/rest_client.h"
#include "client/work_queue.h"
#include "common/clock.h"
#include "common/result.h"
#include "controller/shared_informers.h"

namespace bosun::controller {

// What a controller is built from: the API client, the process's shared informers and the clock.
struct ControllerContext {
  client::RestClient& client;
  SharedInformers& informers;
  Clock& clock;
};

class Controller {
 public:
  explicit Controller(ControllerContext context) : ctx_(context), queue_(context.clock) {}
  // Derived classes must call stop() in their own destructor: workers call reconcile().
  virtual ~Controller();

  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // The name logs and leader election use, e.g. "replicaset-controller".
  virtual std::string_view name() const = 0;

  // Starts `workers` threads (the informers must have synced first). Returns at once.
  void run(int workers);
  // Shuts the queue down and joins the workers.
  void stop();

  // Enqueues a key (handlers call this; tests may too).
  void enqueue(const std::string& key) { queue_.add(key); }
  client::WorkQueue& queue() { return queue_; }

 protected:
  // Brings one object to its desired state. Must be idempotent: it runs again on every change and
  // after every failure. An Error re-queues the key with back-off.
  virtual Result<void> reconcile(const std::string& key) = 0;

  ControllerContext ctx_;

 private:
  void work();

  client::WorkQueue queue_;
  std::vector<std::thread> workers_;
};

}  // namespace bosun::controller
