/* YAML configuration loader (libyaml document API). See docs/configuration.md. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#include "geo.h"

/* ---- shipped defaults ----------------------------------------------------- */

/* PROTOCOLS.md "MAP operations and their interconnect category" (GSMA FS.11). */
static const struct { uint8_t lo, hi, cat; } default_categories[] = {
	{2, 2, 3},     {3, 4, 2},     {5, 6, 1},     {7, 8, 2},     {9, 9, 1},     {10, 14, 3},
	{16, 16, 1},   {20, 22, 1},   {23, 23, 3},   {24, 24, 1},   {25, 42, 1},   {43, 43, 1},
	{50, 52, 1},   {55, 55, 1},   {56, 56, 3},   {58, 58, 1},   {59, 59, 3},   {60, 61, 2},
	{62, 62, 1},   {65, 65, 1},   {67, 67, 3},   {70, 70, 2},   {71, 72, 1},   {76, 81, 1},
	{83, 86, 1},   {109, 126, 1},
};

int policy_default_category(int op)
{
	for (size_t i = 0; i < sizeof(default_categories) / sizeof(default_categories[0]); i++)
		if (op >= default_categories[i].lo && op <= default_categories[i].hi)
			return default_categories[i].cat;
	return 0;
}

static void set_defaults(struct policy_config *c)
{
	for (int op = 0; op < 256; op++)
		c->op_cat[op] = (uint8_t)policy_default_category(op);
	static const struct { uint8_t action, answer, severity; } rd[RULE_COUNT] = {
		[RULE_CAT1] = {ACT_BLOCK, ANSWER_TCAP_ABORT, SEV_HIGH},
		[RULE_CAT2] = {ACT_BLOCK, ANSWER_TCAP_ABORT, SEV_HIGH},
		[RULE_CAT3] = {ACT_BLOCK, ANSWER_TCAP_ABORT, SEV_HIGH},
		[RULE_USSD_SPOOF] = {ACT_BLOCK, ANSWER_TCAP_ABORT, SEV_CRITICAL},
		[RULE_USSD_PHISH] = {ACT_BLOCK, ANSWER_TCAP_ABORT, SEV_CRITICAL},
		[RULE_INTERCEPT] = {ACT_BLOCK, ANSWER_TCAP_ABORT, SEV_CRITICAL},
		[RULE_CALLFWD] = {ACT_BLOCK, ANSWER_TCAP_ABORT, SEV_HIGH},
		[RULE_SIMJACKER] = {ACT_BLOCK, ANSWER_TCAP_ABORT, SEV_CRITICAL},
		[RULE_SMS_HOME] = {ACT_BLOCK, ANSWER_MAP_ERROR, SEV_MEDIUM},
		[RULE_ADDR] = {ACT_ALERT, ANSWER_TCAP_ABORT, SEV_MEDIUM},
		[RULE_TCAP] = {ACT_BLOCK, ANSWER_UDTS, SEV_MEDIUM},
		[RULE_CLI] = {ACT_ALERT, ANSWER_NONE, SEV_MEDIUM},
	};
	for (int r = 1; r < RULE_COUNT; r++) {
		c->rules[r].action = rd[r].action;
		c->rules[r].answer = rd[r].answer;
		c->rules[r].severity = rd[r].severity;
		c->rules[r].map_error = 34; /* systemFailure: the sender may retry, learns nothing */
	}
	c->mode = MODE_LEARNING;
	c->serving_match = MATCH_NETWORK;
	c->unseen_dialogue = ACT_ALLOW;
	c->max_speed_kmh = 1000.0;
	c->slack_km = 800.0; /* roaming across a border into a neighbour is no move */
	c->intercept_window_s = 600;
	c->callfwd_alert_foreign = true;
	c->sri_sm_source = (struct rate_limit){30, 60};
	c->sri_sm_target = (struct rate_limit){5, 60};
	c->addr_check_sms = true;
	c->cli_ni_mask = 1u << 0; /* NI 0: international network */
	c->max_subscribers = 1000000;
	c->subscriber_ttl_s = 30 * 86400;
	c->max_rate_keys = 100000;
	c->rate_ttl_s = 3600;
	c->max_dialogues = 100000;
	c->dialogue_timeout_s = 120;
	c->pseudo_len = 16;
	c->pseudo_imsi = c->pseudo_msisdn = true;
}

/* ---- walking the document ------------------------------------------------- */

struct walk {
	yaml_document_t *doc;
	const char *file;
	struct cfg_errors *errs;
	struct policy_config *cfg;
	bool home_seen, home_cc_seen, home_gt_seen, home_imsi_seen;
	const char *key_file, *key_env;
	yaml_node_t *pseudo_node;
	char key_file_buf[512], key_env_buf[128];
};

#define FIELD_MAX 160

static void cfg_err(struct walk *w, const yaml_node_t *n, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void cfg_err(struct walk *w, const yaml_node_t *n, const char *field, const char *fmt, ...)
{
	struct cfg_errors *e = w->errs;
	if (e->n >= CFG_MAX_ERRORS) {
		e->dropped++;
		return;
	}
	char *m = e->msg[e->n++];
	int k = snprintf(m, CFG_ERR_LEN, "%s:%lu: %s: ", w->file,
			 n ? (unsigned long)n->start_mark.line + 1 : 1ul, field);
	if (k < 0 || k >= CFG_ERR_LEN)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m + k, CFG_ERR_LEN - (size_t)k, fmt, ap);
	va_end(ap);
}

static yaml_node_t *node_at(struct walk *w, int idx) { return yaml_document_get_node(w->doc, idx); }

