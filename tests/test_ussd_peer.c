/* The live USSD peer (src/sim/ussd_peer.h) against the gateway's MAP face on 127.0.0.1 over
 * M3UA/TCP: many dialogues in flight at once, per-step latency, a menu left after the last
 * input, an unknown code, and the answers to gateway-initiated Notify / Request (the test plays
 * a gateway's SGP for those). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gw_fixture.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include "evloop.h"
#include "gsm0338.h"
#include "m3ua.h"
#include "map.h"
#include "map_listener.h"
#include "sccp.h"
#include "tcap.h"
#include "ussd_peer.h"

#define RCTX 7
#define N_DIAL 24

struct dres {
	bool done;
	enum ussd_peer_outcome o;
	unsigned screens;
	char last[256];
	uint64_t max_step_us;
};

struct world {
	struct fx *fx;
	struct evloop *l;
	struct tp_net *net;
	struct map_listener *ml;
	struct ussd_peer *peer;
	struct dres r[N_DIAL + 4];
	unsigned done;
	unsigned ni_seen;
	int ni_op;
	char ni_text[128], ni_dest[20];
	/* the fake gateway SGP for gateway-initiated dialogues */
	struct m3ua_sg *sg;
	struct m3ua_link *sg_link;
	uint8_t got[1024];
	size_t got_len;
	unsigned n_got;
};

static void on_screen(struct ussd_peer *p, void *ud, const char *text, bool end, uint64_t step_us)
{
	(void)p, (void)end;
	struct dres *r = ud;
	r->screens++;
	snprintf(r->last, sizeof(r->last), "%s", text);
	if (step_us > r->max_step_us)
		r->max_step_us = step_us;
}

static void on_done(struct ussd_peer *p, void *ud, enum ussd_peer_outcome o, const char *detail)
{
	(void)detail;
	struct dres *r = ud;
	r->done = true;
	r->o = o;
	((struct world *)ussd_peer_userdata(p))->done++;
}

static void on_ni(struct ussd_peer *p, int opcode, const char *dest_ref, const char *text)
{
	struct world *w = ussd_peer_userdata(p);
	w->ni_seen++;
	w->ni_op = opcode;
	snprintf(w->ni_text, sizeof(w->ni_text), "%s", text);
	snprintf(w->ni_dest, sizeof(w->ni_dest), "%s", dest_ref);
}

static const struct ussd_peer_cbs cbs = {.on_screen = on_screen, .on_done = on_done,
					 .on_ni = on_ni};

static void pump(struct world *w, bool (*cond)(struct world *))
{
	uint64_t deadline = evloop_now_ms() + 30000;
	while (!cond(w) && evloop_now_ms() < deadline)
		assert_true(evloop_run_once(w->l, 10) >= 0);
	assert_true(cond(w));
}

static bool peer_up(struct world *w)
{
	return ussd_peer_active(w->peer);
}

static unsigned want_done;
static bool all_done(struct world *w)
{
	return w->done >= want_done;
}

static struct world *world_new(void)
{
	char err[256];
	struct world *w = calloc(1, sizeof(*w));
	w->fx = fx_new(NULL);
	w->l = evloop_new(err, sizeof(err));
	w->net = tp_net_new(w->l, err, sizeof(err));
	assert_non_null(w->net);
	return w;
}

static struct ussd_peer *peer_to(struct world *w, uint16_t port, unsigned max, unsigned step_ms)
{
	char err[256];
	struct ussd_peer_cfg pc = {.has_rctx = true, .rctx = RCTX, .max_dialogues = max,
				   .step_timeout_ms = step_ms, .ni_reply = "2"};
	assert_int_equal(tp_endpoint_parse(&pc.remote, "tcp:127.0.0.1:1", err, sizeof(err)), 0);
	pc.remote.port = port;
	struct ussd_peer *p = ussd_peer_new(w->net, &pc, &cbs, w, err, sizeof(err));
	if (!p)
		fail_msg("peer: %s", err);
	return p;
}

