#!/usr/bin/env bash
# libosmocore as a second oracle for GSM-7 USSD packing (see osmo_gsm7.c). Usage: osmo_gsm7.sh BUILD_DIR
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:?build dir}" && pwd)
if ! pkg-config --exists libosmogsm libosmocore 2>/dev/null; then
	echo "skip: libosmocore-dev (libosmogsm) not installed"
	exit 77
fi
cc=${CC:-cc}
bin="$build/tests/osmo_gsm7"
mkdir -p "$build/tests"
"$cc" -std=gnu11 -O1 -Wall -Wextra -Werror -I"$root/src/codec" "$root/tests/osmo_gsm7.c" \
	"$root/src/codec/gsm0338.c" \
	$(pkg-config --cflags --libs libosmogsm libosmocore) -o "$bin"
"$bin" 20000
