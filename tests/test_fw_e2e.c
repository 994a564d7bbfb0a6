/* dfsguard fw end to end on loopback, in process: partner ASPs -> the firewall (SGP towards the
 * partners, ASP towards home) -> a sink playing the home STP. Exactly the legitimate messages
 * arrive, byte-identical and in order per SLS; every attack is blocked, alerted (JSON lines),
 * captured (readable capture file); answers from home reach the partner; malformed floods are
 * rejected under fail-closed; a bad reload is refused and the old configuration keeps working;
 * monitor mode forwards everything; the subscriber state survives a restart; a partner link
 * drops and comes back; and in = forwarded + blocked + rejected (+ refused + held) on every link.
 *
 * The decoded content of each test message is chosen by a tag in its user data and built with
 * sigmsg_build.h (the policy's view of a message), so this test pins the daemon's plumbing;
 * the whole-stack decoder is tested on its own. */
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
#include "sigmsg_build.h"
#include "map.h"
#include "sccp.h"
#include "tcap.h"
#include "transport.h"

#define RC 7
#define NSLS 8
#define PC_HOME 0x0101
#define PC_PARTNER 0x0202

#define HOME_IMSI "640990000000001"
#define HOME_HLR "25579900001"
#define ALPEN_VLR "491799001234"
#define FOREIGN_GT "33612345678"

static const char *policy_yaml =
	"operator: Test\n"
	"home:\n"
	"  country_code: '255'\n"
	"  imsi_prefixes: ['64099']\n"
	"  gt_prefixes: ['2557990']\n"
	"  msisdn_prefixes: ['25579']\n"
	"nodes:\n"
	"  hlr: ['25579900001']\n"
	"  vlr: ['25579900100']\n"
	"  msc: ['25579900100']\n"
	"partners:\n"
	"  - {name: Alpen, country: '49', gt_prefixes: ['49179900'], imsi_prefixes: ['26299']}\n";

struct world {
	enum tp_kind kind;
	bool real; /* traffic as real bytes through sig_decode_m3ua */
	const char *home_down; /* "hold" (default) or "refuse" */
	struct evloop *l;
	struct tp_net *net;
	struct m3ua_sg *sink;
	struct m3ua_link *pasp;
	struct fw *fw;
	char dir[64], cfg_path[128], alerts[128], capture[128], snapshot[128];
	uint32_t send_seq[NSLS], sink_next[NSLS];
	unsigned sink_rx, sink_attacks, p_rx, p_bad, p_answers, p_bad_answers;
	const char *sink_bad;
};

