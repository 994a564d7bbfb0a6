/* bench_policy [--redis] [CONFIG] [N]: nanoseconds per policy_eval() over a mix of decoded
 * messages (roaming location updates, authentication, SMS routing and delivery, MO USSD,
 * category-1 probes, spoofed USSD), with subscriber state and dialogue tracking live. Decoding
 * is not included: bench/analyze measures decode + policy over a capture. --redis: the same mix
 * again (N/100 messages, at least 1000) with the state in a redis-server started here, then
 * with the node-local read cache (state.redis.cache_ms) too. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "policy.h"
#include "../tests/redis_harness.h"
#include "../tests/sigmsg_build.h"

#define NMSG 64

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void build_mix(struct sig_msg *msgs)
{
	char imsi[16], msisdn[16], vlr[16];
	for (int i = 0; i < NMSG; i++) {
		struct sig_msg *m = &msgs[i];
		snprintf(imsi, sizeof(imsi), "6409900000%05d", (i / 8) % 50);
		snprintf(msisdn, sizeof(msisdn), "2557900%05d", (i / 8) % 50);
		snprintf(vlr, sizeof(vlr), "49179900%04d", (i / 8) % 7);
		switch (i % 8) {
		case 0: /* roaming location update */
			tl_msg(m, TCAP_BEGIN, 2, vlr, "25579900001");
			tl_imsi(m, imsi);
			tl_maddr(&m->map.vlr, vlr);
			tl_maddr(&m->map.msc, vlr);
			break;
		case 1: /* authentication from the serving network */
			tl_msg(m, TCAP_BEGIN, 56, vlr, "25579900001");
			tl_imsi(m, imsi);
			break;
		case 2: /* SMS routing from a partner SMSC */
			tl_msg(m, TCAP_BEGIN, 45, "254799000300", "25579900001");
			tl_maddr(&m->map.msisdn, msisdn);
			tl_maddr(&m->map.sc_addr, "254799000300");
			break;
		case 3: /* MO USSD */
			tl_msg(m, TCAP_BEGIN, 59, vlr, "25579900001");
			tl_open_info(m, imsi, msisdn);
			tl_maddr(&m->map.msisdn, msisdn);
			break;
		case 4: /* category-1 probe */
			tl_msg(m, TCAP_BEGIN, 71, "33612345678", "25579900001");
			tl_imsi(m, imsi);
			break;
		case 5: /* spoofed USSD */
			tl_msg(m, TCAP_BEGIN, 59, "33612345678", "25579900001");
			tl_open_info(m, imsi, msisdn);
			break;
		case 6: /* a Continue of an unseen dialogue */
			tl_msg(m, TCAP_CONTINUE, 56, vlr, "25579900001");
			m->has_map = false;
			break;
		default: /* an SMS delivery */
			tl_msg(m, TCAP_BEGIN, 44, "254799000300", vlr);
			tl_imsi(m, imsi);
			m->map.sm_rp_oa_type = MAP_SMRP_SC_ADDR;
			snprintf(m->map.sm_rp_oa, sizeof(m->map.sm_rp_oa), "254799000300");
			m->map.has_tpdu = true;
			m->map.tpdu.is_deliver = true;
			break;
		}
		m->tcap.otid.val = (uint32_t)i;
	}
}

/* policy_eval over n messages of the mix with the state cfg names; 0 or 1. */
static int run_mix(const struct policy_config *cfg, long n, const char *label)
{
	char err[256];
	struct policy_ctx *ctx = policy_new(cfg, NULL, err, sizeof(err));
	if (!ctx) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	static struct sig_msg msgs[NMSG];
	build_mix(msgs);
	struct verdict v;
	uint64_t t_ms = 1700000000000ull, counts[3] = {0};
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC), c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	for (long i = 0; i < n; i++) {
		struct sig_msg *m = &msgs[i % NMSG];
		m->tcap.otid.val++;
		counts[policy_eval(ctx, m, t_ms + (uint64_t)i / 10, &v)]++;
	}
	uint64_t dt = clock_ns(CLOCK_MONOTONIC) - t0, dc = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
	printf("policy_eval, %s state: %ld messages in %.3f s: %.0f ns/message (CPU %.0f ns), "
	       "%.3f M messages/s (allow %llu, alert %llu, block %llu)\n",
	       label, n, dt / 1e9, (double)dt / (double)n, (double)dc / (double)n, n / (dt / 1e3),
	       (unsigned long long)counts[0],
	       (unsigned long long)counts[1], (unsigned long long)counts[2]);
	const struct policy_stats *st = policy_get_stats(ctx);
	for (int r = 1; r < RULE_COUNT; r++)
		if (st->by_rule[r])
			printf("  %-14s %llu\n", rule_name((enum rule_id)r), (unsigned long long)st->by_rule[r]);
	struct sub_state_stats ss;
	struct sub_state *state = policy_state(ctx);
	state->ops->stats(state, &ss);
	if (ss.errors)
		printf("  state errors   %llu\n", (unsigned long long)ss.errors);
	policy_free(ctx);
	return 0;
}

/* State round trips per message: the server's count of each command (INFO commandstats). */
static void print_round_trips(const struct redis_harness *h, long n)
{
	struct timeval tv = {2, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", h->port, tv);
	redisReply *r = c && !c->err ? redisCommand(c, "INFO commandstats") : NULL;
	if (r && r->type == REDIS_REPLY_STRING) {
		static const char *const cmds[] = {"hmget", "evalsha", "eval"};
		printf("  Redis commands per message (a round trip each):");
		for (unsigned i = 0; i < sizeof(cmds) / sizeof(*cmds); i++) {
			char tag[48];
			snprintf(tag, sizeof(tag), "cmdstat_%s:calls=", cmds[i]);
			const char *p = strstr(r->str, tag);
			printf(" %s %.2f", cmds[i], p ? strtod(p + strlen(tag), NULL) / (double)n : 0.0);
		}
		printf("\n");
	}
	if (r)
		freeReplyObject(r);
	if (c)
		redisFree(c);
}

int main(int argc, char **argv)
{
	bool redis = argc > 1 && !strcmp(argv[1], "--redis");
	if (redis) {
		argc--;
		argv++;
	}
	const char *path = argc > 1 ? argv[1] : "config/example.yaml";
	long n = argc > 2 ? atol(argv[2]) : 2000000;
	struct policy_config *cfg = policy_config_load_report(path, stderr);
	if (!cfg)
		return 1;
	cfg->state_backend = SUB_STATE_MEMORY;
	int rc = run_mix(cfg, n, "memory");
	if (redis && !rc) {
		/* a round trip per state operation: fewer messages, same mix */
		struct redis_harness h;
		if ((rc = redis_harness_start(&h, "bench_policy --redis", NULL)) == 0) {
			cfg->state_backend = SUB_STATE_REDIS;
			snprintf(cfg->redis.address, sizeof(cfg->redis.address), "127.0.0.1:%d", h.port);
			cfg->redis.timeout_ms = 1000;
			long nr = n / 100 > 1000 ? n / 100 : 1000;
			rc = run_mix(cfg, nr, "redis (local server)");
			print_round_trips(&h, nr);
			/* the node-local read cache, 1 s of message time (the mix advances 0.1 ms a message) */
			cfg->redis.cache_ms = 1000;
			snprintf(cfg->redis.prefix, sizeof(cfg->redis.prefix), "cached:");
			if (!rc)
				rc = run_mix(cfg, nr, "redis + 1 s local cache");
		}
		redis_harness_stop(&h);
	}
	policy_config_free(cfg);
	return rc < 0 ? 1 : rc;
}
