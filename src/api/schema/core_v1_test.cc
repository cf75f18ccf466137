// Checks the core/v1 schema data against real manifests: the examples of the Kubernetes
// documentation and objects as the kubelet and controllers write them must validate with no unknown
// field, no missing required field and no wrong JSON type, and the lists that strategic merge patch
// and server-side apply treat specially must carry Kubernetes' merge keys and list types.
#include "api/schema/core_v1.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/decode.h"
#include "api/schema.h"
#include "api/schema_validation.h"
#include "common/json.h"

namespace bosun::api {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAreArray;

std::vector<Json> read_manifests(const std::string& text) {
  // The API server's own decoder, so that the manifests are read as kubectl and Kubernetes read
  // them.
  Result<std::vector<Json>> docs = decode_manifests(text);
  if (!docs.ok()) {
    ADD_FAILURE() << docs.error().message;
    return {};
  }
  return std::move(docs).value();
}

// --- Checking a document against the schema -----------------------------------------------------

const SchemaSet& schemas() {
  static const SchemaSet* const kSet = [] {
    Result<std::unique_ptr<SchemaSet>> r = SchemaSet::parse(builtin_schema_sources());
    if (!r.ok()) {
      std::fprintf(stderr, "the builtin schema texts do not parse: %s\n",
                   r.error().message.c_str());
      std::abort();
    }
    return std::move(r).value().release();
  }();
  return *kSet;
}

std::string join(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

// Walks `value` against `type` and records everything the published schema rejects: besides unknown
// fields and wrong JSON types (which validate_fields, the server's strict decoding, also reports),
// missing required fields and values outside an enum, which clients that validate against the
// OpenAPI document (kubectl's client-side validation, editors, CI linters) check. A wrong required
// marker or enum in our data would make them reject valid manifests.
void check(const TypeRef& type, const Json& value, const std::string& path,
           std::vector<std::string>* problems) {
  if (value.is_null()) return;  // Kubernetes accepts null for any field and treats it as unset.
  auto wrong = [&](std::string_view expected) {
    problems->push_back(path + ": expected " + std::string(expected) + ", got " + value.dump());
  };
  switch (type.kind) {
    case ValueKind::kString:
    case ValueKind::kByte:
    case ValueKind::kTime:
    case ValueKind::kMicroTime:
      if (!value.is_string()) wrong("a string");
      return;
    case ValueKind::kInt32:
    case ValueKind::kInt64:
      if (!value.is_number_integer()) wrong("an integer");
      return;
    case ValueKind::kNumber:
      if (!value.is_number()) wrong("a number");
      return;
    case ValueKind::kBoolean:
      if (!value.is_boolean()) wrong("a boolean");
      return;
    case ValueKind::kQuantity:
    case ValueKind::kIntOrString:
      if (!value.is_string() && !value.is_number()) wrong("a string or a number");
      return;
    case ValueKind::kAny:
      return;
    case ValueKind::kArray:
      if (!value.is_array()) return wrong("a list");
      for (size_t i = 0; i < value.size(); ++i) {
        check(*type.element, value[i], path + "[" + std::to_string(i) + "]", problems);
      }
      return;
    case ValueKind::kMap:
      if (!value.is_object()) return wrong("a map");
      for (const auto& [key, item] : value.items()) {
        check(*type.element, item, join(path, key), problems);
      }
      return;
    case ValueKind::kObject:
      break;
  }
  if (!value.is_object()) return wrong("an object");
  const SchemaType& named = *type.named;
  for (const auto& [key, item] : value.items()) {
    const SchemaField* field = named.field(key);
    if (field == nullptr) {
      if (!named.preserve_unknown()) {
        problems->push_back("unknown field \"" + join(path, key) + "\"");
      }
      continue;
    }
    check(*field->type, item, join(path, key), problems);
    if (!field->enum_values.empty()) {
      const Json& leaves = item.is_array() ? item : Json::array({item});
      for (const Json& leaf : leaves) {
        if (leaf.is_string() && std::find(field->enum_values.begin(), field->enum_values.end(),
                                          leaf) == field->enum_values.end()) {
          problems->push_back(join(path, key) + ": " + leaf.dump() + " is not an enum value");
        }
      }
    }
  }
  for (const SchemaField& field : named.fields()) {
    if (field.required && !value.contains(field.name)) {
      problems->push_back(join(path, field.name) + ": required field missing");
    }
  }
}

// The problems of one manifest; its kind is looked up by apiVersion and kind, as the server does.
std::vector<std::string> problems_of(const Json& manifest) {
  std::string api_version = manifest.value("apiVersion", "");
  std::string kind = manifest.value("kind", "");
  size_t slash = api_version.find('/');
  std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  std::string version = slash == std::string::npos ? api_version : api_version.substr(slash + 1);
  const SchemaType* type = schemas().find(group, version, kind);
  if (type == nullptr) return {"no schema for " + api_version + "/" + kind};
  std::vector<std::string> problems;
  check(type->ref(), manifest, "", &problems);
  return problems;
}

// What the API server's strict decoding reports for a manifest: unknown fields and type errors.
FieldValidationResult strict_decoding_of(const Json& manifest) {
  std::string api_version = manifest.value("apiVersion", "");
  const SchemaType* type = schemas().find("", api_version, manifest.value("kind", ""));
  if (type == nullptr) return {{"<no schema>"}, {}};
  return validate_fields(manifest, *type);
}

void expect_valid(const std::string& yaml) {
  std::vector<Json> docs = read_manifests(yaml);
  ASSERT_FALSE(docs.empty());
  for (const Json& doc : docs) {
    FieldValidationResult strict = strict_decoding_of(doc);
    EXPECT_THAT(strict.unknown_fields, IsEmpty()) << doc.value("kind", "");
    std::vector<std::string> type_errors;
    for (const FieldTypeError& e : strict.type_errors) type_errors.push_back(e.message);
    EXPECT_THAT(type_errors, IsEmpty()) << doc.value("kind", "");
    EXPECT_THAT(problems_of(doc), IsEmpty())
        << doc.value("kind", "") << " " << doc.value("metadata", Json::object()).value("name", "");
  }
}

// --- Manifests ----------------------------------------------------------------------------------

// The probe examples of "Configure Liveness, Readiness and Startup Probes", one pod per handler,
// plus lifecycle hooks, an init container and a sidecar.
constexpr char kProbePods[] = R"yaml(
apiVersion: v1
kind: Pod
metadata:
  labels:
    test: liveness
  name: liveness-exec
spec:
  containers:
  - name: liveness
    image: registry.k8s.io/busybox:1.27.2
    args:
    - /bin/sh
    - -c
    - touch /tmp/healthy; sleep 30; rm -f /tmp/healthy; sleep 600
    livenessProbe:
      exec:
        command:
        - cat
        - /tmp/healthy
      initialDelaySeconds: 5
      periodSeconds: 5
---
apiVersion: v1
kind: Pod
metadata:
  labels:
    test: liveness
  name: liveness-http
spec:
  containers:
  - name: liveness
    image: registry.k8s.io/e2e-test-images/agnhost:2.40
    args:
    - liveness
    livenessProbe:
      httpGet:
        path: /healthz
        port: 8080
        scheme: HTTP
        httpHeaders:
        - name: Custom-Header
          value: Awesome
      initialDelaySeconds: 3
      periodSeconds: 3
      timeoutSeconds: 1
      successThreshold: 1
      failureThreshold: 3
      terminationGracePeriodSeconds: 60
---
apiVersion: v1
kind: Pod
metadata:
  name: goproxy
  labels:
    app: goproxy
spec:
  containers:
  - name: goproxy
    image: registry.k8s.io/goproxy:0.1
    ports:
    - containerPort: 8080
    readinessProbe:
      tcpSocket:
        port: 8080
      initialDelaySeconds: 15
      periodSeconds: 10
    livenessProbe:
      tcpSocket:
        port: 8080
      initialDelaySeconds: 15
      periodSeconds: 10
---
apiVersion: v1
kind: Pod
metadata:
  name: etcd-with-grpc
spec:
  containers:
  - name: etcd
    image: registry.k8s.io/etcd:3.5.1-0
    command: [ "/usr/local/bin/etcd", "--data-dir",  "/var/lib/etcd", "--listen-client-urls", "http://0.0.0.0:2379", "--advertise-client-urls", "http://127.0.0.1:2379", "--log-level", "debug"]
    ports:
    - containerPort: 2379
    livenessProbe:
      grpc:
        port: 2379
        service: etcd
      initialDelaySeconds: 10
---
apiVersion: v1
kind: Pod
metadata:
  name: startup
spec:
  initContainers:
  - name: init-myservice
    image: busybox:1.28
    command: ['sh', '-c', "until nslookup myservice.$(cat /var/run/secrets/kubernetes.io/serviceaccount/namespace).svc.cluster.local; do echo waiting for myservice; sleep 2; done"]
  - name: logshipper
    image: alpine:latest
    restartPolicy: Always
    command: ['sh', '-c', 'tail -F /opt/logs.txt']
    volumeMounts:
    - name: data
      mountPath: /opt
  containers:
  - name: app
    image: nginx
    ports:
    - name: liveness-port
      containerPort: 8080
      protocol: TCP
    livenessProbe:
      httpGet:
        path: /healthz
        port: liveness-port
      failureThreshold: 1
      periodSeconds: 10
    startupProbe:
      httpGet:
        path: /healthz
        port: liveness-port
      failureThreshold: 30
      periodSeconds: 10
    lifecycle:
      postStart:
        exec:
          command: ["/bin/sh", "-c", "echo Hello from the postStart handler > /usr/share/message"]
      preStop:
        sleep:
          seconds: 5
      stopSignal: SIGUSR1
    volumeMounts:
    - name: data
      mountPath: /opt
  os:
    name: linux
  volumes:
  - name: data
    emptyDir: {}
)yaml";

// "Configure a Security Context for a Pod or Container", with every kind of profile.
constexpr char kSecurityContextPod[] = R"yaml(
apiVersion: v1
kind: Pod
metadata:
  name: security-context-demo
spec:
  securityContext:
    runAsUser: 1000
    runAsGroup: 3000
    fsGroup: 2000
    supplementalGroups: [4000]
    supplementalGroupsPolicy: Strict
    fsGroupChangePolicy: "OnRootMismatch"
    runAsNonRoot: true
    seccompProfile:
      type: RuntimeDefault
    appArmorProfile:
      type: Localhost
      localhostProfile: k8s-apparmor-example-deny-write
    seLinuxOptions:
      level: "s0:c123,c456"
    seLinuxChangePolicy: MountOption
    sysctls:
    - name: kernel.shm_rmid_forced
      value: "0"
    - name: net.ipv4.ip_local_port_range
      value: "1024 65535"
  hostUsers: false
  shareProcessNamespace: true
  volumes:
  - name: sec-ctx-vol
    emptyDir: {}
  containers:
  - name: sec-ctx-demo
    image: busybox:1.28
    command: [ "sh", "-c", "sleep 1h" ]
    volumeMounts:
    - name: sec-ctx-vol
      mountPath: /data/demo
      readOnly: true
      recursiveReadOnly: IfPossible
    securityContext:
      allowPrivilegeEscalation: false
      privileged: false
      readOnlyRootFilesystem: true
      procMount: Default
      runAsUser: 2000
      capabilities:
        add: ["NET_ADMIN", "SYS_TIME"]
        drop: ["ALL"]
      seccompProfile:
        type: Localhost
        localhostProfile: profiles/audit.json
      appArmorProfile:
        type: RuntimeDefault
  - name: windows
    image: mcr.microsoft.com/windows/nanoserver:ltsc2022
    securityContext:
      windowsOptions:
        gmsaCredentialSpecName: gmsa-webapp-1
        runAsUserName: "ContainerUser"
        hostProcess: false
)yaml";

