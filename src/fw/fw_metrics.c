/* Prometheus metrics: the engine's counters as text, served by libmicrohttpd on the firewall's
 * own event loop (MHD's epoll descriptor is watched there; no extra thread). */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "fw_int.h"

struct fw_httpd {
	struct evloop *loop;
	struct MHD_Daemon *d;
	int epfd;
	uint64_t timer;
	size_t (*render)(void *ud, char *out, size_t outsz);
	void *ud;
	uint16_t port;
};

#define METRICS_MAX (256 * 1024)

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	struct fw_httpd *h = cls;
	struct MHD_Response *r;
	enum MHD_Result rc;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		static const char msg[] = "method not allowed\n";
		r = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
		rc = MHD_queue_response(c, MHD_HTTP_METHOD_NOT_ALLOWED, r);
	} else if (strcmp(url, "/metrics")) {
		static const char msg[] = "not found: the metrics are at /metrics\n";
		r = MHD_create_response_from_buffer(sizeof(msg) - 1, (void *)msg, MHD_RESPMEM_PERSISTENT);
		rc = MHD_queue_response(c, MHD_HTTP_NOT_FOUND, r);
	} else {
		char *buf = malloc(METRICS_MAX);
		if (!buf)
			return MHD_NO;
		size_t n = h->render(h->ud, buf, METRICS_MAX);
		r = MHD_create_response_from_buffer(n, buf, MHD_RESPMEM_MUST_FREE);
		MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
		rc = MHD_queue_response(c, MHD_HTTP_OK, r);
	}
	MHD_destroy_response(r);
	return rc;
}

static void mhd_fd_cb(struct evloop *l, int fd, int events, void *ud)
{
	struct fw_httpd *h = ud;
	MHD_run(h->d);
}

static int mhd_timer_cb(struct evloop *l, uint64_t id, void *ud)
{
	struct fw_httpd *h = ud;
	MHD_run(h->d);
	return 250;
}

struct fw_httpd *fw_httpd_start(struct evloop *l, const char *addr, uint16_t port,
				size_t (*render)(void *ud, char *out, size_t outsz), void *ud,
				char *err, size_t errsz)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		snprintf(err, errsz, "metrics address %s: not a numeric IPv4 address", addr);
		return NULL;
	}
	struct fw_httpd *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->loop = l;
	h->render = render;
	h->ud = ud;
	h->d = MHD_start_daemon(MHD_USE_EPOLL, port, NULL, NULL, answer, h,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)64, MHD_OPTION_END);
	if (!h->d) {
		snprintf(err, errsz, "metrics: cannot listen on %s:%u", addr, port);
		free(h);
		return NULL;
	}
	const union MHD_DaemonInfo *ep = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_EPOLL_FD);
	const union MHD_DaemonInfo *pi = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
	h->epfd = ep ? ep->epoll_fd : -1;
	h->port = pi ? pi->port : port;
	if (h->epfd < 0 || evloop_fd_set(l, h->epfd, EVLOOP_READ, mhd_fd_cb, h) < 0) {
		snprintf(err, errsz, "metrics: cannot watch the HTTP server");
		MHD_stop_daemon(h->d);
		free(h);
		return NULL;
	}
	h->timer = evloop_timer_add(l, 250, mhd_timer_cb, h);
	return h;
}

uint16_t fw_httpd_port(const struct fw_httpd *h) { return h->port; }

void fw_httpd_stop(struct fw_httpd *h)
{
	if (!h)
		return;
	evloop_fd_set(h->loop, h->epfd, 0, NULL, NULL);
	if (h->timer)
		evloop_timer_del(h->loop, h->timer);
	MHD_stop_daemon(h->d);
	free(h);
}

void fw_textf(char *out, size_t outsz, size_t *off, const char *fmt, ...)
{
	if (*off + 1 >= outsz)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out + *off, outsz - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = *off + (size_t)n >= outsz ? outsz - 1 : *off + (size_t)n;
}

