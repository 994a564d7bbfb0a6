#include "lru_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct lru_slot {
	uint64_t ka, kb;
	uint64_t updated;
	uint32_t chain;      /* next slot in the bucket chain, index + 1 */
	uint32_t newer, older; /* neighbours in update order, index + 1 */
};

#define LRU_MAX_CAP (1u << 28)
/* The bucket array is allocated for the full capacity, but only a power-of-two prefix of it,
 * at least as large as the number of entries, is in use: a table sized for a million
 * subscribers that holds a hundred thousand keeps its buckets dense in the cache instead of
 * spreading them over 4 MiB. The prefix doubles (rehashing every entry) as the table fills. */
#define LRU_MIN_BUCKETS 1024u

int lru_init(struct lru_table *t, uint32_t cap, size_t vsize)
{
	memset(t, 0, sizeof(*t));
	if (cap == 0 || cap > LRU_MAX_CAP || vsize == 0)
		return -EINVAL;
	uint32_t nb = 1;
	while (nb < cap)
		nb <<= 1;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	t->slots = calloc(cap, sizeof(*t->slots));
	t->values = calloc(cap, vsize);
	if (!t->buckets || !t->slots || !t->values) {
		lru_free(t);
		return -ENOMEM;
	}
	t->cap = cap;
	t->max_mask = nb - 1;
	t->vsize = vsize;
	lru_clear(t);
	return 0;
}

void lru_free(struct lru_table *t)
{
	free(t->buckets);
	free(t->slots);
	free(t->values);
	memset(t, 0, sizeof(*t));
}

void lru_clear(struct lru_table *t)
{
	if (t->n || t->used)
		memset(t->buckets, 0, ((size_t)t->mask + 1) * sizeof(*t->buckets));
	t->mask = t->max_mask < LRU_MIN_BUCKETS - 1 ? t->max_mask : LRU_MIN_BUCKETS - 1;
	t->free_list = 0;
	t->used = 0; /* slots past this were never used: taken in order, so creation touches no memory */
	t->fresh = t->stale = 0;
	t->n = 0;
}

static uint32_t bucket_of(const struct lru_table *t, uint64_t ka, uint64_t kb)
{
	uint64_t h = ka ^ (kb * 0x9e3779b97f4a7c15ull);
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (uint32_t)h & t->mask;
}

static struct lru_slot *slot(const struct lru_table *t, uint32_t idx1) { return &t->slots[idx1 - 1]; }
static void *value_of(const struct lru_table *t, uint32_t idx1)
{
	return t->values + (size_t)(idx1 - 1) * t->vsize;
}

/* Index + 1 of the key's slot, 0 when absent; *link gets the pointer to it in its chain. */
static uint32_t find(const struct lru_table *t, uint64_t ka, uint64_t kb, uint32_t **link)
{
	uint32_t *l = &t->buckets[bucket_of(t, ka, kb)];
	while (*l) {
		struct lru_slot *s = slot(t, *l);
		if (s->ka == ka && s->kb == kb) {
			if (link)
				*link = l;
			return *l;
		}
		l = &s->chain;
	}
	return 0;
}

static void order_unlink(struct lru_table *t, uint32_t i)
{
	struct lru_slot *s = slot(t, i);
	if (s->newer)
		slot(t, s->newer)->older = s->older;
	else
		t->fresh = s->older;
	if (s->older)
		slot(t, s->older)->newer = s->newer;
	else
		t->stale = s->newer;
	s->newer = s->older = 0;
}

static void order_push_fresh(struct lru_table *t, uint32_t i)
{
	struct lru_slot *s = slot(t, i);
	s->newer = 0;
	s->older = t->fresh;
	if (t->fresh)
		slot(t, t->fresh)->newer = i;
	t->fresh = i;
	if (!t->stale)
		t->stale = i;
}

static void remove_slot(struct lru_table *t, uint32_t i, uint32_t *link)
{
	struct lru_slot *s = slot(t, i);
	*link = s->chain;
	order_unlink(t, i);
	s->chain = t->free_list;
	t->free_list = i;
	t->n--;
}

static void remove_key(struct lru_table *t, uint32_t i)
{
	struct lru_slot *s = slot(t, i);
	uint32_t *link = NULL;
	find(t, s->ka, s->kb, &link);
	remove_slot(t, i, link);
}

