/* Network-initiated USSD for applications: thread hand-over, anti-phishing, rate limit and
 * audit, see ussd_push.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "evloop.h"
#include "map.h"
#include "simswap.h"
#include "ussd_push.h"

const char *const ussd_push_default_words[] = {
	"pin",	"mpin", "m-pin", "password", "passcode", "passwd", "secret code", "security code",
	"otp",	"cvv",	NULL,
};

const struct value_string ussd_push_status_names[] = {
	{USSD_PUSH_DELIVERED, "delivered"},
	{USSD_PUSH_ANSWERED, "answered"},
	{USSD_PUSH_MAP_ERROR, "error"},
	{USSD_PUSH_ABORTED, "aborted"},
	{USSD_PUSH_REJECTED, "rejected"},
	{USSD_PUSH_TIMEOUT, "timeout"},
	{USSD_PUSH_UNAVAILABLE, "unavailable"},
	{USSD_PUSH_RATE_LIMITED, "rate-limited"},
	{USSD_PUSH_PHISHING, "refused"},
	{USSD_PUSH_INVALID, "invalid"},
	{0, NULL},
};

struct ussd_push_job {
	struct ussd_push_job *next;
	struct ussd_push *p;
	enum map_push_type type;
	char service[24], msisdn[16], imsi[16];
	char text[SCREEN_MAX_BYTES];
	unsigned refs; /* the waiter and the loop side; under p->lock */
	bool done;
	struct ussd_push_result res;
};

/* --- FW-USSD-PHISH --- */

static bool is_word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* "P I N", "p.i.n", "O-T-P": runs of single letters or digits split by one space, '.', '-',
 * '_' or '*' joined into a word, so a spelled-out secret is matched like the word. */
static void join_spelled(const char *text, char *out, size_t outsz)
{
	size_t o = 0, n = strlen(text);
	for (size_t i = 0; i < n && o + 1 < outsz; i++) {
		unsigned char c = (unsigned char)text[i];
		bool single_before = i >= 1 && is_word_char((unsigned char)text[i - 1]) &&
				     (i < 2 || !is_word_char((unsigned char)text[i - 2]));
		bool single_after = i + 1 < n && is_word_char((unsigned char)text[i + 1]) &&
				    (i + 2 >= n || !is_word_char((unsigned char)text[i + 2]));
		if (strchr(" .-_*", c) && c && single_before && single_after)
			continue;
		out[o++] = (char)c;
	}
	out[o] = 0;
}

static bool has_word(const char *text, const char (*words)[USSD_PUSH_WORD_MAX], unsigned n_words,
		     const char **which)
{
	size_t n = strlen(text);
	for (unsigned i = 0; i < n_words; i++) {
		size_t wl = strlen(words[i]);
		if (!wl || wl > n)
			continue;
		for (size_t at = 0; at + wl <= n; at++) {
			if (strncasecmp(text + at, words[i], wl))
				continue;
			bool starts = at == 0 || !is_word_char((unsigned char)text[at - 1]);
			bool ends = at + wl == n || !is_word_char((unsigned char)text[at + wl]);
			if (starts && ends) {
				if (which)
					*which = words[i];
				return true;
			}
		}
	}
	return false;
}

bool ussd_push_solicits_secret(const char *text, const char (*words)[USSD_PUSH_WORD_MAX],
			       unsigned n_words, const char **which)
{
	char joined[SCREEN_MAX_BYTES * 2];
	join_spelled(text, joined, sizeof(joined));
	return has_word(text, words, n_words, which) || has_word(joined, words, n_words, which);
}

/* --- audit and counters --- */

static void audit_push(struct ussd_push *p, const char *service, const char *msisdn,
		       enum map_push_type type, const struct ussd_push_result *r)
{
	char reason[96] = "";
	if (r->status == USSD_PUSH_MAP_ERROR)
		snprintf(reason, sizeof(reason), "%s (%d)", map_error_name(r->map_error),
			 r->map_error);
	else if (r->status == USSD_PUSH_ANSWERED) /* the answer may be sensitive: its length only */
		snprintf(reason, sizeof(reason), "answer of %zu bytes", strlen(r->text));
	else if (r->reason)
		snprintf(reason, sizeof(reason), "%s", r->reason);
	struct audit_rec a = {
		.t_ms = p->g->clock(p->g->clock_ud),
		.event = "push",
		.face = "map",
		.msisdn = msisdn,
		.service = service,
		.node = get_value_string(map_push_type_names, type),
		.decision = get_value_string(ussd_push_status_names, r->status),
		.reason = reason[0] ? reason : NULL,
		.amount = -1,
		.fee = -1,
	};
	if (p->g->audit && audit_append(p->g->audit, &a))
		fprintf(stderr, "dfsguard ussd: audit log write failed\n");
}

