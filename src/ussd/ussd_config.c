/* YAML configuration of the USSD gateway, see ussd_config.h and docs/ussd.md. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <yaml.h>

#include "ussd_config.h"
#include "transport.h"

#include "ota_keystore.h"
#include "simswap.h"

struct ycx {
	const char *file;
	yaml_document_t *d;
	char *err;
	size_t errsz;
};

static int yerr(struct ycx *cx, const yaml_node_t *n, const char *field, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(cx->err, cx->errsz, "%s:%zu: %s: %s", cx->file, n ? n->start_mark.line + 1 : 1,
		 field, msg);
	return -EINVAL;
}

static yaml_node_t *yget(struct ycx *cx, const yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(cx->d, p->key);
		if (k->type == YAML_SCALAR_NODE && !strcmp((char *)k->data.scalar.value, key))
			return yaml_document_get_node(cx->d, p->value);
	}
	return NULL;
}

/* Every key of map must be in allowed (NULL-terminated). */
static int ykeys(struct ycx *cx, const yaml_node_t *map, const char *path,
		 const char *const *allowed)
{
	if (map->type != YAML_MAPPING_NODE)
		return yerr(cx, map, path, "want a mapping");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(cx->d, p->key);
		if (k->type != YAML_SCALAR_NODE)
			return yerr(cx, k, path, "keys must be names");
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = !strcmp(*a, (char *)k->data.scalar.value);
		if (!ok)
			return yerr(cx, k, path, "unknown key '%s'", (char *)k->data.scalar.value);
	}
	return 0;
}

static int ystr(struct ycx *cx, const yaml_node_t *map, const char *key, const char *path,
		char *out, size_t outsz)
{
	yaml_node_t *v = yget(cx, map, key);
	char field[128];
	snprintf(field, sizeof(field), "%s.%s", path, key);
	if (!v)
		return 0;
	if (v->type != YAML_SCALAR_NODE)
		return yerr(cx, v, field, "want a string");
	if (v->data.scalar.length >= outsz)
		return yerr(cx, v, field, "longer than %zu characters", outsz - 1);
	memcpy(out, v->data.scalar.value, v->data.scalar.length + 1);
	return 0;
}

static int yint(struct ycx *cx, const yaml_node_t *map, const char *key, const char *path,
		int64_t min, int64_t max, int64_t *out)
{
	yaml_node_t *v = yget(cx, map, key);
	char field[128];
	snprintf(field, sizeof(field), "%s.%s", path, key);
	if (!v)
		return 0;
	char *end;
	const char *s = (const char *)(v->type == YAML_SCALAR_NODE ? v->data.scalar.value : NULL);
	if (!s || !*s)
		return yerr(cx, v, field, "want an integer");
	errno = 0;
	long long n = strtoll(s, &end, 10);
	if (errno || *end)
		return yerr(cx, v, field, "want an integer, got '%s'", s);
	if (n < min || n > max)
		return yerr(cx, v, field, "want %" PRId64 "..%" PRId64 ", got %lld", min, max, n);
	*out = n;
	return 0;
}

static int yuint(struct ycx *cx, const yaml_node_t *map, const char *key, const char *path,
		 int64_t min, int64_t max, unsigned *out)
{
	int64_t v = *out;
	int rc = yint(cx, map, key, path, min, max, &v);
	*out = (unsigned)v;
	return rc;
}