static void world_free(struct world *w)
{
	ussd_peer_free(w->peer);
	if (w->ml)
		map_listener_free(w->ml);
	if (w->sg)
		m3ua_sg_close(w->sg);
	tp_net_free(w->net);
	evloop_free(w->l);
	fx_free(w->fx);
	free(w);
}

/* Many dialogues in flight against the real MAP face: every one ends with its final screen. */
static void test_peer_dialogues(void **state)
{
	(void)state;
	char err[256];
	struct world *w = world_new();
	fx_register(w->fx, ALICE, "Alice Wanjiru", IMSI_A, SENTINEL_PIN);
	fx_fund(w->fx, ALICE, 123400);
	struct m3ua_sg_cfg sg = {.has_rctx = true, .rctx = RCTX, .tmt = M3UA_TMT_OVERRIDE};
	assert_int_equal(tp_endpoint_parse(&sg.local, "tcp:127.0.0.1:0", err, sizeof(err)), 0);
	struct map_face_config fc;
	map_face_config_defaults(&fc);
	w->ml = map_listener_new(w->net, &sg, &w->fx->g, &fc, err, sizeof(err));
	assert_non_null(w->ml);
	w->peer = peer_to(w, map_listener_port(w->ml), 8, 20000);
	struct ussd_peer_dial d = {.msisdn = ALICE, .imsi = IMSI_A};
	assert_int_equal(ussd_peer_dial(w->peer, &d, &w->r[0]), -ENOTCONN);
	pump(w, peer_up);

	/* N_DIAL balance dialogues, at most 8 in flight: -EBUSY beyond, retried as others end */
	d.inputs[0] = "4";
	d.inputs[1] = SENTINEL_PIN;
	d.n_inputs = 2;
	unsigned started = 0, busy = 0;
	uint64_t deadline = evloop_now_ms() + 60000;
	while (started < N_DIAL && evloop_now_ms() < deadline) {
		int rc = ussd_peer_dial(w->peer, &d, &w->r[started]);
		if (rc == 0) {
			started++;
			continue;
		}
		assert_int_equal(rc, -EBUSY);
		assert_int_equal(ussd_peer_in_flight(w->peer), 8);
		busy++;
		assert_true(evloop_run_once(w->l, 10) >= 0);
	}
	assert_int_equal(started, N_DIAL);
	assert_true(busy > 0);
	want_done = N_DIAL;
	pump(w, all_done);
	for (unsigned i = 0; i < N_DIAL; i++) {
		assert_int_equal(w->r[i].o, USSD_PEER_END);
		assert_int_equal(w->r[i].screens, 3);
		if (!strstr(w->r[i].last, "1,234.00"))
			fail_msg("dialogue %u: %s", i, w->r[i].last);
		assert_true(w->r[i].max_step_us > 0);
	}

	/* a menu left after the last input: U-Abort, the face forgets the dialogue */
	struct ussd_peer_dial e = {.msisdn = ALICE, .imsi = IMSI_A, .inputs = {"4"}, .n_inputs = 1};
	assert_int_equal(ussd_peer_dial(w->peer, &e, &w->r[N_DIAL]), 0);
	/* an unknown service code: ReturnError */
	struct ussd_peer_dial u = {.msisdn = ALICE, .imsi = IMSI_A, .code = "*999#"};
	assert_int_equal(ussd_peer_dial(w->peer, &u, &w->r[N_DIAL + 1]), 0);
	/* UCS2 strings */
	struct ussd_peer_dial c = {.msisdn = ALICE, .imsi = IMSI_A, .ucs2 = true,
				   .inputs = {"4", SENTINEL_PIN}, .n_inputs = 2};
	assert_int_equal(ussd_peer_dial(w->peer, &c, &w->r[N_DIAL + 2]), 0);
	want_done = N_DIAL + 3;
	pump(w, all_done);
	assert_int_equal(w->r[N_DIAL].o, USSD_PEER_EXHAUSTED);
	assert_int_equal(w->r[N_DIAL + 1].o, USSD_PEER_ERROR);
	assert_int_equal(w->r[N_DIAL + 2].o, USSD_PEER_END);
	assert_non_null(strstr(w->r[N_DIAL + 2].last, "1,234.00"));
	for (unsigned i = 0; i < 50 && map_face_count(map_listener_face(w->ml)); i++)
		evloop_run_once(w->l, 10);
	assert_int_equal(map_face_count(map_listener_face(w->ml)), 0);
	assert_false(fx_file_contains(w->fx->audit_path, SENTINEL_PIN));
	assert_int_equal(fx_balance(w->fx, ALICE), 123400);
	/* bad arguments */
	struct ussd_peer_dial bad = {.msisdn = "25470000000x", .imsi = IMSI_A};
	assert_int_equal(ussd_peer_dial(w->peer, &bad, NULL), -EINVAL);
	world_free(w);
}

