#!/bin/sh
# fuzz-run.sh TARGET SECONDS SEED_DIR: runs one libFuzzer target for a bounded time. New inputs go to a scratch
# directory that is removed afterwards; crashes are written to the current directory (crash-*) and fail the run.
# FUZZ_SEED fixes libFuzzer's random seed: CTest's smoke runs set it, so that a test run is repeatable and a new
# finding comes from a change, not from the draw; `make fuzz` leaves it unset and explores.
set -eu
target=$1 seconds=$2 seed=$3
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$seed"
exec_args="-max_total_time=$seconds -timeout=10 -rss_limit_mb=2048 -print_final_stats=1"
if [ -n "${FUZZ_SEED:-}" ]; then exec_args="$exec_args -seed=$FUZZ_SEED"; fi
"$target" $exec_args "$scratch" "$seed"
