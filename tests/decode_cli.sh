#!/usr/bin/env bash
# `dfsguard decode` as a user meets it: a real USSD capture, a capture with broken frames
# (an error object naming layer, field and offset; the run goes on; exit 1), --summary, usage.
# usage: decode_cli.sh BUILD_DIR
set -uo pipefail
bin=$1/bin/dfsguard
here=$(cd "$(dirname "$0")" && pwd)
vec=$here/../../shared/vectors/captures
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
pass=0; fail=0
check() { # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name"; fi
}

out=$("$bin" decode "$vec/gsm_map_with_ussd_string.pcap"); rc=$?
check "ussd capture decodes" test "$rc" -eq 0
check "one object" test "$(printf '%s\n' "$out" | wc -l)" -eq 1
check "ussd text" grep -q '"ussd_text":"\*140\*0761241377#"' <<<"$out"
check "opcode 59 named" grep -q '"opcode":59,"op":"processUnstructuredSS-Request"' <<<"$out"
check "MAP-OpenInfo IMSI" grep -q '"destination_reference":"655011420096316"' <<<"$out"
check "MTP3 OPC" grep -q '"opc":1041' <<<"$out"

# Frames 1 and 3 are good M3UA DATA; frame 2 is cut inside the SCCP called party address.
python3 - "$work/broken.pcap" <<'PY'
import struct, sys
def exported(pdu):
    tag = struct.pack(">HH", 12, 4) + b"m3ua" + struct.pack(">HH", 0, 0)
    return tag + pdu
def data(user):
    pd = struct.pack(">IIBBBB", 100, 200, 3, 2, 0, 1) + user
    pad = (-len(pd)) % 4
    param = struct.pack(">HH", 0x0210, 4 + len(pd)) + pd + b"\0" * pad
    return struct.pack(">BBBBI", 1, 0, 1, 1, 8 + len(param)) + param
# UDT class 0, called SSN 6 route on SSN, calling SSN 8, data 2 bytes
good = data(bytes([0x09, 0x00, 0x03, 0x05, 0x07, 0x02, 0x42, 0x06, 0x02, 0x42, 0x08, 0x02, 0x01, 0x02]))
bad = data(bytes([0x09, 0x00, 0x03, 0x05, 0x07, 0x09, 0x42]))
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 252))
    for i, pdu in enumerate([good, bad, good]):
        rec = exported(pdu)
        f.write(struct.pack("<IIII", 1700000000 + i, 0, len(rec), len(rec)) + rec)
PY
out=$("$bin" decode "$work/broken.pcap"); rc=$?
check "broken capture exits 1" test "$rc" -eq 1
check "three objects" test "$(printf '%s\n' "$out" | wc -l)" -eq 3
check "frame 2 error names sccp" grep -qE '"frame":2,.*"error":\{"layer":"sccp","field":"[^"]+","offset":[0-9]*' <<<"$out"
check "frame 3 still decoded" grep -q '"frame":3,.*"sccp"' <<<"$out"

sum=$("$bin" decode --summary "$vec/gsm_map_with_ussd_string.pcap" "$vec/m3ua_isup.cap")
check "summary has op 59" grep -qE '^59 +processUnstructuredSS-Request +1 ' <<<"$sum"
check "summary counts ISUP" grep -qE '^ISUP +[0-9]+' <<<"$sum"

"$bin" decode >/dev/null 2>&1; check "no file is a usage error" test $? -eq 2
"$bin" decode /nonexistent.pcap >/dev/null 2>"$work/err"; rc=$?
check "missing file exit 2" test "$rc" -eq 2
check "missing file named" grep -q nonexistent "$work/err"

echo "$pass passed, $fail failed"
test "$fail" -eq 0
