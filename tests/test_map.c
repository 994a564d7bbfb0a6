/* MAP: tables, field extraction from the SigFW vectors and a captured USSD Begin, encode/decode
 * round trips of every supported operation's argument and result (MAP v3 and the v1/v2 forms,
 * short and long lengths), errors, the TCAP builders, and tshark's reading of all of it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"
#include "map_testlib.h"
#include "tcap_vectors.h"
#include "tshark_oracle.h"

static void test_tables(void **state)
{
	(void)state;
	assert_string_equal(map_op_name(59), "processUnstructuredSS-Request");
	assert_string_equal(map_op_name(45), "sendRoutingInfoForSM");
	assert_string_equal(map_op_name(27), "unknown");
	assert_string_equal(map_op_name(-1), "unknown");
	assert_int_equal(map_op_category(71), 1);
	assert_int_equal(map_op_category(3), 2);
	assert_int_equal(map_op_category(2), 3);
	assert_int_equal(map_op_category(44), 0);
	assert_int_equal(map_op_category(45), 0);
	assert_int_equal(map_op_category(126), 1);
	assert_int_equal(map_op_category(500), 0);
	assert_string_equal(map_ac_name(19), "networkUnstructuredSsContext");
	assert_string_equal(map_error_name(34), "systemFailure");
	assert_string_equal(map_error_name(1000), "unknown");
	assert_string_equal(map_ss_code_name(0x21), "cfu");
	uint8_t ac, ver;
	assert_int_equal(map_op_default_ac(59, &ac, &ver), 19);
	assert_int_equal(ver, 2);
	assert_int_equal(map_op_default_ac(9, &ac, &ver), 0);
	for (size_t i = 0; i < MT_N_OPS; i++)
		assert_true(map_op_supported(mt_expects[i].op));

	/* the operation and error names agree with tshark's (its gsm_old.localValue table lists
	 * operations first, then errors) */
	if (!oracle_have_tshark())
		return;
	FILE *p = popen("tshark -G values 2>/dev/null", "r");
	assert_non_null(p);
	char line[512];
	int block = 0, last = -1, checked = 0;
	while (fgets(line, sizeof(line), p)) {
		char field[128], name[128];
		int v;
		if (sscanf(line, "V\t%127[^\t]\t%d\t%127[^\n]", field, &v, name) != 3 ||
		    strcmp(field, "gsm_old.localValue"))
			continue;
		if (v < last)
			block++;
		last = v;
		if (!strcmp(name, "unAllocated"))
			continue;
		const char *ours = block == 0 ? map_op_name(v) : map_error_name(v);
		if (block == 0 &&
		    v == 38) /* TS 29.002 forwardCheckSS-Indication, tshark forwardCheckSS */
			continue;
		if (strcmp(ours, name))
			fail_msg("%s %d: ours %s, tshark %s", block ? "error" : "op", v, ours,
				 name);
		checked++;
	}
	pclose(p);
	assert_true(checked > 150);
}

static void decode_vector(unsigned i, uint8_t *buf, struct tcap_msg *m, struct map_fields *f)
{
	size_t n = tv_unhex(tcap_vectors[i].hex, buf, 512);
	struct dfs_err e = {0};
	assert_int_equal(tcap_decode(buf, n, 0, m, &e), 0);
	if (map_decode_param(&m->comp[0], m->comp[0].opcode, f, &e) != 0)
		fail_msg("%s: %s at %zu: %s", tcap_vectors[i].name, e.field, e.offset, e.reason);
	assert_int_equal(f->opcode, tcap_vectors[i].opcode);
	assert_false(f->is_result);
}

