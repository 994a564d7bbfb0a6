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
 * Pure functions: bytes in (one M3UA DATA), bytes out through a callback, time injected.
 * Answers go in SCCP UDT with called/calling swapped and M3UA DATA with OPC/DPC swapped, the
 * same SLS, NI and routing context. */
#ifndef DFS_MAP_FACE_H
#define DFS_MAP_FACE_H
#include <stddef.h>
#include <stdint.h>

#include "gw.h"
#include "sigmsg.h"

#define MAP_FACE_DCS_GSM7 0x0f /* TS 23.038 5: GSM 7-bit, language unspecified */
#define MAP_FACE_DCS_UCS2 0x48 /* UCS2, general data coding */

struct gw_e2e;

struct map_face_config {
	int64_t idle_timeout_ms; /* a dialogue silent this long is U-Aborted; default 60 s */
	unsigned max_dialogues;  /* concurrent; default 10000 */
	char network[11];        /* MCC+MNC given to the gateway; "" = first 5 IMSI digits */
	/* GW-E2E: a processUnstructuredSS-Request or reply whose string has DCS 0x96 (a TS 102
	 * 225 secured packet) goes to gw_e2e_handle() and its PoR comes back, DCS 0x96, in the
	 * op 59 result; NULL: such strings are refused (unexpectedDataValue). Not owned. */
	struct gw_e2e *e2e;
};

struct map_face_dlg;

struct map_face {
	struct gw *g;
	struct map_face_config cfg;
	struct map_face_dlg *dlgs; /* singly linked, newest first */
	unsigned n;
	uint32_t next_otid;
	uint64_t stat_in, stat_bad, stat_timeouts;
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

#endif
