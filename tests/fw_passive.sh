#!/usr/bin/env bash
# dfsguard fw --listen-pcap: on the loopback interface, M3UA over TCP port 2905 carrying the
# SigFW anyTimeInterrogation (../shared/vectors/sigfw-cases.md) from a GT without a roaming
# agreement raises the same FW-CAT1 block alert as the inline firewall; BEATs on the same
# connection raise nothing. Needs capture rights on lo and port 2905.
set -u
bin="$1/bin/dfsguard"
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/err" ] && cat "$tmp/err"; exit 1; }
command -v python3 >/dev/null || { echo "python3 not installed: skipped"; exit 77; }
# tests that put M3UA on lo port 2905 take turns (a passive firewall sees every one's traffic)
exec 9>/tmp/dfsguard-lo-m3ua-2905.lock
command -v flock >/dev/null && flock -w 120 9
python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",2905))' 2>/dev/null ||
	{ echo "port 2905 on 127.0.0.1 is in use: skipped"; exit 77; }

sed -n '1,/^links:/p' "$root/config/example.yaml" | sed '$d' > "$tmp/fw.yaml"
cat >> "$tmp/fw.yaml" <<YAML
links:
  partners: [{name: mirror, listen: "tcp:127.0.0.1:1"}]
  home: [{name: unused, connect: "tcp:127.0.0.1:1"}]
  alerts: {file: "$tmp/alerts.jsonl"}
  capture: {file: "$tmp/blocked.pcap"}
YAML
"$bin" fw --config "$tmp/fw.yaml" --listen-pcap lo 2>"$tmp/err" &
pid=$!
for _ in $(seq 50); do grep -q "passive on lo" "$tmp/err" && break; kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if ! grep -q "passive on lo" "$tmp/err"; then
	grep -qi "permission\|operation not permitted" "$tmp/err" && { echo "no capture rights on lo: skipped"; exit 77; }
	fail "passive mode did not start"
fi
sleep 0.5

python3 - <<'PY' || fail "traffic generator"
import socket, struct
def bcd(d):
    d = d + ("0" if len(d) % 2 else "")
    return bytes(int(d[i+1]) << 4 | int(d[i]) for i in range(0, len(d), 2))
def gt(digits, ssn):
    es = 1 if len(digits) % 2 else 2
    return bytes([0x12, ssn, 0, 0x10 | es, 0x04]) + bcd(digits)
tcap = bytes.fromhex(
    "627e4804000000026b432841060700118605010101a036603480020780a109060704000001001d03be2328210607"
    "04000001010101a016a01480099611111111111111f18107961111111111f16c31a12f0201000201473027a00980"
    "0711111111111111a10f80008100830084010086008500870083099611111111111111f1")
called, calling = gt("25579900001", 6), gt("33612345678", 7)
# Q.713 4.3: pointers count from their own octet: called at +3, calling after it, data last
udt = bytes([0x09, 0x00, 3, 2 + 1 + len(called), 1 + 1 + len(called) + 1 + len(calling)])
udt += bytes([len(called)]) + called + bytes([len(calling)]) + calling + bytes([len(tcap)]) + tcap
pd = struct.pack(">II", 0x0202, 0x1201) + bytes([3, 2, 0, 5]) + udt
def param(tag, v):
    pad = (4 - len(v) % 4) % 4
    return struct.pack(">HH", tag, 4 + len(v)) + v + b"\0" * pad
def m3ua(cls, typ, body):
    return struct.pack(">BBBBI", 1, 0, cls, typ, 8 + len(body)) + body
data = m3ua(1, 1, param(0x0006, struct.pack(">I", 1)) + param(0x0210, pd))
beat = m3ua(3, 3, param(0x0009, b"beat"))
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 2905)); srv.listen(1)
cli = socket.create_connection(("127.0.0.1", 2905)); peer, _ = srv.accept()
for _ in range(3):
    cli.sendall(beat)
for _ in range(4):
    cli.sendall(data)
peer.settimeout(2)
got = 0
while got < 3 * len(beat) + 4 * len(data):
    got += len(peer.recv(65536))
cli.close(); peer.close(); srv.close()
PY
for _ in $(seq 50); do [ "$(grep -c '"rule":"FW-CAT1"' "$tmp/alerts.jsonl" 2>/dev/null)" = 4 ] && break; sleep 0.1; done
n=$(grep -c '"rule":"FW-CAT1"' "$tmp/alerts.jsonl" 2>/dev/null)
[ "$n" = 4 ] || fail "expected 4 FW-CAT1 alerts, got ${n:-0}: $(cat "$tmp/alerts.jsonl" 2>/dev/null)"
grep -q '"calling_gt":"33612345678"' "$tmp/alerts.jsonl" || fail "calling GT not in the alert"
[ "$(wc -l < "$tmp/alerts.jsonl")" = 4 ] || fail "BEATs raised alerts"
kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
[ "$rc" = 0 ] || fail "exit status $rc"
echo "passive mode: 4 FW-CAT1 alerts from the mirror, none for BEATs"
