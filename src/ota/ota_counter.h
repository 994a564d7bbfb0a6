/* Replay counters of TS 102 225 secured packets, per card (ICCID) and keyset (key version).
 *
 * Sending side: ota_counter_next() increments the counter and commits it to SQLite (synchronous
 * FULL) before it returns, so a counter value is never used twice even if the process dies
 * between reserving it and sending the packet: the receiver only ever sees a gap.
 * Receiving side: ota_counter_rule() holds the TS 102 225 5.1.1 rules for each counter mode;
 * ota_counter_rx_accept() checks and records the received value in one transaction. */
#ifndef DFS_OTA_COUNTER_H
#define DFS_OTA_COUNTER_H
#include <stdint.h>

#include "ota_packet.h"

/* The PoR status for a received counter value, given the last accepted value.
 * max_gap (mode OTA_CNTR_HIGHER only, 0 = unlimited): a jump further than this is CNTR high.
 * A receiving entity whose counter reached OTA_CNTR_MAXVAL is blocked (status 04). */
uint8_t ota_counter_rule(enum ota_cntr_mode mode, uint64_t last, uint64_t received, uint64_t max_gap);
/* Whether a counter accepted in this mode moves the stored value. */
bool ota_counter_mode_records(enum ota_cntr_mode mode);

struct ota_counter_db;
int ota_counter_open(struct ota_counter_db **db, const char *path, char *err, size_t errsz);
void ota_counter_close(struct ota_counter_db *db);

/* Reserve the next sending counter (last + 1), persisted before return.
 * -ERANGE when the counter is exhausted. */
int ota_counter_next(struct ota_counter_db *db, const char *iccid, uint8_t kvn, uint8_t cntr[OTA_CNTR_LEN]);
/* Provision the sending counter (e.g. to the value a card was personalised with). */
int ota_counter_set(struct ota_counter_db *db, const char *iccid, uint8_t kvn, uint64_t value);
/* Last value used for sending; 0 when none. */
int ota_counter_get(struct ota_counter_db *db, const char *iccid, uint8_t kvn, uint64_t *value);

/* Receive side: check a received counter against the last accepted one and, when it passes
 * and the mode checks counters, store it, in one transaction. Returns the PoR status
 * (OTA_ST_OK, OTA_ST_CNTR_LOW, OTA_ST_CNTR_HIGH, OTA_ST_CNTR_BLOCKED) or a negative errno. */
int ota_counter_rx_accept(struct ota_counter_db *db, const char *iccid, uint8_t kvn,
			  enum ota_cntr_mode mode, const uint8_t cntr[OTA_CNTR_LEN], uint64_t max_gap);
int ota_counter_rx_get(struct ota_counter_db *db, const char *iccid, uint8_t kvn, uint64_t *value);

#endif
