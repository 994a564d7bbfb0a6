/* ITU-T TCAP decoder and encoder, Q.773 (transaction portion 4.2.1, dialogue portion 4.2.2,
 * component portion 4.2.3), MAP-OpenInfo from TS 29.002 17.1.2. */
#include "tcap.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "tbcd.h"

#define L "tcap"

const uint8_t tcap_oid_dialogue_as[7] = {0x00, 0x11, 0x86, 0x05, 0x01, 0x01, 0x01};
const uint8_t tcap_oid_uni_dialogue_as[7] = {0x00, 0x11, 0x86, 0x05, 0x01, 0x02, 0x01};
const uint8_t map_oid_dialogue_as[7] = {0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x01};

/* Q.773 4.2.1 message types (application class, constructed) */
#define TAG_OTID BER_A(8)
#define TAG_DTID BER_A(9)
#define TAG_P_ABORT BER_A(10)
#define TAG_DIALOGUE BER_AC(11)
#define TAG_COMPONENTS BER_AC(12)
/* Q.773 4.2.2 dialogue PDUs */
#define TAG_AARQ BER_AC(0)
#define TAG_AARE BER_AC(1)
#define TAG_ABRT BER_AC(4)
#define TAG_USER_INFO BER_CC(30)

const struct value_string tcap_msg_type_names[] = {
    {TCAP_UNI, "Unidirectional"}, {TCAP_BEGIN, "Begin"}, {TCAP_END, "End"},
    {TCAP_CONTINUE, "Continue"},  {TCAP_ABORT, "Abort"}, {0, NULL},
};

const struct value_string tcap_comp_type_names[] = {
    {TCAP_INVOKE, "invoke"}, {TCAP_RESULT_L, "returnResultLast"},     {TCAP_ERROR, "returnError"},
    {TCAP_REJECT, "reject"}, {TCAP_RESULT_NL, "returnResultNotLast"}, {0, NULL},
};

const struct value_string tcap_dlg_pdu_names[] = {
    {TCAP_DLG_AARQ, "AARQ"},
    {TCAP_DLG_AARE, "AARE"},
    {TCAP_DLG_ABRT, "ABRT"},
    {TCAP_DLG_AUDT, "AUDT"},
    {0, NULL},
};

const struct value_string tcap_p_abort_cause_names[] = {
    {TCAP_PA_UNRECOGNIZED_MSG_TYPE, "unrecognizedMessageType"},
    {TCAP_PA_UNRECOGNIZED_TID, "unrecognizedTransactionID"},
    {TCAP_PA_BADLY_FORMATTED_TP, "badlyFormattedTransactionPortion"},
    {TCAP_PA_INCORRECT_TP, "incorrectTransactionPortion"},
    {TCAP_PA_RESOURCE_LIMITATION, "resourceLimitation"},
    {0, NULL},
};

/* Q.773 4.2.2.1 Reject problem codes */
static const struct value_string problem_general[] = {
    {0, "unrecognizedComponent"},
    {1, "mistypedComponent"},
    {2, "badlyStructuredComponent"},
    {0, NULL},
};
static const struct value_string problem_invoke[] = {
    {0, "duplicateInvokeID"},	     {1, "unrecognizedOperation"},     {2, "mistypedParameter"},
    {3, "resourceLimitation"},	     {4, "initiatingRelease"},	       {5, "unrecognizedLinkedID"},
    {6, "linkedResponseUnexpected"}, {7, "unexpectedLinkedOperation"}, {0, NULL},
};
static const struct value_string problem_result[] = {
    {0, "unrecognizedInvokeID"},
    {1, "returnResultUnexpected"},
    {2, "mistypedParameter"},
    {0, NULL},
};
static const struct value_string problem_error[] = {
    {0, "unrecognizedInvokeID"}, {1, "returnErrorUnexpected"}, {2, "unrecognizedError"},
    {3, "unexpectedError"},	 {4, "mistypedParameter"},     {0, NULL},
};

const char *tcap_msg_type_name(uint8_t t)
{
	return get_value_string(tcap_msg_type_names, t);
}
const char *tcap_comp_type_name(uint8_t t)
{
	return get_value_string(tcap_comp_type_names, t);
}
const char *tcap_p_abort_cause_name(uint8_t c)
{
	return get_value_string(tcap_p_abort_cause_names, c);
}

const char *tcap_problem_name(uint8_t tag, int32_t code)
{
	const struct value_string *vs = tag == TCAP_PROBLEM_GENERAL  ? problem_general
					: tag == TCAP_PROBLEM_INVOKE ? problem_invoke
					: tag == TCAP_PROBLEM_RESULT ? problem_result
					: tag == TCAP_PROBLEM_ERROR  ? problem_error
								     : NULL;
	if (!vs || code < 0)
		return "unknown";
	return get_value_string(vs, (uint32_t)code);
}

