/* The inline M3UA relay: partner side (we are the SGP for the partners' ASPs) <-> home side
 * (we are an ASP of the home STP), several links on each side.
 *
 * Every DATA message goes through a verdict hook (decode + policy) that says forward, drop, or
 * answer with these bytes (sent back to where the message came from). Forwarded messages are
 * byte-identical to what came in (unless the two sides use different routing contexts: then only
 * the routing context value is rewritten in place) and keep their order per SLS: one SLS always
 * takes the same outgoing link and stream while the set of active links stays the same.
 *
 * Flow control: when an outgoing link's queue reaches its high-water mark, the links feeding it
 * stop being read until it drains. With no home link active, messages from partners are held in
 * a bounded queue (or refused, per configuration), and partners get DUNA / DAVA for the home
 * point codes as the home side goes and comes back.
 *
 * Accounting, per link and direction (messages received on that link):
 *   in = forwarded + blocked + rejected + refused + held
 * blocked: dropped or answered by the hook; rejected: malformed (refused with an M3UA ERR by the
 * link layer, or undecodable/hook error under fail-closed); refused: could not be delivered (no
 * route, no active link, queue full); held: waiting for the home side. Fail-open messages are
 * counted as forwarded and also in hook_errors / malformed. */
#ifndef DFS_RELAY_H
#define DFS_RELAY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfs_buf.h"
#include "m3ua_asp.h"
#include "sigmsg.h"
#include "transport.h"

enum relay_dir { RELAY_FROM_PARTNER = 0, RELAY_FROM_HOME = 1 };
enum relay_verdict { RELAY_FORWARD = 0, RELAY_DROP = 1, RELAY_ANSWER = 2 };
enum relay_fail { RELAY_FAIL_OPEN = 0, RELAY_FAIL_CLOSED = 1 };
enum relay_home_down { RELAY_HOME_DOWN_QUEUE = 0, RELAY_HOME_DOWN_REFUSE = 1 };

const char *relay_dir_name(enum relay_dir d);
const char *relay_verdict_name(enum relay_verdict v);

/* What the verdict hook sees: one DATA message. */
struct relay_msg {
	enum relay_dir dir;
	const uint8_t *p; /* the whole M3UA message as received */
	size_t len;
	const struct m3ua_msg *m3ua; /* decoded M3UA header and parameters (views into p) */
	uint16_t stream;
	unsigned link;         /* index of the partner or home link it came from */
	const char *link_name;
};

/* Return enum relay_verdict, or a negative errno: -EBADMSG when the message cannot be decoded,
 * anything else when the hook itself failed. For RELAY_ANSWER write one complete M3UA message
 * (typically DATA carrying a UDTS or a TCAP Abort) into answer. */
typedef int (*relay_hook_fn)(void *ud, const struct relay_msg *msg, struct dfs_wbuf *answer);

#define RELAY_MAX_LINKS 16
#define RELAY_MAX_PCS 32

struct relay_partner_cfg {
	struct m3ua_sg_cfg sg;
	unsigned n_pcs;
	uint32_t pcs[RELAY_MAX_PCS]; /* destinations behind this partner (home -> partner routing by
					DPC); with a single partner, everything goes there */
};

struct relay_cfg {
	unsigned n_partners, n_homes;
	struct relay_partner_cfg partners[RELAY_MAX_LINKS];
	struct m3ua_asp_cfg homes[RELAY_MAX_LINKS];
	unsigned n_home_pcs;
	uint32_t home_pcs[RELAY_MAX_PCS]; /* our own point codes: DUNA/DAVA to partners, DAUD */
	enum relay_fail on_hook_error;
	enum relay_home_down home_down;
	size_t hold_max_msgs;  /* messages held while no home link is active (0: 10000) */
	size_t hold_max_bytes; /* and their bytes (0: 4 MiB) */
	relay_hook_fn hook;    /* NULL: forward everything */
	void *hook_ud;
};

struct relay_counters {
	uint64_t in, forwarded, blocked, answered, rejected, refused, held;
	uint64_t malformed, hook_errors; /* informational: also counted above */
	uint64_t ssnm_in, ssnm_relayed;
	uint64_t sent; /* messages sent out on this link (forwarded to it, answers, SSNM) */
	uint64_t pauses; /* times reading stopped for back-pressure */
};

struct relay;

struct relay *relay_new(struct tp_net *net, const struct relay_cfg *cfg, char *err, size_t errsz);
void relay_free(struct relay *r);
/* Replace the verdict hook (e.g. after a configuration reload). */
void relay_set_hook(struct relay *r, relay_hook_fn hook, void *ud);
void relay_set_fail_mode(struct relay *r, enum relay_fail f);

unsigned relay_n_partners(const struct relay *r);
unsigned relay_n_homes(const struct relay *r);
struct m3ua_sg *relay_partner(const struct relay *r, unsigned i);
struct m3ua_link *relay_home(const struct relay *r, unsigned i);
const struct relay_counters *relay_partner_counters(const struct relay *r, unsigned i);
const struct relay_counters *relay_home_counters(const struct relay *r, unsigned i);
/* Sum over the links of one side (RELAY_FROM_PARTNER: messages received from partners). */
void relay_totals(const struct relay *r, enum relay_dir d, struct relay_counters *out);
bool relay_home_available(const struct relay *r);
size_t relay_held_msgs(const struct relay *r);

#endif
