#!/usr/bin/env bash
# Pods on the real agent of `bosun server` (runc), driven by the real kubectl: two containers
# sharing the pod's network namespace (one serves HTTP, the other fetches it from localhost) and an
# emptyDir; hostPath data that outlives its pod; a crashing container in CrashLoopBackOff; a memory
# limit ending in OOMKilled; a failing liveness probe restarting its container; readiness gating
# Ready; configMap and secret volumes and env; init containers first; no_new_privs unless
# allowPrivilegeEscalation is true; a Deployment rolled to an
# image that cannot start stopping at its progress deadline, and undone; an agent restart that keeps
# the running containers (same containerID, same restartCount); and a deletion that leaves no
# container, mount or sandbox behind. Every pod is created up front so their waits overlap.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
agent_test_start e2e-agent

jp() { k get pod "$1" -o jsonpath="$2"; }
phase() { jp "$1" '{.status.phase}'; }
phase_is() { [[ "$(phase "$1")" == "$2" ]]; }
ready_is() { [[ "$(jp "$1" '{.status.conditions[?(@.type=="Ready")].status}')" == "$2" ]]; }
restarts() { jp "$1" '{.status.containerStatuses[0].restartCount}'; }
restarts_at_least() { (($(restarts "$1" || echo 0) >= $2)); }
running() { [[ -n "$(jp "$1" '{.status.containerStatuses[0].state.running.startedAt}')" ]]; }

HOSTDIR="$E2E_TMP/hostdata"

k create configmap cfg --from-literal=greeting=hello >/dev/null
k create secret generic sec --from-literal=password=s3cret >/dev/null

k apply -f - >/dev/null <<YAML
# Containers of one pod share its network namespace and its emptyDir: the client's readiness
# says it fetched the server's page over localhost.
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  volumes: [{name: www, emptyDir: {}}]
  containers:
  - name: server
    image: $IMAGE
    command: [sh, -c, 'echo hello from \$(hostname) > /www/index.html && exec httpd -f -p 8080 -h /www']
    volumeMounts: [{name: www, mountPath: /www}]
  - name: client
    image: $IMAGE
    command: [sh, -c, 'until wget -qO /shared/got http://localhost:8080/; do sleep 0.2; done; exec sleep 3600']
    volumeMounts: [{name: www, mountPath: /shared}]
    readinessProbe:
      exec: {command: [grep, -q, 'hello from web', /shared/got]}
      periodSeconds: 1
---
apiVersion: v1
kind: Pod
metadata: {name: writer}
spec:
  restartPolicy: Never
  volumes: [{name: data, hostPath: {path: $HOSTDIR, type: DirectoryOrCreate}}]
  containers:
  - name: app
    image: $IMAGE
    command: [sh, -c, 'echo kept-by-the-node > /data/file']
    volumeMounts: [{name: data, mountPath: /data}]
---
apiVersion: v1
kind: Pod
metadata: {name: crash}
spec:
  containers:
  - {name: app, image: $IMAGE, command: [sh, -c, 'exit 3']}
---
apiVersion: v1
kind: Pod
metadata: {name: oom}
spec:
  restartPolicy: Never
  containers:
  - name: app
    image: $IMAGE
    # dd reads 64 MiB of zeros into one buffer: every page is touched under a 16 MiB limit.
    command: [dd, if=/dev/zero, of=/dev/null, bs=64M, count=1]
    resources: {limits: {memory: 16Mi}}
---
apiVersion: v1
kind: Pod
metadata: {name: liveness}
spec:
  containers:
  - name: app
    image: $IMAGE
    command: [sleep, "3600"]
    livenessProbe:
      exec: {command: [test, -f, /tmp/healthy]}
      periodSeconds: 1
      failureThreshold: 2
---
apiVersion: v1
kind: Pod
metadata: {name: config}
spec:
  restartPolicy: Never
  volumes:
  - {name: cfg, configMap: {name: cfg}}
  - {name: sec, secret: {secretName: sec}}
  containers:
  - name: app
    image: $IMAGE
    command: [sh, -c, 'echo "\$GREETING \$PASSWORD \$(cat /cfg/greeting) \$(cat /sec/password)" > /dev/termination-log']
    env:
    - name: GREETING
      valueFrom: {configMapKeyRef: {name: cfg, key: greeting}}
    - name: PASSWORD
      valueFrom: {secretKeyRef: {name: sec, key: password}}
    volumeMounts:
    - {name: cfg, mountPath: /cfg}
    - {name: sec, mountPath: /sec}
---
apiVersion: v1
kind: Pod
metadata: {name: init}
spec:
  restartPolicy: Never
  volumes: [{name: work, emptyDir: {}}]
  initContainers:
  - {name: first, image: $IMAGE, command: [sh, -c, 'echo first >> /work/order'], volumeMounts: [{name: work, mountPath: /work}]}
  - {name: second, image: $IMAGE, command: [sh, -c, 'echo second >> /work/order'], volumeMounts: [{name: work, mountPath: /work}]}
  containers:
  - {name: app, image: $IMAGE, command: [sh, -c, 'echo app >> /work/order; cat /work/order > /dev/termination-log'], volumeMounts: [{name: work, mountPath: /work}]}