// "Assign Pods to Nodes using Node Affinity", inter-pod (anti-)affinity, topology spread
// constraints, tolerations and the other scheduling fields.
constexpr char kSchedulingPod[] = R"yaml(
apiVersion: v1
kind: Pod
metadata:
  name: with-affinity
  labels:
    foo: bar
spec:
  affinity:
    nodeAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
        nodeSelectorTerms:
        - matchExpressions:
          - key: topology.kubernetes.io/zone
            operator: In
            values:
            - antarctica-east1
            - antarctica-west1
          matchFields:
          - key: metadata.name
            operator: NotIn
            values: [node-3]
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 1
        preference:
          matchExpressions:
          - key: another-node-label-key
            operator: In
            values:
            - another-node-label-value
    podAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector:
          matchExpressions:
          - key: security
            operator: In
            values:
            - S1
        topologyKey: topology.kubernetes.io/zone
        matchLabelKeys: [pod-template-hash]
    podAntiAffinity:
      preferredDuringSchedulingIgnoredDuringExecution:
      - weight: 100
        podAffinityTerm:
          labelSelector:
            matchExpressions:
            - key: security
              operator: In
              values:
              - S2
          namespaceSelector: {}
          namespaces: [default]
          topologyKey: topology.kubernetes.io/zone
          mismatchLabelKeys: [tenant]
  topologySpreadConstraints:
  - maxSkew: 1
    topologyKey: zone
    whenUnsatisfiable: DoNotSchedule
    labelSelector:
      matchLabels:
        foo: bar
    matchLabelKeys:
    - pod-template-hash
    minDomains: 2
    nodeAffinityPolicy: Honor
    nodeTaintsPolicy: Ignore
  - maxSkew: 1
    topologyKey: node
    whenUnsatisfiable: ScheduleAnyway
    labelSelector:
      matchLabels:
        foo: bar
  tolerations:
  - key: "example-key"
    operator: "Exists"
    effect: "NoSchedule"
  - key: node.kubernetes.io/not-ready
    operator: Exists
    effect: NoExecute
    tolerationSeconds: 300
  nodeSelector:
    disktype: ssd
  priorityClassName: high-priority
  preemptionPolicy: Never
  schedulerName: default-scheduler
  schedulingGates:
  - name: example.com/foo
  readinessGates:
  - conditionType: "www.example.com/feature-1"
  hostAliases:
  - ip: "127.0.0.1"
    hostnames:
    - "foo.local"
    - "bar.local"
  dnsPolicy: "None"
  dnsConfig:
    nameservers:
    - 192.0.2.1
    searches:
    - ns1.svc.cluster-domain.example
    options:
    - name: ndots
      value: "2"
    - name: edns0
  hostname: busybox-1
  subdomain: busybox-subdomain
  setHostnameAsFQDN: true
  restartPolicy: OnFailure
  terminationGracePeriodSeconds: 30
  activeDeadlineSeconds: 600
  serviceAccountName: build-robot
  automountServiceAccountToken: false
  enableServiceLinks: false
  runtimeClassName: gvisor
  imagePullSecrets:
  - name: regcred
  resourceClaims:
  - name: gpu
    resourceClaimTemplateName: single-gpu
  resources:
    limits:
      cpu: "1"
      memory: 200Mi
  containers:
  - name: with-node-affinity
    image: registry.k8s.io/pause:3.8
    imagePullPolicy: IfNotPresent
    workingDir: /
    terminationMessagePath: /dev/termination-log
    terminationMessagePolicy: FallbackToLogsOnError
    stdin: true
    stdinOnce: true
    tty: true
    env:
    - name: DEMO_GREETING
      value: "Hello from the environment"
    - name: MY_NODE_NAME
      valueFrom:
        fieldRef:
          fieldPath: spec.nodeName
    - name: MY_CPU_LIMIT
      valueFrom:
        resourceFieldRef:
          containerName: with-node-affinity
          resource: limits.cpu
          divisor: 1m
    - name: SPECIAL_LEVEL_KEY
      valueFrom:
        configMapKeyRef:
          name: special-config
          key: special.how
    - name: SECRET_USERNAME
      valueFrom:
        secretKeyRef:
          name: mysecret
          key: username
          optional: true
    envFrom:
    - configMapRef:
        name: special-config
    - prefix: DB_
      secretRef:
        name: db-secret
    resources:
      requests:
        memory: "64Mi"
        cpu: "250m"
        ephemeral-storage: "2Gi"
      limits:
        memory: "128Mi"
        cpu: 0.5
      claims:
      - name: gpu
        request: first
    resizePolicy:
    - resourceName: cpu
      restartPolicy: NotRequired
    - resourceName: memory
      restartPolicy: RestartContainer
    volumeDevices:
    - name: block
      devicePath: /dev/xvda
  volumes:
  - name: block
    persistentVolumeClaim:
      claimName: block-pvc
)yaml";

