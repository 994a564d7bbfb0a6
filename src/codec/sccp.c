/* SCCP connectionless codec, ITU-T Q.713. */
#include "sccp.h"

#include <errno.h>
#include <string.h>

/* Q.713 Table 1 */
const struct value_string sccp_msg_type_names[] = {
	{SCCP_MSG_CR, "CR"},     {SCCP_MSG_CC, "CC"},     {SCCP_MSG_CREF, "CREF"},
	{SCCP_MSG_RLSD, "RLSD"}, {SCCP_MSG_RLC, "RLC"},   {SCCP_MSG_DT1, "DT1"},
	{SCCP_MSG_DT2, "DT2"},   {SCCP_MSG_AK, "AK"},     {SCCP_MSG_UDT, "UDT"},
	{SCCP_MSG_UDTS, "UDTS"}, {SCCP_MSG_ED, "ED"},     {SCCP_MSG_EA, "EA"},
	{SCCP_MSG_RSR, "RSR"},   {SCCP_MSG_RSC, "RSC"},   {SCCP_MSG_ERR, "ERR"},
	{SCCP_MSG_IT, "IT"},     {SCCP_MSG_XUDT, "XUDT"}, {SCCP_MSG_XUDTS, "XUDTS"},
	{SCCP_MSG_LUDT, "LUDT"}, {SCCP_MSG_LUDTS, "LUDTS"}, {0, NULL},
};

/* Q.713 3.4.2.2, 3GPP TS 23.003 annex B */
const struct value_string sccp_ssn_names[] = {
	{0, "unknown"},
	{SCCP_SSN_SCMG, "SCCP management"},
	{3, "ISUP"},
	{4, "OMAP"},
	{SCCP_SSN_MAP, "MAP"},
	{SCCP_SSN_HLR, "HLR"},
	{SCCP_SSN_VLR, "VLR"},
	{SCCP_SSN_MSC, "MSC"},
	{SCCP_SSN_EIR, "EIR"},
	{SCCP_SSN_AUC, "AuC"},
	{11, "ISDN supplementary services"},
	{13, "broadband ISDN edge-to-edge"},
	{14, "TC test responder"},
	{142, "RANAP"},
	{143, "RNSAP"},
	{SCCP_SSN_GMLC, "GMLC"},
	{SCCP_SSN_CAP, "gsmSCF (CAP)"},
	{SCCP_SSN_GSMSCF, "gsmSCF (MAP)"},
	{148, "SIWF"},
	{SCCP_SSN_SGSN, "SGSN"},
	{SCCP_SSN_GGSN, "GGSN"},
	{249, "PCAP"},
	{250, "BSC (BSSAP-LE)"},
	{251, "MSC (BSSAP-LE)"},
	{252, "SMLC (BSSAP-LE)"},
	{253, "BSS O&M"},
	{254, "BSSAP"},
	{0, NULL},
};

/* Q.713 3.4.1 */
const struct value_string sccp_gti_names[] = {
	{SCCP_GTI_NONE, "no global title"},
	{SCCP_GTI_NAI, "NAI only"},
	{SCCP_GTI_TT, "TT only"},
	{SCCP_GTI_TT_NP_ES, "TT, NP, ES"},
	{SCCP_GTI_TT_NP_ES_NAI, "TT, NP, ES, NAI"},
	{0, NULL},
};

/* Q.713 3.4.2.3.3 */
const struct value_string sccp_np_names[] = {
	{0, "unknown"},         {SCCP_NP_E164, "E.164"}, {2, "generic"},
	{3, "X.121"},           {4, "F.69"},             {5, "E.210"},
	{SCCP_NP_E212, "E.212"}, {SCCP_NP_E214, "E.214"}, {8, "private"},
	{14, "Internet address"}, {0, NULL},
};

/* Q.713 3.4.2.3.2 */
const struct value_string sccp_es_names[] = {
	{SCCP_ES_UNKNOWN, "unknown"},
	{SCCP_ES_BCD_ODD, "BCD, odd number of digits"},
	{SCCP_ES_BCD_EVEN, "BCD, even number of digits"},
	{SCCP_ES_NATIONAL, "national specific"},
	{0, NULL},
};

/* Q.713 3.4.2.3.1 */
const struct value_string sccp_nai_names[] = {
	{0, "unknown"},
	{SCCP_NAI_SUBSCRIBER, "subscriber number"},
	{2, "reserved for national use"},
	{SCCP_NAI_NATIONAL, "national significant number"},
	{SCCP_NAI_INTERNATIONAL, "international number"},
	{0, NULL},
};

