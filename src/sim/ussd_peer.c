/* Live USSD peer: MSC + HLR towards a gateway's MAP face (ussd_peer.h). */
#include "ussd_peer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "evloop.h"
#include "gsm0338.h"
#include "m3ua.h"
#include "m3ua_asp.h"
#include "map.h"
#include "sccp.h"
#include "tcap.h"
#include "value_string.h"

#define UP_AC_USSD 19 /* networkUnstructuredSsContext */
#define UP_AC_VERSION 2
#define UP_TCAP_MAX 512
#define UP_MSG_MAX 1024
#define UP_TICK_MS 100
#define UP_NI_TID 0x80000000u /* our transaction ids in gateway-initiated dialogues */
#define UP_TEXT_MAX 1024

const struct value_string ussd_peer_outcome_names[] = {
	{USSD_PEER_END, "end"},		  {USSD_PEER_ERROR, "error"},
	{USSD_PEER_ABORT, "abort"},	  {USSD_PEER_TIMEOUT, "timeout"},
	{USSD_PEER_EXHAUSTED, "exhausted"}, {USSD_PEER_PROTOCOL, "protocol"},
	{USSD_PEER_LINK, "link"},	  {0, NULL},
};

struct up_dlg {
	bool used;
	uint32_t gen;
	uint32_t otid;     /* ours: gen << slot_bits | slot, top bit clear */
	uint32_t peer_tid; /* the gateway's, from its first answer */
	bool have_peer;
	uint8_t sls;
	uint8_t dcs;
	bool raw;
	char inputs[USSD_PEER_INPUTS_MAX][64];
	unsigned n_inputs, next;
	int inv60; /* invoke id of the gateway's pending op 60 */
	uint64_t sent_us;
	uint64_t deadline_ms;
	void *ud;
};

struct ussd_peer {
	struct tp_net *net;
	struct ussd_peer_cfg cfg;
	struct ussd_peer_cbs cbs;
	void *ud;
	struct m3ua_link *asp;
	bool active;
	uint64_t timer;
	struct up_dlg *dlgs;
	unsigned n_used;
	unsigned scan; /* next slot to try when allocating */
	unsigned slot_bits;
	uint32_t ni_next;
	struct sig_msg *m; /* decode scratch */
};

static uint64_t mono_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* TCAP bytes -> SCCP UDT (HLR -> gsmSCF) -> M3UA DATA -> the ASP link. */
static int send_tcap(struct ussd_peer *p, uint8_t sls, const uint8_t *tcap, size_t len)
{
	uint8_t sb[UP_MSG_MAX], mb[UP_MSG_MAX];
	struct sccp_msg s = {.msg_type = SCCP_MSG_UDT, .proto_class = 0x81, .data = {tcap, len}};
	sccp_addr_gt(&s.called, p->cfg.scf_gt, SCCP_SSN_GSMSCF);
	sccp_addr_gt(&s.calling, p->cfg.hlr_gt, SCCP_SSN_HLR);
	struct dfs_wbuf w = dfs_wbuf_init(sb, sizeof(sb));
	int rc = sccp_encode(&w, &s);
	if (rc)
		return rc;
	struct m3ua_proto_data pd = {.opc = p->cfg.opc, .dpc = p->cfg.dpc, .si = 3,
				     .ni = p->cfg.ni, .sls = sls, .user_data = {sb, w.len}};
	struct dfs_wbuf mw = dfs_wbuf_init(mb, sizeof(mb));
	rc = m3ua_encode_data(&mw, p->cfg.has_rctx ? &p->cfg.rctx : NULL, &pd);
	if (rc)
		return rc;
	if (!dfs_wbuf_ok(&mw))
		return -ENOSPC;
	return m3ua_link_send(p->asp, mb, mw.len, m3ua_link_stream_for_sls(p->asp, sls));
}

static void u_abort(struct ussd_peer *p, uint8_t sls, uint32_t dtid)
{
	uint8_t t[64];
	struct dfs_wbuf w = dfs_wbuf_init(t, sizeof(t));
	if (map_build_u_abort(&w, dtid, 0) == 0)
		send_tcap(p, sls, t, w.len);
}

