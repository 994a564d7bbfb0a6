/* The MAP face of the USSD gateway driven over MAP bytes: the test plays the HLR (builds
 * M3UA/SCCP/TCAP/MAP with the codecs' builders) and reads every answer with the decoder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gw_fixture.h"
#include "hlr_wire.h"
#include "gsm0338.h"
#include "m3ua.h"
#include "map.h"
#include "map_face.h"
#include "sccp.h"
#include "tcap.h"
#include "tshark_oracle.h"

#define HLR_GT "254722000100"
#define SCF_GT "254722000900"
#define HLR_PC HLR_WIRE_PC
#define SCF_PC HLR_WIRE_SCF_PC

struct hlr {
	struct fx *fx;
	struct map_face mf;
	uint8_t out[4][1024];
	size_t out_len[4];
	unsigned n_out;
	uint32_t otid;    /* the HLR's transaction id */
	uint32_t our;     /* the gateway's, learnt from its first answer */
	int inv60;        /* invoke id of the last op 60 */
	struct sig_msg ans;
	char text[SCREEN_MAX_BYTES];
	/* every answer and request, for the tshark check */
	uint8_t rec[32][1024];
	size_t rec_len[32];
	unsigned n_rec;
};

static void record(struct hlr *h, const uint8_t *p, size_t len)
{
	if (h->n_rec < 32 && len <= sizeof(h->rec[0])) {
		memcpy(h->rec[h->n_rec], p, len);
		h->rec_len[h->n_rec++] = len;
	}
}

static void collect(void *ud, const uint8_t *p, size_t len)
{
	struct hlr *h = ud;
	assert_true(h->n_out < 4);
	assert_true(len <= sizeof(h->out[0]));
	memcpy(h->out[h->n_out], p, len);
	h->out_len[h->n_out++] = len;
	record(h, p, len);
}

/* TCAP bytes -> SCCP UDT HLR -> gsmSCF -> M3UA DATA in mb; returns its length. */
static size_t hlr_wrap(const uint8_t *tcap, size_t len, uint8_t *mb, size_t mbsz)
{
	static const uint32_t rctx = 7, na = 42;
	const struct hlr_wire hw = {.scf_gt = SCF_GT, .hlr_gt = HLR_GT, .rctx = &rctx, .na = &na,
				    .sls = 5};
	size_t n = hlr_wire_wrap(&hw, tcap, len, mb, mbsz);
	assert_true(n > 0);
	return n;
}

/* TCAP bytes from the HLR into the face. */
static void hlr_send(struct hlr *h, const uint8_t *tcap, size_t len)
{
	uint8_t mb[1024];
	size_t n = hlr_wrap(tcap, len, mb, sizeof(mb));
	h->n_out = 0;
	record(h, mb, n);
	assert_int_equal(map_face_input(&h->mf, mb, n, h->fx->now_ms, collect, h), 0);
}

static void ussd_fields(struct map_fields *f, uint8_t dcs, const char *text, uint8_t *buf,
			const char *msisdn)
{
	map_fields_init(f);
	int n = ussd_encode_text(text, dcs, buf, USSD_MAX_OCTETS);
	assert_true(n > 0);
	f->has_ussd = true;
	f->ussd_dcs = dcs;
	f->ussd_string = (struct dfs_view){buf, (size_t)n};
	if (msisdn) {
		f->msisdn.present = true;
		f->msisdn.ton_npi = 0x91;
		snprintf(f->msisdn.digits, sizeof(f->msisdn.digits), "%s", msisdn);
	}
}

