/* The whole decode stack and its JSON printer: first byte picks M3UA or MTP3 input, the rest
 * is the message. Nothing may crash, read out of bounds or print invalid JSON nesting. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_writer.h"
#include "sigmsg.h"
#include "sigmsg_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct sig_msg m;
	struct dfs_err e = {0};
	int rc = (data[0] & 1) ? sig_decode_mtp3(data + 1, size - 1, &m, &e)
			       : sig_decode_m3ua(data + 1, size - 1, &m, &e);
	if (rc < 0 && (!e.layer || !e.field || !e.reason || e.offset > size))
		abort(); /* an error must name layer, field and an offset inside the input */
	static char out[1 << 16];
	struct json_writer j;
	json_init(&j, out, sizeof(out));
	json_obj_begin(&j);
	sig_json_layers(&j, &m);
	if (rc < 0)
		sig_json_error(&j, &e);
	json_obj_end(&j);
	if (!j.overflow && !json_ok(&j))
		abort();
	return 0;
}
