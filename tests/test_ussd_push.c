/* Network-initiated USSD on the MAP face (map_face_push): the gateway opens the dialogue, the
 * test plays the HLR, reads our Begin with the decoder (and tshark), and answers with the
 * codecs' builders: delivered, answered (GSM-7, UCS2), every MAP error, aborts, rejects,
 * timeouts, and every truncation of its answers. */
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
#include "ussd_push.h"

#define HLR_GT "254722000100"
#define SCF_GT "254722000900"
#define HLR_PC HLR_WIRE_PC
#define SCF_PC HLR_WIRE_SCF_PC
#define RCTX 7

struct hlr {
	struct fx *fx;
	struct map_face mf;
	uint8_t out[4][1024];
	size_t out_len[4];
	unsigned n_out;
	struct sig_msg got;   /* the last message we sent, decoded */
	uint32_t ours;        /* our transaction id, from the Begin */
	uint32_t otid;        /* the HLR's */
	unsigned n_done;
	struct map_push_outcome o;
};

static void collect(void *ud, const uint8_t *p, size_t len)
{
	struct hlr *h = ud;
	assert_true(h->n_out < 4);
	assert_true(len <= sizeof(h->out[0]));
	memcpy(h->out[h->n_out], p, len);
	h->out_len[h->n_out++] = len;
}

static void on_done(void *ud, const struct map_push_outcome *o)
{
	struct hlr *h = ud;
	h->n_done++;
	h->o = *o;
}

static struct hlr *hlr_new(void)
{
	struct hlr *h = calloc(1, sizeof(*h));
	h->fx = fx_new(NULL);
	struct map_face_config c;
	map_face_config_defaults(&c);
	snprintf(c.gt, sizeof(c.gt), SCF_GT);
	snprintf(c.hlr_gt, sizeof(c.hlr_gt), HLR_GT);
	c.pc = SCF_PC;
	c.hlr_pc = HLR_PC;
	c.ni = 2;
	c.has_rctx = true;
	c.rctx = RCTX;
	assert_int_equal(map_face_init(&h->mf, &h->fx->g, &c), 0);
	h->otid = 0x77000001;
	return h;
}

static void hlr_free(struct hlr *h)
{
	map_face_destroy(&h->mf);
	fx_free(h->fx);
	free(h);
}

/* Decode out[i] into h->got and check the routing towards the HLR. */
static const struct tcap_msg *read_sent(struct hlr *h, unsigned i)
{
	assert_true(i < h->n_out);
	struct dfs_err e;
	memset(&h->got, 0, sizeof(h->got));
	assert_int_equal(sig_decode_m3ua(h->out[i], h->out_len[i], &h->got, &e), 0);
	assert_true(h->got.has_tcap);
	assert_int_equal(h->got.m3ua.pd.opc, SCF_PC);
	assert_int_equal(h->got.m3ua.pd.dpc, HLR_PC);
	assert_int_equal(h->got.m3ua.pd.ni, 2);
	assert_int_equal(h->got.m3ua.pd.si, 3);
	assert_true(h->got.m3ua.has_rctx);
	assert_int_equal(h->got.m3ua.rctx, RCTX);
	assert_int_equal(h->got.sccp.msg_type, SCCP_MSG_UDT);
	assert_string_equal(h->got.sccp.called.digits, HLR_GT);
	assert_int_equal(h->got.sccp.called.ssn, SCCP_SSN_HLR);
	assert_string_equal(h->got.sccp.calling.digits, SCF_GT);
	assert_int_equal(h->got.sccp.calling.ssn, SCCP_SSN_GSMSCF);
	return &h->got.tcap;
}

