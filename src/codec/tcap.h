/* ITU-T TCAP (Q.771-Q.775), the transaction and component sublayers as encoded in Q.773:
 * Begin, Continue, End, Abort, Unidirectional; 1 to 4 byte transaction ids; the dialogue
 * portion (Q.773 4.2.2: EXTERNAL with AARQ, AARE, ABRT or AUDT) with the MAP-OpenInfo
 * references of TS 29.002 17.1.2; all component types (Q.773 4.2.3).
 *
 * Decoding fills struct tcap_msg (sigmsg.h) with views into the input; nothing is copied
 * but digit strings and nothing is allocated. Constructed elements may use the indefinite
 * length form; primitive ones may not (X.690 8.1.3.2). Errors name layer "tcap", the field
 * and its absolute offset. */
#ifndef DFS_TCAP_H
#define DFS_TCAP_H
#include <stdint.h>

#include "ber.h"
#include "sigmsg.h"
#include "value_string.h"

/* Q.773 4.2.1 P-AbortCause */
enum tcap_p_abort_cause {
	TCAP_PA_UNRECOGNIZED_MSG_TYPE = 0,
	TCAP_PA_UNRECOGNIZED_TID = 1,
	TCAP_PA_BADLY_FORMATTED_TP = 2,
	TCAP_PA_INCORRECT_TP = 3,
	TCAP_PA_RESOURCE_LIMITATION = 4,
};

/* Q.773 4.2.2 Reject problem tags */
#define TCAP_PROBLEM_GENERAL 0x80
#define TCAP_PROBLEM_INVOKE 0x81
#define TCAP_PROBLEM_RESULT 0x82
#define TCAP_PROBLEM_ERROR 0x83

/* Q.773 4.2.2.2 AARE-source-diagnostic */
#define TCAP_DIAG_USER 1
#define TCAP_DIAG_PROVIDER 2
#define TCAP_AARE_ACCEPTED 0
#define TCAP_AARE_REJECT_PERMANENT 1
#define TCAP_USER_NULL 0
#define TCAP_USER_NO_REASON 1
#define TCAP_USER_AC_NOT_SUPPORTED 2
#define TCAP_ABRT_USER 0
#define TCAP_ABRT_PROVIDER 1

/* Object identifiers, contents octets */
extern const uint8_t tcap_oid_dialogue_as[7];	  /* 0.0.17.773.1.1.1 dialogue-as-id */
extern const uint8_t tcap_oid_uni_dialogue_as[7]; /* 0.0.17.773.1.2.1 uniDialogue-as-id */
extern const uint8_t map_oid_dialogue_as[7];	  /* 0.4.0.0.1.1.1.1 map-DialogueAS */

extern const struct value_string tcap_msg_type_names[];
extern const struct value_string tcap_comp_type_names[];
extern const struct value_string tcap_dlg_pdu_names[];
extern const struct value_string tcap_p_abort_cause_names[];

int tcap_decode(const uint8_t *p, size_t len, size_t base, struct tcap_msg *m, struct dfs_err *e);

/* Encodes m: the message, transaction ids present for its type, the dialogue portion when
 * has_dialogue (ac_oid as is, or the MAP AC from map_ac/map_ac_version when ac_oid is empty;
 * user_info copied as is, or a MAP-OpenInfo built from dest_ref/orig_ref when user_info is
 * empty and has_open_info), the component portion when has_components or n_components > 0
 * (parameters copied as whole TLVs). decode(encode(m)) reproduces m, and encode(decode(x))
 * reproduces x when x used minimal definite lengths and integers.
 * -EINVAL for a bad message type, transaction id length or component type; -ENOSPC. */
int tcap_encode(struct dfs_wbuf *w, const struct tcap_msg *m);
/* The same with BER_LEN_LONG in flags: every length this encoder writes uses the long form. */
int tcap_encode_opt(struct dfs_wbuf *w, const struct tcap_msg *m, unsigned flags);

/* A MAP application-context OID's contents 0.4.0.0.1.0.ac.version (7 octets) into out. */
void tcap_map_ac_oid(uint8_t out[7], uint8_t ac, uint8_t version);

const char *tcap_msg_type_name(uint8_t t);
const char *tcap_comp_type_name(uint8_t t);
const char *tcap_p_abort_cause_name(uint8_t c);
/* Reject problem name for a problem tag (0x80..0x83) and code. */
const char *tcap_problem_name(uint8_t tag, int32_t code);

#endif
