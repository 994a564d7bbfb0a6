/* Signalling traffic simulator: the world model, the flows and their labels (sim.h).
 *
 * The topology comes from the firewall configuration: the home GT, IMSI and MSISDN prefixes,
 * the home nodes by role, the roaming partners. Subscribers are home subscribers (at home or
 * roaming at a partner) and partners' subscribers visiting us. Every scenario starts with an
 * attach wave (each subscriber authenticates and registers where it is) followed by a quiet
 * quarter of an hour, so that the firewall has learned the serving networks before the
 * traffic the scenario is about. Attackers use GTs of countries that are neither home nor a
 * partner (public SS7 attack tools rent such GTs). */
#include "sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "geo.h"
#include "map.h"

#define MAX_PARTNERS 16
#define SIM_QUEUE 48
#define MAX_SCEN 32
#define T_START 1700000000000ull
#define QUIET_MS (15 * 60 * 1000ull)

/* MAP SSNs (TS 23.003 8.2) and CAP */
enum { SSN_HLR = 6, SSN_VLR = 7, SSN_MSC = 8, SSN_CAP = 146, SSN_SCF = 147 };

enum flow_kind {
	/* benign */
	F_ATTACH, F_SAI, F_SMS_MT, F_SMS_MO, F_SRI_SM, F_USSD_MO, F_NI_USSD, F_OTA, F_ISD_ROAMER,
	F_CANCEL_ROAMER, F_ATI_HOME, F_RELOCATE, F_REG_SS, F_CAP, F_UNKNOWN_OP, F_ABORT, F_SRI_HUB,
	F_IAM_NATIONAL, F_BENIGN_COUNT,
	/* attacks */
	A_ATI = F_BENIGN_COUNT, A_PSI, A_PSL, A_SRI, A_FAKE_UL, A_USSD_SPOOF, A_USSD_PHISH, A_CFU,
	A_ISD, A_CANCEL, A_PURGE, A_SAI, A_VELOCITY, A_SIMJACKER, A_WIB, A_SRI_SM_BURST, A_CLI,
	A_ADDR, A_TCAP_GLOBAL, A_TCAP_NODLG, A_TCAP_AC, A_TCAP_BER, F_KIND_COUNT
};

static const char *const flow_names[F_KIND_COUNT] = {
	"attach", "sai", "sms-mt", "sms-mo", "sri-sm", "ussd-mo", "ni-ussd", "ota", "isd-roamer",
	"cancel-roamer", "ati-home", "relocate", "register-ss", "cap", "unknown-op", "abort", "sri-hub",
	"iam-national",
	"ati-track", "psi-track", "psl-track", "sri-track", "fake-vlr-ul", "ussd-spoof", "ussd-phish",
	"cfu-hijack", "isd-tamper", "cancel-dos", "purge-dos", "sai-harvest", "ul-velocity", "simjacker",
	"wib", "sri-sm-burst", "cli-spoof", "addr-spoof", "tcap-global-op", "tcap-no-dialogue",
	"tcap-unknown-ac", "tcap-bad-ber",
};

/* Scenarios: name, description, the flows it draws from. */
struct scen_def {
	const char *name, *desc;
	int attacks[8];   /* attack flows, -1 terminated (none for benign) */
	int twins[8];     /* benign twins, -1 terminated (none: the whole benign mix) */
	unsigned attack_permille; /* share of flows that are attacks */
};

static const struct scen_def scen_defs[] = {
	{"benign", "roaming, SMS, USSD, OTA, CAP and unknown operations that must pass", {-1}, {-1}, 0},
	{"attacks", "every attack, interleaved with a little benign traffic",
	 {A_ATI, A_FAKE_UL, A_USSD_SPOOF, A_SIMJACKER, A_TCAP_GLOBAL, A_CLI, -1}, {-1}, 1000},
	{"mixed", "mostly benign traffic with every attack interleaved (about 3% of flows)",
	 {A_ATI, -1}, {-1}, 30},
	{"FW-CAT1", "location tracking with ATI, PSL and SRI from a foreign GT",
	 {A_ATI, A_PSL, A_SRI, -1}, {F_ATI_HOME, F_SRI_HUB, -1}, 500},
	{"FW-CAT2", "ISD tampering, PSI tracking and cancelLocation DoS for home subscribers",
	 {A_ISD, A_PSI, A_CANCEL, -1}, {F_ISD_ROAMER, F_CANCEL_ROAMER, -1}, 500},
	{"FW-CAT3", "SAI and purgeMS from outside the serving network, impossible travel",
	 {A_SAI, A_PURGE, A_VELOCITY, -1}, {F_SAI, F_RELOCATE, -1}, 500},
	{"FW-USSD-SPOOF", "processUnstructuredSS-Request on behalf of a victim (ss7MAPer style)",
	 {A_USSD_SPOOF, -1}, {F_USSD_MO, -1}, 500},
	{"FW-USSD-PHISH", "network-initiated USSD phishing from a foreign GT",
	 {A_USSD_PHISH, -1}, {F_NI_USSD, -1}, 500},
	{"FW-INTERCEPT", "updateLocation to a fake VLR", {A_FAKE_UL, -1}, {F_ATTACH, -1}, 500},
	{"FW-CALLFWD", "registerSS CFU to the attacker's number", {A_CFU, -1}, {F_REG_SS, -1}, 500},
	{"FW-SIMJACKER", "S@T and WIB binary SMS", {A_SIMJACKER, A_WIB, -1}, {F_OTA, -1}, 500},
	{"FW-SMS-HOME", "sendRoutingInfoForSM harvesting bursts", {A_SRI_SM_BURST, -1}, {F_SRI_SM, -1}, 200},
	{"FW-ADDR", "updateLocation whose VLR number belongs to another network",
	 {A_ADDR, -1}, {F_ATTACH, -1}, 500},
	{"FW-TCAP", "global opcodes, Begin without dialogue, unknown AC, malformed BER",
	 {A_TCAP_GLOBAL, A_TCAP_NODLG, A_TCAP_AC, A_TCAP_BER, -1}, {F_SAI, F_UNKNOWN_OP, -1}, 500},
	{"FW-CLI", "ISUP IAM with a home caller id arriving on an international link",
	 {A_CLI, -1}, {F_IAM_NATIONAL, -1}, 500},
};
#define N_SCEN_DEFS (sizeof(scen_defs) / sizeof(scen_defs[0]))

const char *const sim_scenario_names[][2] = {
	{"benign", "roaming, SMS, USSD, OTA, CAP and unknown operations that must pass"},
	{"attacks", "every attack, interleaved with a little benign traffic"},
	{"mixed", "mostly benign traffic with every attack interleaved (about 3% of flows)"},
	{"FW-CAT1", "location tracking with ATI, PSL and SRI from a foreign GT"},
	{"FW-CAT2", "ISD tampering, PSI tracking and cancelLocation DoS"},
	{"FW-CAT3", "SAI and purgeMS from outside the serving network, impossible travel"},
	{"FW-USSD-SPOOF", "processUnstructuredSS-Request on behalf of a victim"},
	{"FW-USSD-PHISH", "network-initiated USSD phishing from a foreign GT"},
	{"FW-INTERCEPT", "updateLocation to a fake VLR"},
	{"FW-CALLFWD", "registerSS CFU to the attacker's number"},
	{"FW-SIMJACKER", "S@T and WIB binary SMS"},
	{"FW-SMS-HOME", "sendRoutingInfoForSM harvesting bursts"},
	{"FW-ADDR", "updateLocation whose VLR number belongs to another network"},
	{"FW-TCAP", "global opcodes, Begin without dialogue, unknown AC, malformed BER"},
	{"FW-CLI", "caller-id spoofing over an international ISUP link"},
	{NULL, NULL},
};

struct partner {
	char gt[DFS_DIGITS_MAX + 1];  /* GT prefix */
	char imsi[16];                /* IMSI prefix ("" when none) */
	char cc[8];                   /* E.164 country code */
	bool hub, far;                /* far: an impossible trip from home within minutes */
	bool sri_allowed;             /* op 22 in allow_ops */
};