/* Push and check our Begin; text_out gets the decoded string. */
static void push(struct hlr *h, enum map_push_type type, const char *imsi, const char *text,
		 uint8_t want_dcs)
{
	struct map_push q = {.type = type, .msisdn = ALICE, .imsi = imsi, .text = text,
			     .done = on_done, .ud = h};
	h->n_out = 0;
	h->n_done = 0;
	assert_int_equal(map_face_push(&h->mf, &q, h->fx->now_ms, collect, h), 0);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->n_done, 0);
	const struct tcap_msg *t = read_sent(h, 0);
	assert_int_equal(t->msg_type, TCAP_BEGIN);
	assert_true(t->otid.present);
	h->ours = t->otid.val;
	assert_true(t->has_dialogue);
	assert_int_equal(t->dlg_pdu, TCAP_DLG_AARQ);
	assert_true(t->ac_is_map);
	assert_int_equal(t->map_ac, 19);
	assert_int_equal(t->map_ac_version, 2);
	assert_true(t->has_open_info);
	assert_string_equal(t->orig_ref, SCF_GT);
	assert_string_equal(t->dest_ref, imsi ? imsi : "");
	assert_int_equal(t->n_components, 1);
	assert_int_equal(t->comp[0].type, TCAP_INVOKE);
	assert_int_equal(t->comp[0].opcode,
			 type == MAP_PUSH_NOTIFY ? MAP_OP_USS_NOTIFY : MAP_OP_USS_REQUEST);
	assert_true(h->got.has_map && h->got.map.has_ussd);
	assert_int_equal(h->got.map.ussd_dcs, want_dcs);
	char back[SCREEN_MAX_BYTES];
	assert_true(ussd_decode_text(h->got.map.ussd_dcs, h->got.map.ussd_string.p,
				     h->got.map.ussd_string.len, back, sizeof(back)) >= 0);
	assert_string_equal(back, text);
	/* the MSISDN goes in the argument exactly when the IMSI is unknown */
	assert_int_equal(h->got.map.msisdn.present, imsi == NULL);
	if (!imsi)
		assert_string_equal(h->got.map.msisdn.digits, ALICE);
	assert_int_equal(map_face_push_count(&h->mf), 1);
	h->n_out = 0;
}

static size_t hlr_wrap(const uint8_t *tcap, size_t len, uint8_t *mb, size_t mbsz)
{
	static const uint32_t rctx = RCTX;
	const struct hlr_wire hw = {.scf_gt = SCF_GT, .hlr_gt = HLR_GT, .rctx = &rctx, .sls = 3};
	size_t n = hlr_wire_wrap(&hw, tcap, len, mb, mbsz);
	assert_true(n > 0);
	return n;
}

static void hlr_send(struct hlr *h, const uint8_t *tcap, size_t len)
{
	uint8_t mb[1024];
	size_t n = hlr_wrap(tcap, len, mb, sizeof(mb));
	h->n_out = 0;
	assert_int_equal(map_face_input(&h->mf, mb, n, h->fx->now_ms, collect, h), 0);
}

static struct map_tx hlr_tx(struct hlr *h, uint8_t type, bool aare)
{
	struct map_tx tx = {.msg_type = type, .otid = h->otid, .dtid = h->ours};
	if (aare) {
		tx.ac = 19;
		tx.ac_version = 2;
	}
	return tx;
}

/* A Continue with no dialogue portion and no components: the HLR took the dialogue. */
static void hlr_empty_continue(struct hlr *h)
{
	uint8_t t[64];
	struct tcap_msg m;
	memset(&m, 0, sizeof(m));
	m.msg_type = TCAP_CONTINUE;
	m.otid = (struct tcap_tid){true, 4, h->otid};
	m.dtid = (struct tcap_tid){true, 4, h->ours};
	struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(tcap_encode(&w, &m), 0);
	hlr_send(h, t, w.len);
}

/* The subscriber's answer to our op 60 (or the empty result of op 61). */
static size_t build_result(struct hlr *h, uint8_t type, int op, uint8_t dcs, const char *text,
			   uint8_t *t, size_t tsz)
{
	uint8_t str[USSD_MAX_OCTETS];
	struct map_fields f;
	map_fields_init(&f);
	if (text) {
		int n = ussd_encode_text(text, dcs, str, sizeof(str));
		assert_true(n > 0);
		f.has_ussd = true;
		f.ussd_dcs = dcs;
		f.ussd_string = (struct dfs_view){str, (size_t)n};
	}
	struct map_tx tx = hlr_tx(h, type, true);
	struct dfs_wbuf w = dfs_wbuf_init(t, tsz);
	assert_int_equal(map_build_result(&w, &tx, 1, op, text ? &f : NULL), 0);
	return w.len;
}

