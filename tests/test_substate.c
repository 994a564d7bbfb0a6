/* Subscriber state conformance: the same tests run against the in-process tables and against
 * Redis (a throwaway redis-server, tests/redis_harness.h), then what only a shared backend has:
 * two nodes sharing bindings, racing binds seeing exactly one swap, an outage giving errors and
 * not a hang, recovery after a restart, PEXPIRE bounding, a lost script cache, a password.
 * All with explicit time for the state; only the outage waits (bounded) for a reconnect. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "redis_harness.h"
#include "substate.h"

#define T0 1700000000000ull

struct backend {
	struct redis_harness *redis; /* NULL: in process */
	unsigned seq;                /* a fresh key prefix per Redis state */
	uint32_t cache_ms;           /* the node-local read cache */
	char prefix[32];
};

static struct sub_state_redis_cfg redis_cfg(struct backend *b, bool fresh)
{
	struct sub_state_redis_cfg c = {.timeout_ms = 200, .reconnect_ms = 20, .cache_ms = b->cache_ms};
	if (fresh)
		snprintf(b->prefix, sizeof(b->prefix), "t%u:", ++b->seq);
	snprintf(c.address, sizeof(c.address), "127.0.0.1:%d", b->redis->port);
	snprintf(c.prefix, sizeof(c.prefix), "%s", b->prefix);
	return c;
}

/* A new state; for Redis `fresh` picks a new prefix, else it shares the previous one. */
static struct sub_state *open_state(struct backend *b, uint64_t ttl_ms, bool fresh)
{
	struct sub_state_limits lim = {100, 100, ttl_ms, ttl_ms};
	char err[256] = "";
	struct sub_state *s;
	if (!b->redis) {
		s = sub_state_mem_new(&lim);
	} else {
		struct sub_state_redis_cfg c = redis_cfg(b, fresh);
		s = sub_state_redis_new(&c, &lim, err, sizeof(err));
	}
	if (!s)
		fprintf(stderr, "open_state: %s\n", err);
	assert_non_null(s);
	return s;
}

/* ---- conformance: every backend ------------------------------------------------ */

static void assert_record(const struct sub_record *a, const struct sub_record *b)
{
	assert_string_equal(a->vlr, b->vlr);
	assert_string_equal(a->msc, b->msc);
	assert_string_equal(a->sgsn, b->sgsn);
	assert_int_equal(a->loc_ms, b->loc_ms);
	assert_string_equal(a->loc_node, b->loc_node);
	assert_int_equal(a->moved_ms, b->moved_ms);
	assert_string_equal(a->msisdn, b->msisdn);
	assert_int_equal(a->msisdn_ms, b->msisdn_ms);
}

static void test_binding_and_swap(void **state)
{
	struct sub_state *s = open_state(*state, 3600000, true);
	char old[SUB_IMSI_MAX], imsi[SUB_IMSI_MAX];
	struct sub_record r;
	assert_int_equal(s->ops->get(s, "640990000000001", T0, &r), -ENOENT);
	assert_int_equal(s->ops->imsi_of(s, "255790000001", T0, imsi), -ENOENT);
	assert_int_equal(s->ops->bind(s, "255790000001", "640990000000001", T0, old), 0);
	assert_int_equal(s->ops->bind(s, "255790000001", "640990000000001", T0 + 1, old), 0);
	assert_int_equal(s->ops->imsi_of(s, "255790000001", T0 + 2, imsi), 0);
	assert_string_equal(imsi, "640990000000001");
	assert_int_equal(s->ops->get(s, "640990000000001", T0 + 2, &r), 0);
	assert_string_equal(r.msisdn, "255790000001");
	assert_int_equal(r.msisdn_ms, T0 + 1);
	/* the number moves to a new SIM: a swap, with the old IMSI */
	assert_int_equal(s->ops->bind(s, "255790000001", "640990000000002", T0 + 3, old), 1);
	assert_string_equal(old, "640990000000001");
	assert_int_equal(s->ops->imsi_of(s, "255790000001", T0 + 4, imsi), 0);
	assert_string_equal(imsi, "640990000000002");
	assert_int_equal(s->ops->get(s, "640990000000002", T0 + 4, &r), 0);
	assert_string_equal(r.msisdn, "255790000001");
	assert_int_equal(s->ops->bind(s, "", "640990000000002", T0 + 3, old), -EINVAL);
	assert_int_equal(s->ops->bind(s, "255790000001", "", T0 + 3, old), -EINVAL);
	s->ops->destroy(s);
}

