/* GW-E2E (THREATS.md): the card simulator's wallet applet sends a secured packet in USSD
 * application mode; the gateway verifies it, moves money once through its controls and ledger,
 * and answers with a secured PoR the applet verifies. Replay -> PoR 02 and tampering -> PoR 01,
 * with no money moved; a sentinel PIN and the sentinel OTA keys appear in no output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gw_fixture.h"

#include <curl/curl.h>
#include <time.h>

#include "appauth.h"
#include "gw_e2e.h"
#include "http_face.h"
#include "m3ua.h"
#include "map.h"
#include "map_face.h"
#include "sccp.h"
#include "tcap.h"
#include "ota_card.h"
#include "ota_counter.h"
#include "ota_keystore.h"
#include "ota_transport.h"
#include "ota_wallet.h"
#include "ussd_config.h"
#include "ussd_service.h"

#define ICCID_A "8925400000000000011"
/* sentinel keys: their bytes, in hex or raw, must be in no output */
#define SENTINEL_KIC "5e4714c0ffee5e4714c0ffee5e4714c0"
#define SENTINEL_KID "d1ce5e4714d1ce5e4714d1ce5e4714d1"
static const uint8_t KEK[32] = "e2e-test-kek-0123456789abcdef012";

struct e2e_env {
	struct fx *f;
	char keys_path[160], cntr_path[160];
	struct ota_keystore *ks;
	struct ota_counter_db *cdb;
	struct gw_e2e_config cfg;
	struct gw_e2e e;
	struct ota_card *card;
	struct ota_keyset keys;
};

static void env_open(struct e2e_env *v)
{
	memset(v, 0, sizeof(*v));
	v->f = fx_new(NULL);
	fx_register(v->f, ALICE, "Alice Wanjiru", IMSI_A, SENTINEL_PIN);
	fx_register(v->f, BOB, "Bob Otieno", "", OTHER_PIN);
	fx_fund(v->f, ALICE, 10000000); /* KES 100,000 */
	snprintf(v->keys_path, sizeof(v->keys_path), "%s/otakeys.db", v->f->dir);
	snprintf(v->cntr_path, sizeof(v->cntr_path), "%s/otacntr.db", v->f->dir);
	assert_int_equal(ota_keystore_open(&v->ks, v->keys_path, KEK, NULL, 0), 0);
	assert_int_equal(ota_counter_open(&v->cdb, v->cntr_path, NULL, 0), 0);
	v->keys.kvn = 1;
	v->keys.kic.alg = v->keys.kid.alg = OTA_ALG_AES;
	v->keys.kic.len = (uint8_t)ota_hex_decode(SENTINEL_KIC, v->keys.kic.k, sizeof(v->keys.kic.k));
	v->keys.kid.len = (uint8_t)ota_hex_decode(SENTINEL_KID, v->keys.kid.k, sizeof(v->keys.kid.k));
	assert_int_equal(v->keys.kic.len, 16);
	assert_int_equal(ota_keystore_import(v->ks, ICCID_A, &v->keys), 0);
	snprintf(v->cfg.sims[0].msisdn, sizeof(v->cfg.sims[0].msisdn), ALICE);
	snprintf(v->cfg.sims[0].iccid, sizeof(v->cfg.sims[0].iccid), ICCID_A);
	v->cfg.n_sims = 1;
	gw_e2e_init(&v->e, &v->f->g, &v->cfg, v->ks, v->cdb);
	v->card = ota_card_new(ICCID_A);
	assert_non_null(v->card);
	assert_int_equal(ota_card_set_keyset(v->card, &v->keys), 0);
}

static void env_close(struct e2e_env *v)
{
	gw_e2e_destroy(&v->e);
	ota_card_free(v->card);
	ota_counter_close(v->cdb);
	ota_keystore_close(v->ks);
	fx_free(v->f);
}

