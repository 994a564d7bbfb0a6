/* libFuzzer target: TCAP decoder, then MAP parameter extraction on every component; whatever
 * decodes must encode, and the encoding must decode and encode again to the same bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "map.h"
#include "tcap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tcap_msg m, m2;
	struct dfs_err e = {0};
	if (tcap_decode(data, size, 0, &m, &e) < 0) {
		if (!e.layer || !e.field || !e.reason || e.offset > size)
			abort();
		return 0;
	}
	for (unsigned i = 0; i < m.n_components; i++) {
		const struct tcap_component *c = &m.comp[i];
		struct map_fields f;
		struct dfs_err me = {0};
		if (c->param.len && (c->param.p < data || c->param.p + c->param.len > data + size))
			abort();
		if (map_decode_param(c, c->has_opcode ? c->opcode : -1, &f, &me) < 0 &&
		    (!me.layer || !me.field || !me.reason || me.offset > size))
			abort();
		if (c->type == TCAP_ERROR && map_error_name(c->error_code) == NULL)
			abort();
	}
	static uint8_t out1[70000], out2[70000];
	for (unsigned fl = 0; fl <= BER_LEN_LONG; fl++) {
		struct dfs_wbuf w1 = dfs_wbuf_init(out1, sizeof(out1));
		int rc = tcap_encode_opt(&w1, &m, fl);
		if (rc == -ENOSPC)
			continue;
		if (rc != 0)
			abort();
		if (tcap_decode(out1, w1.len, 0, &m2, &e) < 0)
			abort();
		struct dfs_wbuf w2 = dfs_wbuf_init(out2, sizeof(out2));
		if (tcap_encode_opt(&w2, &m2, fl) != 0 || w2.len != w1.len ||
		    memcmp(out1, out2, w1.len))
			abort();
		if (m2.msg_type != m.msg_type || m2.n_components != m.n_components ||
		    m2.otid.val != m.otid.val || m2.dtid.val != m.dtid.val ||
		    m2.map_ac != m.map_ac || strcmp(m2.dest_ref, m.dest_ref) ||
		    strcmp(m2.orig_ref, m.orig_ref))
			abort();
	}
	return 0;
}
