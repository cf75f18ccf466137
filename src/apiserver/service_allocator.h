// ClusterIP and NodePort allocation for Services, as Kubernetes' service REST storage does it
// (pkg/registry/core/service/storage/alloc.go): on create an empty clusterIP gets a free address,
// a requested one is reserved or refused (`spec.clusterIPs: Invalid value: []string{"10.43.0.5"}:
// failed to allocate IP 10.43.0.5: provided IP is already allocated`), "None" stays headless;
// NodePort and LoadBalancer ports get node ports from 30000-32767; a type change or a delete
// releases what is no longer used. The state lives in memory and is rebuilt from the stored
// Services at start; it is meant for one API server per store. Thread-safe (one mutex).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "apiserver/ip_allocator.h"
#include "common/json.h"
#include "common/result.h"

namespace bosun::apiserver {

// What one create or update took and gave back: committed after the store write succeeds, rolled
// back otherwise.
struct ServiceAllocation {
  std::vector<std::string> allocated_ips;
  std::vector<int> allocated_ports;
  std::vector<std::string> released_ips;  // freed only on commit
  std::vector<int> released_ports;
};

class ServiceAllocator {
 public:
  ServiceAllocator(std::unique_ptr<ClusterIpAllocator> ips,
                   std::unique_ptr<NodePortAllocator> ports);

  const ClusterIpAllocator& ips() const { return *ips_; }

  // Marks what a stored Service holds as taken (start-up).
  void restore(const Json& service);

  // Fills spec.clusterIP/clusterIPs, ipFamilies, ipFamilyPolicy and the node ports of a new
  // Service. Errors are Invalid (422) on Service "<name>".
  Result<ServiceAllocation> allocate_for_create(Json& service);
  // The same for an update from `old`: keeps what stays, allocates what is new, and lists what a
  // type change gives back.
  Result<ServiceAllocation> allocate_for_update(Json& service, const Json& old);
  // Everything a deleted Service held.
  ServiceAllocation release_for_delete(const Json& service);

  void commit(const ServiceAllocation& a);
  void rollback(const ServiceAllocation& a);

 private:
  Result<void> allocate_ips(Json& service, const Json* old, ServiceAllocation& a);
  Result<void> allocate_ports(Json& service, const Json* old, ServiceAllocation& a);

  std::unique_ptr<ClusterIpAllocator> ips_;
  std::unique_ptr<NodePortAllocator> ports_;
};

}  // namespace bosun::apiserver
