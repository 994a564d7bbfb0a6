/* The ledger suite, run once against SQLite and once against a real PostgreSQL server started
 * for the test (skipped with a message only when the server binaries are absent). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ledger.h"
#include "pg_harness.h"
#include "udb.h"

struct suite {
	enum udb_backend backend;
	struct pg_harness *pg;
	char tmpdir[64];
	int seq;
};

struct fixture {
	struct suite *s;
	struct udb *db;
	struct ledger l;
	char conninfo[256];
	char path[128];
};

static struct udb *open_db(struct fixture *f)
{
	struct udb_config cfg = {.backend = f->s->backend, .pool_size = 4};
	char err[256];
	struct udb *db = NULL;
	if (f->s->backend == UDB_SQLITE)
		cfg.sqlite_path = f->path;
	else
		cfg.pg_conninfo = f->conninfo;
	int rc = udb_open(&db, &cfg, err, sizeof(err));
	if (rc)
		fprintf(stderr, "udb_open: %s\n", err);
	assert_int_equal(rc, 0);
	return db;
}

static int setup(void **state)
{
	struct suite *s = *state;
	struct fixture *f = calloc(1, sizeof(*f));
	f->s = s;
	s->seq++;
	if (s->backend == UDB_SQLITE) {
		snprintf(f->path, sizeof(f->path), "%s/ledger%d.db", s->tmpdir, s->seq);
	} else {
		char name[32];
		snprintf(name, sizeof(name), "ledger%d", s->seq);
		if (pg_harness_newdb(s->pg, name, f->conninfo, sizeof(f->conninfo)))
			return -1;
	}
	f->db = open_db(f);
	ledger_init(&f->l, f->db);
	/* the issuance account may go negative: it mirrors the trust account at the bank */
	assert_int_equal(ledger_account_create(&f->l, "sys:issue", "Issuance", LEDGER_ACCT_SYSTEM,
					       true, 1000), 0);
	assert_int_equal(ledger_account_create(&f->l, "sys:fees", "Fees", LEDGER_ACCT_SYSTEM,
					       false, 1000), 0);
	assert_int_equal(ledger_account_create(&f->l, "254700000001", "Alice Wanjiru",
					       LEDGER_ACCT_CUSTOMER, false, 1000), 0);
	assert_int_equal(ledger_account_create(&f->l, "254700000002", "Bob Otieno",
					       LEDGER_ACCT_CUSTOMER, false, 1000), 0);
	assert_int_equal(ledger_account_create(&f->l, "agent:1001", "Agent Kibera",
					       LEDGER_ACCT_AGENT, false, 1000), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	udb_close(f->db);
	if (f->path[0]) {
		char p[160];
		unlink(f->path);
		snprintf(p, sizeof(p), "%s-wal", f->path);
		unlink(p);
		snprintf(p, sizeof(p), "%s-shm", f->path);
		unlink(p);
	}
	free(f);
	return 0;
}

static int64_t bal(struct fixture *f, const char *id)
{
	struct ledger_account a;
	assert_int_equal(ledger_account_get(&f->l, id, &a), 0);
	return a.balance;
}

static void issue(struct fixture *f, const char *to, int64_t amount, const char *key)
{
	struct ledger_transfer_req r = {.idem_key = key, .kind = LEDGER_XFER_ISSUE,
					.debit = "sys:issue", .credit = to, .amount = amount,
					.now = 2000};
	struct ledger_transfer_res res;
	assert_int_equal(ledger_transfer(&f->l, &r, &res), 0);
}

static void assert_verified(struct fixture *f)
{
	char err[256] = "";
	int rc = ledger_verify(&f->l, err, sizeof(err));
	if (rc)
		fprintf(stderr, "%s\n", err);
	assert_int_equal(rc, 0);
}