static void test_vectors(void **state)
{
	(void)state;
	uint8_t buf[512];
	struct tcap_msg m;
	struct map_fields f;

	decode_vector(0, buf, &m, &f); /* ATI */
	assert_true(f.has_imsi);
	assert_string_equal(f.imsi, "11111111111111");
	assert_int_equal(f.requested_info, MAP_RI_LOCATION | MAP_RI_STATE |
					       MAP_RI_CURRENT_LOCATION | MAP_RI_OTHER |
					       MAP_RI_IMEI | MAP_RI_MS_CLASSMARK);
	assert_true(f.gsmscf.present);
	assert_int_equal(f.gsmscf.ton_npi, 0x96);
	assert_string_equal(f.gsmscf.digits, "111111111111111");

	decode_vector(1, buf, &m, &f); /* PSL */
	assert_string_equal(f.gmlc.digits, "111111111111");
	assert_int_equal(f.gmlc.ton_npi, 0x91);
	assert_string_equal(f.msisdn.digits, "11111111111");
	assert_false(f.has_imsi);

	decode_vector(2, buf, &m, &f); /* SAI in a Continue, no argument */
	assert_false(f.has_imsi);

	decode_vector(3, buf, &m, &f); /* PUSSR */
	assert_true(f.has_ussd);
	assert_int_equal(f.ussd_dcs, 0x0f);
	assert_int_equal(f.ussd_string.len, 16);
	assert_int_equal(f.ussd_string.p[0], 0xaa);
	assert_string_equal(f.msisdn.digits, "11111111111");

	decode_vector(4, buf, &m, &f); /* cancelLocation v3 */
	assert_string_equal(f.imsi, "111111111111111");

	decode_vector(5, buf, &m, &f); /* PSI */
	assert_string_equal(f.imsi, "111111111111111");
	assert_int_equal(f.requested_info, MAP_RI_LOCATION | MAP_RI_CURRENT_LOCATION);

	decode_vector(6, buf, &m, &f); /* PRN */
	assert_string_equal(f.imsi, "111111111111111");
	assert_string_equal(f.msc.digits, "11111111111");
	assert_int_equal(f.msc.ton_npi, 0x11);
	assert_string_equal(f.msisdn.digits, "11111111111");

	decode_vector(7, buf, &m, &f); /* captured USSD */
	assert_int_equal(f.ussd_dcs, 0x0f);
	assert_int_equal(f.ussd_string.len, sizeof(ussd_packed));
	assert_memory_equal(f.ussd_string.p, ussd_packed, sizeof(ussd_packed));
	assert_string_equal(f.msisdn.digits, "27761485722");
	assert_int_equal(f.msisdn.ton_npi, 0x91);
	assert_string_equal(m.dest_ref, "655011420096316");
}

/* Encodes op's argument (or result) into a whole TCAP message, decodes both layers, checks the
 * expected fields and that re-encoding the decoded fields gives the same bytes. Returns the
 * message length (0 when the operation has no result parameter). */
