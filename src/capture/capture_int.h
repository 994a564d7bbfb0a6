/* Internals shared by the capture reader's files: constants, the per-frame context and
 * the flow table used for SCTP and TCP reassembly. Not a public API. */
#ifndef DFS_CAPTURE_INT_H
#define DFS_CAPTURE_INT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "capture.h"

/* link types (pcap-linktype(7)) */
#define CAP_DLT_NULL 0
#define CAP_DLT_EN10MB 1
#define CAP_DLT_RAW 12       /* Linux/most; LINKTYPE_RAW (101) is mapped to it by libpcap */
#define CAP_DLT_RAW_OPENBSD 14
#define CAP_LINKTYPE_RAW 101
#define CAP_DLT_LOOP 108
#define CAP_DLT_LINUX_SLL 113
#define CAP_DLT_MTP3 141
#define CAP_DLT_IPV4 228
#define CAP_DLT_IPV6 229
#define CAP_DLT_EXPORTED_PDU 252 /* DLT_WIRESHARK_UPPER_PDU */
#define CAP_DLT_LINUX_SLL2 276

#define CAP_IPPROTO_TCP 6
#define CAP_IPPROTO_SCTP 132

/* SCTP payload protocol identifiers (IANA) and the ports tshark also recognises */
#define CAP_PPID_M2UA 2
#define CAP_PPID_M3UA 3
#define CAP_PPID_M2PA 5
#define CAP_PORT_M2UA 2904
#define CAP_PORT_M3UA 2905
#define CAP_PORT_M2PA 3565

/* Bounds on reassembly. A signalling message is a few hundred bytes; LUDT stays below 4 KiB.
 * Anything longer than CAP_MSG_MAX is reported and dropped. */
#define CAP_MSG_MAX (64 * 1024 + 256)
#define CAP_FLOWS_MAX 8192                  /* TCP flows + SCTP streams tracked at once */
#define CAP_REASM_MEM_MAX (64u * 1024 * 1024) /* bytes held in reassembly buffers */

struct cap_flow_key {
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint16_t stream; /* SCTP stream; 0 for TCP */
	uint8_t l4;      /* CAP_IPPROTO_TCP / CAP_IPPROTO_SCTP */
	uint8_t kind;    /* enum cap_flow_kind */
	uint32_t vtag;   /* SCTP TSN tracking: verification tag */
};

enum cap_flow_kind {
	CAP_FLOW_TCP = 0,
	CAP_FLOW_DATA = 1,         /* SCTP DATA fragments of an ordered message */
	CAP_FLOW_DATA_U = 2,       /* ... unordered */
	CAP_FLOW_IDATA = 3,        /* SCTP I-DATA fragments */
	CAP_FLOW_IDATA_U = 4,
	CAP_FLOW_SCTP_TSN = 5,     /* TSNs seen in one direction of an association */
};

#define CAP_TSN_WINDOW 256 /* TSNs remembered below the highest one seen */

struct cap_flow_ent {
	struct cap_flow_key key;
	uint32_t hnext;      /* next index + 1 in the hash chain, 0 = end */
	bool in_use;
	bool seq_known;      /* TCP: seq holds the next expected sequence number */
	bool synced;         /* TCP: the stream position is at an M3UA message boundary */
	bool loss_reported;  /* TCP: the current loss of sync was reported */
	bool in_progress;    /* SCTP: a fragmented message is being collected */
	uint32_t seq;        /* TCP next sequence number / SCTP next TSN or FSN */
	uint32_t mid;        /* SCTP I-DATA message identifier */
	uint32_t ppid;       /* SCTP: of the first fragment */
	uint64_t tsn_seen[CAP_TSN_WINDOW / 64]; /* bit i: TSN seq - i was seen */
	size_t need;         /* TCP: length of the message being collected (0 = header incomplete) */
	uint8_t *buf;
	size_t len, cap;
};

struct cap_flow_table {
	struct cap_flow_ent *ent; /* CAP_FLOWS_MAX entries, allocated on first use */
	uint32_t *bucket;         /* index + 1 */
	uint32_t nbucket;
	uint32_t used;
	uint32_t hand;            /* eviction cursor */
	uint32_t last;            /* index of the entry found last */
	size_t mem;               /* sum of buffer capacities */
};

