#!/usr/bin/env bash
# dfsguard ussd / dfsguard audit from the command line: configuration errors name
# file:line: field, a signed dialogue against the running daemon, audit verification and
# tamper detection. Usage: ussd_cli.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
bin="$build/bin/dfsguard"
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: openssl not installed"; exit 77; }
tmp=$(mktemp -d /tmp/dfsg-ussdcli-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

fail() { echo "FAIL: $*"; exit 1; }
expect_error() { # file expected-substring
	if out=$("$bin" ussd --config "$1" --check 2>&1); then fail "$1 accepted"; fi
	case "$out" in *"$2"*) echo "ok: $2" ;; *) fail "want '$2', got '$out'" ;; esac
}

printf 'aggregator-secret-key-0123456789\n' >"$tmp/agg.key"
base() {
	cat <<YAML
ussd:
  listen: "127.0.0.1:0"
  database: {backend: sqlite, path: $tmp/gw.db}
  audit_log: $tmp/audit.jsonl
  alert_log: $tmp/alerts.jsonl
  messages: $src/config/messages/en.yaml
  aggregator: {secret_file: $tmp/agg.key}
  pin: {argon2_ops: 1, argon2_mem_kib: 8}
YAML
}

# configuration errors: file:line: field: problem
{ base; printf '  session: {idle_timeout: 1}\n  services: [{code: "*384#", app: wallet}]\n'; } >"$tmp/c1.yaml"
expect_error "$tmp/c1.yaml" "c1.yaml:9: ussd.session.idle_timeout: want 5..600, got 1"
{ base; printf '  services: [{code: "384", app: wallet}]\n'; } >"$tmp/c2.yaml"
expect_error "$tmp/c2.yaml" "c2.yaml:9: ussd.services.code: want a USSD code such as *384#"
{ base; printf '  colour: blue\n  services: [{code: "*384#", app: wallet}]\n'; } >"$tmp/c3.yaml"
expect_error "$tmp/c3.yaml" "c3.yaml:9: ussd: unknown key 'colour'"
{ base | sed 's/127.0.0.1:0/0.0.0.0:8443/'; printf '  services: [{code: "*384#", app: wallet}]\n'; } >"$tmp/c4.yaml"
expect_error "$tmp/c4.yaml" "c4.yaml:2: ussd.listen: plain HTTP only on 127.0.0.1; configure ussd.tls"
{ base; printf '  services: [{code: "*384#", app: external, url: "http://example.org/x"}]\n'; } >"$tmp/c5.yaml"
expect_error "$tmp/c5.yaml" "ussd.services.url: want https:// (plain http only to 127.0.0.1)"
{ base; printf '  services:\n    - {code: "*384#", app: wallet\n'; } >"$tmp/c6.yaml"
expect_error "$tmp/c6.yaml" "c6.yaml:11: yaml:"
expect_error "$src/config/ussd.example.yaml" "ussd.example.yaml:"
{ base; printf '  map: {listen: "udp:127.0.0.1:2905"}\n  services: [{code: "*384#", app: wallet}]\n'; } >"$tmp/c7.yaml"
expect_error "$tmp/c7.yaml" "c7.yaml:9: ussd.map.listen:"
{ base; printf '  map: {listen: "tcp:127.0.0.1:0", network: "6x"}\n  services: [{code: "*384#", app: wallet}]\n'; } >"$tmp/c8.yaml"
expect_error "$tmp/c8.yaml" "c8.yaml:9: ussd.map.network: want MCC+MNC digits"
# network-initiated USSD: the MAP routing it needs, the service's key, sane values
printf 'push-application-key-0123456789\n' >"$tmp/app.key"
{ base; printf '  services: [{code: "*384#", app: wallet, push: true, secret_file: %s}]\n' "$tmp/app.key"; } >"$tmp/c9.yaml"
expect_error "$tmp/c9.yaml" "c9.yaml:9: ussd.services.push: needs ussd.map with gt, pc, hlr_gt and hlr_pc"
pmap='  map: {listen: "tcp:127.0.0.1:0", gt: "254722000900", pc: 200, hlr_gt: "254722000100", hlr_pc: 100}\n'
{ base; printf "$pmap"; printf '  services: [{code: "*384#", app: wallet, push: true}]\n'; } >"$tmp/c10.yaml"
expect_error "$tmp/c10.yaml" "c10.yaml:10: ussd.services.secret_file: push needs the application's HMAC key (GW-APPAUTH)"
{ base; printf '  map: {listen: "tcp:127.0.0.1:0", gt: "254722000900", pc: 200}\n  services: [{code: "*384#", app: wallet}]\n'; } >"$tmp/c11.yaml"
expect_error "$tmp/c11.yaml" "c11.yaml:9: ussd.map: network-initiated USSD needs gt, pc, hlr_gt and hlr_pc"
{ base; printf '  map: {listen: "tcp:127.0.0.1:0", gt: "+25472", pc: 200, hlr_gt: "1", hlr_pc: 1}\n  services: [{code: "*384#", app: wallet}]\n'; } >"$tmp/c12.yaml"
expect_error "$tmp/c12.yaml" "c12.yaml:9: ussd.map.gt: want 1 to 15 digits"
{ base; printf '  map: {listen: "tcp:127.0.0.1:0", ni: 4}\n  services: [{code: "*384#", app: wallet}]\n'; } >"$tmp/c13.yaml"
expect_error "$tmp/c13.yaml" "c13.yaml:9: ussd.map.ni: want 0..3, got 4"
{ base; printf "$pmap"; printf '  services: [{code: "*384#", app: wallet, push: maybe}]\n'; } >"$tmp/c14.yaml"
expect_error "$tmp/c14.yaml" "c14.yaml:10: ussd.services.push: want true or false"
{ base; printf "$pmap"; printf '  services: [{code: "*384#", app: wallet, push: true, push_per_hour: 0, secret_file: %s}]\n' "$tmp/app.key"; } >"$tmp/c15.yaml"
expect_error "$tmp/c15.yaml" "c15.yaml:10: ussd.services.push_per_hour: want 1..3600, got 0"
{ base; printf '  map: {listen: "tcp:127.0.0.1:0", push_refuse_words: [pin, "x"]}\n  services: [{code: "*384#", app: wallet}]\n'; } >"$tmp/c16.yaml"
expect_error "$tmp/c16.yaml" "c16.yaml:9: ussd.map.push_refuse_words: want 2 to 32 characters"
{ base; printf "$pmap"; printf '  services: [{code: "*384#", app: wallet, push: true, secret_file: %s}]\n' "$tmp/app.key"; } >"$tmp/push-ok.yaml"
"$bin" ussd --config "$tmp/push-ok.yaml" --check >/dev/null || fail "--check on a push configuration"

