/* Internals of the firewall daemon shared by the inline relay (fw.c), the passive listener
 * (fw_passive.c) and the metrics endpoint (fw_metrics.c). */
#ifndef DFS_FW_INT_H
#define DFS_FW_INT_H
#include <stdio.h>
#include <time.h>

#include "capture.h"
#include "fw.h"
#include "fw_simswap_feed.h"
#include "policy.h"

#define FW_LAT_BUCKETS 12
extern const double fw_lat_bounds_s[FW_LAT_BUCKETS]; /* upper bounds; +Inf is the last count */

/* What judging a message needs, the same for the inline and the passive mode: the policy over
 * the subscriber state, and the outputs for alerts and blocked messages. */
struct fw_engine {
	char config_path[FW_PATH_MAX];
	struct policy_config *cfg;
	struct policy_ctx *ctx;
	struct sub_state *state; /* owned: survives reloads */
	struct fw_simswap_feed *feed; /* links.simswap_feed; NULL when not configured */
	struct fw_links links;

	FILE *alerts;
	struct cap_writer *cap;
	uint64_t cap_bytes;
	char cap_err[160];

	uint64_t frames;
	uint64_t verdicts[2 * RELAY_MAX_LINKS][3]; /* [link][allow/alert/block]: partners first */
	uint64_t rule_hits[RULE_COUNT];
	uint64_t malformed, alerts_written, alert_errors, captured, capture_errors, reloads,
		reload_failures, snapshots, snapshot_failures;
	uint64_t lat_count[FW_LAT_BUCKETS + 1];
	double lat_sum_s;
};

/* Load the configuration (policy + links) and the snapshot; open the outputs. 0 or -errno. */
int fw_engine_init(struct fw_engine *e, const char *config_path, char *err, size_t errsz);
void fw_engine_fini(struct fw_engine *e);
/* Reload: 0 (applied), or -EINVAL with err (nothing changed). *links_changed tells whether
 * the new links section differs from the running one (links are not restarted). */
int fw_engine_reload(struct fw_engine *e, bool *links_changed, char *err, size_t errsz);
int fw_engine_snapshot(struct fw_engine *e, char *err, size_t errsz);

/* What a judged message is: an M3UA message (sig_decode_m3ua) or an MTP3 MSU (sig_decode_mtp3). */
enum fw_frame { FW_FRAME_M3UA, FW_FRAME_MTP3 };

/* Decode and judge one message received on link index li at time at (NULL: now); write the
 * alert and, for a block, the capture record (an MTP3 MSU is captured as the M3UA DATA that
 * carries it). *m is the decoded message; returns 0, or -EBADMSG when it did not decode (then
 * v is the policy_eval_malformed verdict). */
int fw_engine_judge(struct fw_engine *e, unsigned li, enum fw_frame kind, const struct timespec *at,
		    const uint8_t *p, size_t len, struct sig_msg *m, struct verdict *v);
void fw_engine_latency(struct fw_engine *e, uint64_t ns);
void fw_engine_tick(struct fw_engine *e);

uint64_t fw_now_ms(void);

/* The answer to a blocked message m (decoded from an M3UA DATA) per v->answer, as one M3UA
 * DATA for the link it came from: routing label and SCCP addresses reversed; TCAP Abort
 * (TC-U-ABORT) or End + ReturnError(v->map_error) to the sender's transaction, or a UDTS
 * returning the SCCP data. 0, -ENOENT when there is nothing to answer (no transaction to end,
 * no SCCP), or -ENOSPC. */
int fw_answer_build(const struct sig_msg *m, const struct verdict *v, struct dfs_wbuf *w);

/* Prometheus endpoint on the event loop (libmicrohttpd without its own thread). */
struct fw_httpd;
struct fw_httpd *fw_httpd_start(struct evloop *l, const char *addr, uint16_t port,
				size_t (*render)(void *ud, char *out, size_t outsz), void *ud,
				char *err, size_t errsz);
uint16_t fw_httpd_port(const struct fw_httpd *h);
void fw_httpd_stop(struct fw_httpd *h);

/* Append printf-style text at *off (never past outsz - 1; always NUL-terminated). */
void fw_textf(char *out, size_t outsz, size_t *off, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The engine's own part of the metrics text (verdicts, rules, latency, outputs). */
size_t fw_engine_metrics(const struct fw_engine *e, const char *const *link_names, unsigned n_links,
			 unsigned n_partners, char *out, size_t outsz);

#endif
