/* M3UA ASP and SGP state machines: RFC 4666 section 4.3 (ASP and AS state maintenance),
 * 3.8 (ERR and NTFY), 3.4 (SSNM). See m3ua_asp.h. */
#include "m3ua_asp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evloop.h"
#include "m3ua.h"
#include "value_string.h"

#define M3UA_ACK_TRIES 5   /* T(ack) expiries before the association is dropped */
#define M3UA_DIAG_BYTES 40 /* offending message bytes echoed in an ERR */
#define M3UA_CTRL_MAX 512  /* largest management message we build */

static const struct value_string asp_state_names[] = {
	{M3UA_ASP_DOWN, "ASP-DOWN"}, {M3UA_ASP_INACTIVE, "ASP-INACTIVE"},
	{M3UA_ASP_ACTIVE, "ASP-ACTIVE"}, {0, NULL},
};
static const struct value_string as_state_names[] = {
	{M3UA_AS_DOWN, "AS-DOWN"}, {M3UA_AS_INACTIVE, "AS-INACTIVE"}, {M3UA_AS_ACTIVE, "AS-ACTIVE"},
	{M3UA_AS_PENDING, "AS-PENDING"}, {0, NULL},
};
const char *m3ua_asp_state_name(enum m3ua_asp_state s) { return get_value_string(asp_state_names, s); }
const char *m3ua_as_state_name(enum m3ua_as_state s) { return get_value_string(as_state_names, s); }
const char *m3ua_tmt_name(uint32_t tmt) { return get_value_string(m3ua_tmt_names, tmt); }

struct m3ua_link {
	enum m3ua_role role;
	struct tp_net *net;
	struct evloop *loop;
	struct m3ua_sg *sg; /* SGP role */
	char name[112];
	struct m3ua_asp_cfg cfg; /* ASP role (name points at lk->name) */
	struct m3ua_cbs cbs;
	void *ud, *user;
	struct tp_conn *conn;
	enum m3ua_asp_state state;
	enum m3ua_as_state as_state; /* ASP role: from NTFY */
	bool want_inactive;          /* ASP role: stay ASP-INACTIVE (m3ua_asp_set_inactive) */
	bool dead;
	int busy;
	/* T(ack): the ASPSM/ASPTM request we wait an answer for */
	uint8_t await_cls, await_type;
	unsigned ack_tries;
	uint64_t ack_timer, beat_timer, reconnect_timer;
	unsigned beats_unanswered;
	uint32_t beat_seq;
	unsigned reconnect_ms;
	/* SGP role: what the ASP told us */
	bool has_peer_asp_id;
	uint32_t peer_asp_id;
	uint64_t active_seq; /* order of activation (override: the newest wins) */
	struct m3ua_link_stats stats;
	struct m3ua_link *next; /* sg->links */
};

struct m3ua_sg {
	struct tp_net *net;
	struct evloop *loop;
	struct m3ua_sg_cfg cfg;
	char name[64];
	struct m3ua_cbs cbs;
	void *ud;
	struct tp_listener *ls;
	struct m3ua_link *links;
	enum m3ua_as_state as_state;
	uint64_t recovery_timer;
	uint64_t activations;
};

/* ---- link lifetime -------------------------------------------------------------------------- */

static void lk_free(struct m3ua_link *lk)
{
	free(lk);
}

static void lk_hold(struct m3ua_link *lk) { lk->busy++; }

static bool lk_release(struct m3ua_link *lk)
{
	if (--lk->busy > 0)
		return !lk->dead;
	if (lk->dead) {
		lk_free(lk);
		return false;
	}
	return true;
}

static void lk_stop_timers(struct m3ua_link *lk)
{
	uint64_t *t[] = {&lk->ack_timer, &lk->beat_timer, &lk->reconnect_timer};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (*t[i])
			evloop_timer_del(lk->loop, *t[i]);
		*t[i] = 0;
	}
}

static void sg_unlink(struct m3ua_sg *sg, struct m3ua_link *lk)
{
	for (struct m3ua_link **pp = &sg->links; *pp; pp = &(*pp)->next) {
		if (*pp == lk) {
			*pp = lk->next;
			break;
		}
	}
	lk->next = NULL;
}

/* ---- sending ---------------------------------------------------------------------------------- */

struct lk_params {
	struct m3ua_param p[8];
	uint8_t store[8][4];
	unsigned n;
};

static void par_u32(struct lk_params *ps, uint16_t tag, uint32_t v)
{
	uint8_t *s = ps->store[ps->n];
	s[0] = (uint8_t)(v >> 24), s[1] = (uint8_t)(v >> 16), s[2] = (uint8_t)(v >> 8);
	s[3] = (uint8_t)v;
	ps->p[ps->n].tag = tag;
	ps->p[ps->n].value.p = s;
	ps->p[ps->n].value.len = 4;
	ps->n++;
}

static void par_bytes(struct lk_params *ps, uint16_t tag, const uint8_t *p, size_t len)
{
	ps->p[ps->n].tag = tag;
	ps->p[ps->n].value.p = p;
	ps->p[ps->n].value.len = len;
	ps->n++;
}

static bool lk_has_rctx(const struct m3ua_link *lk, uint32_t *rctx)
{
	if (lk->role == M3UA_ROLE_SGP) {
		*rctx = lk->sg ? lk->sg->cfg.rctx : 0;
		return lk->sg && lk->sg->cfg.has_rctx;
	}
	*rctx = lk->cfg.rctx;
	return lk->cfg.has_rctx;
}

static int lk_send_raw(struct m3ua_link *lk, const uint8_t *p, size_t len, uint16_t stream)
{
	if (!lk->conn || lk->dead)
		return -ENOTCONN;
	int rc = tp_send(lk->conn, p, len, stream);
	if (rc == 0)
		lk->stats.tx_msgs++;
	return rc;
}

static int lk_send(struct m3ua_link *lk, uint8_t cls, uint8_t type, const struct lk_params *ps)
{
	uint8_t buf[M3UA_CTRL_MAX];
	struct dfs_wbuf w = dfs_wbuf_init(buf, sizeof(buf));
	int rc = m3ua_encode(&w, cls, type, ps ? ps->p : NULL, ps ? ps->n : 0);
	if (rc < 0)
		return rc;
	return lk_send_raw(lk, buf, w.len, 0); /* management on stream 0 (RFC 4666 1.4.7) */
}

