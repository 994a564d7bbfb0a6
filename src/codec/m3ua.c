/* M3UA codec, RFC 4666. */
#include "m3ua.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* RFC 4666 3.1.2 */
const struct value_string m3ua_class_names[] = {
	{M3UA_CLS_MGMT, "MGMT"},
	{M3UA_CLS_XFER, "Transfer"},
	{M3UA_CLS_SSNM, "SSNM"},
	{M3UA_CLS_ASPSM, "ASPSM"},
	{M3UA_CLS_ASPTM, "ASPTM"},
	{M3UA_CLS_RKM, "RKM"},
	{0, NULL},
};

/* RFC 4666 3.1.3, one table per class */
static const struct value_string mgmt_names[] = {
	{M3UA_MGMT_ERR, "ERR"}, {M3UA_MGMT_NTFY, "NTFY"}, {0, NULL},
};
static const struct value_string xfer_names[] = {
	{M3UA_XFER_DATA, "DATA"}, {0, NULL},
};
static const struct value_string ssnm_names[] = {
	{M3UA_SSNM_DUNA, "DUNA"}, {M3UA_SSNM_DAVA, "DAVA"}, {M3UA_SSNM_DAUD, "DAUD"},
	{M3UA_SSNM_SCON, "SCON"}, {M3UA_SSNM_DUPU, "DUPU"}, {M3UA_SSNM_DRST, "DRST"}, {0, NULL},
};
static const struct value_string aspsm_names[] = {
	{M3UA_ASPSM_ASPUP, "ASPUP"}, {M3UA_ASPSM_ASPDN, "ASPDN"}, {M3UA_ASPSM_BEAT, "BEAT"},
	{M3UA_ASPSM_ASPUP_ACK, "ASPUP_ACK"}, {M3UA_ASPSM_ASPDN_ACK, "ASPDN_ACK"},
	{M3UA_ASPSM_BEAT_ACK, "BEAT_ACK"}, {0, NULL},
};
static const struct value_string asptm_names[] = {
	{M3UA_ASPTM_ASPAC, "ASPAC"}, {M3UA_ASPTM_ASPIA, "ASPIA"}, {M3UA_ASPTM_ASPAC_ACK, "ASPAC_ACK"},
	{M3UA_ASPTM_ASPIA_ACK, "ASPIA_ACK"}, {0, NULL},
};
static const struct value_string rkm_names[] = {
	{M3UA_RKM_REG_REQ, "REG_REQ"}, {M3UA_RKM_REG_RSP, "REG_RSP"}, {M3UA_RKM_DEREG_REQ, "DEREG_REQ"},
	{M3UA_RKM_DEREG_RSP, "DEREG_RSP"}, {0, NULL},
};

/* RFC 4666 3.2 and 3.2.1 */
const struct value_string m3ua_tag_names[] = {
	{M3UA_TAG_INFO_STRING, "Info String"},
	{M3UA_TAG_ROUTING_CTX, "Routing Context"},
	{M3UA_TAG_DIAG_INFO, "Diagnostic Information"},
	{M3UA_TAG_HEARTBEAT, "Heartbeat Data"},
	{M3UA_TAG_TRAFFIC_MODE, "Traffic Mode Type"},
	{M3UA_TAG_ERROR_CODE, "Error Code"},
	{M3UA_TAG_STATUS, "Status"},
	{M3UA_TAG_ASP_ID, "ASP Identifier"},
	{M3UA_TAG_AFFECTED_PC, "Affected Point Code"},
	{M3UA_TAG_CORR_ID, "Correlation ID"},
	{M3UA_TAG_NETWORK_APP, "Network Appearance"},
	{M3UA_TAG_USER_CAUSE, "User/Cause"},
	{M3UA_TAG_CONGESTION, "Congestion Indications"},
	{M3UA_TAG_CONCERNED_DEST, "Concerned Destination"},
	{M3UA_TAG_ROUTING_KEY, "Routing Key"},
	{M3UA_TAG_REG_RESULT, "Registration Result"},
	{M3UA_TAG_DEREG_RESULT, "Deregistration Result"},
	{M3UA_TAG_LOCAL_RK_ID, "Local Routing Key Identifier"},
	{M3UA_TAG_DPC, "Destination Point Code"},
	{M3UA_TAG_SI, "Service Indicators"},
	{M3UA_TAG_OPC_LIST, "Originating Point Code List"},
	{M3UA_TAG_PROTOCOL_DATA, "Protocol Data"},
	{M3UA_TAG_REG_STATUS, "Registration Status"},
	{M3UA_TAG_DEREG_STATUS, "Deregistration Status"},
	{0, NULL},
};

