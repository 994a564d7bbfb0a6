/* 3GPP TS 29.002 MAP: operation, application-context, error and SS-code tables; extraction of
 * the security-relevant fields of the operations a signalling firewall judges (struct
 * map_fields in sigmsg.h); encoders for the same operations and builders for whole TCAP
 * messages carrying them (simulator, tests, the firewall's own answers).
 *
 * Arguments and results are described once, as small schemas (map.c) that both the decoder and
 * the encoders walk. MAP v1/v2/v3 differences are alternatives keyed by the parameter's outer
 * tag (decoding) or by the application-context version (encoding): for example cancelLocation
 * v3 wraps its argument in [3] while v1/v2 send the bare Identity; sendAuthenticationInfo v2 and
 * checkIMEI v2 send a bare IMSI / IMEI; sendRoutingInfo v3 results are [3] with imsi [9];
 * forwardSM (op 46 in v1/v2) carries mobile-terminated and -originated SMS, v1 allows the
 * roaming number [3] as SM-RP-DA; mo-forwardSM v3 adds the IMSI after sm-RP-UI;
 * sendRoutingInfoForSM v1 results carry locationInfo (roamingNumber [0] or msc-Number [1]). */
#ifndef DFS_MAP_H
#define DFS_MAP_H
#include <stdbool.h>
#include <stdint.h>

#include "ber.h"
#include "sigmsg.h"
#include "tcap.h"
#include "value_string.h"

/* TS 29.002 17.5 operation codes (local values) handled by the schemas */
enum map_op {
	MAP_OP_UPDATE_LOCATION = 2,
	MAP_OP_CANCEL_LOCATION = 3,
	MAP_OP_PROVIDE_ROAMING_NUMBER = 4,
	MAP_OP_INSERT_SUBSCRIBER_DATA = 7,
	MAP_OP_DELETE_SUBSCRIBER_DATA = 8,
	MAP_OP_REGISTER_SS = 10,
	MAP_OP_ERASE_SS = 11,
	MAP_OP_ACTIVATE_SS = 12,
	MAP_OP_DEACTIVATE_SS = 13,
	MAP_OP_INTERROGATE_SS = 14,
	MAP_OP_SEND_ROUTING_INFO = 22,
	MAP_OP_UPDATE_GPRS_LOCATION = 23,
	MAP_OP_SEND_ROUTING_INFO_FOR_GPRS = 24,
	MAP_OP_CHECK_IMEI = 43,
	MAP_OP_MT_FORWARD_SM = 44,
	MAP_OP_SEND_ROUTING_INFO_FOR_SM = 45,
	MAP_OP_MO_FORWARD_SM = 46,
	MAP_OP_SEND_IDENTIFICATION = 55,
	MAP_OP_SEND_AUTHENTICATION_INFO = 56,
	MAP_OP_SEND_IMSI = 58,
	MAP_OP_PROCESS_USS_REQUEST = 59,
	MAP_OP_USS_REQUEST = 60,
	MAP_OP_USS_NOTIFY = 61,
	MAP_OP_ANY_TIME_SUBSCRIPTION_INTERROGATION = 62,
	MAP_OP_ANY_TIME_MODIFICATION = 65,
	MAP_OP_PURGE_MS = 67,
	MAP_OP_PROVIDE_SUBSCRIBER_INFO = 70,
	MAP_OP_ANY_TIME_INTERROGATION = 71,
	MAP_OP_PROVIDE_SUBSCRIBER_LOCATION = 83,
	MAP_OP_SEND_ROUTING_INFO_FOR_LCS = 85,
};

/* TS 29.002 17.6 error codes used by the builders */
enum map_err {
	MAP_ERR_UNKNOWN_SUBSCRIBER = 1,
	MAP_ERR_UNIDENTIFIED_SUBSCRIBER = 5,
	MAP_ERR_ABSENT_SUBSCRIBER_SM = 6,
	MAP_ERR_ROAMING_NOT_ALLOWED = 8,
	MAP_ERR_ILLEGAL_SUBSCRIBER = 9,
	MAP_ERR_CALL_BARRED = 13,
	MAP_ERR_FACILITY_NOT_SUPPORTED = 21,
	MAP_ERR_ABSENT_SUBSCRIBER = 27,
	MAP_ERR_SYSTEM_FAILURE = 34,
	MAP_ERR_DATA_MISSING = 35,
	MAP_ERR_UNEXPECTED_DATA_VALUE = 36,
	MAP_ERR_ATI_NOT_ALLOWED = 49,
	MAP_ERR_UNAUTHORIZED_REQUESTING_NETWORK = 52,
	MAP_ERR_UNKNOWN_ALPHABET = 71,
	MAP_ERR_USSD_BUSY = 72,
};

extern const struct value_string map_op_names[];
extern const struct value_string map_ac_names[];
extern const struct value_string map_error_names[];
extern const struct value_string map_ss_code_names[];

/* Operation name ("unknown" for an unassigned code). */
const char *map_op_name(int op);
/* Default GSMA FS.11 interconnect category (PROTOCOLS.md): 1, 2, 3, or 0 for '-'
 * (ordinary roaming traffic). Unassigned codes give 0. */
int map_op_category(int op);
const char *map_ac_name(uint8_t ac);
const char *map_error_name(int code);
const char *map_ss_code_name(uint8_t code);
/* The application context (and its highest version) an operation is normally sent in
 * (TS 29.002 17.2); 0 when the operation is not one of enum map_op. ac and version may be
 * NULL. */
