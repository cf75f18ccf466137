#!/usr/bin/env bash
# Pulls from a registry that requires credentials: Debian's docker-registry behind htpasswd basic
# auth (bcrypt entries from apache2-utils' htpasswd; both installed when missing) on a free
# 127.0.0.1 port, the busybox-static test image pushed with curl and basic auth, and
# `bosun server --insecure-registry` for plain HTTP. A pod whose imagePullSecrets name a
# `kubectl create secret docker-registry` secret pulls with imagePullPolicy Always and runs (its
# output in `kubectl logs`); one that also names a secret that does not exist still runs, with the
# kubelet's FailedToRetrieveImagePullSecret event; a pod without a secret, and one whose secret has
# a wrong password, get ErrImagePull then ImagePullBackOff and a Failed event saying the pull was
# denied. The registry is stopped and its files removed on any exit (lib.sh's cleanup).
set -euo pipefail
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: registry_auth_test needs root (runc, mounts, cgroups)"
  exit 0
fi
if ! command -v runc >/dev/null; then
  echo "SKIP: registry_auth_test needs runc"
  exit 0
fi
E2E_AGENT=1
source "$(dirname "$0")/lib.sh"
if ! e2e_apt_install docker-registry "$REGISTRY_BIN"; then
  echo "SKIP: registry_auth_test needs Debian's docker-registry, which could not be installed"
  exit 0
fi
if ! e2e_apt_install apache2-utils /usr/bin/htpasswd; then
  echo "SKIP: registry_auth_test needs htpasswd (apache2-utils), which could not be installed"
  exit 0
fi
if ! "$BOSUN" server --help 2>/dev/null | grep -- --disable-agent >/dev/null; then
  echo "SKIP: this bosun runs no local agent"
  exit 0
fi

USER_NAME=puller
PASSWORD='s3cret-Pa55'
registry_start "$USER_NAME" "$PASSWORD"
DIGEST=$(registry_push_image private/busybox 1)
status_of() { curl -s -o /dev/null -w '%{http_code}' "$@" "http://$REGISTRY/v2/private/busybox/manifests/1"; }
expect_eq "$(status_of)" 401 "anonymous manifest GET from the registry"
expect_eq "$(status_of -u "$USER_NAME:$PASSWORD")" 200 "authorized manifest GET from the registry"