static int ybool(struct ycx *cx, const yaml_node_t *map, const char *key, const char *path,
		 bool *out)
{
	yaml_node_t *v = yget(cx, map, key);
	char field[128];
	snprintf(field, sizeof(field), "%s.%s", path, key);
	if (!v)
		return 0;
	const char *s = v->type == YAML_SCALAR_NODE ? (const char *)v->data.scalar.value : "";
	if (!strcmp(s, "true") || !strcmp(s, "yes"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no"))
		*out = false;
	else
		return yerr(cx, v, field, "want true or false");
	return 0;
}

/* A secret file: the whole content, less one trailing newline. */
static int ysecret(struct ycx *cx, const yaml_node_t *map, const char *key, const char *path,
		   uint8_t *out, size_t outsz, size_t minlen, size_t *len)
{
	char file[USSD_PATH_MAX] = "";
	int rc = ystr(cx, map, key, path, file, sizeof(file));
	if (rc || !file[0])
		return rc;
	yaml_node_t *v = yget(cx, map, key);
	char field[128];
	snprintf(field, sizeof(field), "%s.%s", path, key);
	FILE *f = fopen(file, "rb");
	if (!f)
		return yerr(cx, v, field, "%s: %s", file, strerror(errno));
	size_t n = fread(out, 1, outsz, f);
	bool more = fgetc(f) != EOF;
	fclose(f);
	if (n && out[n - 1] == '\n')
		n--;
	if (n && out[n - 1] == '\r')
		n--;
	if (more || n >= outsz)
		return yerr(cx, v, field, "secret longer than %zu bytes", outsz - 1);
	if (n < minlen)
		return yerr(cx, v, field, "secret shorter than %zu bytes", minlen);
	*len = n;
	return 0;
}

static int ytoken(struct ycx *cx, const yaml_node_t *map, const char *key, const char *path,
		  char *out, size_t outsz)
{
	size_t n = 0;
	int rc = ysecret(cx, map, key, path, (uint8_t *)out, outsz - 1, 16, &n);
	if (rc)
		return rc;
	out[n] = 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)out[i] <= 0x20 || (unsigned char)out[i] >= 0x7f)
			return yerr(cx, yget(cx, map, key), key, "token must be printable ASCII");
	return 0;
}

/* A fee table: a sequence of {upto, fee} in major units, ascending. */
static int yfees(struct ycx *cx, const yaml_node_t *seq, const char *path,
		 struct gw_fee_tier *tiers, unsigned *n, int64_t unit)
{
	if (!seq)
		return 0;
	if (seq->type != YAML_SEQUENCE_NODE)
		return yerr(cx, seq, path, "want a list of {upto, fee}");
	*n = 0;
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		yaml_node_t *t = yaml_document_get_node(cx->d, *it);
		static const char *const keys[] = {"upto", "fee", NULL};
		int64_t upto = -1, fee = -1;
		int rc;
		if ((rc = ykeys(cx, t, path, keys)) ||
		    (rc = yint(cx, t, "upto", path, 1, 1000000000000, &upto)) ||
		    (rc = yint(cx, t, "fee", path, 0, 1000000000, &fee)))
			return rc;
		if (upto < 0 || fee < 0)
			return yerr(cx, t, path, "each tier needs upto and fee");
		if (*n >= GW_FEE_TIERS)
			return yerr(cx, t, path, "more than %d tiers", GW_FEE_TIERS);
		if (*n && upto * unit <= tiers[*n - 1].upto)
			return yerr(cx, t, path, "tiers must ascend");
		tiers[*n].upto = upto * unit;
		tiers[*n].fee = fee * unit;
		(*n)++;
	}
	return 0;
}

static int parse_listen(struct ycx *cx, const yaml_node_t *root, struct ussd_config *c)
{
	char listen[96] = "";
	int rc = ystr(cx, root, "listen", "ussd", listen, sizeof(listen));
	if (rc || !listen[0])
		return rc;
	char *colon = strrchr(listen, ':');
	char *end;
	long port = colon ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || *end || port < 0 || port > 65535 || colon == listen ||
	    (size_t)(colon - listen) >= sizeof(c->listen_host))
		return yerr(cx, yget(cx, root, "listen"), "ussd.listen", "want HOST:PORT");
	*colon = 0;
	snprintf(c->listen_host, sizeof(c->listen_host), "%s", listen);
	c->listen_port = (unsigned)port;
	return 0;
}

/* A service that may push (network-initiated USSD) needs the MAP routing and a key. */
static int check_push_service(struct ycx *cx, const yaml_node_t *s, const struct ussd_config *c,
			      const struct gw_service *sv)
{
	if (!c->map_enabled || !c->map_gt[0])
		return yerr(cx, yget(cx, s, "push"), "ussd.services.push",
			    "needs ussd.map with gt, pc, hlr_gt and hlr_pc");
	if (!sv->secret_len)
		return yerr(cx, s, "ussd.services.secret_file",
			    "push needs the application's HMAC key (GW-APPAUTH)");
	return 0;
}

