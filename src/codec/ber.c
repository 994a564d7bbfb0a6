/* ASN.1 BER reader and writer, ITU-T X.690 section 8.1. */
#include "ber.h"

#include <string.h>

/* X.690 8.1.2: identifier octets. Returns octets used, 0 if truncated, -1 if too large. */
static int ber_parse_tag(const uint8_t *p, size_t avail, uint32_t *tag)
{
	if (avail < 1)
		return 0;
	uint8_t id = p[0];
	uint32_t num = id & 0x1f;
	size_t n = 1;
	if (num == 0x1f) { /* 8.1.2.4 high-tag-number form */
		num = 0;
		for (;;) {
			if (n >= avail)
				return 0;
			uint8_t o = p[n++];
			num = (num << 7) | (o & 0x7f);
			if (num > BER_TAG_NUM_MAX || (n == 2 && o == 0x80))
				return -1; /* too large, or a leading zero group (8.1.2.4.2 c) */
			if (!(o & 0x80))
				break;
		}
	}
	*tag = BER_TAG(id & 0xe0, num);
	return (int)n;
}

int ber_peek_tag(const struct dfs_buf *b, uint32_t *tag)
{
	return ber_parse_tag(dfs_buf_cur(b), dfs_buf_left(b), tag) > 0 ? 0 : -1;
}

/* Length of the contents of an indefinite-length element starting at p (after its length
 * octet): scans the nested elements up to the end-of-contents octets. */
static int ber_indef_len(const uint8_t *p, size_t avail, unsigned depth, size_t *clen)
{
	size_t pos = 0;
	if (depth > BER_DEPTH_MAX)
		return -1;
	for (;;) {
		if (avail - pos >= 2 && p[pos] == 0 && p[pos + 1] == 0) {
			*clen = pos;
			return 0;
		}
		uint32_t tag;
		int tn = ber_parse_tag(p + pos, avail - pos, &tag);
		if (tn <= 0)
			return -1;
		pos += (size_t)tn;
		if (pos >= avail)
			return -1;
		uint8_t l0 = p[pos++];
		size_t len;
		if (l0 == 0x80) {
			if (!BER_TAG_CONSTRUCTED(tag) ||
			    ber_indef_len(p + pos, avail - pos, depth + 1, &len) < 0)
				return -1;
			len += 2;
		} else if (l0 & 0x80) {
			unsigned k = l0 & 0x7f;
			if (k > 4 || avail - pos < k)
				return -1;
			len = 0;
			for (unsigned i = 0; i < k; i++)
				len = (len << 8) | p[pos++];
		} else {
			len = l0;
		}
		if (avail - pos < len)
			return -1;
		pos += len;
	}
}

/* The rest of ber_read once the identifier is parsed: tn is ber_parse_tag's result for the
 * identifier at the cursor, t->tag the tag it gave. */
static int read_after_tag(struct dfs_buf *b, struct ber_tlv *t, int tn, bool allow_indefinite,
			  const char *layer, const char *field, struct dfs_err *e)
{
	const uint8_t *p = dfs_buf_cur(b);
	size_t avail = dfs_buf_left(b), at = dfs_buf_abs(b);
	if (tn == 0)
		return dfs_err_set(e, layer, field, at,
				   avail ? "identifier truncated" : "element missing");
	if (tn < 0)
		return dfs_err_set(e, layer, field, at, "tag number too large");
	size_t pos = (size_t)tn;
	if (pos >= avail)
		return dfs_err_set(e, layer, field, at + pos, "length missing");
	uint8_t l0 = p[pos++];
	size_t len = 0;
	t->indefinite = false;
	t->len_octets = 0;
	if (l0 < 0x80) { /* 8.1.3.4 short form, by far the most common */
		len = l0;
	} else if (l0 == 0x80) { /* 8.1.3.6 indefinite form */
		if (!BER_TAG_CONSTRUCTED(t->tag))
			return dfs_err_set(e, layer, field, at + pos - 1,
					   "indefinite length on a primitive element");
		if (!allow_indefinite)
			return dfs_err_set(e, layer, field, at + pos - 1,
					   "indefinite length not allowed here");
		if (ber_indef_len(p + pos, avail - pos, 0, &len) < 0)
			return dfs_err_set(e, layer, field, at + pos,
					   "indefinite length without a valid end-of-contents");
		t->indefinite = true;
	} else { /* 8.1.3.5 long form */
		unsigned k = l0 & 0x7f;
		if (k > 4)
			return dfs_err_set(e, layer, field, at + pos - 1,
					   "length form not supported");
		if (avail - pos < k)
			return dfs_err_set(e, layer, field, at + pos, "length octets truncated");
		for (unsigned i = 0; i < k; i++)
			len = (len << 8) | p[pos++];
		t->len_octets = (uint8_t)k;
	}
	if (avail - pos < len)
		return dfs_err_set(e, layer, field, at, "length past the end");
	t->off = at;
	t->hdr_len = pos;
	t->v.p = p + pos;
	t->v.len = len;
	t->total = pos + len + (t->indefinite ? 2 : 0);
	b->pos += t->total;
	return 0;
}

