/* dfsguard fw end to end on loopback, in process: partner ASPs -> the firewall (SGP towards the
 * partners, ASP towards home) -> a sink playing the home STP. Exactly the legitimate messages
 * arrive, byte-identical and in order per SLS; every attack is blocked, alerted (JSON lines),
 * captured (readable capture file); answers from home reach the partner; malformed floods are
 * rejected under fail-closed; a bad reload is refused and the old configuration keeps working;
 * monitor mode forwards everything; the subscriber state survives a restart; a partner link
 * drops and comes back; and in = forwarded + blocked + rejected (+ refused + held) on every link.
 *
 * Every message is real signalling built with the codecs' encoders (MAP in TCAP in SCCP UDT in
 * M3UA DATA), decoded by the firewall with sig_decode_m3ua and judged by the rules of the
 * configuration file; the peers check what they receive with the same decoder: relayed
 * messages byte for byte, the firewall's answers (TCAP Abort, End + ReturnError, UDTS) field
 * by field, in the request's network appearance and routing context. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "evloop.h"
#include "fw.h"
#include "m3ua_asp.h"
#include "m3ua.h"
#include "map.h"
#include "policy.h"
#include "fw_testlib.h"
#include "sccp.h"
#include "tcap.h"
#include "transport.h"

#define RC 7
#define NSLS 8
#define PC_HOME FWT_PC_HOME
#define PC_PARTNER FWT_PC_PARTNER

#define HOME_HLR FWT_HOME_HLR
#define ALPEN_VLR FWT_ALPEN_VLR
#define FOREIGN_GT FWT_FOREIGN_GT
#define MAX_ATTACKS 1024

/* ---- the test's peers ---- */

struct world {
	enum tp_kind kind;
	const char *home_down; /* "hold" (default) or "refuse" */
	const char *rules;     /* extra policy YAML (a rules section), or NULL */
	bool has_na;           /* the partner link runs in network appearance na */
	uint32_t na;
	struct evloop *l;
	struct tp_net *net;
	struct m3ua_sg *sink;
	struct m3ua_link *pasp;
	struct fw *fw;
	char dir[64], cfg_path[128], alerts[128], capture[128], snapshot[128];
	uint32_t send_seq[NSLS], sink_next[NSLS];
	unsigned sink_rx, sink_attacks, p_rx, p_bad, p_answers, p_bad_answers, p_vector_answers;
	uint32_t attack_no;              /* anyTimeInterrogations sent */
	uint8_t answered[MAX_ATTACKS]; /* answers seen per attack number */
	const char *sink_bad, *answer_bad;
	int expect_answer;     /* enum answer_kind the partner must get for an attack */
	uint16_t expect_error; /* its MAP error code, for ANSWER_MAP_ERROR */
};