/* RFC 4666 3.8.1: Error Code, Routing Context, Network Appearance, Diagnostic Information. */
static int lk_send_err_rc(struct m3ua_link *lk, uint32_t code, bool has_rc, uint32_t rc,
			  const uint8_t *offending, size_t len)
{
	struct lk_params ps = {.n = 0};
	par_u32(&ps, M3UA_TAG_ERROR_CODE, code);
	if (has_rc)
		par_u32(&ps, M3UA_TAG_ROUTING_CTX, rc);
	if (offending && len)
		par_bytes(&ps, M3UA_TAG_DIAG_INFO, offending, len < M3UA_DIAG_BYTES ? len : M3UA_DIAG_BYTES);
	int r = lk_send(lk, M3UA_CLS_MGMT, M3UA_MGMT_ERR, &ps);
	if (r == 0) {
		lk->stats.err_sent++;
		lk->stats.last_err_sent = code;
	}
	return r;
}

int m3ua_link_send_err(struct m3ua_link *lk, uint32_t code, const uint8_t *offending, size_t len)
{
	uint32_t rc;
	bool has = lk_has_rctx(lk, &rc);
	return lk_send_err_rc(lk, code, has, rc, offending, len);
}

/* An incoming message was refused with an ERR. */
static void lk_reject(struct m3ua_link *lk, uint32_t code, const uint8_t *msg, size_t len)
{
	lk->stats.rx_bad++;
	m3ua_link_send_err(lk, code, msg, len);
	if (lk->cbs.on_reject)
		lk->cbs.on_reject(lk, msg, len, code, lk->ud);
}

static void lk_send_ntfy(struct m3ua_link *lk, uint16_t type, uint16_t info)
{
	struct lk_params ps = {.n = 0};
	uint32_t rc;
	par_u32(&ps, M3UA_TAG_STATUS, (uint32_t)type << 16 | info);
	if (lk->has_peer_asp_id)
		par_u32(&ps, M3UA_TAG_ASP_ID, lk->peer_asp_id);
	if (lk_has_rctx(lk, &rc))
		par_u32(&ps, M3UA_TAG_ROUTING_CTX, rc);
	if (lk_send(lk, M3UA_CLS_MGMT, M3UA_MGMT_NTFY, &ps) == 0)
		lk->stats.ntfy_sent++;
}

int m3ua_link_send_ssnm(struct m3ua_link *lk, uint8_t type, const uint32_t *pcs, unsigned n)
{
	if (n == 0 || n > 64)
		return -EINVAL;
	uint8_t aff[64 * 4];
	for (unsigned i = 0; i < n; i++) { /* mask 0, 24-bit point code */
		aff[4 * i] = 0;
		aff[4 * i + 1] = (uint8_t)(pcs[i] >> 16);
		aff[4 * i + 2] = (uint8_t)(pcs[i] >> 8);
		aff[4 * i + 3] = (uint8_t)pcs[i];
	}
	struct lk_params ps = {.n = 0};
	uint32_t rc;
	if (lk_has_rctx(lk, &rc))
		par_u32(&ps, M3UA_TAG_ROUTING_CTX, rc);
	par_bytes(&ps, M3UA_TAG_AFFECTED_PC, aff, 4 * (size_t)n);
	int r = lk_send(lk, M3UA_CLS_SSNM, type, &ps);
	if (r == 0)
		lk->stats.ssnm_sent++;
	return r;
}

int m3ua_link_send(struct m3ua_link *lk, const uint8_t *msg, size_t len, uint16_t stream)
{
	if (len >= 4 && msg[2] == M3UA_CLS_XFER && lk->state != M3UA_ASP_ACTIVE)
		return -ENOTCONN;
	int rc = lk_send_raw(lk, msg, len, stream);
	if (rc == 0 && len >= 4 && msg[2] == M3UA_CLS_XFER)
		lk->stats.tx_data++;
	return rc;
}

uint16_t m3ua_link_stream_for_sls(const struct m3ua_link *lk, uint8_t sls)
{
	uint16_t n = lk->conn ? tp_out_streams(lk->conn) : 1;
	return n > 1 ? (uint16_t)(1 + sls % (n - 1)) : 0;
}

bool m3ua_link_writable(const struct m3ua_link *lk)
{
	return lk->conn && !lk->dead && tp_writable(lk->conn);
}

void m3ua_link_pause(struct m3ua_link *lk, bool paused)
{
	if (lk->conn && !lk->dead)
		tp_pause(lk->conn, paused);
}

/* ---- state changes ---------------------------------------------------------------------------- */

static void sg_update_as(struct m3ua_sg *sg);

static void lk_set_state(struct m3ua_link *lk, enum m3ua_asp_state now)
{
	enum m3ua_asp_state old = lk->state;
	if (old == now)
		return;
	lk->state = now;
	if (now == M3UA_ASP_ACTIVE && lk->sg)
		lk->active_seq = ++lk->sg->activations;
	if (lk->cbs.on_state)
		lk->cbs.on_state(lk, old, now, lk->ud);
	if (lk->sg && !lk->dead)
		sg_update_as(lk->sg);
}

static int lk_ack_expired(struct evloop *l, uint64_t id, void *ud);

/* ASP role: send an ASPSM/ASPTM request and wait for its acknowledgement under T(ack). */
static void asp_request(struct m3ua_link *lk, uint8_t cls, uint8_t type)
{
	struct lk_params ps = {.n = 0};
	if (cls == M3UA_CLS_ASPSM && type == M3UA_ASPSM_ASPUP && lk->cfg.has_asp_id)
		par_u32(&ps, M3UA_TAG_ASP_ID, lk->cfg.asp_id);
	if (cls == M3UA_CLS_ASPTM) {
		if (type == M3UA_ASPTM_ASPAC && lk->cfg.tmt)
			par_u32(&ps, M3UA_TAG_TRAFFIC_MODE, lk->cfg.tmt);
		if (lk->cfg.has_rctx)
			par_u32(&ps, M3UA_TAG_ROUTING_CTX, lk->cfg.rctx);
	}
	lk->await_cls = cls;
	lk->await_type = type;
	lk_send(lk, cls, type, &ps);
	if (lk->ack_timer)
		evloop_timer_del(lk->loop, lk->ack_timer);
	lk->ack_timer = evloop_timer_add(lk->loop, lk->cfg.ack_timeout_ms, lk_ack_expired, lk);
}

static void asp_ack_received(struct m3ua_link *lk)
{
	lk->await_cls = lk->await_type = 0;
	lk->ack_tries = 0;
	if (lk->ack_timer)
		evloop_timer_del(lk->loop, lk->ack_timer);
	lk->ack_timer = 0;
}

static void lk_drop(struct m3ua_link *lk);