/* RFC 4666 3.8.1, every value up to the last one defined */
const struct value_string m3ua_err_names[] = {
	{0x01, "Invalid Version"},
	{0x02, "Not Used in M3UA"},
	{0x03, "Unsupported Message Class"},
	{0x04, "Unsupported Message Type"},
	{0x05, "Unsupported Traffic Mode Type"},
	{0x06, "Unexpected Message"},
	{0x07, "Protocol Error"},
	{0x08, "Not Used in M3UA"},
	{0x09, "Invalid Stream Identifier"},
	{0x0a, "Not Used in M3UA"},
	{0x0b, "Not Used in M3UA"},
	{0x0c, "Not Used in M3UA"},
	{0x0d, "Refused - Management Blocking"},
	{0x0e, "ASP Identifier Required"},
	{0x0f, "Invalid ASP Identifier"},
	{0x10, "Not Used in M3UA"},
	{0x11, "Invalid Parameter Value"},
	{0x12, "Parameter Field Error"},
	{0x13, "Unexpected Parameter"},
	{0x14, "Destination Status Unknown"},
	{0x15, "Invalid Network Appearance"},
	{0x16, "Missing Parameter"},
	{0x17, "Not Used in M3UA"},
	{0x18, "Not Used in M3UA"},
	{0x19, "Invalid Routing Context"},
	{0x1a, "No Configured AS for ASP"},
	{0, NULL},
};

/* RFC 4666 3.8.2 */
const struct value_string m3ua_status_type_names[] = {
	{M3UA_NTFY_AS_STATE_CHANGE, "AS-State_Change"},
	{M3UA_NTFY_OTHER, "Other"},
	{0, NULL},
};

/* RFC 4666 3.5.1 */
const struct value_string m3ua_tmt_names[] = {
	{M3UA_TMT_OVERRIDE, "Override"},
	{M3UA_TMT_LOADSHARE, "Loadshare"},
	{M3UA_TMT_BROADCAST, "Broadcast"},
	{0, NULL},
};

static const struct value_string *class_type_names(uint8_t cls)
{
	switch (cls) {
	case M3UA_CLS_MGMT: return mgmt_names;
	case M3UA_CLS_XFER: return xfer_names;
	case M3UA_CLS_SSNM: return ssnm_names;
	case M3UA_CLS_ASPSM: return aspsm_names;
	case M3UA_CLS_ASPTM: return asptm_names;
	case M3UA_CLS_RKM: return rkm_names;
	default: return NULL;
	}
}

const char *m3ua_msg_name(uint8_t cls, uint8_t type)
{
	const struct value_string *vs = class_type_names(cls);
	return vs ? get_value_string(vs, type) : "unknown";
}

bool m3ua_msg_known(uint8_t cls, uint8_t type)
{
	const struct value_string *vs = class_type_names(cls);
	return vs && get_value_string_or_null(vs, type);
}

const char *m3ua_err_name(uint32_t code) { return get_value_string(m3ua_err_names, code); }

const struct m3ua_param *m3ua_find_param(const struct m3ua_msg *m, uint16_t tag, unsigned n)
{
	for (unsigned i = 0; i < m->n_params; i++)
		if (m->params[i].tag == tag && n-- == 0)
			return &m->params[i];
	return NULL;
}

static uint32_t get_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

long m3ua_frame_length(const uint8_t *p, size_t avail)
{
	if (avail >= 1 && p[0] != M3UA_VERSION)
		return -1;
	if (avail < M3UA_HDR_LEN)
		return 0;
	uint32_t len = get_u32(p + 4);
	if (len < M3UA_HDR_LEN || len % 4 || len > M3UA_MAX_MSG_LEN)
		return -1;
	return avail >= len ? (long)len : 0;
}

/* Value length rule of a known parameter: 0 = any, 4 = exactly 4, -4 = a non-empty list of
 * 4-byte entries, 12 = at least 12 (Protocol Data). */
