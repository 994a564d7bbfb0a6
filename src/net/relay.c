/* The inline M3UA relay: see relay.h. */
#include "relay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m3ua.h"
#include "value_string.h"

#define RELAY_DEFAULT_HOLD_MSGS 10000
#define RELAY_DEFAULT_HOLD_BYTES (4u * 1024 * 1024)
#define RELAY_ANSWER_MAX 4096
#define RELAY_MAX_DEST 256 /* destinations whose state the home side told us */

static const struct value_string relay_dir_names[] = {
	{RELAY_FROM_PARTNER, "from-partner"}, {RELAY_FROM_HOME, "from-home"}, {0, NULL},
};
static const struct value_string relay_verdict_names[] = {
	{RELAY_FORWARD, "forward"}, {RELAY_DROP, "drop"}, {RELAY_ANSWER, "answer"}, {0, NULL},
};

const char *relay_dir_name(enum relay_dir d) { return get_value_string(relay_dir_names, d); }
const char *relay_verdict_name(enum relay_verdict v)
{
	return get_value_string(relay_verdict_names, v);
}

/* Which configured link a callback is about. */
struct relay_side {
	struct relay *r;
	enum relay_dir dir; /* messages received on it travel in this direction */
	unsigned idx;
};

struct relay_held {
	struct relay_held *next;
	unsigned from;  /* partner index */
	uint8_t sls;
	size_t rc_off;  /* offset of the routing context value, 0 if none */
	size_t len;
	uint8_t data[];
};

struct relay_dest {
	uint32_t pc;
	bool available;
};

struct relay {
	struct tp_net *net;
	struct relay_cfg cfg;
	struct m3ua_sg *partners[RELAY_MAX_LINKS];
	struct m3ua_link *homes[RELAY_MAX_LINKS];
	struct relay_side pside[RELAY_MAX_LINKS], hside[RELAY_MAX_LINKS];
	struct relay_counters pc[RELAY_MAX_LINKS], hc[RELAY_MAX_LINKS];
	bool home_up;
	/* partner messages waiting for the home side, in arrival order */
	struct relay_held *held_head, *held_tail;
	size_t held_n, held_bytes;
	/* links not being read because where their traffic goes is full */
	struct m3ua_link *paused[RELAY_MAX_LINKS * 8];
	unsigned n_paused;
	struct relay_dest dest[RELAY_MAX_DEST];
	unsigned n_dest;
	uint8_t scratch[TP_DEFAULT_MAX_MSG];
};

static struct relay_counters *side_counters(struct relay *r, const struct relay_side *s)
{
	return s->dir == RELAY_FROM_PARTNER ? &r->pc[s->idx] : &r->hc[s->idx];
}

static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Offset of the first routing context value in msg, 0 when there is none. */
static size_t rctx_offset(const uint8_t *msg, const struct m3ua_msg *m)
{
	for (unsigned i = 0; i < m->n_params; i++)
		if (m->params[i].tag == M3UA_TAG_ROUTING_CTX && m->params[i].value.len >= 4)
			return (size_t)(m->params[i].value.p - msg);
	return 0;
}

/* The message as the outgoing link needs it: unchanged, unless it carries a routing context and
 * the outgoing association uses another one (then only those 4 bytes differ). */
static const uint8_t *with_rctx(struct relay *r, const uint8_t *msg, size_t len, size_t rc_off,
				bool out_has, uint32_t out_rc)
{
	if (!rc_off || !out_has || be32(msg + rc_off) == out_rc || len > sizeof(r->scratch))
		return msg;
	memcpy(r->scratch, msg, len);
	r->scratch[rc_off] = (uint8_t)(out_rc >> 24);
	r->scratch[rc_off + 1] = (uint8_t)(out_rc >> 16);
	r->scratch[rc_off + 2] = (uint8_t)(out_rc >> 8);
	r->scratch[rc_off + 3] = (uint8_t)out_rc;
	return r->scratch;
}

/* ---- back-pressure ------------------------------------------------------------------------- */

static void pause_source(struct relay *r, struct m3ua_link *src, struct relay_counters *c)
{
	for (unsigned i = 0; i < r->n_paused; i++)
		if (r->paused[i] == src)
			return;
	if (r->n_paused == sizeof(r->paused) / sizeof(r->paused[0]))
		return; /* every slot taken: the queue bound (queue_max) still holds */
	r->paused[r->n_paused++] = src;
	m3ua_link_pause(src, true);
	c->pauses++;
}