int map_op_default_ac(int op, uint8_t *ac, uint8_t *version);
/* true when the schemas know op's argument (the operations listed in enum map_op) */
bool map_op_supported(int op);

/* Empty fields: opcode -1, SM-RP types MAP_SMRP_NONE, everything else absent. */
void map_fields_init(struct map_fields *f);

/* Fills f from c's parameter: Invoke argument, ReturnResult(Not)Last result (f->is_result),
 * or the error code of a ReturnError (f->has_error). Operations without a schema, and
 * components without a parameter, give f with only opcode / is_result set. Errors: layer
 * "map", the ASN.1 field name, its absolute offset. f->tpdu is left for the SMS codec. */
int map_decode_param(const struct tcap_component *c, int opcode, struct map_fields *f,
		     struct dfs_err *e);

/* Encode an operation's argument / result (the parameter TLV) from f, in the form of MAP
 * version 3 (map_encode_*_opt: version 1, 2 or 3; flags BER_LEN_LONG for long-form lengths).
 * Mandatory elements that struct map_fields does not model get fixed values (documented in
 * docs/codec-tcap-map.md). A result without a parameter (for example unstructuredSS-Notify)
 * writes nothing. -EINVAL for an operation without a schema or a field that cannot be
 * encoded (bad digits); -ENOSPC. */
int map_encode_arg(struct dfs_wbuf *w, int opcode, const struct map_fields *f);
int map_encode_result(struct dfs_wbuf *w, int opcode, const struct map_fields *f);
int map_encode_arg_opt(struct dfs_wbuf *w, int opcode, const struct map_fields *f, uint8_t version,
		       unsigned flags);
int map_encode_result_opt(struct dfs_wbuf *w, int opcode, const struct map_fields *f,
			  uint8_t version, unsigned flags);

/* ---- whole TCAP messages ---- */
struct map_tx {
	uint8_t msg_type;    /* TCAP_BEGIN, TCAP_CONTINUE or TCAP_END */
	uint32_t otid, dtid; /* sent as 4 octets: otid for Begin/Continue, dtid for Continue/End */
	uint8_t ac,
	    ac_version; /* ac 0: no dialogue portion. Begin: AARQ; Continue/End: AARE accepted.
			   ac_version also picks the MAP version of the parameter (0 = 3) */
	bool open_info; /* Begin: MAP-OpenInfo with the references below ("" = absent) */
	const char *dest_ref, *orig_ref;
	uint8_t dest_ref_ton_npi, orig_ref_ton_npi;
	unsigned flags; /* BER_LEN_LONG */
};

/* Begin + AARQ (AC ac, version ac_version) + Invoke(invoke_id, opcode, argument from f). */
int map_build_begin(struct dfs_wbuf *w, uint32_t otid, uint8_t ac, uint8_t ac_version, int opcode,
		    int invoke_id, const struct map_fields *f);
/* Invoke in the message tx describes. */
int map_build_invoke(struct dfs_wbuf *w, const struct map_tx *tx, int invoke_id, int opcode,
		     const struct map_fields *f);
/* ReturnResultLast with the operation's result from f (f NULL: no parameter). */
int map_build_result(struct dfs_wbuf *w, const struct map_tx *tx, int invoke_id, int opcode,
		     const struct map_fields *f);
/* ReturnError with a local error code and no parameter. */
int map_build_error(struct dfs_wbuf *w, const struct map_tx *tx, int invoke_id, int error_code);
/* Reject; invoke_id < 0 sends the NULL (not derivable) invoke id. */
int map_build_reject(struct dfs_wbuf *w, const struct map_tx *tx, int invoke_id,
		     uint8_t problem_tag, int problem_code);
/* TC-U-ABORT: Abort with ABRT (abort-source dialogue-service-user). */
int map_build_u_abort(struct dfs_wbuf *w, uint32_t dtid, unsigned flags);
/* Dialogue refused (Q.774 3.2.1, TS 29.002 15.1): Abort carrying an AARE with result
 * reject-permanent and diagnostic dialogue-service-user application-context-name-not-supported,
 * naming the context ac/ac_version (the one the responder would accept). */
int map_build_refuse(struct dfs_wbuf *w, uint32_t dtid, uint8_t ac, uint8_t ac_version, unsigned flags);
/* A Begin with the dialogue portion only (AARQ, MAP-OpenInfo) and no component: how a MAP
 * user opens a dialogue whose first invoke would not fit in one message with it (TS 29.002
 * 15.6.3); the invoke follows in a Continue once the peer accepted. With TCAP_CONTINUE:
 * that acceptance, a Continue with the AARE (accepted) and no component. */
int map_build_open(struct dfs_wbuf *w, const struct map_tx *tx);
/* TC-END without a dialogue portion or components (basic end of a dialogue we no longer
 * need, e.g. after the answer to our unstructuredSS-Request came in a Continue). */
int map_build_end(struct dfs_wbuf *w, uint32_t dtid, unsigned flags);
/* TC-P-ABORT: Abort with a P-AbortCause (enum tcap_p_abort_cause). */
int map_build_p_abort(struct dfs_wbuf *w, uint32_t dtid, uint8_t cause, unsigned flags);

#endif
