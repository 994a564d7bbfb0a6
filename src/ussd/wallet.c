/* The reference wallet's menus (see wallet.h). One state machine a session; the PIN a user
 * types is handed to Argon2id and forgotten, never kept in the session or shown. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "wallet.h"

#define WALLET_MAX_BAD 3    /* invalid entries a session before it ends */
#define WALLET_STMT_LINES 5

enum wnode {
	W_UNREG,
	W_REG_PIN,
	W_REG_PIN2,
	W_MENU,
	W_SEND_TO,
	W_SEND_AMOUNT,
	W_SEND_CONFIRM,
	W_CASH_AGENT,
	W_CASH_AMOUNT,
	W_CASH_CONFIRM,
	W_AIR_WHO,
	W_AIR_NUMBER,
	W_AIR_AMOUNT,
	W_AIR_CONFIRM,
	W_BAL_PIN,
	W_STMT_PIN,
	W_CHG_OLD,
	W_CHG_NEW,
	W_CHG_NEW2,
};

static const struct value_string wnode_names[] = {
	{W_UNREG, "unregistered"},	{W_REG_PIN, "register.pin"},
	{W_REG_PIN2, "register.pin2"},	{W_MENU, "menu"},
	{W_SEND_TO, "send.recipient"},	{W_SEND_AMOUNT, "send.amount"},
	{W_SEND_CONFIRM, "send.confirm"}, {W_CASH_AGENT, "cashout.agent"},
	{W_CASH_AMOUNT, "cashout.amount"}, {W_CASH_CONFIRM, "cashout.confirm"},
	{W_AIR_WHO, "airtime.who"},	{W_AIR_NUMBER, "airtime.number"},
	{W_AIR_AMOUNT, "airtime.amount"}, {W_AIR_CONFIRM, "airtime.confirm"},
	{W_BAL_PIN, "balance.pin"},	{W_STMT_PIN, "statement.pin"},
	{W_CHG_OLD, "pin.old"},		{W_CHG_NEW, "pin.new"},
	{W_CHG_NEW2, "pin.new2"},	{0, NULL},
};

const char *const wallet_required_messages[] = {
	"wallet.welcome_unregistered", "wallet.not_kyc", "wallet.reg_pin", "wallet.pin_again",
	"wallet.pin_weak", "wallet.pin_format", "wallet.pin_mismatch", "wallet.registered",
	"wallet.menu", "wallet.bye", "wallet.invalid_choice", "wallet.ask_recipient",
	"wallet.recipient_unknown", "wallet.recipient_self", "wallet.ask_amount",
	"wallet.amount_invalid", "wallet.confirm_send", "wallet.ask_agent", "wallet.agent_unknown",
	"wallet.confirm_cashout", "wallet.airtime_who", "wallet.ask_airtime_number",
	"wallet.confirm_airtime", "wallet.sent", "wallet.cashout_done", "wallet.airtime_done",
	"wallet.ask_pin", "wallet.pin_wrong", "wallet.pin_locked", "wallet.balance",
	"wallet.statement_head", "wallet.statement_empty", "wallet.stmt_out", "wallet.stmt_in",
	"wallet.ask_old_pin", "wallet.ask_new_pin", "wallet.pin_changed", "wallet.insufficient",
	"wallet.limit_min", "wallet.limit_max", "wallet.limit_daily", "wallet.limit_velocity",
	"wallet.simswap", "wallet.cancelled", "wallet.error", "wallet.too_many_tries",
	"wallet.invalid_number", NULL,
};

struct wallet_sess {
	enum wnode node;
	unsigned bad;
	char name[LEDGER_NAME_MAX];    /* the user's own name */
	char cp[LEDGER_ID_MAX];        /* counterparty account id */
	char cp_name[LEDGER_NAME_MAX]; /* counterparty name as shown */
	char cp_number[20];            /* counterparty number as shown */
	int64_t amount, fee;
	char pin_hash[PIN_HASH_MAX];   /* new PIN during registration / change, hashed */
};

/* --- database helpers --- */

struct name_row {
	bool seen;
	char name[LEDGER_NAME_MAX];
};

static int name_cb(void *ud, int ncol, const char *const *cols)
{
	struct name_row *n = ud;
	n->seen = true;
	snprintf(n->name, sizeof(n->name), "%s", ncol > 0 && cols[0] ? cols[0] : "");
	return 1;
}