static int lk_ack_expired(struct evloop *l, uint64_t id, void *ud)
{
	struct m3ua_link *lk = ud;
	lk->ack_timer = 0;
	if (!lk->await_cls)
		return EVLOOP_TIMER_DONE;
	lk_hold(lk);
	if (++lk->ack_tries >= M3UA_ACK_TRIES) {
		lk_drop(lk); /* the peer does not answer: start over */
	} else {
		uint8_t cls = lk->await_cls, type = lk->await_type;
		asp_request(lk, cls, type);
	}
	lk_release(lk);
	return EVLOOP_TIMER_DONE;
}

static int lk_beat(struct evloop *l, uint64_t id, void *ud)
{
	struct m3ua_link *lk = ud;
	if (!lk->conn || lk->dead) {
		lk->beat_timer = 0;
		return EVLOOP_TIMER_DONE;
	}
	if (lk->beats_unanswered >= M3UA_BEAT_MISSES) {
		lk->beat_timer = 0;
		lk->stats.beat_timeouts++;
		lk_hold(lk);
		lk_drop(lk);
		lk_release(lk);
		return EVLOOP_TIMER_DONE;
	}
	uint8_t data[8];
	uint32_t seq = ++lk->beat_seq;
	memcpy(data, "BEAT", 4);
	data[4] = (uint8_t)(seq >> 24), data[5] = (uint8_t)(seq >> 16), data[6] = (uint8_t)(seq >> 8);
	data[7] = (uint8_t)seq;
	struct lk_params ps = {.n = 0};
	par_bytes(&ps, M3UA_TAG_HEARTBEAT, data, sizeof(data));
	lk_send(lk, M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT, &ps);
	lk->beats_unanswered++;
	return (int)(lk->role == M3UA_ROLE_ASP ? lk->cfg.beat_ms : lk->sg->cfg.beat_ms);
}

static void lk_start_beat(struct m3ua_link *lk, unsigned ms)
{
	if (ms && !lk->beat_timer)
		lk->beat_timer = evloop_timer_add(lk->loop, ms, lk_beat, lk);
}

/* ---- ASP role ------------------------------------------------------------------------------- */

static void asp_connect(struct m3ua_link *lk);

static int asp_reconnect_due(struct evloop *l, uint64_t id, void *ud)
{
	struct m3ua_link *lk = ud;
	lk->reconnect_timer = 0;
	lk_hold(lk);
	lk->stats.reconnects++;
	asp_connect(lk);
	lk_release(lk);
	return EVLOOP_TIMER_DONE;
}

static void asp_schedule_reconnect(struct m3ua_link *lk)
{
	if (lk->dead || lk->reconnect_timer)
		return;
	lk->reconnect_timer = evloop_timer_add(lk->loop, lk->reconnect_ms, asp_reconnect_due, lk);
	lk->reconnect_ms = lk->reconnect_ms * 2 > M3UA_MAX_RECONNECT_MS ? M3UA_MAX_RECONNECT_MS
									  : lk->reconnect_ms * 2;
}

/* The association is gone (or we give up on it): ASP-DOWN; ASP links reconnect, SGP links end. */
static void lk_association_lost(struct m3ua_link *lk)
{
	lk->conn = NULL;
	lk->await_cls = lk->await_type = 0;
	lk->ack_tries = 0;
	lk->beats_unanswered = 0;
	lk_stop_timers(lk);
	lk_set_state(lk, M3UA_ASP_DOWN);
	if (lk->dead)
		return;
	if (lk->role == M3UA_ROLE_ASP) {
		asp_schedule_reconnect(lk);
	} else {
		struct m3ua_sg *sg = lk->sg;
		if (lk->cbs.on_free)
			lk->cbs.on_free(lk, lk->ud);
		lk->dead = true;
		if (sg) {
			sg_unlink(sg, lk);
			lk->sg = NULL;
			sg_update_as(sg);
		}
	}
}

static void lk_drop(struct m3ua_link *lk)
{
	struct tp_conn *c = lk->conn;
	if (!c)
		return;
	lk->conn = NULL;
	tp_close(c);
	lk_association_lost(lk);
}

/* ---- transport callbacks ------------------------------------------------------------------- */

static void lk_on_msg(struct tp_conn *c, const uint8_t *p, size_t len, uint16_t stream, void *ud);

static void lk_on_up(struct tp_conn *c, void *ud)
{
	struct m3ua_link *lk = ud;
	lk_hold(lk);
	/* RFC 4666 4.3.4.1: the ASP starts with ASP Up */
	asp_request(lk, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP);
	lk_start_beat(lk, lk->cfg.beat_ms);
	lk_release(lk);
}

static void lk_on_drain(struct tp_conn *c, void *ud)
{
	struct m3ua_link *lk = ud;
	lk_hold(lk);
	if (lk->cbs.on_drain)
		lk->cbs.on_drain(lk, lk->ud);
	lk_release(lk);
}

static void lk_on_down(struct tp_conn *c, int err, void *ud)
{
	struct m3ua_link *lk = ud;
	lk_hold(lk);
	if (err == -EBADMSG && lk->conn) /* TCP: not M3UA (bad version or length): ERR, close */
		lk_reject(lk, M3UA_ERR_INVALID_VERSION, NULL, 0);
	else if (err == -EMSGSIZE && lk->conn)
		lk_reject(lk, M3UA_ERR_PROTOCOL_ERROR, NULL, 0);
	lk->conn = NULL;
	lk_association_lost(lk);
	lk_release(lk);
}

static const struct tp_cbs lk_tp_cbs = {lk_on_up, lk_on_msg, lk_on_drain, lk_on_down};

static void asp_connect(struct m3ua_link *lk)
{
	char err[256];
	lk->conn = tp_connect(lk->net, &lk->cfg.remote, &lk->cfg.topts, &lk_tp_cbs, lk, err,
			      sizeof(err));
	if (!lk->conn)
		asp_schedule_reconnect(lk);
}

/* ---- receiving: checks shared by both roles ------------------------------------------------ */

/* RFC 4666 3.1.2: the classes and types this implementation knows. */
static bool m3ua_class_known(uint8_t cls)
{
	return cls == M3UA_CLS_MGMT || cls == M3UA_CLS_XFER || cls == M3UA_CLS_SSNM ||
	       cls == M3UA_CLS_ASPSM || cls == M3UA_CLS_ASPTM;
}

