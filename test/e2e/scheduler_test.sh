#!/usr/bin/env bash
# The scheduler as a user sees it through kubectl: three nodes of different sizes (simulated by
# `bosun hollow-nodes`, or, in a bosun without that command, Node objects created with kubectl and
# kept alive by their Leases: placing pods needs no kubelet), pods that land where they fit, one
# that fits nowhere staying Pending with Kubernetes' message in `kubectl describe pod`, a deletion
# that lets it schedule, nodeSelector, taints and tolerations, required anti-affinity spreading
# replicas over nodes, and `kubectl cordon`/`uncordon`. Uses the scheduler of `bosun server` when
# it runs one, else starts `bosun scheduler` beside it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# (An unknown subcommand's --help prints the top-level help, which has no --leader-elect.)
if ! "$BOSUN" scheduler --help 2>/dev/null | grep -q -- --leader-elect; then
  echo "SKIP: this bosun has no scheduler subcommand yet"
  exit 0
fi

HOLLOW=0
if "$BOSUN" hollow-nodes --help 2>/dev/null | grep -q -- --name-prefix; then HOLLOW=1; fi

PIDS=()
scheduler_cleanup() {
  local rc=$?
  # errexit would end the handler at `(exit $rc)` below, before e2e_cleanup stops the server.
  set +e
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [[ $rc -ne 0 ]]; then
    for log in "$E2E_TMP"/scheduler.log "$E2E_TMP"/hollow-*.log; do
      [[ -f "$log" ]] || continue
      echo "---- $(basename "$log") (last 30 lines) ----" >&2
      tail -n 30 "$log" >&2
    done
  fi
  (exit $rc)
  e2e_cleanup
}
trap scheduler_cleanup EXIT

# Without a local agent, the three nodes below are the whole cluster.
extra=()
if "$BOSUN" server --help 2>/dev/null | grep -q -- --disable-agent; then extra+=(--disable-agent); fi
start_server "${extra[@]}"

# node SIZE CPU MEMORY: a node labelled size=SIZE; its name goes into NODE_<SIZE>.
node() {
  local name
  if ((HOLLOW)); then
    "$BOSUN" hollow-nodes --kubeconfig "$KUBECONFIG" --count 1 --cpu "$2" --memory "$3" \
      --name-prefix "$1-" >"$E2E_TMP/hollow-$1.log" 2>&1 &
    PIDS+=($!)
    name="$1-0"
    wait_for 30 k get node "$name"
    k label node "$name" "size=$1" >/dev/null
  else
    name="$1"
    api_node "$1" "$2" "$3" "$1"
  fi
  printf -v "NODE_${1^^}" '%s' "$name"
}

# api_node NAME CPU MEMORY SIZE-LABEL: a Ready node and a fresh Lease, as a kubelet would report
# them.
api_node() {
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

node small 1 2Gi
node medium 2 4Gi
node large 4 8Gi

# delete_pod NAME: a hollow kubelet finishes the graceful deletion; without one it is forced.
delete_pod() {
  if ((HOLLOW)); then
    k delete pod "$1" >/dev/null
  else
    k delete pod "$1" --grace-period=0 --force >/dev/null 2>&1
  fi
}

# Use the server's scheduler if it has one; otherwise run `bosun scheduler` with the admin
# kubeconfig (leader election on, as several may run).
pod probe ""
for _ in $(seq 30); do bound probe && break; sleep 0.1; done
if ! bound probe; then
  "$BOSUN" scheduler --kubeconfig "$KUBECONFIG" --leader-elect >"$E2E_TMP/scheduler.log" 2>&1 &
  PIDS+=($!)
  wait_for 20 bound probe
fi
delete_pod probe

# Requests decide: 3 cpu fits only large, then 1500m only medium; 2 cpu then fits nowhere.
pod big 3
expect_on big "$NODE_LARGE"
pod mid 1500m
expect_on mid "$NODE_MEDIUM"
if ((HOLLOW)); then
  running() { [[ "$(k get pod "$1" -o jsonpath='{.status.phase}')" == Running ]]; }
  wait_for 30 running mid
fi
pod huge 2
expect_pending huge "0/3 nodes are available: 3 Insufficient cpu."
out=$(k describe pod huge)
expect_contains "$out" "default-scheduler" "describe huge: From"
expect_contains "$(k describe pod big)" "Successfully assigned default/big to $NODE_LARGE" \
  "Scheduled event"
expect_contains "$(k get events --field-selector involvedObject.name=huge)" "FailedScheduling" "events"

# Deleting big frees 3 cpu on large.
delete_pod big
expect_on huge "$NODE_LARGE"

# nodeSelector.
pod on-small "" "  nodeSelector: {size: small}"
expect_on on-small "$NODE_SMALL"

# Taints: untolerated NoSchedule keeps a pod off medium; a toleration lets it on.
k taint nodes "$NODE_MEDIUM" dedicated=db:NoSchedule >/dev/null
pod wants-medium "" "  nodeSelector: {size: medium}"
expect_pending wants-medium "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: db}, 2 node(s) didn't match Pod's node affinity/selector."
pod tolerates-medium "" "  nodeSelector: {size: medium}
  tolerations: [{key: dedicated, operator: Equal, value: db, effect: NoSchedule}]"
expect_on tolerates-medium "$NODE_MEDIUM"

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
expect_eq "$nodes" "$NODE_LARGE $NODE_MEDIUM $NODE_SMALL " "replicas' nodes"
replica web-4
expect_pending web-4 "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules."

# kubectl cordon: no new pods on small until uncordon.
k cordon "$NODE_SMALL" >/dev/null
pod wants-small "" "  nodeSelector: {size: small}"
expect_pending wants-small "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: db}, 1 node(s) were unschedulable."
k uncordon "$NODE_SMALL" >/dev/null
expect_on wants-small "$NODE_SMALL"

echo "PASS scheduler_test"