static int query_name(struct udb *db, const char *sql, const char *key, struct name_row *out)
{
	struct udb_val p[] = {UDB_TEXT(key)};
	memset(out, 0, sizeof(*out));
	struct udb_conn *c = udb_get(db);
	int rc = udb_exec(c, sql, p, 1, name_cb, out);
	udb_put(db, c);
	return rc;
}

/* The registered wallet's name, or seen=false. */
static int wallet_user(struct udb *db, const char *msisdn, struct name_row *out)
{
	return query_name(db,
			  "SELECT a.name FROM wallet_users u JOIN accounts a ON a.id = u.msisdn"
			  " WHERE u.msisdn = ?1",
			  msisdn, out);
}

int wallet_kyc_put(struct udb *db, const char *msisdn, const char *name, int64_t now)
{
	if (!simswap_valid_msisdn(msisdn) || !name || !*name || strlen(name) >= LEDGER_NAME_MAX)
		return -EINVAL;
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20)
			return -EINVAL;
	struct udb_val p[] = {UDB_TEXT(msisdn), UDB_TEXT(name), UDB_INT(now)};
	struct udb_conn *c = udb_get(db);
	int rc = udb_exec(c, "INSERT INTO kyc(msisdn, name, updated) VALUES (?1, ?2, ?3)"
			     " ON CONFLICT (msisdn) DO UPDATE SET name = excluded.name,"
			     " updated = excluded.updated", p, 3, NULL, NULL);
	udb_put(db, c);
	return rc;
}

int wallet_kyc_import(struct udb *db, FILE *f, int64_t now, unsigned *n, char *err, size_t errsz)
{
	char buf[256];
	unsigned ln = 0;
	*n = 0;
	while (fgets(buf, sizeof(buf), f)) {
		ln++;
		size_t l = strlen(buf);
		while (l && (buf[l - 1] == '\n' || buf[l - 1] == '\r'))
			buf[--l] = 0;
		if (!l || buf[0] == '#' || (ln == 1 && !strncmp(buf, "msisdn,", 7)))
			continue;
		char *comma = strchr(buf, ',');
		if (!comma) {
			snprintf(err, errsz, "line %u: want msisdn,name", ln);
			return -EINVAL;
		}
		*comma = 0;
		const char *msisdn = buf[0] == '+' ? buf + 1 : buf;
		int rc = wallet_kyc_put(db, msisdn, comma + 1, now);
		if (rc) {
			snprintf(err, errsz, "line %u: %s", ln,
				 rc == -EINVAL ? "bad msisdn or name (1-64 characters)"
					       : "database error");
			return rc;
		}
		(*n)++;
	}
	return 0;
}

int wallet_agent_ensure(struct ledger *l, const char *number, const char *name, int64_t now)
{
	char id[LEDGER_ID_MAX];
	snprintf(id, sizeof(id), "agent:%s", number);
	int rc = ledger_account_create(l, id, name, LEDGER_ACCT_AGENT, false, now);
	return rc == -EEXIST ? 0 : rc;
}

int wallet_register(struct udb *db, const char *msisdn, const char *name, const char *imsi,
		    const char *pin_hash, int64_t now)
{
	struct udb_conn *c = udb_get(db);
	int rc = udb_begin(c);
	if (rc == 0) {
		struct udb_val a[] = {UDB_TEXT(msisdn), UDB_TEXT(name), UDB_INT(now)};
		rc = udb_exec(c, "INSERT INTO accounts(id, name, kind, allow_negative, balance,"
				 " created) VALUES (?1, ?2, 'customer', 0, 0, ?3)"
				 " ON CONFLICT (id) DO NOTHING", a, 3, NULL, NULL);
		struct udb_val u[] = {UDB_TEXT(msisdn), UDB_TEXT(imsi ? imsi : ""), UDB_TEXT(pin_hash),
				      UDB_INT(now)};
		if (rc == 0)
			rc = udb_exec(c, "INSERT INTO wallet_users(msisdn, imsi, pin_hash, pin_fail,"
					 " locked_until, registered) VALUES (?1, ?2, ?3, 0, 0, ?4)",
				      u, 4, NULL, NULL);
		if (rc == 0)
			rc = udb_commit(c);
		else
			udb_rollback(c);
	}
	udb_put(db, c);
	/* the account is bound to the SIM it registered from: seed the subscriber state so a
	 * later IMSI change is a swap even if signalling never showed this one (GW-SIMSWAP) */
	bool swapped;
	if (rc == 0 && imsi && *imsi)
		rc = simswap_observe(db, msisdn, imsi, now, "registration", &swapped);
	return rc;
}