static bool m3ua_type_known(uint8_t cls, uint8_t type)
{
	switch (cls) {
	case M3UA_CLS_MGMT:
		return type == M3UA_MGMT_ERR || type == M3UA_MGMT_NTFY;
	case M3UA_CLS_XFER:
		return type == M3UA_XFER_DATA;
	case M3UA_CLS_SSNM:
		return type >= M3UA_SSNM_DUNA && type <= M3UA_SSNM_DRST;
	case M3UA_CLS_ASPSM:
		return type >= M3UA_ASPSM_ASPUP && type <= M3UA_ASPSM_BEAT_ACK;
	case M3UA_CLS_ASPTM:
		return type >= M3UA_ASPTM_ASPAC && type <= M3UA_ASPTM_ASPIA_ACK;
	}
	return false;
}

/* Routing context and network appearance of a message against what the link serves. */
static bool lk_check_rctx_na(struct m3ua_link *lk, const struct m3ua_msg *m, const uint8_t *p,
			     size_t len)
{
	uint32_t rc;
	bool has = lk_has_rctx(lk, &rc);
	if (m->has_rctx && (!has || m->rctx != rc)) {
		lk->stats.rx_bad++;
		lk_send_err_rc(lk, M3UA_ERR_INVALID_ROUTING_CTX, true, m->rctx, p, len);
		if (lk->cbs.on_reject)
			lk->cbs.on_reject(lk, p, len, M3UA_ERR_INVALID_ROUTING_CTX, lk->ud);
		return false;
	}
	bool has_na = lk->role == M3UA_ROLE_SGP ? lk->sg && lk->sg->cfg.has_na : lk->cfg.has_na;
	uint32_t na = lk->role == M3UA_ROLE_SGP ? (lk->sg ? lk->sg->cfg.na : 0) : lk->cfg.na;
	if (m->has_na && has_na && m->na != na) {
		lk_reject(lk, M3UA_ERR_INVALID_NET_APPEARANCE, p, len);
		return false;
	}
	return true;
}

static void lk_deliver_data(struct m3ua_link *lk, const uint8_t *p, size_t len,
			    const struct m3ua_msg *m, uint16_t stream)
{
	if (lk->state != M3UA_ASP_ACTIVE) { /* RFC 4666 4.3.4.3: DATA only while active */
		lk_reject(lk, M3UA_ERR_UNEXPECTED_MSG, p, len);
		return;
	}
	if (!m->has_proto_data) {
		lk_reject(lk, M3UA_ERR_MISSING_PARAM, p, len);
		return;
	}
	if (!lk_check_rctx_na(lk, m, p, len))
		return;
	lk->stats.rx_data++;
	if (lk->cbs.on_data)
		lk->cbs.on_data(lk, p, len, m, stream, lk->ud);
}

static void lk_deliver_ssnm(struct m3ua_link *lk, const uint8_t *p, size_t len,
			    const struct m3ua_msg *m)
{
	if (lk->state == M3UA_ASP_DOWN) {
		lk_reject(lk, M3UA_ERR_UNEXPECTED_MSG, p, len);
		return;
	}
	if (m->affected_pcs.len == 0) { /* every SSNM message carries Affected Point Code */
		lk_reject(lk, M3UA_ERR_MISSING_PARAM, p, len);
		return;
	}
	if (!lk_check_rctx_na(lk, m, p, len))
		return;
	lk->stats.ssnm_rcvd++;
	if (lk->cbs.on_ssnm)
		lk->cbs.on_ssnm(lk, p, len, m, lk->ud);
}

static void lk_beat_ack(struct m3ua_link *lk, const struct m3ua_msg *m)
{
	/* RFC 4666 3.5.6: BEAT Ack echoes the Heartbeat Data unchanged */
	struct lk_params ps = {.n = 0};
	for (unsigned i = 0; i < m->n_params && ps.n < 8; i++)
		if (m->params[i].tag == M3UA_TAG_HEARTBEAT)
			par_bytes(&ps, M3UA_TAG_HEARTBEAT, m->params[i].value.p, m->params[i].value.len);
	lk_send(lk, M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT_ACK, &ps);
}

static void lk_got_err(struct m3ua_link *lk, const struct m3ua_msg *m)
{
	lk->stats.err_rcvd++;
	lk->stats.last_err_rcvd = m->has_error_code ? m->error_code : 0;
	/* ASP role: a refused ASPAC (bad routing context or traffic mode) will not improve by
	 * repeating it: stay ASP-INACTIVE */
	if (lk->role == M3UA_ROLE_ASP && lk->await_cls == M3UA_CLS_ASPTM &&
	    (lk->stats.last_err_rcvd == M3UA_ERR_INVALID_ROUTING_CTX ||
	     lk->stats.last_err_rcvd == M3UA_ERR_UNSUPP_TRAFFIC_MODE ||
	     lk->stats.last_err_rcvd == M3UA_ERR_NO_CONFIGURED_AS))
		asp_ack_received(lk);
}

/* ---- ASP role: messages from the SGP ----------------------------------------------------- */