void tcap_map_ac_oid(uint8_t out[7], uint8_t ac, uint8_t version)
{
	const uint8_t prefix[5] = {0x04, 0x00, 0x00, 0x01, 0x00};
	memcpy(out, prefix, 5);
	out[5] = ac;
	out[6] = version;
}

/* ---- decoding ---- */

static bool next_is(const struct dfs_buf *b, uint32_t tag)
{
	uint32_t t;
	return ber_peek_tag(b, &t) == 0 && t == tag;
}

static int expect_end(const struct dfs_buf *b, const char *field, struct dfs_err *e)
{
	if (dfs_buf_left(b))
		return dfs_err_set(e, L, field, dfs_buf_abs(b), "unexpected element");
	return 0;
}

static int read_int(struct dfs_buf *b, uint32_t tag, int32_t *v, const char *field,
		    struct dfs_err *e)
{
	struct ber_tlv t;
	if (ber_expect(b, tag, &t, false, L, field, e) < 0)
		return -EBADMSG;
	if (ber_int_value(&t.v, v) < 0)
		return dfs_err_set(e, L, field, t.off, "integer of 1 to 4 octets expected");
	return 0;
}

/* Q.773 4.2.1: OrigTransactionID / DestTransactionID, OCTET STRING (SIZE (1..4)) */
static int read_tid(struct dfs_buf *b, uint32_t tag, struct tcap_tid *tid, const char *field,
		    struct dfs_err *e)
{
	struct ber_tlv t;
	if (ber_expect(b, tag, &t, false, L, field, e) < 0)
		return -EBADMSG;
	if (t.v.len < 1 || t.v.len > 4)
		return dfs_err_set(e, L, field, t.off, "transaction id must be 1 to 4 octets");
	tid->present = true;
	tid->len = (uint8_t)t.v.len;
	tid->val = 0;
	for (size_t i = 0; i < t.v.len; i++)
		tid->val = (tid->val << 8) | t.v.p[i];
	return 0;
}

/* TS 29.002 17.7.8 AddressString: ext|nature|plan octet then TBCD digits (1..20 octets). */
static int read_address(const struct ber_tlv *t, uint8_t *ton_npi, char *digits, size_t sz,
			const char *field, struct dfs_err *e)
{
	if (t->v.len < 1 || t->v.len > 20)
		return dfs_err_set(e, L, field, t->off, "AddressString must be 1 to 20 octets");
	*ton_npi = t->v.p[0];
	if (tbcd_decode(t->v.p + 1, t->v.len - 1, -1, digits, sz) < 0)
		return dfs_err_set(e, L, field, t->off + t->hdr_len + 1, "digits are not TBCD");
	return 0;
}

/* TS 29.002 17.1.2: user-information holding MAP-DialoguePDU map-open with references. */
static int decode_user_info(const struct ber_tlv *ui, struct tcap_msg *m, struct dfs_err *e)
{
	struct dfs_buf b = ber_contents(ui), xb, enc;
	struct ber_tlv ext, oid, t;
	m->user_info = ui->v;
	if (ber_expect(&b, BER_EXTERNAL, &ext, true, L, "user_information", e) < 0)
		return -EBADMSG;
	/* further EXTERNALs (SEQUENCE OF) are kept in the view but not interpreted */
	while (dfs_buf_left(&b))
		if (ber_expect(&b, BER_EXTERNAL, &t, true, L, "user_information", e) < 0)
			return -EBADMSG;
	xb = ber_contents(&ext);
	if (!next_is(&xb, BER_OID))
		return 0; /* indirect reference only: not MAP */
	if (ber_read(&xb, &oid, false, L, "user_information.direct_reference", e) < 0)
		return -EBADMSG;
	if (next_is(&xb, BER_INTEGER) &&
	    ber_read(&xb, &t, false, L, "user_information.indirect_reference", e) < 0)
		return -EBADMSG;
	if (ber_read(&xb, &t, true, L, "user_information.encoding", e) < 0)
		return -EBADMSG;
	if (expect_end(&xb, "user_information", e) < 0)
		return -EBADMSG;
	if (oid.v.len != sizeof(map_oid_dialogue_as) ||
	    memcmp(oid.v.p, map_oid_dialogue_as, oid.v.len) || t.tag != BER_CC(0))
		return 0; /* not a MAP dialogue PDU in single-ASN1-type form */
	enc = ber_contents(&t);
	if (ber_read(&enc, &t, true, L, "map_dialogue_pdu", e) < 0 ||
	    expect_end(&enc, "map_dialogue_pdu", e) < 0)
		return -EBADMSG;
	if (t.tag != BER_CC(0))
		return 0; /* map-accept, map-close, map-refuse, map-userAbort, map-providerAbort */
	/* MAP-OpenInfo ::= SEQUENCE { destinationReference [0] OPTIONAL, originationReference [1]
	 * OPTIONAL, ..., extensionContainer OPTIONAL } */
	struct dfs_buf ob = ber_contents(&t);
	m->has_open_info = true;
	if (next_is(&ob, BER_C(0))) {
		if (ber_read(&ob, &t, false, L, "destination_reference", e) < 0 ||
		    read_address(&t, &m->dest_ref_ton_npi, m->dest_ref, sizeof(m->dest_ref),
				 "destination_reference", e) < 0)
			return -EBADMSG;
	}
	if (next_is(&ob, BER_C(1))) {
		if (ber_read(&ob, &t, false, L, "origination_reference", e) < 0 ||
		    read_address(&t, &m->orig_ref_ton_npi, m->orig_ref, sizeof(m->orig_ref),
				 "origination_reference", e) < 0)
			return -EBADMSG;
	}
	while (dfs_buf_left(&ob)) /* extension container and later additions */
		if (ber_read(&ob, &t, true, L, "map_open_info", e) < 0)
			return -EBADMSG;
	return 0;
}