/* After an answer in a Continue we close with a basic End to the HLR's transaction. */
static void expect_basic_end(struct hlr *h)
{
	assert_int_equal(h->n_out, 1);
	const struct tcap_msg *t = read_sent(h, 0);
	assert_int_equal(t->msg_type, TCAP_END);
	assert_int_equal(t->dtid.val, h->otid);
	assert_false(t->has_dialogue);
	assert_int_equal(t->n_components, 0);
}

static void expect_u_abort(struct hlr *h)
{
	assert_int_equal(h->n_out, 1);
	const struct tcap_msg *t = read_sent(h, 0);
	assert_int_equal(t->msg_type, TCAP_ABORT);
	assert_int_equal(t->dtid.val, h->otid);
	assert_true(t->has_u_abort);
}

static void test_notify_delivered(void **state)
{
	(void)state;
	struct hlr *h = hlr_new();
	uint8_t t[512];
	/* the HLR ends the dialogue with the empty result */
	push(h, MAP_PUSH_NOTIFY, IMSI_A, "Your loan of KES 500 is due on 3 March.", 0x0f);
	size_t n = build_result(h, TCAP_END, MAP_OP_USS_NOTIFY, 0, NULL, t, sizeof(t));
	hlr_send(h, t, n);
	assert_int_equal(h->n_done, 1);
	assert_int_equal(h->o.result, MAP_PUSH_DELIVERED);
	assert_int_equal(h->n_out, 0);
	assert_int_equal(map_face_push_count(&h->mf), 0);

	/* in a Continue: we close with a basic End */
	push(h, MAP_PUSH_NOTIFY, IMSI_A, "Hello", 0x0f);
	n = build_result(h, TCAP_CONTINUE, MAP_OP_USS_NOTIFY, 0, NULL, t, sizeof(t));
	hlr_send(h, t, n);
	assert_int_equal(h->o.result, MAP_PUSH_DELIVERED);
	expect_basic_end(h);

	/* a Continue without components first (dialogue accepted), then the result */
	push(h, MAP_PUSH_NOTIFY, IMSI_A, "Hello", 0x0f);
	hlr_empty_continue(h);
	assert_int_equal(h->n_done, 0);
	assert_int_equal(h->n_out, 0);
	n = build_result(h, TCAP_END, MAP_OP_USS_NOTIFY, 0, NULL, t, sizeof(t));
	hlr_send(h, t, n);
	assert_int_equal(h->o.result, MAP_PUSH_DELIVERED);
	assert_int_equal(h->mf.stat_push_ok, 3);
	hlr_free(h);
}

static void test_request_answered(void **state)
{
	(void)state;
	struct hlr *h = hlr_new();
	uint8_t t[512];
	push(h, MAP_PUSH_REQUEST, IMSI_A, "Rate our service 1-5", 0x0f);
	size_t n = build_result(h, TCAP_CONTINUE, MAP_OP_USS_REQUEST, 0x0f, "5", t, sizeof(t));
	hlr_send(h, t, n);
	assert_int_equal(h->n_done, 1);
	assert_int_equal(h->o.result, MAP_PUSH_ANSWERED);
	assert_string_equal(h->o.text, "5");
	expect_basic_end(h);

	/* a UCS2 prompt (Cyrillic has no GSM 7-bit code) with the IMSI unknown: MSISDN in the
	 * argument; the answer in UCS2, in an End */
	push(h, MAP_PUSH_REQUEST, NULL, "Оцените сервис", 0x48);
	n = build_result(h, TCAP_END, MAP_OP_USS_REQUEST, 0x48, "отлично", t, sizeof(t));
	hlr_send(h, t, n);
	assert_int_equal(h->o.result, MAP_PUSH_ANSWERED);
	assert_string_equal(h->o.text, "отлично");
	assert_int_equal(h->n_out, 0);

	/* a result without USSD-Res to a Request is not an answer: rejected, U-Abort */
	push(h, MAP_PUSH_REQUEST, IMSI_A, "Rate us", 0x0f);
	n = build_result(h, TCAP_CONTINUE, MAP_OP_USS_REQUEST, 0, NULL, t, sizeof(t));
	hlr_send(h, t, n);
	assert_int_equal(h->o.result, MAP_PUSH_REJECTED);
	expect_u_abort(h);
	hlr_free(h);
}