static void asp_rx(struct m3ua_link *lk, const uint8_t *p, size_t len, const struct m3ua_msg *m,
		   uint16_t stream)
{
	uint8_t cls = m->msg_class, type = m->msg_type;
	switch (cls) {
	case M3UA_CLS_ASPSM:
		if (type == M3UA_ASPSM_BEAT) {
			lk_beat_ack(lk, m);
		} else if (type == M3UA_ASPSM_BEAT_ACK) {
			lk->beats_unanswered = 0;
		} else if (type == M3UA_ASPSM_ASPUP_ACK && lk->await_type == M3UA_ASPSM_ASPUP &&
			   lk->await_cls == M3UA_CLS_ASPSM) {
			asp_ack_received(lk);
			lk_set_state(lk, M3UA_ASP_INACTIVE);
			if (!lk->want_inactive && !lk->dead)
				asp_request(lk, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC);
		} else if (type == M3UA_ASPSM_ASPDN_ACK && lk->state != M3UA_ASP_DOWN) {
			/* unsolicited (we only send ASP Down when closing): the SGP considers us
			 * down, e.g. management blocking. Ask again after T(ack). */
			asp_ack_received(lk);
			lk_set_state(lk, M3UA_ASP_DOWN);
			if (!lk->dead) {
				lk->await_cls = M3UA_CLS_ASPSM;
				lk->await_type = M3UA_ASPSM_ASPUP;
				lk->ack_timer = evloop_timer_add(lk->loop, lk->cfg.ack_timeout_ms,
								 lk_ack_expired, lk);
			}
		} else if (type == M3UA_ASPSM_ASPUP_ACK && lk->state != M3UA_ASP_DOWN) {
			/* a late duplicate of an acknowledgement we already acted on */
		} else {
			lk_reject(lk, M3UA_ERR_UNEXPECTED_MSG, p, len);
		}
		break;
	case M3UA_CLS_ASPTM:
		if (lk->state == M3UA_ASP_DOWN) {
			lk_reject(lk, M3UA_ERR_UNEXPECTED_MSG, p, len);
		} else if (type == M3UA_ASPTM_ASPAC_ACK && lk->await_type == M3UA_ASPTM_ASPAC &&
			   lk->await_cls == M3UA_CLS_ASPTM) {
			asp_ack_received(lk);
			lk->reconnect_ms = lk->cfg.reconnect_ms; /* a good association resets back-off */
			lk_set_state(lk, M3UA_ASP_ACTIVE);
		} else if (type == M3UA_ASPTM_ASPIA_ACK && lk->await_type == M3UA_ASPTM_ASPIA &&
			   lk->await_cls == M3UA_CLS_ASPTM) {
			asp_ack_received(lk);
			lk_set_state(lk, M3UA_ASP_INACTIVE);
		} else if (type == M3UA_ASPTM_ASPAC_ACK || type == M3UA_ASPTM_ASPIA_ACK) {
			/* late duplicate */
		} else {
			lk_reject(lk, M3UA_ERR_UNEXPECTED_MSG, p, len);
		}
		break;
	case M3UA_CLS_MGMT:
		if (type == M3UA_MGMT_ERR) {
			lk_got_err(lk, m);
			break;
		}
		/* NTFY, RFC 4666 3.8.2 */
		if (!m->has_status) {
			lk_reject(lk, M3UA_ERR_MISSING_PARAM, p, len);
			break;
		}
		lk->stats.ntfy_rcvd++;
		if (m->status_type == M3UA_NTFY_AS_STATE_CHANGE &&
		    m->status_info >= M3UA_AS_INACTIVE && m->status_info <= M3UA_AS_PENDING) {
			lk->as_state = (enum m3ua_as_state)m->status_info;
		} else if (m->status_type == M3UA_NTFY_OTHER &&
			   m->status_info == M3UA_NTFY_ALT_ASP_ACTIVE) {
			/* override mode: another ASP took over; we are standby */
			lk_set_state(lk, M3UA_ASP_INACTIVE);
		} else if (m->status_type == M3UA_NTFY_OTHER &&
			   m->status_info == M3UA_NTFY_INSUFF_ASP &&
			   lk->state == M3UA_ASP_INACTIVE && !lk->want_inactive && !lk->await_cls) {
			/* the AS needs us: offer ourselves again */
			asp_request(lk, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC);
		}
		break;
	case M3UA_CLS_XFER:
		lk_deliver_data(lk, p, len, m, stream);
		break;
	case M3UA_CLS_SSNM:
		if (type == M3UA_SSNM_DAUD) /* audits go from ASP to SGP, not back */
			lk_reject(lk, M3UA_ERR_UNEXPECTED_MSG, p, len);
		else
			lk_deliver_ssnm(lk, p, len, m);
		break;
	}
}

/* ---- SGP role: messages from an ASP -------------------------------------------------------- */

static void sgp_aspup(struct m3ua_link *lk, const uint8_t *p, size_t len, const struct m3ua_msg *m)
{
	if (m->has_asp_id) {
		lk->has_peer_asp_id = true;
		lk->peer_asp_id = m->asp_id;
	}
	if (lk->state == M3UA_ASP_ACTIVE) {
		/* RFC 4666 4.3.4.1: ASP Up from an active ASP: ERR, ASP Up Ack, and inactive */
		lk_reject(lk, M3UA_ERR_UNEXPECTED_MSG, p, len);
		lk_send(lk, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP_ACK, NULL);
		lk_set_state(lk, M3UA_ASP_INACTIVE);
		return;
	}
	lk_send(lk, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP_ACK, NULL);
	if (lk->state == M3UA_ASP_DOWN && lk->sg) {
		struct m3ua_sg *sg = lk->sg;
		enum m3ua_as_state before = sg->as_state;
		lk_set_state(lk, M3UA_ASP_INACTIVE);
		/* tell the new ASP where its AS stands, unless the AS state change just did */
		if (!lk->dead && sg->as_state == before)
			lk_send_ntfy(lk, M3UA_NTFY_AS_STATE_CHANGE, (uint16_t)sg->as_state);
	}
}

/* Override mode: the newly active ASP takes the traffic; the others become standby. */
static void sg_override_others(struct m3ua_sg *sg, struct m3ua_link *winner)
{
	for (struct m3ua_link *o = sg->links; o; o = o->next) {
		if (o == winner || o->state != M3UA_ASP_ACTIVE)
			continue;
		lk_send_ntfy(o, M3UA_NTFY_OTHER, M3UA_NTFY_ALT_ASP_ACTIVE);
		o->state = M3UA_ASP_INACTIVE; /* the AS stays active: no AS state change */
		if (o->cbs.on_state)
			o->cbs.on_state(o, M3UA_ASP_ACTIVE, M3UA_ASP_INACTIVE, o->ud);
	}
}

static void sgp_aspac(struct m3ua_link *lk, const uint8_t *p, size_t len, const struct m3ua_msg *m)
{
	struct m3ua_sg *sg = lk->sg;
	if (lk->state == M3UA_ASP_DOWN || !sg) {
		lk_reject(lk, M3UA_ERR_UNEXPECTED_MSG, p, len);
		return;
	}
	if (!lk_check_rctx_na(lk, m, p, len))
		return;
	uint32_t tmt = sg->cfg.tmt;
	if (m->has_tmt && m->tmt != tmt) { /* broadcast, or not the AS's mode */
		lk_reject(lk, M3UA_ERR_UNSUPP_TRAFFIC_MODE, p, len);
		return;
	}
	struct lk_params ps = {.n = 0};
	par_u32(&ps, M3UA_TAG_TRAFFIC_MODE, tmt);
	if (sg->cfg.has_rctx)
		par_u32(&ps, M3UA_TAG_ROUTING_CTX, sg->cfg.rctx);
	lk_send(lk, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC_ACK, &ps);
	if (lk->state == M3UA_ASP_ACTIVE)
		return;
	if (tmt == M3UA_TMT_OVERRIDE)
		sg_override_others(sg, lk);
	lk_set_state(lk, M3UA_ASP_ACTIVE);
}