struct sub {
	char imsi[16], msisdn[16];
	int where;                    /* -1 home, else partner index */
	char vlr[DFS_DIGITS_MAX + 1]; /* serving VLR/MSC GT */
	bool foreign;                 /* a partner's subscriber visiting us */
};

struct scen {
	const struct scen_def *def;
	uint64_t want, made;
};

struct sim {
	const struct policy_config *cfg;
	uint64_t rng;
	char home_gt[DFS_DIGITS_MAX + 1], home_imsi[16], home_msisdn[16];
	char hlr[DFS_DIGITS_MAX + 1], vlr[2][DFS_DIGITS_MAX + 1], smsc[DFS_DIGITS_MAX + 1];
	char ussd_gw[DFS_DIGITS_MAX + 1], gsmscf[DFS_DIGITS_MAX + 1];
	char ota_smsc[DFS_DIGITS_MAX + 1], ota_oa[DFS_DIGITS_MAX + 1];
	bool has_ota;
	struct partner partners[MAX_PARTNERS];
	unsigned n_partners;
	int far_partner, near_partner, visited_partner; /* -1 none */
	struct sub *subs;
	unsigned n_subs, attach_next;
	struct scen scen[MAX_SCEN];
	unsigned n_scen, scen_turn;
	uint64_t now, frame, total_want, total_made;
	uint32_t tid;
	bool quiet_done;
	struct geo_index geo;
	struct sim_msg q[SIM_QUEUE];
	unsigned qn, qi;
};

/* ---- deterministic randomness (splitmix64) ------------------------------------------------ */

