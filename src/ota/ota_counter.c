/* Replay counters for secured packets, persisted in SQLite. See ota_counter.h. */
#include "ota_counter.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

/* TS 102 225 5.1.1, SPI first octet b5b4 */
uint8_t ota_counter_rule(enum ota_cntr_mode mode, uint64_t last, uint64_t received, uint64_t max_gap)
{
	switch (mode) {
	case OTA_CNTR_NONE:
	case OTA_CNTR_NO_CHECK:
		return OTA_ST_OK;
	case OTA_CNTR_HIGHER:
		if (last >= OTA_CNTR_MAXVAL)
			return OTA_ST_CNTR_BLOCKED;
		if (received <= last)
			return OTA_ST_CNTR_LOW;
		if (max_gap && received - last > max_gap)
			return OTA_ST_CNTR_HIGH;
		return OTA_ST_OK;
	case OTA_CNTR_NEXT:
		if (last >= OTA_CNTR_MAXVAL)
			return OTA_ST_CNTR_BLOCKED;
		if (received <= last)
			return OTA_ST_CNTR_LOW;
		if (received != last + 1)
			return OTA_ST_CNTR_HIGH;
		return OTA_ST_OK;
	}
	return OTA_ST_SECURITY_ERROR;
}

bool ota_counter_mode_records(enum ota_cntr_mode mode)
{
	return mode == OTA_CNTR_HIGHER || mode == OTA_CNTR_NEXT;
}

struct ota_counter_db {
	sqlite3 *db;
};

static const char SCHEMA[] =
	"PRAGMA synchronous = FULL;"
	"CREATE TABLE IF NOT EXISTS ota_tx_counters(iccid TEXT NOT NULL, kvn INTEGER NOT NULL,"
	" value INTEGER NOT NULL, PRIMARY KEY(iccid, kvn));"
	"CREATE TABLE IF NOT EXISTS ota_rx_counters(iccid TEXT NOT NULL, kvn INTEGER NOT NULL,"
	" value INTEGER NOT NULL, PRIMARY KEY(iccid, kvn));";

int ota_counter_open(struct ota_counter_db **out, const char *path, char *err, size_t errsz)
{
	struct ota_counter_db *db = calloc(1, sizeof(*db));
	*out = NULL;
	if (!db)
		return -ENOMEM;
	if (sqlite3_open(path, &db->db) != SQLITE_OK ||
	    sqlite3_exec(db->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK) {
		if (err && errsz)
			snprintf(err, errsz, "counter db %s: %s", path, sqlite3_errmsg(db->db));
		ota_counter_close(db);
		return -EIO;
	}
	sqlite3_busy_timeout(db->db, 5000);
	*out = db;
	return 0;
}

void ota_counter_close(struct ota_counter_db *db)
{
	if (!db)
		return;
	sqlite3_close(db->db);
	free(db);
}

static int read_value(struct ota_counter_db *db, const char *table_sql, const char *iccid, uint8_t kvn,
		      uint64_t *value)
{
	sqlite3_stmt *st = NULL;
	*value = 0;
	if (sqlite3_prepare_v2(db->db, table_sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, iccid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, kvn);
	int rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*value = (uint64_t)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

static int write_value(struct ota_counter_db *db, const char *sql, const char *iccid, uint8_t kvn,
		       uint64_t value)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, iccid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, kvn);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)value);
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static const char TX_GET[] = "SELECT value FROM ota_tx_counters WHERE iccid = ?1 AND kvn = ?2";
static const char TX_PUT[] = "INSERT OR REPLACE INTO ota_tx_counters(iccid, kvn, value) VALUES(?1, ?2, ?3)";
static const char RX_GET[] = "SELECT value FROM ota_rx_counters WHERE iccid = ?1 AND kvn = ?2";
static const char RX_PUT[] = "INSERT OR REPLACE INTO ota_rx_counters(iccid, kvn, value) VALUES(?1, ?2, ?3)";

static int begin(struct ota_counter_db *db)
{
	return sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 0 : -EIO;
}
static int end(struct ota_counter_db *db, int rc)
{
	if (rc < 0) {
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK ? rc : -EIO;
}

int ota_counter_next(struct ota_counter_db *db, const char *iccid, uint8_t kvn, uint8_t cntr[OTA_CNTR_LEN])
{
	uint64_t v;
	int rc = begin(db);
	if (rc)
		return rc;
	rc = read_value(db, TX_GET, iccid, kvn, &v);
	if (!rc && v >= OTA_CNTR_MAXVAL)
		rc = -ERANGE;
	if (!rc)
		rc = write_value(db, TX_PUT, iccid, kvn, v + 1);
	rc = end(db, rc); /* committed (fsync'd) before the caller can send anything */
	if (!rc)
		ota_cntr_put(cntr, v + 1);
	return rc;
}

int ota_counter_set(struct ota_counter_db *db, const char *iccid, uint8_t kvn, uint64_t value)
{
	if (value > OTA_CNTR_MAXVAL)
		return -ERANGE;
	return write_value(db, TX_PUT, iccid, kvn, value);
}

int ota_counter_get(struct ota_counter_db *db, const char *iccid, uint8_t kvn, uint64_t *value)
{
	return read_value(db, TX_GET, iccid, kvn, value);
}

int ota_counter_rx_get(struct ota_counter_db *db, const char *iccid, uint8_t kvn, uint64_t *value)
{
	return read_value(db, RX_GET, iccid, kvn, value);
}

int ota_counter_rx_accept(struct ota_counter_db *db, const char *iccid, uint8_t kvn,
			  enum ota_cntr_mode mode, const uint8_t cntr[OTA_CNTR_LEN], uint64_t max_gap)
{
	uint64_t last, got = ota_cntr_get(cntr);
	int rc = begin(db);
	if (rc)
		return rc;
	rc = read_value(db, RX_GET, iccid, kvn, &last);
	if (!rc)
		rc = ota_counter_rule(mode, last, got, max_gap);
	if (rc == OTA_ST_OK && ota_counter_mode_records(mode))
		rc = write_value(db, RX_PUT, iccid, kvn, got);
	return end(db, rc);
}
