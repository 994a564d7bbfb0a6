/* The `links` section of the firewall configuration (docs/operations.md, "Configuration"). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <yaml.h>

#include "fw.h"
#include "fw_simswap_feed.h"
#include "m3ua_asp.h"

struct lwalk {
	const char *file;
	yaml_document_t *doc;
	struct cfg_errors *errs;
	struct fw_links *out;
	unsigned n_names;
};

static void lerr(struct lwalk *w, const yaml_node_t *n, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void lerr(struct lwalk *w, const yaml_node_t *n, const char *field, const char *fmt, ...)
{
	struct cfg_errors *e = w->errs;
	if (e->n >= CFG_MAX_ERRORS) {
		e->dropped++;
		return;
	}
	char msg[131]; /* the line fits CFG_ERR_LEN */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(e->msg[e->n++], CFG_ERR_LEN, "%.60s:%lu: %.40s: %s", w->file,
		 n ? (unsigned long)n->start_mark.line + 1 : 0UL, field, msg);
}

static const char *lscalar(struct lwalk *w, yaml_node_t *n, const char *field)
{
	if (!n || n->type != YAML_SCALAR_NODE) {
		lerr(w, n, field, "expected a single value");
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static bool luint(struct lwalk *w, yaml_node_t *n, const char *field, uint64_t min, uint64_t max,
		  uint64_t *out)
{
	const char *s = lscalar(w, n, field);
	if (!s)
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (!*s || *end || errno || s[0] == '-' || v < min || v > max) {
		lerr(w, n, field, "expected a number from %" PRIu64 " to %" PRIu64, min, max);
		return false;
	}
	*out = v;
	return true;
}

static bool lbool(struct lwalk *w, yaml_node_t *n, const char *field, bool *out)
{
	const char *s = lscalar(w, n, field);
	if (!s)
		return false;
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off"))
		*out = false;
	else {
		lerr(w, n, field, "expected true or false");
		return false;
	}
	return true;
}

static bool ltext(struct lwalk *w, yaml_node_t *n, const char *field, char *out, size_t outsz)
{
	const char *s = lscalar(w, n, field);
	if (!s)
		return false;
	if (!*s || strlen(s) >= outsz) {
		lerr(w, n, field, "expected a text of 1 to %zu characters", outsz - 1);
		return false;
	}
	memcpy(out, s, strlen(s) + 1);
	return true;
}

static int lchoice(struct lwalk *w, yaml_node_t *n, const char *field, const char *const *names)
{
	const char *s = lscalar(w, n, field);
	if (!s)
		return -1;
	for (int i = 0; names[i]; i++)
		if (!strcmp(s, names[i]))
			return i;
	char all[128] = "";
	for (int i = 0; names[i]; i++)
		snprintf(all + strlen(all), sizeof(all) - strlen(all), "%s%s", i ? ", " : "", names[i]);
	lerr(w, n, field, "expected one of %s", all);
	return -1;
}

static bool lendpoint(struct lwalk *w, yaml_node_t *n, const char *field, struct tp_endpoint *ep)
{
	const char *s = lscalar(w, n, field);
	if (!s)
		return false;
	char e[160];
	if (tp_endpoint_parse(ep, s, e, sizeof(e)) < 0) {
		lerr(w, n, field, "%s", e);
		return false;
	}
	return true;
}

/* Point codes: a list of numbers (24-bit, ITU 14-bit ones fit). */
static void lpcs(struct lwalk *w, yaml_node_t *n, const char *field, uint32_t *pcs, unsigned *np)
{
	if (!n || n->type != YAML_SEQUENCE_NODE) {
		lerr(w, n, field, "expected a list of point codes");
		return;
	}
	*np = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		uint64_t v;
		if (*np >= RELAY_MAX_PCS) {
			lerr(w, n, field, "at most %d point codes", RELAY_MAX_PCS);
			return;
		}
		if (luint(w, yaml_document_get_node(w->doc, *it), field, 0, 0xffffff, &v))
			pcs[(*np)++] = (uint32_t)v;
	}
}

static const char *lname(struct lwalk *w, yaml_node_t *n, const char *field)
{
	if (w->n_names >= 2 * RELAY_MAX_LINKS)
		return "";
	char *dst = w->out->names[w->n_names];
	if (!ltext(w, n, field, dst, sizeof(w->out->names[0])))
		return "";
	for (unsigned i = 0; i < w->n_names; i++)
		if (!strcmp(w->out->names[i], dst))
			lerr(w, n, field, "link name %s is used twice", dst);
	w->n_names++;
	return dst;
}

static const char *const tmt_names[] = {"override", "loadshare", NULL};

#define FOR_PAIRS(node, kvar, vvar)                                                              \
	for (yaml_node_pair_t *pr_ = (node)->data.mapping.pairs.start;                           \
	     pr_ < (node)->data.mapping.pairs.top; pr_++)                                         \
		for (yaml_node_t *kvar = yaml_document_get_node(w->doc, pr_->key),                \
				 *vvar = yaml_document_get_node(w->doc, pr_->value), *once_ = kvar; \
		     once_; once_ = NULL)

static const char *pkey(const yaml_node_t *k)
{
	return k && k->type == YAML_SCALAR_NODE ? (const char *)k->data.scalar.value : "";
}

static bool is_map(struct lwalk *w, yaml_node_t *n, const char *field)
{
	if (n && n->type == YAML_MAPPING_NODE)
		return true;
	lerr(w, n, field, "expected a mapping");
	return false;
}

static void link_partner(struct lwalk *w, yaml_node_t *n, unsigned idx)
{
	struct relay_partner_cfg *p = &w->out->relay.partners[idx];
	bool have_listen = false;
	char field[64];
	if (!is_map(w, n, "links.partners"))
		return;
	FOR_PAIRS(n, k, v)
	{
		const char *key = pkey(k);
		uint64_t u;
		int c;
		snprintf(field, sizeof(field), "links.partners.%s", key);
		if (!strcmp(key, "name"))
			p->sg.name = lname(w, v, field);
		else if (!strcmp(key, "listen"))
			have_listen = lendpoint(w, v, field, &p->sg.local);
		else if (!strcmp(key, "routing_context") && luint(w, v, field, 0, UINT32_MAX, &u))
			p->sg.has_rctx = true, p->sg.rctx = (uint32_t)u;
		else if (!strcmp(key, "network_appearance") && luint(w, v, field, 0, UINT32_MAX, &u))
			p->sg.has_na = true, p->sg.na = (uint32_t)u;
		else if (!strcmp(key, "traffic_mode")) {
			if ((c = lchoice(w, v, field, tmt_names)) >= 0)
				p->sg.tmt = c == 0 ? M3UA_TMT_OVERRIDE : M3UA_TMT_LOADSHARE;
		} else if (!strcmp(key, "min_active") && luint(w, v, field, 1, 16, &u))
			p->sg.min_active = (unsigned)u;
		else if (!strcmp(key, "recovery_ms") && luint(w, v, field, 10, 600000, &u))
			p->sg.recovery_ms = (unsigned)u;
		else if (!strcmp(key, "beat_ms") && luint(w, v, field, 0, 600000, &u))
			p->sg.beat_ms = (unsigned)u;
		else if (!strcmp(key, "point_codes"))
			lpcs(w, v, field, p->pcs, &p->n_pcs);
		else if (strcmp(key, "routing_context") && strcmp(key, "network_appearance") &&
			 strcmp(key, "min_active") && strcmp(key, "recovery_ms") && strcmp(key, "beat_ms"))
			lerr(w, k, field, "unknown key");
	}
	if (!p->sg.name)
		lerr(w, n, "links.partners", "every partner link needs a name");
	if (!have_listen)
		lerr(w, n, "links.partners", "every partner link needs listen (KIND:ADDR:PORT)");
}

static void link_home(struct lwalk *w, yaml_node_t *n, unsigned idx)
{
	struct m3ua_asp_cfg *h = &w->out->relay.homes[idx];
	bool have_connect = false;
	char field[64];
	if (!is_map(w, n, "links.home"))
		return;
	FOR_PAIRS(n, k, v)
	{
		const char *key = pkey(k);
		uint64_t u;
		int c;
		snprintf(field, sizeof(field), "links.home.%s", key);
		if (!strcmp(key, "name"))
			h->name = lname(w, v, field);
		else if (!strcmp(key, "connect"))
			have_connect = lendpoint(w, v, field, &h->remote);
		else if (!strcmp(key, "routing_context") && luint(w, v, field, 0, UINT32_MAX, &u))
			h->has_rctx = true, h->rctx = (uint32_t)u;
		else if (!strcmp(key, "network_appearance") && luint(w, v, field, 0, UINT32_MAX, &u))
			h->has_na = true, h->na = (uint32_t)u;
		else if (!strcmp(key, "asp_id") && luint(w, v, field, 0, UINT32_MAX, &u))
			h->has_asp_id = true, h->asp_id = (uint32_t)u;
		else if (!strcmp(key, "traffic_mode")) {
			if ((c = lchoice(w, v, field, tmt_names)) >= 0)
				h->tmt = c == 0 ? M3UA_TMT_OVERRIDE : M3UA_TMT_LOADSHARE;
		} else if (!strcmp(key, "beat_ms") && luint(w, v, field, 0, 600000, &u))
			h->beat_ms = (unsigned)u;
		else if (!strcmp(key, "ack_timeout_ms") && luint(w, v, field, 10, 60000, &u))
			h->ack_timeout_ms = (unsigned)u;
		else if (!strcmp(key, "reconnect_ms") && luint(w, v, field, 10, 60000, &u))
			h->reconnect_ms = (unsigned)u;
		else if (strcmp(key, "routing_context") && strcmp(key, "network_appearance") &&
			 strcmp(key, "asp_id") && strcmp(key, "beat_ms") && strcmp(key, "ack_timeout_ms") &&
			 strcmp(key, "reconnect_ms"))
			lerr(w, k, field, "unknown key");
	}
	if (!h->name)
		lerr(w, n, "links.home", "every home link needs a name");
	if (!have_connect)
		lerr(w, n, "links.home", "every home link needs connect (KIND:ADDR:PORT)");
}

static void link_list(struct lwalk *w, yaml_node_t *n, const char *field, bool partners)
{
	if (!n || n->type != YAML_SEQUENCE_NODE) {
		lerr(w, n, field, "expected a list of links");
		return;
	}
	unsigned *count = partners ? &w->out->relay.n_partners : &w->out->relay.n_homes;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		if (*count >= RELAY_MAX_LINKS) {
			lerr(w, n, field, "at most %d links", RELAY_MAX_LINKS);
			return;
		}
		yaml_node_t *item = yaml_document_get_node(w->doc, *it);
		if (partners)
			link_partner(w, item, (*count)++);
		else
			link_home(w, item, (*count)++);
	}
}

