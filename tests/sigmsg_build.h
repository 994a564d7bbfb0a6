/* Hand-built decoded messages: what the codec stack fills in for a MAP operation between two
 * GTs. Header-only, no test framework: used by the policy tests and the policy benchmark. */
#ifndef DFS_SIGMSG_BUILD_H
#define DFS_SIGMSG_BUILD_H
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "map.h"
#include "sigmsg.h"

static inline void tl_copy(char *dst, size_t sz, const char *src)
{
	snprintf(dst, sz, "%s", src ? src : "");
}

/* GTI 4, TT 0, NP E.164, NAI international, routed on GT, with SSN. */
static inline void tl_addr(struct sccp_addr *a, const char *gt, uint8_t ssn)
{
	memset(a, 0, sizeof(*a));
	a->present = true;
	a->gti = 4;
	a->np = 1;
	a->nai = 4;
	a->has_ssn = ssn != 0;
	a->ssn = ssn;
	tl_copy(a->digits, sizeof(a->digits), gt);
}

static const uint8_t tl_oid[] = {0x04, 0x00, 0x00, 0x01, 0x00, 0x00, 0x03};

/* A message of TCAP type tt from calling to called carrying one Invoke of op (op < 0: no
 * component). Begin gets otid 0x1000+op and a MAP dialogue portion; Continue and End get the
 * ids the caller sets afterwards. */
static inline void tl_msg(struct sig_msg *m, uint8_t tt, int op, const char *calling, const char *called)
{
	memset(m, 0, sizeof(*m));
	m->has_sccp = m->has_tcap = true;
	m->sccp.msg_type = 0x09;
	tl_addr(&m->sccp.calling, calling, 7);
	tl_addr(&m->sccp.called, called, 6);
	struct tcap_msg *t = &m->tcap;
	t->msg_type = tt;
	if (tt == TCAP_BEGIN || tt == TCAP_CONTINUE) {
		t->otid.present = true;
		t->otid.len = 4;
		t->otid.val = 0x1000u + (uint32_t)(op < 0 ? 0 : op);
	}
	if (tt == TCAP_CONTINUE || tt == TCAP_END || tt == TCAP_ABORT) {
		t->dtid.present = true;
		t->dtid.len = 4;
		t->dtid.val = 0x2000u;
	}
	if (tt == TCAP_BEGIN && op >= 0 && map_op_default_ac(op, NULL, NULL)) {
		t->has_dialogue = true;
		t->dlg_pdu = TCAP_DLG_AARQ;
		t->ac_oid.p = tl_oid;
		t->ac_oid.len = sizeof(tl_oid);
		t->ac_is_map = true;
		t->map_ac = map_op_default_ac(op, NULL, NULL);
		t->map_ac_version = 3;
	}
	if (op >= 0) {
		t->n_components = 1;
		t->comp[0].type = TCAP_INVOKE;
		t->comp[0].has_invoke_id = true;
		t->comp[0].invoke_id = 1;
		t->comp[0].has_opcode = true;
		t->comp[0].opcode = op;
	}
	m->has_map = op >= 0;
	m->map.opcode = op;
	m->map.sm_rp_da_type = m->map.sm_rp_oa_type = MAP_SMRP_NONE;
}

static inline void tl_imsi(struct sig_msg *m, const char *imsi)
{
	m->has_map = true;
	m->map.has_imsi = true;
	tl_copy(m->map.imsi, sizeof(m->map.imsi), imsi);
}

static inline void tl_maddr(struct dfs_addr *a, const char *digits)
{
	a->present = true;
	a->ton_npi = 0x91; /* international, ISDN */
	tl_copy(a->digits, sizeof(a->digits), digits);
}

/* MAP-OpenInfo: destinationReference = IMSI (NPI E.212), originationReference = MSISDN. */
static inline void tl_open_info(struct sig_msg *m, const char *dest_imsi, const char *orig_msisdn)
{
	struct tcap_msg *t = &m->tcap;
	t->has_open_info = true;
	tl_copy(t->dest_ref, sizeof(t->dest_ref), dest_imsi);
	tl_copy(t->orig_ref, sizeof(t->orig_ref), orig_msisdn);
	t->dest_ref_ton_npi = 0x16;
	t->orig_ref_ton_npi = 0x91;
}

/* Make the first component a ReturnResultLast of op with its MAP fields. */
static inline void tl_result(struct sig_msg *m, int op)
{
	struct tcap_component *c = &m->tcap.comp[0];
	m->tcap.n_components = 1;
	memset(c, 0, sizeof(*c));
	c->type = TCAP_RESULT_L;
	c->has_invoke_id = true;
	c->invoke_id = 1;
	c->has_opcode = true;
	c->opcode = op;
	m->has_map = true;
	m->map.opcode = op;
	m->map.is_result = true;
}

static inline void tl_tids(struct sig_msg *m, bool otid, uint32_t o, bool dtid, uint32_t d)
{
	m->tcap.otid = (struct tcap_tid){otid, otid ? 4 : 0, otid ? o : 0};
	m->tcap.dtid = (struct tcap_tid){dtid, dtid ? 4 : 0, dtid ? d : 0};
}

#endif
