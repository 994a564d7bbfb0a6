/* Stand-in for src/codec/m3ua.h until the M3UA codec lands on main: the names and signatures of
 * the codec API contract (notes/api.txt), implemented minimally as static functions so that
 * nothing clashes with the real codec at link time. This file goes away once m3ua.c is on main
 * and src/net includes "m3ua.h" instead. */
#ifndef DFS_M3UA_PENDING_H
#define DFS_M3UA_PENDING_H
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dfs_buf.h"
#include "dfs_err.h"
#include "sigmsg.h"

#define M3UA_PORT 2905

enum m3ua_msg_class { /* RFC 4666 3.1.2 */
	M3UA_CLS_MGMT = 0, M3UA_CLS_XFER = 1, M3UA_CLS_SSNM = 2, M3UA_CLS_ASPSM = 3,
	M3UA_CLS_ASPTM = 4, M3UA_CLS_RKM = 9,
};
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

enum { /* RFC 4666 3.2 */
	M3UA_TAG_INFO_STRING = 0x0004, M3UA_TAG_ROUTING_CTX = 0x0006, M3UA_TAG_DIAG_INFO = 0x0007,
	M3UA_TAG_HEARTBEAT = 0x0009, M3UA_TAG_TRAFFIC_MODE = 0x000b, M3UA_TAG_ERROR_CODE = 0x000c,
	M3UA_TAG_STATUS = 0x000d, M3UA_TAG_ASP_ID = 0x0011, M3UA_TAG_AFFECTED_PC = 0x0012,
	M3UA_TAG_CORR_ID = 0x0013, M3UA_TAG_NETWORK_APP = 0x0200, M3UA_TAG_USER_CAUSE = 0x0204,
	M3UA_TAG_CONGESTION = 0x0205, M3UA_TAG_CONCERNED_DEST = 0x0206,
	M3UA_TAG_PROTOCOL_DATA = 0x0210,
};

