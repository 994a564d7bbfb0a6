/* The USSD gateway service, see ussd_service.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "evloop.h"
#include "ext_app.h"
#include "map_listener.h"
#include "ota_counter.h"
#include "ota_keystore.h"
#include "ussd_service.h"
#include "wallet.h"

static int map_start(struct ussd_service *s, char *err, size_t errsz);
static void map_stop(struct ussd_service *s);

static void *sweeper_main(void *arg)
{
	struct ussd_service *s = arg;
	pthread_mutex_lock(&s->stop_lock);
	while (!s->stopping) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&s->stop_cond, &s->stop_lock, &ts);
		if (s->stopping)
			break;
		pthread_mutex_unlock(&s->stop_lock);
		gw_sweep(&s->g);
		pthread_mutex_lock(&s->stop_lock);
	}
	pthread_mutex_unlock(&s->stop_lock);
	return NULL;
}

static int provision(struct ussd_service *s, char *err, size_t errsz)
{
	const struct ussd_config *c = s->cfg;
	int64_t now = gw_now_s(&s->g);
	for (unsigned i = 0; i < c->n_agents; i++) {
		int rc = wallet_agent_ensure(&s->g.ledger, c->agents[i].number, c->agents[i].name, now);
		if (rc) {
			snprintf(err, errsz, "agent %s: cannot create its account (%d)",
				 c->agents[i].number, rc);
			return rc;
		}
	}
	if (c->kyc_csv[0]) {
		FILE *f = fopen(c->kyc_csv, "r");
		if (!f) {
			snprintf(err, errsz, "%s: %s", c->kyc_csv, strerror(errno));
			return -errno;
		}
		unsigned n;
		char e[160];
		int rc = wallet_kyc_import(s->db, f, now, &n, e, sizeof(e));
		fclose(f);
		if (rc) {
			snprintf(err, errsz, "%s:%s", c->kyc_csv, e + 5); /* "line N: ..." -> "N: ..." */
			return rc;
		}
	}
	return 0;
}

/* GW-E2E: the OTA key store (sealed under the KEK read from its file) and the counter DB. */
static int open_e2e(struct ussd_service *s, char *err, size_t errsz)
{
	const struct ussd_config *c = s->cfg;
	if (!c->e2e_keystore[0])
		return 0;
	uint8_t *kek = ota_secret_alloc(32);
	if (!kek)
		return -ENOMEM;
	int rc = ota_key_file_read(c->e2e_kek_file, kek, 32);
	if (rc >= 0 && rc != 32)
		rc = -EINVAL;
	if (rc < 0) {
		snprintf(err, errsz, "%s: cannot read a 32-byte KEK (%s)", c->e2e_kek_file,
			 strerror(-rc));
	} else {
		rc = ota_keystore_open(&s->e2e_keys, c->e2e_keystore, kek, err, errsz);
		if (rc == 0)
			rc = ota_counter_open(&s->e2e_counters, c->e2e_counters, err, errsz);
	}
	ota_secret_free(kek);
	if (rc)
		return rc;
	gw_e2e_init(&s->e2e, &s->g, &c->e2e, s->e2e_keys, s->e2e_counters);
	s->e2e_ready = true;
	return 0;
}