NODE=e2e-registry-auth
start_server --node-name "$NODE" --insecure-registry "$REGISTRY"
node_ready() {
  [[ "$(k get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}
wait_for 30 node_ready

k create secret docker-registry regcred --docker-server="$REGISTRY" \
  --docker-username="$USER_NAME" --docker-password="$PASSWORD" >/dev/null
k create secret docker-registry badcred --docker-server="$REGISTRY" \
  --docker-username="$USER_NAME" --docker-password="not-$PASSWORD" >/dev/null
expect_eq "$(k get secret regcred -o jsonpath='{.type}')" kubernetes.io/dockerconfigjson "secret type"

IMAGE="$REGISTRY/private/busybox:1"
# pod NAME SECRET...: a pod running the pushed image with imagePullPolicy Always.
pod() {
  local name=$1 secrets="" s
  shift
  for s in "$@"; do secrets+="{name: $s}, "; done
  k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $name
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  imagePullSecrets: [${secrets%, }]
  containers:
  - name: main
    image: $IMAGE
    imagePullPolicy: Always
    command: [sh, -c, 'echo pulled-with-credentials; exec sleep 3600']
YAML
}
jp() { k get pod "$1" -o jsonpath="$2"; }
running() { [[ -n "$(jp "$1" '{.status.containerStatuses[0].state.running.startedAt}')" ]]; }
logs_contain() { [[ "$(k logs "$1")" == *"$2"* ]]; }
watched() { awk -v n="$1" '$1 == n {print $3}' "$E2E_TMP/pods.watch" | grep -x "$2" >/dev/null; }
gone() { ! k get pod "$1" >/dev/null 2>&1; }
event_messages() {
  k get events --field-selector "involvedObject.name=$1" \
    -o jsonpath='{range .items[*]}{.reason}{": "}{.message}{"\n"}{end}'
}
has_event() { event_messages "$1" | grep -F -- "$2" >/dev/null; }

# ErrImagePull lasts only until the next sync puts the pod in back-off, so a watch (as a user's
# `kubectl get pod -w`) sees it, where polling may not.
timeout 150 "$KUBECTL" get pods -w --no-headers >"$E2E_TMP/pods.watch" 2>&1 &
WATCH_PID=$!
stop_watch() {
  kill "$WATCH_PID" 2>/dev/null || true
  wait "$WATCH_PID" 2>/dev/null || true
}
# The watch goes too on a failure; e2e_cleanup reads the exit status.
auth_cleanup() {
  local rc=$?
  # errexit would end the handler at `(exit $rc)` below, before e2e_cleanup stops the server.
  set +e
  stop_watch
  (exit $rc)
  e2e_cleanup
}
trap auth_cleanup EXIT
pod private regcred
pod missing-secret nosuch regcred
pod anonymous
pod wrong-password badcred

# With the secret: pulled with its credentials, then Running with its output.
wait_for 90 running private
expect_eq "$(jp private '{.status.phase}')" Running "phase of the pod with imagePullSecrets"
wait_for 20 logs_contain private pulled-with-credentials
wait_for 20 has_event private "Pulled: Successfully pulled image \"$IMAGE\""
expect_eq "$(jp private '{.status.containerStatuses[0].imageID}')" \
  "$REGISTRY/private/busybox@$DIGEST" "imageID of the pod with imagePullSecrets"

# A secret that does not exist is reported, and the pull goes on with the others (the kubelet's
# getPullSecretsForPod).
wait_for 60 running missing-secret
wait_for 20 has_event missing-secret "FailedToRetrieveImagePullSecret: Unable to retrieve some image pull secrets (nosuch); attempting to pull the image may not succeed."

# Without credentials, and with a wrong password: the registry's 401 is ErrImagePull, then the
# image back-off, and the Failed event says the pull was denied.
denied="pull access denied, repository does not exist or may require authorization"
for name in anonymous wrong-password; do
  wait_for 60 watched "$name" ErrImagePull
  wait_for 60 watched "$name" ImagePullBackOff
  statuses=$(awk -v n="$name" '$1 == n {print $3}' "$E2E_TMP/pods.watch" | uniq | tr '\n' ' ')
  [[ "$statuses" == *"ErrImagePull ImagePullBackOff"* ]] ||
    fail "kubectl get pod -w: expected ErrImagePull then ImagePullBackOff for $name, got [$statuses]"
  wait_for 20 has_event "$name" "Failed: Failed to pull image \"$IMAGE\": "
  wait_for 20 has_event "$name" "BackOff: Back-off pulling image \"$IMAGE\""
  messages=$(event_messages "$name")
  expect_contains "$messages" "$denied" "Failed event of $name"
  expect_contains "$messages" "Failed: Error: ErrImagePull" "Failed event of $name"
  expect_eq "$(jp "$name" '{.status.phase}')" Pending "phase of $name"
done
# containerd's words for a basic-auth challenge answered with no credentials, which the kubelet
# shows as they are.
expect_contains "$(event_messages anonymous)" "$denied: authorization failed: no basic auth credentials" \
  "Failed event of the pod without imagePullSecrets"

stop_watch
k delete pod private missing-secret anonymous wrong-password --grace-period=1 >/dev/null
for name in private missing-secret anonymous wrong-password; do wait_for 60 gone "$name"; done
for _ in $(seq 100); do
  [[ -z "$(ls "$E2E_TMP/data/run/containers" 2>/dev/null; ls "$E2E_TMP/data/containers" 2>/dev/null)" && -z "$(ls "$E2E_TMP/data/run/sandboxes" 2>/dev/null)" ]] && break
  sleep 0.2
done
agent_assert_clean
registry_stop

echo PASS