---
# no_new_privs by default; off where privilege escalation is allowed outright.
apiVersion: v1
kind: Pod
metadata: {name: privs}
spec:
  restartPolicy: Never
  containers:
  - {name: default, image: $IMAGE, command: [sh, -c, 'grep NoNewPrivs /proc/self/status > /dev/termination-log']}
  - name: escalates
    image: $IMAGE
    command: [sh, -c, 'grep NoNewPrivs /proc/self/status > /dev/termination-log']
    securityContext: {allowPrivilegeEscalation: true}
YAML

# Readiness gates Ready: the probe's file appears only after 30 s, time enough for the checks on a
# loaded machine (6 s was not, at ctest -j4), or when the test creates it with kubectl exec, where
# exec works.
k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: ready}
spec:
  containers:
  - name: app
    image: $IMAGE
    command: [sh, -c, 'sleep 30; touch /tmp/ready-later; exec sleep 3600']
    readinessProbe:
      exec: {command: [sh, -c, 'test -f /tmp/ready || test -f /tmp/ready-later']}
      periodSeconds: 1
YAML
# A Deployment to be rolled to an image that cannot start (below).
k apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: rollme}
spec:
  replicas: 1
  progressDeadlineSeconds: 5
  selector: {matchLabels: {app: rollme}}
  template:
    metadata: {labels: {app: rollme}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{name: app, image: $IMAGE, command: [sleep, "3600"]}]
YAML
wait_for 30 running ready
expect_eq "$(jp ready '{.status.conditions[?(@.type=="Ready")].status}')" False "Ready of a pod whose probe fails"
expect_eq "$(jp ready '{.status.containerStatuses[0].ready}')" false "container ready before the probe passes"
if k exec ready -- touch /tmp/ready >/dev/null 2>&1; then
  echo "readiness: the file made by kubectl exec"
else
  echo "readiness: kubectl exec unavailable, the probe turns true by itself"
fi
wait_for 45 ready_is ready True
expect_eq "$(jp ready '{.status.containerStatuses[0].ready}')" true "container ready once the probe passes"

