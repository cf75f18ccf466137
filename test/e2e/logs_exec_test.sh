#!/usr/bin/env bash
# kubectl logs, exec and attach against pods the local agent of `bosun server` runs: the API
# server proxies pods/log, pods/exec and pods/attach to the agent's kubelet port (client
# certificate of the cluster CA). logs with --tail, --timestamps, -c, -f (ends when the container
# exits) and --previous after a restart, Kubernetes' messages for a waiting container and a
# missing container name; exec with an exit code passed through, with stdin (-i), with a terminal
# (-it, through script(1)) on kubectl 1.33 and 1.30 (WebSocket v5.channel.k8s.io); attach (output).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
agent_test_start e2e-logs
KUBECTL_130="$KUBECTL_DIR/kubectl.1.30"
port=$(k get node "$NODE" -o jsonpath='{.status.daemonEndpoints.kubeletEndpoint.Port}')
[[ "$port" =~ ^[0-9]+$ && "$port" -gt 0 ]] || fail "node publishes no kubelet port: [$port]"

jp() { k get pod "$1" -o jsonpath="$2"; }
running() { [[ -n "$(jp "$1" "{.status.containerStatuses[?(@.name==\"$2\")].state.running.startedAt}")" ]]; }
restarted() { (($(jp "$1" '{.status.containerStatuses[0].restartCount}' || echo 0) >= 1)); }
succeeded() { [[ "$(jp "$1" '{.status.phase}')" == Succeeded ]]; }

# The agent's port itself refuses callers without a cluster client certificate.
code=$(curl -sk -o /dev/null -w '%{http_code}' "https://127.0.0.1:$port/containerLogs/default/x/y")
expect_eq "$code" 401 "agent port without a client certificate"

k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: two}
spec:
  containers:
  - name: a
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'for i in 1 2 3 4 5; do echo line \$i; done; echo to-stderr >&2; exec sleep 3600']
  - name: b
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo from b; exec sleep 3600']
---
apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  containers:
  - name: c
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo run at \$(date +%s%N); sleep 1; exit 1']
YAML

wait_for 60 running two a
wait_for 60 running two b

# Several containers and no -c: Kubernetes' message (kubectl 1.33 picks the first itself, so ask
# the API directly).
out=$(must_fail k get --raw /api/v1/namespaces/default/pods/two/log)
expect_contains "$out" "a container name must be specified for pod two, choose one of: [a b]"
out=$(must_fail k logs two -c nope)
expect_contains "$out" "container nope is not valid for pod two"

wait_for 10 bash -c "[[ \$($KUBECTL logs two -c a | grep -c line) == 5 ]]"
out=$(k logs two -c a)
expect_contains "$out" "line 1"
expect_contains "$out" "to-stderr"
expect_eq "$(k logs two -c a --tail=2)" $'line 5\nto-stderr' "logs --tail=2"
expect_eq "$(k logs two -c b)" "from b" "logs -c b"
ts=$(k logs two -c b --timestamps)
[[ "$ts" =~ ^20[0-9-]+T[0-9:.]+Z\ from\ b$ ]] || fail "logs --timestamps: [$ts]"
expect_eq "$(k logs two -c a --since=1h | head -1)" "line 1" "logs --since"
out=$(must_fail k logs two -c a --previous)
expect_contains "$out" 'previous terminated container "a" in pod "two" not found'

# -f streams until the container exits, then kubectl exits 0. The pod runs 3 s, so it is created
# only now: created up front with the others it could be done before the checks above are.
k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: counter}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'for i in 1 2 3 4 5 6; do echo tick \$i; sleep 0.5; done']
YAML
wait_for 60 running counter c
out=$(timeout 30 "$KUBECTL" logs -f counter)
expect_eq "$(printf '%s\n' "$out" | tail -1)" "tick 6" "logs -f ends with the container"
wait_for 30 succeeded counter

# --previous after a restart: the earlier run's output.
wait_for 60 restarted crasher
prev=$(k logs crasher --previous)
expect_contains "$prev" "run at" "logs --previous"

# exec: output, exit codes, stdin, a terminal; kubectl 1.33 and 1.30 (both WebSocket).
for kc in "$KUBECTL" "$KUBECTL_130"; do
  [[ -x "$kc" ]] || command -v "$kc" >/dev/null || continue
  expect_eq "$("$kc" exec two -c a -- echo hello)" "hello" "exec echo ($kc)"
  expect_eq "$("$kc" exec two -c b -- sh -c 'echo out; echo err >&2' 2>/dev/null)" "out" "exec stdout ($kc)"
  rc=0
  "$kc" exec two -c a -- sh -c 'exit 3' || rc=$?
  expect_eq "$rc" 3 "exec exit code ($kc)"
  expect_eq "$(printf 'abc\ndef\n' | "$kc" exec -i two -c a -- wc -l)" "2" "exec -i ($kc)"
  # script(1) gives kubectl a terminal, so -t asks for a tty.
  out=$(script -qec "$kc exec -it two -c a -- sh -c 'tty; echo cols=\$(stty size)'" /dev/null </dev/null)
  expect_contains "$out" "/dev/pts/" "exec -it has a tty ($kc)"
done

# attach: the container's output from now on.
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
    command: [sh, -c, 'sleep 2; for i in 1 2 3; do echo said \$i; sleep 0.3; done']
YAML
wait_for 60 running talker t
out=$(timeout 30 "$KUBECTL" attach talker 2>&1 || true)
expect_contains "$out" "said 3" "attach"

# A container still being created: the kubelet's message.
k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: never}
spec:
  containers:
  - name: x
    image: no-such-image:nope
    imagePullPolicy: Never
YAML
wait_for 30 bash -c "[[ -n \$($KUBECTL get pod never -o jsonpath='{.status.containerStatuses[0].state.waiting.reason}') ]]"
out=$(must_fail k logs never)
expect_contains "$out" 'container "x" in pod "never" is waiting to start:'

echo PASS
