/* M3UA ASP and SGP state machines against scripted peers over loopback: every ASP state
 * transition, AS state changes with NTFY in override and loadshare mode, BEAT, T(ack)
 * retransmission and reconnect, and each ERR code (RFC 4666 3.8.1) for the message that earns
 * it. The scripted peer is a raw transport connection that sends hand-built messages and
 * records what comes back. Loops are bounded; timers are short but nothing asserts on time. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evloop.h"
#include "m3ua_asp.h"
#include "m3ua.h"
#include "transport.h"

#define RC_AS 10
#define MAXREC 128

/* ---- a scripted peer ----------------------------------------------------------------------- */

struct rec {
	uint8_t raw[600];
	size_t len;
	uint16_t stream;
	struct m3ua_msg m; /* views into raw */
};

struct peer {
	struct tp_conn *c;
	bool up;
	int downs;
	struct rec rx[MAXREC];
	unsigned n;   /* received */
	unsigned seen; /* consumed by expect() */
	bool ignore_beat; /* do not answer BEAT */
};

static void peer_on_up(struct tp_conn *c, void *ud) { ((struct peer *)ud)->up = true; }

static void peer_on_msg(struct tp_conn *c, const uint8_t *p, size_t len, uint16_t stream, void *ud)
{
	struct peer *pe = ud;
	assert_true(pe->n < MAXREC);
	assert_true(len <= sizeof(pe->rx[0].raw));
	struct rec *r = &pe->rx[pe->n++];
	memcpy(r->raw, p, len);
	r->len = len;
	r->stream = stream;
	struct dfs_err e;
	assert_int_equal(m3ua_decode(r->raw, len, 0, &r->m, &e), 0);
}

static void peer_on_down(struct tp_conn *c, int err, void *ud)
{
	struct peer *pe = ud;
	pe->downs++;
	pe->up = false;
	pe->c = NULL;
}

static const struct tp_cbs peer_cbs = {peer_on_up, peer_on_msg, NULL, peer_on_down};

/* ---- the world: loop, network, one SG or one ASP, and peers -------------------------------- */

struct world {
	struct evloop *l;
	struct tp_net *net;
	struct m3ua_sg *sg;
	struct m3ua_link *asp;
	enum tp_kind kind;
	/* what the M3UA side reported */
	unsigned data_n, ssnm_n, rejects;
	uint8_t last_data[600];
	size_t last_data_len;
	uint16_t last_stream;
	enum m3ua_as_state as_now;
	unsigned as_changes, state_changes;
	struct m3ua_link *last_accepted;
	int dest_answer; /* for DAUD */
	/* scripted SGP for ASP tests */
	struct tp_listener *ls;
	struct peer srv;
	unsigned accepts;
};

#define RUN_UNTIL(w, cond)                                                                     \
	do {                                                                                   \
		uint64_t deadline_ = evloop_now_ms() + 20000;                                  \
		for (int i_ = 0; i_ < 100000 && !(cond) && evloop_now_ms() < deadline_; i_++) \
			assert_true(evloop_run_once((w)->l, 10) >= 0);                        \
		assert_true(cond);                                                             \
	} while (0)

static void settle(struct world *w)
{
	for (int i = 0; i < 5; i++)
		evloop_run_once(w->l, 2);
}

static void on_data(struct m3ua_link *lk, const uint8_t *msg, size_t len, const struct m3ua_msg *m,
		    uint16_t stream, void *ud)
{
	struct world *w = ud;
	w->data_n++;
	assert_true(len <= sizeof(w->last_data));
	memcpy(w->last_data, msg, len);
	w->last_data_len = len;
	w->last_stream = stream;
}

static void on_ssnm(struct m3ua_link *lk, const uint8_t *msg, size_t len, const struct m3ua_msg *m,
		    void *ud)
{
	((struct world *)ud)->ssnm_n++;
}

static void on_state(struct m3ua_link *lk, enum m3ua_asp_state o, enum m3ua_asp_state n, void *ud)
{
	((struct world *)ud)->state_changes++;
}

static void on_as_state(struct m3ua_sg *sg, enum m3ua_as_state o, enum m3ua_as_state n, void *ud)
{
	struct world *w = ud;
	w->as_now = n;
	w->as_changes++;
}

static int dest_state(struct m3ua_link *lk, uint32_t pc, void *ud)
{
	return pc == 0x1234 ? ((struct world *)ud)->dest_answer : -1;
}

static void on_accept(struct m3ua_sg *sg, struct m3ua_link *lk, void *ud)
{
	((struct world *)ud)->last_accepted = lk;
}

static void on_reject(struct m3ua_link *lk, const uint8_t *msg, size_t len, uint32_t code, void *ud)
{
	((struct world *)ud)->rejects++;
}

static const struct m3ua_cbs wcbs = {
	.on_data = on_data, .on_ssnm = on_ssnm, .on_state = on_state, .on_as_state = on_as_state,
	.dest_state = dest_state, .on_accept = on_accept, .on_reject = on_reject,
};

static struct world *world_new(enum tp_kind kind)
{
	struct world *w = calloc(1, sizeof(*w));
	char err[256];
	w->kind = kind;
	w->l = evloop_new(err, sizeof(err));
	w->net = tp_net_new(w->l, err, sizeof(err));
	if (kind == TP_USRSCTP)
		assert_int_equal(tp_net_usrsctp_start(w->net, 0, err, sizeof(err)), 0);
	return w;
}

static void world_free(struct world *w)
{
	if (w->sg)
		m3ua_sg_close(w->sg);
	if (w->asp)
		m3ua_link_close(w->asp);
	if (w->ls)
		tp_listener_close(w->ls);
	tp_net_free(w->net);
	evloop_free(w->l);
	free(w);
}

