/* Capture analyser: decode, judge, report (analyze.h). */
#include "analyze.h"

#include <stdlib.h>
#include <string.h>

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

_Static_assert(AN_TOP_SLOTS < 65536 && !(AN_TOP_SLOTS & (AN_TOP_SLOTS - 1)),
	       "the indexes hold slot + 1 in 16 bits and are a power of two in size");

/* Count key: t fills in order (a full table drops new keys), index is an open-addressing hash
 * index over it with linear probing. */
static void count(struct an_count *t, uint16_t *index, unsigned *used, uint64_t *dropped, const char *key)
{
	if (!key || !key[0])
		return;
	const unsigned mask = 2 * AN_TOP_SLOTS - 1;
	unsigned i = (unsigned)hash(key) & mask;
	for (; index[i]; i = (i + 1) & mask) {
		struct an_count *c = &t[index[i] - 1];
		if (!strcmp(c->key, key)) {
			c->n++;
			return;
		}
	}
	if (*used == AN_TOP_SLOTS) {
		(*dropped)++;
		return;
	}
	struct an_count *c = &t[*used];
	snprintf(c->key, sizeof(c->key), "%s", key);
	c->n = 1;
	index[i] = (uint16_t)++*used;
}

static void report(struct analyzer *a, const struct verdict *v, const struct cap_unit *u)
{
	a->by_rule[v->rule]++;
	if (v->action == ACT_BLOCK)
		a->blocks++;
	else
		a->alerts++;
	count(a->sources, a->sources_index, &a->sources_used, &a->sources_dropped, v->calling_gt);
	const struct policy_config *cfg = policy_config_of(a->ctx);
	const char *target = v->imsi[0] ? v->imsi : v->msisdn;
	bool hide = cfg->pseudo_enabled && (v->imsi[0] ? cfg->pseudo_imsi : cfg->pseudo_msisdn);
	char pseudo[DFS_DIGITS_MAX + 1];
	if (hide && target[0] && policy_pseudonym(cfg, target, pseudo, sizeof(pseudo)) == 0)
		target = pseudo;
	else if (hide)
		target = NULL;
	count(a->targets, a->targets_index, &a->targets_used, &a->targets_dropped, target);
	if (!a->out)
		return;
	if (a->json) {
		char buf[2048];
		struct json_writer j;
		json_init(&j, buf, sizeof(buf));
		if (verdict_to_json(a->ctx, v, u->frame, &u->ts, &j) == 0 && json_ok(&j))
			fprintf(a->out, "%.*s\n", (int)j.len, buf);
	} else {
		char line[640];
		verdict_to_text(a->ctx, v, u->frame, &u->ts, line, sizeof(line));
		fprintf(a->out, "%s\n", line);
	}
}

int analyze_unit(struct analyzer *a, const struct cap_unit *u)
{
	struct sig_msg m;
	struct dfs_err e;
	memset(&e, 0, sizeof(e));
	uint64_t now = (uint64_t)u->ts.tv_sec * 1000u + (uint64_t)u->ts.tv_nsec / 1000000u;
	int rc = u->proto == CAP_MTP3 ? sig_decode_mtp3(u->p, u->len, &m, &e)
				      : sig_decode_m3ua(u->p, u->len, &m, &e);
	a->units++;
	struct verdict *v = &a->last;
	a->last_frame = u->frame;
	if (rc < 0) {
		a->malformed++;
		policy_eval_malformed(a->ctx, &m, &e, now, v);
	} else {
		a->decoded++;
		policy_eval(a->ctx, &m, now, v);
	}
	if (v->action != ACT_ALLOW)
		report(a, v, u);
	return 0;
}

int analyze_cap_cb(void *ud, const struct cap_unit *u) { return analyze_unit(ud, u); }

static int by_count_desc(const void *x, const void *y)
{
	const struct an_count *a = x, *b = y;
	if (a->n != b->n)
		return a->n < b->n ? 1 : -1;
	return strcmp(a->key, b->key);
}

static void top_list(FILE *f, const char *title, const struct an_count *t, uint64_t dropped, unsigned top)
{
	struct an_count *c = malloc(sizeof(*c) * AN_TOP_SLOTS);
	if (!c)
		return;
	unsigned n = 0;
	for (unsigned i = 0; i < AN_TOP_SLOTS; i++)
		if (t[i].n)
			c[n++] = t[i];
	qsort(c, n, sizeof(*c), by_count_desc);
	fprintf(f, "%s:%s\n", title, n ? "" : " none");
	for (unsigned i = 0; i < n && i < top; i++)
		fprintf(f, "  %-20s %llu\n", c[i].key, (unsigned long long)c[i].n);
	if (dropped)
		fprintf(f, "  (%llu more reports of keys beyond %u distinct ones not counted)\n",
			(unsigned long long)dropped, AN_TOP_SLOTS);
	free(c);
}

void analyze_summary(const struct analyzer *a, FILE *f, unsigned top)
{
	fprintf(f, "\n%llu messages, %llu did not decode; %llu blocked, %llu alerts\n",
		(unsigned long long)a->units, (unsigned long long)a->malformed, (unsigned long long)a->blocks,
		(unsigned long long)a->alerts);
	fprintf(f, "by rule:%s\n", a->blocks + a->alerts ? "" : " none");
	for (int r = RULE_CAT1; r < RULE_COUNT; r++)
		if (a->by_rule[r])
			fprintf(f, "  %-14s %llu\n", rule_name(r), (unsigned long long)a->by_rule[r]);
	top_list(f, "top source GTs", a->sources, a->sources_dropped, top);
	top_list(f, "top targeted subscribers", a->targets, a->targets_dropped, top);
}
