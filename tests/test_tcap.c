/* TCAP: the SigFW vectors and a captured USSD Begin decoded field by field, every truncation
 * point, exact round trips, long-form lengths, each message and component type, P-Abort,
 * AARE/ABRT, indefinite lengths, and tshark's view of what tcap_encode writes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcap.h"
#include "tcap_vectors.h"
#include "tshark_oracle.h"

static size_t vec(unsigned i, uint8_t *out, size_t cap)
{
	size_t n = tv_unhex(tcap_vectors[i].hex, out, cap);
	assert_true(n > 0);
	return n;
}

static void assert_view_eq(struct dfs_view a, struct dfs_view b)
{
	assert_int_equal(a.len, b.len);
	if (a.len)
		assert_memory_equal(a.p, b.p, a.len);
}

/* Field-by-field equality of two decoded messages (views compared by contents). */
static void assert_tcap_eq(const struct tcap_msg *a, const struct tcap_msg *b)
{
	assert_int_equal(a->msg_type, b->msg_type);
	assert_memory_equal(&a->otid, &b->otid, sizeof(a->otid));
	assert_memory_equal(&a->dtid, &b->dtid, sizeof(a->dtid));
	assert_int_equal(a->has_dialogue, b->has_dialogue);
	assert_int_equal(a->dlg_pdu, b->dlg_pdu);
	assert_view_eq(a->ac_oid, b->ac_oid);
	assert_int_equal(a->ac_is_map, b->ac_is_map);
	assert_int_equal(a->map_ac, b->map_ac);
	assert_int_equal(a->map_ac_version, b->map_ac_version);
	assert_view_eq(a->proto_version, b->proto_version);
	assert_int_equal(a->aare_result, b->aare_result);
	assert_int_equal(a->aare_diag_tag, b->aare_diag_tag);
	assert_int_equal(a->aare_diag, b->aare_diag);
	assert_int_equal(a->abrt_source, b->abrt_source);
	assert_int_equal(a->has_p_abort, b->has_p_abort);
	assert_int_equal(a->p_abort_cause, b->p_abort_cause);
	assert_int_equal(a->has_u_abort, b->has_u_abort);
	assert_int_equal(a->has_open_info, b->has_open_info);
	assert_string_equal(a->dest_ref, b->dest_ref);
	assert_string_equal(a->orig_ref, b->orig_ref);
	assert_int_equal(a->dest_ref_ton_npi, b->dest_ref_ton_npi);
	assert_int_equal(a->orig_ref_ton_npi, b->orig_ref_ton_npi);
	assert_int_equal(a->has_components, b->has_components);
	assert_int_equal(a->n_components, b->n_components);
	for (unsigned i = 0; i < a->n_components; i++) {
		const struct tcap_component *x = &a->comp[i], *y = &b->comp[i];
		assert_int_equal(x->type, y->type);
		assert_int_equal(x->has_invoke_id, y->has_invoke_id);
		assert_int_equal(x->invoke_id, y->invoke_id);
		assert_int_equal(x->has_linked_id, y->has_linked_id);
		assert_int_equal(x->linked_id, y->linked_id);
		assert_int_equal(x->has_opcode, y->has_opcode);
		assert_int_equal(x->opcode_global, y->opcode_global);
		assert_int_equal(x->opcode, y->opcode);
		assert_view_eq(x->opcode_oid, y->opcode_oid);
		assert_int_equal(x->has_error_code, y->has_error_code);
		assert_int_equal(x->error_global, y->error_global);
		assert_int_equal(x->error_code, y->error_code);
		assert_int_equal(x->problem_tag, y->problem_tag);
		assert_int_equal(x->problem_code, y->problem_code);
		/* the parameter TLV itself may differ in its length form: compare its value */
		assert_int_equal(x->param.len == 0, y->param.len == 0);
		if (x->param.len) {
			struct dfs_buf bx = dfs_buf_init(x->param.p, x->param.len, 0);
			struct dfs_buf by = dfs_buf_init(y->param.p, y->param.len, 0);
			struct ber_tlv tx, ty;
			assert_int_equal(ber_read(&bx, &tx, true, "t", "p", NULL), 0);
			assert_int_equal(ber_read(&by, &ty, true, "t", "p", NULL), 0);
			assert_int_equal(tx.tag, ty.tag);
			assert_view_eq(tx.v, ty.v);
		}
	}
}

