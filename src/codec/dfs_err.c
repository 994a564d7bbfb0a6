#include "dfs_err.h"
#include <errno.h>

int dfs_err_set(struct dfs_err *e, const char *layer, const char *field, size_t offset,
		const char *reason)
{
	if (e) {
		e->layer = layer;
		e->field = field;
		e->offset = offset;
		e->reason = reason;
	}
	return -EBADMSG;
}