static int parse_services(struct ycx *cx, const yaml_node_t *seq, struct ussd_config *c)
{
	if (!seq)
		return yerr(cx, NULL, "ussd.services", "at least one service code is needed");
	if (seq->type != YAML_SEQUENCE_NODE)
		return yerr(cx, seq, "ussd.services", "want a list");
	struct gw_config *g = &c->gw;
	g->n_services = 0;
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		yaml_node_t *s = yaml_document_get_node(cx->d, *it);
		static const char *const keys[] = {"code",	 "app",	 "url",		  "secret_file",
						   "timeout_ms", "push", "push_per_hour", NULL};
		int rc = ykeys(cx, s, "ussd.services", keys);
		if (rc)
			return rc;
		if (g->n_services >= GW_SERVICES_MAX)
			return yerr(cx, s, "ussd.services", "more than %d", GW_SERVICES_MAX);
		struct gw_service *sv = &g->services[g->n_services];
		char app[16] = "";
		sv->push_per_hour = 10;
		int64_t tmo = 5000;
		if ((rc = ystr(cx, s, "code", "ussd.services", sv->code, sizeof(sv->code))) ||
		    (rc = ystr(cx, s, "app", "ussd.services", app, sizeof(app))) ||
		    (rc = ystr(cx, s, "url", "ussd.services", sv->url, sizeof(sv->url))) ||
		    (rc = yint(cx, s, "timeout_ms", "ussd.services", 100, 60000, &tmo)) ||
		    (rc = ybool(cx, s, "push", "ussd.services", &sv->push)) ||
		    (rc = yuint(cx, s, "push_per_hour", "ussd.services", 1, 3600,
				&sv->push_per_hour)))
			return rc;
		size_t cl = strlen(sv->code);
		if (cl < 3 || sv->code[0] != '*' || sv->code[cl - 1] != '#' ||
		    strspn(sv->code, "0123456789*#") != cl)
			return yerr(cx, s, "ussd.services.code", "want a USSD code such as *384#");
		for (unsigned i = 0; i < g->n_services; i++)
			if (!strcmp(g->services[i].code, sv->code))
				return yerr(cx, s, "ussd.services.code", "%s listed twice", sv->code);
		sv->timeout_ms = tmo;
		/* the HMAC key: calls to an external application, and pushes from any */
		if ((rc = ysecret(cx, s, "secret_file", "ussd.services", sv->secret,
				  sizeof(sv->secret), 16, &sv->secret_len)))
			return rc;
		if (sv->push && (rc = check_push_service(cx, s, c, sv)))
			return rc;
		if (!strcmp(app, "wallet")) {
			sv->kind = GW_APP_WALLET;
		} else if (!strcmp(app, "external")) {
			sv->kind = GW_APP_EXTERNAL;
			if (strncmp(sv->url, "https://", 8) && strncmp(sv->url, "http://127.0.0.1", 16) &&
			    strncmp(sv->url, "http://localhost", 16))
				return yerr(cx, s, "ussd.services.url",
					    "want https:// (plain http only to 127.0.0.1)");
			if (!sv->secret_len)
				return yerr(cx, s, "ussd.services.secret_file",
					    "an external application needs an HMAC key");
		} else {
			return yerr(cx, s, "ussd.services.app", "want wallet or external");
		}
		g->n_services++;
	}
	return 0;
}

static int parse_wallet(struct ycx *cx, const yaml_node_t *w, struct ussd_config *c)
{
	static const char *const keys[] = {"brand", "currency", "minor_digits", "country_code",
					   "kyc_csv", "agents", "fees", NULL};
	struct gw_config *g = &c->gw;
	int rc = ykeys(cx, w, "ussd.wallet", keys);
	if (rc || (rc = ystr(cx, w, "brand", "ussd.wallet", g->brand, sizeof(g->brand))) ||
	    (rc = ystr(cx, w, "currency", "ussd.wallet", g->currency, sizeof(g->currency))) ||
	    (rc = yuint(cx, w, "minor_digits", "ussd.wallet", 0, 3, &g->minor_digits)) ||
	    (rc = ystr(cx, w, "country_code", "ussd.wallet", g->country_code,
		       sizeof(g->country_code))) ||
	    (rc = ystr(cx, w, "kyc_csv", "ussd.wallet", c->kyc_csv, sizeof(c->kyc_csv))))
		return rc;
	yaml_node_t *ag = yget(cx, w, "agents");
	if (ag) {
		if (ag->type != YAML_SEQUENCE_NODE)
			return yerr(cx, ag, "ussd.wallet.agents", "want a list of {number, name}");
		for (yaml_node_item_t *it = ag->data.sequence.items.start;
		     it < ag->data.sequence.items.top; it++) {
			yaml_node_t *a = yaml_document_get_node(cx->d, *it);
			static const char *const ak[] = {"number", "name", NULL};
			if (c->n_agents >= USSD_AGENTS_MAX)
				return yerr(cx, a, "ussd.wallet.agents", "more than %d",
					    USSD_AGENTS_MAX);
			struct ussd_agent *x = &c->agents[c->n_agents];
			if ((rc = ykeys(cx, a, "ussd.wallet.agents", ak)) ||
			    (rc = ystr(cx, a, "number", "ussd.wallet.agents", x->number,
				       sizeof(x->number))) ||
			    (rc = ystr(cx, a, "name", "ussd.wallet.agents", x->name, sizeof(x->name))))
				return rc;
			if (!x->number[0] || strspn(x->number, "0123456789") != strlen(x->number) ||
			    !x->name[0])
				return yerr(cx, a, "ussd.wallet.agents",
					    "want number (1-10 digits) and name");
			c->n_agents++;
		}
	}
	int64_t unit = 1;
	for (unsigned i = 0; i < g->minor_digits; i++)
		unit *= 10;
	yaml_node_t *fees = yget(cx, w, "fees");
	if (fees) {
		static const char *const fk[] = {"p2p", "cashout", NULL};
		if ((rc = ykeys(cx, fees, "ussd.wallet.fees", fk)) ||
		    (rc = yfees(cx, yget(cx, fees, "p2p"), "ussd.wallet.fees.p2p", g->p2p_fees,
				&g->n_p2p_fees, unit)) ||
		    (rc = yfees(cx, yget(cx, fees, "cashout"), "ussd.wallet.fees.cashout",
				g->cashout_fees, &g->n_cashout_fees, unit)))
			return rc;
	}
	return 0;
}

