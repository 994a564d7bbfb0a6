/* The firewall's judging engine: decode, policy, alerts, capture of blocked messages, state
 * snapshots. Shared by the inline relay and the passive listener. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "fw_int.h"
#include "gsm0338.h"
#include "json_writer.h"
#include "m3ua.h"

const double fw_lat_bounds_s[FW_LAT_BUCKETS] = {
	0.000002, 0.000005, 0.00001, 0.000025, 0.00005, 0.0001,
	0.00025,  0.0005,   0.001,   0.0025,   0.01,    0.1,
};

uint64_t fw_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void errs_join(const struct cfg_errors *errs, char *err, size_t errsz)
{
	size_t off = 0;
	err[0] = 0;
	for (unsigned i = 0; i < errs->n && off + 1 < errsz; i++) {
		int n = snprintf(err + off, errsz - off, "%s%s", i ? "\n" : "", errs->msg[i]);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* Both halves of the configuration, or nothing. */
static int load_config(const char *path, struct policy_config **cfg, struct fw_links *links,
		       char *err, size_t errsz)
{
	struct cfg_errors *errs = calloc(1, sizeof(*errs));
	if (!errs)
		return -ENOMEM;
	*cfg = policy_config_load(path, errs);
	if (!*cfg) {
		errs_join(errs, err, errsz);
		free(errs);
		return -EINVAL;
	}
	if (fw_links_parse(path, links, errs) < 0) {
		errs_join(errs, err, errsz);
		policy_config_free(*cfg);
		*cfg = NULL;
		free(errs);
		return -EINVAL;
	}
	free(errs);
	return 0;
}

/* path -> path.1 -> ... -> path.KEEP (the oldest is removed). */
static void rotate_files(const char *path, unsigned keep)
{
	char from[FW_PATH_MAX + 16], to[FW_PATH_MAX + 16];
	for (unsigned i = keep; i >= 1; i--) {
		if (i == 1)
			snprintf(from, sizeof(from), "%s", path);
		else
			snprintf(from, sizeof(from), "%s.%u", path, i - 1);
		snprintf(to, sizeof(to), "%s.%u", path, i);
		rename(from, to); /* a missing file is fine */
	}
}

static int capture_open(struct fw_engine *e)
{
	const struct fw_links *l = &e->links;
	if (!l->capture_file[0])
		return 0;
	struct stat st;
	if (stat(l->capture_file, &st) == 0 && st.st_size > 0)
		rotate_files(l->capture_file, l->capture_keep ? l->capture_keep : 5);
	e->cap = cap_writer_open(l->capture_file, CAP_OUT_EXPORTED_PDU_M3UA, e->cap_err,
				 sizeof(e->cap_err));
	e->cap_bytes = 0;
	return e->cap ? 0 : -EIO;
}

static void capture_close(struct fw_engine *e)
{
	if (e->cap && cap_writer_close(e->cap) < 0)
		e->capture_errors++;
	e->cap = NULL;
}

static void capture_put(struct fw_engine *e, const struct timespec *ts, const uint8_t *p, size_t len)
{
	if (!e->cap)
		return;
	uint64_t limit = e->links.capture_rotate_bytes ? e->links.capture_rotate_bytes : 64u << 20;
	if (e->cap_bytes + len + 64 > limit) {
		capture_close(e);
		if (capture_open(e) < 0) {
			e->capture_errors++;
			return;
		}
	}
	if (cap_writer_put(e->cap, ts, p, len) < 0) {
		e->capture_errors++;
		return;
	}
	e->cap_bytes += len + 64; /* record and exported-PDU headers, roughly */
	e->captured++;
}

static int outputs_open(struct fw_engine *e, char *err, size_t errsz)
{
	if (e->links.alerts_file[0]) {
		e->alerts = fopen(e->links.alerts_file, "a");
		if (!e->alerts) {
			snprintf(err, errsz, "alerts file %s: %s", e->links.alerts_file, strerror(errno));
			return -errno;
		}
		setvbuf(e->alerts, NULL, _IOLBF, 0);
	}
	if (e->links.alerts_syslog)
		openlog("dfsguard-fw", LOG_PID, LOG_DAEMON);
	if (capture_open(e) < 0) {
		snprintf(err, errsz, "capture file %s: %s", e->links.capture_file, e->cap_err);
		return -EIO;
	}
	return 0;
}

static void outputs_close(struct fw_engine *e)
{
	if (e->alerts)
		fclose(e->alerts);
	e->alerts = NULL;
	if (e->links.alerts_syslog)
		closelog();
	capture_close(e);
}