static void test_errors(void **state)
{
	(void)state;
	static const int codes[] = {MAP_ERR_ABSENT_SUBSCRIBER,	   MAP_ERR_UNKNOWN_SUBSCRIBER,
				    MAP_ERR_ILLEGAL_SUBSCRIBER,	   MAP_ERR_USSD_BUSY,
				    MAP_ERR_UNKNOWN_ALPHABET,	   MAP_ERR_CALL_BARRED,
				    MAP_ERR_SYSTEM_FAILURE,	   MAP_ERR_DATA_MISSING,
				    MAP_ERR_UNEXPECTED_DATA_VALUE};
	static const char *const names[] = {"absentSubscriber",  "unknownSubscriber",
					    "illegalSubscriber", "ussd-Busy",
					    "unknownAlphabet",	 "callBarred",
					    "systemFailure",	 "dataMissing",
					    "unexpectedDataValue"};
	struct hlr *h = hlr_new();
	uint8_t t[256];
	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		bool cont = i % 2; /* half in an End, half in a Continue */
		push(h, i % 3 ? MAP_PUSH_NOTIFY : MAP_PUSH_REQUEST, IMSI_A, "Hi", 0x0f);
		struct map_tx tx = hlr_tx(h, cont ? TCAP_CONTINUE : TCAP_END, true);
		struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
		assert_int_equal(map_build_error(&w, &tx, 1, codes[i]), 0);
		hlr_send(h, t, w.len);
		assert_int_equal(h->n_done, 1);
		assert_int_equal(h->o.result, MAP_PUSH_ERROR);
		assert_int_equal(h->o.map_error, codes[i]);
		assert_string_equal(map_error_name(h->o.map_error), names[i]);
		if (cont)
			expect_basic_end(h);
		else
			assert_int_equal(h->n_out, 0);
	}
	assert_int_equal(h->mf.stat_push_failed, 9);

	/* a Reject of our invoke in a Continue: rejected, U-Abort */
	push(h, MAP_PUSH_NOTIFY, IMSI_A, "Hi", 0x0f);
	struct map_tx tx = hlr_tx(h, TCAP_CONTINUE, true);
	struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(map_build_reject(&w, &tx, 1, 0x81, 1), 0);
	hlr_send(h, t, w.len);
	assert_int_equal(h->o.result, MAP_PUSH_REJECTED);
	expect_u_abort(h);
	/* a result for another invoke id: not ours */
	push(h, MAP_PUSH_NOTIFY, IMSI_A, "Hi", 0x0f);
	tx = hlr_tx(h, TCAP_END, true);
	w = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(map_build_result(&w, &tx, 9, MAP_OP_USS_NOTIFY, NULL), 0);
	hlr_send(h, t, w.len);
	assert_int_equal(h->o.result, MAP_PUSH_REJECTED);
	hlr_free(h);
}

