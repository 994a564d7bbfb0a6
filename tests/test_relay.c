/* The relay end to end on loopback, over TCP and over usrsctp: partner ASPs -> relay (SGP
 * towards partners, ASP towards home) -> a sink playing the home STP (an SGP). Every message
 * must arrive byte-identical and in order per SLS, in both directions; the verdict hook drops
 * and answers; link drops and reconnects on both sides (held or refused while the home side is
 * away, DUNA/DAVA to partners); garbage from a peer; back-pressure; and the counters add up:
 * in = forwarded + blocked + rejected + refused + held for every link. Loops are bounded. */
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
#include "relay.h"
#include "transport.h"

#define RC 10
#define PC_HOME 0x1234
#define PC_P0 0x2001
#define PC_P1 0x2002
#define NASP 3 /* partner ASPs: 0 and 1 serve partner 0 (loadshare), 2 serves partner 1 */
#define NSLS 16
#define SRC_RAW (NASP + 1) /* the scripted raw peer in test_garbage_peer */

struct asp_ud {
	struct rworld *w;
	unsigned idx;
};

struct rworld {
	struct evloop *l;
	struct tp_net *net;
	enum tp_kind kind;
	struct m3ua_sg *sink;
	struct relay *relay;
	struct relay_cfg cfg;
	struct m3ua_link *pasp[NASP];
	struct asp_ud pud[NASP];
	/* the sink (home STP): per source ASP and SLS, the next sequence number expected */
	uint32_t sink_next[NASP + 2][NSLS];
	unsigned sink_rx;
	const char *sink_bad;
	bool sink_paused;
	bool sink_refuse; /* drop every association as it comes (home STP unavailable) */
	/* partner ASPs receiving from home: per SLS */
	uint32_t p_next[NASP][NSLS];
	unsigned p_rx[NASP], p_ssnm[NASP], p_duna[NASP], p_dava[NASP], p_answers[NASP];
	const char *p_bad;
	/* sequence numbers to send next */
	uint32_t send_seq[NASP][NSLS];
	uint32_t home_seq[2][NSLS]; /* per partner */
	uint32_t home_rc; /* routing context the sink serves */
	/* hook */
	unsigned hook_calls;
};

