/* One test per gateway control of THREATS.md section B, named after its id, driving the
 * gateway core (gw_handle) with the reference wallet, a fake clock and a temp database.
 * GW-APPAUTH and GW-SIMSWAP-API need the HTTP face: see test_ussd_http.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gw_fixture.h"

static void funded_pair(struct fx *f)
{
	fx_register(f, ALICE, "Alice Wanjiru", IMSI_A, SENTINEL_PIN);
	fx_register(f, BOB, "Bob Otieno", "", OTHER_PIN);
	fx_fund(f, ALICE, 10000000); /* KES 100,000 */
}

/* Send money from Alice up to the confirmation screen; returns the dialogue's text so far. */
static struct gw_response to_confirm(struct fx *f, const char *dlg, char *text, size_t textsz,
				     const char *amount)
{
	struct gw_response r = fx_req(f, dlg, ALICE, IMSI_A, "");
	assert_false(r.end);
	r = fx_req(f, dlg, ALICE, IMSI_A, "1");
	snprintf(text, textsz, "1*" BOB);
	r = fx_req(f, dlg, ALICE, IMSI_A, text);
	assert_non_null(strstr(r.text, "amount"));
	size_t l = strlen(text);
	snprintf(text + l, textsz - l, "*%s", amount);
	r = fx_req(f, dlg, ALICE, IMSI_A, text);
	return r;
}

static void test_GW_SESSIONID(void **state)
{
	struct fx *f = fx_new(NULL);
	fx_register(f, ALICE, "Alice Wanjiru", "", SENTINEL_PIN);
	enum { N = 400 };
	char (*ids)[GW_SESSION_ID_LEN + 1] = calloc(N, sizeof(*ids));
	for (int i = 0; i < N; i++) {
		char dlg[32];
		snprintf(dlg, sizeof(dlg), "d%d", i);
		struct gw_response r = fx_req(f, dlg, ALICE, NULL, "");
		assert_int_equal(strlen(r.session), 32);
		for (int k = 0; k < 32; k++)
			assert_non_null(strchr("0123456789abcdef", r.session[k]));
		memcpy(ids[i], r.session, sizeof(ids[i]));
	}
	/* unique, and not derivable: consecutive ids share no more bits than chance allows
	 * (a counter or a timestamp would share most of them) */
	unsigned long bits_equal = 0;
	for (int i = 0; i < N; i++) {
		for (int j = i + 1; j < N; j++)
			assert_string_not_equal(ids[i], ids[j]);
		if (i) {
			for (int k = 0; k < 32; k++) {
				unsigned a = (unsigned)strtoul((char[]){ids[i][k], 0}, NULL, 16);
				unsigned b = (unsigned)strtoul((char[]){ids[i - 1][k], 0}, NULL, 16);
				bits_equal += 4 - (unsigned)__builtin_popcount(a ^ b);
			}
		}
	}
	double frac = (double)bits_equal / ((N - 1) * 128.0);
	assert_true(frac > 0.45 && frac < 0.55);
	/* the same dialogue id on a fresh gateway gets a different session id */
	char first[GW_SESSION_ID_LEN + 1];
	memcpy(first, ids[0], sizeof(first));
	fx_close(f);
	assert_int_equal(fx_open(f, &f->cfg), 0);
	struct gw_response r = fx_req(f, "d0", ALICE, NULL, "");
	assert_string_not_equal(r.session, first);
	free(ids);
	fx_free(f);
}

