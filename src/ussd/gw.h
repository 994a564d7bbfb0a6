/* The secure USSD gateway core: sessions and the X.1456 controls of THREATS.md section B,
 * independent of the face a dialogue arrives on (HTTP in the Africa's Talking convention, or
 * MAP over M3UA). A face turns each network message into a struct gw_request, calls
 * gw_handle() and sends back the struct gw_response; the gateway enforces
 *   GW-SESSIONID  128-bit CSPRNG session ids (libsodium randombytes)
 *   GW-BIND       a session stays bound to MSISDN + IMSI + service code + network
 *   GW-TIMEOUT    idle and absolute timeouts; half-done transactions voided
 *   GW-INPUT      0-9 * # only, length limits, no menu-path injection through '*'
 *   GW-OUTPUT     every screen fits; longer text paginated
 *   GW-IDEMPOTENT a repeated network message gets the same answer and moves money once
 *   GW-AUDIT      every hop in the hash-chained audit log
 * and offers the money-movement gates the applications must pass (GW-PIN, GW-SIMSWAP,
 * GW-LIMITS, GW-CONFIRM) in gw_pin_check(), gw_gate_debit(), gw_confirm_show() and
 * gw_execute_transfer(). All time comes from the injected clock. */
#ifndef DFS_GW_H
#define DFS_GW_H
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "audit.h"
#include "ledger.h"
#include "channel_limits.h"
#include "msgcat.h"
#include "pin.h"
#include "screen.h"
#include "simswap.h"
#include "udb.h"
#include "value_string.h"

#define GW_SESSION_ID_LEN 32 /* hex of 128 bits */
#define GW_DIALOGUE_MAX 96
#define GW_SERVICES_MAX 16
#define GW_FEE_TIERS 8
#define GW_URL_MAX 256
#define GW_SECRET_MAX 64

enum gw_face {
	GW_FACE_HTTP = 0,
	GW_FACE_MAP = 1,
};
extern const struct value_string gw_face_names[];

enum gw_app_kind {
	GW_APP_WALLET = 0,   /* the built-in reference wallet */
	GW_APP_EXTERNAL = 1, /* an external DFS application over HTTP, same convention */
};

struct gw_service {
	char code[24]; /* "*384#" */
	enum gw_app_kind kind;
	char url[GW_URL_MAX];        /* external: where to POST */
	uint8_t secret[GW_SECRET_MAX]; /* external: HMAC key for our calls and its answers */
	size_t secret_len;
	long timeout_ms;             /* external: per call */
	bool push;                   /* may push network-initiated USSD (POST /ussd/push) */
	unsigned push_per_hour;      /* pushes per subscriber per hour for this service */
};

struct gw_fee_tier {
	int64_t upto; /* amounts up to this (minor units) ... */
	int64_t fee;  /* ... pay this fee */
};

struct gw_config {
	int64_t idle_timeout_ms;  /* GW-TIMEOUT, default 60 s */
	int64_t max_duration_ms;  /* default 180 s */
	int64_t tombstone_ms;     /* how long an ended session's final answer is kept, 600 s */
	unsigned max_input;       /* characters a step, default 32 */
	unsigned max_steps;       /* steps a session, default 32 */
	unsigned max_sessions;    /* concurrent, default 100000 */
	char more_key[4];         /* input that shows the next page, "98" */
	struct pin_policy pin;
	int64_t simswap_cooling_s; /* GW-SIMSWAP, default 72 h */
	struct limits_config limits;
	char brand[32];           /* the service's name on screens */
	char currency[8];
	unsigned minor_digits;    /* 2: amounts typed in major units, kept in minor units */
	char country_code[6];     /* for national numbers typed with a leading 0 */
	char fee_account[33], airtime_account[33], issue_account[33];
	struct gw_fee_tier p2p_fees[GW_FEE_TIERS], cashout_fees[GW_FEE_TIERS];
	unsigned n_p2p_fees, n_cashout_fees;
	struct gw_service services[GW_SERVICES_MAX];
	unsigned n_services;
};

void gw_config_defaults(struct gw_config *c);