static int parse_limits(struct ycx *cx, const yaml_node_t *l, struct ussd_config *c)
{
	static const char *const keys[] = {"per_transaction_min", "per_transaction_max", "daily_max",
					   "velocity", "per_source", "utc_offset", NULL};
	struct limits_config *L = &c->gw.limits;
	int64_t unit = 1;
	for (unsigned i = 0; i < c->gw.minor_digits; i++)
		unit *= 10;
	int64_t mn = L->per_tx_min / unit, mx = L->per_tx_max / unit, day = L->daily_max / unit;
	int rc = ykeys(cx, l, "ussd.limits", keys);
	if (rc || (rc = yint(cx, l, "per_transaction_min", "ussd.limits", 0, 1000000000, &mn)) ||
	    (rc = yint(cx, l, "per_transaction_max", "ussd.limits", 0, 1000000000, &mx)) ||
	    (rc = yint(cx, l, "daily_max", "ussd.limits", 0, 1000000000, &day)) ||
	    (rc = yint(cx, l, "utc_offset", "ussd.limits", -14 * 3600, 14 * 3600,
		       &L->tz_offset_s)))
		return rc;
	L->per_tx_min = mn * unit;
	L->per_tx_max = mx * unit;
	L->daily_max = day * unit;
	static const char *const vk[] = {"count", "window", NULL};
	yaml_node_t *v = yget(cx, l, "velocity");
	if (v && ((rc = ykeys(cx, v, "ussd.limits.velocity", vk)) ||
		  (rc = yuint(cx, v, "count", "ussd.limits.velocity", 1, 100000,
			      &L->account_count)) ||
		  (rc = yint(cx, v, "window", "ussd.limits.velocity", 1, 86400 * 31,
			     &L->account_window_s))))
		return rc;
	v = yget(cx, l, "per_source");
	if (v && ((rc = ykeys(cx, v, "ussd.limits.per_source", vk)) ||
		  (rc = yuint(cx, v, "count", "ussd.limits.per_source", 1, 10000000,
			      &L->source_count)) ||
		  (rc = yint(cx, v, "window", "ussd.limits.per_source", 1, 86400,
			     &L->source_window_s))))
		return rc;
	if (L->per_tx_max && L->per_tx_min > L->per_tx_max)
		return yerr(cx, l, "ussd.limits", "per_transaction_min above per_transaction_max");
	return 0;
}

/* E.164 digits of a global title: 1..15 */
static int ygt(struct ycx *cx, const yaml_node_t *map, const char *key, char *out, size_t outsz)
{
	char field[64];
	snprintf(field, sizeof(field), "ussd.map.%s", key);
	int rc = ystr(cx, map, key, "ussd.map", out, outsz);
	if (rc == 0 && out[0] && strspn(out, "0123456789") != strlen(out))
		return yerr(cx, yget(cx, map, key), field, "want 1 to 15 digits");
	return rc;
}