/* The applet's transaction as one USSD string (CPI 0x70 + packet). */
static size_t applet_send(struct e2e_env *v, const struct ota_wallet_txn *t, uint8_t *ussd,
			  struct ota_card_pending *pend)
{
	uint8_t pkt[300];
	struct ota_seg segs[2];
	const uint8_t spi[2] = {0x16, 0x39}; /* CC, ciphered, counter higher; PoR always, CC, ciphered */
	struct dfs_wbuf w = dfs_wbuf_init(pkt, sizeof(pkt));
	assert_int_equal(ota_card_wallet_request(v->card, OTA_BEARER_USSD, 1, spi, OTA_TAR_WALLET, t,
						 &w, pend), 0);
	assert_int_equal(ota_ussd_segment(pkt, w.len, false, 1, segs, 2), 1);
	memcpy(ussd, segs[0].b, segs[0].len);
	return segs[0].len;
}

/* The network delivers the string to the gateway (MAP face) and the answer back to the card. */
static int deliver(struct e2e_env *v, const uint8_t *ussd, size_t n, uint8_t *por, size_t *porlen,
		   struct gw_e2e_result *res)
{
	struct gw_e2e_request q = {.face = GW_FACE_MAP, .dialogue = "hlr1:0001", .msisdn = ALICE,
				   .imsi = IMSI_A, .network = "63902", .source = "hlr1",
				   .ussd = ussd, .len = n};
	return gw_e2e_handle(&v->e, &q, por, OTA_USSD_MAX, porlen, res);
}

static void assert_secret_free(const uint8_t *p, size_t n)
{
	uint8_t kic[16], kid[16];
	ota_hex_decode(SENTINEL_KIC, kic, sizeof(kic));
	ota_hex_decode(SENTINEL_KID, kid, sizeof(kid));
	assert_null(memmem(p, n, SENTINEL_PIN, strlen(SENTINEL_PIN)));
	assert_null(memmem(p, n, SENTINEL_KIC, strlen(SENTINEL_KIC)));
	assert_null(memmem(p, n, SENTINEL_KID, strlen(SENTINEL_KID)));
	assert_null(memmem(p, n, kic, sizeof(kic)));
	assert_null(memmem(p, n, kid, sizeof(kid)));
}

static void assert_file_secret_free(const char *path)
{
	size_t n;
	char *b = fx_slurp(path, &n);
	assert_non_null(b);
	assert_secret_free((const uint8_t *)b, n);
	free(b);
}