static void test_GW_BIND(void **state)
{
	struct fx *f = fx_new(NULL);
	funded_pair(f);
	char text[128];
	struct gw_response r = to_confirm(f, "bind1", text, sizeof(text), "500");
	assert_false(r.end);
	assert_non_null(strstr(r.text, "Bob Otieno"));
	/* the attacker replays the session id with the victim's history and another MSISDN */
	char t2[160];
	snprintf(t2, sizeof(t2), "%s*%s", text, SENTINEL_PIN);
	r = fx_req(f, "bind1", CAROL, IMSI_A, t2);
	assert_true(r.end);
	assert_true(fx_file_contains(f->alert_path, "\"rule\":\"GW-BIND\""));
	/* the session is over for the real user too, and nothing moved */
	r = fx_req(f, "bind1", ALICE, IMSI_A, t2);
	assert_true(r.end);
	assert_int_equal(fx_balance(f, ALICE), 10000000);
	assert_int_equal(fx_balance(f, BOB), 0);
	/* another network or service code breaks the binding as well */
	r = fx_req(f, "bind2", ALICE, IMSI_A, "");
	struct gw_request q = {.face = GW_FACE_HTTP, .dialogue = "bind2", .msisdn = ALICE,
			       .imsi = IMSI_A, .service_code = "*384#", .network = "63907",
			       .text = "1", .cumulative = true};
	assert_int_equal(gw_handle(&f->g, &q, &r), 0);
	assert_true(r.end);
	/* and so does another IMSI */
	r = fx_req(f, "bind3", ALICE, IMSI_A, "");
	r = fx_req(f, "bind3", ALICE, IMSI_B, "4");
	assert_true(r.end);
	fx_free(f);
}

static void test_GW_TIMEOUT(void **state)
{
	struct fx *f = fx_new(NULL);
	funded_pair(f);
	char text[160];
	struct gw_response r = to_confirm(f, "t1", text, sizeof(text), "500");
	assert_non_null(strstr(r.text, "PIN"));
	f->now_ms += 61000; /* idle timeout */
	size_t l = strlen(text);
	snprintf(text + l, sizeof(text) - l, "*%s", SENTINEL_PIN);
	r = fx_req(f, "t1", ALICE, IMSI_A, text);
	assert_true(r.end);
	assert_non_null(strstr(r.text, "expired"));
	assert_int_equal(fx_balance(f, ALICE), 10000000);
	assert_int_equal(fx_balance(f, BOB), 0);
	assert_true(fx_file_contains(f->audit_path, "\"decision\":\"voided\""));

	/* absolute cap: active every 50 s, still cut at 180 s */
	r = fx_req(f, "t2", ALICE, IMSI_A, "");
	r = fx_req(f, "t2", ALICE, IMSI_A, "1");
	char t[256] = "1";
	/* too long for a field: the gateway answers "invalid input" and the session lives on */
	const char *steps[] = {"111111111111111111111111111111111", "222222222222222222222222222222222",
			       "333333333333333333333333333333333"};
	for (int i = 0; i < 3; i++) {
		f->now_ms += 50000;
		size_t k = strlen(t);
		snprintf(t + k, sizeof(t) - k, "*%s", steps[i]);
		r = fx_req(f, "t2", ALICE, IMSI_A, t);
		assert_false(r.end);
	}
	f->now_ms += 50000; /* 200 s since the start */
	snprintf(t + strlen(t), sizeof(t) - strlen(t), "*%s", BOB);
	r = fx_req(f, "t2", ALICE, IMSI_A, t);
	assert_true(r.end);
	assert_non_null(strstr(r.text, "expired"));

	/* the sweeper ends idle sessions on its own and voids their confirmation */
	r = to_confirm(f, "t3", text, sizeof(text), "700");
	assert_false(r.end);
	f->now_ms += 60500;
	assert_int_equal(gw_sweep(&f->g), 1);
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "*%s", SENTINEL_PIN);
	r = fx_req(f, "t3", ALICE, IMSI_A, text);
	assert_true(r.end);
	assert_int_equal(fx_balance(f, BOB), 0);
	/* tombstones go after their retention */
	f->now_ms += 700000;
	gw_sweep(&f->g);
	assert_int_equal(f->g.nsessions, 0);
	fx_free(f);
}

