# Shared helpers of the end-to-end tests: start `bosun server` on a free port in a temporary
# directory, drive it with the real kubectl, and clean up (server process and directory) on any
# exit, failures included. Source it from a test script run by bash with `set -euo pipefail`.

BOSUN=${BOSUN:?BOSUN must name the bosun binary}
E2E_TMP=$(mktemp -d /tmp/bosun-e2e.XXXXXX)
E2E_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_SERVER_PID=""
E2E_FAILED=0

# E2E_AGENT=1 before start_server runs the server's local agent (root and runc needed); by default
# the server runs without one, so a test's pods never start real containers.
E2E_AGENT=${E2E_AGENT:-0}
# E2E_COMMAND=apiserver runs the API server alone (no scheduler, controllers or agent), for tests of
# API semantics that controllers would race with (finalizers, generations, namespace phases).
E2E_COMMAND=${E2E_COMMAND:-server}

e2e_cleanup() {
  local rc=$?
  registry_stop
  if [[ -n "$E2E_SERVER_PID" ]] && kill -0 "$E2E_SERVER_PID" 2>/dev/null; then
    kill -TERM "$E2E_SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$E2E_SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$E2E_SERVER_PID" 2>/dev/null || true
    wait "$E2E_SERVER_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 || $E2E_FAILED -ne 0 ]]; then
    # The server logs to stdout (server.out); stderr (server.log) has what it prints on failure.
    echo "---- server log (last 60 lines) ----" >&2
    tail -n 60 "$E2E_TMP/server.out" "$E2E_TMP/server.log" >&2 2>/dev/null || true
  fi
  # Also when a test ran an agent without saying so: its state tmpfs would outlive the directory.
  if ((E2E_AGENT)) || grep -q " $E2E_TMP/" /proc/self/mountinfo; then agent_leftovers_cleanup; fi
  rm -rf "$E2E_TMP"
}

# What a stopped agent leaves on purpose (running containers, for re-adoption) or by failure:
# containers, overlay and namespace mounts under the data dir, pod cgroups. Best effort, after the
# server is gone; tests that want to prove a clean teardown check with agent_assert_clean first.
agent_leftovers_cleanup() {
  "$E2E_ROOT/scripts/agent-cleanup.sh" "$E2E_TMP/data" "$E2E_TMP"
}

# agent_assert_clean: no runc container, mount or sandbox left for the test's data dir (call it
# after deleting every pod and waiting for them to go).
agent_assert_clean() {
  local left
  left=$(runc --root "$E2E_TMP/data/run/runc" list -q 2>/dev/null || true)
  [[ -z "$left" ]] || fail "runc containers left: $left"
  # The agent's state tmpfs (data/run) stays while it runs; nothing may be mounted inside it.
  left=$(awk -v p="$E2E_TMP/" -v st="$E2E_TMP/data/run" 'index($5, p) == 1 && $5 != st {print $5}' \
    /proc/self/mountinfo)
  [[ -z "$left" ]] || fail "mounts left: $left"
  left=$(ls "$E2E_TMP/data/run/sandboxes" 2>/dev/null || true)
  [[ -z "$left" ]] || fail "sandboxes left: $left"
  left=$(ls "$E2E_TMP/data/run/containers" 2>/dev/null; ls "$E2E_TMP/data/containers" 2>/dev/null || true)
  [[ -z "$left" ]] || fail "container bundles left: $left"
  # Pod directories (volumes, termination messages) and log directories go with their pods.
  left=$(ls "$E2E_TMP/data/pods" 2>/dev/null || true)
  [[ -z "$left" ]] || fail "pod directories left: $left"
}
trap e2e_cleanup EXIT

# kubectl's discovery cache and config stay inside the test's directory.
export HOME="$E2E_TMP/home"
mkdir -p "$HOME"
export KUBECONFIG="$E2E_TMP/data/kubeconfig"

# The kubectl versions: the dispatcher on PATH (picks 1.33 from /version) and 1.27 beside it.
KUBECTL=${KUBECTL:-kubectl}
KUBECTL_DIR=$(dirname "$(readlink -f "$(command -v kubectl)")")
KUBECTL_127="$KUBECTL_DIR/kubectl.1.27"

