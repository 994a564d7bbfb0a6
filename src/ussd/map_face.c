/* MAP face of the USSD gateway (map_face.h). */
#include "map_face.h"
#include "map_face_priv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gsm0338.h"
#include "gw_e2e.h"
#include "m3ua.h"
#include "map.h"
#include "ota_transport.h"
#include "sccp.h"
#include "tcap.h"

#define MF_AC_USSD 19 /* networkUnstructuredSsContext */
#define MF_AC_VERSION 2
#define MF_TCAP_MAX 512
#define MF_MSG_MAX 1024

struct map_face_dlg {
	struct map_face_dlg *next;
	uint32_t otid, peer_otid; /* ours, and the peer's (our dtid) */
	struct mf_route rt;
	char key[GW_DIALOGUE_MAX];
	char msisdn[16], imsi[16], service[24], network[11], source[40];
	int inv59;       /* the peer's processUnstructuredSS-Request invoke id */
	int inv60;       /* our pending unstructuredSS-Request invoke id, -1 none */
	bool aare_sent;
	int64_t last_ms;
};

void map_face_config_defaults(struct map_face_config *c)
{
	memset(c, 0, sizeof(*c));
	c->idle_timeout_ms = 60000;
	c->max_dialogues = 10000;
	c->max_pushes = 1000;
}

int map_face_init(struct map_face *f, struct gw *g, const struct map_face_config *c)
{
	memset(f, 0, sizeof(*f));
	f->g = g;
	if (c)
		f->cfg = *c;
	else
		map_face_config_defaults(&f->cfg);
	if (f->cfg.idle_timeout_ms <= 0 || !f->cfg.max_dialogues)
		return -EINVAL;
	f->next_otid = 0x5a000001;
	return 0;
}

static void dlg_unlink(struct map_face *f, struct map_face_dlg *d)
{
	for (struct map_face_dlg **pp = &f->dlgs; *pp; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			f->n--;
			free(d);
			return;
		}
}

void map_face_destroy(struct map_face *f)
{
	map_push_destroy(f);
	while (f->dlgs) {
		gw_release(f->g, GW_FACE_MAP, f->dlgs->key, GW_END_SHUTDOWN);
		dlg_unlink(f, f->dlgs);
	}
}

unsigned map_face_count(const struct map_face *f)
{
	return f->n;
}

static void route_from(struct mf_route *rt, const struct sig_msg *m)
{
	memset(rt, 0, sizeof(*rt));
	rt->opc = m->m3ua.pd.opc;
	rt->dpc = m->m3ua.pd.dpc;
	rt->ni = m->m3ua.pd.ni;
	rt->mp = m->m3ua.pd.mp;
	rt->sls = m->m3ua.pd.sls;
	rt->has_rctx = m->m3ua.has_rctx;
	rt->rctx = m->m3ua.rctx;
	rt->has_na = m->m3ua.has_na;
	rt->na = m->m3ua.na;
	rt->proto_class = m->sccp.proto_class;
	rt->called = m->sccp.called;
	rt->calling = m->sccp.calling;
}

/* TCAP bytes -> SCCP UDT (called/calling swapped) -> M3UA DATA (OPC/DPC swapped) -> send. */
static int send_tcap(const struct mf_route *rt, const uint8_t *tcap, size_t len,
		     map_face_send_fn send, void *ud)
{
	uint8_t sbuf[MF_MSG_MAX], mbuf[MF_MSG_MAX];
	struct sccp_msg s = {.msg_type = SCCP_MSG_UDT, .proto_class = rt->proto_class,
			     .called = rt->calling, .calling = rt->called,
			     .data = {tcap, len}};
	struct dfs_wbuf w = dfs_wbuf_init(sbuf, sizeof(sbuf));
	int rc = sccp_encode(&w, &s);
	if (rc)
		return rc;
	struct m3ua_proto_data pd = {.opc = rt->dpc, .dpc = rt->opc, .si = 3, .ni = rt->ni,
				     .mp = rt->mp, .sls = rt->sls, .user_data = {sbuf, w.len}};
	struct dfs_wbuf mw = dfs_wbuf_init(mbuf, sizeof(mbuf));
	rc = m3ua_encode_data_na(&mw, rt->has_na ? &rt->na : NULL, rt->has_rctx ? &rt->rctx : NULL,
				 &pd);
	if (rc)
		return rc;
	if (!dfs_wbuf_ok(&mw))
		return -ENOSPC;
	send(ud, mbuf, mw.len);
	return 0;
}

