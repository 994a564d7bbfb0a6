/* A fixed-size table of flows (TCP directions, SCTP streams) with their reassembly buffers.
 * At most CAP_FLOWS_MAX entries and CAP_REASM_MEM_MAX buffered bytes: when the table is
 * full, an idle entry near the eviction cursor is reused, or else the one under it. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture_int.h"

#define EVICT_SCAN 16

void cap_flow_key_from(struct cap_flow_key *k, const struct cap_flow *fl, uint8_t l4)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, fl->src, sizeof(k->src));
	memcpy(k->dst, fl->dst, sizeof(k->dst));
	k->sport = fl->sport;
	k->dport = fl->dport;
	k->l4 = l4;
}

static uint32_t key_hash(const struct cap_flow_key *k)
{
	/* FNV-1a */
	const uint8_t *b = (const uint8_t *)k;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ b[i]) * 16777619u;
	return h;
}

static bool key_eq(const struct cap_flow_key *a, const struct cap_flow_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

static int table_init(struct cap_flow_table *t)
{
	t->nbucket = 2 * CAP_FLOWS_MAX;
	t->ent = calloc(CAP_FLOWS_MAX, sizeof(*t->ent));
	t->bucket = calloc(t->nbucket, sizeof(*t->bucket));
	if (!t->ent || !t->bucket) {
		free(t->ent);
		free(t->bucket);
		t->ent = NULL;
		t->bucket = NULL;
		return -ENOMEM;
	}
	return 0;
}

struct cap_flow_ent *cap_flow_find(struct cap_flow_table *t, const struct cap_flow_key *key)
{
	if (!t->ent)
		return NULL;
	/* consecutive packets usually belong to the same flow */
	if (t->last < t->used && key_eq(&t->ent[t->last].key, key))
		return &t->ent[t->last];
	for (uint32_t i = t->bucket[key_hash(key) % t->nbucket]; i; i = t->ent[i - 1].hnext)
		if (key_eq(&t->ent[i - 1].key, key)) {
			t->last = i - 1;
			return &t->ent[i - 1];
		}
	return NULL;
}

static void chain_unlink(struct cap_flow_table *t, uint32_t idx)
{
	uint32_t *link = &t->bucket[key_hash(&t->ent[idx].key) % t->nbucket];
	while (*link && *link != idx + 1)
		link = &t->ent[*link - 1].hnext;
	if (*link)
		*link = t->ent[idx].hnext;
	t->ent[idx].hnext = 0;
}

static uint32_t pick_victim(struct cap_flow_table *t)
{
	for (uint32_t k = 0; k < EVICT_SCAN; k++) {
		uint32_t i = (t->hand + k) % CAP_FLOWS_MAX;
		if (!t->ent[i].len && !t->ent[i].in_progress) {
			t->hand = (i + 1) % CAP_FLOWS_MAX;
			return i;
		}
	}
	uint32_t i = t->hand;
	t->hand = (i + 1) % CAP_FLOWS_MAX;
	return i;
}

struct cap_flow_ent *cap_flow_get(struct cap_flow_table *t, const struct cap_flow_key *key,
				  bool *evicted_data)
{
	*evicted_data = false;
	if (!t->ent && table_init(t) < 0)
		return NULL;
	struct cap_flow_ent *f = cap_flow_find(t, key);
	if (f)
		return f;
	uint32_t idx;
	if (t->used < CAP_FLOWS_MAX) {
		idx = t->used++;
	} else {
		idx = pick_victim(t);
		*evicted_data = t->ent[idx].len || t->ent[idx].in_progress;
		chain_unlink(t, idx);
	}
	f = &t->ent[idx];
	/* keep the buffer for reuse, reset everything else */
	uint8_t *buf = f->buf;
	size_t cap = f->cap;
	memset(f, 0, sizeof(*f));
	f->buf = buf;
	f->cap = cap;
	f->key = *key;
	f->in_use = true;
	uint32_t b = key_hash(key) % t->nbucket;
	f->hnext = t->bucket[b];
	t->bucket[b] = idx + 1;
	return f;
}

int cap_flow_append(struct cap_flow_table *t, struct cap_flow_ent *f, const uint8_t *p, size_t n)
{
	if (n > CAP_MSG_MAX - f->len)
		return -EMSGSIZE;
	size_t need = f->len + n;
	if (need > f->cap) {
		size_t nc = f->cap ? f->cap * 2 : 512;
		if (nc < need)
			nc = need;
		if (nc > CAP_MSG_MAX)
			nc = CAP_MSG_MAX;
		if (t->mem - f->cap + nc > CAP_REASM_MEM_MAX)
			return -ENOMEM;
		uint8_t *nb = realloc(f->buf, nc);
		if (!nb)
			return -ENOMEM;
		t->mem = t->mem - f->cap + nc;
		f->buf = nb;
		f->cap = nc;
	}
	memcpy(f->buf + f->len, p, n);
	f->len += n;
	return 0;
}

void cap_flow_table_free(struct cap_flow_table *t)
{
	if (t->ent)
		for (uint32_t i = 0; i < t->used; i++)
			free(t->ent[i].buf);
	free(t->ent);
	free(t->bucket);
	memset(t, 0, sizeof(*t));
}