/* Q.713 3.12 */
const struct value_string sccp_return_cause_names[] = {
	{SCCP_RC_NO_TRANS_NATURE, "no translation for an address of such nature"},
	{SCCP_RC_NO_TRANS_ADDR, "no translation for this specific address"},
	{SCCP_RC_SUBSYS_CONGESTION, "subsystem congestion"},
	{SCCP_RC_SUBSYS_FAILURE, "subsystem failure"},
	{SCCP_RC_UNEQUIPPED_USER, "unequipped user"},
	{SCCP_RC_MTP_FAILURE, "MTP failure"},
	{SCCP_RC_NETWORK_CONGESTION, "network congestion"},
	{SCCP_RC_UNQUALIFIED, "unqualified"},
	{0x08, "error in message transport"},
	{0x09, "error in local processing"},
	{0x0a, "destination cannot perform reassembly"},
	{0x0b, "SCCP failure"},
	{0x0c, "hop counter violation"},
	{0x0d, "segmentation not supported"},
	{0x0e, "segmentation failure"},
	{0, NULL},
};

const char *sccp_msg_type_name(uint8_t t) { return get_value_string(sccp_msg_type_names, t); }
const char *sccp_ssn_name(uint8_t ssn) { return get_value_string(sccp_ssn_names, ssn); }

static const char nibble_chars[] = "0123456789abcdef";

static int nibble_of(char c)
{
	const char *s = c ? strchr(nibble_chars, c) : NULL;
	return s ? (int)(s - nibble_chars) : -1;
}

/* Q.713 3.4 */
int sccp_addr_decode(const uint8_t *p, size_t len, size_t base, const char *field, struct sccp_addr *a,
		     struct dfs_err *e)
{
	struct dfs_buf b = dfs_buf_init(p, len, base);
	uint8_t ai, x;
	memset(a, 0, sizeof(*a));
	if (dfs_buf_u8(&b, &ai) < 0)
		return dfs_err_set(e, "sccp", field, base, "address without an address indicator");
	a->present = true;
	a->has_pc = ai & 0x01;
	a->has_ssn = (ai >> 1) & 0x01;
	a->gti = (ai >> 2) & 0x0f;
	a->route_on_ssn = (ai >> 6) & 0x01;
	if (a->has_pc) {
		uint8_t lo, hi;
		if (dfs_buf_u8(&b, &lo) < 0 || dfs_buf_u8(&b, &hi) < 0)
			return dfs_err_set(e, "sccp", field, dfs_buf_abs(&b), "signalling point code truncated");
		a->pc = (uint16_t)(lo | (hi & 0x3f) << 8);
	}
	if (a->has_ssn && dfs_buf_u8(&b, &a->ssn) < 0)
		return dfs_err_set(e, "sccp", field, dfs_buf_abs(&b), "subsystem number missing");
	/* Q.713 3.4.2.3: the global title header by GTI */
	switch (a->gti) {
	case SCCP_GTI_NONE:
		if (dfs_buf_left(&b))
			return dfs_err_set(e, "sccp", field, dfs_buf_abs(&b),
					   "octets after an address without global title");
		return 0;
	case SCCP_GTI_NAI:
		if (dfs_buf_u8(&b, &x) < 0)
			return dfs_err_set(e, "sccp", field, dfs_buf_abs(&b), "nature of address missing");
		a->odd = x >> 7;
		a->nai = x & 0x7f;
		break;
	case SCCP_GTI_TT:
	case SCCP_GTI_TT_NP_ES:
	case SCCP_GTI_TT_NP_ES_NAI:
		if (dfs_buf_u8(&b, &a->tt) < 0)
			return dfs_err_set(e, "sccp", field, dfs_buf_abs(&b), "translation type missing");
		if (a->gti == SCCP_GTI_TT)
			break;
		if (dfs_buf_u8(&b, &x) < 0)
			return dfs_err_set(e, "sccp", field, dfs_buf_abs(&b), "numbering plan missing");
		a->np = x >> 4;
		a->es = x & 0x0f;
		a->odd = a->es == SCCP_ES_BCD_ODD;
		if (a->gti == SCCP_GTI_TT_NP_ES)
			break;
		if (dfs_buf_u8(&b, &x) < 0)
			return dfs_err_set(e, "sccp", field, dfs_buf_abs(&b), "nature of address missing");
		a->nai = x & 0x7f;
		break;
	default:
		return dfs_err_set(e, "sccp", field, base, "global title indicator not defined by ITU");
	}
	size_t n = dfs_buf_left(&b);
	if (n > SCCP_GT_MAX_OCTETS)
		return dfs_err_set(e, "sccp", field, dfs_buf_abs(&b), "global title longer than supported");
	if (n == 0 && a->odd)
		return dfs_err_set(e, "sccp", field, dfs_buf_abs(&b), "odd digit count but no digits");
	const uint8_t *d = dfs_buf_cur(&b);
	size_t count = 2 * n - (a->odd ? 1 : 0);
	for (size_t i = 0; i < count; i++)
		a->digits[i] = nibble_chars[i % 2 ? d[i / 2] >> 4 : d[i / 2] & 0x0f];
	a->digits[count] = 0;
	return 0;
}