static int send_abort(const struct mf_route *rt, uint32_t dtid, bool provider, uint8_t cause,
		      map_face_send_fn send, void *ud)
{
	uint8_t t[64];
	struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
	int rc = provider ? map_build_p_abort(&w, dtid, cause, 0) : map_build_u_abort(&w, dtid, 0);
	if (rc)
		return rc;
	return send_tcap(rt, t, w.len, send, ud);
}

/* The tx header for our next message in dialogue d. */
static struct map_tx tx_for(struct map_face_dlg *d, uint8_t type)
{
	struct map_tx tx = {.msg_type = type, .otid = d->otid, .dtid = d->peer_otid};
	if (!d->aare_sent) {
		tx.ac = MF_AC_USSD;
		tx.ac_version = MF_AC_VERSION;
	}
	return tx;
}

/* A ReturnError for the op 59 invoke in an End. */
static int send_error(struct map_face_dlg *d, int err, map_face_send_fn send, void *ud)
{
	uint8_t t[MF_TCAP_MAX];
	struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
	struct map_tx tx = tx_for(d, TCAP_END);
	int rc = map_build_error(&w, &tx, d->inv59, err);
	if (rc)
		return rc;
	return send_tcap(&d->rt, t, w.len, send, ud);
}

/* Text -> USSD string: GSM 7-bit when every character has a code, UCS2 otherwise. */
static int encode_text(const char *text, uint8_t *dcs, uint8_t *out, size_t outsz)
{
	*dcs = MAP_FACE_DCS_GSM7;
	int n = ussd_encode_text(text, *dcs, out, outsz);
	if (n == -EINVAL) {
		*dcs = MAP_FACE_DCS_UCS2;
		n = ussd_encode_text(text, *dcs, out, outsz);
	}
	return n;
}

/* The gateway's answer to the peer: CON as op 60 Invoke in a Continue, END as the op 59
 * result in an End. Returns true when the dialogue is over. */
static bool answer(struct map_face *f, struct map_face_dlg *d, const struct gw_response *r,
		   map_face_send_fn send, void *ud)
{
	uint8_t str[USSD_MAX_OCTETS], t[MF_TCAP_MAX];
	struct map_fields mf;
	map_fields_init(&mf);
	int n = encode_text(r->text, &mf.ussd_dcs, str, sizeof(str));
	if (n <= 0) {
		send_error(d, MAP_ERR_SYSTEM_FAILURE, send, ud);
		gw_release(f->g, GW_FACE_MAP, d->key, GW_END_ERROR);
		return true;
	}
	mf.has_ussd = true;
	mf.ussd_string = (struct dfs_view){str, (size_t)n};
	struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
	int rc;
	if (r->end) {
		struct map_tx tx = tx_for(d, TCAP_END);
		rc = map_build_result(&w, &tx, d->inv59, MAP_OP_PROCESS_USS_REQUEST, &mf);
	} else {
		struct map_tx tx = tx_for(d, TCAP_CONTINUE);
		d->inv60 = (d->inv60 + 1) & 0x7f;
		rc = map_build_invoke(&w, &tx, d->inv60, MAP_OP_USS_REQUEST, &mf);
	}
	if (rc == 0)
		rc = send_tcap(&d->rt, t, w.len, send, ud);
	d->aare_sent = true;
	if (rc) {
		send_abort(&d->rt, d->peer_otid, false, 0, send, ud);
		gw_release(f->g, GW_FACE_MAP, d->key, GW_END_ERROR);
		return true;
	}
	return r->end;
}