/* Every prefix of a valid message fails cleanly (copied to an exact-size heap block so that
 * the sanitizer sees any read past it); the whole message decodes. */
static void check_truncations(const uint8_t *p, size_t n)
{
	for (size_t cut = 0; cut < n; cut++) {
		uint8_t *c = malloc(cut ? cut : 1);
		memcpy(c, p, cut);
		struct tcap_msg m;
		struct dfs_err e = {0};
		int rc = tcap_decode(c, cut, 1000, &m, &e);
		if (rc != -EBADMSG)
			fail_msg("prefix of %zu octets: rc %d", cut, rc);
		assert_string_equal(e.layer, "tcap");
		assert_non_null(e.field);
		assert_non_null(e.reason);
		assert_true(e.offset >= 1000 && e.offset <= 1000 + cut);
		free(c);
	}
}

/* decode, re-encode exactly; re-encode with long lengths and decode to the same fields */
static void check_round_trips(const uint8_t *p, size_t n, struct tcap_msg *m)
{
	struct dfs_err e = {0};
	if (tcap_decode(p, n, 0, m, &e) != 0)
		fail_msg("decode: %s at %zu: %s", e.field, e.offset, e.reason);
	uint8_t out[2048];
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(tcap_encode(&w, m), 0);
	assert_int_equal(w.len, n);
	assert_memory_equal(out, p, n);

	uint8_t lout[2048];
	struct dfs_wbuf lw = dfs_wbuf_init(lout, sizeof(lout));
	assert_int_equal(tcap_encode_opt(&lw, m, BER_LEN_LONG), 0);
	assert_true(lw.len > n);
	assert_int_equal(lout[1] & 0x80, 0x80);
	struct tcap_msg l;
	if (tcap_decode(lout, lw.len, 0, &l, &e) != 0)
		fail_msg("decode long form: %s at %zu: %s", e.field, e.offset, e.reason);
	assert_tcap_eq(m, &l);
	check_truncations(lout, lw.len);

	/* no room: -ENOSPC at every size */
	for (size_t cap = 0; cap < n; cap += 7) {
		struct dfs_wbuf sw = dfs_wbuf_init(out, cap);
		assert_int_equal(tcap_encode(&sw, m), -ENOSPC);
	}
}

