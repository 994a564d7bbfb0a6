/* Network-initiated USSD on the MAP face (map_face.h: map_face_push): the gateway, as gsmSCF,
 * opens a networkUnstructuredSsContext-v2 dialogue towards the HLR for an application's
 * unstructuredSS-Notify (61) or unstructuredSS-Request (60), TS 29.002 11.9 / 11.10 and
 * TS 24.090 5 / 6, and reports how it ended. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gsm0338.h"
#include "map.h"
#include "map_face_priv.h"
#include "sccp.h"
#include "simswap.h"
#include "tcap.h"

#define MP_AC_USSD 19 /* networkUnstructuredSsContext */
#define MP_AC_VERSION 2
#define MP_TCAP_MAX 512
#define MP_INVOKE_ID 1
#define MP_DEFAULT_MAX 1000
#define MP_UDT_DATA_MAX 255 /* SCCP UDT data length is one octet (Q.713 4.10) */
/* AddressString TON/NPI octets (TS 29.002 17.7.8): extension bit set */
#define MP_TON_NPI_E164 0x91 /* international number, ISDN/telephony (E.164) */
#define MP_TON_NPI_E212 0x96 /* international number, land mobile (E.212): an IMSI */

const struct value_string map_push_type_names[] = {
	{MAP_PUSH_NOTIFY, "notify"},
	{MAP_PUSH_REQUEST, "prompt"},
	{0, NULL},
};

const struct value_string map_push_result_names[] = {
	{MAP_PUSH_DELIVERED, "delivered"},
	{MAP_PUSH_ANSWERED, "answered"},
	{MAP_PUSH_ERROR, "error"},
	{MAP_PUSH_ABORTED, "aborted"},
	{MAP_PUSH_REJECTED, "rejected"},
	{MAP_PUSH_TIMEOUT, "timeout"},
	{MAP_PUSH_CANCELLED, "cancelled"},
	{0, NULL},
};

struct map_push_dlg {
	struct map_push_dlg *next;
	uint32_t otid;      /* ours */
	uint32_t peer_otid; /* the HLR's, from its first Continue */
	bool peer_known;
	enum map_push_type type;
	bool invoke_pending; /* opened with an empty Begin: the invoke goes in our Continue */
	uint8_t dcs, str_len, str[USSD_MAX_OCTETS];
	char msisdn[16];     /* in the argument when the IMSI is unknown, else "" */
	int64_t last_ms;
	map_push_done_fn done;
	void *ud;
};

/* Our routing as if the HLR had sent to us: mf_send_tcap swaps it on the way out. */
static void push_route(const struct map_face *f, const struct map_push_dlg *d,
		       struct mf_route *rt)
{
	const struct map_face_config *c = &f->cfg;
	memset(rt, 0, sizeof(*rt));
	rt->opc = c->hlr_pc;
	rt->dpc = c->pc;
	rt->ni = c->ni;
	rt->sls = (uint8_t)(d->otid & 0x0f); /* one SLS per dialogue keeps its messages in order */
	rt->proto_class = 0x81;               /* class 1, return on error (Q.713 3.6) */
	rt->has_rctx = c->has_rctx;
	rt->rctx = c->rctx;
	sccp_addr_gt(&rt->called, c->gt, SCCP_SSN_GSMSCF);
	sccp_addr_gt(&rt->calling, c->hlr_gt, SCCP_SSN_HLR);
}

static struct map_push_dlg *find_push(const struct map_face *f, uint32_t otid)
{
	for (struct map_push_dlg *d = f->pushes; d; d = d->next)
		if (d->otid == otid)
			return d;
	return NULL;
}

bool map_push_owns(const struct map_face *f, uint32_t otid)
{
	return find_push(f, otid) != NULL;
}

unsigned map_face_push_count(const struct map_face *f)
{
	return f->n_pushes;
}

static void unlink_push(struct map_face *f, struct map_push_dlg *d)
{
	for (struct map_push_dlg **pp = &f->pushes; *pp; pp = &(*pp)->next)
		if (*pp == d) {
			*pp = d->next;
			f->n_pushes--;
			return;
		}
}

/* The dialogue is over for us: unlink, report, free. */
static void finish(struct map_face *f, struct map_push_dlg *d, struct map_push_outcome *o)
{
	unlink_push(f, d);
	if (o->result == MAP_PUSH_DELIVERED || o->result == MAP_PUSH_ANSWERED)
		f->stat_push_ok++;
	else
		f->stat_push_failed++;
	d->done(d->ud, o);
	free(d);
}