/* Decode the one answer; check routing was swapped; fill h->text from its USSD string. */
static const struct tcap_msg *read_answer(struct hlr *h)
{
	assert_int_equal(h->n_out, 1);
	struct dfs_err e;
	assert_int_equal(sig_decode_m3ua(h->out[0], h->out_len[0], &h->ans, &e), 0);
	assert_true(h->ans.has_tcap);
	assert_int_equal(h->ans.m3ua.pd.opc, SCF_PC);
	assert_int_equal(h->ans.m3ua.pd.dpc, HLR_PC);
	assert_int_equal(h->ans.m3ua.pd.sls, 5);
	assert_true(h->ans.m3ua.has_rctx);
	assert_int_equal(h->ans.m3ua.rctx, 7);
	assert_true(h->ans.m3ua.has_na); /* the network appearance is echoed, RFC 4666 3.3.1 */
	assert_int_equal(h->ans.m3ua.na, 42);
	assert_string_equal(h->ans.sccp.called.digits, HLR_GT);
	assert_string_equal(h->ans.sccp.calling.digits, SCF_GT);
	const struct tcap_msg *t = &h->ans.tcap;
	assert_true(t->dtid.present);
	assert_int_equal(t->dtid.val, h->otid);
	h->text[0] = 0;
	if (h->ans.has_map && h->ans.map.has_ussd)
		assert_true(ussd_decode_text(h->ans.map.ussd_dcs, h->ans.map.ussd_string.p,
					     h->ans.map.ussd_string.len, h->text,
					     sizeof(h->text)) >= 0);
	return t;
}

/* A CON answer: op 60 Invoke in a Continue from our otid (AARE in the first one). */
static void expect_con(struct hlr *h, bool first, const char *needle)
{
	const struct tcap_msg *t = read_answer(h);
	assert_int_equal(t->msg_type, TCAP_CONTINUE);
	assert_true(t->otid.present);
	if (first) {
		h->our = t->otid.val;
		assert_true(t->has_dialogue);
		assert_int_equal(t->dlg_pdu, TCAP_DLG_AARE);
		assert_int_equal(t->aare_result, TCAP_AARE_ACCEPTED);
		assert_int_equal(t->map_ac, 19);
	} else {
		assert_int_equal(t->otid.val, h->our);
		assert_false(t->has_dialogue);
	}
	assert_int_equal(t->n_components, 1);
	assert_int_equal(t->comp[0].type, TCAP_INVOKE);
	assert_int_equal(t->comp[0].opcode, MAP_OP_USS_REQUEST);
	h->inv60 = t->comp[0].invoke_id;
	if (!strstr(h->text, needle))
		fail_msg("want \"%s\" in \"%s\"", needle, h->text);
}

/* An END answer: op 59 ReturnResult in an End. */
static void expect_end(struct hlr *h, const char *needle)
{
	const struct tcap_msg *t = read_answer(h);
	assert_int_equal(t->msg_type, TCAP_END);
	assert_int_equal(t->n_components, 1);
	assert_int_equal(t->comp[0].type, TCAP_RESULT_L);
	assert_int_equal(t->comp[0].invoke_id, 1);
	assert_int_equal(t->comp[0].opcode, MAP_OP_PROCESS_USS_REQUEST);
	if (!strstr(h->text, needle))
		fail_msg("want \"%s\" in \"%s\"", needle, h->text);
}

static void begin(struct hlr *h, const char *msisdn, const char *imsi, bool msisdn_in_arg,
		  uint8_t dcs, const char *code)
{
	uint8_t t[512], str[USSD_MAX_OCTETS];
	struct map_fields f;
	ussd_fields(&f, dcs, code, str, msisdn_in_arg ? msisdn : NULL);
	h->otid = 0x10000000u + h->fx->dialogues++;
	struct map_tx tx = {.msg_type = TCAP_BEGIN, .otid = h->otid, .ac = 19, .ac_version = 2,
			    .open_info = true, .dest_ref = imsi, .orig_ref = msisdn,
			    .dest_ref_ton_npi = 0x16, .orig_ref_ton_npi = 0x91};
	struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(map_build_invoke(&w, &tx, 1, MAP_OP_PROCESS_USS_REQUEST, &f), 0);
	hlr_send(h, t, w.len);
}

/* The user's reply: op 60 ReturnResult in a Continue. */
static void reply(struct hlr *h, uint8_t dcs, const char *text)
{
	uint8_t t[512], str[USSD_MAX_OCTETS];
	struct map_fields f;
	ussd_fields(&f, dcs, text, str, NULL);
	struct map_tx tx = {.msg_type = TCAP_CONTINUE, .otid = h->otid, .dtid = h->our};
	struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(map_build_result(&w, &tx, h->inv60, MAP_OP_USS_REQUEST, &f), 0);
	hlr_send(h, t, w.len);
}

