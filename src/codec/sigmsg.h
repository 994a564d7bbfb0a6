/* One signalling message decoded through every layer: M3UA -> SCCP -> TCAP -> MAP -> SMS/OTA,
 * or M3UA -> ISUP. These are the shared data types of the codec stack: each layer's decoder
 * fills its part, the policy engine and the JSON printer read them.
 *
 * Decoding never allocates: struct dfs_view members point into the caller's input buffer,
 * which must outlive the struct. Digit strings are copied into small fixed arrays because
 * every consumer needs them as text (prefix matching, JSON). */
#ifndef DFS_SIGMSG_H
#define DFS_SIGMSG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfs_buf.h"
#include "dfs_err.h"

#define DFS_DIGITS_MAX 32 /* E.164 is 15, E.214 and GTs fit in 32 */

/* ---- M3UA (RFC 4666) ---------------------------------------------------- */
struct m3ua_proto_data { /* RFC 4666 3.3.1.1 Protocol Data parameter */
	uint32_t opc, dpc;
	uint8_t si, ni, mp, sls;
	struct dfs_view user_data; /* SCCP when si == 3, ISUP when si == 5 */
};

#define M3UA_MAX_PARAMS 16
struct m3ua_param {
	uint16_t tag;
	struct dfs_view value; /* without the 4-byte tag/length header and padding */
};

struct m3ua_msg {
	uint8_t version, msg_class, msg_type;
	uint32_t length;
	unsigned n_params;
	struct m3ua_param params[M3UA_MAX_PARAMS]; /* in wire order */
	/* the commonly used parameters, parsed (has_* says whether present) */
	bool has_rctx, has_na, has_error_code, has_status, has_asp_id, has_tmt, has_corr_id;
	uint32_t rctx;       /* first routing context */
	uint32_t na;         /* network appearance */
	uint32_t error_code;
	uint16_t status_type, status_info;
	uint32_t asp_id, tmt, corr_id;
	struct dfs_view info_string;
	struct dfs_view affected_pcs; /* 4 bytes per entry: mask(1) pc(3) */
	bool has_proto_data;
	struct m3ua_proto_data pd;
};

/* ---- SCCP (Q.713) ------------------------------------------------------- */
struct sccp_addr {
	bool present;
	bool has_pc, has_ssn, route_on_ssn;
	uint8_t gti;    /* 0 none, 1..4 */
	uint16_t pc;    /* 14-bit ITU point code */
	uint8_t ssn;
	uint8_t tt;     /* GTI 2, 3, 4 */
	uint8_t np, es; /* GTI 3, 4: numbering plan, encoding scheme (1 odd, 2 even) */
	uint8_t nai;    /* GTI 1, 4: nature of address indicator */
	bool odd;       /* GTI 1: odd/even indicator */
	char digits[DFS_DIGITS_MAX + 1];
};

struct sccp_msg {
	uint8_t msg_type;   /* 0x09 UDT, 0x0a UDTS, 0x11 XUDT, 0x12 XUDTS, 0x13 LUDT, 0x14 LUDTS */
	uint8_t proto_class; /* low nibble class, 0x80 return on error (UDT/XUDT/LUDT) */
	uint8_t return_cause; /* UDTS/XUDTS/LUDTS */
	uint8_t hop_counter;  /* XUDT/XUDTS/LUDT/LUDTS */
	struct sccp_addr called, calling;
	struct dfs_view data;
	bool has_segmentation; /* Q.713 3.17 */
	bool seg_first, seg_class1;
	uint8_t seg_remaining;
	uint32_t seg_local_ref; /* 24 bits */
	bool has_importance;
	uint8_t importance;
};

