// The reconcile pattern every controller follows (style.md): informer handlers only enqueue keys;
// up to N workers take keys from a rate-limited WorkQueue (one key never on two workers) and call
// reconcile(key), which reads the caches, compares desired with observed state and writes the
// difference. An error re-queues the key with per-key exponential back-off; success forgets it.
// Workers start on demand: one at run(), another whenever a worker takes a key while more are
// ready, up to N (kube-controller-manager's --concurrent-*-syncs are goroutines, which cost nothing
// idle; here each idle thread cost its stack, TLS and allocator cache: 54 of them in an idle
// `bosun server`). Used by every controller of the controller-manager. Thread-safe: run()/stop()
// from one thread.
#pragma once

#include <memory>
#include <mutex>
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

  // Starts one worker and allows up to `workers` (the informers must have synced first). Returns
  // at once.
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
  // Called by a worker that took a key: another worker when more keys are ready, up to the limit.
  void add_worker_if_busy();

  client::WorkQueue queue_;
  std::mutex workers_mu_;  // guards the three below: workers start workers
  std::vector<std::thread> workers_;
  size_t max_workers_ = 0;
  bool stopping_ = false;
};

}  // namespace bosun::controller