static uint64_t rnd(struct sim *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned rndn(struct sim *s, unsigned n) { return n ? (unsigned)(rnd(s) % n) : 0; }

/* prefix followed by random digits up to total digits */
static void number(struct sim *s, char *out, size_t sz, const char *prefix, size_t total)
{
	size_t n = strlen(prefix);
	if (n >= sz)
		n = sz - 1;
	memcpy(out, prefix, n);
	while (n < total && n + 1 < sz)
		out[n++] = (char)('0' + rndn(s, 10));
	out[n] = 0;
}

static void cpy(char *dst, size_t sz, const char *src) { snprintf(dst, sz, "%s", src ? src : ""); }

/* ---- topology from the configuration -------------------------------------------------------- */

struct topo_walk {
	struct sim *s;
	int want;       /* network id or role bit */
	char *out;
	size_t sz;
	bool exact_roles;
};

static int first_with_value(void *ud, const char *prefix, int32_t value)
{
	struct topo_walk *w = ud;
	if (w->exact_roles ? (value & w->want) != 0 : value == w->want) {
		cpy(w->out, w->sz, prefix);
		return 1;
	}
	return 0;
}

static bool trie_find(struct sim *s, const struct digit_trie *t, int want, bool roles, char *out, size_t sz)
{
	struct topo_walk w = {s, want, out, sz, roles};
	out[0] = 0;
	return trie_walk(t, first_with_value, &w) == 1;
}

/* A home node of role, or a made-up GT in the home range. */
static void home_node(struct sim *s, int role, char *out, const char *suffix)
{
	char buf[DFS_DIGITS_MAX + 1];
	if (trie_find(s, &s->cfg->roles, role, true, buf, sizeof(buf))) {
		number(s, out, DFS_DIGITS_MAX + 1, buf, strlen(buf) < 11 ? 11 : strlen(buf));
		return;
	}
	snprintf(out, DFS_DIGITS_MAX + 1, "%s%s", s->home_gt, suffix);
}

static const char *const attacker_cc[] = {"33", "7", "234", "880", "62", "55", "52", "86"};

/* A GT of a country that is neither home nor a partner. */
static void attacker_gt(struct sim *s, char *out)
{
	for (unsigned tries = 0; tries < 64; tries++) {
		const char *cc = attacker_cc[rndn(s, sizeof(attacker_cc) / sizeof(attacker_cc[0]))];
		if (!strncmp(cc, s->cfg->home_cc, strlen(cc)) || !strncmp(s->cfg->home_cc, cc, strlen(s->cfg->home_cc)))
			continue;
		number(s, out, DFS_DIGITS_MAX + 1, cc, 11);
		if (trie_lookup(&s->cfg->gt_net, out, NULL) == TRIE_NONE)
			return;
	}
	number(s, out, DFS_DIGITS_MAX + 1, "999", 11);
}

static int load_topology(struct sim *s, char *err, size_t errsz)
{
	const struct policy_config *c = s->cfg;
	if (!trie_find(s, &c->gt_net, NET_HOME, false, s->home_gt, sizeof(s->home_gt)) ||
	    !trie_find(s, &c->imsi_net, NET_HOME, false, s->home_imsi, sizeof(s->home_imsi))) {
		snprintf(err, errsz, "the configuration needs home.gt_prefixes and home.imsi_prefixes");
		return -EINVAL;
	}
	if (!trie_find(s, &c->home_msisdn, 0, false, s->home_msisdn, sizeof(s->home_msisdn)))
		cpy(s->home_msisdn, sizeof(s->home_msisdn), c->home_cc);
	home_node(s, ROLE_HLR, s->hlr, "0001");
	home_node(s, ROLE_VLR, s->vlr[0], "0100");
	home_node(s, ROLE_VLR, s->vlr[1], "0101");
	home_node(s, ROLE_SMSC, s->smsc, "0300");
	home_node(s, ROLE_USSD_GW, s->ussd_gw, "0400");
	home_node(s, ROLE_GSMSCF, s->gsmscf, "0410");
	s->has_ota = trie_find(s, &c->roles, ROLE_OTA_SMSC, true, s->ota_smsc, sizeof(s->ota_smsc)) &&
		     trie_find(s, &c->ota_oa, 0, false, s->ota_oa, sizeof(s->ota_oa));
	if (!trie_find(s, &c->roles, ROLE_USSD_GW | ROLE_GSMSCF, true, s->ussd_gw, sizeof(s->ussd_gw)))
		s->ussd_gw[0] = 0; /* no USSD gateway configured: no NI-USSD from us */

	const struct geo_country *home = geo_lookup(&s->geo, s->home_gt);
	s->far_partner = s->near_partner = s->visited_partner = -1;
	for (unsigned i = 0; i < c->n_partners && s->n_partners < MAX_PARTNERS; i++) {
		struct partner *p = &s->partners[s->n_partners];
		memset(p, 0, sizeof(*p));
		if (!trie_find(s, &c->gt_net, NET_PARTNER(i), false, p->gt, sizeof(p->gt)))
			continue;
		trie_find(s, &c->imsi_net, NET_PARTNER(i), false, p->imsi, sizeof(p->imsi));
		p->hub = c->partners[i].hub;
		cpy(p->cc, sizeof(p->cc), c->partners[i].country);
		p->sri_allowed = (c->partners[i].allow_ops[22 / 8] >> (22 % 8)) & 1;
		const struct geo_country *g = geo_lookup(&s->geo, p->gt);
		if (home && g) {
			double km = geo_distance_km(home->lat, home->lon, g->lat, g->lon);
			p->far = !geo_travel_plausible(km, 10 * 60000ull, c->max_speed_kmh, c->slack_km);
		}
		int idx = (int)s->n_partners++;
		if (p->hub)
			continue;
		if (p->far && s->far_partner < 0)
			s->far_partner = idx;
		if (!p->far && s->near_partner < 0)
			s->near_partner = idx;
		if (p->imsi[0] && s->visited_partner < 0)
			s->visited_partner = idx;
	}
	return 0;
}

/* ---- population ---------------------------------------------------------------------------- */

static void partner_node(struct sim *s, const struct partner *p, const char *role, char *out)
{
	char pre[2 * DFS_DIGITS_MAX + 2];
	snprintf(pre, sizeof(pre), "%.20s%s", p->gt, role);
	number(s, out, DFS_DIGITS_MAX + 1, pre, strlen(pre) + 3 < 12 ? 12 : strlen(pre) + 3);
}

static int make_population(struct sim *s, unsigned n)
{
	s->subs = calloc(n, sizeof(*s->subs));
	if (!s->subs)
		return -ENOMEM;
	s->n_subs = n;
	unsigned n_nonhub = 0;
	for (unsigned i = 0; i < s->n_partners; i++)
		n_nonhub += !s->partners[i].hub;
	for (unsigned i = 0; i < n; i++) {
		struct sub *u = &s->subs[i];
		unsigned r = rndn(s, 100);
		u->where = -1;
		if (r < 10 && s->visited_partner >= 0) { /* a partner's subscriber visiting us */
			const struct partner *p = &s->partners[s->visited_partner];
			u->foreign = true;
			number(s, u->imsi, sizeof(u->imsi), p->imsi, 15);
			number(s, u->msisdn, sizeof(u->msisdn), p->gt, 12);
			cpy(u->vlr, sizeof(u->vlr), s->vlr[i & 1]);
			continue;
		}
		number(s, u->imsi, sizeof(u->imsi), s->home_imsi, 15);
		number(s, u->msisdn, sizeof(u->msisdn), s->home_msisdn, 12);
		if (r < 40 && n_nonhub) { /* roaming */
			unsigned k = rndn(s, s->n_partners);
			while (s->partners[k].hub)
				k = (k + 1) % s->n_partners;
			u->where = (int)k;
			partner_node(s, &s->partners[k], "1", u->vlr);
		} else {
			cpy(u->vlr, sizeof(u->vlr), s->vlr[i & 1]);
		}
	}
	return 0;
}

/* A home subscriber (at home when at_home, roaming when !at_home, either when any). */
enum where_want { ANY, AT_HOME, ROAMING, FOREIGN };
static struct sub *pick(struct sim *s, enum where_want w)
{
	for (unsigned tries = 0; tries < 4 * s->n_subs; tries++) {
		struct sub *u = &s->subs[rndn(s, s->n_subs)];
		if (w == FOREIGN ? u->foreign
				 : !u->foreign && (w == ANY || (w == AT_HOME) == (u->where < 0)))
			return u;
	}
	return NULL;
}

/* ---- building messages ------------------------------------------------------------------- */

static struct sim_msg *push(struct sim *s, const char *flow, bool attack, uint8_t action, uint8_t rule)
{
	if (s->qn >= SIM_QUEUE)
		return NULL;
	struct sim_msg *sm = &s->q[s->qn++];
	memset(&sm->m, 0, sizeof(sm->m));
	sm->malformed = false;
	sm->attack = attack;
	sm->exp_action = action;
	sm->exp_rule = rule;
	sm->flow = flow;
	sm->store_len = 0;
	s->now += 3 + rndn(s, 40);
	sm->t_ms = s->now;
	sm->m.map.opcode = -1;
	sm->m.map.sm_rp_da_type = sm->m.map.sm_rp_oa_type = MAP_SMRP_NONE;
	return sm;
}

static const uint8_t *stash(struct sim_msg *sm, const uint8_t *p, size_t n)
{
	if (sm->store_len + n > sizeof(sm->store))
		return NULL;
	uint8_t *d = sm->store + sm->store_len;
	memcpy(d, p, n);
	sm->store_len += n;
	return d;
}

static void gt_addr(struct sccp_addr *a, const char *gt, uint8_t ssn)
{
	memset(a, 0, sizeof(*a));
	a->present = true;
	a->gti = 4;
	a->np = 1;
	a->es = strlen(gt) & 1 ? 1 : 2;
	a->nai = 4;
	a->has_ssn = true;
	a->ssn = ssn;
	cpy(a->digits, sizeof(a->digits), gt);
}

static void routing(struct sig_msg *m, uint8_t si, uint8_t ni)
{
	m->has_m3ua = true;
	m->m3ua.version = 1;
	m->m3ua.msg_class = 1;
	m->m3ua.msg_type = 1;
	m->m3ua.has_proto_data = true;
	m->m3ua.pd.opc = 1000 + (si == 5 ? 1 : 0);
	m->m3ua.pd.dpc = 2000;
	m->m3ua.pd.si = si;
	m->m3ua.pd.ni = ni;
	m->m3ua.pd.sls = 0;
}

/* TS 29.002 17.3: the application context of an operation (0 none). */
static uint8_t ac_of(int op) { return (uint8_t)map_op_default_ac(op, NULL, NULL); }

static void set_ac(struct sim_msg *sm, uint8_t ac, uint8_t ver)
{
	struct tcap_msg *t = &sm->m.tcap;
	const uint8_t oid[] = {0x04, 0x00, 0x00, 0x01, 0x00, ac, ver};
	t->has_dialogue = true;
	t->dlg_pdu = TCAP_DLG_AARQ;
	t->ac_oid.p = stash(sm, oid, sizeof(oid));
	t->ac_oid.len = sizeof(oid);
	t->ac_is_map = true;
	t->map_ac = ac;
	t->map_ac_version = ver;
}

static void tid(struct tcap_tid *t, uint32_t v) { *t = (struct tcap_tid){true, 4, v}; }

/* A TCAP message from calling to called with one Invoke of op (op < 0: none). */
static void tcap(struct sim_msg *sm, uint8_t type, uint32_t otid, uint32_t dtid, const char *calling,
		 uint8_t cssn, const char *called, uint8_t dssn)
{
	struct sig_msg *m = &sm->m;
	routing(m, 3, 2);
	m->has_sccp = m->has_tcap = true;
	m->sccp.msg_type = 0x09;
	m->sccp.proto_class = 0x80;
	gt_addr(&m->sccp.calling, calling, cssn);
	gt_addr(&m->sccp.called, called, dssn);
	m->tcap.msg_type = type;
	if (type == TCAP_BEGIN || type == TCAP_CONTINUE)
		tid(&m->tcap.otid, otid);
	if (type == TCAP_CONTINUE || type == TCAP_END || type == TCAP_ABORT)
		tid(&m->tcap.dtid, dtid);
}

static struct map_fields *invoke(struct sim_msg *sm, int op, int invoke_id)
{
	struct tcap_msg *t = &sm->m.tcap;
	struct tcap_component *c = &t->comp[t->n_components++];
	c->type = TCAP_INVOKE;
	c->has_invoke_id = true;
	c->invoke_id = invoke_id;
	c->has_opcode = true;
	c->opcode = op;
	if (!sm->m.has_map) {
		sm->m.has_map = true;
		sm->m.map.opcode = op;
	}
	return &sm->m.map;
}

static struct map_fields *result(struct sim_msg *sm, int op, int invoke_id)
{
	struct tcap_msg *t = &sm->m.tcap;
	struct tcap_component *c = &t->comp[t->n_components++];
	c->type = TCAP_RESULT_L;
	c->has_invoke_id = true;
	c->invoke_id = invoke_id;
	c->has_opcode = true;
	c->opcode = op;
	sm->m.has_map = true;
	sm->m.map.opcode = op;
	sm->m.map.is_result = true;
	return &sm->m.map;
}

static void imsi(struct map_fields *f, const char *v)
{
	f->has_imsi = true;
	cpy(f->imsi, sizeof(f->imsi), v);
}

static void maddr(struct dfs_addr *a, const char *digits)
{
	a->present = true;
	a->ton_npi = 0x91;
	cpy(a->digits, sizeof(a->digits), digits);
}

static void open_info(struct sim_msg *sm, const char *dest_imsi, const char *orig_msisdn)
{
	struct tcap_msg *t = &sm->m.tcap;
	t->has_open_info = true;
	cpy(t->dest_ref, sizeof(t->dest_ref), dest_imsi);
	cpy(t->orig_ref, sizeof(t->orig_ref), orig_msisdn);
	t->dest_ref_ton_npi = 0x16; /* E.212 */
	t->orig_ref_ton_npi = 0x91;
}

/* GSM 7-bit packed USSD strings (TS 23.038 6.1.2.3) */
static const uint8_t ussd_balance[] = {0xaa, 0x18, 0x0c, 0x36, 0x02};              /* *100# */
static const uint8_t ussd_menu[] = {0xaa, 0x58, 0x0d, 0xa6, 0x82, 0xc5, 0x46};     /* *150*01# */
static const uint8_t ussd_choice[] = {0x31};                                        /* 1 */
static const uint8_t ussd_phish[] = {0x45, 0x37, 0xbd, 0x2c, 0x07, 0xe5, 0xdf, 0x75, 0x39, 0x08,
				     0x9a, 0x74, 0x82, 0xe8, 0x6f, 0xd0, 0x98, 0x1d, 0x4e, 0xb7,
				     0x41, 0x74, 0x74, 0x19, 0x04, 0x97, 0xa7, 0xf5, 0x65};
				     /* Enter your PIN to claim the prize */

static void ussd(struct sim_msg *sm, const uint8_t *s, size_t n)
{
	struct map_fields *f = &sm->m.map;
	f->has_ussd = true;
	f->ussd_dcs = 0x0f;
	f->ussd_string.p = stash(sm, s, n);
	f->ussd_string.len = n;
}

static uint32_t new_tid(struct sim *s) { return ++s->tid; }

/* ---- SMS ------------------------------------------------------------------------------------ */

static void sms_text(struct sim_msg *sm, bool deliver, const char *addr)
{
	struct map_fields *f = &sm->m.map;
	struct sms_tpdu *t = &f->tpdu;
	static const uint8_t text[] = {0xc8, 0x32, 0x9b, 0xfd, 0x06}; /* "Hello" */
	f->has_tpdu = true;
	t->is_deliver = deliver;
	t->mti = deliver ? 0 : 1;
	t->addr_ton_npi = 0x91;
	cpy(t->addr, sizeof(t->addr), addr);
	t->dcs = 0;
	t->udl = 5;
	t->ud.p = t->text.p = stash(sm, text, sizeof(text));
	t->ud.len = t->text.len = sizeof(text);
	if (deliver) {
		static const uint8_t scts[7] = {0x32, 0x11, 0x41, 0x22, 0x31, 0x02, 0x00};
		memcpy(t->scts, scts, sizeof(scts));
	} else {
		t->mr = 1;
	}
}

/* An SMS-DELIVER to the SIM (PID 7F, DCS F6) with a TS 102 225 command packet header. */
static void sms_ota(struct sim_msg *sm, const char *oa, uint32_t tar, uint8_t spi1, uint8_t spi2,
		    uint8_t kic, uint8_t kid)
{
	struct map_fields *f = &sm->m.map;
	struct sms_tpdu *t = &f->tpdu;
	f->has_tpdu = true;
	t->is_deliver = true;
	t->mti = 0;
	t->udhi = true;
	t->addr_ton_npi = 0x91;
	cpy(t->addr, sizeof(t->addr), oa);
	t->pid = 0x7f;
	t->dcs = 0xf6;
	t->has_cmd_pkt = t->has_ota_hdr = true;
	t->ota.spi[0] = spi1;
	t->ota.spi[1] = spi2;
	t->ota.kic = kic;
	t->ota.kid = kid;
	t->ota.tar = tar;
	t->ota.chl = 0x0d;
	static const uint8_t scts[7] = {0x32, 0x11, 0x41, 0x22, 0x31, 0x02, 0x00};
	memcpy(t->scts, scts, sizeof(scts));
}

/* The identity an SM-RP-DA/OA choice carries also lives in its own field, as the MAP
 * decoder reports it (and the encoder reads it from there). */
static void sm_rp_identity(struct map_fields *f, uint8_t type, const char *digits)
{
	switch (type) {
	case MAP_SMRP_IMSI:
		cpy(f->imsi, sizeof(f->imsi), digits);
		f->has_imsi = true;
		break;
	case MAP_SMRP_SC_ADDR:
		maddr(&f->sc_addr, digits);
		break;
	case MAP_SMRP_MSISDN:
		maddr(&f->msisdn, digits);
		break;
	default:
		break;
	}
}

static void sm_rp(struct map_fields *f, uint8_t da_type, const char *da, uint8_t oa_type, const char *oa)
{
	f->sm_rp_da_type = da_type;
	cpy(f->sm_rp_da, sizeof(f->sm_rp_da), da);
	f->sm_rp_oa_type = oa_type;
	cpy(f->sm_rp_oa, sizeof(f->sm_rp_oa), oa);
	sm_rp_identity(f, da_type, da);
	sm_rp_identity(f, oa_type, oa);
}

/* ---- benign flows ---------------------------------------------------------------------------- */

#define OK ACT_ALLOW, RULE_NONE

/* SAI, then updateLocation with insertSubscriberData inside the dialogue. */
static void flow_attach(struct sim *s, struct sub *u, const char *name)
{
	struct sim_msg *sm;
	const char *hlr = s->hlr;
	char phlr[DFS_DIGITS_MAX + 1];
	if (u->foreign) { /* our VLR registers a visitor at its home HLR */
		partner_node(s, &s->partners[s->visited_partner], "0", phlr);
		hlr = phlr;
	}
	uint32_t a = new_tid(s), b = new_tid(s);
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_BEGIN, a, 0, u->vlr, SSN_VLR, hlr, SSN_HLR);
	set_ac(sm, 14, 3);
	imsi(invoke(sm, 56, 1), u->imsi);
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_END, 0, a, hlr, SSN_HLR, u->vlr, SSN_VLR);
	result(sm, 56, 1);

	a = new_tid(s);
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_BEGIN, a, 0, u->vlr, SSN_VLR, hlr, SSN_HLR);
	set_ac(sm, 1, 3);
	struct map_fields *f = invoke(sm, 2, 1);
	imsi(f, u->imsi);
	maddr(&f->msc, u->vlr);
	maddr(&f->vlr, u->vlr);
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_CONTINUE, b, a, hlr, SSN_HLR, u->vlr, SSN_VLR);
	f = invoke(sm, 7, 2);
	imsi(f, u->imsi);
	maddr(&f->msisdn, u->msisdn);
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_CONTINUE, a, b, u->vlr, SSN_VLR, hlr, SSN_HLR);
	result(sm, 7, 2);
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_END, 0, a, hlr, SSN_HLR, u->vlr, SSN_VLR);
	maddr(&result(sm, 2, 1)->hlr, hlr);
}

