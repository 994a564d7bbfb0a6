#!/usr/bin/env bash
# dfsguard ota build/verify/keys driven with the known-answer vectors of ../shared/vectors/ota-kat.md,
# and the key sentinel test: a sentinel key never appears in any output or file.
set -euo pipefail
build=${1:?usage: ota_cli.sh BUILD_DIR}
bin=$(cd "$build" && pwd)/bin/dfsguard
here=$(cd "$(dirname "$0")" && pwd)
kat=$here/../../shared/vectors/ota-kat.md
[ -x "$bin" ] || { echo "skip: $bin not built"; exit 77; }
[ -r "$kat" ] || { echo "skip: $kat not found"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0 pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }
in_kat() { grep -q "$1" "$kat" || bad "vector $1 is not in ota-kat.md"; }

AES_KIC=200102030405060708090a0b0c0d0e0f AES_KID=201102030405060708090a0b0c0d0e0f
DES_KIC=300102030405060708090a0b0c0d0e0f DES_KID=301102030405060708090a0b0c0d0e0f
DATA=00a40004023f00

# command packets: name spi kic/kid kic-key kid-key expected
while read -r name spi k kick kidk want; do
	in_kat "$want"
	got=$("$bin" ota build --spi "$spi" --kic "$k" --kid "$k" --kic-key "$kick" --kid-key "$kidk" \
		--tar b00011 --cntr 0000000000 --data "$DATA")
	[ "$got" = "$want" ] && ok || bad "build $name: $got"
	out=$("$bin" ota verify --packet "$want" --kic-key "$kick" --kid-key "$kidk" --json)
	echo "$out" | grep -q '"verified":true' && echo "$out" | grep -q "\"data\":\"$DATA\"" && ok || bad "verify $name: $out"
	# the same over SMS-PP: UDH 02 70 00 first
	out=$("$bin" ota verify --packet "027000$want" --bearer sms --kic-key "$kick" --kid-key "$kidk")
	[ "$out" = "$DATA" ] && ok || bad "verify sms $name: $out"
	# a changed byte: status 01, exit 1
	tampered=${want:0:60}$(printf '%02x' $(( 0x${want:60:2} ^ 0x01 )))${want:62}
	if out=$("$bin" ota verify --packet "$tampered" --kic-key "$kick" --kid-key "$kidk" --json); then
		bad "tampered $name verified"
	else
		echo "$out" | grep -q '"status":1,' && ok || bad "tampered $name: $out"
	fi
done <<EOF
aes-cc-cipher 0619 22 $AES_KIC $AES_KID 00281506192222b00011e87cceebb2d93083011ce294f93fc4d8de80da1abae8c37ca3e72ec4432e5058
3des-cc-cipher 0619 35 $DES_KIC $DES_KID 00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f
3des-por-cc 0609 35 $DES_KIC $DES_KID 00201506093535b00011c49ac91ab8159ba5b83a54fb6385e0a5e31694f8b215fafc
3des-no-por-cc 0601 35 $DES_KIC $DES_KID 00201506013535b000113190be334900f52b025f3f7eddfe868e96ebf310023b7769
EOF

# response packets: name spi kic/kid kic-key kid-key por
while read -r name spi k kick kidk por; do
	in_kat "$por"
	out=$("$bin" ota verify --por "$por" --spi "$spi" --kic "$k" --kid "$k" --kic-key "$kick" --kid-key "$kidk" --json)
	echo "$out" | grep -q '"verified":true' && echo "$out" | grep -q '"status":0,' &&
		echo "$out" | grep -q '"data":"016132"' && echo "$out" | grep -q '"cntr":0,' && ok || bad "por $name: $out"