// A pod with every kind of volume source, each as the documentation of its plugin shows it.
constexpr char kVolumesPod[] = R"yaml(
apiVersion: v1
kind: Pod
metadata:
  name: all-volumes
spec:
  containers:
  - name: test
    image: registry.k8s.io/test-webserver
    volumeMounts:
    - mountPath: /cache
      name: cache-volume
    - mountPath: /test-pd
      name: test-volume
      subPath: html
      mountPropagation: HostToContainer
    - mountPath: /logs
      name: config-vol
      subPathExpr: $(POD_NAME)
  volumes:
  - name: cache-volume
    emptyDir:
      medium: Memory
      sizeLimit: 500Mi
  - name: test-volume
    hostPath:
      path: /data
      type: Directory
  - name: unset-type
    hostPath:
      path: /var/log
      type: ""
  - name: config-vol
    configMap:
      name: log-config
      defaultMode: 0644
      optional: false
      items:
        - key: log_level
          path: log_level.conf
          mode: 0400
  - name: foo
    secret:
      secretName: mysecret
      defaultMode: 0400
      items:
      - key: username
        path: my-group/my-username
  - name: podinfo
    downwardAPI:
      items:
        - path: "labels"
          fieldRef:
            fieldPath: metadata.labels
        - path: "cpu_limit"
          resourceFieldRef:
            containerName: test
            resource: limits.cpu
            divisor: 1m
  - name: all-in-one
    projected:
      defaultMode: 420
      sources:
      - secret:
          name: mysecret
          items:
            - key: username
              path: my-group/my-username
      - downwardAPI:
          items:
            - path: "labels"
              fieldRef:
                fieldPath: metadata.labels
      - configMap:
          name: myconfigmap
          items:
            - key: config
              path: my-group/my-config
      - serviceAccountToken:
          audience: api
          expirationSeconds: 3600
          path: token
      - clusterTrustBundle:
          signerName: example.com/mysigner
          labelSelector:
            matchLabels:
              version: live
          path: ca-roots.pem
          optional: true
  - name: claim
    persistentVolumeClaim:
      claimName: myclaim
      readOnly: true
  - name: nfs-volume
    nfs:
      server: my-nfs-server.example.com
      path: /my-nfs-volume
      readOnly: true
  - name: my-csi-inline-vol
    csi:
      driver: inline.storage.kubernetes.io
      readOnly: true
      fsType: ext4
      volumeAttributes:
        foo: bar
      nodePublishSecretRef:
        name: csi-secret
  - name: scratch-volume
    ephemeral:
      volumeClaimTemplate:
        metadata:
          labels:
            type: my-frontend-volume
        spec:
          accessModes: [ "ReadWriteOnce" ]
          storageClassName: "scratch-storage-class"
          resources:
            requests:
              storage: 1Gi
  - name: volume
    image:
      reference: quay.io/crio/artifact:v2
      pullPolicy: IfNotPresent
  - name: iscsipd-rw
    iscsi:
      targetPortal: 10.0.2.15:3260
      portals: ['10.0.2.16:3260', '10.0.2.17:3260']
      iqn: iqn.2001-04.com.example:storage.kube.sys1.xyz
      lun: 0
      fsType: ext4
      readOnly: true
      chapAuthDiscovery: true
      chapAuthSession: true
      secretRef:
        name: chap-secret
      initiatorName: iqn.1996-04.de.suse:01:a0b1c2d3e4f
      iscsiInterface: default
  - name: rbdpd
    rbd:
      monitors:
      - '10.16.154.78:6789'
      pool: kube
      image: foo
      fsType: ext4
      readOnly: true
      user: admin
      keyring: /etc/ceph/keyring
      secretRef:
        name: ceph-secret
  - name: cephfs
    cephfs:
      monitors:
      - 10.16.154.78:6789
      user: admin
      secretFile: "/etc/ceph/admin.secret"
      readOnly: true
      path: /
  - name: fc-vol
    fc:
      targetWWNs: ['500a0982991b8dc5', '500a0982891b8dc5']
      lun: 2
      fsType: ext4
      readOnly: true
  - name: fc-wwid
    fc:
      wwids: ['3600508b400105e210000900000490000']
  - name: azure
    azureFile:
      secretName: azure-secret
      shareName: k8stest
      readOnly: false
  - name: azure-disk
    azureDisk:
      diskName: test.vhd
      diskURI: https://someaccount.blob.core.microsoft.net/vhds/test.vhd
      cachingMode: ReadOnly
      kind: Managed
      fsType: ext4
      readOnly: false
  - name: gce
    gcePersistentDisk:
      pdName: my-data-disk
      fsType: ext4
      partition: 1
      readOnly: true
  - name: ebs
    awsElasticBlockStore:
      volumeID: "vol-0123456789abcdef0"
      fsType: ext4
      partition: 0
  - name: git
    gitRepo:
      repository: "git@somewhere:me/my-git-repository.git"
      revision: "22f1d8406d464b0c0874075539c1f2e96c253775"
      directory: "."
  - name: glusterfsvol
    glusterfs:
      endpoints: glusterfs-cluster
      path: kube_vol
      readOnly: true
  - name: cinder
    cinder:
      volumeID: "bd82f7e2-wece-4c01-a505-4acf60b07f4a"
      fsType: ext4
      secretRef:
        name: cinder-secret
  - name: flocker
    flocker:
      datasetName: my-flocker-vol
  - name: vsphere
    vsphereVolume:
      volumePath: "[DatastoreName] volumes/myDisk"
      fsType: ext4
      storagePolicyName: gold
  - name: quobyte
    quobyte:
      registry: registry:7861
      volume: testVolume
      readOnly: true
      user: root
      group: root
  - name: photon
    photonPersistentDisk:
      pdID: "62b3d4a8-8b2f-4c59-9d1d-4b1a0c3e7f21"
      fsType: ext4
  - name: pxvol
    portworxVolume:
      volumeID: "pxvol"
      fsType: "ext4"
  - name: vol1
    scaleIO:
      gateway: https://localhost:443/api
      system: scaleio
      protectionDomain: sd0
      storagePool: sp1
      volumeName: vol-0
      secretRef:
        name: sio-secret
      fsType: xfs
      sslEnabled: false
      storageMode: ThinProvisioned
  - name: redis-data
    storageos:
      volumeName: redis-vol01
      volumeNamespace: default
      fsType: ext4
      secretRef:
        name: storageos-secret
  - name: test-flex
    flexVolume:
      driver: "kubernetes.io/lvm"
      fsType: "ext4"
      secretRef:
        name: flex-secret
      options:
        volumeID: "vol1"
        size: "1000m"
        volumegroup: "kube_vg"
)yaml";

