#include "scheduler/scheduler.h"

#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/label_selector.h"
#include "api/labels.h"
#include "api/object_meta.h"
#include "client/informer.h"
#include "client/rest_client.h"
#include "common/json_fields.h"
#include "common/log.h"
#include "common/time_format.h"
#include "common/uuid.h"
#include "scheduler/event_recorder.h"
#include "scheduler/plugins.h"
#include "scheduler/pod_condition.h"
#include "scheduler/scheduler_api.h"
#include "scheduler/task_pool.h"

namespace bosun::scheduler {
namespace {

using json_fields::member;

const client::GroupVersionResource kServices{"", "v1", "services"};
const client::GroupVersionResource kReplicationControllers{"", "v1", "replicationcontrollers"};
const client::GroupVersionResource kReplicaSets{"apps", "v1", "replicasets"};

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

bool is_assigned(const Json& pod) {
  const Json& n = member(member(pod, "spec"), "nodeName");
  return n.is_string() && !n.get_ref<const std::string&>().empty();
}

// Whether anything but the status and bookkeeping metadata changed (the queue's isPodUpdated): a
// pending pod's own status writes, such as the PodScheduled condition, must not count as a change
// that may make it schedulable.
bool pod_changed_beyond_status(const Json& a, const Json& b) {
  if (member(a, "spec") != member(b, "spec")) return true;
  Json ma = member(a, "metadata");
  Json mb = member(b, "metadata");
  for (Json* m : {&ma, &mb}) {
    if (!m->is_object()) continue;
    m->erase("resourceVersion");
    m->erase("generation");
    m->erase("managedFields");
  }
  return ma != mb;
}

bool responsible_for(const PodInfo& pod, const std::string& scheduler_name) {
  // The API server defaults an empty schedulerName to default-scheduler.
  if (pod.scheduler_name.empty()) return scheduler_name == kDefaultSchedulerName;
  return pod.scheduler_name == scheduler_name;
}

// kube-scheduler's pod informer leaves out finished pods (a field selector on status.phase): they
// hold no resources. The shared pod informer has them, so the handlers filter.
bool is_unfinished(const Json& pod) {
  const Json& phase = member(member(pod, "status"), "phase");
  if (!phase.is_string()) return true;
  const auto& p = phase.get_ref<const std::string&>();
  return p != "Succeeded" && p != "Failed";
}

}  // namespace

struct Scheduler::Impl {
  Impl(std::unique_ptr<client::RestClient> api, std::unique_ptr<client::RestClient> events,
       SchedulerOptions opts)
      : options(std::move(opts)),
        clock(options.clock ? *options.clock : Clock::real()),
        client(std::move(api)),
        event_client(std::move(events)),
        framework(make_framework()),
        cache(clock),
        queue(clock, options.queue,
              [fw = framework.get()](const std::set<std::string>& plugins) {
                return fw->events_for(plugins);
              }),
        own_informers(options.informers ? nullptr
                                        : std::make_unique<client::SharedInformerFactory>(*client)),
        informers(options.informers ? *options.informers : *own_informers),
        nodes(informers.informer(client::kNodes)),
        pods(informers.informer(client::kPods)),
        services(informers.informer(kServices)),
        controllers(informers.informer(kReplicationControllers)),
        replica_sets(informers.informer(kReplicaSets)),
        binder(options.parallelism, 0),
        recorder(*event_client, clock, options.scheduler_name,
                 options.scheduler_name + "-" + host_name()) {
    add_handlers();
    if (options.leader_elect) {
      client::LeaderElectionConfig le = options.leader_election;
      if (le.lease_name.empty()) le.lease_name = "kube-scheduler";
      if (le.lease_namespace.empty()) le.lease_namespace = "kube-system";
      if (le.identity.empty()) le.identity = host_name() + "_" + new_uuid();
      if (le.clock == nullptr) le.clock = options.clock;
      auto started = le.on_started_leading;
      auto stopped = le.on_stopped_leading;
      le.on_started_leading = [this, started] {
        set_leading(true);
        if (started) started();
      };
      le.on_stopped_leading = [this, stopped] {
        set_leading(false);
        if (stopped) stopped();
      };
      elector = std::make_unique<client::LeaderElector>(*client, std::move(le));
    }
  }