static int decode_ac_name(struct dfs_buf *b, struct tcap_msg *m, struct dfs_err *e)
{
	struct ber_tlv t, oid;
	if (ber_expect(b, BER_CC(1), &t, true, L, "application_context_name", e) < 0)
		return -EBADMSG;
	struct dfs_buf ab = ber_contents(&t);
	if (ber_expect(&ab, BER_OID, &oid, false, L, "application_context_name", e) < 0 ||
	    expect_end(&ab, "application_context_name", e) < 0)
		return -EBADMSG;
	if (oid.v.len == 0)
		return dfs_err_set(e, L, "application_context_name", oid.off,
				   "empty object identifier");
	m->ac_oid = oid.v;
	/* TS 29.002 17.3.2: map-ac ::= 0.4.0.0.1.0 then the context and its version */
	static const uint8_t map_ac_prefix[5] = {0x04, 0x00, 0x00, 0x01, 0x00};
	/* CAMEL phase 1/2 contexts (TS 29.078: 0.4.0.0.1.0.50-52) share that arc but are CAP */
	if (oid.v.len == 7 && !memcmp(oid.v.p, map_ac_prefix, 5) && oid.v.p[5] < 0x80 &&
	    oid.v.p[6] < 0x80 && (oid.v.p[5] < 50 || oid.v.p[5] > 52)) {
		m->ac_is_map = true;
		m->map_ac = oid.v.p[5];
		m->map_ac_version = oid.v.p[6];
	}
	return 0;
}

static int decode_proto_version(struct dfs_buf *b, struct tcap_msg *m, struct dfs_err *e)
{
	struct ber_tlv t;
	if (!next_is(b, BER_C(0)))
		return 0;
	if (ber_read(b, &t, false, L, "protocol_version", e) < 0)
		return -EBADMSG;
	if (t.v.len < 2)
		return dfs_err_set(e, L, "protocol_version", t.off, "BIT STRING too short");
	m->proto_version = t.v;
	return 0;
}

static int decode_user_info_opt(struct dfs_buf *b, struct tcap_msg *m, struct dfs_err *e)
{
	struct ber_tlv t;
	if (!next_is(b, TAG_USER_INFO))
		return 0;
	if (ber_read(b, &t, true, L, "user_information", e) < 0 || decode_user_info(&t, m, e) < 0)
		return -EBADMSG;
	return 0;
}

