#!/usr/bin/env bash
# The real `dfsguard ussd` daemon with its MAP face on tcp:127.0.0.1:0 and SQLite, driven by
# `dfsguard sim dial` (the simulator as MSC + HLR over M3UA/TCP) through every wallet menu:
# register, balance, send money, cash-out at an agent, airtime, change PIN, mini-statement;
# screens checked against the message catalogue, ledger effects checked in the database, a wrong
# PIN refused, the sentinel PIN in no log, alert or output, and the audit log verified after
# SIGTERM. Usage: ussd_map_daemon.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
bin="$build/bin/dfsguard"
command -v sqlite3 >/dev/null || { echo "SKIP: sqlite3 (the command-line shell) not installed"; exit 77; }
tmp=$(mktemp -d /tmp/dfsg-ussdmap-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$tmp"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/daemon.err" ] && sed 's/^/daemon: /' "$tmp/daemon.err" | tail -20; exit 1; }

# an unusual PIN that must never show up anywhere; the second is the PIN after the change
PIN=739164
PIN2=826153
ALICE=254700000001 IMSI_A=639020000000001
BOB=254700000002 IMSI_B=639020000000002
CAROL=254700000003

printf 'aggregator-secret-key-0123456789\n' >"$tmp/agg.key"
printf 'wallet-push-key-abcdefghijklmnop\n' >"$tmp/push.key"
printf 'msisdn,name\n%s,Alice Wanjiru\n%s,Bob Otieno\n' "$ALICE" "$BOB" >"$tmp/kyc.csv"
cat >"$tmp/gw.yaml" <<YAML
ussd:
  listen: "127.0.0.1:0"
  database: {backend: sqlite, path: $tmp/gw.db}
  audit_log: $tmp/audit.jsonl
  alert_log: $tmp/alerts.jsonl
  messages: $src/config/messages/en.yaml
  aggregator: {secret_file: $tmp/agg.key}
  pin: {argon2_ops: 1, argon2_mem_kib: 8}
  limits: {per_transaction_min: 10, per_transaction_max: 70000, daily_max: 150000}
  wallet:
    brand: DFS Wallet
    currency: KES
    country_code: "254"
    kyc_csv: $tmp/kyc.csv
    agents: [{number: "1001", name: Kibera Shop}]
    fees:
      p2p: [{upto: 100, fee: 0}, {upto: 10000, fee: 11}]
      cashout: [{upto: 10000, fee: 29}]
  services: [{code: "*384#", app: wallet, push: true, secret_file: $tmp/push.key}]
  map: {listen: "tcp:127.0.0.1:0", routing_context: 7, network: "63902",
        gt: "254700900000", pc: 200, hlr_gt: "254700100000", hlr_pc: 100}
YAML

# start the daemon; ep = the MAP endpoint it prints (KIND:127.0.0.1:PORT[/UDPPORT]), 10 s at most
start_daemon() {
	"$bin" ussd --config "$tmp/gw.yaml" 2>"$tmp/daemon.err" &
	pid=$!
	ep=
	for _ in $(seq 1 100); do
		ep=$(sed -n 's/.*MAP face (M3UA SGP) listening on \([a-z]*:127.0.0.1:[0-9/]*\).*/\1/p' "$tmp/daemon.err")
		[ -n "$ep" ] && break
		kill -0 "$pid" 2>/dev/null || fail "daemon exited"
		sleep 0.1
	done
	[ -n "$ep" ] || fail "no MAP face endpoint printed"
}
start_daemon
case "$ep" in tcp:127.0.0.1:[0-9]*) ;; *) fail "MAP endpoint $ep" ;; esac
grep -q "listening on 127.0.0.1:[0-9]" "$tmp/daemon.err" || fail "no HTTP port printed"
echo "ok: daemon up, MAP face on $ep"

