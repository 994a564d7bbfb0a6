/* The gateway over HTTP on 127.0.0.1, driven with libcurl: complete dialogues for every wallet
 * menu, GW-APPAUTH, bad requests, the operator SIM swap feed, the CAMARA SIM Swap API
 * (GW-SIMSWAP-API), an external application behind the gateway, TLS, and the sentinel PIN
 * that must appear in no response and no file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <sodium.h>

#include "appauth.h"
#include "map_listener.h"
#include "ussd_service.h"
#include "wallet.h"

#define PIN "947361"
#define NEWPIN "582047"
#define AGG_KEY "aggregator-secret-key-0123456789"
#define APP_KEY "external-app-secret-key-987654321"
#define FEED_TOKEN "feed-token-abcdefghijklmnop"
#define CAMARA_TOKEN "camara-token-qrstuvwxyz012345"

struct ctx {
	char dir[64];
	char cfg_path[128];
	int64_t now_ms;
	struct ussd_config cfg;
	struct ussd_service svc;
	unsigned port;
	char base[64];
	unsigned dlg;
	/* every response body seen, for the sentinel check */
	char *seen;
	size_t seen_len;
	/* the external application */
	struct MHD_Daemon *app;
	unsigned app_port;
	char app_last_session[64], app_last_text[256];
	bool app_sign;
};

static int64_t clock_cb(void *ud)
{
	return ((struct ctx *)ud)->now_ms;
}

static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

struct body {
	char buf[8192];
	size_t len;
};

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	struct body *b = ud;
	size_t k = sz * n;
	if (b->len + k >= sizeof(b->buf))
		k = sizeof(b->buf) - 1 - b->len;
	memcpy(b->buf + b->len, p, k);
	b->len += k;
	b->buf[b->len] = 0;
	return sz * n;
}

static void remember(struct ctx *c, const char *s)
{
	size_t n = strlen(s);
	c->seen = realloc(c->seen, c->seen_len + n + 1);
	memcpy(c->seen + c->seen_len, s, n + 1);
	c->seen_len += n;
}

/* POST with optional extra headers; returns the HTTP status, body in out. */
static long post(struct ctx *c, const char *path, const char *body, struct curl_slist *hdrs,
		 struct body *out, const char *cainfo)
{
	CURL *h = curl_easy_init();
	char url[160];
	snprintf(url, sizeof(url), "%s%s", c->base, path);
	out->len = 0;
	out->buf[0] = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	if (cainfo)
		curl_easy_setopt(h, CURLOPT_CAINFO, cainfo);
	CURLcode rc = curl_easy_perform(h);
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK)
		return -(long)rc;
	remember(c, out->buf);
	return status;
}

static struct curl_slist *signed_headers(const char *key, const char *body, int64_t ts)
{
	char t[24], sig[APPAUTH_SIG_HEX], h1[64], h2[96];
	snprintf(t, sizeof(t), "%" PRId64, ts);
	appauth_sign((const uint8_t *)key, strlen(key), t, body, strlen(body), sig);
	snprintf(h1, sizeof(h1), APPAUTH_TS_HEADER ": %s", t);
	snprintf(h2, sizeof(h2), APPAUTH_SIG_HEADER ": %s", sig);
	struct curl_slist *l = curl_slist_append(NULL, h1);
	return curl_slist_append(l, h2);
}

/* One AT request, signed; returns the status and the answer. */
static long at(struct ctx *c, const char *sid, const char *code, const char *phone,
	       const char *text, struct body *out)
{
	char body[1024];
	CURL *e = curl_easy_init();
	char *t = curl_easy_escape(e, text, 0), *p = curl_easy_escape(e, phone, 0),
	     *sc = curl_easy_escape(e, code, 0);
	snprintf(body, sizeof(body), "sessionId=%s&serviceCode=%s&phoneNumber=%s&networkCode=63902&text=%s",
		 sid, sc, p, t);
	curl_free(t);
	curl_free(p);
	curl_free(sc);
	curl_easy_cleanup(e);
	struct curl_slist *h = signed_headers(AGG_KEY, body, c->now_ms / 1000);
	long st = post(c, "/ussd", body, h, out, NULL);
	curl_slist_free_all(h);
	return st;
}

