/* Network-initiated USSD end to end: `ussd_service` started from a YAML file, an application
 * signs POST /ussd/push with its service key (curl, in a thread of its own), and the test plays
 * the HLR's M3UA ASP over TCP on 127.0.0.1 (the net layer's ASP state machine): it reads our
 * Begin and answers; the HTTP reply carries the outcome. Plus every refusal: unsigned,
 * replayed, unknown service, push not enabled, bad fields, a PIN-phishing text, the rate
 * limit, and no M3UA peer (503). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gw_fixture.h"
#include "hlr_wire.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "appauth.h"
#include "evloop.h"
#include "gsm0338.h"
#include "m3ua_asp.h"
#include "map.h"
#include "map_listener.h"
#include "sccp.h"
#include "tcap.h"
#include "ussd_config.h"
#include "ussd_service.h"

#define RCTX 7
#define HLR_GT "254722000100"
#define SCF_GT "254722000900"
#define APP_KEY "push-app-key-0123456789abcdef01"
#define ANSWER "7391 yes please"

enum hlr_mode { HLR_RESULT_END, HLR_ANSWER_CONTINUE, HLR_ERROR_END };

struct world {
	char dir[64];
	struct ussd_config *cfg;
	struct ussd_service *svc;
	unsigned http_port;
	struct evloop *l;
	struct tp_net *net;
	struct m3ua_link *asp;
	bool active;
	/* the HLR */
	enum hlr_mode mode;
	int error_code;
	unsigned n_begin, n_end;
	struct sig_msg begin; /* the last Begin, decoded */
	char begin_text[SCREEN_MAX_BYTES];
	/* the application */
	pthread_t client;
	atomic_bool client_done;
	const char *body;
	bool sign;
	const char *key;
	int64_t ts;
	long status;
	char reply[4096];
	size_t reply_len;
};

/* TCAP -> SCCP UDT HLR -> gsmSCF -> M3UA DATA (RFC 4666 3.3.1), sent on the ASP. */
static void hlr_send(struct world *w, const uint8_t *tcap, size_t len)
{
	static const uint32_t rctx = RCTX;
	const struct hlr_wire hw = {.scf_gt = SCF_GT, .hlr_gt = HLR_GT, .rctx = &rctx, .sls = 5};
	uint8_t mb[700];
	size_t total = hlr_wire_wrap(&hw, tcap, len, mb, sizeof(mb));
	assert_true(total > 0);
	assert_int_equal(m3ua_link_send(w->asp, mb, total, 1), 0);
}

/* The HLR: answer each Begin as w->mode says; count our basic Ends. */
static void on_data(struct m3ua_link *lk, const uint8_t *msg, size_t len, const struct m3ua_msg *m,
		    uint16_t stream, void *ud)
{
	(void)lk, (void)m, (void)stream;
	struct world *w = ud;
	struct sig_msg *s = calloc(1, sizeof(*s));
	struct dfs_err e;
	assert_int_equal(sig_decode_m3ua(msg, len, s, &e), 0);
	assert_int_equal(s->m3ua.pd.opc, 200);
	assert_int_equal(s->m3ua.pd.dpc, 100);
	assert_int_equal(s->m3ua.pd.ni, 2);
	assert_string_equal(s->sccp.called.digits, HLR_GT);
	assert_string_equal(s->sccp.calling.digits, SCF_GT);
	if (s->tcap.msg_type == TCAP_END) {
		w->n_end++;
		free(s);
		return;
	}
	assert_int_equal(s->tcap.msg_type, TCAP_BEGIN);
	w->n_begin++;
	w->begin = *s;
	w->begin_text[0] = 0;
	assert_true(s->has_map && s->map.has_ussd);
	assert_true(ussd_decode_text(s->map.ussd_dcs, s->map.ussd_string.p, s->map.ussd_string.len,
				     w->begin_text, sizeof(w->begin_text)) >= 0);
	uint8_t t[512], str[USSD_MAX_OCTETS];
	uint32_t ours = s->tcap.otid.val;
	int op = s->tcap.comp[0].opcode;
	struct map_tx tx = {.msg_type = TCAP_END, .otid = 0x4d000000 + w->n_begin, .dtid = ours,
			    .ac = 19, .ac_version = 2};
	struct dfs_wbuf wb = dfs_wbuf_init(t, sizeof(t));
	struct map_fields f;
	map_fields_init(&f);
	switch (w->mode) {
	case HLR_RESULT_END:
		assert_int_equal(map_build_result(&wb, &tx, 1, op, NULL), 0);
		break;
	case HLR_ANSWER_CONTINUE:
		tx.msg_type = TCAP_CONTINUE;
		f.has_ussd = true;
		f.ussd_dcs = 0x0f;
		f.ussd_string.len = (size_t)ussd_encode_text(ANSWER, 0x0f, str, sizeof(str));
		f.ussd_string.p = str;
		assert_int_equal(map_build_result(&wb, &tx, 1, op, &f), 0);
		break;
	case HLR_ERROR_END:
		assert_int_equal(map_build_error(&wb, &tx, 1, w->error_code), 0);
		break;
	}
	free(s);
	hlr_send(w, t, wb.len);
}

