#!/usr/bin/env bash
# dfsguard config check: the shipped example passes, a broken file fails with file:line: field.
set -u
bin="$1/bin/dfsguard"
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

out=$("$bin" config check "$root/config/example.yaml") || fail "example.yaml rejected: $out"
case "$out" in *": ok: operator 'Kilima Mobile'"*) ;; *) fail "unexpected summary: $out" ;; esac
echo "$out"

cat > "$tmp/bad.yaml" <<'YAML'
home:
  country_code: "255"
  gt_prefixes: ["2557990"]
  imsi_prefixes: ["64099"]
policy:
  mode: paranoid
rules:
  FW-CAT1: {action: drop}
YAML
if err=$("$bin" config check "$tmp/bad.yaml" 2>&1); then fail "bad.yaml accepted"; fi
echo "$err"
grep -qx "$tmp/bad.yaml:6: policy.mode: 'paranoid' is not one of: learning, strict" <<<"$err" || fail "mode error"
grep -qx "$tmp/bad.yaml:8: rules.FW-CAT1.action: 'drop' is not one of: allow, alert, block" <<<"$err" || fail "action error"
[ "$(wc -l <<<"$err")" -eq 2 ] || fail "expected exactly two errors"

"$bin" config check "$tmp/missing.yaml" 2>/dev/null && fail "missing file accepted"
"$bin" config 2>/dev/null; [ $? -eq 2 ] || fail "usage error must exit 2"
echo "config check: ok"
