#!/usr/bin/env bash
# server_rss.sh [RUNS]: the memory of an idle `bosun server` with an empty store, measured from
# outside the process. Each run starts a fresh server in a temporary directory, twice: with its
# local agent (the default; needs root and runc, else that mode is skipped) and with
# --disable-agent. It waits until the server serves (and, with the agent, until its Node is Ready),
# then SERVER_RSS_SETTLE seconds (default 10), and reads /proc/PID/status (VmRSS, RssAnon, RssFile,
# Threads) and /proc/PID/smaps_rollup (Pss). It prints one line per run and the medians per mode.
# SERVER_RSS_MAPS=1 also prints the largest mappings by Rss of each mode's last run. Everything it
# starts is stopped and every directory, container and mount removed, on any exit. Environment:
# BOSUN (default build/bosun), KUBECTL (default kubectl), SERVER_RSS_MODES (default "agent
# no-agent").
set -euo pipefail

runs=${1:-3}
here=$(cd "$(dirname "$0")/.." && pwd)
BOSUN=$(readlink -f "${BOSUN:-$here/build/bosun}")
KUBECTL=${KUBECTL:-kubectl}
settle=${SERVER_RSS_SETTLE:-10}
read -r -a modes <<<"${SERVER_RSS_MODES:-agent no-agent}"

tmp=$(mktemp -d /tmp/bosun-server-rss.XXXXXX)
server_pid=""

stop_pid() {
  local pid=$1
  [[ -n "$pid" ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# What the local agent leaves on purpose (nothing with an empty store, but a crash might).
leftovers() {
  "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/scripts/agent-cleanup.sh" "$1"
}

cleanup() {
  set +e
  stop_pid "$server_pid"
  for d in "$tmp"/*/data; do [[ -d "$d" ]] && leftovers "$d"; done
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

kb() { awk -v f="$1:" '$1 == f {print $2}' "/proc/$2/status"; }
pss() { awk '$1 == "Pss:" {print $2}' "/proc/$1/smaps_rollup"; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
sample() { echo "$(kb VmRSS "$1") $(kb RssAnon "$1") $(kb RssFile "$1") $(pss "$1") $(kb Threads "$1")"; }
top_maps() {
  awk '/^[0-9a-f]+-[0-9a-f]+ / {name = (NF >= 6) ? $6 : "[anon]"}
       $1 == "Rss:" {rss[name] += $2}
       END {for (n in rss) if (rss[n] > 0) printf "%8d kB  %s\n", rss[n], n}' "/proc/$1/smaps" |
    sort -rn | head -20
}
wait_for() {
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { echo "server_rss: timed out waiting for $what" >&2; exit 1; }
    sleep 0.2
  done
}
node_ready() {
  [[ "$("$KUBECTL" get node rss-node -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}
median() {
  local col=$1
  shift
  printf '%s\n' "$@" | awk -v c="$col" '{print $c}' | sort -n |
    awk '{v[NR] = $1} END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f", m / 1024}'
}

# The binaries in the page cache, as on a machine that has run them before (fault-around maps the
# cached 64 KB around each touched page, so a cold cache would measure less).
cat "$BOSUN" $(ldd "$BOSUN" | awk '/=>/ {print $3}') >/dev/null

for mode in "${modes[@]}"; do
  flags=()
  if [[ $mode == agent ]]; then
    if [[ $(id -u) -ne 0 ]] || ! command -v runc >/dev/null; then
      echo "server_rss: the local agent needs root and runc: skipping mode agent" >&2
      continue
    fi
    flags=(--node-name rss-node)
  else
    flags=(--disable-agent)
  fi
  lines=()
  for run in $(seq "$runs"); do
    dir="$tmp/$mode-$run"
    mkdir -p "$dir/data" "$dir/home"
    export HOME="$dir/home" KUBECONFIG="$dir/data/kubeconfig"
    "$BOSUN" server --data-dir "$dir/data" --listen 127.0.0.1:0 "${flags[@]}" \
      >"$dir/server.out" 2>"$dir/server.log" &
    server_pid=$!
    wait_for 30 "the server" grep -q "is serving on" "$dir/server.out"
    if [[ $mode == agent ]]; then wait_for 60 "node Ready" node_ready; fi
    sleep "$settle"
    kill -0 "$server_pid" || { echo "server_rss: the server exited" >&2; cat "$dir/server.log" >&2; exit 1; }
    line=$(sample "$server_pid")
    lines+=("$line")
    read -r rss anon file p threads <<<"$line"
    printf '%-8s run %d: VmRSS %5s MB  RssAnon %5s MB  RssFile %5s MB  Pss %5s MB  threads %s\n' "$mode" \
      "$run" "$(mb "$rss")" "$(mb "$anon")" "$(mb "$file")" "$(mb "$p")" "$threads"
    if [[ ${SERVER_RSS_MAPS:-0} == 1 && $run -eq $runs ]]; then top_maps "$server_pid"; fi
    stop_pid "$server_pid"
    server_pid=""
    leftovers "$dir/data"
  done
  printf 'median of %d, %s: VmRSS %s MB  RssAnon %s MB  RssFile %s MB  Pss %s MB\n' "${#lines[@]}" "$mode" \
    "$(median 1 "${lines[@]}")" "$(median 2 "${lines[@]}")" "$(median 3 "${lines[@]}")" \
    "$(median 4 "${lines[@]}")"
done
