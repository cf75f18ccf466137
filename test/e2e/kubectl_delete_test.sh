#!/usr/bin/env bash
# Deletion as Kubernetes does it: each propagation policy (Background removes at once; Foreground
# and Orphan leave the object with the garbage collector's finalizer until it is removed), graceful
# deletion of a pod bound to a node, and namespace termination.
set -euo pipefail
# API semantics only: the garbage collector and namespace controller would finish these deletions
# before the test looks (test/e2e/controllers_test.sh covers them).
E2E_COMMAND=apiserver
source "$(dirname "$0")/lib.sh"
DATA="$(dirname "$0")/testdata"

start_server
k apply -f "$DATA/app-v1.yaml" >/dev/null

expect_eq "$(k delete configmap settings)" 'configmap "settings" deleted' "delete"
out=$(must_fail k get configmap settings)
expect_eq "$out" 'Error from server (NotFound): configmaps "settings" not found' "gone"

# Background (kubectl's default): gone at once.
expect_eq "$(k delete deployment nginx)" 'deployment.apps "nginx" deleted' "background delete"
must_fail k get deployment nginx >/dev/null

for policy in foreground orphan; do
  k apply -f "$DATA/app-v1.yaml" >/dev/null
  finalizer=$([[ $policy == foreground ]] && echo foregroundDeletion || echo orphan)
  expect_eq "$(k delete deployment nginx --cascade=$policy --wait=false)" 'deployment.apps "nginx" deleted' "$policy delete"
  expect_eq "$(k get deploy nginx -o jsonpath='{.metadata.finalizers}')" "[\"$finalizer\"]" "$policy finalizer"
  [[ -n "$(k get deploy nginx -o jsonpath='{.metadata.deletionTimestamp}')" ]] || fail "$policy: no deletionTimestamp"
  # Removing the last finalizer lets the deletion finish (the garbage collector's job, later).
  k patch deployment nginx --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]' >/dev/null
  must_fail k get deployment nginx >/dev/null
done

# A pod bound to a node waits for its node to confirm; an unbound pod goes at once.
for p in bound unbound; do
  printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: %s\nspec:\n  containers:\n  - name: app\n    image: nginx\n' "$p" | k create -f - >/dev/null
done
printf '{"apiVersion":"v1","kind":"Binding","metadata":{"name":"bound"},"target":{"kind":"Node","name":"node-1"}}' >"$E2E_TMP/binding.json"
k create --raw /api/v1/namespaces/default/pods/bound/binding -f "$E2E_TMP/binding.json" >/dev/null
expect_eq "$(k get pod bound -o jsonpath='{.spec.nodeName}')" "node-1" "bound"
out=$(must_fail k create --raw /api/v1/namespaces/default/pods/bound/binding -f "$E2E_TMP/binding.json")
expect_contains "$out" 'Operation cannot be fulfilled on pods/binding "bound": pod bound is already assigned to node "node-1"' "bind twice"
expect_eq "$(k delete pod unbound)" 'pod "unbound" deleted' "unbound pod"
must_fail k get pod unbound >/dev/null
expect_eq "$(k delete pod bound --wait=false)" 'pod "bound" deleted' "graceful delete"
expect_eq "$(k get pod bound -o jsonpath='{.metadata.deletionGracePeriodSeconds}')" "30" "grace period"
k delete pod bound --grace-period=0 --force >/dev/null 2>&1
must_fail k get pod bound >/dev/null

# Namespaces: termination, and the ones that may not go.
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: doomed\n' | k create -f - >/dev/null
expect_eq "$(k delete namespace doomed --wait=false)" 'namespace "doomed" deleted' "delete namespace"
expect_eq "$(k get namespace doomed -o jsonpath='{.status.phase}')" "Terminating" "terminating"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\n' >"$E2E_TMP/late.yaml"
out=$(must_fail k create -n doomed -f "$E2E_TMP/late.yaml")
expect_contains "$out" 'Error from server (Forbidden): error when creating' "terminating namespace"
expect_contains "$out" 'configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated' "terminating namespace message"
out=$(must_fail k delete namespace default)
expect_eq "$out" 'Error from server (Forbidden): namespaces "default" is forbidden: this namespace may not be deleted' "immortal namespace"
out=$(must_fail k create -n nowhere -f "$E2E_TMP/late.yaml")
expect_contains "$out" 'namespaces "nowhere" not found' "missing namespace"
echo PASS