/* The gateway's answer for dialogue d, after gw_handle. Returns true when d is over. */
static bool finish_step(struct map_face *f, struct map_face_dlg *d, int rc,
			const struct gw_response *r, map_face_send_fn send, void *ud)
{
	if (rc < 0 || r->status == GW_BAD_REQUEST || r->status == GW_UNKNOWN_SERVICE) {
		send_error(d, rc < 0 ? MAP_ERR_SYSTEM_FAILURE : MAP_ERR_UNEXPECTED_DATA_VALUE, send,
			   ud);
		gw_release(f->g, GW_FACE_MAP, d->key, GW_END_ERROR);
		return true;
	}
	return answer(f, d, r, send, ud);
}

static struct map_face_dlg *find_ours(struct map_face *f, uint32_t otid)
{
	for (struct map_face_dlg *d = f->dlgs; d; d = d->next)
		if (d->otid == otid)
			return d;
	return NULL;
}

static struct map_face_dlg *find_key(struct map_face *f, const char *key)
{
	for (struct map_face_dlg *d = f->dlgs; d; d = d->next)
		if (!strcmp(d->key, key))
			return d;
	return NULL;
}

/* Copies src when it fits whole; otherwise leaves dst empty, which the gateway refuses. */
static void copy_digits(char *dst, size_t sz, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	dst[0] = 0;
	if (n < sz) {
		memcpy(dst, src ? src : "", n);
		dst[n] = 0;
	}
}

static bool is_e2e(const struct sig_msg *m)
{
	return m->has_map && m->map.has_ussd && m->map.ussd_dcs == OTA_USSD_DCS;
}

/* GW-E2E: the secured packet in the string goes to gw_e2e_handle(); its PoR (CPI 0x71, DCS
 * 0x96) goes back as the op 59 result in an End (no parameter when the SPI asks for no PoR).
 * The dialogue is over either way; the caller unlinks it. */
static void e2e_answer(struct map_face *f, struct map_face_dlg *d, const struct sig_msg *m,
		       map_face_send_fn send, void *ud)
{
	uint8_t out[OTA_USSD_MAX], t[MF_TCAP_MAX];
	size_t outlen = 0;
	struct gw_e2e_result res;
	struct gw_e2e_request q = {.face = GW_FACE_MAP, .dialogue = d->key, .msisdn = d->msisdn,
				   .imsi = d->imsi, .network = d->network, .source = d->source,
				   .ussd = m->map.ussd_string.p, .len = m->map.ussd_string.len};
	int rc = f->cfg.e2e ? gw_e2e_handle(f->cfg.e2e, &q, out, sizeof(out), &outlen, &res)
			    : -EBADMSG;
	if (rc) {
		/* not a packet we can answer, or no applet SIM for the number */
		send_error(d, rc == -EBADMSG || rc == -ENOENT ? MAP_ERR_UNEXPECTED_DATA_VALUE
							      : MAP_ERR_SYSTEM_FAILURE,
			   send, ud);
		return;
	}
	struct map_fields mf;
	map_fields_init(&mf);
	mf.has_ussd = true;
	mf.ussd_dcs = OTA_USSD_DCS;
	mf.ussd_string = (struct dfs_view){out, outlen};
	struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
	struct map_tx tx = tx_for(d, TCAP_END);
	if (map_build_result(&w, &tx, d->inv59, MAP_OP_PROCESS_USS_REQUEST, outlen ? &mf : NULL) ==
	    0)
		send_tcap(&d->rt, t, w.len, send, ud);
	d->aare_sent = true;
}