/* AARE result-source-diagnostic: [1] dialogue-service-user INTEGER | [2] -provider INTEGER */
static int decode_aare(struct dfs_buf *b, struct tcap_msg *m, struct dfs_err *e)
{
	struct ber_tlv t, d;
	int32_t v;
	if (decode_proto_version(b, m, e) < 0 || decode_ac_name(b, m, e) < 0)
		return -EBADMSG;
	if (ber_expect(b, BER_CC(2), &t, true, L, "result", e) < 0)
		return -EBADMSG;
	struct dfs_buf rb = ber_contents(&t);
	if (read_int(&rb, BER_INTEGER, &v, "result", e) < 0 || expect_end(&rb, "result", e) < 0)
		return -EBADMSG;
	if (v < 0 || v > 1)
		return dfs_err_set(e, L, "result", t.off, "result must be 0 or 1");
	m->aare_result = (uint8_t)v;
	if (ber_expect(b, BER_CC(3), &t, true, L, "result_source_diagnostic", e) < 0)
		return -EBADMSG;
	struct dfs_buf db = ber_contents(&t);
	if (ber_read(&db, &d, true, L, "result_source_diagnostic", e) < 0 ||
	    expect_end(&db, "result_source_diagnostic", e) < 0)
		return -EBADMSG;
	if (d.tag != BER_CC(1) && d.tag != BER_CC(2))
		return dfs_err_set(e, L, "result_source_diagnostic", d.off, "unexpected tag");
	struct dfs_buf vb = ber_contents(&d);
	if (read_int(&vb, BER_INTEGER, &v, "result_source_diagnostic", e) < 0 ||
	    expect_end(&vb, "result_source_diagnostic", e) < 0)
		return -EBADMSG;
	if (v < 0 || v > 2)
		return dfs_err_set(e, L, "result_source_diagnostic", d.off,
				   "diagnostic out of range");
	m->aare_diag_tag = (uint8_t)BER_TAG_NUM(d.tag);
	m->aare_diag = (uint8_t)v;
	return decode_user_info_opt(b, m, e);
}

/* Q.773 4.2.2: DialoguePortion ::= [APPLICATION 11] EXTERNAL */
static int decode_dialogue(const struct ber_tlv *dp, struct tcap_msg *m, struct dfs_err *e)
{
	struct dfs_buf b = ber_contents(dp), xb, sb, pb;
	struct ber_tlv ext, oid, single, pdu, t;
	int32_t v;
	bool uni = m->msg_type == TCAP_UNI;

	if (ber_expect(&b, BER_EXTERNAL, &ext, true, L, "dialogue", e) < 0 ||
	    expect_end(&b, "dialogue", e) < 0)
		return -EBADMSG;
	xb = ber_contents(&ext);
	if (ber_expect(&xb, BER_OID, &oid, false, L, "dialogue_as_id", e) < 0)
		return -EBADMSG;
	const uint8_t *want = uni ? tcap_oid_uni_dialogue_as : tcap_oid_dialogue_as;
	if (oid.v.len != 7 || memcmp(oid.v.p, want, 7))
		return dfs_err_set(e, L, "dialogue_as_id", oid.off,
				   "not the TCAP dialogue abstract syntax");
	if (ber_expect(&xb, BER_CC(0), &single, true, L, "dialogue_pdu", e) < 0 ||
	    expect_end(&xb, "dialogue", e) < 0)
		return -EBADMSG;
	sb = ber_contents(&single);
	if (ber_read(&sb, &pdu, true, L, "dialogue_pdu", e) < 0 ||
	    expect_end(&sb, "dialogue_pdu", e) < 0)
		return -EBADMSG;
	m->has_dialogue = true;
	pb = ber_contents(&pdu);
	if (uni) {
		if (pdu.tag != TAG_AARQ) /* AUDT */
			return dfs_err_set(e, L, "dialogue_pdu", pdu.off,
					   "unidirectional dialogue must be AUDT");
		m->dlg_pdu = TCAP_DLG_AUDT;
	} else if (pdu.tag == TAG_AARQ || pdu.tag == TAG_AARE || pdu.tag == TAG_ABRT) {
		m->dlg_pdu = (uint16_t)(0x60 | BER_TAG_NUM(pdu.tag));
	} else {
		return dfs_err_set(e, L, "dialogue_pdu", pdu.off, "unknown dialogue PDU");
	}
	switch (m->dlg_pdu) {
	case TCAP_DLG_AARQ:
	case TCAP_DLG_AUDT:
		if (decode_proto_version(&pb, m, e) < 0 || decode_ac_name(&pb, m, e) < 0 ||
		    decode_user_info_opt(&pb, m, e) < 0)
			return -EBADMSG;
		break;
	case TCAP_DLG_AARE:
		if (decode_aare(&pb, m, e) < 0)
			return -EBADMSG;
		break;
	default: /* ABRT: abort-source [0] IMPLICIT ABRT-source, user-information OPTIONAL */
		if (ber_expect(&pb, BER_C(0), &t, false, L, "abort_source", e) < 0)
			return -EBADMSG;
		if (ber_int_value(&t.v, &v) < 0 || v < 0 || v > 1)
			return dfs_err_set(e, L, "abort_source", t.off,
					   "abort source must be 0 or 1");
		m->abrt_source = (uint8_t)v;
		if (decode_user_info_opt(&pb, m, e) < 0)
			return -EBADMSG;
		break;
	}
	return expect_end(&pb, "dialogue_pdu", e);
}

