#!/usr/bin/env bash
# Wrong input gets kubectl's usual error messages and changes nothing: bad YAML, an unknown field
# under strict validation, an invalid name, an invalid spec, and a stale resourceVersion.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
DATA="$(dirname "$0")/testdata"

start_server
k apply -f "$DATA/app-v1.yaml" >/dev/null
before=$(k get deploy,svc,cm -o yaml)

printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n data: x\n' >"$E2E_TMP/bad.yaml"
out=$(must_fail k apply -f "$E2E_TMP/bad.yaml")
expect_eq "$out" "error: error parsing $E2E_TMP/bad.yaml: error converting YAML to JSON: yaml: line 4: did not find expected key" "bad yaml"

printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: unknown\nfoo: bar\n' >"$E2E_TMP/unknown.yaml"
out=$(must_fail k create -f "$E2E_TMP/unknown.yaml")
expect_eq "$out" "Error from server (BadRequest): error when creating \"$E2E_TMP/unknown.yaml\": ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"foo\"" "unknown field"
out=$(must_fail k apply -f "$E2E_TMP/unknown.yaml")
expect_contains "$out" 'strict decoding error: unknown field "foo"' "unknown field on apply"
must_fail k get configmap unknown >/dev/null

printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n' >"$E2E_TMP/invalid.yaml"
out=$(must_fail k create -f "$E2E_TMP/invalid.yaml")
expect_contains "$out" "The ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters" "invalid name"

out=$(must_fail k patch deployment nginx --type=merge -p '{"spec":{"replicas":-1}}')
expect_contains "$out" 'The Deployment "nginx" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0' "invalid spec"

# A replace with a stale resourceVersion is a conflict.
k get configmap settings -o yaml >"$E2E_TMP/stale.yaml"
k label configmap settings touched=yes >/dev/null
before=$(k get deploy,svc,cm -o yaml)
out=$(must_fail k replace -f "$E2E_TMP/stale.yaml")
expect_eq "$out" "Error from server (Conflict): error when replacing \"$E2E_TMP/stale.yaml\": Operation cannot be fulfilled on configmaps \"settings\": the object has been modified; please apply your changes to the latest version and try again" "conflict"

expect_eq "$(k get deploy,svc,cm -o yaml)" "$before" "nothing changed"
echo PASS
