#!/usr/bin/env bash
# Changing live objects with kubectl: label, annotate, the three patch types, scale, and a
# `kubectl get -w` that sees a later change.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
DATA="$(dirname "$0")/testdata"

start_server
k apply -f "$DATA/app-v1.yaml" >/dev/null

expect_eq "$(k label deployment nginx tier=web --overwrite)" "deployment.apps/nginx labeled" "label"
expect_eq "$(k get deploy nginx -o jsonpath='{.metadata.labels.tier}')" "web" "label value"
expect_eq "$(k label deployment nginx tier-)" "deployment.apps/nginx unlabeled" "unlabel"
expect_eq "$(k get deploy nginx -o jsonpath='{.metadata.labels.tier}')" "" "label removed"
expect_eq "$(k annotate deployment nginx note=hello)" "deployment.apps/nginx annotated" "annotate"
expect_eq "$(k get deploy nginx -o jsonpath='{.metadata.annotations.note}')" "hello" "annotation"

# Strategic merge (kubectl's default): the container is merged by name, its ports kept.
out=$(k patch deployment nginx -p '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}')
expect_eq "$out" "deployment.apps/nginx patched" "strategic merge patch"
expect_eq "$(k get deploy nginx -o jsonpath='{.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}')" "nginx:1.27 80" "merged by name"
# JSON merge patch: null removes.
out=$(k patch deployment nginx --type=merge -p '{"metadata":{"annotations":{"note":null}}}')
expect_eq "$out" "deployment.apps/nginx patched" "merge patch"
expect_eq "$(k get deploy nginx -o jsonpath='{.metadata.annotations.note}')" "" "annotation removed"
# JSON patch.
out=$(k patch deployment nginx --type=json -p '[{"op":"replace","path":"/spec/replicas","value":4}]')
expect_eq "$out" "deployment.apps/nginx patched" "json patch"
expect_eq "$(k get deploy nginx -o jsonpath='{.spec.replicas}')" "4" "json patch value"
rv=$(k get deploy nginx -o jsonpath='{.metadata.resourceVersion}')
out=$(k patch deployment nginx --type=merge -p '{"spec":{"replicas":4}}')
expect_eq "$out" "deployment.apps/nginx patched (no change)" "no-op patch"
expect_eq "$(k get deploy nginx -o jsonpath='{.metadata.resourceVersion}')" "$rv" "no-op keeps resourceVersion"
out=$(must_fail k patch deployment nginx --type=json -p '[{"op":"test","path":"/spec/replicas","value":9}]')
expect_eq "$out" "The request is invalid: the server rejected our request due to an error in our request" "failed json patch test"

# scale goes through the scale subresource.
expect_eq "$(k scale deployment nginx --replicas=7)" "deployment.apps/nginx scaled" "scale"
expect_eq "$(k get deploy nginx -o jsonpath='{.spec.replicas}')" "7" "scaled replicas"
scale=$(k get --raw /apis/apps/v1/namespaces/default/deployments/nginx/scale)
expect_contains "$scale" '"kind":"Scale"' "scale kind"
expect_contains "$scale" '"selector":"app=nginx"' "scale selector"
out=$(must_fail k scale deployment nginx --replicas=-1)
expect_contains "$out" "replicas" "negative scale refused"

# describe, edit (through an EDITOR script), api-resources and explain.
out=$(k describe deployment nginx)
expect_contains "$out" "Name:                   nginx" "describe name"
expect_contains "$out" "Replicas:               7 desired" "describe replicas"
printf '#!/bin/sh\nsed -i "s/replicas: 7/replicas: 2/" "$1"\n' >"$E2E_TMP/editor.sh"
chmod +x "$E2E_TMP/editor.sh"
expect_eq "$(EDITOR="$E2E_TMP/editor.sh" k edit deployment nginx)" "deployment.apps/nginx edited" "edit"
expect_eq "$(k get deploy nginx -o jsonpath='{.spec.replicas}')" "2" "edited replicas"
out=$(k api-resources)
expect_contains "$out" "deployments" "api-resources"
expect_contains "$out" "apps/v1" "api-resources group"
out=$(k explain deployment.spec.replicas)
expect_contains "$out" "FIELD: replicas <integer>" "explain"

# get -w prints the list, then the changes it is told about.
k get configmaps -w --output-watch-events >"$E2E_TMP/watch.out" 2>&1 &
watch_pid=$!
wait_for 20 grep -q settings "$E2E_TMP/watch.out"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: late\ndata:\n  a: b\n' >"$E2E_TMP/late.yaml"
k create -f "$E2E_TMP/late.yaml" >/dev/null
k label configmap late seen=yes >/dev/null
k delete configmap late >/dev/null
wait_for 20 grep -q "DELETED" "$E2E_TMP/watch.out"
kill "$watch_pid" 2>/dev/null || true
wait "$watch_pid" 2>/dev/null || true
out=$(cat "$E2E_TMP/watch.out")
expect_contains "$out" "ADDED      settings" "watch initial"
expect_contains "$out" "ADDED      late" "watch added"
expect_contains "$out" "MODIFIED   late" "watch modified"
expect_contains "$out" "DELETED    late" "watch deleted"
echo PASS