int sccp_addr_encode(struct dfs_wbuf *w, const struct sccp_addr *a)
{
	size_t count = strnlen(a->digits, sizeof(a->digits));
	bool odd = count % 2;
	if (a->gti > SCCP_GTI_TT_NP_ES_NAI || count > DFS_DIGITS_MAX || a->pc > SCCP_PC_MAX ||
	    a->nai > 0x7f || a->np > 0x0f || a->es > 0x0f)
		return -EINVAL;
	if ((a->gti == SCCP_GTI_NONE && count) || (a->gti != SCCP_GTI_NONE && !count && a->odd))
		return -EINVAL;
	uint8_t es = a->es;
	if (a->gti >= SCCP_GTI_TT_NP_ES && (es == SCCP_ES_BCD_ODD || es == SCCP_ES_BCD_EVEN))
		es = odd ? SCCP_ES_BCD_ODD : SCCP_ES_BCD_EVEN;
	else if (odd && a->gti != SCCP_GTI_NAI)
		return -EINVAL; /* no way to say the count is odd */
	dfs_wbuf_u8(w, (uint8_t)(a->has_pc | a->has_ssn << 1 | a->gti << 2 | a->route_on_ssn << 6));
	if (a->has_pc) {
		dfs_wbuf_u8(w, (uint8_t)a->pc);
		dfs_wbuf_u8(w, (uint8_t)(a->pc >> 8));
	}
	if (a->has_ssn)
		dfs_wbuf_u8(w, a->ssn);
	if (a->gti == SCCP_GTI_NAI)
		dfs_wbuf_u8(w, (uint8_t)(odd << 7 | a->nai));
	if (a->gti >= SCCP_GTI_TT)
		dfs_wbuf_u8(w, a->tt);
	if (a->gti >= SCCP_GTI_TT_NP_ES)
		dfs_wbuf_u8(w, (uint8_t)(a->np << 4 | es));
	if (a->gti == SCCP_GTI_TT_NP_ES_NAI)
		dfs_wbuf_u8(w, a->nai);
	for (size_t i = 0; i < count; i += 2) {
		int lo = nibble_of(a->digits[i]), hi = i + 1 < count ? nibble_of(a->digits[i + 1]) : 0;
		if (lo < 0 || hi < 0)
			return -EINVAL;
		dfs_wbuf_u8(w, (uint8_t)(lo | hi << 4));
	}
	return dfs_wbuf_ok(w) ? 0 : -ENOSPC;
}

void sccp_addr_gt(struct sccp_addr *a, const char *digits, uint8_t ssn)
{
	memset(a, 0, sizeof(*a));
	a->present = true;
	a->has_ssn = true;
	a->ssn = ssn;
	a->gti = SCCP_GTI_TT_NP_ES_NAI;
	a->tt = 0;
	a->np = SCCP_NP_E164;
	a->nai = SCCP_NAI_INTERNATIONAL;
	size_t n = strnlen(digits, DFS_DIGITS_MAX);
	memcpy(a->digits, digits, n);
	a->digits[n] = 0;
	a->odd = n % 2;
	a->es = a->odd ? SCCP_ES_BCD_ODD : SCCP_ES_BCD_EVEN;
}

/* The fixed layout of each connectionless message (Q.713 4.10, 4.11, 4.18, 4.19, 4.26, 4.27). */
struct layout {
	bool returned;  /* second octet is the return cause, not the protocol class */
	bool hop;       /* hop counter after it */
	bool optional;  /* a fourth pointer to the optional part */
	unsigned width; /* pointer and long-data length width: 1, or 2 for LUDT/LUDTS */
};