static void test_accounts(void **state)
{
	struct fixture *f = *state;
	struct ledger_account a;
	assert_int_equal(ledger_account_get(&f->l, "254700000001", &a), 0);
	assert_string_equal(a.name, "Alice Wanjiru");
	assert_int_equal(a.kind, LEDGER_ACCT_CUSTOMER);
	assert_false(a.allow_negative);
	assert_int_equal(a.balance, 0);
	assert_int_equal(a.created, 1000);
	assert_int_equal(ledger_account_create(&f->l, "254700000001", "Again", LEDGER_ACCT_CUSTOMER,
					       false, 1), -EEXIST);
	assert_int_equal(ledger_account_create(&f->l, "bad id", "x", LEDGER_ACCT_CUSTOMER, false, 1),
			 -EINVAL);
	assert_int_equal(ledger_account_create(&f->l, "", "x", LEDGER_ACCT_CUSTOMER, false, 1),
			 -EINVAL);
	assert_int_equal(ledger_account_create(&f->l, "254700000009", "new\nline",
					       LEDGER_ACCT_CUSTOMER, false, 1), -EINVAL);
	assert_int_equal(ledger_account_get(&f->l, "254799999999", &a), -ENOENT);
}

static void test_transfer_with_fee(void **state)
{
	struct fixture *f = *state;
	issue(f, "254700000001", 100000, "issue-1");
	struct ledger_transfer_req r = {.idem_key = "s1", .kind = LEDGER_XFER_P2P,
					.debit = "254700000001", .credit = "254700000002",
					.amount = 25000, .fee_account = "sys:fees", .fee = 150,
					.memo = "rent", .now = 3000};
	struct ledger_transfer_res res;
	assert_int_equal(ledger_transfer(&f->l, &r, &res), 0);
	assert_false(res.replayed);
	assert_true(res.id > 0);
	assert_int_equal(res.debit_balance, 100000 - 25000 - 150);
	assert_int_equal(bal(f, "254700000001"), 74850);
	assert_int_equal(bal(f, "254700000002"), 25000);
	assert_int_equal(bal(f, "sys:fees"), 150);
	assert_int_equal(bal(f, "sys:issue"), -100000);
	assert_verified(f);
}

static void test_insufficient_funds(void **state)
{
	struct fixture *f = *state;
	issue(f, "254700000001", 1000, "issue-1");
	struct ledger_transfer_req r = {.idem_key = "s1", .kind = LEDGER_XFER_P2P,
					.debit = "254700000001", .credit = "254700000002",
					.amount = 950, .fee_account = "sys:fees", .fee = 51,
					.now = 3000};
	struct ledger_transfer_res res;
	assert_int_equal(ledger_transfer(&f->l, &r, &res), -ERANGE);
	assert_int_equal(bal(f, "254700000001"), 1000);
	assert_int_equal(bal(f, "254700000002"), 0);
	/* a refused transfer leaves no trace: its key is free and it is not in the statement */
	assert_int_equal(ledger_transfer_by_key(&f->l, "s1", &res), -ENOENT);
	r.fee = 50; /* exactly the balance */
	assert_int_equal(ledger_transfer(&f->l, &r, &res), 0);
	assert_int_equal(bal(f, "254700000001"), 0);
	assert_verified(f);
}

static void test_idempotent(void **state)
{
	struct fixture *f = *state;
	issue(f, "254700000001", 5000, "issue-1");
	struct ledger_transfer_req r = {.idem_key = "sess-abc:confirm", .kind = LEDGER_XFER_P2P,
					.debit = "254700000001", .credit = "254700000002",
					.amount = 1000, .now = 3000};
	struct ledger_transfer_res a, b;
	assert_int_equal(ledger_transfer(&f->l, &r, &a), 0);
	r.now = 3005; /* the network repeats the final message a little later */
	assert_int_equal(ledger_transfer(&f->l, &r, &b), 0);
	assert_true(b.replayed);
	assert_int_equal(b.id, a.id);
	assert_int_equal(b.created, 3000);
	assert_int_equal(bal(f, "254700000001"), 4000);
	assert_int_equal(bal(f, "254700000002"), 1000);
	/* the same key for another transfer is refused, not silently replayed */
	r.amount = 2000;
	assert_int_equal(ledger_transfer(&f->l, &r, &b), -EEXIST);
	assert_int_equal(bal(f, "254700000001"), 4000);
	assert_int_equal(ledger_transfer_by_key(&f->l, "sess-abc:confirm", &b), 0);
	assert_int_equal(b.id, a.id);
	assert_verified(f);
}

