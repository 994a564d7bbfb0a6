/* A bounds-checked read cursor over a byte buffer. No allocation, no copies:
 * decoders hand out views (pointer + length) into the caller's input. */
#ifndef DFS_BUF_H
#define DFS_BUF_H
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct dfs_view {
	const uint8_t *p;
	size_t len;
};

struct dfs_buf {
	const uint8_t *p; /* start of this cursor's window */
	size_t len;       /* window length */
	size_t pos;       /* read position within the window */
	size_t base;      /* absolute offset of p[0] within the outermost buffer */
};

static inline struct dfs_buf dfs_buf_init(const uint8_t *p, size_t len, size_t base)
{
	struct dfs_buf b = {p, len, 0, base};
	return b;
}
static inline size_t dfs_buf_left(const struct dfs_buf *b) { return b->len - b->pos; }
static inline size_t dfs_buf_abs(const struct dfs_buf *b) { return b->base + b->pos; }
static inline const uint8_t *dfs_buf_cur(const struct dfs_buf *b) { return b->p + b->pos; }

/* Each getter returns 0, or -1 when the bytes are not there (cursor unchanged). */
static inline int dfs_buf_u8(struct dfs_buf *b, uint8_t *v)
{
	if (dfs_buf_left(b) < 1)
		return -1;
	*v = b->p[b->pos++];
	return 0;
}
static inline int dfs_buf_u16(struct dfs_buf *b, uint16_t *v)
{
	if (dfs_buf_left(b) < 2)
		return -1;
	*v = (uint16_t)((b->p[b->pos] << 8) | b->p[b->pos + 1]);
	b->pos += 2;
	return 0;
}
static inline int dfs_buf_u32(struct dfs_buf *b, uint32_t *v)
{
	if (dfs_buf_left(b) < 4)
		return -1;
	*v = ((uint32_t)b->p[b->pos] << 24) | ((uint32_t)b->p[b->pos + 1] << 16) |
	     ((uint32_t)b->p[b->pos + 2] << 8) | b->p[b->pos + 3];
	b->pos += 4;
	return 0;
}
static inline int dfs_buf_view(struct dfs_buf *b, size_t n, struct dfs_view *v)
{
	if (dfs_buf_left(b) < n)
		return -1;
	v->p = b->p + b->pos;
	v->len = n;
	b->pos += n;
	return 0;
}
static inline int dfs_buf_skip(struct dfs_buf *b, size_t n)
{
	if (dfs_buf_left(b) < n)
		return -1;
	b->pos += n;
	return 0;
}
/* A sub-cursor over the next n bytes; the parent moves past them. */
static inline int dfs_buf_sub(struct dfs_buf *b, size_t n, struct dfs_buf *sub)
{
	if (dfs_buf_left(b) < n)
		return -1;
	*sub = dfs_buf_init(b->p + b->pos, n, b->base + b->pos);
	b->pos += n;
	return 0;
}

/* Growable-free output writer over a fixed caller buffer. Writes past the end
 * set overflow and are dropped; check dfs_wbuf_ok() once at the end. */
struct dfs_wbuf {
	uint8_t *p;
	size_t cap;
	size_t len;
	int overflow;
};
static inline struct dfs_wbuf dfs_wbuf_init(uint8_t *p, size_t cap)
{
	struct dfs_wbuf w = {p, cap, 0, 0};
	return w;
}
static inline void dfs_wbuf_put(struct dfs_wbuf *w, const void *src, size_t n)
{
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = 1;
		return;
	}
	if (n)
		memcpy(w->p + w->len, src, n);
	w->len += n;
}
static inline void dfs_wbuf_u8(struct dfs_wbuf *w, uint8_t v) { dfs_wbuf_put(w, &v, 1); }
static inline void dfs_wbuf_u16(struct dfs_wbuf *w, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	dfs_wbuf_put(w, b, 2);
}
static inline void dfs_wbuf_u32(struct dfs_wbuf *w, uint32_t v)
{
	uint8_t b[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
	dfs_wbuf_put(w, b, 4);
}
static inline int dfs_wbuf_ok(const struct dfs_wbuf *w) { return !w->overflow; }

#endif
