/* udb driver for SQLite: WAL journal, busy timeout, STRICT tables, triggers that keep the
 * ledger double-entry (see ledger.h for the rules they enforce). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "udb_driver.h"

/* Ledger rules, enforced by the database whatever the code above it does:
 *  - balance_nonneg: an account without allow_negative never goes below zero;
 *  - entries only for a pending transfer, never updated or deleted;
 *  - a transfer is posted only when its entries match its header (debit -(amount+fee),
 *    credit +amount, fee account +fee) and sum to zero; posting applies them to balances;
 *  - a posted or void transfer is final; transfers are never deleted. */
static const char sqlite_schema[] =
	"PRAGMA foreign_keys=ON;"
	"CREATE TABLE IF NOT EXISTS accounts ("
	" id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 32),"
	" name TEXT NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('customer','agent','system')),"
	" allow_negative INTEGER NOT NULL DEFAULT 0 CHECK (allow_negative IN (0,1)),"
	" balance INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL,"
	" CONSTRAINT balance_nonneg CHECK (allow_negative = 1 OR balance >= 0)"
	") STRICT;"
	"CREATE TABLE IF NOT EXISTS transfers ("
	" id INTEGER PRIMARY KEY,"
	" idem_key TEXT NOT NULL UNIQUE CHECK (length(idem_key) BETWEEN 1 AND 128),"
	" kind TEXT NOT NULL,"
	" debit TEXT NOT NULL REFERENCES accounts(id),"
	" credit TEXT NOT NULL REFERENCES accounts(id),"
	" amount INTEGER NOT NULL CHECK (amount > 0 AND amount <= 1000000000000000),"
	" fee INTEGER NOT NULL DEFAULT 0 CHECK (fee >= 0 AND fee <= 1000000000000000),"
	" fee_account TEXT REFERENCES accounts(id),"
	" memo TEXT NOT NULL DEFAULT '',"
	" created INTEGER NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','posted','void')),"
	" CHECK (debit <> credit),"
	" CHECK ((fee = 0 AND fee_account IS NULL) OR"
	"        (fee > 0 AND fee_account IS NOT NULL AND fee_account <> debit"
	"         AND fee_account <> credit))"
	") STRICT;"
	"CREATE INDEX IF NOT EXISTS transfers_debit ON transfers(debit, created);"
	"CREATE INDEX IF NOT EXISTS transfers_credit ON transfers(credit, created);"
	"CREATE TABLE IF NOT EXISTS entries ("
	" transfer_id INTEGER NOT NULL REFERENCES transfers(id),"
	" account TEXT NOT NULL REFERENCES accounts(id),"
	" amount INTEGER NOT NULL CHECK (amount <> 0),"
	" PRIMARY KEY (transfer_id, account)"
	") STRICT;"
	"CREATE INDEX IF NOT EXISTS entries_account ON entries(account);"
	"CREATE TRIGGER IF NOT EXISTS entries_only_pending BEFORE INSERT ON entries"
	" WHEN (SELECT status FROM transfers WHERE id = NEW.transfer_id) IS NOT 'pending'"
	" BEGIN SELECT RAISE(ABORT, 'ledger: entry for a transfer that is not pending'); END;"
	"CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries"
	" BEGIN SELECT RAISE(ABORT, 'ledger: entries are append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries"
	" BEGIN SELECT RAISE(ABORT, 'ledger: entries are append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS transfers_no_delete BEFORE DELETE ON transfers"
	" BEGIN SELECT RAISE(ABORT, 'ledger: transfers are never deleted'); END;"
	"CREATE TRIGGER IF NOT EXISTS transfers_final BEFORE UPDATE ON transfers"
	" WHEN OLD.status <> 'pending' OR NEW.id <> OLD.id OR NEW.idem_key <> OLD.idem_key"
	"  OR NEW.kind <> OLD.kind OR NEW.debit <> OLD.debit OR NEW.credit <> OLD.credit"
	"  OR NEW.amount <> OLD.amount OR NEW.fee <> OLD.fee"
	"  OR NEW.fee_account IS NOT OLD.fee_account OR NEW.created <> OLD.created"
	" BEGIN SELECT RAISE(ABORT, 'ledger: a transfer is final once posted or void'); END;"
	"CREATE TRIGGER IF NOT EXISTS transfers_balanced BEFORE UPDATE OF status ON transfers"
	" WHEN NEW.status = 'posted' AND ("
	"  (SELECT count(*) FROM entries WHERE transfer_id = NEW.id) <> 2 + (NEW.fee > 0)"
	"  OR (SELECT coalesce(sum(amount), 1) FROM entries WHERE transfer_id = NEW.id) <> 0"
	"  OR (SELECT amount FROM entries WHERE transfer_id = NEW.id AND account = NEW.debit)"
	"     IS NOT -(NEW.amount + NEW.fee)"
	"  OR (SELECT amount FROM entries WHERE transfer_id = NEW.id AND account = NEW.credit)"
	"     IS NOT NEW.amount)"
	" BEGIN SELECT RAISE(ABORT, 'ledger: unbalanced transfer'); END;"
	"CREATE TRIGGER IF NOT EXISTS transfers_apply AFTER UPDATE OF status ON transfers"
	" WHEN NEW.status = 'posted'"
	" BEGIN UPDATE accounts SET balance = balance + (SELECT e.amount FROM entries e"
	"   WHERE e.transfer_id = NEW.id AND e.account = accounts.id)"
	"  WHERE id IN (SELECT account FROM entries WHERE transfer_id = NEW.id); END;"
	"CREATE TABLE IF NOT EXISTS wallet_users ("
	" msisdn TEXT PRIMARY KEY REFERENCES accounts(id),"
	" imsi TEXT NOT NULL DEFAULT '',"
	" pin_hash TEXT NOT NULL,"
	" pin_fail INTEGER NOT NULL DEFAULT 0,"
	" locked_until INTEGER NOT NULL DEFAULT 0,"
	" registered INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE IF NOT EXISTS subscribers ("
	" msisdn TEXT PRIMARY KEY,"
	" imsi TEXT NOT NULL,"
	" swapped_at INTEGER NOT NULL DEFAULT 0,"
	" updated INTEGER NOT NULL"
	") STRICT;"
	"CREATE TABLE IF NOT EXISTS sim_swap_events ("
	" id INTEGER PRIMARY KEY,"
	" msisdn TEXT NOT NULL,"
	" old_imsi TEXT NOT NULL,"
	" new_imsi TEXT NOT NULL,"
	" at INTEGER NOT NULL,"
	" source TEXT NOT NULL"
	") STRICT;"
	"CREATE INDEX IF NOT EXISTS sim_swap_events_msisdn ON sim_swap_events(msisdn, at);"
	"CREATE TABLE IF NOT EXISTS kyc ("
	" msisdn TEXT PRIMARY KEY,"
	" name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),"
	" updated INTEGER NOT NULL) STRICT;";