// A pod's status as the kubelet reports it.
constexpr char kPodStatus[] = R"yaml(
apiVersion: v1
kind: Pod
metadata:
  name: nginx
  namespace: default
  uid: 3a2b4c5d-1111-2222-3333-444455556666
  resourceVersion: "12345"
  creationTimestamp: "2025-05-01T10:00:00Z"
  ownerReferences:
  - apiVersion: apps/v1
    kind: ReplicaSet
    name: nginx-7c5ddbdf54
    uid: 0b1c2d3e-aaaa-bbbb-cccc-ddddeeeeffff
    controller: true
    blockOwnerDeletion: true
spec:
  nodeName: node-1
  containers:
  - name: nginx
    image: nginx:1.27
status:
  observedGeneration: 1
  phase: Running
  qosClass: BestEffort
  hostIP: 192.168.1.10
  hostIPs:
  - ip: 192.168.1.10
  podIP: 10.244.1.5
  podIPs:
  - ip: 10.244.1.5
  - ip: fd00:10:244:1::5
  startTime: "2025-05-01T10:00:01Z"
  conditions:
  - type: PodReadyToStartContainers
    status: "True"
    lastProbeTime: null
    lastTransitionTime: "2025-05-01T10:00:03Z"
    observedGeneration: 1
  - type: Ready
    status: "True"
    lastProbeTime: null
    lastTransitionTime: "2025-05-01T10:00:05Z"
  - type: PodScheduled
    status: "True"
    lastProbeTime: null
    lastTransitionTime: "2025-05-01T10:00:00Z"
  containerStatuses:
  - name: nginx
    image: docker.io/library/nginx:1.27
    imageID: docker.io/library/nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
    containerID: containerd://4f1e2d3c4b5a
    ready: true
    started: true
    restartCount: 1
    stopSignal: SIGQUIT
    state:
      running:
        startedAt: "2025-05-01T10:00:04Z"
    lastState:
      terminated:
        exitCode: 137
        signal: 9
        reason: OOMKilled
        startedAt: "2025-05-01T10:00:02Z"
        finishedAt: "2025-05-01T10:00:03Z"
        containerID: containerd://0a1b2c3d
    allocatedResources:
      cpu: 100m
    resources:
      requests:
        cpu: 100m
    volumeMounts:
    - name: kube-api-access-abcde
      mountPath: /var/run/secrets/kubernetes.io/serviceaccount
      readOnly: true
      recursiveReadOnly: Disabled
    user:
      linux:
        uid: 0
        gid: 0
        supplementalGroups: [0, 1, 2]
    allocatedResourcesStatus:
    - name: claim:gpu/first
      resources:
      - resourceID: example.com/pool/gpu-0
        health: Healthy
  initContainerStatuses:
  - name: init
    image: busybox:1.28
    imageID: docker.io/library/busybox@sha256:abcdef
    ready: false
    restartCount: 0
    state:
      waiting:
        reason: PodInitializing
  resourceClaimStatuses:
  - name: gpu
    resourceClaimName: nginx-gpu-x7k2p
)yaml";

constexpr char kServices[] = R"yaml(
apiVersion: v1
kind: Service
metadata:
  name: my-service
spec:
  selector:
    app.kubernetes.io/name: MyApp
  ports:
    - protocol: TCP
      port: 80
      targetPort: 9376
  sessionAffinity: ClientIP
  sessionAffinityConfig:
    clientIP:
      timeoutSeconds: 10800
  internalTrafficPolicy: Local
  trafficDistribution: PreferClose
---
apiVersion: v1
kind: Service
metadata:
  name: my-nodeport
spec:
  type: NodePort
  selector:
    app.kubernetes.io/name: MyApp
  ports:
    - port: 80
      targetPort: 80
      nodePort: 30007
  externalIPs:
    - 198.51.100.32
---
apiVersion: v1
kind: Service
metadata:
  name: my-lb
spec:
  selector:
    app.kubernetes.io/name: MyApp
  ports:
    - name: http
      protocol: TCP
      port: 80
      targetPort: http-web-svc
      appProtocol: kubernetes.io/h2c
    - name: dns
      protocol: UDP
      port: 53
      targetPort: 53
  clusterIP: 10.0.171.239
  clusterIPs: [10.0.171.239, "2001:db8::1"]
  ipFamilies: [IPv4, IPv6]
  ipFamilyPolicy: PreferDualStack
  type: LoadBalancer
  loadBalancerClass: example.com/internal-vip
  loadBalancerSourceRanges: [130.211.204.1/32]
  allocateLoadBalancerNodePorts: false
  externalTrafficPolicy: Local
  healthCheckNodePort: 32123
status:
  loadBalancer:
    ingress:
    - ip: 192.0.2.127
      ipMode: VIP
      ports:
      - port: 53
        protocol: UDP
        error: MixedProtocolNotSupported
    - hostname: lb.example.com
  conditions:
  - type: LoadBalancerPortsError
    status: "True"
    reason: LoadBalancerMixedProtocolNotSupported
    message: mixed protocols
    lastTransitionTime: "2025-05-01T10:00:00Z"
    observedGeneration: 1