static const char *scalar(struct walk *w, yaml_node_t *n, const char *field)
{
	if (!n || n->type != YAML_SCALAR_NODE) {
		cfg_err(w, n, field, "expected a single value");
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static bool get_bool(struct walk *w, yaml_node_t *n, const char *field, bool *out)
{
	const char *s = scalar(w, n, field);
	if (!s)
		return false;
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on")) {
		*out = true;
		return true;
	}
	if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off")) {
		*out = false;
		return true;
	}
	cfg_err(w, n, field, "'%s' is not a boolean (true or false)", s);
	return false;
}

static bool parse_u64(const char *s, uint64_t *out, char **end)
{
	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, end, 10);
	if (errno)
		return false;
	*out = v;
	return true;
}

static bool get_uint(struct walk *w, yaml_node_t *n, const char *field, uint64_t min, uint64_t max,
		     uint64_t *out)
{
	const char *s = scalar(w, n, field);
	char *end;
	uint64_t v;
	if (!s)
		return false;
	if (!parse_u64(s, &v, &end) || *end) {
		cfg_err(w, n, field, "'%s' is not a whole number", s);
		return false;
	}
	if (v < min || v > max) {
		cfg_err(w, n, field, "%llu is out of range %llu..%llu", (unsigned long long)v,
			(unsigned long long)min, (unsigned long long)max);
		return false;
	}
	*out = v;
	return true;
}

static bool get_u32(struct walk *w, yaml_node_t *n, const char *field, uint32_t min, uint32_t max,
		    uint32_t *out)
{
	uint64_t v;
	if (!get_uint(w, n, field, min, max, &v))
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool get_double(struct walk *w, yaml_node_t *n, const char *field, double min, double max,
		       double *out)
{
	const char *s = scalar(w, n, field);
	if (!s)
		return false;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v)) {
		cfg_err(w, n, field, "'%s' is not a number", s);
		return false;
	}
	if (v < min || v > max) {
		cfg_err(w, n, field, "%g is out of range %g..%g", v, min, max);
		return false;
	}
	*out = v;
	return true;
}

/* Seconds as a number, or with a unit: 30s, 10m, 2h, 7d. */
static bool get_duration(struct walk *w, yaml_node_t *n, const char *field, uint32_t min_s,
			 uint32_t max_s, uint32_t *out)
{
	const char *s = scalar(w, n, field);
	char *end;
	uint64_t v;
	if (!s)
		return false;
	if (!parse_u64(s, &v, &end)) {
		cfg_err(w, n, field, "'%s' is not a duration (e.g. 90, 30s, 10m, 2h, 7d)", s);
		return false;
	}
	uint64_t mult = 1;
	if (*end) {
		switch (*end) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		default: mult = 0;
		}
		if (!mult || end[1]) {
			cfg_err(w, n, field, "'%s' is not a duration (e.g. 90, 30s, 10m, 2h, 7d)", s);
			return false;
		}
	}
	if (v > UINT32_MAX || v * mult < min_s || v * mult > max_s) {
		cfg_err(w, n, field, "%s is out of range %us..%us", s, min_s, max_s);
		return false;
	}
	*out = (uint32_t)(v * mult);
	return true;
}

static bool get_choice(struct walk *w, yaml_node_t *n, const char *field,
		       const struct value_string *vs, uint32_t *out)
{
	const char *s = scalar(w, n, field);
	if (!s)
		return false;
	if (!get_string_value(vs, s, out))
		return true;
	char allowed[128] = "";
	size_t k = 0;
	for (const struct value_string *v = vs; v->str && k < sizeof(allowed); v++)
		k += (size_t)snprintf(allowed + k, sizeof(allowed) - k, "%s%s", k ? ", " : "", v->str);
	cfg_err(w, n, field, "'%s' is not one of: %s", s, allowed);
	return false;
}

static bool get_text(struct walk *w, yaml_node_t *n, const char *field, char *out, size_t outsz)
{
	const char *s = scalar(w, n, field);
	if (!s)
		return false;
	size_t len = strlen(s);
	if (len == 0 || len >= outsz) {
		cfg_err(w, n, field, "must be 1 to %zu characters", outsz - 1);
		return false;
	}
	memcpy(out, s, len + 1);
	return true;
}

static bool get_digits(struct walk *w, yaml_node_t *n, const char *field, size_t minlen, size_t maxlen,
		       char *out, size_t outsz)
{
	const char *s = scalar(w, n, field);
	if (!s)
		return false;
	size_t len = strlen(s);
	if (len < minlen || len > maxlen || len >= outsz || strspn(s, "0123456789") != len) {
		cfg_err(w, n, field, "'%s' must be %zu to %zu decimal digits", s, minlen, maxlen);
		return false;
	}
	memcpy(out, s, len + 1);
	return true;
}

static void subfield(char *out, const char *field, const char *key)
{
	snprintf(out, FIELD_MAX, "%s%s%s", field, *field ? "." : "", key);
}

static void indexfield(char *out, const char *field, long i)
{
	snprintf(out, FIELD_MAX, "%s[%ld]", field, i);
}

typedef void (*item_fn)(struct walk *w, yaml_node_t *item, const char *field, long index, void *ud);

static void each_item(struct walk *w, yaml_node_t *n, const char *field, item_fn fn, void *ud)
{
	if (!n || n->type != YAML_SEQUENCE_NODE) {
		cfg_err(w, n, field, "expected a list");
		return;
	}
	long i = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++, i++) {
		char f[FIELD_MAX];
		indexfield(f, field, i);
		fn(w, node_at(w, *it), f, i, ud);
	}
}

static long seq_len(yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE
		       ? n->data.sequence.items.top - n->data.sequence.items.start
		       : 0;
}

