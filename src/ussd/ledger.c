/* Double-entry ledger over udb (see ledger.h). The database enforces the money rules; this
 * file validates requests, runs each transfer as one transaction and retries on contention. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ledger.h"
#include "value_string.h"

#define LEDGER_RETRIES 8

const struct value_string ledger_acct_kind_names[] = {
	{LEDGER_ACCT_CUSTOMER, "customer"},
	{LEDGER_ACCT_AGENT, "agent"},
	{LEDGER_ACCT_SYSTEM, "system"},
	{0, NULL},
};

const struct value_string ledger_xfer_kind_names[] = {
	{LEDGER_XFER_P2P, "p2p"},
	{LEDGER_XFER_CASHOUT, "cashout"},
	{LEDGER_XFER_CASHIN, "cashin"},
	{LEDGER_XFER_AIRTIME, "airtime"},
	{LEDGER_XFER_ISSUE, "issue"},
	{0, NULL},
};

void ledger_init(struct ledger *l, struct udb *db)
{
	l->db = db;
}

static bool valid_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n < 1 || n >= LEDGER_ID_MAX)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || *p == ':' || *p == '+' || *p == '_' ||
		      *p == '-' || *p == '.'))
			return false;
	return true;
}

static bool valid_text(const char *s, size_t max, bool allow_empty)
{
	size_t n = s ? strlen(s) : 0;
	if ((!allow_empty && n < 1) || n >= max)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

int ledger_account_create(struct ledger *l, const char *id, const char *name,
			  enum ledger_acct_kind kind, bool allow_negative, int64_t now)
{
	const char *kname = get_value_string_or_null(ledger_acct_kind_names, kind);
	if (!valid_id(id) || !valid_text(name, LEDGER_NAME_MAX, false) || !kname)
		return -EINVAL;
	struct udb_val p[] = {UDB_TEXT(id), UDB_TEXT(name), UDB_TEXT(kname),
			      UDB_INT(allow_negative ? 1 : 0), UDB_INT(now)};
	struct udb_conn *c = udb_get(l->db);
	int rc = udb_exec(c,
			  "INSERT INTO accounts(id, name, kind, allow_negative, balance, created)"
			  " VALUES (?1, ?2, ?3, ?4, 0, ?5)",
			  p, 5, NULL, NULL);
	udb_put(l->db, c);
	return rc;
}

struct acct_row {
	struct ledger_account *a;
	int rc;
	bool seen;
};

static int acct_cb(void *ud, int ncol, const char *const *cols)
{
	struct acct_row *r = ud;
	uint32_t kind;
	int64_t neg;
	r->seen = true;
	if (ncol < 6 || !cols[0] || !cols[1] || !cols[2] ||
	    get_string_value(ledger_acct_kind_names, cols[2], &kind) ||
	    udb_parse_i64(cols[3], &neg) || udb_parse_i64(cols[4], &r->a->balance) ||
	    udb_parse_i64(cols[5], &r->a->created)) {
		r->rc = -EIO;
		return 1;
	}
	snprintf(r->a->id, sizeof(r->a->id), "%s", cols[0]);
	snprintf(r->a->name, sizeof(r->a->name), "%s", cols[1]);
	r->a->kind = (enum ledger_acct_kind)kind;
	r->a->allow_negative = neg != 0;
	return 1;
}

int ledger_account_get(struct ledger *l, const char *id, struct ledger_account *out)
{
	if (!valid_id(id))
		return -ENOENT;
	struct acct_row r = {out, 0, false};
	struct udb_val p[] = {UDB_TEXT(id)};
	struct udb_conn *c = udb_get(l->db);
	int rc = udb_exec(c,
			  "SELECT id, name, kind, allow_negative, balance, created FROM accounts"
			  " WHERE id = ?1",
			  p, 1, acct_cb, &r);
	udb_put(l->db, c);
	if (rc)
		return rc;
	if (!r.seen)
		return -ENOENT;
	return r.rc;
}

/* An existing transfer with the same key: the stored request, to compare with the new one. */
struct xfer_row {
	bool seen;
	int rc;
	int64_t id, amount, fee, created;
	char kind[16], debit[LEDGER_ID_MAX], credit[LEDGER_ID_MAX], fee_acct[LEDGER_ID_MAX];
	char status[16];
};