/* ussd.map for network-initiated USSD: gt, pc (ours), hlr_gt, hlr_pc, ni, and the
 * FW-USSD-PHISH word list */
static int parse_map_push(struct ycx *cx, const yaml_node_t *n, struct ussd_config *c)
{
	int rc;
	if ((rc = ygt(cx, n, "gt", c->map_gt, sizeof(c->map_gt))) ||
	    (rc = ygt(cx, n, "hlr_gt", c->map_hlr_gt, sizeof(c->map_hlr_gt))) ||
	    (rc = yint(cx, n, "pc", "ussd.map", 0, 0xffffff, &c->map_pc)) ||
	    (rc = yint(cx, n, "hlr_pc", "ussd.map", 0, 0xffffff, &c->map_hlr_pc)) ||
	    (rc = yint(cx, n, "ni", "ussd.map", 0, 3, &c->map_ni)))
		return rc;
	bool any = c->map_gt[0] || c->map_hlr_gt[0] || c->map_pc >= 0 || c->map_hlr_pc >= 0;
	if (any && (!c->map_gt[0] || !c->map_hlr_gt[0] || c->map_pc < 0 || c->map_hlr_pc < 0))
		return yerr(cx, n, "ussd.map", "network-initiated USSD needs gt, pc, hlr_gt and hlr_pc");
	yaml_node_t *w = yget(cx, n, "push_refuse_words");
	if (!w)
		return 0;
	if (w->type != YAML_SEQUENCE_NODE)
		return yerr(cx, w, "ussd.map.push_refuse_words", "want a list of words");
	c->n_push_words = 0; /* the list replaces the defaults */
	for (yaml_node_item_t *it = w->data.sequence.items.start; it < w->data.sequence.items.top;
	     it++) {
		yaml_node_t *x = yaml_document_get_node(cx->d, *it);
		const char *v = x->type == YAML_SCALAR_NODE ? (const char *)x->data.scalar.value : "";
		size_t len = strlen(v);
		if (c->n_push_words >= USSD_PUSH_WORDS_MAX)
			return yerr(cx, x, "ussd.map.push_refuse_words", "more than %d",
				    USSD_PUSH_WORDS_MAX);
		if (len < 2 || len >= USSD_PUSH_WORD_MAX)
			return yerr(cx, x, "ussd.map.push_refuse_words", "want 2 to %d characters",
				    USSD_PUSH_WORD_MAX - 1);
		snprintf(c->push_words[c->n_push_words++], USSD_PUSH_WORD_MAX, "%s", v);
	}
	return 0;
}

/* ussd.map: listen (transport endpoint), routing_context, network, idle_timeout (s) */
static int parse_map(struct ycx *cx, const yaml_node_t *u, struct ussd_config *c)
{
	yaml_node_t *n = yget(cx, u, "map");
	c->map_idle_s = 60;
	c->map_pc = c->map_hlr_pc = -1;
	c->map_ni = 2;
	if (!n)
		return 0;
	static const char *const mk[] = {"listen", "routing_context", "network", "idle_timeout",
					 "gt", "pc", "hlr_gt", "hlr_pc", "ni", "push_refuse_words",
					 NULL};
	int rc;
	c->map_rctx = -1;
	if ((rc = ykeys(cx, n, "ussd.map", mk)) ||
	    (rc = ystr(cx, n, "listen", "ussd.map", c->map_listen, sizeof(c->map_listen))) ||
	    (rc = yint(cx, n, "routing_context", "ussd.map", 0, UINT32_MAX, &c->map_rctx)) ||
	    (rc = ystr(cx, n, "network", "ussd.map", c->map_network, sizeof(c->map_network))) ||
	    (rc = yint(cx, n, "idle_timeout", "ussd.map", 5, 600, &c->map_idle_s)))
		return rc;
	struct tp_endpoint ep;
	char why[160];
	if (!c->map_listen[0])
		return yerr(cx, n, "ussd.map.listen", "required, e.g. tcp:127.0.0.1:2905");
	if (tp_endpoint_parse(&ep, c->map_listen, why, sizeof(why)))
		return yerr(cx, yget(cx, n, "listen"), "ussd.map.listen", "%s", why);
	if (strspn(c->map_network, "0123456789") != strlen(c->map_network) ||
	    (c->map_network[0] && strlen(c->map_network) < 5))
		return yerr(cx, yget(cx, n, "network"), "ussd.map.network", "want MCC+MNC digits");
	c->map_has_rctx = c->map_rctx >= 0;
	c->map_enabled = true;
	return parse_map_push(cx, n, c);
}

