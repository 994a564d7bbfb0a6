#!/usr/bin/env bash
# `dfsguard analyze` as a user meets it: the shared public captures (CAP, ISUP, M3UA management,
# a USSD request) raise no alert; a simulated capture gives one JSON object per alert with the
# documented keys, the labelled attacks and nothing else; pseudonymisation hides every IMSI.
# usage: analyze_cli.sh BUILD_DIR
set -uo pipefail
bin=$1/bin/dfsguard
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
vec=$root/../shared/vectors/captures
cfg=$root/config/example.yaml
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
pass=0; fail=0
check() { local name=$1; shift; if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name"; fi; }

for f in "$vec"/*; do
  out=$("$bin" analyze --config "$cfg" --json "$f"); rc=$?
  check "$(basename "$f") exit 0" test "$rc" -eq 0
  check "$(basename "$f") no alert" test -z "$out"
done

"$bin" sim mixed attacks --config "$cfg" --seed 11 --count 200 -o "$work/s.pcap" 2>/dev/null
"$bin" analyze --config "$cfg" --json "$work/s.pcap" > "$work/alerts.json"
check "alerts printed" test -s "$work/alerts.json"
if python3 - "$work/alerts.json" "$work/s.pcap.labels.csv" <<'PY'; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: alerts match labels"; fi
import csv, json, sys
keys = {"frame", "time", "verdict", "rule", "category", "severity", "reason", "opcode",
        "calling_gt", "called_gt", "imsi", "msisdn"}
alerts = [json.loads(l) for l in open(sys.argv[1])]
for a in alerts:
    missing = keys - a.keys()
    assert not missing, f"alert without {missing}: {a}"
    assert a["verdict"] in ("block", "alert"), a
got = {(a["frame"], a["rule"]) for a in alerts}
want = {(int(r["frame"]), r["rule"]) for r in csv.DictReader(open(sys.argv[2]))
        if r["expected"] in ("block", "alert")}
assert got == want, f"missed {sorted(want - got)[:5]}, unexpected {sorted(got - want)[:5]}"
print(f"{len(alerts)} alerts, exactly the labelled attacks")
PY

sed 's/^  enabled: false .*/  enabled: true/' "$cfg" > "$work/pseudo.yaml"
DFSGUARD_PSEUDO_KEY=0123456789abcdef0123456789abcdef "$bin" analyze --config "$work/pseudo.yaml" --json \
  "$work/s.pcap" > "$work/pseudo.json"
check "pseudonymised alerts printed" test -s "$work/pseudo.json"
check "no IMSI of the home range in pseudonymised alerts" bash -c "! grep -q '64099[0-9]\{10\}' '$work/pseudo.json'"

"$bin" analyze --config /nonexistent.yaml "$work/s.pcap" >/dev/null 2>"$work/err"
check "missing config refused" test $? -ne 0
check "missing config named" grep -q nonexistent "$work/err"
echo "$pass passed, $fail failed"
test "$fail" -eq 0