/* A whole dialogue on *384#; each response but the last must be CON. */
static void dialogue(struct ctx *c, const char *phone, const char *const *steps,
		     const char *expect_last, struct body *out)
{
	char sid[32], text[512] = "";
	snprintf(sid, sizeof(sid), "ATUid_%u", ++c->dlg);
	assert_int_equal(at(c, sid, "*384#", phone, "", out), 200);
	for (unsigned i = 0; steps[i]; i++) {
		if (strncmp(out->buf, "CON ", 4))
			fail_msg("step %u: expected a prompt, got '%s'", i, out->buf);
		size_t l = strlen(text);
		snprintf(text + l, sizeof(text) - l, "%s%s", i ? "*" : "", steps[i]);
		assert_int_equal(at(c, sid, "*384#", phone, text, out), 200);
	}
	if (strncmp(out->buf, "END ", 4) || !strstr(out->buf, expect_last))
		fail_msg("last answer '%s', expected END with '%s'", out->buf, expect_last);
}

/* --- an external DFS application for *385# --- */

struct app_req {
	char body[2048];
	size_t len;
};

static enum MHD_Result app_handler(void *cls, struct MHD_Connection *conn, const char *url,
				   const char *method, const char *version, const char *upload,
				   size_t *upload_size, void **con_cls)
{
	struct ctx *c = cls;
	struct app_req *r = *con_cls;
	if (!r) {
		*con_cls = calloc(1, sizeof(*r));
		return MHD_YES;
	}
	if (*upload_size) {
		size_t k = *upload_size < sizeof(r->body) - r->len - 1 ? *upload_size
								      : sizeof(r->body) - r->len - 1;
		memcpy(r->body + r->len, upload, k);
		r->len += k;
		*upload_size = 0;
		return MHD_YES;
	}
	/* the gateway's request must be signed with the app's key */
	const char *ts = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, APPAUTH_TS_HEADER);
	const char *sig = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, APPAUTH_SIG_HEADER);
	const char *answer;
	char buf[300];
	enum appauth_result ar = appauth_verify((const uint8_t *)APP_KEY, strlen(APP_KEY), ts, sig,
						r->body, r->len, c->now_ms / 1000, 300, NULL);
	http_form_field(r->body, r->len, "sessionId", c->app_last_session,
			sizeof(c->app_last_session));
	http_form_field(r->body, r->len, "text", c->app_last_text, sizeof(c->app_last_text));
	if (ar != APPAUTH_OK)
		answer = "END unsigned request";
	else if (!c->app_last_text[0])
		answer = "CON Savings club\n1 Contribute\n2 Balance";
	else if (!strcmp(c->app_last_text, "2"))
		answer = "END Club balance KES 12,500.00";
	else {
		snprintf(buf, sizeof(buf), "CON You chose %s", c->app_last_text);
		answer = buf;
	}
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(answer), (void *)answer, MHD_RESPMEM_MUST_COPY);
	if (c->app_sign && ts && sig) {
		char t[24], bound[128], s[APPAUTH_SIG_HEX];
		snprintf(t, sizeof(t), "%" PRId64, c->now_ms / 1000);
		snprintf(bound, sizeof(bound), "%s.%s", t, sig);
		appauth_sign((const uint8_t *)APP_KEY, strlen(APP_KEY), bound, answer, strlen(answer), s);
		MHD_add_response_header(resp, APPAUTH_TS_HEADER, t);
		MHD_add_response_header(resp, APPAUTH_SIG_HEADER, s);
	}
	enum MHD_Result ret = MHD_queue_response(conn, 200, resp);
	MHD_destroy_response(resp);
	free(r);
	*con_cls = NULL;
	return ret;
}

/* --- setup --- */

