/* Carrying secured packets: SMS-PP (3GPP TS 31.115 4, TS 23.040 UDH) and USSD application mode.
 *
 * SMS-PP: TP-UD = UDH + packet. A command packet is announced by IEI 0x70, a response packet by
 * IEI 0x71 (length 0). A packet longer than one SMS (140 octets of TP-UD) is concatenated with
 * IEI 0x00 (8-bit reference); the 0x70/0x71 IE is in the first segment only.
 * The command CC does not cover the UDH; the response CC covers "02 71 00" (the single-SMS UDH)
 * whether or not the PoR is concatenated.
 *
 * USSD application mode (DCS 0x96, 8-bit data): the USSD string is CPI (0x70 command, 0x71
 * response) followed by the packet, and the CC covers the CPI too. A string holds at most 160
 * octets; a longer CPI+packet is cut into strings that each start with the segment header
 * 00 03 REF TOTAL SEQ (SEQ from 1), then up to 155 octets of CPI+packet. An unsegmented string
 * never starts with 0x00, so the two forms cannot be confused.
 *
 * These functions produce and consume TP-UD (UDH + payload) and USSD strings; ota_sms_tpdus()
 * wraps the TP-UD segments into SMS-DELIVER/SUBMIT TPDUs with the SMS codec (src/codec/sms.h). */
#ifndef DFS_OTA_TRANSPORT_H
#define DFS_OTA_TRANSPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfs_err.h"

#define OTA_IEI_CONCAT8 0x00
#define OTA_IEI_CONCAT16 0x08
#define OTA_IEI_CMD_PKT 0x70
#define OTA_IEI_RSP_PKT 0x71
#define OTA_SMS_UD_MAX 140
#define OTA_USSD_DCS 0x96
#define OTA_USSD_MAX 160
#define OTA_USSD_SEG_HDR 5

enum ota_bearer { OTA_BEARER_SMS = 0, OTA_BEARER_USSD = 1 };

/* What the integrity check covers before CPL (command) or RPL (response) on a bearer. */
const uint8_t *ota_bearer_cmd_prefix(enum ota_bearer b, size_t *len);
const uint8_t *ota_bearer_rsp_prefix(enum ota_bearer b, size_t *len);

/* One TP-UD or USSD string */
struct ota_seg {
	uint8_t b[OTA_USSD_MAX];
	size_t len;
};

/* Cut a packet (from CPL/RPL) into SMS TP-UD segments. Returns the number of segments or
 * -EMSGSIZE (more than 255 segments, or more than max). */
int ota_sms_segment(const uint8_t *pkt, size_t len, bool response, uint8_t ref, struct ota_seg *segs,
		    size_t max);
/* Cut a packet into USSD strings (CPI first). Returns the number of strings or -EMSGSIZE. */
int ota_ussd_segment(const uint8_t *pkt, size_t len, bool response, uint8_t ref, struct ota_seg *segs,
		     size_t max);

/* TS 31.115 4 / TS 23.040: one SMS TPDU of an OTA packet: at most 1 + 1 + 12 (address) + 2 + 7
 * + 1 + 140 octets. PID 0x7F (SIM data download), DCS 0xF6 (class 2, 8-bit data). */
#define OTA_SMS_PID 0x7f
#define OTA_SMS_DCS 0xf6
#define OTA_TPDU_MAX 176
struct ota_tpdu {
	uint8_t b[OTA_TPDU_MAX];
	size_t len;
};
/* A packet (from CPL/RPL) as SMS TPDUs: a command packet as SMS-DELIVER from addr (the OTA
 * server's address; scts: 7 octets or NULL), a response packet (PoR) as SMS-SUBMIT (TP-MR ref)
 * to addr. addr: digits, "+" for international. Segments and concatenation as ota_sms_segment().
 * Returns the number of TPDUs, -EMSGSIZE, or -EINVAL (bad address). */
int ota_sms_tpdus(const uint8_t *pkt, size_t len, bool response, const char *addr, uint8_t ref,
		  const uint8_t *scts, struct ota_tpdu *out, size_t max);

/* The UDH as far as OTA cares. */
struct ota_udh {
	bool has_concat;
	uint16_t ref;
	uint8_t total, seq;
	bool cmd_pkt, rsp_pkt;
	size_t hdr_len; /* 1 + UDHL */
};
int ota_sms_udh_decode(const uint8_t *ud, size_t len, size_t base, struct ota_udh *h, struct dfs_err *e);

/* Reassembly of SMS segments or USSD strings into one packet (heap object: ~40 KB). */
struct ota_reasm;
struct ota_reasm *ota_reasm_new(enum ota_bearer b);
void ota_reasm_free(struct ota_reasm *r);
void ota_reasm_reset(struct ota_reasm *r);
/* Add one TP-UD / USSD string: 0 = more needed, 1 = complete, <0 = error (the state resets). */
int ota_reasm_add(struct ota_reasm *r, const uint8_t *p, size_t len, struct dfs_err *e);
/* The complete packet (from CPL/RPL) and whether it is a response packet. */
const uint8_t *ota_reasm_packet(const struct ota_reasm *r, size_t *len, bool *response);

#endif