/* GW-E2E: e2e: {keystore, counters, kek_file, sims: [{msisdn, iccid}]} */
static int parse_e2e(struct ycx *cx, const yaml_node_t *n, struct ussd_config *c)
{
	static const char *const keys[] = {"keystore", "counters", "kek_file", "sims", NULL};
	int rc = ykeys(cx, n, "ussd.e2e", keys);
	if (rc || (rc = ystr(cx, n, "keystore", "ussd.e2e", c->e2e_keystore, sizeof(c->e2e_keystore))) ||
	    (rc = ystr(cx, n, "counters", "ussd.e2e", c->e2e_counters, sizeof(c->e2e_counters))) ||
	    (rc = ystr(cx, n, "kek_file", "ussd.e2e", c->e2e_kek_file, sizeof(c->e2e_kek_file))))
		return rc;
	if (!c->e2e_keystore[0] || !c->e2e_counters[0] || !c->e2e_kek_file[0])
		return yerr(cx, n, "ussd.e2e", "want keystore, counters and kek_file");
	yaml_node_t *sims = yget(cx, n, "sims");
	if (!sims || sims->type != YAML_SEQUENCE_NODE)
		return yerr(cx, sims ? sims : n, "ussd.e2e.sims", "want a list of {msisdn, iccid}");
	for (yaml_node_item_t *it = sims->data.sequence.items.start; it < sims->data.sequence.items.top;
	     it++) {
		yaml_node_t *m = yaml_document_get_node(cx->d, *it);
		static const char *const sk[] = {"msisdn", "iccid", NULL};
		if (c->e2e.n_sims >= GW_E2E_SIMS_MAX)
			return yerr(cx, m, "ussd.e2e.sims", "more than %d", GW_E2E_SIMS_MAX);
		struct gw_e2e_sim *x = &c->e2e.sims[c->e2e.n_sims];
		if ((rc = ykeys(cx, m, "ussd.e2e.sims", sk)) ||
		    (rc = ystr(cx, m, "msisdn", "ussd.e2e.sims", x->msisdn, sizeof(x->msisdn))) ||
		    (rc = ystr(cx, m, "iccid", "ussd.e2e.sims", x->iccid, sizeof(x->iccid))))
			return rc;
		if (!simswap_valid_msisdn(x->msisdn))
			return yerr(cx, m, "ussd.e2e.sims.msisdn", "want international digits");
		if (!ota_iccid_valid(x->iccid))
			return yerr(cx, m, "ussd.e2e.sims.iccid", "want 18 to 20 digits");
		for (unsigned i = 0; i < c->e2e.n_sims; i++)
			if (!strcmp(c->e2e.sims[i].msisdn, x->msisdn))
				return yerr(cx, m, "ussd.e2e.sims.msisdn", "%s listed twice", x->msisdn);
		c->e2e.n_sims++;
	}
	return 0;
}

