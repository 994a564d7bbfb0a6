/* Channel limits and velocity (GW-LIMITS), see limits.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "channel_limits.h"

const struct value_string limit_result_names[] = {
	{LIMIT_OK, "ok"},
	{LIMIT_MIN, "below-minimum"},
	{LIMIT_PER_TX, "per-transaction"},
	{LIMIT_DAILY, "daily"},
	{LIMIT_ACCOUNT_VELOCITY, "account-velocity"},
	{LIMIT_SOURCE_VELOCITY, "source-velocity"},
	{0, NULL},
};

void limits_init(struct limits *L, const struct limits_config *cfg)
{
	memset(L, 0, sizeof(*L));
	L->cfg = *cfg;
	pthread_mutex_init(&L->lock, NULL);
}

void limits_destroy(struct limits *L)
{
	pthread_mutex_destroy(&L->lock);
}

int64_t limits_day_start(const struct limits_config *cfg, int64_t now)
{
	int64_t local = now + cfg->tz_offset_s;
	int64_t day = local / 86400;
	if (local < 0 && local % 86400)
		day--;
	return day * 86400 - cfg->tz_offset_s;
}

/* Open addressing over a fixed table; a full probe run evicts the stalest slot, which is
 * what an attacker flooding new source keys can achieve at most (a reset of an old count). */
static struct limits_source *source_slot(struct limits *L, const char *key, int64_t now)
{
	uint64_t h;
	crypto_shorthash((unsigned char *)&h, (const unsigned char *)key, strlen(key),
			 (const unsigned char *)"dfsguard-limits!");
	struct limits_source *stalest = NULL;
	for (unsigned i = 0; i < 16; i++) {
		struct limits_source *s = &L->src[(h + i) % LIMITS_SOURCES];
		if (!strcmp(s->key, key))
			return s;
		if (!s->key[0] || !stalest || s->window_start < stalest->window_start)
			stalest = s;
		if (!s->key[0])
			break;
	}
	snprintf(stalest->key, sizeof(stalest->key), "%s", key);
	stalest->window_start = now;
	stalest->count = 0;
	return stalest;
}

static unsigned source_count(struct limits *L, const char *key, int64_t now, bool add)
{
	pthread_mutex_lock(&L->lock);
	struct limits_source *s = source_slot(L, key, now);
	if (now - s->window_start >= L->cfg.source_window_s) {
		s->window_start = now;
		s->count = 0;
	}
	if (add)
		s->count++;
	unsigned n = s->count;
	pthread_mutex_unlock(&L->lock);
	return n;
}

int limits_check(struct limits *L, struct ledger *ledger, const char *account, const char *source,
		 int64_t amount, int64_t fee, int64_t now, enum limit_result *res)
{
	const struct limits_config *c = &L->cfg;
	*res = LIMIT_OK;
	if (amount < c->per_tx_min) {
		*res = LIMIT_MIN;
		return 0;
	}
	if (c->per_tx_max > 0 && amount > c->per_tx_max) {
		*res = LIMIT_PER_TX;
		return 0;
	}
	if (c->source_window_s > 0 && c->source_count > 0 && source && *source &&
	    source_count(L, source, now, false) >= c->source_count) {
		*res = LIMIT_SOURCE_VELOCITY;
		return 0;
	}
	int64_t sum, count;
	int rc;
	if (c->account_window_s > 0 && c->account_count > 0) {
		rc = ledger_debits_since(ledger, account, now - c->account_window_s + 1, &sum, &count);
		if (rc)
			return rc;
		if (count >= c->account_count) {
			*res = LIMIT_ACCOUNT_VELOCITY;
			return 0;
		}
	}
	if (c->daily_max > 0) {
		rc = ledger_debits_since(ledger, account, limits_day_start(c, now), &sum, &count);
		if (rc)
			return rc;
		if (sum + amount + fee > c->daily_max) {
			*res = LIMIT_DAILY;
			return 0;
		}
	}
	return 0;
}

void limits_record(struct limits *L, const char *source, int64_t now)
{
	if (L->cfg.source_window_s > 0 && source && *source)
		source_count(L, source, now, true);
}