static void test_aborts_and_timeout(void **state)
{
	(void)state;
	struct hlr *h = hlr_new();
	uint8_t t[128];
	/* U-Abort */
	push(h, MAP_PUSH_REQUEST, IMSI_A, "Hi", 0x0f);
	struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(map_build_u_abort(&w, h->ours, 0), 0);
	hlr_send(h, t, w.len);
	assert_int_equal(h->o.result, MAP_PUSH_ABORTED);
	assert_false(h->o.provider_abort);
	assert_int_equal(h->n_out, 0);
	/* P-Abort */
	push(h, MAP_PUSH_REQUEST, IMSI_A, "Hi", 0x0f);
	w = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(map_build_p_abort(&w, h->ours, TCAP_PA_RESOURCE_LIMITATION, 0), 0);
	hlr_send(h, t, w.len);
	assert_int_equal(h->o.result, MAP_PUSH_ABORTED);
	assert_true(h->o.provider_abort);
	assert_int_equal(h->o.p_abort_cause, TCAP_PA_RESOURCE_LIMITATION);
	/* the dialogue refused (AARE reject in an Abort) */
	push(h, MAP_PUSH_NOTIFY, IMSI_A, "Hi", 0x0f);
	w = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(map_build_refuse(&w, h->ours, 19, 2, 0), 0);
	hlr_send(h, t, w.len);
	assert_int_equal(h->o.result, MAP_PUSH_ABORTED);
	/* an End without components: closed without an answer */
	push(h, MAP_PUSH_NOTIFY, IMSI_A, "Hi", 0x0f);
	w = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(map_build_end(&w, h->ours, 0), 0);
	hlr_send(h, t, w.len);
	assert_int_equal(h->o.result, MAP_PUSH_ABORTED);

	/* silence: nothing before the idle timeout, then TIMEOUT and no message (no HLR
	 * transaction id to address) */
	push(h, MAP_PUSH_NOTIFY, IMSI_A, "Hi", 0x0f);
	assert_int_equal(map_face_sweep(&h->mf, h->fx->now_ms + 60000, collect, h), 0);
	assert_int_equal(h->n_done, 0);
	assert_int_equal(map_face_sweep(&h->mf, h->fx->now_ms + 60001, collect, h), 1);
	assert_int_equal(h->n_done, 1);
	assert_int_equal(h->o.result, MAP_PUSH_TIMEOUT);
	assert_int_equal(h->n_out, 0);
	/* the HLR accepted (AARE-only Continue) and went silent: TIMEOUT and a U-Abort */
	push(h, MAP_PUSH_REQUEST, IMSI_A, "Hi", 0x0f);
	hlr_empty_continue(h);
	assert_int_equal(h->n_done, 0);
	assert_int_equal(h->n_out, 0);
	h->fx->now_ms += 30000;
	assert_int_equal(map_face_sweep(&h->mf, h->fx->now_ms + 60001, collect, h), 1);
	assert_int_equal(h->o.result, MAP_PUSH_TIMEOUT);
	expect_u_abort(h);

	/* a push under way when the face goes: cancelled */
	push(h, MAP_PUSH_NOTIFY, IMSI_A, "Hi", 0x0f);
	map_face_destroy(&h->mf);
	assert_int_equal(h->n_done, 1);
	assert_int_equal(h->o.result, MAP_PUSH_CANCELLED);
	hlr_free(h);
}

static void test_refused_pushes(void **state)
{
	(void)state;
	struct hlr *h = hlr_new();
	struct map_push q = {.type = MAP_PUSH_NOTIFY, .msisdn = ALICE, .imsi = IMSI_A,
			     .text = "Hi", .done = on_done, .ud = h};
	h->n_out = 0;
	q.msisdn = "+2547";
	assert_int_equal(map_face_push(&h->mf, &q, 0, collect, h), -EINVAL);
	q.msisdn = ALICE;
	q.imsi = "12ab";
	assert_int_equal(map_face_push(&h->mf, &q, 0, collect, h), -EINVAL);
	q.imsi = IMSI_A;
	char big[200];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0; /* 199 septets: above 182 */
	q.text = big;
	assert_int_equal(map_face_push(&h->mf, &q, 0, collect, h), -EINVAL);
	big[182] = 0;
	assert_int_equal(map_face_push(&h->mf, &q, 0, collect, h), 0);
	assert_int_equal(h->n_out, 1);
	h->mf.cfg.max_pushes = 1;
	q.text = "Hi";
	assert_int_equal(map_face_push(&h->mf, &q, 0, collect, h), -EBUSY);
	h->mf.cfg.gt[0] = 0;
	assert_int_equal(map_face_push(&h->mf, &q, 0, collect, h), -ENOTCONN);
	assert_int_equal(h->n_out, 1);
	assert_int_equal(h->n_done, 0);
	hlr_free(h);
}

/* A full screen (182 GSM-7 characters) does not fit one UDT with the dialogue portion: the
 * Begin opens the dialogue alone, and the invoke follows in a Continue once the HLR accepted
 * (TS 29.002 15.6.3). */
