#!/usr/bin/env bash
# The informer of @kubernetes/client-node (the JavaScript client, from npm) against bosun server:
# its initial list delivers `add` for the objects that exist, its watch delivers kubectl's
# creates, updates and deletes, and after a 410 Gone (a watch resumed from a resourceVersion the
# server no longer has, answered with an ERROR event of code 410, reason Expired, as Kubernetes'
# watch cache does) it lists again and keeps delivering. The client program is
# test/e2e/client-node/informer.mjs; its npm dependencies (pinned by package-lock.json) are
# installed once into ${BOSUN_NPM_CACHE:-~/.cache/bosun-npm}, outside the repository.
set -euo pipefail

# Before lib.sh, which points HOME at the test's temporary directory.
CLIENT_NODE_SRC=$(cd "$(dirname "$0")/client-node" && pwd)
NPM_ROOT=${BOSUN_NPM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/var/tmp}/.cache}/bosun-npm}

source "$(dirname "$0")/lib.sh"

NODE_PID=""
INFORMER_OUT="$E2E_TMP/informer.out"

client_node_cleanup() {
  if [[ -n "$NODE_PID" ]] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill -TERM "$NODE_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
  fi
}
dump_informer() {
  echo "---- informer output ----" >&2
  cat "$INFORMER_OUT" >&2 2>/dev/null || true
  echo "---- informer stderr ----" >&2
  tail -n 30 "$E2E_TMP/informer.err" >&2 2>/dev/null || true
}
# lib.sh's e2e_cleanup reads the exit status first, so it gets it back after the node process is
# gone.
trap 'client_node_rc=$?; client_node_cleanup; set +e;
      if [[ $client_node_rc -ne 0 || $E2E_FAILED -ne 0 ]]; then dump_informer; fi;
      (exit $client_node_rc); e2e_cleanup' EXIT

command -v node >/dev/null || fail "node is not installed (the test needs Node.js 20 and npm)"
command -v npm >/dev/null || fail "npm is not installed"

# npm ci once per package-lock.json; concurrent runs wait for the first one's install.
install_client_node() {
  local hash deps
  hash=$(sha256sum "$CLIENT_NODE_SRC/package-lock.json" | cut -c1-16)
  deps="$NPM_ROOT/client-node-$hash"
  mkdir -p "$NPM_ROOT"
  (
    flock 9
    if [[ ! -f "$deps/.installed" ]]; then
      rm -rf "$deps.partial"
      mkdir -p "$deps.partial"
      cp "$CLIENT_NODE_SRC/package.json" "$CLIENT_NODE_SRC/package-lock.json" "$deps.partial/"
      if ! (cd "$deps.partial" && npm ci --no-audit --no-fund --no-update-notifier \
        --cache "$NPM_ROOT/_cacache" >"$E2E_TMP/npm.log" 2>&1); then
        cat "$E2E_TMP/npm.log" >&2
        exit 1
      fi
      touch "$deps.partial/.installed"
      rm -rf "$deps"
      mv "$deps.partial" "$deps"
    fi
  ) 9>"$NPM_ROOT/.lock" || fail "npm ci of test/e2e/client-node failed (is registry.npmjs.org reachable?)"
  # A private copy of the program that resolves its imports from the shared node_modules.
  mkdir -p "$E2E_TMP/client-node"
  cp "$CLIENT_NODE_SRC/informer.mjs" "$CLIENT_NODE_SRC/package.json" "$E2E_TMP/client-node/"
  ln -s "$deps/node_modules" "$E2E_TMP/client-node/node_modules"
}

# The server again on the same data directory and port: the informer keeps the kubeconfig it
# loaded, and the cluster CA and admin certificate in the data directory are reused.
restart_server_on_port() {
  local port=$1
  cp "$E2E_TMP/server.log" "$E2E_TMP/server-first.log"
  # Without the local agent, as start_server ran it.
  "$BOSUN" server --data-dir "$E2E_TMP/data" --listen "127.0.0.1:$port" --disable-agent \
    >"$E2E_TMP/server.out" 2>"$E2E_TMP/server.log" &
  E2E_SERVER_PID=$!
  for _ in $(seq 200); do
    if grep -q "is serving on" "$E2E_TMP/server.out" 2>/dev/null; then return 0; fi
    if ! kill -0 "$E2E_SERVER_PID" 2>/dev/null; then
      cat "$E2E_TMP/server.log" >&2
      fail "bosun server did not restart on port $port"
    fi
    sleep 0.05
  done
  fail "bosun server did not say it is serving after the restart"
}

# informer_has REGEX: a line of the informer's output matches.
informer_has() { grep -Eq -- "$1" "$INFORMER_OUT"; }
# Lines of the informer's output after its line number $1 that match REGEX $2.
informer_after() { tail -n +"$(($1 + 1))" "$INFORMER_OUT" | grep -E -- "$2" || true; }
informer_lines() { wc -l <"$INFORMER_OUT"; }
last_cache() { grep '^CACHE ' "$INFORMER_OUT" | tail -n 1 | cut -c7-; }
kubectl_names() { k get configmaps -n watched -o jsonpath='{.items[*].metadata.name}' | tr ' ' '\n' | sort | paste -sd, -; }
rv_of() { k get configmap "$1" -n watched -o jsonpath='{.metadata.resourceVersion}'; }
cache_matches_kubectl() { [[ "$(last_cache)" == "$(kubectl_names)" ]]; }