static void test_bad_requests(void **state)
{
	struct fixture *f = *state;
	issue(f, "254700000001", 5000, "issue-1");
	struct ledger_transfer_res res;
	struct ledger_transfer_req base = {.idem_key = "k", .kind = LEDGER_XFER_P2P,
					   .debit = "254700000001", .credit = "254700000002",
					   .amount = 10, .now = 1};
	struct ledger_transfer_req r = base;
	r.amount = 0;
	assert_int_equal(ledger_transfer(&f->l, &r, &res), -EINVAL);
	r = base;
	r.amount = -5;
	assert_int_equal(ledger_transfer(&f->l, &r, &res), -EINVAL);
	r = base;
	r.amount = LEDGER_AMOUNT_MAX + 1;
	assert_int_equal(ledger_transfer(&f->l, &r, &res), -EINVAL);
	r = base;
	r.credit = r.debit;
	assert_int_equal(ledger_transfer(&f->l, &r, &res), -EINVAL);
	r = base;
	r.fee = 5; /* fee without a fee account */
	assert_int_equal(ledger_transfer(&f->l, &r, &res), -EINVAL);
	r = base;
	r.fee = -1;
	r.fee_account = "sys:fees";
	assert_int_equal(ledger_transfer(&f->l, &r, &res), -EINVAL);
	r = base;
	r.idem_key = "";
	assert_int_equal(ledger_transfer(&f->l, &r, &res), -EINVAL);
	r = base;
	r.kind = (enum ledger_xfer_kind)99;
	assert_int_equal(ledger_transfer(&f->l, &r, &res), -EINVAL);
	r = base;
	r.credit = "254700000099";
	assert_int_equal(ledger_transfer(&f->l, &r, &res), -ENOENT);
	r = base;
	r.fee = 1;
	r.fee_account = "sys:nope";
	assert_int_equal(ledger_transfer(&f->l, &r, &res), -ENOENT);
	assert_int_equal(bal(f, "254700000001"), 5000);
	assert_verified(f);
}

/* The database refuses what the code never does: direct SQL that would break the books. */
static void test_constraints(void **state)
{
	struct fixture *f = *state;
	issue(f, "254700000001", 5000, "issue-1");
	struct udb_conn *c = udb_get(f->db);
	assert_int_equal(udb_exec(c, "UPDATE accounts SET balance = -1 WHERE id = '254700000002'",
				  NULL, 0, NULL, NULL), -ERANGE);
	/* an unbalanced transfer cannot be posted */
	int64_t id;
	assert_int_equal(udb_begin(c), 0);
	assert_int_equal(udb_query_int(c,
				       "INSERT INTO transfers(idem_key, kind, debit, credit, amount,"
				       " fee, created) VALUES ('evil', 'p2p', '254700000001',"
				       " '254700000002', 100, 0, 1) RETURNING id",
				       NULL, 0, &id), 0);
	struct udb_val pid[] = {UDB_INT(id)};
	assert_int_equal(udb_exec(c, "INSERT INTO entries VALUES (?1, '254700000001', -100)", pid,
				  1, NULL, NULL), 0);
	assert_int_equal(udb_exec(c, "INSERT INTO entries VALUES (?1, '254700000002', 1000)", pid,
				  1, NULL, NULL), 0);
	assert_int_equal(udb_exec(c, "UPDATE transfers SET status = 'posted' WHERE id = ?1", pid,
				  1, NULL, NULL), -EPROTO);
	assert_non_null(strstr(udb_errmsg(c), "unbalanced"));
	udb_rollback(c);
	/* balanced entries that do not match the header are refused too */
	assert_int_equal(udb_begin(c), 0);
	assert_int_equal(udb_query_int(c,
				       "INSERT INTO transfers(idem_key, kind, debit, credit, amount,"
				       " fee, created) VALUES ('evil2', 'p2p', '254700000001',"
				       " '254700000002', 100, 0, 1) RETURNING id",
				       NULL, 0, &id), 0);
	pid[0] = UDB_INT(id);
	assert_int_equal(udb_exec(c, "INSERT INTO entries VALUES (?1, '254700000001', -1)", pid,
				  1, NULL, NULL), 0);
	assert_int_equal(udb_exec(c, "INSERT INTO entries VALUES (?1, '254700000002', 1)", pid, 1,
				  NULL, NULL), 0);
	assert_int_equal(udb_exec(c, "UPDATE transfers SET status = 'posted' WHERE id = ?1", pid,
				  1, NULL, NULL), -EPROTO);
	udb_rollback(c);
	/* posted transfers and their entries are final */
	assert_int_equal(udb_exec(c, "UPDATE transfers SET amount = 1 WHERE idem_key = 'issue-1'",
				  NULL, 0, NULL, NULL), -EPROTO);
	assert_int_equal(udb_exec(c, "UPDATE transfers SET status = 'void' WHERE idem_key = 'issue-1'",
				  NULL, 0, NULL, NULL), -EPROTO);
	assert_int_equal(udb_exec(c, "DELETE FROM transfers", NULL, 0, NULL, NULL), -EPROTO);
	assert_int_equal(udb_exec(c, "DELETE FROM entries", NULL, 0, NULL, NULL), -EPROTO);
	assert_int_equal(udb_exec(c, "UPDATE entries SET amount = amount * 2", NULL, 0, NULL, NULL),
			 -EPROTO);
	assert_int_equal(udb_exec(c, "INSERT INTO entries SELECT id, 'sys:fees', 5 FROM transfers",
				  NULL, 0, NULL, NULL), -EPROTO);
	udb_put(f->db, c);
	assert_int_equal(bal(f, "254700000001"), 5000);
	assert_verified(f);
}

