#!/usr/bin/env bash
# deployment_bench.sh [RUNS]: issue 6's Deployment figures, each measured RUNS times (default 3)
# on a fresh server and reported as the median:
#   real-50     a 50-replica Deployment on the real agent of `bosun server` (runc, busybox image
#               imported): kubectl apply -> readyReplicas 50 (root and runc needed; else skipped);
#               a second line gives the cluster's part alone, from the Deployment's ADDED event to
#               the one with readyReplicas 50 on a watch opened beforehand; a third its floor in
#               the same minutes: bare `runc run --detach` of 50 containers, 8 at a time
#               (build/bench/runc_bench's BM_RuncRun50AtOnceBaseline, after each run), and the ratio
#   hollow-10k  10,000 replicas on 100 hollow nodes: apply -> readyReplicas 10000
#   rolling-1k  a rolling update of 1,000 replicas (maxSurge 25%) on 100 hollow nodes: the
#               template change -> `kubectl rollout status` exits 0
# Times are wall clock from just before `kubectl apply` to the end of one `kubectl wait` (a watch),
# so they include kubectl's own start-up (~0.1 s). BOSUN names the binary (default build/bosun);
# BENCH_ONLY=real-50|hollow-10k|rolling-1k runs one.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BOSUN=${BOSUN:-$ROOT/build/bosun}
RUNS=${1:-3}
ONLY=${BENCH_ONLY:-}
WORK=$(mktemp -d /tmp/bosun-deploy-bench.XXXXXX)
SERVER_PID=""
HOLLOW_PID=""
export HOME="$WORK/home"
mkdir -p "$HOME"

stop_all() {
  for pid in $HOLLOW_PID $SERVER_PID; do
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  HOLLOW_PID=""
  SERVER_PID=""
  # What the real agent leaves running on purpose (re-adoption): containers, mounts, pod cgroups.
  [[ -n "$DATA" ]] && "$ROOT/scripts/agent-cleanup.sh" "$DATA" "$WORK"
}
DATA=""
trap 'stop_all; rm -rf "$WORK"' EXIT

k() { kubectl --request-timeout=60s "$@"; }

# start_server RUN-DIR [flags]: a fresh data dir; KUBECONFIG set.
start_server() {
  DATA="$1/data"
  mkdir -p "$DATA"
  shift
  if [[ -f "$WORK/busybox.tar" ]]; then
    "$BOSUN" image import "$WORK/busybox.tar" --data-dir "$DATA" >/dev/null
  fi
  "$BOSUN" server --data-dir "$DATA" --listen 127.0.0.1:0 "$@" >"$DATA/../server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 200); do
    grep -q "is serving on" "$DATA/../server.log" 2>/dev/null && break
    sleep 0.05
  done
  export KUBECONFIG="$DATA/kubeconfig"
}

hollow_nodes() {
  "$BOSUN" hollow-nodes --kubeconfig "$KUBECONFIG" --count "$1" --workers 16 \
    >"$DATA/../hollow.log" 2>&1 &
  HOLLOW_PID=$!
  local ready
  for _ in $(seq 600); do
    ready=$(k get nodes --no-headers 2>/dev/null | grep -c ' Ready ' || true)
    ((ready >= $1)) && return 0
    sleep 0.1
  done
  echo "hollow nodes did not become ready" >&2
  return 1
}

deployment() { # NAME REPLICAS IMAGE [extra container YAML]
  cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1}
