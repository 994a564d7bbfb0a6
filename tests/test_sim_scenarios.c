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
#include "tcap.h"

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

/* The model's TCAP layer is valid Q.773: it encodes, and decodes back to the same dialogue,
 * transaction ids, components and application context. */
static void test_tcap_roundtrip(void **state)
{
	(void)state;
	struct policy_config *cfg = load_example();
	char err[160];
	struct sim *s = sim_new(cfg, 5, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(sim_add_scenario(s, "mixed", 5000), 0);
	const struct sim_msg *sm;
	uint64_t n = 0;
	while ((sm = sim_next(s)) != NULL) {
		if (!sm->m.has_tcap)
			continue;
		uint8_t buf[1024];
		struct dfs_wbuf w = dfs_wbuf_init(buf, sizeof(buf));
		assert_int_equal(tcap_encode(&w, &sm->m.tcap), 0);
		struct tcap_msg d;
		struct dfs_err e;
		memset(&e, 0, sizeof(e));
		if (tcap_decode(buf, w.len, 0, &d, &e) != 0)
			fail_msg("frame %llu (%s): %s %s: %s", (unsigned long long)sm->frame, sm->flow, e.layer,
				 e.field, e.reason);
		const struct tcap_msg *t = &sm->m.tcap;
		assert_int_equal(d.msg_type, t->msg_type);
		assert_int_equal(d.otid.present, t->otid.present);
		assert_int_equal(d.otid.val, t->otid.val);
		assert_int_equal(d.dtid.present, t->dtid.present);
		assert_int_equal(d.dtid.val, t->dtid.val);
		assert_int_equal(d.has_dialogue, t->has_dialogue);
		assert_int_equal(d.has_open_info, t->has_open_info);
		if (t->has_open_info)
			assert_string_equal(d.dest_ref, t->dest_ref);
		assert_int_equal(d.n_components, t->n_components);
		for (unsigned i = 0; i < t->n_components; i++) {
			assert_int_equal(d.comp[i].type, t->comp[i].type);
			assert_int_equal(d.comp[i].opcode_global, t->comp[i].opcode_global);
			if (t->comp[i].has_opcode && !t->comp[i].opcode_global && t->comp[i].type == TCAP_INVOKE)
				assert_int_equal(d.comp[i].opcode, t->comp[i].opcode);
		}
		if (t->ac_is_map) {
			assert_true(d.ac_is_map);
			assert_int_equal(d.map_ac, t->map_ac);
			assert_int_equal(d.map_ac_version, t->map_ac_version);
		}
		n++;
	}
	assert_true(n > 4000);
	sim_free(s);
	policy_config_free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_per_rule),
		cmocka_unit_test(test_benign),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_tcap_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
