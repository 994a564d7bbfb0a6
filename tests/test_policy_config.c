/* Configuration loading: the shipped example loads, defaults hold, and every kind of mistake
 * is reported as "file:line: field: problem". */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define HOME "home: {country_code: '255', gt_prefixes: ['2557990'], imsi_prefixes: ['64099']}\n"

static struct policy_config *parse(const char *yaml, struct cfg_errors *e)
{
	struct policy_config *c = policy_config_parse("t.yaml", yaml, strlen(yaml), e);
	for (unsigned i = 0; i < e->n; i++)
		printf("  %s\n", e->msg[i]);
	return c;
}

/* The text must fail with exactly one error, equal to want. */
static void expect_error(const char *yaml, const char *want)
{
	struct cfg_errors e;
	struct policy_config *c = parse(yaml, &e);
	assert_null(c);
	assert_int_equal(e.n, 1);
	assert_string_equal(e.msg[0], want);
}

static void test_example_loads(void **state)
{
	struct cfg_errors e;
	struct policy_config *c = policy_config_load(DFSG_SOURCE_DIR "/config/example.yaml", &e);
	for (unsigned i = 0; i < e.n; i++)
		printf("  %s\n", e.msg[i]);
	assert_non_null(c);
	assert_string_equal(c->operator_name, "Kilima Mobile");
	assert_string_equal(c->home_cc, "255");
	assert_int_equal(c->n_partners, 4);
	assert_string_equal(c->partners[3].name, "Gulf Roaming Hub");
	assert_true(c->partners[3].hub);
	assert_true(c->partners[3].allow_ops[22 / 8] & (1 << (22 % 8)));
	assert_int_equal(trie_lookup(&c->gt_net, "25579900001", NULL), NET_HOME);
	assert_int_equal(trie_lookup(&c->gt_net, "491799001234", NULL), NET_PARTNER(2));
	assert_int_equal(trie_lookup(&c->imsi_net, "640990000000001", NULL), NET_HOME);
	assert_int_equal(trie_lookup(&c->roles, "25579900100", NULL), ROLE_MSC | ROLE_VLR);
	assert_int_equal(c->op_cat[71], 1);
	assert_int_equal(c->op_cat[30], 1);
	assert_int_equal(c->op_cat[70], 2);
	assert_int_equal(c->op_cat[59], 3);
	assert_int_equal(c->op_cat[45], 0);
	assert_int_equal(c->intercept_window_s, 600);
	assert_int_equal(c->sri_sm_source.count, 30);
	assert_int_equal(c->sri_sm_source.per_s, 60);
	assert_int_equal(c->rules[RULE_SMS_HOME].answer, ANSWER_MAP_ERROR);
	assert_int_equal(c->rules[RULE_TCAP].answer, ANSWER_UDTS);
	assert_false(c->rules[RULE_ADDR].action_set);
	assert_int_equal(c->subscriber_ttl_s, 30 * 86400);
	assert_int_equal(c->dialogue_timeout_s, 120);
	assert_false(c->pseudo_enabled);
	policy_config_free(c);
}

static void test_defaults(void **state)
{
	struct cfg_errors e;
	struct policy_config *c = parse(HOME, &e);
	assert_non_null(c);
	/* PROTOCOLS.md categories */
	static const int cat1[] = {9, 22, 24, 43, 55, 58, 62, 65, 71, 83, 85, 37, 109, 126};
	static const int cat2[] = {3, 4, 7, 8, 60, 61, 70};
	static const int cat3[] = {2, 10, 11, 12, 13, 14, 23, 56, 59, 67};
	static const int none[] = {44, 45, 46, 47, 66, 127, 200};
	for (unsigned i = 0; i < sizeof(cat1) / sizeof(*cat1); i++)
		assert_int_equal(c->op_cat[cat1[i]], 1);
	for (unsigned i = 0; i < sizeof(cat2) / sizeof(*cat2); i++)
		assert_int_equal(c->op_cat[cat2[i]], 2);
	for (unsigned i = 0; i < sizeof(cat3) / sizeof(*cat3); i++)
		assert_int_equal(c->op_cat[cat3[i]], 3);
	for (unsigned i = 0; i < sizeof(none) / sizeof(*none); i++)
		assert_int_equal(c->op_cat[none[i]], 0);
	assert_int_equal(c->mode, MODE_LEARNING);
	assert_false(c->monitor);
	assert_int_equal(c->rules[RULE_CAT1].action, ACT_BLOCK);
	assert_int_equal(c->rules[RULE_CLI].action, ACT_ALERT);
	assert_true(c->max_speed_kmh > 900);
	policy_config_free(c);
}