static void flow_sai(struct sim *s, struct sub *u)
{
	uint32_t a = new_tid(s);
	struct sim_msg *sm = push(s, flow_names[F_SAI], false, OK);
	tcap(sm, TCAP_BEGIN, a, 0, u->vlr, SSN_VLR, s->hlr, SSN_HLR);
	set_ac(sm, 14, 3);
	imsi(invoke(sm, 56, 1), u->imsi);
	sm = push(s, flow_names[F_SAI], false, OK);
	tcap(sm, TCAP_END, 0, a, s->hlr, SSN_HLR, u->vlr, SSN_VLR);
	result(sm, 56, 1);
}

/* A partner's SMSC asks our HLR where to deliver, then delivers to the serving MSC. */
static void flow_sms_mt(struct sim *s, struct sub *u, bool deliver)
{
	const char *name = flow_names[deliver ? F_SMS_MT : F_SRI_SM];
	char smsc[DFS_DIGITS_MAX + 1];
	const struct partner *p = NULL;
	for (unsigned i = 0; i < s->n_partners && !p; i++)
		if (!s->partners[(i + rndn(s, 7)) % s->n_partners].hub)
			p = &s->partners[(i + rndn(s, 7)) % s->n_partners];
	if (p && !p->hub)
		partner_node(s, p, "3", smsc);
	else
		cpy(smsc, sizeof(smsc), s->smsc);
	uint32_t a = new_tid(s);
	struct sim_msg *sm = push(s, name, false, OK);
	tcap(sm, TCAP_BEGIN, a, 0, smsc, SSN_MSC, s->hlr, SSN_HLR);
	set_ac(sm, 20, 3);
	struct map_fields *f = invoke(sm, 45, 1);
	maddr(&f->msisdn, u->msisdn);
	maddr(&f->sc_addr, smsc);
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_END, 0, a, s->hlr, SSN_HLR, smsc, SSN_MSC);
	f = result(sm, 45, 1);
	imsi(f, u->imsi);
	maddr(&f->msc, u->vlr);
	if (!deliver || u->where >= 0)
		return; /* a roaming subscriber's MSC is abroad: not our link */
	a = new_tid(s);
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_BEGIN, a, 0, smsc, SSN_MSC, u->vlr, SSN_MSC);
	set_ac(sm, 25, 3);
	f = invoke(sm, 44, 1);
	sm_rp(f, MAP_SMRP_IMSI, u->imsi, MAP_SMRP_SC_ADDR, smsc);
	sms_text(sm, true, "447700900123");
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_END, 0, a, u->vlr, SSN_MSC, smsc, SSN_MSC);
	result(sm, 44, 1);
}