typedef void (*key_fn)(struct walk *w, yaml_node_t *val, const char *field, void *ud);
struct key_spec {
	const char *key;
	key_fn fn;
};

/* Walk a mapping whose keys must all be in specs (at most 64), each at most once. */
static void walk_map(struct walk *w, yaml_node_t *n, const char *field, const struct key_spec *specs,
		     void *ud)
{
	if (!n || n->type != YAML_MAPPING_NODE) {
		cfg_err(w, n, field[0] ? field : "(top level)", "expected a mapping of keys to values");
		return;
	}
	uint64_t seen = 0;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(w, p->key), *v = node_at(w, p->value);
		const char *key = scalar(w, k, field[0] ? field : "(top level)");
		if (!key)
			continue;
		char f[FIELD_MAX];
		subfield(f, field, key);
		unsigned i = 0;
		while (specs[i].key && strcmp(specs[i].key, key))
			i++;
		if (!specs[i].key) {
			cfg_err(w, k, f, "unknown key");
			continue;
		}
		if (seen & (1ull << i)) {
			cfg_err(w, k, f, "given twice");
			continue;
		}
		seen |= 1ull << i;
		specs[i].fn(w, v, f, ud);
	}
}

/* ---- prefix lists ----------------------------------------------------------- */

struct prefix_ctx {
	struct digit_trie *trie;
	int32_t value;
	bool or_bits;
	size_t minlen, maxlen;
	const char *what; /* for "already assigned" errors: trie of networks */
};

static const char *net_name(const struct policy_config *c, int32_t net, char *buf, size_t sz)
{
	if (net == NET_HOME)
		return "the home network";
	if (net >= 1 && (unsigned)net <= c->n_partners) {
		snprintf(buf, sz, "partner '%s'", c->partners[net - 1].name);
		return buf;
	}
	return "another entry";
}

static void prefix_item(struct walk *w, yaml_node_t *n, const char *field, long i, void *ud)
{
	struct prefix_ctx *pc = ud;
	char d[DFS_DIGITS_MAX + 1];
	if (!get_digits(w, n, field, pc->minlen, pc->maxlen, d, sizeof(d)))
		return;
	int rc = pc->or_bits ? trie_or(pc->trie, d, pc->value) : trie_add(pc->trie, d, pc->value);
	if (rc == -EEXIST) {
		char buf[96];
		cfg_err(w, n, field, "prefix %s already belongs to %s", d,
			net_name(w->cfg, trie_exact(pc->trie, d), buf, sizeof(buf)));
	} else if (rc) {
		cfg_err(w, n, field, "cannot add prefix %s: %s", d, strerror(-rc));
	}
}

static void prefixes(struct walk *w, yaml_node_t *n, const char *field, struct digit_trie *t,
		     int32_t value, bool or_bits, size_t minlen, size_t maxlen)
{
	struct prefix_ctx pc = {t, value, or_bits, minlen, maxlen, NULL};
	each_item(w, n, field, prefix_item, &pc);
}

/* ---- home ------------------------------------------------------------------- */

static void home_cc(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	struct geo_index g;
	w->home_cc_seen = true;
	if (!get_digits(w, v, f, 1, 4, w->cfg->home_cc, sizeof(w->cfg->home_cc)))
		return;
	if (geo_index_init(&g) == 0) {
		int len;
		trie_lookup(&g.trie, w->cfg->home_cc, &len);
		if (len != (int)strlen(w->cfg->home_cc))
			cfg_err(w, v, f, "%s is not an E.164 country code", w->cfg->home_cc);
		geo_index_free(&g);
	}
}
static void home_gt(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	w->home_gt_seen = true;
	if (seq_len(v) == 0 && v && v->type == YAML_SEQUENCE_NODE)
		cfg_err(w, v, f, "needs at least one prefix");
	prefixes(w, v, f, &w->cfg->gt_net, NET_HOME, false, 1, 15);
}
static void home_imsi(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	w->home_imsi_seen = true;
	if (seq_len(v) == 0 && v && v->type == YAML_SEQUENCE_NODE)
		cfg_err(w, v, f, "needs at least one prefix");
	prefixes(w, v, f, &w->cfg->imsi_net, NET_HOME, false, 1, 15);
}
static void home_msisdn(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	prefixes(w, v, f, &w->cfg->home_msisdn, 0, false, 1, 15);
}

static void mgt_imsi(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	struct mgt_map *m = ud;
	get_digits(w, v, f, 5, 6, m->imsi_prefix, sizeof(m->imsi_prefix));
}
static void mgt_prefix(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	struct mgt_map *m = ud;
	get_digits(w, v, f, 2, 8, m->mgt_prefix, sizeof(m->mgt_prefix));
}
static void mgt_item(struct walk *w, yaml_node_t *n, const char *field, long i, void *ud)
{
	static const struct key_spec keys[] = {{"imsi_prefix", mgt_imsi}, {"mgt_prefix", mgt_prefix}, {0}};
	struct policy_config *c = w->cfg;
	struct mgt_map *m = &c->mgt_maps[i];
	walk_map(w, n, field, keys, m);
	if (!m->imsi_prefix[0] || !m->mgt_prefix[0]) {
		cfg_err(w, n, field, "needs both imsi_prefix and mgt_prefix");
		return;
	}
	if (trie_add(&c->mgt, m->imsi_prefix, (int32_t)i))
		cfg_err(w, n, field, "imsi_prefix %s is given twice", m->imsi_prefix);
	c->n_mgt = (unsigned)i + 1;
}
static void home_mgt(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	long n = seq_len(v);
	free(w->cfg->mgt_maps);
	w->cfg->mgt_maps = calloc(n ? (size_t)n : 1, sizeof(struct mgt_map));
	if (!w->cfg->mgt_maps) {
		cfg_err(w, v, f, "out of memory");
		return;
	}
	each_item(w, v, f, mgt_item, NULL);
}

