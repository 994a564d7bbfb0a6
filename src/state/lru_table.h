/* A fixed-capacity hash table with least-recently-updated eviction and time-based expiry.
 *
 * All memory is allocated once by lru_init(); inserting into a full table evicts the entry
 * updated longest ago. Keys are two 64-bit words (see digits_key() for digit strings), values
 * are fixed-size blobs zeroed on creation. Time is passed in by the caller (milliseconds on any
 * monotonic scale), so behaviour is deterministic. Updates (lru_put) move an entry to the
 * fresh end; reads (lru_get) do not, so the stale end is always the oldest update and expiry
 * pops from there. Not thread-safe: one table per thread or an outer lock. */
#ifndef DFS_LRU_TABLE_H
#define DFS_LRU_TABLE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct lru_slot;

struct lru_table {
	uint32_t cap, n, mask;
	uint32_t max_mask;       /* buckets allocated - 1; mask (buckets in use - 1) grows to it */
	size_t vsize;
	uint32_t *buckets;       /* slot index + 1, 0 = empty chain */
	struct lru_slot *slots;
	unsigned char *values;   /* cap * vsize */
	uint32_t fresh, stale;   /* slot index + 1 of the newest and oldest entry */
	uint32_t free_list;      /* slot index + 1 of a released slot */
	uint32_t used;           /* slots handed out at least once */
	uint64_t evictions, expirations;
};

/* 0, -EINVAL (cap 0 or too large, vsize 0) or -ENOMEM. */
int lru_init(struct lru_table *t, uint32_t cap, size_t vsize);
void lru_free(struct lru_table *t);
void lru_clear(struct lru_table *t);

/* The value for the key, or NULL when absent. When ttl_ms is nonzero an entry last updated
 * before now - ttl_ms counts as absent and is removed. Does not change the eviction order. */
void *lru_get(struct lru_table *t, uint64_t ka, uint64_t kb, uint64_t now, uint64_t ttl_ms);

/* The value for the key, created (zeroed) when absent, marked updated at now. When the table
 * is full the oldest entry is evicted first. *created (may be NULL) says whether it is new.
 * Never fails once the table is initialised. */
void *lru_put(struct lru_table *t, uint64_t ka, uint64_t kb, uint64_t now, bool *created);

/* 0 when removed, -ENOENT when absent. */
int lru_del(struct lru_table *t, uint64_t ka, uint64_t kb);

/* Remove every entry last updated before now - ttl_ms; returns how many. */
unsigned lru_expire(struct lru_table *t, uint64_t now, uint64_t ttl_ms);

/* Visit entries from the oldest update to the newest; a nonzero return stops the walk and is
 * returned. The callback must not modify the table. */
typedef int (*lru_visit_cb)(void *ud, uint64_t ka, uint64_t kb, uint64_t updated, const void *val);
int lru_foreach(const struct lru_table *t, lru_visit_cb cb, void *ud);

/* A 64-bit key for a digit string: exact (one nibble per digit plus the length) for up to 15
 * digits 0-9 a-f, otherwise a 64-bit FNV-1a hash with the top bit set. "" gives 0. */
uint64_t digits_key(const char *digits);
/* The digit string back from an exact digits_key(); -1 for a hashed key or a short buffer. */
int digits_from_key(uint64_t key, char *out, size_t outsz);

#endif