  std::unique_ptr<Framework> make_framework() {
    FrameworkOptions fo = options.framework;
    if (!fo.spread_selector) {
      fo.spread_selector = [this](const PodInfo& pod) { return default_selector(pod); };
    }
    return make_default_framework(std::move(fo));
  }

  void add_handlers();
  void on_pod_add(const Json& object);
  void on_pod_update(const Json& old_object, const Json& new_object);
  void on_pod_delete(const Json& object);
  void on_node(const Json* old_object, const Json* new_object);

  api::LabelSelector default_selector(const PodInfo& pod) const;

  void set_leading(bool leading) {
    {
      std::lock_guard lock(mu);
      this->leading = leading;
    }
    cv.notify_all();
  }
  bool may_schedule() const { return !options.leader_elect || leading; }  // mu held

  void run_loop();
  void run_ticker();
  void schedule_cycle(QueuedPodInfo qp);
  void bind(QueuedPodInfo qp, const std::string& node);
  // handleSchedulingFailure: re-queues the pod (its newest version, unless it is gone or bound
  // meanwhile), records FailedScheduling and sets PodScheduled=False.
  void handle_failure(QueuedPodInfo qp, const ScheduleResult& result);

  SchedulerOptions options;
  Clock& clock;
  std::unique_ptr<client::RestClient> client;
  std::unique_ptr<client::RestClient> event_client;
  std::unique_ptr<Framework> framework;  // the scheduling thread's
  Cache cache;
  SchedulingQueue queue;
  std::unique_ptr<client::SharedInformerFactory> own_informers;  // null when shared
  client::SharedInformerFactory& informers;
  client::Informer& nodes;
  client::Informer& pods;  // every pod; the handlers see only unfinished ones
  client::Informer& services;
  client::Informer& controllers;
  client::Informer& replica_sets;
  std::unique_ptr<client::LeaderElector> elector;
  TaskPool binder;  // bindings and status writes
  EventRecorder recorder;

  // Owned by the node informer's dispatch thread: the decoded nodes, to tell a status heartbeat
  // from a change that can help a pending pod.
  std::unordered_map<std::string, std::shared_ptr<const Node>> node_views;
  Snapshot snapshot;  // the scheduling thread's

  std::atomic<uint64_t> attempts{0};
  std::atomic<uint64_t> bound{0};
  std::atomic<uint64_t> unschedulable{0};
  std::atomic<uint64_t> errors{0};

