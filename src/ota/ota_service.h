/* Receiving entity for TS 102 225 command packets, and the OTA service built on it.
 *
 * ota_receiver: the logic both ends share (the card simulator and the gateway): TAR lookup
 * (09), per-TAR minimum security (0A), keys (06), deciphering (05), RC/CC (01), counter rules
 * (02, 03, 04), dispatch to the TAR's application, and the PoR secured as the SPI asks.
 *
 * ota_service: the operator side with the key store and persisted counters. For GW-E2E the
 * USSD gateway calls ota_service_unwrap() on a secured packet from a card (ICCID known from the
 * session/IMSI), acts on the plaintext, and answers with ota_service_wrap_por(). */
#ifndef DFS_OTA_SERVICE_H
#define DFS_OTA_SERVICE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota_counter.h"
#include "ota_keystore.h"
#include "ota_packet.h"

struct ota_rx_result;
/* A TAR's application: reads the command data, writes the PoR additional data.
 * Returns a PoR status (OTA_ST_OK, or e.g. OTA_ST_NO_MEMORY) or a negative errno. */
typedef int (*ota_app_fn)(void *ud, const struct ota_rx_result *rx, const uint8_t *in, size_t n,
			  uint8_t *out, size_t outsz, size_t *outlen);

/* OTA-MINSEC: what a TAR requires of a packet before its data reaches the application. */
struct ota_tar_policy {
	uint32_t tar;
	const char *name;
	enum ota_chk_kind min_chk;   /* OTA_CHK_CC for anything that moves money */
	bool need_cipher;
	enum ota_cntr_mode min_cntr; /* OTA_CNTR_HIGHER accepts HIGHER and NEXT */
	uint64_t max_gap;            /* OTA_CNTR_HIGHER: largest accepted jump, 0 = any */
	ota_app_fn app;
	void *app_ud;
};
/* Parse "TAR:REQ+REQ..." (e.g. "574c54:cc+cipher+counter"): TAR 6 hex digits; requirements
 * rc, cc, cipher, nocheck (counter present), counter (higher), next (exactly one higher),
 * gap=N (largest accepted jump). Name, app and app_ud are left to the caller. 0 or -EINVAL. */
int ota_tar_policy_parse(const char *spec, struct ota_tar_policy *p);
/* Whether an SPI meets a TAR's minimum security level. */
bool ota_security_sufficient(const struct ota_spi *s, const struct ota_tar_policy *p);

struct ota_rx_ops {
	/* keys of one key version: 0, -ENOENT */
	int (*get_keys)(void *ud, const char *iccid, uint8_t kvn, struct ota_keyset *out);
	/* counter check + record: a PoR status or negative errno */
	int (*cntr_accept)(void *ud, const char *iccid, uint8_t kvn, enum ota_cntr_mode mode,
			   const uint8_t cntr[OTA_CNTR_LEN], uint64_t max_gap);
	void *ud;
};

struct ota_receiver {
	const struct ota_tar_policy *tars;
	size_t n_tars;
	struct ota_rx_ops ops;
	unsigned flags; /* OTA_F_ALLOW_DES */
};

struct ota_rx_result {
	uint8_t status;   /* enum ota_status */
	uint32_t tar;
	uint8_t spi[2];
	struct ota_spi s;
	uint8_t kic, kid;
	uint8_t kvn;      /* key version whose counter the packet used */
	uint8_t cntr[OTA_CNTR_LEN];
	bool keys_ok;     /* keys were found: the PoR can be secured */
	const struct ota_tar_policy *policy;
	const uint8_t *data; /* plaintext command data (status OK), into the caller's buffer */
	size_t data_len;
};

const struct ota_tar_policy *ota_tar_lookup(const struct ota_receiver *r, uint32_t tar);

/* Check and open a command packet (starting at CPL; prefix = what the bearer's integrity
 * check covers). ks: secure scratch for the keys; buf: plaintext (wipe after use).
 * Returns 0 with res->status set, or -EBADMSG when the packet does not even parse (no PoR can
 * be addressed), or another negative errno. */
int ota_receiver_open(const struct ota_receiver *r, const char *iccid, const uint8_t *prefix,
		      size_t prefix_len, const uint8_t *pkt, size_t len, struct ota_keyset *ks,
		      uint8_t *buf, size_t bufsz, struct ota_rx_result *res);
/* Whether the SPI asks for a PoR for this outcome. */
bool ota_rx_por_wanted(const struct ota_rx_result *res);
/* Append prefix + the PoR (secured per the command's SPI when keys are known). */
int ota_receiver_por(const struct ota_receiver *r, const struct ota_rx_result *res,
		     const struct ota_keyset *ks, uint8_t status, const uint8_t *data, size_t n,
		     const uint8_t *prefix, size_t prefix_len, struct dfs_wbuf *w);
/* The whole receiving entity: open, run the TAR's application, build the PoR if wanted
 * (w->len unchanged when none is). Returns 0 or a negative errno. */
int ota_receiver_handle(const struct ota_receiver *r, const char *iccid, const uint8_t *cmd_prefix,
			size_t cmd_prefix_len, const uint8_t *pkt, size_t len, const uint8_t *por_prefix,
			size_t por_prefix_len, struct dfs_wbuf *w, struct ota_rx_result *res);

/* ---- the operator side ------------------------------------------------------------------ */
struct ota_service {
	struct ota_keystore *keys;
	struct ota_counter_db *counters;
	struct ota_receiver rx;
};
void ota_service_init(struct ota_service *svc, struct ota_keystore *keys, struct ota_counter_db *counters,
		      const struct ota_tar_policy *tars, size_t n_tars, unsigned flags);

/* GW-E2E: verify, decipher, check the counter. plain (secure memory, >= len bytes) receives the
 * application data; res->status says whether to act on it (OTA_ST_OK) or refuse. */
int ota_service_unwrap(struct ota_service *svc, const char *iccid, const uint8_t *prefix, size_t prefix_len,
		       const uint8_t *pkt, size_t len, uint8_t *plain, size_t plainsz,
		       struct ota_rx_result *res);
/* GW-E2E: the secured PoR carrying the application's answer (status from res unless
 * status_override >= 0). */
int ota_service_wrap_por(struct ota_service *svc, const char *iccid, const struct ota_rx_result *res,
			 int status_override, const uint8_t *data, size_t n, const uint8_t *prefix,
			 size_t prefix_len, struct dfs_wbuf *w);
/* Build a command packet to a card with keyset kvn and the next persisted counter. */
int ota_service_build_cmd(struct ota_service *svc, const char *iccid, uint8_t kvn, const uint8_t spi[2],
			  uint32_t tar, const uint8_t *data, size_t n, const uint8_t *prefix,
			  size_t prefix_len, struct dfs_wbuf *w, uint8_t cntr_out[OTA_CNTR_LEN]);
/* Verify a PoR a card returned for a command built with keyset kvn. */
int ota_service_open_por(struct ota_service *svc, const char *iccid, uint8_t kvn, const uint8_t spi[2],
			 const uint8_t *prefix, size_t prefix_len, const uint8_t *pkt, size_t len,
			 uint8_t *buf, size_t bufsz, struct ota_rsp_open *o);

/* The KIc/KID bytes for a keyset under an SPI: key version in the high nibble. */
void ota_keyset_kic_kid(const struct ota_keyset *ks, const uint8_t spi[2], uint8_t *kic, uint8_t *kid);

#endif