---
apiVersion: v1
kind: Service
metadata:
  name: my-database
  namespace: prod
spec:
  type: ExternalName
  externalName: my.database.example.com
---
apiVersion: v1
kind: Service
metadata:
  name: nginx
  labels:
    app: nginx
spec:
  ports:
  - port: 80
    name: web
  clusterIP: None
  publishNotReadyAddresses: true
  selector:
    app: nginx
)yaml";

constexpr char kStorage[] = R"yaml(
apiVersion: v1
kind: PersistentVolume
metadata:
  name: task-pv-volume
  labels:
    type: local
spec:
  storageClassName: manual
  capacity:
    storage: 10Gi
  accessModes:
    - ReadWriteOnce
  hostPath:
    path: "/mnt/data"
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: task-pv-claim
spec:
  storageClassName: manual
  accessModes:
    - ReadWriteOnce
  resources:
    requests:
      storage: 3Gi
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: pv0003
spec:
  capacity:
    storage: 5Gi
  volumeMode: Filesystem
  accessModes:
    - ReadWriteOnce
  persistentVolumeReclaimPolicy: Recycle
  storageClassName: slow
  mountOptions:
    - hard
    - nfsvers=4.1
  nfs:
    path: /tmp
    server: 172.17.0.2
  claimRef:
    kind: PersistentVolumeClaim
    namespace: default
    name: foo-pvc
    uid: 7d2b5c1a-1111-2222-3333-444455556666
    apiVersion: v1
    resourceVersion: "5151"
status:
  phase: Bound
  lastPhaseTransitionTime: "2025-05-01T10:00:00Z"
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: example-pv
spec:
  capacity:
    storage: 100Gi
  volumeMode: Block
  accessModes:
  - ReadWriteOncePod
  persistentVolumeReclaimPolicy: Delete
  storageClassName: local-storage
  local:
    path: /mnt/disks/ssd1
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - key: kubernetes.io/hostname
          operator: In
          values:
          - example-node
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: csi-pv
spec:
  capacity:
    storage: 20Gi
  accessModes: [ReadWriteMany]
  csi:
    driver: ebs.csi.aws.com
    volumeHandle: vol-0123456789abcdef0
    fsType: ext4
    volumeAttributes:
      storage.kubernetes.io/csiProvisionerIdentity: "1234-8081-ebs.csi.aws.com"
    nodeStageSecretRef:
      name: csi-secret
      namespace: kube-system
  volumeAttributesClassName: gold
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: restored
spec:
  accessModes:
  - ReadWriteOnce
  volumeMode: Filesystem
  selector:
    matchLabels:
      release: "stable"
  dataSource:
    name: new-snapshot-test
    kind: VolumeSnapshot
    apiGroup: snapshot.storage.k8s.io
  dataSourceRef:
    name: new-snapshot-test
    kind: VolumeSnapshot
    apiGroup: snapshot.storage.k8s.io
  volumeName: pv0003
  volumeAttributesClassName: silver
  resources:
    requests:
      storage: 10Gi
status:
  phase: Bound
  accessModes: [ReadWriteOnce]
  capacity:
    storage: 10Gi
  allocatedResources:
    storage: 10Gi
  allocatedResourceStatuses:
    storage: ControllerResizeInProgress
  conditions:
  - type: Resizing
    status: "True"
    lastProbeTime: null
    lastTransitionTime: "2025-05-01T10:00:00Z"
  currentVolumeAttributesClassName: gold
  modifyVolumeStatus:
    targetVolumeAttributesClassName: silver
    status: InProgress
)yaml";

// A node as the kubelet registers it and keeps its status.
constexpr char kNode[] = R"yaml(
apiVersion: v1
kind: Node
metadata:
  name: node-1
  labels:
    beta.kubernetes.io/arch: amd64
    beta.kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/hostname: node-1
    kubernetes.io/os: linux
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    volumes.kubernetes.io/controller-managed-attach-detach: "true"
spec:
  podCIDR: 10.244.1.0/24
  podCIDRs:
  - 10.244.1.0/24
  - fd00:10:244:1::/64
  providerID: kind://docker/kind/node-1
  unschedulable: true
  taints:
  - effect: NoSchedule
    key: node.kubernetes.io/unschedulable
    timeAdded: "2025-05-01T10:00:00Z"
  - effect: NoSchedule
    key: node-role.kubernetes.io/control-plane
status:
  addresses:
  - address: 172.18.0.2
    type: InternalIP
  - address: node-1
    type: Hostname
  allocatable:
    cpu: "8"
    ephemeral-storage: 102626232Ki
    hugepages-1Gi: "0"
    hugepages-2Mi: "0"
    memory: 32675076Ki
    pods: "110"
  capacity:
    cpu: "8"
    ephemeral-storage: 102626232Ki
    hugepages-1Gi: "0"
    hugepages-2Mi: "0"
    memory: 32777476Ki
    pods: "110"
  conditions:
  - lastHeartbeatTime: "2025-05-01T10:05:00Z"
    lastTransitionTime: "2025-05-01T10:00:00Z"
    message: kubelet has sufficient memory available
    reason: KubeletHasSufficientMemory
    status: "False"
    type: MemoryPressure
  - lastHeartbeatTime: "2025-05-01T10:05:00Z"
    lastTransitionTime: "2025-05-01T10:00:10Z"
    message: kubelet is posting ready status
    reason: KubeletReady
    status: "True"
    type: Ready
  daemonEndpoints:
    kubeletEndpoint:
      Port: 10250
  features:
    supplementalGroupsPolicy: true
  images:
  - names:
    - registry.k8s.io/etcd@sha256:0123456789abcdef
    - registry.k8s.io/etcd:3.5.16-0
    sizeBytes: 57680541
  - names:
    - registry.k8s.io/pause:3.10
    sizeBytes: 320368
  nodeInfo:
    architecture: amd64
    bootID: 0a1b2c3d-4e5f-6789-abcd-ef0123456789
    containerRuntimeVersion: containerd://2.0.3
    kernelVersion: 6.8.0-57-generic
    kubeProxyVersion: ""
    kubeletVersion: v1.33.0
    machineID: 0123456789abcdef0123456789abcdef
    operatingSystem: linux
    osImage: Debian GNU/Linux 12 (bookworm)
    systemUUID: 01234567-89ab-cdef-0123-456789abcdef
    swap:
      capacity: 0
  runtimeHandlers:
  - features:
      recursiveReadOnlyMounts: true
      userNamespaces: true
    name: runc
  - features:
      recursiveReadOnlyMounts: true
      userNamespaces: true
    name: ""
  volumesAttached:
  - name: kubernetes.io/csi/ebs.csi.aws.com^vol-0123456789abcdef0
    devicePath: ""
  volumesInUse:
  - kubernetes.io/csi/ebs.csi.aws.com^vol-0123456789abcdef0
  config:
    active:
      configMap:
        name: node-config
        namespace: kube-system
        uid: 0a1b2c3d
        resourceVersion: "1"
        kubeletConfigKey: kubelet
)yaml";

