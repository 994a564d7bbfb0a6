/* The rule engine: one decoded message in, one verdict out. docs/rules.md describes every
 * rule; THREATS.md section A is the requirement. */
#include "policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialogue.h"
#include "ota_packet.h"
#include "geo.h"

struct policy_ctx {
	const struct policy_config *cfg;
	struct sub_state *state;
	bool own_state;
	struct dlg_table dlg;
	struct geo_index geo;
	struct policy_stats stats;
	uint64_t last_tick;
};

#define NET_UNKNOWN INT32_MIN

/* MAP operation names for reasons (TS 29.002). */
static const struct value_string op_names[] = {
	{2, "updateLocation"},
	{3, "cancelLocation"},
	{4, "provideRoamingNumber"},
	{7, "insertSubscriberData"},
	{8, "deleteSubscriberData"},
	{9, "sendParameters"},
	{10, "registerSS"},
	{11, "eraseSS"},
	{12, "activateSS"},
	{13, "deactivateSS"},
	{14, "interrogateSS"},
	{22, "sendRoutingInfo"},
	{23, "updateGprsLocation"},
	{24, "sendRoutingInfoForGprs"},
	{37, "reset"},
	{43, "checkIMEI"},
	{44, "mt-forwardSM"},
	{45, "sendRoutingInfoForSM"},
	{46, "mo-forwardSM"},
	{55, "sendIdentification"},
	{56, "sendAuthenticationInfo"},
	{58, "sendIMSI"},
	{59, "processUnstructuredSS-Request"},
	{60, "unstructuredSS-Request"},
	{61, "unstructuredSS-Notify"},
	{62, "anyTimeSubscriptionInterrogation"},
	{65, "anyTimeModification"},
	{67, "purgeMS"},
	{70, "provideSubscriberInfo"},
	{71, "anyTimeInterrogation"},
	{83, "provideSubscriberLocation"},
	{85, "sendRoutingInfoForLCS"},
	{0, NULL},
};

static const struct value_string tcap_msg_names[] = {
	{TCAP_UNI, "Unidirectional"}, {TCAP_BEGIN, "Begin"}, {TCAP_END, "End"},
	{TCAP_CONTINUE, "Continue"}, {TCAP_ABORT, "Abort"}, {0, NULL},
};

/* Reasons are built for every hit, so their labels avoid snprintf: str_put and int_put append
 * at offset at, truncate and terminate as snprintf would, and return the untruncated length. */
static size_t str_put(char *buf, size_t sz, size_t at, const char *s)
{
	size_t n = strlen(s);
	if (at + 1 < sz) {
		size_t k = n < sz - 1 - at ? n : sz - 1 - at;
		memcpy(buf + at, s, k);
		buf[at + k] = 0;
	}
	return at + n;
}