#define RUN_UNTIL(w, cond)                                                                     \
	do {                                                                                   \
		uint64_t deadline_ = evloop_now_ms() + 20000;                                  \
		for (int i_ = 0; i_ < 200000 && !(cond) && evloop_now_ms() < deadline_; i_++) \
			assert_true(evloop_run_once((w)->l, 5) >= 0);                         \
		if (!(cond))                                                                   \
			fail_msg("line %d: timed out waiting for %s", __LINE__, #cond);       \
	} while (0)

/* ---- messages: real TCAP/MAP in SCCP UDT in M3UA DATA, built with the codecs' encoders ---- */

#define UL_TID(sls, seq) ((uint32_t)(sls) << 24 | (seq))
#define ATI_TID(n) (0xa0000000u | (n))
#define BAD_TID(n) (0xb0000000u | (n))
#define VECTOR_TID FWT_VECTOR_TID

/* TCAP bytes in an SCCP UDT from calling to called, in an M3UA DATA from the partner to home
 * (with the partner link's network appearance and routing context) or from home to the partner. */
static size_t wrap_udt(const struct world *w, uint8_t *buf, size_t cap, const uint8_t *tcap, size_t tl,
		       const char *calling, const char *called, uint8_t sls, bool to_home)
{
	struct sccp_msg sm = {.msg_type = 0x09, .data = {tcap, tl}};
	sccp_addr_gt(&sm.called, called, to_home ? 6 : 7);
	sccp_addr_gt(&sm.calling, calling, to_home ? 7 : 6);
	uint8_t sccp[700];
	struct dfs_wbuf sw = dfs_wbuf_init(sccp, sizeof(sccp));
	assert_int_equal(sccp_encode(&sw, &sm), 0);
	struct m3ua_proto_data pd = {.opc = to_home ? PC_PARTNER : PC_HOME, .dpc = to_home ? PC_HOME : PC_PARTNER,
				     .si = 3, .ni = 2, .sls = sls, .user_data = {sccp, sw.len}};
	uint32_t rc = RC;
	struct dfs_wbuf wb = dfs_wbuf_init(buf, cap);
	assert_int_equal(m3ua_encode_data_na(&wb, to_home && w->has_na ? &w->na : NULL, &rc, &pd), 0);
	assert_true(dfs_wbuf_ok(&wb));
	return wb.len;
}

/* updateLocation from Alpen's VLR; its otid numbers it within its SLS. */
static size_t ul_tcap(uint8_t *tcap, size_t cap, uint8_t sls, uint32_t seq)
{
	return fwt_ul_tcap(tcap, cap, UL_TID(sls, seq));
}

static size_t build_ul(const struct world *w, uint8_t *buf, size_t cap, uint8_t sls, uint32_t seq)
{
	uint8_t tcap[512];
	size_t tl = ul_tcap(tcap, sizeof(tcap), sls, seq);
	return wrap_udt(w, buf, cap, tcap, tl, ALPEN_VLR, HOME_HLR, sls, true);
}

/* The home HLR's answer: End + ReturnResultLast(updateLocation, hlr-Number), accepting the
 * dialogue. */
static size_t build_ul_result(const struct world *w, uint8_t *buf, size_t cap, uint8_t sls, uint32_t seq)
{
	struct map_fields f;
	map_fields_init(&f);
	tl_maddr(&f.hlr, HOME_HLR);
	struct map_tx tx = {.msg_type = TCAP_END, .dtid = UL_TID(sls, seq), .ac = 1, .ac_version = 3};
	uint8_t tcap[512];
	struct dfs_wbuf tw = dfs_wbuf_init(tcap, sizeof(tcap));
	assert_int_equal(map_build_result(&tw, &tx, 1, 2, &f), 0);
	return wrap_udt(w, buf, cap, tcap, tw.len, HOME_HLR, ALPEN_VLR, sls, false);
}

/* anyTimeInterrogation of a home MSISDN from a network without agreement: category 1. */
static size_t ati_tcap(uint8_t *tcap, size_t cap, uint32_t n)
{
	struct map_fields f;
	map_fields_init(&f);
	tl_maddr(&f.msisdn, "255799123456");
	tl_maddr(&f.gsmscf, FOREIGN_GT);
	f.requested_info = MAP_RI_LOCATION | MAP_RI_STATE;
	struct dfs_wbuf tw = dfs_wbuf_init(tcap, cap);
	assert_int_equal(map_build_begin(&tw, ATI_TID(n), 29, 3, 71, 1, &f), 0);
	return tw.len;
}

static size_t build_ati(const struct world *w, uint8_t *buf, size_t cap, uint8_t sls, uint32_t n)
{
	uint8_t tcap[512];
	size_t tl = ati_tcap(tcap, sizeof(tcap), n);
	return wrap_udt(w, buf, cap, tcap, tl, FOREIGN_GT, HOME_HLR, sls, true);
}

static size_t build_vector_ati(const struct world *w, uint8_t *buf, size_t cap, uint8_t sls)
{
	uint8_t tcap[256];
	size_t tl = fwt_vector_tcap(tcap, sizeof(tcap));
	return wrap_udt(w, buf, cap, tcap, tl, FOREIGN_GT, HOME_HLR, sls, true);
}

/* An updateLocation whose TCAP message is cut short: its outer length claims more than the
 * SCCP data holds, so it does not decode. */
static size_t build_malformed(const struct world *w, uint8_t *buf, size_t cap, uint8_t sls, uint32_t n)
{
	uint8_t tcap[512];
	size_t tl = ul_tcap(tcap, sizeof(tcap), sls, 0);
	tcap[4] = (uint8_t)(BAD_TID(n) >> 24), tcap[5] = (uint8_t)(BAD_TID(n) >> 16); /* otid 48 04 .. */
	tcap[6] = (uint8_t)(BAD_TID(n) >> 8), tcap[7] = (uint8_t)BAD_TID(n);
	return wrap_udt(w, buf, cap, tcap, tl - 5, ALPEN_VLR, HOME_HLR, sls, true);
}

/* The sink (home STP): exactly the updateLocations, in order per SLS, byte for byte. Anything
 * else that arrives is an attack that got through. */
static void sink_on_data(struct m3ua_link *lk, const uint8_t *msg, size_t len, const struct m3ua_msg *m,
			 uint16_t stream, void *ud)
{
	struct world *w = ud;
	struct sig_msg sm;
	struct dfs_err e;
	w->sink_rx++;
	if (sig_decode_m3ua(msg, len, &sm, &e) < 0 || !sm.has_map || sm.map.opcode != 2 ||
	    sm.tcap.msg_type != TCAP_BEGIN) {
		w->sink_attacks++;
		return;
	}
	uint8_t sls = m->pd.sls;
	uint32_t seq = sm.tcap.otid.val & 0xffffff;
	if (sls >= NSLS || sm.tcap.otid.val >> 24 != sls || seq != w->sink_next[sls]) {
		w->sink_bad = "out of order";
		return;
	}
	uint8_t want[800];
	size_t wl = build_ul(w, want, sizeof(want), sls, seq);
	if (wl != len || memcmp(want, msg, len))
		w->sink_bad = "bytes differ";
	w->sink_next[sls] = seq + 1;
}

static const struct m3ua_cbs sink_cbs = {.on_data = sink_on_data};

/* The firewall's answer to an attack (the sender's transaction), checked with the real decoder
 * against the rule's answer kind. NULL when right, else what is wrong. */
static const char *check_answer(struct world *w, const struct sig_msg *a)
{
	const struct tcap_msg *t = &a->tcap;
	uint32_t tid;
	if (a->m3ua.pd.opc != PC_HOME || a->m3ua.pd.dpc != PC_PARTNER || a->m3ua.pd.si != 3)
		return "routing label not reversed";
	if (strcmp(a->sccp.calling.digits, HOME_HLR))
		return "calling address is not the attack's called address";
	if (!a->has_tcap)
		return "no TCAP";
	if (w->expect_answer == ANSWER_UDTS) {
		if (a->sccp.msg_type != 0x0a || a->sccp.return_cause != 1)
			return "not a UDTS with return cause 1";
		if (t->msg_type != TCAP_BEGIN || !t->otid.present)
			return "the UDTS does not return the Begin";
		tid = t->otid.val;
		uint8_t want[512];
		size_t wl = tid == VECTOR_TID ? fwt_vector_tcap(want, sizeof(want))
					      : ati_tcap(want, sizeof(want), tid & 0xffffff);
		if (a->sccp.data.len != wl || memcmp(a->sccp.data.p, want, wl))
			return "the UDTS does not return the SCCP data unchanged";
	} else {
		if (a->sccp.msg_type != 0x09)
			return "not a UDT";
		if (!t->dtid.present || t->otid.present)
			return "transaction ids";
		tid = t->dtid.val;
		if (w->expect_answer == ANSWER_TCAP_ABORT &&
		    (t->msg_type != TCAP_ABORT || t->dlg_pdu != TCAP_DLG_ABRT || t->abrt_source != 0))
			return "not a TC-U-ABORT";
		if (w->expect_answer == ANSWER_MAP_ERROR &&
		    (t->msg_type != TCAP_END || t->n_components != 1 || t->comp[0].type != TCAP_ERROR ||
		     t->comp[0].invoke_id != (t->dtid.val == VECTOR_TID ? 0 : 1) || /* the vector's is 0 */
		      t->comp[0].error_code != w->expect_error ||
		     !t->has_dialogue || t->dlg_pdu != TCAP_DLG_AARE || t->map_ac != 29 || t->aare_result != 0))
			return "not an End accepting the dialogue with ReturnError";
	}
	if (tid == VECTOR_TID) {
		w->p_vector_answers++;
		return NULL;
	}
	if (tid >> 24 != 0xa0 || (tid & 0xffffff) >= MAX_ATTACKS)
		return "answer to a transaction never sent";
	if (w->answered[tid & 0xffffff]++)
		return "answered twice";
	return NULL;
}

/* The partner: the firewall's answers to its attacks, and the home HLR's results unchanged. */
static void pasp_on_data(struct m3ua_link *lk, const uint8_t *msg, size_t len, const struct m3ua_msg *m,
			 uint16_t stream, void *ud)
{
	struct world *w = ud;
	struct sig_msg a;
	struct dfs_err e;
	const char *bad = NULL;
	if (sig_decode_m3ua(msg, len, &a, &e) < 0 || !a.has_sccp)
		bad = "does not decode";
	else if (!a.m3ua.has_rctx || a.m3ua.rctx != RC)
		bad = "routing context";
	if (!bad && !strcmp(a.sccp.called.digits, FOREIGN_GT)) {
		/* the firewall's own answer: in the request's network appearance (RFC 4666 3.3.1) */
		w->p_answers++;
		if (a.m3ua.has_na != w->has_na || (w->has_na && a.m3ua.na != w->na))
			bad = "network appearance";
		if (bad || (bad = check_answer(w, &a)) != NULL) {
			w->p_bad_answers++;
			w->answer_bad = bad;
		}
		return;
	}
	w->p_rx++;
	if (!bad && (a.tcap.msg_type != TCAP_END || !a.has_map || a.map.opcode != 2 || !a.map.is_result))
		bad = "not an updateLocation result";
	if (!bad) {
		uint8_t want[800];
		uint32_t tid = a.tcap.dtid.val;
		size_t wl = build_ul_result(w, want, sizeof(want), (uint8_t)(tid >> 24), tid & 0xffffff);
		if (wl != len || memcmp(want, msg, len))
			bad = "bytes differ";
	}
	if (bad) {
		w->p_bad++;
		w->answer_bad = bad;
	}
}

static const struct m3ua_cbs pasp_cbs = {.on_data = pasp_on_data};

/* ---- setup ---- */

static void write_config(struct world *w, const char *extra_links, bool monitor)
{
	const char *kind = tp_kind_name(w->kind);
	char na[48] = "";
	if (w->has_na)
		snprintf(na, sizeof(na), ", network_appearance: %u", w->na);
	FILE *f = fopen(w->cfg_path, "w");
	assert_non_null(f);
	fprintf(f, "%s", fwt_policy_yaml);
	if (monitor)
		fprintf(f, "policy: {monitor: true}\n");
	if (w->rules)
		fprintf(f, "%s", w->rules);
	fprintf(f,
		"links:\n"
		"  on_error: closed\n"
		"  home_down: %s\n"
		"  hold_max_msgs: 1000\n"
		"  home_point_codes: [%u]\n"
		"  partners:\n"
		"    - {name: alpen, listen: '%s:127.0.0.1:0', routing_context: %d, traffic_mode: override,\n"
		"       point_codes: [%u]%s}\n"
		"  home:\n"
		"    - {name: stp, connect: '%s:127.0.0.1:%u', routing_context: %d, reconnect_ms: 20}\n"
		"  alerts: {file: '%s'}\n"
		"  capture: {file: '%s', rotate_bytes: 65536, keep: 3}\n"
		"  metrics: {address: 127.0.0.1, port: 0}\n"
		"  snapshot: {file: '%s', interval_s: 3600}\n"
		"%s",
		w->home_down ? w->home_down : "hold", PC_HOME, kind, RC, PC_PARTNER, na, kind, m3ua_sg_port(w->sink), RC, w->alerts, w->capture, w->snapshot,
		extra_links ? extra_links : "");
	fclose(f);
}

static unsigned fw_partner_port(struct world *w) { return m3ua_sg_port(relay_partner(fw_relay(w->fw), 0)); }

static void partner_connect(struct world *w)
{
	char err[256];
	struct m3ua_asp_cfg cfg = {.name = "alpen-asp", .has_rctx = true, .rctx = RC, .tmt = M3UA_TMT_OVERRIDE,
				   .reconnect_ms = 10, .has_na = w->has_na, .na = w->na};
	cfg.remote = (struct tp_endpoint){.kind = w->kind, .n_addrs = 1, .addrs = {"127.0.0.1"},
					  .port = (uint16_t)fw_partner_port(w)};
	w->pasp = m3ua_asp_new(w->net, &cfg, &pasp_cbs, w, err, sizeof(err));
	if (!w->pasp)
		fail_msg("partner asp: %s", err);
	RUN_UNTIL(w, m3ua_link_state(w->pasp) == M3UA_ASP_ACTIVE && relay_home_available(fw_relay(w->fw)));
}

static void fw_start(struct world *w)
{
	char err[2048];
	w->fw = fw_new(w->l, w->net, w->cfg_path, err, sizeof(err));
	if (!w->fw)
		fail_msg("fw_new: %s", err);
	partner_connect(w);
}

static void fw_stop(struct world *w)
{
	m3ua_link_close(w->pasp);
	w->pasp = NULL;
	fw_free(w->fw);
	w->fw = NULL;
}

/* na: the partner link's network appearance, 0 for none. */
static struct world *world_new_na(enum tp_kind kind, uint32_t na)
{
	struct world *w = calloc(1, sizeof(*w));
	char err[256];
	w->kind = kind;
	w->has_na = na != 0;
	w->na = na;
	w->expect_answer = ANSWER_TCAP_ABORT; /* FW-CAT1's default */
	snprintf(w->dir, sizeof(w->dir), "/tmp/dfsg-fw-XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	snprintf(w->cfg_path, sizeof(w->cfg_path), "%s/fw.yaml", w->dir);
	snprintf(w->alerts, sizeof(w->alerts), "%s/alerts.jsonl", w->dir);
	snprintf(w->capture, sizeof(w->capture), "%s/blocked.pcap", w->dir);
	snprintf(w->snapshot, sizeof(w->snapshot), "%s/state.sqlite", w->dir);
	w->l = evloop_new(err, sizeof(err));
	w->net = tp_net_new(w->l, err, sizeof(err));
	if (kind == TP_USRSCTP && tp_net_usrsctp_start(w->net, 0, err, sizeof(err)) < 0)
		fail_msg("usrsctp: %s", err);
	struct m3ua_sg_cfg sink = {.name = "home-stp", .has_rctx = true, .rctx = RC, .tmt = M3UA_TMT_OVERRIDE,
				   .local = {.kind = kind, .n_addrs = 1, .addrs = {"127.0.0.1"}}};
	w->sink = m3ua_sg_new(w->net, &sink, &sink_cbs, w, err, sizeof(err));
	assert_non_null(w->sink);
	write_config(w, NULL, false);
	fw_start(w);
	return w;
}

static struct world *world_new(enum tp_kind kind) { return world_new_na(kind, 0); }

static void world_free(struct world *w)
{
	if (w->fw)
		fw_stop(w);
	m3ua_sg_close(w->sink);
	tp_net_free(w->net);
	evloop_free(w->l);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
	assert_int_equal(system(cmd), 0);
	free(w);
}

/* Wait until the partner's link can take more. */
static void partner_send(struct world *w, const uint8_t *buf, size_t len, uint8_t sls)
{
	for (int spin = 0; spin < 10000 && !m3ua_link_writable(w->pasp); spin++)
		evloop_run_once(w->l, 1);
	assert_int_equal(m3ua_link_send(w->pasp, buf, len, m3ua_link_stream_for_sls(w->pasp, sls)), 0);
}

enum bad_kind { BAD_NONE, BAD_ATTACK, BAD_MALFORMED };

/* Send from the partner: updateLocations, and after every attack_every-th one a bad message
 * (an anyTimeInterrogation, every fourth of them the sigfw-cases.md vector; or a malformed
 * one), SLS cycling. Returns the bad messages sent. */
static unsigned send_mix(struct world *w, unsigned n_legit, unsigned attack_every, enum bad_kind bad)
{
	uint8_t buf[800];
	unsigned n_bad = 0;
	for (unsigned i = 0; i < n_legit; i++) {
		uint8_t sls = (uint8_t)(i % NSLS);
		partner_send(w, buf, build_ul(w, buf, sizeof(buf), sls, w->send_seq[sls]++), sls);
		if (attack_every && i % attack_every == 0) {
			size_t len;
			if (bad == BAD_MALFORMED)
				len = build_malformed(w, buf, sizeof(buf), sls, n_bad);
			else if (n_bad % 4 == 3)
				len = build_vector_ati(w, buf, sizeof(buf), sls);
			else
				len = build_ati(w, buf, sizeof(buf), sls, w->attack_no++ % MAX_ATTACKS);
			partner_send(w, buf, len, sls);
			n_bad++;
		}
		if (i % 64 == 63)
			evloop_run_once(w->l, 0);
	}
	return n_bad;
}

static void check_counters(struct world *w)
{
	for (int d = 0; d < 2; d++) {
		struct fw_totals t;
		fw_get_totals(w->fw, (enum relay_dir)d, &t);
		if (t.in != t.forwarded + t.blocked + t.rejected + t.refused + t.held)
			fail_msg("%s: in %llu != forwarded %llu + blocked %llu + rejected %llu + refused %llu + held %llu",
				 d ? "from home" : "from partner", (unsigned long long)t.in,
				 (unsigned long long)t.forwarded, (unsigned long long)t.blocked,
				 (unsigned long long)t.rejected, (unsigned long long)t.refused, (unsigned long long)t.held);
	}
}

static int count_unit(void *ud, const struct cap_unit *u)
{
	(*(unsigned *)ud)++;
	return 0;
}

static unsigned metric(struct world *w, const char *prefix)
{
	static char text[256 * 1024];
	fw_metrics_text(w->fw, text, sizeof(text));
	char key[256];
	snprintf(key, sizeof(key), "\n%s", prefix);
	const char *p = strstr(text, key);
	if (!p)
		fail_msg("metric %s missing", prefix);
	return (unsigned)strtoul(p + strlen(key), NULL, 10);
}

/* ---- tests ---- */

/* The partner's view of the results from home: updateLocation results, byte-identical. */
static void send_results(struct world *w, uint32_t n)
{
	uint8_t buf[800];
	struct m3ua_link *home = m3ua_sg_next(w->sink, NULL);
	assert_non_null(home);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t sls = (uint8_t)(i % NSLS);
		size_t len = build_ul_result(w, buf, sizeof(buf), sls, i / NSLS);
		assert_int_equal(m3ua_link_send(home, buf, len, 1), 0);
	}
}

static void settle(struct world *w)
{
	for (int i = 0; i < 50; i++)
		evloop_run_once(w->l, 2);
}

static void legit_and_attacks(enum tp_kind kind)
{
	struct world *w = world_new(kind);
	assert_int_equal(send_mix(w, 400, 10, BAD_ATTACK), 40);
	RUN_UNTIL(w, w->sink_rx >= 400 && w->p_answers >= 40);
	settle(w);
	assert_null(w->sink_bad);
	assert_int_equal(w->sink_rx, 400);
	assert_int_equal(w->sink_attacks, 0);
	struct fw_totals t;
	fw_get_totals(w->fw, RELAY_FROM_PARTNER, &t);
	assert_int_equal(t.in, 440);
	assert_int_equal(t.forwarded, 400);
	assert_int_equal(t.blocked, 40);
	/* each attack's Begin is answered with a TCAP Abort to its transaction */
	if (w->answer_bad)
		fail_msg("answer: %s", w->answer_bad);
	assert_int_equal(w->p_answers, 40);
	assert_int_equal(w->p_vector_answers, 10);
	assert_int_equal(t.answered, 40);
	check_counters(w);
	/* the home HLR's results reach the partner unchanged and are judged too */
	send_results(w, 30);
	RUN_UNTIL(w, w->p_rx >= 30);
	assert_int_equal(w->p_bad, 0);
	assert_int_equal(metric(w, "dfsguard_fw_verdicts_total{link=\"stp\",direction=\"from_home\",verdict=\"allow\"} "), 30);
	assert_int_equal(metric(w, "dfsguard_fw_verdicts_total{link=\"alpen\",direction=\"from_partner\",verdict=\"allow\"} "), 400);
	assert_int_equal(metric(w, "dfsguard_fw_verdicts_total{link=\"alpen\",direction=\"from_partner\",verdict=\"block\"} "), 40);
	assert_int_equal(metric(w, "dfsguard_fw_rule_hits_total{rule=\"FW-CAT1\"} "), 40);
	assert_int_equal(metric(w, "dfsguard_fw_messages_total{link=\"alpen\",direction=\"from_partner\",outcome=\"in\"} "), 440);
	assert_int_equal(metric(w, "dfsguard_fw_messages_total{link=\"alpen\",direction=\"from_partner\",outcome=\"answered\"} "), 40);
	assert_int_equal(metric(w, "dfsguard_fw_verdict_seconds_count "), 470);
	assert_int_equal(metric(w, "dfsguard_fw_subscribers "), 1);
	check_counters(w);
	/* every block is an alert line in the analyze --json schema, and a capture record */
	assert_int_equal(fwt_count_lines(w->alerts, "\"rule\":\"FW-CAT1\""), 40);
	assert_int_equal(fwt_count_lines(w->alerts, "\"verdict\":\"block\""), 40);
	assert_int_equal(fwt_count_lines(w->alerts, "\"opcode\":71"), 40);
	assert_int_equal(fwt_count_lines(w->alerts, "\"calling_gt\":\"" FOREIGN_GT "\""), 40);
	assert_int_equal(fwt_count_lines(w->alerts, "\"answer\":\"tcap-abort\""), 40);
	assert_int_equal(fwt_count_lines(w->alerts, NULL), 40);
	fw_stop(w);
	unsigned units = 0;
	char err[256];
	assert_int_equal(cap_read_file(w->capture, count_unit, NULL, &units, err, sizeof(err)), 0);
	assert_int_equal(units, 40);
	world_free(w);
}

/* One phase of answers(): FW-CAT1 with the given rules (NULL: the defaults), 24 updateLocations
 * and 8 attacks, each answered as expected (expect ANSWER_NONE: none answered). */
static void answer_phase(struct world *w, const char *rules, int expect, uint16_t error)
{
	char err[2048];
	if (rules) {
		w->rules = rules;
		write_config(w, NULL, false);
		assert_int_equal(fw_reload(w->fw, err, sizeof(err)), 0);
	}
	w->expect_answer = expect;
	w->expect_error = error;
	unsigned rx = w->sink_rx, answered = w->p_answers;
	assert_int_equal(send_mix(w, 24, 3, BAD_ATTACK), 8);
	RUN_UNTIL(w, w->sink_rx >= rx + 24 && (expect == ANSWER_NONE || w->p_answers >= answered + 8));
	if (w->answer_bad)
		fail_msg("%s answer: %s", rules ? rules : "default", w->answer_bad);
}

/* Each answer kind, in the network appearance and routing context of the request (RFC 4666
 * 3.3.1), checked field by field by the partner with the real decoder. */
static void answers(enum tp_kind kind)
{
	struct world *w = world_new_na(kind, 42);
	answer_phase(w, NULL, ANSWER_TCAP_ABORT, 0);
	/* map-error: an End accepting the dialogue, ReturnError(systemFailure) for the Invoke */
	answer_phase(w, "rules:\n  FW-CAT1: {answer: map-error, map_error: 34}\n", ANSWER_MAP_ERROR, 34);
	assert_int_equal(fwt_count_lines(w->alerts, "\"map_error\":34"), 8);
	/* udts: the SCCP data returned unchanged */
	answer_phase(w, "rules:\n  FW-CAT1: {answer: udts}\n", ANSWER_UDTS, 0);
	/* none: blocked and dropped, nothing answered */
	answer_phase(w, "rules:\n  FW-CAT1: {answer: none}\n", ANSWER_NONE, 0);
	settle(w);
	assert_null(w->sink_bad);
	assert_int_equal(w->sink_attacks, 0);
	assert_int_equal(w->p_answers, 24);
	assert_int_equal(w->p_vector_answers, 6); /* two of each phase's eight */
	/* results from home reach the partner as home sent them (no network appearance) */
	send_results(w, 8);
	RUN_UNTIL(w, w->p_rx >= 8);
	if (w->p_bad)
		fail_msg("result from home: %s", w->answer_bad);
	struct fw_totals t;
	fw_get_totals(w->fw, RELAY_FROM_PARTNER, &t);
	assert_int_equal(t.blocked, 32);
	assert_int_equal(t.answered, 24);
	assert_int_equal(fwt_count_lines(w->alerts, "\"rule\":\"FW-CAT1\""), 32);
	check_counters(w);
	world_free(w);
}

static void malformed_flood(enum tp_kind kind)
{
	struct world *w = world_new(kind);
	assert_int_equal(send_mix(w, 200, 1, BAD_MALFORMED), 200); /* a malformed message after every legitimate one */
	RUN_UNTIL(w, w->sink_rx >= 200);
	struct fw_totals t;
	RUN_UNTIL(w, (fw_get_totals(w->fw, RELAY_FROM_PARTNER, &t), t.in == 400));
	settle(w);
	assert_null(w->sink_bad);
	assert_int_equal(w->sink_rx, 200);
	assert_int_equal(w->sink_attacks, 0);
	assert_int_equal(w->p_answers, 0);
	assert_int_equal(t.rejected, 200);
	assert_int_equal(t.malformed, 200);
	assert_int_equal(metric(w, "dfsguard_fw_decode_errors_total "), 200);
	assert_int_equal(metric(w, "dfsguard_fw_malformed_total{link=\"alpen\"} "), 200);
	assert_int_equal(fwt_count_lines(w->alerts, "\"rule\":\"FW-TCAP\""), 200);
	assert_int_equal(fwt_count_lines(w->alerts, NULL), 200);
	check_counters(w);
	/* still working */
	send_mix(w, 16, 0, BAD_NONE);
	RUN_UNTIL(w, w->sink_rx >= 216);
	assert_null(w->sink_bad);
	world_free(w);
}

static void reload(enum tp_kind kind)
{
	struct world *w = world_new(kind);
	char err[2048];
	/* a bad file is refused with its error; the running configuration stays */
	FILE *f = fopen(w->cfg_path, "a");
	fprintf(f, "  nonsense_key: 1\n");
	fclose(f);
	assert_int_equal(fw_reload(w->fw, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nonsense_key"));
	assert_int_equal(metric(w, "dfsguard_fw_reload_failures_total "), 1);
	assert_int_equal(send_mix(w, 80, 8, BAD_ATTACK), 10);
	RUN_UNTIL(w, w->sink_rx >= 80 && w->p_answers >= 10);
	assert_int_equal(w->sink_attacks, 0);
	/* reload under load into monitor mode: attacks now pass, only alerted */
	write_config(w, NULL, true);
	unsigned before = send_mix(w, 40, 4, BAD_ATTACK);
	assert_int_equal(fw_reload(w->fw, err, sizeof(err)), 0);
	unsigned after = send_mix(w, 40, 4, BAD_ATTACK);
	RUN_UNTIL(w, w->sink_rx - w->sink_attacks >= 160 && w->sink_attacks >= after &&
			     w->sink_attacks + w->p_answers - 10 >= before + after);
	settle(w);
	assert_null(w->sink_bad);
	assert_int_equal(w->sink_rx - w->sink_attacks, 160);
	/* the attacks sent before the reload took effect were blocked, the rest passed */
	assert_int_equal(w->sink_attacks + (w->p_answers - 10), before + after);
	if (w->answer_bad)
		fail_msg("answer: %s", w->answer_bad);
	assert_int_equal(fwt_count_lines(w->alerts, "\"monitor\":true"), w->sink_attacks);
	assert_int_equal(metric(w, "dfsguard_fw_reloads_total "), 1);
	assert_int_equal(m3ua_link_state(w->pasp), M3UA_ASP_ACTIVE); /* the link never dropped */
	assert_int_equal(m3ua_link_stats(w->pasp)->reconnects, 0);
	check_counters(w);
	/* a links change is applied only at restart, and said so */
	write_config(w, "  usrsctp_udp_port: 9999\n", true);
	assert_int_equal(fw_reload(w->fw, err, sizeof(err)), 1);
	assert_non_null(strstr(err, "restart"));
	world_free(w);
}

/* The subscriber learned from an allowed updateLocation survives a restart: the results of the
 * home HLR are attributed to it, and a second restart still knows it. */
static void state_survives_restart(enum tp_kind kind)
{
	struct world *w = world_new(kind);
	send_mix(w, 20, 0, BAD_NONE);
	RUN_UNTIL(w, w->sink_rx >= 20);
	assert_int_equal(metric(w, "dfsguard_fw_subscribers "), 1);
	fw_stop(w);
	assert_int_equal(access(w->snapshot, R_OK), 0);
	fw_start(w);
	assert_int_equal(metric(w, "dfsguard_fw_subscribers "), 1);
	assert_int_equal(send_mix(w, 8, 4, BAD_ATTACK), 2);
	RUN_UNTIL(w, w->sink_rx >= 28 && w->p_answers >= 2);
	assert_int_equal(w->sink_attacks, 0);
	world_free(w);
}

static void partner_drop_reconnect(enum tp_kind kind)
{
	struct world *w = world_new(kind);
	send_mix(w, 50, 0, BAD_NONE);
	RUN_UNTIL(w, w->sink_rx >= 50);
	m3ua_link_close(w->pasp);
	RUN_UNTIL(w, m3ua_sg_as_state(relay_partner(fw_relay(w->fw), 0)) != M3UA_AS_ACTIVE);
	assert_int_equal(metric(w, "dfsguard_fw_link_up{link=\"alpen\",side=\"partner\",state=\""), 0);
	partner_connect(w);
	assert_int_equal(send_mix(w, 50, 5, BAD_ATTACK), 10);
	RUN_UNTIL(w, w->sink_rx >= 100 && w->p_answers >= 10);
	settle(w);
	assert_null(w->sink_bad);
	assert_int_equal(w->sink_attacks, 0);
	assert_int_equal(w->p_answers, 10);
	if (w->answer_bad)
		fail_msg("answer: %s", w->answer_bad);
	check_counters(w);
	world_free(w);
}

static void home_down_hold(enum tp_kind kind)
{
	struct world *w = world_new(kind);
	/* the home STP goes away: messages are held (bounded), then delivered in order */
	uint16_t port = m3ua_sg_port(w->sink);
	m3ua_sg_close(w->sink);
	w->sink = NULL;
	RUN_UNTIL(w, !relay_home_available(fw_relay(w->fw)));
	/* attacks are still judged and answered while home is away; only the good ones are held */
	assert_int_equal(send_mix(w, 30, 10, BAD_ATTACK), 3);
	struct fw_totals t;
	RUN_UNTIL(w, (fw_get_totals(w->fw, RELAY_FROM_PARTNER, &t), t.held == 30) && w->p_answers >= 3);
	check_counters(w);
	assert_int_equal(t.blocked, 3);
	assert_int_equal(metric(w, "dfsguard_fw_held_messages "), 30);
	assert_int_equal(metric(w, "dfsguard_fw_link_up{link=\"stp\",side=\"home\",state=\"ASP-DOWN\"} "), 0);
	assert_int_equal(w->sink_rx, 0);
	/* the STP comes back on its address: the held messages arrive, in order, nothing lost */
	char err[256];
	struct m3ua_sg_cfg sink = {.name = "home-stp", .has_rctx = true, .rctx = RC, .tmt = M3UA_TMT_OVERRIDE,
				   .local = {.kind = kind, .n_addrs = 1, .addrs = {"127.0.0.1"}, .port = port}};
	w->sink = m3ua_sg_new(w->net, &sink, &sink_cbs, w, err, sizeof(err));
	if (!w->sink)
		fail_msg("sink again: %s", err);
	RUN_UNTIL(w, w->sink_rx >= 30);
	settle(w);
	assert_null(w->sink_bad);
	assert_int_equal(w->sink_rx, 30);
	fw_get_totals(w->fw, RELAY_FROM_PARTNER, &t);
	assert_int_equal(t.held, 0);
	assert_int_equal(t.forwarded, 30);
	check_counters(w);
	world_free(w);
}

/* The home STP refuses us: with home_down refuse, partner messages are refused at once. */
static void test_home_down_refuse(void **state)
{
	struct world *w = world_new(TP_TCP);
	fw_stop(w);
	w->home_down = "refuse";
	write_config(w, NULL, false);
	fw_start(w);
	m3ua_sg_close(w->sink);
	w->sink = NULL;
	RUN_UNTIL(w, !relay_home_available(fw_relay(w->fw)));
	assert_int_equal(send_mix(w, 25, 5, BAD_ATTACK), 5);
	struct fw_totals t;
	RUN_UNTIL(w, (fw_get_totals(w->fw, RELAY_FROM_PARTNER, &t), t.refused == 25) && w->p_answers >= 5);
	assert_int_equal(t.held, 0);
	assert_int_equal(t.blocked, 5);
	check_counters(w);
	world_free(w);
}

struct raw_peer {
	bool up, down;
	int err;
	unsigned msgs;
};
static void raw_up(struct tp_conn *c, void *ud) { ((struct raw_peer *)ud)->up = true; }
static void raw_msg(struct tp_conn *c, const uint8_t *p, size_t len, uint16_t s, void *ud)
{
	((struct raw_peer *)ud)->msgs++;
}
static void raw_down(struct tp_conn *c, int err, void *ud)
{
	((struct raw_peer *)ud)->down = true;
	((struct raw_peer *)ud)->err = err;
}
static const struct tp_cbs raw_cbs = {raw_up, raw_msg, NULL, raw_down};

/* A peer that sends garbage M3UA is answered with an ERR and dropped; the firewall goes on. */
static void test_garbage_peer(void **state)
{
	struct world *w = world_new(TP_TCP);
	char err[256];
	struct raw_peer rp = {0};
	struct tp_endpoint ep = {.kind = TP_TCP, .n_addrs = 1, .addrs = {"127.0.0.1"},
				 .port = (uint16_t)fw_partner_port(w)};
	struct tp_opts o = {0};
	struct tp_conn *c = tp_connect(w->net, &ep, &o, &raw_cbs, &rp, err, sizeof(err));
	assert_non_null(c);
	RUN_UNTIL(w, rp.up);
	static const uint8_t garbage[] = {0x07, 0x00, 0x01, 0x01, 0x00, 0x00, 0x00, 0x10,
					  'g', 'a', 'r', 'b', 'a', 'g', 'e', '!'};
	assert_int_equal(tp_send(c, garbage, sizeof(garbage), 0), 0);
	RUN_UNTIL(w, rp.down);
	assert_true(rp.msgs >= 1); /* the ERR (invalid version) */
	assert_int_equal(send_mix(w, 32, 4, BAD_ATTACK), 8);
	RUN_UNTIL(w, w->sink_rx >= 32 && w->p_answers >= 8);
	assert_null(w->sink_bad);
	assert_int_equal(w->sink_attacks, 0);
	check_counters(w);
	world_free(w);
}

static void test_tcp_legit_and_attacks(void **state) { legit_and_attacks(TP_TCP); }
static void test_usrsctp_legit_and_attacks(void **state) { legit_and_attacks(TP_USRSCTP); }
static void test_tcp_answers(void **state) { answers(TP_TCP); }
static void test_usrsctp_answers(void **state) { answers(TP_USRSCTP); }
static void test_tcp_malformed_flood(void **state) { malformed_flood(TP_TCP); }
static void test_usrsctp_malformed_flood(void **state) { malformed_flood(TP_USRSCTP); }
static void test_tcp_reload(void **state) { reload(TP_TCP); }
static void test_usrsctp_reload(void **state) { reload(TP_USRSCTP); }
static void test_state_survives_restart(void **state) { state_survives_restart(TP_TCP); }
static void test_tcp_partner_drop_reconnect(void **state) { partner_drop_reconnect(TP_TCP); }
static void test_usrsctp_partner_drop_reconnect(void **state) { partner_drop_reconnect(TP_USRSCTP); }
static void test_home_down_hold(void **state) { home_down_hold(TP_TCP); }

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_legit_and_attacks),
		cmocka_unit_test(test_usrsctp_legit_and_attacks),
		cmocka_unit_test(test_tcp_answers),
		cmocka_unit_test(test_usrsctp_answers),
		cmocka_unit_test(test_tcp_malformed_flood),
		cmocka_unit_test(test_usrsctp_malformed_flood),
		cmocka_unit_test(test_tcp_reload),
		cmocka_unit_test(test_usrsctp_reload),
		cmocka_unit_test(test_state_survives_restart),
		cmocka_unit_test(test_tcp_partner_drop_reconnect),
		cmocka_unit_test(test_usrsctp_partner_drop_reconnect),
		cmocka_unit_test(test_home_down_hold),
		cmocka_unit_test(test_home_down_refuse),
		cmocka_unit_test(test_garbage_peer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
