/* The receiving entity, counters, the card simulator and the GW-E2E path: PoR status codes for
 * replay (02), tampering (01), under-secured packets (0A), unknown TAR (09); counters persisted
 * before a packet leaves (crash simulation); an end-to-end protected wallet transfer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "ota_card.h"
#include "ota_counter.h"
#include "ota_keystore.h"
#include "ota_service.h"
#include "ota_test_util.h"
#include "ota_transport.h"
#include "ota_wallet.h"

#define ICCID "8923400000000000017"
static const uint8_t KEK[32] = "0123456789abcdef0123456789abcde";

static char tmpdir[256];

static void path_in_tmp(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tmpdir, name);
}

/* The KAT command packets through the card simulator give exactly the KAT PoRs. */
static void test_card_answers_kat(void **state)
{
	static const struct {
		const char *cmd, *por;
		bool aes;
	} v[] = {
		{"00281506192222b00011e87cceebb2d93083011ce294f93fc4d8de80da1abae8c37ca3e72ec4432e5058",
		 "027100002412b00011ebc6b497e2cad7aedf36ace0e3a29b38853f0fe9ccde81913be5702b73abce1f", true},
		{"00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f",
		 "027100001c12b000118bb989492c632529326a2f4681feb37c825bc9021c9f6d0b", false},
		{"00201506093535b00011c49ac91ab8159ba5b83a54fb6385e0a5e31694f8b215fafc",
		 "027100001612b0001100000000000000b5bcd6353a421fae016132", false},
		{"00201506013535b000113190be334900f52b025f3f7eddfe868e96ebf310023b7769",
		 "027100000e0ab0001100000000000000016132", false},
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct ota_card *c = ota_card_new(ICCID);
		struct ota_keyset ks;
		uint8_t pkt[128], want[128], out[256];
		struct ota_rx_result res;
		assert_non_null(c);
		if (v[i].aes)
			t_kat_aes(&ks);
		else
			t_kat_3des(&ks);
		assert_int_equal(ota_card_set_keyset(c, &ks), 0);
		size_t n = t_hex(v[i].cmd, pkt, sizeof(pkt)), wn = t_hex(v[i].por, want, sizeof(want));
		struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
		assert_int_equal(ota_card_receive(c, OTA_BEARER_SMS, pkt, n, &w, &res), 0);
		assert_int_equal(res.status, OTA_ST_OK);
		assert_int_equal(w.len, wn);
		assert_memory_equal(out, want, wn);
		ota_card_free(c);
	}
}

/* A changed byte gives 01, unknown TAR 09, under-secured 0A (each with a PoR). */
static void test_card_status_codes(void **state)
{
	struct ota_card *c = ota_card_new(ICCID);
	struct ota_keyset ks;
	uint8_t pkt[128], out[256];
	struct ota_rx_result res;
	t_kat_aes(&ks);
	assert_int_equal(ota_card_set_keyset(c, &ks), 0);
	size_t n = t_hex("00281506192222b00011e87cceebb2d93083011ce294f93fc4d8de80da1abae8c37ca3e72ec4432e5058",
			 pkt, sizeof(pkt));
	/* every byte after the header changed in turn: RC/CC failed */
	for (size_t i = 10; i < n; i++) {
		pkt[i] ^= 0x5a;
		struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
		assert_int_equal(ota_card_receive(c, OTA_BEARER_SMS, pkt, n, &w, &res), 0);
		assert_int_equal(res.status, OTA_ST_RC_CC_DS_FAILED);
		assert_true(w.len > 0); /* SPI 0619: PoR always */
		pkt[i] ^= 0x5a;
	}
	/* unknown TAR: the Simjacker-style packet (S@T browser TAR 505348, SPI 0000) */
	struct ota_cmd_params p = {.spi = {0x00, 0x01}, .tar = 0x505348, .data = (const uint8_t *)"\x01\x02", .data_len = 2};
	struct dfs_wbuf w = dfs_wbuf_init(pkt, sizeof(pkt));
	assert_int_equal(ota_cmd_encode(&w, &p, NULL, NULL, 0, 0), 0);
	struct dfs_wbuf wo = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(ota_card_receive(c, OTA_BEARER_SMS, pkt, w.len, &wo, &res), 0);
	assert_int_equal(res.status, OTA_ST_TAR_UNKNOWN);
	struct ota_rsp_pkt r;
	assert_int_equal(ota_rsp_decode(out + 3, wo.len - 3, 3, &r, NULL), 0);
	assert_int_equal(r.status, OTA_ST_TAR_UNKNOWN); /* unsecured PoR: keys unknown */
	/* the RFM TAR without security: insufficient security level */
	p.tar = OTA_TAR_USIM_RFM;
	w = dfs_wbuf_init(pkt, sizeof(pkt));
	assert_int_equal(ota_cmd_encode(&w, &p, NULL, NULL, 0, 0), 0);
	wo = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(ota_card_receive(c, OTA_BEARER_SMS, pkt, w.len, &wo, &res), 0);
	assert_int_equal(res.status, OTA_ST_INSUFFICIENT_SECURITY);
	/* CC but no ciphering: still under the RFM minimum */
	p.spi[0] = 0x02;
	p.kid = 0x22;
	w = dfs_wbuf_init(pkt, sizeof(pkt));
	assert_int_equal(ota_cmd_encode(&w, &p, &ks, NULL, 0, 0), 0);
	wo = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(ota_card_receive(c, OTA_BEARER_SMS, pkt, w.len, &wo, &res), 0);
	assert_int_equal(res.status, OTA_ST_INSUFFICIENT_SECURITY);
	/* a key version the card does not have */
	p.spi[0] = 0x06;
	p.kic = p.kid = 0x52;
	struct ota_keyset k5 = ks;
	k5.kvn = 5;
	w = dfs_wbuf_init(pkt, sizeof(pkt));
	assert_int_equal(ota_cmd_encode(&w, &p, &k5, NULL, 0, 0), 0);
	wo = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(ota_card_receive(c, OTA_BEARER_SMS, pkt, w.len, &wo, &res), 0);
	assert_int_equal(res.status, OTA_ST_SECURITY_ERROR);
	/* garbage does not parse: no PoR */
	wo = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(ota_card_receive(c, OTA_BEARER_SMS, pkt, 5, &wo, &res), -EBADMSG);
	assert_int_equal(wo.len, 0);
	ota_card_free(c);
}

