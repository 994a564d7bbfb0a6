#!/usr/bin/env bash
# The firewall shares the SIM swaps it sees with the USSD gateway (issue 5): `dfsguard ussd`
# (SQLite, plain HTTP on 127.0.0.1) and the firewall with links.simswap_feed pointing at the
# gateway's POST /simswap/feed. The traffic: a partner SMSC asks our HLR sendRoutingInfoForSM for
# one MSISDN twice; the HLR answers IMSI A, then IMSI B (plus one FW-CAT1 anyTimeInterrogation).
# 0. `dfsguard fw --replay-pcap` on that traffic recorded (exported PDUs, current time): the
#    gateway, which never saw the number, reports it swapped through the CAMARA API
#    (POST /sim-swap/v1/check).
# 1. `dfsguard fw --listen-pcap lo` with the traffic over M3UA/TCP port 2905 on lo for another
#    number, whose wallet was registered over the HTTP face before: reported swapped, and its PIN
#    change refused (GW-SIMSWAP cooling period); exactly two lines sent (metrics).
# 2. The same with the gateway down: the sender counts failed lines and POSTs, the firewall's
#    verdicts and alerts are the same. Parts 1-2 need capture rights on lo and port 2905 (else
#    they are skipped with a message). The feed token in no log.
set -u
bin="$1/bin/dfsguard"
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
gw=
fw=
gw2=
trap '[ -n "$fw" ] && kill "$fw" 2>/dev/null; [ -n "$gw" ] && kill "$gw" 2>/dev/null; [ -n "$gw2" ] && kill "$gw2" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*"
	for f in gw.err fw.err gw-alerts.jsonl; do [ -f "$tmp/$f" ] && sed "s/^/$f: /" "$tmp/$f" | tail -15; done
	exit 1
}
command -v python3 >/dev/null || { echo "python3 not installed: skipped"; exit 77; }
command -v curl >/dev/null || { echo "curl (the command) not installed: skipped"; exit 77; }

MSISDN=255790001234 IMSI_A=640990000000101 IMSI_B=640990000000202
MSISDN_R=255790005678 # the replayed capture's subscriber
FEED_TOKEN=feed-token-Zq7R2vX9kL0mN4pT
CAMARA_TOKEN=camara-token-Hb3Yc8Wd1Fe6Gj5K
printf '%s\n' "$FEED_TOKEN" >"$tmp/feed.token"
printf '%s\n' "$CAMARA_TOKEN" >"$tmp/camara.token"
printf 'aggregator-secret-key-0123456789\n' >"$tmp/agg.key"

# ---- the gateway ----
cat >"$tmp/gw.yaml" <<YAML
ussd:
  listen: "127.0.0.1:0"
  database: {backend: sqlite, path: $tmp/gw.db}
  audit_log: $tmp/audit.jsonl
  alert_log: $tmp/gw-alerts.jsonl
  messages: $root/config/messages/en.yaml
  aggregator: {secret_file: $tmp/agg.key}
  pin: {argon2_ops: 1, argon2_mem_kib: 8}
  sim_swap: {cooling_period: 86400, feed_token_file: $tmp/feed.token,
             camara_token_file: $tmp/camara.token}
  wallet: {brand: DFS Wallet, currency: TZS, country_code: "255", kyc_csv: $tmp/kyc.csv}
  services: [{code: "*150#", app: wallet}]
YAML
printf 'msisdn,name\n%s,Neema Said\n' "$MSISDN" >"$tmp/kyc.csv"
start_gw() { # CONFIG ERRFILE: sets gw_pid and gw_port
	"$bin" ussd --config "$1" 2>"$2" &
	gw_pid=$!
	gw_port=
	for _ in $(seq 100); do
		gw_port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9][0-9]*\).*/\1/p' "$2" | head -1)
		[ -n "$gw_port" ] && break
		kill -0 "$gw_pid" 2>/dev/null || fail "gateway exited: $(cat "$2")"
		sleep 0.1
	done
	[ -n "$gw_port" ] || fail "gateway printed no HTTP port"
}
start_gw "$tmp/gw.yaml" "$tmp/gw.err"
gw=$gw_pid port=$gw_port

