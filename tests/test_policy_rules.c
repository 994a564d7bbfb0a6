/* One test per firewall rule (THREATS.md section A): the attack fires exactly that rule and
 * its benign twin passes. Plus monitor mode, pseudonymisation, the alert JSON, SIM-swap
 * events, learning from results, traffic that must pass (CAP, unknown operations), and the
 * seven SigFW cases of ../shared/vectors/sigfw-cases.md as hand-built decoded messages. */
#include "policy_testlib.h"

#include <errno.h>
#include <stdlib.h>

/* Kilima Mobile (+255, 640-99) with two roaming partners and a hub. */
static const char *cfg_yaml =
	"operator: Test\n"
	"home:\n"
	"  country_code: '255'\n"
	"  imsi_prefixes: ['64099']\n"
	"  gt_prefixes: ['2557990']\n"
	"  msisdn_prefixes: ['25579']\n"
	"  mgt: [{imsi_prefix: '64099', mgt_prefix: '25579'}]\n"
	"nodes:\n"
	"  hlr: ['25579900001']\n"
	"  vlr: ['25579900100']\n"
	"  msc: ['25579900100']\n"
	"  ussd_gateway: ['25579900400', '254799077']\n"
	"  ota: {smsc: ['25579900310'], originators: ['25579900999']}\n"
	"partners:\n"
	"  - {name: Savanna, country: '254', gt_prefixes: ['2547990'], imsi_prefixes: ['63999']}\n"
	"  - {name: Alpen, country: '49', gt_prefixes: ['49179900'], imsi_prefixes: ['26299']}\n"
	"  - {name: Hub, country: '971', gt_prefixes: ['97159900'], imsi_prefixes: ['42499'], hub: true,\n"
	"     allow_ops: [22]}\n"
	"rules:\n"
	"  FW-SMS-HOME: {per_source: {count: 5, per: 60s}, per_target: {count: 3, per: 60s}}\n";

#define T0 1700000000000ull
#define MIN 60000ull
#define HOUR (60 * MIN)

#define HOME_IMSI "640990000000001"
#define HOME_MSISDN "255790000001"
#define HOME_HLR "25579900001"
#define HOME_VLR "25579900100"
#define ALPEN_VLR "491799001234"
#define ALPEN_HLR "491799000001"
#define ALPEN_IMSI "262990000000007"
#define SAVANNA_VLR "2547990555"
#define FOREIGN_GT "33612345678" /* France: no roaming agreement */

