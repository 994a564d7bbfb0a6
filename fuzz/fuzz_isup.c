/* libFuzzer target: ISUP decoder (Q.763). A decoded IAM must encode, and the encoding must decode
 * to the same CIC and numbers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "isup.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct isup_msg m, again;
	struct dfs_err e;
	if (isup_decode(data, size, 0, &m, &e) < 0) {
		if (!e.layer || strcmp(e.layer, "isup") || !e.field || !e.reason || e.offset > size)
			abort();
		return 0;
	}
	if (m.msg_type != ISUP_IAM)
		return 0;
	uint8_t out[128];
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
	if (isup_encode_iam(&w, &m) != 0 || isup_decode(out, w.len, 0, &again, &e) != 0)
		abort();
	if (again.cic != m.cic || again.called.present != m.called.present ||
	    again.calling.present != m.calling.present || again.called.nai != m.called.nai ||
	    again.called.npi != m.called.npi || again.called.odd != m.called.odd ||
	    strcmp(again.called.digits, m.called.digits) || again.calling.nai != m.calling.nai ||
	    again.calling.npi != m.calling.npi || again.calling.odd != m.calling.odd ||
	    again.calling.presentation != m.calling.presentation ||
	    again.calling.screening != m.calling.screening ||
	    strcmp(again.calling.digits, m.calling.digits))
		abort();
	return 0;
}
