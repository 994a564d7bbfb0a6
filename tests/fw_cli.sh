#!/usr/bin/env bash
# dfsguard fw as a daemon: --check on the example and on a broken links section, start with a
# home STP that is not there (the partner listener and metrics still come up), Prometheus
# metrics over HTTP, SIGHUP with a broken file (refused, old configuration stays, daemon runs),
# SIGHUP with a good one, SIGTERM (state snapshot written, exit 0). Bounded in time.
set -u
bin="$1/bin/dfsguard"
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/err" ] && cat "$tmp/err"; exit 1; }
command -v curl >/dev/null || { echo "curl not installed: skipped"; exit 77; }

out=$("$bin" fw --config "$root/config/example.yaml" --check) || fail "example rejected: $out"
[ "$out" = "$root/config/example.yaml: ok (2 partner links, 2 home links)" ] || fail "summary: $out"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
mport=$(free_port); pport=$(free_port); hport=$(free_port)
policy=$(sed -n '1,/^links:/p' "$root/config/example.yaml" | sed '$d')
write_cfg() { # $1: extra line in links
	cat > "$tmp/fw.yaml" <<YAML
$policy
links:
  home_point_codes: [1201]
  partners:
    - {name: alpen, listen: "tcp:127.0.0.1:$pport", routing_context: 1}
  home:
    - {name: stp, connect: "tcp:127.0.0.1:$hport", routing_context: 1, reconnect_ms: 100}
  alerts: {file: "$tmp/alerts.jsonl"}
  capture: {file: "$tmp/blocked.pcap"}
  metrics: {port: $mport}
  snapshot: {file: "$tmp/state.sqlite", interval_s: 3600}
$1
YAML
}
write_cfg "  bogus_key: 1"
if err=$("$bin" fw --config "$tmp/fw.yaml" --check 2>&1); then fail "bogus key accepted"; fi
grep -q "fw.yaml:[0-9]*: links: unknown key bogus_key" <<<"$err" || fail "error text: $err"

# links.simswap_feed (fw_simswap_feed.h): bad values refused with file:line: field: reason,
# the token in no error
TOKEN=tok-Qm3Vx8Rz1Lp5
printf '%s\n' "$TOKEN" > "$tmp/feed.token"
printf '%s\nsecond-line\n' "$TOKEN" > "$tmp/bad.token"
expect_feed_error() { # $1: the simswap_feed mapping, $2: expected error text
	write_cfg "  simswap_feed: $1"
	if err=$("$bin" fw --config "$tmp/fw.yaml" --check 2>&1); then fail "accepted: $1"; fi
	grep -qF "fw.yaml:" <<<"$err" && grep -qF "$2" <<<"$err" || fail "error for $1: $err"
	grep -qF "$TOKEN" <<<"$err" && fail "the token is in the error: $err"
	return 0
}
expect_feed_error "{url: \"http://gw.internal:8443/simswap/feed\", token_file: $tmp/feed.token}" \
	"links.simswap_feed.url: https required (plain http only to 127.0.0.1)"
expect_feed_error "{url: \"https://u:p@gw.internal/simswap/feed\", token_file: $tmp/feed.token}" \
	"links.simswap_feed.url: no user name in the URL"
expect_feed_error "{url: \"not a url\", token_file: $tmp/feed.token}" "links.simswap_feed.url: not a URL"
expect_feed_error "{url: \"https://gw.internal/simswap/feed\"}" "links.simswap_feed: token_file is needed"
expect_feed_error "{token_file: $tmp/feed.token}" "links.simswap_feed: url is needed"
expect_feed_error "{url: \"https://gw.internal/simswap/feed\", token_file: $tmp/none.token}" \
	"links.simswap_feed.token_file: cannot read $tmp/none.token: No such file or directory"
expect_feed_error "{url: \"https://gw.internal/simswap/feed\", token_file: $tmp/bad.token}" \
	"links.simswap_feed.token_file: $tmp/bad.token: want one line of 1 to 511 visible characters"
expect_feed_error "{url: \"https://gw.internal/simswap/feed\", token_file: $tmp/feed.token, batch: 0}" \
	"links.simswap_feed.batch: expected a number from 1 to 10000"
