#!/usr/bin/env bash
# kubectl apply in all its forms against bosun: a namespace, a multi-document manifest, a changed
# re-apply (client-side, strategic merge patch), server-side apply with a conflict, and every
# `kubectl get` output kubectl users rely on. kubectl 1.27 (protobuf OpenAPI v2) applies too.
set -euo pipefail
# API semantics only: the deployment controller also writes annotations, which bump a
# Deployment's generation.
E2E_COMMAND=apiserver
source "$(dirname "$0")/lib.sh"
DATA="$(dirname "$0")/testdata"

start_server

expect_eq "$(k create namespace shop)" "namespace/shop created" "create namespace"
out=$(k apply -n shop -f "$DATA/app-v1.yaml")
expect_eq "$out" $'deployment.apps/nginx created\nservice/nginx created\nconfigmap/settings created' "apply v1"

# Someone else labels the deployment; a client-side re-apply must keep that label.
k label -n shop deployment nginx owner=ops >/dev/null
gen1=$(k get -n shop deploy nginx -o jsonpath='{.metadata.generation}')
out=$(k apply -n shop -f "$DATA/app-v2.yaml")
expect_eq "$out" $'deployment.apps/nginx configured\nservice/nginx unchanged\nconfigmap/settings configured' "apply v2"
expect_eq "$(k get -n shop deploy nginx -o jsonpath='{.spec.replicas} {.spec.template.spec.containers[0].image}')" "3 nginx:1.26" "re-applied spec"
expect_eq "$(k get -n shop deploy nginx -o jsonpath='{range .spec.template.spec.containers[0].env[*]}{.name}={.value} {end}')" "MODE=slow EXTRA=1 " "env merged by name"
expect_eq "$(k get -n shop deploy nginx -o jsonpath='{.metadata.labels.owner}')" "ops" "foreign label kept"
gen2=$(k get -n shop deploy nginx -o jsonpath='{.metadata.generation}')
expect_eq "$gen2" "$((gen1 + 1))" "generation bumped once by the spec change"
expect_eq "$(k get -n shop cm settings -o jsonpath='{.data.mode}')" "slow" "configmap data"
# Applying the same file again changes nothing.
out=$(k apply -n shop -f "$DATA/app-v2.yaml")
expect_eq "$out" $'deployment.apps/nginx unchanged\nservice/nginx unchanged\nconfigmap/settings unchanged' "apply again"

# get: the default table, -o wide, yaml, jsonpath, all namespaces, labels and selectors.
out=$(k get -n shop deployments)
expect_contains "$out" "NAME    READY   UP-TO-DATE   AVAILABLE   AGE" "deployment table"
expect_contains "$out" "nginx   0/3     0            0" "deployment row"
out=$(k get -n shop deployments -o wide)
expect_contains "$out" "CONTAINERS   IMAGES       SELECTOR" "wide columns"
expect_contains "$out" "nginx        nginx:1.26   app=nginx" "wide row"
out=$(k get -n shop svc nginx)
expect_contains "$out" "ClusterIP   10.43." "service cluster IP"
out=$(k get -n shop svc nginx -o yaml)
expect_contains "$out" "kind: Service" "yaml"
expect_contains "$out" "  namespace: shop" "yaml namespace"
expect_contains "$out" "  - name: http" "yaml ports"
expect_eq "$(k get -n shop svc nginx -o jsonpath='{.spec.ports[0].port}/{.spec.ports[0].protocol}')" "80/TCP" "jsonpath defaults"
out=$(k get deployments -A)
expect_contains "$out" "NAMESPACE   NAME    READY" "-A header"
expect_contains "$out" "shop        nginx   0/3" "-A row"
out=$(k get -n shop configmaps --show-labels)
expect_contains "$out" "settings   1      " "configmap row"
expect_contains "$out" "env=prod,tier=backend" "--show-labels"
out=$(k get -n shop deploy,svc,cm -l 'env in (dev,prod),tier!=frontend' -o name)
expect_eq "$out" $'deployment.apps/nginx\nconfigmap/settings' "label selector"

# Server-side apply: a field another manager owns conflicts until forced.
k apply -n shop --server-side -f "$DATA/app-v2.yaml" >/dev/null
k scale -n shop deployment nginx --replicas=5 >/dev/null
out=$(must_fail k apply -n shop --server-side -f "$DATA/app-v2.yaml")
expect_contains "$out" "Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using apps/v1: .spec.replicas" "ssa conflict"
expect_contains "$out" ".spec.replicas" "ssa conflict field"
expect_eq "$(k get -n shop deploy nginx -o jsonpath='{.spec.replicas}')" "5" "conflict changed nothing"
k apply -n shop --server-side --force-conflicts -f "$DATA/app-v2.yaml" >/dev/null
expect_eq "$(k get -n shop deploy nginx -o jsonpath='{.spec.replicas}')" "3" "forced apply"

# kubectl 1.27 applies with its protobuf OpenAPI v2 validation.
out=$(k127 apply -n shop -f "$DATA/app-v1.yaml")
expect_contains "$out" "deployment.apps/nginx configured" "kubectl 1.27 apply"
expect_eq "$(k get -n shop deploy nginx -o jsonpath='{.spec.template.spec.containers[0].image}')" "nginx:1.25" "kubectl 1.27 applied"
echo PASS