// "Configure Memory and CPU Quotas for a Namespace", quota scopes, and "Limit Ranges".
constexpr char kQuotaAndLimits[] = R"yaml(
apiVersion: v1
kind: ResourceQuota
metadata:
  name: compute-resources
spec:
  hard:
    requests.cpu: "1"
    requests.memory: 1Gi
    limits.cpu: "2"
    limits.memory: 2Gi
    requests.nvidia.com/gpu: 4
    pods: "10"
status:
  hard:
    requests.cpu: "1"
  used:
    requests.cpu: 500m
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: pods-high
spec:
  hard:
    cpu: "1000"
    memory: 200Gi
    pods: "10"
  scopes: [NotBestEffort]
  scopeSelector:
    matchExpressions:
    - operator : In
      scopeName: PriorityClass
      values: ["high"]
---
apiVersion: v1
kind: LimitRange
metadata:
  name: cpu-resource-constraint
spec:
  limits:
  - default: # this section defines default limits
      cpu: 500m
    defaultRequest: # this section defines default requests
      cpu: 500m
    max: # max and min define the limit range
      cpu: "1"
    min:
      cpu: 100m
    maxLimitRequestRatio:
      memory: 2
    type: Container
  - type: PersistentVolumeClaim
    max:
      storage: 2Gi
    min:
      storage: 1Gi
)yaml";

constexpr char kOtherKinds[] = R"yaml(
apiVersion: v1
kind: ReplicationController
metadata:
  name: nginx
spec:
  replicas: 3
  minReadySeconds: 5
  selector:
    app: nginx
  template:
    metadata:
      name: nginx
      labels:
        app: nginx
    spec:
      containers:
      - name: nginx
        image: nginx
        ports:
        - containerPort: 80
status:
  replicas: 3
  fullyLabeledReplicas: 3
  readyReplicas: 3
  availableReplicas: 3
  observedGeneration: 1
  conditions:
  - type: ReplicaFailure
    status: "False"
    lastTransitionTime: "2025-05-01T10:00:00Z"
---
apiVersion: v1
kind: Namespace
metadata:
  name: development
  labels:
    name: development
spec:
  finalizers: [kubernetes]
status:
  phase: Terminating
  conditions:
  - type: NamespaceContentRemaining
    status: "True"
    reason: SomeResourcesRemain
    message: "Some resources are remaining: pods. has 1 resource instances"
    lastTransitionTime: "2025-05-01T10:00:00Z"
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: game-demo
immutable: false
data:
  player_initial_lives: "3"
  ui_properties_file_name: "user-interface.properties"
  game.properties: |
    enemy.types=aliens,monsters
    player.maximum-lives=5
binaryData:
  logo.png: iVBORw0KGgo=
---
apiVersion: v1
kind: Secret
metadata:
  name: secret-tls
type: kubernetes.io/tls
data:
  tls.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
  tls.key: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCg==
stringData:
  extra: plain text
immutable: true
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: build-robot
automountServiceAccountToken: false
secrets:
- name: build-robot-token
imagePullSecrets:
- name: myregistrykey
---
apiVersion: v1
kind: Endpoints
metadata:
  name: my-service
subsets:
  - addresses:
      - ip: 192.0.2.42
        nodeName: node-1
        hostname: web-0
        targetRef:
          kind: Pod
          namespace: default
          name: web-0
          uid: 0a1b2c3d
    notReadyAddresses:
      - ip: 192.0.2.43
    ports:
      - port: 9376
        name: http
        protocol: TCP
        appProtocol: http
---
apiVersion: v1
kind: Event
metadata:
  name: nginx.17f4c0a3b2d1e0f9
  namespace: default
involvedObject:
  apiVersion: v1
  kind: Pod
  name: nginx
  namespace: default
  uid: 3a2b4c5d
  resourceVersion: "12345"
  fieldPath: spec.containers{nginx}
reason: Pulled
message: Successfully pulled image "nginx:1.27" in 1.2s
source:
  component: kubelet
  host: node-1
firstTimestamp: "2025-05-01T10:00:02Z"
lastTimestamp: "2025-05-01T10:00:02Z"
count: 1
type: Normal
eventTime: null
reportingComponent: kubelet
reportingInstance: node-1
---
apiVersion: v1
kind: Event
metadata:
  name: web.series
  namespace: default
involvedObject:
  kind: Pod
  name: web
eventTime: "2025-05-01T10:00:02.123456Z"
series:
  count: 4
  lastObservedTime: "2025-05-01T10:10:02.123456Z"
action: Scheduling
related:
  kind: Node
  name: node-1
reason: FailedScheduling
type: Warning
reportingComponent: default-scheduler
reportingInstance: default-scheduler-node-1
---
apiVersion: v1
kind: PodTemplate
metadata:
  name: debug
template:
  metadata:
    labels:
      app: debug
  spec:
    ephemeralContainers:
    - name: debugger
      image: busybox
      targetContainerName: app
      stdin: true
      tty: true
    containers:
    - name: app
      image: busybox
---
apiVersion: v1
kind: Binding
metadata:
  name: nginx
  namespace: default
target:
  apiVersion: v1
  kind: Node
  name: node-1
)yaml";

// --- Tests --------------------------------------------------------------------------------------

TEST(CoreV1Schema, PodsWithEveryKindOfProbeValidate) { expect_valid(kProbePods); }

TEST(CoreV1Schema, PodSecurityContextsValidate) { expect_valid(kSecurityContextPod); }

TEST(CoreV1Schema, PodSchedulingAndEnvironmentValidate) { expect_valid(kSchedulingPod); }

TEST(CoreV1Schema, EveryVolumeSourceValidates) { expect_valid(kVolumesPod); }

TEST(CoreV1Schema, PodStatusAsTheKubeletWritesItValidates) { expect_valid(kPodStatus); }

TEST(CoreV1Schema, ServicesOfEveryTypeValidate) { expect_valid(kServices); }

TEST(CoreV1Schema, PersistentVolumesAndClaimsValidate) { expect_valid(kStorage); }

TEST(CoreV1Schema, NodeAsTheKubeletWritesItValidates) { expect_valid(kNode); }

TEST(CoreV1Schema, QuotasAndLimitRangesValidate) { expect_valid(kQuotaAndLimits); }

TEST(CoreV1Schema, OtherCoreKindsValidate) { expect_valid(kOtherKinds); }

