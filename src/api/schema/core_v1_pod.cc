// Schema data: core/v1 Pod, PodTemplate, Binding and the types a PodSpec and PodStatus reach. Facts
// (field names, JSON types, required markers, enums, patch strategies, merge keys, list and map
// types) follow Kubernetes 1.33's staging/src/k8s.io/api/core/v1/types.go; descriptions are our
// own.
#include "api/schema/core_v1.h"

namespace bosun::api::schema {

extern const char kCoreV1Pod[] = R"schema(
package io.k8s.api.core.v1

# Pods, their containers and everything a PodSpec reaches, as of Kubernetes 1.33. Volumes and their
# sources are in kCoreV1Volume; ObjectReference, LocalObjectReference and the other shared reference
# types are in kCoreV1.

type Pod gvk=/v1/Pod : The smallest deployable unit: one or more containers scheduled together on a node, sharing network and storage.
  apiVersion string : API version of this object, "v1".
  kind string : Kind of this object, "Pod".
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta : Name, namespace, labels, annotations and other metadata.
  spec PodSpec : What the pod should run and how.
  status PodStatus : What the pod is doing; written by the system.

type PodTemplate gvk=/v1/PodTemplate : A stored pod template that controllers can copy pods from.
  apiVersion string : API version of this object, "v1".
  kind string : Kind of this object, "PodTemplate".
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
  template PodTemplateSpec : The pods to create from this template.

type PodTemplateSpec : Metadata and spec of the pods a controller creates.
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta : Labels and annotations given to each created pod.
  spec PodSpec : Spec of each created pod.

type PodSpec : The desired state of a pod.
  volumes []Volume patch=merge,retainKeys merge-key=name list=map list-keys=name : Storage the containers of the pod may mount.
  initContainers []Container patch=merge merge-key=name list=map list-keys=name : Containers run one after another to completion before the app containers start; restartPolicy=Always makes one a sidecar.
  containers []Container required patch=merge merge-key=name list=map list-keys=name : The application containers of the pod; at least one.
  ephemeralContainers []EphemeralContainer patch=merge merge-key=name list=map list-keys=name : Debugging containers added through the ephemeralcontainers subresource.
  restartPolicy string enum=Always|OnFailure|Never : When containers are restarted after they exit; Always by default.
  terminationGracePeriodSeconds int64 : Seconds between the termination signal and the kill; 30 by default.
  activeDeadlineSeconds int64 : Seconds the pod may be active on a node before the system fails it.
  dnsPolicy string enum=ClusterFirstWithHostNet|ClusterFirst|Default|None : How the pod's resolv.conf is built; ClusterFirst by default.
  nodeSelector map[string]string map=atomic : Labels a node must have for the pod to be scheduled on it.
  serviceAccountName string : Service account whose identity the pod runs with.
  serviceAccount string : Deprecated alias of serviceAccountName.
  automountServiceAccountToken boolean : Whether a service account token is mounted into the containers.
  nodeName string : Node the pod is bound to; set by the scheduler.
  hostNetwork boolean : Use the node's network namespace.
  hostPID boolean : Use the node's PID namespace.
  hostIPC boolean : Use the node's IPC namespace.
  shareProcessNamespace boolean : Let the containers see each other's processes.
  securityContext PodSecurityContext : Security settings applied to every container of the pod.
  imagePullSecrets []LocalObjectReference patch=merge merge-key=name list=map list-keys=name : Secrets holding registry credentials for pulling the images.
  hostname string : Hostname of the pod; the pod name by default.
  subdomain string : Makes the pod's FQDN <hostname>.<subdomain>.<namespace>.svc.<cluster domain>.
  affinity Affinity : Node and pod affinity and anti-affinity scheduling rules.
  schedulerName string : Scheduler that places the pod.
  tolerations []Toleration list=atomic : Node taints this pod tolerates.
  hostAliases []HostAlias patch=merge merge-key=ip list=map list-keys=ip : Extra entries for the pod's /etc/hosts.
  priorityClassName string : PriorityClass giving the pod's priority.
  priority int32 : Priority value, filled in from priorityClassName on admission.
  dnsConfig PodDNSConfig : Extra DNS settings merged into those from dnsPolicy.
  readinessGates []PodReadinessGate list=atomic : Extra pod conditions that must be True for the pod to be Ready.
  runtimeClassName string : RuntimeClass (node.k8s.io) used to run the pod.
  enableServiceLinks boolean : Whether service environment variables are injected; true by default.
  preemptionPolicy string enum=PreemptLowerPriority|Never : Whether the pod may preempt lower-priority pods.
  overhead map[string]Quantity : Resources used by the runtime sandbox itself, filled in from the RuntimeClass.
  topologySpreadConstraints []TopologySpreadConstraint patch=merge merge-key=topologyKey list=map list-keys=topologyKey,whenUnsatisfiable : How matching pods are spread across topology domains.
  setHostnameAsFQDN boolean : Set the kernel hostname to the pod's FQDN.
  os PodOS : Operating system the containers need.
  hostUsers boolean : Run in the host user namespace (true, the default) or in a new one.
  schedulingGates []PodSchedulingGate patch=merge merge-key=name list=map list-keys=name : The pod is not scheduled while any gate remains.
  resourceClaims []PodResourceClaim patch=merge,retainKeys merge-key=name list=map list-keys=name : Dynamic resource claims the pod uses.
  resources ResourceRequirements : Pod-level CPU and memory requests and limits shared by all containers.

type PodOS
  name string required : Operating system name, "linux" or "windows".

type PodSchedulingGate
  name string required : Name of the gate; unique in the pod.

type PodReadinessGate
  conditionType string required : Type of a pod condition that must be True.

type PodResourceClaim
  name string required : Name of the claim inside the pod; containers refer to it.
  resourceClaimName string : An existing ResourceClaim in the pod's namespace.
  resourceClaimTemplateName string : A ResourceClaimTemplate to create a claim for this pod from.

type PodResourceClaimStatus
  name string required
  resourceClaimName string : Name of the claim generated for the pod.

type HostAlias : One /etc/hosts entry.
  ip string required : IP address of the entry.
  hostnames []string list=atomic : Names for the address.

type PodDNSConfig
  nameservers []string list=atomic : Extra name server IP addresses.
  searches []string list=atomic : Extra search domains.
  options []PodDNSConfigOption list=atomic : Resolver options.

type PodDNSConfigOption
  name string : Option name, e.g. ndots.
  value string

type PodSecurityContext : Pod-level security settings; container securityContext values override them.
  seLinuxOptions SELinuxOptions
  windowsOptions WindowsSecurityContextOptions
  runAsUser int64 : UID the container processes run as.
  runAsGroup int64 : Primary GID of the container processes.
  runAsNonRoot boolean : Refuse to start containers whose user is root.
  supplementalGroups []int64 list=atomic : Extra groups of the first container process.
  supplementalGroupsPolicy string enum=Merge|Strict : Whether the image's groups are merged with supplementalGroups.
  fsGroup int64 : Group given ownership of supported volumes.
  sysctls []Sysctl list=atomic : Namespaced sysctls set for the pod.
  fsGroupChangePolicy string enum=OnRootMismatch|Always : When volume ownership is changed to fsGroup.
  seccompProfile SeccompProfile
  appArmorProfile AppArmorProfile
  seLinuxChangePolicy string : How the SELinux label is applied to volumes, Recursive or MountOption.

type SecurityContext : Container-level security settings.
  capabilities Capabilities : Linux capabilities to add or drop.
  privileged boolean : Run the container with all host privileges.
  seLinuxOptions SELinuxOptions
  windowsOptions WindowsSecurityContextOptions
  runAsUser int64 : UID the process runs as.
  runAsGroup int64 : Primary GID of the process.
  runAsNonRoot boolean : Refuse to start if the user is root.
  readOnlyRootFilesystem boolean : Mount the root filesystem read-only.
  allowPrivilegeEscalation boolean : Whether the process may gain privileges (no_new_privs unset).
  procMount string enum=Default|Unmasked : How /proc is mounted.
  seccompProfile SeccompProfile
  appArmorProfile AppArmorProfile

type Capabilities
  add []string list=atomic : Capabilities to add.
  drop []string list=atomic : Capabilities to drop.

type SELinuxOptions
  user string
  role string
  type string
  level string

type SeccompProfile
  type string required enum=Localhost|RuntimeDefault|Unconfined : Which kind of profile applies.
  localhostProfile string : Profile file on the node, relative to the kubelet's seccomp directory; only with type Localhost.

type AppArmorProfile
  type string required enum=Localhost|RuntimeDefault|Unconfined : Which kind of profile applies.
  localhostProfile string : Name of a profile loaded on the node; only with type Localhost.

type WindowsSecurityContextOptions
  gmsaCredentialSpecName string
  gmsaCredentialSpec string
  runAsUserName string
  hostProcess boolean

type Sysctl
  name string required
  value string required

type Container : One container of a pod.
  name string required : Name of the container, a DNS label unique in the pod.
  image string : Container image reference.
  command []string list=atomic : Entrypoint; the image's ENTRYPOINT when empty. Not run in a shell.
  args []string list=atomic : Arguments; the image's CMD when empty.
  workingDir string : Working directory; the image's default when empty.
  ports []ContainerPort patch=merge merge-key=containerPort list=map list-keys=containerPort,protocol : Ports the container listens on (informational).
  envFrom []EnvFromSource list=atomic : ConfigMaps and Secrets whose keys become environment variables.
  env []EnvVar patch=merge merge-key=name list=map list-keys=name : Environment variables.
  resources ResourceRequirements : CPU, memory and other resource requests and limits.
  resizePolicy []ContainerResizePolicy list=atomic : Whether resizing each resource restarts the container.
  restartPolicy string : Only "Always", for init containers: makes the init container a sidecar.
  volumeMounts []VolumeMount patch=merge merge-key=mountPath list=map list-keys=mountPath : Pod volumes mounted into the container.
  volumeDevices []VolumeDevice patch=merge merge-key=devicePath list=map list-keys=devicePath : Raw block volumes mapped into the container.
  livenessProbe Probe : Restart the container when this fails.
  readinessProbe Probe : Remove the pod from service endpoints while this fails.
  startupProbe Probe : Hold off the other probes until this succeeds.
  lifecycle Lifecycle : Hooks run after start and before stop.
  terminationMessagePath string : File whose contents become the termination message; /dev/termination-log by default.
  terminationMessagePolicy string enum=File|FallbackToLogsOnError : Where the termination message comes from.
  imagePullPolicy string enum=Always|Never|IfNotPresent : When the image is pulled; Always for :latest, IfNotPresent otherwise.
  securityContext SecurityContext : Security settings of this container.
  stdin boolean : Allocate a stdin buffer.
  stdinOnce boolean : Close stdin after the first attach disconnects.
  tty boolean : Allocate a TTY.

type EphemeralContainer : A debugging container added to a running pod; no ports, probes or resources.
  name string required : Name, unique among all containers of the pod.
  image string : Container image reference.
  command []string list=atomic
  args []string list=atomic
  workingDir string
  ports []ContainerPort patch=merge merge-key=containerPort list=map list-keys=containerPort,protocol
  envFrom []EnvFromSource list=atomic
  env []EnvVar patch=merge merge-key=name list=map list-keys=name
  resources ResourceRequirements
  resizePolicy []ContainerResizePolicy list=atomic
  restartPolicy string
  volumeMounts []VolumeMount patch=merge merge-key=mountPath list=map list-keys=mountPath
  volumeDevices []VolumeDevice patch=merge merge-key=devicePath list=map list-keys=devicePath
  livenessProbe Probe
  readinessProbe Probe
  startupProbe Probe
  lifecycle Lifecycle
  terminationMessagePath string
  terminationMessagePolicy string enum=File|FallbackToLogsOnError
  imagePullPolicy string enum=Always|Never|IfNotPresent
  securityContext SecurityContext
  stdin boolean
  stdinOnce boolean
  tty boolean
  targetContainerName string : Container whose namespaces this one joins.

type ContainerPort : A port a container listens on.
  name string : IANA service name, unique in the pod; Services can target it by name.
  hostPort int32 : Port on the node forwarded to the container.
  containerPort int32 required : Port number inside the pod's network namespace.
  protocol string enum=SCTP|TCP|UDP default="TCP" : TCP by default.
  hostIP string : Host address the host port binds to.

type ContainerResizePolicy
  resourceName string required : cpu or memory.
  restartPolicy string required : NotRequired or RestartContainer.

type VolumeMount : Mounts a pod volume into a container.
  name string required : Name of the pod volume.
  readOnly boolean : Mount read-only.
  recursiveReadOnly string : Disabled, IfPossible or Enabled; only with readOnly.
  mountPath string required : Path in the container; unique in the container.
  subPath string : Mount this path of the volume instead of its root.
  mountPropagation string enum=Bidirectional|HostToContainer|None : How mounts propagate between host and container.
  subPathExpr string : Like subPath, with $(VAR) environment expansion.

type VolumeDevice
  name string required : Name of a persistentVolumeClaim volume of the pod.
  devicePath string required : Device path in the container.

type EnvVar : One environment variable.
  name string required : Variable name.
  value string : Literal value; $(VAR) references are expanded.
  valueFrom EnvVarSource : Take the value from a field, resource, ConfigMap or Secret.

type EnvVarSource
  fieldRef ObjectFieldSelector : A field of the pod, e.g. metadata.name or status.podIP.
  resourceFieldRef ResourceFieldSelector : A resource request or limit of the container.
  configMapKeyRef ConfigMapKeySelector : A key of a ConfigMap.
  secretKeyRef SecretKeySelector : A key of a Secret.

type ObjectFieldSelector struct=atomic
  apiVersion string : Schema version of fieldPath; "v1" by default.
  fieldPath string required : Path of the selected field.

type ResourceFieldSelector struct=atomic
  containerName string : Container whose resource is read; required in volumes.
  resource string required : E.g. limits.cpu or requests.memory.
  divisor Quantity : Unit of the exposed value; 1 by default.

type ConfigMapKeySelector struct=atomic
  name string default="" : Name of the ConfigMap.
  key string required : Key to read.
  optional boolean : Whether the ConfigMap or key may be missing.

type SecretKeySelector struct=atomic
  name string default="" : Name of the Secret.
  key string required : Key to read.
  optional boolean : Whether the Secret or key may be missing.

type EnvFromSource
  prefix string : Prepended to every variable name.
  configMapRef ConfigMapEnvSource
  secretRef SecretEnvSource

type ConfigMapEnvSource
  name string default="" : Name of the ConfigMap.
  optional boolean : Whether the ConfigMap may be missing.

type SecretEnvSource
  name string default="" : Name of the Secret.
  optional boolean : Whether the Secret may be missing.

type ResourceRequirements : Resource requests and limits.
  limits map[string]Quantity : Most of each resource the container may use.
  requests map[string]Quantity : Resources reserved for scheduling; the limits when omitted.
  claims []ResourceClaim list=map list-keys=name : Names of pod resourceClaims this container uses.

type ResourceClaim
  name string required : Name of an entry of spec.resourceClaims.
  request string : Only this request of the claim.

type Probe : A periodic health check of a container; exactly one handler is set.
  exec ExecAction : Run a command in the container; exit 0 is healthy.
  httpGet HTTPGetAction : HTTP GET; a 2xx or 3xx status is healthy.
  tcpSocket TCPSocketAction : Healthy when a TCP connection opens.
  grpc GRPCAction : gRPC health checking protocol.
  initialDelaySeconds int32 : Seconds after start before the first probe.
  timeoutSeconds int32 : Seconds before a probe times out; 1 by default.
  periodSeconds int32 : Seconds between probes; 10 by default.
  successThreshold int32 : Consecutive successes to count as healthy again; 1 by default.
  failureThreshold int32 : Consecutive failures to count as failed; 3 by default.
  terminationGracePeriodSeconds int64 : Grace period used when a failed probe kills the container.

type ExecAction
  command []string list=atomic : Command line run in the container, not in a shell.

type HTTPGetAction
  path string : Request path.
  port IntOrString required : Port number or container port name.
  host string : Host to connect to; the pod IP by default.
  scheme string enum=HTTP|HTTPS : HTTP by default.
  httpHeaders []HTTPHeader list=atomic : Extra request headers.

type HTTPHeader
  name string required
  value string required

type TCPSocketAction
  port IntOrString required : Port number or container port name.
  host string : Host to connect to; the pod IP by default.

type GRPCAction
  port int32 required : Port of the gRPC service.
  service string default="" : Service name sent in the health check request.

type SleepAction
  seconds int64 required : Seconds to sleep.

type Lifecycle : Container lifecycle hooks.
  postStart LifecycleHandler : Run right after the container is created.
  preStop LifecycleHandler : Run before the container is stopped.
  stopSignal string : Signal sent to stop the container instead of the runtime default; needs spec.os.name.

type LifecycleHandler : Exactly one action.
  exec ExecAction
  httpGet HTTPGetAction
  tcpSocket TCPSocketAction : Deprecated and not run; kept for compatibility.
  sleep SleepAction

type Affinity : Scheduling affinity rules.
  nodeAffinity NodeAffinity : Rules about the labels of the node.
  podAffinity PodAffinity : Run near pods matching a selector.
  podAntiAffinity PodAntiAffinity : Run away from pods matching a selector.

type NodeAffinity
  requiredDuringSchedulingIgnoredDuringExecution NodeSelector : Nodes the pod may be scheduled on.
  preferredDuringSchedulingIgnoredDuringExecution []PreferredSchedulingTerm list=atomic : Weighted preferences among nodes.

type NodeSelector struct=atomic : An OR of node selector terms.
  nodeSelectorTerms []NodeSelectorTerm required list=atomic

type NodeSelectorTerm struct=atomic : An AND of requirements.
  matchExpressions []NodeSelectorRequirement list=atomic : Requirements on node labels.
  matchFields []NodeSelectorRequirement list=atomic : Requirements on node fields.

type NodeSelectorRequirement
  key string required : Label or field key.
  operator string required enum=DoesNotExist|Exists|Gt|In|Lt|NotIn
  values []string list=atomic : One integer for Gt and Lt, none for Exists and DoesNotExist.

type PreferredSchedulingTerm
  weight int32 required : 1 to 100.
  preference NodeSelectorTerm required

type PodAffinity
  requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm list=atomic
  preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm list=atomic

type PodAntiAffinity
  requiredDuringSchedulingIgnoredDuringExecution []PodAffinityTerm list=atomic
  preferredDuringSchedulingIgnoredDuringExecution []WeightedPodAffinityTerm list=atomic

type WeightedPodAffinityTerm
  weight int32 required : 1 to 100.
  podAffinityTerm PodAffinityTerm required

type PodAffinityTerm : A set of pods and the topology domain they share.
  labelSelector io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector : Pods this term is about.
  namespaces []string list=atomic : Namespaces of those pods; the pod's own when empty.
  topologyKey string required : Node label whose value defines the domain, e.g. topology.kubernetes.io/zone.
  namespaceSelector io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector
  matchLabelKeys []string list=atomic
  mismatchLabelKeys []string list=atomic

type Toleration : Lets the pod run on nodes with a matching taint.
  key string : Taint key; empty with operator Exists matches every taint.
  operator string enum=Equal|Exists : Equal by default.
  value string
  effect string enum=NoExecute|NoSchedule|PreferNoSchedule : Taint effect matched; all when empty.
  tolerationSeconds int64 : How long a NoExecute taint is tolerated; forever when unset.

type TopologySpreadConstraint : How matching pods are spread over a topology.
  maxSkew int32 required : Largest allowed difference in matching pods between domains.
  topologyKey string required : Node label that defines the domains.
  whenUnsatisfiable string required enum=DoNotSchedule|ScheduleAnyway
  labelSelector io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector : Pods counted in each domain.
  minDomains int32
  nodeAffinityPolicy string enum=Honor|Ignore
  nodeTaintsPolicy string enum=Honor|Ignore
  matchLabelKeys []string list=atomic

type PodStatus : The observed state of a pod.
  observedGeneration int64 : metadata.generation this status was computed from.
  phase string enum=Failed|Pending|Running|Succeeded|Unknown : Summary of where the pod is in its lifecycle.
  conditions []PodCondition patch=merge merge-key=type list=map list-keys=type : PodScheduled, Initialized, ContainersReady, Ready and others.
  message string
  reason string : CamelCase reason, e.g. Evicted.
  nominatedNodeName string : Node where preemption made room for the pod.
  hostIP string : Primary IP of the node the pod runs on.
  hostIPs []HostIP patch=merge merge-key=ip list=map list-keys=ip
  podIP string : Primary IP of the pod.
  podIPs []PodIP patch=merge merge-key=ip list=map list-keys=ip : One address per IP family.
  startTime io.k8s.apimachinery.pkg.apis.meta.v1.Time : When the kubelet accepted the pod.
  initContainerStatuses []ContainerStatus list=atomic
  containerStatuses []ContainerStatus list=atomic
  qosClass string enum=BestEffort|Burstable|Guaranteed : Quality of service class derived from the resources.
  ephemeralContainerStatuses []ContainerStatus list=atomic
  resize string : Deprecated in-place resize status.
  resourceClaimStatuses []PodResourceClaimStatus patch=merge,retainKeys merge-key=name list=map list-keys=name

type PodCondition
  type string required : Condition type, e.g. Ready.
  observedGeneration int64
  status string required : True, False or Unknown.
  lastProbeTime io.k8s.apimachinery.pkg.apis.meta.v1.Time
  lastTransitionTime io.k8s.apimachinery.pkg.apis.meta.v1.Time
  reason string
  message string

type PodIP
  ip string required

type HostIP
  ip string required

type ContainerStatus : The observed state of one container.
  name string required
  state ContainerState : Current state.
  lastState ContainerState : State of the previous run, kept to debug restarts.
  ready boolean required : Whether the container passes its readiness probe.
  restartCount int32 required : How many times the container was restarted.
  image string required : Image the container runs.
  imageID string required : Resolved image ID.
  containerID string : <runtime>://<id>.
  started boolean : Whether the startup probe and postStart hook have succeeded.
  allocatedResources map[string]Quantity
  resources ResourceRequirements : Requests and limits in effect.
  volumeMounts []VolumeMountStatus patch=merge merge-key=mountPath list=map list-keys=mountPath
  user ContainerUser
  allocatedResourcesStatus []ResourceStatus patch=merge merge-key=name list=map list-keys=name
  stopSignal string : Signal actually used to stop the container.

type ContainerState : Exactly one state; waiting when none is set.
  waiting ContainerStateWaiting
  running ContainerStateRunning
  terminated ContainerStateTerminated

type ContainerStateWaiting
  reason string : E.g. ContainerCreating, CrashLoopBackOff, ImagePullBackOff.
  message string

type ContainerStateRunning
  startedAt io.k8s.apimachinery.pkg.apis.meta.v1.Time

type ContainerStateTerminated
  exitCode int32 required
  signal int32
  reason string
  message string
  startedAt io.k8s.apimachinery.pkg.apis.meta.v1.Time
  finishedAt io.k8s.apimachinery.pkg.apis.meta.v1.Time
  containerID string

type VolumeMountStatus
  name string required
  mountPath string required
  readOnly boolean
  recursiveReadOnly string

type ContainerUser
  linux LinuxContainerUser

type LinuxContainerUser
  uid int64 required
  gid int64 required
  supplementalGroups []int64 list=atomic

type ResourceStatus
  name string required : Resource name, or claim:<claim>/<request> for dynamic resources.
  resources []ResourceHealth list=map list-keys=resourceID

type ResourceHealth
  resourceID string required
  health string : Healthy, Unhealthy or Unknown.

type Binding gvk=/v1/Binding : Binds a pod to a node; posted to the pods/binding subresource by schedulers.
  apiVersion string
  kind string
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
  target ObjectReference required : The node the pod is bound to.
)schema";

}  // namespace bosun::api::schema