static void test_categories_replace_defaults(void **state)
{
	struct cfg_errors e;
	struct policy_config *c = parse(HOME "categories:\n  '1': [71, '100-102']\n", &e);
	assert_non_null(c);
	assert_int_equal(c->op_cat[71], 1);
	assert_int_equal(c->op_cat[101], 1);
	assert_int_equal(c->op_cat[22], 0); /* dropped from category 1 */
	assert_int_equal(c->op_cat[70], 2); /* category 2 keeps its default */
	policy_config_free(c);
	/* moving an op between categories */
	c = parse(HOME "categories:\n  '2': [3, 4, 7, 8, 60, 61, 70, 22]\n", &e);
	assert_non_null(c);
	assert_int_equal(c->op_cat[22], 2);
	policy_config_free(c);
	expect_error(HOME "categories:\n  '1': [71]\n  '2': [70, 71]\n",
		     "t.yaml:4: categories.2[1]: operation 71 is already in category 1");
	expect_error(HOME "categories:\n  '1': ['42-25']\n",
		     "t.yaml:3: categories.1[0]: operation range 42-25 must lie within 0..255, low to high");
	expect_error(HOME "categories:\n  '4': [1]\n", "t.yaml:3: categories.4: unknown key");
}

static void test_errors_name_line_and_field(void **state)
{
	expect_error("home:\n  country_code: '255'\n  gt_prefixes: ['2557x']\n  imsi_prefixes: ['64099']\n",
		     "t.yaml:3: home.gt_prefixes[0]: '2557x' must be 1 to 15 decimal digits");
	expect_error(HOME "colour: blue\n", "t.yaml:2: colour: unknown key");
	expect_error(HOME "policy:\n  mode: lax\n", "t.yaml:3: policy.mode: 'lax' is not one of: learning, strict");
	expect_error(HOME "policy:\n  max_travel_speed_kmh: 99999\n",
		     "t.yaml:3: policy.max_travel_speed_kmh: 99999 is out of range 10..20000");
	expect_error(HOME "policy:\n  monitor: maybe\n",
		     "t.yaml:3: policy.monitor: 'maybe' is not a boolean (true or false)");
	expect_error(HOME "state:\n  max_subscribers: 5\n",
		     "t.yaml:3: state.max_subscribers: 5 is out of range 16..100000000");
	expect_error(HOME "state:\n  subscriber_ttl: 3w\n",
		     "t.yaml:3: state.subscriber_ttl: '3w' is not a duration (e.g. 90, 30s, 10m, 2h, 7d)");
	expect_error(HOME "dialogues:\n  timeout: 2h\n", "t.yaml:3: dialogues.timeout: 2h is out of range 1s..3600s");
	expect_error(HOME "dialogues:\n  max: [1]\n", "t.yaml:3: dialogues.max: expected a single value");
	expect_error(HOME "rules:\n  FW-CAT1: {window: 5m}\n",
		     "t.yaml:3: rules.FW-CAT1.window: unknown key (only FW-INTERCEPT has it)");
	expect_error(HOME "rules:\n  FW-NOPE: {action: block}\n",
		     "t.yaml:3: rules.FW-NOPE: unknown rule id (see docs/rules.md)");
	expect_error(HOME "rules:\n  FW-CAT2: {answer: shout}\n",
		     "t.yaml:3: rules.FW-CAT2.answer: 'shout' is not one of: none, tcap-abort, map-error, udts");
	expect_error(HOME "rules:\n  FW-SMS-HOME:\n    per_source: {count: 10, per: 0}\n",
		     "t.yaml:4: rules.FW-SMS-HOME.per_source.per: 0 is out of range 1s..86400s");
	expect_error(HOME "policy: {mode: strict}\npolicy: {mode: learning}\n", "t.yaml:3: policy: given twice");
}