/* --- gateway-initiated dialogues: the test is the gateway's SGP --- */

static void sg_on_data(struct m3ua_link *lk, const uint8_t *msg, size_t len,
		       const struct m3ua_msg *m, uint16_t stream, void *ud)
{
	(void)m, (void)stream;
	struct world *w = ud;
	w->sg_link = lk;
	assert_true(len <= sizeof(w->got));
	memcpy(w->got, msg, len);
	w->got_len = len;
	w->n_got++;
}

static void sg_on_state(struct m3ua_link *lk, enum m3ua_asp_state old, enum m3ua_asp_state now,
			void *ud)
{
	(void)old;
	if (now == M3UA_ASP_ACTIVE)
		((struct world *)ud)->sg_link = lk;
}

static const struct m3ua_cbs sg_cbs = {.on_data = sg_on_data, .on_state = sg_on_state};

static bool sg_active(struct world *w)
{
	return w->sg_link && ussd_peer_active(w->peer);
}

static unsigned want_got;
static bool got_enough(struct world *w)
{
	return w->n_got >= want_got;
}

/* TCAP from the gateway (gsmSCF GT, SSN 147) to the HLR, in M3UA DATA on the SGP link. */
static void gw_send(struct world *w, const uint8_t *tcap, size_t len)
{
	uint8_t sb[600], mb[700];
	struct sccp_msg s = {.msg_type = SCCP_MSG_UDT, .proto_class = 0x81, .data = {tcap, len}};
	sccp_addr_gt(&s.called, "254722000100", SCCP_SSN_HLR);
	sccp_addr_gt(&s.calling, "254722000900", SCCP_SSN_GSMSCF);
	struct dfs_wbuf sw = dfs_wbuf_init(sb, sizeof(sb));
	assert_int_equal(sccp_encode(&sw, &s), 0);
	uint32_t rctx = RCTX;
	struct m3ua_proto_data pd = {.opc = 200, .dpc = 100, .si = 3, .ni = 2, .sls = 1,
				     .user_data = {sb, sw.len}};
	struct dfs_wbuf mw = dfs_wbuf_init(mb, sizeof(mb));
	assert_int_equal(m3ua_encode_data(&mw, &rctx, &pd), 0);
	assert_int_equal(m3ua_link_send(w->sg_link, mb, mw.len, 1), 0);
}

static void ni_begin(struct world *w, uint32_t otid, int op, const char *text)
{
	uint8_t t[512], str[USSD_MAX_OCTETS];
	struct map_fields f;
	map_fields_init(&f);
	int n = ussd_encode_text(text, 0x0f, str, sizeof(str));
	assert_true(n > 0);
	f.has_ussd = true;
	f.ussd_dcs = 0x0f;
	f.ussd_string = (struct dfs_view){str, (size_t)n};
	struct map_tx tx = {.msg_type = TCAP_BEGIN, .otid = otid, .ac = 19, .ac_version = 2,
			    .open_info = true, .dest_ref = IMSI_A, .orig_ref = "254722000900",
			    .dest_ref_ton_npi = 0x16, .orig_ref_ton_npi = 0x91};
	struct dfs_wbuf wb = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(map_build_invoke(&wb, &tx, 3, op, &f), 0);
	gw_send(w, t, wb.len);
}