expect_feed_error "{url: \"https://gw.internal/simswap/feed\", token_file: $tmp/feed.token, batch: 200, queue: 100}" \
	"links.simswap_feed.batch: larger than the queue (100)"
expect_feed_error "{url: \"https://gw.internal/simswap/feed\", token_file: $tmp/feed.token, interval_ms: 5}" \
	"links.simswap_feed.interval_ms: expected a number from 10 to 600000"
expect_feed_error "{url: \"https://gw.internal/simswap/feed\", token_file: $tmp/feed.token, all_bindings: maybe}" \
	"links.simswap_feed.all_bindings: expected true or false"
expect_feed_error "{url: \"https://gw.internal/simswap/feed\", token_file: $tmp/feed.token, colour: red}" \
	"links.simswap_feed: unknown key colour"
write_cfg "  simswap_feed: {url: \"https://gw.internal:8443/simswap/feed\", token_file: $tmp/feed.token, batch: 100, interval_ms: 1000, queue: 10000, all_bindings: true}"
"$bin" fw --config "$tmp/fw.yaml" --check >/dev/null 2>&1 || fail "a good simswap_feed refused"

write_cfg ""
"$bin" fw --config "$tmp/fw.yaml" 2>"$tmp/err" &
pid=$!
metrics=
for _ in $(seq 100); do
	metrics=$(curl -sf "http://127.0.0.1:$mport/metrics") && break
	sleep 0.1
done
[ -n "$metrics" ] || fail "no metrics endpoint"
grep -q '^dfsguard_fw_link_up{link="stp",side="home",state="ASP-DOWN"} 0$' <<<"$metrics" || fail "home link state"
grep -q '^dfsguard_fw_messages_total{link="alpen",direction="from_partner",outcome="in"} 0$' <<<"$metrics" || fail "counters"
grep -q '^dfsguard_fw_verdict_seconds_bucket{le="+Inf"} 0$' <<<"$metrics" || fail "histogram"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/other")" = 404 ] || fail "404"

# SIGHUP with a broken file: refused, the daemon keeps running with the old configuration
write_cfg "  on_error: sometimes"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q "reload refused" "$tmp/err" && break; sleep 0.1; done
grep -q "reload refused" "$tmp/err" || fail "bad reload not reported"
grep -q "links.on_error: expected one of open, closed" "$tmp/err" || fail "bad reload error text"
kill -0 "$pid" || fail "daemon died on a bad reload"
curl -sf "http://127.0.0.1:$mport/metrics" | grep -q '^dfsguard_fw_reload_failures_total 1$' || fail "reload failure not counted"

# SIGHUP with a good file
write_cfg "  on_error: open"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q "reloaded" "$tmp/err" && break; sleep 0.1; done
grep -q "reloaded" "$tmp/err" || fail "good reload not reported"
curl -sf "http://127.0.0.1:$mport/metrics" | grep -q '^dfsguard_fw_reloads_total 1$' || fail "reload not counted"

# SIGHUP adding a SIM swap feed: the rest applies, the feed waits for a restart, and says so
write_cfg "  simswap_feed: {url: \"http://127.0.0.1:1/simswap/feed\", token_file: $tmp/feed.token}"
kill -HUP "$pid"
for _ in $(seq 50); do grep -q "take effect at the next restart" "$tmp/err" && break; sleep 0.1; done
grep -q "the links section changed: link changes take effect at the next restart" "$tmp/err" ||
	fail "a feed added by a reload not reported as needing a restart"
metrics=$(curl -sf "http://127.0.0.1:$mport/metrics")
grep -q '^dfsguard_fw_reloads_total 2$' <<<"$metrics" || fail "second reload not counted"
grep -q simswap_feed <<<"$metrics" && fail "a reload started the feed"

kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
pid=
[ "$rc" = 0 ] || fail "exit status $rc"
[ -s "$tmp/state.sqlite" ] || fail "no state snapshot at shutdown"
echo "fw daemon: check, metrics, reloads and shutdown ok"