static void test_required_and_consistency(void **state)
{
	expect_error("policy: {mode: strict}\n", "t.yaml:1: home: is required");
	expect_error("home: {country_code: '255', gt_prefixes: ['2557990']}\n",
		     "t.yaml:1: home: imsi_prefixes is required");
	expect_error("home: {country_code: '999', gt_prefixes: ['1'], imsi_prefixes: ['64099']}\n",
		     "t.yaml:1: home.country_code: 999 is not an E.164 country code");
	expect_error(HOME "partners:\n  - {name: A, country: '254', gt_prefixes: ['2557990']}\n",
		     "t.yaml:3: partners[0].gt_prefixes[0]: prefix 2557990 already belongs to the home network");
	expect_error(HOME "partners:\n  - {name: A, country: '254', gt_prefixes: ['2547']}\n"
			  "  - {name: B, country: '254', gt_prefixes: ['2547']}\n",
		     "t.yaml:4: partners[1].gt_prefixes[0]: prefix 2547 already belongs to partner 'A'");
	expect_error(HOME "partners:\n  - {name: A, gt_prefixes: ['2547']}\n", "t.yaml:3: partners[0]: country is required");
	expect_error(HOME "partners:\n  - {name: A, country: '254', gt_prefixes: ['2547']}\n"
			  "  - {name: A, country: '256', gt_prefixes: ['2567']}\n",
		     "t.yaml:4: partners[1].name: partner 'A' is defined twice");
	expect_error(HOME "nodes:\n  hlr: 25579900001\n", "t.yaml:3: nodes.hlr: expected a list");
	expect_error("home: [\n", "t.yaml:2: yaml: did not find expected node content while parsing a flow node");
	expect_error("", "t.yaml:1: (top level): the file is empty");
}

static void test_pseudonymisation_key(void **state)
{
	struct cfg_errors e;
	expect_error(HOME "pseudonymisation: {enabled: true}\n",
		     "t.yaml:2: pseudonymisation: give exactly one of key_file and key_env");
	unsetenv("DFSG_CFG_TEST_KEY");
	expect_error(HOME "pseudonymisation: {enabled: true, key_env: DFSG_CFG_TEST_KEY}\n",
		     "t.yaml:2: pseudonymisation.key_env: environment variable DFSG_CFG_TEST_KEY is not set");
	setenv("DFSG_CFG_TEST_KEY", "short", 1);
	expect_error(HOME "pseudonymisation: {enabled: true, key_env: DFSG_CFG_TEST_KEY}\n",
		     "t.yaml:2: pseudonymisation: the key must be 16 to 128 bytes long");

	char path[] = "/tmp/dfsg-key-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	fputs("a-secret-key-of-32-bytes-or-so!!\n", f);
	fclose(f);
	char yaml[512];
	snprintf(yaml, sizeof(yaml), HOME "pseudonymisation: {enabled: true, key_file: '%s', fields: [imsi]}\n", path);
	struct policy_config *c = parse(yaml, &e);
	assert_non_null(c);
	assert_int_equal(c->pseudo_key_len, 32); /* the newline is not part of the key */
	assert_true(c->pseudo_imsi);
	assert_false(c->pseudo_msisdn);
	policy_config_free(c);
	unlink(path);
	snprintf(yaml, sizeof(yaml), HOME "pseudonymisation: {enabled: true, key_file: '%s'}\n", path);
	c = parse(yaml, &e);
	assert_null(c);
	assert_int_equal(e.n, 1);
	assert_non_null(strstr(e.msg[0], "pseudonymisation.key_file: cannot open"));
}

