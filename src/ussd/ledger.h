/* Double-entry ledger in integer minor units (cents, kobo, ...), on the udb backends.
 *
 * A transfer moves `amount` from a debit account to a credit account and, when `fee` > 0,
 * `fee` from the debit account to a fee account: three entries that sum to zero. Every transfer
 * carries an idempotency key: running the same request twice moves money once and returns the
 * first result. The database itself refuses a negative balance (except on system accounts
 * created with allow_negative, such as the e-money issuance account), an unbalanced transfer,
 * and any change to a posted transfer or its entries; see the schema in udb_sqlite.c and
 * udb_pgsql.c. The sum of all balances is therefore always zero. */
#ifndef DFS_LEDGER_H
#define DFS_LEDGER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "udb.h"
#include "value_string.h"

#define LEDGER_ID_MAX 33   /* account ids: MSISDN digits or "sys:..." names, <= 32 chars */
#define LEDGER_NAME_MAX 65
#define LEDGER_KEY_MAX 129 /* idempotency keys <= 128 chars */
#define LEDGER_AMOUNT_MAX 1000000000000000LL

enum ledger_acct_kind {
	LEDGER_ACCT_CUSTOMER = 0,
	LEDGER_ACCT_AGENT = 1,
	LEDGER_ACCT_SYSTEM = 2,
};
extern const struct value_string ledger_acct_kind_names[];

enum ledger_xfer_kind {
	LEDGER_XFER_P2P = 0,     /* send money */
	LEDGER_XFER_CASHOUT = 1, /* customer -> agent, agent pays cash */
	LEDGER_XFER_CASHIN = 2,  /* agent -> customer, customer paid cash */
	LEDGER_XFER_AIRTIME = 3, /* customer -> airtime settlement account */
	LEDGER_XFER_ISSUE = 4,   /* issuance account -> account (e-money backed by the trust account) */
};
extern const struct value_string ledger_xfer_kind_names[];

struct ledger_account {
	char id[LEDGER_ID_MAX];
	char name[LEDGER_NAME_MAX];
	enum ledger_acct_kind kind;
	bool allow_negative;
	int64_t balance;
	int64_t created;
};

struct ledger_transfer_req {
	const char *idem_key;
	enum ledger_xfer_kind kind;
	const char *debit, *credit;
	int64_t amount; /* > 0 */
	const char *fee_account; /* NULL when fee == 0 */
	int64_t fee;
	const char *memo; /* may be NULL */
	int64_t now;      /* unix seconds (injected) */
};

struct ledger_transfer_res {
	int64_t id;
	bool replayed;          /* the key was seen before: nothing moved this time */
	int64_t debit_balance;  /* after the transfer (current balance when replayed) */
	int64_t created;
};

struct ledger_stmt_line {
	int64_t id;
	enum ledger_xfer_kind kind;
	char counterparty[LEDGER_ID_MAX];
	int64_t amount; /* signed, from the account's point of view, fee included */
	int64_t fee;
	int64_t created;
};

struct ledger {
	struct udb *db;
};

/* The ledger on an open database (the caller keeps ownership of db). */
void ledger_init(struct ledger *l, struct udb *db);

/* 0, -EEXIST when the id exists, -EINVAL on a bad id or name. */
int ledger_account_create(struct ledger *l, const char *id, const char *name,
			  enum ledger_acct_kind kind, bool allow_negative, int64_t now);
/* 0 or -ENOENT. */
int ledger_account_get(struct ledger *l, const char *id, struct ledger_account *out);

/* 0 (res filled; res->replayed for a repeated key), or:
 *   -EINVAL  bad request (amount, fee, same account, unknown kind)
 *   -ENOENT  an account does not exist
 *   -ERANGE  insufficient funds (the balance_nonneg constraint refused it)
 *   -EEXIST  the idempotency key was used for a different transfer
 *   -EIO     database failure (nothing moved) */
int ledger_transfer(struct ledger *l, const struct ledger_transfer_req *r,
		    struct ledger_transfer_res *res);

/* Look a transfer up by its idempotency key: 0, or -ENOENT. */
int ledger_transfer_by_key(struct ledger *l, const char *idem_key, struct ledger_transfer_res *res);

/* The newest posted transfers touching an account, newest first. *n gets the count. */
int ledger_statement(struct ledger *l, const char *account, struct ledger_stmt_line *lines,
		     unsigned max, unsigned *n);

/* Debits (amount + fee) and their count for an account since a time, for limits. */
int ledger_debits_since(struct ledger *l, const char *account, int64_t since, int64_t *sum,
			int64_t *count);

/* Check the invariants from scratch: every balance equals the sum of its posted entries,
 * every posted transfer balances, no non-negative account is negative, the sum of all
 * balances is zero. 0, or -EPROTO with the first violation in err. */
int ledger_verify(struct ledger *l, char *err, size_t errsz);

#endif