spec:
  replicas: $2
  selector: {matchLabels: {app: $1}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}}
  template:
    metadata: {labels: {app: $1}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: app
        image: $3
        ${4:-}
YAML
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", b - a}'; }
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# apply_and_wait NAME REPLICAS IMAGE [extra]: seconds from apply to readyReplicas == REPLICAS.
apply_and_wait() {
  local t0 t1
  t0=$(now)
  deployment "$@" | k apply -f - >/dev/null
  k wait --for=jsonpath='{.status.readyReplicas}'="$2" "deployment/$1" --timeout=600s >/dev/null
  t1=$(now)
  elapsed "$t0" "$t1"
}

run_real_50() {
  local dir="$WORK/real-$1"
  start_server "$dir" --node-name bench
  local ok=0
  for _ in $(seq 300); do
    [[ "$(k get node bench -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]] && ok=1 && break
    sleep 0.1
  done
  ((ok)) || { echo "the local agent did not become ready" >&2; return 1; }
  # The cluster's part alone: a watch opened beforehand stamps each event of the Deployment (with
  # bash's clock: a `date` per event would be a process each, competing with the pods); from its
  # ADDED event (the object stored) to the one with readyReplicas 50. kubectl's own start-up (and the
  # dispatcher's /version request) before the create, and the wait's after, are left out.
  k get deployments --watch --field-selector metadata.name=real \
    -o jsonpath='{.status.readyReplicas}{"\n"}' 2>/dev/null |
    while IFS= read -r line; do echo "$EPOCHREALTIME ${line:-0}"; done >"$dir/watch" &
  local watcher=$!
  sleep 1
  apply_and_wait real 50 busybox:bench 'command: [sleep, "3600"]'
  sleep 0.2
  kill "$watcher" 2>/dev/null || true
  pkill -f "field-selector metadata.name=real" 2>/dev/null || true
  wait "$watcher" 2>/dev/null || true
  awk 'NR == 1 {t0 = $1} $2 == 50 && !done {printf "%.3f\n", $1 - t0; done = 1}' "$dir/watch" \
    >>"$WORK/cluster-times"
  stop_all
  # The floor, with no cluster left running: bare runc for the same 50 containers.
  if [[ -x "$ROOT/build/bench/runc_bench" ]]; then
    "$ROOT/build/bench/runc_bench" --benchmark_filter='BM_RuncRun50AtOnceBaseline/workers:8' \
      --benchmark_format=json 2>/dev/null |
      python3 -c 'import json, sys; print("%.3f" % (json.load(sys.stdin)["benchmarks"][0]["real_time"] / 1000))' \
        >>"$WORK/floor-times"
  fi
}

run_hollow_10k() {
  start_server "$WORK/h10k-$1" --disable-agent
  hollow_nodes 100
  apply_and_wait big 10000 registry.k8s.io/pause:3.10
  stop_all
}

run_rolling_1k() {
  start_server "$WORK/r1k-$1" --disable-agent
  hollow_nodes 100
  apply_and_wait roll 1000 registry.k8s.io/pause:3.10 >/dev/null
  local t0 t1
  t0=$(now)
  deployment roll 1000 registry.k8s.io/pause:3.9 | k apply -f - >/dev/null
  k rollout status deployment/roll --timeout=600s >/dev/null
  t1=$(now)
  elapsed "$t0" "$t1"
  stop_all
}

bench() { # NAME FUNCTION
  local name=$1 fn=$2 times=() i t
  [[ -z "$ONLY" || "$ONLY" == "$name" ]] || return 0
  for i in $(seq "$RUNS"); do
    # Not in a $(...) subshell: the EXIT trap must see the server it started.
    $fn "$i" >"$WORK/time"
    t=$(cat "$WORK/time")
    times+=("$t")
  done
  printf '%-12s median %6.3f s  runs: %s\n' "$name" "$(printf '%s\n' "${times[@]}" | median)" "${times[*]}"
  if [[ -s "$WORK/cluster-times" ]]; then
    printf '%-12s median %6.3f s  runs: %s  (cluster only: Deployment stored -> readyReplicas seen)\n' \
      "$name" "$(median <"$WORK/cluster-times")" "$(tr '\n' ' ' <"$WORK/cluster-times")"
    rm -f "$WORK/cluster-times"
  fi
  if [[ -s "$WORK/floor-times" ]]; then
    local floor
    floor=$(median <"$WORK/floor-times")
    printf '%-12s median %6.3f s  runs: %s  (floor: bare runc run --detach of 50 containers; apply -> ready is %.2fx)\n' \
      "$name" "$floor" "$(tr '\n' ' ' <"$WORK/floor-times")" \
      "$(awk -v a="$(printf '%s\n' "${times[@]}" | median)" -v b="$floor" 'BEGIN {print a / b}')"
    rm -f "$WORK/floor-times"
  fi
}

if [[ $(id -u) -eq 0 ]] && command -v runc >/dev/null; then
  "$ROOT/scripts/make-test-image.sh" "$WORK/busybox.tar" busybox:bench >/dev/null
  bench real-50 run_real_50
else
  echo "real-50      skipped (needs root and runc)"
fi
bench hollow-10k run_hollow_10k
bench rolling-1k run_rolling_1k