static void sec_operator(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_text(w, v, f, w->cfg->operator_name, sizeof(w->cfg->operator_name));
}

static void sec_home(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	static const struct key_spec keys[] = {
		{"country_code", home_cc},     {"gt_prefixes", home_gt},
		{"imsi_prefixes", home_imsi},  {"msisdn_prefixes", home_msisdn},
		{"mgt", home_mgt},             {0},
	};
	w->home_seen = true;
	walk_map(w, v, f, keys, NULL);
	if (!w->home_cc_seen)
		cfg_err(w, v, f, "country_code is required");
	if (!w->home_gt_seen)
		cfg_err(w, v, f, "gt_prefixes is required");
	if (!w->home_imsi_seen)
		cfg_err(w, v, f, "imsi_prefixes is required");
}

/* ---- nodes ------------------------------------------------------------------ */

static void role_list(struct walk *w, yaml_node_t *v, const char *f, int32_t role)
{
	prefixes(w, v, f, &w->cfg->roles, role, true, 1, 15);
}
static void node_hlr(struct walk *w, yaml_node_t *v, const char *f, void *ud) { role_list(w, v, f, ROLE_HLR); }
static void node_msc(struct walk *w, yaml_node_t *v, const char *f, void *ud) { role_list(w, v, f, ROLE_MSC); }
static void node_vlr(struct walk *w, yaml_node_t *v, const char *f, void *ud) { role_list(w, v, f, ROLE_VLR); }
static void node_sgsn(struct walk *w, yaml_node_t *v, const char *f, void *ud) { role_list(w, v, f, ROLE_SGSN); }
static void node_smsc(struct walk *w, yaml_node_t *v, const char *f, void *ud) { role_list(w, v, f, ROLE_SMSC); }
static void node_ussd(struct walk *w, yaml_node_t *v, const char *f, void *ud) { role_list(w, v, f, ROLE_USSD_GW); }
static void node_scf(struct walk *w, yaml_node_t *v, const char *f, void *ud) { role_list(w, v, f, ROLE_GSMSCF); }
static void ota_smsc(struct walk *w, yaml_node_t *v, const char *f, void *ud) { role_list(w, v, f, ROLE_OTA_SMSC); }
static void ota_oa(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	prefixes(w, v, f, &w->cfg->ota_oa, 0, false, 1, 20);
}
static void node_ota(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	static const struct key_spec keys[] = {{"smsc", ota_smsc}, {"originators", ota_oa}, {0}};
	walk_map(w, v, f, keys, NULL);
}

static void sec_nodes(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	static const struct key_spec keys[] = {
		{"hlr", node_hlr},   {"msc", node_msc},   {"vlr", node_vlr},
		{"sgsn", node_sgsn}, {"smsc", node_smsc}, {"ussd_gateway", node_ussd},
		{"gsmscf", node_scf}, {"ota", node_ota},  {0},
	};
	walk_map(w, v, f, keys, NULL);
}

/* ---- partners --------------------------------------------------------------- */

struct partner_walk {
	unsigned idx;
	bool name, country, gt;
};

static void p_name(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	struct partner_walk *pw = ud;
	struct policy_config *c = w->cfg;
	if (!get_text(w, v, f, c->partners[pw->idx].name, PARTNER_NAME_MAX))
		return;
	pw->name = true;
	for (unsigned i = 0; i < pw->idx; i++)
		if (!strcmp(c->partners[i].name, c->partners[pw->idx].name))
			cfg_err(w, v, f, "partner '%s' is defined twice", c->partners[i].name);
}
static void p_country(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	struct partner_walk *pw = ud;
	char *cc = w->cfg->partners[pw->idx].country;
	if (!get_digits(w, v, f, 1, 4, cc, sizeof(w->cfg->partners[0].country)))
		return;
	struct geo_index g;
	if (geo_index_init(&g) == 0) {
		int len;
		trie_lookup(&g.trie, cc, &len);
		if (len != (int)strlen(cc))
			cfg_err(w, v, f, "%s is not an E.164 country code", cc);
		geo_index_free(&g);
	}
	pw->country = true;
}
static void p_gt(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	struct partner_walk *pw = ud;
	pw->gt = seq_len(v) > 0;
	prefixes(w, v, f, &w->cfg->gt_net, NET_PARTNER((int32_t)pw->idx), false, 1, 15);
}
static void p_imsi(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	struct partner_walk *pw = ud;
	prefixes(w, v, f, &w->cfg->imsi_net, NET_PARTNER((int32_t)pw->idx), false, 1, 15);
}
static void p_hub(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	struct partner_walk *pw = ud;
	get_bool(w, v, f, &w->cfg->partners[pw->idx].hub);
}

/* An operation list item: a number, or a range "lo-hi". Calls set(op) for each. */
static bool op_range(struct walk *w, yaml_node_t *n, const char *field, unsigned *lo, unsigned *hi)
{
	const char *s = scalar(w, n, field);
	char *end;
	uint64_t a, b;
	if (!s)
		return false;
	if (!parse_u64(s, &a, &end))
		goto bad;
	b = a;
	if (*end == '-' && !parse_u64(end + 1, &b, &end))
		goto bad;
	if (*end)
		goto bad;
	if (a > 255 || b > 255 || a > b) {
		cfg_err(w, n, field, "operation range %s must lie within 0..255, low to high", s);
		return false;
	}
	*lo = (unsigned)a;
	*hi = (unsigned)b;
	return true;
bad:
	cfg_err(w, n, field, "'%s' is not an operation code or a range like 25-42", s);
	return false;
}

