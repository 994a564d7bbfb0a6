/* M3UA ASP and SGP state machines (RFC 4666 4.3) over the transports of transport.h.
 *
 * struct m3ua_link is one association running M3UA, in one of two roles:
 *  - ASP: we connect to an SGP (the home STP) and bring our ASP up and active: ASPUP ->
 *    ASPUP_ACK, ASPAC (routing context, traffic mode) -> ASPAC_ACK; NTFY, BEAT/BEAT_ACK,
 *    ASPIA/ASPDN; reconnects with back-off when the association drops.
 *  - SGP (also an IPSP in single-exchange mode): partner ASPs connect to a struct m3ua_sg, which
 *    answers ASPUP/ASPAC/ASPIA/ASPDN/BEAT, keeps the state of its application server (AS-DOWN,
 *    AS-INACTIVE, AS-ACTIVE, AS-PENDING with recovery timer T(r)) across several ASPs in
 *    override or loadshare mode, and sends NTFY on AS state changes.
 *
 * Invalid messages get an ERR with the RFC 4666 3.8.1 code: invalid version, unsupported message
 * class or type, unexpected message (e.g. DATA while not active), invalid stream identifier,
 * parameter field error, missing parameter, invalid routing context, invalid network appearance,
 * unsupported traffic mode. An ERR is never answered with an ERR.
 *
 * DATA is delivered only while the ASP is active, as the bytes that arrived (for byte-identical
 * forwarding) together with the decoded header. SSNM messages (DUNA, DAVA, DAUD, SCON, DUPU,
 * DRST) are delivered to the owner where the role may receive them; an SGP answers DAUD itself
 * from the owner's view of destination state. */
#ifndef DFS_M3UA_ASP_H
#define DFS_M3UA_ASP_H
#include <stdbool.h>
#include <stdint.h>

#include "m3ua.h"
#include "sigmsg.h"
#include "transport.h"

enum m3ua_role { M3UA_ROLE_ASP = 1, M3UA_ROLE_SGP = 2 };
enum m3ua_asp_state { M3UA_ASP_DOWN = 0, M3UA_ASP_INACTIVE = 1, M3UA_ASP_ACTIVE = 2 };
enum m3ua_as_state { M3UA_AS_DOWN = 1, M3UA_AS_INACTIVE = 2, M3UA_AS_ACTIVE = 3, M3UA_AS_PENDING = 4 };

const char *m3ua_asp_state_name(enum m3ua_asp_state s);
const char *m3ua_as_state_name(enum m3ua_as_state s);
const char *m3ua_tmt_name(uint32_t tmt);

struct m3ua_link;
struct m3ua_sg;

struct m3ua_link_stats {
	uint64_t rx_msgs, tx_msgs;   /* every M3UA message */
	uint64_t rx_data, tx_data;   /* DATA */
	uint64_t rx_bad;             /* messages answered with an ERR (or dropped: ERR itself bad) */
	uint64_t err_sent, err_rcvd; /* ERR messages */
	uint64_t ntfy_sent, ntfy_rcvd;
	uint64_t ssnm_rcvd, ssnm_sent;
	uint64_t beat_timeouts, reconnects;
	uint32_t last_err_sent, last_err_rcvd; /* error codes */
};

struct m3ua_cbs {
	/* DATA while the ASP is active: msg/len is the whole message as received. */
	void (*on_data)(struct m3ua_link *lk, const uint8_t *msg, size_t len, const struct m3ua_msg *m,
			uint16_t stream, void *ud);
	/* An SSNM message this role may receive (ASP: DUNA DAVA SCON DUPU DRST; SGP: SCON). */
	void (*on_ssnm)(struct m3ua_link *lk, const uint8_t *msg, size_t len, const struct m3ua_msg *m,
			void *ud);
	/* The ASP state of the link changed (DOWN also when the association is lost). */
	void (*on_state)(struct m3ua_link *lk, enum m3ua_asp_state old, enum m3ua_asp_state now,
			 void *ud);
	/* SGP: the application server's state changed. */
	void (*on_as_state)(struct m3ua_sg *sg, enum m3ua_as_state old, enum m3ua_as_state now,
			    void *ud);
	/* Queued output drained below half of queue_high (see tp_writable). */
	void (*on_drain)(struct m3ua_link *lk, void *ud);
	/* SGP answering DAUD: 1 available, 0 unavailable, -1 unknown (ERR Destination Status
	 * Unknown). NULL: unknown. pc is the 24-bit point code. */
	int (*dest_state)(struct m3ua_link *lk, uint32_t pc, void *ud);
	/* A message was refused with an ERR of this code (counting: DATA that never reached
	 * on_data). msg/len may be a partial view when the message could not be framed. */
	void (*on_reject)(struct m3ua_link *lk, const uint8_t *msg, size_t len, uint32_t code,
			  void *ud);
	/* An SGP link was accepted (before any message); the owner may set per-link data. */
	void (*on_accept)(struct m3ua_sg *sg, struct m3ua_link *lk, void *ud);
	/* The link object is about to be freed (SGP links when their association ends; any link on
	 * m3ua_link_close or m3ua_sg_close). */
	void (*on_free)(struct m3ua_link *lk, void *ud);
};

#define M3UA_DEFAULT_ACK_MS 2000
#define M3UA_DEFAULT_RECONNECT_MS 200
#define M3UA_MAX_RECONNECT_MS 30000
#define M3UA_DEFAULT_RECOVERY_MS 2000
#define M3UA_BEAT_MISSES 3 /* unanswered BEATs before the association is declared dead */