/* --- screens --- */

static int say(struct gw *g, struct gw_reply *r, bool end, enum wnode node, const char *key, ...)
{
	va_list ap;
	va_start(ap, key);
	int rc = msgcat_vformat(g->msgs, key, r->text, sizeof(r->text), ap);
	va_end(ap);
	r->end = end;
	r->node = get_value_string(wnode_names, node);
	return rc < 0 ? rc : 0;
}

/* A short notice above a screen ("Invalid choice" + the menu again). */
static int prefix(struct gw *g, struct gw_reply *r, const char *key)
{
	char tmp[sizeof(r->text)];
	int n = snprintf(tmp, sizeof(tmp), "%s\n%s", msgcat_get(g->msgs, key), r->text);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return 0;
	memcpy(r->text, tmp, sizeof(tmp));
	return 0;
}

static int menu(struct gw *g, struct wallet_sess *w, struct gw_reply *r)
{
	w->node = W_MENU;
	return say(g, r, false, W_MENU, "wallet.menu", "brand", g->cfg->brand, NULL);
}

static int pin_bounds(struct gw *g, struct gw_reply *r, bool end, enum wnode node, const char *key)
{
	char mn[12], mx[12];
	snprintf(mn, sizeof(mn), "%u", g->cfg->pin.min_len);
	snprintf(mx, sizeof(mx), "%u", g->cfg->pin.max_len);
	return say(g, r, end, node, key, "min", mn, "max", mx, NULL);
}

static int ask_amount(struct gw *g, struct wallet_sess *w, struct gw_reply *r, enum wnode node,
		      const char *key)
{
	w->node = node;
	return say(g, r, false, node, key, "currency", g->cfg->currency, NULL);
}

/* An invalid entry: say so and ask again, or end after too many. */
static int bad_entry(struct gw *g, struct wallet_sess *w, struct gw_reply *r, const char *notice,
		     int (*again)(struct gw *, struct wallet_sess *, struct gw_reply *))
{
	if (++w->bad >= WALLET_MAX_BAD)
		return say(g, r, true, w->node, "wallet.too_many_tries", NULL);
	int rc = again(g, w, r);
	if (rc == 0 && notice)
		prefix(g, r, notice);
	return rc;
}

static int ask_recipient(struct gw *g, struct wallet_sess *w, struct gw_reply *r)
{
	w->node = W_SEND_TO;
	return say(g, r, false, W_SEND_TO, "wallet.ask_recipient", NULL);
}

static int ask_agent(struct gw *g, struct wallet_sess *w, struct gw_reply *r)
{
	w->node = W_CASH_AGENT;
	return say(g, r, false, W_CASH_AGENT, "wallet.ask_agent", NULL);
}

static int ask_send_amount(struct gw *g, struct wallet_sess *w, struct gw_reply *r)
{
	return ask_amount(g, w, r, W_SEND_AMOUNT, "wallet.ask_amount");
}

static int ask_cash_amount(struct gw *g, struct wallet_sess *w, struct gw_reply *r)
{
	return ask_amount(g, w, r, W_CASH_AMOUNT, "wallet.ask_amount");
}

static int ask_air_amount(struct gw *g, struct wallet_sess *w, struct gw_reply *r)
{
	return ask_amount(g, w, r, W_AIR_AMOUNT, "wallet.ask_amount");
}

static int ask_air_number(struct gw *g, struct wallet_sess *w, struct gw_reply *r)
{
	w->node = W_AIR_NUMBER;
	return say(g, r, false, W_AIR_NUMBER, "wallet.ask_airtime_number", NULL);
}

static int ask_menu(struct gw *g, struct wallet_sess *w, struct gw_reply *r)
{
	return menu(g, w, r);
}

static int balance_text(struct gw *g, const char *msisdn, char *out, size_t outsz)
{
	struct ledger_account a;
	int rc = ledger_account_get(&g->ledger, msisdn, &a);
	if (rc)
		return rc;
	gw_format_amount(g->cfg, a.balance, out, outsz);
	return 0;
}