static void allow_op_item(struct walk *w, yaml_node_t *n, const char *field, long i, void *ud)
{
	uint8_t *bits = ud;
	unsigned lo, hi;
	if (!op_range(w, n, field, &lo, &hi))
		return;
	for (unsigned op = lo; op <= hi; op++)
		bits[op / 8] |= (uint8_t)(1u << (op % 8));
}
static void p_allow_ops(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	struct partner_walk *pw = ud;
	each_item(w, v, f, allow_op_item, w->cfg->partners[pw->idx].allow_ops);
}

static void partner_item(struct walk *w, yaml_node_t *n, const char *field, long i, void *ud)
{
	static const struct key_spec keys[] = {
		{"name", p_name},         {"country", p_country}, {"gt_prefixes", p_gt},
		{"imsi_prefixes", p_imsi}, {"allow_ops", p_allow_ops}, {"hub", p_hub},
		{0},
	};
	struct partner_walk pw = {.idx = (unsigned)i};
	w->cfg->n_partners = (unsigned)i + 1;
	walk_map(w, n, field, keys, &pw);
	if (n && n->type == YAML_MAPPING_NODE) {
		if (!pw.name)
			cfg_err(w, n, field, "name is required");
		if (!pw.country)
			cfg_err(w, n, field, "country is required");
		if (!pw.gt)
			cfg_err(w, n, field, "gt_prefixes needs at least one prefix");
	}
}

static void sec_partners(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	long n = seq_len(v);
	w->cfg->partners = calloc(n ? (size_t)n : 1, sizeof(struct partner_cfg));
	if (!w->cfg->partners) {
		cfg_err(w, v, f, "out of memory");
		return;
	}
	each_item(w, v, f, partner_item, NULL);
}

/* ---- categories --------------------------------------------------------------- */

struct cat_walk {
	uint8_t cat;
	uint8_t given[256]; /* category an op was listed under in this file, 0 none */
};

static void cat_item(struct walk *w, yaml_node_t *n, const char *field, long i, void *ud)
{
	struct cat_walk *cw = ud;
	unsigned lo, hi;
	if (!op_range(w, n, field, &lo, &hi))
		return;
	for (unsigned op = lo; op <= hi; op++) {
		if (cw->given[op] && cw->given[op] != cw->cat) {
			cfg_err(w, n, field, "operation %u is already in category %u", op, cw->given[op]);
			return;
		}
		cw->given[op] = cw->cat;
		w->cfg->op_cat[op] = cw->cat;
	}
}
static void cat_list(struct walk *w, yaml_node_t *v, const char *f, struct cat_walk *cw, uint8_t cat)
{
	/* A list replaces the shipped default of its category. */
	for (int op = 0; op < 256; op++)
		if (w->cfg->op_cat[op] == cat && cw->given[op] == 0)
			w->cfg->op_cat[op] = 0;
	cw->cat = cat;
	each_item(w, v, f, cat_item, cw);
}
static void cat1(struct walk *w, yaml_node_t *v, const char *f, void *ud) { cat_list(w, v, f, ud, 1); }
static void cat2(struct walk *w, yaml_node_t *v, const char *f, void *ud) { cat_list(w, v, f, ud, 2); }
static void cat3(struct walk *w, yaml_node_t *v, const char *f, void *ud) { cat_list(w, v, f, ud, 3); }

static void sec_categories(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	static const struct key_spec keys[] = {{"1", cat1}, {"2", cat2}, {"3", cat3}, {0}};
	struct cat_walk cw;
	memset(&cw, 0, sizeof(cw));
	walk_map(w, v, f, keys, &cw);
}

/* ---- policy ------------------------------------------------------------------- */

static const struct value_string mode_names[] = {{MODE_LEARNING, "learning"}, {MODE_STRICT, "strict"}, {0, NULL}};
static const struct value_string match_names[] = {{MATCH_NETWORK, "network"}, {MATCH_NODE, "node"}, {0, NULL}};

static void pol_mode(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	uint32_t m;
	if (get_choice(w, v, f, mode_names, &m))
		w->cfg->mode = (enum policy_mode)m;
}
static void pol_monitor(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_bool(w, v, f, &w->cfg->monitor);
}
static void pol_speed(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_double(w, v, f, 10, 20000, &w->cfg->max_speed_kmh);
}
static void pol_slack(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_double(w, v, f, 0, 5000, &w->cfg->slack_km);
}
static void pol_match(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	uint32_t m;
	if (get_choice(w, v, f, match_names, &m))
		w->cfg->serving_match = (enum serving_match)m;
}
static void pol_unseen(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	uint32_t a;
	if (get_choice(w, v, f, verdict_action_names, &a))
		w->cfg->unseen_dialogue = (uint8_t)a;
}

static void sec_policy(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	static const struct key_spec keys[] = {
		{"mode", pol_mode},
		{"monitor", pol_monitor},
		{"max_travel_speed_kmh", pol_speed},
		{"travel_slack_km", pol_slack},
		{"serving_match", pol_match},
		{"unseen_dialogue", pol_unseen},
		{0},
	};
	walk_map(w, v, f, keys, NULL);
}

/* ---- rules -------------------------------------------------------------------- */

struct rule_walk {
	enum rule_id id;
};

static struct rule_cfg *rule_of(struct walk *w, void *ud) { return &w->cfg->rules[((struct rule_walk *)ud)->id]; }

