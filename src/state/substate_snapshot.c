/* SQLite snapshot of the in-process subscriber state, so a restarted firewall keeps what it
 * learned (locations, bindings). Rate buckets are short-lived and not saved. The snapshot is
 * written to PATH.tmp and renamed over PATH, so a crash never leaves a half-written file. */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "substate_mem.h"

#define SNAPSHOT_VERSION 1

static const char schema[] =
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER);"
	"CREATE TABLE subscriber(imsi TEXT PRIMARY KEY, vlr TEXT, msc TEXT, sgsn TEXT, loc_ms INTEGER,"
	" loc_node TEXT, moved_ms INTEGER, msisdn TEXT, msisdn_ms INTEGER, updated_ms INTEGER);"
	"CREATE TABLE binding(msisdn TEXT PRIMARY KEY, imsi TEXT, updated_ms INTEGER);";

static int db_fail(sqlite3 *db, const char *what, char *err, size_t errsz)
{
	snprintf(err, errsz, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
	return -EIO;
}

struct save_ctx {
	sqlite3_stmt *st;
	int rc;
};

static void bind_text(sqlite3_stmt *st, int i, const char *s) { sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT); }

static int save_sub(void *ud, uint64_t ka, uint64_t kb, uint64_t updated, const void *val)
{
	struct save_ctx *c = ud;
	const struct sub_record *r = val;
	char imsi[SUB_IMSI_MAX];
	if (digits_from_key(ka, imsi, sizeof(imsi)))
		return 0;
	sqlite3_reset(c->st);
	bind_text(c->st, 1, imsi);
	bind_text(c->st, 2, r->vlr);
	bind_text(c->st, 3, r->msc);
	bind_text(c->st, 4, r->sgsn);
	sqlite3_bind_int64(c->st, 5, (sqlite3_int64)r->loc_ms);
	bind_text(c->st, 6, r->loc_node);
	sqlite3_bind_int64(c->st, 7, (sqlite3_int64)r->moved_ms);
	bind_text(c->st, 8, r->msisdn);
	sqlite3_bind_int64(c->st, 9, (sqlite3_int64)r->msisdn_ms);
	sqlite3_bind_int64(c->st, 10, (sqlite3_int64)updated);
	c->rc = sqlite3_step(c->st) == SQLITE_DONE ? 0 : -EIO;
	return c->rc;
}

static int save_binding(void *ud, uint64_t ka, uint64_t kb, uint64_t updated, const void *val)
{
	struct save_ctx *c = ud;
	char msisdn[SUB_IMSI_MAX];
	if (digits_from_key(ka, msisdn, sizeof(msisdn)))
		return 0;
	sqlite3_reset(c->st);
	bind_text(c->st, 1, msisdn);
	bind_text(c->st, 2, val);
	sqlite3_bind_int64(c->st, 3, (sqlite3_int64)updated);
	c->rc = sqlite3_step(c->st) == SQLITE_DONE ? 0 : -EIO;
	return c->rc;
}

static int save_table(sqlite3 *db, const char *sql, const struct lru_table *t, lru_visit_cb cb)
{
	struct save_ctx c = {NULL, 0};
	if (sqlite3_prepare_v2(db, sql, -1, &c.st, NULL) != SQLITE_OK)
		return -EIO;
	int rc = lru_foreach(t, cb, &c);
	sqlite3_finalize(c.st);
	return rc;
}