camara_check() { # [MSISDN [BASE-URL [CURL-OPTION]]] prints the body of POST /sim-swap/v1/check
	curl -s -m 5 ${3:-} -H "Authorization: Bearer $CAMARA_TOKEN" -H 'Content-Type: application/json' \
		-d "{\"phoneNumber\": \"+${1:-$MSISDN}\", \"maxAge\": 24}" "${2:-http://127.0.0.1:$port}/sim-swap/v1/check"
}
camara_check | grep -q IDENTIFIER_NOT_FOUND || fail "the gateway knew the number before: $(camara_check)"

# the HTTP face (aggregator callbacks, no IMSI): the subscriber registers a wallet; PIN change
# is offered. The gateway learns no IMSI from these dialogues: only the feed can tell it.
ussd() { # SESSION TEXT -> the answer
	local body="sessionId=$1&serviceCode=%2A150%23&phoneNumber=%2B$MSISDN&networkCode=64099&text=$2" ts sig
	ts=$(date +%s)
	sig=$(python3 -c 'import hmac, hashlib, sys; print(hmac.new(sys.argv[1].encode(), (sys.argv[2] + "." + sys.argv[3]).encode(), hashlib.sha256).hexdigest())' \
		aggregator-secret-key-0123456789 "$ts" "$body")
	curl -s -m 5 -H "X-DFSG-Timestamp: $ts" -H "X-DFSG-Signature: $sig" --data "$body" "http://127.0.0.1:$port/ussd"
}
PIN=739164
for t in "" 1 "1*$PIN"; do ussd reg1 "$t" | grep -q "^CON" || fail "registration step '$t': $(ussd reg1 "$t")"; done
a=$(ussd reg1 "1*$PIN*$PIN")
[ "${a#END Welcome to DFS Wallet, Neema Said}" != "$a" ] || fail "registration: $a"
ussd chg1 "" | grep -q "^CON DFS Wallet" || fail "menu"
a=$(ussd chg1 6)
[ "$a" = "CON Enter your current PIN" ] || fail "PIN change before the swap: $a"

# ---- the firewall, passive on lo ----
mport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
write_fw_cfg() { # URL [MORE simswap_feed KEYS]
	sed -n '1,/^links:/p' "$root/config/example.yaml" | sed '$d' >"$tmp/fw.yaml"
	cat >>"$tmp/fw.yaml" <<YAML
links:
  partners: [{name: mirror, listen: "tcp:127.0.0.1:1"}]
  home: [{name: unused, connect: "tcp:127.0.0.1:1"}]
  alerts: {file: "$tmp/alerts.jsonl"}
  metrics: {port: $mport}
  simswap_feed: {url: "$1", token_file: "$tmp/feed.token", batch: 10, interval_ms: 50,
                 attempts: 3, timeout_ms: 1000${2:-}}
YAML
	: >"$tmp/alerts.jsonl"
}
start_fw() { # URL
	write_fw_cfg "$1"
	"$bin" fw --config "$tmp/fw.yaml" --listen-pcap lo 2>"$tmp/fw.err" &
	fw=$!
	for _ in $(seq 50); do grep -q "passive on lo" "$tmp/fw.err" && break; kill -0 "$fw" 2>/dev/null || break; sleep 0.1; done
	if ! grep -q "passive on lo" "$tmp/fw.err"; then
		grep -qi "permission\|operation not permitted" "$tmp/fw.err" &&
			{ echo "no capture rights on lo: live part skipped"; exit 0; }
		fail "passive mode did not start"
	fi
	sleep 0.5
}
stop_fw() {
	kill -TERM "$fw"; wait "$fw"; local rc=$?; fw=
	[ "$rc" = 0 ] || fail "firewall exit status $rc"
}
metric() { curl -s -m 5 "http://127.0.0.1:$mport/metrics" | sed -n "s/^$1 //p"; }

