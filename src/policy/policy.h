/* The signalling firewall's rule engine (THREATS.md section A, docs/rules.md).
 *
 * policy_eval() judges one decoded message against the configuration and the subscriber
 * state and returns a verdict: allow, alert or block, with the rule id, category, severity,
 * a human reason, the identities involved and the answer a blocking firewall sends back. It
 * learns subscriber state from allowed traffic and from results, tracks TCAP dialogues, and
 * does no I/O and no allocation per message. Time is passed in (milliseconds), never read.
 *
 * The analyser is a thin loop over it:
 *     decode -> policy_eval(ctx, &msg, now_ms, &v) -> if (v.action != ACT_ALLOW) print
 * and a message that does not decode goes to policy_eval_malformed(). */
#ifndef DFS_POLICY_H
#define DFS_POLICY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "dfs_err.h"
#include "json_writer.h"
#include "rules.h"
#include "sigmsg.h"
#include "substate.h"

#define VERDICT_REASON_MAX 200

struct verdict {
	uint8_t action;       /* enum verdict_action, after monitor mode */
	uint8_t rule_action;  /* what the rule decided, before monitor mode */
	bool monitored;       /* a block turned into an alert by monitor mode */
	uint8_t rule;         /* enum rule_id; RULE_NONE when nothing fired */
	uint8_t category;     /* FS.11 category of the operation, 0 none */
	uint8_t severity;     /* enum severity */
	uint8_t answer;       /* enum answer_kind (ANSWER_NONE unless action is block) */
	uint16_t map_error;   /* with ANSWER_MAP_ERROR */
	uint8_t tcap_type;    /* enum tcap_msg_type, 0 when no TCAP */
	int32_t opcode;       /* the operation judged, -1 none */
	char reason[VERDICT_REASON_MAX];
	char imsi[16];
	char msisdn[DFS_DIGITS_MAX + 1];
	char calling_gt[DFS_DIGITS_MAX + 1];
	char called_gt[DFS_DIGITS_MAX + 1];
	/* events */
	bool sim_swap;        /* the MSISDN moved to another IMSI */
	char swap_old_imsi[16];
	bool bound_new;       /* the MSISDN got its first IMSI binding from this message */
	bool learned;         /* subscriber state was updated from this message */
};

struct policy_stats {
	uint64_t messages, malformed;
	uint64_t by_action[3];
	uint64_t by_rule[RULE_COUNT];
	uint64_t sim_swaps, learned;
	uint64_t dialogues_open, dialogues_unknown;
};

struct policy_ctx;

/* A context over cfg (which must outlive it). state NULL: an in-process state sized from the
 * configuration, owned by the context; otherwise the caller's, not freed by policy_free().
 * NULL on failure with a message in err. */
struct policy_ctx *policy_new(const struct policy_config *cfg, struct sub_state *state, char *err,
			      size_t errsz);
void policy_free(struct policy_ctx *ctx);

/* Judge one message at time now_ms. Always fills *v; returns v->action. */
int policy_eval(struct policy_ctx *ctx, const struct sig_msg *m, uint64_t now_ms, struct verdict *v);
/* A message that did not decode: FW-TCAP with the decoder's reason. m may be NULL or hold
 * the layers decoded before the error (for the addresses). Returns v->action. */
int policy_eval_malformed(struct policy_ctx *ctx, const struct sig_msg *m, const struct dfs_err *err,
			  uint64_t now_ms, struct verdict *v);

/* Expire idle dialogues and state entries (call every second or so; cheap when idle). */
void policy_tick(struct policy_ctx *ctx, uint64_t now_ms);

const struct policy_stats *policy_get_stats(const struct policy_ctx *ctx);
struct sub_state *policy_state(struct policy_ctx *ctx);
const struct policy_config *policy_config_of(const struct policy_ctx *ctx);

/* The analyze --json object for a verdict: frame, time, verdict, rule, category, severity,
 * reason, opcode, calling_gt, called_gt, imsi, msisdn (pseudonymised when configured), answer,
 * monitor, and sim_swap when it happened. ts may be NULL (time omitted). Returns 0 or -ENOSPC. */
int verdict_to_json(const struct policy_ctx *ctx, const struct verdict *v, uint64_t frame,
		    const struct timespec *ts, struct json_writer *j);

/* The same as one readable line (no newline):
 * "frame 17 2023-11-14T22:13:20.123456Z block FW-CAT1 high op 71 CALLING -> CALLED imsi X msisdn Y: reason".
 * Returns 0, or -ENOSPC when truncated. */
int verdict_to_text(const struct policy_ctx *ctx, const struct verdict *v, uint64_t frame,
		    const struct timespec *ts, char *out, size_t outsz);

/* Keyed pseudonym of an identity: "p" + hex of HMAC-SHA256(key, digits) truncated to the
 * configured length. Returns 0, or -EINVAL when pseudonymisation is off or out is too small. */
int policy_pseudonym(const struct policy_config *cfg, const char *digits, char *out, size_t outsz);

#endif