static void test_counter_rules(void **state)
{
	assert_int_equal(ota_counter_rule(OTA_CNTR_NONE, 5, 0, 0), OTA_ST_OK);
	assert_int_equal(ota_counter_rule(OTA_CNTR_NO_CHECK, 5, 1, 0), OTA_ST_OK);
	assert_int_equal(ota_counter_rule(OTA_CNTR_HIGHER, 5, 5, 0), OTA_ST_CNTR_LOW);
	assert_int_equal(ota_counter_rule(OTA_CNTR_HIGHER, 5, 4, 0), OTA_ST_CNTR_LOW);
	assert_int_equal(ota_counter_rule(OTA_CNTR_HIGHER, 5, 900, 0), OTA_ST_OK);
	assert_int_equal(ota_counter_rule(OTA_CNTR_HIGHER, 5, 900, 10), OTA_ST_CNTR_HIGH);
	assert_int_equal(ota_counter_rule(OTA_CNTR_HIGHER, 5, 15, 10), OTA_ST_OK);
	assert_int_equal(ota_counter_rule(OTA_CNTR_NEXT, 5, 6, 0), OTA_ST_OK);
	assert_int_equal(ota_counter_rule(OTA_CNTR_NEXT, 5, 7, 0), OTA_ST_CNTR_HIGH);
	assert_int_equal(ota_counter_rule(OTA_CNTR_NEXT, 5, 5, 0), OTA_ST_CNTR_LOW);
	assert_int_equal(ota_counter_rule(OTA_CNTR_HIGHER, OTA_CNTR_MAXVAL, OTA_CNTR_MAXVAL, 0),
			 OTA_ST_CNTR_BLOCKED);
	assert_int_equal(ota_counter_rule(OTA_CNTR_NEXT, OTA_CNTR_MAXVAL, 0, 0), OTA_ST_CNTR_BLOCKED);
	assert_false(ota_counter_mode_records(OTA_CNTR_NO_CHECK));
	assert_true(ota_counter_mode_records(OTA_CNTR_NEXT));
}

static void test_min_security(void **state)
{
	struct ota_tar_policy money = {.min_chk = OTA_CHK_CC, .need_cipher = true, .min_cntr = OTA_CNTR_HIGHER};
	struct ota_spi s = {.chk = OTA_CHK_CC, .cipher = true, .cntr = OTA_CNTR_HIGHER};
	assert_true(ota_security_sufficient(&s, &money));
	s.cntr = OTA_CNTR_NEXT;
	assert_true(ota_security_sufficient(&s, &money));
	s.cntr = OTA_CNTR_NO_CHECK;
	assert_false(ota_security_sufficient(&s, &money));
	s.cntr = OTA_CNTR_HIGHER;
	s.chk = OTA_CHK_RC;
	assert_false(ota_security_sufficient(&s, &money));
	s.chk = OTA_CHK_CC;
	s.cipher = false;
	assert_false(ota_security_sufficient(&s, &money));
}