/* A roaming subscriber sends an SMS: the partner's MSC forwards it to our SMSC. */
static void flow_sms_mo(struct sim *s, struct sub *u)
{
	uint32_t a = new_tid(s);
	struct sim_msg *sm = push(s, flow_names[F_SMS_MO], false, OK);
	tcap(sm, TCAP_BEGIN, a, 0, u->vlr, SSN_MSC, s->smsc, SSN_MSC);
	set_ac(sm, 21, 3);
	struct map_fields *f = invoke(sm, 46, 1);
	sm_rp(f, MAP_SMRP_SC_ADDR, s->smsc, MAP_SMRP_MSISDN, u->msisdn);
	sms_text(sm, false, "255222100200");
	sm = push(s, flow_names[F_SMS_MO], false, OK);
	tcap(sm, TCAP_END, 0, a, s->smsc, SSN_MSC, u->vlr, SSN_MSC);
	result(sm, 46, 1);
}

/* Mobile-originated USSD from the serving VLR: request, menu, choice, final answer. */
static void flow_ussd_mo(struct sim *s, struct sub *u)
{
	const char *name = flow_names[F_USSD_MO];
	uint32_t a = new_tid(s), b = new_tid(s);
	struct sim_msg *sm = push(s, name, false, OK);
	tcap(sm, TCAP_BEGIN, a, 0, u->vlr, SSN_VLR, s->hlr, SSN_HLR);
	set_ac(sm, 19, 2);
	open_info(sm, u->imsi, u->msisdn);
	struct map_fields *f = invoke(sm, 59, 1);
	ussd(sm, ussd_menu, sizeof(ussd_menu));
	maddr(&f->msisdn, u->msisdn);
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_CONTINUE, b, a, s->hlr, SSN_HLR, u->vlr, SSN_VLR);
	invoke(sm, 60, 2);
	ussd(sm, ussd_balance, sizeof(ussd_balance));
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_CONTINUE, a, b, u->vlr, SSN_VLR, s->hlr, SSN_HLR);
	result(sm, 60, 2);
	ussd(sm, ussd_choice, sizeof(ussd_choice));
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_END, 0, a, s->hlr, SSN_HLR, u->vlr, SSN_VLR);
	result(sm, 59, 1);
	ussd(sm, ussd_balance, sizeof(ussd_balance));
}

/* Network-initiated USSD from our gateway to the subscriber's VLR. */
static void flow_ni_ussd(struct sim *s, struct sub *u)
{
	const char *name = flow_names[F_NI_USSD];
	uint32_t a = new_tid(s), b = new_tid(s);
	struct sim_msg *sm = push(s, name, false, OK);
	tcap(sm, TCAP_BEGIN, a, 0, s->ussd_gw, SSN_SCF, u->vlr, SSN_VLR);
	set_ac(sm, 19, 2);
	open_info(sm, u->imsi, NULL);
	invoke(sm, 60, 1);
	ussd(sm, ussd_menu, sizeof(ussd_menu));
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_CONTINUE, b, a, u->vlr, SSN_VLR, s->ussd_gw, SSN_SCF);
	result(sm, 60, 1);
	ussd(sm, ussd_choice, sizeof(ussd_choice));
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_END, 0, b, s->ussd_gw, SSN_SCF, u->vlr, SSN_VLR);
}

/* Our OTA platform updates a SIM (ciphered, counter checked: SPI 16 39). */
static void flow_ota(struct sim *s, struct sub *u)
{
	const char *name = flow_names[F_OTA];
	uint32_t a = new_tid(s);
	struct sim_msg *sm = push(s, name, false, OK);
	tcap(sm, TCAP_BEGIN, a, 0, s->ota_smsc, SSN_MSC, u->vlr, SSN_MSC);
	set_ac(sm, 25, 3);
	struct map_fields *f = invoke(sm, 44, 1);
	sm_rp(f, MAP_SMRP_IMSI, u->imsi, MAP_SMRP_SC_ADDR, s->ota_smsc);
	sms_ota(sm, s->ota_oa, 0xb00010, 0x16, 0x39, 0x25, 0x25);
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_END, 0, a, u->vlr, SSN_MSC, s->ota_smsc, SSN_MSC);
	result(sm, 44, 1);
}

/* A partner's HLR inserts data for, or cancels, its own subscriber in our VLR. */
static void flow_partner_hlr(struct sim *s, struct sub *u, int op)
{
	const char *name = flow_names[op == 7 ? F_ISD_ROAMER : F_CANCEL_ROAMER];
	char phlr[DFS_DIGITS_MAX + 1];
	partner_node(s, &s->partners[s->visited_partner], "0", phlr);
	uint32_t a = new_tid(s);
	struct sim_msg *sm = push(s, name, false, OK);
	tcap(sm, TCAP_BEGIN, a, 0, phlr, SSN_HLR, u->vlr, SSN_VLR);
	set_ac(sm, ac_of(op), 3);
	struct map_fields *f = invoke(sm, op, 1);
	imsi(f, u->imsi);
	if (op == 7)
		maddr(&f->msisdn, u->msisdn);
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_END, 0, a, u->vlr, SSN_VLR, phlr, SSN_HLR);
	result(sm, op, 1);
}

/* Our gsmSCF asks our HLR about a subscriber (anyTimeInterrogation inside the network). */
static void flow_ati_home(struct sim *s, struct sub *u)
{
	uint32_t a = new_tid(s);
	struct sim_msg *sm = push(s, flow_names[F_ATI_HOME], false, OK);
	tcap(sm, TCAP_BEGIN, a, 0, s->gsmscf, SSN_SCF, s->hlr, SSN_HLR);
	set_ac(sm, 29, 3);
	struct map_fields *f = invoke(sm, 71, 1);
	imsi(f, u->imsi);
	f->requested_info = MAP_RI_LOCATION | MAP_RI_STATE;
	sm = push(s, flow_names[F_ATI_HOME], false, OK);
	tcap(sm, TCAP_END, 0, a, s->hlr, SSN_HLR, s->gsmscf, SSN_SCF);
	result(sm, 71, 1);
}

/* The hub asks for routing information (its allow_ops permits op 22). */
static void flow_sri_hub(struct sim *s, struct sub *u)
{
	const struct partner *hub = NULL;
	for (unsigned i = 0; i < s->n_partners; i++)
		if (s->partners[i].hub && s->partners[i].sri_allowed)
			hub = &s->partners[i];
	if (!hub) {
		flow_ati_home(s, u);
		return;
	}
	char gt[DFS_DIGITS_MAX + 1];
	partner_node(s, hub, "5", gt);
	uint32_t a = new_tid(s);
	struct sim_msg *sm = push(s, flow_names[F_SRI_HUB], false, OK);
	tcap(sm, TCAP_BEGIN, a, 0, gt, SSN_MSC, s->hlr, SSN_HLR);
	set_ac(sm, 5, 3);
	maddr(&invoke(sm, 22, 1)->msisdn, u->msisdn);
	sm = push(s, flow_names[F_SRI_HUB], false, OK);
	tcap(sm, TCAP_END, 0, a, s->hlr, SSN_HLR, gt, SSN_MSC);
	imsi(result(sm, 22, 1), u->imsi);
}

/* A home subscriber in the home network moves to another home VLR. */
static void flow_relocate(struct sim *s, struct sub *u)
{
	if (u->where < 0)
		cpy(u->vlr, sizeof(u->vlr), strcmp(u->vlr, s->vlr[0]) ? s->vlr[0] : s->vlr[1]);
	flow_attach(s, u, flow_names[F_RELOCATE]);
}

