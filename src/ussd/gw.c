/* The USSD gateway core: session table, controls, money gates. See gw.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "gw.h"
#include "json_writer.h"

const struct value_string gw_face_names[] = {
	{GW_FACE_HTTP, "http"},
	{GW_FACE_MAP, "map"},
	{0, NULL},
};

const struct value_string gw_status_names[] = {
	{GW_OK, "ok"},
	{GW_BAD_REQUEST, "bad-request"},
	{GW_UNKNOWN_SERVICE, "unknown-service"},
	{GW_UNAVAILABLE, "unavailable"},
	{0, NULL},
};

const struct value_string gw_end_reason_names[] = {
	{GW_END_NORMAL, "normal"},
	{GW_END_TIMEOUT, "timeout"},
	{GW_END_ABORT, "abort"},
	{GW_END_BIND, "binding-violation"},
	{GW_END_ERROR, "error"},
	{GW_END_SHUTDOWN, "shutdown"},
	{0, NULL},
};

const char *const gw_required_messages[] = {
	"gw.session_expired", "gw.session_ended", "gw.invalid_input", "gw.more",
	"gw.service_error",   "gw.busy",          NULL,
};

void gw_config_defaults(struct gw_config *c)
{
	memset(c, 0, sizeof(*c));
	c->idle_timeout_ms = 60000;
	c->max_duration_ms = 180000;
	c->tombstone_ms = 600000;
	c->max_input = 32;
	c->max_steps = 32;
	c->max_sessions = 100000;
	snprintf(c->more_key, sizeof(c->more_key), "98");
	pin_policy_defaults(&c->pin);
	c->simswap_cooling_s = 72 * 3600;
	c->limits.per_tx_min = 100;
	c->limits.per_tx_max = 0;
	snprintf(c->brand, sizeof(c->brand), "DFS Wallet");
	snprintf(c->currency, sizeof(c->currency), "KES");
	c->minor_digits = 2;
	snprintf(c->fee_account, sizeof(c->fee_account), "sys:fees");
	snprintf(c->airtime_account, sizeof(c->airtime_account), "sys:airtime");
	snprintf(c->issue_account, sizeof(c->issue_account), "sys:issue");
}

int64_t gw_clock_real(void *ud)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t gw_now_s(struct gw *g)
{
	return g->clock(g->clock_ud) / 1000;
}

int gw_init(struct gw *g, const struct gw_config *cfg, struct udb *db, struct audit_log *audit,
	    FILE *alerts, const struct msgcat *msgs, gw_clock_fn clock, void *clock_ud)
{
	memset(g, 0, sizeof(*g));
	if (sodium_init() < 0)
		return -EIO;
	g->cfg = cfg;
	g->db = db;
	ledger_init(&g->ledger, db);
	limits_init(&g->limits, &cfg->limits);
	g->audit = audit;
	g->alerts = alerts;
	g->msgs = msgs;
	g->clock = clock ? clock : gw_clock_real;
	g->clock_ud = clock_ud;
	g->nbuckets = 4096;
	g->buckets = calloc(g->nbuckets, sizeof(*g->buckets));
	if (!g->buckets)
		return -ENOMEM;
	g->list.next = g->list.prev = &g->list;
	pthread_mutex_init(&g->lock, NULL);
	pthread_mutex_init(&g->alerts_lock, NULL);
	/* system accounts the gates and the wallet post to */
	const char *sys[][2] = {{cfg->fee_account, "Fees"},
				{cfg->airtime_account, "Airtime settlement"},
				{cfg->issue_account, "E-money issuance"}};
	for (unsigned i = 0; i < 3; i++) {
		int rc = ledger_account_create(&g->ledger, sys[i][0], sys[i][1], LEDGER_ACCT_SYSTEM,
					       !strcmp(sys[i][0], cfg->issue_account),
					       gw_now_s(g));
		if (rc && rc != -EEXIST)
			return rc;
	}
	return 0;
}

static const struct gw_app_ops *app_of(struct gw *g, const struct gw_session *s)
{
	return s->svc->kind == GW_APP_WALLET ? g->wallet : g->external;
}