  mutable std::mutex mu;  // guards leading, stopping and started
  std::condition_variable cv;
  bool leading = false;
  bool stopping = false;
  bool started = false;
  std::thread loop;
  std::thread ticker;
};

void Scheduler::Impl::add_handlers() {
  client::EventHandler ph;
  ph.on_add = [this](const client::ObjectPtr& o) { on_pod_add(*o); };
  ph.on_update = [this](const client::ObjectPtr& a, const client::ObjectPtr& b) {
    on_pod_update(*a, *b);
  };
  ph.on_delete = [this](const client::ObjectPtr& o) { on_pod_delete(*o); };
  pods.add_event_handler(client::filtering_handler(is_unfinished, std::move(ph)));
  client::EventHandler nh;
  nh.on_add = [this](const client::ObjectPtr& o) { on_node(nullptr, o.get()); };
  nh.on_update = [this](const client::ObjectPtr& a, const client::ObjectPtr& b) {
    on_node(a.get(), b.get());
  };
  nh.on_delete = [this](const client::ObjectPtr& o) { on_node(o.get(), nullptr); };
  nodes.add_event_handler(std::move(nh));
}

void Scheduler::Impl::on_pod_add(const Json& object) {
  auto pod = decode_pod(object);
  if (!pod.ok()) {
    SPDLOG_WARN("scheduler: ignoring pod {}/{}: {}", api::namespace_of(object), api::name(object),
                pod.error().message);
    return;
  }
  if (!(*pod)->node_name.empty()) {
    cache.add_pod(*pod);
    queue.move_all_to_active_or_backoff(kAssignedPodAdd);
  } else if (responsible_for(**pod, options.scheduler_name) && !(*pod)->terminating) {
    queue.add(*pod);
  }
}

void Scheduler::Impl::on_pod_update(const Json& old_object, const Json& new_object) {
  const bool was_assigned = is_assigned(old_object);
  // Status writes (kubelet heartbeats, our own PodScheduled condition) change nothing the
  // scheduler reads; binding changes spec.nodeName.
  if (!pod_changed_beyond_status(old_object, new_object)) return;
  auto pod = decode_pod(new_object);
  if (!pod.ok()) {
    SPDLOG_WARN("scheduler: ignoring pod {}/{}: {}", api::namespace_of(new_object),
                api::name(new_object), pod.error().message);
    return;
  }
  const auto& p = *pod;
  if (!p->node_name.empty()) {
    if (!was_assigned) {
      // Bound (by us or by someone else): it leaves the queue and counts on its node, which
      // confirms our assumption (the filtered informers' delete-from-one, add-to-other).
      queue.remove(p->uid);
      cache.add_pod(p);
      queue.move_all_to_active_or_backoff(kAssignedPodAdd);
    } else {
      cache.update_pod(p);
      queue.move_all_to_active_or_backoff(kAssignedPodUpdate);
    }
    return;
  }
  if (!responsible_for(*p, options.scheduler_name) || p->terminating) {
    queue.remove(p->uid);
    return;
  }
  queue.update(p);
}

void Scheduler::Impl::on_pod_delete(const Json& object) {
  std::string uid(api::uid(object));
  if (is_assigned(object)) {
    cache.remove_pod(uid);
    queue.move_all_to_active_or_backoff(kAssignedPodDelete);
  } else {
    queue.remove(uid);
  }
}

void Scheduler::Impl::on_node(const Json* old_object, const Json* new_object) {
  if (new_object == nullptr) {
    std::string name(api::name(*old_object));
    node_views.erase(name);
    cache.remove_node(name);
    return;
  }
  auto node = decode_node(*new_object);
  if (!node.ok()) {
    SPDLOG_WARN("scheduler: ignoring node {}: {}", api::name(*new_object), node.error().message);
    return;
  }
  auto& view = node_views[(*node)->name];
  std::shared_ptr<const Node> before = std::move(view);
  view = *node;
  cache.add_node(*node);
  if (before == nullptr) {
    queue.move_all_to_active_or_backoff(kNodeAdd);
  } else if (node_scheduling_changed(*before, **node)) {
    queue.move_all_to_active_or_backoff(kNodeUpdate);
  }
}

api::LabelSelector Scheduler::Impl::default_selector(const PodInfo& pod) const {
  // helper.DefaultSelector: the selectors of the Services selecting the pod, merged, plus that of
  // its controlling ReplicationController or ReplicaSet.
  api::Labels merged;
  for (const auto& svc : services.by_index(client::Informer::kNamespaceIndex, pod.ns)) {
    auto sel = api::labels_from_json(member(member(*svc, "spec"), "selector"));
    if (!sel.ok() || sel->empty()) continue;
    if (api::LabelSelector::from_set(*sel).matches(pod.labels)) {
      for (auto& [k, v] : *sel) merged[k] = v;
    }
  }
  api::LabelSelector selector = api::LabelSelector::from_set(merged);
  if (!pod.controller) return selector;
  const OwnerReference& owner = *pod.controller;
  const std::string key = pod.ns + "/" + owner.name;
  if (owner.kind == "ReplicationController" && owner.api_version == "v1") {
    if (auto rc = controllers.get(key)) {
      auto sel = api::labels_from_json(member(member(*rc, "spec"), "selector"));
      if (sel.ok()) {
        for (auto& [k, v] : *sel) merged[k] = v;
        selector = api::LabelSelector::from_set(merged);
      }
    }
  } else if (owner.kind == "ReplicaSet" && owner.api_version == "apps/v1") {
    if (auto rs = replica_sets.get(key)) {
      auto sel = api::LabelSelector::from_json(member(member(*rs, "spec"), "selector"));
      if (sel.ok()) selector = selector.add(sel->requirements());
    }
  }
  return selector;
}

void Scheduler::Impl::run_ticker() {
  int ticks = 0;
  std::unique_lock lock(mu);
  while (!cv.wait_for(lock, options.flush_interval, [&] { return stopping; })) {
    lock.unlock();
    queue.flush_backoff_completed();
    cache.cleanup_expired_assumed_pods();
    // flushUnschedulablePodsLeftover runs every 30 s.
    if (++ticks % 30 == 0) {
      queue.flush_unschedulable_leftover();
      recorder.finish_series();
    }
    lock.lock();
  }
}

void Scheduler::Impl::run_loop() {
  // WaitForCacheSync before the first cycle: deciding on a partial view of the cluster would
  // double-book nodes whose pods have not been listed yet.
  for (;;) {
    {
      std::lock_guard lock(mu);
      if (stopping) return;
    }
    if (nodes.wait_for_sync(std::chrono::milliseconds(100)) &&
        pods.wait_for_sync(std::chrono::milliseconds(100))) {
      break;
    }
  }
  services.wait_for_sync(std::chrono::seconds(5));
  controllers.wait_for_sync(std::chrono::seconds(5));
  replica_sets.wait_for_sync(std::chrono::seconds(5));
  for (;;) {
    {
      std::unique_lock lock(mu);
      cv.wait(lock, [&] { return stopping || may_schedule(); });
      if (stopping) return;
    }
    std::optional<QueuedPodInfo> qp = queue.pop();
    if (!qp) return;
    bool allowed;
    {
      std::lock_guard lock(mu);
      allowed = may_schedule() && !stopping;
    }
    if (!allowed) {
      // Leadership went while waiting: the pod goes back for the next leader's turn.
      auto pod = qp->pod;
      queue.done(pod->uid);
      queue.add(pod);
      continue;
    }
    schedule_cycle(std::move(*qp));
  }
}

void Scheduler::Impl::schedule_cycle(QueuedPodInfo qp) {
  ++attempts;
  const std::shared_ptr<const PodInfo> pod = qp.pod;
  // skipPodSchedule: a pod being deleted, or one already assumed (an update raced its binding).
  if (pod->terminating || cache.is_assumed(pod->uid)) {
    queue.done(pod->uid);
    return;
  }
  cache.update_snapshot(snapshot);
  ScheduleResult result = framework->schedule_one(*pod, snapshot);
  if (!result.ok()) {
    handle_failure(std::move(qp), result);
    return;
  }
  if (auto assumed = cache.assume_pod(pod, result.node); !assumed.ok()) {
    ScheduleResult failed;
    failed.error = assumed.error();
    handle_failure(std::move(qp), failed);
    return;
  }
  // The binding cycle runs on the pool; the next pod is scheduled against a cache that already
  // counts this one.
  std::string node = std::move(result.node);
  binder.post(
      [this, qp = std::move(qp), node = std::move(node)]() mutable { bind(std::move(qp), node); });
}

void Scheduler::Impl::bind(QueuedPodInfo qp, const std::string& node) {
  const std::shared_ptr<const PodInfo> pod = qp.pod;
  auto r = client->create_subresource(client::kPods, pod->ns, pod->name, "binding",
                                      binding_body(*pod, node));
  if (r.ok()) {
    cache.finish_binding(pod->uid);
    ++bound;
    queue.done(pod->uid);
    recorder.record(*pod, {"Normal", "Scheduled", "Binding",
                           "Successfully assigned " + pod->key() + " to " + node});
    return;
  }
  // handleBindingCycleError: the assumed pod no longer holds its node's resources, which may let
  // other pending pods fit there.
  (void)cache.forget_pod(pod->uid);
  queue.move_all_to_active_or_backoff(kAssignedPodDelete);
  ScheduleResult failed;
  failed.error = r.error();
  failed.error->message = "binding rejected: " + r.error().message;
  handle_failure(std::move(qp), failed);
}

void Scheduler::Impl::handle_failure(QueuedPodInfo qp, const ScheduleResult& result) {
  const std::shared_ptr<const PodInfo> pod = qp.pod;
  if (result.fit_error) {
    ++unschedulable;
    qp.unschedulable_plugins = result.fit_error->unschedulable_plugins;
  } else {
    ++errors;
    qp.unschedulable_plugins.clear();
  }
  client::ObjectPtr cached = pods.get(pod->key());
  const bool exists = cached && api::uid(*cached) == pod->uid && is_unfinished(*cached);
  if (exists && !is_assigned(*cached)) {
    // The newest version of the pod goes back, so a change made while it was in flight counts.
    if (auto latest = decode_pod(*cached); latest.ok()) qp.pod = *latest;
    if (auto added = queue.add_unschedulable_if_not_present(qp); !added.ok()) {
      SPDLOG_DEBUG("scheduler: {}", added.error().message);
    }
  }
  queue.done(pod->uid);
  if (!exists) return;
  const std::string message = failure_message(result);
  recorder.record(*pod, {"Warning", "FailedScheduling", "Scheduling", message});
  Json condition = pod_scheduled_false_condition(result, clock.now());
  binder.post([this, pod, cached, condition = std::move(condition)]() mutable {
    auto patch = pod_condition_patch(*cached, std::move(condition));
    if (!patch) return;
    client::PatchOptions po;
    po.subresource = "status";
    auto r = client->patch(client::kPods, pod->ns, pod->name, client::PatchType::kStrategicMerge,
                           *patch, po);
    if (!r.ok() && r.error().code != ErrorCode::kNotFound) {
      SPDLOG_WARN("scheduler: updating the status of pod {}: {}", pod->key(), r.error().message);
    }
  });
}

Scheduler::Scheduler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<Scheduler>> Scheduler::create(client::ClientConfig config,
                                                     SchedulerOptions options) {
  if (config.user_agent.empty() || config.user_agent == "bosun") {
    config.user_agent = "bosun/scheduler";
  }
  client::RestClientOptions ro;
  ro.clock = options.clock;
  // Each binding worker and informer keeps a connection.
  config.max_idle_connections =
      std::max(config.max_idle_connections, static_cast<size_t>(options.parallelism) + 4);
  BOSUN_ASSIGN_OR_RETURN(auto api, client::RestClient::create(config, ro));
  BOSUN_ASSIGN_OR_RETURN(auto events, client::RestClient::create(config, ro));
  if (options.parallelism < 1) options.parallelism = 1;
  auto impl = std::make_unique<Impl>(std::move(api), std::move(events), std::move(options));
  return std::unique_ptr<Scheduler>(new Scheduler(std::move(impl)));
}

Scheduler::~Scheduler() { stop(); }

void Scheduler::start() {
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.mu);
    if (s.started || s.stopping) return;
    s.started = true;
  }
  // A shared factory's informers may already run (the controller-manager starts them after its
  // controllers registered); this starts the ones that do not.
  s.informers.start();
  if (s.elector) s.elector->start();
  s.loop = std::thread([&s] { s.run_loop(); });
  s.ticker = std::thread([&s] { s.run_ticker(); });
}

void Scheduler::stop() {
  Impl& s = *impl_;
  {
    std::lock_guard lock(s.mu);
    if (s.stopping) return;
    s.stopping = true;
  }
  s.cv.notify_all();
  s.queue.close();
  if (s.loop.joinable()) s.loop.join();
  if (s.ticker.joinable()) s.ticker.join();
  if (s.elector) s.elector->stop();
  s.binder.stop();
  s.recorder.stop();
  if (s.own_informers) s.own_informers->stop();
}

bool Scheduler::wait_for_sync(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::max(
        deadline - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration(0)));
  };
  return impl_->nodes.wait_for_sync(left()) && impl_->pods.wait_for_sync(left());
}

bool Scheduler::is_leader() const {
  std::lock_guard lock(impl_->mu);
  return impl_->may_schedule();
}

SchedulerStats Scheduler::stats() const {
  return {impl_->attempts.load(), impl_->bound.load(), impl_->unschedulable.load(),
          impl_->errors.load()};
}

const SchedulingQueue& Scheduler::queue() const { return impl_->queue; }
const Cache& Scheduler::cache() const { return impl_->cache; }

}  // namespace bosun::scheduler