static void finish(struct ussd_peer *p, struct up_dlg *d, enum ussd_peer_outcome o,
		   const char *detail)
{
	void *ud = d->ud;
	d->used = false;
	p->n_used--;
	if (p->cbs.on_done)
		p->cbs.on_done(p, ud, o, detail);
}

static int fill_string(struct map_fields *f, uint8_t dcs, const char *text, uint8_t *buf)
{
	map_fields_init(f);
	int n = ussd_encode_text(text, dcs, buf, USSD_MAX_OCTETS);
	if (n <= 0)
		return -EINVAL;
	f->has_ussd = true;
	f->ussd_dcs = dcs;
	f->ussd_string = (struct dfs_view){buf, (size_t)n};
	return 0;
}

/* The USSD string of the decoded message as text (hex for 8-bit data such as DCS 0x96). */
static void string_text(const struct sig_msg *m, char *out, size_t sz)
{
	out[0] = 0;
	if (!m->has_map || !m->map.has_ussd)
		return;
	const struct map_fields *f = &m->map;
	if (f->ussd_dcs == 0x96 || ussd_decode_text(f->ussd_dcs, f->ussd_string.p,
						      f->ussd_string.len, out, sz) < 0) {
		size_t k = 0;
		for (size_t i = 0; i < f->ussd_string.len && k + 3 < sz; i++, k += 2)
			snprintf(out + k, 3, "%02x", f->ussd_string.p[i]);
		out[k] = 0;
	}
}

static void on_state(struct m3ua_link *lk, enum m3ua_asp_state old, enum m3ua_asp_state now,
		     void *ud)
{
	(void)lk, (void)old;
	struct ussd_peer *p = ud;
	bool act = now == M3UA_ASP_ACTIVE;
	if (act == p->active)
		return;
	p->active = act;
	if (!act)
		for (unsigned i = 0; i < p->cfg.max_dialogues; i++)
			if (p->dlgs[i].used)
				finish(p, &p->dlgs[i], USSD_PEER_LINK, "the M3UA ASP is no longer active");
	if (p->cbs.on_link)
		p->cbs.on_link(p, act);
}

static struct up_dlg *find(struct ussd_peer *p, uint32_t tid)
{
	unsigned slot = tid & ((1u << p->slot_bits) - 1);
	if (tid & UP_NI_TID || slot >= p->cfg.max_dialogues)
		return NULL;
	struct up_dlg *d = &p->dlgs[slot];
	return d->used && d->otid == tid ? d : NULL;
}

/* A gateway-initiated invoke (op 60 / 61): report it and answer with its ReturnResult. */
static void ni_invoke(struct ussd_peer *p, const struct sig_msg *m, bool begin, uint32_t ours)
{
	const struct tcap_msg *t = &m->tcap;
	const struct tcap_component *c = &t->comp[0];
	char text[UP_TEXT_MAX];
	string_text(m, text, sizeof(text));
	if (p->cbs.on_ni)
		p->cbs.on_ni(p, c->opcode, t->has_open_info ? t->dest_ref : "", text);
	uint8_t tb[UP_TCAP_MAX], str[USSD_MAX_OCTETS];
	struct dfs_wbuf w = dfs_wbuf_init(tb, sizeof(tb));
	struct map_tx tx = {.otid = ours, .dtid = t->otid.val};
	if (begin) {
		tx.ac = UP_AC_USSD;
		tx.ac_version = UP_AC_VERSION;
	}
	int rc;
	if (c->opcode == MAP_OP_USS_NOTIFY) {
		/* TS 24.090 4.2: the notification is acknowledged; a Begin's dialogue ends here */
		tx.msg_type = begin ? TCAP_END : TCAP_CONTINUE;
		rc = map_build_result(&w, &tx, c->invoke_id, MAP_OP_USS_NOTIFY, NULL);
	} else {
		struct map_fields f;
		tx.msg_type = TCAP_CONTINUE;
		rc = fill_string(&f, USSD_PEER_DCS_GSM7, p->cfg.ni_reply, str);
		if (rc == 0)
			rc = map_build_result(&w, &tx, c->invoke_id, MAP_OP_USS_REQUEST, &f);
	}
	if (rc == 0)
		send_tcap(p, (uint8_t)(t->otid.val & 0x0f), tb, w.len);
}