static size_t build_and_check(int op, bool result, uint8_t version, unsigned flags, uint8_t *out,
			      size_t cap, const char *expect)
{
	struct map_fields want, got, again;
	mt_full_fields(&want, op);
	uint8_t ac, ver;
	assert_int_not_equal(map_op_default_ac(op, &ac, &ver), 0);
	struct map_tx tx = {.msg_type = result ? TCAP_END : TCAP_BEGIN,
			    .otid = 0x10000 + (uint32_t)op,
			    .dtid = 0x20000 + (uint32_t)op,
			    .ac = ac,
			    .ac_version = version,
			    .flags = flags};
	struct dfs_wbuf w = dfs_wbuf_init(out, cap);
	int rc = result ? map_build_result(&w, &tx, 1, op, &want)
			: map_build_invoke(&w, &tx, 1, op, &want);
	assert_int_equal(rc, 0);

	struct tcap_msg m;
	struct dfs_err e = {0};
	if (tcap_decode(out, w.len, 0, &m, &e) != 0)
		fail_msg("op %d: tcap %s at %zu: %s", op, e.field, e.offset, e.reason);
	assert_int_equal(m.n_components, 1);
	const struct tcap_component *c = &m.comp[0];
	assert_int_equal(c->type, result ? TCAP_RESULT_L : TCAP_INVOKE);
	if (map_decode_param(c, op, &got, &e) != 0)
		fail_msg("op %d %s v%u: map %s at %zu: %s", op, result ? "result" : "arg", version,
			 e.field, e.offset, e.reason);
	assert_int_equal(got.is_result, result);
	char names[128];
	snprintf(names, sizeof(names), "%s", expect);
	for (char *save, *tok = strtok_r(names, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (!mt_field_eq(tok, &got, &want))
			fail_msg("op %d %s v%u flags %u: field %s differs", op,
				 result ? "result" : "arg", version, flags, tok);
	if (!expect[0] && c->param.len) /* nothing to extract: nothing extracted */
		assert_false(got.has_imsi || got.msisdn.present || got.msc.present);

	/* decode(encode(decode(x))) == decode(x), byte for byte */
	uint8_t p1[1024], p2[1024];
	struct dfs_wbuf w1 = dfs_wbuf_init(p1, sizeof(p1)), w2 = dfs_wbuf_init(p2, sizeof(p2));
	rc = result ? map_encode_result_opt(&w1, op, &got, version, flags)
		    : map_encode_arg_opt(&w1, op, &got, version, flags);
	assert_int_equal(rc, 0);
	assert_int_equal(w1.len, c->param.len);
	assert_memory_equal(p1, c->param.p, w1.len);
	struct tcap_component c2 = *c;
	c2.param = (struct dfs_view){p1, w1.len};
	c2.param_offset = 0;
	assert_int_equal(map_decode_param(&c2, op, &again, &e), 0);
	rc = result ? map_encode_result_opt(&w2, op, &again, version, flags)
		    : map_encode_arg_opt(&w2, op, &again, version, flags);
	assert_int_equal(rc, 0);
	assert_int_equal(w2.len, w1.len);
	assert_memory_equal(p1, p2, w1.len);

	/* every truncation of the parameter is a clean MAP error */
	if (c->param.len) {
		for (size_t cut = 0; cut < c->param.len; cut++) {
			uint8_t *tp = malloc(cut ? cut : 1);
			memcpy(tp, c->param.p, cut);
			struct tcap_component ct = *c;
			ct.param = (struct dfs_view){tp, cut};
			ct.param_offset = 100;
			struct map_fields tf;
			struct dfs_err te = {0};
			int trc = map_decode_param(&ct, op, &tf, &te);
			if (cut == 0) {
				assert_int_equal(trc, 0); /* no parameter at all */
			} else {
				if (trc != -EBADMSG)
					fail_msg("op %d: prefix %zu of %zu gave %d", op, cut,
						 c->param.len, trc);
				assert_string_equal(te.layer, "map");
				assert_true(te.offset >= 100 && te.offset <= 100 + cut);
			}
			free(tp);
		}
	}
	return w.len;
}

static void test_round_trips(void **state)
{
	(void)state;
	uint8_t out[1500];
	for (size_t i = 0; i < MT_N_OPS; i++) {
		const struct mt_expect *x = &mt_expects[i];
		for (unsigned fl = 0; fl <= BER_LEN_LONG; fl++) {
			build_and_check(x->op, false, 3, fl, out, sizeof(out), x->arg);
			if (x->res)
				build_and_check(x->op, true, 3, fl, out, sizeof(out), x->res);
		}
	}
	/* the v1/v2 forms */
	build_and_check(3, false, 2, 0, out, sizeof(out), "imsi lmsi");
	build_and_check(4, true, 2, 0, out, sizeof(out), "msrn");
	build_and_check(22, true, 2, 0, out, sizeof(out), "imsi msrn");
	build_and_check(43, false, 2, 0, out, sizeof(out), "imei");
	build_and_check(55, true, 2, 0, out, sizeof(out), "imsi");
	build_and_check(56, false, 2, 0, out, sizeof(out), "imsi");
	build_and_check(67, false, 2, 0, out, sizeof(out), "imsi vlr");
	build_and_check(46, false, 2, 0, out, sizeof(out), "da oa ui sc msisdn");
	build_and_check(45, false, 1, 0, out, sizeof(out), "msisdn sc");
}

static void test_special_forms(void **state)
{
	(void)state;
	struct dfs_err e;
	struct map_fields f;
	struct tcap_component c = {.type = TCAP_INVOKE, .has_opcode = true};
	/* MAP v1 forwardSM: SM-RP-DA roamingNumber [3], OA msisdn [2], UI */
	const uint8_t v1_fsm[] = {0x30, 0x10, 0x83, 0x04, 0x91, 0x94, 0x71, 0xf0, 0x82,
				  0x03, 0x91, 0x21, 0xf3, 0x04, 0x03, 0x01, 0x00, 0x00};
	c.param = (struct dfs_view){v1_fsm, sizeof(v1_fsm)};
	assert_int_equal(map_decode_param(&c, 46, &f, &e), 0);
	assert_int_equal(f.sm_rp_da_type, MAP_SMRP_ROAMING_NUMBER);
	assert_string_equal(f.sm_rp_da, "49170");
	assert_string_equal(f.msrn.digits, "49170");
	assert_int_equal(f.sm_rp_oa_type, MAP_SMRP_MSISDN);
	assert_string_equal(f.sm_rp_oa, "123");
	assert_int_equal(f.sm_rp_ui.len, 3);
	/* SRI-for-SM v1 result: locationInfo roamingNumber [0] */
	const uint8_t v1_srism_res[] = {0x30, 0x0f, 0x04, 0x05, 0x21, 0x43, 0x65, 0x87, 0xf9,
					0xa0, 0x06, 0x80, 0x04, 0x91, 0x94, 0x71, 0xf0};
	c.type = TCAP_RESULT_L;
	c.param = (struct dfs_view){v1_srism_res, sizeof(v1_srism_res)};
	assert_int_equal(map_decode_param(&c, 45, &f, &e), 0);
	assert_true(f.is_result);
	assert_string_equal(f.imsi, "123456789");
	assert_string_equal(f.msrn.digits, "49170");
	assert_false(f.serving_node.present);
	/* SRI-for-SM v3 result with gprsNodeIndicator: the node is the SGSN, additional number the
	 * MSC */
	const uint8_t sgsn_res[] = {0x30, 0x17, 0x04, 0x05, 0x21, 0x43, 0x65, 0x87, 0xf9,
				    0xa0, 0x0e, 0x81, 0x03, 0x91, 0x11, 0xf1, 0x85, 0x00,
				    0xa6, 0x05, 0x80, 0x03, 0x91, 0x22, 0xf2};
	c.param = (struct dfs_view){sgsn_res, sizeof(sgsn_res)};
	assert_int_equal(map_decode_param(&c, 45, &f, &e), 0);
	assert_string_equal(f.serving_node.digits, "111");
	assert_string_equal(f.sgsn.digits, "111");
	assert_string_equal(f.msc.digits, "222");
	uint8_t out[64];
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(map_encode_result(&w, 45, &f), 0);
	assert_int_equal(w.len, sizeof(sgsn_res));
	assert_memory_equal(out, sgsn_res, sizeof(sgsn_res));
	/* RequestedInfo in any order still sets every flag */
	const uint8_t psi_any_order[] = {0x30, 0x0e, 0x80, 0x04, 0x21, 0x43, 0x65, 0xf7,
					 0xa2, 0x06, 0x85, 0x00, 0x86, 0x00, 0x80, 0x00};
	c.type = TCAP_INVOKE;
	c.param = (struct dfs_view){psi_any_order, sizeof(psi_any_order)};
	assert_int_equal(map_decode_param(&c, 70, &f, &e), 0);
	assert_int_equal(f.requested_info, MAP_RI_MS_CLASSMARK | MAP_RI_IMEI | MAP_RI_LOCATION);
	/* errors name the field and its offset */
	const uint8_t short_imsi[] = {0x30, 0x04, 0x80, 0x02, 0x21, 0x43};
	c.param = (struct dfs_view){short_imsi, sizeof(short_imsi)};
	c.param_offset = 40;
	assert_int_equal(map_decode_param(&c, 70, &f, &e), -EBADMSG);
	assert_string_equal(e.layer, "map");
	assert_string_equal(e.field, "imsi");
	assert_int_equal(e.offset, 42);
	const uint8_t wrong_top[] = {0x31, 0x00};
	c.param = (struct dfs_view){wrong_top, sizeof(wrong_top)};
	assert_int_equal(map_decode_param(&c, 70, &f, &e), -EBADMSG);
	assert_string_equal(e.field, "parameter");
	const uint8_t bad_digits[] = {0x30, 0x05, 0x80, 0x03, 0x91, 0xf1, 0x21};
	c.param = (struct dfs_view){bad_digits, sizeof(bad_digits)};
	assert_int_equal(map_decode_param(&c, 22, &f, &e), -EBADMSG);
	assert_string_equal(e.field, "msisdn");
	/* unknown operations and ReturnError */
	c.param = (struct dfs_view){wrong_top, sizeof(wrong_top)};
	assert_int_equal(map_decode_param(&c, 9, &f, &e), 0);
	assert_int_equal(f.opcode, 9);
	struct tcap_component err = {
	    .type = TCAP_ERROR, .has_invoke_id = true, .has_error_code = true, .error_code = 27};
	assert_int_equal(map_decode_param(&err, 45, &f, &e), 0);
	assert_true(f.has_error);
	assert_int_equal(f.error_code, 27);
	/* encoder input errors */
	map_fields_init(&f);
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(map_encode_arg_opt(&w, 56, &f, 2, 0), -EINVAL); /* bare IMSI missing */
	assert_int_equal(map_encode_arg(&w, 9, &f), -EINVAL);		 /* no schema */
	f.has_imsi = true;
	snprintf(f.imsi, sizeof(f.imsi), "%s", "12x");
	assert_int_equal(map_encode_arg(&w, 56, &f), -EINVAL);
	w = dfs_wbuf_init(out, 4);
	mt_full_fields(&f, 2);
	assert_int_equal(map_encode_arg(&w, 2, &f), -ENOSPC);
}

static void test_builders(void **state)
{
	(void)state;
	uint8_t out[512];
	struct tcap_msg m;
	struct dfs_err e;
	struct map_fields f;
	mt_full_fields(&f, 59);
	/* Begin with MAP-OpenInfo, as a USSD gateway sees a mobile-originated request */
	struct map_tx tx = {.msg_type = TCAP_BEGIN,
			    .otid = 0x2f3b4602,
			    .ac = 19,
			    .ac_version = 2,
			    .open_info = true,
			    .dest_ref = "655011420096316",
			    .dest_ref_ton_npi = 0x96,
			    .orig_ref = "27761485722",
			    .orig_ref_ton_npi = 0x91};
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(map_build_invoke(&w, &tx, 1, 59, &f), 0);
	assert_int_equal(tcap_decode(out, w.len, 0, &m, &e), 0);
	assert_true(m.has_open_info);
	assert_string_equal(m.dest_ref, "655011420096316");
	assert_string_equal(m.orig_ref, "27761485722");
	assert_int_equal(m.map_ac, 19);
	assert_int_equal(m.proto_version.len, 2);
	/* map_build_begin gives the same as an equivalent map_tx without OpenInfo */
	uint8_t out2[512];
	struct dfs_wbuf w2 = dfs_wbuf_init(out2, sizeof(out2));
	assert_int_equal(map_build_begin(&w2, 7, 19, 2, 59, 1, &f), 0);
	assert_int_equal(tcap_decode(out2, w2.len, 0, &m, &e), 0);
	assert_int_equal(m.otid.val, 7);
	assert_false(m.has_open_info);
	/* Continue with AARE + ReturnError, End without dialogue + result, Reject, aborts */
	tx = (struct map_tx){
	    .msg_type = TCAP_CONTINUE, .otid = 1, .dtid = 2, .ac = 19, .ac_version = 2};
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(map_build_error(&w, &tx, 3, MAP_ERR_USSD_BUSY), 0);
	assert_int_equal(tcap_decode(out, w.len, 0, &m, &e), 0);
	assert_int_equal(m.dlg_pdu, TCAP_DLG_AARE);
	assert_int_equal(m.comp[0].type, TCAP_ERROR);
	assert_int_equal(m.comp[0].error_code, 72);
	tx = (struct map_tx){.msg_type = TCAP_END, .dtid = 9};
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(map_build_result(&w, &tx, 0, 61, &f), 0); /* USSN: no result parameter */
	assert_int_equal(tcap_decode(out, w.len, 0, &m, &e), 0);
	assert_false(m.has_dialogue);
	assert_false(m.comp[0].has_opcode);
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(map_build_reject(&w, &tx, -1, TCAP_PROBLEM_GENERAL, 1), 0);
	assert_int_equal(tcap_decode(out, w.len, 0, &m, &e), 0);
	assert_false(m.comp[0].has_invoke_id);
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(map_build_u_abort(&w, 0x01020304, 0), 0);
	assert_int_equal(tcap_decode(out, w.len, 0, &m, &e), 0);
	assert_true(m.has_u_abort);
	assert_int_equal(m.dlg_pdu, TCAP_DLG_ABRT);
	assert_int_equal(m.dtid.val, 0x01020304);
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(map_build_p_abort(&w, 5, TCAP_PA_RESOURCE_LIMITATION, BER_LEN_LONG), 0);
	assert_int_equal(tcap_decode(out, w.len, 0, &m, &e), 0);
	assert_true(m.has_p_abort);
	assert_int_equal(m.p_abort_cause, 4);
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(map_build_refuse(&w, 6, 19, 2, 0), 0);
	assert_int_equal(tcap_decode(out, w.len, 0, &m, &e), 0);
	assert_int_equal(m.msg_type, TCAP_ABORT);
	assert_true(m.has_u_abort);
	assert_int_equal(m.dlg_pdu, TCAP_DLG_AARE);
	assert_int_equal(m.aare_result, TCAP_AARE_REJECT_PERMANENT);
	assert_int_equal(m.aare_diag, TCAP_USER_AC_NOT_SUPPORTED);
	assert_int_equal(m.map_ac, 19);
	tx.msg_type = TCAP_ABORT;
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(map_build_invoke(&w, &tx, 1, 59, &f), -EINVAL);
}

/* ---- tshark ---- */

#define TS_MAX (4 * MT_N_OPS + 16)
struct ts_frame {
	int op;
	bool result;
	uint8_t ver;
	const char *expect;
	struct map_fields f;
	uint32_t tid;
};

/* Encodes op's argument (Begin) or result (End) from full fields in a version-ver context. */
static void ts_add(struct ts_frame *t, uint8_t *buf, size_t *len, int op, bool res, uint8_t ver,
		   unsigned flags, const char *expect, uint32_t tid)
{
	t->op = op;
	t->result = res;
	t->ver = ver;
	t->expect = expect;
	t->tid = tid;
	mt_full_fields(&t->f, op);
	uint8_t ac, dver;
	map_op_default_ac(op, &ac, &dver);
	struct map_tx tx = {.msg_type = res ? TCAP_END : TCAP_BEGIN,
			    .otid = tid,
			    .dtid = tid,
			    .ac = ac,
			    .ac_version = ver,
			    .flags = flags};
	struct dfs_wbuf w = dfs_wbuf_init(buf, 1500);
	assert_int_equal(res ? map_build_result(&w, &tx, 1, op, &t->f)
			     : map_build_invoke(&w, &tx, 1, op, &t->f),
			 0);
	*len = w.len;
}

static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == 0))
			return true;
	return false;
}