static void test_tar_policy_parse(void **state)
{
	struct ota_tar_policy p;
	assert_int_equal(ota_tar_policy_parse("574c54:cc+cipher+counter+gap=100", &p), 0);
	assert_int_equal(p.tar, 0x574c54);
	assert_int_equal(p.min_chk, OTA_CHK_CC);
	assert_true(p.need_cipher);
	assert_int_equal(p.min_cntr, OTA_CNTR_HIGHER);
	assert_int_equal(p.max_gap, 100);
	assert_int_equal(ota_tar_policy_parse("B00011:", &p), 0);
	assert_int_equal(p.tar, 0xb00011);
	assert_int_equal(p.min_chk, OTA_CHK_NONE);
	assert_int_equal(ota_tar_policy_parse("b00011:rc+next", &p), 0);
	assert_int_equal(p.min_cntr, OTA_CNTR_NEXT);
	const char *bad[] = {"", "b00011", "b0001:cc", "g00011:cc", "b00011:cc+", "b00011:xx", "b00011:gap=0",
			     "b00011:gap=1x", "b00011:cc++cipher"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(ota_tar_policy_parse(bad[i], &p), -EINVAL);
}

/* The operator side: keystore + counters on disk. */
struct env {
	struct ota_keystore *ks;
	struct ota_counter_db *cdb;
	struct ota_service svc;
	struct ota_card *card;
	struct ota_keyset keys;
};

/* ---- GW-E2E: a toy wallet standing in for the USSD gateway's ---------------------------- */
struct toy_wallet {
	uint64_t payer, payee;
	unsigned executed;
};

/* What the USSD gateway does with a secured packet from the applet: unwrap, act, answer. */
static int gateway_step(struct env *e, struct toy_wallet *tw, const uint8_t *ussd, size_t len,
			uint8_t *por, size_t porsz, size_t *porlen, uint8_t *status_out)
{
	struct ota_reasm *ra = ota_reasm_new(OTA_BEARER_USSD);
	uint8_t *plain = ota_secret_alloc(512);
	struct ota_rx_result res;
	size_t plen, cpl, rpl;
	const uint8_t *cp = ota_bearer_cmd_prefix(OTA_BEARER_USSD, &cpl);
	const uint8_t *rp = ota_bearer_rsp_prefix(OTA_BEARER_USSD, &rpl);
	assert_int_equal(ota_reasm_add(ra, ussd, len, NULL), 1);
	const uint8_t *pkt = ota_reasm_packet(ra, &plen, NULL);
	assert_int_equal(ota_service_unwrap(&e->svc, ICCID, cp, cpl, pkt, plen, plain, 512, &res), 0);
	uint8_t ansbuf[128];
	struct dfs_wbuf aw = dfs_wbuf_init(ansbuf, sizeof(ansbuf));
	if (res.status == OTA_ST_OK) {
		struct ota_wallet_txn t;
		struct ota_wallet_answer a = {.result = OTA_WR_DONE};
		if (ota_wallet_txn_decode(res.data, res.data_len, 0, &t, NULL)) {
			a.result = OTA_WR_MALFORMED;
		} else {
			memcpy(a.ref, t.ref, t.ref_len);
			a.ref_len = t.ref_len;
			if (strcmp(t.pin, "4711"))
				a.result = OTA_WR_BAD_PIN;
			else if (t.amount > tw->payer)
				a.result = OTA_WR_FUNDS;
			else {
				tw->payer -= t.amount;
				tw->payee += t.amount;
				tw->executed++;
				a.has_balance = true;
				a.balance = tw->payer;
				snprintf(a.txid, sizeof(a.txid), "TX%u", tw->executed);
			}
			sodium_memzero(&t, sizeof(t));
		}
		assert_int_equal(ota_wallet_answer_encode(&aw, &a), 0);
	}
	sodium_memzero(plain, 512);
	struct dfs_wbuf w = dfs_wbuf_init(por, porsz);
	assert_int_equal(ota_service_wrap_por(&e->svc, ICCID, &res, -1, ansbuf, aw.len, rp, rpl, &w), 0);
	*porlen = w.len;
	*status_out = res.status;
	ota_secret_free(plain);
	ota_reasm_free(ra);
	return 0;
}

static const struct ota_tar_policy gw_tars[] = {
	{.tar = OTA_TAR_WALLET, .name = "wallet", .min_chk = OTA_CHK_CC, .need_cipher = true,
	 .min_cntr = OTA_CNTR_HIGHER},
};

static void env_open(struct env *e, const char *tag)
{
	char kp[300], cp[300];
	snprintf(kp, sizeof(kp), "%s/keys-%s.db", tmpdir, tag);
	snprintf(cp, sizeof(cp), "%s/cntr-%s.db", tmpdir, tag);
	assert_int_equal(ota_keystore_open(&e->ks, kp, KEK, NULL, 0), 0);
	assert_int_equal(ota_counter_open(&e->cdb, cp, NULL, 0), 0);
	ota_service_init(&e->svc, e->ks, e->cdb, gw_tars, 1, 0);
	memset(&e->keys, 0, sizeof(e->keys));
	e->keys.kvn = 1;
	e->keys.kic.alg = e->keys.kid.alg = OTA_ALG_AES;
	e->keys.kic.len = e->keys.kid.len = 16;
	randombytes_buf(e->keys.kic.k, 16);
	randombytes_buf(e->keys.kid.k, 16);
	assert_int_equal(ota_keystore_import(e->ks, ICCID, &e->keys), 0);
	e->card = ota_card_new(ICCID);
	assert_int_equal(ota_card_set_keyset(e->card, &e->keys), 0);
}

static void env_close(struct env *e)
{
	ota_card_free(e->card);
	ota_counter_close(e->cdb);
	ota_keystore_close(e->ks);
	sodium_memzero(&e->keys, sizeof(e->keys));
}

/* The applet's packet as USSD strings (one here). */
static size_t applet_send(struct env *e, const struct ota_wallet_txn *t, uint8_t *ussd, struct ota_card_pending *pend)
{
	uint8_t pkt[300];
	struct ota_seg segs[2];
	const uint8_t spi[2] = {0x16, 0x39}; /* CC, ciphered, counter higher; PoR always, CC, ciphered */
	struct dfs_wbuf w = dfs_wbuf_init(pkt, sizeof(pkt));
	assert_int_equal(ota_card_wallet_request(e->card, OTA_BEARER_USSD, 1, spi, OTA_TAR_WALLET, t, &w, pend), 0);
	assert_int_equal(ota_ussd_segment(pkt, w.len, false, 7, segs, 2), 1);
	memcpy(ussd, segs[0].b, segs[0].len);
	return segs[0].len;
}

static void test_gw_e2e_transfer(void **state)
{
	struct env e;
	struct toy_wallet tw = {.payer = 10000, .payee = 0};
	struct ota_wallet_txn t = {.version = 1, .op = OTA_WALLET_OP_TRANSFER, .pin = "4711", .amount = 2500,
				   .currency = "KES", .recipient = "254700000001", .ref = {1, 2, 3, 4}, .ref_len = 4};
	struct ota_card_pending pend;
	struct ota_wallet_answer ans;
	uint8_t ussd[200], por[300], status;
	size_t porlen;
	env_open(&e, "e2e");

	size_t n = applet_send(&e, &t, ussd, &pend);
	assert_true(n <= OTA_USSD_MAX);
	/* the PIN is not visible on the wire */
	assert_null(memmem(ussd, n, "4711", 4));
	gateway_step(&e, &tw, ussd, n, por, sizeof(por), &porlen, &status);
	assert_int_equal(status, OTA_ST_OK);
	assert_int_equal(tw.payer, 7500);
	assert_int_equal(tw.payee, 2500);
	assert_int_equal(por[0], OTA_IEI_RSP_PKT);
	assert_int_equal(ota_card_wallet_por(e.card, OTA_BEARER_USSD, &pend, por + 1, porlen - 1, &status, &ans), 0);
	assert_int_equal(status, OTA_ST_OK);
	assert_int_equal(ans.result, OTA_WR_DONE);
	assert_true(ans.has_balance);
	assert_int_equal(ans.balance, 7500);
	assert_string_equal(ans.txid, "TX1");

	/* the same packet replayed: PoR 02, no money moves */
	gateway_step(&e, &tw, ussd, n, por, sizeof(por), &porlen, &status);
	assert_int_equal(status, OTA_ST_CNTR_LOW);
	assert_int_equal(tw.payer, 7500);
	assert_int_equal(tw.executed, 1);
	assert_int_equal(ota_card_wallet_por(e.card, OTA_BEARER_USSD, &pend, por + 1, porlen - 1, &status, &ans), 0);
	assert_int_equal(status, OTA_ST_CNTR_LOW);

	/* a fresh transfer with one byte changed on the way: PoR 01, no money moves */
	n = applet_send(&e, &t, ussd, &pend);
	ussd[n - 3] ^= 0x01;
	gateway_step(&e, &tw, ussd, n, por, sizeof(por), &porlen, &status);
	assert_int_equal(status, OTA_ST_RC_CC_DS_FAILED);
	assert_int_equal(tw.executed, 1);
	/* the untampered original still goes through afterwards: a forged packet did not burn it */
	ussd[n - 3] ^= 0x01;
	gateway_step(&e, &tw, ussd, n, por, sizeof(por), &porlen, &status);
	assert_int_equal(status, OTA_ST_OK);
	assert_int_equal(tw.executed, 2);

	/* the CPI is covered by the CC: the same bytes presented as an SMS-PP packet fail */
	n = applet_send(&e, &t, ussd, &pend);
	struct ota_rx_result res;
	uint8_t plain[300];
	assert_int_equal(ota_service_unwrap(&e.svc, ICCID, NULL, 0, ussd + 1, n - 1, plain, sizeof(plain), &res), 0);
	assert_int_equal(res.status, OTA_ST_RC_CC_DS_FAILED);

	/* a wrong PIN is the application's answer, inside a valid PoR */
	struct ota_wallet_txn bad = t;
	strcpy(bad.pin, "0000");
	n = applet_send(&e, &bad, ussd, &pend);
	gateway_step(&e, &tw, ussd, n, por, sizeof(por), &porlen, &status);
	assert_int_equal(status, OTA_ST_OK);
	assert_int_equal(ota_card_wallet_por(e.card, OTA_BEARER_USSD, &pend, por + 1, porlen - 1, &status, &ans), 0);
	assert_int_equal(ans.result, OTA_WR_BAD_PIN);
	assert_int_equal(tw.executed, 2);
	/* a tampered PoR is refused by the applet */
	por[porlen - 1] ^= 0x80;
	assert_int_equal(ota_card_wallet_por(e.card, OTA_BEARER_USSD, &pend, por + 1, porlen - 1, &status, &ans),
			 -EACCES);

	/* an under-secured packet to the wallet TAR: 0A; an unknown TAR: 09 */
	struct ota_cmd_params p = {.spi = {0x02, 0x01}, .kic = 0x12, .kid = 0x12, .tar = OTA_TAR_WALLET,
				   .data = (const uint8_t *)"x", .data_len = 1};
	uint8_t pkt[128];
	struct dfs_wbuf w = dfs_wbuf_init(pkt, sizeof(pkt));
	assert_int_equal(ota_cmd_encode(&w, &p, &e.keys, (const uint8_t *)"\x70", 1, 0), 0);
	assert_int_equal(ota_service_unwrap(&e.svc, ICCID, (const uint8_t *)"\x70", 1, pkt, w.len, plain,
					    sizeof(plain), &res), 0);
	assert_int_equal(res.status, OTA_ST_INSUFFICIENT_SECURITY);
	p.tar = 0x123456;
	w = dfs_wbuf_init(pkt, sizeof(pkt));
	assert_int_equal(ota_cmd_encode(&w, &p, &e.keys, (const uint8_t *)"\x70", 1, 0), 0);
	assert_int_equal(ota_service_unwrap(&e.svc, ICCID, (const uint8_t *)"\x70", 1, pkt, w.len, plain,
					    sizeof(plain), &res), 0);
	assert_int_equal(res.status, OTA_ST_TAR_UNKNOWN);
	env_close(&e);
}

/* The sending counter is on disk before the packet exists: a crash between reserving and sending
 * leaves a gap, never a reuse. */
static void test_counter_persisted_before_send(void **state)
{
	struct env e;
	uint8_t pkt[200], cntr[5], out[300];
	const uint8_t spi[2] = {0x16, 0x21};
	env_open(&e, "crash");
	ota_card_set_rfm_policy(e.card, OTA_CHK_CC, true, OTA_CNTR_HIGHER);
	uint8_t apdu[] = {0x00, 0xa4, 0x00, 0x04, 0x02, 0x3f, 0x00};
	/* normal send */
	struct dfs_wbuf w = dfs_wbuf_init(pkt, sizeof(pkt));
	assert_int_equal(ota_service_build_cmd(&e.svc, ICCID, 1, spi, OTA_TAR_USIM_RFM, apdu, sizeof(apdu), NULL, 0,
					       &w, cntr), 0);
	assert_int_equal(ota_cntr_get(cntr), 1);
	struct ota_rx_result res;
	struct dfs_wbuf wo = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(ota_card_receive(e.card, OTA_BEARER_SMS, pkt, w.len, &wo, &res), 0);
	assert_int_equal(res.status, OTA_ST_OK);
	uint8_t sent_before[200];
	size_t sent_len = w.len;
	memcpy(sent_before, pkt, w.len);

	/* a child process builds the next packet and dies before sending it */
	char cp[300];
	path_in_tmp(cp, sizeof(cp), "cntr-crash.db");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct ota_counter_db *db;
		struct ota_service svc;
		char kp[300];
		struct ota_keystore *ks;
		path_in_tmp(kp, sizeof(kp), "keys-crash.db");
		if (ota_keystore_open(&ks, kp, KEK, NULL, 0) || ota_counter_open(&db, cp, NULL, 0))
			_exit(2);
		ota_service_init(&svc, ks, db, NULL, 0, 0);
		uint8_t p2[200], c2[5];
		struct dfs_wbuf w2 = dfs_wbuf_init(p2, sizeof(p2));
		if (ota_service_build_cmd(&svc, ICCID, 1, spi, OTA_TAR_USIM_RFM, apdu, sizeof(apdu), NULL, 0, &w2, c2))
			_exit(3);
		_exit(ota_cntr_get(c2) == 2 ? 0 : 4); /* no close, no cleanup: a crash */
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);

	/* after the crash the next counter is 3, never 2 again; the card accepts it (mode "higher") */
	w = dfs_wbuf_init(pkt, sizeof(pkt));
	assert_int_equal(ota_service_build_cmd(&e.svc, ICCID, 1, spi, OTA_TAR_USIM_RFM, apdu, sizeof(apdu), NULL, 0,
					       &w, cntr), 0);
	assert_int_equal(ota_cntr_get(cntr), 3);
	wo = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(ota_card_receive(e.card, OTA_BEARER_SMS, pkt, w.len, &wo, &res), 0);
	assert_int_equal(res.status, OTA_ST_OK);
	assert_int_equal(ota_card_rx_counter(e.card, 1), 3);
	/* the PoR verifies on the operator side */
	uint8_t buf[300];
	struct ota_rsp_open o;
	assert_int_equal(ota_service_open_por(&e.svc, ICCID, 1, spi, out, 3, out + 3, wo.len - 3, buf, sizeof(buf), &o),
			 0);
	assert_int_equal(o.status, OTA_ST_OK);
	assert_memory_equal(o.data, "\x01\x61\x32", 3);
	/* the first packet replayed: 02 */
	wo = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(ota_card_receive(e.card, OTA_BEARER_SMS, sent_before, sent_len, &wo, &res), 0);
	assert_int_equal(res.status, OTA_ST_CNTR_LOW);
	/* the counter survives closing and reopening */
	uint64_t v;
	assert_int_equal(ota_counter_get(e.cdb, ICCID, 1, &v), 0);
	assert_int_equal(v, 3);
	env_close(&e);
	struct ota_counter_db *db;
	assert_int_equal(ota_counter_open(&db, cp, NULL, 0), 0);
	assert_int_equal(ota_counter_next(db, ICCID, 1, cntr), 0);
	assert_int_equal(ota_cntr_get(cntr), 4);
	assert_int_equal(ota_counter_set(db, ICCID, 1, OTA_CNTR_MAXVAL), 0);
	assert_int_equal(ota_counter_next(db, ICCID, 1, cntr), -ERANGE);
	ota_counter_close(db);
}