static bool is_ni_invoke(const struct sig_msg *m)
{
	const struct tcap_msg *t = &m->tcap;
	return t->otid.present && t->n_components && t->comp[0].type == TCAP_INVOKE &&
	       t->comp[0].has_opcode &&
	       (t->comp[0].opcode == MAP_OP_USS_NOTIFY || t->comp[0].opcode == MAP_OP_USS_REQUEST);
}

/* A gateway's Begin with only the dialogue portion (the invoke did not fit in it, TS 29.002
 * 15.6.3): networkUnstructuredSsContext-v2 asked for. */
static bool is_ni_open(const struct sig_msg *m)
{
	const struct tcap_msg *t = &m->tcap;
	return t->has_dialogue && t->ac_is_map && t->map_ac == UP_AC_USSD;
}

/* Accept it: a Continue with the AARE; the invoke then comes in the gateway's Continue. */
static void ni_accept(struct ussd_peer *p, const struct sig_msg *m, uint32_t ours)
{
	const struct tcap_msg *t = &m->tcap;
	uint8_t tb[UP_TCAP_MAX];
	struct dfs_wbuf w = dfs_wbuf_init(tb, sizeof(tb));
	struct map_tx tx = {.msg_type = TCAP_CONTINUE, .otid = ours, .dtid = t->otid.val,
			    .ac = UP_AC_USSD, .ac_version = UP_AC_VERSION};
	if (map_build_open(&w, &tx) == 0)
		send_tcap(p, (uint8_t)(t->otid.val & 0x0f), tb, w.len);
}

/* The next input as the op 60 ReturnResult, or a U-Abort when there is none. */
static void next_step(struct ussd_peer *p, struct up_dlg *d)
{
	if (d->next >= d->n_inputs) {
		u_abort(p, d->sls, d->peer_tid);
		finish(p, d, USSD_PEER_EXHAUSTED, "the gateway asked for more input than given");
		return;
	}
	uint8_t tb[UP_TCAP_MAX], str[USSD_MAX_OCTETS];
	struct map_fields f;
	struct map_tx tx = {.msg_type = TCAP_CONTINUE, .otid = d->otid, .dtid = d->peer_tid};
	struct dfs_wbuf w = dfs_wbuf_init(tb, sizeof(tb));
	int rc = fill_string(&f, d->dcs, d->inputs[d->next++], str);
	if (rc == 0)
		rc = map_build_result(&w, &tx, d->inv60, MAP_OP_USS_REQUEST, &f);
	d->sent_us = mono_us();
	d->deadline_ms = evloop_now_ms() + p->cfg.step_timeout_ms;
	if (rc == 0)
		rc = send_tcap(p, d->sls, tb, w.len);
	if (rc) {
		u_abort(p, d->sls, d->peer_tid);
		finish(p, d, USSD_PEER_PROTOCOL, "cannot send the next input");
	}
}