static void test_record_round_trip(void **state)
{
	struct sub_state *s = open_state(*state, 3600000, true);
	struct sub_record r = {0}, out;
	snprintf(r.vlr, sizeof(r.vlr), "491799001234");
	snprintf(r.msc, sizeof(r.msc), "491799001235");
	snprintf(r.sgsn, sizeof(r.sgsn), "491799001236");
	snprintf(r.loc_node, sizeof(r.loc_node), "491799001237");
	r.loc_ms = T0 - 5;
	r.moved_ms = T0 - 9;
	assert_int_equal(s->ops->put(s, "640990000000001", &r, T0), 0);
	assert_int_equal(s->ops->put(s, "", &r, T0), -EINVAL);
	assert_int_equal(s->ops->get(s, "640990000000001", T0 + 1, &out), 0);
	assert_record(&out, &r);
	/* a bind keeps the location and adds the number */
	char old[SUB_IMSI_MAX];
	assert_int_equal(s->ops->bind(s, "255790000001", "640990000000001", T0 + 2, old), 0);
	assert_int_equal(s->ops->get(s, "640990000000001", T0 + 3, &out), 0);
	assert_string_equal(out.vlr, "491799001234");
	assert_string_equal(out.msisdn, "255790000001");
	assert_int_equal(out.msisdn_ms, T0 + 2);
	/* a put of the record read back replaces the location */
	snprintf(out.vlr, sizeof(out.vlr), "255790009999");
	out.sgsn[0] = 0;
	out.loc_ms = T0 + 4;
	assert_int_equal(s->ops->put(s, "640990000000001", &out, T0 + 4), 0);
	struct sub_record again;
	assert_int_equal(s->ops->get(s, "640990000000001", T0 + 5, &again), 0);
	assert_record(&again, &out);
	s->ops->destroy(s);
}

static void test_ttl_on_callers_clock(void **state)
{
	struct sub_state *s = open_state(*state, 60000, true);
	struct sub_record r = {0}, out;
	char old[SUB_IMSI_MAX], imsi[SUB_IMSI_MAX];
	snprintf(r.vlr, sizeof(r.vlr), "491799001234");
	r.loc_ms = T0;
	assert_int_equal(s->ops->put(s, "640990000000001", &r, T0), 0);
	assert_int_equal(s->ops->get(s, "640990000000001", T0 + 60000, &out), 0);
	assert_string_equal(out.vlr, "491799001234");
	/* not updated for longer than the TTL: forgotten */
	assert_int_equal(s->ops->get(s, "640990000000001", T0 + 60001, &out), -ENOENT);
	/* an expired binding is no swap when the number comes back on another SIM */
	assert_int_equal(s->ops->bind(s, "255790000001", "640990000000001", T0, old), 0);
	assert_int_equal(s->ops->imsi_of(s, "255790000001", T0 + 60001, imsi), -ENOENT);
	assert_int_equal(s->ops->bind(s, "255790000001", "640990000000002", T0 + 60001, old), 0);
	/* and the new SIM's record starts empty */
	assert_int_equal(s->ops->get(s, "640990000000002", T0 + 60002, &out), 0);
	assert_string_equal(out.vlr, "");
	/* expire() may drop what timed out, and never what is fresh */
	s->ops->expire(s, T0 + 60002);
	assert_int_equal(s->ops->imsi_of(s, "255790000001", T0 + 60002, imsi), 0);
	assert_string_equal(imsi, "640990000000002");
	s->ops->destroy(s);
}

