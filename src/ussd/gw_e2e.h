/* GW-E2E: end-to-end protected transactions from a SIM applet (THREATS.md GW-E2E).
 *
 * A mobile-money applet on the SIM sends a TS 102 225 secured packet in USSD application mode
 * (DCS 0x96, CPI 0x70, ota_transport.h) whose command data is a wallet transaction
 * (ota_wallet.h: PIN, amount, currency, recipient, reference). The face that received it (HTTP
 * or MAP) calls gw_e2e_handle() with the USSD string and the identities the network vouches for
 * (MSISDN, IMSI). The gateway
 *   1. finds the card's ICCID for the MSISDN in its configuration (gw_e2e_sim),
 *   2. verifies and deciphers the packet and checks its counter (ota_service_unwrap, keys from
 *      the OTA key store, counters persisted): tampered -> PoR 01, replay -> PoR 02, ...
 *   3. runs the transfer through the same controls and ledger as the menu path: GW-PIN
 *      (Argon2id hash of the account), GW-SIMSWAP, GW-LIMITS, GW-IDEMPOTENT (the ledger key is
 *      derived from ICCID, key version and counter), GW-AUDIT,
 *   4. answers with a secured PoR (ota_service_wrap_por) carrying the wallet answer, as a USSD
 *      string (CPI 0x71) that the applet verifies.
 * The PIN exists only in secure memory between deciphering and Argon2id; it is wiped after. */
#ifndef DFS_GW_E2E_H
#define DFS_GW_E2E_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "gw.h"
#include "ota_service.h"

#define GW_E2E_SIMS_MAX 64

/* A subscriber whose SIM carries the wallet applet: MSISDN -> ICCID of its OTA keys. */
struct gw_e2e_sim {
	char msisdn[16];
	char iccid[21];
};

struct gw_e2e_config {
	struct gw_e2e_sim sims[GW_E2E_SIMS_MAX];
	unsigned n_sims;
};

struct gw_e2e {
	struct gw *g;
	const struct gw_e2e_config *cfg;
	struct ota_service svc; /* TAR OTA_TAR_WALLET: CC + ciphering + counter */
	struct ota_tar_policy tars[1];
	/* the key store and counter DB are single-threaded: one transaction at a time */
	pthread_mutex_t lock;
};

/* The key store and counter database stay the caller's. */
void gw_e2e_init(struct gw_e2e *e, struct gw *g, const struct gw_e2e_config *cfg,
		 struct ota_keystore *keys, struct ota_counter_db *counters);
void gw_e2e_destroy(struct gw_e2e *e);

struct gw_e2e_request {
	enum gw_face face;
	const char *dialogue;
	const char *msisdn;  /* from the network, never from the packet */
	const char *imsi;    /* NULL or "" when unknown */
	const char *network;
	const char *source;  /* velocity key */
	const uint8_t *ussd; /* the DCS 0x96 string: CPI 0x70 + packet */
	size_t len;
};

struct gw_e2e_result {
	uint8_t por_status;   /* enum ota_status of the PoR */
	uint8_t wallet;       /* enum ota_wallet_result when por_status is OK */
	int64_t transfer_id;  /* ledger id when money moved (or was found moved before) */
};

/* Handle one secured USSD string. On 0 the answer string (CPI 0x71 + PoR, DCS 0x96) is in
 * out[0..*outlen) (*outlen 0 when the SPI asks for no PoR). Serialised: safe from several
 * threads. Returns -EBADMSG when the string is
 * not a single-string secured command packet (no PoR can be addressed), -ENOENT when no ICCID is
 * configured for the MSISDN, -EMSGSIZE when the answer does not fit, or another negative errno. */
int gw_e2e_handle(struct gw_e2e *e, const struct gw_e2e_request *q, uint8_t *out, size_t outsz,
		  size_t *outlen, struct gw_e2e_result *res);

#endif