static void sub_alerts(struct lwalk *w, yaml_node_t *n)
{
	if (!is_map(w, n, "links.alerts"))
		return;
	FOR_PAIRS(n, k, v)
	{
		const char *key = pkey(k);
		if (!strcmp(key, "file"))
			ltext(w, v, "links.alerts.file", w->out->alerts_file, sizeof(w->out->alerts_file));
		else if (!strcmp(key, "syslog"))
			lbool(w, v, "links.alerts.syslog", &w->out->alerts_syslog);
		else
			lerr(w, k, "links.alerts", "unknown key %s", key);
	}
}

static void sub_capture(struct lwalk *w, yaml_node_t *n)
{
	if (!is_map(w, n, "links.capture"))
		return;
	FOR_PAIRS(n, k, v)
	{
		const char *key = pkey(k);
		uint64_t u;
		if (!strcmp(key, "file"))
			ltext(w, v, "links.capture.file", w->out->capture_file, sizeof(w->out->capture_file));
		else if (!strcmp(key, "rotate_bytes")) {
			if (luint(w, v, "links.capture.rotate_bytes", 65536, UINT64_C(1) << 40, &u))
				w->out->capture_rotate_bytes = u;
		} else if (!strcmp(key, "keep")) {
			if (luint(w, v, "links.capture.keep", 1, 1000, &u))
				w->out->capture_keep = (unsigned)u;
		} else if (!strcmp(key, "redact")) {
			bool b;
			if (lbool(w, v, "links.capture.redact", &b))
				w->out->capture_keep_text = !b;
		} else
			lerr(w, k, "links.capture", "unknown key %s", key);
	}
}

