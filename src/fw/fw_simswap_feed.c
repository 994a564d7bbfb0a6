/* SIM swap feed to the USSD gateway (fw_simswap_feed.h). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "fw_int.h"
#include "fw_simswap_feed.h"
#include "simswap.h"

#define LINE_MAX_LEN 48 /* 15 + 1 + 15 + 1 + 20 digits of time + newline */
#define BACKOFF_MAX_MS 60000u

struct feed_line {
	char msisdn[16];
	char imsi[16];
	int64_t t;
};

struct fw_simswap_feed {
	char url[sizeof(((struct fw_simswap_feed_cfg *)0)->url)];
	char ca_file[FW_PATH_MAX];
	char auth[FW_FEED_TOKEN_MAX + 32]; /* "Authorization: Bearer ..." */
	unsigned batch, interval_ms, attempts, timeout_ms;
	bool all_bindings;

	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	/* under mu */
	struct feed_line *ring;
	size_t cap, head, count;
	size_t inflight;
	struct fw_simswap_feed_stats st;
	/* sender thread only */
	struct feed_line *out;
	char *body;
	bool failing;
};

int fw_simswap_feed_check_url(const char *url, char *why, size_t whysz)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *user = NULL;
	int rc = -EINVAL;
	if (!u) {
		snprintf(why, whysz, "out of memory");
		return -ENOMEM;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		snprintf(why, whysz, "not a URL");
	else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
		snprintf(why, whysz, "no user name in the URL: the token goes in token_file");
	else if (strcmp(scheme, "https") && !(!strcmp(scheme, "http") && !strcmp(host, "127.0.0.1")))
		snprintf(why, whysz, "https required (plain http only to 127.0.0.1)");
	else
		rc = 0;
	curl_free(scheme);
	curl_free(host);
	curl_free(user);
	curl_url_cleanup(u);
	return rc;
}

int fw_simswap_feed_read_token(const char *path, char *tok, size_t toksz, char *why, size_t whysz)
{
	FILE *fp = fopen(path, "r");
	if (!fp) {
		int e = errno;
		snprintf(why, whysz, "cannot read %s: %s", path, strerror(e));
		return -e;
	}
	size_t n = fread(tok, 1, toksz - 1, fp);
	bool more = fgetc(fp) != EOF;
	fclose(fp);
	tok[n] = 0;
	while (n && (tok[n - 1] == '\n' || tok[n - 1] == '\r'))
		tok[--n] = 0;
	bool ok = n > 0 && !more;
	for (size_t i = 0; i < n && ok; i++)
		ok = tok[i] > ' ' && tok[i] < 0x7f;
	if (!ok) {
		sodium_memzero(tok, toksz);
		snprintf(why, whysz, "%s: want one line of 1 to %zu visible characters", path, toksz - 1);
		return -EINVAL;
	}
	return 0;
}

/* ---- the queue (event loop side) ---- */

static int put_lines(struct fw_simswap_feed *f, const struct feed_line *l, size_t n)
{
	int rc = 0;
	pthread_mutex_lock(&f->mu);
	if (f->count + n > f->cap) {
		f->st.dropped += n;
		rc = -ENOSPC;
	} else {
		for (size_t i = 0; i < n; i++)
			f->ring[(f->head + f->count++) % f->cap] = l[i];
		f->st.queued += n;
		if (f->count == n || f->count >= f->batch) /* was empty, or a batch is full */
			pthread_cond_signal(&f->cv);
	}
	pthread_mutex_unlock(&f->mu);
	return rc;
}

static bool line_set(struct feed_line *l, const char *msisdn, const char *imsi, int64_t t)
{
	/* the gateway's own rules: a bad line would make it refuse the rest of the batch */
	if (!simswap_valid_msisdn(msisdn) || !simswap_valid_imsi(imsi))
		return false;
	snprintf(l->msisdn, sizeof(l->msisdn), "%s", msisdn);
	snprintf(l->imsi, sizeof(l->imsi), "%s", imsi);
	l->t = t;
	return true;
}

int fw_simswap_feed_put(struct fw_simswap_feed *f, const char *msisdn, const char *imsi, int64_t t_s)
{
	struct feed_line l;
	if (!line_set(&l, msisdn, imsi, t_s))
		return -EINVAL;
	return put_lines(f, &l, 1);
}

unsigned fw_simswap_feed_verdict(struct fw_simswap_feed *f, const struct verdict *v, uint64_t now_ms)
{
	struct feed_line l[2];
	int64_t t = (int64_t)(now_ms / 1000u);
	if (v->sim_swap) {
		/* the old pairing just before, so a gateway that never saw it still records a swap */
		if (!line_set(&l[0], v->msisdn, v->swap_old_imsi, t - 1) || !line_set(&l[1], v->msisdn, v->imsi, t))
			return 0;
		return put_lines(f, l, 2) == 0 ? 2 : 0;
	}
	if (f->all_bindings && v->bound_new && line_set(&l[0], v->msisdn, v->imsi, t))
		return put_lines(f, l, 1) == 0 ? 1 : 0;
	return 0;
}

