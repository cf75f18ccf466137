#!/usr/bin/env bash
# kubectl exec and attach over SPDY/3.1, as kubectl 1.27, 1.28 and 1.29 speak them (the API
# server bridges kubectl's SPDY streams to the agent's WebSocket exec session): output, stderr,
# exit codes passed through, stdin piped (-i), a terminal (-it, through script(1)), and attach;
# kubectl 1.33 still uses WebSocket against the same pod.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
agent_test_start e2e-spdy
running() {
  [[ -n "$(k get pod "$1" -o jsonpath="{.status.containerStatuses[0].state.running.startedAt}")" ]]
}

k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: box}
spec:
  containers:
  - name: a
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'exec sleep 3600']
YAML
wait_for 60 running box

for v in 1.27 1.28 1.29; do
  kc="$KUBECTL_DIR/kubectl.$v"
  [[ -x "$kc" ]] || fail "no kubectl $v at $kc"
  kv() { "$kc" --request-timeout=20s "$@"; }
  expect_eq "$(kv exec box -- echo hello)" "hello" "exec echo ($v)"
  expect_eq "$(kv exec box -- sh -c 'echo out; echo err >&2' 2>/dev/null)" "out" "exec stdout ($v)"
  expect_eq "$(kv exec box -- sh -c 'echo out; echo err >&2' 2>&1 >/dev/null)" "err" "exec stderr ($v)"
  rc=0
  kv exec box -- sh -c 'exit 3' || rc=$?
  expect_eq "$rc" 3 "exec exit code ($v)"
  expect_eq "$(printf 'abc\ndef\n' | kv exec -i box -- wc -l)" "2" "exec -i ($v)"
  expect_eq "$(head -c 200000 /dev/zero | kv exec -i box -- wc -c)" "200000" "exec -i 200 kB ($v)"
  expect_eq "$(kv exec box -- sh -c 'head -c 300000 /dev/zero' | wc -c)" "300000" "exec 300 kB out ($v)"
  # script(1) gives kubectl a terminal, so -t asks for a tty (and a resize stream).
  out=$(script -qec "$kc exec -it box -- sh -c 'tty; stty size'" /dev/null </dev/null)
  expect_contains "$out" "/dev/pts/" "exec -it has a tty ($v)"
  out=$(must_fail kv exec box -c nope -- true)
  expect_contains "$out" "container nope is not valid for pod box" "exec -c nope ($v)"
done

# kubectl 1.33 on the same pod: WebSocket (v5.channel.k8s.io), untouched by the SPDY bridge.
rc=0
"$KUBECTL" exec box -- sh -c 'echo ws; exit 4' >"$E2E_TMP/ws.out" 2>&1 || rc=$?
expect_eq "$rc" 4 "exec exit code (1.33)"
expect_contains "$(cat "$E2E_TMP/ws.out")" "ws" "exec output (1.33)"

# attach over SPDY: the container's output from now on.
k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: talker}
spec:
  restartPolicy: Never
  containers:
  - name: t
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'sleep 3; for i in 1 2 3; do echo said \$i; sleep 0.3; done']
YAML
wait_for 60 running talker
out=$(timeout 30 "$KUBECTL_DIR/kubectl.1.27" attach talker 2>&1 || true)
expect_contains "$out" "said 3" "attach (1.27)"

echo PASS