static void on_dialogue_msg(struct ussd_peer *p, struct up_dlg *d, const struct sig_msg *m)
{
	const struct tcap_msg *t = &m->tcap;
	const struct tcap_component *c = t->n_components ? &t->comp[0] : NULL;
	uint64_t step_us = mono_us() - d->sent_us;
	char text[UP_TEXT_MAX], detail[128];
	string_text(m, text, sizeof(text));
	if (t->msg_type == TCAP_ABORT) {
		if (t->has_p_abort)
			snprintf(detail, sizeof(detail), "P-Abort: %s",
				 tcap_p_abort_cause_name(t->p_abort_cause));
		else
			snprintf(detail, sizeof(detail), "U-Abort from the gateway");
		finish(p, d, USSD_PEER_ABORT, detail);
		return;
	}
	if (t->msg_type == TCAP_CONTINUE) {
		if (!d->have_peer && t->otid.present) {
			d->peer_tid = t->otid.val;
			d->have_peer = true;
		}
		if (c && c->type == TCAP_INVOKE && c->has_opcode &&
		    c->opcode == MAP_OP_USS_REQUEST && m->has_map && m->map.has_ussd) {
			d->inv60 = c->invoke_id;
			if (p->cbs.on_screen)
				p->cbs.on_screen(p, d->ud, text, false, step_us);
			next_step(p, d);
			return;
		}
		u_abort(p, d->sls, d->peer_tid);
		finish(p, d, USSD_PEER_PROTOCOL, "Continue without unstructuredSS-Request");
		return;
	}
	if (t->msg_type != TCAP_END) {
		finish(p, d, USSD_PEER_PROTOCOL, "unexpected TCAP message");
		return;
	}
	if (c && (c->type == TCAP_RESULT_L || c->type == TCAP_RESULT_NL) && m->has_map &&
	    m->map.has_ussd) {
		if (p->cbs.on_screen)
			p->cbs.on_screen(p, d->ud, text, true, step_us);
		finish(p, d, USSD_PEER_END, "");
	} else if (c && c->type == TCAP_ERROR) {
		snprintf(detail, sizeof(detail), "ReturnError %d (%s)", (int)c->error_code,
			 map_error_name(c->error_code));
		finish(p, d, USSD_PEER_ERROR, detail);
	} else if (c && c->type == TCAP_REJECT) {
		snprintf(detail, sizeof(detail), "Reject problem %d", (int)c->problem_code);
		finish(p, d, USSD_PEER_PROTOCOL, detail);
	} else {
		finish(p, d, USSD_PEER_PROTOCOL, "End without the processUnstructuredSS result");
	}
}

static void on_data(struct m3ua_link *lk, const uint8_t *msg, size_t len, const struct m3ua_msg *mm,
		    uint16_t stream, void *ud)
{
	(void)lk, (void)mm, (void)stream;
	struct ussd_peer *p = ud;
	struct sig_msg *m = p->m;
	struct dfs_err e;
	memset(m, 0, sizeof(*m));
	if (sig_decode_m3ua(msg, len, m, &e) || !m->has_tcap)
		return; /* not ours to answer: the gateway's own errors are its business */
	const struct tcap_msg *t = &m->tcap;
	if (t->msg_type == TCAP_BEGIN) {
		uint32_t ours = UP_NI_TID | (p->ni_next++ & 0x7fffffff);
		if (is_ni_invoke(m))
			ni_invoke(p, m, true, ours);
		else if (t->otid.present && !t->n_components && is_ni_open(m))
			ni_accept(p, m, ours);
		else if (t->otid.present)
			u_abort(p, (uint8_t)(t->otid.val & 0x0f), t->otid.val);
		return;
	}
	if (!t->dtid.present)
		return;
	if (t->dtid.val & UP_NI_TID) {
		/* a later message of a gateway-initiated dialogue: stateless answers */
		if (t->msg_type == TCAP_CONTINUE && is_ni_invoke(m))
			ni_invoke(p, m, false, t->dtid.val);
		return;
	}
	struct up_dlg *d = find(p, t->dtid.val);
	if (d)
		on_dialogue_msg(p, d, m);
}

static int tick(struct evloop *l, uint64_t id, void *ud)
{
	(void)l, (void)id;
	struct ussd_peer *p = ud;
	uint64_t now = evloop_now_ms();
	for (unsigned i = 0; i < p->cfg.max_dialogues && p->n_used; i++) {
		struct up_dlg *d = &p->dlgs[i];
		if (!d->used || now < d->deadline_ms)
			continue;
		if (d->have_peer)
			u_abort(p, d->sls, d->peer_tid);
		finish(p, d, USSD_PEER_TIMEOUT, "no answer from the gateway in time");
	}
	return UP_TICK_MS;
}