/* A local (INTEGER) or global (OBJECT IDENTIFIER) operation or error code. */
static int read_code(struct dfs_buf *b, int32_t *local, struct dfs_view *global, bool *is_global,
		     const char *field, struct dfs_err *e)
{
	struct ber_tlv t;
	if (ber_read(b, &t, false, L, field, e) < 0)
		return -EBADMSG;
	if (t.tag == BER_INTEGER) {
		if (ber_int_value(&t.v, local) < 0)
			return dfs_err_set(e, L, field, t.off, "integer of 1 to 4 octets expected");
		*is_global = false;
	} else if (t.tag == BER_OID) {
		if (t.v.len == 0)
			return dfs_err_set(e, L, field, t.off, "empty object identifier");
		*global = t.v;
		*is_global = true;
	} else {
		return dfs_err_set(e, L, field, t.off, "INTEGER or OBJECT IDENTIFIER expected");
	}
	return 0;
}

static int read_param(struct dfs_buf *b, struct tcap_component *c, struct dfs_err *e)
{
	struct ber_tlv t;
	if (!dfs_buf_left(b))
		return 0;
	const uint8_t *start = dfs_buf_cur(b);
	if (ber_read(b, &t, true, L, "parameter", e) < 0)
		return -EBADMSG;
	c->param.p = start;
	c->param.len = t.total;
	c->param_offset = t.off;
	return expect_end(b, "parameter", e);
}

static int read_opcode_param(struct dfs_buf *b, struct tcap_component *c, struct dfs_err *e)
{
	if (read_code(b, &c->opcode, &c->opcode_oid, &c->opcode_global, "opcode", e) < 0)
		return -EBADMSG;
	c->has_opcode = true;
	return read_param(b, c, e);
}

/* Q.773 4.2.2 Component ::= CHOICE { invoke [1], returnResultLast [2], returnError [3],
 * reject [4], returnResultNotLast [7] } */
static int decode_component(const struct ber_tlv *ct, struct tcap_component *c, struct dfs_err *e)
{
	struct dfs_buf b = ber_contents(ct);
	struct ber_tlv t;
	memset(c, 0, sizeof(*c));
	c->offset = ct->off;
	c->type = (uint8_t)(0xa0 | BER_TAG_NUM(ct->tag));
	if (c->type != TCAP_REJECT) {
		if (read_int(&b, BER_INTEGER, &c->invoke_id, "invoke_id", e) < 0)
			return -EBADMSG;
		c->has_invoke_id = true;
	}
	switch (c->type) {
	case TCAP_INVOKE:
		if (next_is(&b, BER_C(0))) {
			if (read_int(&b, BER_C(0), &c->linked_id, "linked_id", e) < 0)
				return -EBADMSG;
			c->has_linked_id = true;
		}
		return read_opcode_param(&b, c, e);
	case TCAP_RESULT_L:
	case TCAP_RESULT_NL:
		if (!dfs_buf_left(&b))
			return 0;
		if (ber_expect(&b, BER_SEQUENCE, &t, true, L, "result", e) < 0 ||
		    expect_end(&b, "result", e) < 0)
			return -EBADMSG;
		struct dfs_buf sb = ber_contents(&t);
		return read_opcode_param(&sb, c, e);
	case TCAP_ERROR:
		if (read_code(&b, &c->error_code, &c->opcode_oid, &c->error_global, "error_code",
			      e) < 0)
			return -EBADMSG;
		c->has_error_code = true;
		return read_param(&b, c, e);
	case TCAP_REJECT:
		/* invokeIDRej CHOICE { derivable InvokeIdType, not-derivable NULL } */
		if (next_is(&b, BER_NULL)) {
			if (ber_read(&b, &t, false, L, "invoke_id", e) < 0)
				return -EBADMSG;
			if (t.v.len)
				return dfs_err_set(e, L, "invoke_id", t.off, "NULL with contents");
		} else {
			if (read_int(&b, BER_INTEGER, &c->invoke_id, "invoke_id", e) < 0)
				return -EBADMSG;
			c->has_invoke_id = true;
		}
		if (ber_read(&b, &t, false, L, "problem", e) < 0)
			return -EBADMSG;
		if (t.tag < BER_C(0) || t.tag > BER_C(3))
			return dfs_err_set(e, L, "problem", t.off, "unknown problem type");
		if (ber_int_value(&t.v, &c->problem_code) < 0)
			return dfs_err_set(e, L, "problem", t.off,
					   "integer of 1 to 4 octets expected");
		c->problem_tag = (uint8_t)(0x80 | BER_TAG_NUM(t.tag));
		return expect_end(&b, "reject", e);
	default:
		return dfs_err_set(e, L, "component", ct->off, "unknown component type");
	}
}