# a working configuration
{ base; printf '  services: [{code: "*384#", app: wallet}]\n'; } >"$tmp/ok.yaml"
"$bin" ussd --config "$tmp/ok.yaml" --check | grep -q "ok (1 service codes, database sqlite)" ||
	fail "--check on a good file"

# operator SIM swap file
printf 'msisdn,imsi,time\n254700000001,639020000000001,1767225600\n254700000001,639020000000002,2026-01-02T00:00:00Z\n' >"$tmp/swaps.csv"
out=$("$bin" ussd --config "$tmp/ok.yaml" --import-simswap "$tmp/swaps.csv") || fail "import: $out"
[ "$out" = "$tmp/swaps.csv: 2 lines, 1 SIM swaps" ] || fail "import said $out"
printf '254700000001,not-an-imsi,5\n' >"$tmp/bad.csv"
if out=$("$bin" ussd --config "$tmp/ok.yaml" --import-simswap "$tmp/bad.csv" 2>&1); then fail "bad csv accepted"; fi
case "$out" in *"bad.csv:1: imsi: not 6-15 digits"*) echo "ok: $out" ;; *) fail "bad csv said $out" ;; esac

# run it, one signed dialogue, stop it
"$bin" ussd --config "$tmp/ok.yaml" 2>"$tmp/log" &
pid=$!
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/log")
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || fail "daemon did not start: $(cat "$tmp/log")"
post() { # body -> prints the answer
	ts=$(date +%s)
	sig=$(printf '%s.%s' "$ts" "$1" | openssl dgst -sha256 -hmac "aggregator-secret-key-0123456789" -r | cut -d' ' -f1)
	curl -s -H "X-DFSG-Timestamp: $ts" -H "X-DFSG-Signature: $sig" --data "$1" "http://127.0.0.1:$port/ussd"
}
a=$(post "sessionId=cli1&serviceCode=%2A384%23&phoneNumber=%2B254700000001&networkCode=63902&text=")
[ "${a#CON Welcome to DFS Wallet}" != "$a" ] || fail "first screen: $a"
a=$(post "sessionId=cli1&serviceCode=%2A384%23&phoneNumber=%2B254700000001&networkCode=63902&text=0")
[ "$a" = "END Thank you for using DFS Wallet." ] || fail "exit screen: $a"
code=$(curl -s -o /dev/null -w '%{http_code}' --data "sessionId=x&serviceCode=%2A384%23" "http://127.0.0.1:$port/ussd")
[ "$code" = 403 ] || fail "unsigned request got $code"
kill -TERM "$pid"
wait "$pid" || fail "daemon exit status"
pid=

out=$("$bin" audit verify "$tmp/audit.jsonl") || fail "audit verify: $out"
case "$out" in "OK "*" records") echo "ok: $out" ;; *) fail "audit verify said $out" ;; esac
sed -i '3s/"decision":"[a-z]*"/"decision":"forged"/' "$tmp/audit.jsonl"
if "$bin" audit verify "$tmp/audit.jsonl" >"$tmp/v.out" 2>"$tmp/v.err"; then fail "tampered log verified"; fi
grep -q "audit.jsonl:3: hash mismatch (record edited)" "$tmp/v.err" || fail "tamper message: $(cat "$tmp/v.err")"
echo "ok: tampering detected at record 3"
