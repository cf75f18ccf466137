#!/usr/bin/env bash
# agent_rss.sh [RUNS] [PODS]: the memory of an idle node agent (`bosun agent`), measured from outside the
# process. Each run starts a fresh control plane (`bosun server --disable-agent`) and a fresh agent in temporary
# directories, waits until the agent has registered and settled (AGENT_RSS_SETTLE seconds after its Node is
# Ready, default 10), and reads /proc/PID/status (VmRSS, RssAnon, RssFile, Threads) and /proc/PID/smaps_rollup
# (Pss). It prints one line per run and the medians. With PODS > 0 (default 0; needs root, runc and
# busybox-static), a test image is imported and PODS real pods (busybox sleeping) are started on the agent, and
# the same figures are taken again once all are Running. AGENT_RSS_MAPS=1 also prints the largest mappings by
# Rss of the last run. Everything it starts is stopped, and every directory, container and mount removed, on any
# exit. Environment: BOSUN (the agent's binary, default build/bosun), AGENT_RSS_SERVER (the control plane's
# binary, default BOSUN), AGENT_RSS_SERVER_COMMAND (default "server --disable-agent"; "apiserver" runs the API
# server alone, enough for an agent whose pods name their node), KUBECTL (default kubectl).
set -euo pipefail

runs=${1:-3}
pods=${2:-0}
here=$(cd "$(dirname "$0")/.." && pwd)
BOSUN=$(readlink -f "${BOSUN:-$here/build/bosun}")
KUBECTL=${KUBECTL:-kubectl}
SERVER=$(readlink -f "${AGENT_RSS_SERVER:-$BOSUN}")
read -r -a server_command <<<"${AGENT_RSS_SERVER_COMMAND:-server --disable-agent}"
settle=${AGENT_RSS_SETTLE:-10}

tmp=$(mktemp -d /tmp/bosun-agent-rss.XXXXXX)
server_pid=""
agent_pid=""

