/* Answers to blocked messages, so that the sender's dialogue ends cleanly (THREATS.md A,
 * docs/operations.md): TCAP Abort, MAP ReturnError, or SCCP UDTS, sent back on the link the
 * message came from, with the routing label and the SCCP addresses reversed, in the request's
 * network appearance and routing context. */
#include <errno.h>
#include <string.h>

#include "fw_int.h"
#include "m3ua.h"
#include "map.h"
#include "sccp.h"
#include "tcap.h"

#define FW_UDTS_CAUSE 0x01 /* Q.713 3.12: no translation for an address of such nature */

/* The transaction id the sender expects back as our dtid: its otid (Begin, Continue). */
static int sender_tid(const struct sig_msg *m, uint32_t *tid)
{
	if (!m->has_tcap || !m->tcap.otid.present)
		return -ENOENT;
	*tid = m->tcap.otid.val;
	return 0;
}

static int answer_tcap(const struct sig_msg *m, const struct verdict *v, struct dfs_wbuf *w)
{
	uint32_t tid;
	int rc = sender_tid(m, &tid);
	if (rc < 0)
		return rc;
	if (v->answer == ANSWER_TCAP_ABORT)
		return map_build_u_abort(w, tid, 0);
	/* ANSWER_MAP_ERROR: End with a ReturnError for the Invoke that was judged */
	int ci = m->map_comp;
	if (ci < 0 || ci >= (int)m->tcap.n_components || !m->tcap.comp[ci].has_invoke_id)
		return -ENOENT;
	struct map_tx tx = {.msg_type = TCAP_END, .dtid = tid};
	if (m->tcap.msg_type == TCAP_BEGIN && m->tcap.has_dialogue && m->tcap.ac_is_map) {
		tx.ac = m->tcap.map_ac; /* the first answer to a Begin accepts its dialogue */
		tx.ac_version = m->tcap.map_ac_version;
	}
	return map_build_error(w, &tx, (int)m->tcap.comp[ci].invoke_id, v->map_error);
}

int fw_answer_build(const struct sig_msg *m, const struct verdict *v, struct dfs_wbuf *w)
{
	if (!m->has_m3ua || !m->m3ua.has_proto_data || !m->has_sccp || v->answer == ANSWER_NONE)
		return -ENOENT;
	uint8_t tbuf[512];
	struct dfs_wbuf tw = dfs_wbuf_init(tbuf, sizeof(tbuf));
	struct sccp_msg s;
	memset(&s, 0, sizeof(s));
	s.called = m->sccp.calling;
	s.calling = m->sccp.called;
	if (v->answer == ANSWER_UDTS) {
		if (m->sccp.msg_type != 0x09 && m->sccp.msg_type != 0x11) /* only UDT/XUDT are returned */
			return -ENOENT;
		s.msg_type = 0x0a;
		s.return_cause = FW_UDTS_CAUSE;
		s.data = m->sccp.data;
	} else {
		int rc = answer_tcap(m, v, &tw);
		if (rc < 0)
			return rc;
		if (!dfs_wbuf_ok(&tw))
			return -ENOSPC;
		s.msg_type = 0x09;
		s.proto_class = 0;
		s.data.p = tbuf;
		s.data.len = tw.len;
	}
	uint8_t sbuf[1024];
	struct dfs_wbuf sw = dfs_wbuf_init(sbuf, sizeof(sbuf));
	int rc = sccp_encode(&sw, &s);
	if (rc < 0)
		return rc;
	if (!dfs_wbuf_ok(&sw))
		return -ENOSPC;
	struct m3ua_proto_data pd = m->m3ua.pd;
	pd.opc = m->m3ua.pd.dpc;
	pd.dpc = m->m3ua.pd.opc;
	pd.user_data.p = sbuf;
	pd.user_data.len = sw.len;
	/* RFC 4666 3.3.1.1: the answer travels in the request's network appearance and routing
	 * context */
	rc = m3ua_encode_data_na(w, m->m3ua.has_na ? &m->m3ua.na : NULL,
				 m->m3ua.has_rctx ? &m->m3ua.rctx : NULL, &pd);
	if (rc < 0)
		return rc;
	return dfs_wbuf_ok(w) ? 0 : -ENOSPC;
}