#define RUN_UNTIL(w, cond)                                                                     \
	do {                                                                                   \
		uint64_t deadline_ = evloop_now_ms() + 20000;                                  \
		for (int i_ = 0; i_ < 200000 && !(cond) && evloop_now_ms() < deadline_; i_++) \
			assert_true(evloop_run_once((w)->l, 5) >= 0);                         \
		if (!(cond))                                                                   \
			fail_msg("line %d: timed out waiting for %s", __LINE__, #cond);       \
	} while (0)

/* ---- the test decoder: M3UA for real, the upper layers from the tag ---- */

static int test_decode(const uint8_t *p, size_t len, struct sig_msg *m, struct dfs_err *e)
{
	struct m3ua_msg mm;
	int rc = m3ua_decode(p, len, 0, &mm, e);
	memset(m, 0, sizeof(*m));
	if (rc < 0)
		return rc;
	if (!mm.has_proto_data || mm.pd.user_data.len < 6)
		return dfs_err_set(e, "sccp", "header", len, "no user data");
	char tag = (char)mm.pd.user_data.p[0];
	switch (tag) {
	case 'L': /* updateLocation of a home subscriber roaming at Alpen: allowed */
		tl_msg(m, TCAP_BEGIN, 2, ALPEN_VLR, HOME_HLR);
		tl_imsi(m, HOME_IMSI);
		tl_maddr(&m->map.vlr, ALPEN_VLR);
		tl_maddr(&m->map.msc, ALPEN_VLR);
		break;
	case 'A': /* anyTimeInterrogation from a network without agreement: category 1 */
		tl_msg(m, TCAP_BEGIN, 71, FOREIGN_GT, HOME_HLR);
		break;
	case 'R': /* the home HLR's answer to an updateLocation */
		tl_msg(m, TCAP_END, -1, HOME_HLR, ALPEN_VLR);
		tl_result(m, 2);
		break;
	default:
		return dfs_err_set(e, "sccp", "message type", 20, "not a message type of Q.713");
	}
	/* the encoding scheme a real decode reports for BCD digits (Q.713 3.4.2.3.3) */
	m->sccp.calling.es = m->sccp.called.es = 1;
	m->has_m3ua = true;
	m->m3ua = mm;
	return 0;
}

/* ---- messages ---- */

static size_t build(uint8_t *buf, size_t cap, char tag, uint8_t sls, uint32_t seq, bool to_home)
{
	uint8_t pd[256];
	uint32_t opc = to_home ? PC_PARTNER : PC_HOME, dpc = to_home ? PC_HOME : PC_PARTNER;
	const uint8_t hdr[12] = {0, (uint8_t)(opc >> 16), (uint8_t)(opc >> 8), (uint8_t)opc,
				 0, (uint8_t)(dpc >> 16), (uint8_t)(dpc >> 8), (uint8_t)dpc, 3, 2, 0, sls};
	memcpy(pd, hdr, 12);
	size_t ul = 8 + (seq * 13) % 100;
	pd[12] = (uint8_t)tag;
	pd[13] = sls;
	memcpy(pd + 14, &seq, 4);
	for (size_t i = 6; i < ul; i++)
		pd[12 + i] = (uint8_t)(i * 3 + seq);
	uint8_t rcb[4] = {0, 0, 0, RC};
	struct m3ua_param params[2] = {{M3UA_TAG_ROUTING_CTX, {rcb, 4}}, {M3UA_TAG_PROTOCOL_DATA, {pd, 12 + ul}}};
	struct dfs_wbuf wb = dfs_wbuf_init(buf, cap);
	assert_int_equal(m3ua_encode(&wb, M3UA_CLS_XFER, M3UA_XFER_DATA, params, 2), 0);
	return wb.len;
}

/* TCAP bytes in an SCCP UDT from calling to the home HLR, in M3UA DATA from the partner. */
static size_t wrap_udt(uint8_t *buf, size_t cap, const uint8_t *tcap, size_t tl, const char *calling,
		       uint8_t sls)
{
	struct sccp_msg sm = {.msg_type = 0x09, .data = {tcap, tl}};
	sccp_addr_gt(&sm.called, HOME_HLR, 6);
	sccp_addr_gt(&sm.calling, calling, 7);
	uint8_t pd[700];
	const uint8_t hdr[12] = {0, 0, (uint8_t)(PC_PARTNER >> 8), (uint8_t)PC_PARTNER,
				 0, 0, (uint8_t)(PC_HOME >> 8), (uint8_t)PC_HOME, 3, 2, 0, sls};
	memcpy(pd, hdr, 12);
	struct dfs_wbuf sw = dfs_wbuf_init(pd + 12, sizeof(pd) - 12);
	assert_int_equal(sccp_encode(&sw, &sm), 0);
	uint8_t rcb[4] = {0, 0, 0, RC};
	struct m3ua_param params[2] = {{M3UA_TAG_ROUTING_CTX, {rcb, 4}}, {M3UA_TAG_PROTOCOL_DATA, {pd, 12 + sw.len}}};
	struct dfs_wbuf wb = dfs_wbuf_init(buf, cap);
	assert_int_equal(m3ua_encode(&wb, M3UA_CLS_XFER, M3UA_XFER_DATA, params, 2), 0);
	return wb.len;
}

/* A real updateLocation of the home subscriber from Alpen's VLR, its TCAP otid numbering the
 * message within its SLS. */
static size_t build_real_ul(uint8_t *buf, size_t cap, uint8_t sls, uint32_t seq)
{
	struct map_fields f;
	memset(&f, 0, sizeof(f));
	f.has_imsi = true;
	snprintf(f.imsi, sizeof(f.imsi), "%s", HOME_IMSI);
	f.vlr = f.msc = (struct dfs_addr){.present = true, .ton_npi = 0x91};
	snprintf(f.vlr.digits, sizeof(f.vlr.digits), "%s", ALPEN_VLR);
	snprintf(f.msc.digits, sizeof(f.msc.digits), "%s", ALPEN_VLR);
	uint8_t tcap[512];
	struct dfs_wbuf tw = dfs_wbuf_init(tcap, sizeof(tcap));
	assert_int_equal(map_build_begin(&tw, (uint32_t)sls << 24 | seq, 1, 3, 2, 1, &f), 0);
	return wrap_udt(buf, cap, tcap, tw.len, ALPEN_VLR, sls);
}

/* The anyTimeInterrogation Begin of ../shared/vectors/sigfw-cases.md (otid 2) from a GT
 * without a roaming agreement, in SCCP UDT. */
static const char sigfw_ati_hex[] =
	"627e4804000000026b432841060700118605010101a036603480020780a109060704000001001d03be2328210607"
	"04000001010101a016a01480099611111111111111f18107961111111111f16c31a12f0201000201473027a00980"
	"0711111111111111a10f80008100830084010086008500870083099611111111111111f1";

static size_t build_real_ati(uint8_t *buf, size_t cap, uint8_t sls)
{
	uint8_t tcap[256];
	size_t tl = strlen(sigfw_ati_hex) / 2;
	for (size_t i = 0; i < tl; i++)
		sscanf(sigfw_ati_hex + 2 * i, "%2hhx", &tcap[i]);
	return wrap_udt(buf, cap, tcap, tl, FOREIGN_GT, sls);
}

/* The sink's check of a real message: an updateLocation, the next of its SLS, byte for byte. */
static void sink_real(struct world *w, const uint8_t *msg, size_t len, const struct m3ua_msg *m)
{
	struct sig_msg sm;
	struct dfs_err e;
	if (sig_decode_m3ua(msg, len, &sm, &e) < 0 || !sm.has_map || sm.map.opcode != 2) {
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
	size_t wl = build_real_ul(want, sizeof(want), sls, seq);
	if (wl != len || memcmp(want, msg, len))
		w->sink_bad = "bytes differ";
	w->sink_next[sls] = seq + 1;
}

static void sink_on_data(struct m3ua_link *lk, const uint8_t *msg, size_t len, const struct m3ua_msg *m,
			 uint16_t stream, void *ud)
{
	struct world *w = ud;
	w->sink_rx++;
	if (w->real)
		return sink_real(w, msg, len, m);
	const uint8_t *u = m->pd.user_data.p;
	if (m->pd.user_data.len < 6)
		return (void)(w->sink_bad = "short");
	if (u[0] == 'A')
		w->sink_attacks++;
	if (u[0] != 'L')
		return;
	uint8_t sls = u[1];
	uint32_t seq;
	memcpy(&seq, u + 2, 4);
	if (sls >= NSLS || seq != w->sink_next[sls]) {
		w->sink_bad = "out of order";
		return;
	}
	uint8_t want[300];
	size_t wl = build(want, sizeof(want), 'L', sls, seq, true);
	if (wl != len || memcmp(want, msg, len))
		w->sink_bad = "bytes differ";
	w->sink_next[sls] = seq + 1;
}

static const struct m3ua_cbs sink_cbs = {.on_data = sink_on_data};

static void pasp_on_data(struct m3ua_link *lk, const uint8_t *msg, size_t len, const struct m3ua_msg *m,
			 uint16_t stream, void *ud)
{
	struct world *w = ud;
	uint8_t want[300];
	const uint8_t *u = m->pd.user_data.p;
	uint32_t seq;
	if (m->pd.user_data.len && u[0] == 0x09) { /* an SCCP UDT: the firewall's answer */
		struct sccp_msg s;
		struct tcap_msg t;
		struct dfs_err e;
		w->p_answers++;
		if (m->pd.opc != PC_HOME || m->pd.dpc != PC_PARTNER ||
		    sccp_decode(u, m->pd.user_data.len, 0, &s, &e) < 0 || strcmp(s.called.digits, FOREIGN_GT) ||
		    tcap_decode(s.data.p, s.data.len, 0, &t, &e) < 0 || t.msg_type != TCAP_ABORT ||
		    !t.dtid.present || t.dtid.val != (w->real ? 2u : 0x1000u + 71))
			w->p_bad_answers++;
		return;
	}
	memcpy(&seq, u + 2, 4);
	size_t wl = build(want, sizeof(want), 'R', u[1], seq, false);
	if (wl != len || memcmp(want, msg, len))
		w->p_bad++;
	w->p_rx++;
}

static const struct m3ua_cbs pasp_cbs = {.on_data = pasp_on_data};

/* ---- setup ---- */

static void write_config(struct world *w, const char *extra_links, bool monitor)
{
	const char *kind = tp_kind_name(w->kind);
	FILE *f = fopen(w->cfg_path, "w");
	assert_non_null(f);
	fprintf(f, "%s", policy_yaml);
	if (monitor)
		fprintf(f, "policy: {monitor: true}\n");
	fprintf(f,
		"links:\n"
		"  on_error: closed\n"
		"  home_down: %s\n"
		"  hold_max_msgs: 1000\n"
		"  home_point_codes: [%u]\n"
		"  partners:\n"
		"    - {name: alpen, listen: '%s:127.0.0.1:0', routing_context: %d, traffic_mode: override,\n"
		"       point_codes: [%u]}\n"
		"  home:\n"
		"    - {name: stp, connect: '%s:127.0.0.1:%u', routing_context: %d, reconnect_ms: 20}\n"
		"  alerts: {file: '%s'}\n"
		"  capture: {file: '%s', rotate_bytes: 65536, keep: 3}\n"
		"  metrics: {address: 127.0.0.1, port: 0}\n"
		"  snapshot: {file: '%s', interval_s: 3600}\n"
		"%s",
		w->home_down ? w->home_down : "hold", PC_HOME, kind, RC, PC_PARTNER, kind, m3ua_sg_port(w->sink), RC, w->alerts, w->capture, w->snapshot,
		extra_links ? extra_links : "");
	fclose(f);
}

static unsigned fw_partner_port(struct world *w) { return m3ua_sg_port(relay_partner(fw_relay(w->fw), 0)); }

static void partner_connect(struct world *w)
{
	char err[256];
	struct m3ua_asp_cfg cfg = {.name = "alpen-asp", .has_rctx = true, .rctx = RC, .tmt = M3UA_TMT_OVERRIDE,
				   .reconnect_ms = 10};
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
	w->fw = fw_new(w->l, w->net, w->cfg_path, w->real ? sig_decode_m3ua : test_decode, err, sizeof(err));
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

static struct world *world_new_real(enum tp_kind kind, bool real)
{
	struct world *w = calloc(1, sizeof(*w));
	char err[256];
	w->kind = kind;
	w->real = real;
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

static struct world *world_new(enum tp_kind kind) { return world_new_real(kind, false); }

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

/* Send from the partner: legit and attack messages interleaved, SLS cycling. */
static void send_mix(struct world *w, unsigned n_legit, unsigned attack_every, char bad_tag)
{
	uint8_t buf[300];
	unsigned sent = 0;
	for (unsigned i = 0; i < n_legit; i++) {
		uint8_t sls = (uint8_t)(i % NSLS);
		for (int spin = 0; spin < 10000 && !m3ua_link_writable(w->pasp); spin++)
			evloop_run_once(w->l, 1);
		size_t len = build(buf, sizeof(buf), 'L', sls, w->send_seq[sls]++, true);
		assert_int_equal(m3ua_link_send(w->pasp, buf, len, m3ua_link_stream_for_sls(w->pasp, sls)), 0);
		if (attack_every && i % attack_every == 0) {
			len = build(buf, sizeof(buf), bad_tag, sls, i, true);
			assert_int_equal(m3ua_link_send(w->pasp, buf, len, m3ua_link_stream_for_sls(w->pasp, sls)), 0);
		}
		if (++sent % 64 == 0)
			evloop_run_once(w->l, 0);
	}
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

static unsigned count_lines(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[4096];
	unsigned n = 0;
	while (fgets(line, sizeof(line), f))
		if (!needle || strstr(line, needle))
			n++;
	fclose(f);
	return n;
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

static void legit_and_attacks(enum tp_kind kind)
{
	struct world *w = world_new(kind);
	send_mix(w, 400, 10, 'A'); /* 40 attacks */
	RUN_UNTIL(w, w->sink_rx >= 400);
	for (int i = 0; i < 50; i++)
		evloop_run_once(w->l, 2);
	assert_null(w->sink_bad);
	assert_int_equal(w->sink_rx, 400);
	assert_int_equal(w->sink_attacks, 0);
	struct fw_totals t;
	fw_get_totals(w->fw, RELAY_FROM_PARTNER, &t);
	assert_int_equal(t.in, 440);
	assert_int_equal(t.forwarded, 400);
	assert_int_equal(t.blocked, 40);
	/* each attack's Begin is answered with a TCAP Abort to its transaction */
	RUN_UNTIL(w, w->p_answers >= 40);
	assert_int_equal(w->p_answers, 40);
	assert_int_equal(w->p_bad_answers, 0);
	assert_int_equal(t.answered, 40);
	check_counters(w);
	/* answers from home reach the partner unchanged and are judged too */
	uint8_t buf[300];
	struct m3ua_link *home = m3ua_sg_next(w->sink, NULL);
	assert_non_null(home);
	for (uint32_t i = 0; i < 30; i++) {
		size_t len = build(buf, sizeof(buf), 'R', (uint8_t)(i % NSLS), i, false);
		assert_int_equal(m3ua_link_send(home, buf, len, 1), 0);
	}
	RUN_UNTIL(w, w->p_rx >= 30);
	assert_int_equal(w->p_bad, 0);
	assert_int_equal(metric(w, "dfsguard_fw_verdicts_total{link=\"stp\",direction=\"from_home\",verdict=\"allow\"} "), 30);
	assert_int_equal(metric(w, "dfsguard_fw_verdicts_total{link=\"alpen\",direction=\"from_partner\",verdict=\"block\"} "), 40);
	assert_int_equal(metric(w, "dfsguard_fw_rule_hits_total{rule=\"FW-CAT1\"} "), 40);
	assert_int_equal(metric(w, "dfsguard_fw_messages_total{link=\"alpen\",direction=\"from_partner\",outcome=\"in\"} "), 440);
	assert_int_equal(metric(w, "dfsguard_fw_verdict_seconds_count "), 470);
	check_counters(w);
	/* every block is an alert line in the analyze --json schema, and a capture record */
	assert_int_equal(count_lines(w->alerts, "\"rule\":\"FW-CAT1\""), 40);
	assert_int_equal(count_lines(w->alerts, "\"verdict\":\"block\""), 40);
	fw_stop(w);
	unsigned units = 0;
	char err[256];
	assert_int_equal(cap_read_file(w->capture, count_unit, NULL, &units, err, sizeof(err)), 0);
	assert_int_equal(units, 40);
	world_free(w);
}

static void malformed_flood(enum tp_kind kind)
{
	struct world *w = world_new(kind);
	send_mix(w, 200, 1, 'Z'); /* a malformed message after every legitimate one */
	RUN_UNTIL(w, w->sink_rx >= 200);
	struct fw_totals t;
	RUN_UNTIL(w, (fw_get_totals(w->fw, RELAY_FROM_PARTNER, &t), t.in == 400));
	assert_null(w->sink_bad);
	assert_int_equal(w->sink_rx, 200);
	assert_int_equal(t.rejected, 200);
	assert_int_equal(t.malformed, 200);
	assert_int_equal(metric(w, "dfsguard_fw_decode_errors_total "), 200);
	assert_int_equal(count_lines(w->alerts, "\"rule\":\"FW-TCAP\""), 200);
	check_counters(w);
	/* still working */
	send_mix(w, 16, 0, 0);
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
	send_mix(w, 80, 8, 'A');
	RUN_UNTIL(w, w->sink_rx >= 80);
	assert_int_equal(w->sink_attacks, 0);
	/* reload under load into monitor mode: attacks now pass, only alerted */
	write_config(w, NULL, true);
	send_mix(w, 40, 4, 'A');
	assert_int_equal(fw_reload(w->fw, err, sizeof(err)), 0);
	send_mix(w, 40, 4, 'A');
	RUN_UNTIL(w, w->sink_rx >= 160 && w->sink_attacks >= 10);
	for (int i = 0; i < 50; i++)
		evloop_run_once(w->l, 2);
	assert_null(w->sink_bad);
	assert_int_equal(w->sink_rx - w->sink_attacks, 160);
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

static void state_survives_restart(enum tp_kind kind)
{
	struct world *w = world_new(kind);
	send_mix(w, 20, 0, 0);
	RUN_UNTIL(w, w->sink_rx >= 20);
	assert_int_equal(metric(w, "dfsguard_fw_subscribers "), 1);
	fw_stop(w);
	assert_int_equal(access(w->snapshot, R_OK), 0);
	fw_start(w);
	assert_int_equal(metric(w, "dfsguard_fw_subscribers "), 1);
	world_free(w);
}

static void partner_drop_reconnect(enum tp_kind kind)
{
	struct world *w = world_new(kind);
	send_mix(w, 50, 0, 0);
	RUN_UNTIL(w, w->sink_rx >= 50);
	m3ua_link_close(w->pasp);
	RUN_UNTIL(w, m3ua_sg_as_state(relay_partner(fw_relay(w->fw), 0)) != M3UA_AS_ACTIVE);
	assert_int_equal(metric(w, "dfsguard_fw_link_up{link=\"alpen\",side=\"partner\",state=\""), 0);
	partner_connect(w);
	send_mix(w, 50, 5, 'A');
	RUN_UNTIL(w, w->sink_rx >= 100);
	assert_null(w->sink_bad);
	assert_int_equal(w->sink_attacks, 0);
	check_counters(w);
	world_free(w);
}

static void home_down_hold(enum tp_kind kind)
{
	struct world *w = world_new(kind);
	/* the home STP goes away: messages are held (bounded), then delivered in order */
	struct m3ua_link *home = m3ua_sg_next(w->sink, NULL);
	m3ua_sg_close(w->sink);
	w->sink = NULL;
	(void)home;
	RUN_UNTIL(w, !relay_home_available(fw_relay(w->fw)));
	send_mix(w, 30, 0, 0);
	struct fw_totals t;
	RUN_UNTIL(w, (fw_get_totals(w->fw, RELAY_FROM_PARTNER, &t), t.held == 30));
	check_counters(w);
	assert_int_equal(metric(w, "dfsguard_fw_held_messages "), 30);
	assert_int_equal(metric(w, "dfsguard_fw_link_up{link=\"stp\",side=\"home\",state=\"ASP-DOWN\"} "), 0);
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
	send_mix(w, 25, 0, 0);
	struct fw_totals t;
	RUN_UNTIL(w, (fw_get_totals(w->fw, RELAY_FROM_PARTNER, &t), t.refused == 25));
	assert_int_equal(t.held, 0);
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
	send_mix(w, 32, 4, 'A');
	RUN_UNTIL(w, w->sink_rx >= 32);
	assert_null(w->sink_bad);
	assert_int_equal(w->sink_attacks, 0);
	check_counters(w);
	world_free(w);
}

/* Real bytes through the whole decoder: updateLocations pass byte-identical and in order per
 * SLS; the SigFW anyTimeInterrogation is blocked and its transaction aborted. */
static void real_traffic(enum tp_kind kind)
{
	struct world *w = world_new_real(kind, true);
	uint8_t buf[800];
	for (unsigned i = 0; i < 240; i++) {
		uint8_t sls = (uint8_t)(i % NSLS);
		for (int spin = 0; spin < 10000 && !m3ua_link_writable(w->pasp); spin++)
			evloop_run_once(w->l, 1);
		size_t len = build_real_ul(buf, sizeof(buf), sls, w->send_seq[sls]++);
		assert_int_equal(m3ua_link_send(w->pasp, buf, len, m3ua_link_stream_for_sls(w->pasp, sls)), 0);
		if (i % 8 == 0) {
			len = build_real_ati(buf, sizeof(buf), sls);
			assert_int_equal(m3ua_link_send(w->pasp, buf, len, m3ua_link_stream_for_sls(w->pasp, sls)), 0);
		}
		if (i % 32 == 0)
			evloop_run_once(w->l, 0);
	}
	RUN_UNTIL(w, w->sink_rx >= 240 && w->p_answers >= 30);
	for (int i = 0; i < 50; i++)
		evloop_run_once(w->l, 2);
	assert_null(w->sink_bad);
	assert_int_equal(w->sink_rx, 240);
	assert_int_equal(w->sink_attacks, 0);
	assert_int_equal(w->p_answers, 30);
	assert_int_equal(w->p_bad_answers, 0);
	struct fw_totals t;
	fw_get_totals(w->fw, RELAY_FROM_PARTNER, &t);
	assert_int_equal(t.in, 270);
	assert_int_equal(t.forwarded, 240);
	assert_int_equal(t.blocked, 30);
	assert_int_equal(t.answered, 30);
	assert_int_equal(metric(w, "dfsguard_fw_rule_hits_total{rule=\"FW-CAT1\"} "), 30);
	assert_int_equal(count_lines(w->alerts, "\"opcode\":71"), 30);
	check_counters(w);
	world_free(w);
}

static void test_tcp_real_traffic(void **state) { real_traffic(TP_TCP); }
static void test_usrsctp_real_traffic(void **state) { real_traffic(TP_USRSCTP); }

static void test_tcp_legit_and_attacks(void **state) { legit_and_attacks(TP_TCP); }
static void test_usrsctp_legit_and_attacks(void **state) { legit_and_attacks(TP_USRSCTP); }
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
		cmocka_unit_test(test_tcp_real_traffic),
		cmocka_unit_test(test_usrsctp_real_traffic),
		cmocka_unit_test(test_tcp_legit_and_attacks),
		cmocka_unit_test(test_usrsctp_legit_and_attacks),
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