static void sg_start(struct world *w, uint32_t tmt, unsigned min_active)
{
	char err[256];
	struct m3ua_sg_cfg cfg = {.name = "partner", .has_rctx = true, .rctx = RC_AS,
				  .has_na = true, .na = 8, .tmt = tmt, .min_active = min_active,
				  .recovery_ms = 30};
	cfg.local = (struct tp_endpoint){.kind = w->kind, .n_addrs = 1, .addrs = {"127.0.0.1"}};
	w->sg = m3ua_sg_new(w->net, &cfg, &wcbs, w, err, sizeof(err));
	if (!w->sg)
		fail_msg("sg: %s", err);
	assert_int_equal(m3ua_sg_as_state(w->sg), M3UA_AS_DOWN);
}

static void peer_connect(struct world *w, struct peer *pe)
{
	char err[256];
	memset(pe, 0, sizeof(*pe));
	struct tp_endpoint ep = {.kind = w->kind, .n_addrs = 1, .addrs = {"127.0.0.1"},
				 .port = m3ua_sg_port(w->sg)};
	pe->c = tp_connect(w->net, &ep, NULL, &peer_cbs, pe, err, sizeof(err));
	assert_non_null(pe->c);
	RUN_UNTIL(w, pe->up && w->last_accepted);
}

/* Build and send one message; params given as (tag, u32) pairs, tag 0 ends. */
struct param_spec {
	uint16_t tag;
	uint32_t v;
	const uint8_t *bytes; /* instead of v when set */
	size_t blen;
};

static size_t build(uint8_t *buf, size_t cap, uint8_t cls, uint8_t type, const struct param_spec *ps)
{
	struct m3ua_param params[8] = {{0}};
	uint8_t store[8][4];
	unsigned n = 0;
	for (; ps && ps[n].tag; n++) {
		params[n].tag = ps[n].tag;
		if (ps[n].bytes) {
			params[n].value.p = ps[n].bytes;
			params[n].value.len = ps[n].blen;
		} else {
			store[n][0] = (uint8_t)(ps[n].v >> 24), store[n][1] = (uint8_t)(ps[n].v >> 16);
			store[n][2] = (uint8_t)(ps[n].v >> 8), store[n][3] = (uint8_t)ps[n].v;
			params[n].value.p = store[n];
			params[n].value.len = 4;
		}
	}
	struct dfs_wbuf wb = dfs_wbuf_init(buf, cap);
	assert_int_equal(m3ua_encode(&wb, cls, type, params, n), 0);
	return wb.len;
}

static void psend(struct peer *pe, uint8_t cls, uint8_t type, const struct param_spec *ps,
		  uint16_t stream)
{
	uint8_t buf[600];
	size_t len = build(buf, sizeof(buf), cls, type, ps);
	assert_int_equal(tp_send(pe->c, buf, len, stream), 0);
}

static void psend_raw(struct peer *pe, const uint8_t *p, size_t len)
{
	assert_int_equal(tp_send(pe->c, p, len, 0), 0);
}

/* The next message the peer got must be cls/type. */
static const struct m3ua_msg *expect_at(struct world *w, struct peer *pe, uint8_t cls,
					uint8_t type, int line)
{
	uint64_t deadline = evloop_now_ms() + 20000;
	for (int i = 0; i < 100000 && pe->n <= pe->seen && evloop_now_ms() < deadline; i++)
		assert_true(evloop_run_once(w->l, 10) >= 0);
	if (pe->n <= pe->seen)
		fail_msg("line %d: expected class %u type %u, got nothing", line, cls, type);
	const struct m3ua_msg *m = &pe->rx[pe->seen++].m;
	if (m->msg_class != cls || m->msg_type != type)
		fail_msg("line %d: expected class %u type %u, got class %u type %u", line, cls, type,
			 m->msg_class, m->msg_type);
	return m;
}
#define expect(w, pe, cls, type) expect_at(w, pe, cls, type, __LINE__)

static void expect_err(struct world *w, struct peer *pe, uint32_t code)
{
	const struct m3ua_msg *m = expect(w, pe, M3UA_CLS_MGMT, M3UA_MGMT_ERR);
	assert_true(m->has_error_code);
	if (m->error_code != code)
		fail_msg("expected ERR %s, got %s", m3ua_err_name(code),
			 m3ua_err_name(m->error_code));
}

static void expect_ntfy(struct world *w, struct peer *pe, uint16_t type, uint16_t info)
{
	const struct m3ua_msg *m = expect(w, pe, M3UA_CLS_MGMT, M3UA_MGMT_NTFY);
	assert_true(m->has_status);
	assert_int_equal(m->status_type, type);
	assert_int_equal(m->status_info, info);
	assert_true(m->has_rctx);
	assert_int_equal(m->rctx, RC_AS);
}

static void expect_nothing(struct world *w, struct peer *pe)
{
	settle(w);
	if (pe->n != pe->seen)
		fail_msg("unexpected message class %u type %u", pe->rx[pe->seen].m.msg_class,
			 pe->rx[pe->seen].m.msg_type);
}

/* Protocol Data: OPC, DPC, SI 3, NI 2, MP 0, SLS, then user data. */
static size_t proto_data(uint8_t *pd, uint8_t sls, const char *user)
{
	const uint8_t hdr[12] = {0, 0, 0x10, 0x01, 0, 0, 0x12, 0x34, 3, 2, 0, sls};
	memcpy(pd, hdr, 12);
	size_t ul = strlen(user);
	memcpy(pd + 12, user, ul);
	return 12 + ul;
}

static void send_data(struct peer *pe, uint8_t sls, bool with_rc, uint32_t rc, uint16_t stream)
{
	uint8_t pd[64];
	size_t pl = proto_data(pd, sls, "sccp-bytes");
	struct param_spec ps[4] = {{0}};
	int i = 0;
	if (with_rc)
		ps[i++] = (struct param_spec){M3UA_TAG_ROUTING_CTX, rc, NULL, 0};
	ps[i++] = (struct param_spec){M3UA_TAG_PROTOCOL_DATA, 0, pd, pl};
	psend(pe, M3UA_CLS_XFER, M3UA_XFER_DATA, ps, stream);
}