size_t fw_engine_metrics(const struct fw_engine *e, const char *const *link_names, unsigned n_links,
			 unsigned n_partners, char *out, size_t outsz)
{
	size_t off = 0;
	if (!outsz)
		return 0;
	out[0] = 0;
	fw_textf(out, outsz, &off, "# HELP dfsguard_fw_verdicts_total Policy verdicts per link and direction.\n"
			      "# TYPE dfsguard_fw_verdicts_total counter\n");
	for (unsigned i = 0; i < n_links; i++)
		for (unsigned a = 0; a < 3; a++)
			fw_textf(out, outsz, &off,
			    "dfsguard_fw_verdicts_total{link=\"%s\",direction=\"%s\",verdict=\"%s\"} %" PRIu64 "\n",
			    link_names ? link_names[i] : "capture", i < n_partners ? "from_partner" : "from_home",
			    get_value_string(verdict_action_names, a), e->verdicts[i][a]);
	fw_textf(out, outsz, &off, "# HELP dfsguard_fw_rule_hits_total Messages each rule fired on.\n"
			      "# TYPE dfsguard_fw_rule_hits_total counter\n");
	for (unsigned r = 1; r < RULE_COUNT; r++)
		fw_textf(out, outsz, &off, "dfsguard_fw_rule_hits_total{rule=\"%s\"} %" PRIu64 "\n", rule_name(r),
		    e->rule_hits[r]);
	fw_textf(out, outsz, &off, "# HELP dfsguard_fw_verdict_seconds Time to decode and judge one message.\n"
			      "# TYPE dfsguard_fw_verdict_seconds histogram\n");
	uint64_t cum = 0;
	for (unsigned i = 0; i < FW_LAT_BUCKETS; i++) {
		cum += e->lat_count[i];
		fw_textf(out, outsz, &off, "dfsguard_fw_verdict_seconds_bucket{le=\"%g\"} %" PRIu64 "\n", fw_lat_bounds_s[i], cum);
	}
	cum += e->lat_count[FW_LAT_BUCKETS];
	fw_textf(out, outsz, &off, "dfsguard_fw_verdict_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n"
			      "dfsguard_fw_verdict_seconds_sum %.9f\ndfsguard_fw_verdict_seconds_count %" PRIu64 "\n",
	    cum, e->lat_sum_s, cum);
	struct { const char *name, *help; uint64_t v; } simple[] = {
		{"decode_errors_total", "Messages that did not decode.", e->malformed},
		{"alerts_total", "Alerts written to the alerts file.", e->alerts_written},
		{"alert_errors_total", "Alerts that could not be written.", e->alert_errors},
		{"captured_total", "Blocked messages written to the capture file.", e->captured},
		{"capture_errors_total", "Blocked messages that could not be captured.", e->capture_errors},
		{"reloads_total", "Configuration reloads applied.", e->reloads},
		{"reload_failures_total", "Configuration reloads refused.", e->reload_failures},
		{"snapshots_total", "Subscriber state snapshots saved.", e->snapshots},
		{"snapshot_failures_total", "Subscriber state snapshots that failed.", e->snapshot_failures},
	};
	for (unsigned i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		fw_textf(out, outsz, &off, "# HELP dfsguard_fw_%s %s\n# TYPE dfsguard_fw_%s counter\ndfsguard_fw_%s %" PRIu64 "\n",
		    simple[i].name, simple[i].help, simple[i].name, simple[i].name, simple[i].v);
	struct sub_state_stats st = {0};
	if (e->state)
		e->state->ops->stats(e->state, &st);
	fw_textf(out, outsz, &off, "# HELP dfsguard_fw_subscribers Subscribers in the state.\n# TYPE dfsguard_fw_subscribers gauge\n"
			      "dfsguard_fw_subscribers %" PRIu64 "\n", st.subscribers);
	if (e->feed)
		fw_simswap_feed_metrics(e->feed, out, outsz, &off);
	fw_textf(out, outsz, &off, "# HELP dfsguard_fw_state_errors_total Subscriber state operations that failed (Redis unreachable).\n"
			      "# TYPE dfsguard_fw_state_errors_total counter\ndfsguard_fw_state_errors_total %" PRIu64 "\n", st.errors);
	return off;
}