static int xfer_cb(void *ud, int ncol, const char *const *cols)
{
	struct xfer_row *x = ud;
	x->seen = true;
	if (ncol < 9 || udb_parse_i64(cols[0], &x->id) || !cols[1] || !cols[2] || !cols[3] ||
	    udb_parse_i64(cols[4], &x->amount) || udb_parse_i64(cols[5], &x->fee) ||
	    udb_parse_i64(cols[7], &x->created) || !cols[8]) {
		x->rc = -EIO;
		return 1;
	}
	snprintf(x->kind, sizeof(x->kind), "%s", cols[1]);
	snprintf(x->debit, sizeof(x->debit), "%s", cols[2]);
	snprintf(x->credit, sizeof(x->credit), "%s", cols[3]);
	snprintf(x->fee_acct, sizeof(x->fee_acct), "%s", cols[6] ? cols[6] : "");
	snprintf(x->status, sizeof(x->status), "%s", cols[8]);
	return 1;
}

static int find_by_key(struct udb_conn *c, const char *key, struct xfer_row *x)
{
	struct udb_val p[] = {UDB_TEXT(key)};
	memset(x, 0, sizeof(*x));
	int rc = udb_exec(c,
			  "SELECT id, kind, debit, credit, amount, fee, fee_account, created, status"
			  " FROM transfers WHERE idem_key = ?1",
			  p, 1, xfer_cb, x);
	if (rc)
		return rc;
	if (!x->seen)
		return -ENOENT;
	return x->rc;
}

static bool same_request(const struct xfer_row *x, const struct ledger_transfer_req *r,
			 const char *kname)
{
	return !strcmp(x->kind, kname) && !strcmp(x->debit, r->debit) &&
	       !strcmp(x->credit, r->credit) && x->amount == r->amount && x->fee == r->fee &&
	       !strcmp(x->fee_acct, r->fee > 0 ? r->fee_account : "");
}

static int validate(const struct ledger_transfer_req *r, const char **kname)
{
	*kname = get_value_string_or_null(ledger_xfer_kind_names, r->kind);
	if (!*kname || !r->idem_key || !*r->idem_key || strlen(r->idem_key) >= LEDGER_KEY_MAX)
		return -EINVAL;
	if (!valid_id(r->debit) || !valid_id(r->credit) || !strcmp(r->debit, r->credit))
		return -EINVAL;
	if (r->amount <= 0 || r->amount > LEDGER_AMOUNT_MAX || r->fee < 0 ||
	    r->fee > LEDGER_AMOUNT_MAX)
		return -EINVAL;
	if (r->fee > 0 && (!valid_id(r->fee_account) || !strcmp(r->fee_account, r->debit) ||
			   !strcmp(r->fee_account, r->credit)))
		return -EINVAL;
	if (r->memo && !valid_text(r->memo, 128, true))
		return -EINVAL;
	return 0;
}

static int balance_of(struct udb_conn *c, const char *id, int64_t *bal)
{
	struct udb_val p[] = {UDB_TEXT(id)};
	return udb_query_int(c, "SELECT balance FROM accounts WHERE id = ?1", p, 1, bal);
}

