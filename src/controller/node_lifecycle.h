// NodeLifecycleController: Kubernetes' node lifecycle controller (pkg/controller/nodelifecycle)
// with its taint-based eviction (pkg/controller/tainteviction). A node whose Lease in
// kube-node-lease (or Ready heartbeat) is not renewed within the grace period gets every condition
// Unknown ("Kubelet stopped posting node status."); nodes that are not Ready get the
// node.kubernetes.io/not-ready or unreachable taints (NoSchedule and NoExecute, with timeAdded),
// removed when they recover; their pods are marked not Ready; pods that do not tolerate a NoExecute
// taint are deleted at once, or tolerationSeconds after the taint was added, so their controllers
// replace them. Time comes from the injected clock. Built by the controller-manager; workers
// never share a node; the health table has its own mutex.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "client/event_recorder.h"
#include "client/informer.h"
#include "controller/controller.h"

namespace bosun::controller {

struct NodeLifecycleOptions {
  // --node-monitor-grace-period: how long a node may go without a lease renewal or heartbeat.
  Clock::Duration node_monitor_grace_period = std::chrono::seconds(40);
  // --node-startup-grace-period: the same for a node that never posted a Ready condition.
  Clock::Duration node_startup_grace_period = std::chrono::seconds(60);
  // --node-monitor-period: how often each node is looked at without any event.
  Clock::Duration node_monitor_period = std::chrono::seconds(5);
  // What a pod without a toleration of the not-ready and unreachable NoExecute taints is treated
  // as tolerating (--pod-eviction-timeout, which kube-controller-manager dropped in 1.27). Our API
  // server's DefaultTolerationSeconds admission gives every pod such tolerations (300 s, or its
  // --default-*-toleration-seconds), so this covers only pods stored without it; nullopt: none.
  std::optional<Clock::Duration> default_toleration = std::chrono::seconds(300);
  // Zones (topology.kubernetes.io/region and zone) and the NoExecute tainting rate:
  // --node-eviction-rate nodes per second in a zone that is healthy, or wholly down while others
  // are not; --secondary-node-eviction-rate in a partly disrupted zone (at least
  // --unhealthy-zone-threshold of its nodes and more than 2 not ready) of more than
  // --large-cluster-size-threshold nodes, none in a smaller one; none at all while every node of
  // the cluster is not ready (the controller then assumes its own connectivity is at fault).
  double node_eviction_rate = 0.1;
  double secondary_node_eviction_rate = 0.01;
  double unhealthy_zone_threshold = 0.55;
  int large_cluster_size_threshold = 50;
};

class NodeLifecycleController final : public Controller {
 public:
  // Registers handlers on the nodes, leases and pods informers (and a node-name index on pods).
  NodeLifecycleController(ControllerContext ctx, NodeLifecycleOptions options = {});
  ~NodeLifecycleController() override;

  std::string_view name() const override { return "node-lifecycle-controller"; }

  // When the node's kubelet was last seen alive (a Lease renewal or Ready heartbeat observed), on
  // the controller's clock; nullopt for a node not looked at yet. For tests and diagnostics.
  std::optional<Clock::WallTime> probe_time(std::string_view node);
  // The Lease renewTime and Ready lastHeartbeatTime the controller last took as signs of life (""
  // for none), so that a test can wait until it has seen what it wrote; nullopt for a node not
  // looked at yet.
  struct Seen {
    std::string lease_renew_time;
    std::string ready_heartbeat;
  };
  std::optional<Seen> seen(std::string_view node);

  // The pods informer index of spec.nodeName, shared with other controllers that want it.
  static constexpr std::string_view kNodeNameIndex = "spec.nodeName";

  // For tests and diagnostics: whether every node is not ready (no NoExecute taints, no
  // evictions), as of the last zone pass.
  bool master_disruption();

 protected:
  // key: a node name; "" (no node has that name) is the zone pass.
  Result<void> reconcile(const std::string& key) override;

 private:
  // nodeHealthData: when we last saw the node's kubelet alive, on our clock.
  struct Health {
    Clock::WallTime probe_time;
    std::string lease_renew_time;
    std::string ready_heartbeat;
    std::string ready_status;  // the Ready status we last acted on ("" before the first)
    std::string zone_ready;    // the Ready status the zone pass counts (set before acting on it)
    std::string uid;           // for the RemovingNode event once the node is gone
  };
  // RecordNodeEvent: "Node <name> event: <what>" about the node.
  void node_event(const std::string& name, const std::string& uid, std::string_view reason,
                  std::string_view what);

  Result<std::string> update_health(Json& node, Health& health);
  // Writes the taints the Ready status calls for; `node` becomes the stored object. A NoExecute
  // taint the zone's rate does not allow yet is left out, and `retry` says when to look again.
  Result<void> update_taints(Json& node, std::string_view ready,
                             std::optional<Clock::Duration>* retry);
  // monitorNodeHealth's handleDisruption, every node monitor period: each zone's state from the
  // Ready status of its nodes, its NoExecute tainting rate, and the master disruption mode.
  void zone_pass();
  // Whether the node may be given a NoExecute taint now (the zone's token bucket, burst 1);
  // when not, how long until it may.
  std::optional<Clock::Duration> no_execute_wait(const std::string& zone);

  enum class ZoneState { kNormal, kPartialDisruption, kFullDisruption };
  struct Zone {
    ZoneState state = ZoneState::kNormal;
    double qps = 0;
    double tokens = 1;
    Clock::WallTime refilled{};
  };
  Result<void> mark_pods_not_ready(const std::string& node);
  // Deletes the pods that do not tolerate the node's NoExecute taints now; returns when the next
  // toleration runs out.
  Result<std::optional<Clock::WallTime>> evict_pods(const Json& node);

  const NodeLifecycleOptions options_;
  client::Informer& nodes_;
  client::Informer& leases_;
  client::Informer& pods_;

  // As kube-controller-manager: the node lifecycle controller records as "node-controller", the
  // NoExecute evictions as the taint eviction controller.
  client::EventRecorder events_;
  client::EventRecorder eviction_events_;

  std::mutex mu_;  // guards health_, zones_ and master_disruption_
  std::map<std::string, Health, std::less<>> health_;
  std::map<std::string, Zone, std::less<>> zones_;  // by zone key
  bool master_disruption_ = false;
};

}  // namespace bosun::controller