static int layout_of(uint8_t type, struct layout *l)
{
	switch (type) {
	case SCCP_MSG_UDT: *l = (struct layout){false, false, false, 1}; return 0;
	case SCCP_MSG_UDTS: *l = (struct layout){true, false, false, 1}; return 0;
	case SCCP_MSG_XUDT: *l = (struct layout){false, true, true, 1}; return 0;
	case SCCP_MSG_XUDTS: *l = (struct layout){true, true, true, 1}; return 0;
	case SCCP_MSG_LUDT: *l = (struct layout){false, true, true, 2}; return 0;
	case SCCP_MSG_LUDTS: *l = (struct layout){true, true, true, 2}; return 0;
	default: return -1;
	}
}

static const char *const part_field[4] = {"called party address", "calling party address", "data",
					  "optional part"};

/* Q.713 3.17 segmentation, 3.19 importance; other optional parameters are skipped. */
static int decode_optional(struct dfs_buf *b, struct sccp_msg *m, struct dfs_err *e)
{
	for (;;) {
		size_t at = dfs_buf_abs(b);
		uint8_t name, plen;
		struct dfs_view v;
		if (dfs_buf_u8(b, &name) < 0)
			return dfs_err_set(e, "sccp", "optional part", at, "end of optional parameters missing");
		if (name == SCCP_PAR_END)
			return 0;
		if (dfs_buf_u8(b, &plen) < 0 || dfs_buf_view(b, plen, &v) < 0)
			return dfs_err_set(e, "sccp", "optional part", at, "optional parameter truncated");
		if (name == SCCP_PAR_SEGMENTATION) {
			if (v.len != 4)
				return dfs_err_set(e, "sccp", "segmentation", at + 1, "segmentation is not 4 octets");
			m->has_segmentation = true;
			m->seg_first = v.p[0] >> 7;
			m->seg_class1 = (v.p[0] >> 6) & 1;
			m->seg_remaining = v.p[0] & 0x0f;
			m->seg_local_ref = (uint32_t)v.p[1] | (uint32_t)v.p[2] << 8 | (uint32_t)v.p[3] << 16;
		} else if (name == SCCP_PAR_IMPORTANCE) {
			if (v.len != 1)
				return dfs_err_set(e, "sccp", "importance", at + 1, "importance is not 1 octet");
			m->has_importance = true;
			m->importance = v.p[0] & 0x07;
		}
	}
}

