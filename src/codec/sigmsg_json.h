/* JSON for decoded signalling messages (`dfsguard decode`). */
#ifndef DFS_SIGMSG_JSON_H
#define DFS_SIGMSG_JSON_H
#include "json_writer.h"
#include "sigmsg.h"

/* Writes one key per decoded layer ("m3ua" or "mtp3", "sccp", "tcap", "map" with "sms"
 * inside it, "isup") into the object that is open in j. */
void sig_json_layers(struct json_writer *j, const struct sig_msg *m);
/* Writes "error": {layer, field, offset, reason}. */
void sig_json_error(struct json_writer *j, const struct dfs_err *e);

#endif