static void test_rx_counter_db(void **state)
{
	struct ota_counter_db *db;
	char cp[300];
	uint8_t c[5];
	path_in_tmp(cp, sizeof(cp), "rx.db");
	assert_int_equal(ota_counter_open(&db, cp, NULL, 0), 0);
	ota_cntr_put(c, 10);
	assert_int_equal(ota_counter_rx_accept(db, ICCID, 2, OTA_CNTR_HIGHER, c, 0), OTA_ST_OK);
	assert_int_equal(ota_counter_rx_accept(db, ICCID, 2, OTA_CNTR_HIGHER, c, 0), OTA_ST_CNTR_LOW);
	ota_cntr_put(c, 12);
	assert_int_equal(ota_counter_rx_accept(db, ICCID, 2, OTA_CNTR_NEXT, c, 0), OTA_ST_CNTR_HIGH);
	ota_cntr_put(c, 11);
	assert_int_equal(ota_counter_rx_accept(db, ICCID, 2, OTA_CNTR_NEXT, c, 0), OTA_ST_OK);
	/* another keyset of the same card has its own counter */
	ota_cntr_put(c, 1);
	assert_int_equal(ota_counter_rx_accept(db, ICCID, 3, OTA_CNTR_HIGHER, c, 0), OTA_ST_OK);
	uint64_t v;
	assert_int_equal(ota_counter_rx_get(db, ICCID, 2, &v), 0);
	assert_int_equal(v, 11);
	ota_counter_close(db);
}