static void test_GW_INPUT(void **state)
{
	struct fx *f = fx_new(NULL);
	funded_pair(f);
	struct gw_response r = fx_req(f, "i1", ALICE, IMSI_A, "");
	/* menu-path injection: "1*254700000002*500" typed as one field */
	r = fx_req(f, "i1", ALICE, IMSI_A, "1*254700000002*500");
	assert_false(r.end);
	assert_non_null(strstr(r.text, "1 Send money")); /* still the menu: nothing injected */
	/* too long */
	r = fx_req(f, "i1", ALICE, IMSI_A, "1*254700000002*500*111111111111111111111111111111111");
	assert_non_null(strstr(r.text, "Invalid input"));
	/* a request whose history does not continue the session's is refused and alerted */
	r = fx_req(f, "i1", ALICE, IMSI_A, "2*1");
	assert_true(r.end);
	assert_true(fx_file_contains(f->alert_path, "\"rule\":\"GW-INPUT\""));
	/* characters outside 0-9 * # are a bad request, before any session exists */
	const char *bad[] = {"1'; DROP TABLE accounts;--", "abc", "1\n2", "%00", "١"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct gw_request q = {.face = GW_FACE_HTTP, .dialogue = "i2", .msisdn = ALICE,
				       .service_code = "*384#", .network = "63902", .text = bad[i],
				       .cumulative = true};
		assert_int_equal(gw_handle(&f->g, &q, &r), 0);
		assert_int_equal(r.status, GW_BAD_REQUEST);
		assert_non_null(r.reason);
	}
	/* random inputs: whatever arrives, no money moves without the PIN flow */
	uint32_t seed = 12345;
	for (int i = 0; i < 300; i++) {
		char dlg[16], text[96];
		snprintf(dlg, sizeof(dlg), "fz%d", i);
		r = fx_req(f, dlg, ALICE, IMSI_A, "");
		size_t n = 0;
		int len = 1 + (int)((seed = seed * 1103515245 + 12345) >> 16) % 60;
		for (int k = 0; k < len; k++) {
			seed = seed * 1103515245 + 12345;
			text[n++] = "0123456789*#"[(seed >> 16) % 12];
		}
		text[n] = 0;
		r = fx_req(f, dlg, ALICE, IMSI_A, text);
		assert_true(screen_fits(r.text));
	}
	assert_int_equal(fx_balance(f, ALICE), 10000000);
	fx_free(f);
}

static void assert_pages_keep_amounts(const char *page)
{
	/* an amount is "KES" followed by a space and digits with , and .: it is never cut */
	for (const char *p = strstr(page, "KES"); p; p = strstr(p + 1, "KES")) {
		assert_true(p[3] == ' ');
		const char *d = p + 4;
		size_t n = strspn(d, "0123456789,.");
		assert_true(n >= 4);
		assert_true(d[n - 3] == '.');
	}
}

static void test_GW_OUTPUT(void **state)
{
	struct fx *f = fx_new(NULL);
	/* every catalogue text with the longest values it can hold fits one screen */
	const char *longest_name = "Wanjiru-Kamau Nyambura Achieng Otieno Mwangi Kiprotich Jebet";
	for (unsigned i = 0; i < f->msgs.n; i++) {
		char out[SCREEN_MAX_BYTES];
		int n = msgcat_format(&f->msgs, f->msgs.m[i].key, out, sizeof(out), "brand",
				      f->cfg.brand, "name", longest_name, "number", "254700000000000",
				      "amount", "KES 999,999,999.00", "fee", "KES 99,999.00", "balance",
				      "KES 999,999,999.00", "ref", "99999999999", "currency", "KES",
				      "min", "4", "max", "6", "left", "2", "hours", "72", "date",
				      "31/12", "kind", "cashout", "party", "254700000000000", NULL);
		assert_true(n > 0);
		if (!screen_fits(out))
			fail_msg("%s does not fit: %d septets", f->msgs.m[i].key,
				 screen_gsm7_septets(out));
	}
	/* a long statement is paginated by the gateway, amounts intact, "98" pages on */
	fx_register(f, ALICE, "Alice Wanjiru", "", SENTINEL_PIN);
	fx_register(f, BOB, "Bob Otieno", "", OTHER_PIN);
	fx_fund(f, ALICE, 1000000000);
	for (int i = 0; i < 6; i++) {
		char key[16];
		snprintf(key, sizeof(key), "x%d", i);
		struct ledger_transfer_req q = {.idem_key = key, .kind = LEDGER_XFER_P2P,
						.debit = ALICE, .credit = BOB,
						.amount = 123456789 + i, .fee = 2300,
						.fee_account = "sys:fees", .now = 1767225600 + i};
		struct ledger_transfer_res res;
		assert_int_equal(ledger_transfer(&f->g.ledger, &q, &res), 0);
	}
	const char *steps[] = {"5", SENTINEL_PIN, NULL};
	struct gw_response r = fx_dialogue(f, ALICE, NULL, steps);
	assert_false(r.end);
	assert_non_null(strstr(r.text, "98 More"));
	char dlg[32];
	snprintf(dlg, sizeof(dlg), "ATUid_%u", f->dialogues);
	char text[64];
	snprintf(text, sizeof(text), "5*%s", SENTINEL_PIN);
	unsigned pages = 1;
	while (!r.end) {
		assert_true(screen_fits(r.text));
		assert_pages_keep_amounts(r.text);
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "*98");
		r = fx_req(f, dlg, ALICE, NULL, text);
		pages++;
		assert_true(pages < 10);
	}
	assert_true(pages >= 2);
	assert_pages_keep_amounts(r.text);
	/* pagination unit: a break never falls inside "KES 1,234.00" */
	struct screen_pages sp;
	char big[2048] = "";
	for (int i = 0; i < 30; i++)
		snprintf(big + strlen(big), sizeof(big) - strlen(big), "Item %d costs KES 1,234.%02d ",
			 i, i);
	assert_int_equal(screen_paginate(big, "98 More", &sp), 0);
	assert_true(sp.n > 1);
	for (unsigned i = 0; i < sp.n; i++) {
		assert_true(screen_fits(sp.page[i]));
		assert_pages_keep_amounts(sp.page[i]);
	}
	/* UCS2 text (a name outside GSM-7) is held to 80 characters */
	assert_true(screen_fits("Отправить"));
	char cyr[400] = "";
	for (int i = 0; i < 81; i++)
		strcat(cyr, "ж");
	assert_false(screen_fits(cyr));
	assert_int_equal(screen_gsm7_septets("{€}"), 6);
	fx_free(f);
}