static void test_sigfw_vectors(void **state)
{
	(void)state;
	static const struct {
		uint8_t type;
		uint32_t otid, dtid;
		uint8_t ac, ver;
		int invoke_id;
		const char *dest_ref, *orig_ref;
	} want[] = {
	    {TCAP_BEGIN, 2, 0, 29, 3, 0, "111111111111111", "11111111111"},
	    {TCAP_BEGIN, 0x53, 0, 38, 3, 1, "", ""},
	    {TCAP_CONTINUE, 0x33119839, 0x02035ea2, 0, 0, 2, "", ""},
	    {TCAP_BEGIN, 1, 0, 19, 2, 0, "111111111111111", "11111111111"},
	    {TCAP_BEGIN, 3, 0, 2, 3, 1, "", ""},
	    {TCAP_BEGIN, 0x46, 0, 28, 3, 1, "", ""},
	    {TCAP_BEGIN, 4, 0, 3, 2, 1, "", ""},
	    {TCAP_BEGIN, 0x2f3b4602, 0, 19, 2, 1, "655011420096316", ""},
	};
	for (unsigned i = 0; i < TCAP_N_VECTORS; i++) {
		uint8_t p[512];
		size_t n = vec(i, p, sizeof(p));
		struct tcap_msg m;
		check_round_trips(p, n, &m);
		assert_int_equal(m.msg_type, want[i].type);
		assert_true(m.otid.present);
		assert_int_equal(m.otid.len, 4);
		assert_int_equal(m.otid.val, want[i].otid);
		assert_int_equal(m.dtid.present, want[i].type == TCAP_CONTINUE);
		assert_int_equal(m.dtid.val, want[i].dtid);
		assert_int_equal(m.has_dialogue, want[i].ac != 0);
		if (want[i].ac) {
			assert_int_equal(m.dlg_pdu, TCAP_DLG_AARQ);
			assert_true(m.ac_is_map);
			assert_int_equal(m.map_ac, want[i].ac);
			assert_int_equal(m.map_ac_version, want[i].ver);
		}
		assert_int_equal(m.has_open_info, want[i].dest_ref[0] != 0);
		assert_string_equal(m.dest_ref, want[i].dest_ref);
		assert_string_equal(m.orig_ref, want[i].orig_ref);
		if (m.has_open_info)
			assert_int_equal(m.dest_ref_ton_npi, 0x96);
		assert_int_equal(m.n_components, 1);
		assert_int_equal(m.comp[0].type, TCAP_INVOKE);
		assert_int_equal(m.comp[0].invoke_id, want[i].invoke_id);
		assert_false(m.comp[0].opcode_global);
		assert_int_equal(m.comp[0].opcode, tcap_vectors[i].opcode);
		/* the parameter view starts at its tag inside the input */
		if (m.comp[0].param.len) {
			assert_ptr_equal(m.comp[0].param.p, p + m.comp[0].param_offset);
			assert_ptr_equal(m.comp[0].param.p + m.comp[0].param.len, p + n);
		}
		check_truncations(p, n);
	}
}

/* Encoded sample messages, kept for the tshark comparison. */
#define SAMPLES_MAX 16
struct samples {
	size_t n;
	uint8_t buf[SAMPLES_MAX][1024];
	size_t len[SAMPLES_MAX];
	struct tcap_msg m[SAMPLES_MAX];
};

/* Build, encode, decode, compare, and check exact re-encoding. */
static void roundtrip_struct(const struct tcap_msg *src, struct samples *col)
{
	assert_true(col->n < SAMPLES_MAX);
	uint8_t *out = col->buf[col->n];
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(col->buf[0]));
	assert_int_equal(tcap_encode(&w, src), 0);
	struct tcap_msg d, tmp;
	struct dfs_err e = {0};
	if (tcap_decode(out, w.len, 0, &d, &e) != 0)
		fail_msg("decode: %s at %zu: %s", e.field, e.offset, e.reason);
	check_round_trips(out, w.len, &tmp);
	check_truncations(out, w.len);
	col->len[col->n] = w.len;
	col->m[col->n++] = d;
	/* what the struct said survives (the decoded side has the AC OID filled in) */
	assert_int_equal(d.msg_type, src->msg_type);
	assert_int_equal(d.n_components, src->n_components);
	assert_int_equal(d.has_p_abort, src->has_p_abort);
	assert_int_equal(d.dlg_pdu, src->dlg_pdu);
	assert_int_equal(d.map_ac, src->map_ac);
	assert_string_equal(d.dest_ref, src->dest_ref);
	assert_string_equal(d.orig_ref, src->orig_ref);
	for (unsigned i = 0; i < d.n_components; i++) {
		assert_int_equal(d.comp[i].type, src->comp[i].type);
		assert_int_equal(d.comp[i].invoke_id, src->comp[i].invoke_id);
		assert_int_equal(d.comp[i].opcode, src->comp[i].opcode);
		assert_int_equal(d.comp[i].error_code, src->comp[i].error_code);
		assert_int_equal(d.comp[i].problem_code, src->comp[i].problem_code);
		assert_view_eq(d.comp[i].param, src->comp[i].param);
	}
}