static bool expired(const struct lru_slot *s, uint64_t now, uint64_t ttl_ms)
{
	return ttl_ms && now > s->updated && now - s->updated > ttl_ms;
}

void *lru_get(struct lru_table *t, uint64_t ka, uint64_t kb, uint64_t now, uint64_t ttl_ms)
{
	uint32_t *link = NULL;
	uint32_t i = find(t, ka, kb, &link);
	if (!i)
		return NULL;
	if (expired(slot(t, i), now, ttl_ms)) {
		remove_slot(t, i, link);
		t->expirations++;
		return NULL;
	}
	return value_of(t, i);
}

/* Double the buckets in use and rehash every entry into them. */
static void grow_buckets(struct lru_table *t)
{
	t->mask = t->mask * 2 + 1;
	memset(t->buckets, 0, ((size_t)t->mask + 1) * sizeof(*t->buckets));
	for (uint32_t i = t->fresh; i; i = slot(t, i)->older) {
		struct lru_slot *s = slot(t, i);
		uint32_t *head = &t->buckets[bucket_of(t, s->ka, s->kb)];
		s->chain = *head;
		*head = i;
	}
}

void *lru_put(struct lru_table *t, uint64_t ka, uint64_t kb, uint64_t now, bool *created)
{
	uint32_t i = find(t, ka, kb, NULL);
	if (i) {
		order_unlink(t, i);
		order_push_fresh(t, i);
		slot(t, i)->updated = now;
		if (created)
			*created = false;
		return value_of(t, i);
	}
	if (!t->free_list && t->used < t->cap) {
		i = ++t->used;
	} else {
		if (!t->free_list) {
			remove_key(t, t->stale);
			t->evictions++;
		}
		i = t->free_list;
		t->free_list = slot(t, i)->chain;
	}
	struct lru_slot *s = slot(t, i);
	s->ka = ka;
	s->kb = kb;
	s->updated = now;
	uint32_t *head = &t->buckets[bucket_of(t, ka, kb)];
	s->chain = *head;
	*head = i;
	order_push_fresh(t, i);
	t->n++;
	if (t->n > t->mask + 1 && t->mask < t->max_mask)
		grow_buckets(t);
	memset(value_of(t, i), 0, t->vsize);
	if (created)
		*created = true;
	return value_of(t, i);
}

int lru_del(struct lru_table *t, uint64_t ka, uint64_t kb)
{
	uint32_t *link = NULL;
	uint32_t i = find(t, ka, kb, &link);
	if (!i)
		return -ENOENT;
	remove_slot(t, i, link);
	return 0;
}

unsigned lru_expire(struct lru_table *t, uint64_t now, uint64_t ttl_ms)
{
	unsigned k = 0;
	while (t->stale && expired(slot(t, t->stale), now, ttl_ms)) {
		remove_key(t, t->stale);
		k++;
	}
	t->expirations += k;
	return k;
}

int lru_foreach(const struct lru_table *t, lru_visit_cb cb, void *ud)
{
	for (uint32_t i = t->stale; i; i = slot(t, i)->newer) {
		const struct lru_slot *s = slot(t, i);
		int rc = cb(ud, s->ka, s->kb, s->updated, value_of(t, i));
		if (rc)
			return rc;
	}
	return 0;
}

static int nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

uint64_t digits_key(const char *d)
{
	uint64_t k = 0;
	size_t n = 0;
	for (; d[n] && n < 15; n++) {
		int v = nibble(d[n]);
		if (v < 0)
			break;
		k = (k << 4) | (uint64_t)v;
	}
	if (!d[n])
		return n ? (k << 4) | n : 0;
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (const char *c = d; *c; c++) {
		h ^= (unsigned char)*c;
		h *= 0x100000001b3ull;
	}
	return h | (1ull << 63);
}

int digits_from_key(uint64_t key, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	unsigned n = (unsigned)(key & 0x0f);
	if (key == 0) {
		if (!outsz)
			return -1;
		out[0] = 0;
		return 0;
	}
	if (n == 0 || outsz <= n || (n < 15 && (key >> (4 * (n + 1))) != 0))
		return -1; /* a hash: the length nibble or the unused high nibbles do not fit */
	for (unsigned i = 0; i < n; i++)
		out[i] = hex[(key >> (4 * (n - i))) & 0x0f];
	out[n] = 0;
	return 0;
}