static void resume_all(struct relay *r)
{
	unsigned n = r->n_paused;
	r->n_paused = 0;
	for (unsigned i = 0; i < n; i++)
		m3ua_link_pause(r->paused[i], false);
}

static void forget_paused(struct relay *r, struct m3ua_link *lk)
{
	for (unsigned i = 0; i < r->n_paused; i++) {
		if (r->paused[i] == lk) {
			r->paused[i] = r->paused[--r->n_paused];
			return;
		}
	}
}

/* ---- choosing the outgoing link ------------------------------------------------------------ */

static bool home_available(const struct relay *r)
{
	for (unsigned i = 0; i < r->cfg.n_homes; i++)
		if (r->homes[i] && m3ua_link_state(r->homes[i]) == M3UA_ASP_ACTIVE)
			return true;
	return false;
}

/* Spread SLS values over the active home links in configuration order. */
static int pick_home(const struct relay *r, uint8_t sls)
{
	int active[RELAY_MAX_LINKS];
	unsigned n = 0;
	for (unsigned i = 0; i < r->cfg.n_homes; i++)
		if (r->homes[i] && m3ua_link_state(r->homes[i]) == M3UA_ASP_ACTIVE)
			active[n++] = (int)i;
	return n ? active[sls % n] : -1;
}

static int route_partner(const struct relay *r, uint32_t dpc)
{
	for (unsigned i = 0; i < r->cfg.n_partners; i++)
		for (unsigned k = 0; k < r->cfg.partners[i].n_pcs; k++)
			if (r->cfg.partners[i].pcs[k] == dpc)
				return (int)i;
	return r->cfg.n_partners == 1 ? 0 : -1;
}

/* Send one forwarded message; accounts it on the source (forwarded or refused) and the
 * destination (sent), and stops reading the source when the destination is full. */
static bool forward(struct relay *r, struct m3ua_link *out, bool out_has_rc, uint32_t out_rc,
		    const uint8_t *msg, size_t len, size_t rc_off, uint8_t sls,
		    struct relay_counters *src_c, struct relay_counters *dst_c, struct m3ua_link *src)
{
	const uint8_t *p = with_rctx(r, msg, len, rc_off, out_has_rc, out_rc);
	if (m3ua_link_send(out, p, len, m3ua_link_stream_for_sls(out, sls)) < 0) {
		src_c->refused++;
		return false;
	}
	src_c->forwarded++;
	dst_c->sent++;
	if (src && !m3ua_link_writable(out))
		pause_source(r, src, src_c);
	return true;
}

static void send_to_home(struct relay *r, int h, const uint8_t *msg, size_t len, size_t rc_off,
			 uint8_t sls, struct relay_counters *src_c, struct m3ua_link *src)
{
	const struct m3ua_asp_cfg *hc = &r->cfg.homes[h];
	forward(r, r->homes[h], hc->has_rctx, hc->rctx, msg, len, rc_off, sls, src_c, &r->hc[h], src);
}

/* ---- holding partner traffic while the home side is away ---------------------------------- */

static bool hold_full(const struct relay *r, size_t len)
{
	return r->held_n >= r->cfg.hold_max_msgs || r->held_bytes + len > r->cfg.hold_max_bytes;
}

static void hold(struct relay *r, unsigned from, const uint8_t *msg, size_t len, size_t rc_off,
		 uint8_t sls)
{
	struct relay_counters *c = &r->pc[from];
	struct relay_held *h = malloc(sizeof(*h) + len);
	if (!h || hold_full(r, len)) {
		free(h);
		c->refused++;
		return;
	}
	h->next = NULL;
	h->from = from;
	h->sls = sls;
	h->rc_off = rc_off;
	h->len = len;
	memcpy(h->data, msg, len);
	if (r->held_tail)
		r->held_tail->next = h;
	else
		r->held_head = h;
	r->held_tail = h;
	r->held_n++;
	r->held_bytes += len;
	c->held++;
}

/* Send held messages in order while the home side takes them. */
static void drain_held(struct relay *r)
{
	while (r->held_head) {
		struct relay_held *h = r->held_head;
		int hi = pick_home(r, h->sls);
		if (hi < 0 || !m3ua_link_writable(r->homes[hi]))
			return; /* on_drain or the next home link coming up continues */
		r->held_head = h->next;
		if (!r->held_head)
			r->held_tail = NULL;
		r->held_n--;
		r->held_bytes -= h->len;
		r->pc[h->from].held--;
		send_to_home(r, hi, h->data, h->len, h->rc_off, h->sls, &r->pc[h->from], NULL);
		free(h);
	}
}