#define RUN_UNTIL(w, cond)                                                                     \
	do {                                                                                   \
		uint64_t deadline_ = evloop_now_ms() + 30000;                                  \
		for (int i_ = 0; i_ < 300000 && !(cond) && evloop_now_ms() < deadline_; i_++) \
			assert_true(evloop_run_once((w)->l, 10) >= 0);                        \
		if (!(cond))                                                                   \
			fail_msg("line %d: timed out waiting for %s", __LINE__, #cond);       \
	} while (0)

/* ---- messages ---------------------------------------------------------------------------- */

/* DATA from partner ASP `src` (src NASP = the home side) with this SLS and sequence number:
 * protocol data (OPC, DPC, SI 3, NI 2, MP 0, SLS) and a user part naming all three, padded to a
 * size that varies with the sequence number. */
static size_t build_data(uint8_t *buf, size_t cap, unsigned src, uint8_t sls, uint32_t seq,
			 uint32_t dpc, uint32_t rc, const char *tag)
{
	uint8_t pd[2048];
	uint32_t opc = src == NASP ? PC_HOME : (src < 2 ? PC_P0 : PC_P1);
	const uint8_t hdr[12] = {0, (uint8_t)(opc >> 16), (uint8_t)(opc >> 8), (uint8_t)opc,
				 0, (uint8_t)(dpc >> 16), (uint8_t)(dpc >> 8), (uint8_t)dpc,
				 3, 2, 0, sls};
	memcpy(pd, hdr, 12);
	size_t ul = 3 + 1 + 4 + (seq * 37) % 600;
	memcpy(pd + 12, tag, 3);
	pd[15] = (uint8_t)src;
	memcpy(pd + 16, &seq, 4);
	for (size_t i = 8; i < ul; i++)
		pd[12 + i] = (uint8_t)(i + seq + sls);
	uint8_t rcb[4] = {(uint8_t)(rc >> 24), (uint8_t)(rc >> 16), (uint8_t)(rc >> 8), (uint8_t)rc};
	struct m3ua_param params[2] = {
		{M3UA_TAG_ROUTING_CTX, {rcb, 4}},
		{M3UA_TAG_PROTOCOL_DATA, {pd, 12 + ul}},
	};
	struct dfs_wbuf wb = dfs_wbuf_init(buf, cap);
	assert_int_equal(m3ua_encode(&wb, M3UA_CLS_XFER, M3UA_XFER_DATA, params, 2), 0);
	return wb.len;
}

/* Check a received DATA against the bytes it must have: same source, SLS, next sequence. */
static const char *check_data(const uint8_t *msg, size_t len, const struct m3ua_msg *m,
			      uint32_t next[NASP + 2][NSLS], uint32_t want_rc, unsigned *src_out)
{
	if (!m->has_proto_data || m->pd.user_data.len < 8)
		return "no user data";
	const uint8_t *u = m->pd.user_data.p;
	unsigned src = u[3];
	uint32_t seq;
	memcpy(&seq, u + 4, 4);
	uint8_t sls = m->pd.sls;
	if (src > SRC_RAW || sls >= NSLS)
		return "bad source or SLS";
	*src_out = src;
	if (src != NASP && seq != next[src][sls])
		return "out of order";
	uint8_t want[2200];
	size_t wl = build_data(want, sizeof(want), src, sls, seq, m->pd.dpc, want_rc, (const char *)u);
	if (wl != len || memcmp(want, msg, len) != 0)
		return "bytes differ";
	if (src != NASP)
		next[src][sls] = seq + 1;
	return NULL;
}

/* ---- the sink (home STP) ------------------------------------------------------------------- */

static void sink_on_data(struct m3ua_link *lk, const uint8_t *msg, size_t len,
			 const struct m3ua_msg *m, uint16_t stream, void *ud)
{
	struct rworld *w = ud;
	unsigned src;
	const char *bad = check_data(msg, len, m, w->sink_next, w->home_rc, &src);
	if (bad && !w->sink_bad)
		w->sink_bad = bad;
	w->sink_rx++;
}

static void sink_on_accept(struct m3ua_sg *sg, struct m3ua_link *lk, void *ud)
{
	struct rworld *w = ud;
	if (w->sink_refuse)
		m3ua_link_close(lk);
	else if (w->sink_paused)
		m3ua_link_pause(lk, true);
}

static const struct m3ua_cbs sink_cbs = {.on_data = sink_on_data, .on_accept = sink_on_accept};

/* ---- partner ASPs ------------------------------------------------------------------------- */

static void pasp_on_data(struct m3ua_link *lk, const uint8_t *msg, size_t len,
			 const struct m3ua_msg *m, uint16_t stream, void *ud)
{
	struct asp_ud *a = ud;
	struct rworld *w = a->w;
	if (len >= 24 && memcmp(m->pd.user_data.p, "ANS", 3) == 0) {
		w->p_answers[a->idx]++;
		return;
	}
	unsigned src;
	/* home -> partner messages are numbered per SLS as source NASP */
	uint32_t next[NASP + 2][NSLS];
	memset(next, 0, sizeof(next));
	const char *bad = check_data(msg, len, m, next, RC, &src);
	if (!bad && src != NASP)
		bad = "not from home";
	if (!bad) {
		uint32_t seq;
		memcpy(&seq, m->pd.user_data.p + 4, 4);
		if (seq != w->p_next[a->idx][m->pd.sls])
			bad = "home->partner out of order";
		w->p_next[a->idx][m->pd.sls] = seq + 1;
	}
	if (bad && !w->p_bad)
		w->p_bad = bad;
	w->p_rx[a->idx]++;
}

static void pasp_on_ssnm(struct m3ua_link *lk, const uint8_t *msg, size_t len,
			 const struct m3ua_msg *m, void *ud)
{
	struct asp_ud *a = ud;
	a->w->p_ssnm[a->idx]++;
	if (m->msg_type == M3UA_SSNM_DUNA)
		a->w->p_duna[a->idx]++;
	if (m->msg_type == M3UA_SSNM_DAVA)
		a->w->p_dava[a->idx]++;
}

static const struct m3ua_cbs pasp_cbs = {.on_data = pasp_on_data, .on_ssnm = pasp_on_ssnm};

static void pasp_start(struct rworld *w, unsigned i)
{
	char err[256];
	unsigned partner = i < 2 ? 0 : 1;
	struct m3ua_asp_cfg cfg = {.name = "partner-asp", .has_rctx = true, .rctx = RC,
				   .has_asp_id = true, .asp_id = 100 + i,
				   .tmt = partner == 0 ? M3UA_TMT_LOADSHARE : M3UA_TMT_OVERRIDE,
				   .reconnect_ms = 10};
	cfg.remote = (struct tp_endpoint){.kind = w->kind, .n_addrs = 1, .addrs = {"127.0.0.1"},
					  .port = m3ua_sg_port(relay_partner(w->relay, partner))};
	w->pud[i] = (struct asp_ud){w, i};
	w->pasp[i] = m3ua_asp_new(w->net, &cfg, &pasp_cbs, &w->pud[i], err, sizeof(err));
	if (!w->pasp[i])
		fail_msg("partner asp: %s", err);
}

/* ---- setup --------------------------------------------------------------------------------- */

static unsigned partner_active(const struct rworld *w)
{
	unsigned n = 0;
	for (unsigned i = 0; i < NASP; i++)
		if (w->pasp[i] && m3ua_link_state(w->pasp[i]) == M3UA_ASP_ACTIVE)
			n++;
	return n;
}

static struct rworld *rworld_new(enum tp_kind kind, enum relay_home_down hd, uint32_t home_rc,
				 relay_hook_fn hook, size_t home_queue_high)
{
	struct rworld *w = calloc(1, sizeof(*w));
	char err[256];
	w->kind = kind;
	w->home_rc = home_rc;
	w->l = evloop_new(err, sizeof(err));
	w->net = tp_net_new(w->l, err, sizeof(err));
	if (kind == TP_USRSCTP)
		assert_int_equal(tp_net_usrsctp_start(w->net, 0, err, sizeof(err)), 0);
	struct tp_endpoint local = {.kind = kind, .n_addrs = 1, .addrs = {"127.0.0.1"}};
	struct m3ua_sg_cfg sink = {.name = "home-stp", .local = local, .has_rctx = true,
				   .rctx = home_rc, .tmt = M3UA_TMT_LOADSHARE};
	w->sink = m3ua_sg_new(w->net, &sink, &sink_cbs, w, err, sizeof(err));
	assert_non_null(w->sink);

	struct relay_cfg *c = &w->cfg;
	c->n_partners = 2;
	for (unsigned p = 0; p < 2; p++) {
		c->partners[p].sg = (struct m3ua_sg_cfg){
			.name = p ? "partner-b" : "partner-a", .local = local, .has_rctx = true,
			.rctx = RC, .tmt = p ? M3UA_TMT_OVERRIDE : M3UA_TMT_LOADSHARE};
		c->partners[p].n_pcs = 1;
		c->partners[p].pcs[0] = p ? PC_P1 : PC_P0;
	}
	c->n_homes = 2;
	for (unsigned h = 0; h < 2; h++) {
		c->homes[h] = (struct m3ua_asp_cfg){.name = h ? "home-2" : "home-1", .has_rctx = true,
						    .rctx = home_rc, .tmt = M3UA_TMT_LOADSHARE,
						    .reconnect_ms = 10};
		c->homes[h].remote = local;
		c->homes[h].remote.port = m3ua_sg_port(w->sink);
		c->homes[h].topts.queue_high = home_queue_high;
	}
	c->n_home_pcs = 1;
	c->home_pcs[0] = PC_HOME;
	c->home_down = hd;
	c->hold_max_msgs = 5000;
	c->hook = hook;
	c->hook_ud = w;
	w->relay = relay_new(w->net, c, err, sizeof(err));
	if (!w->relay)
		fail_msg("relay: %s", err);
	assert_int_equal(relay_n_partners(w->relay), 2);
	assert_int_equal(relay_n_homes(w->relay), 2);
	for (unsigned i = 0; i < NASP; i++)
		pasp_start(w, i);
	RUN_UNTIL(w, relay_home_available(w->relay) &&
			     m3ua_sg_count(w->sink, M3UA_ASP_ACTIVE) == 2 && partner_active(w) == NASP);
	return w;
}

static void rworld_free(struct rworld *w)
{
	for (unsigned i = 0; i < NASP; i++)
		m3ua_link_close(w->pasp[i]);
	relay_free(w->relay);
	m3ua_sg_close(w->sink);
	tp_net_free(w->net);
	evloop_free(w->l);
	free(w);
}

/* Every link: in = forwarded + blocked + rejected + refused + held. */
static void check_counters(const struct rworld *w)
{
	for (unsigned d = 0; d < 2; d++) {
		unsigned n = d ? relay_n_homes(w->relay) : relay_n_partners(w->relay);
		for (unsigned i = 0; i < n; i++) {
			const struct relay_counters *c = d ? relay_home_counters(w->relay, i)
							   : relay_partner_counters(w->relay, i);
			if (c->in != c->forwarded + c->blocked + c->rejected + c->refused + c->held)
				fail_msg("%s link %u: in %llu != forwarded %llu + blocked %llu + "
					 "rejected %llu + refused %llu + held %llu",
					 d ? "home" : "partner", i, (unsigned long long)c->in,
					 (unsigned long long)c->forwarded, (unsigned long long)c->blocked,
					 (unsigned long long)c->rejected, (unsigned long long)c->refused,
					 (unsigned long long)c->held);
			assert_true(c->answered <= c->blocked);
		}
	}
}

/* Send n messages from each partner ASP round robin, SLS cycling, only while writable. */
static unsigned send_tagged(struct rworld *w, unsigned n, const char *tag, bool arrives)
{
	uint8_t buf[2200];
	unsigned sent = 0, per[NASP] = {0};
	for (int iter = 0; iter < 200000 && sent < n * NASP; iter++) {
		for (unsigned i = 0; i < NASP; i++) {
			while (per[i] < n && m3ua_link_writable(w->pasp[i])) {
				uint8_t sls = (uint8_t)((per[i] * 7 + i) % NSLS);
				uint32_t seq = w->send_seq[i][sls];
				size_t len = build_data(buf, sizeof(buf), i, sls, seq, PC_HOME, RC, tag);
				int rc = m3ua_link_send(w->pasp[i], buf, len,
							m3ua_link_stream_for_sls(w->pasp[i], sls));
				if (rc == -ENOBUFS)
					break;
				assert_int_equal(rc, 0);
				if (arrives) /* the sink checks the sequence of what reaches it */
					w->send_seq[i][sls] = seq + 1;
				per[i]++;
				sent++;
			}
		}
		assert_true(evloop_run_once(w->l, 1) >= 0);
	}
	assert_int_equal(sent, n * NASP);
	return sent;
}

static unsigned send_from_partners(struct rworld *w, unsigned n, const char *tag)
{
	return send_tagged(w, n, tag, true);
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void both_directions(enum tp_kind kind)
{
	struct rworld *w = rworld_new(kind, RELAY_HOME_DOWN_QUEUE, RC, NULL, 0);
	unsigned sent = send_from_partners(w, 2000, "MSG");
	RUN_UNTIL(w, w->sink_rx == sent);
	if (w->sink_bad)
		fail_msg("sink: %s", w->sink_bad);
	/* both home links carried traffic (SLS spread), both partner-a ASPs were used */
	assert_true(m3ua_link_stats(relay_home(w->relay, 0))->tx_data > 0);
	assert_true(m3ua_link_stats(relay_home(w->relay, 1))->tx_data > 0);

	/* home -> partners, routed by DPC; partner-a spreads by SLS over its two ASPs */
	uint8_t buf[2200];
	unsigned hsent = 0;
	for (int iter = 0; iter < 100000 && hsent < 2000; iter++) {
		uint8_t sls = (uint8_t)(hsent % NSLS);
		uint32_t dpc = hsent % 3 ? PC_P0 : PC_P1;
		struct m3ua_link *lk = m3ua_sg_pick(w->sink, sls);
		assert_non_null(lk);
		if (!m3ua_link_writable(lk)) {
			evloop_run_once(w->l, 1);
			continue;
		}
		unsigned partner = dpc == PC_P1;
		size_t len = build_data(buf, sizeof(buf), NASP, sls, w->home_seq[partner][sls], dpc, RC,
					"MSG");
		assert_int_equal(m3ua_link_send(lk, buf, len, m3ua_link_stream_for_sls(lk, sls)), 0);
		w->home_seq[partner][sls]++;
		hsent++;
	}
	RUN_UNTIL(w, w->p_rx[0] + w->p_rx[1] + w->p_rx[2] == hsent);
	if (w->p_bad)
		fail_msg("partner: %s", w->p_bad);
	assert_true(w->p_rx[0] > 0 && w->p_rx[1] > 0 && w->p_rx[2] > 0);
	assert_int_equal(w->p_rx[2], (hsent + 2) / 3); /* every third went to partner-b */

	struct relay_counters tp, th;
	relay_totals(w->relay, RELAY_FROM_PARTNER, &tp);
	relay_totals(w->relay, RELAY_FROM_HOME, &th);
	assert_int_equal(tp.in, sent);
	assert_int_equal(tp.forwarded, sent);
	assert_int_equal(th.in, hsent);
	assert_int_equal(th.forwarded, hsent);
	/* partner links carried the home traffic and the DUNA/DAVA of the start-up */
	assert_int_equal(tp.sent, hsent + w->p_ssnm[0] + w->p_ssnm[1] + w->p_ssnm[2]);
	check_counters(w);
	rworld_free(w);
}

static void test_tcp_both_directions(void **state) { both_directions(TP_TCP); }
static void test_usrsctp_both_directions(void **state) { both_directions(TP_USRSCTP); }

static void test_ksctp_both_directions(void **state)
{
	if (!tp_ksctp_available()) {
		print_message("kernel SCTP not available here (no lksctp in this build or no SCTP in "
			      "the kernel): skipped\n");
		skip();
	}
	both_directions(TP_KSCTP);
}

/* The verdict hook: "BAD" dropped, "ANS" answered to the sender, "ERR" fails the hook, "JNK"
 * is reported undecodable; fail-closed rejects those two, fail-open forwards them. */
static int test_hook(void *ud, const struct relay_msg *msg, struct dfs_wbuf *answer)
{
	struct rworld *w = ud;
	w->hook_calls++;
	const uint8_t *u = msg->m3ua->pd.user_data.p;
	assert_true(msg->p[2] == M3UA_CLS_XFER);
	if (memcmp(u, "BAD", 3) == 0)
		return RELAY_DROP;
	if (memcmp(u, "ERR", 3) == 0)
		return -EIO;
	if (memcmp(u, "JNK", 3) == 0)
		return -EBADMSG;
	if (memcmp(u, "ANS", 3) == 0) {
		uint8_t buf[2200];
		size_t len = build_data(buf, sizeof(buf), NASP, msg->m3ua->pd.sls, 0, msg->m3ua->pd.opc,
					RC, "ANS");
		dfs_wbuf_put(answer, buf, len);
		return RELAY_ANSWER;
	}
	return RELAY_FORWARD;
}

static void test_hook_verdicts(void **state)
{
	struct rworld *w = rworld_new(TP_TCP, RELAY_HOME_DOWN_QUEUE, RC, test_hook, 0);
	relay_set_fail_mode(w->relay, RELAY_FAIL_CLOSED);
	unsigned n = 0;
	n += send_from_partners(w, 50, "MSG");
	send_tagged(w, 20, "BAD", false);
	send_tagged(w, 10, "ANS", false);
	send_tagged(w, 5, "ERR", false);
	send_tagged(w, 5, "JNK", false);
	RUN_UNTIL(w, w->p_answers[0] + w->p_answers[1] + w->p_answers[2] == 10 * NASP);
	n += send_from_partners(w, 50, "MSG");
	RUN_UNTIL(w, w->sink_rx == n);
	struct relay_counters t;
	relay_totals(w->relay, RELAY_FROM_PARTNER, &t);
	assert_int_equal(t.in, (50 + 20 + 10 + 5 + 5 + 50) * NASP);
	assert_int_equal(t.forwarded, 100 * NASP);
	assert_int_equal(t.blocked, 30 * NASP);
	assert_int_equal(t.answered, 10 * NASP);
	assert_int_equal(t.rejected, 10 * NASP);
	assert_int_equal(t.hook_errors, 5 * NASP);
	assert_int_equal(t.malformed, 5 * NASP);
	check_counters(w);
	/* fail-open: the same failures are forwarded (and still counted as failures) */
	relay_set_fail_mode(w->relay, RELAY_FAIL_OPEN);
	memset(w->sink_next, 0, sizeof(w->sink_next)); /* the sequence check restarts per tag */
	memset(w->send_seq, 0, sizeof(w->send_seq));
	w->sink_rx = 0;
	send_from_partners(w, 5, "ERR");
	RUN_UNTIL(w, w->sink_rx == 5 * NASP);
	if (w->sink_bad)
		fail_msg("sink: %s", w->sink_bad);
	relay_totals(w->relay, RELAY_FROM_PARTNER, &t);
	assert_int_equal(t.forwarded, 105 * NASP);
	assert_int_equal(t.hook_errors, 10 * NASP);
	check_counters(w);
	assert_int_equal(w->hook_calls, (50 + 20 + 10 + 5 + 5 + 50 + 5) * NASP);
	rworld_free(w);
}

/* Home links drop: partners hear DUNA, their traffic is held in order and delivered when the
 * home side is back (DAVA). A partner ASP drops and comes back. */
static void links_drop(enum tp_kind kind)
{
	struct rworld *w = rworld_new(kind, RELAY_HOME_DOWN_QUEUE, RC, NULL, 0);
	unsigned n = send_from_partners(w, 200, "MSG");
	RUN_UNTIL(w, w->sink_rx == n);
	/* the home STP drops both associations and refuses new ones for a while */
	w->sink_refuse = true;
	for (struct m3ua_link *lk = m3ua_sg_next(w->sink, NULL); lk; lk = m3ua_sg_next(w->sink, NULL))
		m3ua_link_close(lk);
	RUN_UNTIL(w, !relay_home_available(w->relay));
	RUN_UNTIL(w, w->p_duna[0] + w->p_duna[1] + w->p_duna[2] >= NASP);
	/* partners go on sending: held, nothing lost, nothing reordered */
	n += send_from_partners(w, 100, "MSG");
	RUN_UNTIL(w, relay_held_msgs(w->relay) == 100 * NASP);
	check_counters(w);
	w->sink_refuse = false;
	RUN_UNTIL(w, relay_home_available(w->relay) && relay_held_msgs(w->relay) == 0);
	RUN_UNTIL(w, w->sink_rx == n);
	if (w->sink_bad)
		fail_msg("sink: %s", w->sink_bad);
	RUN_UNTIL(w, w->p_dava[0] + w->p_dava[1] + w->p_dava[2] >= NASP);
	assert_true(m3ua_link_stats(relay_home(w->relay, 0))->reconnects >= 1);

	/* a partner ASP goes away and comes back */
	m3ua_link_close(w->pasp[1]);
	w->pasp[1] = NULL;
	RUN_UNTIL(w, m3ua_sg_count(relay_partner(w->relay, 0), M3UA_ASP_DOWN) == 1);
	pasp_start(w, 1);
	RUN_UNTIL(w, partner_active(w) == NASP);
	n += send_from_partners(w, 100, "MSG");
	RUN_UNTIL(w, w->sink_rx == n);
	if (w->sink_bad)
		fail_msg("sink: %s", w->sink_bad);
	struct relay_counters t;
	relay_totals(w->relay, RELAY_FROM_PARTNER, &t);
	assert_int_equal(t.in, n);
	assert_int_equal(t.forwarded, n);
	check_counters(w);
	rworld_free(w);
}

static void test_tcp_links_drop(void **state) { links_drop(TP_TCP); }
static void test_usrsctp_links_drop(void **state) { links_drop(TP_USRSCTP); }

/* Refuse mode: with the home side away, partner traffic is refused and counted, not delivered. */
static void test_home_down_refuse(void **state)
{
	struct rworld *w = rworld_new(TP_TCP, RELAY_HOME_DOWN_REFUSE, RC, NULL, 0);
	m3ua_sg_close(w->sink); /* the home STP is gone for good */
	w->sink = NULL;
	RUN_UNTIL(w, !relay_home_available(w->relay));
	send_from_partners(w, 30, "MSG");
	struct relay_counters t;
	RUN_UNTIL(w, (relay_totals(w->relay, RELAY_FROM_PARTNER, &t), t.in == 30 * NASP));
	assert_int_equal(t.in, 30 * NASP);
	assert_int_equal(t.refused, 30 * NASP);
	assert_int_equal(t.held, 0);
	assert_int_equal(relay_held_msgs(w->relay), 0);
	check_counters(w);
	rworld_free(w);
}

/* Different routing contexts on the two sides: only the routing context value changes. */
static void test_rctx_rewrite(void **state)
{
	struct rworld *w = rworld_new(TP_TCP, RELAY_HOME_DOWN_QUEUE, 77, NULL, 0);
	unsigned n = send_from_partners(w, 100, "MSG");
	RUN_UNTIL(w, w->sink_rx == n); /* the sink checks the bytes with routing context 77 */
	if (w->sink_bad)
		fail_msg("sink: %s", w->sink_bad);
	check_counters(w);
	rworld_free(w);
}

/* A peer that sends garbage: DATA the link layer refuses is counted as rejected, bytes that are
 * not M3UA end the association; the relay carries on. */
struct raw_peer {
	struct tp_conn *c;
	bool up;
	int downs;
	unsigned rx, errs;
};

static void raw_up(struct tp_conn *c, void *ud) { ((struct raw_peer *)ud)->up = true; }
static void raw_msg(struct tp_conn *c, const uint8_t *p, size_t len, uint16_t s, void *ud)
{
	struct raw_peer *r = ud;
	r->rx++;
	if (len >= 4 && p[2] == M3UA_CLS_MGMT && p[3] == M3UA_MGMT_ERR)
		r->errs++;
}
static void raw_down(struct tp_conn *c, int err, void *ud)
{
	struct raw_peer *r = ud;
	r->downs++;
	r->c = NULL;
}
static const struct tp_cbs raw_cbs = {raw_up, raw_msg, NULL, raw_down};

static void raw_send(struct raw_peer *rp, uint8_t cls, uint8_t type, const struct m3ua_param *ps,
		     unsigned n)
{
	uint8_t buf[256];
	struct dfs_wbuf wb = dfs_wbuf_init(buf, sizeof(buf));
	assert_int_equal(m3ua_encode(&wb, cls, type, ps, n), 0);
	assert_int_equal(tp_send(rp->c, buf, wb.len, 0), 0);
}

static void test_garbage_peer(void **state)
{
	struct rworld *w = rworld_new(TP_TCP, RELAY_HOME_DOWN_QUEUE, RC, NULL, 0);
	char err[256];
	struct raw_peer rp = {0};
	struct tp_endpoint ep = {.kind = TP_TCP, .n_addrs = 1, .addrs = {"127.0.0.1"},
				 .port = m3ua_sg_port(relay_partner(w->relay, 0))};
	rp.c = tp_connect(w->net, &ep, NULL, &raw_cbs, &rp, err, sizeof(err));
	assert_non_null(rp.c);
	RUN_UNTIL(w, rp.up);
	raw_send(&rp, M3UA_CLS_ASPSM, M3UA_ASPSM_ASPUP, NULL, 0);
	raw_send(&rp, M3UA_CLS_ASPTM, M3UA_ASPTM_ASPAC, NULL, 0);
	uint8_t rcb[4] = {0, 0, 0, 99};
	uint8_t pd[20] = {0, 0, 0x20, 0x01, 0, 0, 0x12, 0x34, 3, 2, 0, 1, 'x', 'y', 'z', 0, 0, 0, 0, 0};
	struct m3ua_param bad_rc[2] = {{M3UA_TAG_ROUTING_CTX, {rcb, 4}},
				       {M3UA_TAG_PROTOCOL_DATA, {pd, 20}}};
	raw_send(&rp, M3UA_CLS_XFER, M3UA_XFER_DATA, bad_rc, 2); /* invalid routing context */
	raw_send(&rp, M3UA_CLS_XFER, M3UA_XFER_DATA, bad_rc, 1); /* no protocol data */
	uint8_t good[2200];
	size_t glen = build_data(good, sizeof(good), SRC_RAW, 1, 0, PC_HOME, RC, "MSG");
	assert_int_equal(tp_send(rp.c, good, glen, 0), 0);
	RUN_UNTIL(w, rp.errs == 2);
	RUN_UNTIL(w, w->sink_rx == 1);
	/* then bytes that are not M3UA at all */
	const uint8_t junk[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
	assert_int_equal(tp_send(rp.c, junk, sizeof(junk), 0), 0);
	RUN_UNTIL(w, rp.downs == 1);
	const struct relay_counters *c = relay_partner_counters(w->relay, 0);
	assert_int_equal(c->in, 3);
	assert_int_equal(c->forwarded, 1);
	assert_int_equal(c->rejected, 2);
	assert_int_equal(c->malformed, 2);
	check_counters(w);
	/* the relay still works for everyone else */
	unsigned n = send_from_partners(w, 50, "MSG");
	RUN_UNTIL(w, w->sink_rx == n + 1);
	if (w->sink_bad)
		fail_msg("sink: %s", w->sink_bad);
	check_counters(w);
	rworld_free(w);
}

/* Back-pressure: the home STP stops reading; the relay's home queues fill to their high-water
 * mark and it stops reading the partners, whose own queues then fill. When the STP reads
 * again everything arrives, in order. */
static void test_back_pressure(void **state)
{
	struct rworld *w = rworld_new(TP_TCP, RELAY_HOME_DOWN_QUEUE, RC, NULL, 16 * 1024);
	for (struct m3ua_link *lk = m3ua_sg_next(w->sink, NULL); lk; lk = m3ua_sg_next(w->sink, lk))
		m3ua_link_pause(lk, true);
	uint8_t buf[2200];
	unsigned sent = 0;
	/* feed partner ASP 0 until it cannot take more */
	for (int iter = 0; iter < 200000 && m3ua_link_writable(w->pasp[0]); iter++) {
		uint8_t sls = (uint8_t)(sent % NSLS);
		size_t len = build_data(buf, sizeof(buf), 0, sls, w->send_seq[0][sls], PC_HOME, RC, "MSG");
		if (m3ua_link_send(w->pasp[0], buf, len, m3ua_link_stream_for_sls(w->pasp[0], sls)) < 0)
			break;
		w->send_seq[0][sls]++;
		sent++;
		if (sent % 64 == 0)
			evloop_run_once(w->l, 1);
	}
	assert_false(m3ua_link_writable(w->pasp[0]));
	const struct relay_counters *c = relay_partner_counters(w->relay, 0);
	assert_true(c->pauses >= 1);
	assert_true(w->sink_rx < sent);
	check_counters(w);
	for (struct m3ua_link *lk = m3ua_sg_next(w->sink, NULL); lk; lk = m3ua_sg_next(w->sink, lk))
		m3ua_link_pause(lk, false);
	RUN_UNTIL(w, w->sink_rx == sent);
	if (w->sink_bad)
		fail_msg("sink: %s", w->sink_bad);
	assert_int_equal(c->in, sent);
	assert_int_equal(c->forwarded, sent);
	check_counters(w);
	rworld_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_both_directions),
		cmocka_unit_test(test_usrsctp_both_directions),
		cmocka_unit_test(test_ksctp_both_directions),
		cmocka_unit_test(test_hook_verdicts),
		cmocka_unit_test(test_tcp_links_drop),
		cmocka_unit_test(test_usrsctp_links_drop),
		cmocka_unit_test(test_home_down_refuse),
		cmocka_unit_test(test_rctx_rewrite),
		cmocka_unit_test(test_garbage_peer),
		cmocka_unit_test(test_back_pressure),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
