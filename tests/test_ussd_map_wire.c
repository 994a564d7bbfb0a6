/* The MAP face on the wire: `map_listener` as an M3UA SGP on 127.0.0.1 over TCP, the test as
 * the HLR's ASP (the net layer's ASP state machine) running a balance dialogue. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gw_fixture.h"
#include "hlr_wire.h"
#include "evloop.h"
#include "gsm0338.h"
#include "map.h"
#include "map_listener.h"
#include "sccp.h"
#include "tcap.h"

#define RCTX 7

struct world {
	struct fx *fx;
	struct evloop *l;
	struct tp_net *net;
	struct map_listener *ml;
	struct m3ua_link *asp;
	bool active;
	unsigned n_data;
	uint8_t data[1024];
	size_t data_len;
	struct sig_msg ans;
	char text[SCREEN_MAX_BYTES];
};

static bool is_active(const struct world *w)
{
	return w->active;
}

static bool got_answer(const struct world *w)
{
	return w->n_data == 1;
}

/* Turn the loop until done(w), at most 20 s. */
static void pump(struct world *w, bool (*done)(const struct world *))
{
	uint64_t deadline = evloop_now_ms() + 20000;
	while (!done(w) && evloop_now_ms() < deadline)
		assert_true(evloop_run_once(w->l, 10) >= 0);
	assert_true(done(w));
}

static void on_data(struct m3ua_link *lk, const uint8_t *msg, size_t len, const struct m3ua_msg *m,
		    uint16_t stream, void *ud)
{
	(void)lk, (void)m, (void)stream;
	struct world *w = ud;
	assert_true(len <= sizeof(w->data));
	memcpy(w->data, msg, len);
	w->data_len = len;
	w->n_data++;
}

static void on_state(struct m3ua_link *lk, enum m3ua_asp_state old, enum m3ua_asp_state now,
		     void *ud)
{
	(void)lk, (void)old;
	((struct world *)ud)->active = now == M3UA_ASP_ACTIVE;
}

static const struct m3ua_cbs asp_cbs = {.on_data = on_data, .on_state = on_state};

/* TCAP -> SCCP UDT -> M3UA DATA (RFC 4666 3.3.1: Routing Context, Protocol Data), sent. */
static void hlr_send(struct world *w, const uint8_t *tcap, size_t len)
{
	static const uint32_t rctx = RCTX;
	const struct hlr_wire hw = {.scf_gt = "254722000900", .hlr_gt = "254722000100", .rctx = &rctx, .sls = 5};
	uint8_t mb[700];
	size_t total = hlr_wire_wrap(&hw, tcap, len, mb, sizeof(mb));
	assert_true(total > 0);
	w->n_data = 0;
	assert_int_equal(m3ua_link_send(w->asp, mb, total, 1), 0);
	pump(w, got_answer);
	struct dfs_err e;
	assert_int_equal(sig_decode_m3ua(w->data, w->data_len, &w->ans, &e), 0);
	assert_int_equal(w->ans.m3ua.pd.opc, 200);
	assert_int_equal(w->ans.m3ua.pd.dpc, 100);
	w->text[0] = 0;
	if (w->ans.has_map && w->ans.map.has_ussd)
		assert_true(ussd_decode_text(w->ans.map.ussd_dcs, w->ans.map.ussd_string.p,
					     w->ans.map.ussd_string.len, w->text,
					     sizeof(w->text)) >= 0);
}

static void fields(struct map_fields *f, const char *text, uint8_t *buf)
{
	map_fields_init(f);
	int n = ussd_encode_text(text, 0x0f, buf, USSD_MAX_OCTETS);
	assert_true(n > 0);
	f->has_ussd = true;
	f->ussd_dcs = 0x0f;
	f->ussd_string = (struct dfs_view){buf, (size_t)n};
}