static void test_GW_E2E(void **state)
{
	(void)state;
	struct e2e_env v;
	env_open(&v);
	struct ota_wallet_txn t = {.version = 1, .op = OTA_WALLET_OP_TRANSFER, .pin = SENTINEL_PIN,
				   .amount = 250000, .currency = "KES", .recipient = "0700000002",
				   .ref = {0xa1, 0xb2, 0xc3}, .ref_len = 3};
	struct ota_card_pending pend;
	struct ota_wallet_answer ans;
	struct gw_e2e_result res;
	uint8_t ussd[OTA_USSD_MAX], por[OTA_USSD_MAX], status;
	size_t porlen;
	int64_t fee = gw_fee(v.f->cfg.p2p_fees, v.f->cfg.n_p2p_fees, 250000);
	assert_true(fee > 0);

	/* a protected transfer moves money exactly once */
	size_t n = applet_send(&v, &t, ussd, &pend);
	assert_secret_free(ussd, n);
	assert_int_equal(deliver(&v, ussd, n, por, &porlen, &res), 0);
	assert_int_equal(res.por_status, OTA_ST_OK);
	assert_int_equal(res.wallet, OTA_WR_DONE);
	assert_true(res.transfer_id > 0);
	assert_true(porlen > 1 && por[0] == OTA_IEI_RSP_PKT);
	assert_secret_free(por, porlen);
	assert_int_equal(ota_card_wallet_por(v.card, OTA_BEARER_USSD, &pend, por + 1, porlen - 1,
					     &status, &ans), 0);
	assert_int_equal(status, OTA_ST_OK);
	assert_int_equal(ans.result, OTA_WR_DONE);
	assert_memory_equal(ans.ref, t.ref, 3);
	assert_true(ans.has_balance);
	assert_int_equal(ans.balance, 10000000 - 250000 - fee);
	assert_int_equal(fx_balance(v.f, ALICE), 10000000 - 250000 - fee);
	assert_int_equal(fx_balance(v.f, BOB), 250000);

	/* the same packet replayed: PoR 02, verified by the card, no money moves */
	assert_int_equal(deliver(&v, ussd, n, por, &porlen, &res), 0);
	assert_int_equal(res.por_status, OTA_ST_CNTR_LOW);
	assert_int_equal(res.transfer_id, 0);
	assert_int_equal(ota_card_wallet_por(v.card, OTA_BEARER_USSD, &pend, por + 1, porlen - 1,
					     &status, &ans), 0);
	assert_int_equal(status, OTA_ST_CNTR_LOW);
	assert_int_equal(fx_balance(v.f, BOB), 250000);

	/* a tampered packet: PoR 01, no money moves; the untampered one still goes through once */
	n = applet_send(&v, &t, ussd, &pend);
	for (size_t i = 1; i < n; i += 7) {
		ussd[i] ^= 0x04;
		int rc = deliver(&v, ussd, n, por, &porlen, &res);
		/* a header that no longer parses cannot be answered; anything else is refused */
		assert_true(rc == -EBADMSG || (rc == 0 && res.por_status != OTA_ST_OK));
		assert_int_equal(res.transfer_id, 0);
		ussd[i] ^= 0x04;
	}
	ussd[n - 2] ^= 0x10; /* in the ciphered data: the CC fails */
	assert_int_equal(deliver(&v, ussd, n, por, &porlen, &res), 0);
	assert_int_equal(res.por_status, OTA_ST_RC_CC_DS_FAILED);
	assert_true(porlen > 1 && por[0] == OTA_IEI_RSP_PKT);
	/* the counter of a ciphered packet that failed its CC is unknown: the PoR cannot echo it,
	 * so the applet never takes it for an answer to its request */
	assert_int_equal(ota_card_wallet_por(v.card, OTA_BEARER_USSD, &pend, por + 1, porlen - 1,
					     &status, &ans), -EPROTO);
	assert_int_equal(fx_balance(v.f, BOB), 250000);
	ussd[n - 2] ^= 0x10;
	assert_int_equal(deliver(&v, ussd, n, por, &porlen, &res), 0);
	assert_int_equal(res.por_status, OTA_ST_OK);
	assert_int_equal(res.wallet, OTA_WR_DONE);
	assert_int_equal(fx_balance(v.f, BOB), 500000);

	/* a wrong PIN: a valid PoR whose answer says so; over the daily limit: LIMIT */
	struct ota_wallet_txn bad = t;
	snprintf(bad.pin, sizeof(bad.pin), "%s", OTHER_PIN);
	n = applet_send(&v, &bad, ussd, &pend);
	assert_int_equal(deliver(&v, ussd, n, por, &porlen, &res), 0);
	assert_int_equal(res.por_status, OTA_ST_OK);
	assert_int_equal(ota_card_wallet_por(v.card, OTA_BEARER_USSD, &pend, por + 1, porlen - 1,
					     &status, &ans), 0);
	assert_int_equal(ans.result, OTA_WR_BAD_PIN);
	struct ota_wallet_txn big = t;
	big.amount = 7000001; /* above per_tx_max */
	n = applet_send(&v, &big, ussd, &pend);
	assert_int_equal(deliver(&v, ussd, n, por, &porlen, &res), 0);
	assert_int_equal(res.wallet, OTA_WR_LIMIT);
	assert_int_equal(fx_balance(v.f, BOB), 500000);

	/* GW-SIMSWAP: a new IMSI behind the MSISDN puts the account in cooling */
	bool swapped;
	assert_int_equal(simswap_observe(v.f->db, ALICE, "639020000000099", gw_now_s(&v.f->g), "test",
					 &swapped), 0);
	assert_true(swapped);
	n = applet_send(&v, &t, ussd, &pend);
	assert_int_equal(deliver(&v, ussd, n, por, &porlen, &res), 0);
	assert_int_equal(res.por_status, OTA_ST_OK);
	assert_int_equal(res.wallet, OTA_WR_REFUSED);
	assert_int_equal(fx_balance(v.f, BOB), 500000);

	/* no ICCID for the MSISDN, or not a command string: no PoR */
	struct gw_e2e_request q = {.face = GW_FACE_MAP, .dialogue = "x", .msisdn = BOB, .ussd = ussd,
				   .len = n};
	assert_int_equal(gw_e2e_handle(&v.e, &q, por, sizeof(por), &porlen, &res), -ENOENT);
	q.msisdn = ALICE;
	q.len = 1;
	assert_int_equal(gw_e2e_handle(&v.e, &q, por, sizeof(por), &porlen, &res), -EBADMSG);

	/* the audit log records every outcome and holds neither the PIN nor the keys */
	assert_true(fx_file_contains(v.f->audit_path, "\"e2e\""));
	assert_true(fx_file_contains(v.f->alert_path, "GW-E2E"));
	fflush(v.f->alerts);
	assert_file_secret_free(v.f->audit_path);
	assert_file_secret_free(v.f->alert_path);
	assert_file_secret_free(v.keys_path);
	sodium_memzero(&t, sizeof(t));
	env_close(&v);
}