/* Milliseconds of wall-clock time; injected so tests control it. */
typedef int64_t (*gw_clock_fn)(void *ud);
int64_t gw_clock_real(void *ud);

struct gw_request {
	enum gw_face face;
	const char *dialogue;     /* the face's id: AT sessionId, or MAP peer + TCAP id */
	const char *msisdn;       /* digits, international format */
	const char *imsi;         /* NULL or "" when the face does not know it */
	const char *service_code; /* "*384#" */
	const char *network;      /* AT networkCode / MCC+MNC of the serving network */
	const char *source;       /* velocity key: the serving node or aggregator */
	const char *text;         /* HTTP: the cumulative AT text; MAP: this step's string */
	bool cumulative;          /* AT convention: text is every input so far, '*'-joined */
};

enum gw_status {
	GW_OK = 0,           /* answer in the response */
	GW_BAD_REQUEST = 1,  /* malformed request: the face answers 4xx with reason */
	GW_UNKNOWN_SERVICE = 2,
	GW_UNAVAILABLE = 3,  /* overload or internal error; a final screen is set too */
};
extern const struct value_string gw_status_names[];

struct gw_response {
	enum gw_status status;
	bool end;                       /* END (release) or CON (prompt) */
	char text[SCREEN_MAX_BYTES];
	char session[GW_SESSION_ID_LEN + 1];
	const char *reason;             /* for GW_BAD_REQUEST: static text */
};

enum gw_end_reason {
	GW_END_NORMAL = 0,
	GW_END_TIMEOUT,   /* idle or absolute timeout */
	GW_END_ABORT,     /* the network released the dialogue (TCAP Abort, user cancel) */
	GW_END_BIND,      /* a request broke the session binding */
	GW_END_ERROR,
	GW_END_SHUTDOWN,
};
extern const struct value_string gw_end_reason_names[];

struct gw;
struct gw_session;

/* What an application behind the gateway implements. begin() answers the first request,
 * input() each validated step, finish() is called once when the session ends for any reason
 * and must void whatever was half done. The reply text may be any length: the gateway
 * paginates. node names the menu position for the audit log. */
struct gw_reply {
	bool end;
	char text[SCREEN_MAX_BYTES * 4];
	const char *node;
};

struct gw_app_ops {
	int (*begin)(struct gw *g, struct gw_session *s, struct gw_reply *r);
	int (*input)(struct gw *g, struct gw_session *s, const char *in, struct gw_reply *r);
	void (*finish)(struct gw *g, struct gw_session *s, enum gw_end_reason why);
};

/* A session as applications see it (fields read-only for them except app_state). */
struct gw_session {
	char id[GW_SESSION_ID_LEN + 1];
	enum gw_face face;
	char dialogue[GW_DIALOGUE_MAX];
	char msisdn[16], imsi[16], service[24], network[16], source[40];
	const struct gw_service *svc;
	int64_t created_ms, last_ms;
	unsigned steps;
	bool ended;
	enum gw_end_reason end_reason;
	void *app_state;

	/* GW-CONFIRM: the last confirmation screen shown, and whether the PIN was entered
	 * after it in this session */
	struct {
		bool shown;
		unsigned seq, step;
		enum ledger_xfer_kind kind;
		char counterparty[LEDGER_ID_MAX];
		int64_t amount, fee;
		bool pin_ok;
	} confirm;
	bool pin_ok;             /* the PIN was verified in this session (any step) */

	/* private to gw.c */
	pthread_mutex_t lock;
	unsigned refs;
	uint8_t text_hash[32];   /* AT cumulative text seen so far: hash and length only */
	size_t text_len;
	bool last_end;
	char last_text[SCREEN_MAX_BYTES];
	struct screen_pages *pages;
	unsigned page;
	bool pages_end;
	struct gw_session *hnext, *prev, *next;
};

struct gw_alert_sink;

struct gw {
	const struct gw_config *cfg;
	struct udb *db;
	struct ledger ledger;
	struct limits limits;
	struct audit_log *audit;
	FILE *alerts;               /* JSON lines; NULL = none */
	pthread_mutex_t alerts_lock;
	const struct msgcat *msgs;
	gw_clock_fn clock;
	void *clock_ud;
	const struct gw_app_ops *wallet;
	const struct gw_app_ops *external;

