#!/usr/bin/env bash
# Container log rotation on a real agent (`bosun agent` beside a `bosun server --disable-agent`,
# with --container-log-max-size 4Ki --container-log-max-files 3): the agent renames a running
# container's CRI log to 0.log.<YYYYMMDD-HHMMSS> when it is over the size (checked every 10 s, the
# kubelet's containerLogMonitorInterval), gzips older rotations and keeps at most 3 files; `kubectl
# logs` then shows only the live file, as the kubelet does, and `kubectl logs -f` started before
# the rotations goes on across them without losing or repeating a line.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
name=$(basename "$0" .sh)
if [[ $(id -u) -ne 0 ]]; then echo "SKIP: $name needs root (runc, mounts, cgroups)"; exit 0; fi
if ! command -v runc >/dev/null; then echo "SKIP: $name needs runc"; exit 0; fi
if ! "$BOSUN" agent --help 2>/dev/null | grep -- --container-log-max-size >/dev/null; then
  echo "SKIP: this bosun's agent has no --container-log-max-size"
  exit 0
fi
E2E_AGENT=1
IMAGE=busybox:e2e
NODE=e2e-logrot
"$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/make-test-image.sh" "$E2E_TMP/busybox.tar" \
  "$IMAGE" >/dev/null
mkdir -p "$E2E_TMP/data"
"$BOSUN" image import "$E2E_TMP/busybox.tar" --data-dir "$E2E_TMP/data" >/dev/null
start_server --disable-agent

AGENT_PID=""
FOLLOW_PID=""
stop_agent() {
  [[ -n "$FOLLOW_PID" ]] && kill "$FOLLOW_PID" 2>/dev/null || true
  if [[ -n "$AGENT_PID" ]] && kill -0 "$AGENT_PID" 2>/dev/null; then
    kill -TERM "$AGENT_PID" 2>/dev/null || true
    wait "$AGENT_PID" 2>/dev/null || true
  fi
  AGENT_PID=""
}
trap 'rc=$?; set +e; stop_agent; if ((rc)); then tail -n 40 "$E2E_TMP/agent.log" >&2 || true; ls -la "${logdir:-/nonexistent}" >&2 2>/dev/null || true; for f in follow.out follow.err; do [[ -f "$E2E_TMP/$f" ]] && { echo "--- $f: $(wc -l <"$E2E_TMP/$f") lines, the first and last:"; sed -n "1p;\$p" "$E2E_TMP/$f" | cut -c1-60; } >&2; done; fi; (exit $rc); e2e_cleanup' EXIT
"$BOSUN" agent --kubeconfig "$E2E_TMP/data/kubeconfig" --data-dir "$E2E_TMP/data" \
  --node-name "$NODE" --kubelet-port 0 --container-log-max-size 4Ki --container-log-max-files 3 \
  >"$E2E_TMP/agent.log" 2>&1 &
AGENT_PID=$!
wait_for 30 node_ready

# About 6 KiB a second of numbered lines.
k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: chatty}
spec:
  nodeName: $NODE
  containers:
  - name: c
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'i=0; pad=\$(printf "%0100d" 0); while :; do i=\$((i+1)); echo "n \$i \$pad"; sleep 0.02; done']
YAML
running() { [[ -n "$(k get pod chatty -o jsonpath='{.status.containerStatuses[0].state.running.startedAt}')" ]]; }
wait_for 60 running
uid=$(k get pod chatty -o jsonpath='{.metadata.uid}')
logdir="$E2E_TMP/data/pods/default_chatty_$uid/c"
[[ -f "$logdir/0.log" ]] || fail "no log at $logdir/0.log: $(ls -R "$E2E_TMP/data/pods" 2>&1)"

# Not k: its --request-timeout would end the follow after 20 s.
"$KUBECTL" logs -f chatty >"$E2E_TMP/follow.out" 2>"$E2E_TMP/follow.err" &
FOLLOW_PID=$!
# It reads the live file from its start: from line 1 unless a loaded machine started kubectl only
# after the first rotation (the checks below count from the first line it saw).
wait_for 20 grep -q "^n [0-9]" "$E2E_TMP/follow.out"

# Two rotations (about 20 s): the first rotated file is gzipped by the second.
gz_present() { compgen -G "$logdir/0.log.*.gz" >/dev/null; }
wait_for 45 gz_present
rotated=$(cd "$logdir" && ls 0.log.* | grep -v '\.tmp$')
for f in $rotated; do
  [[ "$f" =~ ^0\.log\.[0-9]{8}-[0-9]{6}(\.gz)?$ ]] || fail "rotated file named $f"
done
(($(wc -l <<<"$rotated") <= 2)) || fail "more than max-files 3 (live included): $rotated"
gzs=("$logdir"/0.log.*.gz)
# sed reads all its input: with pipefail, head would SIGPIPE zcat.
first=$(zcat "${gzs[0]}" | sed -n 1p)
[[ "$first" =~ ^20[0-9-]+T[0-9:.]+Z\ stdout\ F\ n\ [0-9]+\  ]] || fail "gzipped CRI line: [$first]"

# kubectl logs reads the live file only, as the kubelet does: it starts after line 1, and its lines
# are consecutive.
out=$(k logs chatty | awk '{print $2}')
start=$(sed -n 1p <<<"$out")
end=$(sed -n '$p' <<<"$out")
((start > 1)) || fail "kubectl logs after a rotation starts at line $start"
expect_eq "$(wc -l <<<"$out")" "$((end - start + 1))" "consecutive lines in kubectl logs"

# The follower saw every line once, in order, across both rotations.
followed_past() { (($(sed -n '$p' "$E2E_TMP/follow.out" | awk '{print $2}') > end)); }
wait_for 10 followed_past
kill "$FOLLOW_PID" 2>/dev/null || true
wait "$FOLLOW_PID" 2>/dev/null || true
FOLLOW_PID=""
nums=$(awk '{print $2}' "$E2E_TMP/follow.out" | sed '$d')  # the last line may be cut
from=$(sed -n 1p <<<"$nums")
last=$(sed -n '$p' <<<"$nums")
((last > end)) || fail "logs -f stopped at line $last"
expect_eq "$(wc -l <<<"$nums")" "$((last - from + 1))" \
  "logs -f lines across the rotations ($from..$last, none lost or repeated)"
expect_eq "$(sort -n <<<"$nums" | uniq | wc -l)" "$((last - from + 1))" "logs -f distinct lines"

k delete pod chatty --wait=false >/dev/null
gone() { ! k get pod chatty >/dev/null 2>&1; }
wait_for 60 gone
[[ ! -d "$logdir" ]] || fail "log directory left after the pod: $(ls "$logdir")"
echo "PASS: $name"