static void refuse_held(struct relay *r)
{
	while (r->held_head) {
		struct relay_held *h = r->held_head;
		r->held_head = h->next;
		r->pc[h->from].held--;
		r->pc[h->from].refused++;
		free(h);
	}
	r->held_tail = NULL;
	r->held_n = r->held_bytes = 0;
}

/* ---- destination state (SSNM) -------------------------------------------------------------- */

static void dest_learn(struct relay *r, uint32_t pc, bool available)
{
	for (unsigned i = 0; i < r->n_dest; i++) {
		if (r->dest[i].pc == pc) {
			r->dest[i].available = available;
			return;
		}
	}
	if (r->n_dest < RELAY_MAX_DEST)
		r->dest[r->n_dest++] = (struct relay_dest){pc, available};
}

static int relay_dest_state(struct m3ua_link *lk, uint32_t pc, void *ud)
{
	struct relay_side *s = ud;
	struct relay *r = s->r;
	for (unsigned i = 0; i < r->n_dest; i++)
		if (r->dest[i].pc == pc)
			return r->dest[i].available && r->home_up;
	/* everything behind us is as reachable as the home side */
	return r->home_up;
}

/* Tell partner ASPs that the home point codes became (un)available. */
static void announce_home(struct relay *r, struct m3ua_link *only)
{
	if (!r->cfg.n_home_pcs)
		return;
	uint8_t type = r->home_up ? M3UA_SSNM_DAVA : M3UA_SSNM_DUNA;
	for (unsigned p = 0; p < r->cfg.n_partners; p++) {
		if (!r->partners[p])
			continue;
		for (struct m3ua_link *lk = m3ua_sg_next(r->partners[p], NULL); lk;
		     lk = m3ua_sg_next(r->partners[p], lk)) {
			if (m3ua_link_state(lk) == M3UA_ASP_DOWN || (only && lk != only))
				continue;
			if (m3ua_link_send_ssnm(lk, type, r->cfg.home_pcs, r->cfg.n_home_pcs) == 0)
				r->pc[p].sent++;
		}
	}
}

static void home_state_changed(struct relay *r)
{
	bool up = home_available(r);
	if (up != r->home_up) {
		r->home_up = up;
		announce_home(r, NULL);
		if (!up && r->cfg.home_down == RELAY_HOME_DOWN_REFUSE)
			refuse_held(r);
	}
	resume_all(r);
	if (up)
		drain_held(r);
}

/* ---- callbacks ----------------------------------------------------------------------------- */

static void relay_on_data(struct m3ua_link *lk, const uint8_t *msg, size_t len,
			  const struct m3ua_msg *m, uint16_t stream, void *ud)
{
	struct relay_side *s = ud;
	struct relay *r = s->r;
	struct relay_counters *c = side_counters(r, s);
	c->in++;
	int v = RELAY_FORWARD;
	uint8_t abuf[RELAY_ANSWER_MAX];
	struct dfs_wbuf ans = dfs_wbuf_init(abuf, sizeof(abuf));
	if (r->cfg.hook) {
		struct relay_msg rm = {s->dir, msg, len, m, stream, s->idx, m3ua_link_name(lk)};
		v = r->cfg.hook(r->cfg.hook_ud, &rm, &ans);
		if (v > RELAY_ANSWER || (v == RELAY_ANSWER && (!dfs_wbuf_ok(&ans) || ans.len < 8)))
			v = -EINVAL; /* a hook bug is a hook error */
	}
	if (v < 0) {
		if (v == -EBADMSG)
			c->malformed++;
		else
			c->hook_errors++;
		if (r->cfg.on_hook_error == RELAY_FAIL_CLOSED) {
			c->rejected++;
			return;
		}
		v = RELAY_FORWARD;
	}
	if (v == RELAY_DROP) {
		c->blocked++;
		return;
	}
	if (v == RELAY_ANSWER) {
		c->blocked++;
		c->answered++;
		/* same stream as the message it answers: it stays in order with that dialogue */
		if (m3ua_link_send(lk, abuf, ans.len, stream) == 0)
			c->sent++;
		return;
	}
	uint8_t sls = m->pd.sls;
	size_t rc_off = rctx_offset(msg, m);
	if (s->dir == RELAY_FROM_PARTNER) {
		if (r->held_head || !r->home_up) {
			if (!r->home_up && r->cfg.home_down == RELAY_HOME_DOWN_REFUSE) {
				c->refused++;
				return;
			}
			hold(r, s->idx, msg, len, rc_off, sls);
			if (r->home_up) {
				drain_held(r);
				if (r->held_head && hold_full(r, TP_DEFAULT_MAX_MSG))
					pause_source(r, lk, c);
			}
			return;
		}
		int h = pick_home(r, sls);
		if (h < 0) {
			c->refused++;
			return;
		}
		send_to_home(r, h, msg, len, rc_off, sls, c, lk);
		return;
	}
	int p = route_partner(r, m->pd.dpc);
	struct m3ua_link *out = p >= 0 && r->partners[p] ? m3ua_sg_pick(r->partners[p], sls) : NULL;
	if (!out) {
		c->refused++;
		return;
	}
	const struct m3ua_sg_cfg *pc = &r->cfg.partners[p].sg;
	forward(r, out, pc->has_rctx, pc->rctx, msg, len, rc_off, sls, c, &r->pc[p], lk);
}