static void r_action(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	uint32_t a;
	if (get_choice(w, v, f, verdict_action_names, &a)) {
		rule_of(w, ud)->action = (uint8_t)a;
		rule_of(w, ud)->action_set = true;
	}
}
static void r_answer(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	uint32_t a;
	if (get_choice(w, v, f, answer_kind_names, &a))
		rule_of(w, ud)->answer = (uint8_t)a;
}
static void r_severity(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	uint32_t s;
	if (get_choice(w, v, f, severity_names, &s))
		rule_of(w, ud)->severity = (uint8_t)s;
}
static void r_map_error(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	uint32_t e;
	if (get_u32(w, v, f, 1, 255, &e))
		rule_of(w, ud)->map_error = (uint16_t)e;
}

/* Rule-specific keys: each names the rule it belongs to. */
static bool only_for(struct walk *w, yaml_node_t *v, const char *f, void *ud, enum rule_id r)
{
	if (((struct rule_walk *)ud)->id == r)
		return true;
	cfg_err(w, v, f, "unknown key (only %s has it)", rule_name(r));
	return false;
}
static void r_window(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	if (only_for(w, v, f, ud, RULE_INTERCEPT))
		get_duration(w, v, f, 1, 86400, &w->cfg->intercept_window_s);
}
static void r_foreign_fwd(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	if (only_for(w, v, f, ud, RULE_CALLFWD))
		get_bool(w, v, f, &w->cfg->callfwd_alert_foreign);
}
static void rl_count(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_u32(w, v, f, 0, 1000000, &((struct rate_limit *)ud)->count);
}
static void rl_per(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_duration(w, v, f, 1, 86400, &((struct rate_limit *)ud)->per_s);
}
static void rate_limit_map(struct walk *w, yaml_node_t *v, const char *f, struct rate_limit *rl)
{
	static const struct key_spec keys[] = {{"count", rl_count}, {"per", rl_per}, {0}};
	walk_map(w, v, f, keys, rl);
}
static void r_per_source(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	if (only_for(w, v, f, ud, RULE_SMS_HOME))
		rate_limit_map(w, v, f, &w->cfg->sri_sm_source);
}
static void r_per_target(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	if (only_for(w, v, f, ud, RULE_SMS_HOME))
		rate_limit_map(w, v, f, &w->cfg->sri_sm_target);
}
static void r_check_sms(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	if (only_for(w, v, f, ud, RULE_ADDR))
		get_bool(w, v, f, &w->cfg->addr_check_sms);
}
static void ni_item(struct walk *w, yaml_node_t *n, const char *field, long i, void *ud)
{
	uint32_t ni;
	if (get_u32(w, n, field, 0, 3, &ni))
		w->cfg->cli_ni_mask |= (uint8_t)(1u << ni);
}
static void r_int_ni(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	if (!only_for(w, v, f, ud, RULE_CLI))
		return;
	w->cfg->cli_ni_mask = 0;
	each_item(w, v, f, ni_item, NULL);
}
static void opc_item(struct walk *w, yaml_node_t *n, const char *field, long i, void *ud)
{
	struct policy_config *c = w->cfg;
	uint32_t pc;
	if (c->n_cli_opc >= CLI_MAX_OPC) {
		cfg_err(w, n, field, "at most %d point codes", CLI_MAX_OPC);
		return;
	}
	if (get_u32(w, n, field, 0, 0xffffff, &pc))
		c->cli_opc[c->n_cli_opc++] = pc;
}
static void r_int_opc(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	if (only_for(w, v, f, ud, RULE_CLI))
		each_item(w, v, f, opc_item, NULL);
}
static void r_protected(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	if (only_for(w, v, f, ud, RULE_CLI))
		prefixes(w, v, f, &w->cfg->cli_protected, 0, false, 3, 15);
}

static void rule_entry(struct walk *w, yaml_node_t *v, const char *f, enum rule_id id)
{
	static const struct key_spec keys[] = {
		{"action", r_action},
		{"answer", r_answer},
		{"severity", r_severity},
		{"map_error", r_map_error},
		{"window", r_window},
		{"alert_foreign_forwarding", r_foreign_fwd},
		{"per_source", r_per_source},
		{"per_target", r_per_target},
		{"check_sms_centre", r_check_sms},
		{"international_ni", r_int_ni},
		{"international_opc", r_int_opc},
		{"protected_numbers", r_protected},
		{0},
	};
	struct rule_walk rw = {id};
	walk_map(w, v, f, keys, &rw);
}

static void sec_rules(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	if (!v || v->type != YAML_MAPPING_NODE) {
		cfg_err(w, v, f, "expected a mapping of rule ids to settings");
		return;
	}
	bool seen[RULE_COUNT] = {false};
	for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(w, p->key);
		const char *key = scalar(w, k, f);
		if (!key)
			continue;
		char kf[FIELD_MAX];
		subfield(kf, f, key);
		enum rule_id id = rule_by_name(key);
		if (id == RULE_NONE) {
			cfg_err(w, k, kf, "unknown rule id (see docs/rules.md)");
			continue;
		}
		if (seen[id]) {
			cfg_err(w, k, kf, "given twice");
			continue;
		}
		seen[id] = true;
		rule_entry(w, node_at(w, p->value), kf, id);
	}
}

/* ---- state, dialogues, pseudonymisation, links -------------------------------- */

