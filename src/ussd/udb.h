/* The gateway's database: one small interface over two SQL backends, SQLite (WAL, the
 * embedded default) and PostgreSQL (libpq, for scale). Callers write SQL once with ?1, ?2 ...
 * placeholders (the PostgreSQL driver rewrites them to $1, $2 ...); rows come back as text.
 *
 * Connections live in a small pool; a caller takes one with udb_get(), runs statements (a
 * transaction is just "BEGIN" ... "COMMIT" on the same connection) and gives it back with
 * udb_put(). The pool is thread-safe; a connection is used by one thread at a time. */
#ifndef DFS_UDB_H
#define DFS_UDB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "value_string.h"

enum udb_backend {
	UDB_SQLITE = 0,
	UDB_PGSQL = 1,
};
extern const struct value_string udb_backend_names[];

struct udb_config {
	enum udb_backend backend;
	const char *sqlite_path; /* file (WAL mode) or ":memory:" (pool of one) */
	const char *pg_conninfo; /* libpq connection string */
	unsigned pool_size;      /* 0 = default: 1 for SQLite, 4 for PostgreSQL */
};

enum udb_type { UDB_T_NULL, UDB_T_INT, UDB_T_TEXT };
struct udb_val {
	enum udb_type type;
	int64_t i;
	const char *s;
};
#define UDB_INT(x) ((struct udb_val){UDB_T_INT, (int64_t)(x), NULL})
#define UDB_TEXT(x) ((struct udb_val){UDB_T_TEXT, 0, (x)})
#define UDB_NULLV ((struct udb_val){UDB_T_NULL, 0, NULL})

/* One result row: cols[i] is NULL for SQL NULL. Return nonzero to stop reading rows. */
typedef int (*udb_row_cb)(void *ud, int ncol, const char *const *cols);

struct udb;
struct udb_conn;

/* Open the pool and create the schema when missing. 0 or negative errno, reason in err. */
int udb_open(struct udb **dbp, const struct udb_config *cfg, char *err, size_t errsz);
void udb_close(struct udb *db);
enum udb_backend udb_backend_of(const struct udb *db);

/* Take / return a connection. udb_put() rolls back a transaction left open. */
struct udb_conn *udb_get(struct udb *db);
void udb_put(struct udb *db, struct udb_conn *c);

/* Run one statement. Returns 0, or:
 *   -EEXIST  unique constraint violated        -ERANGE  a balance would go negative
 *   -EPROTO  a ledger trigger refused the change (message in udb_errmsg)
 *   -EINVAL  another constraint (check, foreign key, not null)
 *   -EAGAIN  busy, deadlock or serialization failure: roll back and retry the transaction
 *   -EIO     anything else (connection lost, SQL error) */
int udb_exec(struct udb_conn *c, const char *sql, const struct udb_val *params, unsigned nparams,
	     udb_row_cb cb, void *ud);
/* Convenience: the first column of the first row as an integer (-ENOENT when no row). */
int udb_query_int(struct udb_conn *c, const char *sql, const struct udb_val *params,
		  unsigned nparams, int64_t *out);
const char *udb_errmsg(const struct udb_conn *c);

/* BEGIN for writing (SQLite: BEGIN IMMEDIATE so writers queue instead of failing late). */
int udb_begin(struct udb_conn *c);
int udb_commit(struct udb_conn *c);
void udb_rollback(struct udb_conn *c);

/* Strict decimal parse of a column; 0 or -EINVAL. */
int udb_parse_i64(const char *s, int64_t *out);

#endif