/* SMS-PP concatenation and USSD segmentation of long packets, out-of-order reassembly. */
static void test_transport(void **state)
{
	static uint8_t pkt[2000];
	struct ota_seg segs[20];
	randombytes_buf(pkt, sizeof(pkt));
	for (size_t len = 1; len < sizeof(pkt); len += 97) {
		for (int bearer = 0; bearer <= 1; bearer++) {
			int n = bearer ? ota_ussd_segment(pkt, len, len & 1, 9, segs, 20)
				       : ota_sms_segment(pkt, len, len & 1, 9, segs, 20);
			assert_true(n >= 1);
			struct ota_reasm *r = ota_reasm_new(bearer ? OTA_BEARER_USSD : OTA_BEARER_SMS);
			int rc = 0;
			for (int i = n - 1; i >= 0; i--) { /* last first */
				assert_true(segs[i].len <= (bearer ? OTA_USSD_MAX : OTA_SMS_UD_MAX));
				rc = ota_reasm_add(r, segs[i].b, segs[i].len, NULL);
				assert_int_equal(rc, i == 0 ? 1 : 0);
			}
			size_t got;
			bool resp;
			const uint8_t *p = ota_reasm_packet(r, &got, &resp);
			assert_int_equal(got, len);
			assert_memory_equal(p, pkt, len);
			assert_int_equal(resp, (bool)(len & 1));
			ota_reasm_free(r);
		}
	}
	/* a single SMS carries UDH 02 70 00 */
	assert_int_equal(ota_sms_segment(pkt, 100, false, 0, segs, 20), 1);
	assert_memory_equal(segs[0].b, "\x02\x70\x00", 3);
	/* 138 bytes do not fit next to 02 70 00: two segments, the CPI IE in the first only */
	assert_int_equal(ota_sms_segment(pkt, 138, false, 0x42, segs, 20), 2);
	assert_memory_equal(segs[0].b, "\x07\x00\x03\x42\x02\x01\x70\x00", 8);
	assert_memory_equal(segs[1].b, "\x05\x00\x03\x42\x02\x02", 6);
	/* too many segments */
	assert_int_equal(ota_sms_segment(pkt, 2000, false, 0, segs, 3), -EMSGSIZE);
	/* bad UDHs */
	struct ota_udh h;
	assert_int_equal(ota_sms_udh_decode((const uint8_t *)"\x05\x00\x03\x01\x02", 5, 0, &h, NULL), -EBADMSG);
	assert_int_equal(ota_sms_udh_decode((const uint8_t *)"\x05\x00\x03\x01\x02\x03", 6, 0, &h, NULL), -EBADMSG);
	struct ota_reasm *r = ota_reasm_new(OTA_BEARER_USSD);
	assert_true(ota_reasm_add(r, (const uint8_t *)"\x00\x03\x01\x02\x03\x70", 6, NULL) < 0);
	assert_true(ota_reasm_add(r, (const uint8_t *)"\x42\x00", 2, NULL) < 0); /* not CPI 70/71 */
	ota_reasm_free(r);
}