static void write_config(struct ctx *c, const char *tls)
{
	char p[160], cfg[4096];
	snprintf(p, sizeof(p), "%s/agg.key", c->dir);
	write_file(p, AGG_KEY "\n");
	snprintf(p, sizeof(p), "%s/app.key", c->dir);
	write_file(p, APP_KEY);
	snprintf(p, sizeof(p), "%s/feed.token", c->dir);
	write_file(p, FEED_TOKEN "\n");
	snprintf(p, sizeof(p), "%s/camara.token", c->dir);
	write_file(p, CAMARA_TOKEN "\n");
	snprintf(p, sizeof(p), "%s/kyc.csv", c->dir);
	write_file(p, "msisdn,name\n+254700000001,Alice Wanjiru\n254700000002,Bob Otieno\n"
		      "254700000003,Carol Akinyi\n");
	snprintf(cfg, sizeof(cfg),
		 "ussd:\n"
		 "  listen: \"127.0.0.1:0\"\n%s"
		 "  threads: 2\n"
		 "  database: {backend: sqlite, path: %s/gw.db}\n"
		 "  audit_log: %s/audit.jsonl\n"
		 "  audit_fsync: false\n"
		 "  alert_log: %s/alerts.jsonl\n"
		 "  messages: %s/config/messages/en.yaml\n"
		 "  aggregator: {secret_file: %s/agg.key, replay_window: 300}\n"
		 "  session: {idle_timeout: 60, max_duration: 180}\n"
		 "  pin: {argon2_ops: 1, argon2_mem_kib: 8}\n"
		 "  sim_swap:\n"
		 "    cooling_period: 259200\n"
		 "    feed_token_file: %s/feed.token\n"
		 "    camara_token_file: %s/camara.token\n"
		 "  limits:\n"
		 "    per_transaction_min: 10\n"
		 "    per_transaction_max: 70000\n"
		 "    daily_max: 150000\n"
		 "    velocity: {count: 20, window: 3600}\n"
		 "  wallet:\n"
		 "    brand: M-Salama\n"
		 "    currency: KES\n"
		 "    country_code: \"254\"\n"
		 "    kyc_csv: %s/kyc.csv\n"
		 "    agents: [{number: \"1001\", name: Kibera Shop}]\n"
		 "    fees:\n"
		 "      p2p: [{upto: 1000, fee: 0}, {upto: 10000, fee: 11}, {upto: 70000, fee: 23}]\n"
		 "      cashout: [{upto: 10000, fee: 29}, {upto: 70000, fee: 67}]\n"
		 "  services:\n"
		 "    - {code: \"*384#\", app: wallet}\n"
		 "    - {code: \"*385#\", app: external, url: \"http://127.0.0.1:%u/ussd\","
		 " secret_file: %s/app.key, timeout_ms: 3000}\n",
		 tls, c->dir, c->dir, c->dir, DFSG_SOURCE_DIR, c->dir, c->dir, c->dir, c->dir,
		 c->app_port, c->dir);
	snprintf(c->cfg_path, sizeof(c->cfg_path), "%s/gw.yaml", c->dir);
	write_file(c->cfg_path, cfg);
}

static struct ctx *start(const char *tls_yaml)
{
	struct ctx *c = calloc(1, sizeof(*c));
	snprintf(c->dir, sizeof(c->dir), "/tmp/dfsg-http-XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	c->now_ms = 1767225600000LL;
	c->app_sign = true;
	c->app = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, app_handler, c,
				  MHD_OPTION_SOCK_ADDR,
				  (struct sockaddr *)&(struct sockaddr_in){
					  .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)},
				  MHD_OPTION_END);
	assert_non_null(c->app);
	c->app_port = MHD_get_daemon_info(c->app, MHD_DAEMON_INFO_BIND_PORT)->port;
	write_config(c, tls_yaml ? tls_yaml : "");
	char err[512];
	if (ussd_config_load(&c->cfg, c->cfg_path, err, sizeof(err)))
		fail_msg("config: %s", err);
	if (ussd_service_start(&c->svc, &c->cfg, clock_cb, c, err, sizeof(err)))
		fail_msg("start: %s", err);
	c->port = http_face_port(c->svc.http);
	snprintf(c->base, sizeof(c->base), "%s://127.0.0.1:%u",
		 tls_yaml && strstr(tls_yaml, "tls:") ? "https" : "http",
		 c->port);
	return c;
}

static void stop(struct ctx *c)
{
	ussd_service_stop(&c->svc);
	MHD_stop_daemon(c->app);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", c->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", c->dir);
	free(c->seen);
	free(c);
}