static int decode_components(const struct ber_tlv *cp, struct tcap_msg *m, struct dfs_err *e)
{
	struct dfs_buf b = ber_contents(cp);
	struct ber_tlv ct;
	m->has_components = true;
	while (dfs_buf_left(&b)) {
		uint32_t tag;
		if (ber_read(&b, &ct, true, L, "component", e) < 0)
			return -EBADMSG;
		tag = ct.tag;
		if (!(tag >= BER_CC(1) && tag <= BER_CC(4)) && tag != BER_CC(7))
			return dfs_err_set(e, L, "component", ct.off, "unknown component type");
		struct tcap_component scratch;
		bool keep = m->n_components < TCAP_MAX_COMPONENTS;
		if (decode_component(&ct, keep ? &m->comp[m->n_components] : &scratch, e) < 0)
			return -EBADMSG;
		if (keep)
			m->n_components++;
		else
			m->components_truncated = true;
	}
	if (m->msg_type == TCAP_UNI && m->n_components == 0)
		return dfs_err_set(e, L, "components", cp->off,
				   "Unidirectional without components");
	return 0;
}

int tcap_decode(const uint8_t *p, size_t len, size_t base, struct tcap_msg *m, struct dfs_err *e)
{
	struct dfs_buf b = dfs_buf_init(p, len, base), mb;
	struct ber_tlv top, t;

	/* everything but the components, each cleared by decode_component when it is kept */
	memset(m, 0, offsetof(struct tcap_msg, comp));
	m->components_truncated = false;
	if (ber_read(&b, &top, true, L, "message_type", e) < 0)
		return -EBADMSG;
	if (dfs_buf_left(&b))
		return dfs_err_set(e, L, "message_type", dfs_buf_abs(&b),
				   "trailing octets after the message");
	switch (top.tag) {
	case BER_AC(1):
	case BER_AC(2):
	case BER_AC(4):
	case BER_AC(5):
	case BER_AC(7):
		m->msg_type = (uint8_t)(0x60 | BER_TAG_NUM(top.tag));
		break;
	default:
		return dfs_err_set(e, L, "message_type", top.off, "not an ITU TCAP message");
	}
	mb = ber_contents(&top);
	if (m->msg_type == TCAP_BEGIN || m->msg_type == TCAP_CONTINUE)
		if (read_tid(&mb, TAG_OTID, &m->otid, "otid", e) < 0)
			return -EBADMSG;
	if (m->msg_type == TCAP_END || m->msg_type == TCAP_CONTINUE || m->msg_type == TCAP_ABORT)
		if (read_tid(&mb, TAG_DTID, &m->dtid, "dtid", e) < 0)
			return -EBADMSG;
	if (m->msg_type == TCAP_ABORT) {
		/* Q.773 4.2.1: reason CHOICE { p-abortCause, u-abortCause DialoguePortion }
		 * OPTIONAL */
		if (next_is(&mb, TAG_P_ABORT)) {
			int32_t v;
			if (ber_read(&mb, &t, false, L, "p_abort_cause", e) < 0)
				return -EBADMSG;
			if (ber_int_value(&t.v, &v) < 0 || v < 0 || v > 127)
				return dfs_err_set(e, L, "p_abort_cause", t.off,
						   "cause out of range");
			m->has_p_abort = true;
			m->p_abort_cause = (uint8_t)v;
		} else if (next_is(&mb, TAG_DIALOGUE)) {
			if (ber_read(&mb, &t, true, L, "dialogue", e) < 0 ||
			    decode_dialogue(&t, m, e) < 0)
				return -EBADMSG;
			m->has_u_abort = true;
		}
		return expect_end(&mb, "abort", e);
	}
	if (next_is(&mb, TAG_DIALOGUE))
		if (ber_read(&mb, &t, true, L, "dialogue", e) < 0 || decode_dialogue(&t, m, e) < 0)
			return -EBADMSG;
	if (next_is(&mb, TAG_COMPONENTS) || m->msg_type == TCAP_UNI) {
		if (ber_expect(&mb, TAG_COMPONENTS, &t, true, L, "components", e) < 0 ||
		    decode_components(&t, m, e) < 0)
			return -EBADMSG;
	}
	return expect_end(&mb, "message", e);
}

/* ---- encoding ---- */

static int put_tid(struct dfs_wbuf *w, uint32_t tag, const struct tcap_tid *tid, unsigned fl)
{
	uint8_t o[4];
	if (tid->len < 1 || tid->len > 4)
		return -EINVAL;
	for (unsigned i = 0; i < tid->len; i++)
		o[i] = (uint8_t)(tid->val >> (8 * (tid->len - 1 - i)));
	ber_put_tlv(w, tag, o, tid->len, fl);
	return 0;
}