/* ASPUP + ASPAC from a scripted ASP, checking the answers. */
static void bring_up(struct world *w, struct peer *pe, uint32_t asp_id, bool first_in_as)
{
	psend(pe, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP,
	      (struct param_spec[]){{M3UA_TAG_ASP_ID, asp_id, NULL, 0}, {0}}, 0);
	expect(w, pe, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP_ACK);
	if (first_in_as)
		expect_ntfy(w, pe, M3UA_NTFY_AS_STATE_CHANGE, M3UA_AS_INACTIVE);
}

static void activate(struct world *w, struct peer *pe, uint32_t tmt)
{
	psend(pe, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC,
	      (struct param_spec[]){{M3UA_TAG_TRAFFIC_MODE, tmt, NULL, 0},
				    {M3UA_TAG_ROUTING_CTX, RC_AS, NULL, 0},
				    {0}},
	      0);
	const struct m3ua_msg *ack = expect(w, pe, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC_ACK);
	assert_true(ack->has_tmt);
	assert_int_equal(ack->tmt, tmt);
	assert_true(ack->has_rctx);
	assert_int_equal(ack->rctx, RC_AS);
}

/* ---- SGP side ------------------------------------------------------------------------------- */

static void test_sgp_lifecycle(void **state)
{
	struct world *w = world_new(TP_TCP);
	sg_start(w, M3UA_TMT_OVERRIDE, 0);
	struct peer a;
	peer_connect(w, &a);
	struct m3ua_link *lk = w->last_accepted;
	assert_int_equal(m3ua_link_role(lk), M3UA_ROLE_SGP);
	assert_int_equal(m3ua_link_state(lk), M3UA_ASP_DOWN);

	bring_up(w, &a, 7, true);
	assert_int_equal(m3ua_link_state(lk), M3UA_ASP_INACTIVE);
	assert_int_equal(m3ua_sg_as_state(w->sg), M3UA_AS_INACTIVE);
	/* ASP Up again while inactive: just the ack */
	psend(&a, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP, NULL, 0);
	expect(w, &a, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP_ACK);
	expect_nothing(w, &a);

	activate(w, &a, M3UA_TMT_OVERRIDE);
	expect_ntfy(w, &a, M3UA_NTFY_AS_STATE_CHANGE, M3UA_AS_ACTIVE);
	assert_int_equal(m3ua_link_state(lk), M3UA_ASP_ACTIVE);
	assert_int_equal(m3ua_sg_as_state(w->sg), M3UA_AS_ACTIVE);
	assert_ptr_equal(m3ua_sg_pick(w->sg, 5), lk);
	/* ASPAC again while active: acknowledged, nothing else */
	activate(w, &a, M3UA_TMT_OVERRIDE);
	expect_nothing(w, &a);

	/* DATA is delivered as it came */
	uint8_t pd[64], msg[128];
	size_t pl = proto_data(pd, 9, "sccp-bytes");
	size_t ml = build(msg, sizeof(msg), M3UA_CLS_XFER, M3UA_XFER_DATA,
			  (struct param_spec[]){{M3UA_TAG_NETWORK_APP, 8, NULL, 0},
						{M3UA_TAG_ROUTING_CTX, RC_AS, NULL, 0},
						{M3UA_TAG_PROTOCOL_DATA, 0, pd, pl},
						{0}});
	psend_raw(&a, msg, ml);
	RUN_UNTIL(w, w->data_n == 1);
	assert_int_equal(w->last_data_len, ml);
	assert_memory_equal(w->last_data, msg, ml);
	assert_int_equal(m3ua_link_stats(lk)->rx_data, 1);

	/* BEAT is echoed */
	const uint8_t hb[] = {1, 2, 3, 4, 5};
	psend(&a, M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT,
	      (struct param_spec[]){{M3UA_TAG_HEARTBEAT, 0, hb, sizeof(hb)}, {0}}, 0);
	const struct m3ua_msg *ba = expect(w, &a, M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT_ACK);
	assert_int_equal(ba->n_params, 1);
	assert_int_equal(ba->params[0].tag, M3UA_TAG_HEARTBEAT);
	assert_int_equal(ba->params[0].value.len, sizeof(hb));
	assert_memory_equal(ba->params[0].value.p, hb, sizeof(hb));

	/* ASPIA: inactive; the AS goes pending, then inactive when T(r) runs out */
	psend(&a, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPIA,
	      (struct param_spec[]){{M3UA_TAG_ROUTING_CTX, RC_AS, NULL, 0}, {0}}, 0);
	expect(w, &a, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPIA_ACK);
	expect_ntfy(w, &a, M3UA_NTFY_OTHER, M3UA_NTFY_INSUFF_ASP);
	expect_ntfy(w, &a, M3UA_NTFY_AS_STATE_CHANGE, M3UA_AS_PENDING);
	assert_int_equal(m3ua_link_state(lk), M3UA_ASP_INACTIVE);
	assert_null(m3ua_sg_pick(w->sg, 5));
	expect_ntfy(w, &a, M3UA_NTFY_AS_STATE_CHANGE, M3UA_AS_INACTIVE);
	assert_int_equal(m3ua_sg_as_state(w->sg), M3UA_AS_INACTIVE);

	/* re-activate, then ASPDN from active: down, AS pending -> down (nobody left up) */
	activate(w, &a, M3UA_TMT_OVERRIDE);
	expect_ntfy(w, &a, M3UA_NTFY_AS_STATE_CHANGE, M3UA_AS_ACTIVE);
	psend(&a, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPDN, NULL, 0);
	expect(w, &a, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPDN_ACK);
	assert_int_equal(m3ua_link_state(lk), M3UA_ASP_DOWN);
	RUN_UNTIL(w, m3ua_sg_as_state(w->sg) == M3UA_AS_DOWN);
	/* ASPDN while down: still acknowledged (RFC 4666 4.3.4.2) */
	psend(&a, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPDN, NULL, 0);
	expect(w, &a, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPDN_ACK);
	expect_nothing(w, &a);
	assert_int_equal(m3ua_link_stats(lk)->err_sent, 0);
	/* the association ends: the link goes away */
	tp_close(a.c);
	RUN_UNTIL(w, m3ua_sg_count(w->sg, M3UA_ASP_DOWN) == 0);
	world_free(w);
}