static int pin_hash_cb(void *ud, int ncol, const char *const *cols)
{
	snprintf(ud, PIN_HASH_MAX, "%s", cols[0] ? cols[0] : "");
	return 1;
}

static void test_GW_PIN(void **state)
{
	struct fx *f = fx_new(NULL);
	funded_pair(f);
	/* three wrong PINs in three different sessions: the lockout follows the account */
	for (int i = 0; i < 3; i++) {
		const char *steps[] = {"4", "111333", NULL};
		struct gw_response r = fx_dialogue(f, ALICE, IMSI_A, steps);
		if (i < 2) {
			assert_false(r.end);
			assert_non_null(strstr(r.text, "Wrong PIN"));
		} else {
			assert_true(r.end);
			assert_non_null(strstr(r.text, "locked"));
		}
	}
	/* the N+1th try is refused even with the right PIN */
	const char *steps[] = {"4", SENTINEL_PIN, NULL};
	struct gw_response r = fx_dialogue(f, ALICE, IMSI_A, steps);
	assert_true(r.end);
	assert_non_null(strstr(r.text, "locked"));
	assert_null(strstr(r.text, "balance is"));
	assert_true(fx_file_contains(f->alert_path, "\"rule\":\"GW-PIN\""));
	/* after the lockout period the right PIN works and clears the count */
	f->now_ms += (f->cfg.pin.lockout_s + 1) * 1000;
	r = fx_dialogue(f, ALICE, IMSI_A, steps);
	assert_true(r.end);
	assert_non_null(strstr(r.text, "balance is KES 100,000.00"));
	/* weak PINs are refused at registration */
	assert_int_equal(pin_check_format(&f->cfg.pin, "1234", NULL), PIN_FORMAT_WEAK);
	assert_int_equal(pin_check_format(&f->cfg.pin, "0000", NULL), PIN_FORMAT_WEAK);
	assert_int_equal(pin_check_format(&f->cfg.pin, "9876", NULL), PIN_FORMAT_WEAK);
	assert_int_equal(pin_check_format(&f->cfg.pin, "0001", ALICE), PIN_FORMAT_WEAK);
	assert_int_equal(pin_check_format(&f->cfg.pin, "123", NULL), PIN_FORMAT_LENGTH);
	assert_int_equal(pin_check_format(&f->cfg.pin, "12#4", NULL), PIN_FORMAT_DIGITS);
	/* the PIN is stored as Argon2id only */
	struct udb_conn *c = udb_get(f->db);
	struct udb_val p[] = {UDB_TEXT(ALICE)};
	struct {
		char h[PIN_HASH_MAX];
	} row = {""};
	assert_int_equal(udb_exec(c, "SELECT pin_hash FROM wallet_users WHERE msisdn = ?1", p, 1,
				  pin_hash_cb, &row), 0);
	udb_put(f->db, c);
	assert_int_equal(strncmp(row.h, "$argon2id$", 10), 0);
	assert_null(strstr(row.h, SENTINEL_PIN));
	if (!f->conninfo[0]) {
		char *db = fx_slurp(f->db_path, NULL);
		assert_non_null(db);
		free(db);
		assert_false(fx_file_contains(f->db_path, SENTINEL_PIN));
	}
	assert_false(fx_file_contains(f->audit_path, SENTINEL_PIN));
	assert_false(fx_file_contains(f->alert_path, SENTINEL_PIN));
	fx_free(f);
}

