/* dfsguard fw: the relay of src/net with the policy engine as its verdict hook. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fw_int.h"

struct fw {
	struct evloop *loop;
	struct tp_net *net;
	bool net_borrowed;
	struct relay *relay;
	struct fw_engine eng;
	struct fw_httpd *httpd;
	uint64_t tick_timer, snap_timer;
	uint64_t last_snapshot_ms;
	const char *link_names[2 * RELAY_MAX_LINKS];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The verdict hook: decode + policy; blocks are answered as the rule says (or dropped when
 * there is nothing to answer); monitor mode turned them into alerts already. A message that
 * does not decode is alerted on and left to the fail mode. */
static int fw_hook(void *ud, const struct relay_msg *msg, struct dfs_wbuf *answer)
{
	struct fw *fw = ud;
	uint64_t t0 = mono_ns();
	unsigned li = msg->dir == RELAY_FROM_PARTNER ? msg->link : fw->eng.links.relay.n_partners + msg->link;
	struct sig_msg m;
	struct verdict v;
	int rc = fw_engine_judge(&fw->eng, li, FW_FRAME_M3UA, NULL, msg->p, msg->len, &m, &v);
	int out;
	if (rc < 0)
		out = fw->eng.cfg->monitor ? RELAY_FORWARD : rc;
	else if (v.action != ACT_BLOCK)
		out = RELAY_FORWARD;
	else if (v.answer != ANSWER_NONE && fw_answer_build(&m, &v, answer) == 0)
		out = RELAY_ANSWER;
	else
		out = RELAY_DROP;
	fw_engine_latency(&fw->eng, mono_ns() - t0);
	return out;
}

static int tick_cb(struct evloop *l, uint64_t id, void *ud)
{
	struct fw *fw = ud;
	fw_engine_tick(&fw->eng);
	return 1000;
}

static int snap_cb(struct evloop *l, uint64_t id, void *ud)
{
	struct fw *fw = ud;
	char err[256];
	fw_snapshot(fw, err, sizeof(err));
	return (int)(fw->eng.links.snapshot_interval_s ? fw->eng.links.snapshot_interval_s : 300) * 1000;
}

static size_t render_cb(void *ud, char *out, size_t outsz)
{
	return fw_metrics_text(ud, out, outsz);
}

static bool needs_usrsctp(const struct fw_links *l)
{
	for (unsigned i = 0; i < l->relay.n_partners; i++) {
		enum tp_kind k = l->relay.partners[i].sg.local.kind;
		if (k == TP_USRSCTP || (k == TP_SCTP && !tp_ksctp_available()))
			return true;
	}
	for (unsigned i = 0; i < l->relay.n_homes; i++) {
		enum tp_kind k = l->relay.homes[i].remote.kind;
		if (k == TP_USRSCTP || (k == TP_SCTP && !tp_ksctp_available()))
			return true;
	}
	return false;
}

struct fw *fw_new(struct evloop *l, struct tp_net *net, const char *config_path, char *err,
		  size_t errsz)
{
	struct fw *fw = calloc(1, sizeof(*fw));
	if (!fw) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	fw->loop = l;
	if (fw_engine_init(&fw->eng, config_path, err, errsz) < 0) {
		free(fw);
		return NULL;
	}
	struct fw_links *lk = &fw->eng.links;
	for (unsigned i = 0; i < lk->relay.n_partners; i++)
		fw->link_names[i] = lk->relay.partners[i].sg.name;
	for (unsigned i = 0; i < lk->relay.n_homes; i++)
		fw->link_names[lk->relay.n_partners + i] = lk->relay.homes[i].name;
	if (net) {
		fw->net = net;
		fw->net_borrowed = true;
	} else if (!(fw->net = tp_net_new(l, err, errsz)) ||
		   (needs_usrsctp(lk) && tp_net_usrsctp_start(fw->net, lk->usrsctp_port, err, errsz) < 0)) {
		goto fail;
	}
	struct relay_cfg rc = lk->relay;
	rc.hook = fw_hook;
	rc.hook_ud = fw;
	fw->relay = relay_new(fw->net, &rc, err, errsz);
	if (!fw->relay)
		goto fail;
	if (lk->metrics_enabled) {
		fw->httpd = fw_httpd_start(l, lk->metrics_addr, lk->metrics_port, render_cb, fw, err, errsz);
		if (!fw->httpd)
			goto fail;
	}
	fw->tick_timer = evloop_timer_add(l, 1000, tick_cb, fw);
	if (lk->snapshot_file[0])
		fw->snap_timer = evloop_timer_add(l, (lk->snapshot_interval_s ? lk->snapshot_interval_s : 300) * 1000u,
						  snap_cb, fw);
	return fw;
fail:
	if (fw->relay)
		relay_free(fw->relay);
	if (fw->net && !fw->net_borrowed)
		tp_net_free(fw->net);
	fw_engine_fini(&fw->eng);
	free(fw);
	return NULL;
}

int fw_reload(struct fw *fw, char *err, size_t errsz)
{
	bool changed = false;
	int rc = fw_engine_reload(&fw->eng, &changed, err, errsz);
	if (rc < 0)
		return rc;
	relay_set_fail_mode(fw->relay, fw->eng.links.relay.on_hook_error);
	if (changed) {
		snprintf(err, errsz, "the links section changed: link changes take effect at the next restart");
		return 1;
	}
	return 0;
}

int fw_snapshot(struct fw *fw, char *err, size_t errsz)
{
	return fw_engine_snapshot(&fw->eng, err, errsz);
}