static void test_sgp_errors(void **state)
{
	struct world *w = world_new(TP_TCP);
	sg_start(w, M3UA_TMT_OVERRIDE, 0);
	w->dest_answer = 1;
	struct peer a;
	peer_connect(w, &a);
	struct m3ua_link *lk = w->last_accepted;

	/* before ASP Up */
	send_data(&a, 1, true, RC_AS, 0);
	expect_err(w, &a, M3UA_ERR_UNEXPECTED_MSG);
	psend(&a, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC, NULL, 0);
	expect_err(w, &a, M3UA_ERR_UNEXPECTED_MSG);
	psend(&a, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPIA, NULL, 0);
	expect_err(w, &a, M3UA_ERR_UNEXPECTED_MSG);
	psend(&a, 7, 1, NULL, 0); /* class 7: reserved for other SIGTRAN adaptation layers */
	expect_err(w, &a, M3UA_ERR_UNSUPP_MSG_CLASS);
	psend(&a, M3UA_CLS_RKM, M3UA_RKM_REG_REQ, NULL, 0);
	expect_err(w, &a, M3UA_ERR_UNSUPP_MSG_CLASS);
	psend(&a, M3UA_CLS_ASPSM, 9, NULL, 0);
	expect_err(w, &a, M3UA_ERR_UNSUPP_MSG_TYPE);
	psend(&a, M3UA_CLS_MGMT, 5, NULL, 0);
	expect_err(w, &a, M3UA_ERR_UNSUPP_MSG_TYPE);
	psend(&a, M3UA_CLS_XFER, 2, NULL, 0);
	expect_err(w, &a, M3UA_ERR_UNSUPP_MSG_TYPE);
	/* a parameter whose length is shorter than its own header */
	const uint8_t bad_param[] = {1, 0, 3, 1, 0, 0, 0, 12, 0x00, 0x11, 0x00, 0x02};
	psend_raw(&a, bad_param, sizeof(bad_param));
	expect_err(w, &a, M3UA_ERR_PARAM_FIELD_ERROR);
	/* an ERR is never answered, even a malformed one */
	const uint8_t bad_err[] = {1, 0, 0, 0, 0, 0, 0, 12, 0x00, 0x0c, 0x00, 0x02};
	psend_raw(&a, bad_err, sizeof(bad_err));
	psend(&a, M3UA_CLS_MGMT, M3UA_MGMT_ERR,
	      (struct param_spec[]){{M3UA_TAG_ERROR_CODE, M3UA_ERR_PROTOCOL_ERROR, NULL, 0}, {0}}, 0);
	expect_nothing(w, &a);
	assert_int_equal(m3ua_link_stats(lk)->err_rcvd, 2);
	assert_int_equal(m3ua_link_stats(lk)->last_err_rcvd, M3UA_ERR_PROTOCOL_ERROR);

	bring_up(w, &a, 1, true);
	/* inactive: no DATA yet; NTFY only flows SGP -> ASP */
	send_data(&a, 1, true, RC_AS, 0);
	expect_err(w, &a, M3UA_ERR_UNEXPECTED_MSG);
	psend(&a, M3UA_CLS_MGMT, M3UA_MGMT_NTFY,
	      (struct param_spec[]){{M3UA_TAG_STATUS, 0x00010003, NULL, 0}, {0}}, 0);
	expect_err(w, &a, M3UA_ERR_UNEXPECTED_MSG);
	/* ASPAC for an AS we do not serve: ERR carries the offending routing context */
	psend(&a, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC,
	      (struct param_spec[]){{M3UA_TAG_ROUTING_CTX, 99, NULL, 0}, {0}}, 0);
	const struct m3ua_msg *e = expect(w, &a, M3UA_CLS_MGMT, M3UA_MGMT_ERR);
	assert_int_equal(e->error_code, M3UA_ERR_INVALID_ROUTING_CTX);
	assert_true(e->has_rctx);
	assert_int_equal(e->rctx, 99);
	/* traffic modes: broadcast is not supported, loadshare is not this AS's mode */
	psend(&a, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC,
	      (struct param_spec[]){{M3UA_TAG_TRAFFIC_MODE, M3UA_TMT_BROADCAST, NULL, 0}, {0}}, 0);
	expect_err(w, &a, M3UA_ERR_UNSUPP_TRAFFIC_MODE);
	psend(&a, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC,
	      (struct param_spec[]){{M3UA_TAG_TRAFFIC_MODE, M3UA_TMT_LOADSHARE, NULL, 0}, {0}}, 0);
	expect_err(w, &a, M3UA_ERR_UNSUPP_TRAFFIC_MODE);
	/* a wrong network appearance */
	psend(&a, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC,
	      (struct param_spec[]){{M3UA_TAG_NETWORK_APP, 9, NULL, 0}, {0}}, 0);
	expect_err(w, &a, M3UA_ERR_INVALID_NET_APPEARANCE);
	assert_int_equal(m3ua_link_state(lk), M3UA_ASP_INACTIVE);
	/* ASPAC without routing context: the only AS is meant */
	psend(&a, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC, NULL, 0);
	expect(w, &a, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC_ACK);
	expect_ntfy(w, &a, M3UA_NTFY_AS_STATE_CHANGE, M3UA_AS_ACTIVE);

	/* active: DATA checks */
	psend(&a, M3UA_CLS_XFER, M3UA_XFER_DATA,
	      (struct param_spec[]){{M3UA_TAG_ROUTING_CTX, RC_AS, NULL, 0}, {0}}, 0);
	expect_err(w, &a, M3UA_ERR_MISSING_PARAM);
	send_data(&a, 1, true, 99, 0);
	expect_err(w, &a, M3UA_ERR_INVALID_ROUTING_CTX);
	send_data(&a, 1, false, 0, 0); /* no routing context: fine */
	RUN_UNTIL(w, w->data_n == 1);
	/* SSNM: DUNA/DAVA/DUPU/DRST go SGP -> ASP only; DAUD is answered; SCON goes up */
	const uint8_t aff[] = {0, 0, 0x12, 0x34};
	const uint8_t aff_unknown[] = {0, 0, 0x99, 0x99};
	const uint8_t ssnm_wrong_way[] = {M3UA_SSNM_DUNA, M3UA_SSNM_DAVA, M3UA_SSNM_DUPU,
					  M3UA_SSNM_DRST};
	for (size_t i = 0; i < sizeof(ssnm_wrong_way); i++) {
		psend(&a, M3UA_CLS_SSNM, ssnm_wrong_way[i],
		      (struct param_spec[]){{M3UA_TAG_AFFECTED_PC, 0, aff, 4},
					    {ssnm_wrong_way[i] == M3UA_SSNM_DUPU ? M3UA_TAG_USER_CAUSE : 0, 0x00020003, NULL, 0},
					    {0}}, 0);
		expect_err(w, &a, M3UA_ERR_UNEXPECTED_MSG);
	}
	psend(&a, M3UA_CLS_SSNM, M3UA_SSNM_DAUD, NULL, 0);
	expect_err(w, &a, M3UA_ERR_MISSING_PARAM);
	psend(&a, M3UA_CLS_SSNM, M3UA_SSNM_DAUD,
	      (struct param_spec[]){{M3UA_TAG_AFFECTED_PC, 0, aff, 4}, {0}}, 0);
	const struct m3ua_msg *dava = expect(w, &a, M3UA_CLS_SSNM, M3UA_SSNM_DAVA);
	assert_int_equal(dava->affected_pcs.len, 4);
	assert_memory_equal(dava->affected_pcs.p, aff, 4);
	w->dest_answer = 0;
	psend(&a, M3UA_CLS_SSNM, M3UA_SSNM_DAUD,
	      (struct param_spec[]){{M3UA_TAG_AFFECTED_PC, 0, aff, 4}, {0}}, 0);
	expect(w, &a, M3UA_CLS_SSNM, M3UA_SSNM_DUNA);
	psend(&a, M3UA_CLS_SSNM, M3UA_SSNM_DAUD,
	      (struct param_spec[]){{M3UA_TAG_AFFECTED_PC, 0, aff_unknown, 4}, {0}}, 0);
	expect_err(w, &a, M3UA_ERR_DEST_STATUS_UNKNOWN);
	psend(&a, M3UA_CLS_SSNM, M3UA_SSNM_SCON,
	      (struct param_spec[]){{M3UA_TAG_AFFECTED_PC, 0, aff, 4}, {0}}, 0);
	RUN_UNTIL(w, w->ssnm_n == 1);
	/* ASP acknowledgements are not for an SGP */
	psend(&a, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP_ACK, NULL, 0);
	expect_err(w, &a, M3UA_ERR_UNEXPECTED_MSG);
	psend(&a, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC_ACK, NULL, 0);
	expect_err(w, &a, M3UA_ERR_UNEXPECTED_MSG);
	/* ASP Up from an active ASP: ERR, ASP Up Ack, back to inactive */
	psend(&a, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP, NULL, 0);
	expect_err(w, &a, M3UA_ERR_UNEXPECTED_MSG);
	expect(w, &a, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP_ACK);
	assert_int_equal(m3ua_link_state(lk), M3UA_ASP_INACTIVE);
	expect_ntfy(w, &a, M3UA_NTFY_OTHER, M3UA_NTFY_INSUFF_ASP);
	expect_ntfy(w, &a, M3UA_NTFY_AS_STATE_CHANGE, M3UA_AS_PENDING);
	assert_true(w->rejects >= 20);
	assert_int_equal(m3ua_link_stats(lk)->rx_bad, w->rejects + 1 /* the bad ERR */);

	/* TCP: a version other than 1 breaks the framing: ERR, then the association closes */
	const uint8_t v2[] = {2, 0, 3, 1, 0, 0, 0, 8};
	psend_raw(&a, v2, sizeof(v2));
	RUN_UNTIL(w, a.downs == 1);
	assert_true(a.n > a.seen);
	const struct m3ua_msg *last = &a.rx[a.seen].m;
	assert_int_equal(last->msg_class, M3UA_CLS_MGMT);
	assert_int_equal(last->error_code, M3UA_ERR_INVALID_VERSION);
	RUN_UNTIL(w, m3ua_sg_count(w->sg, M3UA_ASP_DOWN) == 0);
	world_free(w);
}

