/* The engine's building blocks: the bounded LRU table, the in-process subscriber state's bounds
 * and snapshot (what every state backend does is in test_substate.c), the digit trie, the
 * country table with distances and the velocity check, and TCAP dialogue matching. All with explicit time: nothing sleeps. */
#include "policy_testlib.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "dialogue.h"
#include "geo.h"
#include "lru_table.h"
#include "substate.h"

#define T0 1700000000000ull

static void test_lru_bounds_and_order(void **state)
{
	struct lru_table t;
	assert_int_equal(lru_init(&t, 0, 8), -EINVAL);
	assert_int_equal(lru_init(&t, 4, 8), 0);
	bool created;
	for (uint64_t k = 1; k <= 4; k++)
		*(uint64_t *)lru_put(&t, k, 0, k, &created) = k * 10;
	assert_int_equal(t.n, 4);
	/* a read does not refresh; an update does */
	assert_non_null(lru_get(&t, 1, 0, 5, 0));
	lru_put(&t, 2, 0, 6, &created);
	assert_false(created);
	/* full: the next insert evicts the oldest update, key 1 */
	lru_put(&t, 5, 0, 7, &created);
	assert_true(created);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.evictions, 1);
	assert_null(lru_get(&t, 1, 0, 7, 0));
	assert_int_equal(*(uint64_t *)lru_get(&t, 2, 0, 7, 0), 20);
	/* values of new entries are zeroed even in recycled slots */
	assert_int_equal(*(uint64_t *)lru_get(&t, 5, 0, 7, 0), 0);
	/* expiry: entries updated more than 3 ms before now=8 go (3 and 4), and lookups agree */
	assert_int_equal(lru_expire(&t, 8, 3), 2);
	assert_null(lru_get(&t, 3, 0, 8, 0));
	assert_non_null(lru_get(&t, 2, 0, 8, 3));
	assert_null(lru_get(&t, 2, 0, 100, 3)); /* expired on lookup */
	assert_int_equal(t.n, 1);
	assert_int_equal(lru_del(&t, 5, 0), 0);
	assert_int_equal(lru_del(&t, 5, 0), -ENOENT);
	assert_int_equal(t.n, 0);
	lru_free(&t);
}

static int count_cb(void *ud, uint64_t ka, uint64_t kb, uint64_t updated, const void *val)
{
	uint64_t *prev = ud;
	assert_true(updated >= *prev); /* oldest first */
	*prev = updated;
	return 0;
}

static void test_lru_many(void **state)
{
	struct lru_table t;
	assert_int_equal(lru_init(&t, 1000, 4), 0);
	for (uint64_t i = 0; i < 100000; i++)
		*(uint32_t *)lru_put(&t, i % 3000, i % 7, i, NULL) = (uint32_t)i;
	assert_int_equal(t.n, 1000);
	/* the last 1000 distinct keys are present with their last values */
	for (uint64_t i = 100000 - 1000; i < 100000; i++) {
		uint32_t *v = lru_get(&t, i % 3000, i % 7, 100000, 0);
		assert_non_null(v);
		assert_int_equal(*v, (uint32_t)i);
	}
	uint64_t prev = 0;
	assert_int_equal(lru_foreach(&t, count_cb, &prev), 0);
	lru_free(&t);
}

/* A table sized far beyond what it holds uses a growing prefix of its buckets: every key stays
 * reachable while the prefix doubles, after deletions, and after lru_clear. */
