// Schema data: core/v1 kinds other than Pod, PersistentVolume and PersistentVolumeClaim, and the
// shared reference types. Facts (field names, JSON types, required markers, enums, patch
// strategies, merge keys, list and map types) follow Kubernetes 1.33's
// staging/src/k8s.io/api/core/v1/types.go; descriptions are our own.
#include "api/schema/core_v1.h"

namespace bosun::api::schema {

extern const char kCoreV1[] = R"schema(
package io.k8s.api.core.v1

# The core/v1 kinds other than Pod, PersistentVolume and PersistentVolumeClaim, and the reference
# types shared by all core/v1 texts, as of Kubernetes 1.33.

type ObjectReference struct=atomic : Points at any object; which fields matter depends on the use.
  kind string
  namespace string
  name string
  uid string
  apiVersion string
  resourceVersion string
  fieldPath string : Part of the object, e.g. spec.containers{app}.

type LocalObjectReference struct=atomic : Names an object in the same namespace.
  name string default="" : Name of the referenced object.

# --- Namespace ---------------------------------------------------------------------------------

type Namespace gvk=/v1/Namespace : A scope for names; most objects live in exactly one namespace.
  apiVersion string : API version of this object, "v1".
  kind string : Kind of this object, "Namespace".
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
  spec NamespaceSpec
  status NamespaceStatus : Active or Terminating; written by the system.

type NamespaceSpec
  finalizers []string list=atomic : Must be empty before the namespace is removed from storage.

type NamespaceStatus
  phase string enum=Active|Terminating
  conditions []NamespaceCondition patch=merge merge-key=type list=map list-keys=type

type NamespaceCondition
  type string required
  status string required
  lastTransitionTime io.k8s.apimachinery.pkg.apis.meta.v1.Time
  reason string
  message string

# --- Node --------------------------------------------------------------------------------------

type Node gvk=/v1/Node : A machine that runs pods; registered and kept up to date by its agent.
  apiVersion string : API version of this object, "v1".
  kind string : Kind of this object, "Node".
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
  spec NodeSpec : Pod CIDRs, taints and schedulability.
  status NodeStatus : Capacity, conditions, addresses and system info reported by the node.

type NodeSpec
  podCIDR string : Pod IP range of the node.
  podCIDRs []string patch=merge list=set : Pod IP ranges, at most one per IP family.
  providerID string : <provider>://<id> given by the cloud provider.
  unschedulable boolean : Keep new pods off the node (kubectl cordon).
  taints []Taint list=atomic : Taints that repel pods without a matching toleration.
  configSource NodeConfigSource : Deprecated; dynamic kubelet configuration was removed.
  externalID string : Deprecated.

type Taint : Repels pods that do not tolerate it.
  key string required
  value string
  effect string required enum=NoExecute|NoSchedule|PreferNoSchedule
  timeAdded io.k8s.apimachinery.pkg.apis.meta.v1.Time : When a NoExecute taint was added.

type NodeConfigSource
  configMap ConfigMapNodeConfigSource

type ConfigMapNodeConfigSource
  namespace string required
  name string required
  uid string
  resourceVersion string
  kubeletConfigKey string required

type NodeStatus
  capacity map[string]Quantity : Total resources of the node.
  allocatable map[string]Quantity : Resources available to pods; capacity by default.
  phase string enum=Pending|Running|Terminated : Deprecated and never set.
  conditions []NodeCondition patch=merge merge-key=type list=map list-keys=type : Ready, MemoryPressure, DiskPressure, PIDPressure and others.
  addresses []NodeAddress patch=merge merge-key=type list=map list-keys=type : Hostname and IP addresses of the node.
  daemonEndpoints NodeDaemonEndpoints : Ports of the daemons on the node.
  nodeInfo NodeSystemInfo : Versions and IDs of the node's system.
  images []ContainerImage list=atomic : Images present on the node.
  volumesInUse []string list=atomic
  volumesAttached []AttachedVolume list=atomic
  config NodeConfigStatus
  runtimeHandlers []NodeRuntimeHandler list=atomic : Runtime handlers and their features.
  features NodeFeatures : Features of the node's container runtime.

type NodeCondition
  type string required
  status string required
  lastHeartbeatTime io.k8s.apimachinery.pkg.apis.meta.v1.Time
  lastTransitionTime io.k8s.apimachinery.pkg.apis.meta.v1.Time
  reason string
  message string

type NodeAddress
  type string required : Hostname, InternalIP, ExternalIP, InternalDNS or ExternalDNS.
  address string required

type NodeDaemonEndpoints
  kubeletEndpoint DaemonEndpoint : Where the kubelet API listens.

type DaemonEndpoint
  Port int32 required : Port number. The JSON name is capitalised for historical reasons.

type NodeSystemInfo
  machineID string required
  systemUUID string required
  bootID string required
  kernelVersion string required
  osImage string required
  containerRuntimeVersion string required
  kubeletVersion string required
  kubeProxyVersion string required : Deprecated.
  operatingSystem string required
  architecture string required
  swap NodeSwapStatus

type NodeSwapStatus
  capacity int64 : Swap size in bytes.

type ContainerImage
  names []string list=atomic
  sizeBytes int64

type AttachedVolume
  name string required
  devicePath string required

type NodeConfigStatus
  assigned NodeConfigSource
  active NodeConfigSource
  lastKnownGood NodeConfigSource
  error string

type NodeRuntimeHandler
  name string : Handler name; empty for the default handler.
  features NodeRuntimeHandlerFeatures

type NodeRuntimeHandlerFeatures
  recursiveReadOnlyMounts boolean
  userNamespaces boolean

type NodeFeatures
  supplementalGroupsPolicy boolean

# --- Service and Endpoints ---------------------------------------------------------------------

type Service gvk=/v1/Service : A stable virtual IP and DNS name that load-balances to the pods matching a selector.
  apiVersion string : API version of this object, "v1".
  kind string : Kind of this object, "Service".
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
  spec ServiceSpec : Ports, selector and type of the service.
  status ServiceStatus : Load balancer state; written by the system.

type ServiceSpec
  ports []ServicePort patch=merge merge-key=port list=map list-keys=port,protocol : Ports the service exposes.
  selector map[string]string map=atomic : Labels of the pods traffic is sent to.
  clusterIP string : Virtual IP of the service; "None" makes a headless service.
  clusterIPs []string list=atomic : Virtual IPs, one per IP family.
  type string enum=ClusterIP|ExternalName|LoadBalancer|NodePort : How the service is exposed; ClusterIP by default.
  externalIPs []string list=atomic : Extra IPs the nodes accept traffic for.
  sessionAffinity string enum=ClientIP|None : Stick clients to one endpoint; None by default.
  loadBalancerIP string : Deprecated requested load balancer IP.
  loadBalancerSourceRanges []string list=atomic : Client CIDRs allowed through the load balancer.
  externalName string : DNS name a service of type ExternalName aliases.
  externalTrafficPolicy string enum=Cluster|Local : Whether external traffic goes only to node-local endpoints.
  healthCheckNodePort int32
  publishNotReadyAddresses boolean : Publish endpoints of pods that are not ready.
  sessionAffinityConfig SessionAffinityConfig
  ipFamilies []string list=atomic enum=IPv4|IPv6 : IP families of the service, in order.
  ipFamilyPolicy string enum=PreferDualStack|RequireDualStack|SingleStack
  allocateLoadBalancerNodePorts boolean
  loadBalancerClass string
  internalTrafficPolicy string enum=Cluster|Local : Whether cluster-internal traffic goes only to node-local endpoints.
  trafficDistribution string : Routing preference, e.g. PreferClose.

type ServicePort : One port of a service.
  name string : Port name; required when there are several ports.
  protocol string enum=SCTP|TCP|UDP default="TCP" : TCP by default.
  appProtocol string : Application protocol hint, e.g. kubernetes.io/h2c.
  port int32 required : Port the service listens on.
  targetPort IntOrString : Pod port number or name; the value of port by default.
  nodePort int32 : Port on every node for NodePort and LoadBalancer services.

type SessionAffinityConfig
  clientIP ClientIPConfig

type ClientIPConfig
  timeoutSeconds int32 : Stickiness timeout; 10800 by default.

type ServiceStatus
  loadBalancer LoadBalancerStatus
  conditions []io.k8s.apimachinery.pkg.apis.meta.v1.Condition patch=merge merge-key=type list=map list-keys=type

type LoadBalancerStatus
  ingress []LoadBalancerIngress list=atomic : Addresses of the load balancer.

type LoadBalancerIngress
  ip string
  hostname string
  ipMode string : VIP or Proxy.
  ports []PortStatus list=atomic

type PortStatus
  port int32 required
  protocol string required enum=SCTP|TCP|UDP
  error string

type Endpoints gvk=/v1/Endpoints : The addresses and ports backing a service (superseded by EndpointSlice).
  apiVersion string : API version of this object, "v1".
  kind string : Kind of this object, "Endpoints".
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
  subsets []EndpointSubset list=atomic : Groups of addresses sharing the same ports.

type EndpointSubset
  addresses []EndpointAddress list=atomic : Ready addresses.
  notReadyAddresses []EndpointAddress list=atomic : Addresses of endpoints that are not ready.
  ports []EndpointPort list=atomic

type EndpointAddress struct=atomic
  ip string required
  hostname string
  nodeName string
  targetRef ObjectReference : Usually the pod behind the address.

type EndpointPort struct=atomic
  name string : Must match the name of the service port.
  port int32 required
  protocol string enum=SCTP|TCP|UDP
  appProtocol string

# --- Event -------------------------------------------------------------------------------------

type Event gvk=/v1/Event : A report of something that happened to an object, kept for a limited time.
  apiVersion string : API version of this object, "v1".
  kind string : Kind of this object, "Event".
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta required
  involvedObject ObjectReference required : The object the event is about.
  reason string : Short machine-readable reason, e.g. Scheduled.
  message string : Human-readable description.
  source EventSource : Component and host that reported it.
  firstTimestamp io.k8s.apimachinery.pkg.apis.meta.v1.Time
  lastTimestamp io.k8s.apimachinery.pkg.apis.meta.v1.Time
  count int32 : How many times it happened.
  type string : Normal or Warning.
  eventTime io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime
  series EventSeries
  action string
  related ObjectReference
  reportingComponent string
  reportingInstance string

type EventSource
  component string
  host string

type EventSeries
  count int32
  lastObservedTime io.k8s.apimachinery.pkg.apis.meta.v1.MicroTime

# --- ConfigMap, Secret, ServiceAccount ---------------------------------------------------------

type ConfigMap gvk=/v1/ConfigMap : Non-confidential key-value configuration that pods consume.
  apiVersion string : API version of this object, "v1".
  kind string : Kind of this object, "ConfigMap".
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
  immutable boolean : When true, data and binaryData can no longer change.
  data map[string]string : UTF-8 values.
  binaryData map[string]byte : Base64-encoded binary values; keys must not repeat those of data.

type Secret gvk=/v1/Secret : Confidential data such as passwords, tokens or keys.
  apiVersion string : API version of this object, "v1".
  kind string : Kind of this object, "Secret".
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
  immutable boolean : When true, the data can no longer change.
  data map[string]byte : Base64-encoded values.
  stringData map[string]string : Plain-text values merged into data on write; never returned.
  type string : How the data is used, e.g. Opaque or kubernetes.io/tls.

type ServiceAccount gvk=/v1/ServiceAccount : An identity for processes running in pods.
  apiVersion string : API version of this object, "v1".
  kind string : Kind of this object, "ServiceAccount".
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
  secrets []ObjectReference patch=merge merge-key=name list=map list-keys=name : Secrets pods of this account may use.
  imagePullSecrets []LocalObjectReference list=atomic : Registry credentials added to pods of this account.
  automountServiceAccountToken boolean : Whether pods get an API token mounted; pods can override it.

# --- ReplicationController ---------------------------------------------------------------------

type ReplicationController gvk=/v1/ReplicationController : Keeps a number of identical pods running (superseded by ReplicaSet and Deployment).
  apiVersion string : API version of this object, "v1".
  kind string : Kind of this object, "ReplicationController".
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
  spec ReplicationControllerSpec : Replicas, selector and pod template.
  status ReplicationControllerStatus : Observed replica counts; written by the system.

type ReplicationControllerSpec
  replicas int32 : Desired number of pods; 1 by default.
  minReadySeconds int32 : Seconds a new pod must be ready before it counts as available.
  selector map[string]string map=atomic : Labels of the pods counted; the template's labels by default.
  template PodTemplateSpec : Pods created when there are too few.

type ReplicationControllerStatus
  replicas int32 required : Most recently observed number of pods.
  fullyLabeledReplicas int32
  readyReplicas int32
  availableReplicas int32
  observedGeneration int64
  conditions []ReplicationControllerCondition patch=merge merge-key=type list=map list-keys=type

type ReplicationControllerCondition
  type string required
  status string required
  lastTransitionTime io.k8s.apimachinery.pkg.apis.meta.v1.Time
  reason string
  message string

# --- ResourceQuota and LimitRange --------------------------------------------------------------

type ResourceQuota gvk=/v1/ResourceQuota : Caps the total resources and object counts of a namespace.
  apiVersion string : API version of this object, "v1".
  kind string : Kind of this object, "ResourceQuota".
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
  spec ResourceQuotaSpec : The limits to enforce.
  status ResourceQuotaStatus : Enforced limits and current usage; written by the system.

type ResourceQuotaSpec
  hard map[string]Quantity : Limit per resource, e.g. pods, requests.cpu, limits.memory.
  scopes []string list=atomic enum=BestEffort|CrossNamespacePodAffinity|NotBestEffort|NotTerminating|PriorityClass|Terminating : Only objects in all these scopes are counted.
  scopeSelector ScopeSelector

type ScopeSelector struct=atomic
  matchExpressions []ScopedResourceSelectorRequirement list=atomic

type ScopedResourceSelectorRequirement
  scopeName string required enum=BestEffort|CrossNamespacePodAffinity|NotBestEffort|NotTerminating|PriorityClass|Terminating
  operator string required enum=DoesNotExist|Exists|In|NotIn
  values []string list=atomic

type ResourceQuotaStatus
  hard map[string]Quantity
  used map[string]Quantity : Current usage in the namespace.

type LimitRange gvk=/v1/LimitRange : Per-object minimums, maximums and defaults of resources in a namespace.
  apiVersion string : API version of this object, "v1".
  kind string : Kind of this object, "LimitRange".
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
  spec LimitRangeSpec

type LimitRangeSpec
  limits []LimitRangeItem required list=atomic

type LimitRangeItem : Limits for one kind of object.
  type string required : Pod, Container or PersistentVolumeClaim.
  max map[string]Quantity
  min map[string]Quantity
  default map[string]Quantity : Limits given to containers that set none.
  defaultRequest map[string]Quantity : Requests given to containers that set none.
  maxLimitRequestRatio map[string]Quantity
)schema";

}  // namespace bosun::api::schema