/* SCTP: messages keep their boundaries, so a bad version is answered without closing, and the
 * stream rule for ASPSM applies. */
static void test_sgp_sctp_stream_and_version(void **state)
{
	struct world *w = world_new(TP_USRSCTP);
	sg_start(w, M3UA_TMT_OVERRIDE, 0);
	struct peer a;
	peer_connect(w, &a);
	psend(&a, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP, NULL, 3);
	expect_err(w, &a, M3UA_ERR_INVALID_STREAM_ID);
	const uint8_t v2[] = {2, 0, 3, 1, 0, 0, 0, 8};
	psend_raw(&a, v2, sizeof(v2));
	expect_err(w, &a, M3UA_ERR_INVALID_VERSION);
	const uint8_t short_msg[] = {1, 0, 3};
	psend_raw(&a, short_msg, sizeof(short_msg));
	expect_err(w, &a, M3UA_ERR_PROTOCOL_ERROR);
	bring_up(w, &a, 1, true);
	activate(w, &a, M3UA_TMT_OVERRIDE);
	expect_ntfy(w, &a, M3UA_NTFY_AS_STATE_CHANGE, M3UA_AS_ACTIVE);
	send_data(&a, 4, true, RC_AS, 5);
	RUN_UNTIL(w, w->data_n == 1);
	assert_int_equal(w->last_stream, 5);
	assert_int_equal(a.downs, 0);
	/* DATA goes out on a stream chosen by SLS, never on stream 0 */
	struct m3ua_link *lk = w->last_accepted;
	for (uint8_t sls = 0; sls < 40; sls++) {
		uint16_t st = m3ua_link_stream_for_sls(lk, sls);
		assert_true(st >= 1 && st < TP_DEFAULT_STREAMS);
		assert_int_equal(st, m3ua_link_stream_for_sls(lk, (uint8_t)(sls + 15 * 4)));
	}
	world_free(w);
}