static void test_wallet_tlv(void **state)
{
	struct ota_wallet_txn t = {.version = 1, .op = 1, .pin = "123456", .amount = 1, .currency = "UGX",
				   .recipient = "256700000002", .ref = {9}, .ref_len = 1}, d;
	uint8_t buf[128];
	struct dfs_wbuf w = dfs_wbuf_init(buf, sizeof(buf));
	assert_int_equal(ota_wallet_txn_encode(&w, &t), 0);
	assert_int_equal(ota_wallet_txn_decode(buf, w.len, 0, &d, NULL), 0);
	assert_int_equal(d.version, 1);
	assert_int_equal(d.op, 1);
	assert_string_equal(d.pin, t.pin);
	assert_int_equal(d.amount, 1);
	assert_string_equal(d.currency, "UGX");
	assert_string_equal(d.recipient, t.recipient);
	assert_int_equal(d.ref_len, 1);
	assert_int_equal(d.ref[0], 9);
	for (size_t cut = 0; cut < w.len; cut++) {
		struct dfs_err e = {0};
		assert_int_equal(ota_wallet_txn_decode(buf, cut, 0, &d, &e), -EBADMSG);
		assert_string_equal(e.layer, "wallet");
	}
	/* duplicate tag */
	uint8_t dup[160];
	memcpy(dup, buf, w.len);
	memcpy(dup + w.len, "\x80\x01\x01", 3);
	assert_int_equal(ota_wallet_txn_decode(dup, w.len + 3, 0, &d, NULL), -EBADMSG);
	/* invalid fields are refused on encode */
	strcpy(t.pin, "12a4");
	w = dfs_wbuf_init(buf, sizeof(buf));
	assert_int_equal(ota_wallet_txn_encode(&w, &t), -EINVAL);
	struct ota_wallet_answer a = {.result = OTA_WR_LIMIT, .txid = "abc", .text = "Limit reached"}, b;
	w = dfs_wbuf_init(buf, sizeof(buf));
	assert_int_equal(ota_wallet_answer_encode(&w, &a), 0);
	assert_int_equal(ota_wallet_answer_decode(buf, w.len, 0, &b, NULL), 0);
	assert_int_equal(b.result, OTA_WR_LIMIT);
	assert_string_equal(b.text, "Limit reached");
}

