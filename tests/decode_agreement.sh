#!/usr/bin/env bash
# `dfsguard decode` against tshark, field by field: on the shared public captures, and on
# simulator captures holding every benign flow and every attack, written both as exported
# PDUs and as Ethernet/IPv4/SCTP. The simulator's deliberately malformed frames (FW-TCAP)
# are left out: tshark and dfsguard must both refuse those, which test_sim_analyze checks.
# usage: decode_agreement.sh BUILD_DIR
set -uo pipefail
build=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bin=$build/bin/dfsguard
command -v tshark >/dev/null || { echo "skip: tshark is not installed"; exit 77; }
command -v python3 >/dev/null || { echo "skip: python3 is not installed"; exit 77; }
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
fail=0
sims=()
scenarios=(benign FW-CAT1 FW-CAT2 FW-CAT3 FW-USSD-SPOOF FW-USSD-PHISH FW-INTERCEPT FW-CALLFWD
  FW-SIMJACKER FW-SMS-HOME FW-ADDR FW-CLI)
for link in exported sctp; do
  opt=(); [ "$link" = sctp ] && opt=(--sctp)
  "$bin" sim "${scenarios[@]}" --config "$root/config/example.yaml" --seed 7 --count 300 \
    "${opt[@]}" -o "$work/sim-$link.pcap" >/dev/null || { echo "FAIL: dfsguard sim ($link)"; exit 1; }
  sims+=("$work/sim-$link.pcap")
done
python3 "$here/decode_agreement.py" --vectors "$bin" "$root"/../shared/vectors/captures/* || fail=1
python3 "$here/decode_agreement.py" "$bin" "${sims[@]}" || fail=1
exit $fail