# start_server [extra flags...]: serves on 127.0.0.1 with a port the kernel picks; waits until
# kubectl can talk to it.
start_server() {
  mkdir -p "$E2E_TMP/data"
  local agent=()
  # grep reads all of the help: with pipefail, grep -q exiting early would SIGPIPE bosun.
  if [[ $E2E_COMMAND == server ]] && ((!E2E_AGENT)) &&
    "$BOSUN" server --help 2>/dev/null | grep -- --disable-agent >/dev/null; then
    agent=(--disable-agent)
  fi
  "$BOSUN" "$E2E_COMMAND" --data-dir "$E2E_TMP/data" --listen 127.0.0.1:0 "${agent[@]}" "$@" \
    >"$E2E_TMP/server.out" 2>"$E2E_TMP/server.log" &
  E2E_SERVER_PID=$!
  for _ in $(seq 200); do
    if grep -q "is serving on" "$E2E_TMP/server.out" 2>/dev/null; then break; fi
    if ! kill -0 "$E2E_SERVER_PID" 2>/dev/null; then
      echo "bosun server exited early" >&2
      cat "$E2E_TMP/server.log" >&2
      return 1
    fi
    sleep 0.05
  done
  E2E_URL=$(sed -n 's/.*is serving on \(https:[^ ]*\).*/\1/p' "$E2E_TMP/server.out" | head -1)
  [[ -n "$E2E_URL" ]] || { echo "no URL from bosun server" >&2; return 1; }
}

stop_server() {
  kill -TERM "$E2E_SERVER_PID"
  wait "$E2E_SERVER_PID" || true
  E2E_SERVER_PID=""
}

k() { "$KUBECTL" --request-timeout=20s "$@"; }
k127() { "$KUBECTL_127" --request-timeout=20s "$@"; }

fail() {
  echo "FAIL: $*" >&2
  E2E_FAILED=1
  exit 1
}

# expect_eq ACTUAL EXPECTED [what]
expect_eq() {
  if [[ "$1" != "$2" ]]; then
    fail "${3:-value}: expected [$2], got [$1]"
  fi
}

# expect_contains HAYSTACK NEEDLE [what]
expect_contains() {
  if [[ "$1" != *"$2"* ]]; then
    fail "${3:-output}: expected to contain [$2], got [$1]"
  fi
}

expect_not_contains() {
  if [[ "$1" == *"$2"* ]]; then
    fail "${3:-output}: expected not to contain [$2], got [$1]"
  fi
}

# must_fail CMD...: runs CMD, which must exit non-zero; prints its combined output.
must_fail() {
  local out
  if out=$("$@" 2>&1); then
    fail "expected failure from: $* (output: $out)"
  fi
  printf '%s' "$out"
}

# wait_for SECONDS CMD...: retries CMD until it succeeds.
wait_for() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then fail "timed out waiting for: $*"; fi
    sleep 0.1
  done
}

# e2e_apt_install PACKAGE FILE: installs the Debian package (as scripts/deps.sh does) unless FILE
# already exists; false when FILE is still missing, for the caller's SKIP.
e2e_apt_install() {
  if [[ ! -e $2 ]]; then
    { apt-get install -y -qq --no-install-recommends "$1" ||
      { apt-get update -qq && apt-get install -y -qq --no-install-recommends "$1"; }; } \
      >/dev/null 2>&1 || true
  fi
  [[ -e $2 ]]
}

# ---- a local registry: Debian's docker-registry (the CNCF distribution registry) ----

REGISTRY_BIN=/usr/bin/docker-registry
REGISTRY_PID=""
REGISTRY=""          # host:port once registry_start has run
REGISTRY_CURL_AUTH=() # curl's credentials for pushes to a registry with htpasswd auth

# registry_start [USER PASSWORD]: serves on 127.0.0.1 with a free port, its storage under
# $E2E_TMP/registry; with USER and PASSWORD, behind htpasswd basic auth (bcrypt entries, which is
# all the registry accepts; htpasswd from apache2-utils). Sets REGISTRY and waits until /v2/
# answers. e2e_cleanup stops it.
registry_start() {
  local dir="$E2E_TMP/registry" auth=""
  mkdir -p "$dir/data"
  REGISTRY="127.0.0.1:$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  if (($# == 2)); then
    htpasswd -Bbn "$1" "$2" >"$dir/htpasswd" || fail "htpasswd -B for the registry"
    auth=$(printf 'auth:\n  htpasswd:\n    realm: bosun-e2e\n    path: %s\n' "$dir/htpasswd")
    REGISTRY_CURL_AUTH=(-u "$1:$2")
  fi
  cat >"$dir/config.yml" <<YAML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
http:
  addr: $REGISTRY
$auth
YAML
  "$REGISTRY_BIN" serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  REGISTRY_PID=$!
  wait_for 20 registry_up
}

