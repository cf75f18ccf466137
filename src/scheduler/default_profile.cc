#include "scheduler/plugins.h"

namespace bosun::scheduler {

std::unique_ptr<Framework> make_default_framework(FrameworkOptions options) {
  SpreadSelectorFn spread_selector = options.spread_selector;
  auto fw = std::make_unique<Framework>(std::move(options));
  auto taints = std::make_shared<TaintTolerationPlugin>();
  auto node_affinity = std::make_shared<NodeAffinityPlugin>();
  auto fit = std::make_shared<NodeResourcesFitPlugin>();
  auto spread = std::make_shared<PodTopologySpreadPlugin>(std::move(spread_selector));
  auto inter_pod = std::make_shared<InterPodAffinityPlugin>();
  // Filter order and score weights of Kubernetes' default plugins (getDefaultPlugins); the volume
  // plugins have no counterpart yet, ImageLocality is not scored (no image sizes in the cache).
  fw->add_filter(std::make_shared<NodeUnschedulablePlugin>());
  fw->add_filter(std::make_shared<NodeNamePlugin>());
  fw->add_filter(taints);
  fw->add_filter(node_affinity);
  fw->add_filter(std::make_shared<NodePortsPlugin>());
  fw->add_filter(fit);
  fw->add_filter(spread);
  fw->add_filter(inter_pod);
  fw->add_score(taints, 3);
  fw->add_score(node_affinity, 2);
  fw->add_score(fit, 1);
  fw->add_score(spread, 2);
  fw->add_score(inter_pod, 2);
  fw->add_score(std::make_shared<BalancedAllocationPlugin>(), 1);
  return fw;
}

}  // namespace bosun::scheduler