/* Under p->lock. */
static void count(struct ussd_push *p, enum ussd_push_status st)
{
	switch (st) {
	case USSD_PUSH_DELIVERED:
		p->stat_delivered++;
		break;
	case USSD_PUSH_ANSWERED:
		p->stat_answered++;
		break;
	case USSD_PUSH_UNAVAILABLE:
		p->stat_unavailable++;
		break;
	case USSD_PUSH_RATE_LIMITED:
	case USSD_PUSH_PHISHING:
	case USSD_PUSH_INVALID:
		p->stat_refused++;
		break;
	default:
		p->stat_failed++;
	}
}

/* Drop one reference; the last one frees. Under p->lock. */
static void job_put(struct ussd_push_job *j)
{
	if (--j->refs == 0) {
		sodium_memzero(j, sizeof(*j)); /* an answer may be sensitive */
		free(j);
	}
}

/* The loop side's end of a job: record, wake the waiter, drop the loop's reference. */
static void complete(struct ussd_push_job *j, const struct ussd_push_result *r)
{
	struct ussd_push *p = j->p;
	audit_push(p, j->service, j->msisdn, j->type, r);
	pthread_mutex_lock(&p->lock);
	count(p, r->status);
	j->res = *r;
	j->done = true;
	pthread_cond_broadcast(&p->cond);
	job_put(j);
	pthread_mutex_unlock(&p->lock);
}

static void complete_status(struct ussd_push_job *j, enum ussd_push_status st, const char *why)
{
	struct ussd_push_result r = {.status = st, .reason = why};
	complete(j, &r);
}

/* map_push_done_fn, on the loop thread. */
static void on_outcome(void *ud, const struct map_push_outcome *o)
{
	struct ussd_push_result res = {.status = USSD_PUSH_UNAVAILABLE}, *r = &res;
	switch (o->result) {
	case MAP_PUSH_DELIVERED:
		r->status = USSD_PUSH_DELIVERED;
		break;
	case MAP_PUSH_ANSWERED:
		r->status = USSD_PUSH_ANSWERED;
		memcpy(r->text, o->text, sizeof(r->text));
		break;
	case MAP_PUSH_ERROR:
		r->status = USSD_PUSH_MAP_ERROR;
		r->map_error = o->map_error;
		break;
	case MAP_PUSH_ABORTED:
		r->status = USSD_PUSH_ABORTED;
		r->reason = o->provider_abort ? "TCAP P-Abort" : "TCAP Abort";
		break;
	case MAP_PUSH_REJECTED:
		r->status = USSD_PUSH_REJECTED;
		r->reason = "rejected by the network";
		break;
	case MAP_PUSH_TIMEOUT:
		r->status = USSD_PUSH_TIMEOUT;
		r->reason = "no answer from the network";
		break;
	default:
		r->status = USSD_PUSH_UNAVAILABLE;
		r->reason = "gateway shutting down";
	}
	complete(ud, r);
	sodium_memzero(r, sizeof(*r));
}

/* evloop wakeup callback: start every queued push. */
static void drain(struct evloop *l, void *ud)
{
	(void)l;
	struct ussd_push *p = ud;
	pthread_mutex_lock(&p->lock);
	struct ussd_push_job *j = p->queue;
	p->queue = p->queue_tail = NULL;
	pthread_mutex_unlock(&p->lock);
	while (j) {
		struct ussd_push_job *next = j->next;
		j->next = NULL;
		struct map_push q = {.type = j->type, .msisdn = j->msisdn, .imsi = j->imsi,
				     .text = j->text, .done = on_outcome, .ud = j};
		int rc = p->start(p->start_ud, &q);
		if (rc == -ENOTCONN)
			complete_status(j, USSD_PUSH_UNAVAILABLE, "no M3UA peer active");
		else if (rc == -EBUSY)
			complete_status(j, USSD_PUSH_UNAVAILABLE, "too many pushes under way");
		else if (rc)
			complete_status(j, USSD_PUSH_INVALID, "the text or number cannot be sent");
		else {
			pthread_mutex_lock(&p->lock);
			p->stat_sent++;
			pthread_mutex_unlock(&p->lock);
		}
		j = next;
	}
}

