#!/usr/bin/env bash
# Installs the Debian 12 packages dfsguard needs to build, run and test. Idempotent.
set -euo pipefail
PKGS=(build-essential cmake pkg-config clang libclang-rt-14-dev
  libssl-dev libsodium-dev libsqlite3-dev sqlite3 libpq-dev libhiredis-dev libpcap-dev libyaml-dev
  libmicrohttpd-dev libcurl4-openssl-dev libjson-c-dev libusrsctp-dev libsctp-dev libcmocka-dev
  tshark libosmocore-dev postgresql redis-server socat softhsm2 libp11-kit-dev opensc-pkcs11 python3 curl openssl)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