static int on_begin(struct map_face *f, const struct sig_msg *m, const struct mf_route *rt,
		    int64_t now, map_face_send_fn send, void *ud)
{
	const struct tcap_msg *t = &m->tcap;
	const struct tcap_component *c = t->n_components ? &t->comp[0] : NULL;
	if (!t->otid.present)
		return -EBADMSG;
	if (!t->has_dialogue || !t->ac_is_map || t->map_ac != MF_AC_USSD || !c ||
	    c->type != TCAP_INVOKE || !c->has_opcode || c->opcode != MAP_OP_PROCESS_USS_REQUEST ||
	    !m->has_map || m->map_comp != 0) {
		/* not a dialogue this face serves */
		f->stat_bad++;
		return send_abort(rt, t->otid.val, false, 0, send, ud);
	}
	char key[GW_DIALOGUE_MAX];
	snprintf(key, sizeof(key), "m3ua-%u-%08x", (unsigned)rt->opc, (unsigned)t->otid.val);
	if (find_key(f, key))
		return 0; /* a repeated Begin of a dialogue under way: the first one is answered */
	if (f->n >= f->cfg.max_dialogues)
		return send_abort(rt, t->otid.val, true, TCAP_PA_RESOURCE_LIMITATION, send, ud);

	struct map_face_dlg *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->rt = *rt;
	d->peer_otid = t->otid.val;
	do
		d->otid = f->next_otid++;
	while (!d->otid || find_ours(f, d->otid));
	snprintf(d->key, sizeof(d->key), "%s", key);
	d->inv59 = c->invoke_id;
	d->inv60 = 0;
	d->last_ms = now;
	d->next = f->dlgs;
	f->dlgs = d;
	f->n++;

	/* identities: IMSI from MAP-OpenInfo destinationReference, MSISDN from the argument or
	 * originationReference (TS 29.002 17.1.2, 11.1.1) */
	if (t->has_open_info)
		copy_digits(d->imsi, sizeof(d->imsi), t->dest_ref);
	copy_digits(d->msisdn, sizeof(d->msisdn),
		    m->map.msisdn.present ? m->map.msisdn.digits
					  : (t->has_open_info ? t->orig_ref : ""));
	if (f->cfg.network[0])
		copy_digits(d->network, sizeof(d->network), f->cfg.network);
	else
		snprintf(d->network, sizeof(d->network), "%.5s", d->imsi[0] ? d->imsi : "0");
	if (rt->calling.digits[0])
		snprintf(d->source, sizeof(d->source), "gt-%s", rt->calling.digits);
	else
		snprintf(d->source, sizeof(d->source), "pc-%u", (unsigned)rt->opc);

	if (is_e2e(m)) {
		e2e_answer(f, d, m, send, ud);
		dlg_unlink(f, d);
		return 0;
	}
	char text[SCREEN_MAX_BYTES];
	int n = m->map.has_ussd ? ussd_decode_text(m->map.ussd_dcs, m->map.ussd_string.p,
						   m->map.ussd_string.len, text, sizeof(text))
				: -EINVAL;
	if (n < 0) {
		send_error(d, n == -EINVAL || n == -ENOSPC ? MAP_ERR_UNEXPECTED_DATA_VALUE
							   : MAP_ERR_UNKNOWN_ALPHABET,
			   send, ud);
		dlg_unlink(f, d);
		return 0;
	}
	copy_digits(d->service, sizeof(d->service), text);
	struct gw_request q = {.face = GW_FACE_MAP, .dialogue = d->key, .msisdn = d->msisdn,
			       .imsi = d->imsi, .service_code = d->service, .network = d->network,
			       .source = d->source, .text = "", .cumulative = false};
	struct gw_response r;
	int rc = gw_handle(f->g, &q, &r);
	if (finish_step(f, d, rc, &r, send, ud))
		dlg_unlink(f, d);
	return 0;
}

static int on_continue(struct map_face *f, const struct sig_msg *m, const struct mf_route *rt,
		       int64_t now, map_face_send_fn send, void *ud)
{
	const struct tcap_msg *t = &m->tcap;
	struct map_face_dlg *d = t->dtid.present ? find_ours(f, t->dtid.val) : NULL;
	if (!d) {
		if (t->otid.present)
			return send_abort(rt, t->otid.val, true, TCAP_PA_UNRECOGNIZED_TID, send, ud);
		return 0;
	}
	d->last_ms = now;
	const struct tcap_component *c = t->n_components ? &t->comp[0] : NULL;
	bool is_reply = c && (c->type == TCAP_RESULT_L || c->type == TCAP_RESULT_NL) &&
			c->has_invoke_id && c->invoke_id == d->inv60 && m->has_map &&
			m->map_comp == 0 && m->map.has_ussd;
	if (!is_reply) {
		/* a ReturnError, Reject or anything else instead of the user's answer: the
		 * dialogue cannot go on */
		send_abort(&d->rt, d->peer_otid, false, 0, send, ud);
		gw_release(f->g, GW_FACE_MAP, d->key, GW_END_ABORT);
		dlg_unlink(f, d);
		return 0;
	}
	if (is_e2e(m)) {
		/* the applet answered a menu with a secured packet: the menu session ends, the
		 * packet is handled on its own and its PoR ends the dialogue */
		gw_release(f->g, GW_FACE_MAP, d->key, GW_END_NORMAL);
		e2e_answer(f, d, m, send, ud);
		dlg_unlink(f, d);
		return 0;
	}
	char text[SCREEN_MAX_BYTES];
	int n = ussd_decode_text(m->map.ussd_dcs, m->map.ussd_string.p, m->map.ussd_string.len,
				 text, sizeof(text));
	if (n < 0) {
		send_error(d, MAP_ERR_UNKNOWN_ALPHABET, send, ud);
		gw_release(f->g, GW_FACE_MAP, d->key, GW_END_ERROR);
		dlg_unlink(f, d);
		return 0;
	}
	struct gw_request q = {.face = GW_FACE_MAP, .dialogue = d->key, .msisdn = d->msisdn,
			       .imsi = d->imsi, .service_code = d->service, .network = d->network,
			       .source = d->source, .text = text, .cumulative = false};
	struct gw_response r;
	int rc = gw_handle(f->g, &q, &r);
	if (finish_step(f, d, rc, &r, send, ud))
		dlg_unlink(f, d);
	return 0;
}

