#!/usr/bin/env bash
# Installs what Mosaic needs to build and test, from Debian packages, when
# something is missing. As root it runs apt-get; otherwise it prints the
# one apt-get line to run and fails.
#   scripts/install-deps.sh          build + test dependencies
#   scripts/install-deps.sh --mpi    also OpenMPI (optional)
set -euo pipefail

pkgs=(build-essential cmake pkg-config libnng-dev libprotobuf-c-dev protobuf-c-compiler
      libhwloc-dev libsqlite3-dev iproute2 procps curl jq bc clang)
if [ "${1:-}" = "--mpi" ]; then
	pkgs+=(openmpi-bin libopenmpi-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "Mosaic needs these Debian packages: ${missing[*]}" >&2
	echo "Run as root:  apt-get update && apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "Installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