stop_pid() {
  local pid=$1
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# What a stopped agent leaves on purpose (its containers, for re-adoption): containers, mounts and pod cgroups.
agent_leftovers() {
  "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/scripts/agent-cleanup.sh" "$1"
}

cleanup() {
  set +e
  stop_pid "$agent_pid"
  stop_pid "$server_pid"
  for d in "$tmp"/run*/agent; do [[ -d "$d" ]] && agent_leftovers "$d"; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# kb FIELD PID: a field of /proc/PID/status in kB.
kb() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$2/status"; }
pss() { awk '$1 == "Pss:" {print $2}' "/proc/$1/smaps_rollup"; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# sample PID: "VmRSS RssAnon RssFile Pss Threads" in kB.
sample() { echo "$(kb VmRSS "$1") $(kb RssAnon "$1") $(kb RssFile "$1") $(pss "$1") $(kb Threads "$1")"; }

# How many shared libraries the process maps.
libraries() { awk '$6 ~ /\.so/ {print $6}' "/proc/$1/maps" | sort -u | wc -l; }

# The largest mappings by Rss, grouped by what is mapped.
top_maps() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / {name = (NF >= 6) ? $6 : "[anon]"}
       $1 == "Rss:" {rss[name] += $2}
       END {for (n in rss) if (rss[n] > 0) printf "%8d kB  %s\n", rss[n], n}' "/proc/$1/smaps" |
    sort -rn | head -25
}

wait_for() {
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { echo "agent_rss: timed out waiting for $what" >&2; exit 1; }
    sleep 0.2
  done
}

node_ready() {
  [[ "$("$KUBECTL" get node n1 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}

pods_running() {
  local n
  n=$("$KUBECTL" get pods -o jsonpath='{range .items[*]}{.status.phase}{"\n"}{end}' | grep -c '^Running$')
  [[ "$n" -eq "$pods" ]]
}

if ((pods > 0)); then
  for need in runc /bin/busybox; do
    command -v "$need" >/dev/null || { echo "agent_rss: $need missing: measuring idle only" >&2; pods=0; }
  done
  [[ $(id -u) -eq 0 ]] || { echo "agent_rss: not root: measuring idle only" >&2; pods=0; }
  if ((pods > 0)); then "$here/scripts/make-test-image.sh" "$tmp/busybox.tar" >/dev/null; fi
fi

idle_lines=()
busy_lines=()
for run in $(seq "$runs"); do
  dir="$tmp/run$run"
  mkdir -p "$dir/server" "$dir/agent" "$dir/home"
  export HOME="$dir/home" KUBECONFIG="$dir/server/kubeconfig"
  "$SERVER" "${server_command[@]}" --data-dir "$dir/server" --listen 127.0.0.1:0 \
    >"$dir/server.out" 2>"$dir/server.log" &
  server_pid=$!
  wait_for 30 "the server" grep -q "is serving on" "$dir/server.out"
  url=$(sed -n 's/.*is serving on \(https:[^ ]*\).*/\1/p' "$dir/server.out" | head -1)
  wait_for 30 "the node token" test -s "$dir/server/node-token"
  if ((pods > 0)); then "$BOSUN" image import "$tmp/busybox.tar" --data-dir "$dir/agent" >/dev/null; fi
  # The binary and its libraries in the page cache, as on a node that has run them before: the kernel maps
  # cached pages around each touched one (fault-around), so a cold cache would measure less.
  # `bosun agent` runs as bosun-agent when that sits beside it (src/cmd/agent_program.cc).
  for program in "$BOSUN" "$(dirname "$BOSUN")/bosun-agent"; do
    [[ -x "$program" ]] && cat "$program" $(ldd "$program" | awk '/=>/ {print $3}') >/dev/null
  done
  "$BOSUN" agent --server "$url" --token-file "$dir/server/node-token" \
    --certificate-authority "$dir/server/tls/ca.crt" --node-name n1 --data-dir "$dir/agent" \
    --kubelet-port 0 >"$dir/agent.out" 2>"$dir/agent.log" &
  agent_pid=$!
  wait_for 60 "node n1 Ready" node_ready
  sleep "$settle"
  kill -0 "$agent_pid" || { echo "agent_rss: the agent exited" >&2; cat "$dir/agent.log" >&2; exit 1; }
  line=$(sample "$agent_pid")
  idle_lines+=("$line")
  read -r rss anon file p threads <<<"$line"
  printf 'run %d idle:    VmRSS %5s MB  RssAnon %5s MB  RssFile %5s MB  Pss %5s MB  threads %s  libraries %s  %s%s\n' \
    "$run" "$(mb "$rss")" "$(mb "$anon")" "$(mb "$file")" "$(mb "$p")" "$threads" "$(libraries "$agent_pid")" \
    "$(basename "$(readlink "/proc/$agent_pid/exe")")" \
    "$(grep -qE 'libcurl|libarchive' "/proc/$agent_pid/maps" && echo ' (libcurl or libarchive mapped)')"
  if ((pods > 0)); then
    for i in $(seq "$pods"); do
      cat <<EOF
---
apiVersion: v1
kind: Pod
metadata: {name: sleeper-$i, namespace: default}
spec:
  nodeName: n1
  terminationGracePeriodSeconds: 1
  containers:
  - {name: c, image: busybox:latest, imagePullPolicy: IfNotPresent, command: [sleep, "3600"]}
EOF
    done >"$dir/pods.yaml"
    "$KUBECTL" apply -f "$dir/pods.yaml" >/dev/null
    wait_for 300 "$pods pods Running" pods_running
    sleep "$settle"
    line=$(sample "$agent_pid")
    busy_lines+=("$line")
    read -r rss anon file p threads <<<"$line"
    printf 'run %d %d pods: VmRSS %5s MB  RssAnon %5s MB  RssFile %5s MB  Pss %5s MB  threads %s\n' "$run" \
      "$pods" "$(mb "$rss")" "$(mb "$anon")" "$(mb "$file")" "$(mb "$p")" "$threads"
    "$KUBECTL" delete pods --all --wait=true --timeout=120s >/dev/null 2>&1 || true
  fi
  if [[ ${AGENT_RSS_MAPS:-0} == 1 && $run -eq $runs ]]; then top_maps "$agent_pid"; fi
  stop_pid "$agent_pid"
  agent_pid=""
  stop_pid "$server_pid"
  server_pid=""
  agent_leftovers "$dir/agent"
done

# median COLUMN LINES...: the median of one column (1-based) in kB, as MB.
median() {
  local col=$1
  shift
  printf '%s\n' "$@" | awk -v c="$col" '{print $c}' | sort -n |
    awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m / 1024}'
}
report() {
  local what=$1
  shift
  printf 'median of %d, %s: VmRSS %s MB  RssAnon %s MB  RssFile %s MB  Pss %s MB  threads %s\n' "$#" "$what" \
    "$(median 1 "$@")" "$(median 2 "$@")" "$(median 3 "$@")" "$(median 4 "$@")" \
    "$(printf '%s\n' "$@" | awk '{print $5}' | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}')"
}
report idle "${idle_lines[@]}"
if ((${#busy_lines[@]} > 0)); then report "$pods pods" "${busy_lines[@]}"; fi