/* DATA refused by the link layer with an ERR still came in: count it as rejected. */
static void relay_on_reject(struct m3ua_link *lk, const uint8_t *msg, size_t len, uint32_t code,
			    void *ud)
{
	struct relay_side *s = ud;
	if (!msg || len < 4 || msg[2] != M3UA_CLS_XFER)
		return;
	struct relay_counters *c = side_counters(s->r, s);
	c->in++;
	c->rejected++;
	c->malformed++;
}

static void relay_on_ssnm(struct m3ua_link *lk, const uint8_t *msg, size_t len,
			  const struct m3ua_msg *m, void *ud)
{
	struct relay_side *s = ud;
	struct relay *r = s->r;
	struct relay_counters *c = side_counters(r, s);
	c->ssnm_in++;
	size_t rc_off = rctx_offset(msg, m);
	if (s->dir == RELAY_FROM_PARTNER) {
		/* SCON from a partner ASP: the home side should know about the congestion */
		int h = pick_home(r, 0);
		if (h >= 0) {
			const struct m3ua_asp_cfg *hc = &r->cfg.homes[h];
			const uint8_t *p = with_rctx(r, msg, len, rc_off, hc->has_rctx, hc->rctx);
			if (m3ua_link_send(r->homes[h], p, len, 0) == 0) {
				c->ssnm_relayed++;
				r->hc[h].sent++;
			}
		}
		return;
	}
	/* from the home STP: remember what it says about its destinations, tell the partners */
	if (m->msg_type == M3UA_SSNM_DUNA || m->msg_type == M3UA_SSNM_DAVA ||
	    m->msg_type == M3UA_SSNM_DRST) {
		for (size_t off = 0; off + 4 <= m->affected_pcs.len; off += 4) {
			const uint8_t *e = m->affected_pcs.p + off;
			dest_learn(r, (uint32_t)e[1] << 16 | (uint32_t)e[2] << 8 | e[3],
				   m->msg_type != M3UA_SSNM_DUNA);
		}
	}
	for (unsigned p = 0; p < r->cfg.n_partners; p++) {
		if (!r->partners[p])
			continue;
		const struct m3ua_sg_cfg *pc = &r->cfg.partners[p].sg;
		for (struct m3ua_link *pl = m3ua_sg_next(r->partners[p], NULL); pl;
		     pl = m3ua_sg_next(r->partners[p], pl)) {
			if (m3ua_link_state(pl) == M3UA_ASP_DOWN)
				continue;
			const uint8_t *out = with_rctx(r, msg, len, rc_off, pc->has_rctx, pc->rctx);
			if (m3ua_link_send(pl, out, len, 0) == 0) {
				c->ssnm_relayed++;
				r->pc[p].sent++;
			}
		}
	}
}

static void relay_on_state(struct m3ua_link *lk, enum m3ua_asp_state old, enum m3ua_asp_state now,
			   void *ud)
{
	struct relay_side *s = ud;
	struct relay *r = s->r;
	if (s->dir == RELAY_FROM_HOME) {
		home_state_changed(r);
		return;
	}
	/* a partner ASP that comes up while the home side is away hears so at once */
	if (old == M3UA_ASP_DOWN && now != M3UA_ASP_DOWN && !r->home_up)
		announce_home(r, lk);
	if (now == M3UA_ASP_DOWN)
		resume_all(r); /* its queue will never drain: do not leave its sources waiting */
}

static void relay_on_drain(struct m3ua_link *lk, void *ud)
{
	struct relay_side *s = ud;
	resume_all(s->r);
	drain_held(s->r);
}

static void relay_on_free(struct m3ua_link *lk, void *ud)
{
	struct relay_side *s = ud;
	forget_paused(s->r, lk);
	resume_all(s->r);
}