struct fixture {
	struct policy_config *cfg;
	struct policy_ctx *ctx;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->cfg = tl_config(cfg_yaml);
	f->ctx = tl_ctx(f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	policy_free(f->ctx);
	policy_config_free(f->cfg);
	free(f);
	return 0;
}

static struct policy_ctx *ctx_of(void **state) { return ((struct fixture *)*state)->ctx; }

static int eval(void **state, const struct sig_msg *m, uint64_t now, struct verdict *v)
{
	int a = policy_eval(ctx_of(state), m, now, v);
	if (v->rule)
		printf("  %-6s %-14s %s\n", get_value_string(verdict_action_names, v->action),
		       rule_name(v->rule), v->reason);
	return a;
}

static void expect(const struct verdict *v, enum verdict_action a, enum rule_id r)
{
	if (v->action != a || v->rule != r)
		fail_msg("expected %s/%s, got %s/%s (%s)", get_value_string(verdict_action_names, a),
			 rule_name(r), get_value_string(verdict_action_names, v->action), rule_name(v->rule),
			 v->reason);
}

/* An updateLocation for imsi from vlr (the VLR's own GT) to our HLR. */
static void ul(void **state, const char *vlr, const char *imsi, uint64_t now, struct verdict *v)
{
	struct sig_msg m;
	tl_msg(&m, TCAP_BEGIN, 2, vlr, HOME_HLR);
	tl_imsi(&m, imsi);
	tl_maddr(&m.map.vlr, vlr);
	tl_maddr(&m.map.msc, vlr);
	eval(state, &m, now, v);
}

/* The subscriber attached at home two days before T0 and roamed to Alpen at T0. */
static void roam_to_alpen(void **state)
{
	struct verdict v;
	ul(state, HOME_VLR, HOME_IMSI, T0 - 48 * HOUR, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	ul(state, ALPEN_VLR, HOME_IMSI, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
}

/* ---- FW-CAT1 ---------------------------------------------------------------------- */

static void test_FW_CAT1(void **state)
{
	struct sig_msg m;
	struct verdict v;
	tl_msg(&m, TCAP_BEGIN, 71, ALPEN_VLR, HOME_HLR); /* anyTimeInterrogation from a partner */
	tl_imsi(&m, HOME_IMSI);
	eval(state, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_CAT1);
	assert_int_equal(v.category, 1);
	assert_int_equal(v.opcode, 71);
	assert_int_equal(v.answer, ANSWER_TCAP_ABORT);
	assert_string_equal(v.imsi, HOME_IMSI);
	assert_string_equal(v.calling_gt, ALPEN_VLR);

	/* every default category-1 operation from a foreign GT, whatever the payload */
	static const int ops[] = {9, 22, 24, 43, 55, 58, 62, 65, 71, 83, 85};
	for (unsigned i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		tl_msg(&m, TCAP_BEGIN, ops[i], FOREIGN_GT, HOME_HLR);
		eval(state, &m, T0, &v);
		expect(&v, ACT_BLOCK, RULE_CAT1);
	}
	/* benign twin: the same ATI inside the home network */
	tl_msg(&m, TCAP_BEGIN, 71, "25579900410", HOME_HLR);
	tl_imsi(&m, HOME_IMSI);
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	/* a partner's allow_ops exception: sendRoutingInfo from the hub */
	tl_msg(&m, TCAP_BEGIN, 22, "971599001", HOME_HLR);
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
}

/* ---- FW-CAT2 ---------------------------------------------------------------------- */

static void test_FW_CAT2(void **state)
{
	struct sig_msg m;
	struct verdict v;
	tl_msg(&m, TCAP_BEGIN, 70, ALPEN_HLR, HOME_VLR); /* provideSubscriberInfo for our subscriber */
	tl_imsi(&m, HOME_IMSI);
	eval(state, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_CAT2);
	assert_int_equal(v.category, 2);

	/* benign twin: Alpen's HLR inserting data for its own roamer in our VLR */
	tl_msg(&m, TCAP_BEGIN, 7, ALPEN_HLR, HOME_VLR);
	tl_imsi(&m, ALPEN_IMSI);
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);

	/* the same ISD for Alpen's roamer sent by another network */
	tl_msg(&m, TCAP_BEGIN, 7, SAVANNA_VLR, HOME_VLR);
	tl_imsi(&m, ALPEN_IMSI);
	eval(state, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_CAT2);
	/* cancelLocation without any IMSI */
	tl_msg(&m, TCAP_BEGIN, 3, ALPEN_HLR, HOME_VLR);
	eval(state, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_CAT2);
}

/* ---- FW-CAT3 ---------------------------------------------------------------------- */

static void test_FW_CAT3(void **state)
{
	struct sig_msg m;
	struct verdict v;
	ul(state, HOME_VLR, HOME_IMSI, T0, &v); /* home activity */
	expect(&v, ACT_ALLOW, RULE_NONE);
	/* updateLocation from Germany five minutes later: faster than any plane */
	ul(state, ALPEN_VLR, HOME_IMSI, T0 + 5 * MIN, &v);
	expect(&v, ACT_BLOCK, RULE_CAT3);
	assert_non_null(strstr(v.reason, "implausible"));
	/* benign twin: the same update twelve hours later */
	ul(state, ALPEN_VLR, HOME_IMSI, T0 + 12 * HOUR, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	/* crossing the border into Kenya two minutes after home activity is no impossible move */
	ul(state, HOME_VLR, "640990000000005", T0, &v);
	ul(state, SAVANNA_VLR, "640990000000005", T0 + 2 * MIN, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);

	/* SAI from the VLR where the subscriber roams passes */
	tl_msg(&m, TCAP_BEGIN, 56, ALPEN_VLR, HOME_HLR);
	tl_imsi(&m, HOME_IMSI);
	eval(state, &m, T0 + 13 * HOUR, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	/* from a network that is no partner: blocked */
	tl_msg(&m, TCAP_BEGIN, 56, FOREIGN_GT, HOME_HLR);
	tl_imsi(&m, HOME_IMSI);
	eval(state, &m, T0 + 13 * HOUR, &v);
	expect(&v, ACT_BLOCK, RULE_CAT3);
	/* from another partner too far away for the time since the last activity */
	tl_msg(&m, TCAP_BEGIN, 56, SAVANNA_VLR, HOME_HLR);
	tl_imsi(&m, HOME_IMSI);
	eval(state, &m, T0 + 13 * HOUR + 10 * MIN, &v);
	expect(&v, ACT_BLOCK, RULE_CAT3);
	/* purgeMS from a VLR that does not serve the subscriber */
	tl_msg(&m, TCAP_BEGIN, 67, SAVANNA_VLR, HOME_HLR);
	tl_imsi(&m, HOME_IMSI);
	tl_maddr(&m.map.vlr, SAVANNA_VLR);
	eval(state, &m, T0 + 14 * HOUR, &v);
	expect(&v, ACT_BLOCK, RULE_CAT3);
}

/* ---- FW-USSD-SPOOF ---------------------------------------------------------------- */

static void ussd59(struct sig_msg *m, const char *from, const char *imsi, const char *msisdn)
{
	tl_msg(m, TCAP_BEGIN, 59, from, HOME_HLR);
	tl_open_info(m, imsi, msisdn);
	m->map.has_ussd = true;
	m->map.ussd_dcs = 0x0f;
	tl_maddr(&m->map.msisdn, msisdn);
}

static void test_FW_USSD_SPOOF(void **state)
{
	struct sig_msg m;
	struct verdict v;
	roam_to_alpen(state);
	/* ss7MAPer-style spoof: op 59 on behalf of the victim from a fake VLR */
	ussd59(&m, FOREIGN_GT, HOME_IMSI, HOME_MSISDN);
	eval(state, &m, T0 + 3 * HOUR, &v);
	expect(&v, ACT_BLOCK, RULE_USSD_SPOOF);
	assert_string_equal(v.imsi, HOME_IMSI);
	assert_string_equal(v.msisdn, HOME_MSISDN);
	/* benign twin: the same request from the serving VLR (learns the binding) */
	ussd59(&m, ALPEN_VLR, HOME_IMSI, HOME_MSISDN);
	eval(state, &m, T0 + 3 * HOUR, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	/* from the serving VLR but with another MSISDN than the IMSI's binding */
	ussd59(&m, ALPEN_VLR, HOME_IMSI, "255790009999");
	eval(state, &m, T0 + 3 * HOUR + MIN, &v);
	expect(&v, ACT_BLOCK, RULE_USSD_SPOOF);
	assert_non_null(strstr(v.reason, "bound to " HOME_MSISDN));
}

/* ---- FW-USSD-PHISH ---------------------------------------------------------------- */

static void test_FW_USSD_PHISH(void **state)
{
	struct sig_msg m;
	struct verdict v;
	tl_msg(&m, TCAP_BEGIN, 60, ALPEN_HLR, HOME_VLR); /* "enter your PIN" */
	tl_open_info(&m, HOME_IMSI, NULL);
	eval(state, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_USSD_PHISH);
	tl_msg(&m, TCAP_BEGIN, 61, FOREIGN_GT, HOME_VLR); /* notify, addressed by MSISDN only */
	tl_maddr(&m.map.msisdn, HOME_MSISDN);
	eval(state, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_USSD_PHISH);
	/* benign twins: from our own gateway (inside, and hosted at a partner) */
	tl_msg(&m, TCAP_BEGIN, 60, "25579900400", HOME_VLR);
	tl_open_info(&m, HOME_IMSI, NULL);
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	tl_msg(&m, TCAP_BEGIN, 60, "254799077", HOME_VLR);
	tl_open_info(&m, HOME_IMSI, NULL);
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	/* Alpen's own USSD service for its roamer in our network: an ordinary category-2 case */
	tl_msg(&m, TCAP_BEGIN, 60, ALPEN_HLR, HOME_VLR);
	tl_open_info(&m, ALPEN_IMSI, NULL);
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
}

/* ---- FW-INTERCEPT ------------------------------------------------------------------ */

static void test_FW_INTERCEPT(void **state)
{
	struct sig_msg m;
	struct verdict v;
	/* victim registered at a fake VLR outside the roaming partners */
	ul(state, FOREIGN_GT, HOME_IMSI, T0, &v);
	expect(&v, ACT_BLOCK, RULE_INTERCEPT);
	/* benign twin: a partner's VLR */
	ul(state, ALPEN_VLR, HOME_IMSI, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	/* an allowed move abroad followed within minutes by USSD from there is reported */
	ussd59(&m, ALPEN_VLR, HOME_IMSI, HOME_MSISDN);
	eval(state, &m, T0 + 2 * MIN, &v);
	expect(&v, ACT_ALERT, RULE_INTERCEPT);
	/* ... and not once the window has passed */
	ussd59(&m, ALPEN_VLR, HOME_IMSI, HOME_MSISDN);
	eval(state, &m, T0 + 30 * MIN, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
}

/* ---- FW-CALLFWD --------------------------------------------------------------------- */

static void register_ss(struct sig_msg *m, const char *from, const char *ftn)
{
	tl_msg(m, TCAP_BEGIN, 10, from, HOME_HLR);
	tl_open_info(m, HOME_IMSI, from);
	m->map.has_ss_code = true;
	m->map.ss_code = 0x21; /* CFU */
	tl_maddr(&m->map.ftn, ftn);
}

static void test_FW_CALLFWD(void **state)
{
	struct sig_msg m;
	struct verdict v;
	roam_to_alpen(state);
	/* registerSS CFU from a VLR that does not serve the subscriber */
	register_ss(&m, SAVANNA_VLR, "255790000555");
	eval(state, &m, T0 + 5 * HOUR, &v);
	expect(&v, ACT_BLOCK, RULE_CALLFWD);
	/* benign twin: from the serving VLR to a home number */
	register_ss(&m, ALPEN_VLR, "255790000555");
	eval(state, &m, T0 + 5 * HOUR, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	/* from the serving VLR, forwarding abroad: allowed but reported */
	register_ss(&m, ALPEN_VLR, "447700900123");
	eval(state, &m, T0 + 5 * HOUR, &v);
	expect(&v, ACT_ALERT, RULE_CALLFWD);
}

/* ---- FW-SIMJACKER ------------------------------------------------------------------- */

static void binary_sms(struct sig_msg *m, const char *smsc, const char *oa, uint32_t tar, uint8_t spi0,
		       uint8_t spi1)
{
	tl_msg(m, TCAP_BEGIN, 44, smsc, HOME_VLR);
	tl_imsi(m, HOME_IMSI);
	m->map.sm_rp_da_type = MAP_SMRP_IMSI;
	tl_copy(m->map.sm_rp_da, sizeof(m->map.sm_rp_da), HOME_IMSI);
	m->map.sm_rp_oa_type = MAP_SMRP_SC_ADDR;
	tl_copy(m->map.sm_rp_oa, sizeof(m->map.sm_rp_oa), smsc);
	m->map.has_tpdu = true;
	struct sms_tpdu *t = &m->map.tpdu;
	t->is_deliver = true;
	t->udhi = true;
	t->pid = 0x7f; /* SIM data download */
	t->dcs = 0xf6; /* 8-bit, class 2 */
	tl_copy(t->addr, sizeof(t->addr), oa);
	t->has_cmd_pkt = true;
	t->has_ota_hdr = true;
	t->ota.tar = tar;
	t->ota.spi[0] = spi0;
	t->ota.spi[1] = spi1;
}

static void test_FW_SIMJACKER(void **state)
{
	struct sig_msg m;
	struct verdict v;
	/* the ota-kat.md Simjacker packet: SPI 0000, KIc/KID 00, TAR 505348 (S@T) */
	binary_sms(&m, ALPEN_VLR, "12345", 0x505348, 0x00, 0x00);
	eval(state, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_SIMJACKER);
	assert_non_null(strstr(v.reason, "S@T"));
	/* a binary SMS to the SIM from any SMSC but our OTA platform, even with security */
	binary_sms(&m, ALPEN_VLR, "12345", 0xb00011, 0x16, 0x21);
	eval(state, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_SIMJACKER);
	/* a WIB TAR from outside */
	binary_sms(&m, ALPEN_VLR, "12345", 0x000003, 0x16, 0x21);
	eval(state, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_SIMJACKER);
	/* benign twin: the operator's OTA platform, ciphered packet (ota-kat.md aes-cc-cipher) */
	binary_sms(&m, "25579900310", "25579900999", 0xb00011, 0x06, 0x19);
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	/* the OTA platform's SMSC with another originator is not the platform */
	binary_sms(&m, "25579900310", "25579900123", 0xb00011, 0x06, 0x19);
	eval(state, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_SIMJACKER);
	/* an ordinary text SMS from a partner passes */
	binary_sms(&m, ALPEN_VLR, "12345", 0, 0, 0);
	m.map.tpdu.pid = 0;
	m.map.tpdu.dcs = 0;
	m.map.tpdu.has_cmd_pkt = m.map.tpdu.has_ota_hdr = false;
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	/* the SIM's answer to a data download from outside: an mt-forwardSM result carrying an
	 * SMS-DELIVER-REPORT with PID 7F, DCS F6 and a response packet (UDH IEI 71) */
	tl_msg(&m, TCAP_END, -1, ALPEN_VLR, "25579900310");
	tl_result(&m, 44);
	m.map.has_tpdu = true;
	m.map.tpdu.is_report = m.map.tpdu.is_deliver = m.map.tpdu.udhi = m.map.tpdu.has_rsp_pkt = true;
	m.map.tpdu.pi = 0x07;
	m.map.tpdu.pid = 0x7f;
	m.map.tpdu.dcs = 0xf6;
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
}

/* ---- FW-SMS-HOME ---------------------------------------------------------------------- */

static void sri_sm(struct sig_msg *m, const char *from, const char *msisdn)
{
	tl_msg(m, TCAP_BEGIN, 45, from, HOME_HLR);
	tl_maddr(&m->map.msisdn, msisdn);
	tl_maddr(&m->map.sc_addr, from);
}

static void test_FW_SMS_HOME(void **state)
{
	struct sig_msg m;
	struct verdict v;
	char msisdn[16];
	/* a burst from one GT: 5 per minute pass, the 6th is throttled */
	for (int i = 0; i < 6; i++) {
		snprintf(msisdn, sizeof(msisdn), "2557900001%02d", i);
		sri_sm(&m, ALPEN_VLR, msisdn);
		eval(state, &m, T0 + (uint64_t)i * 100, &v);
		if (i < 5)
			expect(&v, ACT_ALLOW, RULE_NONE);
		else
			expect(&v, ACT_BLOCK, RULE_SMS_HOME);
	}
	assert_int_equal(v.answer, ANSWER_MAP_ERROR);
	assert_int_equal(v.map_error, 34);
	/* benign twin: the same number of requests spread over time */
	for (int i = 0; i < 10; i++) {
		snprintf(msisdn, sizeof(msisdn), "2557900002%02d", i);
		sri_sm(&m, SAVANNA_VLR, msisdn);
		eval(state, &m, T0 + (uint64_t)i * 15000, &v);
		expect(&v, ACT_ALLOW, RULE_NONE);
	}
	/* one target asked for by many sources */
	for (int i = 0; i < 4; i++) {
		char gt[16];
		snprintf(gt, sizeof(gt), "4917990050%d", i);
		sri_sm(&m, gt, HOME_MSISDN);
		eval(state, &m, T0 + 2 * MIN, &v);
		expect(&v, i < 3 ? ACT_ALLOW : ACT_BLOCK, i < 3 ? RULE_NONE : RULE_SMS_HOME);
	}
}

/* ---- FW-ADDR --------------------------------------------------------------------------- */

static void test_FW_ADDR(void **state)
{
	struct sig_msg m;
	struct verdict v;
	/* updateLocation from Alpen naming a Savanna VLR */
	tl_msg(&m, TCAP_BEGIN, 2, ALPEN_VLR, HOME_HLR);
	tl_imsi(&m, HOME_IMSI);
	tl_maddr(&m.map.vlr, SAVANNA_VLR);
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALERT, RULE_ADDR);
	/* E.214 called GT of another subscriber than the IMSI in the argument */
	tl_msg(&m, TCAP_BEGIN, 56, ALPEN_VLR, "25579000000099");
	m.sccp.called.np = 7;
	tl_imsi(&m, HOME_IMSI);
	eval(state, &m, T0 + HOUR, &v);
	expect(&v, ACT_ALERT, RULE_ADDR);
	/* SRI-SM whose SC address belongs to another network than the calling GT */
	sri_sm(&m, ALPEN_VLR, HOME_MSISDN);
	tl_maddr(&m.map.sc_addr, "2547990001");
	eval(state, &m, T0 + HOUR, &v);
	expect(&v, ACT_ALERT, RULE_ADDR);
	/* benign twins: consistent addresses, and an E.214 GT that matches */
	tl_msg(&m, TCAP_BEGIN, 2, ALPEN_VLR, HOME_HLR);
	tl_imsi(&m, "640990000000002");
	tl_maddr(&m.map.vlr, ALPEN_VLR);
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	tl_msg(&m, TCAP_BEGIN, 56, ALPEN_VLR, "25579000000000");
	m.sccp.called.np = 7;
	tl_imsi(&m, "640990000000002");
	eval(state, &m, T0 + HOUR, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
}

static void test_FW_ADDR_strict(void **state)
{
	char yaml[4096];
	snprintf(yaml, sizeof(yaml), "%spolicy: {mode: strict}\n", cfg_yaml);
	struct policy_config *c = tl_config(yaml);
	struct policy_ctx *p = tl_ctx(c);
	struct sig_msg m;
	struct verdict v;
	tl_msg(&m, TCAP_BEGIN, 2, ALPEN_VLR, HOME_HLR);
	tl_imsi(&m, HOME_IMSI);
	tl_maddr(&m.map.vlr, SAVANNA_VLR);
	policy_eval(p, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_ADDR);
	policy_free(p);
	policy_config_free(c);
}

/* ---- FW-TCAP ------------------------------------------------------------------------------ */

static void test_FW_TCAP(void **state)
{
	struct sig_msg m;
	struct verdict v;
	static const uint8_t oid[] = {0x2a, 0x03};
	/* a global (OID) opcode */
	tl_msg(&m, TCAP_BEGIN, 71, ALPEN_VLR, HOME_HLR);
	m.tcap.comp[0].opcode_global = true;
	m.tcap.comp[0].opcode_oid = (struct dfs_view){oid, sizeof(oid)};
	eval(state, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_TCAP);
	/* sendAuthenticationInfo in a Begin without dialogue portion */
	tl_msg(&m, TCAP_BEGIN, 56, ALPEN_VLR, HOME_HLR);
	m.tcap.has_dialogue = false;
	m.tcap.ac_is_map = false;
	m.tcap.ac_oid.len = 0;
	eval(state, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_TCAP);
	/* an application context in the MAP arc that does not exist */
	tl_msg(&m, TCAP_BEGIN, 2, ALPEN_VLR, HOME_HLR);
	m.tcap.map_ac = 99;
	eval(state, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_TCAP);
	/* Begin that carries a destination transaction id */
	tl_msg(&m, TCAP_BEGIN, 2, ALPEN_VLR, HOME_HLR);
	tl_tids(&m, true, 1, true, 2);
	eval(state, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_TCAP);
	/* malformed BER: the decoder's error becomes the reason */
	struct dfs_err err = {"tcap", "component length", 42, "length exceeds the message"};
	tl_msg(&m, TCAP_BEGIN, -1, FOREIGN_GT, HOME_HLR);
	m.has_tcap = false;
	policy_eval_malformed(ctx_of(state), &m, &err, T0, &v);
	expect(&v, ACT_BLOCK, RULE_TCAP);
	assert_string_equal(v.reason, "malformed tcap: component length at offset 42: length exceeds the message");
	assert_string_equal(v.calling_gt, FOREIGN_GT);
	assert_int_equal(v.answer, ANSWER_UDTS);
	policy_eval_malformed(ctx_of(state), NULL, &err, T0, &v);
	expect(&v, ACT_BLOCK, RULE_TCAP);

	/* benign twins: a MAP v1 location update (no dialogue portion) from a partner */
	ul(state, ALPEN_VLR, HOME_IMSI, T0, &v);
	tl_msg(&m, TCAP_BEGIN, 2, ALPEN_VLR, HOME_HLR);
	m.tcap.has_dialogue = m.tcap.ac_is_map = false;
	m.tcap.ac_oid.len = 0;
	tl_imsi(&m, HOME_IMSI);
	tl_maddr(&m.map.vlr, ALPEN_VLR);
	eval(state, &m, T0 + MIN, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	const struct policy_stats *st = policy_get_stats(ctx_of(state));
	assert_int_equal(st->malformed, 2);
}

/* ---- FW-CLI ------------------------------------------------------------------------------ */

static void iam(struct sig_msg *m, uint8_t ni, uint8_t nai, const char *cli)
{
	memset(m, 0, sizeof(*m));
	m->has_m3ua = m->has_isup = true;
	m->m3ua.has_proto_data = true;
	m->m3ua.pd.opc = 1234;
	m->m3ua.pd.dpc = 100;
	m->m3ua.pd.si = 5;
	m->m3ua.pd.ni = ni;
	m->isup.cic = 7;
	m->isup.msg_type = 0x01;
	m->isup.calling.present = true;
	m->isup.calling.nai = nai;
	tl_copy(m->isup.calling.digits, sizeof(m->isup.calling.digits), cli);
}

static void test_FW_CLI(void **state)
{
	struct sig_msg m;
	struct verdict v;
	iam(&m, 0, 4, "255790000001"); /* home CLI over an international link */
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALERT, RULE_CLI);
	assert_string_equal(v.msisdn, "255790000001");
	iam(&m, 0, 3, "790000001"); /* the same as a national number */
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALERT, RULE_CLI);
	/* benign twins: a national link, and a foreign caller on the international link */
	iam(&m, 2, 4, "255790000001");
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	iam(&m, 0, 4, "4930123456");
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
}

/* ---- modes, learning, output ------------------------------------------------------------- */

static void test_monitor_mode(void **state)
{
	char yaml[4096];
	snprintf(yaml, sizeof(yaml), "%spolicy: {monitor: true}\n", cfg_yaml);
	struct policy_config *c = tl_config(yaml);
	struct policy_ctx *p = tl_ctx(c);
	struct sig_msg m;
	struct verdict v;
	tl_msg(&m, TCAP_BEGIN, 71, FOREIGN_GT, HOME_HLR);
	assert_int_equal(policy_eval(p, &m, T0, &v), ACT_ALERT);
	assert_int_equal(v.rule, RULE_CAT1);
	assert_int_equal(v.rule_action, ACT_BLOCK);
	assert_true(v.monitored);
	assert_int_equal(v.answer, ANSWER_NONE);
	/* a rule set to alert stays an alert, an allow stays an allow */
	iam(&m, 0, 4, "255790000001");
	policy_eval(p, &m, T0, &v);
	assert_int_equal(v.action, ACT_ALERT);
	assert_false(v.monitored);
	tl_msg(&m, TCAP_BEGIN, 71, HOME_VLR, HOME_HLR);
	assert_int_equal(policy_eval(p, &m, T0, &v), ACT_ALLOW);
	policy_free(p);
	policy_config_free(c);
}

static void test_rule_action_override(void **state)
{
	char yaml[4096];
	snprintf(yaml, sizeof(yaml), "%s  FW-CAT1: {action: alert}\n  FW-CAT2: {action: allow}\n", cfg_yaml);
	struct policy_config *c = tl_config(yaml);
	struct policy_ctx *p = tl_ctx(c);
	struct sig_msg m;
	struct verdict v;
	tl_msg(&m, TCAP_BEGIN, 71, FOREIGN_GT, HOME_HLR);
	policy_eval(p, &m, T0, &v);
	expect(&v, ACT_ALERT, RULE_CAT1);
	tl_msg(&m, TCAP_BEGIN, 70, ALPEN_HLR, HOME_VLR);
	tl_imsi(&m, HOME_IMSI);
	policy_eval(p, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	policy_free(p);
	policy_config_free(c);
}

static void test_unknown_state_policy(void **state)
{
	struct sig_msg m;
	struct verdict v;
	/* learning: USSD for a subscriber never seen is reported, not blocked */
	ussd59(&m, ALPEN_VLR, HOME_IMSI, HOME_MSISDN);
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALERT, RULE_USSD_SPOOF);
	/* strict: blocked */
	char yaml[4096];
	snprintf(yaml, sizeof(yaml), "%spolicy: {mode: strict}\n", cfg_yaml);
	struct policy_config *c = tl_config(yaml);
	struct policy_ctx *p = tl_ctx(c);
	policy_eval(p, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_USSD_SPOOF);
	policy_free(p);
	policy_config_free(c);
}

static void test_pass_unjudged_traffic(void **state)
{
	struct sig_msg m;
	struct verdict v;
	/* CAP InitialDP from a foreign gsmSCF (SSN 146, CAP application context) */
	static const uint8_t cap_oid[] = {0x04, 0x00, 0x00, 0x01, 0x15, 0x03, 0x04};
	tl_msg(&m, TCAP_BEGIN, 0, FOREIGN_GT, HOME_VLR);
	m.sccp.calling.ssn = m.sccp.called.ssn = 146;
	m.tcap.has_dialogue = true;
	m.tcap.ac_oid = (struct dfs_view){cap_oid, sizeof(cap_oid)};
	m.tcap.ac_is_map = false;
	m.has_map = false;
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	/* CAP without dialogue portion, known only by its SSN, with an op that is category 1 in MAP */
	tl_msg(&m, TCAP_CONTINUE, 22, FOREIGN_GT, HOME_VLR);
	m.sccp.calling.ssn = m.sccp.called.ssn = 146;
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	/* an operation nobody categorised */
	tl_msg(&m, TCAP_BEGIN, 150, FOREIGN_GT, HOME_HLR);
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	/* SCCP without TCAP (UDTS) and M3UA management */
	memset(&m, 0, sizeof(m));
	m.has_sccp = true;
	m.sccp.msg_type = 0x0a;
	tl_addr(&m.sccp.calling, FOREIGN_GT, 6);
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	memset(&m, 0, sizeof(m));
	m.has_m3ua = true;
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	/* a TCAP Abort and an End of dialogues never seen */
	tl_msg(&m, TCAP_ABORT, -1, FOREIGN_GT, HOME_HLR);
	eval(state, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
}

/* SRI-for-SM: the Begin from a partner SMSC, the End from our HLR with IMSI and serving MSC.
 * The result teaches the location and the binding; a second result with another IMSI for the
 * same MSISDN is a SIM swap. */
static void sri_sm_result(void **state, const char *imsi, const char *msc, uint32_t tid, uint64_t now,
			  struct verdict *v)
{
	struct sig_msg m;
	sri_sm(&m, ALPEN_VLR, HOME_MSISDN);
	tl_tids(&m, true, tid, false, 0);
	eval(state, &m, now, v);
	expect(v, ACT_ALLOW, RULE_NONE);
	tl_msg(&m, TCAP_END, -1, HOME_HLR, ALPEN_VLR);
	tl_tids(&m, false, 0, true, tid);
	tl_result(&m, 45);
	tl_imsi(&m, imsi);
	tl_maddr(&m.map.serving_node, msc);
	eval(state, &m, now + 50, v);
	expect(v, ACT_ALLOW, RULE_NONE);
}

static void test_learning_from_results_and_sim_swap(void **state)
{
	struct verdict v;
	struct sig_msg m;
	sri_sm_result(state, HOME_IMSI, ALPEN_VLR, 0x77, T0, &v);
	assert_true(v.learned);
	assert_false(v.sim_swap);
	assert_true(v.bound_new); /* the number's first IMSI (fw_simswap_feed all_bindings) */
	assert_string_equal(v.msisdn, HOME_MSISDN); /* attributed through the dialogue */
	struct sub_record r;
	struct sub_state *s = policy_state(ctx_of(state));
	assert_int_equal(s->ops->get(s, HOME_IMSI, T0 + 100, &r), 0);
	assert_string_equal(r.msc, ALPEN_VLR);
	assert_string_equal(r.msisdn, HOME_MSISDN);
	/* the learned serving network lets USSD from it pass after the intercept window */
	ussd59(&m, ALPEN_VLR, HOME_IMSI, HOME_MSISDN);
	eval(state, &m, T0 + HOUR, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	/* a new SIM for the same number */
	sri_sm_result(state, HOME_IMSI, ALPEN_VLR, 0x79, T0 + HOUR, &v);
	assert_true(v.learned);
	assert_false(v.bound_new); /* the same binding again */
	assert_false(v.sim_swap);
	sri_sm_result(state, "640990000000002", ALPEN_VLR, 0x78, T0 + 2 * HOUR, &v);
	assert_true(v.sim_swap);
	assert_false(v.bound_new);
	assert_string_equal(v.swap_old_imsi, HOME_IMSI);
	assert_string_equal(v.imsi, "640990000000002");
	assert_string_equal(v.msisdn, HOME_MSISDN);
	assert_int_equal(policy_get_stats(ctx_of(state))->sim_swaps, 1);
}

static void test_dialogue_attribution(void **state)
{
	struct sig_msg m;
	struct verdict v;
	roam_to_alpen(state);
	/* MO USSD from the serving VLR, then the HLR's menu (op 60) in a Continue: the
	 * continuation is judged with its Begin, not as network-initiated USSD */
	ussd59(&m, ALPEN_VLR, HOME_IMSI, HOME_MSISDN);
	tl_tids(&m, true, 0xabc, false, 0);
	eval(state, &m, T0 + 3 * HOUR, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	tl_msg(&m, TCAP_CONTINUE, 60, HOME_HLR, ALPEN_VLR);
	tl_tids(&m, true, 0x555, true, 0xabc);
	eval(state, &m, T0 + 3 * HOUR + 1000, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	assert_string_equal(v.imsi, HOME_IMSI);
	/* the VLR's answer comes back addressed to the HLR's tid */
	tl_msg(&m, TCAP_CONTINUE, 61, ALPEN_VLR, HOME_HLR);
	tl_tids(&m, true, 0xabc, true, 0x555);
	m.has_map = false;
	eval(state, &m, T0 + 3 * HOUR + 2000, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	assert_string_equal(v.imsi, HOME_IMSI);
	assert_int_equal(policy_get_stats(ctx_of(state))->dialogues_unknown, 0);
}

static void test_verdict_json(void **state)
{
	struct sig_msg m;
	struct verdict v;
	char buf[1024];
	struct json_writer j;
	tl_msg(&m, TCAP_BEGIN, 71, FOREIGN_GT, HOME_HLR);
	tl_imsi(&m, HOME_IMSI);
	eval(state, &m, T0, &v);
	struct timespec ts = {1700000000, 123456000};
	json_init(&j, buf, sizeof(buf));
	assert_int_equal(verdict_to_json(ctx_of(state), &v, 17, &ts, &j), 0);
	printf("  %s\n", buf);
	assert_non_null(strstr(buf, "{\"frame\":17,\"time\":\"2023-11-14T22:13:20.123456Z\",\"verdict\":\"block\","
				    "\"rule\":\"FW-CAT1\",\"category\":1,\"severity\":\"high\",\"reason\":\""));
	assert_non_null(strstr(buf, "\"opcode\":71,\"calling_gt\":\"33612345678\",\"called_gt\":\"25579900001\","
				    "\"imsi\":\"640990000000001\",\"msisdn\":null,\"answer\":\"tcap-abort\","
				    "\"monitor\":false}"));
	/* too small a buffer is reported */
	json_init(&j, buf, 64);
	assert_int_equal(verdict_to_json(ctx_of(state), &v, 17, &ts, &j), -ENOSPC);
	/* the readable line */
	assert_int_equal(verdict_to_text(ctx_of(state), &v, 17, &ts, buf, sizeof(buf)), 0);
	printf("  %s\n", buf);
	assert_string_equal(buf, "frame 17 2023-11-14T22:13:20.123456Z block FW-CAT1 high op 71 33612345678 -> "
				 "25579900001 imsi 640990000000001 msisdn -: anyTimeInterrogation (op 71) is "
				 "category 1: never valid from another network (calling GT 33612345678, a "
				 "non-partner network in France)");
	assert_int_equal(verdict_to_text(ctx_of(state), &v, 17, &ts, buf, 40), -ENOSPC);
}

static void test_pseudonymisation(void **state)
{
	char yaml[4096];
	setenv("DFSG_TEST_PSEUDO_KEY", "0123456789abcdef-test-key", 1);
	snprintf(yaml, sizeof(yaml),
		 "%spseudonymisation: {enabled: true, key_env: DFSG_TEST_PSEUDO_KEY, length: 20}\n", cfg_yaml);
	struct policy_config *c = tl_config(yaml);
	struct policy_ctx *p = tl_ctx(c);
	struct sig_msg m;
	struct verdict v;
	ussd59(&m, FOREIGN_GT, HOME_IMSI, HOME_MSISDN);
	policy_eval(p, &m, T0, &v);
	char buf[1024], ps[64], ps2[64];
	struct json_writer j;
	json_init(&j, buf, sizeof(buf));
	assert_int_equal(verdict_to_json(p, &v, 1, NULL, &j), 0);
	printf("  %s\n", buf);
	assert_null(strstr(buf, HOME_IMSI));
	assert_null(strstr(buf, HOME_MSISDN));
	assert_non_null(strstr(buf, FOREIGN_GT)); /* GTs are network addresses, kept */
	char line[512];
	assert_int_equal(verdict_to_text(p, &v, 1, NULL, line, sizeof(line)), 0);
	printf("  %s\n", line);
	assert_null(strstr(line, HOME_IMSI));
	assert_null(strstr(line, HOME_MSISDN));
	assert_int_equal(policy_pseudonym(c, HOME_IMSI, ps, sizeof(ps)), 0);
	assert_int_equal(strlen(ps), 21);
	assert_non_null(strstr(buf, ps));
	/* deterministic per key, different for another identity or another key */
	assert_int_equal(policy_pseudonym(c, HOME_IMSI, ps2, sizeof(ps2)), 0);
	assert_string_equal(ps, ps2);
	assert_int_equal(policy_pseudonym(c, "640990000000002", ps2, sizeof(ps2)), 0);
	assert_string_not_equal(ps, ps2);
	policy_free(p);
	policy_config_free(c);
	setenv("DFSG_TEST_PSEUDO_KEY", "another-key-of-enough-length", 1);
	c = tl_config(yaml);
	assert_int_equal(policy_pseudonym(c, HOME_IMSI, ps2, sizeof(ps2)), 0);
	assert_string_not_equal(ps, ps2);
	/* HMAC-SHA256 (RFC 4231 test case 2: key "Jefe"), first 16 hex digits, checks the primitive */
	memcpy(c->pseudo_key, "Jefe", 4);
	c->pseudo_key_len = 4;
	c->pseudo_len = 16;
	assert_int_equal(policy_pseudonym(c, "what do ya want for nothing?", ps2, sizeof(ps2)), 0);
	assert_string_equal(ps2, "p5bdcc146bf60754e");
	policy_config_free(c);
	/* off: no pseudonyms */
	c = tl_config(cfg_yaml);
	assert_int_equal(policy_pseudonym(c, HOME_IMSI, ps2, sizeof(ps2)), -EINVAL);
	policy_config_free(c);
}

/* ---- the SigFW cases (../shared/vectors/sigfw-cases.md) ------------------------------------ */

static const char *sigfw_yaml = "home: {country_code: '1', gt_prefixes: ['0'], imsi_prefixes: ['111111']}\n";

static void sigfw_msg(struct sig_msg *m, uint8_t tt, int op, uint8_t ac, uint8_t ver)
{
	tl_msg(m, tt, op, "111111111111", "000000000000");
	m->sccp.calling.ssn = m->sccp.called.ssn = 8;
	if (ac) {
		m->tcap.map_ac = ac;
		m->tcap.map_ac_version = ver;
	}
}

static void test_sigfw_cases(void **state)
{
	struct policy_config *c = tl_config(sigfw_yaml);
	struct policy_ctx *p = tl_ctx(c);
	struct sig_msg m;
	struct verdict v;

	/* anyTimeInterrogation, Begin: block (category 1) */
	sigfw_msg(&m, TCAP_BEGIN, 71, 29, 3);
	tl_open_info(&m, "11111111111111", "1111111111");
	tl_imsi(&m, "11111111111111");
	policy_eval(p, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_CAT1);
	/* provideSubscriberLocation, Begin: block (category 1) */
	sigfw_msg(&m, TCAP_BEGIN, 83, 38, 3);
	policy_eval(p, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_CAT1);
	/* sendAuthenticationInfo in a Continue without parameter: allow */
	sigfw_msg(&m, TCAP_CONTINUE, 56, 0, 0);
	tl_tids(&m, true, 0x33119839, true, 0x02035ea2);
	m.has_map = false;
	policy_eval(p, &m, T0, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	/* processUnstructuredSS-Request, Begin: alert while the serving VLR is unknown */
	sigfw_msg(&m, TCAP_BEGIN, 59, 19, 2);
	tl_open_info(&m, "111111111111111", "1111111111");
	m.tcap.orig_ref_ton_npi = 0x96;
	tl_maddr(&m.map.msisdn, "11111111111");
	policy_eval(p, &m, T0, &v);
	expect(&v, ACT_ALERT, RULE_USSD_SPOOF);
	/* ... and block once the subscriber is known to be served elsewhere */
	struct sig_msg u;
	tl_msg(&u, TCAP_BEGIN, 2, "0123", "0999");
	tl_imsi(&u, "111111111111111");
	tl_maddr(&u.map.vlr, "0123");
	policy_eval(p, &u, T0 + 1000, &v);
	expect(&v, ACT_ALLOW, RULE_NONE);
	policy_eval(p, &m, T0 + 2000, &v);
	expect(&v, ACT_BLOCK, RULE_USSD_SPOOF);
	/* cancelLocation, Begin: block (category 2) */
	sigfw_msg(&m, TCAP_BEGIN, 3, 2, 3);
	tl_imsi(&m, "111111111111111");
	policy_eval(p, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_CAT2);
	/* provideSubscriberInfo, Begin: block (category 2) */
	sigfw_msg(&m, TCAP_BEGIN, 70, 28, 3);
	tl_imsi(&m, "111111111111111");
	policy_eval(p, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_CAT2);
	/* provideRoamingNumber, Begin: block (category 2) */
	sigfw_msg(&m, TCAP_BEGIN, 4, 3, 2);
	tl_imsi(&m, "111111111111111");
	tl_maddr(&m.map.msc, "11111111111");
	tl_maddr(&m.map.msisdn, "11111111111");
	policy_eval(p, &m, T0, &v);
	expect(&v, ACT_BLOCK, RULE_CAT2);
	policy_free(p);
	policy_config_free(c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_FW_CAT1),
		T(test_FW_CAT2),
		T(test_FW_CAT3),
		T(test_FW_USSD_SPOOF),
		T(test_FW_USSD_PHISH),
		T(test_FW_INTERCEPT),
		T(test_FW_CALLFWD),
		T(test_FW_SIMJACKER),
		T(test_FW_SMS_HOME),
		T(test_FW_ADDR),
		T(test_FW_ADDR_strict),
		T(test_FW_TCAP),
		T(test_FW_CLI),
		T(test_monitor_mode),
		T(test_rule_action_override),
		T(test_unknown_state_policy),
		T(test_pass_unjudged_traffic),
		T(test_learning_from_results_and_sim_swap),
		T(test_dialogue_attribution),
		T(test_verdict_json),
		T(test_pseudonymisation),
		T(test_sigfw_cases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