static void st_max_subs(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_u32(w, v, f, 16, 100000000, &w->cfg->max_subscribers);
}
static void st_sub_ttl(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_duration(w, v, f, 60, 365 * 86400, &w->cfg->subscriber_ttl_s);
}
static void st_max_rate(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_u32(w, v, f, 16, 10000000, &w->cfg->max_rate_keys);
}
static void st_rate_ttl(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_duration(w, v, f, 1, 7 * 86400, &w->cfg->rate_ttl_s);
}
static void st_backend(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	const char *s = scalar(w, v, f);
	if (s && !strcmp(s, "memory"))
		w->cfg->state_backend = SUB_STATE_MEMORY;
	else if (s && !strcmp(s, "redis"))
		w->cfg->state_backend = SUB_STATE_REDIS;
	else if (s)
		cfg_err(w, v, f, "'%s' is not one of: memory, redis", s);
}
static void rd_address(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	struct sub_state_redis_cfg *r = &w->cfg->redis;
	char host[256];
	int port;
	if (get_text(w, v, f, r->address, sizeof(r->address)) &&
	    sub_state_redis_address(r->address, host, sizeof(host), &port))
		cfg_err(w, v, f, "'%s' is not HOST:PORT, [IPV6]:PORT or unix:/PATH", r->address);
}
static void rd_prefix(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	struct sub_state_redis_cfg *r = &w->cfg->redis;
	if (get_text(w, v, f, r->prefix, sizeof(r->prefix)) && strpbrk(r->prefix, " \t\r\n"))
		cfg_err(w, v, f, "must not contain white space");
}
static void rd_timeout(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_u32(w, v, f, 1, 10000, &w->cfg->redis.timeout_ms);
}
static void rd_reconnect(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_u32(w, v, f, 1, 60000, &w->cfg->redis.reconnect_ms);
}
static void rd_cache_ms(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_u32(w, v, f, 0, 60000, &w->cfg->redis.cache_ms);
}
static void rd_cache_entries(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_u32(w, v, f, 16, 10000000, &w->cfg->redis.cache_entries);
}
static void rd_password_file(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	struct sub_state_redis_cfg *r = &w->cfg->redis;
	if (get_text(w, v, f, r->password_file, sizeof(r->password_file)) && access(r->password_file, R_OK))
		cfg_err(w, v, f, "cannot read %s: %s", r->password_file, strerror(errno));
}
static void st_redis(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	static const struct key_spec keys[] = {
		{"address", rd_address},       {"prefix", rd_prefix},
		{"timeout_ms", rd_timeout},    {"reconnect_ms", rd_reconnect},
		{"password_file", rd_password_file}, {"cache_ms", rd_cache_ms},
		{"cache_entries", rd_cache_entries}, {0},
	};
	*(yaml_node_t **)ud = v;
	walk_map(w, v, f, keys, NULL);
}
static void sec_state(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	static const struct key_spec keys[] = {
		{"max_subscribers", st_max_subs}, {"subscriber_ttl", st_sub_ttl},
		{"max_rate_keys", st_max_rate},   {"rate_ttl", st_rate_ttl},
		{"backend", st_backend},          {"redis", st_redis},
		{0},
	};
	yaml_node_t *redis = NULL;
	walk_map(w, v, f, keys, &redis);
	if (redis && w->cfg->state_backend != SUB_STATE_REDIS)
		cfg_err(w, redis, "state.redis", "given, but state.backend is not redis");
}

static void dl_max(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_u32(w, v, f, 16, 10000000, &w->cfg->max_dialogues);
}
static void dl_timeout(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_duration(w, v, f, 1, 3600, &w->cfg->dialogue_timeout_s);
}
static void sec_dialogues(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	static const struct key_spec keys[] = {{"max", dl_max}, {"timeout", dl_timeout}, {0}};
	walk_map(w, v, f, keys, NULL);
}

static void ps_enabled(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	get_bool(w, v, f, &w->cfg->pseudo_enabled);
}
static void ps_key_file(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	if (get_text(w, v, f, w->key_file_buf, sizeof(w->key_file_buf)))
		w->key_file = w->key_file_buf;
}
static void ps_key_env(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	if (get_text(w, v, f, w->key_env_buf, sizeof(w->key_env_buf)))
		w->key_env = w->key_env_buf;
}
static void ps_length(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	uint32_t n;
	if (get_u32(w, v, f, 8, 64, &n))
		w->cfg->pseudo_len = (uint8_t)n;
}
static void ps_field_item(struct walk *w, yaml_node_t *n, const char *field, long i, void *ud)
{
	const char *s = scalar(w, n, field);
	if (!s)
		return;
	if (!strcmp(s, "imsi"))
		w->cfg->pseudo_imsi = true;
	else if (!strcmp(s, "msisdn"))
		w->cfg->pseudo_msisdn = true;
	else if (!strcmp(s, "gt"))
		w->cfg->pseudo_gt = true;
	else
		cfg_err(w, n, field, "'%s' is not one of: imsi, msisdn, gt", s);
}
static void ps_fields(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	w->cfg->pseudo_imsi = w->cfg->pseudo_msisdn = w->cfg->pseudo_gt = false;
	each_item(w, v, f, ps_field_item, NULL);
}

static void sec_pseudo(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	static const struct key_spec keys[] = {
		{"enabled", ps_enabled}, {"key_file", ps_key_file}, {"key_env", ps_key_env},
		{"length", ps_length},   {"fields", ps_fields},     {0},
	};
	w->pseudo_node = v;
	walk_map(w, v, f, keys, NULL);
}

static void sec_links(struct walk *w, yaml_node_t *v, const char *f, void *ud)
{
	/* Owned by the firewall daemon, which validates it; here it only has to be YAML. */
	w->cfg->has_links = true;
	w->cfg->links_line = v ? (unsigned)v->start_mark.line + 1 : 0;
}

