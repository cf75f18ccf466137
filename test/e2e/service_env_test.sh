#!/usr/bin/env bash
# Service environment variables on a real agent: a container's environment has the `kubernetes`
# service's KUBERNETES_SERVICE_HOST/PORT (always) and, with enableServiceLinks (the default), the
# variables of each service of its namespace that has a cluster IP (not a headless one), in the
# kubelet's names; an explicit env entry wins; enableServiceLinks: false leaves only the
# `kubernetes` service's.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
agent_test_start e2e-svcenv

k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Service
metadata: {name: web-front}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 8080, protocol: TCP}
  - {name: metrics, port: 9100, protocol: UDP}
---
apiVersion: v1
kind: Service
metadata: {name: headless}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{port: 80}]
YAML
ip=$(k get service web-front -o jsonpath='{.spec.clusterIP}')
[[ "$ip" =~ ^[0-9.]+$ ]] || fail "web-front has no cluster IP: [$ip]"
kip=$(k get service kubernetes -n default -o jsonpath='{.spec.clusterIP}')

pod() {
  cat <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1}
spec:
  enableServiceLinks: $2
  restartPolicy: Never
  containers:
  - name: c
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'env | sort']
    env:
    - {name: WEB_FRONT_SERVICE_PORT_HTTP, value: mine}
    - {name: API, value: 'https://\$(KUBERNETES_SERVICE_HOST):\$(KUBERNETES_SERVICE_PORT)'}
YAML
}
{ pod links true; echo ---; pod nolinks false; } | k apply -f - >/dev/null
succeeded() { [[ "$(k get pod "$1" -o jsonpath='{.status.phase}')" == Succeeded ]]; }
wait_for 60 succeeded links
wait_for 60 succeeded nolinks

out=$(k logs links)
expect_contains "$out" "KUBERNETES_SERVICE_HOST=$kip"
expect_contains "$out" "KUBERNETES_SERVICE_PORT=443"
expect_contains "$out" "KUBERNETES_SERVICE_PORT_HTTPS=443"
expect_contains "$out" "KUBERNETES_PORT=tcp://$kip:443"
expect_contains "$out" "API=https://$kip:443"
expect_contains "$out" "WEB_FRONT_SERVICE_HOST=$ip"
expect_contains "$out" "WEB_FRONT_SERVICE_PORT=8080"
expect_contains "$out" "WEB_FRONT_SERVICE_PORT_HTTP=mine"
expect_contains "$out" "WEB_FRONT_SERVICE_PORT_METRICS=9100"
expect_contains "$out" "WEB_FRONT_PORT=tcp://$ip:8080"
expect_contains "$out" "WEB_FRONT_PORT_8080_TCP=tcp://$ip:8080"
expect_contains "$out" "WEB_FRONT_PORT_8080_TCP_PROTO=tcp"
expect_contains "$out" "WEB_FRONT_PORT_8080_TCP_PORT=8080"
expect_contains "$out" "WEB_FRONT_PORT_8080_TCP_ADDR=$ip"
expect_contains "$out" "WEB_FRONT_PORT_9100_UDP=udp://$ip:9100"
expect_contains "$out" "WEB_FRONT_PORT_9100_UDP_PROTO=udp"
expect_not_contains "$out" "HEADLESS_"
expect_eq "$(echo "$out" | grep -c '^WEB_FRONT_SERVICE_PORT_HTTP=')" 1 "one WEB_FRONT_SERVICE_PORT_HTTP"

out=$(k logs nolinks)
expect_contains "$out" "KUBERNETES_SERVICE_HOST=$kip"
expect_not_contains "$out" "WEB_FRONT_SERVICE_HOST"
expect_contains "$out" "WEB_FRONT_SERVICE_PORT_HTTP=mine"

k delete pod links nolinks >/dev/null
k delete service web-front headless >/dev/null
echo "PASS: $(basename "$0" .sh)"
