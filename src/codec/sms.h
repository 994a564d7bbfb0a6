/* SMS transfer layer PDUs, 3GPP TS 23.040 9.2: SMS-DELIVER (SC->MS) and SMS-SUBMIT (MS->SC),
 * with the user data header (9.2.3.24) and, after UDH IEI 0x70, the ETSI TS 102 225 command
 * packet header. struct sms_tpdu lives in sigmsg.h. */
#ifndef DFS_SMS_H
#define DFS_SMS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfs_buf.h"
#include "dfs_err.h"
#include "sigmsg.h"
#include "value_string.h"

enum sms_dir { SMS_DIR_MT = 0 /* SC->MS: DELIVER */, SMS_DIR_MO = 1 /* MS->SC: SUBMIT */ };

enum sms_mti { /* TS 23.040 9.2.3.1, the meaning depends on the direction */
	SMS_MTI_DELIVER = 0, /* MO: DELIVER-REPORT */
	SMS_MTI_SUBMIT = 1,  /* MT: SUBMIT-REPORT */
	SMS_MTI_STATUS = 2,  /* MT: STATUS-REPORT, MO: COMMAND */
};
enum sms_vpf { /* 9.2.3.3 */
	SMS_VPF_NONE = 0, SMS_VPF_ENHANCED = 1, SMS_VPF_RELATIVE = 2, SMS_VPF_ABSOLUTE = 3,
};
enum sms_iei { /* 9.2.3.24 */
	SMS_IEI_CONCAT8 = 0x00, SMS_IEI_CONCAT16 = 0x08,
	SMS_IEI_CMD_PKT = 0x70, SMS_IEI_RSP_PKT = 0x71, /* TS 31.115 */
};
#define SMS_TON_ALNUM 5
#define SMS_PID_SIM_DATA_DOWNLOAD 0x7f
#define SMS_OTA_HDR_LEN 16 /* CPL(2) CHL SPI(2) KIc KID TAR(3) CNTR(5) PCNTR */
#define SMS_UD_MAX_OCTETS 140
#define SMS_UD_MAX_SEPTETS 160
/* TS 23.040 9.2.2.1a, 9.2.2.2a: a report carries no address, its user data may be longer (up
 * to 159 octets of TP-UD when nothing else is present) */
#define SMS_REPORT_UD_MAX_OCTETS 159
#define SMS_REPORT_UD_MAX_SEPTETS (SMS_REPORT_UD_MAX_OCTETS * 8 / 7)
enum sms_pi { /* TP-Parameter-Indicator bits, 9.2.3.27 */
	SMS_PI_PID = 0x01, SMS_PI_DCS = 0x02, SMS_PI_UDL = 0x04, SMS_PI_EXT = 0x80,
};
#define SMS_ADDR_MAX_SEMI_OCTETS 20 /* 9.1.2.5: at most 12 octets with length and type */

extern const struct value_string sms_mti_mt_names[];
extern const struct value_string sms_mti_mo_names[];
extern const struct value_string sms_vpf_names[];
extern const struct value_string sms_iei_names[];

/* Decodes an SMS-DELIVER (dir MT) or SMS-SUBMIT (dir MO); the other types give -EBADMSG on
 * field "mti" with t->mti set. The whole of p must be the TPDU. */
int sms_tpdu_decode(const uint8_t *p, size_t len, size_t base, enum sms_dir dir, struct sms_tpdu *t,
		    struct dfs_err *e);
/* SMS-DELIVER-REPORT (MS->SC, MTI 0) or SMS-SUBMIT-REPORT (SC->MS, MTI 1), TS 23.040 9.2.2.1a
 * and 9.2.2.2a, told apart by the MTI (the other MTIs: -EBADMSG on field "mti"). rp_error: the
 * report of an RP-ERROR, which starts with TP-FCS; else of an RP-ACK (a MAP ReturnResult's
 * sm-RP-UI). TP-PI extension octets (bit 7) are skipped; pid, dcs, udl and ud are read as pi
 * says (absent DCS: GSM 7-bit). The whole of p must be the TPDU. */
int sms_report_decode(const uint8_t *p, size_t len, size_t base, bool rp_error, struct sms_tpdu *t,
		      struct dfs_err *e);
/* Encodes from is_deliver, the flags, the address, pid, dcs, scts/vp, udl and ud (ud taken as
 * it is, UDH included; udh/concat/ota are the decoder's outputs and are not read). A report
 * (is_report) from udhi, has_fcs/fcs, pi (one octet, no extension), scts for SUBMIT-REPORT, and
 * pid, dcs, udl/ud as pi says. */
int sms_tpdu_encode(struct dfs_wbuf *w, const struct sms_tpdu *t);
/* The text after the UDH as UTF-8 (GSM-7 with fill bits, UCS2; 8-bit data as lowercase hex).
 * Returns bytes written or a negative errno (-ENOTSUP for compressed text). */
int sms_tpdu_text_utf8(const struct sms_tpdu *t, char *out, size_t outsz);
/* Septets of text after the UDH when the DCS is GSM 7-bit, else -EINVAL. */
int sms_tpdu_text_septets(const struct sms_tpdu *t);

/* Builders (single segment; -EMSGSIZE when the text does not fit). An address made of digits
 * (optionally after '+': international, ISDN) is numeric, anything else alphanumeric (TON 5,
 * at most 11 GSM-7 septets). Text goes as GSM-7 (DCS 0x00) when it can, else UCS2 (0x08).
 * scts: 7 semi-octet swapped octets (9.2.3.11), NULL for all zero. */
int sms_build_deliver_text(struct dfs_wbuf *w, const char *oa, const char *text, const uint8_t *scts);
/* udh: information elements without the UDHL octet (NULL/0: no UDH); data after it in 8-bit
 * or UCS2 form, as octets. */
int sms_build_deliver_binary(struct dfs_wbuf *w, const char *oa, uint8_t pid, uint8_t dcs,
			     const uint8_t *udh, size_t udh_len, const uint8_t *data, size_t data_len,
			     const uint8_t *scts);
/* SMS-SUBMIT with TP-MR mr, no validity period. */
int sms_build_submit_text(struct dfs_wbuf *w, uint8_t mr, const char *da, const char *text);

#endif