/* state.backend and state.redis: defaults, every key, and refusals with file:line: field. */
static void test_state_backend(void **state)
{
	struct cfg_errors e;
	struct policy_config *c = parse(HOME, &e);
	assert_non_null(c);
	assert_int_equal(c->state_backend, SUB_STATE_MEMORY);
	policy_config_free(c);
	c = parse(HOME "state:\n  backend: redis\n", &e);
	assert_non_null(c);
	assert_int_equal(c->state_backend, SUB_STATE_REDIS);
	assert_string_equal(c->redis.address, ""); /* the default, 127.0.0.1:6379 */
	policy_config_free(c);
	c = parse(HOME "state:\n  backend: redis\n  redis:\n    address: 'unix:/run/redis/redis.sock'\n"
		       "    prefix: 'site1:'\n    timeout_ms: 20\n    reconnect_ms: 500\n"
		       "    password_file: /dev/null\n    cache_ms: 250\n    cache_entries: 5000\n",
		  &e);
	assert_non_null(c);
	assert_string_equal(c->redis.address, "unix:/run/redis/redis.sock");
	assert_string_equal(c->redis.prefix, "site1:");
	assert_int_equal(c->redis.timeout_ms, 20);
	assert_int_equal(c->redis.reconnect_ms, 500);
	assert_string_equal(c->redis.password_file, "/dev/null");
	assert_int_equal(c->redis.cache_ms, 250);
	assert_int_equal(c->redis.cache_entries, 5000);
	policy_config_free(c);
	expect_error(HOME "state:\n  backend: etcd\n", "t.yaml:3: state.backend: 'etcd' is not one of: memory, redis");
	expect_error(HOME "state:\n  backend: redis\n  redis: {address: 'redis.example'}\n",
		     "t.yaml:4: state.redis.address: 'redis.example' is not HOST:PORT, [IPV6]:PORT or unix:/PATH");
	expect_error(HOME "state:\n  backend: redis\n  redis: {timeout_ms: 0}\n",
		     "t.yaml:4: state.redis.timeout_ms: 0 is out of range 1..10000");
	expect_error(HOME "state:\n  backend: redis\n  redis: {cache_ms: 60001}\n",
		     "t.yaml:4: state.redis.cache_ms: 60001 is out of range 0..60000");
	expect_error(HOME "state:\n  backend: redis\n  redis: {prefix: 'a b'}\n",
		     "t.yaml:4: state.redis.prefix: must not contain white space");
	expect_error(HOME "state:\n  backend: redis\n  redis: {password_file: /nonexistent/pw}\n",
		     "t.yaml:4: state.redis.password_file: cannot read /nonexistent/pw: No such file or directory");
	expect_error(HOME "state:\n  backend: redis\n  redis: {db: 2}\n", "t.yaml:4: state.redis.db: unknown key");
	expect_error(HOME "state:\n  redis: {prefix: 'x:'}\n",
		     "t.yaml:3: state.redis: given, but state.backend is not redis");
}

static void test_links_opaque_and_many_errors(void **state)
{
	struct cfg_errors e;
	struct policy_config *c = parse(HOME "links:\n  - {name: stp1, listen: 2905}\n", &e);
	assert_non_null(c);
	assert_true(c->has_links);
	assert_int_equal(c->links_line, 3);
	policy_config_free(c);
	/* every error is reported, up to the cap, then counted */
	char yaml[8192];
	size_t k = (size_t)snprintf(yaml, sizeof(yaml), HOME);
	for (int i = 0; i < 40; i++)
		k += (size_t)snprintf(yaml + k, sizeof(yaml) - k, "k%d: 1\n", i);
	c = policy_config_parse("t.yaml", yaml, strlen(yaml), &e);
	assert_null(c);
	assert_int_equal(e.n, CFG_MAX_ERRORS);
	assert_int_equal(e.dropped, 40 - CFG_MAX_ERRORS);
	assert_string_equal(e.msg[0], "t.yaml:2: k0: unknown key");
	/* a missing file */
	assert_null(policy_config_load("/nonexistent/dfsguard.yaml", &e));
	assert_int_equal(e.n, 1);
	assert_string_equal(e.msg[0], "/nonexistent/dfsguard.yaml:0: (file): cannot open: No such file or directory");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_loads),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_categories_replace_defaults),
		cmocka_unit_test(test_errors_name_line_and_field),
		cmocka_unit_test(test_required_and_consistency),
		cmocka_unit_test(test_pseudonymisation_key),
		cmocka_unit_test(test_state_backend),
		cmocka_unit_test(test_links_opaque_and_many_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