int map_face_input(struct map_face *f, const uint8_t *p, size_t len, int64_t now_ms,
		   map_face_send_fn send, void *ud)
{
	struct sig_msg *m = calloc(1, sizeof(*m));
	struct dfs_err e;
	if (!m)
		return -ENOMEM;
	f->stat_in++;
	int rc = sig_decode_m3ua(p, len, m, &e);
	if (rc == 0 && (!m->has_m3ua || !m->m3ua.has_proto_data || !m->has_sccp || !m->has_tcap))
		rc = -EBADMSG;
	if (rc) {
		f->stat_bad++;
		free(m);
		return -EBADMSG;
	}
	struct mf_route rt;
	route_from(&rt, m);
	const struct tcap_msg *t = &m->tcap;
	struct map_face_dlg *d;
	if (t->msg_type != TCAP_BEGIN && t->dtid.present && map_push_owns(f, t->dtid.val)) {
		/* an answer in one of our own dialogues (map_push.c) */
		rc = map_push_input(f, m, now_ms, send, ud);
		free(m);
		return rc;
	}
	switch (t->msg_type) {
	case TCAP_BEGIN:
		rc = on_begin(f, m, &rt, now_ms, send, ud);
		break;
	case TCAP_CONTINUE:
		rc = on_continue(f, m, &rt, now_ms, send, ud);
		break;
	case TCAP_END:
	case TCAP_ABORT:
		/* the peer closed the dialogue (user cancel, MSC release): void the session */
		d = t->dtid.present ? find_ours(f, t->dtid.val) : NULL;
		if (d) {
			gw_release(f->g, GW_FACE_MAP, d->key, GW_END_ABORT);
			dlg_unlink(f, d);
		}
		break;
	default:
		break;
	}
	free(m);
	return rc;
}

unsigned map_face_sweep(struct map_face *f, int64_t now_ms, map_face_send_fn send, void *ud)
{
	unsigned ended = 0;
	struct map_face_dlg **pp = &f->dlgs;
	while (*pp) {
		struct map_face_dlg *d = *pp;
		if (now_ms - d->last_ms <= f->cfg.idle_timeout_ms) {
			pp = &d->next;
			continue;
		}
		send_abort(&d->rt, d->peer_otid, false, 0, send, ud);
		gw_release(f->g, GW_FACE_MAP, d->key, GW_END_TIMEOUT);
		*pp = d->next;
		f->n--;
		free(d);
		f->stat_timeouts++;
		ended++;
	}
	return ended + map_push_sweep(f, now_ms, send, ud);
}

/* --- for map_push.c --- */

int mf_send_tcap(const struct mf_route *rt, const uint8_t *tcap, size_t len,
		 map_face_send_fn send, void *ud)
{
	return send_tcap(rt, tcap, len, send, ud);
}

int mf_encode_text(const char *text, uint8_t *dcs, uint8_t *out, size_t outsz)
{
	return encode_text(text, dcs, out, outsz);
}