int ussd_push_init(struct ussd_push *p, struct gw *g, const struct ussd_push_config *c,
		   struct evloop *loop, ussd_push_start_fn start, void *start_ud)
{
	memset(p, 0, sizeof(*p));
	p->g = g;
	p->cfg = *c;
	p->loop = loop;
	p->start = start;
	p->start_ud = start_ud;
	if (c->wait_ms <= 0 || !start)
		return -EINVAL;
	if (c->n_words) {
		for (unsigned i = 0; i < c->n_words && i < USSD_PUSH_WORDS_MAX; i++)
			snprintf(p->words[p->n_words++], USSD_PUSH_WORD_MAX, "%s", c->words[i]);
	} else {
		for (const char *const *w = ussd_push_default_words; *w; w++)
			snprintf(p->words[p->n_words++], USSD_PUSH_WORD_MAX, "%s", *w);
	}
	p->cfg.words = NULL;
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&p->lock, NULL);
	evloop_set_wakeup_cb(loop, drain, p);
	return 0;
}

void ussd_push_close(struct ussd_push *p)
{
	pthread_mutex_lock(&p->lock);
	p->closed = true;
	struct ussd_push_job *j = p->queue;
	p->queue = p->queue_tail = NULL;
	pthread_mutex_unlock(&p->lock);
	while (j) {
		struct ussd_push_job *next = j->next;
		complete_status(j, USSD_PUSH_UNAVAILABLE, "gateway shutting down");
		j = next;
	}
}

void ussd_push_destroy(struct ussd_push *p)
{
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->lock);
}

static uint64_t rate_key(const struct gw_service *svc, const char *msisdn)
{
	uint64_t key;
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, sizeof(key));
	crypto_generichash_update(&st, (const unsigned char *)svc->code, strlen(svc->code) + 1);
	crypto_generichash_update(&st, (const unsigned char *)msisdn, strlen(msisdn));
	crypto_generichash_final(&st, (unsigned char *)&key, sizeof(key));
	return key;
}

/* A push that was never sent (no M3UA peer, too many under way) gives its count back, so an
 * outage does not use up the subscriber's hour. Under p->lock. */
static void rate_refund(struct ussd_push *p, const struct gw_service *svc, const char *msisdn,
			int64_t now_s)
{
	uint64_t key = rate_key(svc, msisdn);
	for (unsigned i = 0; i < 16; i++) {
		unsigned k = (unsigned)((key + i) % USSD_PUSH_RATE_SLOTS);
		if (p->rate[k].key == key && p->rate[k].window == now_s / 3600) {
			if (p->rate[k].count)
				p->rate[k].count--;
			return;
		}
	}
}

/* GW-style rate limit: pushes per (service, subscriber) in the current hour. Counts this one
 * when allowed. Under p->lock. */
static bool rate_ok(struct ussd_push *p, const struct gw_service *svc, const char *msisdn,
		    int64_t now_s)
{
	uint64_t key = rate_key(svc, msisdn);
	int64_t hour = now_s / 3600;
	unsigned victim = (unsigned)(key % USSD_PUSH_RATE_SLOTS);
	for (unsigned i = 0; i < 16; i++) {
		unsigned k = (unsigned)((key + i) % USSD_PUSH_RATE_SLOTS);
		if (p->rate[k].key == key && p->rate[k].window == hour) {
			if (p->rate[k].count >= svc->push_per_hour)
				return false;
			p->rate[k].count++;
			return true;
		}
		if (p->rate[k].window < p->rate[victim].window)
			victim = k;
	}
	/* a new window for this key, in the slot whose window is oldest */
	p->rate[victim].key = key;
	p->rate[victim].window = hour;
	p->rate[victim].count = 1;
	return svc->push_per_hour > 0;
}