/* ledger_verify() catches a balance edited behind the ledger's back. */
static void test_verify_detects_tamper(void **state)
{
	struct fixture *f = *state;
	issue(f, "254700000001", 5000, "issue-1");
	assert_verified(f);
	struct udb_conn *c = udb_get(f->db);
	assert_int_equal(udb_exec(c, "UPDATE accounts SET balance = balance + 700"
				     " WHERE id = '254700000002'", NULL, 0, NULL, NULL), 0);
	udb_put(f->db, c);
	char err[256];
	assert_int_equal(ledger_verify(&f->l, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "254700000002"));
}

static void test_statement_and_limits(void **state)
{
	struct fixture *f = *state;
	issue(f, "254700000001", 100000, "issue-1");
	struct ledger_transfer_res res;
	struct ledger_transfer_req r = {.kind = LEDGER_XFER_P2P, .debit = "254700000001",
					.credit = "254700000002", .fee_account = "sys:fees"};
	char key[32];
	for (int i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "p%d", i);
		r.idem_key = key;
		r.amount = 100 * (i + 1);
		r.fee = 10;
		r.now = 5000 + i * 100;
		assert_int_equal(ledger_transfer(&f->l, &r, &res), 0);
	}
	struct ledger_transfer_req back = {.idem_key = "back", .kind = LEDGER_XFER_P2P,
					   .debit = "254700000002", .credit = "254700000001",
					   .amount = 50, .now = 6000};
	assert_int_equal(ledger_transfer(&f->l, &back, &res), 0);
	struct ledger_stmt_line lines[4];
	unsigned n;
	assert_int_equal(ledger_statement(&f->l, "254700000001", lines, 4, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(lines[0].amount, 50);
	assert_string_equal(lines[0].counterparty, "254700000002");
	assert_int_equal(lines[1].amount, -(500 + 10));
	assert_int_equal(lines[1].fee, 10);
	assert_int_equal(lines[1].kind, LEDGER_XFER_P2P);
	assert_int_equal(lines[3].amount, -(300 + 10));
	int64_t sum, count;
	assert_int_equal(ledger_debits_since(&f->l, "254700000001", 5200, &sum, &count), 0);
	assert_int_equal(count, 3);
	assert_int_equal(sum, 300 + 400 + 500 + 30);
	assert_int_equal(ledger_debits_since(&f->l, "254700000001", 0, &sum, &count), 0);
	assert_int_equal(count, 5);
	assert_int_equal(ledger_debits_since(&f->l, "254700000099", 0, &sum, &count), 0);
	assert_int_equal(count, 0);
	assert_int_equal(sum, 0);
}

/* Several threads move money around a ring of accounts, repeating some keys. The books balance,
 * money is conserved and every key executed at most once. */
struct worker {
	struct fixture *f;
	int idx;
	int ok, replayed, refused;
};

#define RING 4
#define PER_THREAD 60

static const char *ring_id(int i)
{
	static const char *ids[RING] = {"254700000001", "254700000002", "agent:1001", "254700000003"};
	return ids[i % RING];
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < PER_THREAD; i++) {
		char key[32];
		/* every third request repeats the previous key of the same thread */
		int k = (i % 3 == 2) ? i - 1 : i;
		snprintf(key, sizeof(key), "w%d-%d", w->idx, k);
		struct ledger_transfer_req r = {.idem_key = key, .kind = LEDGER_XFER_P2P,
						.debit = ring_id(w->idx + k),
						.credit = ring_id(w->idx + k + 1),
						.amount = 100 + (k % 7) * 250,
						.fee_account = "sys:fees", .fee = 5, .now = 7000 + i};
		struct ledger_transfer_res res;
		int rc = ledger_transfer(&w->f->l, &r, &res);
		if (rc == 0 && res.replayed)
			w->replayed++;
		else if (rc == 0)
			w->ok++;
		else if (rc == -ERANGE)
			w->refused++;
		else
			fail_msg("transfer %s: %d", key, rc);
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(ledger_account_create(&f->l, "254700000003", "Carol", LEDGER_ACCT_CUSTOMER,
					       false, 1), 0);
	for (int i = 0; i < RING; i++) {
		char key[16];
		snprintf(key, sizeof(key), "seed%d", i);
		issue(f, ring_id(i), 3000, key);
	}
	struct worker w[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){f, i, 0, 0, 0};
		assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	int ok = 0, replayed = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ok += w[i].ok;
		replayed += w[i].replayed;
	}
	assert_true(ok > 0);
	assert_true(replayed > 0);
	assert_verified(f);
	int64_t total = bal(f, "sys:fees");
	for (int i = 0; i < RING; i++)
		total += bal(f, ring_id(i));
	assert_int_equal(total, 4 * 3000);
	/* fees: 5 per executed transfer, so the count of executed transfers is exact */
	assert_int_equal(bal(f, "sys:fees"), 5 * ok);
}