# Two containers: HTTP over the shared localhost, the page through the shared emptyDir.
page() { cat "$E2E_TMP"/data/pods/*/volumes/kubernetes.io~empty-dir/www/got 2>/dev/null; }
has_page() { [[ -n "$(page)" ]]; }
wait_for 30 has_page
expect_eq "$(page)" "hello from web" "the page the client fetched, in the emptyDir"
expect_eq "$(jp web '{.status.phase}')" Running "phase of web"
wait_for 30 ready_is web True

# hostPath data outlives the pod: a new pod reads what the deleted one wrote.
wait_for 30 phase_is writer Succeeded
k delete pod writer --wait=true >/dev/null
expect_eq "$(cat "$HOSTDIR/file")" "kept-by-the-node" "hostPath file on the node"
k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: reader}
spec:
  restartPolicy: Never
  volumes: [{name: data, hostPath: {path: $HOSTDIR, type: Directory}}]
  containers:
  - name: app
    image: $IMAGE
    command: [sh, -c, 'cat /data/file > /dev/termination-log']
    volumeMounts: [{name: data, mountPath: /data}]
YAML
wait_for 30 phase_is reader Succeeded
expect_eq "$(jp reader '{.status.containerStatuses[0].state.terminated.message}')" \
  "kept-by-the-node" "what the second pod read from the hostPath"

# configMap and secret: as env and as files.
wait_for 30 phase_is config Succeeded
expect_eq "$(jp config '{.status.containerStatuses[0].state.terminated.message}')" \
  "hello s3cret hello s3cret" "env and files from the ConfigMap and the Secret"

# no_new_privs: set unless allowPrivilegeEscalation is true.
wait_for 30 phase_is privs Succeeded
expect_eq "$(jp privs '{.status.containerStatuses[?(@.name=="default")].state.terminated.message}')" \
  $'NoNewPrivs:\t1' "no_new_privs of a container without a securityContext"
expect_eq "$(jp privs '{.status.containerStatuses[?(@.name=="escalates")].state.terminated.message}')" \
  $'NoNewPrivs:\t0' "no_new_privs with allowPrivilegeEscalation: true"

# Init containers run first, in order.
wait_for 30 phase_is init Succeeded
expect_eq "$(jp init '{.status.containerStatuses[0].state.terminated.message}')" \
  "first
second
app" "order the containers ran in"
expect_eq "$(jp init '{.status.initContainerStatuses[*].state.terminated.reason}')" \
  "Completed Completed" "init containers' reasons"

# A rollout to an image that is not on the node (and no registry answers) stops at the progress
# deadline, its pod waiting in ErrImagePull/ImagePullBackOff; undo recovers.
k rollout status deploy/rollme --timeout=60s >/dev/null
k set image deploy/rollme app=busybox:missing >/dev/null
out=$(must_fail k rollout status deploy/rollme --timeout=60s)
expect_contains "$out" 'error: deployment "rollme" exceeded its progress deadline' "rollout status past the deadline"
pull_reason=$(k get pods -l app=rollme -o jsonpath='{.items[*].status.containerStatuses[0].state.waiting.reason}')
[[ "$pull_reason" == *ErrImagePull* || "$pull_reason" == *ImagePullBackOff* ]] ||
  fail "waiting reasons of rollme's pods: [$pull_reason]"
k rollout undo deploy/rollme >/dev/null
out=$(k rollout status deploy/rollme --timeout=60s)
expect_contains "$out" 'deployment "rollme" successfully rolled out' "rollout status after undo"
one_rollme() { [[ "$(k get pods -l app=rollme -o jsonpath='{.items[*].spec.containers[0].image}')" == "$IMAGE" ]]; }
wait_for 30 one_rollme

# OOMKilled from the memory cgroup.
oom_done() { [[ -n "$(jp oom '{.status.containerStatuses[0].state.terminated.reason}')" ]]; }
wait_for 30 oom_done
expect_eq "$(jp oom '{.status.containerStatuses[0].state.terminated.reason}')" OOMKilled "reason of oom"
expect_eq "$(jp oom '{.status.containerStatuses[0].state.terminated.exitCode}')" 137 "exit code of oom"
expect_eq "$(phase oom)" Failed "phase of oom"

# A crashing container backs off: restarts counted, CrashLoopBackOff in kubectl get.
crash_looping() { [[ "$(k get pod crash --no-headers)" == *CrashLoopBackOff* ]]; }
wait_for 40 restarts_at_least crash 1
wait_for 40 crash_looping
out=$(k get pod crash --no-headers)
expect_contains "$out" "0/1" "kubectl get crash: READY"
expect_eq "$(jp crash '{.status.containerStatuses[0].state.waiting.reason}')" CrashLoopBackOff "waiting reason"
expect_eq "$(jp crash '{.status.containerStatuses[0].lastState.terminated.exitCode}')" 3 "last exit code"
expect_eq "$(jp crash '{.status.containerStatuses[0].lastState.terminated.reason}')" Error "last reason"
restarts_shown() { [[ "$(k get pod crash --no-headers | awk '{print $4}')" -ge 1 ]]; }
wait_for 5 restarts_shown

# A failing liveness probe restarts the container.
wait_for 40 restarts_at_least liveness 1
expect_contains "$(k get events --field-selector involvedObject.name=liveness)" \
  "Liveness probe failed" "liveness events"
expect_contains "$(k get events --field-selector involvedObject.name=liveness)" \
  "Container app failed liveness probe, will be restarted" "liveness events"


# An agent restart with pods running: no container is restarted or replaced.
declare -A before_id before_restarts
for p in web ready; do
  before_id[$p]=$(jp $p '{.status.containerStatuses[*].containerID}')
  before_restarts[$p]=$(jp $p '{.status.containerStatuses[*].restartCount}')
done
runc_before=$(runc --root "$E2E_TMP/data/run/runc" list -q | sort)
stop_server
[[ "$(runc --root "$E2E_TMP/data/run/runc" list -q | sort)" == "$runc_before" ]] ||
  fail "containers changed while the server stopped"
start_server --node-name "$NODE"
wait_for 30 node_ready
# A pod created after the restart runs once the agent has synced: the old pods went through the
# same first sync (and a relist) by then.
k run after --image="$IMAGE" --restart=Never --command -- sleep 3600 >/dev/null
wait_for 30 running after
for p in web ready; do
  wait_for 30 ready_is $p True
  expect_eq "$(jp $p '{.status.containerStatuses[*].containerID}')" "${before_id[$p]}" "containerIDs of $p after the restart"
  expect_eq "$(jp $p '{.status.containerStatuses[*].restartCount}')" "${before_restarts[$p]}" "restartCounts of $p after the restart"
done
runc_running() { runc --root "$E2E_TMP/data/run/runc" list | awk 'NR>1 && $3=="running" {print $1}' | sort; }
web_ids=$(jp web '{.status.containerStatuses[*].containerID}' | tr ' ' '\n' | sed 's|^runc://||' | sort)
for id in $web_ids; do
  runc_running | grep -x "$id" >/dev/null || fail "web's container $id not running after the restart"
done

# Deleting every pod leaves nothing behind: no container, mount, sandbox or pod cgroup.
k delete deployment rollme >/dev/null
uids=$(k get pods -o jsonpath='{.items[*].metadata.uid}')
# sleep as PID 1 ignores SIGTERM: a short grace period rather than the default 30 s.
k delete pod --all --grace-period=1 --wait=true --timeout=60s >/dev/null
no_pods() { [[ -z "$(k get pods -o name)" ]]; }
wait_for 30 no_pods
no_sandboxes() { [[ -z "$(ls "$E2E_TMP/data/run/sandboxes" 2>/dev/null)" ]]; }
wait_for 10 no_sandboxes
agent_assert_clean
for uid in $uids; do
  left=$(ls -d /sys/fs/cgroup/*/bosun/pod"$uid" /sys/fs/cgroup/unified/bosun/pod"$uid" 2>/dev/null || true)
  [[ -z "$left" ]] || fail "pod cgroups left: $left"
done

echo "PASS agent_pods_test"
