/* libFuzzer target: M3UA decoder (RFC 4666). Whatever decodes must frame to its own length and
 * re-encode from the decoded parameters into a message that decodes to the same values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "m3ua.h"

static void same_params(const struct m3ua_msg *a, const struct m3ua_msg *b)
{
	if (a->msg_class != b->msg_class || a->msg_type != b->msg_type || a->length != b->length ||
	    a->n_params != b->n_params || a->has_proto_data != b->has_proto_data)
		abort();
	for (unsigned i = 0; i < a->n_params; i++)
		if (a->params[i].tag != b->params[i].tag || a->params[i].value.len != b->params[i].value.len ||
		    memcmp(a->params[i].value.p, b->params[i].value.p, a->params[i].value.len))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct m3ua_msg m, again;
	struct dfs_err e;
	long fl = m3ua_frame_length(data, size);
	if (m3ua_decode(data, size, 0, &m, &e) < 0) {
		if (!e.layer || strcmp(e.layer, "m3ua") || !e.field || !e.reason || e.offset > size)
			abort();
		return 0;
	}
	if (size <= M3UA_MAX_MSG_LEN && fl != (long)size)
		abort();
	static uint8_t out[M3UA_MAX_MSG_LEN];
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
	if (m3ua_encode(&w, m.msg_class, m.msg_type, m.params, m.n_params) != 0 || w.len != size)
		abort();
	if (m3ua_decode(out, w.len, 0, &again, &e) != 0)
		abort();
	same_params(&m, &again);
	if (m.has_proto_data) {
		w = dfs_wbuf_init(out, sizeof(out));
		if (m3ua_encode_data(&w, m.has_rctx ? &m.rctx : NULL, &m.pd) != 0 ||
		    m3ua_decode(out, w.len, 0, &again, &e) != 0 || again.pd.opc != m.pd.opc ||
		    again.pd.dpc != m.pd.dpc || again.pd.sls != m.pd.sls ||
		    again.pd.user_data.len != m.pd.user_data.len)
			abort();
	}
	return 0;
}
