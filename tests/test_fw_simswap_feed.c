/* fw_simswap_feed: URL and token checks; lines posted in batches with the bearer token to a
 * recording HTTP server on 127.0.0.1; a verdict's SIM swap as the old pairing a second before
 * and the new one; first-seen bindings only with all_bindings; a full queue drops and counts;
 * a refused batch (4xx) is not retried; a down server costs the configured attempts; what is
 * queued at shutdown is flushed. Waits are bounded polls on counters, never timed assertions. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "fw_simswap_feed.h"

#define TOKEN "feed-tok-8Hq2Lw5Zr"

struct rec {
	struct MHD_Daemon *d;
	uint16_t port;
	pthread_mutex_t mu;
	unsigned status;  /* what to answer */
	unsigned posts;
	unsigned bad_auth;
	char bodies[4096];
	size_t len;
	char dir[64];
	char token_file[96];
};

struct upload {
	char buf[2048];
	size_t len;
};

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *data, size_t *data_size, void **con_cls)
{
	struct rec *r = cls;
	struct upload *u = *con_cls;
	if (!u) {
		*con_cls = calloc(1, sizeof(struct upload));
		return *con_cls ? MHD_YES : MHD_NO;
	}
	if (*data_size) {
		size_t n = *data_size < sizeof(u->buf) - 1 - u->len ? *data_size : sizeof(u->buf) - 1 - u->len;
		memcpy(u->buf + u->len, data, n);
		u->len += n;
		*data_size = 0;
		return MHD_YES;
	}
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	pthread_mutex_lock(&r->mu);
	r->posts++;
	if (!auth || strcmp(auth, "Bearer " TOKEN) || strcmp(method, "POST") || strcmp(url, "/simswap/feed"))
		r->bad_auth++;
	if (r->len + u->len < sizeof(r->bodies)) {
		memcpy(r->bodies + r->len, u->buf, u->len);
		r->len += u->len;
		r->bodies[r->len] = 0;
	}
	unsigned status = r->status;
	pthread_mutex_unlock(&r->mu);
	static const char ok[] = "{\"lines\":1,\"swaps\":0}";
	struct MHD_Response *resp = MHD_create_response_from_buffer(sizeof(ok) - 1, (void *)ok, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
	free(*con_cls);
	*con_cls = NULL;
}

static int setup(void **state)
{
	struct rec *r = calloc(1, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	r->status = 200;
	snprintf(r->dir, sizeof(r->dir), "/tmp/dfsg-feed-XXXXXX");
	assert_non_null(mkdtemp(r->dir));
	snprintf(r->token_file, sizeof(r->token_file), "%s/token", r->dir);
	FILE *f = fopen(r->token_file, "w");
	assert_non_null(f);
	fputs(TOKEN "\n", f);
	fclose(f);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	r->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, r,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
				MHD_OPTION_NOTIFY_COMPLETED, completed, r, MHD_OPTION_END);
	assert_non_null(r->d);
	r->port = MHD_get_daemon_info(r->d, MHD_DAEMON_INFO_BIND_PORT)->port;
	*state = r;
	return 0;
}

static int teardown(void **state)
{
	struct rec *r = *state;
	MHD_stop_daemon(r->d);
	unlink(r->token_file);
	rmdir(r->dir);
	pthread_mutex_destroy(&r->mu);
	free(r);
	return 0;
}

static struct fw_simswap_feed *feed_new(struct rec *r, unsigned batch, unsigned interval_ms, unsigned queue,
					unsigned attempts, bool all)
{
	struct fw_simswap_feed_cfg cfg = {.batch = batch, .interval_ms = interval_ms, .queue = queue,
					  .attempts = attempts, .timeout_ms = 2000, .all_bindings = all};
	snprintf(cfg.url, sizeof(cfg.url), "http://127.0.0.1:%u/simswap/feed", r->port);
	snprintf(cfg.token_file, sizeof(cfg.token_file), "%s", r->token_file);
	char err[256];
	struct fw_simswap_feed *f = fw_simswap_feed_new(&cfg, err, sizeof(err));
	if (!f)
		fail_msg("feed: %s", err);
	return f;
}

/* Poll until the counter selected by field reaches want (5 s at most). */
static uint64_t wait_for(struct fw_simswap_feed *f, size_t field, uint64_t want)
{
	struct fw_simswap_feed_stats st;
	uint64_t v = 0;
	for (int i = 0; i < 500; i++) {
		fw_simswap_feed_get_stats(f, &st);
		memcpy(&v, (char *)&st + field, sizeof(v));
		if (v >= want)
			break;
		usleep(10000);
	}
	return v;
}

static void test_url_and_token(void **state)
{
	struct rec *r = *state;
	char why[200], tok[FW_FEED_TOKEN_MAX];
	assert_int_equal(fw_simswap_feed_check_url("https://gw.internal:8443/simswap/feed", why, sizeof(why)), 0);
	assert_int_equal(fw_simswap_feed_check_url("http://127.0.0.1:8080/simswap/feed", why, sizeof(why)), 0);
	assert_int_equal(fw_simswap_feed_check_url("http://gw.internal/simswap/feed", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "https required"));
	assert_int_equal(fw_simswap_feed_check_url("http://127.0.0.2/simswap/feed", why, sizeof(why)), -EINVAL);
	assert_int_equal(fw_simswap_feed_check_url("ftp://127.0.0.1/x", why, sizeof(why)), -EINVAL);
	assert_int_equal(fw_simswap_feed_check_url("https://a:b@gw/simswap/feed", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "no user name"));
	assert_int_equal(fw_simswap_feed_check_url("", why, sizeof(why)), -EINVAL);

	assert_int_equal(fw_simswap_feed_read_token(r->token_file, tok, sizeof(tok), why, sizeof(why)), 0);
	assert_string_equal(tok, TOKEN);
	char path[128];
	snprintf(path, sizeof(path), "%s/bad", r->dir);
	static const char *const bad[] = {"", "\n", "two words\n", "a\nb\n"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		FILE *f = fopen(path, "w");
		assert_non_null(f);
		fputs(bad[i], f);
		fclose(f);
		assert_int_equal(fw_simswap_feed_read_token(path, tok, sizeof(tok), why, sizeof(why)), -EINVAL);
		assert_string_equal(tok, "");
	}
	unlink(path);
	assert_int_equal(fw_simswap_feed_read_token(path, tok, sizeof(tok), why, sizeof(why)), -ENOENT);
}

static void test_batches_with_token(void **state)
{
	struct rec *r = *state;
	/* a partial batch waits ten minutes: two lines leave as a batch, the third at shutdown */
	struct fw_simswap_feed *f = feed_new(r, 2, 600000, 100, 3, false);
	assert_int_equal(fw_simswap_feed_put(f, "255790001234", "640990000000101", 1700000000), 0);
	assert_int_equal(fw_simswap_feed_put(f, "255790001235", "640990000000102", 1700000001), 0);
	assert_int_equal(fw_simswap_feed_put(f, "255790001236", "640990000000103", 1700000002), 0);
	/* the gateway's own rules: refused here, so one bad line cannot spoil a batch */
	assert_int_equal(fw_simswap_feed_put(f, "2557", "640990000000103", 1700000002), -EINVAL);
	assert_int_equal(fw_simswap_feed_put(f, "255790001236", "64099x", 1700000002), -EINVAL);
	assert_int_equal(fw_simswap_feed_put(f, "055790001236", "640990000000103", 1700000002), -EINVAL);
	assert_int_equal(wait_for(f, offsetof(struct fw_simswap_feed_stats, sent), 2), 2);
	struct fw_simswap_feed_stats st;
	fw_simswap_feed_get_stats(f, &st);
	assert_int_equal(st.queued, 3);
	assert_int_equal(st.pending, 1);
	assert_int_equal(st.failed + st.dropped + st.post_errors, 0);
	fw_simswap_feed_free(f);
	pthread_mutex_lock(&r->mu);
	assert_int_equal(r->posts, 2); /* batch 2: two lines, then one */
	assert_int_equal(r->bad_auth, 0);
	assert_string_equal(r->bodies, "255790001234,640990000000101,1700000000\n"
				       "255790001235,640990000000102,1700000001\n"
				       "255790001236,640990000000103,1700000002\n");
	pthread_mutex_unlock(&r->mu);
}

static void test_verdicts(void **state)
{
	struct rec *r = *state;
	struct fw_simswap_feed *f = feed_new(r, 10, 20, 100, 3, false);
	struct verdict v;
	memset(&v, 0, sizeof(v));
	snprintf(v.msisdn, sizeof(v.msisdn), "255790001234");
	snprintf(v.imsi, sizeof(v.imsi), "640990000000202");
	v.bound_new = true; /* first-seen binding: not sent without all_bindings */
	assert_int_equal(fw_simswap_feed_verdict(f, &v, 1700000000500u), 0);
	v.bound_new = false;
	v.sim_swap = true;
	snprintf(v.swap_old_imsi, sizeof(v.swap_old_imsi), "640990000000101");
	assert_int_equal(fw_simswap_feed_verdict(f, &v, 1700000000500u), 2);
	assert_int_equal(wait_for(f, offsetof(struct fw_simswap_feed_stats, sent), 2), 2);
	fw_simswap_feed_free(f);
	pthread_mutex_lock(&r->mu);
	assert_string_equal(r->bodies, "255790001234,640990000000101,1699999999\n"
				       "255790001234,640990000000202,1700000000\n");
	r->len = 0;
	pthread_mutex_unlock(&r->mu);

	f = feed_new(r, 10, 20, 100, 3, true);
	v.sim_swap = false;
	v.bound_new = true;
	assert_int_equal(fw_simswap_feed_verdict(f, &v, 1700000100000u), 1);
	v.bound_new = false; /* a binding seen before: nothing */
	assert_int_equal(fw_simswap_feed_verdict(f, &v, 1700000100000u), 0);
	assert_int_equal(wait_for(f, offsetof(struct fw_simswap_feed_stats, sent), 1), 1);
	fw_simswap_feed_free(f);
	pthread_mutex_lock(&r->mu);
	assert_string_equal(r->bodies, "255790001234,640990000000202,1700000100\n");
	pthread_mutex_unlock(&r->mu);
}

static void test_full_queue_drops(void **state)
{
	struct rec *r = *state;
	/* queue 3 = batch 3, a partial batch waits ten minutes: nothing leaves until the third line */
	struct fw_simswap_feed *f = feed_new(r, 3, 600000, 3, 3, false);
	struct verdict v;
	memset(&v, 0, sizeof(v));
	v.sim_swap = true;
	snprintf(v.msisdn, sizeof(v.msisdn), "255790001234");
	snprintf(v.imsi, sizeof(v.imsi), "640990000000202");
	snprintf(v.swap_old_imsi, sizeof(v.swap_old_imsi), "640990000000101");
	assert_int_equal(fw_simswap_feed_verdict(f, &v, 1700000000000u), 2);
	assert_int_equal(fw_simswap_feed_verdict(f, &v, 1700000001000u), 0); /* both lines or none */
	struct fw_simswap_feed_stats st;
	fw_simswap_feed_get_stats(f, &st);
	assert_int_equal(st.dropped, 2);
	assert_int_equal(st.pending, 2);
	assert_int_equal(fw_simswap_feed_put(f, "255790009999", "640990000000999", 1700000002), 0);
	assert_int_equal(wait_for(f, offsetof(struct fw_simswap_feed_stats, sent), 3), 3);
	fw_simswap_feed_get_stats(f, &st);
	assert_int_equal(st.dropped, 2);
	assert_int_equal(st.queued, 3);
	fw_simswap_feed_free(f);
}

static void test_refused_not_retried(void **state)
{
	struct rec *r = *state;
	r->status = 400;
	struct fw_simswap_feed *f = feed_new(r, 10, 20, 100, 5, false);
	assert_int_equal(fw_simswap_feed_put(f, "255790001234", "640990000000101", 1700000000), 0);
	assert_int_equal(wait_for(f, offsetof(struct fw_simswap_feed_stats, failed), 1), 1);
	struct fw_simswap_feed_stats st;
	fw_simswap_feed_get_stats(f, &st);
	assert_int_equal(st.post_errors, 1);
	assert_int_equal(st.sent, 0);
	fw_simswap_feed_free(f);
	assert_int_equal(r->posts, 1);
	/* 503: retried, and a later success counts the lines as sent */
	r->status = 503;
	r->posts = 0;
	f = feed_new(r, 10, 20, 100, 5, false);
	assert_int_equal(fw_simswap_feed_put(f, "255790001234", "640990000000101", 1700000000), 0);
	assert_int_equal(wait_for(f, offsetof(struct fw_simswap_feed_stats, post_errors), 2), 2);
	pthread_mutex_lock(&r->mu);
	r->status = 200;
	pthread_mutex_unlock(&r->mu);
	assert_int_equal(wait_for(f, offsetof(struct fw_simswap_feed_stats, sent), 1), 1);
	fw_simswap_feed_get_stats(f, &st);
	assert_int_equal(st.failed, 0);
	fw_simswap_feed_free(f);
}

static void test_down_gateway(void **state)
{
	struct rec *r = *state;
	struct fw_simswap_feed_cfg cfg = {.batch = 10, .interval_ms = 10, .attempts = 3, .timeout_ms = 1000};
	/* a port nobody listens on: the recorder's, after stopping it */
	MHD_stop_daemon(r->d);
	snprintf(cfg.url, sizeof(cfg.url), "http://127.0.0.1:%u/simswap/feed", r->port);
	snprintf(cfg.token_file, sizeof(cfg.token_file), "%s", r->token_file);
	char err[256];
	struct fw_simswap_feed *f = fw_simswap_feed_new(&cfg, err, sizeof(err));
	assert_non_null(f);
	assert_int_equal(fw_simswap_feed_put(f, "255790001234", "640990000000101", 1700000000), 0);
	assert_int_equal(fw_simswap_feed_put(f, "255790001235", "640990000000102", 1700000000), 0);
	assert_int_equal(wait_for(f, offsetof(struct fw_simswap_feed_stats, failed), 2), 2);
	struct fw_simswap_feed_stats st;
	fw_simswap_feed_get_stats(f, &st);
	assert_int_equal(st.post_errors, 3);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.pending, 0);
	fw_simswap_feed_free(f);
	/* teardown stops the daemon again: give it a fresh one */
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	r->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler, r, MHD_OPTION_SOCK_ADDR,
				(struct sockaddr *)&sin, MHD_OPTION_NOTIFY_COMPLETED, completed, r, MHD_OPTION_END);
	assert_non_null(r->d);
}

static void test_flush_at_shutdown(void **state)
{
	struct rec *r = *state;
	struct fw_simswap_feed *f = feed_new(r, 100, 600000, 1000, 3, false);
	for (unsigned i = 0; i < 5; i++) {
		char m[16];
		snprintf(m, sizeof(m), "25579000%04u", i);
		assert_int_equal(fw_simswap_feed_put(f, m, "640990000000101", 1700000000), 0);
	}
	fw_simswap_feed_free(f); /* the partial batch would wait ten minutes: sent now */
	pthread_mutex_lock(&r->mu);
	assert_int_equal(r->posts, 1);
	assert_non_null(strstr(r->bodies, "255790000004,640990000000101,1700000000\n"));
	pthread_mutex_unlock(&r->mu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_url_and_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batches_with_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_verdicts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_queue_drops, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_not_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(test_down_gateway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flush_at_shutdown, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
