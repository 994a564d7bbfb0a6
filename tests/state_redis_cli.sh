#!/usr/bin/env bash
# `dfsguard analyze` with the subscriber state in Redis (state.backend: redis) gives the same
# alerts as with the in-process state, over a simulated capture whose attacks need learned state
# (FW-INTERCEPT after a move, FW-CAT3 impossible travel, FW-SMS-HOME rate buckets), under two
# key prefixes (two separate states on one server); an unreachable Redis is refused at start,
# with its address. `dfsguard fw --replay-pcap` (passive mode) with the state in Redis writes the
# same alerts as in memory and no SQLite snapshot (that is for the memory backend only).
# usage: state_redis_cli.sh BUILD_DIR
set -uo pipefail
bin=$1/bin/dfsguard
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cfg=$root/config/example.yaml
command -v redis-server >/dev/null || { echo "SKIP: redis-server not installed (redis-server package)"; exit 77; }
command -v redis-cli >/dev/null || { echo "SKIP: redis-cli not installed (redis-tools package)"; exit 77; }
work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
pass=0; fail=0
check() { local name=$1; shift; if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $name"; fi; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for attempt in 1 2 3; do
  port=$(free_port)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >"$work/redis.log" 2>&1 &
  pid=$!
  for _ in $(seq 100); do
    [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break 2
    sleep 0.1
  done
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=
done
[ -n "$pid" ] || { echo "FAIL: redis-server did not start"; cat "$work/redis.log"; exit 1; }

with_redis() { # PREFIX [ADDRESS] -> a configuration file on stdout
  local addr=${2:-127.0.0.1:$port}
  sed "s|^state:\$|state:\n  backend: redis\n  redis: {address: \"$addr\", prefix: \"$1\", timeout_ms: 1000}|" "$cfg"
}
with_redis e2e1: > "$work/r1.yaml"
with_redis e2e2: > "$work/r2.yaml"
with_redis e2e1: "127.0.0.1:$(free_port)" > "$work/down.yaml"
check "config with redis is valid" "$bin" config check "$work/r1.yaml" >"$work/check.out"
check "config check names the redis address" grep -q "state in Redis at 127.0.0.1:$port\$" "$work/check.out"

"$bin" sim FW-INTERCEPT FW-CAT3 FW-SMS-HOME benign --config "$cfg" --seed 5 --count 300 -o "$work/s.pcap" 2>/dev/null
"$bin" analyze --config "$cfg" --json "$work/s.pcap" > "$work/mem.json"
"$bin" analyze --config "$work/r1.yaml" --json "$work/s.pcap" > "$work/redis.json"; rc=$?
check "analyze with redis exits 0" test "$rc" -eq 0
check "alerts raised" test -s "$work/mem.json"
check "state-dependent rules among them" grep -q '"FW-INTERCEPT"\|"FW-SMS-HOME"' "$work/mem.json"
check "same alerts with redis as in memory" cmp -s "$work/mem.json" "$work/redis.json"
echo "$(wc -l < "$work/mem.json") alerts in memory, $(wc -l < "$work/redis.json") with redis"
check "keys written under the prefix" test "$(redis-cli -p "$port" --scan --pattern 'e2e1:s:*' | wc -l)" -gt 0
check "nothing under another prefix" test "$(redis-cli -p "$port" --scan --pattern 'e2e2:*' | wc -l)" -eq 0

# a second node (another prefix is another, empty state) agrees too
"$bin" analyze --config "$work/r2.yaml" --json "$work/s.pcap" > "$work/redis2.json"
check "a fresh prefix gives the same alerts" cmp -s "$work/mem.json" "$work/redis2.json"

# state operations failing in Redis (a key of the wrong type under the prefix) are reported
with_redis e2e3: > "$work/r4.yaml"
redis-cli -p "$port" set e2e3:stats not-a-hash >/dev/null
"$bin" analyze --config "$work/r4.yaml" --json "$work/s.pcap" > /dev/null 2> "$work/err4"; rc=$?
check "failed state operations make analyze exit 1" test "$rc" -eq 1
check "failed state operations reported" grep -q "subscriber state operations failed" "$work/err4"

"$bin" analyze --config "$work/down.yaml" --json "$work/s.pcap" > /dev/null 2> "$work/err"; rc=$?
check "unreachable redis refused" test "$rc" -ne 0
check "unreachable redis named" grep -q "127.0.0.1:" "$work/err"

# the firewall daemon's passive replay: links for a mirror, alerts and a snapshot file
fw_config() { # STATE_CONFIG NAME -> NAME.yaml
  sed '/^links:/,$d' "$1" > "$work/$2.yaml"
  cat >> "$work/$2.yaml" <<YAML
links:
  partners: [{name: mirror, listen: "tcp:127.0.0.1:1"}]
  home: [{name: unused, connect: "tcp:127.0.0.1:1"}]
  alerts: {file: "$work/$2.jsonl"}
  snapshot: {file: "$work/$2.snap"}
YAML
}
with_redis fw1: > "$work/r3.yaml"
fw_config "$cfg" fwmem
fw_config "$work/r3.yaml" fwredis
"$bin" fw --config "$work/fwmem.yaml" --replay-pcap "$work/s.pcap" 2>/dev/null
"$bin" fw --config "$work/fwredis.yaml" --replay-pcap "$work/s.pcap" 2>"$work/fwerr"; rc=$?
check "fw replay with redis exits 0" test "$rc" -eq 0
check "fw replay alerts" test -s "$work/fwmem.jsonl"
check "fw replay: same alerts with redis" cmp -s "$work/fwmem.jsonl" "$work/fwredis.jsonl"
check "memory backend snapshot written" test -s "$work/fwmem.snap"
check "no snapshot with redis" test ! -e "$work/fwredis.snap"
check "fw learned into redis" test "$(redis-cli -p "$port" --scan --pattern 'fw1:s:*' | wc -l)" -gt 0
echo "$pass passed, $fail failed"
test "$fail" -eq 0