static void test_sgp_override(void **state)
{
	struct world *w = world_new(TP_TCP);
	sg_start(w, M3UA_TMT_OVERRIDE, 0);
	struct peer a, b;
	peer_connect(w, &a);
	struct m3ua_link *la = w->last_accepted;
	peer_connect(w, &b);
	struct m3ua_link *lb = w->last_accepted;
	bring_up(w, &a, 1, true);
	bring_up(w, &b, 2, false);
	expect_ntfy(w, &b, M3UA_NTFY_AS_STATE_CHANGE, M3UA_AS_INACTIVE); /* told where AS stands */
	activate(w, &a, M3UA_TMT_OVERRIDE);
	expect_ntfy(w, &a, M3UA_NTFY_AS_STATE_CHANGE, M3UA_AS_ACTIVE);
	expect_ntfy(w, &b, M3UA_NTFY_AS_STATE_CHANGE, M3UA_AS_ACTIVE);
	assert_ptr_equal(m3ua_sg_pick(w->sg, 0), la);
	/* B takes over: A is told an alternate ASP is active and becomes standby */
	activate(w, &b, M3UA_TMT_OVERRIDE);
	expect_ntfy(w, &a, M3UA_NTFY_OTHER, M3UA_NTFY_ALT_ASP_ACTIVE);
	assert_int_equal(m3ua_link_state(la), M3UA_ASP_INACTIVE);
	assert_int_equal(m3ua_link_state(lb), M3UA_ASP_ACTIVE);
	assert_int_equal(m3ua_sg_count(w->sg, M3UA_ASP_ACTIVE), 1);
	assert_ptr_equal(m3ua_sg_pick(w->sg, 0), lb);
	assert_ptr_equal(m3ua_sg_pick(w->sg, 7), lb);
	expect_nothing(w, &b);
	/* A, standby, may not send DATA */
	send_data(&a, 1, true, RC_AS, 0);
	expect_err(w, &a, M3UA_ERR_UNEXPECTED_MSG);
	/* B's association fails: AS pending, the standby is asked to step in, and does */
	tp_close(b.c);
	b.c = NULL;
	expect_ntfy(w, &a, M3UA_NTFY_OTHER, M3UA_NTFY_INSUFF_ASP);
	expect_ntfy(w, &a, M3UA_NTFY_AS_STATE_CHANGE, M3UA_AS_PENDING);
	assert_int_equal(m3ua_sg_as_state(w->sg), M3UA_AS_PENDING);
	activate(w, &a, M3UA_TMT_OVERRIDE);
	expect_ntfy(w, &a, M3UA_NTFY_AS_STATE_CHANGE, M3UA_AS_ACTIVE);
	assert_ptr_equal(m3ua_sg_pick(w->sg, 3), la);
	world_free(w);
}

static void test_sgp_loadshare(void **state)
{
	struct world *w = world_new(TP_TCP);
	sg_start(w, M3UA_TMT_LOADSHARE, 2);
	struct peer p[3];
	struct m3ua_link *lk[3];
	for (int i = 0; i < 3; i++) {
		peer_connect(w, &p[i]);
		lk[i] = w->last_accepted;
		bring_up(w, &p[i], (uint32_t)i, i == 0);
		if (i)
			expect_ntfy(w, &p[i], M3UA_NTFY_AS_STATE_CHANGE, M3UA_AS_INACTIVE);
	}
	/* one active ASP is not enough for this AS */
	activate(w, &p[0], M3UA_TMT_LOADSHARE);
	assert_int_equal(m3ua_sg_as_state(w->sg), M3UA_AS_INACTIVE);
	assert_non_null(m3ua_sg_pick(w->sg, 0)); /* traffic may already use the active one */
	activate(w, &p[1], M3UA_TMT_LOADSHARE);
	for (int i = 0; i < 3; i++)
		expect_ntfy(w, &p[i], M3UA_NTFY_AS_STATE_CHANGE, M3UA_AS_ACTIVE);
	assert_int_equal(m3ua_sg_as_state(w->sg), M3UA_AS_ACTIVE);
	/* both carry traffic, each SLS sticks to one of them */
	assert_ptr_equal(m3ua_sg_pick(w->sg, 0), lk[0]);
	assert_ptr_equal(m3ua_sg_pick(w->sg, 1), lk[1]);
	assert_ptr_equal(m3ua_sg_pick(w->sg, 2), lk[0]);
	assert_ptr_equal(m3ua_sg_pick(w->sg, 3), lk[1]);
	/* one leaves: still active, the inactive ASP hears resources are short */
	psend(&p[0], M3UA_CLS_ASPTM, M3UA_ASPTM_ASPIA, NULL, 0);
	expect(w, &p[0], M3UA_CLS_ASPTM, M3UA_ASPTM_ASPIA_ACK);
	expect_ntfy(w, &p[2], M3UA_NTFY_OTHER, M3UA_NTFY_INSUFF_ASP);
	assert_int_equal(m3ua_sg_as_state(w->sg), M3UA_AS_ACTIVE);
	for (uint8_t sls = 0; sls < 16; sls++)
		assert_ptr_equal(m3ua_sg_pick(w->sg, sls), lk[1]);
	activate(w, &p[2], M3UA_TMT_LOADSHARE);
	assert_ptr_equal(m3ua_sg_pick(w->sg, 0), lk[1]);
	assert_ptr_equal(m3ua_sg_pick(w->sg, 1), lk[2]);
	expect_nothing(w, &p[1]);
	world_free(w);
}