# the catalogue's text for KEY with {NAME} placeholders filled, its lines joined by " / "
msg() {
	local t
	t=$(sed -n "s/^$1: \"\(.*\)\"\$/\1/p" "$src/config/messages/en.yaml")
	[ -n "$t" ] || fail "no message $1 in the catalogue"
	shift
	while [ $# -ge 2 ]; do t=${t//\{$1\}/$2}; shift 2; done
	printf '%s' "${t//\\n/ / }"
}

# dial SUBSCRIBER IMSI INPUT... -> the screens in $tmp/out (exit status kept)
n=0
dial() {
	local msisdn=$1 imsi=$2
	shift 2
	n=$((n + 1))
	"$bin" sim dial --connect "$ep" --rctx 7 --msisdn "$msisdn" --imsi "$imsi" --timeout 10 "$@" \
		>"$tmp/out" 2>"$tmp/dial.err"
}
# the screens of the last dial, one a line (a screen's own lines joined with " / ")
screens() { awk '/^(CON|END) /{if (s != "") print s; s = $0; next} {s = s " / " $0} END {if (s != "") print s}' "$tmp/out"; }
# screen NUMBER TEXT: the NUMBERth screen of the last dial contains TEXT
screen() {
	local line
	line=$(screens | sed -n "${1}p")
	case "$line" in *"$2"*) ;; *) fail "dialogue $n screen $1: want '$2' in '$line' (all: $(cat "$tmp/out"))" ;; esac
}
last() { # the final screen is an END containing TEXT
	local line
	line=$(screens | tail -1)
	case "$line" in "END "*"$1"*) ;; *) fail "dialogue $n: want final 'END ...$1...', got '$line'" ;; esac
}
balance() { sqlite3 "$tmp/gw.db" ".timeout 5000" "SELECT balance FROM accounts WHERE id='$1'"; }

# 1. register Alice and Bob (KYC entries), the PIN twice
dial "$ALICE" "$IMSI_A" 1 "$PIN" "$PIN" || fail "register Alice: $(cat "$tmp/dial.err")"
screen 1 "$(msg wallet.welcome_unregistered brand "DFS Wallet")"
screen 2 "$(msg wallet.reg_pin min 4 max 6)"
screen 3 "$(msg wallet.pin_again)"
last "$(msg wallet.registered brand "DFS Wallet" name "Alice Wanjiru")"
dial "$BOB" "$IMSI_B" 1 "$PIN2" "$PIN2" || fail "register Bob: $(cat "$tmp/dial.err")"
last "Bob Otieno. Your wallet is ready"
[ "$(balance "$ALICE")" = 0 ] || fail "Alice starts with $(balance "$ALICE")"
echo "ok: register over MAP"

# fund Alice with KES 50,000.00 as the operator would (an issuance transfer posted through the
# ledger's own triggers)
sqlite3 "$tmp/gw.db" ".timeout 5000" "BEGIN;
INSERT INTO transfers(idem_key, kind, debit, credit, amount, created)
  VALUES('test-fund-1', 'issue', 'sys:issue', '$ALICE', 5000000, 1);
INSERT INTO entries SELECT id, 'sys:issue', -5000000 FROM transfers WHERE idem_key='test-fund-1';
INSERT INTO entries SELECT id, '$ALICE', 5000000 FROM transfers WHERE idem_key='test-fund-1';
UPDATE transfers SET status='posted' WHERE idem_key='test-fund-1';
COMMIT;" || fail "funding"

# 2. balance
dial "$ALICE" "$IMSI_A" 4 "$PIN" || fail "balance: $(cat "$tmp/dial.err")"
screen 1 "$(msg wallet.menu brand "DFS Wallet")"
screen 2 "$(msg wallet.ask_pin)"
last "$(msg wallet.balance balance "KES 50,000.00")"
echo "ok: balance"

# 3. send money: recipient lookup by local number, confirmation naming Bob and the fee, PIN
dial "$ALICE" "$IMSI_A" 1 0700000002 2500 "$PIN" || fail "send: $(cat "$tmp/dial.err")"
screen 2 "$(msg wallet.ask_recipient)"
screen 3 "$(msg wallet.ask_amount currency KES)"
screen 4 "$(msg wallet.confirm_send amount "KES 2,500.00" name "Bob Otieno" number "$BOB" fee "KES 11.00")"
last "Sent KES 2,500.00 to Bob Otieno"
last "New balance KES 47,489.00"
[ "$(balance "$ALICE")" = 4748900 ] || fail "Alice after send: $(balance "$ALICE")"
[ "$(balance "$BOB")" = 250000 ] || fail "Bob after send: $(balance "$BOB")"
[ "$(balance sys:fees)" = 1100 ] || fail "fees after send: $(balance sys:fees)"
echo "ok: send money"

# 4. cash-out at agent 1001
dial "$ALICE" "$IMSI_A" 2 1001 1000 "$PIN" || fail "cash-out: $(cat "$tmp/dial.err")"
screen 2 "$(msg wallet.ask_agent)"
screen 4 "$(msg wallet.confirm_cashout amount "KES 1,000.00" name "Kibera Shop" number 1001 fee "KES 29.00")"
last "Withdrawal of KES 1,000.00 at Kibera Shop approved"
[ "$(balance "$ALICE")" = 4646000 ] || fail "Alice after cash-out: $(balance "$ALICE")"
[ "$(balance agent:1001)" = 100000 ] || fail "agent after cash-out: $(balance agent:1001)"
echo "ok: cash-out"

