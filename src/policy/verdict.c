/* A verdict as one analyze --json object (docs/rules.md, "Alert format") or one text line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "policy.h"

/* The identity as exported: NULL when absent, its pseudonym when configured, else itself. */
static const char *shown(const struct policy_config *c, const char *digits, bool pseudonymise, char *buf,
			 size_t sz)
{
	if (!digits || !digits[0])
		return NULL;
	if (pseudonymise && c->pseudo_enabled && policy_pseudonym(c, digits, buf, sz) == 0)
		return buf;
	return digits;
}

static void identity(struct json_writer *j, const struct policy_config *c, const char *key,
		     const char *digits, bool pseudonymise)
{
	char p[80];
	json_kv_str(j, key, shown(c, digits, pseudonymise, p, sizeof(p)));
}

/* ISO 8601 UTC with microseconds; "" when the time does not convert. */
static void format_time(const struct timespec *ts, char *out, size_t sz)
{
	struct tm tm;
	time_t sec = ts->tv_sec;
	out[0] = 0;
	if (gmtime_r(&sec, &tm))
		snprintf(out, sz, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)(ts->tv_nsec / 1000));
}

/* With pseudonymisation on, a reason must not leak what the identity fields hide: every digit
 * run of 6 or more (IMSI, MSISDN, and node numbers alike) becomes its pseudonym, except the
 * message's own GTs when GTs are kept in clear. */
static void reason_text(const struct policy_config *c, const struct verdict *v, char *out, size_t outsz)
{
	const char *r = v->reason;
	size_t k = 0;
	out[0] = 0;
	if (!c->pseudo_enabled || !(c->pseudo_imsi || c->pseudo_msisdn || c->pseudo_gt)) {
		snprintf(out, outsz, "%s", r);
		return;
	}
	while (*r && k + 1 < outsz) {
		size_t n = strspn(r, "0123456789");
		char digits[VERDICT_REASON_MAX], p[80];
		if (n >= 6 && n < sizeof(digits)) {
			memcpy(digits, r, n);
			digits[n] = 0;
			bool keep = !c->pseudo_gt && (!strcmp(digits, v->calling_gt) || !strcmp(digits, v->called_gt));
			if (!keep && policy_pseudonym(c, digits, p, sizeof(p)) == 0) {
				k += (size_t)snprintf(out + k, outsz - k, "%s", p);
				r += n;
				continue;
			}
		}
		if (n == 0)
			n = 1;
		int w = snprintf(out + k, outsz - k, "%.*s", (int)n, r);
		k += (size_t)w;
		r += n;
	}
	if (k >= outsz)
		out[outsz - 1] = 0;
}

int verdict_to_json(const struct policy_ctx *ctx, const struct verdict *v, uint64_t frame,
		    const struct timespec *ts, struct json_writer *j)
{
	const struct policy_config *c = policy_config_of(ctx);
	json_obj_begin(j);
	json_kv_uint(j, "frame", frame);
	if (ts) {
		char t[128];
		format_time(ts, t, sizeof(t));
		if (t[0])
			json_kv_str(j, "time", t);
	}
	json_kv_str(j, "verdict", get_value_string(verdict_action_names, v->action));
	json_kv_str(j, "rule", v->rule ? rule_name(v->rule) : NULL);
	json_kv_int(j, "category", v->category);
	json_kv_str(j, "severity", v->rule ? get_value_string(severity_names, v->severity) : NULL);
	char reason[2 * VERDICT_REASON_MAX];
	reason_text(c, v, reason, sizeof(reason));
	json_kv_str(j, "reason", reason[0] ? reason : NULL);
	json_key(j, "opcode");
	if (v->opcode >= 0)
		json_int(j, v->opcode);
	else
		json_null(j);
	identity(j, c, "calling_gt", v->calling_gt, c->pseudo_gt);
	identity(j, c, "called_gt", v->called_gt, c->pseudo_gt);
	identity(j, c, "imsi", v->imsi, c->pseudo_imsi);
	identity(j, c, "msisdn", v->msisdn, c->pseudo_msisdn);
	json_kv_str(j, "answer", get_value_string(answer_kind_names, v->answer));
	if (v->answer == ANSWER_MAP_ERROR)
		json_kv_uint(j, "map_error", v->map_error);
	json_kv_bool(j, "monitor", v->monitored);
	if (v->sim_swap) {
		json_kv_bool(j, "sim_swap", true);
		identity(j, c, "previous_imsi", v->swap_old_imsi, c->pseudo_imsi);
	}
	json_obj_end(j);
	return json_ok(j) ? 0 : -ENOSPC;
}

int verdict_to_text(const struct policy_ctx *ctx, const struct verdict *v, uint64_t frame,
		    const struct timespec *ts, char *out, size_t outsz)
{
	const struct policy_config *c = policy_config_of(ctx);
	char t[128] = "", op[16] = "-", reason[2 * VERDICT_REASON_MAX];
	char b1[80], b2[80], b3[80], b4[80];
	if (ts)
		format_time(ts, t, sizeof(t));
	if (v->opcode >= 0)
		snprintf(op, sizeof(op), "op %d", v->opcode);
	reason_text(c, v, reason, sizeof(reason));
	const char *calling = shown(c, v->calling_gt, c->pseudo_gt, b1, sizeof(b1));
	const char *called = shown(c, v->called_gt, c->pseudo_gt, b2, sizeof(b2));
	const char *imsi = shown(c, v->imsi, c->pseudo_imsi, b3, sizeof(b3));
	const char *msisdn = shown(c, v->msisdn, c->pseudo_msisdn, b4, sizeof(b4));
	int n = snprintf(out, outsz, "frame %llu%s%s %s %s %s %s %s -> %s imsi %s msisdn %s%s: %s",
			 (unsigned long long)frame, t[0] ? " " : "", t,
			 get_value_string(verdict_action_names, v->action), v->rule ? rule_name(v->rule) : "-",
			 v->rule ? get_value_string(severity_names, v->severity) : "-", op,
			 calling ? calling : "-", called ? called : "-", imsi ? imsi : "-", msisdn ? msisdn : "-",
			 v->monitored ? " (monitor)" : "", reason[0] ? reason : "-");
	return n < 0 || (size_t)n >= outsz ? -ENOSPC : 0;
}