static int param_len_rule(uint16_t tag)
{
	switch (tag) {
	case M3UA_TAG_NETWORK_APP:
	case M3UA_TAG_ERROR_CODE:
	case M3UA_TAG_STATUS:
	case M3UA_TAG_ASP_ID:
	case M3UA_TAG_TRAFFIC_MODE:
	case M3UA_TAG_CORR_ID:
	case M3UA_TAG_USER_CAUSE:
	case M3UA_TAG_CONGESTION:
	case M3UA_TAG_CONCERNED_DEST:
	case M3UA_TAG_LOCAL_RK_ID:
	case M3UA_TAG_DPC:
	case M3UA_TAG_REG_STATUS:
	case M3UA_TAG_DEREG_STATUS:
		return 4;
	case M3UA_TAG_ROUTING_CTX:
	case M3UA_TAG_AFFECTED_PC:
	case M3UA_TAG_OPC_LIST:
		return -4;
	case M3UA_TAG_PROTOCOL_DATA:
		return 12;
	default:
		return 0;
	}
}

static bool is_nested(uint16_t tag)
{
	return tag == M3UA_TAG_ROUTING_KEY || tag == M3UA_TAG_REG_RESULT || tag == M3UA_TAG_DEREG_RESULT;
}

/* Walks the parameters in p[0..len) (RFC 4666 3.2). Calls store() for each when non-NULL.
 * Routing Key, Registration Result and Deregistration Result hold parameters themselves
 * (3.6.1, 3.6.2, 3.6.4): their contents are walked too (depth one). */
static int walk_params(const uint8_t *p, size_t len, size_t base, int depth, struct m3ua_msg *m,
		       struct dfs_err *e)
{
	struct dfs_buf b = dfs_buf_init(p, len, base);
	while (dfs_buf_left(&b) > 0) {
		size_t at = dfs_buf_abs(&b);
		uint16_t tag, plen;
		if (dfs_buf_u16(&b, &tag) < 0 || dfs_buf_u16(&b, &plen) < 0)
			return dfs_err_set(e, "m3ua", "parameter header", at, "parameter header truncated");
		if (plen < 4)
			return dfs_err_set(e, "m3ua", "parameter length", at + 2,
					   "parameter length below its 4-byte header");
		struct dfs_view v;
		if (dfs_buf_view(&b, (size_t)plen - 4, &v) < 0)
			return dfs_err_set(e, "m3ua", m3ua_tag_name(tag), at + 2,
					   "parameter runs past the end of the message");
		size_t pad = (4 - plen % 4) % 4;
		if (dfs_buf_skip(&b, pad) < 0)
			return dfs_err_set(e, "m3ua", "padding", dfs_buf_abs(&b),
					   "parameter padding missing at the end of the message");
		int rule = param_len_rule(tag);
		if ((rule == 4 && v.len != 4) || (rule == -4 && (v.len == 0 || v.len % 4)) ||
		    (rule == 12 && v.len < 12))
			return dfs_err_set(e, "m3ua", m3ua_tag_name(tag), at + 2,
					   rule == 4    ? "parameter value is not 4 bytes"
					   : rule == 12 ? "protocol data shorter than its 12-byte header"
							: "not a non-empty list of 4-byte entries");
		if (depth == 0 && is_nested(tag)) {
			int rc = walk_params(v.p, v.len, at + 4, 1, NULL, e);
			if (rc < 0)
				return rc;
		}
		if (!m)
			continue;
		if (m->n_params >= M3UA_MAX_PARAMS)
			return dfs_err_set(e, "m3ua", "parameter", at, "more parameters than supported");
		m->params[m->n_params].tag = tag;
		m->params[m->n_params].value = v;
		m->n_params++;
	}
	return 0;
}