static void fund(struct ctx *c, const char *msisdn, int64_t minor)
{
	static unsigned n;
	char key[32];
	snprintf(key, sizeof(key), "fund-%u", ++n);
	struct ledger_transfer_req r = {.idem_key = key, .kind = LEDGER_XFER_ISSUE,
					.debit = "sys:issue", .credit = msisdn, .amount = minor,
					.now = 1};
	struct ledger_transfer_res res;
	assert_int_equal(ledger_transfer(&c->svc.g.ledger, &r, &res), 0);
}

/* --- tests --- */

static void test_every_menu(void **state)
{
	struct ctx *c = start(NULL);
	struct body b;
	/* register: KYC name, PIN twice */
	const char *reg[] = {"1", PIN, PIN, NULL};
	dialogue(c, "+254700000001", reg, "Welcome to M-Salama, Alice Wanjiru", &b);
	const char *reg2[] = {"1", "582047", "582047", NULL};
	dialogue(c, "+254700000002", reg2, "Bob Otieno", &b);
	/* a number without KYC cannot register */
	const char *noreg[] = {"1", NULL};
	dialogue(c, "+254711111111", noreg, "visit an agent", &b);
	/* registration with a weak PIN asks again */
	const char *weak[] = {"1", "1234", NULL};
	char sid[16] = "weak";
	assert_int_equal(at(c, sid, "*384#", "+254700000003", "", &b), 200);
	assert_int_equal(at(c, sid, "*384#", "+254700000003", "1", &b), 200);
	assert_int_equal(at(c, sid, "*384#", "+254700000003", "1*1234", &b), 200);
	assert_non_null(strstr(b.buf, "CON That PIN is too easy"));
	(void)weak;
	fund(c, "254700000001", 5000000); /* KES 50,000 */

	const char *bal[] = {"4", PIN, NULL};
	dialogue(c, "+254700000001", bal, "Your balance is KES 50,000.00", &b);
	const char *send[] = {"1", "0700000002", "2500", PIN, NULL};
	dialogue(c, "+254700000001", send, "Sent KES 2,500.00 to Bob Otieno 254700000002. Fee KES 11.00.",
		 &b);
	assert_non_null(strstr(b.buf, "New balance KES 47,489.00"));
	const char *cash[] = {"2", "1001", "1000", PIN, NULL};
	dialogue(c, "+254700000001", cash, "Withdrawal of KES 1,000.00 at Kibera Shop approved", &b);
	const char *air_me[] = {"3", "1", "50", PIN, NULL};
	dialogue(c, "+254700000001", air_me, "Airtime of KES 50.00 for 254700000001 bought", &b);
	const char *air_other[] = {"3", "2", "0722000000", "20", PIN, NULL};
	dialogue(c, "+254700000001", air_other, "Airtime of KES 20.00 for 254722000000", &b);
	/* mini-statement: paginated by the gateway, "98" shows the next page */
	assert_int_equal(at(c, "stmt", "*384#", "+254700000001", "", &b), 200);
	assert_int_equal(at(c, "stmt", "*384#", "+254700000001", "5", &b), 200);
	assert_int_equal(at(c, "stmt", "*384#", "+254700000001", "5*" PIN, &b), 200);
	if (!strstr(b.buf, "Balance KES 46,390.00"))
		fail_msg("statement: %s", b.buf);
	assert_non_null(strstr(b.buf, "-KES 20.00 airtime sys:airtime"));
	char t[64] = "5*" PIN;
	unsigned pages = 1;
	while (!strncmp(b.buf, "CON ", 4)) {
		assert_non_null(strstr(b.buf, "98 More"));
		strcat(t, "*98");
		assert_int_equal(at(c, "stmt", "*384#", "+254700000001", t, &b), 200);
		assert_true(++pages < 6);
	}
	assert_true(pages >= 2);
	if (!strstr(b.buf, "-KES 2,511.00 p2p 254700000002"))
		fail_msg("last page: %s", b.buf);
	const char *chg[] = {"6", PIN, NEWPIN, NEWPIN, NULL};
	dialogue(c, "+254700000001", chg, "Your PIN has been changed", &b);
	const char *bal2[] = {"4", NEWPIN, NULL};
	dialogue(c, "+254700000001", bal2, "Your balance is KES 46,390.00", &b);
	const char *cancel[] = {"1", "254700000002", "100", "0", NULL};
	dialogue(c, "+254700000001", cancel, "Cancelled. No money was moved.", &b);
	const char *bye[] = {"0", NULL};
	dialogue(c, "+254700000001", bye, "Thank you for using M-Salama", &b);
	/* the recipient sees the money */
	const char *bob[] = {"4", "582047", NULL};
	dialogue(c, "+254700000002", bob, "Your balance is KES 2,500.00", &b);
	char err[256];
	assert_int_equal(ledger_verify(&c->svc.g.ledger, err, sizeof(err)), 0);

	/* secrets: the sentinel PINs are in no response and no file */
	assert_null(strstr(c->seen, PIN));
	assert_null(strstr(c->seen, NEWPIN));
	ussd_service_stop(&c->svc);
	DIR *d = opendir(c->dir);
	struct dirent *de;
	unsigned files = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[400];
		snprintf(path, sizeof(path), "%s/%s", c->dir, de->d_name);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		static char buf[1 << 22];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if (memmem(buf, n, PIN, strlen(PIN)) || memmem(buf, n, NEWPIN, strlen(NEWPIN)))
			fail_msg("a PIN appears in %s", path);
		files++;
	}
	closedir(d);
	assert_true(files >= 4); /* db (+wal), audit, alerts, config, keys */
	uint64_t recs;
	char audit[160];
	snprintf(audit, sizeof(audit), "%s/audit.jsonl", c->dir);
	assert_int_equal(audit_verify_file(audit, &recs, err, sizeof(err)), 0);
	/* restart on the same files so stop() can run */
	assert_int_equal(ussd_service_start(&c->svc, &c->cfg, clock_cb, c, err, sizeof(err)), 0);
	stop(c);
}