/* A wallet transaction in JSON: the PIN is never there, even from an unciphered packet. */
static void test_json_redacts_pin(void **state)
{
	struct ota_wallet_txn t = {.version = 1, .op = 1, .pin = "97531", .amount = 5, .currency = "TZS",
				   .recipient = "255700000003", .ref = {7}, .ref_len = 1};
	struct ota_keyset ks;
	uint8_t data[128], pkt[256];
	char js[2048];
	struct json_writer j;
	t_kat_aes(&ks);
	struct dfs_wbuf dw = dfs_wbuf_init(data, sizeof(data));
	assert_int_equal(ota_wallet_txn_encode(&dw, &t), 0);
	struct ota_cmd_params p = {.spi = {0x12, 0x01}, .kic = 0x22, .kid = 0x22, .tar = OTA_TAR_WALLET,
				   .data = data, .data_len = dw.len};
	struct dfs_wbuf w = dfs_wbuf_init(pkt, sizeof(pkt));
	assert_int_equal(ota_cmd_encode(&w, &p, &ks, NULL, 0, 0), 0);
	struct ota_cmd_pkt c;
	assert_int_equal(ota_cmd_decode(pkt, w.len, 0, &c, NULL), 0);
	json_init(&j, js, sizeof(js));
	ota_cmd_pkt_json(&j, &c);
	assert_true(json_ok(&j));
	assert_non_null(strstr(js, "\"pin\":\"redacted\""));
	assert_non_null(strstr(js, "\"recipient\":\"255700000003\""));
	assert_null(strstr(js, "97531"));
	assert_null(strstr(js, "3937353331")); /* nor its hex */
}

