// PodGCController: Kubernetes' pod garbage collector (pkg/controller/podgc). Every check period it
// force-deletes (grace 0) pods bound to nodes that no longer exist (after a 40 s quarantine and a
// fresh read of the node), terminating pods on out-of-service nodes, terminating pods that were
// never scheduled, and, past --terminated-pod-gc-threshold, the oldest terminated (Succeeded or
// Failed) pods, evicted ones first. Pods still running are marked Failed with a DisruptionTarget
// condition first. Time comes from the injected clock. Built by the controller-manager; one key,
// so one worker at a time; the quarantine table has its own mutex.
#pragma once

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "client/informer.h"
#include "controller/controller.h"

namespace bosun::controller {

struct PodGCOptions {
  // --terminated-pod-gc-threshold; 0 or less turns the terminated-pod pass off.
  int terminated_pod_gc_threshold = 12500;
  // gcCheckPeriod and quarantineTime of the controller.
  Clock::Duration gc_check_period = std::chrono::seconds(20);
  Clock::Duration quarantine = std::chrono::seconds(40);
};

class PodGCController final : public Controller {
 public:
  // Registers handlers on the pods and nodes informers.
  PodGCController(ControllerContext ctx, PodGCOptions options = {});
  ~PodGCController() override;

  std::string_view name() const override { return "pod-garbage-collector-controller"; }

  // The one key the controller works on.
  static constexpr std::string_view kKey = "podgc";

 protected:
  Result<void> reconcile(const std::string& key) override;

 private:
  Result<void> gc_terminated(const std::vector<client::ObjectPtr>& pods);
  Result<void> gc_orphaned(const std::vector<client::ObjectPtr>& pods);
  Result<void> gc_terminating(const std::vector<client::ObjectPtr>& pods);
  // markFailedAndDeletePodWithCondition: a pod that is not terminal is first marked Failed (with
  // `reason`/`message` as a DisruptionTarget condition when given), then deleted with grace 0.
  Result<void> force_delete(const Json& pod, std::string_view reason = {},
                            std::string_view message = {});

  const PodGCOptions options_;
  client::Informer& pods_;
  client::Informer& nodes_;

  std::mutex mu_;  // guards missing_since_
  // Nodes that pods name but that are absent from the cache: since when (the quarantine).
  std::map<std::string, Clock::WallTime, std::less<>> missing_since_;
};

}  // namespace bosun::controller