# Two SRI-for-SM dialogues from Savanna's SMSC to our HLR, answered with IMSI A then B, and one
# anyTimeInterrogation from a GT without a roaming agreement (an FW-CAT1 alert either way).
# traffic [MSISDN [FILE]]: sent over TCP on lo, or written to FILE as an exported-PDU (m3ua)
# capture stamped with the current time.
traffic() {
	MSISDN=${1:-$MSISDN} IMSI_A=$IMSI_A IMSI_B=$IMSI_B OUT=${2:-} python3 - <<'PY' || fail "traffic generator"
import os, socket, struct
def tlv(tag, v):
    n = len(v)
    ln = bytes([n]) if n < 128 else bytes([0x81, n])
    return bytes([tag]) + ln + v
def bcd(d):
    d = d + ("f" if len(d) % 2 else "")
    return bytes(int(d[i+1], 16) << 4 | int(d[i], 16) for i in range(0, len(d), 2))
def gt(digits, ssn):  # Q.713 3.4: GT indicator 4, E.164, filler 0 for an odd count
    es = 1 if len(digits) % 2 else 2
    return bytes([0x12, ssn, 0, 0x10 | es, 0x04]) + bcd(digits + ("0" if len(digits) % 2 else ""))
def udt(called, calling, data):
    h = bytes([0x09, 0x00, 3, 2 + 1 + len(called), 1 + 1 + len(called) + 1 + len(calling)])
    return h + bytes([len(called)]) + called + bytes([len(calling)]) + calling + bytes([len(data)]) + data
def param(tag, v):
    pad = (4 - len(v) % 4) % 4
    return struct.pack(">HH", tag, 4 + len(v)) + v + b"\0" * pad
def m3ua_data(opc, dpc, sccp):
    pd = struct.pack(">II", opc, dpc) + bytes([3, 2, 0, 5]) + sccp
    body = param(0x0006, struct.pack(">I", 1)) + param(0x0210, pd)
    return struct.pack(">BBBBI", 1, 0, 1, 1, 8 + len(body)) + body
DLG_AS_ID = tlv(0x06, bytes.fromhex("00118605010101"))
AC = tlv(0xa1, tlv(0x06, bytes.fromhex("04000001001403")))  # shortMsgGatewayContext-v3
def begin(otid, invoke):
    aarq = tlv(0x60, tlv(0x80, b"\x07\x80") + AC)
    dlg = tlv(0x6b, tlv(0x28, DLG_AS_ID + tlv(0xa0, aarq)))
    return tlv(0x62, tlv(0x48, otid) + dlg + tlv(0x6c, invoke))
def end(dtid, result):
    aare = tlv(0x61, tlv(0x80, b"\x07\x80") + AC + tlv(0xa2, tlv(0x02, b"\x00")) +
               tlv(0xa3, tlv(0xa1, tlv(0x02, b"\x00"))))
    dlg = tlv(0x6b, tlv(0x28, DLG_AS_ID + tlv(0xa0, aare)))
    return tlv(0x64, tlv(0x49, dtid) + dlg + tlv(0x6c, result))
msisdn, imsis = os.environ["MSISDN"], [os.environ["IMSI_A"], os.environ["IMSI_B"]]
smsc, hlr, msc = "25479900300", "25579900001", "25579900100"
frames = []
for k, imsi in enumerate(imsis):
    tid = struct.pack(">I", 0x5100 + k)
    arg = tlv(0x30, tlv(0x80, b"\x91" + bcd(msisdn)) + tlv(0x81, b"\xff") + tlv(0x82, b"\x91" + bcd(smsc)))
    inv = tlv(0xa1, tlv(0x02, b"\x01") + tlv(0x02, bytes([45])) + arg)
    res = tlv(0x30, tlv(0x04, bcd(imsi)) + tlv(0xa0, tlv(0x81, b"\x91" + bcd(msc))))
    rrl = tlv(0xa2, tlv(0x02, b"\x01") + tlv(0x30, tlv(0x02, bytes([45])) + res))
    frames.append(m3ua_data(0x0202, 0x1201, udt(gt(hlr, 6), gt(smsc, 8), begin(tid, inv))))
    frames.append(m3ua_data(0x1201, 0x0202, udt(gt(smsc, 8), gt(hlr, 6), end(tid, rrl))))
ati = bytes.fromhex(
    "627e4804000000026b432841060700118605010101a036603480020780a109060704000001001d03be2328210607"
    "04000001010101a016a01480099611111111111111f18107961111111111f16c31a12f0201000201473027a00980"
    "0711111111111111a10f80008100830084010086008500870083099611111111111111f1")
frames.append(m3ua_data(0x0202, 0x1201, udt(gt("25579900001", 6), gt("33698765432", 7), ati)))
if os.environ["OUT"]:
    import time
    now = time.time()
    with open(os.environ["OUT"], "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 252))
        tag = struct.pack(">HH", 12, 4) + b"m3ua" + struct.pack(">HH", 0, 0)
        for i, fr in enumerate(frames):
            t = now - 1 + i * 0.01
            rec = tag + fr
            f.write(struct.pack("<IIII", int(t), int(t % 1 * 1e6), len(rec), len(rec)) + rec)
    raise SystemExit(0)
srv = socket.socket(); srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 2905)); srv.listen(1)
cli = socket.create_connection(("127.0.0.1", 2905)); peer, _ = srv.accept()
for f in frames:
    cli.sendall(f)
