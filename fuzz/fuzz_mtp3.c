/* libFuzzer target: MTP3 MSU decoder; whatever decodes must encode back to the same bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mtp3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mtp3_msg m;
	struct dfs_err e;
	if (mtp3_decode(data, size, 0, &m, &e) < 0) {
		if (!e.layer || !e.field || !e.reason || e.offset > size)
			abort();
		return 0;
	}
	if (m.user.p < data || m.user.p + m.user.len != data + size)
		abort();
	uint8_t out[MTP3_HDR_LEN + 4096];
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
	int rc = mtp3_encode(&w, &m);
	if (size <= sizeof(out) && (rc != 0 || w.len != size || memcmp(out, data, size)))
		abort();
	if (size > sizeof(out) && rc != -ENOSPC)
		abort();
	return 0;
}
