/* Decode errors: which layer, which field, at which byte offset. */
#ifndef DFS_ERR_H
#define DFS_ERR_H
#include <stddef.h>

struct dfs_err {
	const char *layer;  /* "m3ua", "sccp", "tcap", "map", "sms", ... */
	const char *field;  /* the field that did not fit or was invalid */
	size_t offset;      /* byte offset from the start of the outermost buffer */
	const char *reason; /* short human text, static storage */
};

/* Record an error (if e is non-NULL) and return -EBADMSG. */
int dfs_err_set(struct dfs_err *e, const char *layer, const char *field, size_t offset,
		const char *reason);

#endif