static void session_free(struct gw_session *s)
{
	free(s->pages);
	pthread_mutex_destroy(&s->lock);
	sodium_memzero(s, sizeof(*s));
	free(s);
}

/* With s->lock held: end once, void the application's half-done work. */
static void session_end(struct gw *g, struct gw_session *s, enum gw_end_reason why)
{
	if (s->ended)
		return;
	const struct gw_app_ops *app = app_of(g, s);
	if (app && app->finish)
		app->finish(g, s, why);
	s->app_state = NULL;
	s->ended = true;
	s->end_reason = why;
	s->confirm.shown = false;
	free(s->pages);
	s->pages = NULL;
	gw_audit(g, s, "session-end", NULL, get_value_string(gw_end_reason_names, why), NULL,
		 NULL, -1, -1, 0);
}

void gw_destroy(struct gw *g)
{
	if (!g->buckets)
		return;
	while (g->list.next != &g->list) {
		struct gw_session *s = g->list.next;
		s->prev->next = s->next;
		s->next->prev = s->prev;
		pthread_mutex_lock(&s->lock);
		session_end(g, s, GW_END_SHUTDOWN);
		pthread_mutex_unlock(&s->lock);
		session_free(s);
	}
	free(g->buckets);
	g->buckets = NULL;
	limits_destroy(&g->limits);
	pthread_mutex_destroy(&g->lock);
	pthread_mutex_destroy(&g->alerts_lock);
}

static unsigned bucket_of(struct gw *g, enum gw_face face, const char *dialogue)
{
	uint64_t h;
	uint8_t in[GW_DIALOGUE_MAX + 1];
	size_t n = strlen(dialogue);
	in[0] = (uint8_t)face;
	memcpy(in + 1, dialogue, n);
	crypto_shorthash((unsigned char *)&h, in, n + 1, (const unsigned char *)"dfsguard-session");
	return (unsigned)(h % g->nbuckets);
}

static struct gw_session *lookup(struct gw *g, enum gw_face face, const char *dialogue)
{
	for (struct gw_session *s = g->buckets[bucket_of(g, face, dialogue)]; s; s = s->hnext)
		if (s->face == face && !strcmp(s->dialogue, dialogue))
			return s;
	return NULL;
}

static void unlink_session(struct gw *g, struct gw_session *s)
{
	struct gw_session **pp = &g->buckets[bucket_of(g, s->face, s->dialogue)];
	while (*pp && *pp != s)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = s->hnext;
	s->prev->next = s->next;
	s->next->prev = s->prev;
	g->nsessions--;
}

void gw_audit(struct gw *g, const struct gw_session *s, const char *event, const char *node,
	      const char *decision, const char *reason, const char *counterparty, int64_t amount,
	      int64_t fee, int64_t transfer_id)
{
	if (!g->audit)
		return;
	struct audit_rec r = {
		.t_ms = g->clock(g->clock_ud),
		.event = event,
		.face = s ? get_value_string(gw_face_names, s->face) : NULL,
		.session = s ? s->id : NULL,
		.msisdn = s ? s->msisdn : NULL,
		.imsi = s ? s->imsi : NULL,
		.network = s ? s->network : NULL,
		.service = s ? s->service : NULL,
		.node = node,
		.decision = decision,
		.reason = reason,
		.counterparty = counterparty,
		.amount = amount,
		.fee = fee,
		.transfer_id = transfer_id,
	};
	if (audit_append(g->audit, &r))
		fprintf(stderr, "dfsguard ussd: audit log write failed\n");
}

