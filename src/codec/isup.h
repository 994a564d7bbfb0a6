/* ISUP, ITU-T Q.763: the message skeleton of the common messages and the IAM with its called
 * and calling party numbers (enough for caller-ID checks).
 *
 *   CIC (2, least significant octet first, 12 bits) | message type (1)            Q.763 1.2
 *   mandatory fixed part | pointers to the mandatory variable parts and to the optional part |
 *   variable parts (length + value) | optional parameters (name, length, value) ... 0x00
 *
 * IAM (Q.763 Table 32): nature of connection (1), forward call indicators (2), calling party's
 * category (1), transmission medium requirement (1); called party number (variable); optional
 * part with the calling party number (0x0a).
 * Numbers (Q.763 3.9, 3.10): odd/even | NAI, then INN or NI | NPI | (calling: presentation,
 * screening), then address signals two per octet, first in the low nibble. Each signal becomes
 * one character of "0123456789abcdef" (b, c: codes 11 and 12; f: ST). */
#ifndef DFS_ISUP_H
#define DFS_ISUP_H
#include <stdint.h>

#include "dfs_buf.h"
#include "dfs_err.h"
#include "sigmsg.h"
#include "value_string.h"

/* Q.763 Table 4 message types (the ones whose format the decoder checks) */
enum isup_msg_type {
	ISUP_IAM = 0x01, ISUP_SAM = 0x02, ISUP_INR = 0x03, ISUP_INF = 0x04, ISUP_COT = 0x05,
	ISUP_ACM = 0x06, ISUP_CON = 0x07, ISUP_FOT = 0x08, ISUP_ANM = 0x09, ISUP_REL = 0x0c,
	ISUP_SUS = 0x0d, ISUP_RES = 0x0e, ISUP_RLC = 0x10, ISUP_CCR = 0x11, ISUP_RSC = 0x12,
	ISUP_BLO = 0x13, ISUP_UBL = 0x14, ISUP_BLA = 0x15, ISUP_UBA = 0x16, ISUP_GRS = 0x17,
	ISUP_CGB = 0x18, ISUP_CGU = 0x19, ISUP_CGBA = 0x1a, ISUP_CGUA = 0x1b, ISUP_GRA = 0x29,
	ISUP_CQM = 0x2a, ISUP_CQR = 0x2b, ISUP_CPG = 0x2c, ISUP_UCIC = 0x2e,
};

/* Q.763 Table 5 parameter names used here */
enum { ISUP_PAR_END = 0x00, ISUP_PAR_CALLED = 0x04, ISUP_PAR_CALLING = 0x0a };

/* Q.763 3.9 nature of address, numbering plan, 3.10 presentation and screening */
enum { ISUP_NAI_SUBSCRIBER = 1, ISUP_NAI_UNKNOWN = 2, ISUP_NAI_NATIONAL = 3, ISUP_NAI_INTERNATIONAL = 4 };
enum { ISUP_NPI_ISDN = 1, ISUP_NPI_DATA = 3, ISUP_NPI_TELEX = 4 };
enum { ISUP_PRES_ALLOWED = 0, ISUP_PRES_RESTRICTED = 1, ISUP_PRES_NOT_AVAILABLE = 2 };
enum { ISUP_SCR_USER_NOT_VERIFIED = 0, ISUP_SCR_USER_PASSED = 1, ISUP_SCR_USER_FAILED = 2,
       ISUP_SCR_NETWORK = 3 };

#define ISUP_CIC_MAX 0x0fff

/* Fixed IAM fields isup_encode_iam() writes (struct isup_msg does not carry them):
 * no satellite, no continuity check; national call, ISUP all the way, ISDN access;
 * ordinary calling subscriber; speech. */
#define ISUP_IAM_NCI 0x00
#define ISUP_IAM_FCI 0x2001 /* octet 1 0x20, octet 2 0x01 */
#define ISUP_IAM_CPC 0x0a
#define ISUP_IAM_TMR 0x00

extern const struct value_string isup_msg_type_names[];
extern const struct value_string isup_nai_names[];
extern const struct value_string isup_npi_names[];
extern const struct value_string isup_presentation_names[];
extern const struct value_string isup_screening_names[];

/* Decode CIC and message type; for the types in enum isup_msg_type check the fixed part, the
 * pointers, the variable parts and the optional part; for an IAM fill the called and calling
 * party numbers. Errors use layer "isup". */
int isup_decode(const uint8_t *p, size_t len, size_t base, struct isup_msg *m, struct dfs_err *e);

/* An IAM from m->cic, m->called and (when present) m->calling, with the ISUP_IAM_* fixed
 * fields. -EINVAL for a CIC above 0xfff, a bad digit, more than DFS_DIGITS_MAX digits or a
 * field out of range (NAI > 127, NPI > 7, presentation or screening > 3); -ENOSPC when full. */
int isup_encode_iam(struct dfs_wbuf *w, const struct isup_msg *m);

static inline const char *isup_msg_type_name(uint8_t t) { return get_value_string(isup_msg_type_names, t); }

#endif