/* --- GW-E2E over the MAP face: the HLR forwards the applet's string in a Begin --- */

struct map_out {
	uint8_t b[1024];
	size_t len;
	unsigned n;
};

static void map_collect(void *ud, const uint8_t *p, size_t len)
{
	struct map_out *o = ud;
	assert_true(len <= sizeof(o->b));
	memcpy(o->b, p, len);
	o->len = len;
	o->n++;
}

/* Begin AC 19 v2 (MAP-OpenInfo IMSI / MSISDN), Invoke processUnstructuredSS-Request with the
 * DCS 0x96 string, through SCCP UDT and M3UA DATA into the face; the answer decoded into a. */
static void map_deliver(struct map_face *mf, uint32_t otid, const uint8_t *ussd, size_t n,
			struct sig_msg *a)
{
	uint8_t t[512], str[OTA_USSD_MAX], sb[700], mb[800];
	struct map_fields f;
	map_fields_init(&f);
	memcpy(str, ussd, n);
	f.has_ussd = true;
	f.ussd_dcs = OTA_USSD_DCS;
	f.ussd_string = (struct dfs_view){str, n};
	f.msisdn.present = true;
	f.msisdn.ton_npi = 0x91;
	snprintf(f.msisdn.digits, sizeof(f.msisdn.digits), "%s", ALICE);
	struct map_tx tx = {.msg_type = TCAP_BEGIN, .otid = otid, .ac = 19, .ac_version = 2,
			    .open_info = true, .dest_ref = IMSI_A, .orig_ref = ALICE,
			    .dest_ref_ton_npi = 0x16, .orig_ref_ton_npi = 0x91};
	struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(map_build_invoke(&w, &tx, 1, MAP_OP_PROCESS_USS_REQUEST, &f), 0);
	struct sccp_msg s = {.msg_type = SCCP_MSG_UDT, .proto_class = 0x81, .data = {t, w.len}};
	sccp_addr_gt(&s.called, "254722000900", SCCP_SSN_GSMSCF);
	sccp_addr_gt(&s.calling, "254722000100", SCCP_SSN_HLR);
	struct dfs_wbuf sw = dfs_wbuf_init(sb, sizeof(sb));
	assert_int_equal(sccp_encode(&sw, &s), 0);
	struct m3ua_proto_data pd = {.opc = 100, .dpc = 200, .si = 3, .ni = 2, .sls = 3,
				     .user_data = {sb, sw.len}};
	struct dfs_wbuf mw = dfs_wbuf_init(mb, sizeof(mb));
	assert_int_equal(m3ua_encode_data(&mw, NULL, &pd), 0);
	static struct map_out o; /* a's views point into it */
	o.n = 0;
	assert_int_equal(map_face_input(mf, mb, mw.len, 1767225600000LL, map_collect, &o), 0);
	assert_int_equal(o.n, 1);
	struct dfs_err e;
	assert_int_equal(sig_decode_m3ua(o.b, o.len, a, &e), 0);
	assert_int_equal(a->tcap.msg_type, TCAP_END);
	assert_int_equal(a->tcap.dtid.val, otid);
	assert_int_equal(map_face_count(mf), 0);
}

