/* udb driver for PostgreSQL through libpq. The schema enforces the same ledger rules as the
 * SQLite one (udb_sqlite.c), written as PL/pgSQL triggers. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "udb_driver.h"

/* Serialised by an advisory lock so that several pools starting at once do not race on
 * CREATE ... IF NOT EXISTS (which is not concurrency-safe in PostgreSQL). */
static const char pgsql_schema[] =
	"SELECT pg_advisory_lock(7314159);"
	"SET client_min_messages = warning;"
	"CREATE TABLE IF NOT EXISTS accounts ("
	" id TEXT PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 32),"
	" name TEXT NOT NULL,"
	" kind TEXT NOT NULL CHECK (kind IN ('customer','agent','system')),"
	" allow_negative INTEGER NOT NULL DEFAULT 0 CHECK (allow_negative IN (0,1)),"
	" balance BIGINT NOT NULL DEFAULT 0,"
	" created BIGINT NOT NULL,"
	" CONSTRAINT balance_nonneg CHECK (allow_negative = 1 OR balance >= 0));"
	"CREATE TABLE IF NOT EXISTS transfers ("
	" id BIGSERIAL PRIMARY KEY,"
	" idem_key TEXT NOT NULL UNIQUE CHECK (length(idem_key) BETWEEN 1 AND 128),"
	" kind TEXT NOT NULL,"
	" debit TEXT NOT NULL REFERENCES accounts(id),"
	" credit TEXT NOT NULL REFERENCES accounts(id),"
	" amount BIGINT NOT NULL CHECK (amount > 0 AND amount <= 1000000000000000),"
	" fee BIGINT NOT NULL DEFAULT 0 CHECK (fee >= 0 AND fee <= 1000000000000000),"
	" fee_account TEXT REFERENCES accounts(id),"
	" memo TEXT NOT NULL DEFAULT '',"
	" created BIGINT NOT NULL,"
	" status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','posted','void')),"
	" CHECK (debit <> credit),"
	" CHECK ((fee = 0 AND fee_account IS NULL) OR"
	"        (fee > 0 AND fee_account IS NOT NULL AND fee_account <> debit"
	"         AND fee_account <> credit)));"
	"CREATE INDEX IF NOT EXISTS transfers_debit ON transfers(debit, created);"
	"CREATE INDEX IF NOT EXISTS transfers_credit ON transfers(credit, created);"
	"CREATE TABLE IF NOT EXISTS entries ("
	" transfer_id BIGINT NOT NULL REFERENCES transfers(id),"
	" account TEXT NOT NULL REFERENCES accounts(id),"
	" amount BIGINT NOT NULL CHECK (amount <> 0),"
	" PRIMARY KEY (transfer_id, account));"
	"CREATE INDEX IF NOT EXISTS entries_account ON entries(account);"
	"CREATE OR REPLACE FUNCTION ledger_entries_guard() RETURNS trigger LANGUAGE plpgsql AS $$"
	"BEGIN"
	" IF TG_OP <> 'INSERT' THEN RAISE EXCEPTION 'ledger: entries are append-only'; END IF;"
	" IF (SELECT status FROM transfers WHERE id = NEW.transfer_id) IS DISTINCT FROM 'pending'"
	" THEN RAISE EXCEPTION 'ledger: entry for a transfer that is not pending'; END IF;"
	" RETURN NEW;"
	"END $$;"
	"CREATE OR REPLACE FUNCTION ledger_transfers_guard() RETURNS trigger LANGUAGE plpgsql AS $$"
	"DECLARE n INTEGER; s BIGINT; d BIGINT; c BIGINT;"
	"BEGIN"
	" IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'ledger: transfers are never deleted'; END IF;"
	" IF OLD.status <> 'pending' OR NEW.id <> OLD.id OR NEW.idem_key <> OLD.idem_key"
	"  OR NEW.kind <> OLD.kind OR NEW.debit <> OLD.debit OR NEW.credit <> OLD.credit"
	"  OR NEW.amount <> OLD.amount OR NEW.fee <> OLD.fee"
	"  OR NEW.fee_account IS DISTINCT FROM OLD.fee_account OR NEW.created <> OLD.created"
	" THEN RAISE EXCEPTION 'ledger: a transfer is final once posted or void'; END IF;"
	" IF NEW.status = 'posted' THEN"
	"  SELECT count(*), coalesce(sum(amount), 1) INTO n, s FROM entries"
	"   WHERE transfer_id = NEW.id;"
	"  SELECT amount INTO d FROM entries WHERE transfer_id = NEW.id AND account = NEW.debit;"
	"  SELECT amount INTO c FROM entries WHERE transfer_id = NEW.id AND account = NEW.credit;"
	"  IF n <> 2 + (NEW.fee > 0)::int OR s <> 0 OR d IS DISTINCT FROM -(NEW.amount + NEW.fee)"
	"   OR c IS DISTINCT FROM NEW.amount"
	"  THEN RAISE EXCEPTION 'ledger: unbalanced transfer'; END IF;"
	"  UPDATE accounts a SET balance = a.balance + e.amount FROM entries e"
	"   WHERE e.transfer_id = NEW.id AND e.account = a.id;"
	" END IF;"
	" RETURN NEW;"
	"END $$;"
	"DROP TRIGGER IF EXISTS entries_guard ON entries;"
	"CREATE TRIGGER entries_guard BEFORE INSERT OR UPDATE OR DELETE ON entries"
	" FOR EACH ROW EXECUTE FUNCTION ledger_entries_guard();"
	"DROP TRIGGER IF EXISTS transfers_guard ON transfers;"
	"CREATE TRIGGER transfers_guard BEFORE UPDATE OR DELETE ON transfers"
	" FOR EACH ROW EXECUTE FUNCTION ledger_transfers_guard();"
	"CREATE TABLE IF NOT EXISTS wallet_users ("
	" msisdn TEXT PRIMARY KEY REFERENCES accounts(id),"
	" imsi TEXT NOT NULL DEFAULT '',"
	" pin_hash TEXT NOT NULL,"
	" pin_fail INTEGER NOT NULL DEFAULT 0,"
	" locked_until BIGINT NOT NULL DEFAULT 0,"
	" registered BIGINT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS subscribers ("
	" msisdn TEXT PRIMARY KEY,"
	" imsi TEXT NOT NULL,"
	" swapped_at BIGINT NOT NULL DEFAULT 0,"
	" updated BIGINT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS sim_swap_events ("
	" id BIGSERIAL PRIMARY KEY,"
	" msisdn TEXT NOT NULL,"
	" old_imsi TEXT NOT NULL,"
	" new_imsi TEXT NOT NULL,"
	" at BIGINT NOT NULL,"
	" source TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS sim_swap_events_msisdn ON sim_swap_events(msisdn, at);"
	"CREATE TABLE IF NOT EXISTS kyc ("
	" msisdn TEXT PRIMARY KEY,"
	" name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),"
	" updated BIGINT NOT NULL);"
	"SELECT pg_advisory_unlock(7314159);";