int fw_engine_init(struct fw_engine *e, const char *config_path, char *err, size_t errsz)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->config_path, sizeof(e->config_path), "%s", config_path);
	int rc = load_config(config_path, &e->cfg, &e->links, err, errsz);
	if (rc < 0)
		return rc;
	struct sub_state_limits lim = {
		.max_subscribers = e->cfg->max_subscribers,
		.max_rate_keys = e->cfg->max_rate_keys,
		.subscriber_ttl_ms = (uint64_t)e->cfg->subscriber_ttl_s * 1000u,
		.rate_ttl_ms = (uint64_t)e->cfg->rate_ttl_s * 1000u,
	};
	e->state = sub_state_open(e->cfg->state_backend, &e->cfg->redis, &lim, err, errsz);
	if (!e->state) {
		fw_engine_fini(e);
		return -ENOMEM;
	}
	/* the SQLite snapshot is for the in-process state only; Redis keeps its own */
	if (sub_state_backend_of(e->state) == SUB_STATE_MEMORY && e->links.snapshot_file[0] && access(e->links.snapshot_file, F_OK) == 0 &&
	    (rc = sub_state_mem_load(e->state, e->links.snapshot_file, err, errsz)) < 0) {
		fw_engine_fini(e);
		return rc;
	}
	e->ctx = policy_new(e->cfg, e->state, err, errsz);
	if (!e->ctx) {
		fw_engine_fini(e);
		return -EINVAL;
	}
	if ((rc = outputs_open(e, err, errsz)) < 0) {
		fw_engine_fini(e);
		return rc;
	}
	if (e->links.simswap_feed.url[0] &&
	    !(e->feed = fw_simswap_feed_new(&e->links.simswap_feed, err, errsz))) {
		fw_engine_fini(e);
		return -EINVAL;
	}
	return 0;
}

int fw_engine_snapshot(struct fw_engine *e, char *err, size_t errsz)
{
	if (!e->links.snapshot_file[0] || !e->state || sub_state_backend_of(e->state) != SUB_STATE_MEMORY)
		return 0;
	char tmp[FW_PATH_MAX + 8];
	snprintf(tmp, sizeof(tmp), "%s.new", e->links.snapshot_file);
	unlink(tmp);
	int rc = sub_state_mem_save(e->state, tmp, err, errsz);
	if (rc == 0 && rename(tmp, e->links.snapshot_file) < 0) {
		rc = -errno;
		snprintf(err, errsz, "snapshot %s: %s", e->links.snapshot_file, strerror(errno));
	}
	if (rc < 0)
		e->snapshot_failures++;
	else
		e->snapshots++;
	return rc;
}

void fw_engine_fini(struct fw_engine *e)
{
	fw_simswap_feed_free(e->feed);
	e->feed = NULL;
	outputs_close(e);
	policy_free(e->ctx);
	if (e->state)
		e->state->ops->destroy(e->state);
	policy_config_free(e->cfg);
	e->ctx = NULL;
	e->state = NULL;
	e->cfg = NULL;
}

static bool endpoint_eq(const struct tp_endpoint *a, const struct tp_endpoint *b)
{
	char x[512], y[512];
	tp_endpoint_format(a, x, sizeof(x));
	tp_endpoint_format(b, y, sizeof(y));
	return !strcmp(x, y);
}

static bool links_differ(const struct fw_links *a, const struct fw_links *b)
{
	const struct relay_cfg *x = &a->relay, *y = &b->relay;
	if (x->n_partners != y->n_partners || x->n_homes != y->n_homes || a->usrsctp_port != b->usrsctp_port ||
	    x->home_down != y->home_down || x->hold_max_msgs != y->hold_max_msgs ||
	    x->hold_max_bytes != y->hold_max_bytes || strcmp(a->metrics_addr, b->metrics_addr) ||
	    a->metrics_port != b->metrics_port || a->metrics_enabled != b->metrics_enabled ||
	    memcmp(&a->simswap_feed, &b->simswap_feed, sizeof(a->simswap_feed)))
		return true;
	for (unsigned i = 0; i < x->n_partners; i++) {
		const struct m3ua_sg_cfg *p = &x->partners[i].sg, *q = &y->partners[i].sg;
		if (strcmp(p->name, q->name) || !endpoint_eq(&p->local, &q->local) || p->has_rctx != q->has_rctx ||
		    p->rctx != q->rctx || p->has_na != q->has_na || p->na != q->na || p->tmt != q->tmt)
			return true;
	}
	for (unsigned i = 0; i < x->n_homes; i++) {
		const struct m3ua_asp_cfg *p = &x->homes[i], *q = &y->homes[i];
		if (strcmp(p->name, q->name) || !endpoint_eq(&p->remote, &q->remote) || p->has_rctx != q->has_rctx ||
		    p->rctx != q->rctx || p->has_na != q->has_na || p->na != q->na || p->tmt != q->tmt)
			return true;
	}
	return false;
}