/* GW-SIMSWAP / GW-LIMITS refusal screens. */
static int refused(struct gw *g, struct gw_session *s, struct wallet_sess *w, struct gw_reply *r,
		   const char *control, const char *detail)
{
	char amt[40];
	if (!strcmp(control, "GW-SIMSWAP")) {
		char hours[24];
		snprintf(hours, sizeof(hours), "%" PRId64, g->cfg->simswap_cooling_s / 3600);
		return say(g, r, true, w->node, "wallet.simswap", "hours", hours, NULL);
	}
	if (!strcmp(detail, "below-minimum")) {
		gw_format_amount(g->cfg, g->cfg->limits.per_tx_min, amt, sizeof(amt));
		return say(g, r, true, w->node, "wallet.limit_min", "amount", amt, NULL);
	}
	if (!strcmp(detail, "per-transaction")) {
		gw_format_amount(g->cfg, g->cfg->limits.per_tx_max, amt, sizeof(amt));
		return say(g, r, true, w->node, "wallet.limit_max", "amount", amt, NULL);
	}
	if (!strcmp(detail, "daily")) {
		gw_format_amount(g->cfg, g->cfg->limits.daily_max, amt, sizeof(amt));
		return say(g, r, true, w->node, "wallet.limit_daily", "amount", amt, NULL);
	}
	return say(g, r, true, w->node, "wallet.limit_velocity", NULL);
}

/* Amount entered: gates, then the confirmation screen (GW-CONFIRM). */
static int confirm(struct gw *g, struct gw_session *s, struct wallet_sess *w, struct gw_reply *r,
		   enum ledger_xfer_kind kind)
{
	const char *control, *detail;
	int rc = gw_gate_debit(g, s, w->amount, w->fee, &control, &detail);
	if (rc)
		return rc;
	if (control)
		return refused(g, s, w, r, control, detail);
	char amt[40], fee[40];
	gw_format_amount(g->cfg, w->amount, amt, sizeof(amt));
	gw_format_amount(g->cfg, w->fee, fee, sizeof(fee));
	enum wnode node = kind == LEDGER_XFER_P2P	? W_SEND_CONFIRM
			  : kind == LEDGER_XFER_CASHOUT ? W_CASH_CONFIRM
							: W_AIR_CONFIRM;
	const char *key = kind == LEDGER_XFER_P2P	? "wallet.confirm_send"
			  : kind == LEDGER_XFER_CASHOUT ? "wallet.confirm_cashout"
							: "wallet.confirm_airtime";
	w->node = node;
	gw_confirm_show(s, kind, w->cp, w->amount, w->fee);
	gw_audit(g, s, "confirm", get_value_string(wnode_names, node), "shown", NULL, w->cp,
		 w->amount, w->fee, 0);
	return say(g, r, false, node, key, "amount", amt, "fee", fee, "name", w->cp_name, "number",
		   w->cp_number, NULL);
}

/* PIN typed on a confirmation screen: verify, then execute exactly what was confirmed. */
static int execute(struct gw *g, struct gw_session *s, struct wallet_sess *w, struct gw_reply *r,
		   enum ledger_xfer_kind kind, const char *in)
{
	if (!strcmp(in, "0")) {
		gw_audit(g, s, "transaction", get_value_string(wnode_names, w->node), "cancelled",
			 NULL, w->cp, w->amount, w->fee, 0);
		return say(g, r, true, w->node, "wallet.cancelled", NULL);
	}
	if (pin_check_format(&g->cfg->pin, in, NULL) == PIN_FORMAT_LENGTH ||
	    pin_check_format(&g->cfg->pin, in, NULL) == PIN_FORMAT_DIGITS) {
		if (++w->bad >= WALLET_MAX_BAD)
			return say(g, r, true, w->node, "wallet.too_many_tries", NULL);
		return pin_bounds(g, r, false, w->node, "wallet.pin_format");
	}
	enum pin_result pr;
	unsigned left;
	int rc = gw_pin_check(g, s, in, &pr, &left);
	if (rc)
		return rc;
	if (pr == PIN_LOCKED || (pr == PIN_WRONG && left == 0))
		return say(g, r, true, w->node, "wallet.pin_locked", NULL);
	if (pr != PIN_OK) {
		char l[12];
		snprintf(l, sizeof(l), "%u", left);
		return say(g, r, false, w->node, "wallet.pin_wrong", "left", l, NULL);
	}
	struct ledger_transfer_res res;
	const char *control = NULL;
	rc = gw_execute_transfer(g, s, kind, w->cp, w->amount, w->fee, &res, &control);
	char amt[40], fee[40], bal[40], ref[24];
	if (rc == -ERANGE) {
		if (balance_text(g, s->msisdn, bal, sizeof(bal)))
			bal[0] = 0;
		return say(g, r, true, w->node, "wallet.insufficient", "balance", bal, NULL);
	}
	if (rc == -EPERM && control)
		return refused(g, s, w, r, control, "");
	if (rc)
		return say(g, r, true, w->node, "wallet.error", NULL);
	gw_format_amount(g->cfg, w->amount, amt, sizeof(amt));
	gw_format_amount(g->cfg, w->fee, fee, sizeof(fee));
	gw_format_amount(g->cfg, res.debit_balance, bal, sizeof(bal));
	snprintf(ref, sizeof(ref), "%" PRId64, res.id);
	const char *key = kind == LEDGER_XFER_P2P	? "wallet.sent"
			  : kind == LEDGER_XFER_CASHOUT ? "wallet.cashout_done"
							: "wallet.airtime_done";
	return say(g, r, true, w->node, key, "amount", amt, "fee", fee, "name", w->cp_name, "number",
		   w->cp_number, "balance", bal, "ref", ref, NULL);
}