static int pg_connect(struct udb_conn *c, const struct udb_config *cfg, char *err, size_t errsz)
{
	PGconn *h = PQconnectdb(cfg->pg_conninfo);
	if (!h) {
		snprintf(err, errsz, "postgresql: out of memory");
		return -ENOMEM;
	}
	c->h = h;
	if (PQstatus(h) != CONNECTION_OK) {
		/* the message may quote the connection string's host, never its password */
		snprintf(err, errsz, "postgresql: %s", PQerrorMessage(h));
		size_t l = strlen(err);
		while (l && (err[l - 1] == '\n' || err[l - 1] == ' '))
			err[--l] = 0;
		return -EIO;
	}
	return 0;
}

static void pg_disconnect(struct udb_conn *c)
{
	PQfinish(c->h);
	c->h = NULL;
}

static void trim_copy(char *dst, size_t dstsz, const char *src)
{
	snprintf(dst, dstsz, "%s", src ? src : "");
	size_t l = strlen(dst);
	while (l && (dst[l - 1] == '\n' || dst[l - 1] == ' '))
		dst[--l] = 0;
}

static int map_result(struct udb_conn *c, PGresult *r)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *cons = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
	char full[UDB_ERRMSG_MAX];

	if (!msg)
		msg = PQerrorMessage(c->h);
	if (cons)
		snprintf(full, sizeof(full), "%s (%s)", msg, cons);
	else
		trim_copy(full, sizeof(full), msg);
	if (state && !strcmp(state, "23505"))
		return udb_classify_constraint(c, full, false, true, false);
	if (state && !strcmp(state, "23514"))
		return udb_classify_constraint(c, full, true, false, false);
	if (state && !strcmp(state, "P0001"))
		return udb_classify_constraint(c, full, false, false, true);
	trim_copy(c->errmsg, sizeof(c->errmsg), full);
	if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01") ||
		      !strcmp(state, "55P03")))
		return -EAGAIN;
	if (state && !strncmp(state, "23", 2))
		return -EINVAL;
	return -EIO;
}