// The checks above must be able to fail: a misspelt field, a wrong JSON type, a missing required
// field and a value outside an enum are each reported at their path.
TEST(CoreV1Schema, MistakesInAPodAreReportedAtTheirPath) {
  std::vector<Json> docs = read_manifests(R"yaml(
apiVersion: v1
kind: Pod
metadata:
  name: broken
spec:
  containres: []
  restartPolicy: Sometimes
  containers:
  - image: nginx
    ports:
    - containerPort: "80"
    volumeMounts:
    - name: data
      mountpath: /data
)yaml");
  ASSERT_EQ(docs.size(), 1u);
  FieldValidationResult strict = strict_decoding_of(docs[0]);
  EXPECT_THAT(strict.unknown_fields,
              UnorderedElementsAreArray(
                  {"spec.containres", "spec.containers[0].volumeMounts[0].mountpath"}));
  ASSERT_EQ(strict.type_errors.size(), 1u);
  EXPECT_EQ(strict.type_errors[0].message,
            "json: cannot unmarshal string into Go struct field "
            "ContainerPort.spec.containers.ports.containerPort of type int32");
  EXPECT_THAT(problems_of(docs[0]),
              UnorderedElementsAreArray({
                  std::string("unknown field \"spec.containres\""),
                  std::string("spec.restartPolicy: \"Sometimes\" is not an enum value"),
                  std::string("spec.containers[0].ports[0].containerPort: expected an integer, "
                              "got \"80\""),
                  std::string("unknown field \"spec.containers[0].volumeMounts[0].mountpath\""),
                  std::string("spec.containers[0].volumeMounts[0].mountPath: required field "
                              "missing"),
                  std::string("spec.containers[0].name: required field missing"),
              }));
}

TEST(CoreV1Schema, EveryCoreKindHasABodyType) {
  for (const char* kind :
       {"Pod", "PodTemplate", "Binding", "Namespace", "Node", "Service", "Endpoints", "Event",
        "ConfigMap", "Secret", "ServiceAccount", "ReplicationController", "ResourceQuota",
        "LimitRange", "PersistentVolume", "PersistentVolumeClaim"}) {
    const SchemaType* type = schemas().find("", "v1", kind);
    ASSERT_NE(type, nullptr) << kind;
    EXPECT_EQ(type->full_name(), std::string("io.k8s.api.core.v1.") + kind);
    EXPECT_FALSE(type->description().empty()) << kind;
  }
}

struct ListFacts {
  const char* kind;
  const char* path;
  PatchStrategy patch;
  const char* merge_key;
  ListType list_type;
  std::vector<std::string> list_keys;
};

// The lists whose strategic-merge and apply behaviour users rely on, with Kubernetes' markers.
TEST(CoreV1Schema, WellKnownListsCarryKubernetesMergeKeys) {
  const std::vector<ListFacts> facts = {
      {"Pod", "spec.containers", PatchStrategy::kMerge, "name", ListType::kMap, {"name"}},
      {"Pod", "spec.initContainers", PatchStrategy::kMerge, "name", ListType::kMap, {"name"}},
      {"Pod", "spec.ephemeralContainers", PatchStrategy::kMerge, "name", ListType::kMap, {"name"}},
      {"Pod",
       "spec.containers.ports",
       PatchStrategy::kMerge,
       "containerPort",
       ListType::kMap,
       {"containerPort", "protocol"}},
      {"Pod", "spec.containers.env", PatchStrategy::kMerge, "name", ListType::kMap, {"name"}},
      {"Pod",
       "spec.containers.volumeMounts",
       PatchStrategy::kMerge,
       "mountPath",
       ListType::kMap,
       {"mountPath"}},
      {"Pod",
       "spec.containers.volumeDevices",
       PatchStrategy::kMerge,
       "devicePath",
       ListType::kMap,
       {"devicePath"}},
      {"Pod", "spec.containers.envFrom", PatchStrategy::kNone, "", ListType::kAtomic, {}},
      {"Pod", "spec.containers.command", PatchStrategy::kNone, "", ListType::kAtomic, {}},
      {"Pod", "spec.volumes", PatchStrategy::kMergeRetainKeys, "name", ListType::kMap, {"name"}},
      {"Pod", "spec.imagePullSecrets", PatchStrategy::kMerge, "name", ListType::kMap, {"name"}},
      {"Pod", "spec.hostAliases", PatchStrategy::kMerge, "ip", ListType::kMap, {"ip"}},
      {"Pod", "spec.tolerations", PatchStrategy::kNone, "", ListType::kAtomic, {}},
      {"Pod", "spec.readinessGates", PatchStrategy::kNone, "", ListType::kAtomic, {}},
      {"Pod",
       "spec.topologySpreadConstraints",
       PatchStrategy::kMerge,
       "topologyKey",
       ListType::kMap,
       {"topologyKey", "whenUnsatisfiable"}},
      {"Pod", "spec.schedulingGates", PatchStrategy::kMerge, "name", ListType::kMap, {"name"}},
      {"Pod",
       "spec.resourceClaims",
       PatchStrategy::kMergeRetainKeys,
       "name",
       ListType::kMap,
       {"name"}},
      {"Pod", "status.conditions", PatchStrategy::kMerge, "type", ListType::kMap, {"type"}},
      {"Pod", "status.podIPs", PatchStrategy::kMerge, "ip", ListType::kMap, {"ip"}},
      {"Pod", "status.containerStatuses", PatchStrategy::kNone, "", ListType::kAtomic, {}},
      {"Node", "status.conditions", PatchStrategy::kMerge, "type", ListType::kMap, {"type"}},
      {"Node", "status.addresses", PatchStrategy::kMerge, "type", ListType::kMap, {"type"}},
      {"Node", "spec.podCIDRs", PatchStrategy::kMerge, "", ListType::kSet, {}},
      {"Node", "spec.taints", PatchStrategy::kNone, "", ListType::kAtomic, {}},
      {"Service",
       "spec.ports",
       PatchStrategy::kMerge,
       "port",
       ListType::kMap,
       {"port", "protocol"}},
      {"Service", "status.conditions", PatchStrategy::kMerge, "type", ListType::kMap, {"type"}},
      {"ServiceAccount", "secrets", PatchStrategy::kMerge, "name", ListType::kMap, {"name"}},
      {"ServiceAccount", "imagePullSecrets", PatchStrategy::kNone, "", ListType::kAtomic, {}},
      {"Endpoints", "subsets", PatchStrategy::kNone, "", ListType::kAtomic, {}},
      {"PersistentVolumeClaim",
       "status.conditions",
       PatchStrategy::kMerge,
       "type",
       ListType::kMap,
       {"type"}},
      {"PersistentVolume", "spec.accessModes", PatchStrategy::kNone, "", ListType::kAtomic, {}},
      {"Namespace", "status.conditions", PatchStrategy::kMerge, "type", ListType::kMap, {"type"}},
      {"ReplicationController",
       "status.conditions",
       PatchStrategy::kMerge,
       "type",
       ListType::kMap,
       {"type"}},
      {"LimitRange", "spec.limits", PatchStrategy::kNone, "", ListType::kAtomic, {}},
  };
  for (const ListFacts& f : facts) {
    SCOPED_TRACE(std::string(f.kind) + " " + f.path);
    const SchemaType* root = schemas().find("", "v1", f.kind);
    ASSERT_NE(root, nullptr);
    const SchemaField* field = SchemaSet::field_at(*root, f.path);
    ASSERT_NE(field, nullptr);
    EXPECT_EQ(field->patch_strategy, f.patch);
    EXPECT_EQ(field->merge_key, f.merge_key);
    EXPECT_EQ(field->list_type, f.list_type);
    EXPECT_EQ(field->list_map_keys, f.list_keys);
  }
}