/* Key sentinel over the library's outputs: packets, PoRs, JSON, errors, the databases. */
static bool has_sentinel(const void *p, size_t n)
{
	static const uint8_t raw[6] = {0x5e, 0x47, 0x1e, 0x1d, 0xde, 0xad};
	return memmem(p, n, raw, 6) || memmem(p, n, "5e471e1d", 8) || memmem(p, n, "5E471E1D", 8);
}

static void test_sentinel_outputs(void **state)
{
	struct env e;
	uint8_t ussd[200], por[300], status;
	size_t porlen;
	char js[4096], path[300];
	struct json_writer j;
	struct toy_wallet tw = {.payer = 100};
	struct ota_wallet_txn t = {.version = 1, .op = 1, .pin = "4711", .amount = 1, .currency = "KES",
				   .recipient = "254700000001", .ref = {1}, .ref_len = 1};
	struct ota_card_pending pend;
	env_open(&e, "sentinel");
	/* replace the random keys by the sentinel */
	t_hex("5e471e1ddeadbeef5e471e1ddeadbe00", e.keys.kic.k, 16);
	t_hex("5e471e1ddeadbeef5e471e1ddeadbe11", e.keys.kid.k, 16);
	assert_int_equal(ota_keystore_import(e.ks, ICCID, &e.keys), 0);
	assert_int_equal(ota_card_set_keyset(e.card, &e.keys), 0);
	for (int round = 0; round < 3; round++) {
		size_t n = applet_send(&e, &t, ussd, &pend);
		if (round == 2)
			ussd[n - 1] ^= 1; /* an error path too */
		gateway_step(&e, &tw, ussd, n, por, sizeof(por), &porlen, &status);
		assert_false(has_sentinel(ussd, n));
		assert_false(has_sentinel(por, porlen));
		struct ota_cmd_pkt c;
		struct dfs_err err = {0};
		assert_int_equal(ota_cmd_decode(ussd + 1, n - 1, 1, &c, NULL), 0);
		json_init(&j, js, sizeof(js));
		ota_cmd_pkt_json(&j, &c);
		assert_false(has_sentinel(js, strlen(js)));
		ota_cmd_decode(ussd + 1, n - 5, 1, &c, &err);
		assert_non_null(err.reason);
		assert_false(has_sentinel(err.reason, strlen(err.reason)));
		assert_false(has_sentinel(err.field, strlen(err.field)));
	}
	assert_int_equal(tw.executed, 2);
	env_close(&e);
	const char *files[] = {"keys-sentinel.db", "cntr-sentinel.db"};
	for (int i = 0; i < 2; i++) {
		size_t n = 0;
		path_in_tmp(path, sizeof(path), files[i]);
		char *s = t_slurp(path, &n);
		assert_non_null(s);
		assert_false(has_sentinel(s, n));
		free(s);
	}
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dfsg-ota-svc-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	return sodium_init() < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_card_answers_kat),
		cmocka_unit_test(test_card_status_codes),
		cmocka_unit_test(test_counter_rules),
		cmocka_unit_test(test_min_security),
		cmocka_unit_test(test_tar_policy_parse),
		cmocka_unit_test(test_gw_e2e_transfer),
		cmocka_unit_test(test_counter_persisted_before_send),
		cmocka_unit_test(test_rx_counter_db),
		cmocka_unit_test(test_transport),
		cmocka_unit_test(test_wallet_tlv),
		cmocka_unit_test(test_json_redacts_pin),
		cmocka_unit_test(test_sentinel_outputs),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