/* The subscriber sets call forwarding to a home number from its serving VLR. */
static void flow_register_ss(struct sim *s, struct sub *u)
{
	uint32_t a = new_tid(s);
	struct sim_msg *sm = push(s, flow_names[F_REG_SS], false, OK);
	tcap(sm, TCAP_BEGIN, a, 0, u->vlr, SSN_VLR, s->hlr, SSN_HLR);
	set_ac(sm, 18, 2);
	open_info(sm, u->imsi, u->msisdn);
	struct map_fields *f = invoke(sm, 10, 1);
	f->has_ss_code = true;
	f->ss_code = 0x21; /* CFU */
	char ftn[16];
	number(s, ftn, sizeof(ftn), s->home_msisdn, 12);
	maddr(&f->ftn, ftn);
	sm = push(s, flow_names[F_REG_SS], false, OK);
	tcap(sm, TCAP_END, 0, a, s->hlr, SSN_HLR, u->vlr, SSN_VLR);
	result(sm, 10, 1);
}

/* CAMEL: a roaming subscriber's call makes the partner's MSC ask our gsmSCF (InitialDP). */
static void flow_cap(struct sim *s, struct sub *u)
{
	const char *name = flow_names[F_CAP];
	uint32_t a = new_tid(s), b = new_tid(s);
	/* InitialDPArg: serviceKey [0] 100, eventTypeBCSM [28] collectedInfo(2) */
	static const uint8_t idp[] = {0x30, 0x06, 0x80, 0x01, 0x64, 0x9c, 0x01, 0x02};
	/* CAP v2 gsmSSF-to-gsmSCF: 0.4.0.0.1.0.50.1 */
	static const uint8_t cap_ac[] = {0x04, 0x00, 0x00, 0x01, 0x00, 0x32, 0x01};
	struct sim_msg *sm = push(s, name, false, OK);
	tcap(sm, TCAP_BEGIN, a, 0, u->vlr, SSN_CAP, s->gsmscf, SSN_CAP);
	sm->m.tcap.has_dialogue = true;
	sm->m.tcap.dlg_pdu = TCAP_DLG_AARQ;
	sm->m.tcap.ac_oid.p = stash(sm, cap_ac, sizeof(cap_ac));
	sm->m.tcap.ac_oid.len = sizeof(cap_ac);
	invoke(sm, 0, 1);
	sm->m.has_map = false;
	sm->m.map.opcode = -1;
	sm->m.tcap.comp[0].param.p = stash(sm, idp, sizeof(idp));
	sm->m.tcap.comp[0].param.len = sizeof(idp);
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_CONTINUE, b, a, s->gsmscf, SSN_CAP, u->vlr, SSN_CAP);
	invoke(sm, 31, 1); /* continue */
	sm->m.has_map = false;
	sm->m.map.opcode = -1;
	sm = push(s, name, false, OK);
	tcap(sm, TCAP_END, 0, b, u->vlr, SSN_CAP, s->gsmscf, SSN_CAP);
}

/* An operation this firewall knows nothing about, in a valid MAP dialogue. */
static void flow_unknown_op(struct sim *s, struct sub *u)
{
	uint32_t a = new_tid(s);
	int op = 99 + (int)rndn(s, 8) * 7 % 9; /* 99..107: no category */
	while (op < 256 && s->cfg->op_cat[op])
		op++;
	struct sim_msg *sm = push(s, flow_names[F_UNKNOWN_OP], false, OK);
	tcap(sm, TCAP_BEGIN, a, 0, u->vlr, SSN_VLR, s->hlr, SSN_HLR);
	set_ac(sm, 14, 3);
	invoke(sm, op, 1);
	sm = push(s, flow_names[F_UNKNOWN_OP], false, OK);
	tcap(sm, TCAP_END, 0, a, s->hlr, SSN_HLR, u->vlr, SSN_VLR);
}

/* Our SMSC delivers to a roaming subscriber; the partner's MSC aborts the dialogue. */
static void flow_abort(struct sim *s, struct sub *u)
{
	uint32_t a = new_tid(s);
	struct sim_msg *sm = push(s, flow_names[F_ABORT], false, OK);
	tcap(sm, TCAP_BEGIN, a, 0, s->smsc, SSN_MSC, u->vlr, SSN_MSC);
	set_ac(sm, 25, 3);
	struct map_fields *f = invoke(sm, 44, 1);
	sm_rp(f, MAP_SMRP_IMSI, u->imsi, MAP_SMRP_SC_ADDR, s->smsc);
	sms_text(sm, true, "255222100100");
	sm = push(s, flow_names[F_ABORT], false, OK);
	tcap(sm, TCAP_ABORT, 0, a, u->vlr, SSN_MSC, s->smsc, SSN_MSC);
	sm->m.tcap.has_p_abort = true;
	sm->m.tcap.p_abort_cause = 1; /* unrecognizedTransactionID */
}

static void iam(struct sim_msg *sm, const char *cli, const char *called, uint8_t ni, uint16_t cic)
{
	struct sig_msg *m = &sm->m;
	routing(m, 5, ni);
	m->has_isup = true;
	m->isup.cic = cic;
	m->isup.msg_type = 0x01;
	m->isup.calling.present = m->isup.called.present = true;
	m->isup.calling.nai = m->isup.called.nai = 4;
	m->isup.calling.npi = m->isup.called.npi = 1;
	cpy(m->isup.calling.digits, sizeof(m->isup.calling.digits), cli);
	cpy(m->isup.called.digits, sizeof(m->isup.called.digits), called);
	m->isup.calling.odd = strlen(cli) & 1;
	m->isup.called.odd = strlen(called) & 1;
	m->isup.calling.screening = 3;
}

/* A call between home subscribers over a national link. */
static void flow_iam_national(struct sim *s, struct sub *u)
{
	struct sub *v = pick(s, AT_HOME);
	struct sim_msg *sm = push(s, flow_names[F_IAM_NATIONAL], false, OK);
	iam(sm, u->msisdn, v ? v->msisdn : u->msisdn, 2, (uint16_t)(1 + rndn(s, 2000)));
}

/* ---- attack flows -------------------------------------------------------------------------- */

static struct sim_msg *attack_begin(struct sim *s, int kind, uint8_t action, uint8_t rule, int op,
				    const char *from, const char *to, uint8_t to_ssn)
{
	struct sim_msg *sm = push(s, flow_names[kind], true, action, rule);
	tcap(sm, TCAP_BEGIN, new_tid(s), 0, from, SSN_MSC, to, to_ssn);
	if (ac_of(op))
		set_ac(sm, ac_of(op), 3);
	invoke(sm, op, 1);
	return sm;
}

#define BLOCK ACT_BLOCK