/* The key: a file's bytes or an environment variable's value, trailing white space removed. */
static void load_pseudo_key(struct walk *w)
{
	struct policy_config *c = w->cfg;
	const char *field = "pseudonymisation";
	if (!c->pseudo_enabled)
		return;
	if (!!w->key_file == !!w->key_env) {
		cfg_err(w, w->pseudo_node, field, "give exactly one of key_file and key_env");
		return;
	}
	uint8_t buf[PSEUDO_KEY_MAX + 2];
	size_t n = 0;
	if (w->key_file) {
		FILE *fp = fopen(w->key_file, "rb");
		if (!fp) {
			cfg_err(w, w->pseudo_node, "pseudonymisation.key_file", "cannot open %s: %s",
				w->key_file, strerror(errno));
			return;
		}
		n = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
	} else {
		const char *s = getenv(w->key_env);
		if (!s) {
			cfg_err(w, w->pseudo_node, "pseudonymisation.key_env",
				"environment variable %s is not set", w->key_env);
			return;
		}
		n = strlen(s);
		if (n > sizeof(buf))
			n = sizeof(buf);
		memcpy(buf, s, n);
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	if (n < 16 || n > PSEUDO_KEY_MAX) {
		cfg_err(w, w->pseudo_node, field, "the key must be 16 to %d bytes long", PSEUDO_KEY_MAX);
	} else {
		memcpy(c->pseudo_key, buf, n);
		c->pseudo_key_len = n;
	}
	memset(buf, 0, sizeof(buf));
}

/* ---- entry points --------------------------------------------------------------- */

static void walk_document(struct walk *w)
{
	static const struct key_spec keys[] = {
		{"operator", sec_operator},
		{"home", sec_home},
		{"nodes", sec_nodes},
		{"partners", sec_partners},
		{"categories", sec_categories},
		{"policy", sec_policy},
		{"rules", sec_rules},
		{"state", sec_state},
		{"dialogues", sec_dialogues},
		{"pseudonymisation", sec_pseudo},
		{"links", sec_links},
		{0},
	};
	yaml_node_t *root = yaml_document_get_root_node(w->doc);
	if (!root) {
		cfg_err(w, NULL, "(top level)", "the file is empty");
		return;
	}
	walk_map(w, root, "", keys, NULL);
	if (!w->home_seen)
		cfg_err(w, root, "home", "is required");
	load_pseudo_key(w);
}

void policy_config_free(struct policy_config *c)
{
	if (!c)
		return;
	trie_free(&c->gt_net);
	trie_free(&c->imsi_net);
	trie_free(&c->home_msisdn);
	trie_free(&c->roles);
	trie_free(&c->ota_oa);
	trie_free(&c->mgt);
	trie_free(&c->cli_protected);
	free(c->mgt_maps);
	free(c->partners);
	memset(c->pseudo_key, 0, sizeof(c->pseudo_key));
	free(c);
}

struct policy_config *policy_config_parse(const char *name, const char *text, size_t len,
					  struct cfg_errors *errs)
{
	memset(errs, 0, sizeof(*errs));
	struct policy_config *c = calloc(1, sizeof(*c));
	struct walk w = {.file = name, .errs = errs, .cfg = c};
	if (!c) {
		cfg_err(&w, NULL, "(top level)", "out of memory");
		return NULL;
	}
	snprintf(c->file, sizeof(c->file), "%s", name);
	set_defaults(c);

	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser)) {
		cfg_err(&w, NULL, "(top level)", "cannot initialise the YAML parser");
		policy_config_free(c);
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		struct cfg_errors *e = errs;
		if (e->n < CFG_MAX_ERRORS)
			snprintf(e->msg[e->n++], CFG_ERR_LEN, "%s:%lu: yaml: %s%s%s", name,
				 (unsigned long)parser.problem_mark.line + 1,
				 parser.problem ? parser.problem : "syntax error",
				 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		policy_config_free(c);
		return NULL;
	}
	w.doc = &doc;
	walk_document(&w);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (errs->n) {
		policy_config_free(c);
		return NULL;
	}
	return c;
}

struct policy_config *policy_config_load(const char *path, struct cfg_errors *errs)
{
	memset(errs, 0, sizeof(*errs));
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		snprintf(errs->msg[errs->n++], CFG_ERR_LEN, "%s:0: (file): cannot open: %s", path,
			 strerror(errno));
		return NULL;
	}
	size_t cap = 1 << 16, len = 0;
	char *text = malloc(cap);
	while (text) {
		size_t k = fread(text + len, 1, cap - len, fp);
		len += k;
		if (len < cap)
			break;
		if (cap >= (16u << 20)) {
			free(text);
			text = NULL;
			fclose(fp);
			snprintf(errs->msg[errs->n++], CFG_ERR_LEN, "%s:0: (file): larger than 16 MiB", path);
			return NULL;
		}
		char *t = realloc(text, cap * 2);
		if (!t) {
			free(text);
			text = NULL;
			break;
		}
		text = t;
		cap *= 2;
	}
	bool rerr = ferror(fp);
	fclose(fp);
	if (!text || rerr) {
		free(text);
		snprintf(errs->msg[errs->n++], CFG_ERR_LEN, "%s:0: (file): cannot read", path);
		return NULL;
	}
	struct policy_config *c = policy_config_parse(path, text, len, errs);
	free(text);
	return c;
}

struct policy_config *policy_config_load_report(const char *path, FILE *f)
{
	struct cfg_errors *errs = malloc(sizeof(*errs));
	if (!errs) {
		fprintf(f, "%s: out of memory\n", path);
		return NULL;
	}
	struct policy_config *c = policy_config_load(path, errs);
	for (unsigned i = 0; !c && i < errs->n; i++)
		fprintf(f, "%s\n", errs->msg[i]);
	if (!c && errs->dropped)
		fprintf(f, "%s: %u more errors not shown\n", path, errs->dropped);
	free(errs);
	return c;
}