void fw_free(struct fw *fw)
{
	if (!fw)
		return;
	char err[256];
	fw_snapshot(fw, err, sizeof(err));
	if (fw->tick_timer)
		evloop_timer_del(fw->loop, fw->tick_timer);
	if (fw->snap_timer)
		evloop_timer_del(fw->loop, fw->snap_timer);
	if (fw->httpd)
		fw_httpd_stop(fw->httpd);
	relay_free(fw->relay);
	if (!fw->net_borrowed)
		tp_net_free(fw->net);
	fw_engine_fini(&fw->eng);
	free(fw);
}

struct relay *fw_relay(const struct fw *fw) { return fw->relay; }
uint16_t fw_metrics_port(const struct fw *fw) { return fw->httpd ? fw_httpd_port(fw->httpd) : 0; }

void fw_get_totals(const struct fw *fw, enum relay_dir d, struct fw_totals *t)
{
	struct relay_counters c;
	relay_totals(fw->relay, d, &c);
	memset(t, 0, sizeof(*t));
	t->in = c.in;
	t->forwarded = c.forwarded;
	t->blocked = c.blocked;
	t->answered = c.answered;
	t->rejected = c.rejected;
	t->refused = c.refused;
	t->held = c.held;
	t->alerts = fw->eng.alerts_written;
	t->malformed = c.malformed;
}

size_t fw_metrics_text(const struct fw *fw, char *out, size_t outsz)
{
	size_t off = 0;
	const struct fw_links *lk = &fw->eng.links;
	unsigned np = lk->relay.n_partners, nh = lk->relay.n_homes;
	static const char *const kinds[] = {"in", "forwarded", "blocked", "answered", "rejected", "refused", "held"};
	out[0] = 0;
	fw_textf(out, outsz, &off, "# HELP dfsguard_fw_messages_total M3UA DATA messages received per link and what became of them.\n"
			      "# TYPE dfsguard_fw_messages_total counter\n");
	for (unsigned i = 0; i < np + nh; i++) {
		const struct relay_counters *c = i < np ? relay_partner_counters(fw->relay, i)
							: relay_home_counters(fw->relay, i - np);
		uint64_t v[] = {c->in, c->forwarded, c->blocked, c->answered, c->rejected, c->refused, c->held};
		for (unsigned k = 0; k < sizeof(v) / sizeof(v[0]); k++)
			fw_textf(out, outsz, &off, "dfsguard_fw_messages_total{link=\"%s\",direction=\"%s\",outcome=\"%s\"} %" PRIu64 "\n",
			    fw->link_names[i], i < np ? "from_partner" : "from_home", kinds[k], v[k]);
	}
	fw_textf(out, outsz, &off, "# HELP dfsguard_fw_malformed_total Messages that did not decode, per link.\n"
			      "# TYPE dfsguard_fw_malformed_total counter\n");
	for (unsigned i = 0; i < np + nh; i++) {
		const struct relay_counters *c = i < np ? relay_partner_counters(fw->relay, i)
							: relay_home_counters(fw->relay, i - np);
		fw_textf(out, outsz, &off, "dfsguard_fw_malformed_total{link=\"%s\"} %" PRIu64 "\n", fw->link_names[i], c->malformed);
	}
	fw_textf(out, outsz, &off, "# HELP dfsguard_fw_link_up Link state: partner links 1 when their AS is active, home links 1 when the ASP is active.\n"
			      "# TYPE dfsguard_fw_link_up gauge\n");
	for (unsigned i = 0; i < np; i++)
		fw_textf(out, outsz, &off, "dfsguard_fw_link_up{link=\"%s\",side=\"partner\",state=\"%s\"} %d\n", fw->link_names[i],
		    m3ua_as_state_name(m3ua_sg_as_state(relay_partner(fw->relay, i))),
		    m3ua_sg_as_state(relay_partner(fw->relay, i)) == M3UA_AS_ACTIVE);
	for (unsigned i = 0; i < nh; i++) {
		enum m3ua_asp_state s = m3ua_link_state(relay_home(fw->relay, i));
		fw_textf(out, outsz, &off, "dfsguard_fw_link_up{link=\"%s\",side=\"home\",state=\"%s\"} %d\n",
		    fw->link_names[np + i], m3ua_asp_state_name(s), s == M3UA_ASP_ACTIVE);
	}
	fw_textf(out, outsz, &off, "# HELP dfsguard_fw_queue_bytes Output queued per link (bytes).\n"
			      "# TYPE dfsguard_fw_queue_bytes gauge\n");
	for (unsigned i = 0; i < np; i++) {
		size_t q = 0;
		struct m3ua_sg *sg = relay_partner(fw->relay, i);
		for (struct m3ua_link *k = m3ua_sg_next(sg, NULL); k; k = m3ua_sg_next(sg, k))
			if (m3ua_link_conn(k))
				q += tp_queued_bytes(m3ua_link_conn(k));
		fw_textf(out, outsz, &off, "dfsguard_fw_queue_bytes{link=\"%s\"} %zu\n", fw->link_names[i], q);
	}
	for (unsigned i = 0; i < nh; i++) {
		struct tp_conn *c = m3ua_link_conn(relay_home(fw->relay, i));
		fw_textf(out, outsz, &off, "dfsguard_fw_queue_bytes{link=\"%s\"} %zu\n", fw->link_names[np + i],
		    c ? tp_queued_bytes(c) : 0);
	}
	fw_textf(out, outsz, &off, "# HELP dfsguard_fw_held_messages Messages held while no home link is active.\n"
			      "# TYPE dfsguard_fw_held_messages gauge\ndfsguard_fw_held_messages %zu\n",
	    relay_held_msgs(fw->relay));
	off += fw_engine_metrics(&fw->eng, fw->link_names, np + nh, np, out + off, outsz - off);
	return off;
}
