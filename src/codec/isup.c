/* ISUP codec, ITU-T Q.763. */
#include "isup.h"

#include <errno.h>
#include <string.h>

/* Q.763 Table 4 */
const struct value_string isup_msg_type_names[] = {
	{ISUP_IAM, "IAM"},   {ISUP_SAM, "SAM"},   {ISUP_INR, "INR"},   {ISUP_INF, "INF"},
	{ISUP_COT, "COT"},   {ISUP_ACM, "ACM"},   {ISUP_CON, "CON"},   {ISUP_FOT, "FOT"},
	{ISUP_ANM, "ANM"},   {ISUP_REL, "REL"},   {ISUP_SUS, "SUS"},   {ISUP_RES, "RES"},
	{ISUP_RLC, "RLC"},   {ISUP_CCR, "CCR"},   {ISUP_RSC, "RSC"},   {ISUP_BLO, "BLO"},
	{ISUP_UBL, "UBL"},   {ISUP_BLA, "BLA"},   {ISUP_UBA, "UBA"},   {ISUP_GRS, "GRS"},
	{ISUP_CGB, "CGB"},   {ISUP_CGU, "CGU"},   {ISUP_CGBA, "CGBA"}, {ISUP_CGUA, "CGUA"},
	{ISUP_GRA, "GRA"},   {ISUP_CQM, "CQM"},   {ISUP_CQR, "CQR"},   {ISUP_CPG, "CPG"},
	{ISUP_UCIC, "UCIC"}, {0, NULL},
};

/* Q.763 3.9 b) */
const struct value_string isup_nai_names[] = {
	{ISUP_NAI_SUBSCRIBER, "subscriber number"},
	{ISUP_NAI_UNKNOWN, "unknown"},
	{ISUP_NAI_NATIONAL, "national significant number"},
	{ISUP_NAI_INTERNATIONAL, "international number"},
	{5, "network-specific number"},
	{0, NULL},
};

/* Q.763 3.9 d) */
const struct value_string isup_npi_names[] = {
	{ISUP_NPI_ISDN, "ISDN (E.164)"}, {ISUP_NPI_DATA, "data (X.121)"}, {ISUP_NPI_TELEX, "telex (F.69)"},
	{5, "private"}, {0, NULL},
};

/* Q.763 3.10 e) */
const struct value_string isup_presentation_names[] = {
	{ISUP_PRES_ALLOWED, "presentation allowed"},
	{ISUP_PRES_RESTRICTED, "presentation restricted"},
	{ISUP_PRES_NOT_AVAILABLE, "address not available"},
	{0, NULL},
};

/* Q.763 3.10 f) */
const struct value_string isup_screening_names[] = {
	{ISUP_SCR_USER_NOT_VERIFIED, "user provided, not verified"},
	{ISUP_SCR_USER_PASSED, "user provided, verified and passed"},
	{ISUP_SCR_USER_FAILED, "user provided, verified and failed"},
	{ISUP_SCR_NETWORK, "network provided"},
	{0, NULL},
};

/* Q.763 Table 3 and the message tables 21 to 54: octets of the mandatory fixed part, number
 * of mandatory variable parameters, whether an optional part pointer follows. */
struct isup_format {
	uint8_t type, fixed, nvar;
	bool opt;
};

static const struct isup_format formats[] = {
	{ISUP_IAM, 5, 1, true},   {ISUP_SAM, 0, 1, true},   {ISUP_INR, 2, 0, true},
	{ISUP_INF, 2, 0, true},   {ISUP_COT, 1, 0, false},  {ISUP_ACM, 2, 0, true},
	{ISUP_CON, 2, 0, true},   {ISUP_FOT, 0, 0, true},   {ISUP_ANM, 0, 0, true},
	{ISUP_REL, 0, 1, true},   {ISUP_SUS, 1, 0, true},   {ISUP_RES, 1, 0, true},
	{ISUP_RLC, 0, 0, true},   {ISUP_CCR, 0, 0, false},  {ISUP_RSC, 0, 0, false},
	{ISUP_BLO, 0, 0, false},  {ISUP_UBL, 0, 0, false},  {ISUP_BLA, 0, 0, false},
	{ISUP_UBA, 0, 0, false},  {ISUP_GRS, 0, 1, false},  {ISUP_CGB, 1, 1, false},
	{ISUP_CGU, 1, 1, false},  {ISUP_CGBA, 1, 1, false}, {ISUP_CGUA, 1, 1, false},
	{ISUP_GRA, 0, 1, false},  {ISUP_CQM, 0, 1, false},  {ISUP_CQR, 0, 2, false},
	{ISUP_CPG, 1, 0, true},   {ISUP_UCIC, 0, 0, false},
};

