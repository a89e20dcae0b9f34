#!/usr/bin/env bash
# Installs the Debian packages the harness and its tests use, only those that are missing.
# prometheus: the real server and promtool · docker.io: container faults · busybox-static: a local
# test image with no registry · docker-compose: validates docker-compose.yml offline ·
# prometheus-pushgateway: where finished runs publish their verdicts (PUSHGATEWAY_URL) ·
# gcc, python3-dev: compile the domain core with mypyc (make native).
set -euo pipefail
declare -A need=(
  [prometheus]=prometheus
  [promtool]=prometheus
  [dockerd]=docker.io
  [busybox]=busybox-static
  [docker-compose]=docker-compose
  [prometheus-pushgateway]=prometheus-pushgateway
  [gcc]=gcc
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/bin/$cmd" ] || missing+=("${need[$cmd]}")
done
python3 -c 'import os, sys, sysconfig
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' || missing+=(python3-dev)
[ ${#missing[@]} -eq 0 ] && exit 0
pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install-system-deps: need root to install: $pkgs" >&2; exit 1; fi
else SUDO=; fi
echo "install-system-deps: installing $pkgs"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