/* A refusal decided before anything is sent. */
static int refuse(struct ussd_push *p, const struct ussd_push_request *q,
		  struct ussd_push_result *res, enum ussd_push_status st, const char *why)
{
	res->status = st;
	res->reason = why;
	pthread_mutex_lock(&p->lock);
	count(p, st);
	pthread_mutex_unlock(&p->lock);
	audit_push(p, q->svc->code, q->msisdn, q->type, res);
	return 0;
}

int ussd_push_run(struct ussd_push *p, const struct ussd_push_request *q,
		  struct ussd_push_result *res)
{
	memset(res, 0, sizeof(*res));
	pthread_mutex_lock(&p->lock);
	p->stat_requests++;
	pthread_mutex_unlock(&p->lock);
	if (!simswap_valid_msisdn(q->msisdn) || !screen_fits(q->text) || !q->text[0])
		return refuse(p, q, res, USSD_PUSH_INVALID, "bad number or text");
	const char *word;
	if (ussd_push_solicits_secret(q->text, p->words, p->n_words, &word)) {
		/* X.1456: a pushed prompt that asks for a PIN is exactly how USSD phishing works
		 * (FW-USSD-PHISH); the word list is configuration, not the text itself */
		char why[96];
		snprintf(why, sizeof(why), "push from %s solicits a secret ('%s')", q->svc->code,
			 word);
		gw_alert(p->g, "FW-USSD-PHISH", "high", NULL, q->msisdn, why);
		return refuse(p, q, res, USSD_PUSH_PHISHING,
			      "the text asks for a PIN, password or code (X.1456)");
	}
	int64_t now_s = gw_now_s(p->g);
	pthread_mutex_lock(&p->lock);
	bool ok = !p->closed && rate_ok(p, q->svc, q->msisdn, now_s);
	bool closed = p->closed;
	pthread_mutex_unlock(&p->lock);
	if (closed)
		return refuse(p, q, res, USSD_PUSH_UNAVAILABLE, "gateway shutting down");
	if (!ok)
		return refuse(p, q, res, USSD_PUSH_RATE_LIMITED,
			      "pushes per subscriber per hour used up");

	struct ussd_push_job *j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->p = p;
	j->type = q->type;
	snprintf(j->service, sizeof(j->service), "%s", q->svc->code);
	snprintf(j->msisdn, sizeof(j->msisdn), "%s", q->msisdn);
	snprintf(j->text, sizeof(j->text), "%s", q->text);
	/* the ledger binds accounts to the SIM they were seen on: destinationReference */
	struct simswap_info si;
	if (simswap_get(p->g->db, q->msisdn, &si) == 0 && si.known && simswap_valid_imsi(si.imsi))
		snprintf(j->imsi, sizeof(j->imsi), "%s", si.imsi);
	j->refs = 2;

	pthread_mutex_lock(&p->lock);
	if (p->closed) {
		pthread_mutex_unlock(&p->lock);
		free(j);
		return refuse(p, q, res, USSD_PUSH_UNAVAILABLE, "gateway shutting down");
	}
	if (p->queue_tail)
		p->queue_tail->next = j;
	else
		p->queue = j;
	p->queue_tail = j;
	/* under the lock: once ussd_push_close() returned nobody touches the loop again */
	evloop_wakeup(p->loop);
	pthread_mutex_unlock(&p->lock);

	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += p->cfg.wait_ms / 1000;
	until.tv_nsec += (p->cfg.wait_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&p->lock);
	while (!j->done)
		if (pthread_cond_timedwait(&p->cond, &p->lock, &until) == ETIMEDOUT)
			break;
	if (j->done) {
		*res = j->res;
		if (res->status == USSD_PUSH_UNAVAILABLE)
			rate_refund(p, q->svc, q->msisdn, now_s);
	} else {
		/* the face ends the dialogue itself (idle timeout) and audits the outcome then */
		res->status = USSD_PUSH_TIMEOUT;
		res->reason = "no answer from the network";
	}
	job_put(j);
	pthread_mutex_unlock(&p->lock);
	return 0;
}
