/* Private: what a udb backend provides. Only udb.c, udb_sqlite.c and udb_pgsql.c include this. */
#ifndef DFS_UDB_DRIVER_H
#define DFS_UDB_DRIVER_H
#include "udb.h"

#define UDB_ERRMSG_MAX 256

struct udb_conn {
	const struct udb_driver *drv;
	void *h;      /* sqlite3 * or PGconn * */
	bool in_txn;
	bool busy;    /* handed out by udb_get() */
	char errmsg[UDB_ERRMSG_MAX];
};

struct udb_driver {
	/* open one connection; schema creation runs on the first one only */
	int (*connect)(struct udb_conn *c, const struct udb_config *cfg, char *err, size_t errsz);
	void (*disconnect)(struct udb_conn *c);
	int (*exec)(struct udb_conn *c, const char *sql, const struct udb_val *params,
		    unsigned nparams, udb_row_cb cb, void *ud);
	const char *schema;         /* idempotent DDL, run as one script */
	int (*exec_script)(struct udb_conn *c, const char *sql);
	const char *begin_sql;
};

extern const struct udb_driver udb_sqlite_driver;
extern const struct udb_driver udb_pgsql_driver;

/* Map a constraint or trigger failure message onto the udb_exec() error codes. */
int udb_classify_constraint(struct udb_conn *c, const char *msg, bool is_check, bool is_unique,
			    bool is_raise);

#endif