static void test_rate_bucket(void **state)
{
	struct sub_state *s = open_state(*state, 3600000, true);
	/* 3 per 60 s: a burst of 3 passes, the 4th is refused, one token returns after 20 s */
	for (int i = 0; i < 3; i++)
		assert_int_equal(s->ops->rate_take(s, RATE_SRI_SM_SOURCE, "4917990", 3, 60, T0), 0);
	assert_int_equal(s->ops->rate_take(s, RATE_SRI_SM_SOURCE, "4917990", 3, 60, T0 + 1000), 1);
	/* another kind or key has its own bucket */
	assert_int_equal(s->ops->rate_take(s, RATE_SRI_SM_TARGET, "4917990", 3, 60, T0 + 1000), 0);
	assert_int_equal(s->ops->rate_take(s, RATE_SRI_SM_SOURCE, "4917991", 3, 60, T0 + 1000), 0);
	assert_int_equal(s->ops->rate_take(s, RATE_SRI_SM_SOURCE, "4917990", 3, 60, T0 + 19000), 1);
	assert_int_equal(s->ops->rate_take(s, RATE_SRI_SM_SOURCE, "4917990", 3, 60, T0 + 20000), 0);
	assert_int_equal(s->ops->rate_take(s, RATE_SRI_SM_SOURCE, "4917990", 3, 60, T0 + 20001), 1);
	/* time going backwards adds nothing */
	assert_int_equal(s->ops->rate_take(s, RATE_SRI_SM_SOURCE, "4917990", 3, 60, T0), 1);
	/* a long quiet refills to the burst, not beyond */
	for (int i = 0; i < 3; i++)
		assert_int_equal(s->ops->rate_take(s, RATE_SRI_SM_SOURCE, "4917990", 3, 60, T0 + 10000000), 0);
	assert_int_equal(s->ops->rate_take(s, RATE_SRI_SM_SOURCE, "4917990", 3, 60, T0 + 10000000), 1);
	/* no limit configured: always passes */
	assert_int_equal(s->ops->rate_take(s, RATE_SRI_SM_SOURCE, "4917990", 0, 60, T0 + 20001), 0);
	s->ops->destroy(s);
}

static void test_stats(void **state)
{
	struct sub_state *s = open_state(*state, 3600000, true);
	struct sub_record r = {0};
	char imsi[16], old[SUB_IMSI_MAX];
	for (int i = 0; i < 5; i++) {
		snprintf(imsi, sizeof(imsi), "6409900000%05d", i);
		assert_int_equal(s->ops->put(s, imsi, &r, T0), 0);
	}
	assert_int_equal(s->ops->bind(s, "255790000001", "640990000000000", T0, old), 0);
	assert_int_equal(s->ops->rate_take(s, RATE_SRI_SM_SOURCE, "4917990", 3, 60, T0), 0);
	struct sub_state_stats st;
	s->ops->stats(s, &st);
	assert_int_equal(st.subscribers, 5);
	assert_int_equal(st.msisdns, 1);
	assert_int_equal(st.rate_keys, 1);
	assert_int_equal(st.errors, 0);
	s->ops->destroy(s);
}

#define CONFORMANCE(S)                                                  \
	cmocka_unit_test_prestate(test_binding_and_swap, S),            \
	cmocka_unit_test_prestate(test_record_round_trip, S),           \
	cmocka_unit_test_prestate(test_ttl_on_callers_clock, S),        \
	cmocka_unit_test_prestate(test_rate_bucket, S),                 \
	cmocka_unit_test_prestate(test_stats, S)

/* ---- Redis only ---------------------------------------------------------------- */