/* A whole dialogue: steps after the service code; the last answer must contain final. */
static void dialogue(struct hlr *h, const char *msisdn, const char *imsi, const char *const *steps,
		     const char *final)
{
	begin(h, msisdn, imsi, true, MAP_FACE_DCS_GSM7, "*384#");
	if (!steps[0]) {
		expect_end(h, final);
		return;
	}
	expect_con(h, true, "");
	for (unsigned i = 0; steps[i]; i++) {
		reply(h, MAP_FACE_DCS_GSM7, steps[i]);
		if (steps[i + 1])
			expect_con(h, false, "");
		else
			expect_end(h, final);
	}
	assert_int_equal(map_face_count(&h->mf), 0);
}

static struct hlr *hlr_new(void)
{
	struct hlr *h = calloc(1, sizeof(*h));
	h->fx = fx_new(NULL);
	struct map_face_config c;
	map_face_config_defaults(&c);
	snprintf(c.network, sizeof(c.network), "63902");
	assert_int_equal(map_face_init(&h->mf, &h->fx->g, &c), 0);
	return h;
}

static void hlr_free(struct hlr *h)
{
	map_face_destroy(&h->mf);
	fx_free(h->fx);
	free(h);
}

static void test_register_balance_send(void **state)
{
	(void)state;
	struct hlr *h = hlr_new();
	assert_int_equal(wallet_kyc_put(h->fx->db, ALICE, "Alice Wanjiru", 1), 0);
	const char *reg[] = {"1", SENTINEL_PIN, SENTINEL_PIN, NULL};
	dialogue(h, ALICE, IMSI_A, reg, "Alice Wanjiru");
	fx_register(h->fx, BOB, "Bob Otieno", IMSI_B, OTHER_PIN);
	fx_fund(h->fx, ALICE, 5000000);
	const char *bal[] = {"4", SENTINEL_PIN, NULL};
	dialogue(h, ALICE, IMSI_A, bal, "50,000.00");
	const char *send[] = {"1", "0700000002", "2500", SENTINEL_PIN, NULL};
	dialogue(h, ALICE, IMSI_A, send, "Bob Otieno");
	assert_int_equal(fx_balance(h->fx, BOB), 250000);
	assert_int_equal(fx_balance(h->fx, ALICE), 5000000 - 250000 - 1100);
	assert_false(fx_file_contains(h->fx->audit_path, SENTINEL_PIN));

	/* tshark reads both directions of the three dialogues without a malformed frame, and
	 * sees processUnstructuredSS-Request (59) and unstructuredSS-Request (60) */
	if (!oracle_have_tshark()) {
		printf("SKIP tshark check: tshark not installed\n");
	} else {
		char pcap[128];
		const uint8_t *pdus[32];
		for (unsigned i = 0; i < h->n_rec; i++)
			pdus[i] = h->rec[i];
		oracle_tmpname(pcap, sizeof(pcap), "ussdmap");
		assert_int_equal(oracle_write_export(pcap, "m3ua", pdus, h->rec_len, h->n_rec), 0);
		assert_int_equal(oracle_malformed(pcap), 0);
		static const char *const fields[] = {"gsm_old.localValue", "tcap.tid"};
		char *out = oracle_fields(pcap, fields, 2);
		assert_non_null(out);
		char line[256], op[64];
		unsigned n59 = 0, n60 = 0;
		for (unsigned i = 0; i < h->n_rec; i++) {
			assert_non_null(oracle_line(out, i, line, sizeof(line)));
			oracle_field(line, 0, op, sizeof(op));
			n59 += !strcmp(op, "59");
			n60 += !strcmp(op, "60");
		}
		assert_int_equal(n59, 6);     /* three Begins and three final results */
		assert_int_equal(n60, 2 * 9); /* nine prompts and nine replies */
		free(out);
		unlink(pcap);
	}
	hlr_free(h);
}

/* MSISDN only in originationReference; the user answers in UCS2; the menu goes out in GSM-7
 * and an answer with a character outside GSM-7 would go out in UCS2. */