/* The database survives a close and reopen with the books intact. */
static void test_reopen(void **state)
{
	struct fixture *f = *state;
	issue(f, "254700000001", 4242, "issue-1");
	udb_close(f->db);
	f->db = open_db(f);
	ledger_init(&f->l, f->db);
	assert_int_equal(bal(f, "254700000001"), 4242);
	assert_verified(f);
}

#define T(fn, S) cmocka_unit_test_prestate_setup_teardown(fn, setup, teardown, S)
#define LEDGER_TESTS(S)                                                                  \
	T(test_accounts, S),                 \
	T(test_transfer_with_fee, S),        \
	T(test_insufficient_funds, S),       \
	T(test_idempotent, S),               \
	T(test_bad_requests, S),             \
	T(test_constraints, S),              \
	T(test_verify_detects_tamper, S),    \
	T(test_statement_and_limits, S),     \
	T(test_concurrent, S),               \
	T(test_reopen, S)

int main(void)
{
	struct suite lite = {.backend = UDB_SQLITE};
	const struct CMUnitTest lite_tests[] = {LEDGER_TESTS(&lite)};
	snprintf(lite.tmpdir, sizeof(lite.tmpdir), "/tmp/dfsg-ledger-XXXXXX");
	if (!mkdtemp(lite.tmpdir))
		return 1;
	int fails = cmocka_run_group_tests_name("ledger_sqlite", lite_tests, NULL, NULL);
	rmdir(lite.tmpdir);

	struct pg_harness pg;
	int rc = pg_harness_for_suite(&pg, "ledger_postgresql");
	if (rc)
		return fails + (rc < 0);
	struct suite pgs = {.backend = UDB_PGSQL, .pg = &pg};
	const struct CMUnitTest pg_tests[] = {LEDGER_TESTS(&pgs)};
	fails += cmocka_run_group_tests_name("ledger_postgresql", pg_tests, NULL, NULL);
	pg_harness_stop(&pg);
	return fails;
}