/* The E.164 numbers (numbering plan 1) our decoder extracts from a message (plus the TPDU's
 * TP-OA/TP-DA, which tshark also shows) as a set, against tshark's comma-separated e164.msisdn
 * list. */
static bool same_number_set(const char *tshark, const uint8_t *msg, size_t len, int op, char *ours,
			    size_t sz)
{
	struct tcap_msg m;
	struct map_fields f;
	if (tcap_decode(msg, len, 0, &m, NULL) || map_decode_param(&m.comp[0], op, &f, NULL))
		return false;
	const struct dfs_addr *a[] = {&f.msisdn,  &f.msc,  &f.vlr,  &f.hlr,	     &f.sgsn,
				      &f.sc_addr, &f.ftn,  &f.gmlc, &f.serving_node, &f.msrn,
				      &f.gsmscf,  &f.ggsn, &f.gmsc};
	size_t off = 0;
	ours[0] = 0;
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++)
		if (a[i]->present && (a[i]->ton_npi & 0x0f) == 1 && !has_word(ours, a[i]->digits))
			off += (size_t)snprintf(ours + off, sz - off, "%s%s", off ? " " : "",
						a[i]->digits);
	if (f.sm_rp_ui.len && !f.is_result)
		off += (size_t)snprintf(ours + off, sz - off, " 49170123456");
	char theirs[512], scratch[512];
	snprintf(theirs, sizeof(theirs), "%s", tshark);
	for (char *p = theirs; *p; p++)
		if (*p == ',')
			*p = ' ';
	snprintf(scratch, sizeof(scratch), "%s", theirs);
	for (char *save, *tok = strtok_r(scratch, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save))
		if (!has_word(ours, tok))
			return false;
	char mine[512];
	snprintf(mine, sizeof(mine), "%s", ours);
	for (char *save, *tok = strtok_r(mine, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
		if (!has_word(theirs, tok))
			return false;
	return true;
}

static void test_tshark(void **state)
{
	(void)state;
	if (!oracle_have_tshark()) {
		fprintf(stderr, "tshark not installed: skipping the oracle comparison\n");
		skip();
	}
	static uint8_t store[TS_MAX][1500];
	static struct ts_frame fr[TS_MAX];
	const uint8_t *pdus[TS_MAX];
	size_t lens[TS_MAX], n = 0;
	for (size_t i = 0; i < MT_N_OPS; i++) {
		const struct mt_expect *x = &mt_expects[i];
		uint8_t ac, ver;
		map_op_default_ac(x->op, &ac, &ver);
		for (unsigned fl = 0; fl <= BER_LEN_LONG; fl++)
			for (int res = 0; res <= (x->res != NULL); res++) {
				assert_true(n < TS_MAX);
				ts_add(&fr[n], store[n], &lens[n], x->op, res, ver, fl,
				       res ? x->res : x->arg, (uint32_t)(0x1000 * (n + 1)));
				pdus[n] = store[n];
				n++;
			}
	}
	/* the MAP v1/v2 forms, in a version 2 (or 1) application context */
	static const struct {
		int op;
		bool res;
		uint8_t ver;
		const char *expect;
	} old[] = {
	    {3, false, 2, "imsi lmsi"},	 {4, true, 2, "msrn"},
	    {22, true, 2, "imsi msrn"},	 {43, false, 2, "imei"},
	    {55, true, 2, "imsi"},	 {56, false, 2, "imsi"},
	    {67, false, 2, "imsi vlr"},	 {46, false, 2, "da oa ui sc msisdn"},
	    {45, false, 1, "msisdn sc"}, {45, true, 2, "imsi node msc lmsi"},
	};
	for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++) {
		assert_true(n < TS_MAX);
		ts_add(&fr[n], store[n], &lens[n], old[i].op, old[i].res, old[i].ver, 0,
		       old[i].expect, (uint32_t)(0x1000 * (n + 1)));
		pdus[n] = store[n];
		n++;
	}
	char path[128];
	oracle_tmpname(path, sizeof(path), "map");
	assert_int_equal(oracle_write_export(path, "tcap", pdus, lens, n), 0);
	const char *fields[] = {"tcap.otid",	       "tcap.dtid",
				"gsm_old.localValue",  "tcap.application_context_name",
				"e212.imsi",	       "gsm_map.ss.ussd_DataCodingScheme",
				"gsm_map.ussd_string", "gsm_map.ss.ss_Code",
				"gsm_map.ms.ss_Code",  "gsm_sms.tp-oa",
				"gsm_sms.tp-da",       "e164.msisdn"};
	char *out = oracle_fields(path, fields, sizeof(fields) / sizeof(fields[0]));
	assert_non_null(out);
	int bad = oracle_malformed(path);
	if (bad != 0 && !getenv("DFSG_KEEP"))
		unlink(path);
	if (bad != 0)
		fail_msg("tshark flags %d frames as malformed (%s)", bad, path);
	unlink(path);
	unsigned mismatches = 0;
	for (size_t k = 0; k < n; k++) {
		const struct ts_frame *t = &fr[k];
		const char *expect = t->expect;
		char line[2048], got[512], want[512];
		assert_non_null(oracle_line(out, k, line, sizeof(line)));
		uint8_t ac, dver;
		map_op_default_ac(t->op, &ac, &dver);
		snprintf(want, sizeof(want), "%08x", t->tid);
		const char *wants[12];
		char w_op[16], w_ac[64], w_imsi[32], w_dcs[8], w_ss[8], w_oa[40], w_da[40];
		snprintf(w_op, sizeof(w_op), "%d", t->op);
		snprintf(w_ac, sizeof(w_ac), "0.4.0.0.1.0.%u.%u", ac, t->ver);
		snprintf(w_imsi, sizeof(w_imsi), "%s", has_word(expect, "imsi") ? t->f.imsi : "");
		snprintf(w_dcs, sizeof(w_dcs), "%s", has_word(expect, "ussd") ? "0f" : "");
		snprintf(w_ss, sizeof(w_ss), "%s", has_word(expect, "ss") ? "33" : "");
		bool sms = has_word(expect, "ui") && !t->result; /* results carry reports */
		snprintf(w_oa, sizeof(w_oa), "%s", sms && t->op == 44 ? "49170123456" : "");
		snprintf(w_da, sizeof(w_da), "%s", sms && t->op == 46 ? "49170123456" : "");
		wants[0] = t->result ? "" : want;
		wants[1] = t->result ? want : "";
		wants[2] = w_op;
		wants[3] = w_ac;
		wants[4] = w_imsi;
		wants[5] = w_dcs;
		wants[6] = has_word(expect, "ussd") ? "*140*0761241377#" : "";
		/* tshark names ss-Code gsm_map.ss.* in SS operations, gsm_map.ms.* in subscriber
		 * data */
		bool ms = t->op == 7 || t->op == 65;
		wants[7] = ms ? "" : w_ss;
		wants[8] = ms ? w_ss : "";
		wants[9] = w_oa;
		wants[10] = w_da;
		wants[11] = "";
		for (size_t fi = 0; fi < 11; fi++) {
			oracle_field(line, fi, got, sizeof(got));
			if (strcmp(got, wants[fi])) {
				fprintf(stderr, "frame %zu op %d %s: %s = '%s', expected '%s'\n",
					k + 1, t->op, t->result ? "result" : "arg", fields[fi], got,
					wants[fi]);
				mismatches++;
			}
		}
	}
	for (size_t k = 0; k < n;
	     k++) { /* every E.164 number tshark sees, we extract, and no more */
		char line[2048], got[512], ours[512] = "";
		oracle_field(oracle_line(out, k, line, sizeof(line)), 11, got, sizeof(got));
		if (!same_number_set(got, store[k], lens[k], fr[k].op, ours, sizeof(ours)) &&
		    ++mismatches)
			fprintf(stderr, "frame %zu op %d: e164.msisdn '%s', ours '%s'\n", k + 1,
				fr[k].op, got, ours);
	}
	free(out);
	assert_int_equal(mismatches, 0);
}