int sub_state_mem_save(struct sub_state *s, const char *path, char *err, size_t errsz)
{
	if (s->ops != &sub_state_mem_ops) {
		snprintf(err, errsz, "snapshot: not an in-process state");
		return -EINVAL;
	}
	struct sub_mem *m = (struct sub_mem *)s;
	char tmp[4096];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		snprintf(err, errsz, "snapshot: path too long");
		return -ENAMETOOLONG;
	}
	remove(tmp);
	sqlite3 *db = NULL;
	int rc = 0;
	if (sqlite3_open(tmp, &db) != SQLITE_OK) {
		rc = db_fail(db, tmp, err, errsz);
		goto out;
	}
	char meta[128];
	snprintf(meta, sizeof(meta), "INSERT INTO meta VALUES('version', %d);", SNAPSHOT_VERSION);
	if (sqlite3_exec(db, "PRAGMA journal_mode=OFF; BEGIN;", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db, meta, NULL, NULL, NULL) != SQLITE_OK ||
	    save_table(db, "INSERT INTO subscriber VALUES(?,?,?,?,?,?,?,?,?,?)", &m->subs, save_sub) ||
	    save_table(db, "INSERT INTO binding VALUES(?,?,?)", &m->msisdns, save_binding) ||
	    sqlite3_exec(db, "COMMIT;", NULL, NULL, NULL) != SQLITE_OK) {
		rc = db_fail(db, tmp, err, errsz);
		goto out;
	}
out:
	if (sqlite3_close(db) != SQLITE_OK && !rc)
		rc = db_fail(db, tmp, err, errsz);
	if (!rc && rename(tmp, path)) {
		snprintf(err, errsz, "rename(%s): %s", tmp, strerror(errno));
		rc = -errno;
	}
	if (rc)
		remove(tmp);
	return rc;
}

static void col_text(sqlite3_stmt *st, int i, char *out, size_t sz)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	snprintf(out, sz, "%s", t ? (const char *)t : "");
}

int sub_state_mem_load(struct sub_state *s, const char *path, char *err, size_t errsz)
{
	if (s->ops != &sub_state_mem_ops) {
		snprintf(err, errsz, "snapshot: not an in-process state");
		return -EINVAL;
	}
	struct sub_mem *m = (struct sub_mem *)s;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = db_fail(db, path, err, errsz);
		goto out;
	}
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='version'", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW || sqlite3_column_int(st, 0) != SNAPSHOT_VERSION) {
		snprintf(err, errsz, "%s: not a dfsguard state snapshot of version %d", path, SNAPSHOT_VERSION);
		rc = -EINVAL;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	lru_clear(&m->subs);
	lru_clear(&m->msisdns);
	/* rowid order is the order of updates: re-inserting in it restores the eviction order */
	if (sqlite3_prepare_v2(db, "SELECT imsi, vlr, msc, sgsn, loc_ms, loc_node, moved_ms, msisdn, msisdn_ms,"
				   " updated_ms FROM subscriber ORDER BY rowid", -1, &st, NULL) != SQLITE_OK) {
		rc = db_fail(db, path, err, errsz);
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		char imsi[SUB_IMSI_MAX];
		col_text(st, 0, imsi, sizeof(imsi));
		struct sub_record *r = lru_put(&m->subs, digits_key(imsi), 0,
					       (uint64_t)sqlite3_column_int64(st, 9), NULL);
		col_text(st, 1, r->vlr, sizeof(r->vlr));
		col_text(st, 2, r->msc, sizeof(r->msc));
		col_text(st, 3, r->sgsn, sizeof(r->sgsn));
		r->loc_ms = (uint64_t)sqlite3_column_int64(st, 4);
		col_text(st, 5, r->loc_node, sizeof(r->loc_node));
		r->moved_ms = (uint64_t)sqlite3_column_int64(st, 6);
		col_text(st, 7, r->msisdn, sizeof(r->msisdn));
		r->msisdn_ms = (uint64_t)sqlite3_column_int64(st, 8);
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db, "SELECT msisdn, imsi, updated_ms FROM binding ORDER BY rowid", -1, &st,
			       NULL) != SQLITE_OK) {
		rc = db_fail(db, path, err, errsz);
		goto out;
	}
	while (sqlite3_step(st) == SQLITE_ROW) {
		char msisdn[SUB_IMSI_MAX];
		col_text(st, 0, msisdn, sizeof(msisdn));
		char *imsi = lru_put(&m->msisdns, digits_key(msisdn), 0, (uint64_t)sqlite3_column_int64(st, 2), NULL);
		col_text(st, 1, imsi, SUB_IMSI_MAX);
	}
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