/* One frame being dissected. */
struct cap_ctx {
	struct cap_dissector *d;
	uint64_t frame;
	struct timespec ts;
	const uint8_t *start; /* frame start, for error offsets */
	bool snap_truncated;  /* caplen < wirelen */
	bool ip_truncated;    /* the IP packet is cut short by the snap length */
	cap_unit_cb cb;
	cap_error_cb ecb;
	void *ud;
	unsigned index;       /* units delivered from this frame */
	unsigned nerr;
	bool stop;
	struct cap_flow flow; /* of the packet being dissected */
};

struct cap_dissector {
	int linktype;
	struct cap_stats stats;
	struct cap_flow_table flows;
};

/* capture.c */
void cap_unit_emit(struct cap_ctx *c, enum cap_proto proto, enum cap_transport tr,
		   const uint8_t *p, size_t len, bool reassembled);
/* Report an error at pointer `at` inside the frame (offset computed from c->start). */
void cap_report(struct cap_ctx *c, const char *layer, const char *field, const uint8_t *at,
		const char *reason);
/* "truncated" variant: says whether the capture's snap length or the packet is to blame. */
void cap_report_short(struct cap_ctx *c, const char *layer, const char *field,
		      const uint8_t *at);
void cap_ip_dissect(struct cap_ctx *c, const uint8_t *p, size_t len);

/* capture_sctp.c */
/* the protocols above SCTP (or named in an exported PDU) that hold signalling units */
enum cap_ulp { CAP_ULP_NONE, CAP_ULP_M3UA, CAP_ULP_MTP3, CAP_ULP_M2UA, CAP_ULP_M2PA };
enum cap_ulp cap_ulp_by_ppid(uint32_t ppid);
enum cap_ulp cap_ulp_by_port(uint16_t port);
/* Hand p[0..n) to the protocol u; exported: it came from an exported PDU (link type 252). */
void cap_ulp_deliver(struct cap_ctx *c, enum cap_ulp u, bool exported, const uint8_t *p,
		     size_t n, const uint8_t *at, bool reasm);
void cap_sctp_dissect(struct cap_ctx *c, const uint8_t *p, size_t len);
/* M2UA / M2PA message in a user message (frame bytes or a reassembly buffer). */
void cap_m2ua_dissect(struct cap_ctx *c, const uint8_t *p, size_t len, const uint8_t *at,
		      bool reassembled, enum cap_transport tr);
void cap_m2pa_dissect(struct cap_ctx *c, const uint8_t *p, size_t len, const uint8_t *at,
		      bool reassembled, enum cap_transport tr);

/* capture_tcp.c */
void cap_tcp_dissect(struct cap_ctx *c, const uint8_t *p, size_t len);
/* Plausible M3UA common header at p (8 bytes available): the message length, or 0. */
size_t cap_m3ua_header_len(const uint8_t *p);

/* capture_flow.c */
/* Find the entry for key, creating it (evicting an old one when full). NULL only when out
 * of memory. *evicted_data is set when an entry that held buffered bytes was dropped. */
struct cap_flow_ent *cap_flow_get(struct cap_flow_table *t, const struct cap_flow_key *key,
				  bool *evicted_data);
/* The entry for key, or NULL. */
struct cap_flow_ent *cap_flow_find(struct cap_flow_table *t, const struct cap_flow_key *key);
/* Append n bytes to the entry's buffer, growing it up to CAP_MSG_MAX bytes.
 * -EMSGSIZE when it would exceed that, -ENOMEM when the table's memory bound is reached. */
int cap_flow_append(struct cap_flow_table *t, struct cap_flow_ent *f, const uint8_t *p,
		    size_t n);
void cap_flow_table_free(struct cap_flow_table *t);
void cap_flow_key_from(struct cap_flow_key *k, const struct cap_flow *fl, uint8_t l4);

static inline uint16_t cap_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t cap_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#endif