/* One attempt inside a transaction. */
static int transfer_once(struct udb_conn *c, const struct ledger_transfer_req *r,
			 const char *kname, struct ledger_transfer_res *res)
{
	struct xfer_row x;
	int rc = find_by_key(c, r->idem_key, &x);
	if (rc == 0) {
		if (!same_request(&x, r, kname) || strcmp(x.status, "posted"))
			return -EEXIST;
		res->id = x.id;
		res->replayed = true;
		res->created = x.created;
		return balance_of(c, r->debit, &res->debit_balance);
	}
	if (rc != -ENOENT)
		return rc;

	const bool has_fee = r->fee > 0;
	int64_t n;
	struct udb_val pa[] = {UDB_TEXT(r->debit), UDB_TEXT(r->credit),
			       UDB_TEXT(has_fee ? r->fee_account : r->credit)};
	rc = udb_query_int(c, "SELECT count(*) FROM accounts WHERE id IN (?1, ?2, ?3)", pa, 3, &n);
	if (rc)
		return rc;
	if (n != (has_fee ? 3 : 2))
		return -ENOENT;

	struct udb_val pt[] = {UDB_TEXT(r->idem_key),  UDB_TEXT(kname),
			       UDB_TEXT(r->debit),     UDB_TEXT(r->credit),
			       UDB_INT(r->amount),     UDB_INT(r->fee),
			       has_fee ? UDB_TEXT(r->fee_account) : UDB_NULLV,
			       UDB_TEXT(r->memo ? r->memo : ""), UDB_INT(r->now)};
	rc = udb_query_int(c,
			   "INSERT INTO transfers(idem_key, kind, debit, credit, amount, fee,"
			   " fee_account, memo, created, status)"
			   " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending') RETURNING id",
			   pt, 9, &res->id);
	if (rc)
		return rc;
	const char *ins = "INSERT INTO entries(transfer_id, account, amount) VALUES (?1, ?2, ?3)";
	struct udb_val e1[] = {UDB_INT(res->id), UDB_TEXT(r->debit), UDB_INT(-(r->amount + r->fee))};
	struct udb_val e2[] = {UDB_INT(res->id), UDB_TEXT(r->credit), UDB_INT(r->amount)};
	if ((rc = udb_exec(c, ins, e1, 3, NULL, NULL)) || (rc = udb_exec(c, ins, e2, 3, NULL, NULL)))
		return rc;
	if (has_fee) {
		struct udb_val e3[] = {UDB_INT(res->id), UDB_TEXT(r->fee_account), UDB_INT(r->fee)};
		if ((rc = udb_exec(c, ins, e3, 3, NULL, NULL)))
			return rc;
	}
	struct udb_val pp[] = {UDB_INT(res->id)};
	rc = udb_exec(c, "UPDATE transfers SET status = 'posted' WHERE id = ?1", pp, 1, NULL, NULL);
	if (rc)
		return rc;
	res->replayed = false;
	res->created = r->now;
	return balance_of(c, r->debit, &res->debit_balance);
}

int ledger_transfer(struct ledger *l, const struct ledger_transfer_req *r,
		    struct ledger_transfer_res *res)
{
	const char *kname;
	int rc = validate(r, &kname);
	if (rc)
		return rc;
	memset(res, 0, sizeof(*res));
	for (int attempt = 0; attempt < LEDGER_RETRIES; attempt++) {
		struct udb_conn *c = udb_get(l->db);
		rc = udb_begin(c);
		if (rc == 0) {
			rc = transfer_once(c, r, kname, res);
			if (rc == 0)
				rc = udb_commit(c);
			else
				udb_rollback(c);
		}
		udb_put(l->db, c);
		/* -EEXIST from the INSERT: a concurrent request with the same key committed
		 * first; the next attempt finds it and answers as a replay. */
		if (rc == -EAGAIN || (rc == -EEXIST && attempt == 0))
			continue;
		return rc;
	}
	return rc == -EAGAIN ? -EIO : rc;
}

int ledger_transfer_by_key(struct ledger *l, const char *idem_key, struct ledger_transfer_res *res)
{
	struct xfer_row x;
	struct udb_conn *c = udb_get(l->db);
	int rc = find_by_key(c, idem_key, &x);
	if (rc == 0 && strcmp(x.status, "posted"))
		rc = -ENOENT;
	if (rc == 0) {
		memset(res, 0, sizeof(*res));
		res->id = x.id;
		res->replayed = true;
		res->created = x.created;
		rc = balance_of(c, x.debit, &res->debit_balance);
	}
	udb_put(l->db, c);
	return rc;
}

struct stmt_ctx {
	const char *account;
	struct ledger_stmt_line *lines;
	unsigned max, n;
	int rc;
};

static int stmt_cb(void *ud, int ncol, const char *const *cols)
{
	struct stmt_ctx *s = ud;
	if (s->n >= s->max)
		return 1;
	struct ledger_stmt_line *L = &s->lines[s->n];
	uint32_t kind;
	int64_t amount;
	if (ncol < 7 || udb_parse_i64(cols[0], &L->id) || !cols[1] ||
	    get_string_value(ledger_xfer_kind_names, cols[1], &kind) || !cols[2] || !cols[3] ||
	    udb_parse_i64(cols[4], &amount) || udb_parse_i64(cols[5], &L->fee) ||
	    udb_parse_i64(cols[6], &L->created)) {
		s->rc = -EIO;
		return 1;
	}
	L->kind = (enum ledger_xfer_kind)kind;
	bool out = !strcmp(cols[2], s->account);
	snprintf(L->counterparty, sizeof(L->counterparty), "%s", out ? cols[3] : cols[2]);
	L->amount = out ? -(amount + L->fee) : amount;
	if (!out)
		L->fee = 0;
	s->n++;
	return 0;
}

