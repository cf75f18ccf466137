#!/bin/bash
# agent-cleanup.sh DATA_DIR [MOUNT_PREFIX]: removes what a stopped node agent leaves behind on
# purpose (running containers, kept for re-adoption) or by failure, for the agent whose data dir is
# DATA_DIR: its runc containers (killed, deleted), every mount under MOUNT_PREFIX (default
# DATA_DIR; deepest first, so the agent's state tmpfs DATA_DIR/run goes after what is mounted in
# it) and its pods' cgroups (/sys/fs/cgroup/*/bosun/pod<uid>, found from the sandboxes it recorded).
# Best effort, after the agent is gone; used by the e2e tests and benches.
data=${1:?usage: agent-cleanup.sh DATA_DIR [MOUNT_PREFIX]}
prefix=${2:-$data}
# The state (runc's, the sandboxes') is in DATA_DIR/run since 2026-11-27, in DATA_DIR before.
roots="$data/run/runc $data/runc"
uids=$(ls "$data/run/sandboxes" "$data/sandboxes" 2>/dev/null | grep -v -e '\.json$' -e ':$' -e '^$' || true)
# The page cache still charged to the pods' memory cgroups is given back before they go, as the
# agent does (runtime::release_memory_charges): removed with charges, each would linger in the
# kernel as a dying cgroup and slow down every later pod start on this machine.
release_charges() {
  local uid d
  for uid in $uids; do
    for d in /sys/fs/cgroup/memory/bosun/pod"$uid"; do
      [[ -d "$d" ]] || continue
      find "$d" -depth -type d | while read -r c; do echo 0 >"$c/memory.force_empty" 2>/dev/null || true; done
    done
  done
}
for root in $roots; do
  [[ -d "$root" ]] && command -v runc >/dev/null || continue
  ids=$(runc --root "$root" list -q 2>/dev/null || true)
  for id in $ids; do runc --root "$root" kill "$id" KILL 2>/dev/null || true; done
  for _ in $(seq 50); do
    [[ -z "$(runc --root "$root" list 2>/dev/null | awk 'NR > 1 && $3 == "running"')" ]] && break
    sleep 0.1
  done
  release_charges  # before `runc delete` removes the containers' cgroups
  for id in $ids; do runc --root "$root" delete -f "$id" 2>/dev/null || true; done
done
awk -v p="${prefix%/}/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | sort -r |
  while read -r m; do umount -l "$m" 2>/dev/null || true; done
release_charges
for uid in $uids; do
  for m in /sys/fs/cgroup/*/bosun/pod"$uid" /sys/fs/cgroup/bosun/pod"$uid"; do
    [[ -d "$m" ]] && find "$m" -depth -type d -exec rmdir {} + 2>/dev/null
  done
done
exit 0
