#!/usr/bin/env bash
# kubectl attach with stdin against the local agent of `bosun server`: the container's monitor
# holds its stdin (a pipe, or a terminal with tty) and the agent relays an attach session to it.
# stdinOnce: piped input reaches the container and its end closes the container's stdin (the
# shell exits, the pod Succeeds; kubectl 1.33 over WebSocket, 1.27 over SPDY); without stdinOnce
# each attach's input reaches the same shell, which keeps running; `kubectl run -i --rm
# --restart=Never` with piped input prints the output and deletes the pod; `kubectl run -it --rm`
# through script(1) gets a terminal it can type into.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
agent_test_start e2e-attach

jp() { k get pod "$1" -o jsonpath="$2"; }
running() { [[ -n "$(jp "$1" '{.status.containerStatuses[0].state.running.startedAt}')" ]]; }
succeeded() { [[ "$(jp "$1" '{.status.phase}')" == Succeeded ]]; }
gone() { ! k get pod "$1" >/dev/null 2>&1; }
logs_contain() { [[ "$(k logs "$1")" == *"$2"* ]]; }

k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: once}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    stdin: true
    stdinOnce: true
    command: [sh, -c, 'while read line; do echo "got \$line"; done; echo "stdin closed" >&2']
---
apiVersion: v1
kind: Pod
metadata: {name: repl}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    stdin: true
    command: [sh, -c, 'while read line; do echo "got \$line"; done; echo "stdin closed"']
YAML
wait_for 60 running once
wait_for 60 running repl

# stdinOnce: the piped input, then EOF for the container; the session lasts until its output ends.
out=$(printf 'one\ntwo\n' | timeout 60 "$KUBECTL" attach -i once 2>&1) || fail "attach -i once: $out"
expect_contains "$out" "got one" "attach -i output"
expect_contains "$out" "got two" "attach -i output"
expect_contains "$out" "stdin closed" "attach -i stderr after the input ended"
wait_for 30 succeeded once
expect_eq "$(k logs once)" $'got one\ngot two\nstdin closed' "logs of the attached container"

# kubectl 1.27 speaks SPDY, which the API server bridges to the agent's WebSocket channels.
if [[ -x "$KUBECTL_127" ]]; then
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: once127}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    stdin: true
    stdinOnce: true
    command: [sh, -c, 'while read line; do echo "got \$line"; done; echo "stdin closed" >&2']
YAML
  wait_for 60 running once127
  out=$(printf 'old\n' | timeout 60 "$KUBECTL_127" attach -i once127 2>&1) || fail "attach -i (1.27): $out"
  expect_contains "$out" "got old" "attach -i output (kubectl 1.27)"
  expect_contains "$out" "stdin closed" "attach -i stderr (kubectl 1.27)"
  wait_for 30 succeeded once127
  k delete pod once127 --grace-period=1 >/dev/null
fi

# Without stdinOnce the container's stdin outlives each attach (containerd ends the session with
# the client's input): both inputs reach the same shell, which is still running.
printf 'first\n' | timeout 60 "$KUBECTL" attach -i repl >/dev/null 2>&1 || true
wait_for 30 logs_contain repl "got first"
printf 'second\n' | timeout 60 "$KUBECTL" attach -i repl >/dev/null 2>&1 || true
wait_for 30 logs_contain repl "got second"
running repl || fail "repl stopped: its stdin was closed without stdinOnce"
expect_not_contains "$(k logs repl)" "stdin closed" "repl's stdin stays open"

# kubectl run -i --rm: stdin and stdinOnce on the pod; the output, then the pod is deleted.
out=$(printf 'echo hi-$((2+3))\nexit 0\n' | timeout 90 "$KUBECTL" run -i --rm --restart=Never \
  --image="$IMAGE" --image-pull-policy=IfNotPresent runi -- sh 2>&1) || fail "run -i --rm: $out"
expect_contains "$out" "hi-5" "run -i --rm output"
expect_contains "$out" 'pod "runi" deleted' "run -i --rm deletes the pod"
wait_for 30 gone runi

# kubectl run -it --rm: a terminal (script(1) gives kubectl one); a command typed into the shell,
# its output, the terminal's size from kubectl's resize, then exit ends the session.
out=$( (sleep 3; printf 'echo typed-$((6*7)); busybox stty size; tty\n'; sleep 2; printf 'exit\n'; sleep 2) |
  COLUMNS=97 LINES=31 timeout 90 script -qec "stty cols 97 rows 31; $KUBECTL run -it --rm --restart=Never --image=$IMAGE --image-pull-policy=IfNotPresent runt -- sh" /dev/null 2>&1) ||
  fail "run -it --rm: $out"
expect_contains "$out" "typed-42" "run -it output"
expect_contains "$out" "31 97" "run -it terminal size"
expect_contains "$out" "/dev/pts/" "run -it has a terminal"
wait_for 30 gone runt

k delete pod once repl --grace-period=1 >/dev/null
wait_for 60 gone once
wait_for 60 gone repl
wait_for 60 gone once127
for _ in $(seq 100); do
  [[ -z "$(ls "$E2E_TMP/data/run/containers" 2>/dev/null; ls "$E2E_TMP/data/containers" 2>/dev/null)" && -z "$(ls "$E2E_TMP/data/run/sandboxes" 2>/dev/null)" ]] && break
  sleep 0.2
done
agent_assert_clean

echo PASS
