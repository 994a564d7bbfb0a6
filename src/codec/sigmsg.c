/* The whole codec stack for one signalling message: M3UA (or MTP3) -> SCCP -> TCAP -> MAP
 * -> SMS TPDU with its TS 102 225 header, or ISUP. Each layer's decoder does the work; this
 * file only chooses the next layer and keeps offsets absolute. */
#include <errno.h>
#include <string.h>

#include "isup.h"
#include "m3ua.h"
#include "map.h"
#include "mtp3.h"
#include "sccp.h"
#include "sigmsg.h"
#include "sms.h"
#include "tcap.h"

#define SI_SCCP 3
#define SI_ISUP 5
#define SSN_SCMG 1   /* SCCP management (Q.714 5.3) */
#define SSN_CAP 146  /* gsmSCF, CAMEL Application Part */

static size_t offset_in(const struct sig_msg *m, const uint8_t *p)
{
	return (size_t)(p - m->raw.p);
}

/* MAP runs on these subsystems (PROTOCOLS.md, SCCP SSNs); CAP on 146 is not MAP. */
static bool ssn_is_map(uint8_t ssn)
{
	switch (ssn) {
	case 5: case 6: case 7: case 8: case 9: case 10: case 145: case 147: case 149: case 150:
		return true;
	default:
		return false;
	}
}

bool sig_tcap_is_map(const struct sig_msg *m)
{
	if (!m->has_tcap)
		return false;
	if (m->tcap.has_dialogue && m->tcap.ac_oid.len)
		return m->tcap.ac_is_map; /* the TCAP decoder leaves CAP's contexts out */
	if (!m->has_sccp)
		return true;
	const struct sccp_addr *cd = &m->sccp.called, *cg = &m->sccp.calling;
	if ((cd->has_ssn && cd->ssn == SSN_CAP) || (cg->has_ssn && cg->ssn == SSN_CAP))
		return false;
	return (cd->has_ssn && ssn_is_map(cd->ssn)) || (cg->has_ssn && ssn_is_map(cg->ssn));
}

/* TS 29.002: mt-forwardSM (44) carries SMS-DELIVER; mo-forwardSM (46) SMS-SUBMIT, but in
 * MAP v1/v2 op 46 is forwardSM in both directions: a service-centre address in sm-RP-DA
 * means mobile originated. */
static enum sms_dir tpdu_direction(const struct map_fields *f)
{
	if (f->opcode == 44)
		return SMS_DIR_MT;
	return f->sm_rp_da_type == MAP_SMRP_SC_ADDR ? SMS_DIR_MO : SMS_DIR_MT;
}

static int decode_map(struct sig_msg *m, struct dfs_err *e)
{
	const struct tcap_msg *t = &m->tcap;
	for (unsigned i = 0; i < t->n_components; i++) {
		const struct tcap_component *c = &t->comp[i];
		bool wanted = c->type == TCAP_INVOKE ||
			      ((c->type == TCAP_RESULT_L || c->type == TCAP_RESULT_NL) && c->param.len) ||
			      c->type == TCAP_ERROR;
		if (!wanted || c->opcode_global)
			continue;
		int opcode = c->has_opcode ? c->opcode : -1;
		int rc = map_decode_param(c, opcode, &m->map, e); /* initialises m->map first */
		if (rc < 0)
			return rc;
		m->has_map = true;
		m->map_comp = (int)i;
		break;
	}
	if (!m->has_map || !m->map.sm_rp_ui.len)
		return 0;
	struct map_fields *f = &m->map;
	/* a result's sm-RP-UI is the report of an RP-ACK: SMS-DELIVER-REPORT answering
	 * mt-forwardSM, SMS-SUBMIT-REPORT answering mo-forwardSM (the MTI tells which, also for
	 * the forwardSM of MAP v1/v2) */
	int rc = f->is_result ? sms_report_decode(f->sm_rp_ui.p, f->sm_rp_ui.len, offset_in(m, f->sm_rp_ui.p),
						  false, &f->tpdu, e)
			      : sms_tpdu_decode(f->sm_rp_ui.p, f->sm_rp_ui.len, offset_in(m, f->sm_rp_ui.p),
						tpdu_direction(f), &f->tpdu, e);
	if (rc < 0)
		return rc;
	f->has_tpdu = true;
	return 0;
}

static bool looks_like_tcap(const struct dfs_view *d)
{
	if (!d->len)
		return false;
	switch (d->p[0]) {
	case TCAP_UNI: case TCAP_BEGIN: case TCAP_END: case TCAP_CONTINUE: case TCAP_ABORT:
		return true;
	default:
		return false;
	}
}

static int decode_sccp_user(struct sig_msg *m, struct dfs_err *e)
{
	const struct sccp_msg *s = &m->sccp;
	/* only the first segment of a segmented XUDT starts a TCAP message */
	if (!s->data.len || (s->has_segmentation && !s->seg_first))
		return 0;
	if (s->called.has_ssn && s->called.ssn == SSN_SCMG)
		return 0;
	if (!looks_like_tcap(&s->data))
		return 0; /* another SCCP user (BSSAP, RANAP...): not ours to judge */
	int rc = tcap_decode(s->data.p, s->data.len, offset_in(m, s->data.p), &m->tcap, e);
	if (rc < 0)
		return rc;
	m->has_tcap = true;
	if (!sig_tcap_is_map(m))
		return 0;
	return decode_map(m, e);
}

static int decode_user_part(struct sig_msg *m, struct dfs_err *e)
{
	const struct m3ua_proto_data *pd = &m->m3ua.pd;
	const struct dfs_view *u = &pd->user_data;
	int rc;
	switch (pd->si) {
	case SI_SCCP:
		rc = sccp_decode(u->p, u->len, offset_in(m, u->p), &m->sccp, e);
		if (rc < 0)
			return rc;
		m->has_sccp = true;
		return decode_sccp_user(m, e);
	case SI_ISUP:
		rc = isup_decode(u->p, u->len, offset_in(m, u->p), &m->isup, e);
		if (rc < 0)
			return rc;
		m->has_isup = true;
		return 0;
	default:
		return 0; /* SNM, TUP, BICC...: passed through undecoded */
	}
}

static void sig_reset(struct sig_msg *m, const uint8_t *p, size_t len)
{
	m->has_m3ua = m->has_mtp3 = m->has_sccp = m->has_tcap = m->has_map = m->has_isup = false;
	m->m3ua.has_proto_data = false;
	m->map_comp = -1;
	m->map.opcode = -1;
	m->raw.p = p;
	m->raw.len = len;
}

int sig_decode_m3ua(const uint8_t *p, size_t len, struct sig_msg *m, struct dfs_err *e)
{
	sig_reset(m, p, len);
	int rc = m3ua_decode(p, len, 0, &m->m3ua, e);
	if (rc < 0)
		return rc;
	m->has_m3ua = true;
	if (!m->m3ua.has_proto_data)
		return 0;
	return decode_user_part(m, e);
}

int sig_decode_mtp3(const uint8_t *p, size_t len, struct sig_msg *m, struct dfs_err *e)
{
	sig_reset(m, p, len);
	struct mtp3_msg mtp3;
	int rc = mtp3_decode(p, len, 0, &mtp3, e);
	if (rc < 0)
		return rc;
	m->has_mtp3 = true;
	mtp3_to_proto_data(&mtp3, &m->m3ua.pd);
	m->m3ua.has_proto_data = true;
	return decode_user_part(m, e);
}