static const struct isup_format *format_of(uint8_t type)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (formats[i].type == type)
			return &formats[i];
	return NULL;
}

/* The same members as struct isup_msg's calling/called (an anonymous type). */
struct isup_number {
	bool present;
	uint8_t nai, npi;
	bool odd;
	char digits[DFS_DIGITS_MAX + 1];
	uint8_t presentation, screening;
};

#define NUMBER_COPY(dst, src)                                                                  \
	do {                                                                                   \
		(dst).present = (src).present, (dst).nai = (src).nai, (dst).npi = (src).npi;   \
		(dst).odd = (src).odd, (dst).presentation = (src).presentation;                \
		(dst).screening = (src).screening;                                             \
		memcpy((dst).digits, (src).digits, sizeof((dst).digits));                      \
	} while (0)

static const char signal_chars[] = "0123456789abcdef";

/* Q.763 3.9 called party number, 3.10 calling party number */
static int decode_number(struct dfs_view v, size_t at, bool calling, struct isup_number *n,
			 struct dfs_err *e)
{
	const char *field = calling ? "calling party number" : "called party number";
	memset(n, 0, sizeof(*n));
	if (v.len < 2)
		return dfs_err_set(e, "isup", field, at, "number shorter than its two indicator octets");
	size_t octets = v.len - 2;
	if (octets > DFS_DIGITS_MAX / 2)
		return dfs_err_set(e, "isup", field, at, "more address signals than supported");
	n->present = true;
	n->odd = v.p[0] >> 7;
	n->nai = v.p[0] & 0x7f;
	n->npi = (v.p[1] >> 4) & 0x07;
	if (calling) {
		n->presentation = (v.p[1] >> 2) & 0x03;
		n->screening = v.p[1] & 0x03;
	}
	if (n->odd && octets == 0)
		return dfs_err_set(e, "isup", field, at, "odd indicator set but no address signals");
	size_t count = 2 * octets - (n->odd ? 1 : 0);
	for (size_t i = 0; i < count; i++) {
		uint8_t o = v.p[2 + i / 2];
		n->digits[i] = signal_chars[i % 2 ? o >> 4 : o & 0x0f];
	}
	n->digits[count] = 0;
	return 0;
}

/* Q.763 1.8 optional part: name, length, value ... end of optional parameters */
static int walk_optional(struct dfs_buf *b, struct isup_msg *m, struct dfs_err *e)
{
	for (;;) {
		size_t at = dfs_buf_abs(b);
		uint8_t name, plen;
		struct dfs_view v;
		if (dfs_buf_u8(b, &name) < 0)
			return dfs_err_set(e, "isup", "optional part", at, "end of optional parameters missing");
		if (name == ISUP_PAR_END)
			return 0;
		if (dfs_buf_u8(b, &plen) < 0 || dfs_buf_view(b, plen, &v) < 0)
			return dfs_err_set(e, "isup", "optional part", at, "optional parameter truncated");
		if (name == ISUP_PAR_CALLING && m->msg_type == ISUP_IAM && !m->calling.present) {
			struct isup_number n;
			int rc = decode_number(v, at + 2, true, &n, e);
			if (rc < 0)
				return rc;
			NUMBER_COPY(m->calling, n);
		}
	}
}

