#!/bin/bash
# bench.sh BUILD_DIR [FILTER]: runs every benchmark program in BUILD_DIR/bench (medians of 5 repetitions) and
# appends the figures to bench/results.md with the date, commit and command, so progress stays visible.
set -euo pipefail
build=${1:-build}
filter=${2:-}
commit=$(git rev-parse --short HEAD 2>/dev/null || echo uncommitted)
[ -z "$(git status --porcelain 2>/dev/null)" ] || commit="$commit+dirty"
out=bench/results.md
for b in "$build"/bench/*_bench; do
  [ -x "$b" ] || continue
  name=$(basename "$b")
  [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
  echo "== $name"
  log=$(mktemp)
  "$b" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
    --benchmark_display_aggregates_only=true 2>&1 | tee "$log"
  {
    echo
    echo "### $(date -u +%Y-%m-%d) $commit $name"
    echo "Command: \`scripts/bench.sh $build $name\` (medians of 5 repetitions)"
    echo '```'
    grep -E '_median|^[A-Za-z].*:' "$log" | grep -v '^Run on\|^CPU Caches\|^Load Average\|^\*\*\*' || true
    echo '```'
  } >>"$out"
  rm -f "$log"
done