static void test_long_text_opens_first(void **state)
{
	(void)state;
	struct hlr *h = hlr_new();
	char big[183];
	for (unsigned i = 0; i < 182; i++)
		big[i] = (char)('a' + i % 26);
	big[182] = 0;
	struct map_push q = {.type = MAP_PUSH_REQUEST, .msisdn = ALICE, .imsi = IMSI_A,
			     .text = big, .done = on_done, .ud = h};
	h->n_out = 0;
	assert_int_equal(map_face_push(&h->mf, &q, h->fx->now_ms, collect, h), 0);
	const struct tcap_msg *t = read_sent(h, 0);
	assert_int_equal(t->msg_type, TCAP_BEGIN);
	assert_int_equal(t->dlg_pdu, TCAP_DLG_AARQ);
	assert_int_equal(t->map_ac, 19);
	assert_string_equal(t->dest_ref, IMSI_A);
	assert_int_equal(t->n_components, 0);
	h->ours = t->otid.val;
	hlr_empty_continue(h);
	assert_int_equal(h->n_out, 1);
	t = read_sent(h, 0);
	assert_int_equal(t->msg_type, TCAP_CONTINUE);
	assert_int_equal(t->otid.val, h->ours);
	assert_int_equal(t->dtid.val, h->otid);
	assert_int_equal(t->n_components, 1);
	assert_int_equal(t->comp[0].opcode, MAP_OP_USS_REQUEST);
	char back[SCREEN_MAX_BYTES];
	assert_true(ussd_decode_text(h->got.map.ussd_dcs, h->got.map.ussd_string.p,
				     h->got.map.ussd_string.len, back, sizeof(back)) >= 0);
	assert_string_equal(back, big);
	uint8_t b[512];
	size_t n = build_result(h, TCAP_CONTINUE, MAP_OP_USS_REQUEST, 0x0f, "2", b, sizeof(b));
	hlr_send(h, b, n);
	assert_int_equal(h->o.result, MAP_PUSH_ANSWERED);
	assert_string_equal(h->o.text, "2");
	expect_basic_end(h);
	hlr_free(h);
}

/* Every truncation of the HLR's answers (the whole message cut, and the TCAP cut inside a
 * whole M3UA/SCCP message): a clean drop, no outcome, nothing sent; the whole answer then
 * completes the push. */
static void test_truncated_answers(void **state)
{
	(void)state;
	struct hlr *h = hlr_new();
	uint8_t t[512], mb[1024];
	push(h, MAP_PUSH_REQUEST, IMSI_A, "Rate us 1-5", 0x0f);
	size_t n = build_result(h, TCAP_CONTINUE, MAP_OP_USS_REQUEST, 0x0f, "4", t, sizeof(t));
	size_t full = hlr_wrap(t, n, mb, sizeof(mb));
	for (size_t cut = 0; cut < full; cut++) {
		h->n_out = 0;
		assert_int_equal(map_face_input(&h->mf, mb, cut, h->fx->now_ms, collect, h),
				 -EBADMSG);
		assert_int_equal(h->n_out, 0);
	}
	for (size_t cut = 1; cut < n; cut++) {
		uint8_t m2[1024];
		size_t n2 = hlr_wrap(t, cut, m2, sizeof(m2));
		h->n_out = 0;
		assert_int_equal(map_face_input(&h->mf, m2, n2, h->fx->now_ms, collect, h), -EBADMSG);
		assert_int_equal(h->n_out, 0);
	}
	assert_int_equal(h->n_done, 0);
	assert_int_equal(map_face_push_count(&h->mf), 1);
	hlr_send(h, t, n);
	assert_int_equal(h->n_done, 1);
	assert_string_equal(h->o.text, "4");
	hlr_free(h);
}

/* tshark reads our Begins as gsm_map unstructuredSS-Notify / -Request with the right string
 * and no malformed frame. */