static void finish_result(struct map_face *f, struct map_push_dlg *d, enum map_push_result r)
{
	struct map_push_outcome o = {.result = r};
	finish(f, d, &o);
}

/* Our Invoke of op 60/61 with USSD-Arg (TS 29.002 17.7.4): DCS, string, and the MSISDN when
 * the IMSI is not known (the HLR then finds the subscriber by it). */
static int build_invoke(const struct map_push_dlg *d, const struct map_tx *tx,
			struct dfs_wbuf *w)
{
	struct map_fields mf;
	map_fields_init(&mf);
	mf.has_ussd = true;
	mf.ussd_dcs = d->dcs;
	mf.ussd_string = (struct dfs_view){d->str, d->str_len};
	if (d->msisdn[0]) {
		mf.msisdn.present = true;
		mf.msisdn.ton_npi = MP_TON_NPI_E164;
		snprintf(mf.msisdn.digits, sizeof(mf.msisdn.digits), "%s", d->msisdn);
	}
	int op = d->type == MAP_PUSH_NOTIFY ? MAP_OP_USS_NOTIFY : MAP_OP_USS_REQUEST;
	return map_build_invoke(w, tx, MP_INVOKE_ID, op, &mf);
}

int map_face_push(struct map_face *f, const struct map_push *req, int64_t now_ms,
		  map_face_send_fn send, void *ud)
{
	const struct map_face_config *c = &f->cfg;
	if (!c->gt[0] || !c->hlr_gt[0])
		return -ENOTCONN;
	bool have_imsi = req->imsi && req->imsi[0];
	if (!req->done || !req->msisdn || !simswap_valid_msisdn(req->msisdn) ||
	    (have_imsi && !simswap_valid_imsi(req->imsi)) || !req->text ||
	    (req->type != MAP_PUSH_NOTIFY && req->type != MAP_PUSH_REQUEST) ||
	    !screen_fits(req->text))
		return -EINVAL;
	if (f->n_pushes >= (c->max_pushes ? c->max_pushes : MP_DEFAULT_MAX))
		return -EBUSY;

	struct map_push_dlg *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	int n = mf_encode_text(req->text, &d->dcs, d->str, sizeof(d->str));
	if (n <= 0) {
		free(d);
		return -EINVAL;
	}
	d->str_len = (uint8_t)n;
	if (!have_imsi)
		snprintf(d->msisdn, sizeof(d->msisdn), "%s", req->msisdn);
	do
		d->otid = f->next_otid++;
	while (!d->otid || find_push(f, d->otid));
	d->type = req->type;
	d->last_ms = now_ms;
	d->done = req->done;
	d->ud = req->ud;

	/* MAP-OpenInfo (TS 29.002 17.1.2): destinationReference the IMSI, originatingReference
	 * our gsmSCF address */
	uint8_t t[MP_TCAP_MAX];
	struct map_tx tx = {.msg_type = TCAP_BEGIN, .otid = d->otid, .ac = MP_AC_USSD,
			    .ac_version = MP_AC_VERSION, .open_info = true,
			    .dest_ref = have_imsi ? req->imsi : "", .orig_ref = c->gt,
			    .dest_ref_ton_npi = MP_TON_NPI_E212, .orig_ref_ton_npi = MP_TON_NPI_E164};
	struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
	int rc = build_invoke(d, &tx, &w);
	if (rc == 0 && w.len > MP_UDT_DATA_MAX) {
		/* a long text does not fit in one UDT with the dialogue portion: open first */
		w = dfs_wbuf_init(t, sizeof(t));
		rc = map_build_open(&w, &tx);
		d->invoke_pending = true;
	}
	struct mf_route rt;
	push_route(f, d, &rt);
	if (rc == 0)
		rc = mf_send_tcap(&rt, t, w.len, send, ud);
	if (rc) {
		free(d);
		return rc == -ENOSPC ? -EINVAL : rc;
	}
	d->next = f->pushes;
	f->pushes = d;
	f->n_pushes++;
	f->stat_pushes++;
	return 0;
}

/* Close our side of a dialogue the HLR left open: a basic End, or a U-Abort when what came
 * was not an answer we can accept. */
static void close_peer(struct map_face *f, struct map_push_dlg *d, bool abort,
		       map_face_send_fn send, void *ud)
{
	uint8_t t[64];
	struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
	int rc = abort ? map_build_u_abort(&w, d->peer_otid, 0) : map_build_end(&w, d->peer_otid, 0);
	struct mf_route rt;
	push_route(f, d, &rt);
	if (rc == 0)
		mf_send_tcap(&rt, t, w.len, send, ud);
}