done <<EOF
aes 0619 22 $AES_KIC $AES_KID 027100002412b00011ebc6b497e2cad7aedf36ace0e3a29b38853f0fe9ccde81913be5702b73abce1f
3des-ciphered-cc 0619 35 $DES_KIC $DES_KID 027100001c12b000118bb989492c632529326a2f4681feb37c825bc9021c9f6d0b
3des-cc-only 0609 35 $DES_KIC $DES_KID 027100001612b0001100000000000000b5bcd6353a421fae016132
no-security 0601 35 $DES_KIC $DES_KID 027100000e0ab0001100000000000000016132
EOF
# flip every bit of the "3des CC only" PoR: never verified
por=027100001612b0001100000000000000b5bcd6353a421fae016132
for ((i = 0; i < ${#por} / 2; i++)); do
	for bit in 1 8 128; do
		b=$(printf '%02x' $(( 0x${por:2*i:2} ^ bit )))
		flipped=${por:0:2*i}$b${por:2*i+2}
		if "$bin" ota verify --por "$flipped" --spi 0609 --kic 35 --kid 35 --kic-key $DES_KIC --kid-key $DES_KID \
			>/dev/null 2>&1; then
			bad "flipped PoR byte $i bit $bit verified"
		fi
	done
done
ok

# the Simjacker-style header decodes as SPI 0000, TAR 505348, browser TAR
sj=$("$bin" ota build --spi 0000 --kic 00 --kid 00 --tar 505348 --data 0102 --json)
echo "$sj" | grep -q '"browser_tar":true' && echo "$sj" | grep -q '"no_security":true' && ok || bad "simjacker: $sj"

# single DES only behind --allow-des
if "$bin" ota build --spi 0600 --kic 11 --kid 11 --kic-key 0102030405060708 --kid-key 0102030405060708 \
	--tar b00011 --data 00 >/dev/null 2>"$tmp/des.err"; then
	bad "DES without --allow-des"
else
	grep -q "allow-des" "$tmp/des.err" && ok || bad "DES error text"
fi
"$bin" ota build --spi 0600 --kic 11 --kid 11 --kic-key 0102030405060708 --kid-key 0102030405060708 \
	--tar b00011 --data 00 --allow-des >/dev/null && ok || bad "DES with --allow-des"

# ---- key store and sentinel -----------------------------------------------------------------
SENT=5e471e1ddeadbeef5e471e1ddeadbeef
ICCID=8944000000000000011
printf '%s\n' "$SENT" >"$tmp/kic.hex"
printf '%s\n' "$SENT" >"$tmp/kid.hex"
printf '%s%s\n' "$SENT" "$SENT" >"$tmp/master.hex"
log=$tmp/all-output.txt
run() { "$bin" "$@" >>"$log" 2>&1; }
run ota keys gen-kek --out "$tmp/kek.hex"
[ "$(stat -c %a "$tmp/kek.hex")" = 600 ] && ok || bad "KEK file mode"
KS=(--keystore "$tmp/keys.db" --kek-file "$tmp/kek.hex")
run ota keys import "${KS[@]}" --iccid $ICCID --keyset 1 --kic-alg aes --kic-key-file "$tmp/kic.hex" \
	--kid-alg aes --kid-key-file "$tmp/kid.hex" && ok || bad "keys import"
run ota keys add-master "${KS[@]}" --name m1 --key-file "$tmp/master.hex" && ok || bad "add-master"
run ota keys derive "${KS[@]}" --iccid $ICCID --keyset 2 --master m1 --kic-alg aes --kic-len 16 \
	--kid-alg 3des3 --kid-len 24 && ok || bad "derive"
run ota keys list "${KS[@]}" --json
grep -q '"source":"derived"' "$log" && grep -q '"source":"imported"' "$log" && ok || bad "list"
# build from the store, the counter taken from (and persisted in) the counter db
for i in 1 2 3; do
	run ota build "${KS[@]}" --iccid $ICCID --keyset 1 --spi 1621 --kic 12 --kid 12 --tar b00011 \
		--data "$DATA" --counters "$tmp/cntr.db" --json
done
grep -q '"cntr":3,' "$log" && ok || bad "counter from the db"
pkt=$("$bin" ota build "${KS[@]}" --iccid $ICCID --keyset 2 --spi 1221 --kic 22 --kid 29 --tar b00011 \
	--cntr 0000000001 --data "$DATA" 2>>"$log")
echo "$pkt" >>"$log"
out=$("$bin" ota verify "${KS[@]}" --iccid $ICCID --keyset 2 --packet "$pkt" --json 2>&1)
echo "$out" >>"$log"
echo "$out" | grep -q '"verified":true' && ok || bad "derived keyset round trip: $out"
# with the sentinel itself on the command line (testing mode): it is not echoed either
"$bin" ota build --spi 0619 --kic 22 --kid 22 --kic-key $SENT --kid-key $SENT --tar b00011 --data "$DATA" \
	--json >>"$log" 2>&1
"$bin" ota verify --packet 00281506192222b00011e87cceebb2d93083011ce294f93fc4d8de80da1abae8c37ca3e72ec4432e5058 \
	--kic-key $SENT --kid-key $SENT --json >>"$log" 2>&1 || true
# error paths with keys around
"$bin" ota verify "${KS[@]}" --iccid $ICCID --keyset 9 --packet "$pkt" >>"$log" 2>&1 || true
"$bin" ota keys import "${KS[@]}" --iccid $ICCID --keyset 3 --kic-alg aes --kic-key "${SENT}zz" \
	--kid-alg aes --kid-key $SENT >>"$log" 2>&1 || true
"$bin" ota build --spi 0619 --kic 22 --kid 22 --kic-key ${SENT:0:30} --kid-key $SENT --tar b00011 --data 00 \
	>>"$log" 2>&1 || true
# PKCS#11: a master generated in a SoftHSM2 token derives the keysets of a card
if command -v softhsm2-util >/dev/null && [ -r /usr/lib/softhsm/libsofthsm2.so ]; then
	mkdir "$tmp/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$tmp/tokens" >"$tmp/softhsm2.conf"
	export SOFTHSM2_CONF=$tmp/softhsm2.conf
	softhsm2-util --init-token --free --label dfsg-cli --so-pin 12345678 --pin 24681357 >/dev/null
	printf '24681357\n' >"$tmp/pin"
	P11=(--p11-module /usr/lib/softhsm/libsofthsm2.so --p11-token dfsg-cli --p11-pin-file "$tmp/pin")
	run ota keys p11-generate "${P11[@]}" --label hsm-master --len 32 && ok || bad "p11-generate"
	run ota keys p11-import "${P11[@]}" --label hsm-sentinel --key-file "$tmp/kic.hex" && ok || bad "p11-import"
	run ota keys add-master "${KS[@]}" --name hsm --label hsm-master && ok || bad "add-master p11"
	run ota keys derive "${KS[@]}" --iccid $ICCID --keyset 4 --master hsm --kic-alg aes --kic-len 32 \
		--kid-alg aes --kid-len 16 && ok || bad "derive p11"
	if "$bin" ota build "${KS[@]}" --iccid $ICCID --keyset 4 --spi 1221 --kic 42 --kid 42 --tar b00011 \
		--cntr 0000000001 --data "$DATA" >>"$log" 2>&1; then
		bad "built with a token master but no token"
	else
		ok
	fi
	pkt=$("$bin" ota build "${KS[@]}" "${P11[@]}" --iccid $ICCID --keyset 4 --spi 1221 --kic 42 --kid 42 \
		--tar b00011 --cntr 0000000001 --data "$DATA" 2>>"$log")
	out=$("$bin" ota verify "${KS[@]}" "${P11[@]}" --iccid $ICCID --keyset 4 --packet "$pkt" 2>&1)
	[ "$out" = "$DATA" ] && ok || bad "p11-derived round trip: $out"
	grep -rqi "5e471e1d" "$tmp/tokens" && bad "sentinel key (hex) in the token files" || ok
else
	echo "note: softhsm2-util not installed, PKCS#11 part skipped"
fi
grep -qi "5e471e1d" "$log" && bad "sentinel key in CLI output" || ok
for f in "$tmp"/*.db*; do
	grep -qi "5e471e1d" "$f" && bad "sentinel key (hex) in $f" || ok
	LC_ALL=C grep -qaP '\x5e\x47\x1e\x1d\xde\xad' "$f" && bad "sentinel key (raw) in $f" || ok
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