/* ---- TCAP (Q.773) ------------------------------------------------------- */
enum tcap_msg_type {
	TCAP_UNI = 0x61, TCAP_BEGIN = 0x62, TCAP_END = 0x64, TCAP_CONTINUE = 0x65, TCAP_ABORT = 0x67,
};
enum tcap_comp_type {
	TCAP_INVOKE = 0xa1, TCAP_RESULT_L = 0xa2, TCAP_ERROR = 0xa3, TCAP_REJECT = 0xa4,
	TCAP_RESULT_NL = 0xa7,
};
enum tcap_dlg_pdu { /* dialogue portion PDU tag */
	TCAP_DLG_NONE = 0, TCAP_DLG_AARQ = 0x60, TCAP_DLG_AARE = 0x61, TCAP_DLG_ABRT = 0x64,
	TCAP_DLG_AUDT = 0x60 + 0x100, /* AUDT shares tag 0x60 inside Unidirectional */
};

struct tcap_tid {
	bool present;
	uint8_t len; /* 1..4 */
	uint32_t val; /* big-endian value of the len bytes */
};

#define TCAP_MAX_COMPONENTS 8
struct tcap_component {
	uint8_t type; /* enum tcap_comp_type */
	bool has_invoke_id, has_linked_id, has_opcode, opcode_global, has_error_code;
	int32_t invoke_id, linked_id;
	int32_t opcode;      /* local opcode (Invoke, and ReturnResult with its sequence) */
	struct dfs_view opcode_oid; /* global opcode (never valid MAP), or global error code */
	bool error_global;   /* ReturnError with a global (OBJECT IDENTIFIER) error code in opcode_oid */
	int32_t error_code;  /* ReturnError local error code */
	uint8_t problem_tag; /* Reject: 0x80 general, 0x81 invoke, 0x82 result, 0x83 error */
	int32_t problem_code;
	struct dfs_view param; /* the whole parameter TLV (tag+len+value), empty if none */
	size_t offset;         /* absolute offset of the component's tag */
	size_t param_offset;   /* absolute offset of the parameter's tag */
};

struct tcap_msg {
	uint8_t msg_type; /* enum tcap_msg_type */
	struct tcap_tid otid, dtid;
	bool has_dialogue;
	uint16_t dlg_pdu;          /* enum tcap_dlg_pdu */
	struct dfs_view ac_oid;    /* application-context-name OID content bytes */
	bool ac_is_map;            /* 0.4.0.0.1.0.<ac>.<version> */
	uint8_t map_ac, map_ac_version;
	struct dfs_view proto_version; /* AARQ/AARE/AUDT [0] protocol-version BIT STRING contents
					  (07 80 = version1), empty when absent */
	uint8_t aare_result;       /* AARE: 0 accepted, 1 reject-permanent */
	uint8_t aare_diag_tag;     /* AARE result-source-diagnostic: 1 dialogue-service-user,
				      2 dialogue-service-provider */
	uint8_t aare_diag;         /* its value (user: 0 null, 1 no reason, 2 AC not supported) */
	uint8_t abrt_source;       /* ABRT: 0 user, 1 provider */
	bool has_p_abort;
	uint8_t p_abort_cause;     /* 0x4a P-AbortCause */
	bool has_u_abort;          /* Abort carrying a dialogue portion (user abort) */
	struct dfs_view user_info; /* AARQ/AARE user-information content */
	/* MAP-OpenInfo (TS 29.002 17.1.2) when user-information carries it */
	bool has_open_info;
	char dest_ref[DFS_DIGITS_MAX + 1];
	char orig_ref[DFS_DIGITS_MAX + 1];
	uint8_t dest_ref_ton_npi, orig_ref_ton_npi;
	bool has_components;       /* component portion present (possibly empty) */
	unsigned n_components;
	struct tcap_component comp[TCAP_MAX_COMPONENTS];
	bool components_truncated; /* more than TCAP_MAX_COMPONENTS: the rest were not decoded */
};

