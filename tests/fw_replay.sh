#!/usr/bin/env bash
# dfsguard fw --replay-pcap: passive mode over recorded mirror captures. MTP3 frames (M2UA over
# SCTP) are judged by the same rules as M3UA DATA: the processUnstructuredSS-Request of
# ../shared/vectors/captures/gsm_map_with_ussd_string.pcap, for a home IMSI from a foreign HLR
# in strict mode, is blocked by FW-USSD-SPOOF exactly as `dfsguard analyze` judges it, and goes
# to the capture file as the M3UA DATA carrying its routing label (tshark reads it back);
# CAMEL over M2UA is judged without alerts; ISUP over M3UA is judged message by message.
set -u
bin="$1/bin/dfsguard"
caps="$(cd "$(dirname "$0")/.." && pwd)/../shared/vectors/captures"
[ -d "$caps" ] || caps=/work/shared/vectors/captures
[ -f "$caps/gsm_map_with_ussd_string.pcap" ] || { echo "shared captures not found: skipped"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

write_config() { # $1: policy mode
	cat > "$tmp/fw.yaml" <<YAML
operator: Test
home:
  country_code: '27'
  imsi_prefixes: ['65501']
  gt_prefixes: ['2783']
policy: {mode: $1}
links:
  partners: [{name: mirror, listen: "tcp:127.0.0.1:1"}]
  home: [{name: unused, connect: "tcp:127.0.0.1:1"}]
  alerts: {file: "$tmp/alerts.jsonl"}
  capture: {file: "$tmp/blocked.pcap"}
YAML
}

replay() { # $1: capture; prints the number of messages judged
	rm -f "$tmp/alerts.jsonl" "$tmp"/blocked.pcap*
	"$bin" fw --config "$tmp/fw.yaml" --replay-pcap "$caps/$1" 2>"$tmp/err" || { cat "$tmp/err"; fail "replay of $1"; }
	sed -n 's/.*: \([0-9]*\) messages judged$/\1/p' "$tmp/err"
}

write_config strict
n=$(replay gsm_map_with_ussd_string.pcap)
[ "$n" = 1 ] || fail "gsm_map_with_ussd_string.pcap: $n messages judged, expected the one MAP message over M2UA"
[ "$(wc -l < "$tmp/alerts.jsonl")" = 1 ] || fail "expected one alert: $(cat "$tmp/alerts.jsonl")"
grep -q '"verdict":"block","rule":"FW-USSD-SPOOF"' "$tmp/alerts.jsonl" || fail "not an FW-USSD-SPOOF block: $(cat "$tmp/alerts.jsonl")"
grep -q '"imsi":"655011420096316"' "$tmp/alerts.jsonl" || fail "IMSI missing from the alert"
"$bin" analyze --config "$tmp/fw.yaml" --json "$caps/gsm_map_with_ussd_string.pcap" > "$tmp/analyze.jsonl" 2>/dev/null
cmp -s "$tmp/analyze.jsonl" "$tmp/alerts.jsonl" ||
	fail "passive replay and analyze disagree: $(cat "$tmp/alerts.jsonl") vs $(cat "$tmp/analyze.jsonl")"
[ -s "$tmp/blocked.pcap" ] || fail "the blocked MSU is not in the capture file"
"$bin" decode "$tmp/blocked.pcap" > "$tmp/decoded" 2>&1 || fail "capture file does not decode: $(cat "$tmp/decoded")"
grep -q '"opc":1041,"dpc":8744,"si":3,"ni":2' "$tmp/decoded" || fail "routing label lost in the capture: $(cat "$tmp/decoded")"
grep -q '"opcode":59' "$tmp/decoded" || fail "MAP operation lost in the capture"
if command -v tshark >/dev/null; then
	t=$(tshark -r "$tmp/blocked.pcap" -T fields -e m3ua.protocol_data_opc -e m3ua.protocol_data_dpc -e gsm_old.localValue 2>/dev/null)
	[ "$t" = "$(printf '1041\t8744\t59')" ] || fail "tshark reads the captured message as: $t"
fi

# learning mode: the same message is an alert, not a block, and nothing is captured
write_config learning
n=$(replay gsm_map_with_ussd_string.pcap)
grep -q '"verdict":"alert","rule":"FW-USSD-SPOOF"' "$tmp/alerts.jsonl" || fail "learning mode: $(cat "$tmp/alerts.jsonl")"

# CAP over M2UA: judged, nothing to say
write_config strict
n=$(replay camel.pcap)
[ "$n" -gt 0 ] || fail "camel.pcap: nothing judged"
[ ! -s "$tmp/alerts.jsonl" ] || fail "CAMEL raised alerts: $(cat "$tmp/alerts.jsonl")"

# ISUP over M3UA: every DATA message is judged, the same as analyze
n=$(replay m3ua_isup.cap)
want=$("$bin" decode "$caps/m3ua_isup.cap" 2>/dev/null | grep -c '"m3ua":{"class":1,"type":1')
[ "$n" = "$want" ] && [ "$n" -gt 400 ] || fail "m3ua_isup.cap: $n messages judged, $want M3UA DATA messages in it"
"$bin" analyze --config "$tmp/fw.yaml" --json "$caps/m3ua_isup.cap" > "$tmp/analyze.jsonl" 2>/dev/null
cmp -s "$tmp/analyze.jsonl" "$tmp/alerts.jsonl" 2>/dev/null || [ ! -s "$tmp/analyze.jsonl" ] ||
	fail "m3ua_isup.cap: passive replay and analyze disagree"
# a capture that cannot be read is an error, not an empty replay
if "$bin" fw --config "$tmp/fw.yaml" --replay-pcap "$tmp/missing.pcap" 2>"$tmp/err"; then fail "missing capture accepted"; fi
grep -q "missing.pcap" "$tmp/err" || fail "the error does not name the capture: $(cat "$tmp/err")"
echo "passive replay: M2UA MAP blocked like analyze (FW-USSD-SPOOF), CAMEL quiet, $n ISUP messages judged"