int ussd_service_start(struct ussd_service *s, const struct ussd_config *cfg, gw_clock_fn clock,
		       void *clock_ud, char *err, size_t errsz)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	pthread_mutex_init(&s->stop_lock, NULL);
	pthread_cond_init(&s->stop_cond, NULL);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(err, errsz, "libcurl init failed");
		return -EIO;
	}
	struct udb_config uc = {.backend = cfg->db_backend, .sqlite_path = cfg->db_path,
				.pg_conninfo = cfg->db_conninfo, .pool_size = cfg->db_pool};
	int rc = udb_open(&s->db, &uc, err, errsz);
	if (rc)
		goto fail;
	if ((rc = audit_open(&s->audit, cfg->audit_log, cfg->audit_fsync, err, errsz)))
		goto fail;
	if (cfg->alert_log[0] && !(s->alerts = fopen(cfg->alert_log, "a"))) {
		rc = -errno;
		snprintf(err, errsz, "%s: %s", cfg->alert_log, strerror(errno));
		goto fail;
	}
	const char *required[128];
	unsigned n = 0;
	for (const char *const *k = gw_required_messages; *k; k++)
		required[n++] = *k;
	for (const char *const *k = wallet_required_messages; *k && n < 127; k++)
		required[n++] = *k;
	required[n] = NULL;
	if ((rc = msgcat_load(&s->msgs, cfg->messages, required, err, errsz)))
		goto fail;
	if ((rc = gw_init(&s->g, &cfg->gw, s->db, s->audit, s->alerts, &s->msgs, clock, clock_ud))) {
		snprintf(err, errsz, "gateway: cannot initialise (%s)", strerror(-rc));
		goto fail;
	}
	s->g_ready = true;
	s->g.wallet = &wallet_app;
	s->g.external = &ext_app;
	if ((rc = provision(s, err, errsz)) || (rc = open_e2e(s, err, errsz)))
		goto fail;
	struct http_face_config hc = {
		.host = cfg->listen_host,
		.port = cfg->listen_port,
		.threads = cfg->threads,
		.tls_cert = cfg->tls_cert[0] ? cfg->tls_cert : NULL,
		.tls_key = cfg->tls_key,
		.agg_key = cfg->aggregator_key,
		.agg_key_len = cfg->aggregator_key_len,
		.replay_window_s = cfg->replay_window_s,
		.feed_token = cfg->feed_token,
		.camara_token = cfg->camara_token,
		.e2e = s->e2e_ready ? &s->e2e : NULL,
	};
	/* the MAP face first: the HTTP face hands it pushes */
	if (cfg->map_enabled && (rc = map_start(s, err, errsz)))
		goto fail;
	hc.push = s->push_ready ? &s->push : NULL;
	if ((rc = http_face_start(&s->http, &s->g, &hc, err, errsz)))
		goto fail;
	if (pthread_create(&s->sweeper, NULL, sweeper_main, s) == 0)
		s->sweeper_running = true;
	gw_audit(&s->g, NULL, "service-start", NULL, "started", NULL, NULL, -1, -1, 0);
	return 0;
fail:
	ussd_service_stop(s);
	return rc;
}

static void *map_main(void *arg)
{
	evloop_run(arg);
	return NULL;
}

/* ussd_push_start_fn, on the MAP loop's thread */
static int push_start(void *ud, const struct map_push *req)
{
	return map_listener_push(ud, req);
}

