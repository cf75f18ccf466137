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

 protected:
  // key: a node name.
  Result<void> reconcile(const std::string& key) override;

 private:
  // nodeHealthData: when we last saw the node's kubelet alive, on our clock.
  struct Health {
    Clock::WallTime probe_time;
    std::string lease_renew_time;
    std::string ready_heartbeat;
    std::string ready_status;  // the Ready status we last acted on ("" before the first)
    std::string uid;           // for the RemovingNode event once the node is gone
  };
  // RecordNodeEvent: "Node <name> event: <what>" about the node.
  void node_event(const std::string& name, const std::string& uid, std::string_view reason,
                  std::string_view what);

  Result<std::string> update_health(Json& node, Health& health);
  // Writes the taints the Ready status calls for; `node` becomes the stored object.
  Result<void> update_taints(Json& node, std::string_view ready);
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

  std::mutex mu_;  // guards health_
  std::map<std::string, Health, std::less<>> health_;
};

}  // namespace bosun::controller
