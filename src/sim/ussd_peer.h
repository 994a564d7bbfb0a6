/* A live USSD peer for a gateway's MAP face: the simulator as MSC + HLR on the wire.
 *
 * It connects to the gateway's M3UA SGP as an ASP (any transport of transport.h), brings the
 * ASP up and active with the configured routing context, and plays the network side of
 * mobile-originated USSD (TS 24.090, TS 29.002 networkUnstructuredSsContext-v2):
 *
 *   peer -> gw  Begin AARQ(AC 19 v2, MAP-OpenInfo dest-ref IMSI, orig-ref MSISDN)
 *               Invoke processUnstructuredSS-Request (59) "*384#" (msisdn in the argument)
 *   gw -> peer  Continue Invoke unstructuredSS-Request (60) menu       -> on_screen(end false)
 *   peer -> gw  Continue ReturnResult (60) the next input
 *   gw -> peer  End ReturnResult (59) final text                        -> on_screen(end true)
 *
 * Many dialogues may be in flight; each step's latency (request sent to answer received) is
 * reported with its screen. A CON after the last input is released with a TCAP U-Abort.
 * Gateway-initiated dialogues are answered too: a Begin with unstructuredSS-Notify (61) gets
 * an empty ReturnResult in an End, unstructuredSS-Request (60) a ReturnResult carrying the
 * configured reply (in a Continue with the AARE; later op 60/61 invokes in the same dialogue are
 * answered the same way), and on_ni reports each. Single-threaded: everything runs on the
 * event loop of the tp_net given. */
#ifndef DFS_USSD_PEER_H
#define DFS_USSD_PEER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "transport.h"
#include "value_string.h"

#define USSD_PEER_INPUTS_MAX 16
#define USSD_PEER_DCS_GSM7 0x0f
#define USSD_PEER_DCS_UCS2 0x48

struct ussd_peer_cfg {
	struct tp_endpoint remote; /* the gateway's MAP face */
	bool has_rctx;
	uint32_t rctx;
	uint32_t opc, dpc;         /* our point code (HLR) and the gateway's (0: 100 / 200) */
	uint8_t ni;                /* network indicator in the DATA (0: 2, national) */
	char hlr_gt[16], scf_gt[16]; /* SCCP GTs (""; defaults 254722000100 / 254722000900) */
	unsigned max_dialogues;    /* in flight (0: 1024) */
	unsigned step_timeout_ms;  /* a step unanswered this long ends as USSD_PEER_TIMEOUT (0: 10000) */
	const char *ni_reply;      /* answer to a gateway-initiated op 60 (NULL: "1") */
};

enum ussd_peer_outcome {
	USSD_PEER_END = 0,       /* End with the op 59 ReturnResult: the dialogue finished */
	USSD_PEER_ERROR = 1,     /* ReturnError for op 59 (code in detail) */
	USSD_PEER_ABORT = 2,     /* TCAP Abort from the gateway (P-Abort cause or U-Abort) */
	USSD_PEER_TIMEOUT = 3,   /* no answer within step_timeout_ms: U-Abort sent */
	USSD_PEER_EXHAUSTED = 4, /* a CON after the last input: U-Abort sent */
	USSD_PEER_PROTOCOL = 5,  /* an answer we cannot follow (Reject, wrong operation, ...) */
	USSD_PEER_LINK = 6,      /* the ASP went down with the dialogue open */
};
extern const struct value_string ussd_peer_outcome_names[];

struct ussd_peer;

struct ussd_peer_cbs {
	/* A screen of dialogue ud: end true for the final one; step_us: the step's latency. */
	void (*on_screen)(struct ussd_peer *p, void *ud, const char *text, bool end,
			  uint64_t step_us);
	/* The dialogue is over (after its last on_screen, if any); detail says why. */
	void (*on_done)(struct ussd_peer *p, void *ud, enum ussd_peer_outcome o, const char *detail);
	/* A gateway-initiated op (61 Notify, 60 Request) for imsi/msisdn with its text. */
	void (*on_ni)(struct ussd_peer *p, int opcode, const char *dest_ref, const char *text);
	/* The ASP became active (true) or stopped being so. */
	void (*on_link)(struct ussd_peer *p, bool active);
};

struct ussd_peer_dial {
	const char *msisdn, *imsi; /* digits */
	const char *code;          /* NULL: "*384#" */
	const char *inputs[USSD_PEER_INPUTS_MAX];
	unsigned n_inputs;
	bool ucs2; /* send the code and inputs in UCS2 (DCS 0x48) rather than GSM 7-bit */
	/* instead of the code, a raw string in the Begin (e.g. DCS 0x96 secured packets, GW-E2E);
	 * the answer's string is reported as hex */
	uint8_t raw_dcs;
	const uint8_t *raw;
	size_t raw_len;
};

/* Starts the ASP (connects with retries; usrsctp started on the net when the endpoint needs it:
 * usrsctp:, or sctp: on a kernel without SCTP).
 * NULL with err on a configuration error. */
struct ussd_peer *ussd_peer_new(struct tp_net *net, const struct ussd_peer_cfg *cfg,
				const struct ussd_peer_cbs *cbs, void *ud, char *err, size_t errsz);
void *ussd_peer_userdata(const struct ussd_peer *p);
bool ussd_peer_active(const struct ussd_peer *p);
/* Failed connection attempts so far (the ASP keeps retrying with back-off). */
uint64_t ussd_peer_connect_failures(const struct ussd_peer *p);
/* Open a dialogue (the ASP must be active). 0, -ENOTCONN, -EBUSY (max_dialogues in flight),
 * -EINVAL (bad digits, too many inputs, text that does not encode), -ENOBUFS (link queue). */
int ussd_peer_dial(struct ussd_peer *p, const struct ussd_peer_dial *d, void *ud);
unsigned ussd_peer_in_flight(const struct ussd_peer *p);
/* Ends every open dialogue with USSD_PEER_LINK (no callback), closes the ASP. */
void ussd_peer_free(struct ussd_peer *p);

#endif