int ber_read(struct dfs_buf *b, struct ber_tlv *t, bool allow_indefinite, const char *layer,
	     const char *field, struct dfs_err *e)
{
	int tn = ber_parse_tag(dfs_buf_cur(b), dfs_buf_left(b), &t->tag);
	return read_after_tag(b, t, tn, allow_indefinite, layer, field, e);
}

int ber_expect(struct dfs_buf *b, uint32_t tag, struct ber_tlv *t, bool allow_indefinite,
	       const char *layer, const char *field, struct dfs_err *e)
{
	uint32_t got;
	int tn = ber_parse_tag(dfs_buf_cur(b), dfs_buf_left(b), &got);
	if (tn > 0 && got != tag)
		return dfs_err_set(e, layer, field, dfs_buf_abs(b), "unexpected tag");
	if (tn > 0)
		t->tag = got;
	return read_after_tag(b, t, tn, allow_indefinite, layer, field, e);
}

int ber_int_value(const struct dfs_view *v, int32_t *out)
{
	if (v->len < 1 || v->len > 4)
		return -1;
	uint32_t u = (v->p[0] & 0x80) ? 0xffffffffu : 0;
	for (size_t i = 0; i < v->len; i++)
		u = (u << 8) | v->p[i];
	*out = (int32_t)u;
	return 0;
}

/* ---- writer ---- */

void ber_put_tag(struct dfs_wbuf *w, uint32_t tag)
{
	uint8_t cc = (uint8_t)(tag >> 24);
	uint32_t num = BER_TAG_NUM(tag);
	if (num < 0x1f) {
		dfs_wbuf_u8(w, (uint8_t)(cc | num));
		return;
	}
	uint8_t o[4];
	int n = 0;
	dfs_wbuf_u8(w, (uint8_t)(cc | 0x1f));
	do {
		o[n++] = num & 0x7f;
		num >>= 7;
	} while (num && n < 4);
	while (n-- > 0)
		dfs_wbuf_u8(w, (uint8_t)(o[n] | (n ? 0x80 : 0)));
}

size_t ber_len_size(size_t len, unsigned flags)
{
	if (len < 0x80 && !(flags & BER_LEN_LONG))
		return 1;
	size_t n = 1;
	for (size_t l = len; l > 0xff; l >>= 8)
		n++;
	return 1 + n;
}

void ber_put_len(struct dfs_wbuf *w, size_t len, unsigned flags)
{
	size_t n = ber_len_size(len, flags);
	if (n == 1) {
		dfs_wbuf_u8(w, (uint8_t)len);
		return;
	}
	dfs_wbuf_u8(w, (uint8_t)(0x80 | (n - 1)));
	for (size_t i = n - 1; i > 0; i--)
		dfs_wbuf_u8(w, (uint8_t)(len >> (8 * (i - 1))));
}

void ber_put_tlv(struct dfs_wbuf *w, uint32_t tag, const void *v, size_t n, unsigned flags)
{
	ber_put_tag(w, tag);
	ber_put_len(w, n, flags);
	dfs_wbuf_put(w, v, n);
}

void ber_put_int(struct dfs_wbuf *w, uint32_t tag, int32_t v, unsigned flags)
{
	uint8_t o[4];
	size_t n = 4;
	for (int i = 0; i < 4; i++)
		o[i] = (uint8_t)((uint32_t)v >> (24 - 8 * i));
	size_t s = 0;
	/* X.690 8.3.2: drop leading octets that only repeat the sign */
	while (n - s > 1 &&
	       ((o[s] == 0x00 && !(o[s + 1] & 0x80)) || (o[s] == 0xff && (o[s + 1] & 0x80))))
		s++;
	ber_put_tlv(w, tag, o + s, n - s, flags);
}

struct ber_mark ber_open(struct dfs_wbuf *w, uint32_t tag)
{
	ber_put_tag(w, tag);
	struct ber_mark m = {w->len};
	return m;
}

void ber_close(struct dfs_wbuf *w, struct ber_mark m, unsigned flags)
{
	if (w->overflow || m.contents > w->len)
		return;
	size_t clen = w->len - m.contents, n = ber_len_size(clen, flags);
	if (w->cap - w->len < n) {
		w->overflow = 1;
		return;
	}
	memmove(w->p + m.contents + n, w->p + m.contents, clen);
	struct dfs_wbuf lw = dfs_wbuf_init(w->p + m.contents, n);
	ber_put_len(&lw, clen, flags);
	w->len += n;
}
