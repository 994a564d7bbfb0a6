/* Longest-prefix matching over digit strings (GTs, IMSIs, MSISDNs, country codes).
 *
 * A 15-way trie (digits 0-9 and the TBCD characters * # a b c) compiled when the
 * configuration loads; lookups walk at most one node per digit, touch no other memory and
 * never allocate. Each prefix carries a 32-bit value; -1 means "no value". */
#ifndef DFS_DIGIT_TRIE_H
#define DFS_DIGIT_TRIE_H
#include <stdint.h>

#define TRIE_NONE (-1)

struct trie_node;

struct digit_trie {
	struct trie_node *nodes;
	uint32_t n, cap;
	uint32_t n_prefixes;
};

void trie_init(struct digit_trie *t);
void trie_free(struct digit_trie *t);

/* Add a prefix with a value (>= 0). Returns 0, -EINVAL for an empty prefix or a character that
 * is no digit, -ENOMEM, or -EEXIST when the prefix already has a different value. */
int trie_add(struct digit_trie *t, const char *prefix, int32_t value);
/* Add a prefix whose value is OR-ed into any value already there (bit sets such as roles). */
int trie_or(struct digit_trie *t, const char *prefix, int32_t bits);

/* The value of the longest prefix of digits present in the trie, or TRIE_NONE. *len (may be
 * NULL) gets the length of that prefix (0 when none). */
int32_t trie_lookup(const struct digit_trie *t, const char *digits, int *len);
/* The value of exactly this string, or TRIE_NONE. */
int32_t trie_exact(const struct digit_trie *t, const char *digits);

/* Call cb for every prefix with a value, in digit order (shorter prefixes first along a path).
 * A nonzero return from cb stops the walk and is returned; otherwise 0. */
typedef int (*trie_walk_cb)(void *ud, const char *prefix, int32_t value);
int trie_walk(const struct digit_trie *t, trie_walk_cb cb, void *ud);

#endif