/* The parsed shortcuts of struct m3ua_msg, from the first occurrence of each parameter. */
static void parse_known(struct m3ua_msg *m)
{
	for (unsigned i = m->n_params; i-- > 0;) { /* backwards: the first occurrence wins */
		const struct dfs_view *v = &m->params[i].value;
		switch (m->params[i].tag) {
		case M3UA_TAG_ROUTING_CTX:
			m->has_rctx = true, m->rctx = get_u32(v->p);
			break;
		case M3UA_TAG_NETWORK_APP:
			m->has_na = true, m->na = get_u32(v->p);
			break;
		case M3UA_TAG_ERROR_CODE:
			m->has_error_code = true, m->error_code = get_u32(v->p);
			break;
		case M3UA_TAG_STATUS:
			m->has_status = true;
			m->status_type = (uint16_t)(v->p[0] << 8 | v->p[1]);
			m->status_info = (uint16_t)(v->p[2] << 8 | v->p[3]);
			break;
		case M3UA_TAG_ASP_ID:
			m->has_asp_id = true, m->asp_id = get_u32(v->p);
			break;
		case M3UA_TAG_TRAFFIC_MODE:
			m->has_tmt = true, m->tmt = get_u32(v->p);
			break;
		case M3UA_TAG_CORR_ID:
			m->has_corr_id = true, m->corr_id = get_u32(v->p);
			break;
		case M3UA_TAG_INFO_STRING:
			m->info_string = *v;
			break;
		case M3UA_TAG_AFFECTED_PC:
			m->affected_pcs = *v;
			break;
		case M3UA_TAG_PROTOCOL_DATA: /* RFC 4666 3.3.1.1 */
			m->has_proto_data = true;
			m->pd.opc = get_u32(v->p);
			m->pd.dpc = get_u32(v->p + 4);
			m->pd.si = v->p[8], m->pd.ni = v->p[9], m->pd.mp = v->p[10], m->pd.sls = v->p[11];
			m->pd.user_data.p = v->p + 12;
			m->pd.user_data.len = v->len - 12;
			break;
		default:
			break;
		}
	}
}

/* Mandatory parameters (RFC 4666 3.3 to 3.8): up to two tags per message, 0 = none. */
static void mandatory_params(uint8_t cls, uint8_t type, uint16_t out[2])
{
	out[0] = out[1] = 0;
	switch (cls) {
	case M3UA_CLS_MGMT:
		out[0] = type == M3UA_MGMT_ERR ? M3UA_TAG_ERROR_CODE
			 : type == M3UA_MGMT_NTFY ? M3UA_TAG_STATUS : 0;
		break;
	case M3UA_CLS_XFER:
		out[0] = type == M3UA_XFER_DATA ? M3UA_TAG_PROTOCOL_DATA : 0;
		break;
	case M3UA_CLS_SSNM:
		if (type >= M3UA_SSNM_DUNA && type <= M3UA_SSNM_DRST)
			out[0] = M3UA_TAG_AFFECTED_PC;
		if (type == M3UA_SSNM_DUPU)
			out[1] = M3UA_TAG_USER_CAUSE;
		break;
	case M3UA_CLS_RKM:
		out[0] = type == M3UA_RKM_REG_REQ     ? M3UA_TAG_ROUTING_KEY
			 : type == M3UA_RKM_REG_RSP   ? M3UA_TAG_REG_RESULT
			 : type == M3UA_RKM_DEREG_REQ ? M3UA_TAG_ROUTING_CTX
			 : type == M3UA_RKM_DEREG_RSP ? M3UA_TAG_DEREG_RESULT : 0;
		break;
	default:
		break;
	}
}

int m3ua_decode(const uint8_t *p, size_t len, size_t base, struct m3ua_msg *m, struct dfs_err *e)
{
	/* everything but the parameter array, whose entries below n_params are all written */
	memset(m, 0, offsetof(struct m3ua_msg, params));
	memset((char *)m + offsetof(struct m3ua_msg, params) + sizeof(m->params), 0,
	       sizeof(*m) - offsetof(struct m3ua_msg, params) - sizeof(m->params));
	/* RFC 4666 3.1 common header */
	if (len < M3UA_HDR_LEN)
		return dfs_err_set(e, "m3ua", "header", base + len, "shorter than the 8-byte common header");
	m->version = p[0];
	m->msg_class = p[2];
	m->msg_type = p[3];
	m->length = get_u32(p + 4);
	if (m->version != M3UA_VERSION)
		return dfs_err_set(e, "m3ua", "version", base, "version is not 1");
	if (m->length != len)
		return dfs_err_set(e, "m3ua", "length", base + 4,
				   m->length > len ? "message truncated: shorter than its length field"
						   : "length field shorter than the message");
	int rc = walk_params(p + M3UA_HDR_LEN, len - M3UA_HDR_LEN, base + M3UA_HDR_LEN, 0, m, e);
	if (rc < 0)
		return rc;
	parse_known(m);
	uint16_t need[2];
	mandatory_params(m->msg_class, m->msg_type, need);
	for (unsigned i = 0; i < 2; i++)
		if (need[i] && !m3ua_find_param(m, need[i], 0))
			return dfs_err_set(e, "m3ua", m3ua_tag_name(need[i]), base + len,
					   "mandatory parameter missing");
	return 0;
}