static int parse_root(struct ycx *cx, const yaml_node_t *top, struct ussd_config *c)
{
	yaml_node_t *u = yget(cx, top, "ussd");
	if (!u)
		return yerr(cx, top, "ussd", "section missing");
	static const char *const keys[] = {"listen", "tls", "threads", "database", "audit_log",
					   "audit_fsync", "alert_log", "messages", "aggregator",
					   "session", "pin", "sim_swap", "limits", "wallet",
					   "services", "map", "e2e", NULL};
	int rc = ykeys(cx, u, "ussd", keys);
	if (rc || (rc = parse_listen(cx, u, c)) ||
	    (rc = yuint(cx, u, "threads", "ussd", 1, 256, &c->threads)) ||
	    (rc = ystr(cx, u, "audit_log", "ussd", c->audit_log, sizeof(c->audit_log))) ||
	    (rc = ybool(cx, u, "audit_fsync", "ussd", &c->audit_fsync)) ||
	    (rc = ystr(cx, u, "alert_log", "ussd", c->alert_log, sizeof(c->alert_log))) ||
	    (rc = ystr(cx, u, "messages", "ussd", c->messages, sizeof(c->messages))))
		return rc;
	if (!c->audit_log[0])
		return yerr(cx, u, "ussd.audit_log", "required (GW-AUDIT)");

	if ((rc = parse_map(cx, u, c)))
		return rc;

	yaml_node_t *n = yget(cx, u, "tls");
	if (n) {
		static const char *const tk[] = {"cert", "key", NULL};
		if ((rc = ykeys(cx, n, "ussd.tls", tk)) ||
		    (rc = ystr(cx, n, "cert", "ussd.tls", c->tls_cert, sizeof(c->tls_cert))) ||
		    (rc = ystr(cx, n, "key", "ussd.tls", c->tls_key, sizeof(c->tls_key))))
			return rc;
		if (!c->tls_cert[0] || !c->tls_key[0])
			return yerr(cx, n, "ussd.tls", "want both cert and key");
	} else if (strcmp(c->listen_host, "127.0.0.1") && strcmp(c->listen_host, "localhost")) {
		return yerr(cx, yget(cx, u, "listen"), "ussd.listen",
			    "plain HTTP only on 127.0.0.1; configure ussd.tls");
	}

	n = yget(cx, u, "database");
	if (n) {
		static const char *const dk[] = {"backend", "path", "conninfo", "pool", NULL};
		char backend[16] = "sqlite";
		if ((rc = ykeys(cx, n, "ussd.database", dk)) ||
		    (rc = ystr(cx, n, "backend", "ussd.database", backend, sizeof(backend))) ||
		    (rc = ystr(cx, n, "path", "ussd.database", c->db_path, sizeof(c->db_path))) ||
		    (rc = ystr(cx, n, "conninfo", "ussd.database", c->db_conninfo,
			       sizeof(c->db_conninfo))) ||
		    (rc = yuint(cx, n, "pool", "ussd.database", 1, 64, &c->db_pool)))
			return rc;
		uint32_t b;
		if (get_string_value(udb_backend_names, backend, &b))
			return yerr(cx, yget(cx, n, "backend"), "ussd.database.backend",
				    "want sqlite or postgresql");
		c->db_backend = (enum udb_backend)b;
		if (c->db_backend == UDB_SQLITE && !c->db_path[0])
			return yerr(cx, n, "ussd.database.path", "required for sqlite");
		if (c->db_backend == UDB_PGSQL && !c->db_conninfo[0])
			return yerr(cx, n, "ussd.database.conninfo", "required for postgresql");
	} else {
		return yerr(cx, u, "ussd.database", "section missing");
	}

	n = yget(cx, u, "aggregator");
	if (n) {
		static const char *const ak[] = {"secret_file", "replay_window", NULL};
		if ((rc = ykeys(cx, n, "ussd.aggregator", ak)) ||
		    (rc = ysecret(cx, n, "secret_file", "ussd.aggregator", c->aggregator_key,
				  sizeof(c->aggregator_key), 16, &c->aggregator_key_len)) ||
		    (rc = yint(cx, n, "replay_window", "ussd.aggregator", 5, 3600,
			       &c->replay_window_s)))
			return rc;
	}
	if (!c->aggregator_key_len)
		return yerr(cx, u, "ussd.aggregator.secret_file",
			    "required: requests are authenticated (GW-APPAUTH)");

	struct gw_config *g = &c->gw;
	n = yget(cx, u, "session");
	int64_t idle = g->idle_timeout_ms / 1000, total = g->max_duration_ms / 1000;
	if (n) {
		static const char *const sk[] = {"idle_timeout", "max_duration", "max_input",
						 "max_steps", "max_sessions", NULL};
		if ((rc = ykeys(cx, n, "ussd.session", sk)) ||
		    (rc = yint(cx, n, "idle_timeout", "ussd.session", 5, 600, &idle)) ||
		    (rc = yint(cx, n, "max_duration", "ussd.session", 10, 1800, &total)) ||
		    (rc = yuint(cx, n, "max_input", "ussd.session", 1, 182, &g->max_input)) ||
		    (rc = yuint(cx, n, "max_steps", "ussd.session", 2, 200, &g->max_steps)) ||
		    (rc = yuint(cx, n, "max_sessions", "ussd.session", 1, 10000000,
				&g->max_sessions)))
			return rc;
		if (idle > total)
			return yerr(cx, n, "ussd.session", "idle_timeout above max_duration");
	}
	g->idle_timeout_ms = idle * 1000;
	g->max_duration_ms = total * 1000;

	n = yget(cx, u, "pin");
	if (n) {
		static const char *const pk[] = {"min_length", "max_length", "max_failures", "lockout",
						 "argon2_ops", "argon2_mem_kib", NULL};
		int64_t ops = (int64_t)g->pin.ops, mem = (int64_t)(g->pin.mem / 1024);
		if ((rc = ykeys(cx, n, "ussd.pin", pk)) ||
		    (rc = yuint(cx, n, "min_length", "ussd.pin", 4, 12, &g->pin.min_len)) ||
		    (rc = yuint(cx, n, "max_length", "ussd.pin", 4, 12, &g->pin.max_len)) ||
		    (rc = yuint(cx, n, "max_failures", "ussd.pin", 1, 10, &g->pin.max_failures)) ||
		    (rc = yint(cx, n, "lockout", "ussd.pin", 0, 86400 * 365, &g->pin.lockout_s)) ||
		    (rc = yint(cx, n, "argon2_ops", "ussd.pin", crypto_pwhash_OPSLIMIT_MIN, 64,
			       &ops)) ||
		    (rc = yint(cx, n, "argon2_mem_kib", "ussd.pin", crypto_pwhash_MEMLIMIT_MIN / 1024,
			       4 * 1024 * 1024, &mem)))
			return rc;
		if (g->pin.min_len > g->pin.max_len)
			return yerr(cx, n, "ussd.pin", "min_length above max_length");
		g->pin.ops = (unsigned long long)ops;
		g->pin.mem = (size_t)mem * 1024;
	}

	n = yget(cx, u, "sim_swap");
	if (n) {
		static const char *const sk[] = {"cooling_period", "feed_token_file",
						 "camara_token_file", NULL};
		if ((rc = ykeys(cx, n, "ussd.sim_swap", sk)) ||
		    (rc = yint(cx, n, "cooling_period", "ussd.sim_swap", 0, 86400 * 90,
			       &g->simswap_cooling_s)) ||
		    (rc = ytoken(cx, n, "feed_token_file", "ussd.sim_swap", c->feed_token,
				 sizeof(c->feed_token))) ||
		    (rc = ytoken(cx, n, "camara_token_file", "ussd.sim_swap", c->camara_token,
				 sizeof(c->camara_token))))
			return rc;
	}
	n = yget(cx, u, "wallet");
	if (n && (rc = parse_wallet(cx, n, c)))
		return rc;
	n = yget(cx, u, "limits");
	if (n && (rc = parse_limits(cx, n, c)))
		return rc;
	n = yget(cx, u, "e2e");
	if (n && (rc = parse_e2e(cx, n, c)))
		return rc;
	return parse_services(cx, yget(cx, u, "services"), c);
}

