/* Crash consistency: the real `dfsguard ussd` daemon under a transfer load is killed with
 * SIGKILL, restarted, and the books are checked: the ledger balances, every acknowledged
 * transfer exists exactly once with the amount the user confirmed, at most one unacknowledged
 * transfer per client (the one in flight at the kill) exists, refused ones do not, and the
 * audit log still verifies. Bounded: 4 clients, at most 150 dialogues each. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "appauth.h"
#include "audit.h"
#include "ledger.h"
#include "pin.h"
#include "wallet.h"

#define KEY "crash-test-aggregator-key-000001"
#define PIN "947361"
#define USERS 6
#define CLIENTS 4
#define MAX_DIALOGUES 150

struct ack {
	int64_t ref, amount;
	int from;
};

struct crash {
	char dir[64], cfg[128], db[128], audit[128];
	unsigned port;
	pid_t pid;
	atomic_bool stop;
	pthread_mutex_t lock;
	struct ack acks[CLIENTS * MAX_DIALOGUES];
	unsigned nacks, refused, other;
};

static unsigned free_port(void)
{
	int s = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t l = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(s, (struct sockaddr *)&a, sizeof(a));
	getsockname(s, (struct sockaddr *)&a, &l);
	close(s);
	return ntohs(a.sin_port);
}

static const char *user(int i)
{
	static const char *u[USERS] = {"254700000011", "254700000012", "254700000013",
				       "254700000014", "254700000015", "254700000016"};
	return u[i % USERS];
}

struct buf {
	char b[2048];
	size_t n;
};

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	struct buf *b = ud;
	size_t k = sz * n;
	if (b->n + k >= sizeof(b->b))
		k = sizeof(b->b) - 1 - b->n;
	memcpy(b->b + b->n, p, k);
	b->n += k;
	b->b[b->n] = 0;
	return sz * n;
}

/* One signed AT request; 0 with the answer, -1 when the daemon is gone. */
static int at(CURL *h, unsigned port, const char *sid, const char *phone, const char *text,
	      struct buf *out)
{
	char body[512], url[64], t[24], sig[APPAUTH_SIG_HEX], h1[64], h2[96];
	snprintf(body, sizeof(body),
		 "sessionId=%s&serviceCode=%%2A384%%23&phoneNumber=%%2B%s&networkCode=63902&text=%s",
		 sid, phone, text);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/ussd", port);
	snprintf(t, sizeof(t), "%lld", (long long)time(NULL));
	appauth_sign((const uint8_t *)KEY, strlen(KEY), t, body, strlen(body), sig);
	snprintf(h1, sizeof(h1), APPAUTH_TS_HEADER ": %s", t);
	snprintf(h2, sizeof(h2), APPAUTH_SIG_HEADER ": %s", sig);
	struct curl_slist *hd = curl_slist_append(curl_slist_append(NULL, h1), h2);
	out->n = 0;
	out->b[0] = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	CURLcode rc = curl_easy_perform(h);
	long st = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &st);
	curl_slist_free_all(hd);
	return rc == CURLE_OK && st == 200 ? 0 : -1;
}

struct client {
	struct crash *c;
	int idx;
};

static void *client_main(void *arg)
{
	struct client *cl = arg;
	struct crash *c = cl->c;
	CURL *h = curl_easy_init();
	struct buf out;
	for (int i = 0; i < MAX_DIALOGUES && !atomic_load(&c->stop); i++) {
		int from = (cl->idx + i) % USERS, to = (from + 1 + i % (USERS - 1)) % USERS;
		int64_t amount = 10 + (i * 37 + cl->idx * 11) % 400; /* KES */
		char sid[32], text[128];
		snprintf(sid, sizeof(sid), "c%d-%d", cl->idx, i);
		if (at(h, c->port, sid, user(from), "", &out))
			break;
		snprintf(text, sizeof(text), "1");
		if (at(h, c->port, sid, user(from), text, &out))
			break;
		snprintf(text, sizeof(text), "1*%s", user(to));
		if (at(h, c->port, sid, user(from), text, &out))
			break;
		snprintf(text, sizeof(text), "1*%s*%" PRId64, user(to), amount);
		if (at(h, c->port, sid, user(from), text, &out))
			break;
		if (strncmp(out.b, "CON Send", 8)) {
			pthread_mutex_lock(&c->lock);
			c->refused++; /* insufficient balance is only known after the PIN */
			pthread_mutex_unlock(&c->lock);
			continue;
		}
		snprintf(text, sizeof(text), "1*%s*%" PRId64 "*" PIN, user(to), amount);
		if (at(h, c->port, sid, user(from), text, &out))
			break; /* in flight at the kill: may or may not exist */
		const char *ref = strstr(out.b, "Ref ");
		pthread_mutex_lock(&c->lock);
		if (!strncmp(out.b, "END Sent", 8) && ref) {
			struct ack *a = &c->acks[c->nacks++];
			a->ref = strtoll(ref + 4, NULL, 10);
			a->amount = amount * 100;
			a->from = from;
		} else if (strstr(out.b, "Insufficient")) {
			c->refused++;
		} else {
			c->other++;
		}
		pthread_mutex_unlock(&c->lock);
	}
	curl_easy_cleanup(h);
	return NULL;
}