/* The PoR in the op 59 result of an End: DCS 0x96, CPI 0x71, checked by the card. */
static uint8_t map_por(struct e2e_env *v, const struct sig_msg *a, struct ota_card_pending *pend,
		       struct ota_wallet_answer *ans)
{
	assert_int_equal(a->tcap.n_components, 1);
	assert_int_equal(a->tcap.comp[0].type, TCAP_RESULT_L);
	assert_int_equal(a->tcap.comp[0].opcode, MAP_OP_PROCESS_USS_REQUEST);
	assert_true(a->has_map && a->map.has_ussd);
	assert_int_equal(a->map.ussd_dcs, OTA_USSD_DCS);
	const uint8_t *por = a->map.ussd_string.p;
	size_t porlen = a->map.ussd_string.len;
	assert_true(porlen > 1 && por[0] == OTA_IEI_RSP_PKT);
	assert_secret_free(por, porlen);
	uint8_t status = 0xff;
	int rc = ota_card_wallet_por(v->card, OTA_BEARER_USSD, pend, por + 1, porlen - 1, &status,
				     ans);
	return rc == 0 ? status : 0xee;
}

/* GW-E2E on the MAP face: one protected transfer moves money once; its replay gets PoR 02 and
 * a tampered packet PoR 01, neither moving money; without an e2e the string is refused. */
static void test_GW_E2E_map(void **state)
{
	(void)state;
	struct e2e_env v;
	env_open(&v);
	struct map_face mf;
	struct map_face_config fc;
	map_face_config_defaults(&fc);
	snprintf(fc.network, sizeof(fc.network), "63902");
	fc.e2e = &v.e;
	assert_int_equal(map_face_init(&mf, &v.f->g, &fc), 0);
	struct ota_wallet_txn t = {.version = 1, .op = OTA_WALLET_OP_TRANSFER, .pin = SENTINEL_PIN,
				   .amount = 300000, .currency = "KES", .recipient = "0700000002",
				   .ref = {0x0e, 0x2e}, .ref_len = 2};
	int64_t fee = gw_fee(v.f->cfg.p2p_fees, v.f->cfg.n_p2p_fees, 300000);
	struct ota_card_pending pend;
	struct ota_wallet_answer ans;
	uint8_t ussd[OTA_USSD_MAX];
	struct sig_msg *a = calloc(1, sizeof(*a));

	size_t n = applet_send(&v, &t, ussd, &pend);
	map_deliver(&mf, 0x0e2e0001, ussd, n, a);
	assert_true(a->tcap.has_dialogue); /* the AARE accepting AC 19 */
	assert_int_equal(map_por(&v, a, &pend, &ans), OTA_ST_OK);
	assert_int_equal(ans.result, OTA_WR_DONE);
	assert_int_equal(ans.balance, 10000000 - 300000 - fee);
	assert_int_equal(fx_balance(v.f, BOB), 300000);

	/* the same string again, in a new dialogue: replay, PoR 02, no money */
	map_deliver(&mf, 0x0e2e0002, ussd, n, a);
	assert_int_equal(map_por(&v, a, &pend, &ans), OTA_ST_CNTR_LOW);
	assert_int_equal(fx_balance(v.f, BOB), 300000);

	/* a fresh packet tampered in its ciphered data: PoR 01 (the card cannot match it to its
	 * request, as the counter of a packet that failed its CC is unknown), no money */
	n = applet_send(&v, &t, ussd, &pend);
	ussd[n - 2] ^= 0x10;
	map_deliver(&mf, 0x0e2e0003, ussd, n, a);
	assert_int_equal(a->map.ussd_string.p[0], OTA_IEI_RSP_PKT);
	struct ota_rsp_pkt rp;
	struct dfs_err e;
	assert_int_equal(ota_rsp_decode(a->map.ussd_string.p + 1, a->map.ussd_string.len - 1, 1,
					&rp, &e),
			 0);
	/* the PoR is secured as the SPI asks: open it with the card's keys to read its status */
	uint8_t kic, kid, pb[512];
	size_t prefix_len;
	const uint8_t *prefix = ota_bearer_rsp_prefix(OTA_BEARER_USSD, &prefix_len);
	struct ota_rsp_open op;
	ota_keyset_kic_kid(&v.keys, pend.spi, &kic, &kid);
	assert_int_equal(ota_rsp_unprotect(&rp, pend.spi, kic, kid, &v.keys, prefix, prefix_len, 0,
					   pb, sizeof(pb), &op),
			 0);
	assert_int_equal(op.status, OTA_ST_RC_CC_DS_FAILED);
	assert_int_equal(map_por(&v, a, &pend, &ans), 0xee);
	assert_int_equal(fx_balance(v.f, BOB), 300000);
	assert_int_equal(fx_balance(v.f, ALICE), 10000000 - 300000 - fee);
	assert_true(fx_file_contains(v.f->audit_path, "\"face\":\"map\""));
	map_face_destroy(&mf);

	/* a face without GW-E2E refuses the string: ReturnError unexpectedDataValue */
	fc.e2e = NULL;
	assert_int_equal(map_face_init(&mf, &v.f->g, &fc), 0);
	map_deliver(&mf, 0x0e2e0004, ussd, n, a);
	assert_int_equal(a->tcap.comp[0].type, TCAP_ERROR);
	assert_int_equal(a->tcap.comp[0].error_code, MAP_ERR_UNEXPECTED_DATA_VALUE);
	map_face_destroy(&mf);
	assert_file_secret_free(v.f->audit_path);
	free(a);
	sodium_memzero(&t, sizeof(t));
	env_close(&v);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

struct http_body {
	char b[1024];
	size_t len;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct http_body *o = ud;
	size_t k = sz * n;
	if (k > sizeof(o->b) - 1 - o->len)
		k = sizeof(o->b) - 1 - o->len;
	memcpy(o->b + o->len, p, k);
	o->len += k;
	o->b[o->len] = 0;
	return sz * n;
}

/* POST /ussd/e2e signed with the aggregator key (sign = false: unsigned). */
static long post_e2e(unsigned port, const char *body, bool sign, int64_t now_s, struct http_body *out)
{
	char url[64], t[24], sig[APPAUTH_SIG_HEX], h1[64], h2[96];
	const char *key = "0123456789abcdef0123456789abcdef";
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ussd/e2e", port);
	snprintf(t, sizeof(t), "%" PRId64, now_s);
	appauth_sign((const uint8_t *)key, strlen(key), t, body, strlen(body), sig);
	snprintf(h1, sizeof(h1), APPAUTH_TS_HEADER ": %s", t);
	snprintf(h2, sizeof(h2), APPAUTH_SIG_HEADER ": %s", sig);
	struct curl_slist *hd = sign ? curl_slist_append(curl_slist_append(NULL, h1), h2) : NULL;
	CURL *h = curl_easy_init();
	out->len = 0;
	out->b[0] = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	long status = 0;
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hd);
	return status;
}

