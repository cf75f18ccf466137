#!/usr/bin/env bash
# pod_start_timeline.sh [RUNS]: where the time and the CPU of a 50-replica Deployment's start go on
# the real agent of `bosun server` (root and runc needed), RUNS times (default 3) on a fresh server,
# medians printed. Per run:
#   wall   kubectl apply -> readyReplicas 50 (as bench/deployment_bench.sh real-50), and from a pod
#          watch opened before the apply: when the pods were created, bound, Running (p50 and last)
#   cpu    CPU time, which a loaded machine inflates far less than wall time: the server process
#          alone (API server, controllers, scheduler, agent), the server with every process it
#          started (a cpuacct cgroup: container monitors, runc), and the pods' cgroups (`runc init`
#          until it executes the container's process; a sleeping busybox adds nothing)
# BOSUN names the binary (default build/bosun; its bosun-runc-monitor is looked for beside it).
# SERIAL=N measures issue 4's one-pod-at-a-time start-up instead: N single pods (default 50) created one after the
# other on a fresh server, each once the previous one runs; per pod the time from the watch's ADDED event to the
# event showing it Running (the same watch sees both, so kubectl's own start-up is not counted); p50/p99/max, then in
# the same run build/bench/runc_bench's bare `runc run` of a busybox image and RuncRuntime's pod start as baselines.
# With BOSUN_TRACE_POD_START=1 (the agent's per-pod step trace, src/agent/pod_start_trace.h) SERIAL also prints the
# median of each step inside the agent, from the informer's delivery to the status PATCH's return.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BOSUN=${BOSUN:-$ROOT/build/bosun}
RUNS=${1:-3}
REPLICAS=50
if [[ $(id -u) -ne 0 ]] || ! command -v runc >/dev/null; then
  echo "pod_start_timeline: skipped (needs root and runc)"
  exit 0
fi
WORK=$(mktemp -d /tmp/bosun-pod-start.XXXXXX)
export HOME="$WORK/home"
mkdir -p "$HOME"
SERVER_PID=""
CG=""
DATA=""

