// The core/v1 schema texts are about half of the builtin schema data: these measure what they cost
// when a process first builds the SchemaSet (parse and link), and what strict validation of the
// largest realistic core/v1 object, a pod using every kind of volume source, costs per request.
#include <benchmark/benchmark.h>

#include <iterator>
#include <string>

#include "api/decode.h"
#include "api/schema.h"
#include "api/schema/core_v1.h"
#include "api/schema_validation.h"

namespace bosun::api::schema {
extern const char kMetaV1[];  // defined in src/api/schema/meta_v1.cc, registered in all.cc
}  // namespace bosun::api::schema

namespace {

using bosun::Json;
using bosun::api::FieldValidationResult;
using bosun::api::SchemaSet;
using bosun::api::SchemaSource;
using bosun::api::SchemaType;

// meta/v1 and core/v1 alone: the texts a core-only schema set needs.
void BM_ParseCoreV1(benchmark::State& state) {
  const SchemaSource sources[] = {{"meta_v1", bosun::api::schema::kMetaV1},
                                  {"core_v1", bosun::api::schema::kCoreV1},
                                  {"core_v1_pod", bosun::api::schema::kCoreV1Pod},
                                  {"core_v1_volume", bosun::api::schema::kCoreV1Volume}};
  for (auto _ : state) {
    auto set =
        SchemaSet::parse(std::span<const SchemaSource>(std::begin(sources), std::end(sources)));
    if (!set.ok()) state.SkipWithError("core/v1 texts do not parse");
    benchmark::DoNotOptimize(set);
  }
}

// Every builtin text, as SchemaSet::global() does once per process.
void BM_ParseAllBuiltin(benchmark::State& state) {
  for (auto _ : state) {
    auto set = SchemaSet::parse(bosun::api::builtin_schema_sources());
    if (!set.ok()) state.SkipWithError("builtin texts do not parse");
    benchmark::DoNotOptimize(set);
  }
}

const char kPodWithEveryVolume[] = R"yaml(
apiVersion: v1
kind: Pod
metadata: {name: all-volumes, namespace: default, labels: {app: test}}
spec:
  containers:
  - name: test
    image: registry.k8s.io/test-webserver
    volumeMounts:
    - {mountPath: /cache, name: cache}
    - {mountPath: /config, name: config}
    - {mountPath: /projected, name: all-in-one}
  volumes:
  - {name: cache, emptyDir: {medium: Memory, sizeLimit: 500Mi}}
  - {name: host, hostPath: {path: /data, type: Directory}}
  - {name: config, configMap: {name: log-config, items: [{key: log_level, path: log_level.conf}]}}
  - {name: secret, secret: {secretName: mysecret, defaultMode: 256}}
  - name: podinfo
    downwardAPI:
      items:
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: cpu, resourceFieldRef: {containerName: test, resource: limits.cpu, divisor: 1m}}
  - name: all-in-one
    projected:
      sources:
      - secret: {name: mysecret, items: [{key: username, path: my-username}]}
      - configMap: {name: myconfigmap}
      - serviceAccountToken: {audience: api, expirationSeconds: 3600, path: token}
      - clusterTrustBundle: {signerName: example.com/signer, labelSelector: {matchLabels: {v: live}}, path: ca.pem}
  - {name: claim, persistentVolumeClaim: {claimName: myclaim}}
  - {name: nfs, nfs: {server: nfs.example.com, path: /export}}
  - {name: csi, csi: {driver: inline.storage.kubernetes.io, volumeAttributes: {foo: bar}}}
  - name: scratch
    ephemeral:
      volumeClaimTemplate:
        spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
  - {name: image, image: {reference: quay.io/crio/artifact:v2, pullPolicy: IfNotPresent}}
  - {name: iscsi, iscsi: {targetPortal: "10.0.2.15:3260", iqn: "iqn.2001-04.com.example:storage", lun: 0}}
  - {name: rbd, rbd: {monitors: ["10.16.154.78:6789"], image: foo, pool: kube}}
  - {name: cephfs, cephfs: {monitors: ["10.16.154.78:6789"], user: admin}}
  - {name: fc, fc: {targetWWNs: [500a0982991b8dc5], lun: 2}}
  - {name: azure-file, azureFile: {secretName: azure-secret, shareName: share}}
  - {name: azure-disk, azureDisk: {diskName: test.vhd, diskURI: "https://a.blob.core.windows.net/vhds/test.vhd"}}
  - {name: gce, gcePersistentDisk: {pdName: my-data-disk, fsType: ext4}}
  - {name: ebs, awsElasticBlockStore: {volumeID: vol-0123456789abcdef0}}
  - {name: git, gitRepo: {repository: "https://example.com/repo.git"}}
  - {name: gluster, glusterfs: {endpoints: glusterfs-cluster, path: kube_vol}}
  - {name: cinder, cinder: {volumeID: bd82f7e2}}
  - {name: flocker, flocker: {datasetName: my-flocker-vol}}
  - {name: vsphere, vsphereVolume: {volumePath: "[ds] volumes/myDisk"}}
  - {name: quobyte, quobyte: {registry: "registry:7861", volume: testVolume}}
  - {name: photon, photonPersistentDisk: {pdID: 62b3d4a8}}
  - {name: portworx, portworxVolume: {volumeID: pxvol}}
  - {name: scaleio, scaleIO: {gateway: "https://localhost:443/api", system: scaleio, secretRef: {name: sio}}}
  - {name: storageos, storageos: {volumeName: redis-vol01}}
  - {name: flex, flexVolume: {driver: kubernetes.io/lvm, options: {size: 1000m}}}
)yaml";

void BM_ValidateFieldsPodWithEveryVolume(benchmark::State& state) {
  auto docs = bosun::api::decode_manifests(kPodWithEveryVolume);
  if (!docs.ok() || docs->size() != 1) {
    state.SkipWithError("the benchmark manifest does not decode");
    return;
  }
  const Json& doc = (*docs)[0];
  const SchemaType* root = SchemaSet::global().find("", "v1", "Pod");
  FieldValidationResult out;
  for (auto _ : state) {
    out.unknown_fields.clear();
    out.type_errors.clear();
    bosun::api::validate_fields(doc, *root, {}, &out);
    benchmark::DoNotOptimize(out);
  }
  if (!out.ok()) state.SkipWithError("the benchmark document does not validate");
}

BENCHMARK(BM_ParseCoreV1)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ParseAllBuiltin)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ValidateFieldsPodWithEveryVolume);

}  // namespace

BENCHMARK_MAIN();