/* The e2e: section of the gateway configuration: the ICCID map and the OTA stores. */
static int load_e2e_yaml(const char *dir, const char *e2e, struct ussd_config *c, char *err,
			 size_t errsz)
{
	char path[128], y[2048];
	snprintf(path, sizeof(path), "%s/agg.key", dir);
	write_text(path, "0123456789abcdef0123456789abcdef\n");
	snprintf(path, sizeof(path), "%s/gw.yaml", dir);
	snprintf(y, sizeof(y),
		 "ussd:\n"
		 "  listen: \"127.0.0.1:0\"\n"
		 "  database: {backend: sqlite, path: %s/gw.db}\n"
		 "  audit_log: %s/audit.jsonl\n"
		 "  messages: %s/config/messages/en.yaml\n"
		 "  aggregator: {secret_file: %s/agg.key}\n"
		 "  services:\n"
		 "    - {code: \"*384#\", app: wallet}\n"
		 "%s",
		 dir, dir, DFSG_SOURCE_DIR, dir, e2e);
	write_text(path, y);
	int rc = ussd_config_load(c, path, err, errsz);
	if (rc)
		fprintf(stderr, "config: %s\n", err);
	return rc;
}

static void test_GW_E2E_config(void **state)
{
	(void)state;
	char dir[64] = "/tmp/dfsg-e2e-XXXXXX", err[512];
	assert_non_null(mkdtemp(dir));
	struct ussd_config *c = calloc(1, sizeof(*c));
	assert_int_equal(load_e2e_yaml(dir,
				       "  e2e:\n"
				       "    keystore: /var/lib/dfsguard/ota-keys.db\n"
				       "    counters: /var/lib/dfsguard/ota-counters.db\n"
				       "    kek_file: /etc/dfsguard/ota.kek\n"
				       "    sims:\n"
				       "      - {msisdn: \"" ALICE "\", iccid: \"" ICCID_A "\"}\n",
				       c, err, sizeof(err)),
			 0);
	assert_int_equal(c->e2e.n_sims, 1);
	assert_string_equal(c->e2e.sims[0].msisdn, ALICE);
	assert_string_equal(c->e2e.sims[0].iccid, ICCID_A);
	assert_string_equal(c->e2e_kek_file, "/etc/dfsguard/ota.kek");
	ussd_config_wipe(c);
	/* the service opens the stores with the KEK from its file and serves GW-E2E */
	char e2e[512], kek[96];
	snprintf(kek, sizeof(kek), "%s/ota.kek", dir);
	write_text(kek, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n");
	snprintf(e2e, sizeof(e2e),
		 "  e2e:\n    keystore: %s/k.db\n    counters: %s/c.db\n    kek_file: %s\n"
		 "    sims: [{msisdn: \"" ALICE "\", iccid: \"" ICCID_A "\"}]\n",
		 dir, dir, kek);
	assert_int_equal(load_e2e_yaml(dir, e2e, c, err, sizeof(err)), 0);
	/* Alice's card keys in the store the service will open */
	struct ota_keystore *ks;
	struct ota_keyset keys = {.kvn = 1};
	uint8_t kekb[32];
	char kp[96];
	for (unsigned i = 0; i < 32; i++)
		kekb[i] = (uint8_t)i;
	snprintf(kp, sizeof(kp), "%s/k.db", dir);
	keys.kic.alg = keys.kid.alg = OTA_ALG_AES;
	keys.kic.len = (uint8_t)ota_hex_decode(SENTINEL_KIC, keys.kic.k, sizeof(keys.kic.k));
	keys.kid.len = (uint8_t)ota_hex_decode(SENTINEL_KID, keys.kid.k, sizeof(keys.kid.k));
	assert_int_equal(ota_keystore_open(&ks, kp, kekb, NULL, 0), 0);
	assert_int_equal(ota_keystore_import(ks, ICCID_A, &keys), 0);
	ota_keystore_close(ks);
	struct ussd_service *svc = calloc(1, sizeof(*svc));
	assert_int_equal(ussd_service_start(svc, c, NULL, NULL, err, sizeof(err)), 0);
	assert_true(svc->e2e_ready);
	/* over HTTP: the applet's packet gets a secured PoR the card verifies (no wallet account
	 * in this fresh database: the answer is REFUSED, inside a valid PoR) */
	struct ota_card *card = ota_card_new(ICCID_A);
	assert_int_equal(ota_card_set_keyset(card, &keys), 0);
	struct ota_wallet_txn t = {.version = 1, .op = OTA_WALLET_OP_TRANSFER, .pin = SENTINEL_PIN,
				   .amount = 1000, .currency = "KES", .recipient = BOB,
				   .ref = {7}, .ref_len = 1};
	uint8_t pkt[300], por[OTA_USSD_MAX + 1], st;
	struct dfs_wbuf w = dfs_wbuf_init(pkt + 1, sizeof(pkt) - 1);
	struct ota_card_pending pend;
	const uint8_t spi[2] = {0x16, 0x39};
	assert_int_equal(ota_card_wallet_request(card, OTA_BEARER_USSD, 1, spi, OTA_TAR_WALLET, &t, &w,
						 &pend), 0);
	pkt[0] = OTA_IEI_CMD_PKT;
	char body[800], hx[2 * sizeof(pkt) + 1];
	sodium_bin2hex(hx, sizeof(hx), pkt, w.len + 1);
	snprintf(body, sizeof(body),
		 "sessionId=S1&phoneNumber=%%2B" ALICE "&networkCode=63902&dcs=150&data=%s", hx);
	struct http_body hb;
	int64_t now_s = time(NULL);
	unsigned port = http_face_port(svc->http);
	assert_int_equal(post_e2e(port, body, true, now_s, &hb), 200);
	size_t pl = 0;
	assert_int_equal(sodium_hex2bin(por, sizeof(por), hb.b, hb.len, NULL, &pl, NULL), 0);
	assert_true(pl > 1 && por[0] == OTA_IEI_RSP_PKT);
	struct ota_wallet_answer ans;
	assert_int_equal(ota_card_wallet_por(card, OTA_BEARER_USSD, &pend, por + 1, pl - 1, &st, &ans), 0);
	assert_int_equal(st, OTA_ST_OK);
	assert_int_equal(ans.result, OTA_WR_REFUSED);
	/* the same body again is an HTTP replay (GW-APPAUTH); re-signed later it is a PoR 02 */
	assert_int_equal(post_e2e(port, body, true, now_s, &hb), 403);
	assert_int_equal(post_e2e(port, body, true, now_s + 1, &hb), 200);
	sodium_hex2bin(por, sizeof(por), hb.b, hb.len, NULL, &pl, NULL);
	assert_int_equal(ota_card_wallet_por(card, OTA_BEARER_USSD, &pend, por + 1, pl - 1, &st, &ans), 0);
	assert_int_equal(st, OTA_ST_CNTR_LOW);
	assert_int_equal(post_e2e(port, body, false, now_s + 2, &hb), 403);
	assert_int_equal(post_e2e(port, "sessionId=S2&phoneNumber=" ALICE "&networkCode=63902&dcs=15&data=70",
				  true, now_s + 3, &hb), 400);
	assert_int_equal(post_e2e(port, "sessionId=S3&phoneNumber=" CAROL "&networkCode=63902&dcs=150&data=7000",
				  true, now_s + 4, &hb), 404);
	ota_card_free(card);
	sodium_memzero(&keys, sizeof(keys));
	sodium_memzero(&t, sizeof(t));
	uint8_t str[2] = {OTA_IEI_CMD_PKT, 0}, out[OTA_USSD_MAX];
	size_t outlen;
	struct gw_e2e_result res;
	struct gw_e2e_request q = {.face = GW_FACE_HTTP, .dialogue = "d", .msisdn = CAROL,
				   .ussd = str, .len = sizeof(str)};
	assert_int_equal(gw_e2e_handle(&svc->e2e, &q, out, sizeof(out), &outlen, &res), -ENOENT);
	ussd_service_stop(svc);
	free(svc);
	snprintf(kp, sizeof(kp), "%s/audit.jsonl", dir);
	assert_file_secret_free(kp);
	/* a KEK file that is not 32 bytes of hex stops the start with a reason */
	write_text(kek, "0011\n");
	svc = calloc(1, sizeof(*svc));
	assert_true(ussd_service_start(svc, c, NULL, NULL, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "KEK"));
	free(svc);
	ussd_config_wipe(c);
	/* a bad ICCID and a missing store are errors naming the field */
	assert_int_equal(load_e2e_yaml(dir,
				       "  e2e:\n"
				       "    keystore: k.db\n"
				       "    counters: c.db\n"
				       "    kek_file: kek\n"
				       "    sims: [{msisdn: \"" ALICE "\", iccid: \"89254x\"}]\n",
				       c, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "ussd.e2e.sims.iccid"));
	assert_int_equal(load_e2e_yaml(dir, "  e2e: {keystore: k.db, sims: []}\n", c, err,
				       sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "ussd.e2e"));
	free(c);
	char cmd[96];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_GW_E2E),
		cmocka_unit_test(test_GW_E2E_map),
		cmocka_unit_test(test_GW_E2E_config),
	};
	(void)fx_dialogue; /* the menu path is exercised in test_gw_controls.c */
	if (sodium_init() < 0)
		return 1;
	int fails = cmocka_run_group_tests_name("gw_e2e_sqlite", tests, NULL, NULL);
	/* the same path with the ledger and state in PostgreSQL */
	struct pg_harness pg;
	int rc = pg_harness_for_suite(&pg, "gw_e2e_postgresql");
	if (rc)
		return fails + (rc < 0);
	fx_pg = &pg;
	fails += cmocka_run_group_tests_name("gw_e2e_postgresql", tests, NULL, NULL);
	fx_pg = NULL;
	pg_harness_stop(&pg);
	return fails;
}
