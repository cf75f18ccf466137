#!/usr/bin/env bash
# Sidecar containers on a real agent (init containers with restartPolicy: Always): the sidecar
# starts first and keeps running beside the app container (kubectl counts it in READY: 2/2), the
# regular init container after it still runs to completion first; a sidecar that exits is restarted;
# a restartPolicy Never pod whose app container finishes completes (the sidecar is stopped and its
# exit does not fail the pod).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
agent_test_start e2e-sidecar

k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: withproxy}
spec:
  initContainers:
  - name: proxy
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    restartPolicy: Always
    command: [sh, -c, 'rm -f /shared/stop; echo proxy up > /shared/proxy; until [ -f /shared/stop ]; do sleep 0.2; done; exit 3']
    volumeMounts: [{name: shared, mountPath: /shared}]
  - name: setup
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'cat /shared/proxy > /shared/setup']
    volumeMounts: [{name: shared, mountPath: /shared}]
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'cat /shared/setup; exec sleep 3600']
    volumeMounts: [{name: shared, mountPath: /shared}]
  volumes: [{name: shared, emptyDir: {}}]
---
apiVersion: v1
kind: Pod
metadata: {name: job}
spec:
  restartPolicy: Never
  initContainers:
  - name: helper
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    restartPolicy: Always
    command: [sleep, '3600']
  containers:
  - name: work
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'sleep 1; echo done']
YAML

jp() { k get pod "$1" -o jsonpath="$2"; }
ready2() { [[ "$(k get pod withproxy --no-headers | awk '{print $2}')" == 2/2 ]]; }
wait_for 60 ready2
expect_eq "$(jp withproxy '{.status.phase}')" Running "phase"
expect_eq "$(jp withproxy '{.status.initContainerStatuses[0].name} {.status.initContainerStatuses[0].started} {.status.initContainerStatuses[0].ready}')" \
  "proxy true true" "the sidecar's status"
[[ -n "$(jp withproxy '{.status.initContainerStatuses[0].state.running.startedAt}')" ]] ||
  fail "the sidecar is not running"
expect_eq "$(jp withproxy '{.status.initContainerStatuses[1].state.terminated.reason}')" Completed \
  "the regular init container"
# setup ran after the sidecar had started, main after setup.
expect_eq "$(k logs withproxy -c main)" "proxy up" "main's view of what ran before it"
expect_eq "$(jp withproxy '{.status.conditions[?(@.type=="Initialized")].status}')" True "Initialized"

# The sidecar exits: it is restarted, the app container keeps running.
main_id=$(jp withproxy '{.status.containerStatuses[0].containerID}')
k exec withproxy -c main -- touch /shared/stop
restarted() { (($(jp withproxy '{.status.initContainerStatuses[0].restartCount}') >= 1)); }
wait_for 60 restarted
wait_for 30 ready2
expect_eq "$(jp withproxy '{.status.containerStatuses[0].containerID}')" "$main_id" "main not restarted"
expect_eq "$(jp withproxy '{.status.containerStatuses[0].restartCount}')" 0 "main's restarts"

# restartPolicy Never: the app container's end completes the pod despite the running sidecar.
succeeded() { [[ "$(jp job '{.status.phase}')" == Succeeded ]]; }
wait_for 60 succeeded
expect_eq "$(k get pod job --no-headers | awk '{print $3}')" Completed "kubectl's STATUS"
[[ -n "$(jp job '{.status.initContainerStatuses[0].state.terminated.exitCode}')" ]] ||
  fail "the sidecar of a completed pod still runs: $(jp job '{.status.initContainerStatuses[0].state}')"

k delete pod withproxy job --wait=false >/dev/null
gone() { ! k get pod withproxy >/dev/null 2>&1 && ! k get pod job >/dev/null 2>&1; }
wait_for 90 gone
echo "PASS: $(basename "$0" .sh)"