/* RoutingInfoForSM-Res { imsi, locationInfoWithLMSI { networkNode-Number } } */
static const uint8_t srism_res[] = {0x30, 0x11, 0x04, 0x08, 0x21, 0x43, 0x65, 0x87, 0x09, 0x21,
				    0x43, 0xf5, 0xa0, 0x05, 0x81, 0x03, 0x91, 0x21, 0xf3};

static void check_samples_with_tshark(const struct samples *col);

static void test_all_types(void **state)
{
	(void)state;
	struct tcap_msg m;
	static struct samples samples;
	struct samples *col = &samples;
	col->n = 0;
	/* End with AARE, ReturnResultLast, ReturnResultNotLast, ReturnError (local and global),
	 * Reject of each problem kind and with a NULL invoke id, Invoke with a linked id */
	memset(&m, 0, sizeof(m));
	m.msg_type = TCAP_END;
	m.dtid = (struct tcap_tid){true, 3, 0xabcdef};
	m.has_dialogue = true;
	m.dlg_pdu = TCAP_DLG_AARE;
	m.ac_is_map = true;
	m.map_ac = 20;
	m.map_ac_version = 3;
	m.aare_diag_tag = TCAP_DIAG_USER;
	m.has_components = true;
	m.n_components = 8;
	m.comp[0] = (struct tcap_component){.type = TCAP_RESULT_NL,
					    .invoke_id = 1,
					    .has_invoke_id = true,
					    .has_opcode = true,
					    .opcode = 45,
					    .param = {srism_res, sizeof(srism_res)}};
	m.comp[1] = (struct tcap_component){.type = TCAP_RESULT_L,
					    .invoke_id = -5,
					    .has_invoke_id = true,
					    .has_opcode = true,
					    .opcode = 45,
					    .param = {srism_res, sizeof(srism_res)}};
	m.comp[2] =
	    (struct tcap_component){.type = TCAP_RESULT_L, .invoke_id = 2, .has_invoke_id = true};
	m.comp[3] = (struct tcap_component){.type = TCAP_ERROR,
					    .invoke_id = 3,
					    .has_invoke_id = true,
					    .has_error_code = true,
					    .error_code = 27};
	static const uint8_t oid[] = {0x2a, 0x03};
	m.comp[4] = (struct tcap_component){.type = TCAP_ERROR,
					    .invoke_id = 4,
					    .has_invoke_id = true,
					    .has_error_code = true,
					    .error_global = true,
					    .opcode_oid = {oid, 2}};
	m.comp[5] = (struct tcap_component){.type = TCAP_REJECT,
					    .has_invoke_id = false,
					    .problem_tag = TCAP_PROBLEM_GENERAL,
					    .problem_code = 2};
	m.comp[6] = (struct tcap_component){.type = TCAP_REJECT,
					    .has_invoke_id = true,
					    .invoke_id = 9,
					    .problem_tag = TCAP_PROBLEM_ERROR,
					    .problem_code = 4};
	m.comp[7] = (struct tcap_component){.type = TCAP_INVOKE,
					    .invoke_id = 10,
					    .has_invoke_id = true,
					    .has_linked_id = true,
					    .linked_id = 1,
					    .has_opcode = true,
					    .opcode = 60};
	roundtrip_struct(&m, col);

	/* Begin with a global opcode, protocol version, MAP-OpenInfo built from the struct */
	memset(&m, 0, sizeof(m));
	m.msg_type = TCAP_BEGIN;
	m.otid = (struct tcap_tid){true, 1, 0x7f};
	m.has_dialogue = true;
	m.dlg_pdu = TCAP_DLG_AARQ;
	m.ac_is_map = true;
	m.map_ac = 19;
	m.map_ac_version = 2;
	m.proto_version = (struct dfs_view){(const uint8_t *)"\x07\x80", 2};
	m.has_open_info = true;
	snprintf(m.dest_ref, sizeof(m.dest_ref), "%s", "262011234567890");
	m.dest_ref_ton_npi = 0x96;
	snprintf(m.orig_ref, sizeof(m.orig_ref), "%s", "4917012345");
	m.orig_ref_ton_npi = 0x91;
	m.n_components = 1;
	m.comp[0] = (struct tcap_component){.type = TCAP_INVOKE,
					    .invoke_id = 0,
					    .has_invoke_id = true,
					    .has_opcode = true,
					    .opcode_global = true,
					    .opcode_oid = {oid, 2}};
	roundtrip_struct(&m, col);

	/* Continue with an empty component portion; Abort (P-Abort and ABRT); Unidirectional */
	memset(&m, 0, sizeof(m));
	m.msg_type = TCAP_CONTINUE;
	m.otid = (struct tcap_tid){true, 2, 0x0102};
	m.dtid = (struct tcap_tid){true, 4, 0xffffffff};
	m.has_components = true;
	roundtrip_struct(&m, col);

	memset(&m, 0, sizeof(m));
	m.msg_type = TCAP_ABORT;
	m.dtid = (struct tcap_tid){true, 4, 0x01020304};
	m.has_p_abort = true;
	m.p_abort_cause = TCAP_PA_UNRECOGNIZED_TID;
	roundtrip_struct(&m, col);

	memset(&m, 0, sizeof(m));
	m.msg_type = TCAP_ABORT;
	m.dtid = (struct tcap_tid){true, 4, 0x01020304};
	m.has_dialogue = m.has_u_abort = true;
	m.dlg_pdu = TCAP_DLG_ABRT;
	m.abrt_source = TCAP_ABRT_USER;
	roundtrip_struct(&m, col);

	/* dialogue refused: Abort with AARE reject-permanent, AC not supported */
	memset(&m, 0, sizeof(m));
	m.msg_type = TCAP_ABORT;
	m.dtid = (struct tcap_tid){true, 4, 0x0a0b0c0d};
	m.has_dialogue = m.has_u_abort = true;
	m.dlg_pdu = TCAP_DLG_AARE;
	m.ac_is_map = true;
	m.map_ac = 19;
	m.map_ac_version = 2;
	m.aare_result = TCAP_AARE_REJECT_PERMANENT;
	m.aare_diag_tag = TCAP_DIAG_USER;
	m.aare_diag = TCAP_USER_AC_NOT_SUPPORTED;
	roundtrip_struct(&m, col);

	memset(&m, 0, sizeof(m));
	m.msg_type = TCAP_UNI;
	m.has_dialogue = true;
	m.dlg_pdu = TCAP_DLG_AUDT;
	m.ac_is_map = true;
	m.map_ac = 19;
	m.map_ac_version = 2;
	m.n_components = 1;
	m.comp[0] = (struct tcap_component){.type = TCAP_INVOKE,
					    .invoke_id = 1,
					    .has_invoke_id = true,
					    .has_opcode = true,
					    .opcode = 61};
	roundtrip_struct(&m, col);

	check_samples_with_tshark(col);

	/* bad input to the encoder */
	uint8_t out[256];
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
	m.msg_type = 0x66;
	assert_int_equal(tcap_encode(&w, &m), -EINVAL);
	m.msg_type = TCAP_BEGIN;
	m.otid.len = 5;
	assert_int_equal(tcap_encode(&w, &m), -EINVAL);
	m.otid.len = 0;
	assert_int_equal(tcap_encode(&w, &m), -EINVAL);
}

