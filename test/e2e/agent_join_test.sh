#!/usr/bin/env bash
# `bosun agent` joining a control-plane-only `bosun server` with a bearer token, as on a real
# node: the command runs as the small bosun-agent program beside bosun (same arguments, `bosun
# agent` still in ps), registers its Node, runs a pod the scheduler places on it (logs and exec
# through its kubelet port, the container monitor found beside it) and stops on SIGTERM leaving the
# container running. Restarted inside bosun itself (BOSUN_AGENT_IN_PROCESS=1, what happens when
# bosun-agent is not installed), it re-adopts that container (same containerID, no restart); a
# bad flag is refused with bosun's message either way.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [[ $(id -u) -ne 0 ]] || ! command -v runc >/dev/null; then
  echo "SKIP: $(basename "$0" .sh) needs root and runc"
  exit 0
fi
AGENT_PROGRAM="$(dirname "$(readlink -f "$BOSUN")")/bosun-agent"
[[ -x "$AGENT_PROGRAM" ]] || fail "no bosun-agent beside $BOSUN (the build makes it with bosun)"

AGENT_PID=""
stop_agent() {
  [[ -n "$AGENT_PID" ]] || return 0
  kill -TERM "$AGENT_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$AGENT_PID" 2>/dev/null && { kill -KILL "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null; return 1; }
  wait "$AGENT_PID"
}
join_cleanup() {
  local rc=$?
  # errexit would end the handler at `(exit $rc)` below, before e2e_cleanup stops the server.
  set +e
  if [[ -n "$AGENT_PID" ]] && kill -0 "$AGENT_PID" 2>/dev/null; then
    kill -KILL "$AGENT_PID" 2>/dev/null || true
  fi
  if ((rc != 0)); then
    echo "---- agent log (last 40 lines) ----" >&2
    tail -n 40 "$E2E_TMP/agent.log" >&2 2>/dev/null || true
  fi
  (exit "$rc")
  e2e_cleanup
}
trap join_cleanup EXIT

# The agent shares the data dir with the server (as the server's own agent would), so lib.sh's
# clean-up finds its containers and mounts.
E2E_AGENT=1
IMAGE=busybox:e2e
NODE=e2e-join
"$(cd "$(dirname "$0")/../.." && pwd)/scripts/make-test-image.sh" "$E2E_TMP/busybox.tar" "$IMAGE" >/dev/null
mkdir -p "$E2E_TMP/data"
"$BOSUN" image import "$E2E_TMP/busybox.tar" --data-dir "$E2E_TMP/data" >/dev/null
start_server --disable-agent

# start_agent [env...]: `bosun agent` in the background, as a user starts it on a node.
start_agent() {
  env "$@" "$BOSUN" --log-level info agent --server "$E2E_URL" --token-file "$E2E_TMP/data/node-token" \
    --certificate-authority "$E2E_TMP/data/tls/ca.crt" --node-name "$NODE" \
    --data-dir "$E2E_TMP/data" --kubelet-port 0 >>"$E2E_TMP/agent.log" 2>&1 &
  AGENT_PID=$!
}
node_ready() {
  [[ "$(k get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}
jp() { k get pod "$1" -o jsonpath="$2"; }
running() { [[ -n "$(jp "$1" '{.status.containerStatuses[0].state.running.startedAt}')" ]]; }

# Flags are checked by the same parser in either program, with the same message.
out=$(must_fail "$BOSUN" agent --max-pods lots)
expect_contains "$out" "Could not convert: --max-pods = lots" "bad flag"
out=$(BOSUN_AGENT_IN_PROCESS=1 must_fail "$BOSUN" agent --max-pods lots)
expect_contains "$out" "Could not convert: --max-pods = lots" "bad flag in process"

start_agent
wait_for 30 node_ready
expect_eq "$(readlink "/proc/$AGENT_PID/exe")" "$AGENT_PROGRAM" "the agent's program"
expect_eq "$(tr '\0' ' ' <"/proc/$AGENT_PID/cmdline" | cut -d' ' -f1-4)" "$BOSUN --log-level info agent" \
  "the agent's command line"

k run joined --image="$IMAGE" --restart=Never --command -- sh -c 'echo hello from the node; exec sleep 3600' \
  >/dev/null
wait_for 60 running joined
expect_eq "$(jp joined '{.spec.nodeName}')" "$NODE" "the pod's node"
wait_for 10 bash -c "$KUBECTL logs joined | grep -q 'hello from the node'"
expect_eq "$(k exec joined -- cat /proc/1/cmdline | tr '\0' ' ')" "sleep 3600 " "exec through the agent"
container=$(jp joined '{.status.containerStatuses[0].containerID}')

# SIGTERM stops the agent cleanly; its container keeps running.
stop_agent || fail "the agent did not stop on SIGTERM within 10 s"
AGENT_PID=""
runc --root "$E2E_TMP/data/run/runc" list | awk 'NR>1 && $3=="running" {print $1}' |
  grep -x "${container#runc://}" >/dev/null || fail "the container stopped with the agent"

# The same agent inside bosun (no bosun-agent installed) re-adopts it.
start_agent BOSUN_AGENT_IN_PROCESS=1
wait_for 30 node_ready
expect_eq "$(readlink "/proc/$AGENT_PID/exe")" "$(readlink -f "$BOSUN")" "the in-process agent's program"
k run after --image="$IMAGE" --restart=Never --command -- sleep 3600 >/dev/null
wait_for 60 running after
expect_eq "$(jp joined '{.status.containerStatuses[0].containerID}')" "$container" "containerID after the restart"
expect_eq "$(jp joined '{.status.containerStatuses[0].restartCount}')" "0" "restartCount after the restart"

k delete pod --all --grace-period=1 --wait=true --timeout=60s >/dev/null
no_pods() { [[ -z "$(k get pods -o name)" ]]; }
wait_for 30 no_pods
stop_agent || fail "the in-process agent did not stop on SIGTERM within 10 s"
AGENT_PID=""
agent_assert_clean
echo "PASS: agent_join_test"
