#!/usr/bin/env bash
# The controllers as a user sees them through kubectl, on simulated nodes (`bosun hollow-nodes`):
# a ReplicationController scaled 3 -> 5 -> 2; a ReplicaSet with a set-based selector adopting
# matching pods made before it; a Deployment rolled with maxUnavailable 0 while a pod watch shows
# Ready pods never dropping below replicas; rollout status, history (change-cause), undo
# (--to-revision), pause/resume and restart; a rollout stuck at its progress deadline and undone;
# deletion with each propagation policy; a namespace deleted with everything in it; terminated
# pods over the garbage collector's threshold deleted, oldest first; a node that stops and whose
# pods are replaced elsewhere. Runs `bosun apiserver` with `bosun scheduler` and
# `bosun controller-manager` beside it, so the node monitor grace period and the default
# tolerations can be short.
set -euo pipefail
E2E_COMMAND=apiserver
source "$(dirname "$0")/lib.sh"

for sub in scheduler controller-manager hollow-nodes; do
  if ! "$BOSUN" "$sub" --help 2>/dev/null | grep -- --kubeconfig >/dev/null; then
    echo "SKIP: this bosun has no $sub subcommand yet"
    exit 0
  fi
done

PIDS=()
declare -A PID_OF
controllers_cleanup() {
  local rc=$?
  # errexit would end the handler at `(exit $rc)` below, before e2e_cleanup stops the server.
  set +e
  for pid in "${PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [[ $rc -ne 0 ]]; then
    for log in "$E2E_TMP"/*.log; do
      [[ -f "$log" ]] || continue
      echo "---- $(basename "$log") (last 30 lines) ----" >&2
      tail -n 30 "$log" >&2
    done
  fi
  (exit $rc)
  e2e_cleanup
}
trap controllers_cleanup EXIT

# background NAME CMD...: runs CMD with its output in $E2E_TMP/NAME.log, stopped at exit.
background() {
  local name=$1
  shift
  "$@" >"$E2E_TMP/$name.log" 2>&1 &
  PIDS+=($!)
  PID_OF[$name]=$!
}

# Pods tolerate a not-ready or unreachable node for 2 s unless they say otherwise (300 s by default).
start_server --default-not-ready-toleration-seconds 2 --default-unreachable-toleration-seconds 2
background scheduler "$BOSUN" scheduler --kubeconfig "$KUBECONFIG"
# Grace period above the hollow nodes' 10 s Lease renewal.
background controller-manager "$BOSUN" controller-manager --kubeconfig "$KUBECONFIG" \
  --node-monitor-grace-period 15s --terminated-pod-gc-threshold 3
background hollow-a "$BOSUN" hollow-nodes --kubeconfig "$KUBECONFIG" --count 2 --name-prefix a-
background hollow-b "$BOSUN" hollow-nodes --kubeconfig "$KUBECONFIG" --count 1 --name-prefix b-
node_ready() {
  [[ "$(k get node "$1" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}
for n in a-0 a-1 b-0; do wait_for 30 node_ready $n; done

# live_pods SELECTOR [NAMESPACE]: names of the matching pods that are not being deleted.
live_pods() {
  k get pods -n "${2:-default}" -l "$1" \
    -o jsonpath='{range .items[*]}{.metadata.name} {.metadata.deletionTimestamp}{"\n"}{end}' |
    awk 'NF == 1 {print $1}'
}
count_is() { [[ "$(k get pods -n "${3:-default}" -l "$1" --no-headers 2>/dev/null | wc -l)" -eq $2 ]]; }
running_is() {
  [[ "$(k get pods -n "${3:-default}" -l "$1" --field-selector status.phase=Running --no-headers 2>/dev/null | wc -l)" -eq $2 ]]
}
jp() { k get "$1" "$2" -o jsonpath="$3"; }
# describe_lists KIND NAME REGEX: `kubectl describe` lists an event line matching REGEX (events
# are written asynchronously, so this is waited for).
describe_lists() { k describe "$1" "$2" | grep -E -- "$3"; }

# ---- ReplicationController scaled 3 -> 5 -> 2 ----
k apply -f - >/dev/null <<'YAML'
apiVersion: v1
kind: ReplicationController
metadata: {name: rc-web}
spec:
  replicas: 3
  selector: {app: rc-web}
  template:
    metadata: {labels: {app: rc-web}}
    spec:
      containers: [{name: app, image: registry.k8s.io/pause:3.10}]
YAML
rc_ready_is() { [[ "$(jp rc rc-web '{.status.readyReplicas}')" == "$1" ]]; }
wait_for 30 running_is app=rc-web 3
wait_for 10 rc_ready_is 3
k scale rc rc-web --replicas=5 >/dev/null
wait_for 30 running_is app=rc-web 5
wait_for 10 rc_ready_is 5
k scale rc rc-web --replicas=2 >/dev/null
wait_for 30 count_is app=rc-web 2
wait_for 10 rc_ready_is 2
out=$(k get rc rc-web --no-headers)
[[ "$out" =~ ^rc-web\ +2\ +2\ +2\  ]] || fail "kubectl get rc after scaling to 2: $out"
expect_eq "$(k get pods -l app=rc-web -o jsonpath='{.items[*].metadata.ownerReferences[0].kind}')" \
  "ReplicationController ReplicationController" "owners of the RC's pods"
# The Events kubectl describe shows, as the replication controller words them.
for p in $(k get pods -l app=rc-web -o jsonpath='{.items[*].metadata.name}'); do
  wait_for 10 describe_lists rc rc-web "Normal +SuccessfulCreate +.* +replication-controller +Created pod: $p\$"
done
wait_for 10 describe_lists rc rc-web "Normal +SuccessfulDelete +.* +replication-controller +Deleted pod: rc-web-"
k delete rc rc-web >/dev/null
wait_for 30 count_is app=rc-web 0

# ---- ReplicaSet with a set-based selector adopts matching orphans ----
orphan() {
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1, labels: {tier: cache, env: $2}}
spec:
  containers: [{name: app, image: registry.k8s.io/pause:3.10}]
YAML
}
orphan cache-old-1 prod
orphan cache-old-2 prod
orphan cache-dev dev
wait_for 30 running_is tier=cache 3
k apply -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: cache}
spec:
  replicas: 3
  selector:
    matchExpressions:
    - {key: tier, operator: In, values: [cache]}
    - {key: env, operator: NotIn, values: [dev, test]}
  template:
    metadata: {labels: {tier: cache, env: prod}}
    spec:
      containers: [{name: app, image: registry.k8s.io/pause:3.10}]
YAML
rs_uid=$(jp rs cache '{.metadata.uid}')
owned_by_rs() {
  [[ "$(jp pod "$1" '{.metadata.ownerReferences[0].uid} {.metadata.ownerReferences[0].controller}')" == "$rs_uid true" ]]
}
wait_for 20 owned_by_rs cache-old-1
wait_for 20 owned_by_rs cache-old-2
expect_eq "$(jp pod cache-old-1 '{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}')" \
  "ReplicaSet/cache" "owner of an adopted pod"
rs_ready_is() { [[ "$(jp rs cache '{.status.readyReplicas}')" == "$1" ]]; }
wait_for 30 rs_ready_is 3
# Two adopted, one created: three prod pods, the dev pod left alone.
expect_eq "$(k get pods -l tier=cache,env=prod --no-headers | wc -l)" 3 "prod cache pods"
expect_eq "$(jp pod cache-dev '{.metadata.ownerReferences[*].uid}')" "" "owners of the dev pod"
# Only the one pod it had to make is announced, not the adopted ones.
created=$(k get pods -l tier=cache,env=prod -o jsonpath='{range .items[*]}{.metadata.name}{"\n"}{end}' | grep -v cache-old)
wait_for 10 describe_lists rs cache "Normal +SuccessfulCreate +.* +replicaset-controller +Created pod: $created\$"
expect_eq "$(k describe rs cache | grep -c SuccessfulCreate)" 1 "SuccessfulCreate events of rs/cache"
k delete rs cache >/dev/null
wait_for 30 count_is tier=cache,env=prod 0
k delete pod cache-dev >/dev/null

# ---- Deployment: a rolling update with maxUnavailable 0 ----
deployment() { # NAME IMAGE CHANGE-CAUSE
  k apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $1
  annotations: {kubernetes.io/change-cause: "$3"}
spec:
  replicas: 3
  selector: {matchLabels: {app: $1}}
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 1, maxUnavailable: 0}
  template:
    metadata: {labels: {app: $1}}
    spec:
      containers: [{name: app, image: $2}]
YAML
}
rollout_ok() { k rollout status "deploy/$1" --timeout=60s >/dev/null; }
image_of() { jp deploy "$1" '{.spec.template.spec.containers[0].image}'; }
rs_count() { k get rs -l "app=$1" --no-headers | wc -l; }

deployment web registry.k8s.io/pause:3.9 "create with pause 3.9"
rollout_ok web
wait_for 30 running_is app=web 3

# The watch: one line per pod event (type, name, Ready status, being deleted); the Ready pods not
# being deleted are counted after every event.
k get pods -l app=web -w --output-watch-events \
  -o jsonpath='{.type} {.object.metadata.name} {.object.status.conditions[?(@.type=="Ready")].status} {.object.metadata.deletionTimestamp}{"\n"}' \
  >"$E2E_TMP/web-watch.txt" 2>"$E2E_TMP/web-watch.err" &
WATCH_PID=$!
PIDS+=($WATCH_PID)
watch_started() { [[ $(wc -l <"$E2E_TMP/web-watch.txt") -ge 3 ]]; }
wait_for 10 watch_started

deployment web registry.k8s.io/pause:3.10 "update to pause 3.10"
out=$(k rollout status deploy/web --timeout=60s)
expect_contains "$out" 'deployment "web" successfully rolled out' "rollout status"
wait_for 30 count_is app=web 3
kill $WATCH_PID
wait $WATCH_PID 2>/dev/null || true
min_ready=$(awk '
  $1 == "DELETED" { delete ready[$2] }
  $1 != "DELETED" { if ($3 == "True" && $4 == "") ready[$2] = 1; else delete ready[$2] }
  { n = 0; for (p in ready) n++; if (NR > 3 && (min == "" || n < min)) min = n }
  END { print min }' "$E2E_TMP/web-watch.txt")
[[ -n "$min_ready" ]] || fail "the pod watch saw nothing: $(cat "$E2E_TMP/web-watch.txt" "$E2E_TMP/web-watch.err")"
((min_ready >= 3)) || fail "Ready pods dropped to $min_ready during the rollout: $(cat "$E2E_TMP/web-watch.txt")"
expect_eq "$(rs_count web)" 2 "ReplicaSets of web"
# kubectl describe deployment: the scaling steps of the rollout, as the deployment controller
# words them (the new ReplicaSet up from 0, the old one down to 0).
new_rs=$(k get rs -l app=web -o jsonpath='{range .items[?(@.spec.replicas==3)]}{.metadata.name}{end}')
old_rs=$(k get rs -l app=web -o jsonpath='{range .items[?(@.spec.replicas==0)]}{.metadata.name}{end}')
wait_for 10 describe_lists deployment web "Normal +ScalingReplicaSet +.* +deployment-controller +Scaled up replica set $old_rs from 0 to 3\$"
wait_for 10 describe_lists deployment web "Normal +ScalingReplicaSet +.* +deployment-controller +Scaled up replica set $new_rs from 0 to 1\$"
wait_for 10 describe_lists deployment web "Normal +ScalingReplicaSet +.* +deployment-controller +Scaled down replica set $old_rs from [0-9]+ to 0\$"
wait_for 10 describe_lists rs "$new_rs" "Normal +SuccessfulCreate +.* +replicaset-controller +Created pod: $new_rs-"
expect_eq "$(k get pods -l app=web -o jsonpath='{.items[*].spec.containers[0].image}')" \
  "registry.k8s.io/pause:3.10 registry.k8s.io/pause:3.10 registry.k8s.io/pause:3.10" "images after the rollout"

# History with change-cause; undo goes back to revision 1's template (as revision 3) and reuses
# its ReplicaSet; --to-revision picks one.
history() { k rollout history deploy/web | awk 'NR > 2 && NF {print $1 ":" substr($0, index($0, $2))}'; }
expect_eq "$(history)" "1:create with pause 3.9
2:update to pause 3.10" "rollout history"
out=$(k rollout history deploy/web --revision=2)
expect_contains "$out" "registry.k8s.io/pause:3.10" "history of revision 2"
k rollout undo deploy/web >/dev/null
rollout_ok web
expect_eq "$(image_of web)" registry.k8s.io/pause:3.9 "image after undo"
expect_eq "$(rs_count web)" 2 "ReplicaSets after undo (the old one reused)"
expect_eq "$(history | cut -d: -f1 | tr '\n' ' ')" "2 3 " "revisions after undo"
k rollout undo deploy/web --to-revision=2 >/dev/null
rollout_ok web
expect_eq "$(image_of web)" registry.k8s.io/pause:3.10 "image after undo --to-revision=2"
expect_eq "$(history | cut -d: -f1 | tr '\n' ' ')" "3 4 " "revisions after undo --to-revision"
out=$(must_fail k rollout undo deploy/web --to-revision=9)
expect_contains "$out" "unable to find specified revision 9 in history" "undo to a missing revision"

# Pause: a template change makes no ReplicaSet until resume.
k rollout pause deploy/web >/dev/null
expect_eq "$(jp deploy web '{.spec.paused}')" true "spec.paused"
k set image deploy/web app=registry.k8s.io/pause:3.8 >/dev/null
paused_seen() {
  [[ "$(jp deploy web '{.status.observedGeneration}')" == "$(jp deploy web '{.metadata.generation}')" ]]
}
wait_for 20 paused_seen
expect_eq "$(jp deploy web '{.status.conditions[?(@.type=="Progressing")].reason}')" \
  DeploymentPaused "Progressing reason while paused"
expect_eq "$(rs_count web)" 2 "ReplicaSets while paused"
k rollout resume deploy/web >/dev/null
rollout_ok web
expect_eq "$(rs_count web)" 3 "ReplicaSets after resume"
expect_eq "$(k get pods -l app=web -o jsonpath='{.items[*].spec.containers[0].image}')" \
  "registry.k8s.io/pause:3.8 registry.k8s.io/pause:3.8 registry.k8s.io/pause:3.8" "images after resume"

# Restart: a new ReplicaSet of the same image, every pod replaced.
before=$(k get pods -l app=web -o jsonpath='{.items[*].metadata.name}')
k rollout restart deploy/web >/dev/null
[[ -n "$(jp deploy web '{.spec.template.metadata.annotations.kubectl\.kubernetes\.io/restartedAt}')" ]] ||
  fail "no restartedAt annotation after rollout restart"
rollout_ok web
wait_for 30 count_is app=web 3
for p in $(k get pods -l app=web -o jsonpath='{.items[*].metadata.name}'); do
  [[ " $before " != *" $p "* ]] || fail "pod $p survived rollout restart"
done
expect_eq "$(rs_count web)" 4 "ReplicaSets after restart"

# ---- A rollout that cannot become ready stops at the deadline; undo recovers ----
k apply -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: stuck}
spec:
  replicas: 1
  progressDeadlineSeconds: 5
  selector: {matchLabels: {app: stuck}}
  template:
    metadata: {labels: {app: stuck}}
    spec:
      containers: [{name: app, image: registry.k8s.io/pause:3.10}]
YAML
rollout_ok stuck
# No node has the label: the new pod stays Pending and never becomes available (hollow nodes pass
# every probe, so an unready container is not an option here).
k patch deploy stuck --type=strategic -p '{"spec":{"template":{"spec":{"nodeSelector":{"disk":"none"},"containers":[{"name":"app","image":"registry.k8s.io/pause:3.9"}]}}}}' >/dev/null
out=$(must_fail k rollout status deploy/stuck --timeout=60s)
expect_contains "$out" 'error: deployment "stuck" exceeded its progress deadline' "rollout status past the deadline"
expect_eq "$(jp deploy stuck '{.status.conditions[?(@.type=="Progressing")].status} {.status.conditions[?(@.type=="Progressing")].reason}')" \
  "False ProgressDeadlineExceeded" "Progressing condition"
expect_eq "$(k get pods -l app=stuck --field-selector status.phase=Running -o jsonpath='{.items[*].spec.containers[0].image}' | tr ' ' '\n' | sort | tr '\n' ' ')" \
  "registry.k8s.io/pause:3.10 " "old pod kept while the new one is unready"
k rollout undo deploy/stuck >/dev/null
rollout_ok stuck
wait_for 30 count_is app=stuck 1
expect_eq "$(k get pods -l app=stuck -o jsonpath='{.items[*].spec.containers[0].image}')" \
  registry.k8s.io/pause:3.10 "image after undoing the stuck rollout"
expect_eq "$(jp deploy stuck '{.status.conditions[?(@.type=="Progressing")].reason}')" \
  NewReplicaSetAvailable "Progressing reason after undo"

# ---- Deletion with each propagation policy ----
replicaset() { # NAME
  k apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: $1}
spec:
  replicas: 2
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec:
      containers: [{name: app, image: registry.k8s.io/pause:3.10}]
YAML
}
for rs in prop-bg prop-fg prop-or; do replicaset $rs; done
for rs in prop-bg prop-fg prop-or; do wait_for 30 running_is app=$rs 2; done
# Background: the owner goes at once, the garbage collector deletes the pods after.
k delete rs prop-bg --cascade=background >/dev/null
wait_for 30 count_is app=prop-bg 0
# Foreground: the owner stays (foregroundDeletion) until its blocking dependents are gone.
k delete rs prop-fg --cascade=foreground --wait=false >/dev/null
fg_state=$(jp rs prop-fg '{.metadata.finalizers} {.metadata.deletionTimestamp}' 2>/dev/null || echo gone)
if [[ "$fg_state" != gone ]]; then
  expect_contains "$fg_state" foregroundDeletion "finalizers of the owner in foreground deletion"
fi
rs_gone() { ! k get rs "$1" >/dev/null 2>&1; }
wait_for 30 rs_gone prop-fg
expect_eq "$(k get pods -l app=prop-fg --no-headers 2>/dev/null | wc -l)" 0 "pods left when the foreground owner is gone"
# Orphan: the pods stay, without the owner reference.
k delete rs prop-or --cascade=orphan >/dev/null
expect_eq "$(live_pods app=prop-or | wc -l)" 2 "orphaned pods"
for p in $(live_pods app=prop-or); do
  expect_eq "$(jp pod "$p" '{.metadata.ownerReferences[*].uid}')" "" "owners of orphaned pod $p"
done
k delete pods -l app=prop-or >/dev/null

# ---- A namespace deleted with everything inside ----
k create namespace doomed >/dev/null
k create deployment inside -n doomed --image=registry.k8s.io/pause:3.10 --replicas=2 >/dev/null
k create configmap inside -n doomed --from-literal=a=b >/dev/null
wait_for 30 running_is app=inside 2 doomed
k delete namespace doomed --timeout=60s >/dev/null
ns_gone() { ! k get namespace doomed >/dev/null 2>&1; }
wait_for 30 ns_gone
out=$(must_fail k get namespace doomed)
expect_contains "$out" 'namespaces "doomed" not found' "get of the deleted namespace"
expect_eq "$(k get pods,rs,deploy,configmaps -n doomed --no-headers 2>/dev/null | wc -l)" 0 "objects left in doomed"

# ---- Pod garbage collection: terminated pods over --terminated-pod-gc-threshold (3 here) ----
# Pods no node can take, marked Failed through the status subresource as a kubelet would; the
# oldest go first (a second apart, as creation times are in seconds).
for i in 1 2 3 4 5; do
  k run "done-$i" --image=registry.k8s.io/pause:3.10 --restart=Never \
    --overrides='{"apiVersion": "v1", "spec": {"nodeSelector": {"nowhere": "true"}}}' >/dev/null
  k patch pod "done-$i" --subresource=status --type=merge -p '{"status": {"phase": "Failed"}}' >/dev/null
  sleep 1
done
done_pods() { k get pods -o name | grep '^pod/done-' | sort | tr '\n' ' '; }
gc_done() { [[ "$(done_pods)" == "pod/done-3 pod/done-4 pod/done-5 " ]]; }
wait_for 60 gc_done
k delete pods done-3 done-4 done-5 >/dev/null

# ---- A node stops: its pods are replaced on the others ----
# The API server gave the pods tolerations of 2 s for an unreachable or not-ready node.
k cordon a-0 >/dev/null
k cordon a-1 >/dev/null
k apply -f - >/dev/null <<'YAML'
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: survivor}
spec:
  replicas: 2
  selector: {matchLabels: {app: survivor}}
  template:
    metadata: {labels: {app: survivor}}
    spec:
      containers: [{name: app, image: registry.k8s.io/pause:3.10}]
YAML
wait_for 30 running_is app=survivor 2
expect_eq "$(k get pods -l app=survivor -o jsonpath='{.items[0].spec.tolerations[*].tolerationSeconds}')" \
  "2 2" "tolerations the API server added"

expect_eq "$(k get pods -l app=survivor -o jsonpath='{.items[*].spec.nodeName}')" "b-0 b-0" "nodes before the failure"
k uncordon a-0 >/dev/null
k uncordon a-1 >/dev/null
kill -TERM "${PID_OF[hollow-b]}"
wait "${PID_OF[hollow-b]}" 2>/dev/null || true
node_unknown() {
  [[ "$(k get node b-0 -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == Unknown ]]
}
wait_for 40 node_unknown
expect_contains "$(jp node b-0 '{.spec.taints[*].key}')" node.kubernetes.io/unreachable "taints of the lost node"
replaced() {
  local nodes
  nodes=$(k get pods -l app=survivor --field-selector status.phase=Running \
    -o jsonpath='{range .items[*]}{.spec.nodeName} {.metadata.deletionTimestamp}{"\n"}{end}' |
    awk 'NF == 1 {print $1}')
  [[ $(grep -c . <<<"$nodes") -eq 2 && "$nodes" != *b-0* ]]
}
wait_for 40 replaced

echo "PASS controllers_test"