static void test_lru_bucket_growth(void **state)
{
	struct lru_table t;
	assert_int_equal(lru_init(&t, 100000, 8), 0);
	for (uint64_t round = 0; round < 2; round++) {
		for (uint64_t k = 1; k <= 20000; k++)
			*(uint64_t *)lru_put(&t, k * 7919, k, k, NULL) = k + round;
		assert_int_equal(t.n, 20000);
		assert_true(t.mask + 1 >= 20000 && t.mask < 2 * 32768);
		for (uint64_t k = 1; k <= 20000; k += 2)
			assert_int_equal(lru_del(&t, k * 7919, k), 0);
		for (uint64_t k = 1; k <= 20000; k++) {
			uint64_t *v = lru_get(&t, k * 7919, k, 20000, 0);
			if (k % 2) {
				assert_null(v);
			} else {
				assert_non_null(v);
				assert_int_equal(*v, k + round);
			}
		}
		uint64_t prev = 0;
		assert_int_equal(lru_foreach(&t, count_cb, &prev), 0);
		lru_clear(&t);
		assert_int_equal(t.n, 0);
		assert_null(lru_get(&t, 2 * 7919, 2, 20000, 0));
	}
	lru_free(&t);
}

static void test_digits_key(void **state)
{
	assert_int_equal(digits_key(""), 0);
	assert_true(digits_key("0") != digits_key("00"));
	assert_true(digits_key("123") != digits_key("1230"));
	assert_int_equal(digits_key("640990000000001"), digits_key("640990000000001"));
	assert_true(digits_key("640990000000001") != digits_key("640990000000002"));
	/* longer or non-digit strings are hashed, tagged with the top bit */
	assert_true(digits_key("1234567890123456") >> 63);
	assert_true(digits_key("12*34") >> 63);
	assert_true(digits_key("1234567890123456") != digits_key("1234567890123457"));
	char d[20];
	static const char *const round[] = {"0", "00", "640990000000001", "999999999999999", "1a2b"};
	for (unsigned i = 0; i < sizeof(round) / sizeof(*round); i++) {
		assert_int_equal(digits_from_key(digits_key(round[i]), d, sizeof(d)), 0);
		assert_string_equal(d, round[i]);
	}
	assert_int_equal(digits_from_key(digits_key("1234567890123456"), d, sizeof(d)), -1);
	assert_int_equal(digits_from_key(digits_key("640990000000001"), d, 8), -1);
}

static struct sub_state *mem_state(uint32_t max, uint64_t ttl_ms)
{
	struct sub_state_limits lim = {max, max, ttl_ms, ttl_ms};
	struct sub_state *s = sub_state_mem_new(&lim);
	assert_non_null(s);
	return s;
}

static void test_state_bounds(void **state)
{
	struct sub_state *s = mem_state(16, 60000);
	struct sub_record r = {0}, out;
	snprintf(r.vlr, sizeof(r.vlr), "491799001234");
	/* bounded: 1000 subscribers in a table of 16 keep the newest 16 */
	char imsi[16];
	for (int i = 0; i < 1000; i++) {
		snprintf(imsi, sizeof(imsi), "6409900000%05d", i);
		s->ops->put(s, imsi, &r, T0 + (uint64_t)i);
	}
	struct sub_state_stats st;
	s->ops->stats(s, &st);
	assert_int_equal(st.subscribers, 16);
	assert_true(st.evictions >= 1000 - 16);
	assert_int_equal(s->ops->get(s, "640990000000999", T0 + 1000, &out), 0);
	assert_int_equal(s->ops->get(s, "640990000000983", T0 + 1000, &out), -ENOENT);
	/* expire() drops what timed out */
	s->ops->expire(s, T0 + 1000 + 60000 + 1);
	s->ops->stats(s, &st);
	assert_int_equal(st.subscribers, 0);
	s->ops->destroy(s);
}

