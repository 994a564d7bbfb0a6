/* libFuzzer target: SCCP connectionless decoder (Q.713). Whatever decodes must encode, and the
 * encoding must decode to the same message (the layout may differ: pointers, skipped optional
 * parameters and the national-use address bit are normalised by the encoder). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sccp.h"

static void same_addr(const struct sccp_addr *a, const struct sccp_addr *b)
{
	if (a->has_pc != b->has_pc || a->has_ssn != b->has_ssn || a->gti != b->gti ||
	    a->route_on_ssn != b->route_on_ssn || a->pc != b->pc || a->ssn != b->ssn || a->tt != b->tt ||
	    a->np != b->np || a->es != b->es || a->nai != b->nai || a->odd != b->odd ||
	    strcmp(a->digits, b->digits))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sccp_msg m, again;
	struct dfs_err e;
	if (sccp_decode(data, size, 0, &m, &e) < 0) {
		if (!e.layer || strcmp(e.layer, "sccp") || !e.field || !e.reason || e.offset > size)
			abort();
		return 0;
	}
	if (m.data.len && (m.data.p < data || m.data.p + m.data.len > data + size))
		abort();
	static uint8_t out[70000];
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
	int rc = sccp_encode(&w, &m);
	if (rc == -EINVAL) { /* only an XUDT(S) whose optional part lies beyond a one-octet pointer */
		if (m.msg_type != 0x11 && m.msg_type != 0x12)
			abort();
		return 0;
	}
	if (rc != 0 || sccp_decode(out, w.len, 0, &again, &e) != 0)
		abort();
	if (again.msg_type != m.msg_type || again.proto_class != m.proto_class ||
	    again.return_cause != m.return_cause || again.hop_counter != m.hop_counter ||
	    again.data.len != m.data.len || memcmp(again.data.p, m.data.p, m.data.len) ||
	    again.has_segmentation != m.has_segmentation || again.seg_local_ref != m.seg_local_ref ||
	    again.seg_remaining != m.seg_remaining || again.seg_first != m.seg_first ||
	    again.seg_class1 != m.seg_class1 || again.has_importance != m.has_importance ||
	    again.importance != m.importance)
		abort();
	same_addr(&m.called, &again.called);
	same_addr(&m.calling, &again.calling);
	return 0;
}