void fw_simswap_feed_get_stats(struct fw_simswap_feed *f, struct fw_simswap_feed_stats *st)
{
	pthread_mutex_lock(&f->mu);
	*st = f->st;
	st->pending = f->count + f->inflight;
	pthread_mutex_unlock(&f->mu);
}

void fw_simswap_feed_metrics(struct fw_simswap_feed *f, char *out, size_t outsz, size_t *off)
{
	struct fw_simswap_feed_stats st;
	fw_simswap_feed_get_stats(f, &st);
	fw_textf(out, outsz, off,
		 "# HELP dfsguard_fw_simswap_feed_lines_total MSISDN-IMSI lines for the USSD gateway's SIM swap feed, by outcome.\n"
		 "# TYPE dfsguard_fw_simswap_feed_lines_total counter\n"
		 "dfsguard_fw_simswap_feed_lines_total{outcome=\"queued\"} %" PRIu64 "\n"
		 "dfsguard_fw_simswap_feed_lines_total{outcome=\"sent\"} %" PRIu64 "\n"
		 "dfsguard_fw_simswap_feed_lines_total{outcome=\"dropped\"} %" PRIu64 "\n"
		 "dfsguard_fw_simswap_feed_lines_total{outcome=\"failed\"} %" PRIu64 "\n"
		 "# HELP dfsguard_fw_simswap_feed_post_errors_total POSTs to the SIM swap feed that failed.\n"
		 "# TYPE dfsguard_fw_simswap_feed_post_errors_total counter\n"
		 "dfsguard_fw_simswap_feed_post_errors_total %" PRIu64 "\n"
		 "# HELP dfsguard_fw_simswap_feed_pending Lines waiting to be sent.\n"
		 "# TYPE dfsguard_fw_simswap_feed_pending gauge\n"
		 "dfsguard_fw_simswap_feed_pending %" PRIu64 "\n",
		 st.queued, st.sent, st.dropped, st.failed, st.post_errors, st.pending);
}

/* ---- the sender thread ---- */

static size_t discard_cb(char *p, size_t size, size_t n, void *ud)
{
	return size * n;
}

enum post_result { POST_OK, POST_RETRY, POST_REFUSED };

static enum post_result post_batch(struct fw_simswap_feed *f, CURL *c, size_t n)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		int k = snprintf(f->body + len, LINE_MAX_LEN + 1, "%s,%s,%" PRId64 "\n", f->out[i].msisdn,
				 f->out[i].imsi, f->out[i].t);
		len += k > 0 ? (size_t)k : 0;
	}
	char ebuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: text/csv");
	struct curl_slist *h2 = hdr ? curl_slist_append(hdr, f->auth) : NULL;
	if (!h2) {
		curl_slist_free_all(hdr);
		return POST_RETRY;
	}
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, f->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (f->ca_file[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, f->ca_file);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)f->timeout_ms);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, f->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
	CURLcode cc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdr);
	enum post_result r = cc != CURLE_OK ? POST_RETRY
			     : status >= 200 && status < 300 ? POST_OK
			     : status >= 400 && status < 500 && status != 408 && status != 429 ? POST_REFUSED
			     : POST_RETRY;
	if (r == POST_OK && f->failing)
		fprintf(stderr, "dfsguard fw: simswap feed: the gateway accepts lines again\n");
	else if (r != POST_OK && (!f->failing || r == POST_REFUSED)) {
		if (cc != CURLE_OK)
			fprintf(stderr, "dfsguard fw: simswap feed: POST failed: %s\n",
				ebuf[0] ? ebuf : curl_easy_strerror(cc));
		else
			fprintf(stderr, "dfsguard fw: simswap feed: the gateway answered HTTP %ld%s\n", status,
				r == POST_REFUSED ? " (batch refused, not retried)" : "");
	}
	f->failing = r != POST_OK;
	return r;
}

/* Take up to batch lines from the queue into f->out (under mu). */
static size_t take(struct fw_simswap_feed *f)
{
	size_t n = f->count < f->batch ? f->count : f->batch;
	for (size_t i = 0; i < n; i++)
		f->out[i] = f->ring[(f->head + i) % f->cap];
	f->head = (f->head + n) % f->cap;
	f->count -= n;
	f->inflight = n;
	return n;
}