void gw_alert(struct gw *g, const char *rule, const char *severity, const struct gw_session *s,
	      const char *msisdn, const char *reason)
{
	int64_t t = g->clock(g->clock_ud);
	if (g->alerts) {
		char buf[1024];
		struct json_writer j;
		json_init(&j, buf, sizeof(buf));
		json_obj_begin(&j);
		json_kv_int(&j, "t", t);
		json_kv_str(&j, "source", "ussd");
		json_kv_str(&j, "rule", rule);
		json_kv_str(&j, "severity", severity);
		if (s)
			json_kv_str(&j, "session", s->id);
		json_kv_str(&j, "msisdn", msisdn ? msisdn : s ? s->msisdn : "");
		if (s && s->imsi[0])
			json_kv_str(&j, "imsi", s->imsi);
		if (s && s->network[0])
			json_kv_str(&j, "network", s->network);
		json_kv_str(&j, "reason", reason);
		json_obj_end(&j);
		if (json_ok(&j)) {
			pthread_mutex_lock(&g->alerts_lock);
			fprintf(g->alerts, "%s\n", buf);
			fflush(g->alerts);
			pthread_mutex_unlock(&g->alerts_lock);
		}
	}
	if (g->audit) {
		struct audit_rec r = {.t_ms = t, .event = "alert", .session = s ? s->id : NULL,
				      .msisdn = msisdn ? msisdn : s ? s->msisdn : NULL,
				      .imsi = s ? s->imsi : NULL, .network = s ? s->network : NULL,
				      .decision = rule, .reason = reason, .amount = -1, .fee = -1};
		if (audit_append(g->audit, &r))
			fprintf(stderr, "dfsguard ussd: audit log write failed\n");
	}
}

/* --- request validation --- */

static bool all_in(const char *s, const char *set)
{
	for (; *s; s++)
		if (!strchr(set, *s))
			return false;
	return true;
}

