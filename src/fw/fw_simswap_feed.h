/* SIM swap feed: the firewall tells the USSD gateway what it learns about MSISDN-IMSI bindings
 * (THREATS.md GW-SIMSWAP; issue 5), through the gateway's authenticated operator feed
 * POST /simswap/feed (bearer token, CSV "msisdn,imsi,time" lines; docs/ussd.md).
 *
 * A SIM swap seen in signalling (verdict.sim_swap) becomes two lines: the old pairing one second
 * before the message and the new pairing at the message's time, so the gateway records the swap
 * even when it never saw the old SIM (simswap_observe ignores older reports and records a swap
 * when the IMSI differs). With all_bindings, first-seen bindings are sent too.
 *
 * The event loop only appends to a bounded queue under a mutex (full: the line is dropped and
 * counted); a sender thread posts batches with libcurl (TLS verification on; plain HTTP only to
 * 127.0.0.1), retrying a failed batch with doubling back-off a bounded number of times. A batch
 * the gateway refuses (4xx) is not retried. The token is read from a file and appears in no log,
 * error or metric. */
#ifndef DFS_FW_SIMSWAP_FEED_H
#define DFS_FW_SIMSWAP_FEED_H
#include <stddef.h>
#include <stdint.h>

#include "fw.h"
#include "policy.h"

#define FW_FEED_TOKEN_MAX 512

struct fw_simswap_feed;

struct fw_simswap_feed_stats {
	uint64_t queued;   /* lines accepted into the queue */
	uint64_t sent;     /* lines the gateway accepted */
	uint64_t dropped;  /* lines dropped because the queue was full */
	uint64_t failed;   /* lines given up: retries exhausted, or refused by the gateway */
	uint64_t post_errors; /* POSTs that failed (connection, timeout, HTTP error) */
	uint64_t pending;  /* lines waiting now (queue + batch in flight) */
};

/* Check a feed URL: https, or http to 127.0.0.1 only; no user info. 0, or -EINVAL with the
 * reason in why. */
int fw_simswap_feed_check_url(const char *url, char *why, size_t whysz);
/* Read the bearer token from path: one line of 1..FW_FEED_TOKEN_MAX-1 visible characters
 * (trailing newline allowed). 0, or negative errno with the reason in why (never the token). */
int fw_simswap_feed_read_token(const char *path, char *tok, size_t toksz, char *why, size_t whysz);

/* Start the sender for cfg (url non-empty). NULL with the reason in err. */
struct fw_simswap_feed *fw_simswap_feed_new(const struct fw_simswap_feed_cfg *cfg, char *err,
					    size_t errsz);
/* Stop the sender: what is queued gets one more attempt per batch, until the first failure. */
void fw_simswap_feed_free(struct fw_simswap_feed *f);

/* Queue one line. 0, -EINVAL (not an MSISDN of 5..15 digits or an IMSI of 6..15 digits; not
 * counted), or -ENOSPC (queue full; counted as dropped). Never blocks on the network. */
int fw_simswap_feed_put(struct fw_simswap_feed *f, const char *msisdn, const char *imsi, int64_t t_s);
/* What a verdict at now_ms teaches: a SIM swap (old pairing at t-1, new at t), or with
 * all_bindings a first-seen binding. Returns the number of lines queued. */
unsigned fw_simswap_feed_verdict(struct fw_simswap_feed *f, const struct verdict *v, uint64_t now_ms);

void fw_simswap_feed_get_stats(struct fw_simswap_feed *f, struct fw_simswap_feed_stats *st);
/* The Prometheus text of the counters, appended at *off (fw_textf rules). */
void fw_simswap_feed_metrics(struct fw_simswap_feed *f, char *out, size_t outsz, size_t *off);

#endif
