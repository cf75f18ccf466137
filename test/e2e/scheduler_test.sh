#!/usr/bin/env bash
# The scheduler as a user sees it through kubectl: three nodes of different sizes (Node objects
# created with kubectl, kept alive by their Leases; no kubelet is needed to place pods), pods that
# land where they fit, one that fits nowhere staying Pending with Kubernetes' message in `kubectl
# describe pod`, a deletion that lets it schedule, nodeSelector, taints and tolerations, required
# anti-affinity spreading replicas over nodes, and `kubectl cordon`/`uncordon`. Uses the scheduler
# of `bosun server` when it runs one, else starts `bosun scheduler` beside it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# (An unknown subcommand's --help prints the top-level help, which has no --leader-elect.)
if ! "$BOSUN" scheduler --help 2>/dev/null | grep -q -- --leader-elect; then
  echo "SKIP: this bosun has no scheduler subcommand yet"
  exit 0
fi

SCHED_PID=""
scheduler_cleanup() {
  local rc=$?
  if [[ -n "$SCHED_PID" ]] && kill -0 "$SCHED_PID" 2>/dev/null; then
    kill -TERM "$SCHED_PID" 2>/dev/null || true
    wait "$SCHED_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 ]]; then
    echo "---- scheduler log (last 40 lines) ----" >&2
    tail -n 40 "$E2E_TMP/scheduler.log" >&2 2>/dev/null || true
  fi
  (exit $rc)
  e2e_cleanup
}
trap scheduler_cleanup EXIT

# Without a local agent, the three nodes below are the whole cluster.
extra=()
if "$BOSUN" server --help 2>/dev/null | grep -q -- --disable-agent; then extra+=(--disable-agent); fi
start_server "${extra[@]}"

# node NAME CPU MEMORY SIZE-LABEL: a Ready node and a fresh Lease, as a kubelet would report them.
node() {
  local now
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Node
metadata:
  name: $1
  labels: {kubernetes.io/hostname: $1, size: $4}
status:
  capacity: {cpu: "$2", memory: $3, pods: "110"}
  allocatable: {cpu: "$2", memory: $3, pods: "110"}
  conditions:
  - {type: Ready, status: "True", reason: KubeletReady, lastHeartbeatTime: "${now%.*}Z"}
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata: {name: $1, namespace: kube-node-lease}
spec: {holderIdentity: $1, leaseDurationSeconds: 40, renewTime: "$now"}
YAML
}

# pod NAME CPU [extra spec YAML, indented by two spaces]
pod() {
  local requests=""
  [[ -n "$2" ]] && requests="    resources: {requests: {cpu: $2}}"
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels: {app: $1}
spec:
  containers:
  - name: app
    image: registry.k8s.io/pause:3.10
$requests
${3:-}
YAML
}

node_of() { k get pod "$1" -o jsonpath='{.spec.nodeName}'; }
bound() { [[ -n "$(node_of "$1")" ]]; }
# The message of the pod's PodScheduled=False condition, once written.
pending_message() {
  k get pod "$1" -o jsonpath='{.status.conditions[?(@.type=="PodScheduled")].message}'
}
has_pending_message() { [[ -n "$(pending_message "$1")" ]]; }
# expect_pending POD MESSAGE: Pending, with the message in the condition and in describe's events.
expect_pending() {
  wait_for 20 has_pending_message "$1"
  expect_eq "$(pending_message "$1")" "$2" "PodScheduled message of $1"
  expect_eq "$(k get pod "$1" -o jsonpath='{.status.phase}')" "Pending" "phase of $1"
  expect_eq "$(node_of "$1")" "" "node of $1"
  local out
  out=$(k describe pod "$1")
  expect_contains "$out" "FailedScheduling" "describe $1"
  expect_contains "$out" "$2" "describe $1"
}
# expect_on POD NODE
expect_on() {
  wait_for 20 bound "$1"
  expect_eq "$(node_of "$1")" "$2" "node of $1"
}

node small 1 2Gi small
node medium 2 4Gi medium
node large 4 8Gi large

# Use the server's scheduler if it has one; otherwise run `bosun scheduler` with the admin
# kubeconfig (leader election on, as several may run).
pod probe ""
for _ in $(seq 30); do bound probe && break; sleep 0.1; done
if ! bound probe; then
  "$BOSUN" scheduler --kubeconfig "$KUBECONFIG" --leader-elect >"$E2E_TMP/scheduler.log" 2>&1 &
  SCHED_PID=$!
  wait_for 20 bound probe
fi
k delete pod probe --grace-period=0 --force >/dev/null 2>&1

# Requests decide: 3 cpu fits only large, then 1500m only medium; 2 cpu then fits nowhere.
pod big 3
expect_on big large
pod mid 1500m
expect_on mid medium
pod huge 2
expect_pending huge "0/3 nodes are available: 3 Insufficient cpu."
out=$(k describe pod huge)
expect_contains "$out" "default-scheduler" "describe huge: From"
expect_contains "$(k describe pod big)" "Successfully assigned default/big to large" "Scheduled event"
expect_contains "$(k get events --field-selector involvedObject.name=huge)" "FailedScheduling" "events"

# Deleting big frees 3 cpu on large (no kubelet here, so the deletion is forced).
k delete pod big --grace-period=0 --force >/dev/null 2>&1
expect_on huge large

# nodeSelector.
pod on-small "" "  nodeSelector: {size: small}"
expect_on on-small small

# Taints: untolerated NoSchedule keeps a pod off medium; a toleration lets it on.
k taint nodes medium dedicated=db:NoSchedule >/dev/null
pod wants-medium "" "  nodeSelector: {size: medium}"
expect_pending wants-medium "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 node(s) didn't match Pod's node affinity/selector."
pod tolerates-medium "" "  nodeSelector: {size: medium}
  tolerations: [{key: dedicated, operator: Equal, value: db, effect: NoSchedule}]"
expect_on tolerates-medium medium

# Required anti-affinity on the hostname: one replica per node, the fourth waits.
replica() {
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels: {app: web}
spec:
  containers:
  - {name: app, image: registry.k8s.io/pause:3.10}
  tolerations: [{key: dedicated, operator: Exists}]
  affinity:
    podAntiAffinity:
      requiredDuringSchedulingIgnoredDuringExecution:
      - labelSelector: {matchLabels: {app: web}}
        topologyKey: kubernetes.io/hostname
YAML
}
for r in web-1 web-2 web-3; do
  replica $r
  wait_for 20 bound $r
done
nodes=$(for r in web-1 web-2 web-3; do node_of $r; echo; done | sort | tr '\n' ' ')
expect_eq "$nodes" "large medium small " "replicas' nodes"
replica web-4
expect_pending web-4 "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."

# kubectl cordon: no new pods on small until uncordon.
k cordon small >/dev/null
pod wants-small "" "  nodeSelector: {size: small}"
expect_pending wants-small "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) were unschedulable."
k uncordon small >/dev/null
expect_on wants-small small

echo "PASS scheduler_test"
