/* A UICC simulator for tests and demos: holds keysets and counters like a card, accepts secured
 * command packets (enforcing each TAR's minimum security) and answers with a PoR, and plays the
 * mobile-money applet of GW-E2E that sends a secured wallet transaction and checks the PoR.
 *
 * Applications on the simulated card:
 *  - TAR B00011 (USIM RFM, TS 102 226): the command data is a list of C-APDUs (CLA INS P1 P2 Lc
 *    data); the PoR data is the compact remote response: number of commands executed, last SW.
 *    SELECT by FID 3F00 answers 6132 (FCP available), another FID 6A82, other INS 6D00.
 *  - TAR OTA_TAR_WALLET: the wallet applet (ota_wallet.h); it sends, it does not receive. */
#ifndef DFS_OTA_CARD_H
#define DFS_OTA_CARD_H
#include <stdint.h>

#include "ota_service.h"
#include "ota_transport.h"
#include "ota_wallet.h"

#define OTA_TAR_USIM_RFM 0xb00011

struct ota_card;
struct ota_card *ota_card_new(const char *iccid);
void ota_card_free(struct ota_card *c);
/* Personalise a keyset (copied into the card's secure memory). */
int ota_card_set_keyset(struct ota_card *c, const struct ota_keyset *ks);
/* The minimum security of the card's RFM TAR (default: CC + ciphering, any counter mode). */
void ota_card_set_rfm_policy(struct ota_card *c, enum ota_chk_kind min_chk, bool need_cipher,
			     enum ota_cntr_mode min_cntr);
/* Counters: last value accepted from the network, and last value the applet sent. */
void ota_card_set_rx_counter(struct ota_card *c, uint8_t kvn, uint64_t v);
uint64_t ota_card_rx_counter(const struct ota_card *c, uint8_t kvn);
void ota_card_set_tx_counter(struct ota_card *c, uint8_t kvn, uint64_t v);
uint64_t ota_card_tx_counter(const struct ota_card *c, uint8_t kvn);
void ota_card_set_flags(struct ota_card *c, unsigned flags);

/* A command packet arrives (from CPL; reassembled already). The PoR (with its bearer prefix:
 * "02 71 00" for SMS-PP, 0x71 for USSD) is appended to w when the SPI asks for one. */
int ota_card_receive(struct ota_card *c, enum ota_bearer b, const uint8_t *pkt, size_t len,
		     struct dfs_wbuf *w, struct ota_rx_result *res);

/* The applet sends a wallet transaction with keyset kvn under spi to tar. The counter is the
 * card's next transmit counter. The packet (from CPL) is appended to w. */
struct ota_card_pending {
	uint8_t kvn, spi[2];
	uint32_t tar;
	uint8_t cntr[OTA_CNTR_LEN];
	uint8_t ref[16];
	size_t ref_len;
};
int ota_card_wallet_request(struct ota_card *c, enum ota_bearer b, uint8_t kvn, const uint8_t spi[2],
			    uint32_t tar, const struct ota_wallet_txn *t, struct dfs_wbuf *w,
			    struct ota_card_pending *pend);
/* The applet checks the PoR for its request (from RPL, without the bearer prefix): integrity,
 * deciphering, TAR and counter echo, reference echo. Returns 0 with *status and *ans filled,
 * or -EBADMSG (does not parse), -EACCES (integrity/cipher failed), -EPROTO (not our request). */
int ota_card_wallet_por(struct ota_card *c, enum ota_bearer b, const struct ota_card_pending *pend,
			const uint8_t *pkt, size_t len, uint8_t *status, struct ota_wallet_answer *ans);

#endif
