/* MTP3 message signal unit (ITU-T Q.704 section 2.2, 2.3): the part of an MSU that MTP2
 * carries above its own header, i.e. what M2UA Protocol Data 1, M2PA User Data and
 * link type 141 (DLT_MTP3) hold:
 *
 *   SIO (1)  = NI (2 bits) | priority/spare (2 bits) | SI (4 bits)      Q.704 14.2
 *   SIF      = routing label (4 octets, ITU 14-bit point codes)          Q.704 2.2
 *              then the user part (SCCP, ISUP, SNM, ...)
 *
 * The ITU routing label is sent least significant bit first:
 *   bits 0..13 DPC, bits 14..27 OPC, bits 28..31 SLS.
 * ANSI (24-bit point codes) and Japanese (TTC) labels are not handled here. */
#ifndef DFS_MTP3_H
#define DFS_MTP3_H
#include <stdint.h>

#include "dfs_buf.h"
#include "dfs_err.h"
#include "sigmsg.h"
#include "value_string.h"

/* Q.704 14.2.1 service indicator */
enum mtp3_si {
	MTP3_SI_SNM = 0,   /* signalling network management */
	MTP3_SI_MTN = 1,   /* signalling network testing and maintenance */
	MTP3_SI_MTNS = 2,  /* ... special */
	MTP3_SI_SCCP = 3,
	MTP3_SI_TUP = 4,
	MTP3_SI_ISUP = 5,
	MTP3_SI_DUP_CC = 6, /* data user part, call and circuit related */
	MTP3_SI_DUP_FAC = 7, /* data user part, facility registration and cancellation */
	MTP3_SI_MTP_TEST = 8,
	MTP3_SI_BISUP = 9,
	MTP3_SI_SISUP = 10,
	MTP3_SI_AAL2 = 12,
	MTP3_SI_BICC = 13,
	MTP3_SI_GCP = 14,
};

/* Q.704 14.2.2 network indicator */
enum mtp3_ni {
	MTP3_NI_INTERNATIONAL = 0,
	MTP3_NI_INTERNATIONAL_SPARE = 1,
	MTP3_NI_NATIONAL = 2,
	MTP3_NI_NATIONAL_SPARE = 3,
};

extern const struct value_string mtp3_si_names[];
extern const struct value_string mtp3_ni_names[];

#define MTP3_LABEL_LEN 4
#define MTP3_HDR_LEN (1 + MTP3_LABEL_LEN) /* SIO + routing label */
#define MTP3_PC_MAX 0x3fff                /* 14-bit ITU point code */

struct mtp3_msg {
	uint8_t sio;      /* the raw octet */
	uint8_t si;       /* enum mtp3_si, low nibble of the SIO */
	uint8_t ni;       /* enum mtp3_ni, two high bits */
	uint8_t prio;     /* the two bits between (spare in ITU; priority in national use) */
	uint16_t dpc, opc;
	uint8_t sls;      /* 4 bits */
	struct dfs_view user; /* user part after the label (SCCP, ISUP, SNM message, ...) */
};

/* Decode an MSU. The user part must hold at least one octet (every user part starts with
 * a message type or heading). Errors: layer "mtp3", field "sio", "routing_label" or
 * "user_part". */
int mtp3_decode(const uint8_t *p, size_t len, size_t base, struct mtp3_msg *m, struct dfs_err *e);

/* Encode SIO (from si, ni, prio; the sio member is ignored), label and user part.
 * -EINVAL when a field is out of range (si > 15, ni > 3, prio > 3, pc > 0x3fff, sls > 15). */
int mtp3_encode(struct dfs_wbuf *w, const struct mtp3_msg *m);

/* The same fields as an M3UA Protocol Data parameter (RFC 4666 3.3.1.1), so one decode path
 * serves MTP3 and M3UA: MP takes the SIO priority bits. */
void mtp3_to_proto_data(const struct mtp3_msg *m, struct m3ua_proto_data *pd);

static inline const char *mtp3_si_name(uint8_t si) { return get_value_string(mtp3_si_names, si); }

#endif