# The API version check answers 200 with the right credentials (401 without, under auth).
registry_up() {
  [[ "$(registry_curl -s -o /dev/null -w '%{http_code}' "http://$REGISTRY/v2/")" == 200 ]]
}

registry_curl() { curl "${REGISTRY_CURL_AUTH[@]}" "$@"; }

registry_stop() {
  if [[ -n "$REGISTRY_PID" ]] && kill -0 "$REGISTRY_PID" 2>/dev/null; then
    kill -TERM "$REGISTRY_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$REGISTRY_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$REGISTRY_PID" 2>/dev/null || true
    wait "$REGISTRY_PID" 2>/dev/null || true
  fi
  REGISTRY_PID=""
}

# registry_push_blob REPO FILE: a monolithic upload (POST for the session, PUT with the digest).
registry_push_blob() {
  local repo=$1 file=$2 digest location
  digest="sha256:$(sha256sum "$file" | cut -d' ' -f1)"
  location=$(registry_curl -sf -X POST -D - -o /dev/null "http://$REGISTRY/v2/$repo/blobs/uploads/" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  [[ -n "$location" ]] || fail "no upload location for $repo"
  [[ "$location" == http* ]] || location="http://$REGISTRY$location"
  [[ "$location" == *\?* ]] && location="$location&digest=$digest" || location="$location?digest=$digest"
  registry_curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$file" \
    "$location" >/dev/null || fail "blob upload of $file to $repo"
}

# registry_push_image REPO TAG: the busybox-static test image (scripts/make-test-image.sh) as a
# Docker schema 2 manifest with one gzip layer. Prints the manifest's digest.
registry_push_image() {
  local repo=$1 tag=$2 work="$E2E_TMP/push" config layer manifest
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  rm -rf "$work"
  mkdir -p "$work/image"
  "$root/scripts/make-test-image.sh" "$work/image.tar" "$repo:$tag" >/dev/null
  tar -xf "$work/image.tar" -C "$work/image"
  config="$work/image/$(sed -n 's/.*"Config":"\([^"]*\)".*/\1/p' "$work/image/manifest.json")"
  layer="$work/image/$(sed -n 's/.*"Layers":\["\([^"]*\)".*/\1/p' "$work/image/manifest.json")"
  gzip -n -c "$layer" >"$work/layer.tar.gz"
  registry_push_blob "$repo" "$config"
  registry_push_blob "$repo" "$work/layer.tar.gz"
  manifest="$work/manifest.json"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":%d,"digest":"sha256:%s"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%d,"digest":"sha256:%s"}]}' \
    "$(stat -c %s "$config")" "$(sha256sum "$config" | cut -d' ' -f1)" \
    "$(stat -c %s "$work/layer.tar.gz")" "$(sha256sum "$work/layer.tar.gz" | cut -d' ' -f1)" \
    >"$manifest"
  registry_curl -sf -X PUT -H 'Content-Type: application/vnd.docker.distribution.manifest.v2+json' \
    --data-binary "@$manifest" "http://$REGISTRY/v2/$repo/manifests/$tag" >/dev/null ||
    fail "manifest upload of $repo:$tag"
  echo "sha256:$(sha256sum "$manifest" | cut -d' ' -f1)"
}

# agent_test_start NODE: the set-up every test of the local agent shares. Skips the test (exit 0)
# without root, runc or a bosun that runs a local agent; builds the busybox test image as $IMAGE
# (busybox:e2e: a tag other than latest, so imagePullPolicy defaults to IfNotPresent and no registry
# is needed) and imports it; starts the server with its agent as Node NODE and waits until it is Ready.
agent_test_start() {
  local name
  name=$(basename "$0" .sh)
  if [[ $(id -u) -ne 0 ]]; then
    echo "SKIP: $name needs root (runc, mounts, cgroups)"
    exit 0
  fi
  if ! command -v runc >/dev/null; then
    echo "SKIP: $name needs runc"
    exit 0
  fi
  if ! "$BOSUN" server --help 2>/dev/null | grep -- --disable-agent >/dev/null; then
    echo "SKIP: this bosun runs no local agent"
    exit 0
  fi
  E2E_AGENT=1
  IMAGE=busybox:e2e
  "$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/scripts/make-test-image.sh" "$E2E_TMP/busybox.tar" \
    "$IMAGE" >/dev/null
  mkdir -p "$E2E_TMP/data"
  "$BOSUN" image import "$E2E_TMP/busybox.tar" --data-dir "$E2E_TMP/data" >/dev/null
  NODE=$1
  start_server --node-name "$NODE"
  wait_for 30 node_ready
}
node_ready() {
  [[ "$(k get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" == True ]]
}