/* A PIN-only step (balance, statement, old PIN): returns 1 when verified, 0 with a reply. */
static int pin_step(struct gw *g, struct gw_session *s, struct wallet_sess *w, struct gw_reply *r,
		    const char *in, int *rcp)
{
	*rcp = 0;
	enum pin_format f = pin_check_format(&g->cfg->pin, in, NULL);
	if (f == PIN_FORMAT_LENGTH || f == PIN_FORMAT_DIGITS) {
		if (++w->bad >= WALLET_MAX_BAD)
			*rcp = say(g, r, true, w->node, "wallet.too_many_tries", NULL);
		else
			*rcp = pin_bounds(g, r, false, w->node, "wallet.pin_format");
		return 0;
	}
	enum pin_result pr;
	unsigned left;
	int rc = gw_pin_check(g, s, in, &pr, &left);
	if (rc) {
		*rcp = rc;
		return 0;
	}
	if (pr == PIN_OK)
		return 1;
	if (pr == PIN_LOCKED || left == 0) {
		*rcp = say(g, r, true, w->node, "wallet.pin_locked", NULL);
	} else {
		char l[12];
		snprintf(l, sizeof(l), "%u", left);
		*rcp = say(g, r, false, w->node, "wallet.pin_wrong", "left", l, NULL);
	}
	return 0;
}

static int statement(struct gw *g, struct gw_session *s, struct wallet_sess *w, struct gw_reply *r)
{
	struct ledger_stmt_line lines[WALLET_STMT_LINES];
	unsigned n;
	int rc = ledger_statement(&g->ledger, s->msisdn, lines, WALLET_STMT_LINES, &n);
	if (rc)
		return rc;
	if (n == 0)
		return say(g, r, true, W_STMT_PIN, "wallet.statement_empty", NULL);
	char bal[40];
	if ((rc = balance_text(g, s->msisdn, bal, sizeof(bal))))
		return rc;
	size_t o = 0;
	int k = msgcat_format(g->msgs, "wallet.statement_head", r->text, sizeof(r->text), "balance",
			      bal, NULL);
	if (k < 0)
		return k;
	o = (size_t)k;
	for (unsigned i = 0; i < n; i++) {
		char amt[40], ref[24], when[24], line[256];
		gw_format_amount(g->cfg, lines[i].amount < 0 ? -lines[i].amount : lines[i].amount,
				 amt, sizeof(amt));
		snprintf(ref, sizeof(ref), "%" PRId64, lines[i].id);
		time_t t = (time_t)lines[i].created;
		struct tm tm;
		gmtime_r(&t, &tm);
		snprintf(when, sizeof(when), "%02d/%02d", tm.tm_mday, tm.tm_mon + 1);
		/* agent and system accounts show by their number, customers by theirs */
		const char *cp = lines[i].counterparty;
		if (!strncmp(cp, "agent:", 6))
			cp += 6;
		k = msgcat_format(g->msgs, lines[i].amount < 0 ? "wallet.stmt_out" : "wallet.stmt_in",
				  line, sizeof(line), "ref", ref, "date", when, "amount", amt,
				  "party", cp, "kind",
				  get_value_string(ledger_xfer_kind_names, lines[i].kind), NULL);
		if (k < 0 || o + (size_t)k + 2 >= sizeof(r->text))
			break;
		r->text[o++] = '\n';
		memcpy(r->text + o, line, (size_t)k + 1);
		o += (size_t)k;
	}
	r->end = true;
	r->node = "statement";
	(void)w;
	return 0;
}

