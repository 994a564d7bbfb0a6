/* Connection pool and helpers shared by the SQLite and PostgreSQL drivers. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "udb.h"
#include "udb_driver.h"
#include "value_string.h"

#define UDB_POOL_MAX 64

const struct value_string udb_backend_names[] = {
	{UDB_SQLITE, "sqlite"},
	{UDB_PGSQL, "postgresql"},
	{0, NULL},
};

struct udb {
	enum udb_backend backend;
	const struct udb_driver *drv;
	pthread_mutex_t lock;
	pthread_cond_t freed;
	unsigned n;
	struct udb_conn conns[UDB_POOL_MAX];
};

int udb_open(struct udb **dbp, const struct udb_config *cfg, char *err, size_t errsz)
{
	const struct udb_driver *drv;
	unsigned n = cfg->pool_size;

	*dbp = NULL;
	switch (cfg->backend) {
	case UDB_SQLITE:
		drv = &udb_sqlite_driver;
		if (!cfg->sqlite_path || !*cfg->sqlite_path) {
			snprintf(err, errsz, "sqlite: no database path");
			return -EINVAL;
		}
		if (!n)
			n = 1;
		if (!strcmp(cfg->sqlite_path, ":memory:"))
			n = 1; /* each in-memory connection would be its own database */
		break;
	case UDB_PGSQL:
		drv = &udb_pgsql_driver;
		if (!cfg->pg_conninfo) {
			snprintf(err, errsz, "postgresql: no connection string");
			return -EINVAL;
		}
		if (!n)
			n = 4;
		break;
	default:
		snprintf(err, errsz, "unknown database backend %d", (int)cfg->backend);
		return -EINVAL;
	}
	if (n > UDB_POOL_MAX) {
		snprintf(err, errsz, "pool size %u above %d", n, UDB_POOL_MAX);
		return -EINVAL;
	}
	struct udb *db = calloc(1, sizeof(*db));
	if (!db) {
		snprintf(err, errsz, "out of memory");
		return -ENOMEM;
	}
	db->backend = cfg->backend;
	db->drv = drv;
	pthread_mutex_init(&db->lock, NULL);
	pthread_cond_init(&db->freed, NULL);
	for (unsigned i = 0; i < n; i++) {
		struct udb_conn *c = &db->conns[i];
		c->drv = drv;
		int rc = drv->connect(c, cfg, err, errsz);
		if (rc == 0 && i == 0) {
			rc = drv->exec_script(c, drv->schema);
			if (rc)
				snprintf(err, errsz, "schema: %s", c->errmsg);
		}
		if (rc) {
			db->n = i + (c->h ? 1 : 0);
			udb_close(db);
			return rc;
		}
		db->n = i + 1;
	}
	*dbp = db;
	return 0;
}

void udb_close(struct udb *db)
{
	if (!db)
		return;
	for (unsigned i = 0; i < db->n; i++)
		if (db->conns[i].h)
			db->drv->disconnect(&db->conns[i]);
	pthread_cond_destroy(&db->freed);
	pthread_mutex_destroy(&db->lock);
	free(db);
}

enum udb_backend udb_backend_of(const struct udb *db)
{
	return db->backend;
}

struct udb_conn *udb_get(struct udb *db)
{
	pthread_mutex_lock(&db->lock);
	for (;;) {
		for (unsigned i = 0; i < db->n; i++)
			if (!db->conns[i].busy) {
				db->conns[i].busy = true;
				pthread_mutex_unlock(&db->lock);
				return &db->conns[i];
			}
		pthread_cond_wait(&db->freed, &db->lock);
	}
}

void udb_put(struct udb *db, struct udb_conn *c)
{
	if (!c)
		return;
	if (c->in_txn)
		udb_rollback(c);
	pthread_mutex_lock(&db->lock);
	c->busy = false;
	pthread_cond_signal(&db->freed);
	pthread_mutex_unlock(&db->lock);
}

int udb_exec(struct udb_conn *c, const char *sql, const struct udb_val *params, unsigned nparams,
	     udb_row_cb cb, void *ud)
{
	c->errmsg[0] = 0;
	return c->drv->exec(c, sql, params, nparams, cb, ud);
}

const char *udb_errmsg(const struct udb_conn *c)
{
	return c->errmsg;
}

int udb_parse_i64(const char *s, int64_t *out)
{
	char *end;
	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*out = v;
	return 0;
}

struct first_int {
	bool seen;
	int rc;
	int64_t v;
};

static int first_int_row(void *ud, int ncol, const char *const *cols)
{
	struct first_int *f = ud;
	f->seen = true;
	if (ncol < 1 || !cols[0])
		f->rc = -ENOENT;
	else
		f->rc = udb_parse_i64(cols[0], &f->v);
	return 1;
}

int udb_query_int(struct udb_conn *c, const char *sql, const struct udb_val *params,
		  unsigned nparams, int64_t *out)
{
	struct first_int f = {false, 0, 0};
	int rc = udb_exec(c, sql, params, nparams, first_int_row, &f);
	if (rc)
		return rc;
	if (!f.seen)
		return -ENOENT;
	if (f.rc == 0)
		*out = f.v;
	return f.rc;
}

int udb_begin(struct udb_conn *c)
{
	int rc = udb_exec(c, c->drv->begin_sql, NULL, 0, NULL, NULL);
	if (rc == 0)
		c->in_txn = true;
	return rc;
}

int udb_commit(struct udb_conn *c)
{
	int rc = udb_exec(c, "COMMIT", NULL, 0, NULL, NULL);
	if (rc)
		udb_rollback(c);
	c->in_txn = false;
	return rc;
}

void udb_rollback(struct udb_conn *c)
{
	char keep[UDB_ERRMSG_MAX];
	memcpy(keep, c->errmsg, sizeof(keep));
	udb_exec(c, "ROLLBACK", NULL, 0, NULL, NULL);
	memcpy(c->errmsg, keep, sizeof(keep)); /* the caller wants the first error */
	c->in_txn = false;
}

int udb_classify_constraint(struct udb_conn *c, const char *msg, bool is_check, bool is_unique,
			    bool is_raise)
{
	snprintf(c->errmsg, sizeof(c->errmsg), "%s", msg ? msg : "constraint failed");
	if (is_unique)
		return -EEXIST;
	if (msg && strstr(msg, "balance_nonneg"))
		return -ERANGE;
	if (is_raise)
		return -EPROTO;
	(void)is_check;
	return -EINVAL;
}