/* ---- SMS TPDU (TS 23.040) and the TS 102 225 header that follows UDH IEI 0x70 ---- */
struct ota_cmd_hdr { /* ETSI TS 102 225 5.1.1 */
	uint16_t cpl;
	uint8_t chl;
	uint8_t spi[2];
	uint8_t kic, kid;
	uint32_t tar; /* 24 bits */
	uint8_t cntr[5];
	uint8_t pcntr;
};

struct sms_tpdu {
	uint8_t mti;          /* 0 DELIVER (SC->MS) / DELIVER-REPORT, 1 SUBMIT, 2 STATUS-REPORT/COMMAND */
	bool is_deliver;      /* true: SMS-DELIVER (or its report), false: SMS-SUBMIT (or its report) */
	/* SMS-DELIVER-REPORT (is_deliver, MS->SC) or SMS-SUBMIT-REPORT (!is_deliver, SC->MS),
	 * TS 23.040 9.2.2.1a / 9.2.2.2a: no address, mr, vp; pid, dcs, udl and ud only when pi
	 * says so; scts for SUBMIT-REPORT */
	bool is_report;
	bool has_fcs;         /* TP-FCS: the report of an RP-ERROR (9.2.3.22) */
	uint8_t fcs;
	uint8_t pi;           /* TP-PI (9.2.3.27): bit 0 PID, bit 1 DCS, bit 2 UDL present */
	bool udhi, rp, mms_or_rd, sri_or_srr;
	bool lp;              /* DELIVER: TP-LP loop prevention (TS 23.040 9.2.3.28) */
	uint8_t vpf, mr;
	/* TP-OA (DELIVER) or TP-DA (SUBMIT) */
	uint8_t addr_ton_npi;
	bool addr_alnum;        /* TON 5: GSM 7-bit alphanumeric, decoded as UTF-8 below */
	char addr[3 * 11 + 1];  /* digits, or UTF-8 of up to 11 alphanumeric characters */
	uint8_t pid, dcs;
	uint8_t scts[7];        /* DELIVER and SUBMIT-REPORT */
	struct dfs_view vp;     /* SUBMIT validity period, 0, 1 or 7 bytes */
	uint8_t udl;
	struct dfs_view ud;     /* whole user data including the UDH */
	struct dfs_view udh;    /* UDH information elements without the UDHL octet */
	bool has_concat;        /* IEI 0x00 or 0x08 */
	uint16_t concat_ref;
	uint8_t concat_total, concat_seq;
	bool has_cmd_pkt;       /* IEI 0x70: TS 102 225 command packet follows the UDH */
	bool has_rsp_pkt;       /* IEI 0x71: response packet */
	bool has_ota_hdr;       /* the command packet header fitted in this segment */
	struct ota_cmd_hdr ota;
	struct dfs_view text;   /* user data after the UDH (septets when 7-bit) */
};

/* ---- MAP (TS 29.002) security-relevant fields ---------------------------- */
struct dfs_addr { /* AddressString / ISDN-AddressString: ext|NAI|NPI octet then TBCD */
	bool present;
	uint8_t ton_npi;
	char digits[DFS_DIGITS_MAX + 1];
};

enum map_sm_rp_type { /* TS 29.002 SM-RP-DA / SM-RP-OA choice tags */
	MAP_SMRP_NONE = 0xff, MAP_SMRP_IMSI = 0, MAP_SMRP_LMSI = 1, MAP_SMRP_SC_ADDR = 4,
	MAP_SMRP_MSISDN = 2, MAP_SMRP_NO_SM_RP = 5,
	MAP_SMRP_ROAMING_NUMBER = 3, /* SM-RP-DA in MAP v1 forwardSM */
};

/* requestedInfo flags (ATI, PSI, ATSI) */
#define MAP_RI_LOCATION 0x01
#define MAP_RI_STATE 0x02
#define MAP_RI_IMEI 0x04
#define MAP_RI_MS_CLASSMARK 0x08
#define MAP_RI_CURRENT_LOCATION 0x10
#define MAP_RI_OTHER 0x80

