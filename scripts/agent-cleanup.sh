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
# Every cgroup directory of those pods, in every hierarchy, deepest first: one find for all.
pod_cgroups() {
  local dirs=() uid m
  for uid in $uids; do
    for m in /sys/fs/cgroup/*/bosun/pod"$uid" /sys/fs/cgroup/bosun/pod"$uid"; do
      [[ -d "$m" ]] && dirs+=("$m")
    done
  done
  ((${#dirs[@]})) && find "${dirs[@]}" -depth -type d 2>/dev/null
  return 0
}
# The containers' processes die by a signal to what their cgroups hold, not by one `runc kill`
# (and one `runc delete`) per container: a runc process costs ~80 ms of CPU on this machine, and a
# 50-pod bench's cleanup took longer than its run.
kill_pods() {
  local c pids=()
  while read -r c; do
    [[ -f "$c/cgroup.procs" ]] && mapfile -t -O "${#pids[@]}" pids <"$c/cgroup.procs"
  done < <(pod_cgroups)
  ((${#pids[@]})) && kill -KILL "${pids[@]}" 2>/dev/null
  return 0
}
procs_left() {
  local c p
  while read -r c; do
    [[ -f "$c/cgroup.procs" ]] && read -r p <"$c/cgroup.procs" && [[ -n "$p" ]] && return 0
  done < <(pod_cgroups)
  return 1
}
# The page cache still charged to the pods' memory cgroups is given back before they go, as the
# agent does (runtime::release_memory_charges): removed with charges, each would linger in the
# kernel as a dying cgroup and slow down every later pod start on this machine.
release_charges() {
  local c
  while read -r c; do
    [[ -f "$c/memory.force_empty" ]] && { echo 0 >"$c/memory.force_empty"; } 2>/dev/null
  done < <(pod_cgroups)
  return 0
}
kill_pods
for _ in $(seq 50); do
  procs_left || break
  sleep 0.1
done
# What runc still runs is outside the recorded pods (a create cut short): runc ends it. The state of
# the rest goes with the directory; their cgroups are removed below.
for root in $roots; do
  [[ -d "$root" ]] && command -v runc >/dev/null || continue
  running=$(runc --root "$root" list 2>/dev/null | awk 'NR > 1 && $3 == "running" {print $1}' || true)
  for id in $running; do runc --root "$root" kill "$id" KILL 2>/dev/null || true; done
  for id in $running; do runc --root "$root" delete -f "$id" 2>/dev/null || true; done
  rm -rf "${root:?}"/*
done
# One umount and one rmdir (xargs: any number of arguments) rather than one per mount or cgroup.
awk -v p="${prefix%/}/" 'index($5, p) == 1 {print $5}' /proc/self/mountinfo | sort -r |
  tr '\n' '\0' | xargs -0 -r umount -l 2>/dev/null
release_charges
pod_cgroups | tr '\n' '\0' | xargs -0 -r rmdir 2>/dev/null
exit 0