static void attack(struct sim *s, int kind)
{
	char gt[DFS_DIGITS_MAX + 1], num[16];
	attacker_gt(s, gt);
	struct sub *u = pick(s, ANY);
	struct sim_msg *sm;
	struct map_fields *f;
	if (!u)
		return;
	switch (kind) {
	case A_ATI:
		f = &attack_begin(s, kind, BLOCK, RULE_CAT1, 71, gt, s->hlr, SSN_HLR)->m.map;
		maddr(&f->msisdn, u->msisdn);
		f->requested_info = MAP_RI_LOCATION | MAP_RI_STATE;
		break;
	case A_PSL:
		f = &attack_begin(s, kind, BLOCK, RULE_CAT1, 83, gt, u->vlr, SSN_MSC)->m.map;
		maddr(&f->gmlc, gt); /* mlc-Number: the attacker's own "GMLC" */
		imsi(f, u->imsi);
		maddr(&f->msisdn, u->msisdn);
		break;
	case A_SRI:
		maddr(&attack_begin(s, kind, BLOCK, RULE_CAT1, 22, gt, s->hlr, SSN_HLR)->m.map.msisdn, u->msisdn);
		break;
	case A_PSI:
		imsi(&attack_begin(s, kind, BLOCK, RULE_CAT2, 70, gt, u->vlr, SSN_VLR)->m.map, u->imsi);
		break;
	case A_ISD:
		f = &attack_begin(s, kind, BLOCK, RULE_CAT2, 7, gt, u->vlr, SSN_VLR)->m.map;
		imsi(f, u->imsi);
		maddr(&f->msisdn, u->msisdn);
		break;
	case A_CANCEL:
		imsi(&attack_begin(s, kind, BLOCK, RULE_CAT2, 3, gt, u->vlr, SSN_VLR)->m.map, u->imsi);
		break;
	case A_SAI:
		imsi(&attack_begin(s, kind, BLOCK, RULE_CAT3, 56, gt, s->hlr, SSN_HLR)->m.map, u->imsi);
		break;
	case A_PURGE:
		f = &attack_begin(s, kind, BLOCK, RULE_CAT3, 67, gt, s->hlr, SSN_HLR)->m.map;
		imsi(f, u->imsi);
		maddr(&f->vlr, gt);
		break;
	case A_FAKE_UL:
		f = &attack_begin(s, kind, BLOCK, RULE_INTERCEPT, 2, gt, s->hlr, SSN_HLR)->m.map;
		imsi(f, u->imsi);
		maddr(&f->msc, gt);
		maddr(&f->vlr, gt);
		break;
	case A_ADDR: { /* a partner VLR names a VLR of another operator in its country */
		u = pick(s, ROAMING);
		if (!u)
			return;
		char ovlr[DFS_DIGITS_MAX + 1];
		const char *cc = s->partners[u->where].cc;
		for (int tries = 0; tries < 16; tries++) {
			number(s, ovlr, sizeof(ovlr), cc, 12);
			if (trie_lookup(&s->cfg->gt_net, ovlr, NULL) == TRIE_NONE)
				break;
		}
		if (trie_lookup(&s->cfg->gt_net, ovlr, NULL) != TRIE_NONE)
			return;
		f = &attack_begin(s, kind, ACT_ALERT, RULE_ADDR, 2, u->vlr, s->hlr, SSN_HLR)->m.map;
		imsi(f, u->imsi);
		maddr(&f->msc, ovlr);
		maddr(&f->vlr, ovlr);
		if (s->cfg->mode == MODE_STRICT || s->cfg->rules[RULE_ADDR].action_set)
			s->q[s->qn - 1].exp_action = s->cfg->mode == MODE_STRICT && !s->cfg->rules[RULE_ADDR].action_set
							     ? ACT_BLOCK
							     : s->cfg->rules[RULE_ADDR].action;
		break;
	}
	case A_VELOCITY: { /* fresh evidence at home, then an update from far away */
		u = pick(s, AT_HOME);
		if (!u || s->far_partner < 0)
			return;
		char far[DFS_DIGITS_MAX + 1];
		partner_node(s, &s->partners[s->far_partner], "1", far);
		sm = push(s, flow_names[kind], false, OK);
		tcap(sm, TCAP_BEGIN, new_tid(s), 0, u->vlr, SSN_VLR, s->hlr, SSN_HLR);
		set_ac(sm, 1, 3);
		f = invoke(sm, 2, 1);
		imsi(f, u->imsi);
		maddr(&f->msc, u->vlr);
		maddr(&f->vlr, u->vlr);
		f = &attack_begin(s, kind, BLOCK, RULE_CAT3, 2, far, s->hlr, SSN_HLR)->m.map;
		imsi(f, u->imsi);
		maddr(&f->msc, far);
		maddr(&f->vlr, far);
		break;
	}
	case A_USSD_SPOOF: /* ss7MAPer: IMSI in destinationReference, the victim's MSISDN */
		u = pick(s, ANY);
		sm = attack_begin(s, kind, BLOCK, RULE_USSD_SPOOF, 59, gt, s->hlr, SSN_HLR);
		set_ac(sm, 19, 2);
		open_info(sm, u->imsi, u->msisdn);
		ussd(sm, ussd_balance, sizeof(ussd_balance));
		maddr(&sm->m.map.msisdn, u->msisdn);
		break;
	case A_USSD_PHISH:
		sm = attack_begin(s, kind, BLOCK, RULE_USSD_PHISH, rndn(s, 2) ? 60 : 61, gt, u->vlr, SSN_VLR);
		set_ac(sm, 19, 2);
		open_info(sm, u->imsi, NULL);
		ussd(sm, ussd_phish, sizeof(ussd_phish));
		break;
	case A_CFU:
		sm = attack_begin(s, kind, BLOCK, RULE_CALLFWD, 10, gt, s->hlr, SSN_HLR);
		set_ac(sm, 18, 2);
		open_info(sm, u->imsi, u->msisdn);
		sm->m.map.has_ss_code = true;
		sm->m.map.ss_code = 0x21;
		number(s, num, sizeof(num), gt, 11);
		maddr(&sm->m.map.ftn, num);
		break;
	case A_SIMJACKER:
	case A_WIB:
		sm = attack_begin(s, kind, BLOCK, RULE_SIMJACKER, 44, gt, u->vlr, SSN_MSC);
		sm_rp(&sm->m.map, MAP_SMRP_IMSI, u->imsi, MAP_SMRP_SC_ADDR, gt);
		number(s, num, sizeof(num), gt, 11);
		sms_ota(sm, num, kind == A_WIB ? 0x000001 : 0x505348, 0, 0, 0, 0);
		break;
	case A_SRI_SM_BURST: { /* more than the per-source limit from one GT, one per target */
		uint32_t limit = s->cfg->sri_sm_source.count ? s->cfg->sri_sm_source.count : 20;
		for (uint32_t i = 0; i < limit + 8 && s->qn < SIM_QUEUE; i++) {
			bool over = s->cfg->sri_sm_source.count && i >= limit;
			uint64_t prev = s->now;
			sm = attack_begin(s, kind, over ? BLOCK : ACT_ALLOW, over ? RULE_SMS_HOME : RULE_NONE, 45, gt,
					  s->hlr, SSN_HLR);
			if (i) /* a burst: a millisecond apart */
				s->now = sm->t_ms = prev + 1;
			number(s, num, sizeof(num), s->home_msisdn, 12);
			maddr(&sm->m.map.msisdn, num);
			maddr(&sm->m.map.sc_addr, gt);
		}
		break;
	}
	case A_CLI: { /* a call into our network from an international link with one of our numbers */
		struct sub *v = pick(s, AT_HOME);
		uint8_t ni = 0;
		while (ni < 4 && !(s->cfg->cli_ni_mask & (1u << ni)))
			ni++;
		if (ni == 4)
			return;
		sm = push(s, flow_names[kind], true, s->cfg->rules[RULE_CLI].action, RULE_CLI);
		iam(sm, u->msisdn, v ? v->msisdn : u->msisdn, ni, (uint16_t)(1 + rndn(s, 2000)));
		if (sm->exp_action == ACT_ALLOW)
			sm->exp_rule = RULE_NONE;
		break;
	}
	case A_TCAP_GLOBAL:
		sm = attack_begin(s, kind, BLOCK, RULE_TCAP, 56, gt, s->hlr, SSN_HLR);
		{
			static const uint8_t oid[] = {0x2a, 0x86, 0x48, 0xce, 0x38, 0x01};
			struct tcap_component *c = &sm->m.tcap.comp[0];
			c->opcode_global = true;
			c->opcode = 0;
			c->opcode_oid.p = stash(sm, oid, sizeof(oid));
			c->opcode_oid.len = sizeof(oid);
			sm->m.has_map = false;
			sm->m.map.opcode = -1;
		}
		break;
	case A_TCAP_NODLG: /* Begin without dialogue portion: a MAP v1 disguise for a v2+ op */
		sm = push(s, flow_names[kind], true, BLOCK, RULE_TCAP);
		tcap(sm, TCAP_BEGIN, new_tid(s), 0, gt, SSN_MSC, s->hlr, SSN_HLR);
		imsi(invoke(sm, 56, 1), u->imsi);
		break;
	case A_TCAP_AC:
		sm = attack_begin(s, kind, BLOCK, RULE_TCAP, 56, gt, s->hlr, SSN_HLR);
		set_ac(sm, 60, 3);
		imsi(&sm->m.map, u->imsi);
		break;
	case A_TCAP_BER:
		sm = attack_begin(s, kind, BLOCK, RULE_TCAP, 56, gt, s->hlr, SSN_HLR);
		imsi(&sm->m.map, u->imsi);
		sm->malformed = true;
		break;
	default:
		break;
	}
}