static const struct m3ua_cbs relay_cbs = {
	.on_data = relay_on_data,
	.on_ssnm = relay_on_ssnm,
	.on_state = relay_on_state,
	.on_drain = relay_on_drain,
	.dest_state = relay_dest_state,
	.on_reject = relay_on_reject,
	.on_free = relay_on_free,
};

/* ---- setup --------------------------------------------------------------------------------- */

struct relay *relay_new(struct tp_net *net, const struct relay_cfg *cfg, char *err, size_t errsz)
{
	if (cfg->n_partners == 0 || cfg->n_homes == 0 || cfg->n_partners > RELAY_MAX_LINKS ||
	    cfg->n_homes > RELAY_MAX_LINKS || cfg->n_home_pcs > RELAY_MAX_PCS) {
		snprintf(err, errsz, "relay: need 1..%d partner and home links", RELAY_MAX_LINKS);
		return NULL;
	}
	struct relay *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errsz, "relay: out of memory");
		return NULL;
	}
	r->net = net;
	r->cfg = *cfg;
	if (!r->cfg.hold_max_msgs)
		r->cfg.hold_max_msgs = RELAY_DEFAULT_HOLD_MSGS;
	if (!r->cfg.hold_max_bytes)
		r->cfg.hold_max_bytes = RELAY_DEFAULT_HOLD_BYTES;
	for (unsigned i = 0; i < cfg->n_partners; i++) {
		r->pside[i] = (struct relay_side){r, RELAY_FROM_PARTNER, i};
		r->partners[i] = m3ua_sg_new(net, &cfg->partners[i].sg, &relay_cbs, &r->pside[i], err,
					     errsz);
		if (!r->partners[i]) {
			relay_free(r);
			return NULL;
		}
	}
	for (unsigned i = 0; i < cfg->n_homes; i++) {
		r->hside[i] = (struct relay_side){r, RELAY_FROM_HOME, i};
		r->homes[i] = m3ua_asp_new(net, &cfg->homes[i], &relay_cbs, &r->hside[i], err, errsz);
		if (!r->homes[i]) {
			relay_free(r);
			return NULL;
		}
	}
	return r;
}

void relay_free(struct relay *r)
{
	if (!r)
		return;
	r->n_paused = 0;
	for (unsigned i = 0; i < RELAY_MAX_LINKS; i++) {
		if (r->partners[i])
			m3ua_sg_close(r->partners[i]);
		if (r->homes[i])
			m3ua_link_close(r->homes[i]);
		r->partners[i] = NULL;
		r->homes[i] = NULL;
	}
	while (r->held_head) {
		struct relay_held *h = r->held_head;
		r->held_head = h->next;
		free(h);
	}
	free(r);
}

void relay_set_hook(struct relay *r, relay_hook_fn hook, void *ud)
{
	r->cfg.hook = hook;
	r->cfg.hook_ud = ud;
}

void relay_set_fail_mode(struct relay *r, enum relay_fail f) { r->cfg.on_hook_error = f; }
unsigned relay_n_partners(const struct relay *r) { return r->cfg.n_partners; }
unsigned relay_n_homes(const struct relay *r) { return r->cfg.n_homes; }
struct m3ua_sg *relay_partner(const struct relay *r, unsigned i)
{
	return i < r->cfg.n_partners ? r->partners[i] : NULL;
}
struct m3ua_link *relay_home(const struct relay *r, unsigned i)
{
	return i < r->cfg.n_homes ? r->homes[i] : NULL;
}
const struct relay_counters *relay_partner_counters(const struct relay *r, unsigned i)
{
	return i < r->cfg.n_partners ? &r->pc[i] : NULL;
}
const struct relay_counters *relay_home_counters(const struct relay *r, unsigned i)
{
	return i < r->cfg.n_homes ? &r->hc[i] : NULL;
}
bool relay_home_available(const struct relay *r) { return r->home_up; }
size_t relay_held_msgs(const struct relay *r) { return r->held_n; }

void relay_totals(const struct relay *r, enum relay_dir d, struct relay_counters *out)
{
	memset(out, 0, sizeof(*out));
	unsigned n = d == RELAY_FROM_PARTNER ? r->cfg.n_partners : r->cfg.n_homes;
	const struct relay_counters *cs = d == RELAY_FROM_PARTNER ? r->pc : r->hc;
	for (unsigned i = 0; i < n; i++) {
		const uint64_t *src = (const uint64_t *)&cs[i];
		uint64_t *dst = (uint64_t *)out;
		for (size_t k = 0; k < sizeof(*out) / sizeof(uint64_t); k++)
			dst[k] += src[k];
	}
}
