#!/bin/sh
# deps.sh: installs the Debian packages Bosun needs to build, test and run, if any is missing.
# Idempotent and quiet; fails naming the packages it could not install.
set -u
packages="
  g++ cmake ninja-build ccache pkg-config make git
  clang libclang-rt-14-dev clang-format
  libgtest-dev libgmock-dev libbenchmark-dev
  nlohmann-json3-dev libsimdjson-dev libyaml-cpp-dev libsqlite3-dev sqlite3
  libspdlog-dev libfmt-dev libcli11-dev uuid-dev
  libssl-dev libboost-dev libboost-system-dev zlib1g-dev
  libarchive-dev libcurl4-openssl-dev runc busybox-static docker-registry
  libjemalloc-dev liburing-dev
"
missing=""
for p in $packages; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
  esac
done
# Node.js and npm run the @kubernetes/client-node test; a machine may have them from elsewhere.
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
[ -z "$missing" ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "deps: missing packages:$missing (run as root or install sudo)" >&2
    exit 1
  fi
fi
echo "deps: installing$missing"
log=$(mktemp)
if ! { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing; } >"$log" 2>&1; then
  still=""
  for p in $missing; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || still="$still $p"
  done
  echo "deps: could not install:$still" >&2
  tail -n 20 "$log" >&2
  rm -f "$log"
  exit 1
fi
rm -f "$log"