/* ---- scheduling -------------------------------------------------------------------------- */

static void benign(struct sim *s, int kind)
{
	struct sub *u = pick(s, kind == F_SMS_MO || kind == F_CAP ? ROAMING : ANY);
	if (!u)
		u = pick(s, ANY);
	if (!u)
		return;
	switch (kind) {
	case F_ATTACH: flow_attach(s, u, flow_names[F_ATTACH]); break;
	case F_SAI: flow_sai(s, u); break;
	case F_SMS_MT: flow_sms_mt(s, u, true); break;
	case F_SRI_SM: flow_sms_mt(s, u, false); break;
	case F_SMS_MO: flow_sms_mo(s, u); break;
	case F_USSD_MO: flow_ussd_mo(s, u); break;
	case F_NI_USSD:
		if (s->ussd_gw[0])
			flow_ni_ussd(s, u);
		break;
	case F_OTA:
		if (s->has_ota)
			flow_ota(s, u);
		break;
	case F_ISD_ROAMER:
	case F_CANCEL_ROAMER:
		if ((u = pick(s, FOREIGN)) != NULL)
			flow_partner_hlr(s, u, kind == F_ISD_ROAMER ? 7 : 3);
		break;
	case F_ATI_HOME: flow_ati_home(s, u); break;
	case F_RELOCATE: flow_relocate(s, u); break;
	case F_REG_SS:
		if (!u->foreign)
			flow_register_ss(s, u);
		break;
	case F_CAP: flow_cap(s, u); break;
	case F_UNKNOWN_OP: flow_unknown_op(s, u); break;
	case F_ABORT: flow_abort(s, u); break;
	case F_SRI_HUB: flow_sri_hub(s, u); break;
	case F_IAM_NATIONAL:
		if (!u->foreign)
			flow_iam_national(s, u);
		break;
	default: break;
	}
}

/* Relative frequency of benign flows in the mix. */
static const uint8_t benign_weight[F_BENIGN_COUNT] = {
	[F_ATTACH] = 2, [F_SAI] = 12, [F_SMS_MT] = 14, [F_SMS_MO] = 10, [F_SRI_SM] = 6, [F_USSD_MO] = 8,
	[F_NI_USSD] = 3, [F_OTA] = 2, [F_ISD_ROAMER] = 2, [F_CANCEL_ROAMER] = 1, [F_ATI_HOME] = 3,
	[F_RELOCATE] = 3, [F_REG_SS] = 2, [F_CAP] = 6, [F_UNKNOWN_OP] = 2, [F_ABORT] = 3, [F_SRI_HUB] = 2,
	[F_IAM_NATIONAL] = 6,
};

static int benign_mix(struct sim *s)
{
	unsigned total = 0;
	for (int i = 0; i < F_BENIGN_COUNT; i++)
		total += benign_weight[i];
	unsigned r = rndn(s, total);
	for (int i = 0; i < F_BENIGN_COUNT; i++) {
		if (r < benign_weight[i])
			return i;
		r -= benign_weight[i];
	}
	return F_SAI;
}

static int list_pick(struct sim *s, const int *l)
{
	unsigned n = 0;
	while (n < 8 && l[n] >= 0)
		n++;
	return n ? l[rndn(s, n)] : -1;
}

/* Fill the queue with the next flow. */
static void refill(struct sim *s)
{
	s->qn = s->qi = 0;
	if (s->attach_next < s->n_subs) {
		flow_attach(s, &s->subs[s->attach_next++], flow_names[F_ATTACH]);
		return;
	}
	if (!s->quiet_done) {
		s->now += QUIET_MS;
		s->quiet_done = true;
	}
	/* round-robin over scenarios that still want messages */
	struct scen *sc = NULL;
	for (unsigned i = 0; i < s->n_scen; i++) {
		struct scen *c = &s->scen[(s->scen_turn + i) % s->n_scen];
		if (c->made < c->want) {
			sc = c;
			s->scen_turn = (s->scen_turn + i + 1) % s->n_scen;
			break;
		}
	}
	if (!sc)
		return;
	s->now += rndn(s, 400);
	const struct scen_def *d = sc->def;
	if (rndn(s, 1000) < d->attack_permille) {
		int k = !strcmp(d->name, "attacks") || !strcmp(d->name, "mixed")
				? (int)(A_ATI + rndn(s, F_KIND_COUNT - A_ATI))
				: list_pick(s, d->attacks);
		attack(s, k);
	} else {
		int k = d->twins[0] >= 0 ? list_pick(s, d->twins) : benign_mix(s);
		benign(s, k);
	}
	sc->made += s->qn;
}

static int ensure_population(struct sim *s);

const struct sim_msg *sim_next(struct sim *s)
{
	if (ensure_population(s) < 0)
		return NULL;
	for (int guard = 0; s->qi >= s->qn && guard < 1000; guard++) {
		if (s->total_made >= s->total_want)
			return NULL;
		refill(s);
		if (!s->qn && s->attach_next >= s->n_subs) {
			bool left = false;
			for (unsigned i = 0; i < s->n_scen; i++)
				left |= s->scen[i].made < s->scen[i].want;
			if (!left)
				return NULL;
		}
	}
	if (s->qi >= s->qn || s->total_made >= s->total_want)
		return NULL;
	struct sim_msg *sm = &s->q[s->qi++];
	sm->frame = ++s->frame;
	s->total_made++;
	return sm;
}

int sim_add_scenario(struct sim *s, const char *name, uint64_t count)
{
	for (unsigned i = 0; i < N_SCEN_DEFS; i++) {
		if (strcasecmp(scen_defs[i].name, name))
			continue;
		if (s->n_scen >= MAX_SCEN)
			return -ENOSPC;
		s->scen[s->n_scen++] = (struct scen){&scen_defs[i], count ? count : 2000, 0};
		s->total_want += (count ? count : 2000);
		return 0;
	}
	return -ENOENT;
}

struct sim *sim_new(const struct policy_config *cfg, uint64_t seed, char *err, size_t errsz)
{
	struct sim *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	s->cfg = cfg;
	s->rng = seed;
	s->now = T_START;
	s->tid = 0x10000;
	if (geo_index_init(&s->geo) < 0) {
		snprintf(err, errsz, "out of memory");
		free(s);
		return NULL;
	}
	if (load_topology(s, err, errsz) < 0) {
		sim_free(s);
		return NULL;
	}
	return s;
}

/* The population is made when the first message is asked for: its size follows the count. */
static int ensure_population(struct sim *s)
{
	if (s->subs)
		return 0;
	uint64_t n = s->total_want / 60;
	if (n < 40)
		n = 40;
	if (n > 50000)
		n = 50000;
	s->total_want += n * 6; /* the attach wave comes on top of the scenarios' counts */
	return make_population(s, (unsigned)n);
}

void sim_free(struct sim *s)
{
	if (!s)
		return;
	geo_index_free(&s->geo);
	free(s->subs);
	free(s);
}

int sim_label_csv(const struct sim_msg *sm, char *out, size_t outsz)
{
	const struct sig_msg *m = &sm->m;
	int op = -1;
	if (m->has_tcap && m->tcap.n_components && m->tcap.comp[0].has_opcode && !m->tcap.comp[0].opcode_global)
		op = m->tcap.comp[0].opcode;
	int n = snprintf(out, outsz, "%llu,%llu,%s,%s,%d,%s,%d,%s,%s", (unsigned long long)sm->frame,
			 (unsigned long long)sm->t_ms, get_value_string(verdict_action_names, sm->exp_action),
			 sm->exp_rule ? rule_name(sm->exp_rule) : "", sm->attack ? 1 : 0, sm->flow, op,
			 m->has_sccp ? m->sccp.calling.digits : "", m->has_sccp ? m->sccp.called.digits : "");
	return n < 0 || (size_t)n >= outsz ? -ENOSPC : 0;
}