# 5. airtime for my number, then for another number
dial "$ALICE" "$IMSI_A" 3 1 100 "$PIN" || fail "airtime: $(cat "$tmp/dial.err")"
screen 2 "$(msg wallet.airtime_who)"
screen 4 "Buy airtime of KES 100.00 for"
last "Airtime of KES 100.00 for"
dial "$ALICE" "$IMSI_A" 3 2 0700000003 50 "$PIN" || fail "airtime other: $(cat "$tmp/dial.err")"
screen 3 "$(msg wallet.ask_airtime_number)"
last "Airtime of KES 50.00 for"
[ "$(balance "$ALICE")" = 4631000 ] || fail "Alice after airtime: $(balance "$ALICE")"
[ "$(balance sys:airtime)" = 15000 ] || fail "airtime account: $(balance sys:airtime)"
echo "ok: airtime"

# 6. mini-statement: newest first, with the balance, paginated ("98 More")
dial "$ALICE" "$IMSI_A" 5 "$PIN" 98 || fail "statement: $(cat "$tmp/dial.err")"
screen 3 "Balance KES 46,310.00"
screen 3 "-KES 50.00 airtime"
screen 3 "-KES 1,029.00 cashout 1001"
screen 3 "98 More"
last "-KES 2,511.00 p2p"
echo "ok: mini-statement"

# 7. a wrong PIN is refused and moves nothing
dial "$ALICE" "$IMSI_A" 1 0700000002 100 "$PIN2" || true
screen 5 "$(msg wallet.pin_wrong left 2)"
[ "$(balance "$ALICE")" = 4631000 ] || fail "money moved on a wrong PIN"
grep -q "exhausted\|more input" "$tmp/dial.err" || fail "wrong PIN dialogue: $(cat "$tmp/dial.err")"
echo "ok: wrong PIN refused"

# 8. change PIN; the old one then fails and the new one works
dial "$ALICE" "$IMSI_A" 6 "$PIN" 582604 582604 || fail "change PIN: $(cat "$tmp/dial.err")"
screen 2 "$(msg wallet.ask_old_pin)"
screen 3 "$(msg wallet.ask_new_pin min 4 max 6)"
screen 4 "$(msg wallet.pin_again)"
last "$(msg wallet.pin_changed)"
dial "$ALICE" "$IMSI_A" 4 "$PIN" || true
screen 3 "Wrong PIN."
dial "$ALICE" "$IMSI_A" 4 582604 || fail "balance with the new PIN: $(cat "$tmp/dial.err")"
last "Your balance is KES 46,310.00"
echo "ok: change PIN"

# 9. UCS2 input, an unknown service code refused, exit from the menu
dial "$BOB" "$IMSI_B" --ucs2 4 "$PIN2" || fail "UCS2 dialogue: $(cat "$tmp/dial.err")"
last "Your balance is KES 2,500.00"
if dial "$BOB" "$IMSI_B" --code "*999#"; then fail "unknown code accepted"; fi
grep -q "ReturnError 36" "$tmp/dial.err" || fail "unknown code: $(cat "$tmp/dial.err")"
dial "$CAROL" 639020000000003 0 || fail "exit: $(cat "$tmp/dial.err")"
last "$(msg wallet.bye brand "DFS Wallet")"
echo "ok: UCS2, refusal, exit"

# 10. network-initiated USSD: the application pushes a notification and a prompt through
# POST /ussd/push; `sim dial --wait-ni` plays the HLR and answers them over M3UA
http=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\) .*/\1/p' "$tmp/daemon.err" | head -1)
[ -n "$http" ] || fail "no HTTP port"
# push TYPE TEXT -> HTTP status in $code, JSON body in $tmp/push.out
push() {
	local body ts sig
	body="serviceCode=%2A384%23&phoneNumber=%2B$ALICE&type=$1&text=$2"
	ts=$(date +%s)
	sig=$(printf '%s.%s' "$ts" "$body" | openssl dgst -sha256 -hmac "wallet-push-key-abcdefghijklmnop" -r | cut -d' ' -f1)
	code=$(curl -s -m 20 -o "$tmp/push.out" -w '%{http_code}' -H "X-DFSG-Timestamp: $ts" \
		-H "X-DFSG-Signature: $sig" --data "$body" "http://127.0.0.1:$http/ussd/push")
}
push notify "Hello"
[ "$code" = 503 ] || fail "push with no HLR peer: $code $(cat "$tmp/push.out")"
"$bin" sim dial --connect "$ep" --rctx 7 --timeout 15 --wait-ni 3 --ni-reply 2 >"$tmp/ni.out" 2>"$tmp/ni.err" &
nipid=$!
for i in $(seq 1 50); do # until the peer's ASP is active: 503 turns into an answer
	# each attempt has its own text: a signed request is accepted once (GW-APPAUTH replay window)
	push notify "Your%20statement%20is%20ready.%20Ref%20$i"
	[ "$code" = 503 ] || break
	sleep 0.1