static pid_t start_daemon(struct crash *c)
{
	pid_t pid = fork();
	if (pid == 0) {
		int devnull = open("/dev/null", 1);
		dup2(devnull, 2);
		execl(DFSG_BIN, "dfsguard", "ussd", "--config", c->cfg, (char *)NULL);
		_exit(127);
	}
	/* ready when /healthz answers */
	CURL *h = curl_easy_init();
	char url[64];
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/healthz", c->port);
	struct buf out;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
	for (int i = 0; i < 200; i++) {
		out.n = 0;
		if (curl_easy_perform(h) == CURLE_OK)
			break;
		usleep(50000);
	}
	curl_easy_cleanup(h);
	return pid;
}

struct xfer_row {
	bool seen;
	int64_t amount;
	char debit[40], status[16];
};

static int xfer_cb(void *ud, int ncol, const char *const *cols)
{
	struct xfer_row *x = ud;
	x->seen = true;
	udb_parse_i64(cols[0], &x->amount);
	snprintf(x->debit, sizeof(x->debit), "%s", cols[1]);
	snprintf(x->status, sizeof(x->status), "%s", cols[2]);
	return 1;
}

static void test_kill9_under_load(void **state)
{
	struct crash *c = calloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	snprintf(c->dir, sizeof(c->dir), "/tmp/dfsg-crash-XXXXXX");
	assert_non_null(mkdtemp(c->dir));
	snprintf(c->cfg, sizeof(c->cfg), "%s/gw.yaml", c->dir);
	snprintf(c->db, sizeof(c->db), "%s/gw.db", c->dir);
	snprintf(c->audit, sizeof(c->audit), "%s/audit.jsonl", c->dir);
	c->port = free_port();
	char path[160];
	snprintf(path, sizeof(path), "%s/agg.key", c->dir);
	FILE *f = fopen(path, "w");
	fputs(KEY, f);
	fclose(f);
	f = fopen(c->cfg, "w");
	fprintf(f,
		"ussd:\n  listen: \"127.0.0.1:%u\"\n  threads: 4\n"
		"  database: {backend: sqlite, path: %s}\n  audit_log: %s\n  audit_fsync: false\n"
		"  messages: %s/config/messages/en.yaml\n  aggregator: {secret_file: %s}\n"
		"  pin: {argon2_ops: 1, argon2_mem_kib: 8}\n"
		"  limits: {per_transaction_min: 1, velocity: {count: 100000, window: 60}}\n"
		"  services: [{code: \"*384#\", app: wallet}]\n",
		c->port, c->db, c->audit, DFSG_SOURCE_DIR, path);
	fclose(f);

	/* users with a little money each, so that some transfers are refused */
	struct udb *db;
	struct udb_config uc = {.backend = UDB_SQLITE, .sqlite_path = c->db};
	char err[256];
	assert_int_equal(udb_open(&db, &uc, err, sizeof(err)), 0);
	struct ledger l;
	ledger_init(&l, db);
	struct pin_policy pp;
	pin_policy_defaults(&pp);
	pp.ops = crypto_pwhash_OPSLIMIT_MIN;
	pp.mem = crypto_pwhash_MEMLIMIT_MIN;
	char hash[PIN_HASH_MAX];
	assert_int_equal(pin_hash(&pp, PIN, hash), 0);
	assert_int_equal(ledger_account_create(&l, "sys:issue", "Issuance", LEDGER_ACCT_SYSTEM, true,
					       1), 0);
	int64_t total = 0;
	for (int i = 0; i < USERS; i++) {
		char name[32], key[32];
		snprintf(name, sizeof(name), "User %d", i);
		assert_int_equal(wallet_register(db, user(i), name, "", hash, 1), 0);
		snprintf(key, sizeof(key), "seed-%d", i);
		struct ledger_transfer_req r = {.idem_key = key, .kind = LEDGER_XFER_ISSUE,
						.debit = "sys:issue", .credit = user(i),
						.amount = 50000, .now = 1};
		struct ledger_transfer_res res;
		assert_int_equal(ledger_transfer(&l, &r, &res), 0);
		total += 50000;
	}
	udb_close(db);

	c->pid = start_daemon(c);
	struct client cl[CLIENTS];
	pthread_t th[CLIENTS];
	for (int i = 0; i < CLIENTS; i++) {
		cl[i] = (struct client){c, i};
		assert_int_equal(pthread_create(&th[i], NULL, client_main, &cl[i]), 0);
	}
	/* let the load run until a fair number of transfers are acknowledged, then kill */
	for (int i = 0; i < 400; i++) {
		pthread_mutex_lock(&c->lock);
		unsigned n = c->nacks;
		pthread_mutex_unlock(&c->lock);
		if (n >= 40)
			break;
		usleep(25000);
	}
	assert_int_equal(kill(c->pid, SIGKILL), 0);
	int status;
	waitpid(c->pid, &status, 0);
	assert_true(WIFSIGNALED(status));
	atomic_store(&c->stop, true);
	for (int i = 0; i < CLIENTS; i++)
		pthread_join(th[i], NULL);
	assert_true(c->nacks >= 10);
	fprintf(stderr, "crash: %u acknowledged, %u refused, %u other before the kill\n", c->nacks,
		c->refused, c->other);

	/* restart on the same files: it comes up, and the books are whole */
	c->pid = start_daemon(c);
	assert_int_equal(kill(c->pid, SIGTERM), 0);
	waitpid(c->pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	assert_int_equal(udb_open(&db, &uc, err, sizeof(err)), 0);
	ledger_init(&l, db);
	if (ledger_verify(&l, err, sizeof(err)))
		fail_msg("%s", err);
	struct udb_conn *conn = udb_get(db);
	for (unsigned i = 0; i < c->nacks; i++) {
		struct xfer_row x = {0};
		struct udb_val p[] = {UDB_INT(c->acks[i].ref)};
		assert_int_equal(udb_exec(conn, "SELECT amount, debit, status FROM transfers"
						" WHERE id = ?1 AND kind = 'p2p'", p, 1, xfer_cb, &x), 0);
		assert_true(x.seen);
		assert_int_equal(x.amount, c->acks[i].amount);
		assert_string_equal(x.debit, user(c->acks[i].from));
		assert_string_equal(x.status, "posted");
		for (unsigned k = 0; k < i; k++)
			assert_true(c->acks[k].ref != c->acks[i].ref); /* exactly once */
	}
	int64_t p2p;
	assert_int_equal(udb_query_int(conn, "SELECT count(*) FROM transfers WHERE kind = 'p2p'",
				       NULL, 0, &p2p), 0);
	/* refused transfers left nothing; at most one in flight per client was unacknowledged */
	assert_true(p2p >= (int64_t)c->nacks);
	assert_true(p2p <= (int64_t)c->nacks + CLIENTS);
	int64_t sum;
	assert_int_equal(udb_query_int(conn, "SELECT sum(balance) FROM accounts"
					     " WHERE kind = 'customer'", NULL, 0, &sum), 0);
	int64_t fees;
	assert_int_equal(udb_query_int(conn, "SELECT coalesce(sum(balance), 0) FROM accounts"
					     " WHERE id = 'sys:fees'", NULL, 0, &fees), 0);
	assert_int_equal(sum + fees, total);
	udb_put(db, conn);
	udb_close(db);
	uint64_t recs;
	if (audit_verify_file(c->audit, &recs, err, sizeof(err)))
		fail_msg("audit: %s", err);

	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", c->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", c->dir);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_kill9_under_load)};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