static void test_GW_SIMSWAP(void **state)
{
	struct fx *f = fx_new(NULL);
	funded_pair(f);
	/* a first dialogue from the registered SIM records the pairing */
	const char *bal[] = {"4", SENTINEL_PIN, NULL};
	struct gw_response r = fx_dialogue(f, ALICE, IMSI_A, bal);
	assert_non_null(strstr(r.text, "balance"));
	/* the MSISDN now arrives with another IMSI: a swap */
	const char *send[] = {"1", BOB, "500", NULL};
	r = fx_dialogue(f, ALICE, IMSI_B, send);
	assert_true(r.end);
	assert_non_null(strstr(r.text, "paused for 72 hours"));
	assert_true(fx_file_contains(f->alert_path, "\"rule\":\"GW-SIMSWAP\""));
	struct simswap_info info;
	assert_int_equal(simswap_get(f->db, ALICE, &info), 0);
	assert_string_equal(info.imsi, IMSI_B);
	assert_int_equal(info.swapped_at, f->now_ms / 1000);
	/* the SIM a wallet registered from is its binding: a first dialogue from another SIM
	 * is a swap even if signalling never showed the first one */
	fx_register(f, CAROL, "Carol Akinyi", "639020000000003", OTHER_PIN);
	fx_fund(f, CAROL, 100000);
	const char *carol[] = {"1", BOB, "50", NULL};
	r = fx_dialogue(f, CAROL, "639020000000004", carol);
	assert_true(r.end);
	assert_non_null(strstr(r.text, "paused"));
	/* no PIN change either */
	const char *chg[] = {"6", NULL};
	r = fx_dialogue(f, ALICE, IMSI_B, chg);
	assert_true(r.end);
	assert_non_null(strstr(r.text, "paused"));
	/* after the window the transfer passes */
	f->now_ms += 72 * 3600 * 1000LL + 1000;
	const char *send2[] = {"1", BOB, "500", SENTINEL_PIN, NULL};
	r = fx_dialogue(f, ALICE, IMSI_B, send2);
	assert_true(r.end);
	assert_non_null(strstr(r.text, "Sent KES 500.00 to Bob Otieno"));
	assert_int_equal(fx_balance(f, BOB), 50000);
	/* the operator feed is the other source: CSV import */
	FILE *csv = tmpfile();
	fprintf(csv, "msisdn,imsi,time\n+%s,%s,2026-01-05T10:00:00Z\n", BOB, IMSI_A);
	rewind(csv);
	unsigned lines, swaps;
	char err[128];
	assert_int_equal(simswap_import_csv(f->db, csv, "feed", &lines, &swaps, err, sizeof(err)),
			 0);
	assert_int_equal(lines, 1);
	assert_int_equal(swaps, 0); /* first pairing seen for Bob: not a swap */
	rewind(csv);
	fclose(csv);
	csv = tmpfile();
	fprintf(csv, "%s,%s,2026-01-05T12:00:00+02:00\n%s,12x,5\n", BOB, IMSI_B, BOB);
	rewind(csv);
	assert_int_equal(simswap_import_csv(f->db, csv, "feed", &lines, &swaps, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(swaps, 1);
	assert_string_equal(err, "line 2: imsi: not 6-15 digits");
	fclose(csv);
	assert_int_equal(simswap_get(f->db, BOB, &info), 0);
	assert_int_equal(info.swapped_at, 1767607200);
	fx_free(f);
}

static void limits_tweak(struct gw_config *c)
{
	c->limits.account_count = 3;
	c->limits.account_window_s = 600;
}

static void test_GW_LIMITS(void **state)
{
	struct fx *f = fx_new(limits_tweak);
	funded_pair(f);
	/* per transaction: above KES 70,000 refused before the confirmation */
	const char *big[] = {"1", BOB, "70001", NULL};
	struct gw_response r = fx_dialogue(f, ALICE, IMSI_A, big);
	assert_true(r.end);
	assert_non_null(strstr(r.text, "maximum per transaction is KES 70,000.00"));
	const char *small[] = {"1", BOB, "5", NULL};
	r = fx_dialogue(f, ALICE, IMSI_A, small);
	assert_non_null(strstr(r.text, "minimum amount is KES 10.00"));
	/* velocity: 3 debits in 10 minutes, the 4th refused */
	for (int i = 0; i < 3; i++) {
		const char *ok[] = {"1", BOB, "100", SENTINEL_PIN, NULL};
		r = fx_dialogue(f, ALICE, IMSI_A, ok);
		assert_non_null(strstr(r.text, "Sent"));
		f->now_ms += 10000;
	}
	const char *fourth[] = {"1", BOB, "100", NULL};
	r = fx_dialogue(f, ALICE, IMSI_A, fourth);
	assert_true(r.end);
	assert_non_null(strstr(r.text, "Too many transactions"));
	assert_int_equal(fx_balance(f, BOB), 30000);
	/* daily: 150,000 a day; after the window, two 70,000 pass and the third does not */
	f->now_ms += 600000;
	fx_fund(f, ALICE, 30000000);
	for (int i = 0; i < 2; i++) {
		const char *ok[] = {"1", BOB, "70000", SENTINEL_PIN, NULL};
		r = fx_dialogue(f, ALICE, IMSI_A, ok);
		assert_non_null(strstr(r.text, "Sent"));
	}
	const char *third[] = {"1", BOB, "10000", NULL};
	r = fx_dialogue(f, ALICE, IMSI_A, third);
	assert_non_null(strstr(r.text, "daily limit of KES 150,000.00"));
	/* the next day it passes */
	f->now_ms += 86400000;
	const char *next[] = {"1", BOB, "10000", SENTINEL_PIN, NULL};
	r = fx_dialogue(f, ALICE, IMSI_A, next);
	assert_non_null(strstr(r.text, "Sent"));
	/* per source: a flood from one serving node is cut whatever the accounts */
	struct limits L;
	struct limits_config lc = {.per_tx_min = 1, .source_count = 2, .source_window_s = 60};
	limits_init(&L, &lc);
	enum limit_result lr;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(limits_check(&L, &f->g.ledger, ALICE, "vlr-1", 100, 0, 1000, &lr), 0);
		assert_int_equal(lr, LIMIT_OK);
		limits_record(&L, "vlr-1", 1000);
	}
	assert_int_equal(limits_check(&L, &f->g.ledger, BOB, "vlr-1", 100, 0, 1001, &lr), 0);
	assert_int_equal(lr, LIMIT_SOURCE_VELOCITY);
	assert_int_equal(limits_check(&L, &f->g.ledger, BOB, "vlr-2", 100, 0, 1001, &lr), 0);
	assert_int_equal(lr, LIMIT_OK);
	assert_int_equal(limits_check(&L, &f->g.ledger, BOB, "vlr-1", 100, 0, 1060, &lr), 0);
	assert_int_equal(lr, LIMIT_OK);
	limits_destroy(&L);
	fx_free(f);
}

static void test_GW_CONFIRM(void **state)
{
	struct fx *f = fx_new(NULL);
	funded_pair(f);
	/* the confirmation names the recipient, the amount and the fee */
	char text[160];
	struct gw_response r = to_confirm(f, "c1", text, sizeof(text), "5000");
	assert_non_null(strstr(r.text, "Send KES 5,000.00 to Bob Otieno 254700000002"));
	assert_non_null(strstr(r.text, "Fee KES 11.00"));
	/* an application that skips the PIN (a remote-triggered session) cannot move money */
	struct gw_session s;
	memset(&s, 0, sizeof(s));
	snprintf(s.id, sizeof(s.id), "00000000000000000000000000000001");
	snprintf(s.msisdn, sizeof(s.msisdn), ALICE);
	s.steps = 1;
	struct ledger_transfer_res res;
	const char *control;
	assert_int_equal(gw_execute_transfer(&f->g, &s, LEDGER_XFER_P2P, BOB, 100000, 0, &res,
					     &control), -EACCES);
	assert_string_equal(control, "GW-CONFIRM");
	/* a PIN entered before the confirmation does not count for it */
	enum pin_result pr;
	unsigned left;
	assert_int_equal(gw_pin_check(&f->g, &s, SENTINEL_PIN, &pr, &left), 0);
	assert_int_equal(pr, PIN_OK);
	gw_confirm_show(&s, LEDGER_XFER_P2P, BOB, 100000, 0);
	assert_int_equal(gw_execute_transfer(&f->g, &s, LEDGER_XFER_P2P, BOB, 100000, 0, &res,
					     &control), -EACCES);
	/* the PIN in a later step of the same session does; other details do not */
	s.steps++;
	assert_int_equal(gw_pin_check(&f->g, &s, SENTINEL_PIN, &pr, &left), 0);
	assert_int_equal(gw_execute_transfer(&f->g, &s, LEDGER_XFER_P2P, BOB, 200000, 0, &res,
					     &control), -EACCES);
	assert_int_equal(gw_execute_transfer(&f->g, &s, LEDGER_XFER_P2P, CAROL, 100000, 0, &res,
					     &control), -EACCES);
	assert_int_equal(gw_execute_transfer(&f->g, &s, LEDGER_XFER_P2P, BOB, 100000, 0, &res,
					     &control), 0);
	/* one confirmation, one transfer */
	assert_int_equal(gw_execute_transfer(&f->g, &s, LEDGER_XFER_P2P, BOB, 100000, 0, &res,
					     &control), -EACCES);
	assert_int_equal(fx_balance(f, BOB), 100000);
	assert_true(fx_file_contains(f->alert_path, "\"rule\":\"GW-CONFIRM\""));
	/* 0 on the confirmation cancels */
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "*0");
	r = fx_req(f, "c1", ALICE, IMSI_A, text);
	assert_true(r.end);
	assert_non_null(strstr(r.text, "Cancelled"));
	assert_int_equal(fx_balance(f, BOB), 100000);
	fx_free(f);
}