static void test_state_snapshot(void **state)
{
	struct sub_state *s = mem_state(4, 3600000);
	struct sub_record r = {0}, out;
	char old[SUB_IMSI_MAX], imsi[SUB_IMSI_MAX], err[256];
	char path[] = "/tmp/dfsg-snap-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	for (int i = 0; i < 4; i++) {
		snprintf(imsi, sizeof(imsi), "64099000000000%d", i);
		snprintf(r.vlr, sizeof(r.vlr), "4917990012%d", i);
		r.loc_ms = r.moved_ms = T0 + (uint64_t)i;
		snprintf(r.loc_node, sizeof(r.loc_node), "%s", r.vlr);
		s->ops->put(s, imsi, &r, T0 + (uint64_t)i);
	}
	s->ops->bind(s, "255790000001", "640990000000003", T0 + 10, old);
	assert_int_equal(sub_state_mem_save(s, path, err, sizeof(err)), 0);
	s->ops->destroy(s);

	s = mem_state(4, 3600000);
	assert_int_equal(sub_state_mem_load(s, path, err, sizeof(err)), 0);
	assert_int_equal(s->ops->get(s, "640990000000002", T0 + 20, &out), 0);
	assert_string_equal(out.vlr, "49179900122");
	assert_int_equal(out.loc_ms, T0 + 2);
	assert_int_equal(s->ops->get(s, "640990000000003", T0 + 20, &out), 0);
	assert_string_equal(out.msisdn, "255790000001");
	assert_int_equal(s->ops->imsi_of(s, "255790000001", T0 + 20, imsi), 0);
	assert_string_equal(imsi, "640990000000003");
	/* the eviction order survived: the next new subscriber evicts the oldest, ...000 */
	s->ops->put(s, "640990000000009", &r, T0 + 30);
	assert_int_equal(s->ops->get(s, "640990000000000", T0 + 30, &out), -ENOENT);
	assert_int_equal(s->ops->get(s, "640990000000001", T0 + 30, &out), 0);
	/* update times were kept: the TTL still counts from them */
	assert_int_equal(s->ops->get(s, "640990000000001", T0 + 1 + 3600001, &out), -ENOENT);
	s->ops->destroy(s);

	/* not a snapshot */
	FILE *f = fopen(path, "w");
	fputs("not sqlite", f);
	fclose(f);
	s = mem_state(4, 3600000);
	assert_true(sub_state_mem_load(s, path, err, sizeof(err)) < 0);
	printf("  %s\n", err);
	assert_true(sub_state_mem_load(s, "/nonexistent/dir/snap.db", err, sizeof(err)) < 0);
	assert_true(sub_state_mem_save(s, "/nonexistent/dir/snap.db", err, sizeof(err)) < 0);
	printf("  %s\n", err);
	s->ops->destroy(s);
	unlink(path);
}

static void test_trie(void **state)
{
	struct digit_trie t;
	trie_init(&t);
	assert_int_equal(trie_lookup(&t, "123", NULL), TRIE_NONE);
	assert_int_equal(trie_add(&t, "25", 1), 0);
	assert_int_equal(trie_add(&t, "2557", 2), 0);
	assert_int_equal(trie_add(&t, "2557", 2), 0);
	assert_int_equal(trie_add(&t, "2557", 3), -EEXIST);
	assert_int_equal(trie_add(&t, "25x", 3), -EINVAL);
	assert_int_equal(trie_add(&t, "", 3), -EINVAL);
	int len;
	assert_int_equal(trie_lookup(&t, "255799", &len), 2);
	assert_int_equal(len, 4);
	assert_int_equal(trie_lookup(&t, "2550", &len), 1);
	assert_int_equal(len, 2);
	assert_int_equal(trie_lookup(&t, "2", &len), TRIE_NONE);
	assert_int_equal(len, 0);
	assert_int_equal(trie_exact(&t, "2557"), 2);
	assert_int_equal(trie_exact(&t, "25579"), TRIE_NONE);
	assert_int_equal(trie_or(&t, "99", 4), 0);
	assert_int_equal(trie_or(&t, "99", 1), 0);
	assert_int_equal(trie_exact(&t, "99"), 5);
	assert_int_equal(trie_add(&t, "1*#", 7), 0);
	assert_int_equal(trie_lookup(&t, "1*#5", NULL), 7);
	trie_free(&t);
}