static void deadline_in(struct timespec *ts, unsigned ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000u;
	ts->tv_nsec += (long)(ms % 1000u) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Count a POST of the batch in flight (under mu); the batch is done with when it went, was
 * refused, or used its last attempt. */
static void settle(struct fw_simswap_feed *f, enum post_result r, unsigned attempt)
{
	if (r == POST_OK)
		f->st.sent += f->inflight;
	else
		f->st.post_errors++;
	if (r == POST_OK || r == POST_REFUSED || attempt >= f->attempts) {
		if (r != POST_OK)
			f->st.failed += f->inflight;
		f->inflight = 0;
	}
}

static void *sender_main(void *arg)
{
	struct fw_simswap_feed *f = arg;
	CURL *c = curl_easy_init();
	unsigned attempt = 0;
	struct timespec dl;
	pthread_mutex_lock(&f->mu);
	while (!f->stop) {
		if (!f->inflight) {
			while (!f->stop && !f->count)
				pthread_cond_wait(&f->cv, &f->mu);
			/* a partial batch waits interval_ms for more */
			deadline_in(&dl, f->interval_ms);
			while (!f->stop && f->count < f->batch && pthread_cond_timedwait(&f->cv, &f->mu, &dl) == 0)
				;
			if (f->stop)
				break;
			take(f);
			attempt = 0;
		} else {
			/* back-off: interval_ms, doubling, at most a minute */
			unsigned ms = f->interval_ms;
			for (unsigned i = 1; i < attempt && ms < BACKOFF_MAX_MS; i++)
				ms *= 2;
			deadline_in(&dl, ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS);
			while (!f->stop && pthread_cond_timedwait(&f->cv, &f->mu, &dl) == 0)
				;
			if (f->stop)
				break;
		}
		pthread_mutex_unlock(&f->mu);
		enum post_result r = c ? post_batch(f, c, f->inflight) : POST_RETRY;
		pthread_mutex_lock(&f->mu);
		settle(f, r, ++attempt);
	}
	/* stopping: one attempt for what is left, batch by batch, until the first failure */
	bool ok = c != NULL;
	while (ok && (f->inflight || f->count)) {
		if (!f->inflight)
			take(f);
		pthread_mutex_unlock(&f->mu);
		enum post_result r = post_batch(f, c, f->inflight);
		pthread_mutex_lock(&f->mu);
		ok = r == POST_OK;
		settle(f, r, f->attempts);
	}
	f->st.failed += f->inflight + f->count;
	f->inflight = f->count = 0;
	pthread_mutex_unlock(&f->mu);
	if (c)
		curl_easy_cleanup(c);
	return NULL;
}

/* Free the memory (the thread is not running) and drop the libcurl reference. */
static void release(struct fw_simswap_feed *f)
{
	if (f) {
		sodium_memzero(f->auth, sizeof(f->auth));
		free(f->ring);
		free(f->out);
		free(f->body);
		free(f);
	}
	curl_global_cleanup();
}

struct fw_simswap_feed *fw_simswap_feed_new(const struct fw_simswap_feed_cfg *cfg, char *err,
					    size_t errsz)
{
	char why[200], tok[FW_FEED_TOKEN_MAX];
	if (fw_simswap_feed_check_url(cfg->url, why, sizeof(why)) < 0) {
		snprintf(err, errsz, "simswap_feed.url: %s", why);
		return NULL;
	}
	if (fw_simswap_feed_read_token(cfg->token_file, tok, sizeof(tok), why, sizeof(why)) < 0) {
		snprintf(err, errsz, "simswap_feed.token_file: %s", why);
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		sodium_memzero(tok, sizeof(tok));
		snprintf(err, errsz, "simswap_feed: libcurl initialisation failed");
		return NULL;
	}
	struct fw_simswap_feed *f = calloc(1, sizeof(*f));
	if (!f)
		goto nomem;
	snprintf(f->url, sizeof(f->url), "%s", cfg->url);
	snprintf(f->ca_file, sizeof(f->ca_file), "%s", cfg->ca_file);
	snprintf(f->auth, sizeof(f->auth), "Authorization: Bearer %s", tok);
	sodium_memzero(tok, sizeof(tok));
	f->batch = cfg->batch ? cfg->batch : 100;
	f->interval_ms = cfg->interval_ms ? cfg->interval_ms : 1000;
	f->cap = cfg->queue ? cfg->queue : 10000;
	f->attempts = cfg->attempts ? cfg->attempts : 5;
	f->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : 5000;
	f->all_bindings = cfg->all_bindings;
	if (f->batch > f->cap)
		f->batch = (unsigned)f->cap;
	f->ring = calloc(f->cap, sizeof(*f->ring));
	f->out = calloc(f->batch, sizeof(*f->out));
	f->body = malloc((size_t)f->batch * (LINE_MAX_LEN + 1) + 1);
	if (!f->ring || !f->out || !f->body)
		goto nomem;
	pthread_mutex_init(&f->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&f->cv, &ca);
	pthread_condattr_destroy(&ca);
	/* the sender takes no signals: the daemon reads them from a signalfd on its loop */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&f->thread, NULL, sender_main, f);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		snprintf(err, errsz, "simswap_feed: cannot start the sender: %s", strerror(rc));
		pthread_cond_destroy(&f->cv);
		pthread_mutex_destroy(&f->mu);
		goto fail;
	}
	return f;
nomem:
	sodium_memzero(tok, sizeof(tok));
	snprintf(err, errsz, "simswap_feed: out of memory");
fail:
	release(f);
	return NULL;
}

void fw_simswap_feed_free(struct fw_simswap_feed *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	release(f);
}
