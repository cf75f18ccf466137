#!/usr/bin/env bash
# kubectl port-forward over SPDY/3.1 (portforward.k8s.io): the API server bridges kubectl's
# error/data stream pairs to the agent, which connects to the port inside the pod's network
# namespace. A busybox httpd pod is fetched through `kubectl port-forward pod/web LOCAL:80` with
# kubectl 1.27 (SPDY only) and 1.33 (its WebSocket tunnel is refused, so it falls back to SPDY),
# several connections through one forward, and a port nothing listens on reports the kubelet's
# "error forwarding port" message while the forward keeps running.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
agent_test_start e2e-pf
running() {
  [[ -n "$(k get pod "$1" -o jsonpath="{.status.containerStatuses[0].state.running.startedAt}")" ]]
}

k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: httpd
    image: $IMAGE
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'mkdir -p /www && echo hello-from-pod > /www/index.html && head -c 100000 /dev/zero > /www/big && exec httpd -f -p 80 -h /www']
YAML
wait_for 60 running web

# A free local port: the kernel picks one, we release it and hand it to kubectl.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PF_PID=""
stop_forward() {
  if [[ -n "$PF_PID" ]]; then
    kill "$PF_PID" 2>/dev/null || true
    wait "$PF_PID" 2>/dev/null || true
    PF_PID=""
  fi
}
trap 'rc=$?; set +e; stop_forward; (exit $rc); e2e_cleanup' EXIT
forwarding() { grep -q "Forwarding from 127.0.0.1" "$1"; }

for v in 1.27 1.33; do
  kc="$KUBECTL_DIR/kubectl.$v"
  [[ -x "$kc" ]] || fail "no kubectl $v at $kc"
  port=$(free_port)
  "$kc" port-forward pod/web "$port:80" >"$E2E_TMP/pf-$v.out" 2>&1 &
  PF_PID=$!
  wait_for 20 forwarding "$E2E_TMP/pf-$v.out"
  expect_eq "$(curl -s --max-time 10 "http://127.0.0.1:$port/")" "hello-from-pod" "port-forward GET ($v)"
  expect_eq "$(curl -s --max-time 10 "http://127.0.0.1:$port/big" | wc -c)" "100000" "port-forward 100 kB ($v)"
  for i in 1 2 3; do
    expect_eq "$(curl -s --max-time 10 "http://127.0.0.1:$port/")" "hello-from-pod" "port-forward again $i ($v)"
  done
  kill -0 "$PF_PID" || fail "kubectl $v port-forward exited: $(cat "$E2E_TMP/pf-$v.out")"
  stop_forward
done

# Nothing listens on 81: the connection fails and kubectl reports the kubelet's message.
port=$(free_port)
"$KUBECTL_DIR/kubectl.1.27" port-forward pod/web "$port:81" >"$E2E_TMP/pf-81.out" 2>&1 &
PF_PID=$!
wait_for 20 forwarding "$E2E_TMP/pf-81.out"
curl -s --max-time 10 "http://127.0.0.1:$port/" >/dev/null || true
sleep 1
expect_contains "$(cat "$E2E_TMP/pf-81.out")" "error forwarding port 81 to pod web_default" "port-forward to a closed port"
stop_forward

echo PASS