static int put_address(struct dfs_wbuf *w, uint32_t tag, uint8_t ton_npi, const char *digits,
		       unsigned fl)
{
	uint8_t o[21];
	int n = tbcd_encode(digits, o + 1, sizeof(o) - 1);
	if (n < 0)
		return -EINVAL;
	o[0] = ton_npi;
	ber_put_tlv(w, tag, o, (size_t)n + 1, fl);
	return 0;
}

static int put_user_info(struct dfs_wbuf *w, const struct tcap_msg *m, unsigned fl)
{
	struct ber_mark ui, ext, enc, open;
	if (m->user_info.len) {
		ber_put_tlv(w, TAG_USER_INFO, m->user_info.p, m->user_info.len, fl);
		return 0;
	}
	if (!m->has_open_info)
		return 0;
	ui = ber_open(w, TAG_USER_INFO);
	ext = ber_open(w, BER_EXTERNAL);
	ber_put_tlv(w, BER_OID, map_oid_dialogue_as, sizeof(map_oid_dialogue_as), fl);
	enc = ber_open(w, BER_CC(0));
	open = ber_open(w, BER_CC(0)); /* map-open */
	if (m->dest_ref[0] && put_address(w, BER_C(0), m->dest_ref_ton_npi, m->dest_ref, fl) < 0)
		return -EINVAL;
	if (m->orig_ref[0] && put_address(w, BER_C(1), m->orig_ref_ton_npi, m->orig_ref, fl) < 0)
		return -EINVAL;
	ber_close(w, open, fl);
	ber_close(w, enc, fl);
	ber_close(w, ext, fl);
	ber_close(w, ui, fl);
	return 0;
}

static void put_ac_name(struct dfs_wbuf *w, const struct tcap_msg *m, unsigned fl)
{
	struct ber_mark ac = ber_open(w, BER_CC(1));
	if (m->ac_oid.len) {
		ber_put_tlv(w, BER_OID, m->ac_oid.p, m->ac_oid.len, fl);
	} else {
		uint8_t oid[7];
		tcap_map_ac_oid(oid, m->map_ac, m->map_ac_version);
		ber_put_tlv(w, BER_OID, oid, sizeof(oid), fl);
	}
	ber_close(w, ac, fl);
}

static int put_dialogue(struct dfs_wbuf *w, const struct tcap_msg *m, unsigned fl)
{
	bool uni = m->msg_type == TCAP_UNI;
	struct ber_mark dp = ber_open(w, TAG_DIALOGUE), ext, single, pdu = {0}, r, d, dv;
	ext = ber_open(w, BER_EXTERNAL);
	ber_put_tlv(w, BER_OID, uni ? tcap_oid_uni_dialogue_as : tcap_oid_dialogue_as, 7, fl);
	single = ber_open(w, BER_CC(0));
	switch (m->dlg_pdu) {
	case TCAP_DLG_AARQ:
	case TCAP_DLG_AUDT:
		if ((m->dlg_pdu == TCAP_DLG_AUDT) != uni)
			return -EINVAL;
		pdu = ber_open(w, TAG_AARQ);
		if (m->proto_version.len)
			ber_put_tlv(w, BER_C(0), m->proto_version.p, m->proto_version.len, fl);
		put_ac_name(w, m, fl);
		break;
	case TCAP_DLG_AARE:
		if (uni ||
		    (m->aare_diag_tag != TCAP_DIAG_USER && m->aare_diag_tag != TCAP_DIAG_PROVIDER))
			return -EINVAL;
		pdu = ber_open(w, TAG_AARE);
		if (m->proto_version.len)
			ber_put_tlv(w, BER_C(0), m->proto_version.p, m->proto_version.len, fl);
		put_ac_name(w, m, fl);
		r = ber_open(w, BER_CC(2));
		ber_put_int(w, BER_INTEGER, m->aare_result, fl);
		ber_close(w, r, fl);
		d = ber_open(w, BER_CC(3));
		dv = ber_open(w, BER_CC(m->aare_diag_tag));
		ber_put_int(w, BER_INTEGER, m->aare_diag, fl);
		ber_close(w, dv, fl);
		ber_close(w, d, fl);
		break;
	case TCAP_DLG_ABRT:
		if (uni)
			return -EINVAL;
		pdu = ber_open(w, TAG_ABRT);
		ber_put_int(w, BER_C(0), m->abrt_source, fl);
		break;
	default:
		return -EINVAL;
	}
	if (put_user_info(w, m, fl) < 0)
		return -EINVAL;
	ber_close(w, pdu, fl);
	ber_close(w, single, fl);
	ber_close(w, ext, fl);
	ber_close(w, dp, fl);
	return 0;
}