struct map_fields {
	int32_t opcode;      /* operation these fields belong to, -1 unknown */
	bool is_result;      /* fields of a ReturnResult, not of an Invoke */
	bool has_imsi;
	char imsi[16];       /* digits, at most 15 */
	struct dfs_addr msisdn, msc, vlr, hlr, sgsn, sc_addr, ftn, gmlc, serving_node;
	struct dfs_addr msrn;   /* roaming number: PRN and SRI results, v1 SM-RP-DA / SRI-for-SM */
	struct dfs_addr gsmscf; /* gsmSCF-Address of ATI, ATSI, ATM */
	struct dfs_addr ggsn;   /* ggsn-Number of sendRoutingInfoForGprs */
	struct dfs_addr gmsc;   /* gmsc-Address of PRN, gmsc-OrGsmSCF-Address of SRI */
	bool has_imei;
	char imei[17];          /* checkIMEI, PSL argument; PSI/ATI result */
	uint8_t sm_rp_da_type, sm_rp_oa_type; /* enum map_sm_rp_type */
	char sm_rp_da[DFS_DIGITS_MAX + 1], sm_rp_oa[DFS_DIGITS_MAX + 1];
	struct dfs_view sm_rp_ui; /* SMS TPDU octets */
	bool has_tpdu;
	struct sms_tpdu tpdu;     /* decoded sm_rp_ui when it parses */
	bool has_ussd;
	uint8_t ussd_dcs;
	struct dfs_view ussd_string; /* packed octets as on the wire */
	bool has_ss_code;
	uint8_t ss_code;
	uint8_t requested_info; /* MAP_RI_* */
	bool has_error;
	int32_t error_code; /* ReturnError */
	bool has_lmsi;
	uint8_t lmsi[4];
};

/* ---- ISUP (Q.763) ------------------------------------------------------- */
struct isup_msg {
	uint16_t cic;
	uint8_t msg_type; /* 0x01 IAM */
	struct { bool present; uint8_t nai; uint8_t npi; bool odd; char digits[DFS_DIGITS_MAX + 1];
		 uint8_t presentation, screening; } calling, called;
};

/* ---- the whole stack ----------------------------------------------------- */
enum sig_layer { SIG_M3UA = 1, SIG_SCCP, SIG_TCAP, SIG_MAP, SIG_ISUP };

struct sig_msg {
	bool has_m3ua, has_mtp3, has_sccp, has_tcap, has_map, has_isup;
	/* For M3UA input the whole message; for MTP3 input (M2UA, M2PA, link type 141) only
	 * m3ua.pd and m3ua.has_proto_data are filled, from the MTP3 routing label. */
	struct m3ua_msg m3ua;
	struct sccp_msg sccp;
	struct tcap_msg tcap;
	int map_comp;          /* index of the component map was taken from, -1 none */
	struct map_fields map; /* from the first component with a MAP parameter */
	struct isup_msg isup;
	struct dfs_view raw;   /* the bytes this message was decoded from */
};

/* Decode one M3UA message (or one MTP3 MSU) through every layer it carries:
 * M3UA -> SCCP -> TCAP -> MAP -> SMS TPDU / TS 102 225 header, or ISUP. A user part that is
 * not ours (SCCP management, BSSAP, TUP...) or a TCAP user other than MAP (CAP) stops the
 * descent without error. Returns 0, or -EBADMSG with e naming the layer, field and offset
 * (relative to p[0]); layers decoded before the error keep their has_* flag. */
int sig_decode_m3ua(const uint8_t *p, size_t len, struct sig_msg *m, struct dfs_err *e);
int sig_decode_mtp3(const uint8_t *p, size_t len, struct sig_msg *m, struct dfs_err *e);

/* Is this TCAP dialogue MAP? By application context when there is one (0.4.0.0.1.0...),
 * otherwise by SSN (the MAP SSNs; 146 is CAP). */
bool sig_tcap_is_map(const struct sig_msg *m);

#endif
