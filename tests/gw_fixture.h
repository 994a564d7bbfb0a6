/* A gateway with the reference wallet on a temp SQLite database, a fake clock and fast Argon2
 * parameters, for the USSD tests. Header-only: each test program includes it once. */
#ifndef DFSG_GW_FIXTURE_H
#define DFSG_GW_FIXTURE_H
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gw.h"
#include "pg_harness.h"
#include "wallet.h"

/* The PIN every test user has: it must never show up in any output (GW-PIN). */
#define SENTINEL_PIN "947361"
#define OTHER_PIN "580247"
#define ALICE "254700000001"
#define BOB "254700000002"
#define CAROL "254700000003"
#define IMSI_A "639020000000001"
#define IMSI_B "639020000000002"

/* When set, fixtures put their database on this PostgreSQL server instead of SQLite. */
static struct pg_harness *fx_pg;
static unsigned fx_pg_seq;

struct fx {
	char dir[64];
	char conninfo[256];
	char db_path[128], audit_path[128], alert_path[128];
	int64_t now_ms;
	struct gw_config cfg;
	struct udb *db;
	struct audit_log *audit;
	FILE *alerts;
	struct msgcat msgs;
	struct gw g;
	unsigned dialogues;
};

static int64_t fx_clock(void *ud)
{
	return ((struct fx *)ud)->now_ms;
}

static void fx_config(struct gw_config *c)
{
	gw_config_defaults(c);
	c->pin.ops = crypto_pwhash_OPSLIMIT_MIN;
	c->pin.mem = crypto_pwhash_MEMLIMIT_MIN;
	snprintf(c->country_code, sizeof(c->country_code), "254");
	c->limits.per_tx_min = 1000;         /* KES 10 */
	c->limits.per_tx_max = 7000000;      /* KES 70,000 */
	c->limits.daily_max = 15000000;      /* KES 150,000 */
	c->limits.account_count = 10;
	c->limits.account_window_s = 3600;
	c->p2p_fees[0] = (struct gw_fee_tier){100000, 0};
	c->p2p_fees[1] = (struct gw_fee_tier){1000000, 1100};
	c->p2p_fees[2] = (struct gw_fee_tier){7000000, 2300};
	c->n_p2p_fees = 3;
	c->cashout_fees[0] = (struct gw_fee_tier){1000000, 2900};
	c->cashout_fees[1] = (struct gw_fee_tier){7000000, 6700};
	c->n_cashout_fees = 2;
	snprintf(c->services[0].code, sizeof(c->services[0].code), "*384#");
	c->services[0].kind = GW_APP_WALLET;
	c->n_services = 1;
}

static const char *fx_required[128];

static int fx_open(struct fx *f, const struct gw_config *cfg)
{
	char err[256];
	struct udb_config uc = {.backend = UDB_SQLITE, .sqlite_path = f->db_path};
	if (f->conninfo[0]) {
		uc.backend = UDB_PGSQL;
		uc.pg_conninfo = f->conninfo;
	}
	if (udb_open(&f->db, &uc, err, sizeof(err))) {
		fprintf(stderr, "udb_open: %s\n", err);
		return -1;
	}
	if (audit_open(&f->audit, f->audit_path, false, err, sizeof(err))) {
		fprintf(stderr, "audit_open: %s\n", err);
		return -1;
	}
	f->alerts = fopen(f->alert_path, "a");
	if (gw_init(&f->g, cfg, f->db, f->audit, f->alerts, &f->msgs, fx_clock, f))
		return -1;
	f->g.wallet = &wallet_app;
	return 0;
}

static void fx_close(struct fx *f)
{
	gw_destroy(&f->g);
	audit_close(f->audit);
	fclose(f->alerts);
	udb_close(f->db);
}