static void test_known_bytes(void **state)
{
	(void)state;
	struct tcap_msg m;
	struct dfs_err e;
	/* Abort with P-Abort cause 1 */
	const uint8_t pabort[] = {0x67, 0x09, 0x49, 0x04, 0x01, 0x02, 0x03, 0x04, 0x4a, 0x01, 0x01};
	assert_int_equal(tcap_decode(pabort, sizeof(pabort), 0, &m, &e), 0);
	assert_int_equal(m.msg_type, TCAP_ABORT);
	assert_true(m.has_p_abort);
	assert_int_equal(m.p_abort_cause, 1);
	assert_string_equal(tcap_p_abort_cause_name(m.p_abort_cause), "unrecognizedTransactionID");
	check_truncations(pabort, sizeof(pabort));
	/* indefinite lengths on constructed elements: Begin { otid, components { invoke } } */
	const uint8_t indef[] = {0x62, 0x80, 0x48, 0x01, 0x07, 0x6c, 0x80, 0xa1, 0x80, 0x02,
				 0x01, 0x01, 0x02, 0x01, 0x2d, 0x30, 0x80, 0x80, 0x01, 0x05,
				 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	assert_int_equal(tcap_decode(indef, sizeof(indef), 0, &m, &e), 0);
	assert_int_equal(m.otid.val, 7);
	assert_int_equal(m.n_components, 1);
	assert_int_equal(m.comp[0].opcode, 45);
	assert_int_equal(m.comp[0].param.len, 7); /* 30 80 80 01 05 00 00 */
	check_truncations(indef, sizeof(indef));
	/* errors with their field */
	const uint8_t tid5[] = {0x62, 0x07, 0x48, 0x05, 1, 2, 3, 4, 5};
	assert_int_equal(tcap_decode(tid5, sizeof(tid5), 10, &m, &e), -EBADMSG);
	assert_string_equal(e.field, "otid");
	assert_int_equal(e.offset, 12);
	const uint8_t ansi[] = {0xe2, 0x00};
	assert_int_equal(tcap_decode(ansi, sizeof(ansi), 0, &m, &e), -EBADMSG);
	assert_string_equal(e.field, "message_type");
	const uint8_t trailing[] = {0x64, 0x03, 0x49, 0x01, 0x01, 0x00};
	assert_int_equal(tcap_decode(trailing, sizeof(trailing), 0, &m, &e), -EBADMSG);
	assert_int_equal(e.offset, 5);
	const uint8_t unknown_comp[] = {0x64, 0x09, 0x49, 0x01, 0x01, 0x6c,
					0x04, 0xa5, 0x02, 0x02, 0x00};
	assert_int_equal(tcap_decode(unknown_comp, sizeof(unknown_comp), 0, &m, &e), -EBADMSG);
	assert_string_equal(e.field, "component");
	const uint8_t uni_empty[] = {0x61, 0x02, 0x6c, 0x00};
	assert_int_equal(tcap_decode(uni_empty, sizeof(uni_empty), 0, &m, &e), -EBADMSG);
	const uint8_t prim_indef_tid[] = {0x62, 0x05, 0x48, 0x80, 0x01, 0x00, 0x00};
	assert_int_equal(tcap_decode(prim_indef_tid, sizeof(prim_indef_tid), 0, &m, &e), -EBADMSG);
	assert_string_equal(e.field, "otid");
	/* more than TCAP_MAX_COMPONENTS: the first ones decoded, the rest flagged */
	uint8_t many[2 + 2 + 10 * 8];
	size_t k = 0;
	many[k++] = 0x61;
	many[k++] = (uint8_t)(2 + 10 * 8);
	many[k++] = 0x6c;
	many[k++] = 10 * 8;
	for (int i = 0; i < 10; i++) {
		const uint8_t inv[] = {0xa1, 0x06, 0x02, 0x01, (uint8_t)i, 0x02, 0x01, 0x3d};
		memcpy(many + k, inv, sizeof(inv));
		k += sizeof(inv);
	}
	assert_int_equal(tcap_decode(many, k, 0, &m, &e), 0);
	assert_int_equal(m.n_components, TCAP_MAX_COMPONENTS);
	assert_true(m.components_truncated);
	assert_int_equal(m.comp[7].invoke_id, 7);
	assert_string_equal(tcap_msg_type_name(TCAP_CONTINUE), "Continue");
	assert_string_equal(tcap_comp_type_name(TCAP_RESULT_NL), "returnResultNotLast");
	assert_string_equal(tcap_problem_name(TCAP_PROBLEM_INVOKE, 1), "unrecognizedOperation");
}

/* tshark's view of the hand-built messages: transaction ids, abort cause and source, AARE result,
 * invoke ids of every component (TCAP's own fields, or gsm_old.* when a MAP AC is present). */
static void check_samples_with_tshark(const struct samples *col)
{
	if (!oracle_have_tshark())
		return;
	const uint8_t *pdus[SAMPLES_MAX];
	for (size_t i = 0; i < col->n; i++)
		pdus[i] = col->buf[i];
	char path[128];
	oracle_tmpname(path, sizeof(path), "tcap-types");
	assert_int_equal(oracle_write_export(path, "tcap", pdus, col->len, col->n), 0);
	const char *fields[] = {"tcap.otid",	      "tcap.dtid",	   "tcap.p_abortCause",
				"tcap.abort_source",  "tcap.result",	   "tcap.invokeID",
				"gsm_old.invokeID",   "tcap.linkedID",	   "gsm_old.linkedID",
				"gsm_old.localValue", "gsm_old.derivable", "gsm_old.problem"};
	char *out = oracle_fields(path, fields, sizeof(fields) / sizeof(fields[0]));
	int bad = oracle_malformed(path);
	if (!getenv("DFSG_KEEP"))
		unlink(path);
	assert_non_null(out);
	assert_int_equal(bad, 0);
	unsigned mismatches = 0;
	for (size_t k = 0; k < col->n; k++) {
		const struct tcap_msg *m = &col->m[k];
		char line[2048], got[512], want[12][256];
		memset(want, 0, sizeof(want));
		if (m->otid.present)
			snprintf(want[0], sizeof(want[0]), "%0*x", 2 * m->otid.len, m->otid.val);
		if (m->dtid.present)
			snprintf(want[1], sizeof(want[1]), "%0*x", 2 * m->dtid.len, m->dtid.val);
		if (m->has_p_abort)
			snprintf(want[2], sizeof(want[2]), "%u", m->p_abort_cause);
		if (m->dlg_pdu == TCAP_DLG_ABRT)
			snprintf(want[3], sizeof(want[3]), "%u", m->abrt_source);
		if (m->dlg_pdu == TCAP_DLG_AARE)
			snprintf(want[4], sizeof(want[4]), "%u", m->aare_result);
		bool map = m->ac_is_map;
		size_t ids = map ? 6 : 5, lids = map ? 8 : 7, o = 0, lo = 0, co = 0, ro = 0, po = 0;
		for (unsigned i = 0; i < m->n_components; i++) {
			const struct tcap_component *c = &m->comp[i];
			if (c->type == TCAP_REJECT && map) { /* invokeIDRej and the problem kind */
				if (c->has_invoke_id)
					ro += (size_t)snprintf(want[10] + ro, sizeof(want[0]) - ro,
							       "%s%d", ro ? "," : "", c->invoke_id);
				po += (size_t)snprintf(want[11] + po, sizeof(want[0]) - po, "%s%d",
						       po ? "," : "", c->problem_tag & 0x1f);
			} else if (c->has_invoke_id)
				o += (size_t)snprintf(want[ids] + o, sizeof(want[0]) - o, "%s%d",
						      o ? "," : "", c->invoke_id);
			if (c->has_linked_id)
				lo += (size_t)snprintf(want[lids] + lo, sizeof(want[0]) - lo,
						       "%s%d", lo ? "," : "", c->linked_id);
			if (map && c->has_opcode && !c->opcode_global)
				co += (size_t)snprintf(want[9] + co, sizeof(want[0]) - co, "%s%d",
						       co ? "," : "", c->opcode);
			if (map && c->has_error_code && !c->error_global)
				co += (size_t)snprintf(want[9] + co, sizeof(want[0]) - co, "%s%d",
						       co ? "," : "", c->error_code);
		}
		assert_non_null(oracle_line(out, k, line, sizeof(line)));
		for (size_t fi = 0; fi < 12; fi++)
			if (strcmp(oracle_field(line, fi, got, sizeof(got)), want[fi])) {
				fprintf(stderr, "sample %zu: %s = '%s', expected '%s'\n", k + 1,
					fields[fi], got, want[fi]);
				mismatches++;
			}
	}
	free(out);
	assert_int_equal(mismatches, 0);
}

/* tshark reads what tcap_encode writes: transaction ids, opcodes and AC, in short and long form. */
static void test_tshark(void **state)
{
	(void)state;
	if (!oracle_have_tshark()) {
		fprintf(stderr, "tshark not installed: skipping the oracle comparison\n");
		skip();
	}
	uint8_t store[2 * TCAP_N_VECTORS][600];
	const uint8_t *pdus[2 * TCAP_N_VECTORS];
	size_t lens[2 * TCAP_N_VECTORS];
	struct tcap_msg ms[TCAP_N_VECTORS];
	uint8_t in[TCAP_N_VECTORS][512];
	for (unsigned i = 0; i < TCAP_N_VECTORS; i++) {
		size_t n = vec(i, in[i], sizeof(in[i]));
		assert_int_equal(tcap_decode(in[i], n, 0, &ms[i], NULL), 0);
		for (unsigned fl = 0; fl < 2; fl++) {
			struct dfs_wbuf w = dfs_wbuf_init(store[2 * i + fl], sizeof(store[0]));
			assert_int_equal(tcap_encode_opt(&w, &ms[i], fl ? BER_LEN_LONG : 0), 0);
			pdus[2 * i + fl] = store[2 * i + fl];
			lens[2 * i + fl] = w.len;
		}
	}
	char path[128];
	oracle_tmpname(path, sizeof(path), "tcap");
	assert_int_equal(oracle_write_export(path, "tcap", pdus, lens, 2 * TCAP_N_VECTORS), 0);
	const char *fields[] = {
	    "tcap.otid",	  "tcap.dtid",	       "tcap.application_context_name",
	    "gsm_old.localValue", "gsm_old.derivable", "gsm_old.problem"};
	char *out = oracle_fields(path, fields, 4);
	assert_non_null(out);
	int bad = oracle_malformed(path);
	unlink(path);
	assert_int_equal(bad, 0);
	for (unsigned f = 0; f < 2 * TCAP_N_VECTORS; f++) {
		const struct tcap_msg *m = &ms[f / 2];
		char line[1024], got[256], want[256];
		assert_non_null(oracle_line(out, f, line, sizeof(line)));
		snprintf(want, sizeof(want), "%08x", m->otid.val);
		assert_string_equal(oracle_field(line, 0, got, sizeof(got)), want);
		if (m->dtid.present)
			snprintf(want, sizeof(want), "%08x", m->dtid.val);
		else
			want[0] = 0;
		assert_string_equal(oracle_field(line, 1, got, sizeof(got)), want);
		if (m->has_dialogue) {
			snprintf(want, sizeof(want), "0.4.0.0.1.0.%u.%u", m->map_ac,
				 m->map_ac_version);
			assert_string_equal(oracle_field(line, 2, got, sizeof(got)), want);
		}
		/* without an application context tshark cannot tell the TC-user: no MAP opcode */
		if (m->has_dialogue) {
			snprintf(want, sizeof(want), "%d", m->comp[0].opcode);
			assert_string_equal(oracle_field(line, 3, got, sizeof(got)), want);
		}
	}
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sigfw_vectors),
	    cmocka_unit_test(test_all_types),
	    cmocka_unit_test(test_known_bytes),
	    cmocka_unit_test(test_tshark),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