int ussd_config_load(struct ussd_config *c, const char *path, char *err, size_t errsz)
{
	memset(c, 0, sizeof(*c));
	gw_config_defaults(&c->gw);
	snprintf(c->listen_host, sizeof(c->listen_host), "127.0.0.1");
	c->listen_port = 8080;
	c->threads = 4;
	c->audit_fsync = true;
	c->replay_window_s = 300;
	snprintf(c->messages, sizeof(c->messages), "config/messages/en.yaml");
	c->gw.n_p2p_fees = c->gw.n_cashout_fees = 0;
	for (const char *const *w = ussd_push_default_words; *w; w++)
		snprintf(c->push_words[c->n_push_words++], USSD_PUSH_WORD_MAX, "%s", *w);

	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		snprintf(err, errsz, "%s: %s", path, strerror(e));
		return -e;
	}
	yaml_parser_t p;
	yaml_document_t d;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_file(&p, f);
	if (!yaml_parser_load(&p, &d)) {
		snprintf(err, errsz, "%s:%zu: yaml: %s", path, p.problem_mark.line + 1,
			 p.problem ? p.problem : "syntax error");
		yaml_parser_delete(&p);
		fclose(f);
		return -EINVAL;
	}
	struct ycx cx = {path, &d, err, errsz};
	yaml_node_t *root = yaml_document_get_root_node(&d);
	int rc = root ? parse_root(&cx, root, c) : yerr(&cx, NULL, "ussd", "empty file");
	yaml_document_delete(&d);
	yaml_parser_delete(&p);
	fclose(f);
	if (rc)
		ussd_config_wipe(c);
	return rc;
}

void ussd_config_wipe(struct ussd_config *c)
{
	sodium_memzero(c->aggregator_key, sizeof(c->aggregator_key));
	sodium_memzero(c->feed_token, sizeof(c->feed_token));
	sodium_memzero(c->camara_token, sizeof(c->camara_token));
	for (unsigned i = 0; i < GW_SERVICES_MAX; i++)
		sodium_memzero(c->gw.services[i].secret, sizeof(c->gw.services[i].secret));
}