/* The SigFW vectors and the captured USSD Begin as they are: tshark's IMSI, USSD text and E.164
 * numbers against ours (the SAI Continue has no argument and no AC: skipped). */
static void test_tshark_vectors(void **state)
{
	(void)state;
	if (!oracle_have_tshark())
		skip();
	static uint8_t bufs[TCAP_N_VECTORS][512];
	const uint8_t *pdus[TCAP_N_VECTORS];
	size_t lens[TCAP_N_VECTORS];
	for (unsigned i = 0; i < TCAP_N_VECTORS; i++) {
		lens[i] = tv_unhex(tcap_vectors[i].hex, bufs[i], sizeof(bufs[i]));
		pdus[i] = bufs[i];
	}
	char path[128];
	oracle_tmpname(path, sizeof(path), "map-vectors");
	assert_int_equal(oracle_write_export(path, "tcap", pdus, lens, TCAP_N_VECTORS), 0);
	const char *fields[] = {"gsm_old.localValue", "e212.imsi", "gsm_map.ussd_string",
				"e164.msisdn"};
	char *out = oracle_fields(path, fields, 4);
	int bad = oracle_malformed(path);
	unlink(path);
	assert_non_null(out);
	assert_int_equal(bad, 0);
	unsigned checked = 0;
	for (unsigned i = 0; i < TCAP_N_VECTORS; i++) {
		struct tcap_msg m;
		struct map_fields f;
		char line[2048], got[512], ours[512], want[64];
		assert_int_equal(tcap_decode(bufs[i], lens[i], 0, &m, NULL), 0);
		assert_int_equal(map_decode_param(&m.comp[0], m.comp[0].opcode, &f, NULL), 0);
		assert_non_null(oracle_line(out, i, line, sizeof(line)));
		if (!m.has_dialogue)
			continue;
		snprintf(want, sizeof(want), "%d", tcap_vectors[i].opcode);
		assert_string_equal(oracle_field(line, 0, got, sizeof(got)), want);
		/* tshark also shows the MAP-OpenInfo IMSI */
		oracle_field(line, 1, got, sizeof(got));
		if (f.has_imsi)
			assert_true(has_word(got, f.imsi) || strstr(got, f.imsi));
		else if (!m.dest_ref[0])
			assert_string_equal(got, "");
		if (f.has_ussd && f.ussd_string.len == sizeof(ussd_packed) &&
		    !memcmp(f.ussd_string.p, ussd_packed, sizeof(ussd_packed)))
			assert_string_equal(oracle_field(line, 2, got, sizeof(got)),
					    "*140*0761241377#");
		oracle_field(line, 3, got, sizeof(got));
		if (!same_number_set(got, bufs[i], lens[i], m.comp[0].opcode, ours, sizeof(ours)))
			fail_msg("%s: e164.msisdn '%s', ours '%s'", tcap_vectors[i].name, got,
				 ours);
		checked++;
	}
	free(out);
	assert_int_equal(checked, TCAP_N_VECTORS - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tables),	   cmocka_unit_test(test_vectors),
	    cmocka_unit_test(test_round_trips),	   cmocka_unit_test(test_special_forms),
	    cmocka_unit_test(test_builders),	   cmocka_unit_test(test_tshark),
	    cmocka_unit_test(test_tshark_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