static redisContext *raw(struct backend *b)
{
	struct timeval tv = {2, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", b->redis->port, tv);
	assert_true(c && !c->err);
	return c;
}

static long long raw_int(redisContext *c, const char *fmt, const char *arg)
{
	redisReply *r = redisCommand(c, fmt, arg);
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	long long v = r->integer;
	freeReplyObject(r);
	return v;
}

/* Node A and node B on one Redis: what A learns, B knows. */
static void test_two_nodes_share(void **state)
{
	struct backend *b = *state;
	struct sub_state *a = open_state(b, 3600000, true), *n2 = open_state(b, 3600000, false);
	char old[SUB_IMSI_MAX], imsi[SUB_IMSI_MAX];
	struct sub_record r = {0}, out;
	assert_int_equal(a->ops->bind(a, "255790000001", "640990000000001", T0, old), 0);
	assert_int_equal(n2->ops->imsi_of(n2, "255790000001", T0 + 1, imsi), 0);
	assert_string_equal(imsi, "640990000000001");
	/* the SIM swap is seen by B (which never saw the old binding itself) */
	assert_int_equal(n2->ops->bind(n2, "255790000001", "640990000000002", T0 + 2, old), 1);
	assert_string_equal(old, "640990000000001");
	/* and A sees the number on the new SIM: no second swap */
	assert_int_equal(a->ops->bind(a, "255790000001", "640990000000002", T0 + 3, old), 0);
	snprintf(r.vlr, sizeof(r.vlr), "491799001234");
	r.loc_ms = T0 + 4;
	assert_int_equal(n2->ops->put(n2, "640990000000002", &r, T0 + 4), 0);
	assert_int_equal(a->ops->get(a, "640990000000002", T0 + 5, &out), 0);
	assert_string_equal(out.vlr, "491799001234");
	/* B's put carried a binding older than A's bind at T0+3: the binding stays */
	assert_string_equal(out.msisdn, "255790000001");
	assert_int_equal(out.msisdn_ms, T0 + 3);
	/* rate buckets are shared too */
	assert_int_equal(a->ops->rate_take(a, RATE_SRI_SM_SOURCE, "4917990", 1, 60, T0), 0);
	assert_int_equal(n2->ops->rate_take(n2, RATE_SRI_SM_SOURCE, "4917990", 1, 60, T0 + 1), 1);
	a->ops->destroy(a);
	n2->ops->destroy(n2);
}

#define RACE_ROUNDS 200
struct racer {
	struct sub_state *s;
	pthread_barrier_t *bar;
	int swaps, errors;
};

static void race_msisdn(char *out, size_t sz, int round) { snprintf(out, sz, "2557901%05d", round); }

static void *racer_main(void *arg)
{
	struct racer *r = arg;
	char msisdn[16], old[SUB_IMSI_MAX];
	for (int i = 0; i < RACE_ROUNDS; i++) {
		race_msisdn(msisdn, sizeof(msisdn), i);
		pthread_barrier_wait(r->bar);
		int rc = r->s->ops->bind(r->s, msisdn, "640990000000222", T0 + 10, old);
		if (rc == 1 && !strcmp(old, "640990000000111"))
			r->swaps++;
		else if (rc < 0)
			r->errors++;
	}
	return NULL;
}

/* Two nodes see the same number on a new SIM at the same moment: exactly one reports the swap. */
static void test_racing_binds(void **state)
{
	struct backend *b = *state;
	struct sub_state *seed = open_state(b, 3600000, true);
	char msisdn[16], old[SUB_IMSI_MAX];
	for (int i = 0; i < RACE_ROUNDS; i++) {
		race_msisdn(msisdn, sizeof(msisdn), i);
		assert_int_equal(seed->ops->bind(seed, msisdn, "640990000000111", T0, old), 0);
	}
	pthread_barrier_t bar;
	pthread_barrier_init(&bar, NULL, 2);
	struct racer r[2];
	pthread_t t[2];
	for (int i = 0; i < 2; i++) {
		r[i] = (struct racer){open_state(b, 3600000, false), &bar, 0, 0};
		assert_int_equal(pthread_create(&t[i], NULL, racer_main, &r[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		r[i].s->ops->destroy(r[i].s);
	}
	pthread_barrier_destroy(&bar);
	assert_int_equal(r[0].errors + r[1].errors, 0);
	assert_int_equal(r[0].swaps + r[1].swaps, RACE_ROUNDS);
	printf("  swaps seen by node 1: %d, node 2: %d\n", r[0].swaps, r[1].swaps);
	seed->ops->destroy(seed);
}

/* Calls until one succeeds (the backoff passes); bounded: at most 400 tries 25 ms apart. */
static int until_up(struct sub_state *s, uint64_t now)
{
	char imsi[SUB_IMSI_MAX];
	int rc = -1;
	for (int i = 0; i < 400; i++) {
		rc = s->ops->imsi_of(s, "255790000001", now, imsi);
		if (rc == 0 || rc == -ENOENT)
			return rc;
		usleep(25000);
	}
	return rc;
}

/* A hung Redis (SIGSTOP) gives timeouts, a dead one errors; both are counted, nothing blocks
 * for longer than the timeout, and the state works again once Redis is back. */
static void test_outage_and_recovery(void **state)
{
	struct backend *b = *state;
	struct sub_state *s = open_state(b, 3600000, true);
	char old[SUB_IMSI_MAX], imsi[SUB_IMSI_MAX];
	struct sub_record r;
	assert_int_equal(s->ops->bind(s, "255790000001", "640990000000001", T0, old), 0);

	kill(b->redis->pid, SIGSTOP);
	assert_int_equal(s->ops->get(s, "640990000000001", T0, &r), -ETIMEDOUT);
	/* within the backoff: refused at once */
	assert_int_equal(s->ops->bind(s, "255790000001", "640990000000002", T0, old), -ENOTCONN);
	int rc = s->ops->rate_take(s, RATE_SRI_SM_SOURCE, "4917990", 1, 60, T0);
	assert_true(rc < 0);
	struct sub_state_stats st;
	s->ops->stats(s, &st);
	assert_true(st.errors >= 3);
	kill(b->redis->pid, SIGCONT);
	/* back: the binding is still there */
	assert_int_equal(until_up(s, T0 + 1), 0);
	assert_int_equal(s->ops->imsi_of(s, "255790000001", T0 + 1, imsi), 0);
	assert_string_equal(imsi, "640990000000001");

	/* dead: connection refused (or reset), then a restart with empty data */
	redis_harness_kill(b->redis);
	assert_true(s->ops->imsi_of(s, "255790000001", T0 + 2, imsi) < 0);
	assert_true(s->ops->put(s, "640990000000001", &r, T0 + 2) < 0);
	assert_int_equal(redis_harness_run(b->redis), 0);
	assert_int_equal(until_up(s, T0 + 3), -ENOENT);
	assert_int_equal(s->ops->bind(s, "255790000001", "640990000000002", T0 + 4, old), 0);
	assert_int_equal(s->ops->imsi_of(s, "255790000001", T0 + 5, imsi), 0);
	assert_string_equal(imsi, "640990000000002");
	s->ops->destroy(s);
}

/* Every key written carries a Redis expiry of at most the TTL (memory bound), and Redis drops
 * it once that passes. */
static void test_pexpire_bounds(void **state)
{
	struct backend *b = *state;
	struct sub_state_limits lim = {100, 100, 3600000, 150};
	struct sub_state_redis_cfg c = redis_cfg(b, true);
	char err[256], old[SUB_IMSI_MAX], key[64];
	struct sub_state *s = sub_state_redis_new(&c, &lim, err, sizeof(err));
	assert_non_null(s);
	struct sub_record r = {0};
	assert_int_equal(s->ops->put(s, "640990000000001", &r, T0), 0);
	assert_int_equal(s->ops->bind(s, "255790000001", "640990000000002", T0, old), 0);
	assert_int_equal(s->ops->rate_take(s, RATE_SRI_SM_SOURCE, "4917990", 3, 60, T0), 0);
	redisContext *rc = raw(b);
	static const char *const subkeys[] = {"s:640990000000001", "s:640990000000002", "m:255790000001"};
	for (int i = 0; i < 3; i++) {
		snprintf(key, sizeof(key), "%s%s", b->prefix, subkeys[i]);
		long long ttl = raw_int(rc, "PTTL %s", key);
		assert_true(ttl > 0 && ttl <= 3600000);
	}
	snprintf(key, sizeof(key), "%sr:%d:4917990", b->prefix, RATE_SRI_SM_SOURCE);
	long long ttl = raw_int(rc, "PTTL %s", key);
	assert_true(ttl > 0 && ttl <= 150);
	/* gone after the rate TTL (bounded wait) */
	for (int i = 0; i < 100 && raw_int(rc, "EXISTS %s", key); i++)
		usleep(20000);
	assert_int_equal(raw_int(rc, "EXISTS %s", key), 0);
	redisFree(rc);
	s->ops->destroy(s);
}

/* The server forgets its scripts (SCRIPT FLUSH, a failover): EVAL takes over. */
static void test_script_cache_lost(void **state)
{
	struct backend *b = *state;
	struct sub_state *s = open_state(b, 3600000, true);
	char old[SUB_IMSI_MAX];
	redisContext *rc = raw(b);
	freeReplyObject(redisCommand(rc, "SCRIPT FLUSH"));
	assert_int_equal(s->ops->bind(s, "255790000001", "640990000000001", T0, old), 0);
	freeReplyObject(redisCommand(rc, "SCRIPT FLUSH"));
	assert_int_equal(s->ops->bind(s, "255790000001", "640990000000002", T0 + 1, old), 1);
	assert_string_equal(old, "640990000000001");
	freeReplyObject(redisCommand(rc, "SCRIPT FLUSH"));
	assert_int_equal(s->ops->rate_take(s, RATE_SRI_SM_SOURCE, "4917990", 1, 60, T0), 0);
	redisFree(rc);
	struct sub_state_stats st;
	s->ops->stats(s, &st);
	assert_int_equal(st.errors, 0);
	s->ops->destroy(s);
}

static void test_bad_settings(void **state)
{
	struct backend *b = *state;
	struct sub_state_limits lim = {100, 100, 3600000, 3600000};
	struct sub_state_redis_cfg c = redis_cfg(b, true);
	char err[256];
	snprintf(c.address, sizeof(c.address), "127.0.0.1");
	assert_null(sub_state_redis_new(&c, &lim, err, sizeof(err)));
	assert_non_null(strstr(err, "address"));
	/* nothing listens on the port: refused at creation, with the address */
	c = redis_cfg(b, true);
	snprintf(c.address, sizeof(c.address), "127.0.0.1:%d", test_free_port());
	assert_null(sub_state_redis_new(&c, &lim, err, sizeof(err)));
	assert_non_null(strstr(err, "127.0.0.1:"));
	printf("  %s\n", err);
	c = redis_cfg(b, true);
	snprintf(c.password_file, sizeof(c.password_file), "/nonexistent/pw");
	assert_null(sub_state_redis_new(&c, &lim, err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/pw"));
	char host[64];
	int port;
	assert_int_equal(sub_state_redis_address("", host, sizeof(host), &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 6379);
	assert_int_equal(sub_state_redis_address("[::1]:7000", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 7000);
	assert_int_equal(sub_state_redis_address("unix:/run/redis.sock", host, sizeof(host), &port), 0);
	assert_string_equal(host, "/run/redis.sock");
	assert_int_equal(port, 0);
	static const char *const bad[] = {"host", "host:", "host:0", "host:65536", "host:12x", "::1:6379",
					  "[::1]", "unix:relative", ":6379"};
	for (unsigned i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		assert_int_equal(sub_state_redis_address(bad[i], host, sizeof(host), &port), -EINVAL);
}

#define PASSWORD "s3cret-Redis-pw-4711"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A server with requirepass: the password file's first line opens it; a wrong password is
 * refused without being echoed. */
static void test_password_file(void **state)
{
	struct redis_harness h;
	int rc = redis_harness_start(&h, "password_file", PASSWORD);
	if (rc == 1)
		skip();
	assert_int_equal(rc, 0);
	struct backend b = {.redis = &h};
	struct sub_state_limits lim = {100, 100, 3600000, 3600000};
	struct sub_state_redis_cfg c = redis_cfg(&b, true);
	char err[256] = "", path[96], old[SUB_IMSI_MAX];
	snprintf(path, sizeof(path), "%s/pw", h.dir);
	/* without AUTH: the script load is refused */
	assert_null(sub_state_redis_new(&c, &lim, err, sizeof(err)));
	printf("  %s\n", err);
	write_file(path, "wrong-password\n");
	snprintf(c.password_file, sizeof(c.password_file), "%s", path);
	assert_null(sub_state_redis_new(&c, &lim, err, sizeof(err)));
	assert_null(strstr(err, "wrong-password"));
	printf("  %s\n", err);
	write_file(path, PASSWORD "\n# a comment line is not read\n");
	struct sub_state *s = sub_state_redis_new(&c, &lim, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(s->ops->bind(s, "255790000001", "640990000000001", T0, old), 0);
	/* a restart: the reconnect authenticates again */
	redis_harness_kill(&h);
	assert_int_equal(redis_harness_run(&h), 0);
	assert_int_equal(until_up(s, T0 + 1), -ENOENT);
	s->ops->destroy(s);
	redis_harness_stop(&h);
}

/* A fake server that loads the three scripts, then resets the connection (RST): the state's
 * next write fails (ECONNRESET; hiredis drops the connection, so no second write can raise
 * SIGPIPE) and the calls give errors, not a crash. */
struct fake_server {
	int lfd;
};

static void *fake_server_main(void *arg)
{
	struct fake_server *f = arg;
	int c = accept(f->lfd, NULL, NULL);
	char buf[4096];
	int answered = 0;
	while (c >= 0 && answered < 3) {
		ssize_t n = read(c, buf, sizeof(buf) - 1);
		if (n <= 0)
			break;
		buf[n] = 0;
		for (char *p = buf; (p = strstr(p, "SCRIPT")) && answered < 3; p += 6, answered++)
			if (write(c, "$40\r\n0123456789012345678901234567890123456789\r\n", 47) != 47)
				break;
	}
	if (c >= 0) {
		struct linger lg = {1, 0};
		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c);
	}
	return NULL;
}

static void test_reset_connection(void **state)
{
	struct fake_server f = {socket(AF_INET, SOCK_STREAM, 0)};
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(f.lfd >= 0);
	assert_int_equal(bind(f.lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(f.lfd, 1), 0);
	assert_int_equal(getsockname(f.lfd, (struct sockaddr *)&a, &al), 0);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, fake_server_main, &f), 0);
	struct sub_state_limits lim = {100, 100, 3600000, 3600000};
	struct sub_state_redis_cfg c = {.timeout_ms = 1000, .reconnect_ms = 20};
	snprintf(c.address, sizeof(c.address), "127.0.0.1:%d", ntohs(a.sin_port));
	char err[256] = "";
	struct sub_state *s = sub_state_redis_new(&c, &lim, err, sizeof(err));
	pthread_join(t, NULL);
	close(f.lfd);
	if (!s)
		printf("  %s\n", err);
	assert_non_null(s);
	struct sub_record r;
	assert_true(s->ops->get(s, "640990000000001", T0, &r) < 0); /* alive after the write */
	assert_true(s->ops->get(s, "640990000000001", T0, &r) < 0);
	s->ops->destroy(s);
}

/* With the node-local cache another node's update is seen up to cache_ms late; this node's own
 * writes and binds are seen at once, and the swap signal stays exact. */
static void test_cache_window(void **state)
{
	struct backend *b = *state;
	struct sub_state *a = open_state(b, 3600000, true);
	b->cache_ms = 1000;
	struct sub_state *n2 = open_state(b, 3600000, false);
	b->cache_ms = 0;
	struct sub_record r = {0}, out;
	char old[SUB_IMSI_MAX];
	assert_int_equal(n2->ops->get(n2, "640990000000001", T0, &out), -ENOENT);
	snprintf(r.vlr, sizeof(r.vlr), "491799001234");
	assert_int_equal(a->ops->put(a, "640990000000001", &r, T0 + 1), 0);
	/* within the window: the cached "unknown" */
	assert_int_equal(n2->ops->get(n2, "640990000000001", T0 + 1000, &out), -ENOENT);
	/* after it: read again */
	assert_int_equal(n2->ops->get(n2, "640990000000001", T0 + 1001, &out), 0);
	assert_string_equal(out.vlr, "491799001234");
	/* A moves the subscriber; B still has the old location within its window */
	snprintf(r.vlr, sizeof(r.vlr), "331799001234");
	assert_int_equal(a->ops->put(a, "640990000000001", &r, T0 + 1002), 0);
	assert_int_equal(n2->ops->get(n2, "640990000000001", T0 + 1500, &out), 0);
	assert_string_equal(out.vlr, "491799001234");
	/* B's own bind drops its entry: the binding and A's location are read back */
	assert_int_equal(n2->ops->bind(n2, "255790000001", "640990000000001", T0 + 1501, old), 0);
	assert_int_equal(n2->ops->get(n2, "640990000000001", T0 + 1502, &out), 0);
	assert_string_equal(out.vlr, "331799001234");
	assert_string_equal(out.msisdn, "255790000001");
	/* bindings are not cached: A's swap right after is seen by B's next bind as no change */
	assert_int_equal(a->ops->bind(a, "255790000001", "640990000000002", T0 + 1503, old), 1);
	assert_int_equal(n2->ops->bind(n2, "255790000001", "640990000000002", T0 + 1504, old), 0);
	a->ops->destroy(a);
	n2->ops->destroy(n2);
}

#define REDIS_ONLY(S)                                                   \
	cmocka_unit_test_prestate(test_two_nodes_share, S),             \
	cmocka_unit_test_prestate(test_cache_window, S),                \
	cmocka_unit_test_prestate(test_racing_binds, S),                \
	cmocka_unit_test_prestate(test_pexpire_bounds, S),              \
	cmocka_unit_test_prestate(test_script_cache_lost, S),           \
	cmocka_unit_test_prestate(test_bad_settings, S),                \
	cmocka_unit_test_prestate(test_password_file, S),               \
	cmocka_unit_test_prestate(test_reset_connection, S),            \
	cmocka_unit_test_prestate(test_outage_and_recovery, S)

int main(void)
{
	struct backend mem = {0};
	const struct CMUnitTest mem_tests[] = {CONFORMANCE(&mem)};
	int fails = cmocka_run_group_tests_name("substate_memory", mem_tests, NULL, NULL);

	struct redis_harness h;
	int rc = redis_harness_start(&h, "substate_redis", NULL);
	if (rc) {
		redis_harness_stop(&h);
		return fails + (rc < 0);
	}
	struct backend rds = {.redis = &h};
	const struct CMUnitTest redis_tests[] = {CONFORMANCE(&rds), REDIS_ONLY(&rds)};
	fails += cmocka_run_group_tests_name("substate_redis", redis_tests, NULL, NULL);
	struct backend cached = {.redis = &h, .seq = 1000, .cache_ms = 1000};
	const struct CMUnitTest cached_tests[] = {CONFORMANCE(&cached)};
	fails += cmocka_run_group_tests_name("substate_redis_cached", cached_tests, NULL, NULL);
	redis_harness_stop(&h);
	return fails;
}