static void sgp_aspia(struct m3ua_link *lk, const uint8_t *p, size_t len, const struct m3ua_msg *m)
{
	if (lk->state == M3UA_ASP_DOWN) {
		lk_reject(lk, M3UA_ERR_UNEXPECTED_MSG, p, len);
		return;
	}
	if (!lk_check_rctx_na(lk, m, p, len))
		return;
	struct lk_params ps = {.n = 0};
	uint32_t rc;
	if (lk_has_rctx(lk, &rc))
		par_u32(&ps, M3UA_TAG_ROUTING_CTX, rc);
	lk_send(lk, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPIA_ACK, &ps);
	lk_set_state(lk, M3UA_ASP_INACTIVE);
}

/* DAUD (RFC 4666 3.4.3): answer DAVA/DUNA per affected point code from the owner's view. */
static void sgp_daud(struct m3ua_link *lk, const uint8_t *p, size_t len, const struct m3ua_msg *m)
{
	if (lk->state == M3UA_ASP_DOWN) {
		lk_reject(lk, M3UA_ERR_UNEXPECTED_MSG, p, len);
		return;
	}
	if (m->affected_pcs.len == 0) {
		lk_reject(lk, M3UA_ERR_MISSING_PARAM, p, len);
		return;
	}
	if (!lk_check_rctx_na(lk, m, p, len))
		return;
	lk->stats.ssnm_rcvd++;
	for (size_t off = 0; off + 4 <= m->affected_pcs.len; off += 4) {
		const uint8_t *e = m->affected_pcs.p + off;
		uint32_t pc = (uint32_t)e[1] << 16 | (uint32_t)e[2] << 8 | e[3];
		int st = lk->cbs.dest_state ? lk->cbs.dest_state(lk, pc, lk->ud) : -1;
		if (lk->dead)
			return;
		if (st < 0)
			lk_send_err_rc(lk, M3UA_ERR_DEST_STATUS_UNKNOWN, false, 0, p, len);
		else
			m3ua_link_send_ssnm(lk, st ? M3UA_SSNM_DAVA : M3UA_SSNM_DUNA, &pc, 1);
	}
}

static void sgp_rx(struct m3ua_link *lk, const uint8_t *p, size_t len, const struct m3ua_msg *m,
		   uint16_t stream)
{
	uint8_t cls = m->msg_class, type = m->msg_type;
	switch (cls) {
	case M3UA_CLS_ASPSM:
		if (type == M3UA_ASPSM_ASPUP) {
			sgp_aspup(lk, p, len, m);
		} else if (type == M3UA_ASPSM_ASPDN) {
			/* RFC 4666 4.3.4.2: always acknowledged, even when already down */
			lk_send(lk, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPDN_ACK, NULL);
			lk_set_state(lk, M3UA_ASP_DOWN);
		} else if (type == M3UA_ASPSM_BEAT) {
			lk_beat_ack(lk, m);
		} else if (type == M3UA_ASPSM_BEAT_ACK) {
			lk->beats_unanswered = 0;
		} else {
			lk_reject(lk, M3UA_ERR_UNEXPECTED_MSG, p, len);
		}
		break;
	case M3UA_CLS_ASPTM:
		if (type == M3UA_ASPTM_ASPAC)
			sgp_aspac(lk, p, len, m);
		else if (type == M3UA_ASPTM_ASPIA)
			sgp_aspia(lk, p, len, m);
		else
			lk_reject(lk, M3UA_ERR_UNEXPECTED_MSG, p, len);
		break;
	case M3UA_CLS_MGMT:
		if (type == M3UA_MGMT_ERR)
			lk_got_err(lk, m);
		else /* NTFY goes from SGP to ASP only */
			lk_reject(lk, M3UA_ERR_UNEXPECTED_MSG, p, len);
		break;
	case M3UA_CLS_XFER:
		lk_deliver_data(lk, p, len, m, stream);
		break;
	case M3UA_CLS_SSNM:
		/* RFC 4666 1.4.3.3 / 3.4: an ASP sends DAUD and SCON to its SGP; DUNA, DAVA, DUPU
		 * and DRST go the other way */
		if (type == M3UA_SSNM_DAUD)
			sgp_daud(lk, p, len, m);
		else if (type == M3UA_SSNM_SCON)
			lk_deliver_ssnm(lk, p, len, m);
		else
			lk_reject(lk, M3UA_ERR_UNEXPECTED_MSG, p, len);
		break;
	}
}

static void lk_on_msg(struct tp_conn *c, const uint8_t *p, size_t len, uint16_t stream, void *ud)
{
	struct m3ua_link *lk = ud;
	lk->stats.rx_msgs++;
	/* an ERR is never answered with an ERR (RFC 4666 3.8.1) */
	bool is_err = len >= 4 && p[2] == M3UA_CLS_MGMT && p[3] == M3UA_MGMT_ERR;
	uint32_t code = 0;
	struct m3ua_msg m;
	struct dfs_err e = {0};
	if (len < 8)
		code = M3UA_ERR_PROTOCOL_ERROR;
	else if (p[0] != 1)
		code = M3UA_ERR_INVALID_VERSION;
	else if (!m3ua_class_known(p[2]))
		code = M3UA_ERR_UNSUPP_MSG_CLASS; /* including RKM: no dynamic registration */
	else if (!m3ua_type_known(p[2], p[3]))
		code = M3UA_ERR_UNSUPP_MSG_TYPE;
	else if (m3ua_decode(p, len, 0, &m, &e) < 0)
		/* the codec names a missing mandatory parameter by its tag, at the end of the
		 * message; everything else is a malformed parameter */
		code = e.reason && !strcmp(e.reason, "mandatory parameter missing") ? M3UA_ERR_MISSING_PARAM
										     : M3UA_ERR_PARAM_FIELD_ERROR;
	else if (p[2] == M3UA_CLS_ASPSM && stream != 0)
		code = M3UA_ERR_INVALID_STREAM_ID; /* RFC 4666 4.3.4: ASPSM on stream 0 only */
	if (code) {
		if (is_err) {
			lk->stats.rx_bad++;
			lk->stats.err_rcvd++;
		} else {
			lk_reject(lk, code, p, len);
		}
		return;
	}
	lk_hold(lk);
	if (lk->role == M3UA_ROLE_ASP)
		asp_rx(lk, p, len, &m, stream);
	else
		sgp_rx(lk, p, len, &m, stream);
	lk_release(lk);
}

void m3ua_link_input(struct m3ua_link *lk, const uint8_t *msg, size_t len, uint16_t stream)
{
	if (!lk->dead)
		lk_on_msg(lk->conn, msg, len, stream, lk);
}