static void test_GW_IDEMPOTENT(void **state)
{
	struct fx *f = fx_new(NULL);
	funded_pair(f);
	char text[160];
	struct gw_response r = to_confirm(f, "d1", text, sizeof(text), "2000");
	snprintf(text + strlen(text), sizeof(text) - strlen(text), "*%s", SENTINEL_PIN);
	struct gw_response first = fx_req(f, "d1", ALICE, IMSI_A, text);
	assert_true(first.end);
	assert_non_null(strstr(first.text, "Sent KES 2,000.00"));
	/* the network repeats the final message, twice, a little later */
	for (int i = 0; i < 2; i++) {
		f->now_ms += 2000;
		r = fx_req(f, "d1", ALICE, IMSI_A, text);
		assert_true(r.end);
		assert_string_equal(r.text, first.text);
	}
	/* a repeated prompt is answered from the session too, without running the step again */
	struct gw_response p1 = fx_req(f, "d2", ALICE, IMSI_A, "");
	p1 = fx_req(f, "d2", ALICE, IMSI_A, "4");
	struct gw_response p2 = fx_req(f, "d2", ALICE, IMSI_A, "4");
	assert_string_equal(p1.text, p2.text);
	assert_int_equal(fx_balance(f, BOB), 200000);
	assert_int_equal(fx_balance(f, ALICE), 10000000 - 200000 - 1100);
	char err[256];
	assert_int_equal(ledger_verify(&f->g.ledger, err, sizeof(err)), 0);
	fx_free(f);
}