enum { /* RFC 4666 3.8.1 */
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

static inline uint32_t m3ua_pending_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* RFC 4666 3.1 common header, 3.2 parameters (tag, length including the 4-byte header, value,
 * padding to 4 bytes). */
static inline int m3ua_decode(const uint8_t *p, size_t len, size_t base, struct m3ua_msg *m,
			      struct dfs_err *e)
{
	memset(m, 0, sizeof(*m));
	if (len < 8)
		return dfs_err_set(e, "m3ua", "header", base + len, "shorter than the common header");
	m->version = p[0];
	m->msg_class = p[2];
	m->msg_type = p[3];
	m->length = m3ua_pending_u32(p + 4);
	if (m->version != 1)
		return dfs_err_set(e, "m3ua", "version", base, "version is not 1");
	if (m->length != len)
		return dfs_err_set(e, "m3ua", "length", base + 4, "length field differs from message");
	size_t off = 8;
	while (off < len) {
		if (len - off < 4)
			return dfs_err_set(e, "m3ua", "parameter", base + off, "truncated parameter header");
		uint16_t tag = (uint16_t)(p[off] << 8 | p[off + 1]);
		uint16_t plen = (uint16_t)(p[off + 2] << 8 | p[off + 3]);
		if (plen < 4 || plen > len - off)
			return dfs_err_set(e, "m3ua", "parameter length", base + off + 2,
					   "parameter length out of range");
		struct dfs_view v = {p + off + 4, (size_t)plen - 4};
		if (m->n_params < M3UA_MAX_PARAMS) {
			m->params[m->n_params].tag = tag;
			m->params[m->n_params].value = v;
			m->n_params++;
		}
		switch (tag) {
		case M3UA_TAG_ROUTING_CTX:
		case M3UA_TAG_NETWORK_APP:
		case M3UA_TAG_ERROR_CODE:
		case M3UA_TAG_ASP_ID:
		case M3UA_TAG_TRAFFIC_MODE:
		case M3UA_TAG_CORR_ID:
		case M3UA_TAG_STATUS:
			if (v.len < 4 || (tag != M3UA_TAG_ROUTING_CTX && v.len != 4))
				return dfs_err_set(e, "m3ua", "parameter length", base + off + 2,
						   "fixed-size parameter of the wrong length");
			break;
		case M3UA_TAG_PROTOCOL_DATA:
			if (v.len < 12)
				return dfs_err_set(e, "m3ua", "protocol data", base + off + 4,
						   "protocol data shorter than its 12-byte header");
			break;
		case M3UA_TAG_AFFECTED_PC:
			if (v.len == 0 || v.len % 4)
				return dfs_err_set(e, "m3ua", "affected point code", base + off + 4,
						   "not a list of 4-byte entries");
			break;
		}
		switch (tag) {
		case M3UA_TAG_ROUTING_CTX:
			m->has_rctx = true, m->rctx = m3ua_pending_u32(v.p);
			break;
		case M3UA_TAG_NETWORK_APP:
			m->has_na = true, m->na = m3ua_pending_u32(v.p);
			break;
		case M3UA_TAG_ERROR_CODE:
			m->has_error_code = true, m->error_code = m3ua_pending_u32(v.p);
			break;
		case M3UA_TAG_STATUS:
			m->has_status = true;
			m->status_type = (uint16_t)(v.p[0] << 8 | v.p[1]);
			m->status_info = (uint16_t)(v.p[2] << 8 | v.p[3]);
			break;
		case M3UA_TAG_ASP_ID:
			m->has_asp_id = true, m->asp_id = m3ua_pending_u32(v.p);
			break;
		case M3UA_TAG_TRAFFIC_MODE:
			m->has_tmt = true, m->tmt = m3ua_pending_u32(v.p);
			break;
		case M3UA_TAG_CORR_ID:
			m->has_corr_id = true, m->corr_id = m3ua_pending_u32(v.p);
			break;
		case M3UA_TAG_INFO_STRING:
			m->info_string = v;
			break;
		case M3UA_TAG_AFFECTED_PC:
			m->affected_pcs = v;
			break;
		case M3UA_TAG_PROTOCOL_DATA:
			m->has_proto_data = true;
			m->pd.opc = m3ua_pending_u32(v.p);
			m->pd.dpc = m3ua_pending_u32(v.p + 4);
			m->pd.si = v.p[8], m->pd.ni = v.p[9], m->pd.mp = v.p[10], m->pd.sls = v.p[11];
			m->pd.user_data.p = v.p + 12;
			m->pd.user_data.len = v.len - 12;
			break;
		}
		size_t padded = ((size_t)plen + 3) & ~(size_t)3;
		off += padded <= len - off ? padded : len - off;
	}
	return 0;
}

static inline int m3ua_encode(struct dfs_wbuf *w, uint8_t cls, uint8_t type,
			      const struct m3ua_param *params, unsigned n)
{
	size_t start = w->len;
	dfs_wbuf_u8(w, 1);
	dfs_wbuf_u8(w, 0);
	dfs_wbuf_u8(w, cls);
	dfs_wbuf_u8(w, type);
	dfs_wbuf_u32(w, 0); /* length, patched below */
	for (unsigned i = 0; i < n; i++) {
		if (params[i].value.len > 0xffff - 4)
			return -EINVAL;
		dfs_wbuf_u16(w, params[i].tag);
		dfs_wbuf_u16(w, (uint16_t)(params[i].value.len + 4));
		dfs_wbuf_put(w, params[i].value.p, params[i].value.len);
		static const uint8_t zero[3];
		dfs_wbuf_put(w, zero, (4 - params[i].value.len % 4) % 4);
	}
	if (!dfs_wbuf_ok(w))
		return -ENOSPC;
	uint32_t total = (uint32_t)(w->len - start);
	w->p[start + 4] = (uint8_t)(total >> 24);
	w->p[start + 5] = (uint8_t)(total >> 16);
	w->p[start + 6] = (uint8_t)(total >> 8);
	w->p[start + 7] = (uint8_t)total;
	return 0;
}

#endif
