#!/usr/bin/env bash
# Deployments on the real agent of `bosun server` (runc, busybox), driven by the real kubectl:
# - a rolling update from one image to another with maxUnavailable 0, where a watch of the
#   Deployment's status records that readyReplicas never drops below replicas once it got there,
#   and `rollout history` / `rollout undo` take it back;
# - a Deployment whose containers ignore SIGTERM, deleted: every pod is sent its SIGTERM at once
#   (the kubelet stops each pod in a goroutine of its own; more pods than the agent has workers),
#   the node's lease goes on being renewed while they wait out their grace period, and all go.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
agent_test_start e2e-deploy

# A second image: the same content under another name, so the template changes.
IMAGE2=busybox:e2e-v2
"$(cd "$(dirname "$0")/../.." && pwd)/scripts/make-test-image.sh" "$E2E_TMP/busybox2.tar" "$IMAGE2" \
  >/dev/null
"$BOSUN" image import "$E2E_TMP/busybox2.tar" --data-dir "$E2E_TMP/data" >/dev/null

jd() { k get deploy "$1" -o jsonpath="$2"; }

# ---- A rolling update with maxUnavailable 0 never has fewer than replicas Ready.
REPLICAS=4
k apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: roll
  annotations: {kubernetes.io/change-cause: first image}
spec:
  replicas: $REPLICAS
  selector: {matchLabels: {app: roll}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata: {labels: {app: roll}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: app
        image: $IMAGE
        command: [sh, -c, 'sleep 1; touch /tmp/ready; exec sleep 3600']
        readinessProbe:
          exec: {command: [test, -f, /tmp/ready]}
          periodSeconds: 1
YAML
k rollout status deploy/roll --timeout=90s >/dev/null
expect_eq "$(jd roll '{.status.readyReplicas}')" "$REPLICAS" "ready replicas before the update"
expect_eq "$(jd roll '{.metadata.generation}')" 1 "generation after the first rollout"

# The watch prints readyReplicas of every event of the Deployment from here on.
k get deploy roll --watch -o jsonpath='{.status.readyReplicas}{" "}{.status.updatedReplicas}{"\n"}' \
  >"$E2E_TMP/roll-watch" 2>/dev/null &
watcher=$!
sleep 1
# The cause after the change, as Kubernetes' docs do: the Deployment's annotations are copied onto
# its newest ReplicaSet, which before the change is revision 1's.
k set image deploy/roll app="$IMAGE2" >/dev/null
k annotate deploy roll kubernetes.io/change-cause="second image" --overwrite >/dev/null
k rollout status deploy/roll --timeout=120s >/dev/null
sleep 1
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true
[[ -s "$E2E_TMP/roll-watch" ]] || fail "the watch saw no event"
lowest=$(awk '{print ($1 == "" ? 0 : $1)}' "$E2E_TMP/roll-watch" | sort -n | head -1)
events=$(wc -l <"$E2E_TMP/roll-watch")
echo "rolling update: $events events, readyReplicas never below $lowest"
((lowest >= REPLICAS)) || fail "readyReplicas dropped to $lowest during the update: $(tr '\n' '|' <"$E2E_TMP/roll-watch")"
images=$(k get pods -l app=roll -o jsonpath='{.items[*].spec.containers[0].image}')
[[ "$(tr ' ' '\n' <<<"$images" | sort -u)" == "$IMAGE2" ]] || fail "images after the update: $images"
expect_eq "$(jd roll '{.metadata.generation}')" 3 "generation: create, set image, annotate"
expect_eq "$(jd roll '{.status.observedGeneration}')" 3 "observedGeneration after the update"
expect_eq "$(k get rs -l app=roll --no-headers | wc -l)" 2 "ReplicaSets after the update"

history=$(k rollout history deploy/roll)
expect_contains "$history" "first image" "rollout history, revision 1"
expect_contains "$history" "second image" "rollout history, revision 2"
k rollout undo deploy/roll >/dev/null
k rollout status deploy/roll --timeout=120s >/dev/null
one_image() {
  [[ "$(k get pods -l app=roll -o jsonpath='{.items[*].spec.containers[0].image}' | tr ' ' '\n' |
    sort -u)" == "$IMAGE" ]]
}
wait_for 60 one_image
expect_eq "$(k get rs -l app=roll --no-headers | wc -l)" 2 "ReplicaSets after undo (revision 1's reused)"
expect_eq "$(jd roll '{.metadata.annotations.deployment\.kubernetes\.io/revision}')" 3 "revision after undo"
k delete deploy roll --wait=true --timeout=60s >/dev/null

# ---- Pods that ignore SIGTERM are stopped together; the node stays Ready meanwhile.
SLOW=6  # more than the agent's 4 pod workers
GRACE=30
k apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata: {name: slow}
spec:
  replicas: $SLOW
  selector: {matchLabels: {app: slow}}
  template:
    metadata: {labels: {app: slow}}
    spec:
      terminationGracePeriodSeconds: $GRACE
      containers: [{name: app, image: $IMAGE, command: [sleep, "3600"]}]
YAML
k rollout status deploy/slow --timeout=90s >/dev/null
lease_time() { k get lease -n kube-node-lease "$NODE" -o jsonpath='{.spec.renewTime}'; }
lease_before=$(lease_time)
k delete deploy slow >/dev/null
# sleep as PID 1 ignores SIGTERM: each pod waits out its grace period. Every pod's Killing event
# comes well before the first grace period ends (pod workers holding one stop each would leave
# two pods waiting 30 s for the first four).
killing() {
  (($(k get events -o jsonpath='{.items[?(@.reason=="Killing")].involvedObject.name}' |
    tr ' ' '\n' | grep -c '^slow-') >= SLOW))
}
wait_for $((GRACE * 2 / 3)) killing
renewed() { [[ "$(lease_time)" != "$lease_before" ]]; }
wait_for $((GRACE - 5)) renewed
no_slow() { [[ -z "$(k get pods -l app=slow -o name)" ]]; }
wait_for $((GRACE + 30)) no_slow
node_ready || fail "the node is not Ready after the stops"

no_sandboxes() { [[ -z "$(ls "$E2E_TMP/data/run/sandboxes" 2>/dev/null)" ]]; }
wait_for 10 no_sandboxes
agent_assert_clean
echo "PASS agent_deployment_test"