static void sub_metrics(struct lwalk *w, yaml_node_t *n)
{
	if (!is_map(w, n, "links.metrics"))
		return;
	FOR_PAIRS(n, k, v)
	{
		const char *key = pkey(k);
		uint64_t u;
		if (!strcmp(key, "address"))
			ltext(w, v, "links.metrics.address", w->out->metrics_addr, sizeof(w->out->metrics_addr));
		else if (!strcmp(key, "port")) {
			if (luint(w, v, "links.metrics.port", 0, 65535, &u)) {
				w->out->metrics_port = (uint16_t)u;
				w->out->metrics_enabled = true;
			}
		} else
			lerr(w, k, "links.metrics", "unknown key %s", key);
	}
}

static void sub_snapshot(struct lwalk *w, yaml_node_t *n)
{
	if (!is_map(w, n, "links.snapshot"))
		return;
	FOR_PAIRS(n, k, v)
	{
		const char *key = pkey(k);
		uint64_t u;
		if (!strcmp(key, "file"))
			ltext(w, v, "links.snapshot.file", w->out->snapshot_file, sizeof(w->out->snapshot_file));
		else if (!strcmp(key, "interval_s")) {
			if (luint(w, v, "links.snapshot.interval_s", 1, 86400, &u))
				w->out->snapshot_interval_s = (unsigned)u;
		} else
			lerr(w, k, "links.snapshot", "unknown key %s", key);
	}
}