/* --- the state machine --- */

static int wallet_begin(struct gw *g, struct gw_session *s, struct gw_reply *r)
{
	struct wallet_sess *w = sodium_malloc(sizeof(*w));
	if (!w)
		return -ENOMEM;
	memset(w, 0, sizeof(*w));
	s->app_state = w;
	struct name_row u;
	int rc = wallet_user(g->db, s->msisdn, &u);
	if (rc)
		return rc;
	if (!u.seen) {
		w->node = W_UNREG;
		return say(g, r, false, W_UNREG, "wallet.welcome_unregistered", "brand",
			   g->cfg->brand, NULL);
	}
	snprintf(w->name, sizeof(w->name), "%s", u.name);
	return menu(g, w, r);
}

static int on_menu(struct gw *g, struct gw_session *s, struct wallet_sess *w, const char *in,
		   struct gw_reply *r)
{
	bool cooling;
	int rc;
	if (strlen(in) == 1 && strchr("0123456", in[0]))
		w->bad = 0;
	if (!strcmp(in, "1"))
		return ask_recipient(g, w, r);
	if (!strcmp(in, "2"))
		return ask_agent(g, w, r);
	if (!strcmp(in, "3")) {
		w->node = W_AIR_WHO;
		return say(g, r, false, W_AIR_WHO, "wallet.airtime_who", NULL);
	}
	if (!strcmp(in, "4")) {
		w->node = W_BAL_PIN;
		return say(g, r, false, W_BAL_PIN, "wallet.ask_pin", NULL);
	}
	if (!strcmp(in, "5")) {
		w->node = W_STMT_PIN;
		return say(g, r, false, W_STMT_PIN, "wallet.ask_pin", NULL);
	}
	if (!strcmp(in, "6")) {
		/* GW-SIMSWAP: no PIN change right after a SIM change */
		if ((rc = gw_gate_simswap(g, s, &cooling)))
			return rc;
		if (cooling)
			return refused(g, s, w, r, "GW-SIMSWAP", "");
		w->node = W_CHG_OLD;
		return say(g, r, false, W_CHG_OLD, "wallet.ask_old_pin", NULL);
	}
	if (!strcmp(in, "0"))
		return say(g, r, true, W_MENU, "wallet.bye", "brand", g->cfg->brand, NULL);
	return bad_entry(g, w, r, "wallet.invalid_choice", ask_menu);
}

/* A typed number to a customer wallet (send) or an agent till (cash-out). */
static int pick_counterparty(struct gw *g, struct gw_session *s, struct wallet_sess *w,
			     const char *in, struct gw_reply *r, bool agent)
{
	struct name_row n;
	char num[20];
	int rc;
	if (agent) {
		if (strlen(in) < 1 || strlen(in) > 10)
			return bad_entry(g, w, r, "wallet.invalid_number", ask_agent);
		snprintf(w->cp, sizeof(w->cp), "agent:%s", in);
		rc = query_name(g->db, "SELECT name FROM accounts WHERE id = ?1 AND kind = 'agent'",
				w->cp, &n);
		if (rc)
			return rc;
		if (!n.seen) {
			if (++w->bad >= WALLET_MAX_BAD)
				return say(g, r, true, W_CASH_AGENT, "wallet.too_many_tries", NULL);
			return say(g, r, false, W_CASH_AGENT, "wallet.agent_unknown", "number", in,
				   NULL);
		}
		snprintf(w->cp_number, sizeof(w->cp_number), "%s", in);
	} else {
		if (gw_normalize_msisdn(g->cfg, in, num, sizeof(num)))
			return bad_entry(g, w, r, "wallet.invalid_number", ask_recipient);
		if (!strcmp(num, s->msisdn))
			return bad_entry(g, w, r, "wallet.recipient_self", ask_recipient);
		if ((rc = wallet_user(g->db, num, &n)))
			return rc;
		if (!n.seen) {
			if (++w->bad >= WALLET_MAX_BAD)
				return say(g, r, true, W_SEND_TO, "wallet.too_many_tries", NULL);
			return say(g, r, false, W_SEND_TO, "wallet.recipient_unknown", "number", num,
				   NULL);
		}
		snprintf(w->cp, sizeof(w->cp), "%s", num);
		snprintf(w->cp_number, sizeof(w->cp_number), "%s", num);
	}
	snprintf(w->cp_name, sizeof(w->cp_name), "%s", n.name);
	w->bad = 0;
	return agent ? ask_cash_amount(g, w, r) : ask_send_amount(g, w, r);
}