stop_all() {
  if [[ -n "$SERVER_PID" ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
  # Containers left running, mounts and the pods' cgroups.
  [[ -n "$DATA" ]] && "$ROOT/scripts/agent-cleanup.sh" "$DATA" "$WORK"
  if [[ -n "$CG" ]]; then
    for _ in $(seq 50); do rmdir "$CG" 2>/dev/null && break; sleep 0.1; done
    CG=""
  fi
}
trap 'stop_all; rm -rf "$WORK"' EXIT

"$ROOT/scripts/make-test-image.sh" "$WORK/busybox.tar" busybox:bench >/dev/null

# watch_pods OUT: records, per pod, when the watch first saw it created, bound and Running.
watch_pods() {
  python3 -u - "$1" "$REPLICAS" <<'PY'
import json, signal, subprocess, sys, time
out, want = sys.argv[1], int(sys.argv[2])
proc = subprocess.Popen(["kubectl", "get", "--raw", "/api/v1/namespaces/default/pods?watch=true"],
                        stdout=subprocess.PIPE, text=True)
pods = {}
def finish(*_):
    proc.kill()
    with open(out, "w") as f:
        json.dump(pods, f)
    sys.exit(0)
# The script sends SIGTERM once the Deployment is ready and this has not seen every pod Running.
signal.signal(signal.SIGTERM, finish)
for line in proc.stdout:
    now = time.time()
    try:
        obj = json.loads(line).get("object", {})
    except ValueError:
        continue
    name = obj.get("metadata", {}).get("name")
    if not name:
        continue
    p = pods.setdefault(name, {"added": now})
    if obj.get("spec", {}).get("nodeName"):
        p.setdefault("bound", now)
    if obj.get("status", {}).get("phase") == "Running":
        p.setdefault("running", now)
    if len(pods) >= want and all("running" in q for q in pods.values()):
        break
finish()
PY
}

# summary T0 FILE KEY: "p50/last" seconds after T0 of one event over the pods.
summary() {
  python3 - "$@" <<'PY'
import json, sys
t0, path, key = float(sys.argv[1]), sys.argv[2], sys.argv[3]
v = sorted(p[key] - t0 for p in json.load(open(path)).values() if key in p)
print("%.3f/%.3f" % (v[len(v) // 2], v[-1]) if v else "-")
PY
}

# start_bench_server DIR [CGROUP]: a fresh `bosun server` (its agent the node "bench") on DIR/data with the test
# image imported, in the cpuacct cgroup CGROUP if given; returns once the node is Ready, KUBECONFIG set.
start_bench_server() {
  local dir=$1
  DATA="$dir/data"
  mkdir -p "$DATA"
  "$BOSUN" image import "$WORK/busybox.tar" --data-dir "$DATA" >/dev/null
  "$BOSUN" server --data-dir "$DATA" --listen 127.0.0.1:0 --node-name bench >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  if [[ -n "${2:-}" ]]; then
    mkdir -p "$2"
    echo "$SERVER_PID" >"$2/cgroup.procs"
  fi
  for _ in $(seq 200); do
    grep -q "is serving on" "$dir/server.log" 2>/dev/null && break
    sleep 0.05
  done
  export KUBECONFIG="$DATA/kubeconfig"
  local ok=0
  for _ in $(seq 300); do
    [[ "$(kubectl get node bench -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]] && ok=1 && break
    sleep 0.1
  done
  ((ok)) || { echo "the local agent did not become ready" >&2; return 1; }
}

one_run() {
  local dir="$WORK/run-$1"
  CG=/sys/fs/cgroup/cpuacct/bosun-pod-start-$$-$1
  start_bench_server "$dir" "$CG"
  watch_pods "$dir/pods.json" &
  local watcher=$!
  sleep 0.5
  local cg0 srv0 t0 t1 cg1 srv1 pod_ns=0 uid u
  cg0=$(cat "$CG/cpuacct.usage")
  srv0=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
  t0=$(date +%s.%N)
  cat <<YAML | kubectl apply -f - >/dev/null
apiVersion: apps/v1
kind: Deployment
metadata: {name: real}
spec:
  replicas: $REPLICAS
  selector: {matchLabels: {app: real}}
  template:
    metadata: {labels: {app: real}}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - {name: app, image: busybox:bench, command: [sleep, "3600"]}
YAML
  kubectl wait --for=jsonpath='{.status.readyReplicas}'="$REPLICAS" deployment/real --timeout=600s >/dev/null
  t1=$(date +%s.%N)
  cg1=$(cat "$CG/cpuacct.usage")
  srv1=$(awk '{print $14 + $15}' "/proc/$SERVER_PID/stat")
  for uid in $(kubectl get pods -o jsonpath='{.items[*].metadata.uid}'); do
    u=$(cat "/sys/fs/cgroup/cpuacct/bosun/pod$uid/cpuacct.usage" 2>/dev/null || echo 0)
    pod_ns=$((pod_ns + u))
  done
  for _ in $(seq 100); do [[ -f "$dir/pods.json" ]] && break; sleep 0.1; done
  pkill -TERM -P "$watcher" 2>/dev/null || true
  kill -TERM "$watcher" 2>/dev/null || true
  wait "$watcher" || true
  local tick
  tick=$(getconf CLK_TCK)
  echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')" \
    "$(((srv1 - srv0) * 1000 / tick))" "$(((cg1 - cg0) / 1000000))" "$((pod_ns / 1000000))" \
    "$(summary "$t0" "$dir/pods.json" added)" "$(summary "$t0" "$dir/pods.json" bound)" \
    "$(summary "$t0" "$dir/pods.json" running)"
  stop_all
}

# serial_run N: N pods one at a time; prints the per-pod latencies' p50, p99 and max in ms.
serial_run() {
  start_bench_server "$WORK/serial"
  python3 -u - "$1" <<'PY'
import json, subprocess, sys, threading, time
count = int(sys.argv[1])
watch = subprocess.Popen(["kubectl", "get", "--raw", "/api/v1/namespaces/default/pods?watch=true"],
                         stdout=subprocess.PIPE, text=True)
added, bound, running, cond = {}, {}, {}, threading.Condition()
def read():
    for line in watch.stdout:
        now = time.monotonic()
        try:
            obj = json.loads(line).get("object", {})
        except ValueError:
            continue
        name = obj.get("metadata", {}).get("name")
        with cond:
            added.setdefault(name, now)
            if obj.get("spec", {}).get("nodeName"):
                bound.setdefault(name, now)
            if obj.get("status", {}).get("phase") == "Running" and name not in running:
                running[name] = now
                cond.notify_all()
threading.Thread(target=read, daemon=True).start()
time.sleep(0.5)
for i in range(count):
    name = "serial-%d" % i
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
           "spec": {"terminationGracePeriodSeconds": 0,
                    "containers": [{"name": "app", "image": "busybox:bench", "command": ["sleep", "3600"]}]}}
    subprocess.run(["kubectl", "create", "-f", "-"], input=json.dumps(pod), text=True, check=True,
                   stdout=subprocess.DEVNULL)
    with cond:
        if not cond.wait_for(lambda: name in running, timeout=60):
            sys.exit("pod %s did not run" % name)
watch.kill()
v = sorted((running[n] - added[n]) * 1000 for n in running)
pick = lambda q: v[min(len(v) - 1, int(q * (len(v) - 1) + 0.5))]
print("%d pods one at a time, ADDED -> Running seen by one watch: p50 %.1f ms, p99 %.1f ms, max %.1f ms"
      % (len(v), pick(0.5), pick(0.99), v[-1]))
b = sorted((bound[n] - added[n]) * 1000 for n in running if n in bound)
if b:
    print("  of which ADDED -> bound: p50 %.1f ms, p99 %.1f ms" % (b[len(b) // 2], b[min(len(b) - 1, int(0.99 * (len(b) - 1) + 0.5))]))
PY
  stop_all
  if [[ "${BOSUN_TRACE_POD_START:-}" == 1 ]]; then
    python3 - "$WORK/serial/server.log" <<'PY'
import re, statistics, sys
steps = {}
for line in open(sys.argv[1]):
    m = re.search(r"pod start trace \S+ began=\S+ (total=.*)", line)
    if m:
        for k, v in re.findall(r"(\S+)=(\S+)", m.group(1)):
            steps.setdefault(k, []).append(float(v))
print("  agent steps (ms since the previous step, median of %d pods):" % len(steps.get("total", [])))
print("   " + ", ".join("%s %.2f" % (k, statistics.median(v)) for k, v in steps.items()))
PY
  fi
}

if [[ -n "${SERIAL:-}" ]]; then
  serial_run "$SERIAL"
  "$ROOT/build/bench/runc_bench" --benchmark_filter='BM_RuncRunImageBaseline|BM_RuncRuntimePodStart/' \
    --benchmark_repetitions=5 --benchmark_report_aggregates_only=true 2>/dev/null | grep -E '_median'
  exit 0
fi

median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

printf '%-4s %8s %12s %16s %10s %14s %14s %14s\n' run "wall s" "server ms" "+monitors/runc" "pods ms" \
  "created p50/last" "bound" "Running"
rows=()
for i in $(seq "$RUNS"); do
  row=$(one_run "$i")
  rows+=("$row")
  read -r wall srv all pods added bound running <<<"$row"
  printf '%-4s %8s %12s %16s %10s %14s %14s %14s\n' "$i" "$wall" "$srv" "$all" "$pods" "$added" "$bound" "$running"
done
col() { printf '%s\n' "${rows[@]}" | awk -v c="$1" '{print $c}' | median; }
printf 'median: wall %s s; CPU: server %s ms, server + monitors + runc %s ms, pods (runc init) %s ms (%d replicas)\n' \
  "$(col 1)" "$(col 2)" "$(col 3)" "$(col 4)" "$REPLICAS"
