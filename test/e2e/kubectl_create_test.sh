#!/usr/bin/env bash
# kubectl's typed create subcommands, which kubectl 1.32+ sends as protobuf: each object must come
# out with the fields kubectl put in it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

start_server

expect_eq "$(k create namespace shop)" "namespace/shop created" "create namespace"
expect_eq "$(k get namespace shop -o jsonpath='{.status.phase}')" "Active" "namespace phase"
expect_eq "$(k create -n shop configmap settings --from-literal=mode=fast --from-literal=size=3)" "configmap/settings created" "create configmap"
expect_eq "$(k get -n shop cm settings -o jsonpath='{.data.mode}/{.data.size}')" "fast/3" "configmap data"
expect_eq "$(k create -n shop secret generic creds --from-literal=user=admin)" "secret/creds created" "create secret"
expect_eq "$(k get -n shop secret creds -o jsonpath='{.type} {.data.user}')" "Opaque YWRtaW4=" "secret data"
expect_eq "$(k create -n shop serviceaccount bot)" "serviceaccount/bot created" "create serviceaccount"
expect_eq "$(k create -n shop deployment web --image=nginx:1.25 --replicas=3 --port=8080)" "deployment.apps/web created" "create deployment"
expect_eq "$(k get -n shop deploy web -o jsonpath='{.spec.replicas} {.spec.selector.matchLabels.app} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}')" "3 web nginx:1.25 8080" "deployment fields"
expect_eq "$(k create -n shop service clusterip web --tcp=80:8080)" "service/web created" "create service"
expect_eq "$(k get -n shop svc web -o jsonpath='{.spec.ports[0].port}->{.spec.ports[0].targetPort} {.spec.selector.app}')" "80->8080 web" "service fields"
[[ "$(k get -n shop svc web -o jsonpath='{.spec.clusterIP}')" == 10.43.* ]] || fail "service cluster IP"
expect_eq "$(k create -n shop role reader --verb=get,list --resource=pods)" "role.rbac.authorization.k8s.io/reader created" "create role"
expect_eq "$(k get -n shop role reader -o jsonpath='{.rules[0].verbs}')" '["get","list"]' "role rules"
expect_eq "$(k create -n shop rolebinding read --role=reader --serviceaccount=shop:bot)" "rolebinding.rbac.authorization.k8s.io/read created" "create rolebinding"
expect_eq "$(k get -n shop rolebinding read -o jsonpath='{.roleRef.name} {.subjects[0].kind}/{.subjects[0].name}')" "reader ServiceAccount/bot" "rolebinding fields"
expect_eq "$(k create clusterrole viewer --verb=get --resource=nodes)" "clusterrole.rbac.authorization.k8s.io/viewer created" "create clusterrole"
expect_eq "$(k create -n shop quota small --hard=pods=10,requests.cpu=2)" "resourcequota/small created" "create quota"
expect_eq "$(k get -n shop quota small -o jsonpath='{.spec.hard.pods} {.spec.hard.requests\.cpu}')" "10 2" "quota fields"
out=$(must_fail k create namespace shop)
expect_eq "$out" 'Error from server (AlreadyExists): namespaces "shop" already exists' "namespace exists"
echo PASS