done
[ "$code" = 200 ] && grep -q '"status":"delivered"' "$tmp/push.out" || fail "notify: $code $(cat "$tmp/push.out")"
push prompt "Rate%20our%20service%3A%201%20Good%202%20Poor"
[ "$code" = 200 ] && grep -q '"status":"answered","text":"2"' "$tmp/push.out" || fail "prompt: $code $(cat "$tmp/push.out")"
long=$(printf 'Statement%%20line%%20%.0s' $(seq 1 12)) # 180 characters: opens with a Begin of its own
push notify "$long"
[ "$code" = 200 ] || fail "long notify (two-step open): $code $(cat "$tmp/push.out")"
push prompt "Confirm%20with%20your%20PIN"
[ "$code" = 403 ] && grep -q refused "$tmp/push.out" || fail "PIN-phishing push: $code $(cat "$tmp/push.out")"
grep -q FW-USSD-PHISH "$tmp/alerts.jsonl" || fail "no FW-USSD-PHISH alert"
wait "$nipid" || fail "sim dial --wait-ni: $(cat "$tmp/ni.err")"
grep -q "^NI 61 $IMSI_A Your statement is ready." "$tmp/ni.out" || fail "NI output: $(cat "$tmp/ni.out")"
grep -q "^NI 60 $IMSI_A Rate our service" "$tmp/ni.out" || fail "NI output: $(cat "$tmp/ni.out")"
[ "$(grep -c '^NI ' "$tmp/ni.out")" = 3 ] || fail "NI output: $(cat "$tmp/ni.out")"
grep -q '"event":"push"' "$tmp/audit.jsonl" || fail "no push audit records"
echo "ok: network-initiated notify and prompt through the daemon, PIN phishing refused"

# bounded failures: nothing listening, then a wrong routing context
port=${ep##*:}
if "$bin" sim dial --connect tcp:127.0.0.1:1 --msisdn "$ALICE" --imsi "$IMSI_A" --timeout 1 4 2>"$tmp/dial.err"; then
	fail "dial to a closed port succeeded"
fi
grep -q "no M3UA ASP-ACTIVE within 1 s" "$tmp/dial.err" || fail "closed port: $(cat "$tmp/dial.err")"
if "$bin" sim dial --connect "tcp:127.0.0.1:$port" --rctx 99 --msisdn "$ALICE" --imsi "$IMSI_A" --timeout 1 4 2>"$tmp/dial.err"; then
	fail "dial with a wrong routing context succeeded"
fi
echo "ok: connect failures are bounded and reported"

kill -TERM "$pid"
wait "$pid" || fail "daemon exit status"
pid=

# the PINs never reach a log, an alert or the dialogue output
for pin in "$PIN" "$PIN2" 582604; do
	for f in "$tmp/daemon.err" "$tmp/audit.jsonl" "$tmp/alerts.jsonl"; do
		[ -f "$f" ] || continue
		if grep -q "$pin" "$f"; then fail "PIN found in $f"; fi
	done
done
grep -q '"face":"map"' "$tmp/audit.jsonl" || fail "no MAP-face audit records"
echo "ok: no PIN in daemon stderr, audit log or alert log"
out=$("$bin" audit verify "$tmp/audit.jsonl") || fail "audit verify: $out"
case "$out" in "OK "*" records") echo "ok: $out" ;; *) fail "audit verify said $out" ;; esac

# the same gateway with its MAP face on userland SCTP (UDP encapsulation): a balance dialogue
sed -i 's|map: {listen: "tcp:127.0.0.1:0"|map: {listen: "usrsctp:127.0.0.1:0"|' "$tmp/gw.yaml"
start_daemon
case "$ep" in usrsctp:127.0.0.1:[0-9]*/[0-9]*) ;; *) fail "usrsctp MAP endpoint $ep" ;; esac
dial "$ALICE" "$IMSI_A" 4 582604 || fail "balance over usrsctp: $(cat "$tmp/dial.err")"
last "$(msg wallet.balance balance "KES 46,310.00")"
kill -TERM "$pid"
wait "$pid" || fail "daemon exit status"
pid=
out=$("$bin" audit verify "$tmp/audit.jsonl") || fail "audit verify: $out"
echo "ok: balance over M3UA/usrsctp ($ep); $out"
