#!/usr/bin/env bash
# The first things a user does with kubectl: list namespaces, create a pod from a file, list pods,
# and see kubectl's usual error for a name that is taken.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

start_server

out=$(k get ns)
for ns in default kube-system kube-public kube-node-lease; do
  expect_contains "$out" "$ns" "kubectl get ns"
done
expect_contains "$out" "NAME" "kubectl get ns header"

cat >"$E2E_TMP/pod.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels:
    app: web
spec:
  containers:
  - name: app
    image: nginx:1.25
YAML
out=$(k create -f "$E2E_TMP/pod.yaml")
expect_eq "$out" "pod/web created" "kubectl create"

out=$(k get pods)
expect_contains "$out" "web" "kubectl get pods"
expect_eq "$(k get pods -o jsonpath='{.items[*].metadata.name}')" "web" "jsonpath"
expect_eq "$(k get pod web -o jsonpath='{.spec.containers[0].image}')" "nginx:1.25" "image"

out=$(must_fail k create -f "$E2E_TMP/pod.yaml")
expect_contains "$out" "Error from server (AlreadyExists): error when creating \"$E2E_TMP/pod.yaml\": pods \"web\" already exists" "create twice"

out=$(must_fail k get pod nope)
expect_eq "$out" 'Error from server (NotFound): pods "nope" not found' "get missing"

# kubectl 1.27 reads the same server.
out=$(k127 get pods -o name)
expect_eq "$out" "pod/web" "kubectl 1.27 get pods"
echo PASS