static void put_code(struct dfs_wbuf *w, bool global, const struct dfs_view *oid, int32_t local,
		     unsigned fl)
{
	if (global)
		ber_put_tlv(w, BER_OID, oid->p, oid->len, fl);
	else
		ber_put_int(w, BER_INTEGER, local, fl);
}

static int put_component(struct dfs_wbuf *w, const struct tcap_component *c, unsigned fl)
{
	struct ber_mark cm, seq;
	switch (c->type) {
	case TCAP_INVOKE:
		cm = ber_open(w, BER_CC(1));
		ber_put_int(w, BER_INTEGER, c->invoke_id, fl);
		if (c->has_linked_id)
			ber_put_int(w, BER_C(0), c->linked_id, fl);
		put_code(w, c->opcode_global, &c->opcode_oid, c->opcode, fl);
		ber_put_raw(w, &c->param);
		break;
	case TCAP_RESULT_L:
	case TCAP_RESULT_NL:
		cm = ber_open(w, BER_CC(c->type & 0x1f));
		ber_put_int(w, BER_INTEGER, c->invoke_id, fl);
		if (c->has_opcode) {
			seq = ber_open(w, BER_SEQUENCE);
			put_code(w, c->opcode_global, &c->opcode_oid, c->opcode, fl);
			ber_put_raw(w, &c->param);
			ber_close(w, seq, fl);
		} else if (c->param.len) {
			return -EINVAL; /* a parameter needs the opcode */
		}
		break;
	case TCAP_ERROR:
		cm = ber_open(w, BER_CC(3));
		ber_put_int(w, BER_INTEGER, c->invoke_id, fl);
		put_code(w, c->error_global, &c->opcode_oid, c->error_code, fl);
		ber_put_raw(w, &c->param);
		break;
	case TCAP_REJECT:
		if (c->problem_tag < TCAP_PROBLEM_GENERAL || c->problem_tag > TCAP_PROBLEM_ERROR)
			return -EINVAL;
		cm = ber_open(w, BER_CC(4));
		if (c->has_invoke_id)
			ber_put_int(w, BER_INTEGER, c->invoke_id, fl);
		else
			ber_put_tlv(w, BER_NULL, NULL, 0, fl);
		ber_put_int(w, BER_C(c->problem_tag & 0x1f), c->problem_code, fl);
		break;
	default:
		return -EINVAL;
	}
	ber_close(w, cm, fl);
	return 0;
}

int tcap_encode_opt(struct dfs_wbuf *w, const struct tcap_msg *m, unsigned fl)
{
	uint8_t t = m->msg_type;
	if (t != TCAP_UNI && t != TCAP_BEGIN && t != TCAP_END && t != TCAP_CONTINUE &&
	    t != TCAP_ABORT)
		return -EINVAL;
	if (m->n_components > TCAP_MAX_COMPONENTS)
		return -EINVAL;
	struct ber_mark mm = ber_open(w, BER_AC(t & 0x1f));
	if ((t == TCAP_BEGIN || t == TCAP_CONTINUE) && put_tid(w, TAG_OTID, &m->otid, fl) < 0)
		return -EINVAL;
	if ((t == TCAP_END || t == TCAP_CONTINUE || t == TCAP_ABORT) &&
	    put_tid(w, TAG_DTID, &m->dtid, fl) < 0)
		return -EINVAL;
	if (t == TCAP_ABORT) {
		if (m->has_p_abort)
			ber_put_int(w, TAG_P_ABORT, m->p_abort_cause, fl);
		else if (m->has_dialogue && put_dialogue(w, m, fl) < 0)
			return -EINVAL;
	} else {
		if (m->has_dialogue && put_dialogue(w, m, fl) < 0)
			return -EINVAL;
		if (m->has_components || m->n_components || t == TCAP_UNI) {
			if (t == TCAP_UNI && !m->n_components)
				return -EINVAL;
			struct ber_mark cp = ber_open(w, TAG_COMPONENTS);
			for (unsigned i = 0; i < m->n_components; i++)
				if (put_component(w, &m->comp[i], fl) < 0)
					return -EINVAL;
			ber_close(w, cp, fl);
		}
	}
	ber_close(w, mm, fl);
	return dfs_wbuf_ok(w) ? 0 : -ENOSPC;
}

int tcap_encode(struct dfs_wbuf *w, const struct tcap_msg *m)
{
	return tcap_encode_opt(w, m, 0);
}