/* links.simswap_feed: where the firewall posts the bindings it learns (fw_simswap_feed.h). */
static void sub_simswap_feed(struct lwalk *w, yaml_node_t *n)
{
	struct fw_simswap_feed_cfg *o = &w->out->simswap_feed;
	static const struct {
		const char *key;
		uint64_t min, max;
		size_t off;
	} nums[] = {
		{"batch", 1, 10000, offsetof(struct fw_simswap_feed_cfg, batch)},
		{"interval_ms", 10, 600000, offsetof(struct fw_simswap_feed_cfg, interval_ms)},
		{"queue", 1, 1000000, offsetof(struct fw_simswap_feed_cfg, queue)},
		{"attempts", 1, 100, offsetof(struct fw_simswap_feed_cfg, attempts)},
		{"timeout_ms", 100, 60000, offsetof(struct fw_simswap_feed_cfg, timeout_ms)},
	};
	yaml_node_t *url_node = NULL, *tok_node = NULL, *batch_node = NULL;
	char field[64], why[200];
	if (!is_map(w, n, "links.simswap_feed"))
		return;
	FOR_PAIRS(n, k, v)
	{
		const char *key = pkey(k);
		uint64_t u;
		bool known = false;
		snprintf(field, sizeof(field), "links.simswap_feed.%s", key);
		for (unsigned i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
			if (!strcmp(key, nums[i].key)) {
				known = true;
				if (luint(w, v, field, nums[i].min, nums[i].max, &u))
					*(unsigned *)((char *)o + nums[i].off) = (unsigned)u;
				if (i == 0)
					batch_node = v;
			}
		if (known)
			continue;
		if (!strcmp(key, "url")) {
			if (ltext(w, v, field, o->url, sizeof(o->url)) &&
			    fw_simswap_feed_check_url(o->url, why, sizeof(why)) < 0)
				lerr(w, v, field, "%s", why);
			url_node = v;
		} else if (!strcmp(key, "token_file")) {
			char tok[FW_FEED_TOKEN_MAX];
			if (ltext(w, v, field, o->token_file, sizeof(o->token_file)) &&
			    fw_simswap_feed_read_token(o->token_file, tok, sizeof(tok), why, sizeof(why)) < 0)
				lerr(w, v, field, "%s", why);
			sodium_memzero(tok, sizeof(tok));
			tok_node = v;
		} else if (!strcmp(key, "ca_file"))
			ltext(w, v, field, o->ca_file, sizeof(o->ca_file));
		else if (!strcmp(key, "all_bindings"))
			lbool(w, v, field, &o->all_bindings);
		else
			lerr(w, k, "links.simswap_feed", "unknown key %s", key);
	}
	if (!url_node)
		lerr(w, n, "links.simswap_feed", "url is needed (the gateway's /simswap/feed)");
	if (!tok_node)
		lerr(w, n, "links.simswap_feed", "token_file is needed (the gateway's sim_swap.feed_token_file)");
	if (batch_node && o->batch > (o->queue ? o->queue : 10000))
		lerr(w, batch_node, "links.simswap_feed.batch", "larger than the queue (%u)", o->queue ? o->queue : 10000);
}

static void walk_links(struct lwalk *w, yaml_node_t *n)
{
	static const char *const fail_names[] = {"open", "closed", NULL};
	static const char *const down_names[] = {"hold", "refuse", NULL};
	struct fw_links *o = w->out;
	if (!is_map(w, n, "links"))
		return;
	FOR_PAIRS(n, k, v)
	{
		const char *key = pkey(k);
		uint64_t u;
		int c;
		if (!strcmp(key, "partners"))
			link_list(w, v, "links.partners", true);
		else if (!strcmp(key, "home"))
			link_list(w, v, "links.home", false);
		else if (!strcmp(key, "home_point_codes"))
			lpcs(w, v, "links.home_point_codes", o->relay.home_pcs, &o->relay.n_home_pcs);
		else if (!strcmp(key, "on_error")) {
			if ((c = lchoice(w, v, "links.on_error", fail_names)) >= 0)
				o->relay.on_hook_error = c ? RELAY_FAIL_CLOSED : RELAY_FAIL_OPEN;
		} else if (!strcmp(key, "home_down")) {
			if ((c = lchoice(w, v, "links.home_down", down_names)) >= 0)
				o->relay.home_down = c ? RELAY_HOME_DOWN_REFUSE : RELAY_HOME_DOWN_QUEUE;
		} else if (!strcmp(key, "hold_max_msgs")) {
			if (luint(w, v, "links.hold_max_msgs", 1, 10000000, &u))
				o->relay.hold_max_msgs = (size_t)u;
		} else if (!strcmp(key, "hold_max_bytes")) {
			if (luint(w, v, "links.hold_max_bytes", 4096, UINT64_C(1) << 34, &u))
				o->relay.hold_max_bytes = (size_t)u;
		} else if (!strcmp(key, "usrsctp_udp_port")) {
			if (luint(w, v, "links.usrsctp_udp_port", 0, 65535, &u))
				o->usrsctp_port = (uint16_t)u;
		} else if (!strcmp(key, "alerts"))
			sub_alerts(w, v);
		else if (!strcmp(key, "capture"))
			sub_capture(w, v);
		else if (!strcmp(key, "metrics"))
			sub_metrics(w, v);
		else if (!strcmp(key, "snapshot"))
			sub_snapshot(w, v);
		else if (!strcmp(key, "simswap_feed"))
			sub_simswap_feed(w, v);
		else
			lerr(w, k, "links", "unknown key %s", key);
	}
	if (!o->relay.n_partners)
		lerr(w, n, "links.partners", "at least one partner link is needed");
	if (!o->relay.n_homes)
		lerr(w, n, "links.home", "at least one home link is needed");
}

static void links_init(struct fw_links *out, struct cfg_errors *errs)
{
	memset(out, 0, sizeof(*out));
	memset(errs, 0, sizeof(*errs));
	snprintf(out->metrics_addr, sizeof(out->metrics_addr), "127.0.0.1");
	out->relay.on_hook_error = RELAY_FAIL_CLOSED;
}

/* Parse with parser's input already set. */
static int links_load(yaml_parser_t *parser, const char *name, struct fw_links *out,
		      struct cfg_errors *errs)
{
	struct lwalk w = {.file = name, .errs = errs, .out = out};
	yaml_document_t doc;
	if (!yaml_parser_load(parser, &doc)) {
		snprintf(errs->msg[errs->n++], CFG_ERR_LEN, "%.100s:%lu: (yaml): %.100s", name,
			 (unsigned long)parser->problem_mark.line + 1,
			 parser->problem ? parser->problem : "cannot parse");
		return -EINVAL;
	}
	w.doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	yaml_node_t *links = NULL;
	if (root && root->type == YAML_MAPPING_NODE) {
		for (yaml_node_pair_t *pr = root->data.mapping.pairs.start; pr < root->data.mapping.pairs.top; pr++)
			if (!strcmp(pkey(yaml_document_get_node(&doc, pr->key)), "links"))
				links = yaml_document_get_node(&doc, pr->value);
	}
	if (!links)
		lerr(&w, root, "links", "the firewall needs a links section (docs/operations.md)");
	else
		walk_links(&w, links);
	yaml_document_delete(&doc);
	return errs->n ? -EINVAL : 0;
}

int fw_links_parse_text(const char *name, const char *text, size_t len, struct fw_links *out,
			struct cfg_errors *errs)
{
	links_init(out, errs);
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int rc = links_load(&parser, name, out, errs);
	yaml_parser_delete(&parser);
	return rc;
}

int fw_links_parse(const char *path, struct fw_links *out, struct cfg_errors *errs)
{
	links_init(out, errs);
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		struct lwalk w = {.file = path, .errs = errs, .out = out};
		lerr(&w, NULL, "(file)", "cannot open: %s", strerror(errno));
		return -EINVAL;
	}
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	int rc = links_load(&parser, path, out, errs);
	yaml_parser_delete(&parser);
	fclose(fp);
	return rc;
}
