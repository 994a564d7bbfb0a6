#include "digit_trie.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TRIE_FANOUT 15

struct trie_node {
	uint32_t child[TRIE_FANOUT]; /* node index, 0 = none (node 0 is the root) */
	int32_t value;
};

/* Digit values as in tbcd.h: 0-9, then '*' '#' 'a' 'b' 'c' (either case); stored + 1 so that
 * 0 means "not a digit". */
static const uint8_t digit_index1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
	['8'] = 9, ['9'] = 10, ['*'] = 11, ['#'] = 12, ['a'] = 13, ['A'] = 13, ['b'] = 14,
	['B'] = 14, ['c'] = 15, ['C'] = 15,
};

static int digit_index(char c) { return digit_index1[(unsigned char)c] - 1; }

void trie_init(struct digit_trie *t) { memset(t, 0, sizeof(*t)); }

void trie_free(struct digit_trie *t)
{
	free(t->nodes);
	memset(t, 0, sizeof(*t));
}

static int new_node(struct digit_trie *t, uint32_t *idx)
{
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 16;
		struct trie_node *nn = realloc(t->nodes, cap * sizeof(*nn));
		if (!nn)
			return -ENOMEM;
		t->nodes = nn;
		t->cap = cap;
	}
	memset(&t->nodes[t->n], 0, sizeof(t->nodes[0]));
	t->nodes[t->n].value = TRIE_NONE;
	*idx = t->n++;
	return 0;
}

/* Index of the node for prefix, created on the way. */
static int walk_create(struct digit_trie *t, const char *prefix, uint32_t *out)
{
	if (!prefix || !*prefix)
		return -EINVAL;
	for (const char *c = prefix; *c; c++)
		if (digit_index(*c) < 0)
			return -EINVAL;
	uint32_t cur = 0;
	if (t->n == 0 && new_node(t, &cur))
		return -ENOMEM;
	for (const char *c = prefix; *c; c++) {
		int d = digit_index(*c);
		uint32_t next = t->nodes[cur].child[d];
		if (!next) {
			if (new_node(t, &next))
				return -ENOMEM;
			t->nodes[cur].child[d] = next;
		}
		cur = next;
	}
	*out = cur;
	return 0;
}

int trie_add(struct digit_trie *t, const char *prefix, int32_t value)
{
	uint32_t n;
	if (value < 0)
		return -EINVAL;
	int rc = walk_create(t, prefix, &n);
	if (rc)
		return rc;
	if (t->nodes[n].value != TRIE_NONE)
		return t->nodes[n].value == value ? 0 : -EEXIST;
	t->nodes[n].value = value;
	t->n_prefixes++;
	return 0;
}

int trie_or(struct digit_trie *t, const char *prefix, int32_t bits)
{
	uint32_t n;
	if (bits < 0)
		return -EINVAL;
	int rc = walk_create(t, prefix, &n);
	if (rc)
		return rc;
	if (t->nodes[n].value == TRIE_NONE) {
		t->nodes[n].value = 0;
		t->n_prefixes++;
	}
	t->nodes[n].value |= bits;
	return 0;
}

int32_t trie_lookup(const struct digit_trie *t, const char *digits, int *len)
{
	int32_t best = TRIE_NONE;
	int best_len = 0;
	if (t->n && digits) {
		uint32_t cur = 0;
		for (int i = 0; digits[i]; i++) {
			int d = digit_index(digits[i]);
			if (d < 0 || !(cur = t->nodes[cur].child[d]))
				break;
			if (t->nodes[cur].value != TRIE_NONE) {
				best = t->nodes[cur].value;
				best_len = i + 1;
			}
		}
	}
	if (len)
		*len = best_len;
	return best;
}

int32_t trie_exact(const struct digit_trie *t, const char *digits)
{
	int len;
	int32_t v = trie_lookup(t, digits, &len);
	return v != TRIE_NONE && digits[len] == 0 ? v : TRIE_NONE;
}

static const char trie_digit_chars[TRIE_FANOUT + 1] = "0123456789*#abc";

static int walk_node(const struct digit_trie *t, uint32_t idx, char *buf, unsigned depth,
		     trie_walk_cb cb, void *ud)
{
	const struct trie_node *n = &t->nodes[idx];
	buf[depth] = 0;
	if (n->value != TRIE_NONE && depth) {
		int rc = cb(ud, buf, n->value);
		if (rc)
			return rc;
	}
	if (depth >= 63)
		return 0;
	for (int i = 0; i < TRIE_FANOUT; i++) {
		if (!n->child[i])
			continue;
		buf[depth] = trie_digit_chars[i];
		int rc = walk_node(t, n->child[i], buf, depth + 1, cb, ud);
		if (rc)
			return rc;
	}
	return 0;
}

int trie_walk(const struct digit_trie *t, trie_walk_cb cb, void *ud)
{
	char buf[64];
	if (!t->n)
		return 0;
	return walk_node(t, 0, buf, 0, cb, ud);
}