static void test_tshark_reads_begin(void **state)
{
	(void)state;
	if (!oracle_have_tshark()) {
		printf("SKIP: tshark not installed\n");
		return;
	}
	struct hlr *h = hlr_new();
	uint8_t rec[3][1024];
	size_t lens[3];
	const uint8_t *pdus[3];
	static const char *const texts[] = {"Loan due 3 March", "Reply 1 to confirm", "Привет"};
	for (unsigned i = 0; i < 3; i++) {
		struct map_push q = {.type = i ? MAP_PUSH_REQUEST : MAP_PUSH_NOTIFY,
				     .msisdn = ALICE, .imsi = i == 2 ? NULL : IMSI_A,
				     .text = texts[i], .done = on_done, .ud = h};
		h->n_out = 0;
		assert_int_equal(map_face_push(&h->mf, &q, h->fx->now_ms, collect, h), 0);
		memcpy(rec[i], h->out[0], h->out_len[0]);
		lens[i] = h->out_len[0];
		pdus[i] = rec[i];
	}
	char pcap[128];
	oracle_tmpname(pcap, sizeof(pcap), "ussdpush");
	assert_int_equal(oracle_write_export(pcap, "m3ua", pdus, lens, 3), 0);
	assert_int_equal(oracle_malformed(pcap), 0);
	static const char *const fields[] = {"gsm_old.localValue", "gsm_map.ussd_string",
					     "sccp.called.ssn", "sccp.calling.ssn"};
	char *out = oracle_fields(pcap, fields, 4);
	assert_non_null(out);
	char line[512], v[256];
	static const char *const ops[] = {"61", "60", "60"};
	for (unsigned i = 0; i < 3; i++) {
		assert_non_null(oracle_line(out, i, line, sizeof(line)));
		oracle_field(line, 0, v, sizeof(v));
		assert_string_equal(v, ops[i]);
		oracle_field(line, 1, v, sizeof(v));
		assert_string_equal(v, texts[i]);
		oracle_field(line, 2, v, sizeof(v));
		assert_string_equal(v, "6");
		oracle_field(line, 3, v, sizeof(v));
		assert_string_equal(v, "147");
	}
	free(out);
	unlink(pcap);
	hlr_free(h);
}

/* FW-USSD-PHISH word matching: whole words or phrases, any case; not inside other words. */
static void test_phishing_words(void **state)
{
	(void)state;
	char w[USSD_PUSH_WORDS_MAX][USSD_PUSH_WORD_MAX];
	unsigned n = 0;
	for (const char *const *d = ussd_push_default_words; *d; d++)
		snprintf(w[n++], USSD_PUSH_WORD_MAX, "%s", *d);
	const char *which = NULL;
	static const char *const bad[] = {"Enter your PIN", "pin:", "Reply with PIN-code",
					  "Your M-PIN please", "confirm your Password now",
					  "Send the SECRET CODE", "your otp is needed",
					  "Enter your P I N", "type p.i.n now", "the O-T-P: reply",
					  "P*I*N"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!ussd_push_solicits_secret(bad[i], w, n, &which))
			fail_msg("not refused: %s", bad[i]);
	assert_true(ussd_push_solicits_secret("Reply with PIN-code", w, n, &which));
	assert_string_equal(which, "pin");
	static const char *const good[] = {"Shopping spree: 10% off", "Spinning class at 6",
					   "Pinned: your loan is due", "Optional survey", "Secret codes",
					   "Plan A or B: P A Y now", "O T Plus", ""};
	for (unsigned i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (ussd_push_solicits_secret(good[i], w, n, &which))
			fail_msg("refused: %s (%s)", good[i], which);
}

int main(void)
{
	(void)fx_dialogue; /* fixture helpers for the HTTP face and PostgreSQL, unused here */
	(void)pg_harness_for_suite;
	(void)fx_file_contains, (void)fx_balance, (void)fx_fund, (void)fx_register;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_notify_delivered),   cmocka_unit_test(test_request_answered),
	    cmocka_unit_test(test_errors),	       cmocka_unit_test(test_aborts_and_timeout),
	    cmocka_unit_test(test_refused_pushes),     cmocka_unit_test(test_truncated_answers),
	    cmocka_unit_test(test_tshark_reads_begin), cmocka_unit_test(test_long_text_opens_first),
	    cmocka_unit_test(test_phishing_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