static const uint8_t zero_pad[3];

/* One parameter whose value is head (hlen bytes) followed by body (blen bytes). */
static int put_param(struct dfs_wbuf *w, uint16_t tag, const uint8_t *head, size_t hlen,
		     const uint8_t *body, size_t blen)
{
	if (hlen + blen > 0xffff - 4)
		return -EINVAL;
	size_t vlen = hlen + blen;
	dfs_wbuf_u16(w, tag);
	dfs_wbuf_u16(w, (uint16_t)(vlen + 4));
	dfs_wbuf_put(w, head, hlen);
	dfs_wbuf_put(w, body, blen);
	dfs_wbuf_put(w, zero_pad, (4 - vlen % 4) % 4);
	return 0;
}

static size_t put_header(struct dfs_wbuf *w, uint8_t cls, uint8_t type)
{
	size_t start = w->len;
	dfs_wbuf_u8(w, M3UA_VERSION);
	dfs_wbuf_u8(w, 0);
	dfs_wbuf_u8(w, cls);
	dfs_wbuf_u8(w, type);
	dfs_wbuf_u32(w, 0); /* length, set by finish() */
	return start;
}

static int finish(struct dfs_wbuf *w, size_t start)
{
	if (!dfs_wbuf_ok(w))
		return -ENOSPC;
	size_t total = w->len - start;
	if (total > UINT32_MAX)
		return -EINVAL;
	w->p[start + 4] = (uint8_t)(total >> 24);
	w->p[start + 5] = (uint8_t)(total >> 16);
	w->p[start + 6] = (uint8_t)(total >> 8);
	w->p[start + 7] = (uint8_t)total;
	return 0;
}

int m3ua_encode_params(struct dfs_wbuf *w, const struct m3ua_param *params, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (put_param(w, params[i].tag, params[i].value.p, params[i].value.len, NULL, 0) < 0)
			return -EINVAL;
	return dfs_wbuf_ok(w) ? 0 : -ENOSPC;
}

int m3ua_encode(struct dfs_wbuf *w, uint8_t cls, uint8_t type, const struct m3ua_param *params,
		unsigned n)
{
	size_t start = put_header(w, cls, type);
	int rc = m3ua_encode_params(w, params, n);
	if (rc == -EINVAL)
		return rc;
	return finish(w, start);
}

static void put_u32_param(struct dfs_wbuf *w, uint16_t tag, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	put_param(w, tag, b, 4, NULL, 0);
}

int m3ua_encode_data(struct dfs_wbuf *w, const uint32_t *rctx, const struct m3ua_proto_data *pd)
{
	return m3ua_encode_data_na(w, NULL, rctx, pd);
}

int m3ua_encode_data_na(struct dfs_wbuf *w, const uint32_t *na, const uint32_t *rctx,
			const struct m3ua_proto_data *pd)
{
	size_t start = put_header(w, M3UA_CLS_XFER, M3UA_XFER_DATA);
	if (na) /* RFC 4666 3.3.1: Network Appearance, then Routing Context */
		put_u32_param(w, M3UA_TAG_NETWORK_APP, *na);
	if (rctx)
		put_u32_param(w, M3UA_TAG_ROUTING_CTX, *rctx);
	/* RFC 4666 3.3.1.1 */
	uint8_t h[12] = {(uint8_t)(pd->opc >> 24), (uint8_t)(pd->opc >> 16), (uint8_t)(pd->opc >> 8),
			 (uint8_t)pd->opc, (uint8_t)(pd->dpc >> 24), (uint8_t)(pd->dpc >> 16),
			 (uint8_t)(pd->dpc >> 8), (uint8_t)pd->dpc, pd->si, pd->ni, pd->mp, pd->sls};
	if (put_param(w, M3UA_TAG_PROTOCOL_DATA, h, sizeof(h), pd->user_data.p, pd->user_data.len) < 0)
		return -EINVAL;
	return finish(w, start);
}