int sccp_decode(const uint8_t *p, size_t len, size_t base, struct sccp_msg *m, struct dfs_err *e)
{
	struct dfs_buf b = dfs_buf_init(p, len, base);
	struct layout l;
	memset(m, 0, sizeof(*m));
	if (dfs_buf_u8(&b, &m->msg_type) < 0)
		return dfs_err_set(e, "sccp", "message type", base, "message is empty");
	if (layout_of(m->msg_type, &l) < 0)
		return dfs_err_set(e, "sccp", "message type", base, "not a connectionless message");
	uint8_t second;
	if (dfs_buf_u8(&b, &second) < 0)
		return dfs_err_set(e, "sccp", l.returned ? "return cause" : "protocol class", dfs_buf_abs(&b),
				   "message truncated");
	if (l.returned)
		m->return_cause = second;
	else
		m->proto_class = second;
	if (l.hop && dfs_buf_u8(&b, &m->hop_counter) < 0)
		return dfs_err_set(e, "sccp", "hop counter", dfs_buf_abs(&b), "message truncated");
	unsigned nptr = l.optional ? 4 : 3;
	for (unsigned i = 0; i < nptr; i++) {
		size_t at = b.pos;
		uint16_t ptr;
		uint8_t lo;
		if (l.width == 2) {
			uint8_t hi;
			if (dfs_buf_u8(&b, &lo) < 0 || dfs_buf_u8(&b, &hi) < 0)
				return dfs_err_set(e, "sccp", "pointer", base + at, "pointers truncated");
			ptr = (uint16_t)(lo | hi << 8);
		} else {
			if (dfs_buf_u8(&b, &lo) < 0)
				return dfs_err_set(e, "sccp", "pointer", base + at, "pointers truncated");
			ptr = lo;
		}
		if (ptr == 0) {
			if (i == 3)
				continue; /* no optional part */
			return dfs_err_set(e, "sccp", part_field[i], base + at, "mandatory pointer is zero");
		}
		size_t from = at + l.width - 1; /* Q.713 2.3: counted from the pointer's last octet */
		if ((size_t)ptr >= len - from)
			return dfs_err_set(e, "sccp", part_field[i], base + at, "pointer beyond the message");
		struct dfs_buf part = dfs_buf_init(p + from + ptr, len - from - ptr, base + from + ptr);
		if (i == 3) {
			int rc = decode_optional(&part, m, e);
			if (rc < 0)
				return rc;
			continue;
		}
		size_t plen;
		uint8_t l0, l1 = 0;
		dfs_buf_u8(&part, &l0);
		if (i == 2 && l.width == 2 && dfs_buf_u8(&part, &l1) < 0)
			return dfs_err_set(e, "sccp", "data", part.base, "long data length truncated");
		plen = (size_t)l0 | (size_t)l1 << 8;
		struct dfs_view v;
		if (dfs_buf_view(&part, plen, &v) < 0)
			return dfs_err_set(e, "sccp", part_field[i], part.base,
					   "part runs past the end of the message");
		if (i == 2) {
			m->data = v;
			continue;
		}
		int rc = sccp_addr_decode(v.p, v.len, part.base + 1, part_field[i], i ? &m->calling : &m->called, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void put_len(struct dfs_wbuf *w, size_t v, unsigned width)
{
	dfs_wbuf_u8(w, (uint8_t)v);
	if (width == 2)
		dfs_wbuf_u8(w, (uint8_t)(v >> 8));
}

int sccp_encode(struct dfs_wbuf *w, const struct sccp_msg *m)
{
	struct layout l;
	if (layout_of(m->msg_type, &l) < 0)
		return -EINVAL;
	bool has_opt = m->has_segmentation || m->has_importance;
	if (has_opt && !l.optional)
		return -EINVAL;
	if ((m->has_segmentation && (m->seg_remaining > 15 || m->seg_local_ref > 0xffffff)) ||
	    (m->has_importance && m->importance > 7))
		return -EINVAL;
	if (m->data.len > (l.width == 2 ? 0xffffu : 0xffu))
		return -EINVAL;
	dfs_wbuf_u8(w, m->msg_type);
	dfs_wbuf_u8(w, l.returned ? m->return_cause : m->proto_class);
	if (l.hop)
		dfs_wbuf_u8(w, m->hop_counter);
	unsigned nptr = l.optional ? 4 : 3;
	size_t ptr_at = w->len; /* pointers are filled in once the parts are placed */
	for (unsigned i = 0; i < nptr * l.width; i++)
		dfs_wbuf_u8(w, 0);
	size_t part_at[4] = {0};
	const struct sccp_addr *addr[2] = {&m->called, &m->calling};
	for (unsigned i = 0; i < 2; i++) {
		part_at[i] = w->len;
		dfs_wbuf_u8(w, 0); /* address length, patched below */
		int rc = sccp_addr_encode(w, addr[i]);
		if (rc < 0)
			return rc;
		w->p[part_at[i]] = (uint8_t)(w->len - part_at[i] - 1);
	}
	part_at[2] = w->len;
	put_len(w, m->data.len, l.width);
	dfs_wbuf_put(w, m->data.p, m->data.len);
	if (has_opt) {
		part_at[3] = w->len;
		if (m->has_segmentation) {
			uint8_t seg[6] = {SCCP_PAR_SEGMENTATION, 4,
					  (uint8_t)(m->seg_first << 7 | m->seg_class1 << 6 | m->seg_remaining),
					  (uint8_t)m->seg_local_ref, (uint8_t)(m->seg_local_ref >> 8),
					  (uint8_t)(m->seg_local_ref >> 16)};
			dfs_wbuf_put(w, seg, sizeof(seg));
		}
		if (m->has_importance) {
			uint8_t imp[3] = {SCCP_PAR_IMPORTANCE, 1, m->importance};
			dfs_wbuf_put(w, imp, sizeof(imp));
		}
		dfs_wbuf_u8(w, SCCP_PAR_END);
	}
	if (!dfs_wbuf_ok(w))
		return -ENOSPC;
	for (unsigned i = 0; i < nptr; i++) {
		size_t at = ptr_at + i * l.width;
		size_t ptr = part_at[i] ? part_at[i] - (at + l.width - 1) : 0;
		if (ptr > (l.width == 2 ? 0xffffu : 0xffu))
			return -EINVAL;
		w->p[at] = (uint8_t)ptr;
		if (l.width == 2)
			w->p[at + 1] = (uint8_t)(ptr >> 8);
	}
	return 0;
}