static const struct m3ua_cbs peer_cbs = {.on_data = on_data, .on_state = on_state};

struct ussd_peer *ussd_peer_new(struct tp_net *net, const struct ussd_peer_cfg *cfg,
				const struct ussd_peer_cbs *cbs, void *ud, char *err, size_t errsz)
{
	struct ussd_peer *p = calloc(1, sizeof(*p));
	if (!p || !(p->m = calloc(1, sizeof(*p->m)))) {
		free(p);
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	p->net = net;
	p->cfg = *cfg;
	if (cbs)
		p->cbs = *cbs;
	p->ud = ud;
	struct ussd_peer_cfg *c = &p->cfg;
	if (!c->opc)
		c->opc = 100;
	if (!c->dpc)
		c->dpc = 200;
	if (!c->ni)
		c->ni = 2;
	if (!c->hlr_gt[0])
		snprintf(c->hlr_gt, sizeof(c->hlr_gt), "254722000100");
	if (!c->scf_gt[0])
		snprintf(c->scf_gt, sizeof(c->scf_gt), "254722000900");
	if (!c->max_dialogues)
		c->max_dialogues = 1024;
	if (!c->step_timeout_ms)
		c->step_timeout_ms = 10000;
	if (!c->ni_reply)
		c->ni_reply = "1";
	if (c->max_dialogues > 0xffff) {
		snprintf(err, errsz, "max_dialogues: at most 65535");
		goto fail;
	}
	if (sodium_init() < 0) {
		snprintf(err, errsz, "libsodium cannot initialise");
		goto fail;
	}
	if (!(p->dlgs = calloc(c->max_dialogues, sizeof(*p->dlgs)))) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	while ((1u << p->slot_bits) < c->max_dialogues)
		p->slot_bits++;
	/* transaction ids differ between peers and runs: the gateway keys its sessions by them
	 * and remembers ended ones, so each slot's generation starts at a random value */
	for (unsigned i = 0; i < c->max_dialogues; i++)
		p->dlgs[i].gen = randombytes_random();
	if ((c->remote.kind == TP_USRSCTP || (c->remote.kind == TP_SCTP && !tp_ksctp_available())) &&
	    !tp_net_usrsctp_port(net) &&
	    tp_net_usrsctp_start(net, 0, err, errsz) < 0)
		goto fail;
	struct m3ua_asp_cfg ac = {.name = "ussd-peer", .remote = c->remote, .has_rctx = c->has_rctx,
				  .rctx = c->rctx, .tmt = M3UA_TMT_OVERRIDE, .reconnect_ms = 100};
	if (!(p->asp = m3ua_asp_new(net, &ac, &peer_cbs, p, err, errsz)))
		goto fail;
	if (!(p->timer = evloop_timer_add(tp_net_loop(net), UP_TICK_MS, tick, p))) {
		snprintf(err, errsz, "out of memory");
		goto fail;
	}
	return p;
fail:
	ussd_peer_free(p);
	return NULL;
}

void *ussd_peer_userdata(const struct ussd_peer *p)
{
	return p->ud;
}

bool ussd_peer_active(const struct ussd_peer *p)
{
	return p->active;
}

uint64_t ussd_peer_connect_failures(const struct ussd_peer *p)
{
	return m3ua_link_stats(p->asp)->reconnects;
}

unsigned ussd_peer_in_flight(const struct ussd_peer *p)
{
	return p->n_used;
}

static bool digits_ok(const char *s, size_t maxlen)
{
	size_t n = s ? strlen(s) : 0;
	if (!n || n > maxlen)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

int ussd_peer_dial(struct ussd_peer *p, const struct ussd_peer_dial *q, void *ud)
{
	if (!p->active)
		return -ENOTCONN;
	if (!digits_ok(q->msisdn, 15) || !digits_ok(q->imsi, 15) ||
	    q->n_inputs > USSD_PEER_INPUTS_MAX || (q->raw && q->raw_len > USSD_MAX_OCTETS))
		return -EINVAL;
	for (unsigned i = 0; i < q->n_inputs; i++)
		if (!q->inputs[i] || strlen(q->inputs[i]) >= sizeof(p->dlgs[0].inputs[0]))
			return -EINVAL;
	if (p->n_used >= p->cfg.max_dialogues)
		return -EBUSY;
	struct up_dlg *d = NULL;
	for (unsigned k = 0; k < p->cfg.max_dialogues; k++) {
		unsigned i = (p->scan + k) % p->cfg.max_dialogues;
		if (!p->dlgs[i].used) {
			d = &p->dlgs[i];
			p->scan = i + 1;
			break;
		}
	}
	/* the top bit marks gateway-initiated dialogues; 0 is not used */
	uint32_t gen = (d->gen + 1) & (0x7fffffffu >> p->slot_bits);
	unsigned slot = (unsigned)(d - p->dlgs);
	if (!gen && !slot)
		gen = 1;
	memset(d, 0, sizeof(*d));
	d->gen = gen;
	d->otid = gen << p->slot_bits | slot;
	d->sls = (uint8_t)(slot & 0x0f);
	d->dcs = q->ucs2 ? USSD_PEER_DCS_UCS2 : USSD_PEER_DCS_GSM7;
	d->raw = q->raw != NULL;
	for (unsigned i = 0; i < q->n_inputs; i++)
		snprintf(d->inputs[i], sizeof(d->inputs[i]), "%s", q->inputs[i]);
	d->n_inputs = q->n_inputs;
	d->ud = ud;

	/* Begin: AARQ AC 19 v2 with MAP-OpenInfo (destinationReference IMSI, originationReference
	 * MSISDN), Invoke processUnstructuredSS-Request with the string and the msisdn, as the
	 * HLR forwards it (TS 29.002 11.1.1, 17.1.2) */
	uint8_t tb[UP_TCAP_MAX], str[USSD_MAX_OCTETS];
	struct map_fields f;
	int rc = 0;
	if (q->raw) {
		map_fields_init(&f);
		memcpy(str, q->raw, q->raw_len);
		f.has_ussd = true;
		f.ussd_dcs = q->raw_dcs;
		f.ussd_string = (struct dfs_view){str, q->raw_len};
	} else {
		rc = fill_string(&f, d->dcs, q->code ? q->code : "*384#", str);
	}
	if (rc)
		return rc;
	f.msisdn.present = true;
	f.msisdn.ton_npi = 0x91;
	snprintf(f.msisdn.digits, sizeof(f.msisdn.digits), "%s", q->msisdn);
	struct map_tx tx = {.msg_type = TCAP_BEGIN, .otid = d->otid, .ac = UP_AC_USSD,
			    .ac_version = UP_AC_VERSION, .open_info = true, .dest_ref = q->imsi,
			    .orig_ref = q->msisdn, .dest_ref_ton_npi = 0x16, .orig_ref_ton_npi = 0x91};
	struct dfs_wbuf w = dfs_wbuf_init(tb, sizeof(tb));
	if ((rc = map_build_invoke(&w, &tx, 1, MAP_OP_PROCESS_USS_REQUEST, &f)))
		return rc;
	d->sent_us = mono_us();
	d->deadline_ms = evloop_now_ms() + p->cfg.step_timeout_ms;
	if ((rc = send_tcap(p, d->sls, tb, w.len)))
		return rc;
	d->used = true;
	p->n_used++;
	return 0;
}

void ussd_peer_free(struct ussd_peer *p)
{
	if (!p)
		return;
	if (p->timer)
		evloop_timer_del(tp_net_loop(p->net), p->timer);
	memset(&p->cbs, 0, sizeof(p->cbs));
	if (p->dlgs)
		for (unsigned i = 0; i < p->cfg.max_dialogues; i++)
			p->dlgs[i].used = false;
	p->n_used = 0;
	if (p->asp)
		m3ua_link_close(p->asp);
	free(p->dlgs);
	free(p->m);
	free(p);
}