int fw_engine_reload(struct fw_engine *e, bool *links_changed, char *err, size_t errsz)
{
	struct policy_config *cfg;
	struct fw_links *links = malloc(sizeof(*links));
	if (!links)
		return -ENOMEM;
	int rc = load_config(e->config_path, &cfg, links, err, errsz);
	if (rc < 0) {
		free(links);
		e->reload_failures++;
		return rc;
	}
	struct policy_ctx *ctx = policy_new(cfg, e->state, err, errsz);
	if (!ctx) {
		policy_config_free(cfg);
		free(links);
		e->reload_failures++;
		return -EINVAL;
	}
	*links_changed = links_differ(&e->links, links);
	/* The outputs follow the new file (also how a rotated alerts file is reopened). The link
	 * topology stays as running: the relay keeps e->links' names. */
	outputs_close(e);
	struct fw_links old = e->links;
	memcpy(e->links.alerts_file, links->alerts_file, sizeof(links->alerts_file));
	e->links.alerts_syslog = links->alerts_syslog;
	memcpy(e->links.capture_file, links->capture_file, sizeof(links->capture_file));
	e->links.capture_rotate_bytes = links->capture_rotate_bytes;
	e->links.capture_keep = links->capture_keep;
	memcpy(e->links.snapshot_file, links->snapshot_file, sizeof(links->snapshot_file));
	e->links.snapshot_interval_s = links->snapshot_interval_s;
	e->links.relay.on_hook_error = links->relay.on_hook_error;
	free(links);
	if ((rc = outputs_open(e, err, errsz)) < 0) {
		/* keep running with the old outputs */
		outputs_close(e);
		e->links = old;
		char ignored[160];
		outputs_open(e, ignored, sizeof(ignored));
		policy_free(ctx);
		policy_config_free(cfg);
		e->reload_failures++;
		return rc;
	}
	policy_free(e->ctx);
	policy_config_free(e->cfg);
	e->ctx = ctx;
	e->cfg = cfg;
	e->reloads++;
	return 0;
}

static void write_alert(struct fw_engine *e, const struct verdict *v, const struct timespec *ts)
{
	if (e->alerts) {
		char buf[2048];
		struct json_writer j;
		json_init(&j, buf, sizeof(buf));
		if (verdict_to_json(e->ctx, v, e->frames, ts, &j) < 0 || fprintf(e->alerts, "%s\n", buf) < 0)
			e->alert_errors++;
		else
			e->alerts_written++;
	}
	if (e->links.alerts_syslog) {
		char line[1024];
		verdict_to_text(e->ctx, v, e->frames, ts, line, sizeof(line));
		syslog(v->action == ACT_BLOCK ? LOG_WARNING : LOG_NOTICE, "%s", line);
	}
}

/* Overwrite n octets of text with '*' in the same coding: packed GSM 7-bit after fill_bits
 * (TS 23.038 6.1.2.1.1), or UCS2. */
static void star_text(uint8_t *p, size_t n, enum gsm_charset cs, unsigned fill_bits)
{
	if (cs == GSM_CHARSET_UCS2) {
		for (size_t i = 0; i + 1 < n; i += 2)
			p[i] = 0x00, p[i + 1] = '*';
		return;
	}
	uint8_t sept[256];
	size_t k = n * 8 > fill_bits ? (n * 8 - fill_bits) / 7 : 0;
	if (k > sizeof(sept))
		k = sizeof(sept);
	memset(sept, '*', k); /* '*' is 0x2a in the default alphabet too */
	memset(p, 0, n);
	gsm7_pack(sept, k, fill_bits, p, n);
}

/* The view v of the decoded message, if it lies in src[0..len), as an offset into a copy. */
static bool view_at(const struct dfs_view *v, const uint8_t *src, size_t len, size_t *off)
{
	if (!v->p || !v->len || v->p < src || v->p + v->len > src + len)
		return false;
	*off = (size_t)(v->p - src);
	return true;
}

/* links.capture.redact: subscriber text in a copy of a blocked message -- a USSD string (a
 * PIN in a shortcut dial string like *150*1234#, a menu answer) and SMS text (an OTP) -- becomes
 * '*' of the same length and coding, so the capture still decodes. Binary user data (TS 102
 * 225 packets, DCS 0x96 secured USSD) is kept: it is ciphered or it is the attack itself. */
