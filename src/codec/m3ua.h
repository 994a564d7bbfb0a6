/* M3UA, SS7 MTP3-User Adaptation Layer (RFC 4666): common header, every message class and type,
 * the TLV parameters, DATA with its Protocol Data, and stream framing for M3UA over TCP.
 *
 *   version (1) = 1 | reserved (1) | class (1) | type (1) | length (4, header included)    3.1
 *   then parameters: tag (2) | length (2, header included) | value | zero padding to 4 bytes  3.2
 *
 * The decoder fills struct m3ua_msg (sigmsg.h): every parameter in wire order as a view, and the
 * commonly used ones parsed. It checks the header, each parameter's length for the parameters
 * it knows, and the mandatory parameters of DATA, ERR, NTFY, the SSNM messages and RKM. */
#ifndef DFS_M3UA_H
#define DFS_M3UA_H
#include <stdbool.h>
#include <stdint.h>

#include "dfs_buf.h"
#include "dfs_err.h"
#include "sigmsg.h"
#include "value_string.h"

#define M3UA_PORT 2905
#define M3UA_VERSION 1
#define M3UA_HDR_LEN 8
#define M3UA_PPID 3 /* SCTP payload protocol identifier */
/* Largest message m3ua_frame_length() accepts: a 64 KiB LUDT plus every header there is. */
#define M3UA_MAX_MSG_LEN (65536 + 1024)

/* RFC 4666 3.1.2 message classes */
enum m3ua_msg_class {
	M3UA_CLS_MGMT = 0, M3UA_CLS_XFER = 1, M3UA_CLS_SSNM = 2, M3UA_CLS_ASPSM = 3,
	M3UA_CLS_ASPTM = 4, M3UA_CLS_RKM = 9,
};
/* RFC 4666 3.1.3 message types, per class */
enum { M3UA_MGMT_ERR = 0, M3UA_MGMT_NTFY = 1 };
enum { M3UA_XFER_DATA = 1 };
enum {
	M3UA_SSNM_DUNA = 1, M3UA_SSNM_DAVA = 2, M3UA_SSNM_DAUD = 3, M3UA_SSNM_SCON = 4,
	M3UA_SSNM_DUPU = 5, M3UA_SSNM_DRST = 6,
};
enum {
	M3UA_ASPSM_ASPUP = 1, M3UA_ASPSM_ASPDN = 2, M3UA_ASPSM_BEAT = 3, M3UA_ASPSM_ASPUP_ACK = 4,
	M3UA_ASPSM_ASPDN_ACK = 5, M3UA_ASPSM_BEAT_ACK = 6,
};
enum { M3UA_ASPTM_ASPAC = 1, M3UA_ASPTM_ASPIA = 2, M3UA_ASPTM_ASPAC_ACK = 3, M3UA_ASPTM_ASPIA_ACK = 4 };
enum { M3UA_RKM_REG_REQ = 1, M3UA_RKM_REG_RSP = 2, M3UA_RKM_DEREG_REQ = 3, M3UA_RKM_DEREG_RSP = 4 };

/* RFC 4666 3.2 parameter tags: common (3.2) and M3UA-specific (3.2.1) */
enum m3ua_tag {
	M3UA_TAG_INFO_STRING = 0x0004, M3UA_TAG_ROUTING_CTX = 0x0006, M3UA_TAG_DIAG_INFO = 0x0007,
	M3UA_TAG_HEARTBEAT = 0x0009, M3UA_TAG_TRAFFIC_MODE = 0x000b, M3UA_TAG_ERROR_CODE = 0x000c,
	M3UA_TAG_STATUS = 0x000d, M3UA_TAG_ASP_ID = 0x0011, M3UA_TAG_AFFECTED_PC = 0x0012,
	M3UA_TAG_CORR_ID = 0x0013,
	M3UA_TAG_NETWORK_APP = 0x0200, M3UA_TAG_USER_CAUSE = 0x0204, M3UA_TAG_CONGESTION = 0x0205,
	M3UA_TAG_CONCERNED_DEST = 0x0206, M3UA_TAG_ROUTING_KEY = 0x0207, M3UA_TAG_REG_RESULT = 0x0208,
	M3UA_TAG_DEREG_RESULT = 0x0209, M3UA_TAG_LOCAL_RK_ID = 0x020a, M3UA_TAG_DPC = 0x020b,
	M3UA_TAG_SI = 0x020c, M3UA_TAG_OPC_LIST = 0x020e, M3UA_TAG_PROTOCOL_DATA = 0x0210,
	M3UA_TAG_REG_STATUS = 0x0212, M3UA_TAG_DEREG_STATUS = 0x0213,
};

/* RFC 4666 3.8.1 error codes (PROTOCOLS.md's 0x13 is wrong: 0x13 is Unexpected Parameter,
 * 0x19 Invalid Routing Context). */