int ledger_statement(struct ledger *l, const char *account, struct ledger_stmt_line *lines,
		     unsigned max, unsigned *n)
{
	struct stmt_ctx s = {account, lines, max, 0, 0};
	struct udb_val p[] = {UDB_TEXT(account), UDB_INT(max)};
	*n = 0;
	if (!max)
		return 0;
	struct udb_conn *c = udb_get(l->db);
	int rc = udb_exec(c,
			  "SELECT id, kind, debit, credit, amount, fee, created FROM transfers"
			  " WHERE status = 'posted' AND (debit = ?1 OR credit = ?1)"
			  " ORDER BY id DESC LIMIT ?2",
			  p, 2, stmt_cb, &s);
	udb_put(l->db, c);
	*n = s.n;
	return rc ? rc : s.rc;
}

struct sum_count {
	bool seen;
	int rc;
	int64_t sum, count;
};

static int sum_count_cb(void *ud, int ncol, const char *const *cols)
{
	struct sum_count *s = ud;
	s->seen = true;
	if (ncol < 2 || udb_parse_i64(cols[0], &s->sum) || udb_parse_i64(cols[1], &s->count))
		s->rc = -EIO;
	return 1;
}

int ledger_debits_since(struct ledger *l, const char *account, int64_t since, int64_t *sum,
			int64_t *count)
{
	struct sum_count s = {false, 0, 0, 0};
	struct udb_val p[] = {UDB_TEXT(account), UDB_INT(since)};
	struct udb_conn *c = udb_get(l->db);
	int rc = udb_exec(c,
			  "SELECT coalesce(sum(amount + fee), 0), count(*) FROM transfers"
			  " WHERE status = 'posted' AND debit = ?1 AND created >= ?2",
			  p, 2, sum_count_cb, &s);
	udb_put(l->db, c);
	if (rc)
		return rc;
	if (!s.seen || s.rc)
		return -EIO;
	*sum = s.sum;
	*count = s.count;
	return 0;
}

struct first_text {
	bool seen;
	char text[160];
};

static int first_text_cb(void *ud, int ncol, const char *const *cols)
{
	struct first_text *f = ud;
	f->seen = true;
	snprintf(f->text, sizeof(f->text), "%s%s%s", ncol > 0 && cols[0] ? cols[0] : "",
		 ncol > 1 ? " " : "", ncol > 1 && cols[1] ? cols[1] : "");
	return 1;
}

int ledger_verify(struct ledger *l, char *err, size_t errsz)
{
	static const struct {
		const char *what, *sql;
	} checks[] = {
		{"balance differs from its posted entries (account, balance)",
		 "SELECT a.id, a.balance FROM accounts a WHERE a.balance <> coalesce((SELECT"
		 " sum(e.amount) FROM entries e JOIN transfers t ON t.id = e.transfer_id"
		 " WHERE t.status = 'posted' AND e.account = a.id), 0)"},
		{"posted transfer does not balance (transfer)",
		 "SELECT e.transfer_id FROM entries e JOIN transfers t ON t.id = e.transfer_id"
		 " WHERE t.status = 'posted' GROUP BY e.transfer_id HAVING sum(e.amount) <> 0"},
		{"posted transfer with a wrong number of entries (transfer)",
		 "SELECT t.id FROM transfers t WHERE t.status = 'posted' AND (SELECT count(*)"
		 " FROM entries e WHERE e.transfer_id = t.id) <>"
		 " CASE WHEN t.fee > 0 THEN 3 ELSE 2 END"},
		{"negative balance (account, balance)",
		 "SELECT id, balance FROM accounts WHERE allow_negative = 0 AND balance < 0"},
		{"balances do not sum to zero (sum)",
		 "SELECT sum(balance) FROM accounts HAVING sum(balance) <> 0"},
	};
	struct udb_conn *c = udb_get(l->db);
	int ret = 0;
	for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]) && !ret; i++) {
		struct first_text f = {false, ""};
		int rc = udb_exec(c, checks[i].sql, NULL, 0, first_text_cb, &f);
		if (rc) {
			snprintf(err, errsz, "ledger verify: %s", udb_errmsg(c));
			ret = rc;
		} else if (f.seen) {
			snprintf(err, errsz, "ledger verify: %s: %s", checks[i].what, f.text);
			ret = -EPROTO;
		}
	}
	udb_put(l->db, c);
	return ret;
}