static int take_amount(struct gw *g, struct gw_session *s, struct wallet_sess *w, const char *in,
		       struct gw_reply *r, enum ledger_xfer_kind kind)
{
	int (*again)(struct gw *, struct wallet_sess *, struct gw_reply *) =
		kind == LEDGER_XFER_P2P ? ask_send_amount
		: kind == LEDGER_XFER_CASHOUT ? ask_cash_amount : ask_air_amount;
	if (gw_parse_amount(g->cfg, in, &w->amount))
		return bad_entry(g, w, r, "wallet.amount_invalid", again);
	w->fee = kind == LEDGER_XFER_P2P ? gw_fee(g->cfg->p2p_fees, g->cfg->n_p2p_fees, w->amount)
		 : kind == LEDGER_XFER_CASHOUT
			 ? gw_fee(g->cfg->cashout_fees, g->cfg->n_cashout_fees, w->amount)
			 : 0;
	return confirm(g, s, w, r, kind);
}

/* New PIN entered (registration or change): format rules, then hash it for the second entry. */
static int new_pin(struct gw *g, struct gw_session *s, struct wallet_sess *w, const char *in,
		   struct gw_reply *r, enum wnode again_node, enum wnode next)
{
	enum pin_format f = pin_check_format(&g->cfg->pin, in, s->msisdn);
	if (f != PIN_FORMAT_OK) {
		if (++w->bad >= WALLET_MAX_BAD)
			return say(g, r, true, w->node, "wallet.too_many_tries", NULL);
		return pin_bounds(g, r, false, again_node,
				  f == PIN_FORMAT_WEAK ? "wallet.pin_weak" : "wallet.pin_format");
	}
	if (pin_hash(&g->cfg->pin, in, w->pin_hash))
		return -ENOMEM;
	w->node = next;
	return say(g, r, false, next, "wallet.pin_again", NULL);
}

