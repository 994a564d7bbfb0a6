/* In-process subscriber state: three bounded LRU tables (IMSI records, MSISDN -> IMSI
 * bindings, rate buckets). No allocation after creation. */
#include "substate.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lru_table.h"
#include "substate_mem.h"

/* Token bucket in exact integer units: one token is per_s * 1000 units and every millisecond
 * adds `count` units, so `count` tokens come back per per_s seconds with no rounding drift. */
struct rate_bucket {
	uint64_t units;
	uint64_t last_ms;
};

static struct sub_mem *mem(struct sub_state *s) { return (struct sub_mem *)s; }

static void copy_digits(char *dst, size_t dstsz, const char *src)
{
	size_t n = strnlen(src, dstsz - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
}

static int mem_get(struct sub_state *s, const char *imsi, uint64_t now, struct sub_record *out)
{
	struct sub_mem *m = mem(s);
	const struct sub_record *r = lru_get(&m->subs, digits_key(imsi), 0, now, m->lim.subscriber_ttl_ms);
	if (!r)
		return -ENOENT;
	*out = *r;
	return 0;
}

static int mem_put(struct sub_state *s, const char *imsi, const struct sub_record *rec, uint64_t now)
{
	struct sub_mem *m = mem(s);
	if (!imsi[0])
		return -EINVAL;
	struct sub_record *r = lru_put(&m->subs, digits_key(imsi), 0, now, NULL);
	*r = *rec;
	return 0;
}

static int mem_bind(struct sub_state *s, const char *msisdn, const char *imsi, uint64_t now,
		    char old_imsi[SUB_IMSI_MAX])
{
	struct sub_mem *m = mem(s);
	if (!msisdn[0] || !imsi[0])
		return -EINVAL;
	int changed = 0;
	char *bound = lru_get(&m->msisdns, digits_key(msisdn), 0, now, m->lim.subscriber_ttl_ms);
	if (bound && strcmp(bound, imsi)) {
		copy_digits(old_imsi, SUB_IMSI_MAX, bound);
		changed = 1;
	}
	bound = lru_put(&m->msisdns, digits_key(msisdn), 0, now, NULL);
	copy_digits(bound, SUB_IMSI_MAX, imsi);

	uint64_t k = digits_key(imsi);
	struct sub_record *r = lru_get(&m->subs, k, 0, now, m->lim.subscriber_ttl_ms);
	if (!r || strcmp(r->msisdn, msisdn)) {
		bool created;
		r = lru_put(&m->subs, k, 0, now, &created);
		copy_digits(r->msisdn, sizeof(r->msisdn), msisdn);
	}
	r->msisdn_ms = now;
	return changed;
}

static int mem_imsi_of(struct sub_state *s, const char *msisdn, uint64_t now, char imsi[SUB_IMSI_MAX])
{
	struct sub_mem *m = mem(s);
	const char *bound = lru_get(&m->msisdns, digits_key(msisdn), 0, now, m->lim.subscriber_ttl_ms);
	if (!bound)
		return -ENOENT;
	copy_digits(imsi, SUB_IMSI_MAX, bound);
	return 0;
}

static int mem_rate_take(struct sub_state *s, enum rate_kind kind, const char *key, uint32_t count,
			 uint32_t per_s, uint64_t now)
{
	struct sub_mem *m = mem(s);
	if (!count || !per_s)
		return 0;
	bool created;
	struct rate_bucket *b = lru_put(&m->rates, digits_key(key), (uint64_t)kind, now, &created);
	const uint64_t token = (uint64_t)per_s * 1000u, full = (uint64_t)count * token;
	if (created) {
		b->units = full;
	} else if (now > b->last_ms) {
		uint64_t add = (now - b->last_ms) * count;
		b->units = add >= full - b->units ? full : b->units + add;
	}
	if (now > b->last_ms || created)
		b->last_ms = now;
	if (b->units < token)
		return 1;
	b->units -= token;
	return 0;
}

static void mem_expire(struct sub_state *s, uint64_t now)
{
	struct sub_mem *m = mem(s);
	lru_expire(&m->subs, now, m->lim.subscriber_ttl_ms);
	lru_expire(&m->msisdns, now, m->lim.subscriber_ttl_ms);
	lru_expire(&m->rates, now, m->lim.rate_ttl_ms);
}

static void mem_stats(struct sub_state *s, struct sub_state_stats *st)
{
	struct sub_mem *m = mem(s);
	st->subscribers = m->subs.n;
	st->msisdns = m->msisdns.n;
	st->rate_keys = m->rates.n;
	st->evictions = m->subs.evictions + m->msisdns.evictions + m->rates.evictions;
	st->expirations = m->subs.expirations + m->msisdns.expirations + m->rates.expirations;
	st->errors = 0;
}

static void mem_destroy(struct sub_state *s)
{
	struct sub_mem *m = mem(s);
	if (!m)
		return;
	lru_free(&m->subs);
	lru_free(&m->msisdns);
	lru_free(&m->rates);
	free(m);
}

const struct sub_state_ops sub_state_mem_ops = {
	.get = mem_get,
	.put = mem_put,
	.bind = mem_bind,
	.imsi_of = mem_imsi_of,
	.rate_take = mem_rate_take,
	.expire = mem_expire,
	.stats = mem_stats,
	.destroy = mem_destroy,
};

struct sub_state *sub_state_mem_new(const struct sub_state_limits *lim)
{
	if (!lim->max_subscribers || !lim->max_rate_keys || !lim->subscriber_ttl_ms || !lim->rate_ttl_ms)
		return NULL;
	struct sub_mem *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->base.ops = &sub_state_mem_ops;
	m->lim = *lim;
	if (lru_init(&m->subs, lim->max_subscribers, sizeof(struct sub_record)) ||
	    lru_init(&m->msisdns, lim->max_subscribers, SUB_IMSI_MAX) ||
	    lru_init(&m->rates, lim->max_rate_keys, sizeof(struct rate_bucket))) {
		mem_destroy(&m->base);
		return NULL;
	}
	return &m->base;
}
