/* The MAP face of the USSD gateway: the gateway as the gsmSCF the HLR forwards
 * mobile-originated USSD to (TS 29.002 networkUnstructuredSsContext-v2, TS 24.090 flows).
 *
 *   HLR -> us  Begin   AARQ(AC 19 v2, MAP-OpenInfo dest-ref IMSI, orig-ref MSISDN)
 *                      Invoke processUnstructuredSS-Request (59) "*384#"
 *   us -> HLR  Continue AARE accepted, Invoke unstructuredSS-Request (60) menu     (CON)
 *   HLR -> us  Continue ReturnResult (60) the user's reply
 *   ...
 *   us -> HLR  End     ReturnResult (59) final text                               (END)
 *
 * Network-initiated (map_face_push, TS 24.090 5/6, TS 29.002 11.9/11.10): the gateway opens the
 * dialogue for an application's notification or prompt:
 *
 *   us -> HLR  Begin   AARQ(AC 19 v2, MAP-OpenInfo dest-ref IMSI, orig-ref our gsmSCF GT)
 *                      Invoke unstructuredSS-Notify (61) or -Request (60) text
 *   HLR -> us  Continue / End  ReturnResult (empty for 61, USSD-Res for 60), ReturnError, or Abort
 *   us -> HLR  End     (basic end, when the HLR answered in a Continue)
 *
 * Pure functions: bytes in (one M3UA DATA), bytes out through a callback, time injected.
 * Answers go in SCCP UDT with called/calling swapped and M3UA DATA with OPC/DPC swapped, the
 * same SLS, NI, routing context and network appearance. */
#ifndef DFS_MAP_FACE_H
#define DFS_MAP_FACE_H
#include <stddef.h>
#include <stdint.h>

#include "gw.h"
#include "value_string.h"
#include "sigmsg.h"

#define MAP_FACE_DCS_GSM7 0x0f /* TS 23.038 5: GSM 7-bit, language unspecified */
#define MAP_FACE_DCS_UCS2 0x48 /* UCS2, general data coding */

struct gw_e2e;

struct map_face_config {
	int64_t idle_timeout_ms; /* a dialogue silent this long is U-Aborted; default 60 s */
	unsigned max_dialogues;  /* concurrent; default 10000 */
	char network[11];        /* MCC+MNC given to the gateway; "" = first 5 IMSI digits */
	/* network-initiated USSD (map_face_push): our gsmSCF and the HLR, M3UA routing */
	char gt[16], hlr_gt[16]; /* E.164 digits; "" = pushes off */
	uint32_t pc, hlr_pc;     /* M3UA OPC / DPC of our DATA */
	uint8_t ni;              /* network indicator, 0..3 */
	bool has_rctx;
	uint32_t rctx;
	unsigned max_pushes;     /* concurrent pushes; default 1000 */
	/* GW-E2E: a processUnstructuredSS-Request or reply whose string has DCS 0x96 (a TS 102
	 * 225 secured packet) goes to gw_e2e_handle() and its PoR comes back, DCS 0x96, in the
	 * op 59 result; NULL: such strings are refused (unexpectedDataValue). Not owned. */
	struct gw_e2e *e2e;
};

/* One network-initiated USSD operation and how it ended. */
enum map_push_type {
	MAP_PUSH_NOTIFY = 0,  /* unstructuredSS-Notify (61): a text, no answer */
	MAP_PUSH_REQUEST = 1, /* unstructuredSS-Request (60): a prompt, the subscriber answers */
};
extern const struct value_string map_push_type_names[];

enum map_push_result {
	MAP_PUSH_DELIVERED = 0, /* Notify acknowledged (empty ReturnResult) */
	MAP_PUSH_ANSWERED,      /* Request answered: text */
	MAP_PUSH_ERROR,         /* ReturnError: map_error */
	MAP_PUSH_ABORTED,       /* TCAP Abort (U or P, dialogue refused), or an End without result */
	MAP_PUSH_REJECTED,      /* Reject component or an answer that is not ours to accept */
	MAP_PUSH_TIMEOUT,       /* nothing for idle_timeout_ms */
	MAP_PUSH_CANCELLED,     /* the face shut down first */
};
extern const struct value_string map_push_result_names[];

struct map_push_outcome {
	enum map_push_result result;
	int map_error;        /* MAP_PUSH_ERROR: the MAP error code */
	bool provider_abort;  /* MAP_PUSH_ABORTED: P-Abort (cause in p_abort_cause) */
	uint8_t p_abort_cause;
	char text[SCREEN_MAX_BYTES]; /* MAP_PUSH_ANSWERED: the subscriber's answer, UTF-8 */
};

/* Called once per accepted push, on the thread that drives the face. */
typedef void (*map_push_done_fn)(void *ud, const struct map_push_outcome *o);

struct map_push {
	enum map_push_type type;
	const char *msisdn; /* international digits */
	const char *imsi;   /* NULL or "" when the gateway does not know it */
	const char *text;   /* UTF-8, one screen (screen_fits) */
	map_push_done_fn done;
	void *ud;
};

struct map_push_dlg;

struct map_face_dlg;

struct map_face {
	struct gw *g;
	struct map_face_config cfg;
	struct map_face_dlg *dlgs; /* singly linked, newest first */
	unsigned n;
	uint32_t next_otid;
	uint64_t stat_in, stat_bad, stat_timeouts;
	struct map_push_dlg *pushes; /* our own dialogues (map_push.c) */
	unsigned n_pushes;
	uint64_t stat_pushes, stat_push_ok, stat_push_failed;
};

/* Where answers go: one whole M3UA DATA message. */
typedef void (*map_face_send_fn)(void *ud, const uint8_t *p, size_t len);

void map_face_config_defaults(struct map_face_config *c);
int map_face_init(struct map_face *f, struct gw *g, const struct map_face_config *c);
/* Releases every dialogue (gw_release with GW_END_SHUTDOWN); sends nothing. */
void map_face_destroy(struct map_face *f);
/* One M3UA message in. Answers (zero or one) go to send. Returns 0, or -EBADMSG when the
 * message does not decode as M3UA DATA / SCCP / TCAP (nothing is sent: there is no one to
 * answer reliably), or another negative errno. */
int map_face_input(struct map_face *f, const uint8_t *p, size_t len, int64_t now_ms,
		   map_face_send_fn send, void *ud);
/* Dialogues idle past the timeout: TCAP U-Abort to the peer and gw_release(GW_END_TIMEOUT).
 * Returns how many ended. */
unsigned map_face_sweep(struct map_face *f, int64_t now_ms, map_face_send_fn send, void *ud);
unsigned map_face_count(const struct map_face *f);

/* Open a dialogue of our own towards the configured HLR: Begin with the operation of req
 * (GSM 7-bit when the text allows, else UCS2; destinationReference = IMSI when known, else the
 * MSISDN in the argument). 0: sent, req->done will be called exactly once (from
 * map_face_input, map_face_sweep or map_face_destroy); -ENOTCONN pushes not configured
 * (no gt/hlr_gt), -EINVAL a bad number or text, -EBUSY max_pushes under way, -ENOMEM. */
int map_face_push(struct map_face *f, const struct map_push *req, int64_t now_ms,
		  map_face_send_fn send, void *ud);
unsigned map_face_push_count(const struct map_face *f);

#endif
