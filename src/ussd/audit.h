/* Tamper-evident audit log (GW-AUDIT): one JSON object a line, each carrying the SHA-256 of
 * the previous record, so editing, inserting, reordering or deleting any record but the newest
 * breaks verification.
 *
 * Line format:  {"seq":N,"t":MS,"time":"ISO-8601",...fields...,"prev":"<hex>","hash":"<hex>"}
 * where hash = SHA-256 of the line's bytes from '{' up to and including the "prev" member, and
 * prev is the hash of record N-1 (64 zeros for the first record of a file). Records hold who,
 * where and what was decided, never a PIN, an OTP or raw user input. */
#ifndef DFS_AUDIT_H
#define DFS_AUDIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUDIT_HASH_HEX 65

struct audit_rec {
	int64_t t_ms;           /* wall-clock milliseconds */
	const char *event;      /* "request", "response", "transfer", "alert", ... */
	const char *face;       /* "http", "map", NULL */
	const char *session;    /* gateway session id */
	const char *msisdn, *imsi, *network, *service;
	const char *node;       /* menu node */
	const char *decision;   /* "con", "end", "refused", "executed", ... */
	const char *reason;     /* why, for refusals (a control id such as GW-LIMITS) */
	const char *counterparty;
	int64_t amount;         /* minor units; < 0 = none */
	int64_t fee;            /* minor units; < 0 = none */
	int64_t transfer_id;    /* ledger id; <= 0 = none */
};

struct audit_log;

/* Open (create) the log for appending; an existing chain is continued from its last record.
 * A torn last line (crash in the middle of a write) is cut off. sync: fdatasync every record. */
int audit_open(struct audit_log **ap, const char *path, bool sync, char *err, size_t errsz);
void audit_close(struct audit_log *a);
/* Append one record (thread-safe). 0 or negative errno. */
int audit_append(struct audit_log *a, const struct audit_rec *r);
/* The number of records written through this handle plus those found at open. */
uint64_t audit_seq(struct audit_log *a);

/* Verify a whole file. 0 with *records set, or -EBADMSG with "line N: problem" in err,
 * or -errno when the file cannot be read. */
int audit_verify_file(const char *path, uint64_t *records, char *err, size_t errsz);

#endif
