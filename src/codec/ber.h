/* ASN.1 BER (ITU-T X.690) as TCAP and MAP use it: tag/length/value reading with views into
 * the input, and a writer that fills in lengths after the contents are written.
 *
 * A tag is one uint32_t: class and constructed bits (the top three bits of the identifier
 * octet) in bits 24..31, tag number (up to 2^21 - 1, high-tag form allowed) in bits 0..23.
 * For tag numbers below 31 the low byte of BER_TAG(cc, n) >> 24 | n is the identifier octet. */
#ifndef DFS_BER_H
#define DFS_BER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfs_buf.h"
#include "dfs_err.h"

#define BER_CLS_UNIV 0x00
#define BER_CLS_APP 0x40
#define BER_CLS_CTX 0x80
#define BER_CLS_PRIV 0xc0
#define BER_CONSTRUCTED 0x20

#define BER_TAG(cc, n) (((uint32_t)(cc) << 24) | (uint32_t)(n))
#define BER_U(n) BER_TAG(BER_CLS_UNIV, n)		     /* universal, primitive */
#define BER_UC(n) BER_TAG(BER_CLS_UNIV | BER_CONSTRUCTED, n) /* universal, constructed */
#define BER_A(n) BER_TAG(BER_CLS_APP, n)
#define BER_AC(n) BER_TAG(BER_CLS_APP | BER_CONSTRUCTED, n)
#define BER_C(n) BER_TAG(BER_CLS_CTX, n)		    /* [n] IMPLICIT primitive */
#define BER_CC(n) BER_TAG(BER_CLS_CTX | BER_CONSTRUCTED, n) /* [n] constructed */
#define BER_TAG_NUM(t) ((t)&0xffffffu)
#define BER_TAG_CONSTRUCTED(t) (((t) >> 24) & BER_CONSTRUCTED)

/* X.690 8.4 universal tags used here */
#define BER_BOOLEAN BER_U(1)
#define BER_INTEGER BER_U(2)
#define BER_BIT_STRING BER_U(3)
#define BER_OCTET_STRING BER_U(4)
#define BER_NULL BER_U(5)
#define BER_OID BER_U(6)
#define BER_ENUMERATED BER_U(10)
#define BER_EXTERNAL BER_UC(8)
#define BER_SEQUENCE BER_UC(16)

#define BER_TAG_NUM_MAX 0x1fffff /* three subsequent identifier octets */
#define BER_DEPTH_MAX 24	 /* nesting limit while looking for end-of-contents */

struct ber_tlv {
	uint32_t tag;	    /* BER_TAG(class|constructed, number) */
	bool indefinite;    /* length octet 0x80; contents end with 00 00 (not included in v) */
	uint8_t len_octets; /* 0: short form; 1..4: long form 0x81..0x84 */
	size_t off;	    /* absolute offset of the identifier octet */
	size_t hdr_len;	    /* identifier and length octets */
	size_t total;	    /* all octets of the element, end-of-contents included */
	struct dfs_view v;  /* contents */
};

/* Reads one element at the cursor and moves past it. Rejects: a missing or truncated
 * identifier or length, tag numbers above BER_TAG_NUM_MAX, length forms 0x85..0xff,
 * lengths past the end of the cursor's window, and the indefinite form for primitive
 * elements (X.690 8.1.3.2) or when allow_indefinite is false. On error the cursor is
 * unchanged and e names layer/field and the absolute offset. */
int ber_read(struct dfs_buf *b, struct ber_tlv *t, bool allow_indefinite, const char *layer,
	     const char *field, struct dfs_err *e);

/* Reads one element and checks its tag (error "unexpected tag" otherwise). */
int ber_expect(struct dfs_buf *b, uint32_t tag, struct ber_tlv *t, bool allow_indefinite,
	       const char *layer, const char *field, struct dfs_err *e);

/* The tag of the next element without consuming it; -1 when the cursor is at its end or
 * the identifier is truncated. */
int ber_peek_tag(const struct dfs_buf *b, uint32_t *tag);

/* A cursor over the contents of t (base = absolute offset of the contents). */
static inline struct dfs_buf ber_contents(const struct ber_tlv *t)
{
	return dfs_buf_init(t->v.p, t->v.len, t->off + t->hdr_len);
}

/* INTEGER contents (X.690 8.3) of 1..4 octets as a signed value; -1 if empty or longer. */
int ber_int_value(const struct dfs_view *v, int32_t *out);

/* ---- writer ---- */
#define BER_LEN_LONG                                                                               \
	0x01 /* use the long length form (0x81 nn, 0x82 nn nn) even where the                      \
		short form would do: real traffic has both */

void ber_put_tag(struct dfs_wbuf *w, uint32_t tag);
void ber_put_len(struct dfs_wbuf *w, size_t len, unsigned flags);
/* Length octets ber_put_len writes for len. */
size_t ber_len_size(size_t len, unsigned flags);
void ber_put_tlv(struct dfs_wbuf *w, uint32_t tag, const void *v, size_t n, unsigned flags);
/* INTEGER contents in the fewest octets (X.690 8.3.2). */
void ber_put_int(struct dfs_wbuf *w, uint32_t tag, int32_t v, unsigned flags);
/* Copies a whole already-encoded element. */
static inline void ber_put_raw(struct dfs_wbuf *w, const struct dfs_view *v)
{
	if (v->len)
		dfs_wbuf_put(w, v->p, v->len);
}

/* Constructed element of unknown length: ber_open writes the tag and remembers where the
 * contents start; ber_close inserts the length octets in front of the contents. */
struct ber_mark {
	size_t contents;
};
struct ber_mark ber_open(struct dfs_wbuf *w, uint32_t tag);
void ber_close(struct dfs_wbuf *w, struct ber_mark m, unsigned flags);

#endif
