/* The simulator's labels against the policy engine, per scenario, over the shipped example
 * configuration: each attack scenario fires exactly its rule (and only on attack frames), its
 * benign twins pass, the mixed capture reaches 100% recall with no false block. Messages go
 * through the model (struct sig_msg as the decoder fills it); test_sim_analyze.sh runs the
 * same through encoders, a capture file and the decoders. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy.h"
#include "sim.h"

struct tally {
	uint64_t msgs, attacks, detected, benign, false_block, false_alert, mismatches;
	uint64_t by_rule[RULE_COUNT];
};

static struct policy_config *load_example(void)
{
	struct cfg_errors errs;
	struct policy_config *c = policy_config_load(DFSG_SOURCE_DIR "/config/example.yaml", &errs);
	for (unsigned i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	assert_non_null(c);
	return c;
}

static void run(const char *scenario, uint64_t count, uint64_t seed, struct tally *t)
{
	struct policy_config *cfg = load_example();
	char err[160];
	struct policy_ctx *ctx = policy_new(cfg, NULL, err, sizeof(err));
	assert_non_null(ctx);
	struct sim *s = sim_new(cfg, seed, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(sim_add_scenario(s, scenario, count), 0);
	memset(t, 0, sizeof(*t));
	const struct sim_msg *sm;
	while ((sm = sim_next(s)) != NULL) {
		struct verdict v;
		if (sm->malformed) {
			struct dfs_err e;
			dfs_err_set(&e, "tcap", "length", 20, "BER length beyond the end of the message");
			policy_eval_malformed(ctx, &sm->m, &e, sm->t_ms, &v);
		} else {
			policy_eval(ctx, &sm->m, sm->t_ms, &v);
		}
		t->msgs++;
		t->by_rule[v.rule]++;
		if (v.action != sm->exp_action || v.rule != sm->exp_rule) {
			if (t->mismatches++ < 8) {
				char line[256];
				sim_label_csv(sm, line, sizeof(line));
				fprintf(stderr, "  mismatch %s: got %s %s (%s)\n", line,
					get_value_string(verdict_action_names, v.action), rule_name(v.rule), v.reason);
			}
		}
		if (sm->exp_rule) {
			t->attacks++;
			t->detected += v.rule == sm->exp_rule && v.action != ACT_ALLOW;
		} else {
			t->benign++;
			t->false_block += v.action == ACT_BLOCK;
			t->false_alert += v.action == ACT_ALERT;
		}
	}
	printf("%-14s %7llu msgs, %5llu labelled attacks, detected %5llu (recall %.1f%%), benign %llu: "
	       "%llu false blocks, %llu false alerts\n",
	       scenario, (unsigned long long)t->msgs, (unsigned long long)t->attacks,
	       (unsigned long long)t->detected, t->attacks ? 100.0 * t->detected / t->attacks : 100.0,
	       (unsigned long long)t->benign, (unsigned long long)t->false_block,
	       (unsigned long long)t->false_alert);
	sim_free(s);
	policy_free(ctx);
	policy_config_free(cfg);
}

static void test_per_rule(void **state)
{
	(void)state;
	for (int r = RULE_CAT1; r < RULE_COUNT; r++) {
		struct tally t;
		run(rule_name(r), 600, 7 + r, &t);
		assert_int_equal(t.mismatches, 0);
		assert_true(t.attacks > 0);
		assert_int_equal(t.detected, t.attacks);
		assert_int_equal(t.false_block + t.false_alert, 0);
		/* exactly that rule fired */
		for (int o = RULE_CAT1; o < RULE_COUNT; o++)
			if (o != r)
				assert_int_equal(t.by_rule[o], 0);
		assert_true(t.by_rule[r] > 0);
	}
}

static void test_benign(void **state)
{
	(void)state;
	struct tally t;
	run("benign", 20000, 1, &t);
	assert_int_equal(t.mismatches, 0);
	assert_int_equal(t.attacks, 0);
	assert_int_equal(t.false_block + t.false_alert, 0);
}

static void test_mixed(void **state)
{
	(void)state;
	struct tally t;
	run("mixed", 30000, 42, &t);
	assert_int_equal(t.mismatches, 0);
	assert_true(t.attacks > 50);
	assert_int_equal(t.detected, t.attacks);
	assert_int_equal(t.false_block, 0);
}

static void test_deterministic(void **state)
{
	(void)state;
	struct policy_config *cfg = load_example();
	char err[160], a[256], b[256];
	struct sim *s1 = sim_new(cfg, 99, err, sizeof(err)), *s2 = sim_new(cfg, 99, err, sizeof(err));
	assert_int_equal(sim_add_scenario(s1, "mixed", 3000), 0);
	assert_int_equal(sim_add_scenario(s2, "mixed", 3000), 0);
	assert_int_equal(sim_add_scenario(s1, "no-such-scenario", 1), -ENOENT);
	const struct sim_msg *x, *y;
	uint64_t n = 0;
	while ((x = sim_next(s1)) != NULL) {
		y = sim_next(s2);
		assert_non_null(y);
		sim_label_csv(x, a, sizeof(a));
		sim_label_csv(y, b, sizeof(b));
		assert_string_equal(a, b);
		n++;
	}
	assert_null(sim_next(s2));
	assert_true(n >= 3000);
	sim_free(s1);
	sim_free(s2);
	policy_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_rule),
		cmocka_unit_test(test_benign),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_deterministic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