static void test_GW_APPAUTH(void **state)
{
	struct ctx *c = start(NULL);
	struct body b;
	const char *body = "sessionId=x1&serviceCode=%2A384%23&phoneNumber=%2B254700000001"
			   "&networkCode=63902&text=";
	uint64_t before = c->svc.g.stat_sessions;
	/* unsigned */
	assert_int_equal(post(c, "/ussd", body, NULL, &b, NULL), 403);
	/* signed with another key */
	struct curl_slist *h = signed_headers("not-the-aggregator-key-000000000", body,
					      c->now_ms / 1000);
	assert_int_equal(post(c, "/ussd", body, h, &b, NULL), 403);
	curl_slist_free_all(h);
	/* a signature over another body */
	h = signed_headers(AGG_KEY, "sessionId=x2", c->now_ms / 1000);
	assert_int_equal(post(c, "/ussd", body, h, &b, NULL), 403);
	curl_slist_free_all(h);
	/* outside the replay window */
	h = signed_headers(AGG_KEY, body, c->now_ms / 1000 - 301);
	assert_int_equal(post(c, "/ussd", body, h, &b, NULL), 403);
	curl_slist_free_all(h);
	assert_int_equal(c->svc.g.stat_sessions, before);
	/* the real one passes once; its replay is refused */
	h = signed_headers(AGG_KEY, body, c->now_ms / 1000);
	assert_int_equal(post(c, "/ussd", body, h, &b, NULL), 200);
	assert_int_equal(c->svc.g.stat_sessions, before + 1);
	assert_int_equal(post(c, "/ussd", body, h, &b, NULL), 403);
	assert_non_null(strstr(b.buf, "replayed"));
	curl_slist_free_all(h);
	assert_int_equal(c->svc.g.stat_sessions, before + 1);
	char alerts[160];
	snprintf(alerts, sizeof(alerts), "%s/alerts.jsonl", c->dir);
	FILE *f = fopen(alerts, "r");
	char line[1024];
	unsigned n = 0;
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "\"rule\":\"GW-APPAUTH\"") != NULL;
	fclose(f);
	assert_int_equal(n, 5);
	stop(c);
}