static void redact(const struct sig_msg *m, const uint8_t *src, size_t len, uint8_t *copy)
{
	size_t off;
	if (!m->has_map)
		return;
	const struct map_fields *f = &m->map;
	if (f->has_ussd && view_at(&f->ussd_string, src, len, &off)) {
		struct gsm_dcs d = cbs_dcs_parse(f->ussd_dcs);
		if (d.charset != GSM_CHARSET_8BIT)
			star_text(copy + off, f->ussd_string.len, d.charset, 0);
	}
	const struct sms_tpdu *t = &f->tpdu;
	if (f->has_tpdu && !t->has_cmd_pkt && !t->has_rsp_pkt && view_at(&t->text, src, len, &off)) {
		struct gsm_dcs d = sms_dcs_parse(t->dcs);
		unsigned udh_bits = t->udhi && t->ud.len ? (1u + t->udh.len) * 8u : 0;
		if (d.charset != GSM_CHARSET_8BIT)
			star_text(copy + off, t->text.len, d.charset, (7 - udh_bits % 7) % 7);
	}
}

/* The capture file holds M3UA: an MTP3 MSU goes in as the M3UA DATA carrying its routing
 * label and user part (RFC 4666 3.3.1.1). */
static void capture_msg(struct fw_engine *e, const struct timespec *ts, enum fw_frame kind,
			const struct sig_msg *m, const uint8_t *p, size_t len)
{
	if (!e->cap)
		return;
	const uint8_t *src = p;
	uint8_t copy[CAP_WRITER_MAX_MSG < 8192 ? CAP_WRITER_MAX_MSG : 8192];
	if (!e->links.capture_keep_text) {
		if (len > sizeof(copy)) { /* never written unredacted */
			e->capture_errors++;
			return;
		}
		memcpy(copy, p, len);
		redact(m, src, len, copy);
		p = copy;
	}
	if (kind == FW_FRAME_M3UA) {
		capture_put(e, ts, p, len);
		return;
	}
	struct m3ua_proto_data pd = m->m3ua.pd;
	size_t off;
	if (p == copy && view_at(&pd.user_data, src, len, &off))
		pd.user_data.p = copy + off;
	uint8_t buf[CAP_WRITER_MAX_MSG < 8192 ? CAP_WRITER_MAX_MSG : 8192];
	struct dfs_wbuf w = dfs_wbuf_init(buf, sizeof(buf));
	if (!m->m3ua.has_proto_data || m3ua_encode_data(&w, NULL, &pd) < 0 || !dfs_wbuf_ok(&w)) {
		e->capture_errors++;
		return;
	}
	capture_put(e, ts, buf, w.len);
}

int fw_engine_judge(struct fw_engine *e, unsigned li, enum fw_frame kind, const struct timespec *at,
		    const uint8_t *p, size_t len, struct sig_msg *m, struct verdict *v)
{
	struct timespec ts;
	if (at)
		ts = *at;
	else
		clock_gettime(CLOCK_REALTIME, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	struct dfs_err de;
	memset(&de, 0, sizeof(de));
	e->frames++;
	int rc = kind == FW_FRAME_MTP3 ? sig_decode_mtp3(p, len, m, &de) : sig_decode_m3ua(p, len, m, &de);
	if (rc < 0) {
		e->malformed++;
		policy_eval_malformed(e->ctx, m, &de, now, v);
		rc = -EBADMSG;
	} else {
		policy_eval(e->ctx, m, now, v);
		if (e->feed)
			fw_simswap_feed_verdict(e->feed, v, now);
	}
	if (li < 2 * RELAY_MAX_LINKS && v->action <= ACT_BLOCK)
		e->verdicts[li][v->action]++;
	if (v->rule < RULE_COUNT && v->rule != RULE_NONE)
		e->rule_hits[v->rule]++;
	if (v->action != ACT_ALLOW)
		write_alert(e, v, &ts);
	if (v->action == ACT_BLOCK ||
	    (rc < 0 && !e->cfg->monitor && e->links.relay.on_hook_error == RELAY_FAIL_CLOSED))
		capture_msg(e, &ts, kind, m, p, len);
	return rc;
}

void fw_engine_latency(struct fw_engine *e, uint64_t ns)
{
	double s = (double)ns / 1e9;
	unsigned i = 0;
	while (i < FW_LAT_BUCKETS && s > fw_lat_bounds_s[i])
		i++;
	e->lat_count[i]++;
	e->lat_sum_s += s;
}

void fw_engine_tick(struct fw_engine *e)
{
	policy_tick(e->ctx, fw_now_ms());
}