install_client_node
echo "ok - @kubernetes/client-node $(node -p "require('$E2E_TMP/client-node/node_modules/@kubernetes/client-node/package.json').version") installed"

start_server
port=${E2E_URL##*:}
port=${port%%/*}

k create namespace watched >/dev/null
for name in early-a early-b gone; do
  k create configmap "$name" -n watched --from-literal=k=v >/dev/null
done

BOSUN_E2E_PARENT=$$ WATCH_NAMESPACE=watched node "$E2E_TMP/client-node/informer.mjs" \
  >"$INFORMER_OUT" 2>"$E2E_TMP/informer.err" &
NODE_PID=$!

# (1) The initial list: one `add` per existing object, then a watch from the list's version.
wait_for 60 informer_has '^LIST n=1 '
list_line=$(grep '^LIST n=1 ' "$INFORMER_OUT")
expect_contains "$list_line" "items=early-a,early-b,gone " "the informer's first list"
list_rv=${list_line##*rv=}
wait_for 60 informer_has "^WATCH rv=$list_rv\$"
for name in early-a early-b gone; do
  informer_has "^ADD $name rv=" || fail "no add event for $name from the initial list"
done
expect_eq "$(last_cache)" "early-a,early-b,gone" "the informer's cache after the list"
echo "ok - initial list delivered add for early-a, early-b, gone (resourceVersion $list_rv)"

# (2) Watch events for kubectl's changes.
k create configmap live -n watched --from-literal=k=v >/dev/null
wait_for 60 informer_has "^ADD live rv=$(rv_of live)\$"
k label configmap live -n watched step=two >/dev/null
wait_for 60 informer_has "^UPDATE live rv=$(rv_of live)\$"
k delete configmap early-b -n watched >/dev/null
wait_for 60 informer_has '^DELETE early-b '
wait_for 30 cache_matches_kubectl
expect_eq "$(last_cache)" "early-a,gone,live" "the informer's cache after the watch events"
if grep -q '^LIST n=2' "$INFORMER_OUT"; then fail "the informer listed again without a 410"; fi
echo "ok - watch delivered add, update and delete"

# (3) 410 Gone. The informer's resourceVersion is that of the last event it saw. A write in another
# namespace moves the store past it; a restarted server's watch cache starts at the store's newest
# revision (as the cacher's first list does), so a watch resumed from the informer's version is
# "too old" and answered with an ERROR event of code 410.
informer_rv=$(grep -E '^(ADD|UPDATE|DELETE) ' "$INFORMER_OUT" | tail -n 1 | sed 's/.* rv=//')
k create configmap elsewhere -n default --from-literal=k=v >/dev/null
errors_before=$(grep -c '^ERROR ' "$INFORMER_OUT" || true)
stop_server
# The informer's watch breaks; it reports an error and waits (like the client-node README's
# example, it is restarted from its error handler; here only on the script's signal).
wait_for 60 bash -c "[[ \$(grep -c '^ERROR ' '$INFORMER_OUT') -gt $errors_before ]]"
restart_server_on_port "$port"
# While the informer is cut off: one object appears, one goes, one changes.
k create configmap late -n watched --from-literal=k=v >/dev/null
k delete configmap gone -n watched >/dev/null
k label configmap early-a -n watched step=two >/dev/null
early_a_rv=$(rv_of early-a)

mark=$(informer_lines)
kill -USR2 "$NODE_PID"
wait_for 60 informer_has '^LIST n=2 '
# The evidence that a 410 happened: the resumed watch started from the informer's version, the
# server answered it with Expired, and the informer listed again (it lists only with no version).
resumed=$(informer_after "$mark" '^WATCH ' | head -n 1)
expect_eq "$resumed" "WATCH rv=$informer_rv" "the informer's resumed watch"
expired=$(informer_after "$mark" '^WATCH-ERROR ')
expect_contains "$expired" "WATCH-ERROR code=410 reason=Expired message=\"too old resource version: $informer_rv (" \
  "the ERROR event of the resumed watch"
list2=$(grep '^LIST n=2 ' "$INFORMER_OUT")
expect_contains "$list2" "items=early-a,late,live " "the informer's list after the 410"
wait_for 60 informer_has '^ADD late '
wait_for 60 informer_has '^DELETE gone '
wait_for 60 informer_has "^UPDATE early-a rv=$early_a_rv\$"
echo "ok - after a 410 (Expired) the informer listed again: add late, delete gone, update early-a"

# It keeps delivering from the new list's version.
list2_rv=${list2##*rv=}
wait_for 60 informer_has "^WATCH rv=$list2_rv\$"
k create configmap after-relist -n watched --from-literal=k=v >/dev/null
wait_for 60 informer_has "^ADD after-relist rv=$(rv_of after-relist)\$"
k delete configmap live -n watched >/dev/null
wait_for 60 informer_has '^DELETE live '
wait_for 30 cache_matches_kubectl
expect_eq "$(last_cache)" "after-relist,early-a,late" "the informer's cache at the end"
expect_eq "$(informer_after "$mark" '^ERROR ')" "" "informer errors after the restart"
echo "ok - the informer keeps delivering after the re-list; its cache matches kubectl get"
echo PASS