/* ASP role: a client link to an SGP. */
struct m3ua_asp_cfg {
	const char *name;
	struct tp_endpoint remote;
	struct tp_opts topts;
	bool has_rctx;
	uint32_t rctx;
	bool has_na;
	uint32_t na;
	bool has_asp_id;
	uint32_t asp_id;
	uint32_t tmt;            /* traffic mode in ASPAC (0: not sent) */
	unsigned beat_ms;        /* BEAT interval (0: none) */
	unsigned ack_timeout_ms; /* T(ack) for ASPUP/ASPAC/ASPIA/ASPDN (0: default) */
	unsigned reconnect_ms;   /* first reconnect delay, doubling (0: default) */
};

/* SGP role: a listener for partner ASPs serving one application server. */
struct m3ua_sg_cfg {
	const char *name;
	struct tp_endpoint local;
	struct tp_opts topts;
	bool has_rctx;           /* the AS's routing context (ASPAC/DATA must match when present) */
	uint32_t rctx;
	bool has_na;
	uint32_t na;
	uint32_t tmt;            /* M3UA_TMT_OVERRIDE or M3UA_TMT_LOADSHARE (0: override) */
	unsigned min_active;     /* loadshare: ASPs needed for AS-ACTIVE (0: 1) */
	unsigned recovery_ms;    /* T(r) in AS-PENDING (0: default) */
	unsigned beat_ms;        /* BEAT towards the ASPs (0: none) */
};

/* Start an ASP link: connect, ASPUP, ASPAC; reconnect when the association is lost.
 * NULL with err on a configuration error. */
struct m3ua_link *m3ua_asp_new(struct tp_net *net, const struct m3ua_asp_cfg *cfg,
			       const struct m3ua_cbs *cbs, void *ud, char *err, size_t errsz);
/* ASP role: ASPIA (true) or ASPAC again (false) without dropping the association. */
int m3ua_asp_set_inactive(struct m3ua_link *lk, bool inactive);

struct m3ua_sg *m3ua_sg_new(struct tp_net *net, const struct m3ua_sg_cfg *cfg,
			    const struct m3ua_cbs *cbs, void *ud, char *err, size_t errsz);
/* Close the listener and every association (no callbacks but on_free). */
void m3ua_sg_close(struct m3ua_sg *sg);
uint16_t m3ua_sg_port(const struct m3ua_sg *sg);
enum m3ua_as_state m3ua_sg_as_state(const struct m3ua_sg *sg);
const char *m3ua_sg_name(const struct m3ua_sg *sg);
/* The active ASP that traffic for this SLS goes to (override: the active one; loadshare:
 * spread by SLS over the active ASPs), or NULL. */
struct m3ua_link *m3ua_sg_pick(struct m3ua_sg *sg, uint8_t sls);
unsigned m3ua_sg_count(const struct m3ua_sg *sg, enum m3ua_asp_state at_least);
/* Iterate the SGP's links: first with prev NULL. */
struct m3ua_link *m3ua_sg_next(const struct m3ua_sg *sg, const struct m3ua_link *prev);
void *m3ua_sg_userdata(const struct m3ua_sg *sg);

/* ASP links: ASPIA/ASPDN (best effort) and close; SGP links: drop the association. */
void m3ua_link_close(struct m3ua_link *lk);
enum m3ua_role m3ua_link_role(const struct m3ua_link *lk);
enum m3ua_asp_state m3ua_link_state(const struct m3ua_link *lk);
/* ASP role: the AS state the SGP last notified (0 before any NTFY). */
enum m3ua_as_state m3ua_link_as_state(const struct m3ua_link *lk);
const char *m3ua_link_name(const struct m3ua_link *lk);
const struct m3ua_link_stats *m3ua_link_stats(const struct m3ua_link *lk);
struct m3ua_sg *m3ua_link_sg(const struct m3ua_link *lk);
struct tp_conn *m3ua_link_conn(const struct m3ua_link *lk);
void m3ua_link_set_userdata(struct m3ua_link *lk, void *p);
void *m3ua_link_userdata(const struct m3ua_link *lk);
/* The stream for DATA of this SLS (RFC 4666 1.4.7: stream 0 is for management). */
uint16_t m3ua_link_stream_for_sls(const struct m3ua_link *lk, uint8_t sls);

/* Process one received message as if it had arrived on the association on this stream (the
 * transport does this for every message; tests and fuzzers feed messages directly). */
void m3ua_link_input(struct m3ua_link *lk, const uint8_t *msg, size_t len, uint16_t stream);

/* Send a whole M3UA message as is. DATA needs the ASP active (-ENOTCONN otherwise).
 * Errors from tp_send (-ENOBUFS: queue full). */
int m3ua_link_send(struct m3ua_link *lk, const uint8_t *msg, size_t len, uint16_t stream);
bool m3ua_link_writable(const struct m3ua_link *lk);
void m3ua_link_pause(struct m3ua_link *lk, bool paused);
/* Send an ERR (with the link's routing context, and the first bytes of the offending message
 * as diagnostic information when given). */
int m3ua_link_send_err(struct m3ua_link *lk, uint32_t code, const uint8_t *offending, size_t len);
/* Send a DUNA or DAVA (type M3UA_SSNM_*) for the 24-bit point codes, with the routing context. */
int m3ua_link_send_ssnm(struct m3ua_link *lk, uint8_t type, const uint32_t *pcs, unsigned n);

#endif