static void test_bad_requests(void **state)
{
	struct ctx *c = start(NULL);
	struct body b;
	/* missing field */
	const char *body = "sessionId=x1&serviceCode=%2A384%23&networkCode=63902&text=";
	struct curl_slist *h = signed_headers(AGG_KEY, body, c->now_ms / 1000);
	assert_int_equal(post(c, "/ussd", body, h, &b, NULL), 400);
	assert_non_null(strstr(b.buf, "phoneNumber: missing"));
	curl_slist_free_all(h);
	/* characters outside the whitelist */
	assert_int_equal(at(c, "x2", "*384#", "+254700000001", "1;rm", &b), 400);
	assert_non_null(strstr(b.buf, "text: only 0-9"));
	assert_int_equal(at(c, "x3", "*384#", "+2547000000x1", "", &b), 400);
	assert_non_null(strstr(b.buf, "phoneNumber"));
	/* a service code nobody serves */
	assert_int_equal(at(c, "x4", "*999#", "+254700000001", "", &b), 404);
	/* bad percent-encoding */
	body = "sessionId=x5&serviceCode=%2A384%2&phoneNumber=%2B254700000001&networkCode=1&text=";
	h = signed_headers(AGG_KEY, body, c->now_ms / 1000);
	assert_int_equal(post(c, "/ussd", body, h, &b, NULL), 400);
	curl_slist_free_all(h);
	/* too large */
	char *big = malloc(20000);
	memset(big, 'a', 19999);
	big[19999] = 0;
	assert_int_equal(post(c, "/ussd", big, NULL, &b, NULL), 413);
	free(big);
	/* unknown path, wrong method */
	assert_int_equal(post(c, "/nope", "", NULL, &b, NULL), 404);
	CURL *e = curl_easy_init();
	char url[128];
	snprintf(url, sizeof(url), "%s/ussd", c->base);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	assert_int_equal(curl_easy_perform(e), CURLE_OK);
	long st;
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &st);
	curl_easy_cleanup(e);
	assert_int_equal(st, 405);
	stop(c);
}

static long camara(struct ctx *c, const char *op, const char *token, const char *corr,
		   const char *body, struct body *out)
{
	char a[128], x[300], path[64];
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	if (token) {
		snprintf(a, sizeof(a), "Authorization: Bearer %s", token);
		h = curl_slist_append(h, a);
	}
	if (corr) {
		snprintf(x, sizeof(x), "x-correlator: %s", corr);
		h = curl_slist_append(h, x);
	}
	snprintf(path, sizeof(path), "/sim-swap/v1/%s", op);
	long st = post(c, path, body, h, out, NULL);
	curl_slist_free_all(h);
	return st;
}