/* ---- ASP side against a scripted SGP -------------------------------------------------------- */

static void srv_on_accept(struct tp_listener *ls, struct tp_conn *c, void *ud)
{
	struct world *w = ud;
	w->accepts++;
	if (w->srv.c) /* keep the newest association */
		tp_close(w->srv.c);
	unsigned keep_n = w->srv.n, keep_seen = w->srv.seen;
	bool ignore = w->srv.ignore_beat;
	memset(&w->srv, 0, sizeof(w->srv));
	w->srv.n = keep_n, w->srv.seen = keep_seen, w->srv.ignore_beat = ignore;
	w->srv.c = c;
	w->srv.up = true;
	tp_conn_set_cbs(c, &peer_cbs, &w->srv);
}

static struct m3ua_link *asp_start(struct world *w, unsigned ack_ms, unsigned beat_ms)
{
	char err[256];
	struct tp_endpoint ep = {.kind = w->kind, .n_addrs = 1, .addrs = {"127.0.0.1"}};
	w->ls = tp_listen(w->net, &ep, NULL, srv_on_accept, w, err, sizeof(err));
	assert_non_null(w->ls);
	struct m3ua_asp_cfg cfg = {.name = "home", .has_rctx = true, .rctx = RC_AS, .has_asp_id = true,
				   .asp_id = 42, .tmt = M3UA_TMT_LOADSHARE, .ack_timeout_ms = ack_ms,
				   .beat_ms = beat_ms, .reconnect_ms = 10};
	cfg.remote = ep;
	cfg.remote.port = tp_listener_port(w->ls);
	w->asp = m3ua_asp_new(w->net, &cfg, &wcbs, w, err, sizeof(err));
	if (!w->asp)
		fail_msg("asp: %s", err);
	assert_int_equal(m3ua_link_role(w->asp), M3UA_ROLE_ASP);
	return w->asp;
}

static void asp_to_active(struct world *w)
{
	const struct m3ua_msg *up = expect(w, &w->srv, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP);
	assert_true(up->has_asp_id);
	assert_int_equal(up->asp_id, 42);
	psend(&w->srv, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP_ACK, NULL, 0);
	const struct m3ua_msg *ac = expect(w, &w->srv, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC);
	assert_true(ac->has_tmt);
	assert_int_equal(ac->tmt, M3UA_TMT_LOADSHARE);
	assert_true(ac->has_rctx);
	assert_int_equal(ac->rctx, RC_AS);
	assert_int_equal(m3ua_link_state(w->asp), M3UA_ASP_INACTIVE);
	psend(&w->srv, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC_ACK,
	      (struct param_spec[]){{M3UA_TAG_ROUTING_CTX, RC_AS, NULL, 0}, {0}}, 0);
	psend(&w->srv, M3UA_CLS_MGMT, M3UA_MGMT_NTFY,
	      (struct param_spec[]){{M3UA_TAG_STATUS, M3UA_NTFY_AS_STATE_CHANGE << 16 | M3UA_AS_ACTIVE,
				     NULL, 0},
				    {0}},
	      0);
	RUN_UNTIL(w, m3ua_link_state(w->asp) == M3UA_ASP_ACTIVE &&
			     m3ua_link_as_state(w->asp) == M3UA_AS_ACTIVE);
}