static void test_ucs2_and_orig_ref(void **state)
{
	(void)state;
	struct hlr *h = hlr_new();
	fx_register(h->fx, ALICE, "Alice Wanjiru", IMSI_A, SENTINEL_PIN);
	fx_fund(h->fx, ALICE, 100000);
	begin(h, ALICE, IMSI_A, false, MAP_FACE_DCS_UCS2, "*384#");
	expect_con(h, true, "");
	assert_int_equal(h->ans.map.ussd_dcs, MAP_FACE_DCS_GSM7);
	reply(h, MAP_FACE_DCS_UCS2, "4");
	expect_con(h, false, "");
	reply(h, MAP_FACE_DCS_UCS2, SENTINEL_PIN);
	expect_end(h, "1,000.00");
	hlr_free(h);

	/* the text encoder choice: GSM-7 when it can, UCS2 otherwise */
	uint8_t b[USSD_MAX_OCTETS];
	assert_true(ussd_encode_text("Saldo €5", MAP_FACE_DCS_GSM7, b, sizeof(b)) > 0);
	assert_int_equal(ussd_encode_text("Баланс", MAP_FACE_DCS_GSM7, b, sizeof(b)), -EINVAL);
}

/* A TCAP Abort from the HLR mid-dialogue voids the session: no money moves, and a later
 * Continue on the dead transaction gets a P-Abort (unrecognised transaction id). */
static void test_abort_voids(void **state)
{
	(void)state;
	struct hlr *h = hlr_new();
	fx_register(h->fx, ALICE, "Alice Wanjiru", IMSI_A, SENTINEL_PIN);
	fx_register(h->fx, BOB, "Bob Otieno", IMSI_B, OTHER_PIN);
	fx_fund(h->fx, ALICE, 5000000);
	begin(h, ALICE, IMSI_A, true, MAP_FACE_DCS_GSM7, "*384#");
	expect_con(h, true, "");
	reply(h, MAP_FACE_DCS_GSM7, "1");
	expect_con(h, false, "");
	reply(h, MAP_FACE_DCS_GSM7, BOB);
	expect_con(h, false, "");
	reply(h, MAP_FACE_DCS_GSM7, "2500");
	expect_con(h, false, "");
	uint8_t t[64];
	struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(map_build_u_abort(&w, h->our, 0), 0);
	hlr_send(h, t, w.len);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(map_face_count(&h->mf), 0);
	assert_true(fx_file_contains(h->fx->audit_path, "\"abort\"") ||
		    fx_file_contains(h->fx->audit_path, "ABORT") ||
		    fx_file_contains(h->fx->audit_path, "session-end"));
	reply(h, MAP_FACE_DCS_GSM7, SENTINEL_PIN);
	const struct tcap_msg *a = read_answer(h);
	assert_int_equal(a->msg_type, TCAP_ABORT);
	assert_true(a->has_p_abort);
	assert_int_equal(a->p_abort_cause, TCAP_PA_UNRECOGNIZED_TID);
	assert_int_equal(fx_balance(h->fx, BOB), 0);
	assert_int_equal(fx_balance(h->fx, ALICE), 5000000);
	hlr_free(h);
}

/* An idle dialogue is U-Aborted towards the HLR by the sweep. */
static void test_idle_timeout(void **state)
{
	(void)state;
	struct hlr *h = hlr_new();
	fx_register(h->fx, ALICE, "Alice Wanjiru", IMSI_A, SENTINEL_PIN);
	begin(h, ALICE, IMSI_A, true, MAP_FACE_DCS_GSM7, "*384#");
	expect_con(h, true, "");
	h->n_out = 0;
	assert_int_equal(map_face_sweep(&h->mf, h->fx->now_ms + 1000, collect, h), 0);
	assert_int_equal(h->n_out, 0);
	h->fx->now_ms += 61000;
	assert_int_equal(map_face_sweep(&h->mf, h->fx->now_ms, collect, h), 1);
	const struct tcap_msg *a = read_answer(h);
	assert_int_equal(a->msg_type, TCAP_ABORT);
	assert_true(a->has_u_abort);
	assert_int_equal(map_face_count(&h->mf), 0);
	hlr_free(h);
}

/* Unknown service code: ReturnError unexpectedDataValue in an End; a Begin in another AC:
 * U-Abort; garbage: -EBADMSG and nothing sent. */