static void test_GW_AUDIT(void **state)
{
	struct fx *f = fx_new(NULL);
	funded_pair(f);
	const char *send[] = {"1", BOB, "300", SENTINEL_PIN, NULL};
	struct gw_response r = fx_dialogue(f, ALICE, IMSI_A, send);
	assert_true(r.end);
	uint64_t n;
	char err[256];
	assert_int_equal(audit_verify_file(f->audit_path, &n, err, sizeof(err)), 0);
	assert_true(n >= 6);
	/* every hop: the transfer record names session, MSISDN, IMSI, network, node, amount */
	assert_true(fx_file_contains(f->audit_path, "\"event\":\"transfer\""));
	assert_true(fx_file_contains(f->audit_path, "\"imsi\":\"" IMSI_A "\""));
	assert_true(fx_file_contains(f->audit_path, "\"network\":\"63902\""));
	assert_true(fx_file_contains(f->audit_path, "\"amount\":30000"));
	assert_true(fx_file_contains(f->audit_path, "\"node\":\"send.confirm\""));
	assert_false(fx_file_contains(f->audit_path, SENTINEL_PIN));
	/* reopening continues the chain */
	fx_close(f);
	assert_int_equal(fx_open(f, &f->cfg), 0);
	r = fx_dialogue(f, ALICE, IMSI_A, send);
	uint64_t n2;
	assert_int_equal(audit_verify_file(f->audit_path, &n2, err, sizeof(err)), 0);
	assert_true(n2 > n);
	fx_close(f);

	/* editing any record breaks verification, at that record */
	size_t len;
	char *orig = fx_slurp(f->audit_path, &len);
	char path[160];
	snprintf(path, sizeof(path), "%s/edited.jsonl", f->dir);
	const char *victims[] = {"\"amount\":30000", "\"decision\":\"executed\"", "\"seq\":3,"};
	const char *forged[] = {"\"amount\":90000", "\"decision\":\"refused\"", "\"seq\":4,"};
	for (unsigned i = 0; i < 3; i++) {
		char *copy = malloc(len + 1);
		memcpy(copy, orig, len + 1);
		char *at = strstr(copy, victims[i]);
		assert_non_null(at);
		memcpy(at, forged[i], strlen(forged[i]));
		FILE *fp = fopen(path, "wb");
		fwrite(copy, 1, len, fp);
		fclose(fp);
		assert_int_equal(audit_verify_file(path, &n, err, sizeof(err)), -EBADMSG);
		free(copy);
	}
	/* removing a record in the middle */
	char *l2 = strchr(orig, '\n') + 1, *l3 = strchr(l2, '\n') + 1;
	FILE *fp = fopen(path, "wb");
	fwrite(orig, 1, (size_t)(l2 - orig), fp);
	fwrite(l3, 1, len - (size_t)(l3 - orig), fp);
	fclose(fp);
	assert_int_equal(audit_verify_file(path, &n, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, ":2: "));
	/* a torn last line is cut when the log is reopened, and the chain goes on */
	fp = fopen(f->audit_path, "ab");
	fputs("{\"seq\":999,\"t\":1,\"ev", fp);
	fclose(fp);
	assert_int_equal(audit_verify_file(f->audit_path, &n, err, sizeof(err)), -EBADMSG);
	assert_int_equal(fx_open(f, &f->cfg), 0);
	r = fx_dialogue(f, ALICE, IMSI_A, send);
	assert_int_equal(audit_verify_file(f->audit_path, &n, err, sizeof(err)), 0);
	free(orig);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_GW_SESSIONID), cmocka_unit_test(test_GW_BIND),
		cmocka_unit_test(test_GW_TIMEOUT),   cmocka_unit_test(test_GW_INPUT),
		cmocka_unit_test(test_GW_OUTPUT),    cmocka_unit_test(test_GW_PIN),
		cmocka_unit_test(test_GW_SIMSWAP),   cmocka_unit_test(test_GW_LIMITS),
		cmocka_unit_test(test_GW_CONFIRM),   cmocka_unit_test(test_GW_IDEMPOTENT),
		cmocka_unit_test(test_GW_AUDIT),
	};
	int fails = cmocka_run_group_tests_name("gw_controls_sqlite", tests, NULL, NULL);
	/* the same controls with the ledger and state in PostgreSQL */
	struct pg_harness pg;
	int rc = pg_harness_for_suite(&pg, "gw_controls_postgresql");
	if (rc)
		return fails + (rc < 0);
	fx_pg = &pg;
	fails += cmocka_run_group_tests_name("gw_controls_postgresql", tests, NULL, NULL);
	fx_pg = NULL;
	pg_harness_stop(&pg);
	return fails;
}