static int wallet_input(struct gw *g, struct gw_session *s, const char *in, struct gw_reply *r)
{
	struct wallet_sess *w = s->app_state;
	int rc = 0;
	if (!w)
		return -EINVAL;
	switch (w->node) {
	case W_UNREG: {
		if (!strcmp(in, "0"))
			return say(g, r, true, W_UNREG, "wallet.bye", "brand", g->cfg->brand, NULL);
		if (strcmp(in, "1"))
			return say(g, r, true, W_UNREG, "wallet.bye", "brand", g->cfg->brand, NULL);
		struct name_row k;
		if ((rc = query_name(g->db, "SELECT name FROM kyc WHERE msisdn = ?1", s->msisdn, &k)))
			return rc;
		if (!k.seen)
			return say(g, r, true, W_UNREG, "wallet.not_kyc", NULL);
		snprintf(w->name, sizeof(w->name), "%s", k.name);
		w->node = W_REG_PIN;
		return pin_bounds(g, r, false, W_REG_PIN, "wallet.reg_pin");
	}
	case W_REG_PIN:
		return new_pin(g, s, w, in, r, W_REG_PIN, W_REG_PIN2);
	case W_REG_PIN2:
		if (!pin_matches(w->pin_hash, in)) {
			sodium_memzero(w->pin_hash, sizeof(w->pin_hash));
			return say(g, r, true, W_REG_PIN2, "wallet.pin_mismatch", NULL);
		}
		rc = wallet_register(g->db, s->msisdn, w->name, s->imsi, w->pin_hash, gw_now_s(g));
		sodium_memzero(w->pin_hash, sizeof(w->pin_hash));
		if (rc)
			return say(g, r, true, W_REG_PIN2, "wallet.error", NULL);
		gw_audit(g, s, "register", "register", "registered", NULL, NULL, -1, -1, 0);
		return say(g, r, true, W_REG_PIN2, "wallet.registered", "name", w->name, "brand",
			   g->cfg->brand, NULL);
	case W_MENU:
		return on_menu(g, s, w, in, r);
	case W_SEND_TO:
		return pick_counterparty(g, s, w, in, r, false);
	case W_SEND_AMOUNT:
		return take_amount(g, s, w, in, r, LEDGER_XFER_P2P);
	case W_SEND_CONFIRM:
		return execute(g, s, w, r, LEDGER_XFER_P2P, in);
	case W_CASH_AGENT:
		return pick_counterparty(g, s, w, in, r, true);
	case W_CASH_AMOUNT:
		return take_amount(g, s, w, in, r, LEDGER_XFER_CASHOUT);
	case W_CASH_CONFIRM:
		return execute(g, s, w, r, LEDGER_XFER_CASHOUT, in);
	case W_AIR_WHO:
		snprintf(w->cp, sizeof(w->cp), "%s", g->cfg->airtime_account);
		snprintf(w->cp_name, sizeof(w->cp_name), "%s", "airtime");
		if (!strcmp(in, "1")) {
			snprintf(w->cp_number, sizeof(w->cp_number), "%s", s->msisdn);
			return ask_air_amount(g, w, r);
		}
		if (!strcmp(in, "2"))
			return ask_air_number(g, w, r);
		return say(g, r, true, W_AIR_WHO, "wallet.bye", "brand", g->cfg->brand, NULL);
	case W_AIR_NUMBER: {
		char num[20];
		if (gw_normalize_msisdn(g->cfg, in, num, sizeof(num)))
			return bad_entry(g, w, r, "wallet.invalid_number", ask_air_number);
		snprintf(w->cp_number, sizeof(w->cp_number), "%s", num);
		return ask_air_amount(g, w, r);
	}
	case W_AIR_AMOUNT:
		return take_amount(g, s, w, in, r, LEDGER_XFER_AIRTIME);
	case W_AIR_CONFIRM:
		return execute(g, s, w, r, LEDGER_XFER_AIRTIME, in);
	case W_BAL_PIN:
		if (pin_step(g, s, w, r, in, &rc)) {
			char bal[40];
			if ((rc = balance_text(g, s->msisdn, bal, sizeof(bal))))
				return rc;
			gw_audit(g, s, "balance", "balance", "shown", NULL, NULL, -1, -1, 0);
			return say(g, r, true, W_BAL_PIN, "wallet.balance", "balance", bal, NULL);
		}
		return rc;
	case W_STMT_PIN:
		if (pin_step(g, s, w, r, in, &rc)) {
			gw_audit(g, s, "statement", "statement", "shown", NULL, NULL, -1, -1, 0);
			return statement(g, s, w, r);
		}
		return rc;
	case W_CHG_OLD:
		if (pin_step(g, s, w, r, in, &rc)) {
			w->node = W_CHG_NEW;
			return pin_bounds(g, r, false, W_CHG_NEW, "wallet.ask_new_pin");
		}
		return rc;
	case W_CHG_NEW:
		return new_pin(g, s, w, in, r, W_CHG_NEW, W_CHG_NEW2);
	case W_CHG_NEW2: {
		bool cooling;
		if (!pin_matches(w->pin_hash, in)) {
			sodium_memzero(w->pin_hash, sizeof(w->pin_hash));
			return say(g, r, true, W_CHG_NEW2, "wallet.pin_mismatch", NULL);
		}
		if ((rc = gw_gate_simswap(g, s, &cooling)) == 0 && cooling)
			return refused(g, s, w, r, "GW-SIMSWAP", "");
		if (rc == 0)
			rc = pin_store(g->db, s->msisdn, w->pin_hash);
		sodium_memzero(w->pin_hash, sizeof(w->pin_hash));
		if (rc)
			return say(g, r, true, W_CHG_NEW2, "wallet.error", NULL);
		gw_audit(g, s, "pin-change", "pin.new2", "changed", NULL, NULL, -1, -1, 0);
		return say(g, r, true, W_CHG_NEW2, "wallet.pin_changed", NULL);
	}
	}
	return -EINVAL;
}

static void wallet_finish(struct gw *g, struct gw_session *s, enum gw_end_reason why)
{
	struct wallet_sess *w = s->app_state;
	if (!w)
		return;
	/* GW-TIMEOUT: a confirmation never completed is void; nothing was posted for it */
	if (s->confirm.shown && why != GW_END_NORMAL)
		gw_audit(g, s, "transaction", get_value_string(wnode_names, w->node), "voided",
			 get_value_string(gw_end_reason_names, why), w->cp, w->amount, w->fee, 0);
	sodium_free(w); /* zeroes the PIN hash and everything else */
}

const struct gw_app_ops wallet_app = {
	.begin = wallet_begin,
	.input = wallet_input,
	.finish = wallet_finish,
};