static struct fx *fx_new(void (*tweak)(struct gw_config *))
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	snprintf(f->dir, sizeof(f->dir), "/tmp/dfsg-gw-XXXXXX");
	if (!mkdtemp(f->dir))
		abort();
	snprintf(f->db_path, sizeof(f->db_path), "%s/gw.db", f->dir);
	snprintf(f->audit_path, sizeof(f->audit_path), "%s/audit.jsonl", f->dir);
	snprintf(f->alert_path, sizeof(f->alert_path), "%s/alerts.jsonl", f->dir);
	f->now_ms = 1767225600000LL; /* 2026-01-01T00:00:00Z */
	if (fx_pg) {
		char name[32];
		snprintf(name, sizeof(name), "gw%u", ++fx_pg_seq);
		if (pg_harness_newdb(fx_pg, name, f->conninfo, sizeof(f->conninfo)))
			abort();
	}
	fx_config(&f->cfg);
	if (tweak)
		tweak(&f->cfg);
	unsigned n = 0;
	for (const char *const *k = gw_required_messages; *k; k++)
		fx_required[n++] = *k;
	for (const char *const *k = wallet_required_messages; *k; k++)
		fx_required[n++] = *k;
	fx_required[n] = NULL;
	if (msgcat_load(&f->msgs, DFSG_SOURCE_DIR "/config/messages/en.yaml", fx_required, err,
			sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	if (fx_open(f, &f->cfg))
		abort();
	return f;
}

static void fx_free(struct fx *f)
{
	char cmd[128];
	fx_close(f);
	msgcat_free(&f->msgs);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
}

/* One request in the AT convention; returns the response. */
static struct gw_response fx_req(struct fx *f, const char *dialogue, const char *msisdn,
				 const char *imsi, const char *text)
{
	struct gw_request q = {.face = GW_FACE_HTTP, .dialogue = dialogue, .msisdn = msisdn,
			       .imsi = imsi, .service_code = "*384#", .network = "63902",
			       .text = text, .cumulative = true};
	struct gw_response r;
	if (gw_handle(&f->g, &q, &r) != 0)
		abort();
	return r;
}

/* A whole dialogue: steps are the user's inputs after the first (empty) request; the AT text
 * accumulates. The last response is returned; every response must be a prompt but the last. */
static struct gw_response fx_dialogue(struct fx *f, const char *msisdn, const char *imsi,
				      const char *const *steps)
{
	char dlg[32], text[1024] = "";
	snprintf(dlg, sizeof(dlg), "ATUid_%u", ++f->dialogues);
	struct gw_response r = fx_req(f, dlg, msisdn, imsi, "");
	for (unsigned i = 0; steps[i]; i++) {
		if (r.end) {
			fprintf(stderr, "dialogue ended early at step %u: %s\n", i, r.text);
			return r;
		}
		size_t l = strlen(text);
		snprintf(text + l, sizeof(text) - l, "%s%s", l || i ? "*" : "", steps[i]);
		r = fx_req(f, dlg, msisdn, imsi, text);
	}
	return r;
}

static void fx_register(struct fx *f, const char *msisdn, const char *name, const char *imsi,
			const char *pin)
{
	char hash[PIN_HASH_MAX];
	if (wallet_kyc_put(f->db, msisdn, name, 1) || pin_hash(&f->cfg.pin, pin, hash) ||
	    wallet_register(f->db, msisdn, name, imsi, hash, 1))
		abort();
}

static void fx_fund(struct fx *f, const char *msisdn, int64_t minor)
{
	static unsigned seq;
	char key[48];
	snprintf(key, sizeof(key), "fund-%s-%u", msisdn, ++seq);
	struct ledger_transfer_req r = {.idem_key = key, .kind = LEDGER_XFER_ISSUE,
					.debit = f->cfg.issue_account, .credit = msisdn,
					.amount = minor, .now = f->now_ms / 1000};
	struct ledger_transfer_res res;
	if (ledger_transfer(&f->g.ledger, &r, &res))
		abort();
}

static int64_t fx_balance(struct fx *f, const char *id)
{
	struct ledger_account a;
	if (ledger_account_get(&f->g.ledger, id, &a))
		return -1;
	return a.balance;
}

/* Whole file contents (NUL-terminated), or NULL. */
static char *fx_slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	long n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	size_t got = fread(b, 1, (size_t)n, fp);
	b[got] = 0;
	fclose(fp);
	if (len)
		*len = got;
	return b;
}

static bool fx_file_contains(const char *path, const char *needle)
{
	size_t n;
	char *b = fx_slurp(path, &n);
	if (!b)
		return false;
	bool found = memmem(b, n, needle, strlen(needle)) != NULL;
	free(b);
	return found;
}

#endif