static void test_asp_lifecycle(void **state)
{
	struct world *w = world_new(TP_TCP);
	struct m3ua_link *lk = asp_start(w, 5000, 0);
	asp_to_active(w);
	/* DATA both ways, byte for byte */
	send_data(&w->srv, 3, true, RC_AS, 0);
	RUN_UNTIL(w, w->data_n == 1);
	uint8_t msg[128], pd[64];
	size_t pl = proto_data(pd, 3, "towards-home");
	size_t ml = build(msg, sizeof(msg), M3UA_CLS_XFER, M3UA_XFER_DATA,
			  (struct param_spec[]){{M3UA_TAG_PROTOCOL_DATA, 0, pd, pl}, {0}});
	assert_int_equal(m3ua_link_send(lk, msg, ml, m3ua_link_stream_for_sls(lk, 3)), 0);
	RUN_UNTIL(w, w->srv.n > w->srv.seen);
	assert_int_equal(w->srv.rx[w->srv.seen].len, ml);
	assert_memory_equal(w->srv.rx[w->srv.seen].raw, msg, ml);
	w->srv.seen++;
	/* BEAT from the SGP is echoed */
	psend(&w->srv, M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT, NULL, 0);
	expect(w, &w->srv, M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT_ACK);
	/* SSNM from the SGP go to the owner; DAUD does not flow this way */
	const uint8_t aff[] = {0, 0, 0x12, 0x34};
	const uint8_t ssnm_ok[] = {M3UA_SSNM_DUNA, M3UA_SSNM_DAVA, M3UA_SSNM_SCON, M3UA_SSNM_DUPU,
				   M3UA_SSNM_DRST};
	for (size_t i = 0; i < sizeof(ssnm_ok); i++) /* DUPU also needs its User/Cause */
		psend(&w->srv, M3UA_CLS_SSNM, ssnm_ok[i],
		      (struct param_spec[]){{M3UA_TAG_AFFECTED_PC, 0, aff, 4},
					    {ssnm_ok[i] == M3UA_SSNM_DUPU ? M3UA_TAG_USER_CAUSE : 0, 0x00020003, NULL, 0},
					    {0}}, 0);
	RUN_UNTIL(w, w->ssnm_n == sizeof(ssnm_ok));
	psend(&w->srv, M3UA_CLS_SSNM, M3UA_SSNM_DAUD,
	      (struct param_spec[]){{M3UA_TAG_AFFECTED_PC, 0, aff, 4}, {0}}, 0);
	expect_err(w, &w->srv, M3UA_ERR_UNEXPECTED_MSG);
	psend(&w->srv, M3UA_CLS_SSNM, M3UA_SSNM_DUNA, NULL, 0);
	expect_err(w, &w->srv, M3UA_ERR_MISSING_PARAM);
	/* requests an ASP does not take */
	psend(&w->srv, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP, NULL, 0);
	expect_err(w, &w->srv, M3UA_ERR_UNEXPECTED_MSG);
	psend(&w->srv, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC, NULL, 0);
	expect_err(w, &w->srv, M3UA_ERR_UNEXPECTED_MSG);
	psend(&w->srv, M3UA_CLS_MGMT, M3UA_MGMT_NTFY, NULL, 0);
	expect_err(w, &w->srv, M3UA_ERR_MISSING_PARAM);
	/* override: another ASP took over; DATA to a standby ASP is an error */
	psend(&w->srv, M3UA_CLS_MGMT, M3UA_MGMT_NTFY,
	      (struct param_spec[]){{M3UA_TAG_STATUS,
				     M3UA_NTFY_OTHER << 16 | M3UA_NTFY_ALT_ASP_ACTIVE, NULL, 0},
				    {0}},
	      0);
	RUN_UNTIL(w, m3ua_link_state(lk) == M3UA_ASP_INACTIVE);
	assert_int_equal(m3ua_link_send(lk, msg, ml, 1), -ENOTCONN);
	send_data(&w->srv, 3, true, RC_AS, 0);
	expect_err(w, &w->srv, M3UA_ERR_UNEXPECTED_MSG);
	/* the AS lacks resources: the standby offers itself again */
	psend(&w->srv, M3UA_CLS_MGMT, M3UA_MGMT_NTFY,
	      (struct param_spec[]){{M3UA_TAG_STATUS,
				     M3UA_NTFY_OTHER << 16 | M3UA_NTFY_INSUFF_ASP, NULL, 0},
				    {0}},
	      0);
	expect(w, &w->srv, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC);
	psend(&w->srv, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC_ACK, NULL, 0);
	RUN_UNTIL(w, m3ua_link_state(lk) == M3UA_ASP_ACTIVE);
	/* ASPIA on request and back */
	assert_int_equal(m3ua_asp_set_inactive(lk, true), 0);
	expect(w, &w->srv, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPIA);
	psend(&w->srv, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPIA_ACK, NULL, 0);
	RUN_UNTIL(w, m3ua_link_state(lk) == M3UA_ASP_INACTIVE);
	assert_int_equal(m3ua_asp_set_inactive(lk, false), 0);
	expect(w, &w->srv, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC);
	/* the SGP refuses the routing context: no retries, stays inactive */
	psend(&w->srv, M3UA_CLS_MGMT, M3UA_MGMT_ERR,
	      (struct param_spec[]){{M3UA_TAG_ERROR_CODE, M3UA_ERR_INVALID_ROUTING_CTX, NULL, 0}, {0}},
	      0);
	RUN_UNTIL(w, m3ua_link_stats(lk)->err_rcvd == 1);
	assert_int_equal(m3ua_link_stats(lk)->last_err_rcvd, M3UA_ERR_INVALID_ROUTING_CTX);
	expect_nothing(w, &w->srv);
	assert_int_equal(m3ua_link_state(lk), M3UA_ASP_INACTIVE);
	/* closing says ASP Down */
	m3ua_link_close(lk);
	w->asp = NULL;
	expect(w, &w->srv, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPDN);
	RUN_UNTIL(w, w->srv.downs == 1);
	world_free(w);
}

/* T(ack): an SGP that never answers ASP Up gets it again, then the association is dropped and
 * made again. */
static void test_asp_ack_timeout_and_reconnect(void **state)
{
	struct world *w = world_new(TP_TCP);
	struct m3ua_link *lk = asp_start(w, 10, 0);
	for (int i = 0; i < 5; i++)
		expect(w, &w->srv, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP);
	RUN_UNTIL(w, w->accepts == 2);
	expect(w, &w->srv, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP);
	assert_int_equal(m3ua_link_stats(lk)->reconnects, 1);
	asp_to_active(w);
	/* the SGP drops the association: ASP-DOWN, reconnect, ASP Up again */
	tp_close(w->srv.c);
	w->srv.c = NULL;
	RUN_UNTIL(w, w->accepts == 3);
	assert_int_equal(m3ua_link_state(lk), M3UA_ASP_DOWN);
	asp_to_active(w);
	/* an unsolicited ASP Down Ack (the SGP blocked us): ASP-DOWN, then ASP Up again */
	psend(&w->srv, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPDN_ACK, NULL, 0);
	RUN_UNTIL(w, m3ua_link_state(lk) == M3UA_ASP_DOWN);
	asp_to_active(w);
	world_free(w);
}

/* BEAT: the ASP sends them; three without answer mean the association is dead. */
static void test_asp_beat(void **state)
{
	struct world *w = world_new(TP_TCP);
	struct m3ua_link *lk = asp_start(w, 5000, 5);
	const struct m3ua_msg *up = expect(w, &w->srv, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP);
	(void)up;
	/* answer one BEAT, echoing its data */
	const struct m3ua_msg *b = expect(w, &w->srv, M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT);
	assert_int_equal(b->params[0].tag, M3UA_TAG_HEARTBEAT);
	psend(&w->srv, M3UA_CLS_ASPSM, M3UA_ASPSM_BEAT_ACK,
	      (struct param_spec[]){{M3UA_TAG_HEARTBEAT, 0, b->params[0].value.p,
				     b->params[0].value.len},
				    {0}},
	      0);
	/* then go silent */
	RUN_UNTIL(w, m3ua_link_stats(lk)->beat_timeouts == 1);
	RUN_UNTIL(w, w->accepts == 2);
	world_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sgp_lifecycle),
		cmocka_unit_test(test_sgp_errors),
		cmocka_unit_test(test_sgp_sctp_stream_and_version),
		cmocka_unit_test(test_sgp_override),
		cmocka_unit_test(test_sgp_loadshare),
		cmocka_unit_test(test_asp_lifecycle),
		cmocka_unit_test(test_asp_ack_timeout_and_reconnect),
		cmocka_unit_test(test_asp_beat),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