static size_t int_put(char *buf, size_t sz, size_t at, int v)
{
	char t[12];
	int i = sizeof(t) - 1;
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
	t[i] = 0;
	do {
		t[--i] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		t[--i] = '-';
	return str_put(buf, sz, at, t + i);
}

static const char *op_label(int op, char *buf, size_t sz)
{
	const char *n = op >= 0 ? get_value_string_or_null(op_names, (uint32_t)op) : NULL;
	size_t at = 0;
	buf[0] = 0;
	if (n) {
		at = str_put(buf, sz, at, n);
		at = str_put(buf, sz, at, " (op ");
		at = int_put(buf, sz, at, op);
		str_put(buf, sz, at, ")");
	} else {
		at = str_put(buf, sz, at, "op ");
		int_put(buf, sz, at, op);
	}
	return buf;
}

/* ---- one evaluation ------------------------------------------------------------ */

enum want { WANT_BLOCK, WANT_UNKNOWN, WANT_ALERT };

struct eval {
	struct policy_ctx *ctx;
	const struct policy_config *cfg;
	const struct sig_msg *m;
	uint64_t now;
	struct verdict *v;
	int32_t calling_net, called_net;
	bool inbound;
	enum dlg_result dres;
	struct dlg_info dlg;
	bool is_map;
	int32_t op;                  /* first Invoke opcode, -1 none */
	const char *imsi, *msisdn;   /* identities, NULL when unknown */
	bool learn_ok;               /* no rule objected: the message may teach state */
	bool learn_activity;         /* a cat-3 op from the serving network */
	char opbuf[64];
	/* networks of the GTs already looked up in this evaluation (the same node is often
	 * asked for several times: calling GT, serving VLR and MSC, old and new location) */
	unsigned n_nets;
	struct {
		char digits[DFS_DIGITS_MAX + 1];
		int32_t net;
	} nets[4];
	bool imsi_net_known;         /* imsi_net: trie_lookup of e->imsi in cfg->imsi_net */
	int32_t imsi_net;
};

static const char *opname(struct eval *e, int op) { return op_label(op, e->opbuf, sizeof(e->opbuf)); }

static uint8_t rule_action(const struct policy_config *c, enum rule_id r)
{
	if (r == RULE_ADDR && !c->rules[r].action_set)
		return c->mode == MODE_STRICT ? ACT_BLOCK : ACT_ALERT;
	return c->rules[r].action;
}

static void hit(struct eval *e, enum rule_id r, enum want want, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void hit(struct eval *e, enum rule_id r, enum want want, const char *fmt, ...)
{
	const struct policy_config *c = e->cfg;
	uint8_t act = rule_action(c, r);
	uint8_t cap = want == WANT_BLOCK ? ACT_BLOCK
		      : want == WANT_ALERT ? ACT_ALERT
		      : c->mode == MODE_STRICT ? ACT_BLOCK : ACT_ALERT;
	if (act > cap)
		act = cap;
	if (want != WANT_ALERT)
		e->learn_ok = false;
	struct verdict *v = e->v;
	if (act == ACT_ALLOW || (v->rule != RULE_NONE && act <= v->rule_action))
		return;
	v->rule = (uint8_t)r;
	v->rule_action = act;
	v->severity = c->rules[r].severity;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof(v->reason), fmt, ap);
	va_end(ap);
}

static void copy_str(char *dst, size_t sz, const char *src)
{
	if (!src) {
		dst[0] = 0;
		return;
	}
	size_t n = strnlen(src, sz - 1);
	memcpy(dst, src, n);
	dst[n] = 0;
}

/* Network of a GT: the home network, partner i, or (for other GTs) minus the country's table
 * index + 1; NET_UNKNOWN when nothing matches. */
static int32_t net_lookup(const struct policy_ctx *ctx, const char *digits)
{
	int32_t n = trie_lookup(&ctx->cfg->gt_net, digits, NULL);
	if (n != TRIE_NONE)
		return n;
	int32_t g = trie_lookup(&ctx->geo.trie, digits, NULL);
	return g == TRIE_NONE ? NET_UNKNOWN : -(g + 1);
}

/* net_lookup, remembered for the rest of the evaluation. */
static int32_t net_of(struct eval *e, const char *digits)
{
	if (!digits || !digits[0])
		return NET_UNKNOWN;
	for (unsigned i = 0; i < e->n_nets; i++)
		if (!strcmp(e->nets[i].digits, digits))
			return e->nets[i].net;
	int32_t n = net_lookup(e->ctx, digits);
	size_t len = strnlen(digits, DFS_DIGITS_MAX + 1);
	if (e->n_nets < sizeof(e->nets) / sizeof(e->nets[0]) && len <= DFS_DIGITS_MAX) {
		memcpy(e->nets[e->n_nets].digits, digits, len + 1);
		e->nets[e->n_nets++].net = n;
	}
	return n;
}

static bool net_same(int32_t a, int32_t b)
{
	if (a == NET_UNKNOWN || b == NET_UNKNOWN)
		return false;
	if (a < 0 && b < 0) { /* unknown foreign networks: the same country */
		unsigned n;
		const struct geo_country *t = geo_table(&n);
		return !strcmp(t[-a - 1].iso, t[-b - 1].iso);
	}
	return a == b;
}

static const char *net_label(const struct policy_ctx *ctx, int32_t net, char *buf, size_t sz)
{
	const struct policy_config *c = ctx->cfg;
	buf[0] = 0;
	if (net == NET_HOME) {
		str_put(buf, sz, 0, "the home network");
	} else if (net > 0 && (unsigned)net <= c->n_partners) {
		str_put(buf, sz, str_put(buf, sz, 0, "partner "), c->partners[net - 1].name);
	} else if (net < 0 && net != NET_UNKNOWN) {
		unsigned n;
		str_put(buf, sz, str_put(buf, sz, 0, "a non-partner network in "), geo_table(&n)[-net - 1].name);
	} else {
		str_put(buf, sz, 0, "an unknown network");
	}
	return buf;
}

/* The network of an IMSI by its prefix; e->imsi's is looked up once per evaluation. */
static int32_t imsi_net_of(struct eval *e, const char *imsi)
{
	if (imsi != e->imsi)
		return trie_lookup(&e->cfg->imsi_net, imsi, NULL);
	if (!e->imsi_net_known) {
		e->imsi_net = trie_lookup(&e->cfg->imsi_net, imsi, NULL);
		e->imsi_net_known = true;
	}
	return e->imsi_net;
}

static bool is_home_imsi(struct eval *e, const char *imsi)
{
	return imsi && imsi_net_of(e, imsi) == NET_HOME;
}

static bool is_home_msisdn(const struct eval *e, const char *msisdn)
{
	const struct policy_config *c = e->cfg;
	if (!msisdn || !msisdn[0])
		return false;
	if (c->home_msisdn.n_prefixes)
		return trie_lookup(&c->home_msisdn, msisdn, NULL) != TRIE_NONE;
	return !strncmp(msisdn, c->home_cc, strlen(c->home_cc));
}

static bool calling_is_hub(const struct eval *e)
{
	return e->calling_net > 0 && e->cfg->partners[e->calling_net - 1].hub;
}

static const char *calling_gt(const struct eval *e) { return e->v->calling_gt[0] ? e->v->calling_gt : "(none)"; }

/* ---- identities ------------------------------------------------------------------ */

static bool imsi_like(const char *d)
{
	size_t n = strlen(d);
	return n >= 6 && n <= 15 && strspn(d, "0123456789") == n;
}

#define NPI(ton_npi) ((ton_npi)&0x0f)

static bool op_has_imsi_in_open_info(int op)
{
	/* TS 29.002 17.2.x: destinationReference carries the IMSI for SS and USSD operations */
	return op == 59 || op == 60 || op == 61 || (op >= 10 && op <= 14);
}

static void find_identities(struct eval *e)
{
	const struct sig_msg *m = e->m;
	const struct map_fields *f = m->has_map ? &m->map : NULL;
	const struct tcap_msg *t = &m->tcap;
	if (f && f->has_imsi && f->imsi[0])
		e->imsi = f->imsi;
	else if (t->has_open_info && imsi_like(t->dest_ref) &&
		 (NPI(t->dest_ref_ton_npi) == 6 || op_has_imsi_in_open_info(e->op)))
		e->imsi = t->dest_ref;
	else if (e->dres == DLG_FOUND && e->dlg.imsi[0])
		e->imsi = e->dlg.imsi;

	if (f && f->msisdn.present && f->msisdn.digits[0])
		e->msisdn = f->msisdn.digits;
	else if (f && f->sm_rp_da_type == MAP_SMRP_MSISDN && f->sm_rp_da[0])
		e->msisdn = f->sm_rp_da;
	else if (f && f->sm_rp_oa_type == MAP_SMRP_MSISDN && f->sm_rp_oa[0])
		e->msisdn = f->sm_rp_oa;
	else if (t->has_open_info && t->orig_ref[0] && e->op == 59) /* MO USSD: the MSISDN */
		e->msisdn = t->orig_ref;
	else if (e->dres == DLG_FOUND && e->dlg.msisdn[0])
		e->msisdn = e->dlg.msisdn;
}

/* ---- FW-TCAP: structure ---------------------------------------------------------- */

/* Operations that exist only from MAP v2 on, so a Begin carrying them must name an
 * application context (TS 29.002: v1 dialogues have no dialogue portion). */
static bool op_needs_ac(int op)
{
	switch (op) {
	case 23: case 24: case 44: case 55: case 56: case 58: case 59: case 60: case 61: case 62:
	case 65: case 66: case 67: case 70: case 71: case 83: case 85:
		return true;
	default:
		return false;
	}
}

static bool map_ssn(uint8_t ssn)
{
	switch (ssn) {
	case 5: case 6: case 7: case 8: case 9: case 10: case 145: case 147: case 149: case 150:
		return true;
	default:
		return false;
	}
}

static bool decide_is_map(const struct eval *e)
{
	const struct sig_msg *m = e->m;
	if (e->dres == DLG_FOUND)
		return e->dlg.is_map;
	if (m->tcap.has_dialogue && m->tcap.ac_oid.len)
		return m->tcap.ac_is_map;
	const struct sccp_addr *a = &m->sccp.calling, *b = &m->sccp.called;
	if ((a->has_ssn && a->ssn == 146) || (b->has_ssn && b->ssn == 146))
		return false; /* CAP */
	if (!a->has_ssn && !b->has_ssn)
		return true;
	return (a->has_ssn && map_ssn(a->ssn)) || (b->has_ssn && map_ssn(b->ssn));
}

static void check_tcap_structure(struct eval *e)
{
	const struct tcap_msg *t = &e->m->tcap;
	const char *problem = NULL;
	switch (t->msg_type) {
	case TCAP_BEGIN:
		if (!t->otid.present)
			problem = "Begin without an originating transaction id";
		else if (t->dtid.present)
			problem = "Begin with a destination transaction id";
		break;
	case TCAP_CONTINUE:
		if (!t->otid.present || !t->dtid.present)
			problem = "Continue without both transaction ids";
		break;
	case TCAP_END:
	case TCAP_ABORT:
		if (!t->dtid.present || t->otid.present)
			problem = "End or Abort without exactly a destination transaction id";
		break;
	case TCAP_UNI:
		if (t->otid.present || t->dtid.present)
			problem = "Unidirectional with a transaction id";
		break;
	default:
		problem = "unknown TCAP message type";
	}
	if (problem) {
		hit(e, RULE_TCAP, WANT_BLOCK, "%s", problem);
		return;
	}
	/* TS 29.002 17.3: application contexts 1..47, versions 1..4 */
	if (t->ac_is_map && (t->map_ac == 0 || t->map_ac > 47 || t->map_ac_version == 0 ||
			     t->map_ac_version > 4)) {
		hit(e, RULE_TCAP, WANT_BLOCK, "unknown MAP application context %u version %u", t->map_ac,
		    t->map_ac_version);
		return;
	}
	if (!e->is_map || t->has_dialogue || (t->msg_type != TCAP_BEGIN && t->msg_type != TCAP_UNI))
		return;
	for (unsigned i = 0; i < t->n_components; i++) {
		const struct tcap_component *c = &t->comp[i];
		if (c->type == TCAP_INVOKE && c->has_opcode && !c->opcode_global && op_needs_ac(c->opcode)) {
			hit(e, RULE_TCAP, WANT_BLOCK,
			    "%s in a Begin without dialogue portion: it needs a MAP v2+ application context",
			    opname(e, c->opcode));
			return;
		}
	}
}

/* ---- location plausibility ----------------------------------------------------------- */

/* false (and a hit) when moving from from_node (seen at from_ms) to to_node now is too fast. */
static bool velocity_ok(struct eval *e, enum rule_id r, const char *from_node, uint64_t from_ms,
			const char *to_node)
{
	const struct geo_country *a = geo_lookup(&e->ctx->geo, from_node);
	const struct geo_country *b = geo_lookup(&e->ctx->geo, to_node);
	if (!a || !b || !strcmp(a->iso, b->iso) || !from_ms)
		return true;
	double km = geo_distance_km(a->lat, a->lon, b->lat, b->lon);
	uint64_t elapsed = e->now > from_ms ? e->now - from_ms : 0;
	if (geo_travel_plausible(km, elapsed, e->cfg->max_speed_kmh, e->cfg->slack_km))
		return true;
	hit(e, r, WANT_BLOCK,
	    "%s for %s: implausible move from %s to %s, %.0f km in %.1f min (limit %.0f km/h)",
	    opname(e, e->op), e->imsi ? e->imsi : "?", a->name, b->name, km, elapsed / 60000.0,
	    e->cfg->max_speed_kmh);
	return false;
}

static const char *serving_node(const struct sub_record *r)
{
	return r->vlr[0] ? r->vlr : r->msc[0] ? r->msc : r->sgsn[0] ? r->sgsn : NULL;
}

static bool serving_match(struct eval *e, const struct sub_record *r)
{
	const char *gt = e->v->calling_gt;
	const char *nodes[3] = {r->vlr, r->msc, r->sgsn};
	for (int i = 0; i < 3; i++) {
		if (!nodes[i][0])
			continue;
		if (e->cfg->serving_match == MATCH_NODE ? !strcmp(gt, nodes[i])
							: net_same(e->calling_net, net_of(e, nodes[i])))
			return true;
	}
	return false;
}

static bool get_record(struct eval *e, const char *imsi, struct sub_record *r)
{
	struct sub_state *s = e->ctx->state;
	if (s->ops->get(s, imsi, e->now, r) == 0)
		return true;
	memset(r, 0, sizeof(*r));
	return false;
}

/* ---- category rules --------------------------------------------------------------------- */

static void check_cat1(struct eval *e, int op)
{
	if (e->calling_net > 0) {
		const uint8_t *allow = e->cfg->partners[e->calling_net - 1].allow_ops;
		if (op >= 0 && op < 256 && (allow[op / 8] >> (op % 8)) & 1)
			return;
	}
	char nb[96];
	hit(e, RULE_CAT1, WANT_BLOCK, "%s is category 1: never valid from another network (calling GT %s, %s)",
	    opname(e, op), calling_gt(e), net_label(e->ctx, e->calling_net, nb, sizeof(nb)));
}

static void check_cat2(struct eval *e, int op, enum rule_id r)
{
	char nb[96], ib[96];
	if (!e->imsi) {
		hit(e, r, WANT_BLOCK, "%s from %s names no IMSI, so its home network cannot be checked",
		    opname(e, op), calling_gt(e));
		return;
	}
	int32_t inet = imsi_net_of(e, e->imsi);
	if (inet == NET_HOME) {
		hit(e, r, WANT_BLOCK, "%s for home subscriber %s from a foreign network (calling GT %s, %s)",
		    opname(e, op), e->imsi, calling_gt(e), net_label(e->ctx, e->calling_net, nb, sizeof(nb)));
		return;
	}
	if (inet != TRIE_NONE && (inet == e->calling_net || calling_is_hub(e)))
		return;
	hit(e, r, WANT_BLOCK, "%s for IMSI %s of %s sent by %s (GT %s): only the IMSI's home network may send it",
	    opname(e, op), e->imsi, inet == TRIE_NONE ? "an unknown network" : net_label(e->ctx, inet, ib, sizeof(ib)),
	    net_label(e->ctx, e->calling_net, nb, sizeof(nb)), calling_gt(e));
}

static bool has_role(const struct eval *e, const char *gt, int roles)
{
	int32_t r = trie_lookup(&e->cfg->roles, gt, NULL);
	return r != TRIE_NONE && (r & roles);
}

static void check_ussd_phish(struct eval *e, int op)
{
	if (has_role(e, e->v->calling_gt, ROLE_USSD_GW | ROLE_GSMSCF))
		return;
	if (e->imsi) {
		if (is_home_imsi(e, e->imsi))
			hit(e, RULE_USSD_PHISH, WANT_BLOCK,
			    "network-initiated USSD %s to home subscriber %s from %s, which is not one of our USSD gateways",
			    opname(e, op), e->imsi, calling_gt(e));
		else
			check_cat2(e, op, RULE_CAT2);
	} else if (e->msisdn) {
		if (is_home_msisdn(e, e->msisdn))
			hit(e, RULE_USSD_PHISH, WANT_BLOCK,
			    "network-initiated USSD %s to home number %s from %s, which is not one of our USSD gateways",
			    opname(e, op), e->msisdn, calling_gt(e));
	} else if (e->called_net == NET_HOME || e->called_net == NET_UNKNOWN) {
		hit(e, RULE_USSD_PHISH, WANT_BLOCK,
		    "network-initiated USSD %s from %s towards the home network names no subscriber",
		    opname(e, op), calling_gt(e));
	}
}

static void check_location_update(struct eval *e, int op, const struct map_fields *f)
{
	char nb[96];
	if (!e->imsi) {
		hit(e, RULE_CAT3, WANT_BLOCK, "%s from %s names no IMSI", opname(e, op), calling_gt(e));
		return;
	}
	if (!is_home_imsi(e, e->imsi))
		return;
	if (e->calling_net <= 0) {
		hit(e, RULE_INTERCEPT, WANT_BLOCK,
		    "%s for home subscriber %s from GT %s (%s), which is not a roaming partner",
		    opname(e, op), e->imsi, calling_gt(e), net_label(e->ctx, e->calling_net, nb, sizeof(nb)));
		return;
	}
	struct sub_record r;
	if (!get_record(e, e->imsi, &r) || !r.loc_ms)
		return;
	const struct dfs_addr *a = f ? (op == 23 ? &f->sgsn : &f->vlr) : NULL;
	const char *to = a && a->digits[0] ? a->digits : e->v->calling_gt;
	velocity_ok(e, RULE_CAT3, r.loc_node, r.loc_ms, to);
}

static enum rule_id cat3_rule(int op)
{
	if (op == 59)
		return RULE_USSD_SPOOF;
	if (op >= 10 && op <= 14)
		return RULE_CALLFWD;
	return RULE_CAT3;
}

static void check_cat3(struct eval *e, int op)
{
	enum rule_id rule = cat3_rule(op);
	char nb[96];
	if (!e->imsi) {
		hit(e, rule, WANT_UNKNOWN, "%s from %s names no subscriber (no IMSI)", opname(e, op), calling_gt(e));
		return;
	}
	if (!is_home_imsi(e, e->imsi))
		return;
	struct sub_record r;
	const char *serving = get_record(e, e->imsi, &r) && r.loc_ms ? serving_node(&r) : NULL;
	if (!serving) {
		if (op == 56 && e->calling_net > 0)
			return; /* authentication at a roaming partner comes before the location update */
		hit(e, rule, WANT_UNKNOWN, "%s for home subscriber %s from %s: the serving network is not known yet",
		    opname(e, op), e->imsi, calling_gt(e));
		return;
	}
	if (serving_match(e, &r)) {
		if (op == 59 && e->msisdn && r.msisdn[0] && strcmp(e->msisdn, r.msisdn)) {
			hit(e, RULE_USSD_SPOOF, WANT_BLOCK,
			    "%s names MSISDN %s, but IMSI %s is bound to %s", opname(e, op), e->msisdn, e->imsi, r.msisdn);
			return;
		}
		if (rule != RULE_CAT3 && r.moved_ms && e->now - r.moved_ms < e->cfg->intercept_window_s * 1000ull &&
		    net_of(e, serving) != NET_HOME)
			hit(e, RULE_INTERCEPT, WANT_ALERT,
			    "%s for %s %.1f min after its location moved to %s (GT %s)", opname(e, op), e->imsi,
			    (e->now - r.moved_ms) / 60000.0, net_label(e->ctx, net_of(e, serving), nb, sizeof(nb)),
			    serving);
		e->learn_activity = true;
		return;
	}
	if (op == 56 && e->calling_net > 0) {
		/* authentication at a new roaming partner: plausible moves are the start of an attach */
		velocity_ok(e, RULE_CAT3, r.loc_node, r.loc_ms, e->v->calling_gt);
		return;
	}
	char sb[96];
	hit(e, rule, WANT_BLOCK, "%s for home subscriber %s from %s (GT %s), but it is served by %s (%s)",
	    opname(e, op), e->imsi, net_label(e->ctx, e->calling_net, nb, sizeof(nb)), calling_gt(e),
	    net_label(e->ctx, net_of(e, serving), sb, sizeof(sb)), serving);
}

/* ---- operation-specific rules --------------------------------------------------------------- */

/* TS 23.038 4: 8-bit data, message class 2 (SIM-specific). */
static bool dcs_sim_8bit(uint8_t dcs)
{
	if ((dcs & 0xc0) == 0x00) /* general data coding group, class meaningful */
		return (dcs & 0x10) && ((dcs >> 2) & 3) == 1 && (dcs & 3) == 2;
	if ((dcs & 0xf0) == 0xf0) /* data coding / message class group */
		return (dcs & 0x04) && (dcs & 3) == 2;
	return false;
}

/* PROTOCOLS.md: S@T browser and WIB TARs, and SPI 0000 (no security at all). */
static const char *dangerous_ota(const struct ota_cmd_hdr *h)
{
	if (ota_tar_is_browser(h->tar))
		return h->tar == 0x505348 || h->tar == 0x534054 ? "S@T browser TAR" : "WIB TAR";
	if (h->spi[0] == 0 && h->spi[1] == 0)
		return "SPI 0000 (no integrity, no ciphering, no counter)";
	return NULL;
}

static void check_simjacker(struct eval *e, int op, const struct map_fields *f)
{
	if ((op != 44 && op != 46) || !f || !f->has_tpdu)
		return;
	const struct sms_tpdu *t = &f->tpdu;
	if (!t->is_deliver || !(t->pid == 0x7f || dcs_sim_8bit(t->dcs) || t->has_cmd_pkt))
		return;
	const char *danger = t->has_ota_hdr ? dangerous_ota(&t->ota) : NULL;
	if (danger && e->inbound) {
		hit(e, RULE_SIMJACKER, WANT_BLOCK,
		    "binary SMS to the SIM from outside (GT %s) with %s: TAR %06x, SPI %02x%02x",
		    calling_gt(e), danger, t->ota.tar, t->ota.spi[0], t->ota.spi[1]);
		return;
	}
	bool from_ota = has_role(e, e->v->calling_gt, ROLE_OTA_SMSC) && !t->addr_alnum &&
			trie_lookup(&e->cfg->ota_oa, t->addr, NULL) != TRIE_NONE;
	if (!from_ota)
		hit(e, RULE_SIMJACKER, WANT_BLOCK,
		    "binary SMS to the SIM (PID %02x, DCS %02x%s) from SMSC GT %s, originator %s: not our OTA platform",
		    t->pid, t->dcs, t->has_cmd_pkt ? ", command packet" : "", calling_gt(e),
		    t->addr[0] ? t->addr : "(none)");
}

static void check_sms_home(struct eval *e)
{
	const struct policy_config *c = e->cfg;
	struct sub_state *s = e->ctx->state;
	if (c->sri_sm_source.count && e->v->calling_gt[0] &&
	    s->ops->rate_take(s, RATE_SRI_SM_SOURCE, e->v->calling_gt, c->sri_sm_source.count,
			      c->sri_sm_source.per_s, e->now) > 0) {
		hit(e, RULE_SMS_HOME, WANT_BLOCK, "sendRoutingInfoForSM from GT %s above %u per %u s",
		    e->v->calling_gt, c->sri_sm_source.count, c->sri_sm_source.per_s);
		return;
	}
	if (c->sri_sm_target.count && e->msisdn &&
	    s->ops->rate_take(s, RATE_SRI_SM_TARGET, e->msisdn, c->sri_sm_target.count,
			      c->sri_sm_target.per_s, e->now) > 0)
		hit(e, RULE_SMS_HOME, WANT_BLOCK, "sendRoutingInfoForSM for %s above %u per %u s (last from GT %s)",
		    e->msisdn, c->sri_sm_target.count, c->sri_sm_target.per_s, calling_gt(e));
}

static void check_callfwd_target(struct eval *e, const struct map_fields *f)
{
	if (!e->cfg->callfwd_alert_foreign || !f || !f->ftn.present || !f->ftn.digits[0])
		return;
	const char *ftn = f->ftn.digits;
	bool international = ((f->ftn.ton_npi >> 4) & 7) == 1;
	if (international && strncmp(ftn, e->cfg->home_cc, strlen(e->cfg->home_cc)))
		hit(e, RULE_CALLFWD, WANT_ALERT, "registerSS forwards calls of %s to %s, outside the home country",
		    e->imsi ? e->imsi : "?", ftn);
}

/* E.214 (TS 23.003 / E.214): MGT = E.164 CC+NDC replacing MCC+MNC, then the MSIN. */
static void check_e214(struct eval *e)
{
	const struct sccp_addr *cd = &e->m->sccp.called;
	if (cd->np != 7 || !cd->digits[0] || !e->imsi)
		return;
	int len;
	int32_t i = trie_lookup(&e->cfg->mgt, e->imsi, &len);
	if (i == TRIE_NONE)
		return;
	const struct mgt_map *mm = &e->cfg->mgt_maps[i];
	char expect[DFS_DIGITS_MAX + 1];
	snprintf(expect, sizeof(expect), "%s%s", mm->mgt_prefix, e->imsi + strlen(mm->imsi_prefix));
	expect[15] = 0; /* E.214 MGTs are at most 15 digits */
	size_t n = strlen(cd->digits);
	if (n > strlen(expect) || strncmp(cd->digits, expect, n))
		hit(e, RULE_ADDR, WANT_BLOCK, "called E.214 GT %s does not match IMSI %s (expected %s)",
		    cd->digits, e->imsi, expect);
}

static void check_addr(struct eval *e, int op, const struct map_fields *f)
{
	check_e214(e);
	if (!f || calling_is_hub(e))
		return;
	const char *addr = NULL, *what = NULL;
	switch (op) {
	case 2:
		addr = f->vlr.digits[0] ? f->vlr.digits : f->msc.digits;
		what = f->vlr.digits[0] ? "vlr-number" : "msc-number";
		break;
	case 23:
		addr = f->sgsn.digits, what = "sgsn-number";
		break;
	case 67:
		addr = f->vlr.digits[0] ? f->vlr.digits : f->sgsn.digits;
		what = f->vlr.digits[0] ? "vlr-number" : "sgsn-number";
		break;
	case 45:
		if (e->cfg->addr_check_sms)
			addr = f->sc_addr.digits, what = "serviceCentreAddress";
		break;
	case 44:
	case 46:
		if (e->cfg->addr_check_sms && f->sm_rp_oa_type == MAP_SMRP_SC_ADDR)
			addr = f->sm_rp_oa, what = "serviceCentreAddressOA";
		break;
	default:
		break;
	}
	if (!addr || !addr[0])
		return;
	int32_t an = net_of(e, addr);
	if (!net_same(an, e->calling_net)) {
		char a[96], b[96];
		hit(e, RULE_ADDR, WANT_BLOCK, "%s: %s %s (%s) is not in the network of calling GT %s (%s)",
		    opname(e, op), what, addr, net_label(e->ctx, an, a, sizeof(a)), calling_gt(e),
		    net_label(e->ctx, e->calling_net, b, sizeof(b)));
	}
}

/* ---- one Invoke -------------------------------------------------------------------------- */

static const struct map_fields *fields_for(const struct eval *e, int op)
{
	const struct sig_msg *m = e->m;
	if (!m->has_map || m->map.is_result || (m->map.opcode >= 0 && m->map.opcode != op))
		return NULL;
	return &m->map;
}

static void eval_invoke(struct eval *e, const struct tcap_component *c)
{
	if (!c->has_opcode)
		return;
	if (c->opcode_global) {
		hit(e, RULE_TCAP, WANT_BLOCK, "global (object identifier) opcode in a MAP dialogue");
		return;
	}
	int op = c->opcode;
	int cat = op >= 0 && op < 256 ? e->cfg->op_cat[op] : 0;
	const struct map_fields *f = fields_for(e, op);
	check_simjacker(e, op, f);
	if (!e->inbound)
		return;
	if (cat == 1) {
		check_cat1(e, op);
		return;
	}
	uint8_t tt = e->m->tcap.msg_type;
	bool continuation = tt == TCAP_CONTINUE || tt == TCAP_END;
	/* an operation inside a dialogue was judged with its Begin; one in an unseen dialogue
	 * only when it names its subscriber itself */
	if (continuation && (e->dres == DLG_FOUND || !(f && f->has_imsi)))
		return;
	if (op == 45)
		check_sms_home(e);
	else if (cat == 2 && (op == 60 || op == 61))
		check_ussd_phish(e, op);
	else if (cat == 2)
		check_cat2(e, op, RULE_CAT2);
	else if (cat == 3 && (op == 2 || op == 23))
		check_location_update(e, op, f);
	else if (cat == 3)
		check_cat3(e, op);
	check_addr(e, op, f);
	if (op == 10)
		check_callfwd_target(e, f);
}

/* ---- learning ------------------------------------------------------------------------------ */

static void put_record(struct eval *e, const char *imsi, const struct sub_record *r)
{
	struct sub_state *s = e->ctx->state;
	if (s->ops->put(s, imsi, r, e->now) == 0)
		e->v->learned = true;
}

static void bind_identity(struct eval *e, const char *msisdn, const char *imsi)
{
	struct sub_state *s = e->ctx->state;
	char old[SUB_IMSI_MAX];
	if (!msisdn || !imsi || !msisdn[0] || !imsi_like(imsi))
		return;
	bool had = s->ops->imsi_of(s, msisdn, e->now, old) == 0;
	int rc = s->ops->bind(s, msisdn, imsi, e->now, old);
	if (rc >= 0)
		e->v->learned = true;
	if (rc == 0 && !had)
		e->v->bound_new = true;
	if (rc == 1) {
		e->v->sim_swap = true;
		copy_str(e->v->swap_old_imsi, sizeof(e->v->swap_old_imsi), old);
		e->ctx->stats.sim_swaps++;
	}
}

/* A new serving node: remember when the serving network changed. */
static void set_location(struct eval *e, struct sub_record *r, const char *node)
{
	const char *old = r->loc_ms ? serving_node(r) : NULL;
	if (!old || !net_same(net_of(e, old), net_of(e, node)))
		r->moved_ms = e->now;
	r->loc_ms = e->now;
	copy_str(r->loc_node, sizeof(r->loc_node), node);
}

static void learn_invoke(struct eval *e)
{
	const struct map_fields *f = fields_for(e, e->op);
	const char *gt = e->v->calling_gt;
	struct sub_record r;
	if (!is_home_imsi(e, e->imsi))
		return;
	switch (e->op) {
	case 2: /* updateLocation: the subscriber is now served by this VLR/MSC */
	case 23: {
		const struct dfs_addr *a = f ? (e->op == 2 ? &f->vlr : &f->sgsn) : NULL;
		const char *node = a && a->digits[0] ? a->digits : gt;
		if (!node[0])
			return;
		get_record(e, e->imsi, &r);
		set_location(e, &r, node);
		if (e->op == 2) {
			copy_str(r.vlr, sizeof(r.vlr), node);
			copy_str(r.msc, sizeof(r.msc), f && f->msc.digits[0] ? f->msc.digits : "");
			r.sgsn[0] = 0;
		} else {
			copy_str(r.sgsn, sizeof(r.sgsn), node);
		}
		put_record(e, e->imsi, &r);
		break;
	}
	case 7: /* insertSubscriberData from our HLR names the serving VLR as its destination */
		if (e->inbound || !e->v->called_gt[0] || e->calling_net != NET_HOME)
			return;
		if (get_record(e, e->imsi, &r) && r.loc_ms && serving_node(&r))
			return;
		set_location(e, &r, e->v->called_gt);
		copy_str(r.vlr, sizeof(r.vlr), e->v->called_gt);
		put_record(e, e->imsi, &r);
		break;
	default:
		if (e->learn_activity && get_record(e, e->imsi, &r)) {
			r.loc_ms = e->now;
			copy_str(r.loc_node, sizeof(r.loc_node), gt);
			put_record(e, e->imsi, &r);
		}
		if (e->op == 59 || (e->op >= 10 && e->op <= 14))
			if (e->learn_activity)
				bind_identity(e, e->msisdn, e->imsi);
		break;
	}
}

/* Results from the home network: SRI-for-SM and SRI teach IMSI, serving MSC and binding. */
static void learn_result(struct eval *e)
{
	const struct map_fields *f = &e->m->map;
	if (!e->m->has_map || !f->is_result || e->inbound || !f->has_imsi)
		return;
	if (e->dres == DLG_FOUND && e->dlg.action != ACT_ALLOW)
		return;
	int op = f->opcode >= 0 ? f->opcode : e->dres == DLG_FOUND ? e->dlg.opcode : -1;
	const char *msisdn = e->dres == DLG_FOUND && e->dlg.msisdn[0] ? e->dlg.msisdn : NULL;
	if (op != 45 && op != 22)
		return;
	if (!is_home_imsi(e, f->imsi))
		return;
	if (op == 45) {
		const char *node = f->serving_node.digits[0] ? f->serving_node.digits : f->msc.digits;
		if (node[0]) {
			struct sub_record r;
			get_record(e, f->imsi, &r);
			set_location(e, &r, node);
			copy_str(r.msc, sizeof(r.msc), node);
			if (!r.vlr[0])
				copy_str(r.vlr, sizeof(r.vlr), node);
			put_record(e, f->imsi, &r);
		}
	}
	bind_identity(e, msisdn, f->imsi);
}

/* ---- FW-CLI ---------------------------------------------------------------------------------- */

static void eval_isup(struct eval *e)
{
	const struct sig_msg *m = e->m;
	const struct isup_msg *i = &m->isup;
	const struct policy_config *c = e->cfg;
	if (i->msg_type != 0x01 || !i->calling.present || !i->calling.digits[0])
		return;
	if (!m->m3ua.has_proto_data) /* M3UA DATA, or MTP3 (sig_decode_mtp3 fills pd too) */
		return;
	const struct m3ua_proto_data *pd = &m->m3ua.pd;
	bool intl = (c->cli_ni_mask >> (pd->ni & 3)) & 1;
	for (unsigned k = 0; k < c->n_cli_opc && !intl; k++)
		intl = c->cli_opc[k] == pd->opc;
	if (!intl)
		return;
	char e164[DFS_DIGITS_MAX + 8];
	snprintf(e164, sizeof(e164), "%s%s", i->calling.nai == 3 ? c->home_cc : "", /* Q.763 3.10 */
		 i->calling.digits);
	copy_str(e->v->msisdn, sizeof(e->v->msisdn), e164);
	bool protected_nr = trie_lookup(&c->cli_protected, e164, NULL) != TRIE_NONE;
	if (protected_nr || is_home_msisdn(e, e164))
		hit(e, RULE_CLI, WANT_BLOCK,
		    "IAM with %s calling number %s arriving over an international link (OPC %u, NI %u, CIC %u)",
		    protected_nr ? "a protected" : "a home", e164, pd->opc, pd->ni, i->cic);
}

/* ---- entry points ------------------------------------------------------------------------------ */

static void verdict_init(struct verdict *v)
{
	memset(v, 0, offsetof(struct verdict, reason));
	v->opcode = -1;
	v->reason[0] = v->imsi[0] = v->msisdn[0] = v->calling_gt[0] = v->called_gt[0] = 0;
	v->sim_swap = v->learned = v->bound_new = false;
	v->swap_old_imsi[0] = 0;
}

static int finish(struct policy_ctx *ctx, struct verdict *v)
{
	const struct policy_config *c = ctx->cfg;
	v->action = v->rule_action;
	if (v->rule_action == ACT_BLOCK) {
		v->answer = c->rules[v->rule].answer;
		v->map_error = v->answer == ANSWER_MAP_ERROR ? c->rules[v->rule].map_error : 0;
		if (c->monitor) {
			v->action = ACT_ALERT;
			v->monitored = true;
			v->answer = ANSWER_NONE;
			v->map_error = 0;
		}
	}
	ctx->stats.by_action[v->action]++;
	if (v->rule != RULE_NONE)
		ctx->stats.by_rule[v->rule]++;
	if (v->learned)
		ctx->stats.learned++;
	return v->action;
}

static void set_addresses(struct eval *e)
{
	const struct sccp_msg *s = &e->m->sccp;
	copy_str(e->v->calling_gt, sizeof(e->v->calling_gt), s->calling.digits);
	copy_str(e->v->called_gt, sizeof(e->v->called_gt), s->called.digits);
	/* no calling GT: routed on point code, which only happens inside a network */
	e->calling_net = s->calling.digits[0] ? net_of(e, s->calling.digits) : NET_HOME;
	e->called_net = s->called.digits[0] ? net_of(e, s->called.digits) : NET_HOME;
	e->inbound = e->calling_net != NET_HOME;
}

static int32_t first_invoke_op(const struct tcap_msg *t)
{
	for (unsigned i = 0; i < t->n_components; i++)
		if (t->comp[i].type == TCAP_INVOKE && t->comp[i].has_opcode && !t->comp[i].opcode_global)
			return t->comp[i].opcode;
	return -1;
}

int policy_eval(struct policy_ctx *ctx, const struct sig_msg *m, uint64_t now_ms, struct verdict *v)
{
	struct eval e = {.ctx = ctx, .cfg = ctx->cfg, .m = m, .now = now_ms, .v = v, .op = -1,
			 .learn_ok = true};
	verdict_init(v);
	ctx->stats.messages++;
	if (!m->has_sccp) {
		if (m->has_isup)
			eval_isup(&e);
		return finish(ctx, v);
	}
	set_addresses(&e);
	if (!m->has_tcap)
		return finish(ctx, v);
	const struct tcap_msg *t = &m->tcap;
	v->tcap_type = t->msg_type;
	e.dres = dlg_match(&ctx->dlg, m, now_ms, &e.dlg);
	if (e.dres == DLG_UNKNOWN)
		ctx->stats.dialogues_unknown++;
	e.is_map = decide_is_map(&e);
	e.op = first_invoke_op(t);
	if (e.op < 0 && e.dres == DLG_FOUND)
		v->opcode = e.dlg.opcode;
	if (e.op >= 0) {
		v->opcode = e.op;
		v->category = e.op < 256 ? ctx->cfg->op_cat[e.op] : 0;
	}
	check_tcap_structure(&e);
	if (e.is_map) {
		find_identities(&e);
		for (unsigned i = 0; i < t->n_components; i++)
			if (t->comp[i].type == TCAP_INVOKE)
				eval_invoke(&e, &t->comp[i]);
		if (e.learn_ok) {
			if (e.op >= 0 && e.imsi)
				learn_invoke(&e);
			learn_result(&e);
		}
		copy_str(v->imsi, sizeof(v->imsi), e.imsi);
		copy_str(v->msisdn, sizeof(v->msisdn), e.msisdn);
	}
	if (e.dres == DLG_UNKNOWN && ctx->cfg->unseen_dialogue != ACT_ALLOW && e.inbound)
		hit(&e, RULE_TCAP, ctx->cfg->unseen_dialogue == ACT_BLOCK ? WANT_BLOCK : WANT_ALERT,
		    "%s from %s for a dialogue whose Begin was not seen",
		    get_value_string(tcap_msg_names, t->msg_type), calling_gt(&e));
	if (e.dres == DLG_BEGIN) {
		struct dlg_info di = {.opcode = e.op, .is_map = e.is_map, .home_initiated = !e.inbound,
				      .action = v->rule_action};
		if (t->ac_is_map) {
			di.ac = t->map_ac;
			di.ac_version = t->map_ac_version;
		}
		copy_str(di.imsi, sizeof(di.imsi), e.imsi);
		copy_str(di.msisdn, sizeof(di.msisdn), e.msisdn);
		dlg_open(&ctx->dlg, m, &di, now_ms);
	}
	return finish(ctx, v);
}

int policy_eval_malformed(struct policy_ctx *ctx, const struct sig_msg *m, const struct dfs_err *err,
			  uint64_t now_ms, struct verdict *v)
{
	struct eval e = {.ctx = ctx, .cfg = ctx->cfg, .m = m, .now = now_ms, .v = v, .op = -1};
	verdict_init(v);
	ctx->stats.messages++;
	ctx->stats.malformed++;
	if (m && m->has_sccp)
		set_addresses(&e);
	if (m && m->has_tcap)
		v->tcap_type = m->tcap.msg_type;
	hit(&e, RULE_TCAP, WANT_BLOCK, "malformed %s: %s at offset %zu: %s",
	    err && err->layer ? err->layer : "message", err && err->field ? err->field : "?",
	    err ? err->offset : 0, err && err->reason ? err->reason : "does not decode");
	return finish(ctx, v);
}

void policy_tick(struct policy_ctx *ctx, uint64_t now_ms)
{
	if (now_ms - ctx->last_tick < 1000 && now_ms >= ctx->last_tick)
		return;
	ctx->last_tick = now_ms;
	dlg_expire(&ctx->dlg, now_ms);
	ctx->state->ops->expire(ctx->state, now_ms);
}

const struct policy_stats *policy_get_stats(const struct policy_ctx *ctx)
{
	struct policy_stats *s = (struct policy_stats *)&ctx->stats;
	s->dialogues_open = ctx->dlg.t.n;
	return s;
}

struct sub_state *policy_state(struct policy_ctx *ctx) { return ctx->state; }
const struct policy_config *policy_config_of(const struct policy_ctx *ctx) { return ctx->cfg; }

struct policy_ctx *policy_new(const struct policy_config *cfg, struct sub_state *state, char *err,
			      size_t errsz)
{
	struct policy_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx) {
		snprintf(err, errsz, "policy: out of memory");
		return NULL;
	}
	ctx->cfg = cfg;
	if (geo_index_init(&ctx->geo)) {
		snprintf(err, errsz, "policy: out of memory for the country table");
		free(ctx);
		return NULL;
	}
	if (dlg_init(&ctx->dlg, cfg->max_dialogues, cfg->dialogue_timeout_s * 1000ull)) {
		snprintf(err, errsz, "policy: cannot allocate %u dialogues", cfg->max_dialogues);
		geo_index_free(&ctx->geo);
		free(ctx);
		return NULL;
	}
	if (state) {
		ctx->state = state;
	} else {
		struct sub_state_limits lim = {
			.max_subscribers = cfg->max_subscribers,
			.max_rate_keys = cfg->max_rate_keys,
			.subscriber_ttl_ms = cfg->subscriber_ttl_s * 1000ull,
			.rate_ttl_ms = cfg->rate_ttl_s * 1000ull,
		};
		ctx->state = sub_state_open(cfg->state_backend, &cfg->redis, &lim, err, errsz);
		ctx->own_state = true;
		if (!ctx->state) {
			policy_free(ctx);
			return NULL;
		}
	}
	return ctx;
}

void policy_free(struct policy_ctx *ctx)
{
	if (!ctx)
		return;
	if (ctx->own_state && ctx->state)
		ctx->state->ops->destroy(ctx->state);
	dlg_free(&ctx->dlg);
	geo_index_free(&ctx->geo);
	free(ctx);
}