/* ---- ASP role API --------------------------------------------------------------------------- */

static struct m3ua_link *lk_alloc(struct tp_net *net, enum m3ua_role role, const char *name,
				  const struct m3ua_cbs *cbs, void *ud)
{
	struct m3ua_link *lk = calloc(1, sizeof(*lk));
	if (!lk)
		return NULL;
	lk->role = role;
	lk->net = net;
	lk->loop = tp_net_loop(net);
	snprintf(lk->name, sizeof(lk->name), "%s", name ? name : "m3ua");
	if (cbs)
		lk->cbs = *cbs;
	lk->ud = ud;
	return lk;
}

struct m3ua_link *m3ua_asp_new(struct tp_net *net, const struct m3ua_asp_cfg *cfg,
			       const struct m3ua_cbs *cbs, void *ud, char *err, size_t errsz)
{
	if (cfg->tmt > M3UA_TMT_BROADCAST) {
		snprintf(err, errsz, "m3ua asp %s: traffic mode %u (1 override, 2 loadshare, "
				     "3 broadcast)", cfg->name ? cfg->name : "", cfg->tmt);
		return NULL;
	}
	struct m3ua_link *lk = lk_alloc(net, M3UA_ROLE_ASP, cfg->name, cbs, ud);
	if (!lk) {
		snprintf(err, errsz, "m3ua: out of memory");
		return NULL;
	}
	lk->cfg = *cfg;
	lk->cfg.name = lk->name;
	if (!lk->cfg.ack_timeout_ms)
		lk->cfg.ack_timeout_ms = M3UA_DEFAULT_ACK_MS;
	if (!lk->cfg.reconnect_ms)
		lk->cfg.reconnect_ms = M3UA_DEFAULT_RECONNECT_MS;
	lk->reconnect_ms = lk->cfg.reconnect_ms;
	lk->conn = tp_connect(net, &lk->cfg.remote, &lk->cfg.topts, &lk_tp_cbs, lk, err, errsz);
	if (!lk->conn) {
		free(lk);
		return NULL;
	}
	return lk;
}

int m3ua_asp_set_inactive(struct m3ua_link *lk, bool inactive)
{
	if (lk->role != M3UA_ROLE_ASP)
		return -EINVAL;
	lk->want_inactive = inactive;
	if (lk->state == M3UA_ASP_DOWN || lk->await_cls)
		return 0; /* applied when ASP Up completes */
	if (inactive && lk->state == M3UA_ASP_ACTIVE)
		asp_request(lk, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPIA);
	else if (!inactive && lk->state == M3UA_ASP_INACTIVE)
		asp_request(lk, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC);
	return 0;
}

void m3ua_link_close(struct m3ua_link *lk)
{
	if (!lk || lk->dead)
		return;
	lk_hold(lk);
	if (lk->cbs.on_free)
		lk->cbs.on_free(lk, lk->ud);
	lk->cbs = (struct m3ua_cbs){0};
	/* RFC 4666 4.3.4.2: an ASP going away says ASP Down first */
	if (lk->conn && lk->role == M3UA_ROLE_ASP && lk->state != M3UA_ASP_DOWN)
		lk_send(lk, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPDN, NULL);
	lk->dead = true;
	lk_stop_timers(lk);
	if (lk->conn) {
		tp_close_flushed(lk->conn);
		lk->conn = NULL;
	}
	if (lk->sg) {
		struct m3ua_sg *sg = lk->sg;
		sg_unlink(sg, lk);
		lk->sg = NULL;
		lk->state = M3UA_ASP_DOWN;
		sg_update_as(sg);
	}
	lk_release(lk);
}

enum m3ua_role m3ua_link_role(const struct m3ua_link *lk) { return lk->role; }
enum m3ua_asp_state m3ua_link_state(const struct m3ua_link *lk) { return lk->state; }
enum m3ua_as_state m3ua_link_as_state(const struct m3ua_link *lk) { return lk->as_state; }
const char *m3ua_link_name(const struct m3ua_link *lk) { return lk->name; }
const struct m3ua_link_stats *m3ua_link_stats(const struct m3ua_link *lk) { return &lk->stats; }
struct m3ua_sg *m3ua_link_sg(const struct m3ua_link *lk) { return lk->sg; }
struct tp_conn *m3ua_link_conn(const struct m3ua_link *lk) { return lk->conn; }
void m3ua_link_set_userdata(struct m3ua_link *lk, void *p) { lk->user = p; }
void *m3ua_link_userdata(const struct m3ua_link *lk) { return lk->user; }

/* ---- SGP: the application server ----------------------------------------------------------- */

static void sg_notify_all(struct m3ua_sg *sg, uint16_t type, uint16_t info, bool inactive_only)
{
	for (struct m3ua_link *lk = sg->links; lk; lk = lk->next) {
		if (lk->state == M3UA_ASP_DOWN || lk->dead)
			continue;
		if (inactive_only && lk->state != M3UA_ASP_INACTIVE)
			continue;
		lk_send_ntfy(lk, type, info);
	}
}

static void sg_set_as(struct m3ua_sg *sg, enum m3ua_as_state now)
{
	enum m3ua_as_state old = sg->as_state;
	if (old == now)
		return;
	sg->as_state = now;
	/* RFC 4666 4.3.4.5: AS state changes are notified to the ASPs of the AS */
	if (now != M3UA_AS_DOWN)
		sg_notify_all(sg, M3UA_NTFY_AS_STATE_CHANGE, (uint16_t)now, false);
	if (sg->cbs.on_as_state)
		sg->cbs.on_as_state(sg, old, now, sg->ud);
}

static int sg_recovery_expired(struct evloop *l, uint64_t id, void *ud)
{
	struct m3ua_sg *sg = ud;
	sg->recovery_timer = 0;
	if (sg->as_state == M3UA_AS_PENDING)
		sg_set_as(sg, m3ua_sg_count(sg, M3UA_ASP_INACTIVE) ? M3UA_AS_INACTIVE : M3UA_AS_DOWN);
	return EVLOOP_TIMER_DONE;
}

