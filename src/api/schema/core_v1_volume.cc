// Schema data: core/v1 Volume and its sources, PersistentVolume and PersistentVolumeClaim. Facts
// (field names, JSON types, required markers, enums, patch strategies, merge keys, list and map
// types) follow Kubernetes 1.33's staging/src/k8s.io/api/core/v1/types.go; descriptions are our
// own.
#include "api/schema/core_v1.h"

namespace bosun::api::schema {

extern const char kCoreV1Volume[] = R"schema(
package io.k8s.api.core.v1

# Volumes, every volume source, PersistentVolume and PersistentVolumeClaim, as of Kubernetes 1.33.
# Types used here but defined in the other core/v1 texts: ObjectFieldSelector, ResourceFieldSelector
# and NodeSelector (kCoreV1Pod); ObjectReference and LocalObjectReference (kCoreV1).

# ---------------------------------------------------------------------------------------------
# Volumes. Go's VolumeSource is embedded inline in Volume, so its members appear here directly;
# exactly one source may be set (enforced by validation, not by the schema).
# ---------------------------------------------------------------------------------------------

type Volume : A named storage source that the pod's containers can mount.
  name string required : Volume name, a DNS label unique within the pod; volumeMounts refer to it.
  hostPath HostPathVolumeSource : A file or directory of the node, exposed to the pod.
  emptyDir EmptyDirVolumeSource : Scratch space created empty for the pod and deleted with it.
  gcePersistentDisk GCEPersistentDiskVolumeSource
  awsElasticBlockStore AWSElasticBlockStoreVolumeSource
  gitRepo GitRepoVolumeSource : Deprecated: clone a repository with an init container instead.
  secret SecretVolumeSource : Files made from the keys of a Secret.
  nfs NFSVolumeSource
  iscsi ISCSIVolumeSource
  glusterfs GlusterfsVolumeSource
  persistentVolumeClaim PersistentVolumeClaimVolumeSource : Mounts the volume bound to a claim in the pod's namespace.
  rbd RBDVolumeSource
  flexVolume FlexVolumeSource
  cinder CinderVolumeSource
  cephfs CephFSVolumeSource
  flocker FlockerVolumeSource
  downwardAPI DownwardAPIVolumeSource : Files holding fields of the pod itself.
  fc FCVolumeSource
  azureFile AzureFileVolumeSource
  configMap ConfigMapVolumeSource : Files made from the keys of a ConfigMap.
  vsphereVolume VsphereVirtualDiskVolumeSource
  quobyte QuobyteVolumeSource
  azureDisk AzureDiskVolumeSource
  photonPersistentDisk PhotonPersistentDiskVolumeSource
  projected ProjectedVolumeSource : Several secrets, config maps, downward API items and tokens in one directory.
  portworxVolume PortworxVolumeSource
  scaleIO ScaleIOVolumeSource
  storageos StorageOSVolumeSource
  csi CSIVolumeSource : An inline ephemeral volume provided by a CSI driver.
  ephemeral EphemeralVolumeSource : A claim created for the pod from a template and deleted with it.
  image ImageVolumeSource : The contents of an OCI image or artifact, mounted read-only.

type PersistentVolumeClaimVolumeSource
  claimName string required : Name of the claim in the pod's namespace.
  readOnly boolean

type HostPathVolumeSource
  path string required : Path on the node; symlinks are followed.
  type string : What must exist at the path: "" (anything), DirectoryOrCreate, Directory, FileOrCreate, File, Socket, CharDevice or BlockDevice.

type EmptyDirVolumeSource
  medium string : Backing storage: "" for the node's disk, "Memory" for tmpfs.
  sizeLimit Quantity : Upper bound of local storage for the volume.

type GlusterfsVolumeSource
  endpoints string required
  path string required
  readOnly boolean

type GlusterfsPersistentVolumeSource
  endpoints string required
  path string required
  readOnly boolean
  endpointsNamespace string

type RBDVolumeSource
  monitors []string required list=atomic
  image string required
  fsType string
  pool string default="rbd"
  user string default="admin"
  keyring string default="/etc/ceph/keyring"
  secretRef LocalObjectReference
  readOnly boolean

type RBDPersistentVolumeSource
  monitors []string required list=atomic
  image string required
  fsType string
  pool string default="rbd"
  user string default="admin"
  keyring string default="/etc/ceph/keyring"
  secretRef SecretReference
  readOnly boolean

type CinderVolumeSource
  volumeID string required
  fsType string
  readOnly boolean
  secretRef LocalObjectReference

type CinderPersistentVolumeSource
  volumeID string required
  fsType string
  readOnly boolean
  secretRef SecretReference

type CephFSVolumeSource
  monitors []string required list=atomic
  path string
  user string
  secretFile string
  secretRef LocalObjectReference
  readOnly boolean

type CephFSPersistentVolumeSource
  monitors []string required list=atomic
  path string
  user string
  secretFile string
  secretRef SecretReference
  readOnly boolean

type SecretReference struct=atomic : Names a Secret in any namespace.
  name string
  namespace string

type FlockerVolumeSource
  datasetName string
  datasetUUID string

type GCEPersistentDiskVolumeSource
  pdName string required
  fsType string
  partition int32
  readOnly boolean

type QuobyteVolumeSource
  registry string required
  volume string required
  readOnly boolean
  user string
  group string
  tenant string

type FlexPersistentVolumeSource
  driver string required
  fsType string
  secretRef SecretReference
  readOnly boolean
  options map[string]string

type FlexVolumeSource
  driver string required
  fsType string
  secretRef LocalObjectReference
  readOnly boolean
  options map[string]string

type AWSElasticBlockStoreVolumeSource
  volumeID string required
  fsType string
  partition int32
  readOnly boolean

type GitRepoVolumeSource
  repository string required
  revision string
  directory string

type SecretVolumeSource
  secretName string : Name of the Secret in the pod's namespace.
  items []KeyToPath list=atomic : Which keys to project and where; all keys when empty.
  defaultMode int32 : Permission bits of the created files (decimal in JSON), 0644 by default.
  optional boolean : Whether the pod may start when the Secret or a listed key is missing.

type SecretProjection
  name string default="" : Name of the Secret in the pod's namespace.
  items []KeyToPath list=atomic
  optional boolean

type NFSVolumeSource
  server string required
  path string required
  readOnly boolean

type ISCSIVolumeSource
  targetPortal string required
  iqn string required
  lun int32 required
  iscsiInterface string default="default"
  fsType string
  readOnly boolean
  portals []string list=atomic
  chapAuthDiscovery boolean
  chapAuthSession boolean
  secretRef LocalObjectReference
  initiatorName string

type ISCSIPersistentVolumeSource
  targetPortal string required
  iqn string required
  lun int32 required
  iscsiInterface string default="default"
  fsType string
  readOnly boolean
  portals []string list=atomic
  chapAuthDiscovery boolean
  chapAuthSession boolean
  secretRef SecretReference
  initiatorName string

type FCVolumeSource
  targetWWNs []string list=atomic
  lun int32
  fsType string
  readOnly boolean
  wwids []string list=atomic

type AzureFileVolumeSource
  secretName string required
  shareName string required
  readOnly boolean

type AzureFilePersistentVolumeSource
  secretName string required
  shareName string required
  readOnly boolean
  secretNamespace string

type VsphereVirtualDiskVolumeSource
  volumePath string required
  fsType string
  storagePolicyName string
  storagePolicyID string

type PhotonPersistentDiskVolumeSource
  pdID string required
  fsType string

type AzureDiskVolumeSource
  diskName string required
  diskURI string required
  cachingMode string enum=None|ReadOnly|ReadWrite default="ReadWrite"
  fsType string default="ext4"
  readOnly boolean default=false
  kind string enum=Dedicated|Managed|Shared default="Shared"

type PortworxVolumeSource
  volumeID string required
  fsType string
  readOnly boolean

type ScaleIOVolumeSource
  gateway string required
  system string required
  secretRef LocalObjectReference required
  sslEnabled boolean
  protectionDomain string
  storagePool string
  storageMode string default="ThinProvisioned"
  volumeName string
  fsType string default="xfs"
  readOnly boolean

type ScaleIOPersistentVolumeSource
  gateway string required
  system string required
  secretRef SecretReference required
  sslEnabled boolean
  protectionDomain string
  storagePool string
  storageMode string default="ThinProvisioned"
  volumeName string
  fsType string default="xfs"
  readOnly boolean

type StorageOSVolumeSource
  volumeName string
  volumeNamespace string
  fsType string
  readOnly boolean
  secretRef LocalObjectReference

type StorageOSPersistentVolumeSource
  volumeName string
  volumeNamespace string
  fsType string
  readOnly boolean
  secretRef ObjectReference

type ConfigMapVolumeSource
  name string default="" : Name of the ConfigMap in the pod's namespace.
  items []KeyToPath list=atomic : Which keys to project and where; all keys when empty.
  defaultMode int32 : Permission bits of the created files (decimal in JSON), 0644 by default.
  optional boolean : Whether the pod may start when the ConfigMap or a listed key is missing.

type ConfigMapProjection
  name string default="" : Name of the ConfigMap in the pod's namespace.
  items []KeyToPath list=atomic
  optional boolean

type ServiceAccountTokenProjection
  audience string : Who the token is meant for; the API server by default.
  expirationSeconds int64 : Requested lifetime; the kubelet rotates the token before it ends.
  path string required : File path of the token, relative to the mount point.

type ClusterTrustBundleProjection
  name string
  signerName string
  labelSelector io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector
  optional boolean
  path string required

type ProjectedVolumeSource
  sources []VolumeProjection list=atomic : One entry per projected source.
  defaultMode int32

type VolumeProjection : One source of a projected volume; exactly one member is set.
  secret SecretProjection
  downwardAPI DownwardAPIProjection
  configMap ConfigMapProjection
  serviceAccountToken ServiceAccountTokenProjection
  clusterTrustBundle ClusterTrustBundleProjection

type KeyToPath : Maps one key of a ConfigMap or Secret to a file.
  key string required
  path string required : Relative file path; may not contain "..".
  mode int32

type LocalVolumeSource
  path string required
  fsType string

type CSIPersistentVolumeSource
  driver string required
  volumeHandle string required
  readOnly boolean
  fsType string
  volumeAttributes map[string]string
  controllerPublishSecretRef SecretReference
  nodeStageSecretRef SecretReference
  nodePublishSecretRef SecretReference
  controllerExpandSecretRef SecretReference
  nodeExpandSecretRef SecretReference

type CSIVolumeSource
  driver string required : Name of the CSI driver as registered in the cluster.
  readOnly boolean
  fsType string
  volumeAttributes map[string]string : Driver-specific settings.
  nodePublishSecretRef LocalObjectReference

type EphemeralVolumeSource
  volumeClaimTemplate PersistentVolumeClaimTemplate : Template of the claim created for the pod.

type PersistentVolumeClaimTemplate
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta : Labels and annotations copied to the claim.
  spec PersistentVolumeClaimSpec required : Spec of the claim to create.

type DownwardAPIVolumeSource
  items []DownwardAPIVolumeFile list=atomic : One file per selected pod field or container resource.
  defaultMode int32 : Permission bits of the created files (decimal in JSON), 0644 by default.

type DownwardAPIVolumeFile
  path string required : Relative path of the file.
  fieldRef ObjectFieldSelector : A field of the pod: labels, annotations, name, namespace or uid.
  resourceFieldRef ResourceFieldSelector : A resource request or limit of a container.
  mode int32

type DownwardAPIProjection
  items []DownwardAPIVolumeFile list=atomic

type ImageVolumeSource
  reference string : Image or artifact reference, pulled like a container image.
  pullPolicy string enum=Always|Never|IfNotPresent : When the reference is pulled.

# ---------------------------------------------------------------------------------------------
# PersistentVolume and PersistentVolumeClaim. Go's PersistentVolumeSource is embedded inline in
# PersistentVolumeSpec, so its members appear there directly.
# ---------------------------------------------------------------------------------------------

type PersistentVolume gvk=/v1/PersistentVolume : A piece of cluster storage, provisioned by an administrator or dynamically, that claims bind to.
  apiVersion string : API version of this object, "v1".
  kind string : Kind of this object, "PersistentVolume".
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
  spec PersistentVolumeSpec : The storage and how it may be used.
  status PersistentVolumeStatus : Binding phase; written by the system.

type PersistentVolumeSpec
  capacity map[string]Quantity : Size of the volume, e.g. storage: 10Gi.
  gcePersistentDisk GCEPersistentDiskVolumeSource
  awsElasticBlockStore AWSElasticBlockStoreVolumeSource
  hostPath HostPathVolumeSource : A directory of one node; for single-node testing.
  glusterfs GlusterfsPersistentVolumeSource
  nfs NFSVolumeSource
  rbd RBDPersistentVolumeSource
  iscsi ISCSIPersistentVolumeSource
  cinder CinderPersistentVolumeSource
  cephfs CephFSPersistentVolumeSource
  fc FCVolumeSource
  flocker FlockerVolumeSource
  flexVolume FlexPersistentVolumeSource
  azureFile AzureFilePersistentVolumeSource
  vsphereVolume VsphereVirtualDiskVolumeSource
  quobyte QuobyteVolumeSource
  azureDisk AzureDiskVolumeSource
  photonPersistentDisk PhotonPersistentDiskVolumeSource
  portworxVolume PortworxVolumeSource
  scaleIO ScaleIOPersistentVolumeSource
  local LocalVolumeSource : A disk, partition or directory of one node; needs nodeAffinity.
  storageos StorageOSPersistentVolumeSource
  csi CSIPersistentVolumeSource : A volume managed by a CSI driver.
  accessModes []string list=atomic enum=ReadOnlyMany|ReadWriteMany|ReadWriteOnce|ReadWriteOncePod : How the volume may be mounted.
  claimRef ObjectReference map=granular : The claim bound to this volume.
  persistentVolumeReclaimPolicy string enum=Delete|Recycle|Retain : What happens when the claim is deleted.
  storageClassName string : StorageClass of the volume; none when empty.
  mountOptions []string list=atomic : Mount options, not validated.
  volumeMode string enum=Block|Filesystem : Filesystem by default.
  nodeAffinity VolumeNodeAffinity : Nodes the volume can be used from.
  volumeAttributesClassName string

type VolumeNodeAffinity
  required NodeSelector : Nodes that can access the volume.

type PersistentVolumeStatus
  phase string enum=Available|Bound|Failed|Pending|Released
  message string
  reason string
  lastPhaseTransitionTime io.k8s.apimachinery.pkg.apis.meta.v1.Time

type PersistentVolumeClaim gvk=/v1/PersistentVolumeClaim : A user's request for storage, bound to a matching PersistentVolume.
  apiVersion string : API version of this object, "v1".
  kind string : Kind of this object, "PersistentVolumeClaim".
  metadata io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta
  spec PersistentVolumeClaimSpec : The storage requested.
  status PersistentVolumeClaimStatus : Binding phase and actual capacity; written by the system.

type PersistentVolumeClaimSpec
  accessModes []string list=atomic enum=ReadOnlyMany|ReadWriteMany|ReadWriteOnce|ReadWriteOncePod : Access modes the volume must support.
  selector io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector : Labels of the volumes that may be bound.
  resources VolumeResourceRequirements : Minimum size, e.g. requests.storage: 1Gi.
  volumeName string : Bind to this specific PersistentVolume.
  storageClassName string : StorageClass to provision from; the default class when unset.
  volumeMode string enum=Block|Filesystem : Filesystem by default.
  dataSource TypedLocalObjectReference : A snapshot or claim to copy the contents from.
  dataSourceRef TypedObjectReference : Any populator object to fill the volume from.
  volumeAttributesClassName string

type VolumeResourceRequirements
  limits map[string]Quantity
  requests map[string]Quantity : Minimum resources, e.g. storage.

type PersistentVolumeClaimStatus
  phase string enum=Bound|Lost|Pending
  accessModes []string list=atomic enum=ReadOnlyMany|ReadWriteMany|ReadWriteOnce|ReadWriteOncePod
  capacity map[string]Quantity : Actual size of the bound volume.
  conditions []PersistentVolumeClaimCondition patch=merge merge-key=type list=map list-keys=type
  allocatedResources map[string]Quantity
  allocatedResourceStatuses map[string]string map=granular
  currentVolumeAttributesClassName string
  modifyVolumeStatus ModifyVolumeStatus

type PersistentVolumeClaimCondition
  type string required : E.g. Resizing or FileSystemResizePending.
  status string required
  lastProbeTime io.k8s.apimachinery.pkg.apis.meta.v1.Time
  lastTransitionTime io.k8s.apimachinery.pkg.apis.meta.v1.Time
  reason string
  message string

type ModifyVolumeStatus
  targetVolumeAttributesClassName string
  status string required enum=Infeasible|InProgress|Pending

type TypedLocalObjectReference struct=atomic
  apiGroup string : Group of the referenced kind; core when empty.
  kind string required
  name string required

type TypedObjectReference
  apiGroup string
  kind string required
  name string required
  namespace string
)schema";

}  // namespace bosun::api::schema