static void test_refusals(void **state)
{
	(void)state;
	struct hlr *h = hlr_new();
	begin(h, ALICE, IMSI_A, true, MAP_FACE_DCS_GSM7, "*999#");
	const struct tcap_msg *t = read_answer(h);
	assert_int_equal(t->msg_type, TCAP_END);
	assert_int_equal(t->comp[0].type, TCAP_ERROR);
	assert_int_equal(t->comp[0].error_code, MAP_ERR_UNEXPECTED_DATA_VALUE);

	uint8_t b[512];
	struct map_fields f;
	map_fields_init(&f);
	snprintf(f.imsi, sizeof(f.imsi), IMSI_A);
	f.has_imsi = true;
	h->otid = 0x20000001;
	struct dfs_wbuf w = dfs_wbuf_init(b, sizeof(b));
	assert_int_equal(map_build_begin(&w, h->otid, 14, 2, MAP_OP_SEND_AUTHENTICATION_INFO, 1, &f),
			 0);
	hlr_send(h, b, w.len);
	t = read_answer(h);
	assert_int_equal(t->msg_type, TCAP_ABORT);

	static const uint8_t junk[] = {1, 0, 1, 1, 0, 0, 0, 12, 0, 0, 0, 0};
	h->n_out = 0;
	assert_int_equal(map_face_input(&h->mf, junk, sizeof(junk), 0, collect, h), -EBADMSG);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(map_face_count(&h->mf), 0);
	hlr_free(h);
}

/* Every truncation of a valid Begin: a clean -EBADMSG or an answer, never a session left
 * behind by a message that does not decode whole. */
static void test_truncations(void **state)
{
	(void)state;
	struct hlr *h = hlr_new();
	fx_register(h->fx, ALICE, "Alice Wanjiru", IMSI_A, SENTINEL_PIN);
	begin(h, ALICE, IMSI_A, true, MAP_FACE_DCS_GSM7, "*384#");
	expect_con(h, true, "");
	assert_true(h->n_rec >= 1);
	uint8_t full[1024];
	size_t len = h->rec_len[0];
	memcpy(full, h->rec[0], len);
	for (size_t cut = 0; cut < len; cut++) {
		uint8_t *p = malloc(cut ? cut : 1);
		memcpy(p, full, cut);
		h->n_out = 0;
		assert_int_equal(map_face_input(&h->mf, p, cut, h->fx->now_ms, collect, h), -EBADMSG);
		assert_int_equal(h->n_out, 0);
		free(p);
	}
	assert_int_equal(map_face_count(&h->mf), 1);

	/* the TCAP inside a whole M3UA/SCCP message cut at every octet: an error or an abort,
	 * never a second dialogue */
	uint8_t t[512], str[USSD_MAX_OCTETS], mb[1024];
	struct map_fields f;
	ussd_fields(&f, MAP_FACE_DCS_GSM7, "*384#", str, ALICE);
	struct map_tx tx = {.msg_type = TCAP_BEGIN, .otid = 0x30000001, .ac = 19, .ac_version = 2,
			    .open_info = true, .dest_ref = IMSI_B, .orig_ref = BOB,
			    .dest_ref_ton_npi = 0x16, .orig_ref_ton_npi = 0x91};
	struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(map_build_invoke(&w, &tx, 1, MAP_OP_PROCESS_USS_REQUEST, &f), 0);
	for (size_t cut = 1; cut < w.len; cut++) {
		size_t n = hlr_wrap(t, cut, mb, sizeof(mb));
		h->n_out = 0;
		int rc = map_face_input(&h->mf, mb, n, h->fx->now_ms, collect, h);
		assert_true(rc == 0 || rc == -EBADMSG);
		if (rc == -EBADMSG)
			assert_int_equal(h->n_out, 0);
		assert_int_equal(map_face_count(&h->mf), 1);
	}
	hlr_free(h);
}

int main(void)
{
	(void)fx_dialogue; /* fixture helpers for the HTTP face and PostgreSQL, unused here */
	(void)pg_harness_for_suite;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_register_balance_send),
	    cmocka_unit_test(test_ucs2_and_orig_ref),
	    cmocka_unit_test(test_abort_voids),
	    cmocka_unit_test(test_idle_timeout),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_truncations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