static void set_err(struct udb_conn *c, sqlite3 *h)
{
	snprintf(c->errmsg, sizeof(c->errmsg), "%s", sqlite3_errmsg(h));
}

static int sqlite_connect(struct udb_conn *c, const struct udb_config *cfg, char *err,
			  size_t errsz)
{
	sqlite3 *h = NULL;
	int rc = sqlite3_open_v2(cfg->sqlite_path, &h,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errsz, "sqlite: %s: %s", cfg->sqlite_path,
			 h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
		sqlite3_close(h);
		return -EIO;
	}
	c->h = h;
	sqlite3_busy_timeout(h, 10000);
	sqlite3_extended_result_codes(h, 1);
	/* WAL: readers never block the writer; synchronous=FULL: a COMMIT that returned is on
	 * disk, which the crash-consistency test relies on. */
	const char *pragmas = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			      "PRAGMA foreign_keys=ON;";
	char *msg = NULL;
	if (sqlite3_exec(h, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errsz, "sqlite: %s: %s", cfg->sqlite_path, msg ? msg : "pragma");
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static void sqlite_disconnect(struct udb_conn *c)
{
	sqlite3_close_v2(c->h);
	c->h = NULL;
}

static int map_rc(struct udb_conn *c, int rc)
{
	sqlite3 *h = c->h;
	switch (rc) {
	case SQLITE_CONSTRAINT_UNIQUE:
	case SQLITE_CONSTRAINT_PRIMARYKEY:
		return udb_classify_constraint(c, sqlite3_errmsg(h), false, true, false);
	case SQLITE_CONSTRAINT_CHECK:
		return udb_classify_constraint(c, sqlite3_errmsg(h), true, false, false);
	case SQLITE_CONSTRAINT_TRIGGER:
		return udb_classify_constraint(c, sqlite3_errmsg(h), false, false, true);
	case SQLITE_BUSY:
	case SQLITE_BUSY_SNAPSHOT:
	case SQLITE_LOCKED:
		set_err(c, h);
		return -EAGAIN;
	default:
		set_err(c, h);
		if ((rc & 0xff) == SQLITE_CONSTRAINT)
			return -EINVAL;
		return -EIO;
	}
}

static int sqlite_exec(struct udb_conn *c, const char *sql, const struct udb_val *params,
		       unsigned nparams, udb_row_cb cb, void *ud)
{
	sqlite3 *h = c->h;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return map_rc(c, sqlite3_extended_errcode(h));
	for (unsigned i = 0; i < nparams; i++) {
		int b;
		switch (params[i].type) {
		case UDB_T_INT:
			b = sqlite3_bind_int64(st, (int)i + 1, params[i].i);
			break;
		case UDB_T_TEXT:
			b = params[i].s ? sqlite3_bind_text(st, (int)i + 1, params[i].s, -1,
							    SQLITE_STATIC)
					: sqlite3_bind_null(st, (int)i + 1);
			break;
		default:
			b = sqlite3_bind_null(st, (int)i + 1);
		}
		if (b != SQLITE_OK) {
			set_err(c, h);
			sqlite3_finalize(st);
			return -EINVAL;
		}
	}
	int ret = 0;
	for (;;) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			ret = map_rc(c, sqlite3_extended_errcode(h));
			break;
		}
		if (!cb)
			continue;
		int n = sqlite3_column_count(st);
		const char *cols[32];
		if (n > 32)
			n = 32;
		for (int i = 0; i < n; i++)
			cols[i] = (const char *)sqlite3_column_text(st, i);
		if (cb(ud, n, cols)) {
			/* caller has what it wants; finish the statement so writes complete */
			while ((rc = sqlite3_step(st)) == SQLITE_ROW)
				;
			if (rc != SQLITE_DONE)
				ret = map_rc(c, sqlite3_extended_errcode(h));
			break;
		}
	}
	sqlite3_finalize(st);
	return ret;
}

static int sqlite_exec_script(struct udb_conn *c, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(c->h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		snprintf(c->errmsg, sizeof(c->errmsg), "%s", msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

const struct udb_driver udb_sqlite_driver = {
	.connect = sqlite_connect,
	.disconnect = sqlite_disconnect,
	.exec = sqlite_exec,
	.schema = sqlite_schema,
	.exec_script = sqlite_exec_script,
	.begin_sql = "BEGIN IMMEDIATE",
};