static void test_balance_over_m3ua(void **state)
{
	(void)state;
	char err[256];
	struct world *w = calloc(1, sizeof(*w));
	w->fx = fx_new(NULL);
	fx_register(w->fx, ALICE, "Alice Wanjiru", IMSI_A, SENTINEL_PIN);
	fx_fund(w->fx, ALICE, 123400);
	w->l = evloop_new(err, sizeof(err));
	assert_non_null(w->l);
	w->net = tp_net_new(w->l, err, sizeof(err));
	assert_non_null(w->net);
	struct m3ua_sg_cfg sg = {.has_rctx = true, .rctx = RCTX, .tmt = M3UA_TMT_OVERRIDE};
	sg.local = (struct tp_endpoint){.kind = TP_TCP, .n_addrs = 1, .addrs = {"127.0.0.1"}};
	struct map_face_config fc;
	map_face_config_defaults(&fc);
	snprintf(fc.network, sizeof(fc.network), "63902");
	w->ml = map_listener_new(w->net, &sg, &w->fx->g, &fc, err, sizeof(err));
	if (!w->ml)
		fail_msg("listener: %s", err);
	struct m3ua_asp_cfg ac = {.name = "hlr", .has_rctx = true, .rctx = RCTX,
				  .tmt = M3UA_TMT_OVERRIDE, .reconnect_ms = 10};
	ac.remote = sg.local;
	ac.remote.port = map_listener_port(w->ml);
	w->asp = m3ua_asp_new(w->net, &ac, &asp_cbs, w, err, sizeof(err));
	if (!w->asp)
		fail_msg("asp: %s", err);
	pump(w, is_active);

	uint8_t t[512], str[USSD_MAX_OCTETS];
	struct map_fields f;
	fields(&f, "*384#", str);
	f.msisdn.present = true;
	f.msisdn.ton_npi = 0x91;
	snprintf(f.msisdn.digits, sizeof(f.msisdn.digits), "%s", ALICE);
	struct map_tx tx = {.msg_type = TCAP_BEGIN, .otid = 0x11223344, .ac = 19, .ac_version = 2,
			    .open_info = true, .dest_ref = IMSI_A, .orig_ref = ALICE,
			    .dest_ref_ton_npi = 0x16, .orig_ref_ton_npi = 0x91};
	struct dfs_wbuf wb = dfs_wbuf_init(t, sizeof(t));
	assert_int_equal(map_build_invoke(&wb, &tx, 1, MAP_OP_PROCESS_USS_REQUEST, &f), 0);
	hlr_send(w, t, wb.len);
	assert_int_equal(w->ans.tcap.msg_type, TCAP_CONTINUE);
	assert_int_equal(w->ans.tcap.comp[0].opcode, MAP_OP_USS_REQUEST);
	uint32_t ours = w->ans.tcap.otid.val;

	const char *steps[] = {"4", SENTINEL_PIN};
	for (unsigned i = 0; i < 2; i++) {
		fields(&f, steps[i], str);
		struct map_tx c = {.msg_type = TCAP_CONTINUE, .otid = 0x11223344, .dtid = ours};
		wb = dfs_wbuf_init(t, sizeof(t));
		assert_int_equal(map_build_result(&wb, &c, w->ans.tcap.comp[0].invoke_id,
						  MAP_OP_USS_REQUEST, &f),
				 0);
		hlr_send(w, t, wb.len);
	}
	assert_int_equal(w->ans.tcap.msg_type, TCAP_END);
	assert_int_equal(w->ans.tcap.dtid.val, 0x11223344);
	assert_int_equal(w->ans.tcap.comp[0].opcode, MAP_OP_PROCESS_USS_REQUEST);
	if (!strstr(w->text, "1,234.00"))
		fail_msg("final text: %s", w->text);
	assert_int_equal(map_face_count(map_listener_face(w->ml)), 0);
	assert_int_equal(fx_balance(w->fx, ALICE), 123400);
	assert_false(fx_file_contains(w->fx->audit_path, SENTINEL_PIN));

	m3ua_link_close(w->asp);
	map_listener_free(w->ml);
	tp_net_free(w->net);
	evloop_free(w->l);
	fx_free(w->fx);
	free(w);
}

int main(void)
{
	(void)fx_dialogue; /* fixture helpers for the HTTP face and PostgreSQL, unused here */
	(void)pg_harness_for_suite;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_balance_over_m3ua),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