int isup_decode(const uint8_t *p, size_t len, size_t base, struct isup_msg *m, struct dfs_err *e)
{
	struct dfs_buf b = dfs_buf_init(p, len, base);
	uint8_t lo, hi;
	memset(m, 0, sizeof(*m));
	if (dfs_buf_u8(&b, &lo) < 0 || dfs_buf_u8(&b, &hi) < 0)
		return dfs_err_set(e, "isup", "cic", base, "message shorter than the CIC");
	m->cic = (uint16_t)(lo | (hi & 0x0f) << 8);
	if (dfs_buf_u8(&b, &m->msg_type) < 0)
		return dfs_err_set(e, "isup", "message type", dfs_buf_abs(&b), "message type missing");
	const struct isup_format *f = format_of(m->msg_type);
	if (!f)
		return 0; /* a type whose format is not checked here: CIC and type only */
	if (dfs_buf_skip(&b, f->fixed) < 0)
		return dfs_err_set(e, "isup", "mandatory fixed part", dfs_buf_abs(&b), "fixed part truncated");
	unsigned nptr = f->nvar + (f->opt ? 1 : 0);
	for (unsigned i = 0; i < nptr; i++) {
		size_t at = b.pos;
		uint8_t ptr;
		bool optional = f->opt && i == f->nvar;
		if (dfs_buf_u8(&b, &ptr) < 0)
			return dfs_err_set(e, "isup", "pointer", base + at, "pointers truncated");
		if (ptr == 0 && optional)
			continue; /* no optional part */
		if (ptr == 0)
			return dfs_err_set(e, "isup", "pointer", base + at, "mandatory pointer is zero");
		if ((size_t)ptr >= len - at)
			return dfs_err_set(e, "isup", "pointer", base + at, "pointer beyond the message");
		struct dfs_buf part = dfs_buf_init(p + at + ptr, len - at - ptr, base + at + ptr);
		if (optional) {
			int rc = walk_optional(&part, m, e);
			if (rc < 0)
				return rc;
			continue;
		}
		uint8_t plen;
		struct dfs_view v;
		dfs_buf_u8(&part, &plen);
		if (dfs_buf_view(&part, plen, &v) < 0)
			return dfs_err_set(e, "isup", "mandatory variable part", part.base,
					   "parameter runs past the end of the message");
		if (m->msg_type == ISUP_IAM) {
			struct isup_number n;
			int rc = decode_number(v, part.base + 1, false, &n, e);
			if (rc < 0)
				return rc;
			NUMBER_COPY(m->called, n);
		}
	}
	return 0;
}

static int put_number(struct dfs_wbuf *w, const struct isup_number *n, bool calling)
{
	size_t count = strnlen(n->digits, sizeof(n->digits));
	if (count > DFS_DIGITS_MAX || n->nai > 0x7f || n->npi > 7 || n->presentation > 3 ||
	    n->screening > 3)
		return -EINVAL;
	dfs_wbuf_u8(w, (uint8_t)(2 + (count + 1) / 2));
	dfs_wbuf_u8(w, (uint8_t)((count % 2) << 7 | n->nai));
	dfs_wbuf_u8(w, (uint8_t)(n->npi << 4 | (calling ? n->presentation << 2 | n->screening : 0)));
	for (size_t i = 0; i < count; i += 2) {
		const char *lo = strchr(signal_chars, n->digits[i]);
		const char *hi = i + 1 < count ? strchr(signal_chars, n->digits[i + 1]) : signal_chars;
		if (!lo || !hi)
			return -EINVAL;
		dfs_wbuf_u8(w, (uint8_t)((lo - signal_chars) | (hi - signal_chars) << 4));
	}
	return 0;
}

int isup_encode_iam(struct dfs_wbuf *w, const struct isup_msg *m)
{
	if (m->cic > ISUP_CIC_MAX)
		return -EINVAL;
	struct isup_number called, calling;
	NUMBER_COPY(called, m->called);
	NUMBER_COPY(calling, m->calling);
	/* Q.763 Table 32 */
	dfs_wbuf_u8(w, (uint8_t)m->cic);
	dfs_wbuf_u8(w, (uint8_t)(m->cic >> 8));
	dfs_wbuf_u8(w, ISUP_IAM);
	dfs_wbuf_u8(w, ISUP_IAM_NCI);
	dfs_wbuf_u16(w, ISUP_IAM_FCI);
	dfs_wbuf_u8(w, ISUP_IAM_CPC);
	dfs_wbuf_u8(w, ISUP_IAM_TMR);
	size_t called_len = 3 + (strnlen(called.digits, sizeof(called.digits)) + 1) / 2;
	dfs_wbuf_u8(w, 2); /* called party number right after both pointers */
	dfs_wbuf_u8(w, calling.present ? (uint8_t)(1 + called_len) : 0);
	int rc = put_number(w, &called, false);
	if (rc < 0)
		return rc;
	if (calling.present) {
		dfs_wbuf_u8(w, ISUP_PAR_CALLING);
		rc = put_number(w, &calling, true);
		if (rc < 0)
			return rc;
		dfs_wbuf_u8(w, ISUP_PAR_END);
	}
	return dfs_wbuf_ok(w) ? 0 : -ENOSPC;
}