static void on_state(struct m3ua_link *lk, enum m3ua_asp_state old, enum m3ua_asp_state now,
		     void *ud)
{
	(void)lk, (void)old;
	((struct world *)ud)->active = now == M3UA_ASP_ACTIVE;
}

static const struct m3ua_cbs asp_cbs = {.on_data = on_data, .on_state = on_state};

/* --- the application --- */

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
	struct world *w = ud;
	size_t k = sz * n;
	if (k > sizeof(w->reply) - 1 - w->reply_len)
		k = sizeof(w->reply) - 1 - w->reply_len;
	memcpy(w->reply + w->reply_len, p, k);
	w->reply_len += k;
	w->reply[w->reply_len] = 0;
	return sz * n;
}

static void *client_main(void *arg)
{
	struct world *w = arg;
	char url[64], t[24], sig[APPAUTH_SIG_HEX], h1[64], h2[96];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ussd/push", w->http_port);
	snprintf(t, sizeof(t), "%" PRId64, w->ts);
	appauth_sign((const uint8_t *)w->key, strlen(w->key), t, w->body, strlen(w->body), sig);
	snprintf(h1, sizeof(h1), APPAUTH_TS_HEADER ": %s", t);
	snprintf(h2, sizeof(h2), APPAUTH_SIG_HEADER ": %s", sig);
	struct curl_slist *hd = w->sign ? curl_slist_append(curl_slist_append(NULL, h1), h2) : NULL;
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, w->body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	w->status = 0;
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &w->status);
	curl_easy_cleanup(h);
	curl_slist_free_all(hd);
	atomic_store(&w->client_done, true);
	return NULL;
}

/* POST body (signed with key at a fresh timestamp unless sign is false), turning the HLR's
 * loop until the answer is in (at most 20 s). Returns the HTTP status. */
static long post_as(struct world *w, const char *key, bool sign, int64_t ts, const char *body)
{
	w->body = body;
	w->key = key;
	w->sign = sign;
	w->ts = ts;
	w->reply_len = 0;
	w->reply[0] = 0;
	atomic_store(&w->client_done, false);
	assert_int_equal(pthread_create(&w->client, NULL, client_main, w), 0);
	uint64_t deadline = evloop_now_ms() + 20000;
	while (!atomic_load(&w->client_done) && evloop_now_ms() < deadline)
		assert_true(evloop_run_once(w->l, 10) >= 0);
	pthread_join(w->client, NULL);
	/* our closing End, if any, is on its way: one more short turn to take it */
	for (unsigned i = 0; i < 5; i++)
		evloop_run_once(w->l, 10);
	return w->status;
}

static int64_t ts_seq;