static bool printable_id(const char *s, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n >= max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

static const char *check_request(const struct gw_request *q)
{
	if (!printable_id(q->dialogue, GW_DIALOGUE_MAX))
		return "sessionId: want 1-95 printable characters";
	if (!q->msisdn || !simswap_valid_msisdn(q->msisdn))
		return "phoneNumber: want an international number, 5-15 digits";
	if (q->imsi && *q->imsi && !simswap_valid_imsi(q->imsi))
		return "imsi: want 6-15 digits";
	size_t sc = q->service_code ? strlen(q->service_code) : 0;
	if (sc < 2 || sc > 20 || q->service_code[0] != '*' || q->service_code[sc - 1] != '#' ||
	    !all_in(q->service_code, "0123456789*#"))
		return "serviceCode: want a USSD code such as *384#";
	size_t nl = q->network ? strlen(q->network) : 0;
	if (nl < 1 || nl > 10 || !all_in(q->network, "0123456789"))
		return "networkCode: want 1-10 digits";
	if (!q->text || strlen(q->text) > 4096)
		return "text: missing or longer than 4096 characters";
	if (!all_in(q->text, "0123456789*#"))
		return "text: only 0-9, * and # are allowed";
	return NULL;
}

static const struct gw_service *route(struct gw *g, const char *code)
{
	for (unsigned i = 0; i < g->cfg->n_services; i++)
		if (!strcmp(g->cfg->services[i].code, code))
			return &g->cfg->services[i];
	return NULL;
}

static void set_final(struct gw *g, struct gw_response *r, const char *key)
{
	r->end = true;
	snprintf(r->text, sizeof(r->text), "%s", msgcat_get(g->msgs, key));
}

static void text_hash(const char *p, size_t n, uint8_t out[32])
{
	crypto_generichash(out, 32, (const unsigned char *)p, n, NULL, 0);
}

static struct gw_session *session_new(struct gw *g, const struct gw_request *q,
				      const struct gw_service *svc, int64_t now)
{
	struct gw_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	uint8_t rnd[16];
	randombytes_buf(rnd, sizeof(rnd)); /* GW-SESSIONID */
	sodium_bin2hex(s->id, sizeof(s->id), rnd, sizeof(rnd));
	s->face = q->face;
	snprintf(s->dialogue, sizeof(s->dialogue), "%s", q->dialogue);
	snprintf(s->msisdn, sizeof(s->msisdn), "%s", q->msisdn);
	snprintf(s->imsi, sizeof(s->imsi), "%s", q->imsi ? q->imsi : "");
	snprintf(s->service, sizeof(s->service), "%s", q->service_code);
	snprintf(s->network, sizeof(s->network), "%s", q->network);
	snprintf(s->source, sizeof(s->source), "%s", q->source && *q->source ? q->source : q->network);
	s->svc = svc;
	s->created_ms = s->last_ms = now;
	pthread_mutex_init(&s->lock, NULL);
	text_hash("", 0, s->text_hash);
	return s;
}

/* The next page of a paginated screen, or the first page of a new text. */
static void show_page(struct gw *g, struct gw_session *s, struct gw_response *r)
{
	const struct screen_pages *p = s->pages;
	bool last = s->page + 1 >= p->n;
	r->end = last && s->pages_end;
	snprintf(r->text, sizeof(r->text), "%s", p->page[s->page]);
}

static int render(struct gw *g, struct gw_session *s, const struct gw_reply *rep,
		  struct gw_response *r)
{
	struct screen_pages *p = s->pages ? s->pages : malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	s->pages = p;
	char more[64];
	snprintf(more, sizeof(more), "%s", msgcat_get(g->msgs, "gw.more"));
	int rc = screen_paginate(rep->text, more, p);
	if (rc)
		return rc;
	s->page = 0;
	s->pages_end = rep->end;
	show_page(g, s, r);
	return 0;
}

static void remember(struct gw_session *s, const struct gw_response *r)
{
	s->last_end = r->end;
	snprintf(s->last_text, sizeof(s->last_text), "%s", r->text);
}

/* Everything after the session was found or created; s->lock held. */
static int step(struct gw *g, struct gw_session *s, const struct gw_request *q, bool is_new,
		int64_t now, struct gw_response *r, bool *keep)
{
	const char *input = q->text;

	if (s->ended) {
		/* GW-IDEMPOTENT: the network repeating the final message gets the final answer */
		uint8_t h[32];
		text_hash(q->text, strlen(q->text), h);
		if (q->cumulative && strlen(q->text) == s->text_len && !memcmp(h, s->text_hash, 32)) {
			r->end = s->last_end;
			snprintf(r->text, sizeof(r->text), "%s", s->last_text);
			gw_audit(g, s, "repeat", NULL, "final-repeated", "GW-IDEMPOTENT", NULL, -1,
				 -1, 0);
			*keep = false;
			return 0;
		}
		*keep = false; /* the session's final answer stays what it was */
		set_final(g, r, s->end_reason == GW_END_TIMEOUT ? "gw.session_expired"
								 : "gw.session_ended");
		gw_audit(g, s, "request", NULL, "refused", "session ended", NULL, -1, -1, 0);
		return 0;
	}

	/* GW-BIND */
	if (strcmp(s->msisdn, q->msisdn) || strcmp(s->service, q->service_code) ||
	    strcmp(s->network, q->network) || strcmp(s->imsi, q->imsi ? q->imsi : "")) {
		char why[160];
		snprintf(why, sizeof(why), "session replayed with another %s",
			 strcmp(s->msisdn, q->msisdn)		 ? "MSISDN"
			 : strcmp(s->service, q->service_code) ? "service code"
			 : strcmp(s->network, q->network)	 ? "network"
								 : "IMSI");
		gw_alert(g, "GW-BIND", "high", s, q->msisdn, why);
		session_end(g, s, GW_END_BIND);
		set_final(g, r, "gw.session_ended");
		return 0;
	}

	/* GW-TIMEOUT */
	if (!is_new && (now - s->last_ms > g->cfg->idle_timeout_ms ||
			now - s->created_ms > g->cfg->max_duration_ms)) {
		gw_audit(g, s, "request", NULL, "refused", "GW-TIMEOUT", NULL, -1, -1, 0);
		session_end(g, s, GW_END_TIMEOUT);
		set_final(g, r, "gw.session_expired");
		return 0;
	}

	/* The AT convention repeats every earlier input: check the history is the one we saw
	 * and take only the new part. */
	if (q->cumulative && !is_new) {
		size_t len = strlen(q->text);
		uint8_t h[32];
		text_hash(q->text, len, h);
		if (len == s->text_len && !memcmp(h, s->text_hash, 32)) {
			/* GW-IDEMPOTENT: the same message again: the same answer, nothing re-run */
			r->end = s->last_end;
			snprintf(r->text, sizeof(r->text), "%s", s->last_text);
			gw_audit(g, s, "repeat", NULL, "repeated", "GW-IDEMPOTENT", NULL, -1, -1, 0);
			*keep = false;
			return 0;
		}
		bool ok;
		if (s->text_len == 0) {
			ok = true;
			input = q->text;
		} else {
			ok = len > s->text_len && q->text[s->text_len] == '*';
			if (ok) {
				text_hash(q->text, s->text_len, h);
				ok = !memcmp(h, s->text_hash, 32);
			}
			input = q->text + s->text_len + 1;
		}
		if (!ok) {
			gw_alert(g, "GW-INPUT", "medium", s, NULL,
				 "text does not continue the session's history");
			session_end(g, s, GW_END_ERROR);
			set_final(g, r, "gw.session_ended");
			return 0;
		}
		text_hash(q->text, len, s->text_hash);
		s->text_len = len;
	}
	s->last_ms = now;
	s->steps++;

	if (is_new) {
		const struct gw_app_ops *app = app_of(g, s);
		struct gw_reply *rep = calloc(1, sizeof(*rep));
		if (!rep)
			return -ENOMEM;
		gw_audit(g, s, "session-begin", NULL, "accepted", NULL, NULL, -1, -1, 0);
		int rc = app && app->begin ? app->begin(g, s, rep) : -ENOSYS;
		if (rc == 0)
			rc = render(g, s, rep, r);
		if (rc == 0)
			gw_audit(g, s, "screen", rep->node, r->end ? "end" : "con", NULL, NULL, -1,
				 -1, 0);
		free(rep);
		return rc;
	}

	if (s->steps > g->cfg->max_steps) {
		gw_audit(g, s, "request", NULL, "refused", "too many steps", NULL, -1, -1, 0);
		session_end(g, s, GW_END_ERROR);
		set_final(g, r, "gw.session_ended");
		return 0;
	}

	/* GW-INPUT: whitelist, length, and no '*' inside a field, which in the AT convention
	 * would read as several menu steps (menu-path injection) */
	size_t il = strlen(input);
	if (il > g->cfg->max_input || !all_in(input, "0123456789#") ) {
		gw_audit(g, s, "input", NULL, "rejected", "GW-INPUT", NULL, -1, -1, 0);
		r->end = false;
		int n = snprintf(r->text, sizeof(r->text), "%s\n%s",
				 msgcat_get(g->msgs, "gw.invalid_input"), s->last_text);
		if (n < 0 || (size_t)n >= sizeof(r->text) || !screen_fits(r->text))
			memcpy(r->text, s->last_text, sizeof(r->text));
		return 0;
	}

	/* pagination is the gateway's: the application never sees the "more" key */
	if (s->pages && s->pages->n > 1 && s->page + 1 < s->pages->n &&
	    !strcmp(input, g->cfg->more_key)) {
		s->page++;
		show_page(g, s, r);
		gw_audit(g, s, "screen", "page", r->end ? "end" : "con", NULL, NULL, -1, -1, 0);
		return 0;
	}
	if (s->pages && s->pages_end) {
		/* any other key on a paginated final text closes it */
		s->page = s->pages->n - 1;
		show_page(g, s, r);
		return 0;
	}

	const struct gw_app_ops *app = app_of(g, s);
	struct gw_reply *rep = calloc(1, sizeof(*rep));
	if (!rep)
		return -ENOMEM;
	int rc = app && app->input ? app->input(g, s, input, rep) : -ENOSYS;
	if (rc == 0)
		rc = render(g, s, rep, r);
	if (rc == 0)
		gw_audit(g, s, "screen", rep->node, r->end ? "end" : "con", NULL, NULL, -1, -1, 0);
	free(rep);
	return rc;
}

int gw_handle(struct gw *g, const struct gw_request *q, struct gw_response *r)
{
	memset(r, 0, sizeof(*r));
	const char *bad = check_request(q);
	if (bad) {
		r->status = GW_BAD_REQUEST;
		r->reason = bad;
		return 0;
	}
	int64_t now = g->clock(g->clock_ud);
	bool is_new = false;

	pthread_mutex_lock(&g->lock);
	g->stat_requests++;
	struct gw_session *s = lookup(g, q->face, q->dialogue);
	if (!s) {
		const struct gw_service *svc = route(g, q->service_code);
		if (!svc) {
			pthread_mutex_unlock(&g->lock);
			r->status = GW_UNKNOWN_SERVICE;
			r->reason = "serviceCode: not served by this gateway";
			return 0;
		}
		if (q->cumulative && q->text[0]) {
			/* a continuation of a dialogue we do not know: expired and forgotten, or a
			 * guessed id. Nothing is created and nothing runs. */
			pthread_mutex_unlock(&g->lock);
			set_final(g, r, "gw.session_expired");
			gw_audit(g, NULL, "request", NULL, "refused", "unknown session", NULL, -1, -1,
				 0);
			return 0;
		}
		if (g->nsessions >= g->cfg->max_sessions) {
			pthread_mutex_unlock(&g->lock);
			r->status = GW_UNAVAILABLE;
			set_final(g, r, "gw.busy");
			return 0;
		}
		s = session_new(g, q, svc, now);
		if (!s) {
			pthread_mutex_unlock(&g->lock);
			return -ENOMEM;
		}
		unsigned b = bucket_of(g, s->face, s->dialogue);
		s->hnext = g->buckets[b];
		g->buckets[b] = s;
		s->prev = g->list.prev;
		s->next = &g->list;
		g->list.prev->next = s;
		g->list.prev = s;
		g->nsessions++;
		g->stat_sessions++;
		is_new = true;
	}
	s->refs++;
	pthread_mutex_unlock(&g->lock);

	pthread_mutex_lock(&s->lock);
	if (is_new && s->imsi[0]) {
		/* GW-SIMSWAP: the IMSI serving this MSISDN, as signalling shows it */
		bool swapped = false;
		if (simswap_observe(g->db, s->msisdn, s->imsi, now / 1000, "signalling", &swapped) == 0 &&
		    swapped)
			gw_alert(g, "GW-SIMSWAP", "high", s, NULL,
				 "IMSI changed for this MSISDN: cooling period started");
	}
	bool keep = true;
	int rc = step(g, s, q, is_new, now, r, &keep);
	if (rc) {
		session_end(g, s, GW_END_ERROR);
		set_final(g, r, "gw.service_error");
		r->status = GW_OK;
		keep = true;
		rc = 0;
	}
	if (keep)
		remember(s, r); /* a repeat of this exact message gets this answer */
	if (r->end && !s->ended)
		session_end(g, s, GW_END_NORMAL);
	snprintf(r->session, sizeof(r->session), "%s", s->id);
	pthread_mutex_unlock(&s->lock);

	pthread_mutex_lock(&g->lock);
	s->refs--;
	pthread_mutex_unlock(&g->lock);
	return rc;
}

void gw_release(struct gw *g, enum gw_face face, const char *dialogue, enum gw_end_reason why)
{
	pthread_mutex_lock(&g->lock);
	struct gw_session *s = lookup(g, face, dialogue);
	if (s)
		s->refs++;
	pthread_mutex_unlock(&g->lock);
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	session_end(g, s, why);
	pthread_mutex_unlock(&s->lock);
	pthread_mutex_lock(&g->lock);
	s->refs--;
	pthread_mutex_unlock(&g->lock);
}

#define SWEEP_BATCH 128

unsigned gw_sweep(struct gw *g)
{
	int64_t now = g->clock(g->clock_ud);
	unsigned ended = 0;
	for (;;) {
		/* collect a batch under the table lock; end or free them outside it */
		struct gw_session *expire[SWEEP_BATCH], *drop[SWEEP_BATCH];
		unsigned ne = 0, nd = 0;
		pthread_mutex_lock(&g->lock);
		for (struct gw_session *s = g->list.next, *next; s != &g->list; s = next) {
			next = s->next;
			if (s->refs)
				continue;
			bool expired = now - s->last_ms > g->cfg->idle_timeout_ms ||
				       now - s->created_ms > g->cfg->max_duration_ms;
			if (!s->ended && expired && ne < SWEEP_BATCH) {
				s->refs++;
				expire[ne++] = s;
			} else if (s->ended && now - s->last_ms > g->cfg->tombstone_ms &&
				   nd < SWEEP_BATCH) {
				unlink_session(g, s);
				drop[nd++] = s;
			}
			if (ne == SWEEP_BATCH || nd == SWEEP_BATCH)
				break;
		}
		pthread_mutex_unlock(&g->lock);
		for (unsigned i = 0; i < nd; i++)
			session_free(drop[i]);
		for (unsigned i = 0; i < ne; i++) {
			struct gw_session *v = expire[i];
			pthread_mutex_lock(&v->lock);
			if (!v->ended) {
				session_end(g, v, GW_END_TIMEOUT);
				ended++;
			}
			pthread_mutex_unlock(&v->lock);
		}
		pthread_mutex_lock(&g->lock);
		for (unsigned i = 0; i < ne; i++)
			expire[i]->refs--;
		pthread_mutex_unlock(&g->lock);
		if (ne < SWEEP_BATCH && nd < SWEEP_BATCH)
			break;
	}
	return ended;
}

/* --- money gates --- */

int gw_pin_check(struct gw *g, struct gw_session *s, const char *pin, enum pin_result *res,
		 unsigned *left)
{
	int rc = pin_verify(g->db, &g->cfg->pin, s->msisdn, pin, gw_now_s(g), res, left);
	if (rc)
		return rc;
	if (*res == PIN_OK) {
		s->pin_ok = true;
		if (s->confirm.shown && s->steps > s->confirm.step)
			s->confirm.pin_ok = true;
	}
	gw_audit(g, s, "pin", NULL, get_value_string(pin_result_names, *res), "GW-PIN", NULL, -1,
		 -1, 0);
	if (*res == PIN_WRONG && *left == 0)
		gw_alert(g, "GW-PIN", "medium", s, NULL, "PIN locked after repeated failures");
	if (*res == PIN_LOCKED)
		gw_alert(g, "GW-PIN", "medium", s, NULL, "PIN entry while locked");
	return 0;
}

int gw_gate_simswap(struct gw *g, struct gw_session *s, bool *cooling)
{
	struct simswap_info info;
	int rc = simswap_get(g->db, s->msisdn, &info);
	if (rc)
		return rc;
	*cooling = simswap_cooling(&info, gw_now_s(g), g->cfg->simswap_cooling_s);
	if (*cooling)
		gw_alert(g, "GW-SIMSWAP", "high", s, NULL,
			 "sensitive operation refused during the SIM swap cooling period");
	return 0;
}

int gw_gate_debit(struct gw *g, struct gw_session *s, int64_t amount, int64_t fee,
		  const char **control, const char **detail)
{
	bool cooling;
	*control = NULL;
	*detail = NULL;
	int rc = gw_gate_simswap(g, s, &cooling);
	if (rc)
		return rc;
	if (cooling) {
		*control = "GW-SIMSWAP";
		*detail = "cooling-period";
		return 0;
	}
	enum limit_result lr;
	rc = limits_check(&g->limits, &g->ledger, s->msisdn, s->source, amount, fee, gw_now_s(g),
			  &lr);
	if (rc)
		return rc;
	if (lr != LIMIT_OK) {
		*control = "GW-LIMITS";
		*detail = get_value_string(limit_result_names, lr);
		gw_audit(g, s, "gate", NULL, "refused", *detail, NULL, amount, fee, 0);
	}
	return 0;
}

void gw_confirm_show(struct gw_session *s, enum ledger_xfer_kind kind, const char *counterparty,
		     int64_t amount, int64_t fee)
{
	s->confirm.shown = true;
	s->confirm.seq++;
	s->confirm.step = s->steps;
	s->confirm.kind = kind;
	snprintf(s->confirm.counterparty, sizeof(s->confirm.counterparty), "%s", counterparty);
	s->confirm.amount = amount;
	s->confirm.fee = fee;
	s->confirm.pin_ok = false;
}

int gw_execute_transfer(struct gw *g, struct gw_session *s, enum ledger_xfer_kind kind,
			const char *counterparty, int64_t amount, int64_t fee,
			struct ledger_transfer_res *res, const char **control)
{
	*control = NULL;
	if (!s->confirm.shown || !s->confirm.pin_ok || s->confirm.kind != kind ||
	    strcmp(s->confirm.counterparty, counterparty) || s->confirm.amount != amount ||
	    s->confirm.fee != fee) {
		*control = "GW-CONFIRM";
		gw_alert(g, "GW-CONFIRM", "high", s, NULL,
			 "transfer without a matching confirmation and PIN in this session");
		gw_audit(g, s, "transfer", NULL, "refused", "GW-CONFIRM", counterparty, amount, fee,
			 0);
		return -EACCES;
	}
	const char *detail;
	int rc = gw_gate_debit(g, s, amount, fee, control, &detail);
	if (rc)
		return rc;
	if (*control)
		return -EPERM;
	char key[GW_SESSION_ID_LEN + 16];
	snprintf(key, sizeof(key), "%s:%u", s->id, s->confirm.seq);
	struct ledger_transfer_req req = {
		.idem_key = key,
		.kind = kind,
		.debit = s->msisdn,
		.credit = counterparty,
		.amount = amount,
		.fee_account = fee > 0 ? g->cfg->fee_account : NULL,
		.fee = fee,
		.memo = s->service,
		.now = gw_now_s(g),
	};
	rc = ledger_transfer(&g->ledger, &req, res);
	gw_audit(g, s, "transfer", get_value_string(ledger_xfer_kind_names, kind),
		 rc == 0 ? (res->replayed ? "replayed" : "executed") : "failed",
		 rc == -ERANGE ? "insufficient funds" : NULL, counterparty, amount, fee,
		 rc == 0 ? res->id : 0);
	if (rc == 0) {
		if (!res->replayed)
			limits_record(&g->limits, s->source, req.now);
		s->confirm.shown = false; /* one confirmation, one transfer */
	}
	return rc;
}

/* --- screen helpers --- */

void gw_format_amount(const struct gw_config *c, int64_t minor, char *out, size_t outsz)
{
	int64_t unit = 1;
	for (unsigned i = 0; i < c->minor_digits; i++)
		unit *= 10;
	bool neg = minor < 0;
	uint64_t v = neg ? (uint64_t)(-(minor + 1)) + 1 : (uint64_t)minor;
	uint64_t major = v / (uint64_t)unit, frac = v % (uint64_t)unit;
	char digits[32], grouped[48];
	int n = snprintf(digits, sizeof(digits), "%" PRIu64, major);
	int o = 0;
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0)
			grouped[o++] = ',';
		grouped[o++] = digits[i];
	}
	grouped[o] = 0;
	if (c->minor_digits)
		snprintf(out, outsz, "%s%s %s.%0*" PRIu64, neg ? "-" : "", c->currency, grouped,
			 (int)c->minor_digits, frac);
	else
		snprintf(out, outsz, "%s%s %s", neg ? "-" : "", c->currency, grouped);
}

int gw_parse_amount(const struct gw_config *c, const char *in, int64_t *minor)
{
	size_t n = strlen(in);
	if (n < 1 || n > 12 || !all_in(in, "0123456789"))
		return -EINVAL;
	int64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (in[i] - '0');
	for (unsigned i = 0; i < c->minor_digits; i++)
		v *= 10;
	if (v <= 0)
		return -EINVAL;
	*minor = v;
	return 0;
}

int64_t gw_fee(const struct gw_fee_tier *tiers, unsigned n, int64_t amount)
{
	for (unsigned i = 0; i < n; i++)
		if (amount <= tiers[i].upto)
			return tiers[i].fee;
	return n ? tiers[n - 1].fee : 0;
}

int gw_normalize_msisdn(const struct gw_config *c, const char *in, char *out, size_t outsz)
{
	size_t n = strlen(in);
	if (n < 5 || n > 15 || !all_in(in, "0123456789"))
		return -EINVAL;
	if (in[0] == '0' && c->country_code[0])
		snprintf(out, outsz, "%s%s", c->country_code, in + 1);
	else
		snprintf(out, outsz, "%s", in);
	return simswap_valid_msisdn(out) ? 0 : -EINVAL;
}
