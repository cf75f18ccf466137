#!/bin/bash
# agent-cleanup.sh DATA_DIR [MOUNT_PREFIX]: removes what a stopped node agent leaves behind on
# purpose (running containers, kept for re-adoption) or by failure, for the agent whose data dir is
# DATA_DIR: its runc containers (killed, deleted), every mount under MOUNT_PREFIX (default
# DATA_DIR; deepest first) and its pods' cgroups (/sys/fs/cgroup/*/bosun/pod<uid>, found from the
# sandboxes it recorded). Best effort, after the agent is gone; used by the e2e tests and benches.
data=${1:?usage: agent-cleanup.sh DATA_DIR [MOUNT_PREFIX]}
prefix=${2:-$data}
root="$data/runc"
if [[ -d "$root" ]] && command -v runc >/dev/null; then
  for id in $(runc --root "$root" list -q 2>/dev/null); do
    runc --root "$root" kill "$id" KILL 2>/dev/null || true
    runc --root "$root" delete -f "$id" 2>/dev/null || true
  done
fi
awk -v p="${prefix%/}/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | sort -r |
  while read -r m; do umount -l "$m" 2>/dev/null || true; done
for uid in $(ls "$data/sandboxes" 2>/dev/null | grep -v '\.json$'); do
  for m in /sys/fs/cgroup/*/bosun/pod"$uid" /sys/fs/cgroup/bosun/pod"$uid"; do
    [[ -d "$m" ]] && find "$m" -depth -type d -exec rmdir {} + 2>/dev/null
  done
done
exit 0