static long post(struct world *w, const char *body)
{
	return post_as(w, APP_KEY, true, (int64_t)time(NULL) - 100 + (ts_seq++ % 50), body);
}

static void expect(struct world *w, long status, const char *needle)
{
	if (!strstr(w->reply, needle))
		fail_msg("want \"%s\" in %ld %s", needle, w->status, w->reply);
	assert_int_equal(w->status, status);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static struct world *world_new(void)
{
	struct world *w = calloc(1, sizeof(*w));
	char path[128], y[2048], err[512];
	snprintf(w->dir, sizeof(w->dir), "/tmp/dfsg-push-XXXXXX");
	assert_non_null(mkdtemp(w->dir));
	snprintf(path, sizeof(path), "%s/agg.key", w->dir);
	write_text(path, "0123456789abcdef0123456789abcdef\n");
	snprintf(path, sizeof(path), "%s/app.key", w->dir);
	write_text(path, APP_KEY "\n");
	snprintf(path, sizeof(path), "%s/gw.yaml", w->dir);
	snprintf(y, sizeof(y),
		 "ussd:\n"
		 "  listen: \"127.0.0.1:0\"\n"
		 "  database: {backend: sqlite, path: %s/gw.db}\n"
		 "  audit_log: %s/audit.jsonl\n"
		 "  alert_log: %s/alerts.jsonl\n"
		 "  messages: %s/config/messages/en.yaml\n"
		 "  aggregator: {secret_file: %s/agg.key}\n"
		 "  pin: {argon2_ops: 1, argon2_mem_kib: 8}\n"
		 "  map: {listen: \"tcp:127.0.0.1:0\", routing_context: %d, gt: \"" SCF_GT "\",\n"
		 "        pc: 200, hlr_gt: \"" HLR_GT "\", hlr_pc: 100, ni: 2, idle_timeout: 10}\n"
		 "  services:\n"
		 "    - {code: \"*384#\", app: wallet, push: true, push_per_hour: 4,\n"
		 "       secret_file: %s/app.key}\n"
		 "    - {code: \"*385#\", app: wallet, secret_file: %s/app.key}\n",
		 w->dir, w->dir, w->dir, DFSG_SOURCE_DIR, w->dir, RCTX, w->dir, w->dir);
	write_text(path, y);
	w->cfg = calloc(1, sizeof(*w->cfg));
	if (ussd_config_load(w->cfg, path, err, sizeof(err)))
		fail_msg("config: %s", err);
	assert_true(w->cfg->gw.services[0].push);
	assert_int_equal(w->cfg->gw.services[0].push_per_hour, 4);
	assert_false(w->cfg->gw.services[1].push);
	w->svc = calloc(1, sizeof(*w->svc));
	if (ussd_service_start(w->svc, w->cfg, NULL, NULL, err, sizeof(err)))
		fail_msg("start: %s", err);
	assert_true(w->svc->push_ready);
	w->http_port = http_face_port(w->svc->http);
	w->l = evloop_new(err, sizeof(err));
	assert_non_null(w->l);
	w->net = tp_net_new(w->l, err, sizeof(err));
	assert_non_null(w->net);
	return w;
}

static void connect_hlr(struct world *w)
{
	char err[256];
	struct m3ua_asp_cfg ac = {.name = "hlr", .has_rctx = true, .rctx = RCTX,
				  .tmt = M3UA_TMT_OVERRIDE, .reconnect_ms = 10};
	ac.remote = (struct tp_endpoint){.kind = TP_TCP, .n_addrs = 1, .addrs = {"127.0.0.1"}};
	ac.remote.port = map_listener_port(w->svc->map);
	w->asp = m3ua_asp_new(w->net, &ac, &asp_cbs, w, err, sizeof(err));
	if (!w->asp)
		fail_msg("asp: %s", err);
	uint64_t deadline = evloop_now_ms() + 20000;
	while (!w->active && evloop_now_ms() < deadline)
		assert_true(evloop_run_once(w->l, 10) >= 0);
	assert_true(w->active);
}

static void world_free(struct world *w)
{
	if (w->asp)
		m3ua_link_close(w->asp);
	ussd_service_stop(w->svc);
	tp_net_free(w->net);
	evloop_free(w->l);
	ussd_config_wipe(w->cfg);
	free(w->cfg);
	free(w->svc);
	free(w);
}

static bool file_has(const char *dir, const char *name, const char *needle)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return fx_file_contains(path, needle);
}