static void test_GW_SIMSWAP_API(void **state)
{
	struct ctx *c = start(NULL);
	struct body b;
	/* the operator feed (bearer token) tells us about two numbers, one swapped */
	const char *csv = "msisdn,imsi,time\n254700000001,639020000000001,2025-12-01T00:00:00Z\n"
			  "254700000002,639020000000002,2025-12-01T00:00:00Z\n"
			  "254700000001,639020000000009,2025-12-31T12:00:00Z\n";
	struct curl_slist *h = curl_slist_append(NULL, "Authorization: Bearer " FEED_TOKEN);
	assert_int_equal(post(c, "/simswap/feed", csv, h, &b, NULL), 200);
	assert_string_equal(b.buf, "{\"lines\":3,\"swaps\":1}");
	curl_slist_free_all(h);
	h = curl_slist_append(NULL, "Authorization: Bearer wrong-token-xxxxxxxxxxxx");
	assert_int_equal(post(c, "/simswap/feed", csv, h, &b, NULL), 401);
	curl_slist_free_all(h);

	/* check: swapped within maxAge hours */
	assert_int_equal(camara(c, "check", CAMARA_TOKEN, "b4333c46-49c0-4f62-80d7-f0ef930f1c46",
				"{\"phoneNumber\":\"+254700000001\",\"maxAge\":24}", &b), 200);
	assert_string_equal(b.buf, "{\"swapped\":true}");
	assert_int_equal(camara(c, "check", CAMARA_TOKEN, NULL,
				"{\"phoneNumber\":\"+254700000001\",\"maxAge\":1}", &b), 200);
	assert_string_equal(b.buf, "{\"swapped\":false}");
	assert_int_equal(camara(c, "check", CAMARA_TOKEN, NULL,
				"{\"phoneNumber\":\"+254700000002\"}", &b), 200);
	assert_string_equal(b.buf, "{\"swapped\":false}");
	/* retrieve-date: the swap time; none seen: null with the monitored period */
	assert_int_equal(camara(c, "retrieve-date", CAMARA_TOKEN, NULL,
				"{\"phoneNumber\":\"+254700000001\"}", &b), 200);
	assert_string_equal(b.buf, "{\"latestSimChange\":\"2025-12-31T12:00:00.000Z\"}");
	assert_int_equal(camara(c, "retrieve-date", CAMARA_TOKEN, NULL,
				"{\"phoneNumber\":\"+254700000002\"}", &b), 200);
	assert_string_equal(b.buf, "{\"latestSimChange\":null,\"monitoredPeriod\":31}");
	/* CAMARA error shapes */
	assert_int_equal(camara(c, "check", NULL, NULL, "{\"phoneNumber\":\"+254700000001\"}", &b),
			 401);
	assert_non_null(strstr(b.buf, "\"status\":401,\"code\":\"UNAUTHENTICATED\""));
	assert_int_equal(camara(c, "check", "bad-token-zzzzzzzzzzzzzz", NULL, "{}", &b), 401);
	assert_int_equal(camara(c, "check", CAMARA_TOKEN, NULL, "{\"maxAge\":24}", &b), 422);
	assert_non_null(strstr(b.buf, "\"code\":\"MISSING_IDENTIFIER\""));
	assert_int_equal(camara(c, "check", CAMARA_TOKEN, NULL,
				"{\"phoneNumber\":\"254700000001\"}", &b), 400);
	assert_non_null(strstr(b.buf, "\"code\":\"INVALID_ARGUMENT\""));
	assert_int_equal(camara(c, "check", CAMARA_TOKEN, NULL,
				"{\"phoneNumber\":\"+254700000001\",\"maxAge\":2401}", &b), 400);
	assert_non_null(strstr(b.buf, "\"code\":\"OUT_OF_RANGE\""));
	assert_int_equal(camara(c, "check", CAMARA_TOKEN, NULL,
				"{\"phoneNumber\":\"+254700000001\",\"maxAge\":\"24\"}", &b), 400);
	assert_int_equal(camara(c, "check", CAMARA_TOKEN, NULL, "{\"phoneNumber\":", &b), 400);
	assert_int_equal(camara(c, "check", CAMARA_TOKEN, NULL, "[1,2]", &b), 400);
	assert_int_equal(camara(c, "retrieve-date", CAMARA_TOKEN, NULL,
				"{\"phoneNumber\":\"+254799999999\"}", &b), 404);
	assert_non_null(strstr(b.buf, "\"code\":\"IDENTIFIER_NOT_FOUND\""));
	assert_int_equal(camara(c, "check", CAMARA_TOKEN, "bad correlator!",
				"{\"phoneNumber\":\"+254700000001\"}", &b), 400);
	/* the x-correlator comes back */
	CURL *e = curl_easy_init();
	char url[128];
	snprintf(url, sizeof(url), "%s/sim-swap/v1/check", c->base);
	h = curl_slist_append(NULL, "Authorization: Bearer " CAMARA_TOKEN);
	h = curl_slist_append(h, "x-correlator: abc-123");
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, "{\"phoneNumber\":\"+254700000001\"}");
	curl_easy_setopt(e, CURLOPT_HEADER, 1L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	b.len = 0;
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	assert_int_equal(curl_easy_perform(e), CURLE_OK);
	curl_easy_cleanup(e);
	curl_slist_free_all(h);
	assert_non_null(strcasestr(b.buf, "x-correlator: abc-123"));
	stop(c);
}