TEST(CoreV1Schema, AtomicMapsAndStructsAreMarked) {
  const SchemaType* pod = schemas().find("", "v1", "Pod");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(SchemaSet::field_at(*pod, "spec.nodeSelector")->map_type, MapType::kAtomic);
  const SchemaType* service = schemas().find("", "v1", "Service");
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(SchemaSet::field_at(*service, "spec.selector")->map_type, MapType::kAtomic);
  const SchemaType* pv = schemas().find("", "v1", "PersistentVolume");
  ASSERT_NE(pv, nullptr);
  EXPECT_EQ(SchemaSet::field_at(*pv, "spec.claimRef")->map_type, MapType::kGranular);
  for (const char* name : {"ObjectReference", "LocalObjectReference", "TypedLocalObjectReference",
                           "NodeSelector", "NodeSelectorTerm", "ObjectFieldSelector",
                           "ResourceFieldSelector", "ConfigMapKeySelector", "SecretKeySelector",
                           "SecretReference", "EndpointAddress", "EndpointPort", "ScopeSelector"}) {
    const SchemaType* type = schemas().find(std::string("io.k8s.api.core.v1.") + name);
    ASSERT_NE(type, nullptr) << name;
    EXPECT_TRUE(type->atomic()) << name;
  }
  EXPECT_FALSE(schemas().find("io.k8s.api.core.v1.PodSpec")->atomic());
}

TEST(CoreV1Schema, DefaultsAreKubernetesDefaults) {
  const SchemaType* pod = schemas().find("", "v1", "Pod");
  ASSERT_NE(pod, nullptr);
  EXPECT_EQ(SchemaSet::field_at(*pod, "spec.containers.ports.protocol")->default_value,
            Json("TCP"));
  EXPECT_EQ(SchemaSet::field_at(*pod, "spec.imagePullSecrets.name")->default_value, Json(""));
  EXPECT_EQ(SchemaSet::field_at(*pod, "spec.volumes.rbd.pool")->default_value, Json("rbd"));
  EXPECT_EQ(SchemaSet::field_at(*pod, "spec.volumes.azureDisk.readOnly")->default_value,
            Json(false));
  const SchemaType* service = schemas().find("", "v1", "Service");
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(SchemaSet::field_at(*service, "spec.ports.protocol")->default_value, Json("TCP"));
}

std::vector<std::string> field_names(const char* type_name) {
  const SchemaType* type = schemas().find(std::string("io.k8s.api.core.v1.") + type_name);
  if (type == nullptr) return {std::string("no type ") + type_name};
  std::vector<std::string> names;
  for (const SchemaField& f : type->fields()) names.push_back(f.name);
  return names;
}

// The field sets of the most used types are exactly those of Kubernetes 1.33: a field missing here
// would make strict validation reject a valid manifest, an extra one would accept a typo'd field of
// a later release.
TEST(CoreV1Schema, FieldSetsMatchKubernetes133) {
  EXPECT_THAT(field_names("PodSpec"), UnorderedElementsAreArray({"activeDeadlineSeconds",
                                                                 "affinity",
                                                                 "automountServiceAccountToken",
                                                                 "containers",
                                                                 "dnsConfig",
                                                                 "dnsPolicy",
                                                                 "enableServiceLinks",
                                                                 "ephemeralContainers",
                                                                 "hostAliases",
                                                                 "hostIPC",
                                                                 "hostNetwork",
                                                                 "hostPID",
                                                                 "hostUsers",
                                                                 "hostname",
                                                                 "imagePullSecrets",
                                                                 "initContainers",
                                                                 "nodeName",
                                                                 "nodeSelector",
                                                                 "os",
                                                                 "overhead",
                                                                 "preemptionPolicy",
                                                                 "priority",
                                                                 "priorityClassName",
                                                                 "readinessGates",
                                                                 "resourceClaims",
                                                                 "resources",
                                                                 "restartPolicy",
                                                                 "runtimeClassName",
                                                                 "schedulerName",
                                                                 "schedulingGates",
                                                                 "securityContext",
                                                                 "serviceAccount",
                                                                 "serviceAccountName",
                                                                 "setHostnameAsFQDN",
                                                                 "shareProcessNamespace",
                                                                 "subdomain",
                                                                 "terminationGracePeriodSeconds",
                                                                 "tolerations",
                                                                 "topologySpreadConstraints",
                                                                 "volumes"}));
  EXPECT_THAT(field_names("PodStatus"),
              UnorderedElementsAreArray(
                  {"conditions", "containerStatuses", "ephemeralContainerStatuses", "hostIP",
                   "hostIPs", "initContainerStatuses", "message", "nominatedNodeName",
                   "observedGeneration", "phase", "podIP", "podIPs", "qosClass", "reason", "resize",
                   "resourceClaimStatuses", "startTime"}));
  EXPECT_THAT(field_names("ContainerStatus"),
              UnorderedElementsAreArray({"allocatedResources", "allocatedResourcesStatus",
                                         "containerID", "image", "imageID", "lastState", "name",
                                         "ready", "resources", "restartCount", "started", "state",
                                         "stopSignal", "user", "volumeMounts"}));
  std::vector<std::string> container = {"args",
                                        "command",
                                        "env",
                                        "envFrom",
                                        "image",
                                        "imagePullPolicy",
                                        "lifecycle",
                                        "livenessProbe",
                                        "name",
                                        "ports",
                                        "readinessProbe",
                                        "resizePolicy",
                                        "resources",
                                        "restartPolicy",
                                        "securityContext",
                                        "startupProbe",
                                        "stdin",
                                        "stdinOnce",
                                        "terminationMessagePath",
                                        "terminationMessagePolicy",
                                        "tty",
                                        "volumeDevices",
                                        "volumeMounts",
                                        "workingDir"};
  EXPECT_THAT(field_names("Container"), UnorderedElementsAreArray(container));
  container.push_back("targetContainerName");
  EXPECT_THAT(field_names("EphemeralContainer"), UnorderedElementsAreArray(container));
  EXPECT_THAT(field_names("Lifecycle"), ElementsAre("postStart", "preStop", "stopSignal"));
  EXPECT_THAT(field_names("PodCondition"),
              UnorderedElementsAreArray({"lastProbeTime", "lastTransitionTime", "message",
                                         "observedGeneration", "reason", "status", "type"}));
  EXPECT_THAT(
      field_names("NodeSystemInfo"),
      UnorderedElementsAreArray({"architecture", "bootID", "containerRuntimeVersion",
                                 "kernelVersion", "kubeProxyVersion", "kubeletVersion", "machineID",
                                 "operatingSystem", "osImage", "swap", "systemUUID"}));
  // Volume is its name plus every source of the inline VolumeSource.
  EXPECT_EQ(field_names("Volume").size(), 1u + 30u);
  // PersistentVolumeSpec: 22 inline PersistentVolumeSource members and 9 of its own.
  EXPECT_EQ(field_names("PersistentVolumeSpec").size(), 22u + 9u);
}

}  // namespace
}  // namespace bosun::api