#define NOTIFY "serviceCode=%2A384%23&phoneNumber=%2B" ALICE "&type=notify&text=Loan+due+3+March"
#define NOTIFY_BOB "serviceCode=%2A384%23&phoneNumber=%2B" BOB "&type=notify&text=Hello+Bob"
#define PROMPT "serviceCode=%2A384%23&phoneNumber=%2B" BOB "&type=prompt&text=Rate+us+1-5"

static void test_push_end_to_end(void **state)
{
	(void)state;
	struct world *w = world_new();
	/* no M3UA peer yet: 503 at once, nothing sent */
	assert_int_equal(post(w, NOTIFY), 503);
	expect(w, 503, "\"status\":\"unavailable\"");

	connect_hlr(w);
	/* Alice's SIM is known: destinationReference = her IMSI; delivered */
	bool swapped;
	assert_int_equal(simswap_observe(w->svc->db, ALICE, IMSI_A, time(NULL), "test", &swapped), 0);
	w->mode = HLR_RESULT_END;
	assert_int_equal(post(w, NOTIFY), 200);
	expect(w, 200, "{\"status\":\"delivered\"}");
	assert_int_equal(w->n_begin, 1);
	assert_int_equal(w->begin.tcap.comp[0].opcode, MAP_OP_USS_NOTIFY);
	assert_int_equal(w->begin.tcap.map_ac, 19);
	assert_string_equal(w->begin.tcap.dest_ref, IMSI_A);
	assert_string_equal(w->begin.tcap.orig_ref, SCF_GT);
	assert_false(w->begin.map.msisdn.present);
	assert_string_equal(w->begin_text, "Loan due 3 March");

	/* Bob's IMSI is unknown: his MSISDN in the argument; he answers in a Continue, which we
	 * close with an End */
	w->mode = HLR_ANSWER_CONTINUE;
	assert_int_equal(post(w, PROMPT), 200);
	expect(w, 200, "{\"status\":\"answered\",\"text\":\"" ANSWER "\"}");
	assert_int_equal(w->begin.tcap.comp[0].opcode, MAP_OP_USS_REQUEST);
	assert_string_equal(w->begin.tcap.dest_ref, "");
	assert_string_equal(w->begin.map.msisdn.digits, BOB);
	uint64_t deadline = evloop_now_ms() + 20000;
	while (w->n_end < 1 && evloop_now_ms() < deadline)
		evloop_run_once(w->l, 10);
	assert_int_equal(w->n_end, 1);

	/* MAP errors: absent subscriber 404, busy 409 */
	w->mode = HLR_ERROR_END;
	w->error_code = MAP_ERR_ABSENT_SUBSCRIBER;
	assert_int_equal(post(w, NOTIFY), 404);
	expect(w, 404, "\"error\":\"absentSubscriber\",\"code\":27");
	w->error_code = MAP_ERR_USSD_BUSY;
	assert_int_equal(post(w, PROMPT), 409);
	expect(w, 409, "\"error\":\"ussd-Busy\"");
	unsigned begins = w->n_begin;

	/* X.1456 / FW-USSD-PHISH: a push that asks for a PIN is refused, alerted, never sent */
	post(w, "serviceCode=%2A384%23&phoneNumber=%2B" ALICE
		"&type=prompt&text=Your+account+is+locked.+Reply+with+your+PIN");
	expect(w, 403, "PIN");
	assert_true(file_has(w->dir, "alerts.jsonl", "FW-USSD-PHISH"));
	post(w, "serviceCode=%2A384%23&phoneNumber=%2B" ALICE "&type=notify&text=Enter+m-PIN%3A");
	expect(w, 403, "\"status\":\"refused\"");

	/* GW-APPAUTH: unsigned, replayed, another key, unknown service; push not enabled */
	assert_int_equal(post_as(w, APP_KEY, false, time(NULL), NOTIFY), 403);
	int64_t ts = time(NULL) - 7;
	w->mode = HLR_RESULT_END;
	assert_int_equal(post_as(w, APP_KEY, true, ts, NOTIFY "x"), 200);
	assert_int_equal(post_as(w, APP_KEY, true, ts, NOTIFY "x"), 403);
	expect(w, 403, "replayed request");
	assert_int_equal(post_as(w, "0123456789abcdef0123456789abcdef", true, ts, NOTIFY), 403);
	expect(w, 403, "bad signature");
	assert_int_equal(post(w, "serviceCode=%2A999%23&phoneNumber=%2B" ALICE "&type=notify&text=x"),
			 403);
	expect(w, 403, "unknown service");
	assert_int_equal(post(w, "serviceCode=%2A385%23&phoneNumber=%2B" ALICE "&type=notify&text=x"),
			 403);
	expect(w, 403, "push is not enabled");

	/* bad fields: 400 with the reason */
	assert_int_equal(post(w, "serviceCode=%2A384%23&phoneNumber=%2B" ALICE "&type=shout&text=x"),
			 400);
	expect(w, 400, "type: want notify or prompt");
	assert_int_equal(post(w, "serviceCode=%2A384%23&phoneNumber=12&type=notify&text=x"), 400);
	expect(w, 400, "phoneNumber");
	assert_int_equal(post(w, "serviceCode=%2A384%23&phoneNumber=%2B" ALICE "&type=notify"), 400);
	expect(w, 400, "text: missing");
	char big[400];
	snprintf(big, sizeof(big), "serviceCode=%%2A384%%23&phoneNumber=%%2B" ALICE
		 "&type=notify&text=");
	for (size_t i = strlen(big), k = 0; k < 183; k++, i++)
		big[i] = 'a', big[i + 1] = 0;
	assert_int_equal(post(w, big), 400);
	expect(w, 400, "one USSD screen");
	assert_int_equal(w->n_begin, begins + 1);

	assert_int_equal(w->n_begin, begins + 1);

	/* the rate limit, 4 per subscriber per hour: Bob has had 2, his third and fourth pass,
	 * the fifth is refused. Alice has had 3 (two sent above and the signed one): the 503 at the
	 * start sent nothing and gave its count back, so her fourth passes and her fifth does not */
	assert_int_equal(post(w, NOTIFY_BOB), 200);
	assert_int_equal(post(w, NOTIFY_BOB), 200);
	assert_int_equal(post(w, NOTIFY_BOB), 429);
	expect(w, 429, "rate-limited");
	assert_int_equal(post(w, NOTIFY), 200);
	assert_int_equal(post(w, NOTIFY), 429);

	/* the audit log has every push with its outcome, never the answer */
	assert_true(file_has(w->dir, "audit.jsonl", "\"event\":\"push\""));
	assert_true(file_has(w->dir, "audit.jsonl", "\"decision\":\"answered\""));
	assert_true(file_has(w->dir, "audit.jsonl", "answer of 15 bytes"));
	assert_true(file_has(w->dir, "audit.jsonl", "absentSubscriber (27)"));
	assert_false(file_has(w->dir, "audit.jsonl", ANSWER));
	assert_int_equal(w->svc->push.stat_delivered, 5);
	assert_int_equal(w->svc->push.stat_answered, 1);
	world_free(w);
}

int main(void)
{
	(void)fx_dialogue; /* fixture helpers for the in-process gateway, unused here */
	(void)pg_harness_for_suite;
	(void)fx_new, (void)fx_free, (void)fx_balance, (void)fx_fund, (void)fx_register;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_push_end_to_end),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