static void test_external_app(void **state)
{
	struct ctx *c = start(NULL);
	struct body b;
	assert_int_equal(at(c, "e1", "*385#", "+254700000001", "", &b), 200);
	assert_string_equal(b.buf, "CON Savings club\n1 Contribute\n2 Balance");
	/* the app sees the gateway's own session id, not the aggregator's */
	assert_int_equal(strlen(c->app_last_session), 32);
	assert_string_not_equal(c->app_last_session, "e1");
	assert_int_equal(at(c, "e1", "*385#", "+254700000001", "1", &b), 200);
	assert_string_equal(b.buf, "CON You chose 1");
	/* '*' inside a field never reaches the app as extra steps */
	assert_int_equal(at(c, "e1", "*385#", "+254700000001", "1*5*2", &b), 200);
	assert_non_null(strstr(b.buf, "Invalid input"));
	assert_string_equal(c->app_last_text, "1");
	assert_int_equal(at(c, "e1", "*385#", "+254700000001", "1*5*2*7", &b), 200);
	assert_string_equal(c->app_last_text, "1*7");
	assert_int_equal(at(c, "e2", "*385#", "+254700000001", "", &b), 200);
	assert_int_equal(at(c, "e2", "*385#", "+254700000001", "2", &b), 200);
	assert_string_equal(b.buf, "END Club balance KES 12,500.00");
	/* an unsigned answer is not shown to the user */
	c->app_sign = false;
	assert_int_equal(at(c, "e3", "*385#", "+254700000001", "", &b), 200);
	assert_non_null(strstr(b.buf, "END Service unavailable"));
	stop(c);
}

static void test_tls(void **state)
{
	char dir[] = "/tmp/dfsg-tls-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char cmd[512], tls[300], ca[128];
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
		 " -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 -keyout %s/key.pem"
		 " -out %s/cert.pem >/dev/null 2>&1", dir, dir);
	if (system(cmd) != 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd)) {
		}
		skip();
	}
	snprintf(tls, sizeof(tls), "  tls: {cert: %s/cert.pem, key: %s/key.pem}\n", dir, dir);
	snprintf(ca, sizeof(ca), "%s/cert.pem", dir);
	struct ctx *c = start(tls);
	struct body b;
	const char *body = "sessionId=t1&serviceCode=%2A384%23&phoneNumber=%2B254700000001"
			   "&networkCode=63902&text=";
	struct curl_slist *h = signed_headers(AGG_KEY, body, c->now_ms / 1000);
	assert_int_equal(post(c, "/ussd", body, h, &b, ca), 200);
	assert_non_null(strstr(b.buf, "CON Welcome to M-Salama"));
	/* TLS 1.1 is refused */
	CURL *e = curl_easy_init();
	char url[128];
	snprintf(url, sizeof(url), "%s/healthz", c->base);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CAINFO, ca);
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)(CURL_SSLVERSION_TLSv1_1 | CURL_SSLVERSION_MAX_TLSv1_1));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	assert_int_not_equal(curl_easy_perform(e), CURLE_OK);
	curl_easy_cleanup(e);
	/* plain HTTP to the TLS port gets nothing */
	snprintf(c->base, sizeof(c->base), "http://127.0.0.1:%u", c->port);
	assert_true(post(c, "/ussd", body, h, &b, NULL) <= 0);
	curl_slist_free_all(h);
	stop(c);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

/* ussd.map: the MAP face listens next to the HTTP face on the same gateway, and stops with
 * the service. */
static void test_map_section(void **state)
{
	(void)state;
	struct ctx *c = start("  map: {listen: \"tcp:127.0.0.1:0\", routing_context: 7, "
			      "network: \"63902\", idle_timeout: 30}\n");
	assert_true(c->cfg.map_enabled);
	assert_int_equal(c->cfg.map_rctx, 7);
	assert_int_equal(c->cfg.map_idle_s, 30);
	assert_non_null(c->svc.map);
	uint16_t port = map_listener_port(c->svc.map);
	assert_true(port > 0);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	struct body b;
	const char *noreg[] = {"1", NULL};
	dialogue(c, "+254711111111", noreg, "visit an agent", &b);
	stop(c);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_menu),    cmocka_unit_test(test_GW_APPAUTH),
		cmocka_unit_test(test_bad_requests),  cmocka_unit_test(test_GW_SIMSWAP_API),
		cmocka_unit_test(test_external_app),  cmocka_unit_test(test_tls),
		cmocka_unit_test(test_map_section),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