	pthread_mutex_t lock;       /* the session table */
	struct gw_session **buckets;
	unsigned nbuckets, nsessions;
	struct gw_session list;     /* sentinel of a list of all sessions, oldest first */
	uint64_t stat_requests, stat_sessions, stat_refused;
};

/* The texts the gateway itself needs from the catalogue. */
extern const char *const gw_required_messages[];

int gw_init(struct gw *g, const struct gw_config *cfg, struct udb *db, struct audit_log *audit,
	    FILE *alerts, const struct msgcat *msgs, gw_clock_fn clock, void *clock_ud);
/* Ends every session (apps' finish() with GW_END_SHUTDOWN) and frees the table. */
void gw_destroy(struct gw *g);

/* One network message in, one answer out. Returns 0 (see resp->status) or negative errno. */
int gw_handle(struct gw *g, const struct gw_request *req, struct gw_response *resp);
/* The network released the dialogue (MAP TCAP Abort / End from the MS side). */
void gw_release(struct gw *g, enum gw_face face, const char *dialogue, enum gw_end_reason why);
/* End sessions past their timeouts and drop old tombstones. Returns how many ended. */
unsigned gw_sweep(struct gw *g);

/* An alert (JSON line in the alert file and a record in the audit log). */
void gw_alert(struct gw *g, const char *rule, const char *severity, const struct gw_session *s,
	      const char *msisdn, const char *reason);
/* An audit record for a session (fills time and the session's identities). */
void gw_audit(struct gw *g, const struct gw_session *s, const char *event, const char *node,
	      const char *decision, const char *reason, const char *counterparty, int64_t amount,
	      int64_t fee, int64_t transfer_id);
int64_t gw_now_s(struct gw *g);

/* --- gates for money movement, used by applications --- */

/* GW-PIN: verify the account's PIN; PIN_OK marks the session (and a shown confirmation)
 * as PIN-verified. The PIN goes nowhere but Argon2id. */
int gw_pin_check(struct gw *g, struct gw_session *s, const char *pin, enum pin_result *res,
		 unsigned *left);
/* GW-SIMSWAP and GW-LIMITS for a debit of amount + fee from the session's account.
 * Returns 0 with *control NULL when allowed, or the refusing control's id ("GW-SIMSWAP",
 * "GW-LIMITS") and *detail set; negative errno on a database error. */
int gw_gate_debit(struct gw *g, struct gw_session *s, int64_t amount, int64_t fee,
		  const char **control, const char **detail);
/* GW-SIMSWAP for non-money changes (PIN change, payee addition). */
int gw_gate_simswap(struct gw *g, struct gw_session *s, bool *cooling);
/* GW-CONFIRM: record that a confirmation screen naming counterparty, amount and fee is shown
 * now; any PIN verified before this no longer counts for it. */
void gw_confirm_show(struct gw_session *s, enum ledger_xfer_kind kind, const char *counterparty,
		     int64_t amount, int64_t fee);
/* Execute a confirmed transfer: refused (-EACCES) unless the same details were confirmed and
 * the PIN entered after the confirmation in this session; re-checks the debit gates
 * (-EPERM with *control set when refused); idempotent per session and confirmation.
 * Other errors as ledger_transfer(). */
int gw_execute_transfer(struct gw *g, struct gw_session *s, enum ledger_xfer_kind kind,
			const char *counterparty, int64_t amount, int64_t fee,
			struct ledger_transfer_res *res, const char **control);

/* Helpers for screens. */
void gw_format_amount(const struct gw_config *c, int64_t minor, char *out, size_t outsz);
/* Major units typed by the user ("500") to minor units; -EINVAL when not 1..12 digits. */
int gw_parse_amount(const struct gw_config *c, const char *in, int64_t *minor);
int64_t gw_fee(const struct gw_fee_tier *tiers, unsigned n, int64_t amount);
/* A typed phone number to international digits (leading 0 -> country code). */
int gw_normalize_msisdn(const struct gw_config *c, const char *in, char *out, size_t outsz);

#endif