static void sg_update_as(struct m3ua_sg *sg)
{
	unsigned up = m3ua_sg_count(sg, M3UA_ASP_INACTIVE);
	unsigned active = m3ua_sg_count(sg, M3UA_ASP_ACTIVE);
	unsigned need = sg->cfg.tmt == M3UA_TMT_LOADSHARE ? sg->cfg.min_active : 1;
	enum m3ua_as_state old = sg->as_state;
	if (active >= need || (old == M3UA_AS_ACTIVE && active > 0)) {
		if (sg->recovery_timer) {
			evloop_timer_del(sg->loop, sg->recovery_timer);
			sg->recovery_timer = 0;
		}
		if (old == M3UA_AS_ACTIVE && active < need) /* RFC 4666 4.3.4.3 loadshare */
			sg_notify_all(sg, M3UA_NTFY_OTHER, M3UA_NTFY_INSUFF_ASP, true);
		sg_set_as(sg, M3UA_AS_ACTIVE);
	} else if (old == M3UA_AS_ACTIVE || old == M3UA_AS_PENDING) {
		/* the last active ASP left: hold traffic for T(r), then give up */
		if (!sg->recovery_timer)
			sg->recovery_timer = evloop_timer_add(sg->loop, sg->cfg.recovery_ms,
							      sg_recovery_expired, sg);
		if (old == M3UA_AS_ACTIVE)
			sg_notify_all(sg, M3UA_NTFY_OTHER, M3UA_NTFY_INSUFF_ASP, true);
		sg_set_as(sg, M3UA_AS_PENDING);
	} else {
		sg_set_as(sg, up ? M3UA_AS_INACTIVE : M3UA_AS_DOWN);
	}
}

static void sg_on_accept(struct tp_listener *ls, struct tp_conn *c, void *ud)
{
	struct m3ua_sg *sg = ud;
	struct m3ua_link *lk = lk_alloc(sg->net, M3UA_ROLE_SGP, sg->name, &sg->cbs, sg->ud);
	if (!lk) {
		tp_close(c);
		return;
	}
	snprintf(lk->name, sizeof(lk->name), "%.40s/%.60s", sg->name, tp_peer_name(c));
	lk->sg = sg;
	lk->conn = c;
	lk->next = sg->links;
	sg->links = lk;
	tp_conn_set_cbs(c, &lk_tp_cbs, lk);
	lk_hold(lk);
	if (sg->cbs.on_accept)
		sg->cbs.on_accept(sg, lk, sg->ud);
	if (!lk->dead)
		lk_start_beat(lk, sg->cfg.beat_ms);
	lk_release(lk);
}

struct m3ua_sg *m3ua_sg_new(struct tp_net *net, const struct m3ua_sg_cfg *cfg,
			    const struct m3ua_cbs *cbs, void *ud, char *err, size_t errsz)
{
	uint32_t tmt = cfg->tmt ? cfg->tmt : M3UA_TMT_OVERRIDE;
	if (tmt != M3UA_TMT_OVERRIDE && tmt != M3UA_TMT_LOADSHARE) {
		snprintf(err, errsz, "m3ua sg %s: traffic mode must be override or loadshare",
			 cfg->name ? cfg->name : "");
		return NULL;
	}
	struct m3ua_sg *sg = calloc(1, sizeof(*sg));
	if (!sg) {
		snprintf(err, errsz, "m3ua: out of memory");
		return NULL;
	}
	sg->net = net;
	sg->loop = tp_net_loop(net);
	sg->cfg = *cfg;
	sg->cfg.tmt = tmt;
	if (!sg->cfg.min_active)
		sg->cfg.min_active = 1;
	if (!sg->cfg.recovery_ms)
		sg->cfg.recovery_ms = M3UA_DEFAULT_RECOVERY_MS;
	snprintf(sg->name, sizeof(sg->name), "%s", cfg->name ? cfg->name : "sg");
	sg->cfg.name = sg->name;
	if (cbs)
		sg->cbs = *cbs;
	sg->ud = ud;
	sg->as_state = M3UA_AS_DOWN;
	sg->ls = tp_listen(net, &cfg->local, &cfg->topts, sg_on_accept, sg, err, errsz);
	if (!sg->ls) {
		free(sg);
		return NULL;
	}
	return sg;
}

void m3ua_sg_close(struct m3ua_sg *sg)
{
	if (!sg)
		return;
	tp_listener_close(sg->ls);
	if (sg->recovery_timer)
		evloop_timer_del(sg->loop, sg->recovery_timer);
	sg->cbs.on_as_state = NULL;
	while (sg->links) {
		struct m3ua_link *lk = sg->links;
		sg->links = lk->next;
		lk->next = NULL;
		lk->sg = NULL;
		m3ua_link_close(lk);
	}
	free(sg);
}

uint16_t m3ua_sg_port(const struct m3ua_sg *sg) { return tp_listener_port(sg->ls); }
enum m3ua_as_state m3ua_sg_as_state(const struct m3ua_sg *sg) { return sg->as_state; }
const char *m3ua_sg_name(const struct m3ua_sg *sg) { return sg->name; }
void *m3ua_sg_userdata(const struct m3ua_sg *sg) { return sg->ud; }

unsigned m3ua_sg_count(const struct m3ua_sg *sg, enum m3ua_asp_state at_least)
{
	unsigned n = 0;
	for (const struct m3ua_link *lk = sg->links; lk; lk = lk->next)
		if (!lk->dead && lk->state >= at_least)
			n++;
	return n;
}

struct m3ua_link *m3ua_sg_next(const struct m3ua_sg *sg, const struct m3ua_link *prev)
{
	return prev ? prev->next : sg->links;
}

struct m3ua_link *m3ua_sg_pick(struct m3ua_sg *sg, uint8_t sls)
{
	unsigned active = m3ua_sg_count(sg, M3UA_ASP_ACTIVE);
	if (!active)
		return NULL;
	if (sg->cfg.tmt == M3UA_TMT_OVERRIDE) { /* normally exactly one: the newest */
		struct m3ua_link *best = NULL;
		for (struct m3ua_link *lk = sg->links; lk; lk = lk->next)
			if (!lk->dead && lk->state == M3UA_ASP_ACTIVE &&
			    (!best || lk->active_seq > best->active_seq))
				best = lk;
		return best;
	}
	/* loadshare: a stable order (activation order) so an SLS keeps its ASP while the set of
	 * active ASPs does not change */
	unsigned want = sls % active, i = 0;
	struct m3ua_link *order[64];
	for (struct m3ua_link *lk = sg->links; lk && i < 64; lk = lk->next)
		if (!lk->dead && lk->state == M3UA_ASP_ACTIVE)
			order[i++] = lk;
	for (unsigned a = 1; a < i; a++) /* insertion sort by activation */
		for (unsigned b = a; b > 0 && order[b]->active_seq < order[b - 1]->active_seq; b--) {
			struct m3ua_link *t = order[b];
			order[b] = order[b - 1];
			order[b - 1] = t;
		}
	return want < i ? order[want] : order[0];
}
