/* SCCP connectionless messages, ITU-T Q.713: UDT, UDTS, XUDT, XUDTS, LUDT, LUDTS.
 *
 *   UDT   type | protocol class | ptr called | ptr calling | ptr data                 4.10
 *   UDTS  type | return cause   | (the same three pointers)                           4.11
 *   XUDT  type | protocol class | hop counter | 4 pointers (the 4th: optional part)  4.18
 *   XUDTS type | return cause   | hop counter | 4 pointers                           4.19
 *   LUDT  type | protocol class | hop counter | 4 two-octet pointers, data with a two-octet
 *         length indicator                                                       4.26
 *   LUDTS type | return cause   | hop counter | as LUDT                              4.27
 *
 * A pointer counts octets from itself to the length indicator of its part (Q.713 2.3);
 * multi-octet pointers and lengths are least significant octet first, and a two-octet pointer
 * counts from its second (most significant) octet, as tshark reads it. The optional part is a list of
 * name (1) | length (1) | value ending with 0x00; segmentation (0x10) and importance (0x12)
 * are decoded, other optional parameters are skipped.
 *
 * Addresses (3.4): address indicator (bit 1 PC present, bit 2 SSN present, bits 3-6 GTI,
 * bit 7 route on SSN), PC (2 octets, 14 bits), SSN, then the global title for GTI 1 to 4.
 * GT digits are BCD, first digit in the low nibble; each nibble becomes one character of
 * "0123456789abcdef", so every address decodes and encodes back to the same octets. */
#ifndef DFS_SCCP_H
#define DFS_SCCP_H
#include <stdint.h>

#include "dfs_buf.h"
#include "dfs_err.h"
#include "sigmsg.h"
#include "value_string.h"

/* Q.713 Table 1 message types (the connectionless ones are the ones decoded here) */
enum sccp_msg_type {
	SCCP_MSG_CR = 0x01, SCCP_MSG_CC = 0x02, SCCP_MSG_CREF = 0x03, SCCP_MSG_RLSD = 0x04,
	SCCP_MSG_RLC = 0x05, SCCP_MSG_DT1 = 0x06, SCCP_MSG_DT2 = 0x07, SCCP_MSG_AK = 0x08,
	SCCP_MSG_UDT = 0x09, SCCP_MSG_UDTS = 0x0a, SCCP_MSG_ED = 0x0b, SCCP_MSG_EA = 0x0c,
	SCCP_MSG_RSR = 0x0d, SCCP_MSG_RSC = 0x0e, SCCP_MSG_ERR = 0x0f, SCCP_MSG_IT = 0x10,
	SCCP_MSG_XUDT = 0x11, SCCP_MSG_XUDTS = 0x12, SCCP_MSG_LUDT = 0x13, SCCP_MSG_LUDTS = 0x14,
};

/* Q.713 3.1 optional parameter names used by the connectionless messages */
enum sccp_param {
	SCCP_PAR_END = 0x00, SCCP_PAR_SEGMENTATION = 0x10, SCCP_PAR_IMPORTANCE = 0x12,
};

/* Q.713 3.4.1 global title indicator */
enum sccp_gti {
	SCCP_GTI_NONE = 0, SCCP_GTI_NAI = 1, SCCP_GTI_TT = 2, SCCP_GTI_TT_NP_ES = 3,
	SCCP_GTI_TT_NP_ES_NAI = 4,
};

/* Q.713 3.4.2.3.3 numbering plan, 3.4.2.3.2 encoding scheme, 3.4.2.3.1 nature of address */
enum { SCCP_NP_E164 = 1, SCCP_NP_E212 = 6, SCCP_NP_E214 = 7 };
enum { SCCP_ES_UNKNOWN = 0, SCCP_ES_BCD_ODD = 1, SCCP_ES_BCD_EVEN = 2, SCCP_ES_NATIONAL = 3 };
enum { SCCP_NAI_SUBSCRIBER = 1, SCCP_NAI_NATIONAL = 3, SCCP_NAI_INTERNATIONAL = 4 };

/* Q.713 3.4.2.2 / PROTOCOLS.md subsystem numbers */
enum sccp_ssn {
	SCCP_SSN_SCMG = 1, SCCP_SSN_ISUP = 3, SCCP_SSN_OMAP = 4, SCCP_SSN_MAP = 5, SCCP_SSN_HLR = 6,
	SCCP_SSN_VLR = 7, SCCP_SSN_MSC = 8, SCCP_SSN_EIR = 9, SCCP_SSN_AUC = 10,
	SCCP_SSN_GMLC = 145, SCCP_SSN_CAP = 146, SCCP_SSN_GSMSCF = 147, SCCP_SSN_SGSN = 149,
	SCCP_SSN_GGSN = 150,
};

/* Q.713 3.12 return cause (UDTS, XUDTS, LUDTS) */
enum {
	SCCP_RC_NO_TRANS_NATURE = 0x00, SCCP_RC_NO_TRANS_ADDR = 0x01, SCCP_RC_SUBSYS_CONGESTION = 0x02,
	SCCP_RC_SUBSYS_FAILURE = 0x03, SCCP_RC_UNEQUIPPED_USER = 0x04, SCCP_RC_MTP_FAILURE = 0x05,
	SCCP_RC_NETWORK_CONGESTION = 0x06, SCCP_RC_UNQUALIFIED = 0x07,
};

#define SCCP_PC_MAX 0x3fff
#define SCCP_GT_MAX_OCTETS (DFS_DIGITS_MAX / 2)
#define SCCP_LUDT_MAX_DATA 3952 /* Q.713 4.26: long data of up to 3952 octets */

extern const struct value_string sccp_msg_type_names[];
extern const struct value_string sccp_ssn_names[];
extern const struct value_string sccp_gti_names[];
extern const struct value_string sccp_np_names[];
extern const struct value_string sccp_es_names[];
extern const struct value_string sccp_nai_names[];
extern const struct value_string sccp_return_cause_names[];

/* Decode a UDT, UDTS, XUDT, XUDTS, LUDT or LUDTS. Other message types give an error
 * ("message type"). Errors use layer "sccp"; data is a view into p. */
int sccp_decode(const uint8_t *p, size_t len, size_t base, struct sccp_msg *m, struct dfs_err *e);

/* Encode from the struct (parts in the order called, calling, data, optional). ES 1/2 (GTI 3, 4)
 * and the odd/even bit (GTI 1) follow the digit count; a GTI 2 title, or GTI 3/4 with another
 * ES, needs an even count. -EINVAL on a bad field (message type, GTI, digit, length), -ENOSPC
 * when w is full. */
int sccp_encode(struct dfs_wbuf *w, const struct sccp_msg *m);

/* One address (the contents after its length indicator), as used inside the messages. */
int sccp_addr_decode(const uint8_t *p, size_t len, size_t base, const char *field, struct sccp_addr *a,
		     struct dfs_err *e);
int sccp_addr_encode(struct dfs_wbuf *w, const struct sccp_addr *a);

/* GTI 4, TT 0, NP 1 (E.164), ES by digit count, NAI 4 (international), route on GT, SSN present,
 * no PC: the usual interconnect address. Digits longer than DFS_DIGITS_MAX are cut. */
void sccp_addr_gt(struct sccp_addr *a, const char *digits, uint8_t ssn);

const char *sccp_msg_type_name(uint8_t t);
const char *sccp_ssn_name(uint8_t ssn);

#endif