/* The MAP face: an M3UA SGP in an event loop of its own thread. */
static int map_start(struct ussd_service *s, char *err, size_t errsz)
{
	const struct ussd_config *cfg = s->cfg;
	char why[200];
	struct m3ua_sg_cfg sg = {.name = "ussd-map", .has_rctx = cfg->map_has_rctx,
				 .rctx = (uint32_t)cfg->map_rctx, .tmt = M3UA_TMT_OVERRIDE};
	struct map_face_config fc;
	map_face_config_defaults(&fc);
	fc.idle_timeout_ms = cfg->map_idle_s * 1000;
	snprintf(fc.network, sizeof(fc.network), "%s", cfg->map_network);
	snprintf(fc.gt, sizeof(fc.gt), "%s", cfg->map_gt);
	snprintf(fc.hlr_gt, sizeof(fc.hlr_gt), "%s", cfg->map_hlr_gt);
	fc.pc = (uint32_t)(cfg->map_pc > 0 ? cfg->map_pc : 0);
	fc.hlr_pc = (uint32_t)(cfg->map_hlr_pc > 0 ? cfg->map_hlr_pc : 0);
	fc.ni = (uint8_t)cfg->map_ni;
	fc.has_rctx = cfg->map_has_rctx;
	fc.rctx = (uint32_t)cfg->map_rctx;
	fc.e2e = s->e2e_ready ? &s->e2e : NULL;
	if (tp_endpoint_parse(&sg.local, cfg->map_listen, why, sizeof(why)) ||
	    !(s->map_loop = evloop_new(why, sizeof(why))) ||
	    !(s->map_net = tp_net_new(s->map_loop, why, sizeof(why))) ||
	    /* userland SCTP when asked for, or for sctp: on a kernel without SCTP */
	    ((sg.local.kind == TP_USRSCTP || (sg.local.kind == TP_SCTP && !tp_ksctp_available())) &&
	     tp_net_usrsctp_start(s->map_net, sg.local.udp_port, why, sizeof(why)) < 0) ||
	    !(s->map = map_listener_new(s->map_net, &sg, &s->g, &fc, why, sizeof(why)))) {
		snprintf(err, errsz, "ussd.map: %s", why);
		return -EINVAL;
	}
	if (cfg->map_gt[0]) {
		/* network-initiated USSD: the caller waits at most the TCAP idle timeout */
		struct ussd_push_config pc = {.wait_ms = fc.idle_timeout_ms,
					      .words = cfg->push_words,
					      .n_words = cfg->n_push_words};
		if (ussd_push_init(&s->push, &s->g, &pc, s->map_loop, push_start, s->map)) {
			snprintf(err, errsz, "ussd.map: cannot set up pushes");
			return -EINVAL;
		}
		s->push_ready = true;
	}
	if (pthread_create(&s->map_thread, NULL, map_main, s->map_loop)) {
		snprintf(err, errsz, "ussd.map: cannot start its thread");
		return -EAGAIN;
	}
	s->map_running = true;
	return 0;
}

static void map_stop(struct ussd_service *s)
{
	if (s->map_running) {
		evloop_stop(s->map_loop);
		evloop_wakeup(s->map_loop);
		pthread_join(s->map_thread, NULL);
	}
	s->map_running = false;
	map_listener_free(s->map);
	s->map = NULL;
	if (s->map_net)
		tp_net_free(s->map_net);
	s->map_net = NULL;
	if (s->map_loop)
		evloop_free(s->map_loop);
	s->map_loop = NULL;
}

void ussd_service_stop(struct ussd_service *s)
{
	pthread_mutex_lock(&s->stop_lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->stop_cond);
	pthread_mutex_unlock(&s->stop_lock);
	if (s->sweeper_running)
		pthread_join(s->sweeper, NULL);
	s->sweeper_running = false;
	if (s->push_ready)
		ussd_push_close(&s->push); /* queued pushes: unavailable */
	map_stop(s);                       /* pushes under way: cancelled */
	http_face_stop(s->http);
	s->http = NULL;
	if (s->push_ready)
		ussd_push_destroy(&s->push);
	s->push_ready = false;
	if (s->e2e_ready)
		gw_e2e_destroy(&s->e2e);
	s->e2e_ready = false;
	if (s->e2e_counters)
		ota_counter_close(s->e2e_counters);
	if (s->e2e_keys)
		ota_keystore_close(s->e2e_keys);
	s->e2e_counters = NULL;
	s->e2e_keys = NULL;
	if (s->g_ready) {
		gw_audit(&s->g, NULL, "service-stop", NULL, "stopped", NULL, NULL, -1, -1, 0);
		gw_destroy(&s->g);
	}
	s->g_ready = false;
	msgcat_free(&s->msgs);
	if (s->alerts)
		fclose(s->alerts);
	s->alerts = NULL;
	audit_close(s->audit);
	s->audit = NULL;
	udb_close(s->db);
	s->db = NULL;
	curl_global_cleanup();
	pthread_cond_destroy(&s->stop_cond);
	pthread_mutex_destroy(&s->stop_lock);
}
