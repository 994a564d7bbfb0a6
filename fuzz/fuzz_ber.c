/* libFuzzer target: BER reader over nested elements; re-encoding each definite-length element
 * with the writer (short and long form) must read back to the same tag and contents. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ber.h"

static void walk(struct dfs_buf *b, unsigned depth)
{
	struct ber_tlv t;
	struct dfs_err e = {0};
	while (dfs_buf_left(b)) {
		size_t before = b->pos;
		if (ber_read(b, &t, true, "ber", "element", &e) < 0) {
			if (!e.layer || !e.field || !e.reason || b->pos != before ||
			    e.offset > b->base + b->len)
				abort();
			return;
		}
		if (t.v.p < b->p || t.v.p + t.v.len > b->p + b->len || b->pos != before + t.total)
			abort();
		for (unsigned fl = 0; fl <= BER_LEN_LONG; fl++) {
			static uint8_t out[70000];
			struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
			ber_put_tlv(&w, t.tag, t.v.p, t.v.len, fl);
			if (!dfs_wbuf_ok(&w))
				continue;
			struct dfs_buf r = dfs_buf_init(out, w.len, 0);
			struct ber_tlv u;
			if (ber_read(&r, &u, false, "ber", "element", NULL) < 0 || u.tag != t.tag ||
			    u.v.len != t.v.len || memcmp(u.v.p, t.v.p, t.v.len) || dfs_buf_left(&r))
				abort();
		}
		if (BER_TAG_CONSTRUCTED(t.tag) && depth < 16) {
			struct dfs_buf c = ber_contents(&t);
			walk(&c, depth + 1);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dfs_buf b = dfs_buf_init(data, size, 0);
	walk(&b, 0);
	return 0;
}