static void test_geo_table(void **state)
{
	unsigned n;
	const struct geo_country *c = geo_table(&n);
	assert_true(n > 230);
	struct geo_index g;
	assert_int_equal(geo_index_init(&g), 0); /* fails on a duplicate prefix */
	for (unsigned i = 0; i < n; i++) {
		assert_true(fabs(c[i].lat) <= 90 && fabs(c[i].lon) <= 180);
		assert_int_equal(strlen(c[i].iso), 2);
		assert_ptr_equal(geo_lookup(&g, c[i].cc), &c[i]);
	}
	/* every ITU zone is covered: each 1-3 digit geographic code resolves */
	static const char *const codes[] = {"1", "20", "211", "27", "290", "30", "350", "44", "500",
					    "599", "60", "670", "692", "7", "81", "880", "886", "90",
					    "960", "998", "255", "254", "49"};
	for (unsigned i = 0; i < sizeof(codes) / sizeof(*codes); i++)
		assert_non_null(geo_lookup(&g, codes[i]));
	assert_string_equal(geo_lookup(&g, "255790000001")->iso, "TZ");
	assert_string_equal(geo_lookup(&g, "12425551234")->iso, "BS"); /* NANP split */
	assert_string_equal(geo_lookup(&g, "12125551234")->iso, "US");
	assert_string_equal(geo_lookup(&g, "14165551234")->iso, "CA");
	assert_string_equal(geo_lookup(&g, "77012345678")->iso, "KZ");
	assert_string_equal(geo_lookup(&g, "79161234567")->iso, "RU");
	assert_null(geo_lookup(&g, "8812345")); /* international networks name no place */
	assert_null(geo_lookup(&g, ""));
	assert_string_equal(geo_by_iso("DE")->cc, "49");
	geo_index_free(&g);
}

static void test_geo_distance_velocity(void **state)
{
	/* London - Paris 344 km, Nairobi - Dodoma ~ 610 km, a quarter meridian 10008 km */
	assert_true(fabs(geo_distance_km(51.5074, -0.1278, 48.8566, 2.3522) - 344) < 3);
	assert_true(fabs(geo_distance_km(0, 0, 90, 0) - 10007.5) < 5);
	assert_true(geo_distance_km(10, 10, 10, 10) == 0);
	assert_true(fabs(geo_distance_km(0, 179.5, 0, -179.5) - 111.2) < 1); /* across the date line */
	/* 1000 km/h with 300 km slack */
	assert_true(geo_travel_plausible(250, 0, 1000, 300));
	assert_false(geo_travel_plausible(6800, 60 * 60000, 1000, 300));
	assert_true(geo_travel_plausible(6800, 7 * 3600000ull, 1000, 300));
	assert_false(geo_travel_plausible(1301, 3600000, 1000, 300));
	assert_true(geo_travel_plausible(1300, 3600000, 1000, 300));
}

/* ---- dialogues ---------------------------------------------------------------- */

static void dmsg(struct sig_msg *m, uint8_t tt, const char *from, const char *to, bool otid, uint32_t o,
		 bool dtid, uint32_t d)
{
	tl_msg(m, tt, -1, from, to);
	tl_tids(m, otid, o, dtid, d);
}