enum m3ua_err_code {
	M3UA_ERR_INVALID_VERSION = 0x01, M3UA_ERR_UNSUPP_MSG_CLASS = 0x03,
	M3UA_ERR_UNSUPP_MSG_TYPE = 0x04, M3UA_ERR_UNSUPP_TRAFFIC_MODE = 0x05,
	M3UA_ERR_UNEXPECTED_MSG = 0x06, M3UA_ERR_PROTOCOL_ERROR = 0x07,
	M3UA_ERR_INVALID_STREAM_ID = 0x09, M3UA_ERR_REFUSED_MGMT_BLOCKING = 0x0d,
	M3UA_ERR_ASP_ID_REQUIRED = 0x0e, M3UA_ERR_INVALID_ASP_ID = 0x0f,
	M3UA_ERR_INVALID_PARAM_VALUE = 0x11, M3UA_ERR_PARAM_FIELD_ERROR = 0x12,
	M3UA_ERR_UNEXPECTED_PARAM = 0x13, M3UA_ERR_DEST_STATUS_UNKNOWN = 0x14,
	M3UA_ERR_INVALID_NET_APPEARANCE = 0x15, M3UA_ERR_MISSING_PARAM = 0x16,
	M3UA_ERR_INVALID_ROUTING_CTX = 0x19, M3UA_ERR_NO_CONFIGURED_AS = 0x1a,
};

/* RFC 4666 3.8.2 Notify status type and information */
enum { M3UA_NTFY_AS_STATE_CHANGE = 1, M3UA_NTFY_OTHER = 2 };
enum { M3UA_NTFY_AS_INACTIVE = 2, M3UA_NTFY_AS_ACTIVE = 3, M3UA_NTFY_AS_PENDING = 4 };
enum { M3UA_NTFY_INSUFF_ASP = 1, M3UA_NTFY_ALT_ASP_ACTIVE = 2, M3UA_NTFY_ASP_FAILURE = 3 };
/* RFC 4666 3.5.1 traffic mode type */
enum { M3UA_TMT_OVERRIDE = 1, M3UA_TMT_LOADSHARE = 2, M3UA_TMT_BROADCAST = 3 };

extern const struct value_string m3ua_class_names[];
extern const struct value_string m3ua_tag_names[];
extern const struct value_string m3ua_err_names[];
extern const struct value_string m3ua_status_type_names[];
extern const struct value_string m3ua_tmt_names[];

/* Decode one whole M3UA message: the length field must equal len. Errors use layer "m3ua". */
int m3ua_decode(const uint8_t *p, size_t len, size_t base, struct m3ua_msg *m, struct dfs_err *e);

/* Header then each parameter (tag, value) in order, padded. -EINVAL when a value does not fit
 * a 16-bit length, -ENOSPC when w is full (w->len is then unspecified). */
int m3ua_encode(struct dfs_wbuf *w, uint8_t cls, uint8_t type, const struct m3ua_param *params,
		unsigned n);

/* Parameters only, no header: the contents of a Routing Key, Registration Result or
 * Deregistration Result parameter (RFC 4666 3.6). */
int m3ua_encode_params(struct dfs_wbuf *w, const struct m3ua_param *params, unsigned n);

/* DATA (RFC 4666 3.3.1): [Routing Context] Protocol Data. */
int m3ua_encode_data(struct dfs_wbuf *w, const uint32_t *rctx /* NULL = absent */,
		     const struct m3ua_proto_data *pd);
/* The same with a Network Appearance first: [Network Appearance] [Routing Context] Protocol Data
 * (NULL = absent). */
int m3ua_encode_data_na(struct dfs_wbuf *w, const uint32_t *na, const uint32_t *rctx,
			const struct m3ua_proto_data *pd);

/* TCP framing: 0 = need more bytes, >0 = length of the complete message at p, <0 = not M3UA
 * (version is not 1, length < 8, not a multiple of 4, or above M3UA_MAX_MSG_LEN). */
long m3ua_frame_length(const uint8_t *p, size_t avail);

/* "DATA", "ASPUP_ACK", ... or "unknown". */
const char *m3ua_msg_name(uint8_t cls, uint8_t type);
const char *m3ua_err_name(uint32_t code);
static inline const char *m3ua_class_name(uint8_t cls) { return get_value_string(m3ua_class_names, cls); }
static inline const char *m3ua_tag_name(uint16_t tag) { return get_value_string(m3ua_tag_names, tag); }
/* true when (cls, type) is a message RFC 4666 defines */
bool m3ua_msg_known(uint8_t cls, uint8_t type);

/* The n-th (0-based) parameter with this tag, or NULL. */
const struct m3ua_param *m3ua_find_param(const struct m3ua_msg *m, uint16_t tag, unsigned n);

#endif
