#include "agent/hollow_nodes.h"

#include <condition_variable>
#include <map>
#include <mutex>

#include "common/log.h"

namespace bosun::agent {

// One thread running functions at times on the clock: the fake runtimes' "your container is up
// now" callbacks for every hollow node, instead of a thread or a relist per node.
class TimerThread {
 public:
  explicit TimerThread(Clock& clock)
      : clock_(clock), real_(dynamic_cast<RealClock*>(&clock) != nullptr) {
    thread_ = std::thread([this] { run(); });
  }
  ~TimerThread() { stop(); }

  void schedule(Clock::Duration delay, std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      timers_.emplace(clock_.monotonic() + delay, std::move(fn));
    }
    cv_.notify_one();
  }

  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (timers_.empty()) {
        cv_.wait(lock);
        continue;
      }
      const Clock::MonoTime now = clock_.monotonic();
      auto first = timers_.begin();
      if (first->first > now) {
        // A fake clock moves only in tests: look again shortly, in real time.
        if (real_) {
          cv_.wait_until(lock, first->first);
        } else {
          cv_.wait_for(lock, std::chrono::milliseconds(2));
        }
        continue;
      }
      std::function<void()> fn = std::move(first->second);
      timers_.erase(first);
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  Clock& clock_;
  const bool real_;
  std::mutex mu_;  // guards timers_ and stopping_
  std::condition_variable cv_;
  std::multimap<Clock::MonoTime, std::function<void()>> timers_;
  bool stopping_ = false;
  std::thread thread_;
};

MachineInfo hollow_machine(const HollowNodesOptions& options, int index) {
  MachineInfo m;
  m.cpu_milli = options.cpu_milli;
  m.memory_bytes = options.memory_bytes;
  m.ephemeral_storage_bytes = int64_t{100} << 30;
  m.hostname = options.name_prefix + std::to_string(index);
  const int a = 64 + (index >> 16), b = (index >> 8) & 0xff, c = index & 0xff;
  m.internal_ip = "10." + std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c);
  m.kernel_version = "6.1.0-hollow";
  m.os_image = "Debian GNU/Linux 12 (bookworm)";
  m.machine_id = "hollow";
  m.system_uuid = "hollow";
  m.boot_id = "hollow";
  m.runtime_version = "fake://0.1.0";
  return m;
}

HollowNodes::HollowNodes(HollowNodesOptions options)
    : options_(std::move(options)), clock_(options_.clock ? *options_.clock : Clock::real()) {}

HollowNodes::~HollowNodes() { stop(); }

Result<std::unique_ptr<HollowNodes>> HollowNodes::start(HollowNodesOptions options) {
  if (!options.client) return make_error(ErrorCode::kBadRequest, "hollow nodes need a client");
  if (options.count < 0) return make_error(ErrorCode::kBadRequest, "--count must be >= 0");
  std::unique_ptr<HollowNodes> h(new HollowNodes(std::move(options)));
  const HollowNodesOptions& o = h->options_;
  h->timers_ = std::make_unique<TimerThread>(h->clock_);

  AgentPoolOptions po;
  po.client = o.client;
  po.clock = &h->clock_;
  po.workers = o.workers;
  // Every hollow node's Lease and status every 10 s: a few requests a second per 100 nodes.
  po.node_workers = std::max(1, o.workers / 4);
  // The fake runtime tells the agent of every change itself: no relist (and no idle CPU for it).
  po.relist_period = Clock::Duration::zero();
  po.post_events = o.post_events;
  h->pool_ = std::make_unique<AgentPool>(po);

  TimerThread* timers = h->timers_.get();
  for (int i = 0; i < o.count; ++i) {
    FakeRuntimeOptions ro;
    ro.clock = &h->clock_;
    ro.startup_latency = o.startup_latency;
    if (o.startup_latency > Clock::Duration::zero()) {
      ro.schedule = [timers](Clock::Duration d, std::function<void()> fn) {
        timers->schedule(d, std::move(fn));
      };
    }
    h->runtimes_.push_back(std::make_unique<FakeRuntime>(std::move(ro)));
    AgentConfig config;
    config.node.node_name = o.name_prefix + std::to_string(i);
    config.node.max_pods = o.max_pods;
    config.machine = hollow_machine(o, i);
    config.create_log_directories = false;
    config.own_informer = false;
    config.run_probes = false;
    config.max_parallel_image_pulls = 0;
    h->agents_.push_back(std::make_unique<Agent>(*h->pool_, std::move(config), *h->runtimes_[i]));
    h->pool_->add(h->agents_.back().get());
  }

  // Registration is one create (or get + two updates) and a Lease per node: in parallel.
  std::atomic<int> next{0};
  std::mutex error_mu;
  std::optional<Error> first_error;
  std::vector<std::thread> registrars;
  for (int t = 0; t < std::max(1, o.registration_threads); ++t) {
    registrars.emplace_back([&] {
      for (int i = next++; i < o.count; i = next++) {
        auto r = h->agents_[i]->start();
        if (!r.ok()) {
          std::lock_guard lock(error_mu);
          if (!first_error) first_error = r.error();
        }
      }
    });
  }
  for (auto& t : registrars) t.join();
  if (first_error) return *first_error;

  client::InformerOptions io;
  io.resource = client::kPods;
  // Every bound pod, whichever node: one watch for all hollow nodes.
  io.field_selector = "spec.nodeName!=";
  io.transform = pack_pod_for_agent;
  h->informer_ = std::make_unique<client::Informer>(*o.client, io);
  AgentPool* pool = h->pool_.get();
  client::EventHandler handler;
  handler.on_add = [pool](const client::ObjectPtr& p) { pool->route_pod(p); };
  handler.on_update = [pool](const client::ObjectPtr&, const client::ObjectPtr& p) {
    pool->route_pod(p);
  };
  handler.on_delete = [pool](const client::ObjectPtr& p) { pool->route_pod_deleted(p); };
  h->informer_->add_event_handler(std::move(handler));
  h->informer_->start();
  h->pool_->start();
  HollowNodes* self = h.get();
  h->sync_waiter_ = std::thread([self] {
    while (!self->stopping_.load()) {
      if (self->informer_->wait_for_sync(std::chrono::milliseconds(200))) {
        self->pool_->set_pods_synced();
        return;
      }
    }
  });
  return h;
}

bool HollowNodes::pods_synced() const { return informer_ && informer_->has_synced(); }

void HollowNodes::stop() {
  if (stopping_.exchange(true)) return;
  if (sync_waiter_.joinable()) sync_waiter_.join();
  if (informer_) informer_->stop();
  if (timers_) timers_->stop();
  if (pool_) pool_->stop();
  for (auto& a : agents_) a->stop();
}

}  // namespace bosun::agent
