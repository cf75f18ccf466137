#!/usr/bin/env bash
# scheduler_perf.sh [NODES] [PODS] [RUNS]: issue 5's SchedulingBasic with the control plane split into its
# processes, as a cluster runs it: `bosun apiserver` (durable SQLite store), `bosun scheduler` (no client-side
# rate limit, as scheduler_perf configures it), `bosun hollow-nodes` (NODES nodes, default 5000, running the real
# agent code on a fake runtime: they also write each bound pod's Running status), then
# build/bench/scheduler_perf_bench's BM_SchedulingBasicExternal creating PODS pods (default 10000) from 16
# threads and timing their bindings through a pod informer. Every run gets a fresh cluster; after each run the
# RSS of each process is printed. BOSUN names the binary (default build/bosun).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BOSUN=${BOSUN:-$ROOT/build/bosun}
BENCH=${BENCH:-$ROOT/build/bench/scheduler_perf_bench}
NODES=${1:-5000}
PODS=${2:-10000}
RUNS=${3:-1}
WORK=$(mktemp -d /tmp/bosun-scheduler-perf.XXXXXX)
PIDS=()

stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=()
}
trap 'stop_all; rm -rf "$WORK"' EXIT

rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status" 2>/dev/null || echo "?"; }

for run in $(seq "$RUNS"); do
  dir="$WORK/run$run"
  mkdir -p "$dir/data"
  "$BOSUN" apiserver --data-dir "$dir/data" --listen 127.0.0.1:0 >"$dir/apiserver.log" 2>&1 &
  server=$!
  PIDS+=("$server")
  for _ in $(seq 200); do
    grep -q "is serving on" "$dir/apiserver.log" 2>/dev/null && break
    sleep 0.05
  done
  export KUBECONFIG="$dir/data/kubeconfig"
  "$BOSUN" scheduler --kubeconfig "$KUBECONFIG" --kube-api-qps 100000 --kube-api-burst 100000 \
    >"$dir/scheduler.log" 2>&1 &
  scheduler=$!
  PIDS+=("$scheduler")
  "$BOSUN" hollow-nodes --kubeconfig "$KUBECONFIG" --count "$NODES" --workers 16 >"$dir/hollow.log" 2>&1 &
  hollow=$!
  PIDS+=("$hollow")
  ready=0
  for _ in $(seq 1200); do
    ready=$(kubectl get nodes --no-headers 2>/dev/null | grep -c ' Ready ' || true)
    ((ready >= NODES)) && break
    sleep 0.25
  done
  if ((ready < NODES)); then
    echo "only $ready of $NODES hollow nodes became Ready" >&2
    exit 1
  fi
  idle="apiserver $(rss_mib "$server") MiB, scheduler $(rss_mib "$scheduler") MiB, hollow-nodes $(rss_mib "$hollow") MiB"
  SCHEDULER_PERF_KUBECONFIG="$KUBECONFIG" SCHEDULER_PERF_PODS="$PODS" "$BENCH" \
    --benchmark_filter=BM_SchedulingBasicExternal --benchmark_counters_tabular=true 2>&1 |
    grep -E "BM_|pods_per_s"
  echo "run $run: $NODES nodes, $PODS pods; RSS before the pods: $idle;" \
    "after: apiserver $(rss_mib "$server") MiB, scheduler $(rss_mib "$scheduler") MiB," \
    "hollow-nodes $(rss_mib "$hollow") MiB"
  stop_all
done