peer.settimeout(2)
got, want = 0, sum(len(f) for f in frames)
while got < want:
    got += len(peer.recv(65536))
cli.close(); peer.close(); srv.close()
PY
}

# ---- 0: a recorded capture replayed (no capture rights needed): posted when the replay ends ----
traffic "$MSISDN_R" "$tmp/swap.pcap"
write_fw_cfg "http://127.0.0.1:$port/simswap/feed"
out=$("$bin" fw --config "$tmp/fw.yaml" --replay-pcap "$tmp/swap.pcap" 2>&1) || fail "replay: $out"
grep -q "5 messages judged" <<<"$out" || fail "replay: $out"
body=$(camara_check "$MSISDN_R")
grep -q '"swapped":true' <<<"$body" || fail "the replayed swap is not reported: $body; $out"
camara_check | grep -q IDENTIFIER_NOT_FOUND || fail "the live part's number is known already"
echo "ok: a swap in a replayed capture reaches the gateway"

# ---- 0b: a gateway behind TLS: its certificate is verified (ca_file) ----
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$tmp/key.pem" -out "$tmp/cert.pem" >/dev/null 2>&1; then
	sed -e "s|listen: \"127.0.0.1:0\"|listen: \"127.0.0.1:0\"\n  tls: {cert: $tmp/cert.pem, key: $tmp/key.pem}|" \
		-e "s|$tmp/gw.db|$tmp/gw-tls.db|; s|$tmp/audit.jsonl|$tmp/audit-tls.jsonl|" "$tmp/gw.yaml" >"$tmp/gw-tls.yaml"
	start_gw "$tmp/gw-tls.yaml" "$tmp/gw-tls.err"
	gw2=$gw_pid
	tls_url="https://127.0.0.1:$gw_port"
	write_fw_cfg "$tls_url/simswap/feed"
	out=$("$bin" fw --config "$tmp/fw.yaml" --replay-pcap "$tmp/swap.pcap" 2>&1) || fail "replay (TLS): $out"
	grep -qi "simswap feed: POST failed:.*certificate" <<<"$out" || fail "an unknown certificate was not refused: $out"
	camara_check "$MSISDN_R" "$tls_url" "--cacert $tmp/cert.pem" | grep -q IDENTIFIER_NOT_FOUND ||
		fail "lines went to a gateway whose certificate is not trusted"
	write_fw_cfg "$tls_url/simswap/feed" ", ca_file: $tmp/cert.pem"
	out=$("$bin" fw --config "$tmp/fw.yaml" --replay-pcap "$tmp/swap.pcap" 2>&1) || fail "replay (TLS): $out"
	body=$(camara_check "$MSISDN_R" "$tls_url" "--cacert $tmp/cert.pem")
	grep -q '"swapped":true' <<<"$body" || fail "the swap did not reach the TLS gateway: $body; $out"
	kill -TERM "$gw2"; wait "$gw2"; gw2=
	echo "ok: over TLS, the gateway's certificate is verified"
else
	echo "openssl cannot make a test certificate: TLS part skipped"
fi