/* ?N placeholders become $N; the SQL in this project has no '?' inside literals. */
static char *pg_sql(const char *sql)
{
	char *s = strdup(sql);
	if (!s)
		return NULL;
	for (char *p = s; *p; p++)
		if (*p == '?')
			*p = '$';
	return s;
}

static int pg_exec(struct udb_conn *c, const char *sql, const struct udb_val *params,
		   unsigned nparams, udb_row_cb cb, void *ud)
{
	PGconn *h = c->h;
	if (PQstatus(h) != CONNECTION_OK) {
		if (c->in_txn) {
			snprintf(c->errmsg, sizeof(c->errmsg), "connection lost in a transaction");
			return -EIO;
		}
		PQreset(h);
		if (PQstatus(h) != CONNECTION_OK) {
			trim_copy(c->errmsg, sizeof(c->errmsg), PQerrorMessage(h));
			return -EIO;
		}
	}
	char ibuf[32][24];
	const char *vals[32];
	if (nparams > 32) {
		snprintf(c->errmsg, sizeof(c->errmsg), "too many parameters");
		return -EINVAL;
	}
	for (unsigned i = 0; i < nparams; i++) {
		switch (params[i].type) {
		case UDB_T_INT:
			snprintf(ibuf[i], sizeof(ibuf[i]), "%" PRId64, params[i].i);
			vals[i] = ibuf[i];
			break;
		case UDB_T_TEXT:
			vals[i] = params[i].s;
			break;
		default:
			vals[i] = NULL;
		}
	}
	char *q = pg_sql(sql);
	if (!q) {
		snprintf(c->errmsg, sizeof(c->errmsg), "out of memory");
		return -ENOMEM;
	}
	PGresult *r = PQexecParams(h, q, (int)nparams, NULL, vals, NULL, NULL, 0);
	free(q);
	int ret = 0;
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st == PGRES_TUPLES_OK) {
		int rows = PQntuples(r), n = PQnfields(r);
		if (n > 32)
			n = 32;
		for (int row = 0; cb && row < rows; row++) {
			const char *cols[32];
			for (int i = 0; i < n; i++)
				cols[i] = PQgetisnull(r, row, i) ? NULL : PQgetvalue(r, row, i);
			if (cb(ud, n, cols))
				break;
		}
	} else if (st != PGRES_COMMAND_OK) {
		ret = map_result(c, r);
	}
	PQclear(r);
	return ret;
}

static int pg_exec_script(struct udb_conn *c, const char *sql)
{
	PGresult *r = PQexec(c->h, sql);
	int ret = 0;
	if (!r || (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK))
		ret = map_result(c, r);
	PQclear(r);
	if (ret) {
		/* a failed script leaves the advisory lock with this session; drop it */
		PGresult *u = PQexec(c->h, "SELECT pg_advisory_unlock_all()");
		PQclear(u);
	}
	return ret;
}

const struct udb_driver udb_pgsql_driver = {
	.connect = pg_connect,
	.disconnect = pg_disconnect,
	.exec = pg_exec,
	.schema = pgsql_schema,
	.exec_script = pg_exec_script,
	.begin_sql = "BEGIN",
};
