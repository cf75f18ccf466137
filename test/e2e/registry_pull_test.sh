#!/usr/bin/env bash
# Pods whose image comes from a real registry: Debian's docker-registry (installed when missing)
# on 127.0.0.1 with a free port and a temporary storage directory, an image built from
# busybox-static pushed to it with curl (the registry HTTP API V2: blob uploads, then the
# manifest), and `bosun server --insecure-registry` for plain HTTP. `kubectl run
# --image-pull-policy=Always` pulls and runs it (Running, its output in `kubectl logs`, Pulling
# and Pulled events, imageID the pushed manifest's digest); a tag the registry does not have gives
# ErrImagePull, then ImagePullBackOff, in `kubectl get pod`. The registry is stopped and its files
# removed on any exit.
set -euo pipefail
if [[ $(id -u) -ne 0 ]]; then
  echo "SKIP: registry_pull_test needs root (runc, mounts, cgroups)"
  exit 0
fi
if ! command -v runc >/dev/null; then
  echo "SKIP: registry_pull_test needs runc"
  exit 0
fi
E2E_AGENT=1
source "$(dirname "$0")/lib.sh"
if ! e2e_apt_install docker-registry "$REGISTRY_BIN"; then
  echo "SKIP: registry_pull_test needs Debian's docker-registry, which could not be installed"
  exit 0
fi
if ! "$BOSUN" server --help 2>/dev/null | grep -- --disable-agent >/dev/null; then
  echo "SKIP: this bosun runs no local agent"
  exit 0
fi

# lib.sh's cleanup stops the registry and removes $E2E_TMP (the registry's storage with it).
registry_start
DIGEST=$(registry_push_image busybox 1)
[[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/busybox/manifests/1")" == 200 ]] ||
  fail "the pushed image is not in the registry"

NODE=e2e-registry
start_server --node-name "$NODE" --insecure-registry "$REGISTRY"
node_ready() {
  [[ "$(k get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}
wait_for 30 node_ready

jp() { k get pod "$1" -o jsonpath="$2"; }
running() { [[ -n "$(jp "$1" '{.status.containerStatuses[0].state.running.startedAt}')" ]]; }
logs_contain() { [[ "$(k logs "$1")" == *"$2"* ]]; }
gone() { ! k get pod "$1" >/dev/null 2>&1; }
event_reasons() {
  k get events --field-selector "involvedObject.name=$1" -o jsonpath='{range .items[*]}{.reason}{"\n"}{end}'
}
has_event() { event_reasons "$1" | grep -qx "$2"; }

# A pull from the registry, then the container runs.
IMAGE="$REGISTRY/busybox:1"
k run pulled --image="$IMAGE" --image-pull-policy=Always --restart=Never -- \
  sh -c 'echo pulled-and-running; exec sleep 3600' >/dev/null
wait_for 90 running pulled
expect_eq "$(jp pulled '{.status.phase}')" Running "phase of the pulled pod"
wait_for 20 logs_contain pulled pulled-and-running
wait_for 20 has_event pulled Pulling
wait_for 20 has_event pulled Pulled
messages=$(k get events --field-selector involvedObject.name=pulled -o jsonpath='{range .items[*]}{.message}{"\n"}{end}')
expect_contains "$messages" "Pulling image \"$IMAGE\"" "Pulling event"
expect_contains "$messages" "Successfully pulled image \"$IMAGE\"" "Pulled event"
expect_eq "$(jp pulled '{.status.containerStatuses[0].imageID}')" "$REGISTRY/busybox@$DIGEST" \
  "imageID of the pulled container"

# A tag the registry does not have: ErrImagePull, then the kubelet's back-off, as a watch of
# `kubectl get pod` shows them.
timeout 120 "$KUBECTL" get pods -l run=missing -w --no-headers >"$E2E_TMP/missing.watch" 2>&1 &
WATCH_PID=$!
k run missing --image="$REGISTRY/busybox:nope" --image-pull-policy=Always --restart=Never \
  >/dev/null
watched() { grep -q "$1" "$E2E_TMP/missing.watch"; }
wait_for 60 watched ErrImagePull
wait_for 60 watched ImagePullBackOff
kill "$WATCH_PID" 2>/dev/null || true
wait "$WATCH_PID" 2>/dev/null || true
statuses=$(awk '{print $3}' "$E2E_TMP/missing.watch" | uniq | tr '\n' ' ')
[[ "$statuses" == *"ErrImagePull ImagePullBackOff"* ]] ||
  fail "kubectl get pod -w: expected ErrImagePull then ImagePullBackOff, got [$statuses]"
wait_for 20 has_event missing Failed
wait_for 20 has_event missing BackOff
messages=$(k get events --field-selector involvedObject.name=missing -o jsonpath='{range .items[*]}{.message}{"\n"}{end}')
expect_contains "$messages" "Failed to pull image \"$REGISTRY/busybox:nope\"" "Failed event"
expect_eq "$(jp missing '{.status.phase}')" Pending "phase of the pod without its image"

k delete pod pulled missing --grace-period=1 >/dev/null
wait_for 60 gone pulled
wait_for 60 gone missing
for _ in $(seq 100); do
  [[ -z "$(ls "$E2E_TMP/data/run/containers" 2>/dev/null; ls "$E2E_TMP/data/containers" 2>/dev/null)" && -z "$(ls "$E2E_TMP/data/run/sandboxes" 2>/dev/null)" ]] && break
  sleep 0.2
done
agent_assert_clean
registry_stop

echo PASS
