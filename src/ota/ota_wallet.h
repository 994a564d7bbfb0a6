/* The wallet-transaction applet protocol (GW-E2E): what a mobile-money SIM applet puts in the
 * command data of a secured packet, and what the gateway puts in the PoR's additional data.
 *
 * Both are flat TLV lists: tag (1 octet), length (1 octet, 0..127), value. Each tag at most
 * once; unknown tags are an error (the format is versioned instead).
 *
 * Transaction (card -> gateway, TAR OTA_TAR_WALLET):
 *   80 version   1 octet, 01
 *   81 operation 1 octet: 01 transfer
 *   82 PIN       4..12 ASCII digits
 *   83 amount    8 octets, unsigned big-endian, minor units, > 0
 *   84 currency  3 ASCII capitals (ISO 4217)
 *   85 recipient 1..15 ASCII digits (MSISDN, international format without '+')
 *   86 reference 1..16 octets chosen by the applet (echoed in the answer)
 * Answer (gateway -> card, PoR additional data):
 *   90 result    1 octet: enum ota_wallet_result
 *   86 reference echoed
 *   91 balance   8 octets (optional)
 *   92 txid      1..32 ASCII (optional)
 *   93 text      0..64 UTF-8 for the handset (optional) */
#ifndef DFS_OTA_WALLET_H
#define DFS_OTA_WALLET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfs_buf.h"
#include "dfs_err.h"
#include "json_writer.h"
#include "value_string.h"

#define OTA_TAR_WALLET 0x574c54 /* "WLT": default TAR of the wallet applet */
#define OTA_WALLET_VERSION 1
#define OTA_WALLET_OP_TRANSFER 1

enum ota_wallet_tag {
	OTA_WT_VERSION = 0x80, OTA_WT_OP = 0x81, OTA_WT_PIN = 0x82, OTA_WT_AMOUNT = 0x83,
	OTA_WT_CURRENCY = 0x84, OTA_WT_RECIPIENT = 0x85, OTA_WT_REF = 0x86,
	OTA_WT_RESULT = 0x90, OTA_WT_BALANCE = 0x91, OTA_WT_TXID = 0x92, OTA_WT_TEXT = 0x93,
};

enum ota_wallet_result {
	OTA_WR_DONE = 0, OTA_WR_REFUSED = 1, OTA_WR_BAD_PIN = 2, OTA_WR_LIMIT = 3, OTA_WR_FUNDS = 4,
	OTA_WR_MALFORMED = 5, OTA_WR_DUPLICATE = 6,
};
extern const struct value_string ota_wallet_result_names[];

struct ota_wallet_txn {
	uint8_t version, op;
	char pin[13];        /* secret: wipe the struct after use */
	uint64_t amount;
	char currency[4];
	char recipient[16];
	uint8_t ref[16];
	size_t ref_len;
};

struct ota_wallet_answer {
	uint8_t result;
	uint8_t ref[16];
	size_t ref_len;
	bool has_balance;
	uint64_t balance;
	char txid[33];
	char text[65];
};

int ota_wallet_txn_encode(struct dfs_wbuf *w, const struct ota_wallet_txn *t);
int ota_wallet_txn_decode(const uint8_t *p, size_t len, size_t base, struct ota_wallet_txn *t,
			  struct dfs_err *e);
int ota_wallet_answer_encode(struct dfs_wbuf *w, const struct ota_wallet_answer *a);
int ota_wallet_answer_decode(const uint8_t *p, size_t len, size_t base, struct ota_wallet_answer *a,
			     struct dfs_err *e);

/* JSON for command data: when it is a wallet transaction, its fields with the PIN redacted
 * ("wallet": {...}); otherwise the bytes in hex under key. A PIN never reaches JSON. */
void ota_app_data_json(struct json_writer *j, const char *key, const uint8_t *p, size_t n);

#endif
