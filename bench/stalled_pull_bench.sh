#!/usr/bin/env bash
# stalled_pull_bench.sh [RUNS] [STALLED]: how long a pod of a present image takes to start while
# STALLED pods (default 6, more than the agent's 4 pod workers) pull from a registry that accepts
# connections and never answers (a listener on 127.0.0.1:5999; such a pull fails after the
# registry client's 60 s stall timeout). On a fresh `bosun server` each run: the stalled pods are
# created, then 1 s later `kubectl run newcomer` (busybox imported, IfNotPresent); the figure is
# from just before that command to the end of `kubectl wait --for=condition=Ready` (both kubectl
# start-ups included). Prints each run and the median. BOSUN names the binary (default
# build/bosun). Root and runc needed.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BOSUN=${BOSUN:-$ROOT/build/bosun}
RUNS=${1:-3}
STALLED=${2:-6}
PORT=5999
WORK=$(mktemp -d /tmp/bosun-stall-bench.XXXXXX)
export HOME="$WORK/home"
mkdir -p "$HOME"
SERVER_PID=""
STALL_PID=""
DATA=""

stop_all() {
  for pid in $SERVER_PID $STALL_PID; do
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  SERVER_PID=""
  STALL_PID=""
  [[ -n "$DATA" ]] && "$ROOT/scripts/agent-cleanup.sh" "$DATA" "$WORK"
  DATA=""
}
trap 'stop_all; rm -rf "$WORK"' EXIT

"$ROOT/scripts/make-test-image.sh" "$WORK/image" busybox:bench >/dev/null

one_run() {
  DATA="$WORK/data-$1"
  "$BOSUN" image import "$WORK/image" --data-dir "$DATA" >/dev/null
  # The registry that never answers: it accepts and keeps every connection.
  python3 -c '
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(64)
held = []
while True:
    held.append(s.accept()[0])
' "$PORT" &
  STALL_PID=$!
  "$BOSUN" server --data-dir "$DATA" --listen 127.0.0.1:0 --node-name stall \
    --insecure-registry "127.0.0.1:$PORT" >"$WORK/server-$1.log" 2>&1 &
  SERVER_PID=$!
  export KUBECONFIG="$DATA/kubeconfig"
  for _ in $(seq 300); do
    kubectl get nodes 2>/dev/null | grep -q ' Ready' && break
    sleep 0.1
  done
  for i in $(seq "$STALLED"); do
    kubectl run "stalled-$i" --image="127.0.0.1:$PORT/stall:1" --image-pull-policy=Always >/dev/null
  done
  sleep 1  # the pulls have begun
  local t0 t1
  t0=$(date +%s.%N)
  kubectl run newcomer --image=busybox:bench --image-pull-policy=IfNotPresent \
    --command -- sleep 3600 >/dev/null
  kubectl wait --for=condition=Ready pod/newcomer --timeout=300s >/dev/null
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
  stop_all
}

results=()
for r in $(seq "$RUNS"); do
  t=$(one_run "$r")
  printf 'run %d: newcomer Ready %.3f s with %d stalled pulls\n' "$r" "$t" "$STALLED"
  results+=("$t")
done
median=$(printf '%s\n' "${results[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
printf 'median: %.3f s (%s runs, %d stalled pulls, %s)\n' "$median" "$RUNS" "$STALLED" "$BOSUN"