# ---- 1: passive on lo, gateway up ----
# tests that put M3UA on lo port 2905 take turns (a passive firewall sees every one's traffic)
exec 9>/tmp/dfsguard-lo-m3ua-2905.lock
command -v flock >/dev/null && flock -w 120 9
python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",2905))' 2>/dev/null ||
	{ echo "port 2905 on 127.0.0.1 is in use: live part skipped"; exit 0; }
start_fw "http://127.0.0.1:$port/simswap/feed"
traffic
sent=
for _ in $(seq 100); do sent=$(metric 'dfsguard_fw_simswap_feed_lines_total{outcome="sent"}'); [ "$sent" = 2 ] && break; sleep 0.1; done
[ "$sent" = 2 ] || fail "expected 2 lines sent (old and new pairing), got '${sent}'; $(curl -s "http://127.0.0.1:$mport/metrics" | grep simswap)"
[ "$(metric 'dfsguard_fw_simswap_feed_lines_total{outcome="failed"}')" = 0 ] || fail "failures with the gateway up"
body=$(camara_check)
grep -q '"swapped":true' <<<"$body" || fail "the gateway does not report the swap: $body"
# GW-SIMSWAP: the cooling period started by the firewall's report refuses the PIN change
ussd chg2 "" | grep -q "^CON DFS Wallet" || fail "menu after the swap"
a=$(ussd chg2 6)
[ "$a" = "END For your security, payments and PIN changes are paused for 24 hours after a SIM change. Visit an agent with your ID." ] ||
	fail "PIN change in the cooling period: $a"
grep "GW-SIMSWAP" "$tmp/gw-alerts.jsonl" | grep -q "refused during the SIM swap cooling period" || fail "no GW-SIMSWAP refusal alert"
# our alerts (other tests may put traffic on lo too), without frame number and time
my_alerts() { grep '"calling_gt":"33698765432"' "$tmp/alerts.jsonl" | sed -E 's/"frame":[0-9]+,//; s/"time":"[^"]*",//'; }
alerts_up=$(my_alerts)
[ "$(grep -c '"rule":"FW-CAT1"' <<<"$alerts_up")" = 1 ] || fail "expected one FW-CAT1 alert: $alerts_up"
grep -q '"sim_swap"' "$tmp/alerts.jsonl" && fail "a SIM swap alone raised an alert"
stop_fw
sqlite3 "$tmp/gw.db" "SELECT old_imsi, new_imsi, source FROM sim_swap_events" 2>/dev/null |
	grep -q "^$IMSI_A|$IMSI_B|operator-feed$" ||
	{ command -v sqlite3 >/dev/null && fail "no swap event A -> B in the gateway database"; }
echo "ok: the swap seen by the firewall is reported by the gateway's CAMARA API"

# ---- 2: gateway down: failures counted, verdicts unchanged ----
kill -TERM "$gw"; wait "$gw"; gw=
start_fw "http://127.0.0.1:$port/simswap/feed"
traffic
failed=
for _ in $(seq 100); do failed=$(metric 'dfsguard_fw_simswap_feed_lines_total{outcome="failed"}'); [ "$failed" = 2 ] && break; sleep 0.1; done
[ "$failed" = 2 ] || fail "expected 2 lines failed with the gateway down, got '$failed'"
errors=$(metric dfsguard_fw_simswap_feed_post_errors_total)
[ "$errors" = 3 ] || fail "expected 3 POST attempts to fail (attempts: 3), got '$errors'"
[ "$(metric 'dfsguard_fw_simswap_feed_lines_total{outcome="sent"}')" = 0 ] || fail "lines sent to a down gateway"
# the same verdicts: the swap (its two lines were queued, then failed) and the same alert
[ "$(my_alerts)" = "$alerts_up" ] || fail "alerts differ with the gateway down: $(my_alerts) / $alerts_up"
stop_fw
grep -q "$FEED_TOKEN" "$tmp/fw.err" "$tmp/alerts.jsonl" "$tmp/fw.yaml" && fail "the feed token leaked"
grep -q "simswap feed: POST failed" "$tmp/fw.err" || fail "no feed failure reported on stderr"
echo "ok: a down gateway costs feed failures, not verdicts"
