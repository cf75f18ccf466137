#!/usr/bin/env bash
# `bosun image import|ls|rm`: a busybox test image built from Debian's busybox-static goes into the
# node's image store under a data dir, is listed under its names, and is removed again; bad input
# gives a clear error and a non-zero exit.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"

"$ROOT/scripts/make-test-image.sh" "$E2E_TMP/busybox.tar"
"$ROOT/scripts/make-test-image.sh" "$E2E_TMP/app.tar" registry.local:5000/team/app:v1
D="$E2E_TMP/data"

out=$("$BOSUN" image import "$E2E_TMP/busybox.tar" "$E2E_TMP/app.tar" --data-dir "$D")
expect_contains "$out" "imported docker.io/library/busybox:latest (sha256:" "import busybox"
expect_contains "$out" "imported registry.local:5000/team/app:v1 (sha256:" "import app"
[[ -d "$D/images/blobs/sha256" ]] || fail "no OCI layout under the data dir"

out=$("$BOSUN" image ls --data-dir "$D")
expect_contains "$out" "IMAGE" "header"
expect_contains "$out" "busybox" "busybox listed"
expect_contains "$out" "registry.local:5000/team/app   v1" "app listed with its tag"

expect_eq "$("$BOSUN" image rm busybox --data-dir "$D")" "Deleted: docker.io/library/busybox:latest" "rm"
out=$("$BOSUN" image ls --data-dir "$D")
[[ "$out" != *"busybox "* ]] || fail "busybox still listed after rm: $out"
expect_contains "$out" "registry.local:5000/team/app" "the other name stays"

if out=$("$BOSUN" image rm nope --data-dir "$D" 2>&1); then fail "rm of a missing image succeeded"; fi
expect_contains "$out" 'image "nope" not found' "missing image"
if out=$("$BOSUN" image import /etc/hostname --data-dir "$D" 2>&1); then fail "import of a non-archive succeeded"; fi
expect_contains "$out" "cannot read image archive" "bad archive"
echo "image CLI: ok"