static void test_peer_network_initiated(void **state)
{
	(void)state;
	char err[256];
	struct world *w = world_new();
	struct m3ua_sg_cfg sg = {.name = "fake-gw", .has_rctx = true, .rctx = RCTX,
				 .tmt = M3UA_TMT_OVERRIDE};
	assert_int_equal(tp_endpoint_parse(&sg.local, "tcp:127.0.0.1:0", err, sizeof(err)), 0);
	w->sg = m3ua_sg_new(w->net, &sg, &sg_cbs, w, err, sizeof(err));
	assert_non_null(w->sg);
	w->peer = peer_to(w, m3ua_sg_port(w->sg), 4, 300);
	pump(w, sg_active);
	struct sig_msg *a = calloc(1, sizeof(*a));
	struct dfs_err e;

	/* Notify in a Begin: an empty ReturnResult in an End with the AARE */
	ni_begin(w, 0x77000001, MAP_OP_USS_NOTIFY, "Your loan is due tomorrow");
	want_got = 1;
	pump(w, got_enough);
	assert_int_equal(sig_decode_m3ua(w->got, w->got_len, a, &e), 0);
	assert_int_equal(a->m3ua.pd.opc, 100);
	assert_int_equal(a->tcap.msg_type, TCAP_END);
	assert_int_equal(a->tcap.dtid.val, 0x77000001);
	assert_true(a->tcap.has_dialogue);
	assert_int_equal(a->tcap.comp[0].type, TCAP_RESULT_L);
	assert_int_equal(a->tcap.comp[0].invoke_id, 3);
	assert_int_equal(w->ni_op, MAP_OP_USS_NOTIFY);
	assert_string_equal(w->ni_text, "Your loan is due tomorrow");
	assert_string_equal(w->ni_dest, IMSI_A);

	/* Request in a Begin: the configured reply in a Continue; a second Request in the same
	 * dialogue is answered the same way */
	ni_begin(w, 0x77000002, MAP_OP_USS_REQUEST, "Confirm payment?\n1 Yes\n2 No");
	want_got = 2;
	pump(w, got_enough);
	assert_int_equal(sig_decode_m3ua(w->got, w->got_len, a, &e), 0);
	assert_int_equal(a->tcap.msg_type, TCAP_CONTINUE);
	assert_int_equal(a->tcap.dtid.val, 0x77000002);
	assert_int_equal(a->tcap.comp[0].type, TCAP_RESULT_L);
	assert_int_equal(a->tcap.comp[0].opcode, MAP_OP_USS_REQUEST);
	char text[64];
	assert_true(ussd_decode_text(a->map.ussd_dcs, a->map.ussd_string.p, a->map.ussd_string.len,
				     text, sizeof(text)) > 0);
	assert_string_equal(text, "2");
	uint32_t ours = a->tcap.otid.val;
	assert_true(ours & 0x80000000u);
	uint8_t t[512], str[USSD_MAX_OCTETS];
	struct map_fields f;
	map_fields_init(&f);
	int n = ussd_encode_text("Really?", 0x0f, str, sizeof(str));
	f.has_ussd = true;
	f.ussd_dcs = 0x0f;
	f.ussd_string = (struct dfs_view){str, (size_t)n};
	struct map_tx tx = {.msg_type = TCAP_CONTINUE, .otid = 0x77000002, .dtid = ours};
	struct dfs_wbuf wb = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(map_build_invoke(&wb, &tx, 4, MAP_OP_USS_REQUEST, &f), 0);
	gw_send(w, t, wb.len);
	want_got = 3;
	pump(w, got_enough);
	assert_int_equal(sig_decode_m3ua(w->got, w->got_len, a, &e), 0);
	assert_int_equal(a->tcap.msg_type, TCAP_CONTINUE);
	assert_int_equal(a->tcap.otid.val, ours);
	assert_int_equal(a->tcap.comp[0].invoke_id, 4);
	assert_int_equal(w->ni_seen, 3);
	assert_string_equal(w->ni_text, "Really?");

	/* a gateway that never answers: the step times out; a link that drops: LINK */
	struct ussd_peer_dial d = {.msisdn = ALICE, .imsi = IMSI_A};
	assert_int_equal(ussd_peer_dial(w->peer, &d, &w->r[0]), 0);
	want_done = 1;
	pump(w, all_done);
	assert_int_equal(w->r[0].o, USSD_PEER_TIMEOUT);
	assert_int_equal(w->r[0].screens, 0);
	assert_int_equal(ussd_peer_dial(w->peer, &d, &w->r[1]), 0);
	assert_int_equal(ussd_peer_in_flight(w->peer), 1);
	m3ua_sg_close(w->sg);
	w->sg = NULL;
	want_done = 2;
	pump(w, all_done);
	assert_int_equal(w->r[1].o, USSD_PEER_LINK);
	assert_int_equal(ussd_peer_in_flight(w->peer), 0);
	free(a);
	world_free(w);
}