static void test_dialogue_matching(void **state)
{
	struct dlg_table d;
	struct sig_msg m;
	struct dlg_info in = {.opcode = 45, .is_map = true}, out;
	snprintf(in.msisdn, sizeof(in.msisdn), "255790000001");
	assert_int_equal(dlg_init(&d, 64, 10000), 0);
	/* A -> B Begin otid 7 */
	dmsg(&m, TCAP_BEGIN, "A1", "B1", true, 7, false, 0);
	assert_int_equal(dlg_match(&d, &m, T0, &out), DLG_BEGIN);
	dlg_open(&d, &m, &in, T0);
	/* B -> A Continue otid 9 dtid 7 */
	dmsg(&m, TCAP_CONTINUE, "B1", "A1", true, 9, true, 7);
	assert_int_equal(dlg_match(&d, &m, T0 + 1, &out), DLG_FOUND);
	assert_int_equal(out.opcode, 45);
	assert_string_equal(out.msisdn, "255790000001");
	/* A -> B Continue otid 7 dtid 9: found through B's tid */
	dmsg(&m, TCAP_CONTINUE, "A1", "B1", true, 7, true, 9);
	assert_int_equal(dlg_match(&d, &m, T0 + 2, &out), DLG_FOUND);
	/* the same tid at another address is another dialogue */
	dmsg(&m, TCAP_CONTINUE, "A1", "C1", true, 7, true, 9);
	assert_int_equal(dlg_match(&d, &m, T0 + 2, &out), DLG_UNKNOWN);
	/* B -> A End dtid 7 closes both keys */
	dmsg(&m, TCAP_END, "B1", "A1", false, 0, true, 7);
	assert_int_equal(dlg_match(&d, &m, T0 + 3, &out), DLG_FOUND);
	assert_int_equal(d.t.n, 0);
	assert_int_equal(dlg_match(&d, &m, T0 + 4, &out), DLG_UNKNOWN);
	/* Unidirectional is no dialogue */
	dmsg(&m, TCAP_UNI, "A1", "B1", false, 0, false, 0);
	assert_int_equal(dlg_match(&d, &m, T0, &out), DLG_NONE);
	dlg_free(&d);
}

static void test_dialogue_timeout_and_bounds(void **state)
{
	struct dlg_table d;
	struct sig_msg m;
	struct dlg_info in = {.opcode = 2}, out;
	assert_int_equal(dlg_init(&d, 16, 10000), 0);
	dmsg(&m, TCAP_BEGIN, "A1", "B1", true, 1, false, 0);
	dlg_open(&d, &m, &in, T0);
	/* a Continue within the timeout refreshes the dialogue ... */
	dmsg(&m, TCAP_CONTINUE, "B1", "A1", true, 2, true, 1);
	assert_int_equal(dlg_match(&d, &m, T0 + 9000, &out), DLG_FOUND);
	dmsg(&m, TCAP_CONTINUE, "A1", "B1", true, 1, true, 2);
	assert_int_equal(dlg_match(&d, &m, T0 + 18000, &out), DLG_FOUND);
	/* ... a silence longer than the timeout ends it */
	dmsg(&m, TCAP_END, "B1", "A1", false, 0, true, 1);
	assert_int_equal(dlg_match(&d, &m, T0 + 28001, &out), DLG_UNKNOWN);
	/* a flood of Begins never seen ending keeps the table bounded; the newest survive */
	for (uint32_t i = 0; i < 1000; i++) {
		dmsg(&m, TCAP_BEGIN, "666", "B1", true, i, false, 0);
		dlg_open(&d, &m, &in, T0 + 30000 + i);
	}
	assert_true(d.t.n <= 32);
	dmsg(&m, TCAP_END, "B1", "666", false, 0, true, 999);
	assert_int_equal(dlg_match(&d, &m, T0 + 31000, &out), DLG_FOUND);
	dmsg(&m, TCAP_END, "B1", "666", false, 0, true, 1);
	assert_int_equal(dlg_match(&d, &m, T0 + 31000, &out), DLG_UNKNOWN);
	/* expiry empties it */
	assert_true(dlg_expire(&d, T0 + 50000) > 0);
	assert_int_equal(d.t.n, 0);
	dlg_free(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lru_bounds_and_order),
		cmocka_unit_test(test_lru_many),
		cmocka_unit_test(test_lru_bucket_growth),
		cmocka_unit_test(test_digits_key),
		cmocka_unit_test(test_state_bounds),
		cmocka_unit_test(test_state_snapshot),
		cmocka_unit_test(test_trie),
		cmocka_unit_test(test_geo_table),
		cmocka_unit_test(test_geo_distance_velocity),
		cmocka_unit_test(test_dialogue_matching),
		cmocka_unit_test(test_dialogue_timeout_and_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