/* What the first component of an End / Continue says about our invoke. */
static bool judge(const struct map_push_dlg *d, const struct sig_msg *m,
		  struct map_push_outcome *o)
{
	const struct tcap_component *c = &m->tcap.comp[0];
	bool ours = c->has_invoke_id && c->invoke_id == MP_INVOKE_ID;
	memset(o, 0, sizeof(*o));
	o->result = MAP_PUSH_REJECTED;
	if (!ours)
		return false;
	switch (c->type) {
	case TCAP_RESULT_L:
	case TCAP_RESULT_NL:
		if (d->type == MAP_PUSH_NOTIFY) {
			o->result = MAP_PUSH_DELIVERED;
			return true;
		}
		/* USSD-Res: the subscriber's answer, decoded per its DCS */
		if (!m->has_map || m->map_comp != 0 || !m->map.has_ussd ||
		    ussd_decode_text(m->map.ussd_dcs, m->map.ussd_string.p, m->map.ussd_string.len,
				     o->text, sizeof(o->text)) < 0) {
			o->text[0] = 0;
			return false;
		}
		o->result = MAP_PUSH_ANSWERED;
		return true;
	case TCAP_ERROR:
		if (!c->has_error_code)
			return false;
		o->result = MAP_PUSH_ERROR;
		o->map_error = c->error_code;
		return true;
	default:
		return false; /* a Reject, or an Invoke we do not serve */
	}
}

int map_push_input(struct map_face *f, const struct sig_msg *m, int64_t now_ms,
		   map_face_send_fn send, void *ud)
{
	const struct tcap_msg *t = &m->tcap;
	struct map_push_dlg *d = find_push(f, t->dtid.val);
	if (!d)
		return 0;
	d->last_ms = now_ms;
	if (t->msg_type == TCAP_ABORT) {
		/* U-Abort, a refused dialogue (AARE reject in an Abort) or a P-Abort */
		struct map_push_outcome o = {.result = MAP_PUSH_ABORTED,
					     .provider_abort = t->has_p_abort,
					     .p_abort_cause = t->p_abort_cause};
		finish(f, d, &o);
		return 0;
	}
	if (t->msg_type != TCAP_CONTINUE && t->msg_type != TCAP_END)
		return 0;
	bool open = t->msg_type == TCAP_CONTINUE;
	if (open && !d->peer_known) {
		if (!t->otid.present)
			return -EBADMSG;
		d->peer_otid = t->otid.val;
		d->peer_known = true;
	}
	if (!t->n_components && open && d->invoke_pending) {
		/* the HLR accepted our empty Begin: now the invoke */
		uint8_t b[MP_TCAP_MAX];
		struct map_tx tx = {.msg_type = TCAP_CONTINUE, .otid = d->otid, .dtid = d->peer_otid};
		struct dfs_wbuf w = dfs_wbuf_init(b, sizeof(b));
		struct mf_route rt;
		push_route(f, d, &rt);
		d->invoke_pending = false;
		if (build_invoke(d, &tx, &w) || mf_send_tcap(&rt, b, w.len, send, ud)) {
			close_peer(f, d, true, send, ud);
			finish_result(f, d, MAP_PUSH_REJECTED);
		}
		return 0;
	}
	if (!t->n_components) {
		if (open)
			return 0; /* the dialogue accepted (AARE), the answer is still to come */
		finish_result(f, d, MAP_PUSH_ABORTED); /* closed without an answer */
		return 0;
	}
	struct map_push_outcome *o = malloc(sizeof(*o));
	if (!o)
		return -ENOMEM;
	bool accepted = judge(d, m, o);
	if (open)
		close_peer(f, d, !accepted, send, ud);
	finish(f, d, o);
	free(o);
	return 0;
}

unsigned map_push_sweep(struct map_face *f, int64_t now_ms, map_face_send_fn send, void *ud)
{
	unsigned ended = 0;
	struct map_push_dlg *d = f->pushes, *next;
	for (; d; d = next) {
		next = d->next;
		if (now_ms - d->last_ms <= f->cfg.idle_timeout_ms)
			continue;
		/* without the HLR's transaction id there is no one to address: its own timer
		 * ends its side */
		if (d->peer_known)
			close_peer(f, d, true, send, ud);
		f->stat_timeouts++;
		finish_result(f, d, MAP_PUSH_TIMEOUT);
		ended++;
	}
	return ended;
}

void map_push_destroy(struct map_face *f)
{
	while (f->pushes)
		finish_result(f, f->pushes, MAP_PUSH_CANCELLED);
}