/* `dfsguard sim dial --wait-ni 2` as the HLR: it prints both gateway-initiated operations and
 * answers them (Notify: End with ReturnResult; Request: the --ni-reply in a Continue). */
static void test_dial_cli_ni(void **state)
{
	(void)state;
	char err[256], port[32], outp[96];
	struct world *w = world_new();
	struct m3ua_sg_cfg sg = {.name = "fake-gw", .has_rctx = true, .rctx = RCTX,
				 .tmt = M3UA_TMT_OVERRIDE};
	assert_int_equal(tp_endpoint_parse(&sg.local, "tcp:127.0.0.1:0", err, sizeof(err)), 0);
	w->sg = m3ua_sg_new(w->net, &sg, &sg_cbs, w, err, sizeof(err));
	assert_non_null(w->sg);
	snprintf(port, sizeof(port), "tcp:127.0.0.1:%u", m3ua_sg_port(w->sg));
	snprintf(outp, sizeof(outp), "%s/dial.out", w->fx->dir);
	char *argv[] = {DFSG_BIN, "sim", "dial", "--connect", port, "--rctx", "7", "--wait-ni", "2",
			"--ni-reply", "1", "--timeout", "20", NULL};
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	pid_t pid;
	assert_int_equal(posix_spawn(&pid, DFSG_BIN, &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	uint64_t deadline = evloop_now_ms() + 20000;
	while (!w->sg_link && evloop_now_ms() < deadline)
		assert_true(evloop_run_once(w->l, 10) >= 0);
	assert_non_null(w->sg_link);
	ni_begin(w, 0x66000001, MAP_OP_USS_NOTIFY, "Loan repaid");
	want_got = 1;
	pump(w, got_enough);
	ni_begin(w, 0x66000002, MAP_OP_USS_REQUEST, "Rate us\n1 Good\n2 Bad");
	want_got = 2;
	pump(w, got_enough);
	struct sig_msg *a = calloc(1, sizeof(*a));
	struct dfs_err e;
	assert_int_equal(sig_decode_m3ua(w->got, w->got_len, a, &e), 0);
	assert_int_equal(a->tcap.msg_type, TCAP_CONTINUE);
	assert_int_equal(a->tcap.dtid.val, 0x66000002);
	free(a);
	int status = -1;
	while (evloop_now_ms() < deadline) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		evloop_run_once(w->l, 10);
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(fx_file_contains(outp, "NI 61 " IMSI_A " Loan repaid\n"));
	assert_true(fx_file_contains(outp, "NI 60 " IMSI_A " Rate us\n1 Good\n2 Bad\n"));
	world_free(w);
}

int main(void)
{
	(void)fx_dialogue; /* fixture helpers for the HTTP face and PostgreSQL, unused here */
	(void)pg_harness_for_suite;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_peer_dialogues),
	    cmocka_unit_test(test_peer_network_initiated),
	    cmocka_unit_test(test_dial_cli_ni),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
