/* OTA key store: per-card keysets (ICCID + key version -> KIc, KID, KIK).
 *
 * A keyset is either
 *  - imported: its keys sealed at rest with libsodium crypto_secretbox under a 32-byte
 *    key-encryption key (KEK) that is never stored with the data, or
 *  - derived: computed on use from a master key with NIST SP 800-108 KDF in counter mode,
 *    PRF AES-CMAC (see ota_kdf_derive); the master key is itself sealed under the KEK, or
 *    lives in a PKCS#11 token (HSM) and never leaves it: the token computes the CMACs.
 * The SQLite file holds only sealed blobs, names and algorithms. Keys in memory live in
 * sodium_malloc'd (guarded, mlock'd) buffers and are wiped on free. */
#ifndef DFS_OTA_KEYSTORE_H
#define DFS_OTA_KEYSTORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ota_packet.h"

#define OTA_KEK_LEN 32
#define OTA_ICCID_MAX 20 /* E.118: up to 19 digits plus a check digit */

/* Stop the process from leaving keys in core dumps or being ptrace-attached by peers:
 * prctl(PR_SET_DUMPABLE, 0) and RLIMIT_CORE 0. Returns 0 or -errno. */
int ota_harden_process(void);

/* A keyset in secure memory (sodium_malloc); free with ota_keyset_free, which wipes it. */
struct ota_keyset *ota_keyset_new(void);
void ota_keyset_free(struct ota_keyset *ks);
/* A secure buffer for other secrets (KEK, master key, plaintext with a PIN) */
void *ota_secret_alloc(size_t n);
void ota_secret_free(void *p);

/* Read a 32-byte KEK or any key from a file holding hex text (whitespace ignored) into out
 * (secure memory). Returns the byte count or -errno; the error text never echoes the file. */
int ota_key_file_read(const char *path, uint8_t *out, size_t outsz);
/* Parse a hex key from a string (for testing from the command line). */
int ota_key_hex_read(const char *hex, uint8_t *out, size_t outsz);
/* Check the ICCID: 18..20 decimal digits. */
bool ota_iccid_valid(const char *iccid);

/* ---- KDF (NIST SP 800-108 r1, counter mode, PRF = AES-CMAC) -------------------------------
 * K(i) = CMAC(master, [i]_32 || Label || 0x00 || Context || [L]_32), i = 1.., output = first L bits
 * Label   = "dfsguard OTA KIc" | "dfsguard OTA KID" | "dfsguard OTA KIK"
 * Context = ICCID as ASCII digits || key version (1 octet)
 * master: an AES-128 or AES-256 key. */
enum ota_key_usage { OTA_USAGE_KIC = 1, OTA_USAGE_KID = 2, OTA_USAGE_KIK = 3 };
int ota_kdf_derive(const uint8_t *master, size_t master_len, const char *iccid, uint8_t kvn,
		   enum ota_key_usage usage, uint8_t *out, size_t outlen);
/* The fixed input of one PRF block, for backends that compute the CMAC themselves. */
size_t ota_kdf_block_input(uint32_t i, const char *iccid, uint8_t kvn, enum ota_key_usage usage,
			   size_t outlen, uint8_t *buf, size_t bufsz);

/* ---- PKCS#11 (HSM) ---------------------------------------------------------------------- */
struct ota_p11;
/* Load module (dlopen), find the token by label, open a session and log in as user. */
int ota_p11_open(struct ota_p11 **p, const char *module, const char *token_label, const char *pin,
		 char *err, size_t errsz);
void ota_p11_close(struct ota_p11 *p);
/* Create an AES key object (sensitive, not extractable, CMAC-sign only). */
int ota_p11_import_aes(struct ota_p11 *p, const char *label, const uint8_t *key, size_t len);
/* Generate an AES key inside the token. */
int ota_p11_generate_aes(struct ota_p11 *p, const char *label, size_t len);
/* One AES-CMAC (16 bytes) with the token key of that label. */
int ota_p11_cmac(struct ota_p11 *p, const char *label, const uint8_t *in, size_t n, uint8_t out[16]);

/* ---- the store -------------------------------------------------------------------------- */
struct ota_keystore;
/* Open (create) the store at path. kek (32 bytes) may be NULL for a store used only with
 * PKCS#11 masters. The KEK is copied into secure memory. */
int ota_keystore_open(struct ota_keystore **ks, const char *path, const uint8_t *kek, char *err,
		      size_t errsz);
void ota_keystore_close(struct ota_keystore *ks);
/* Attach a PKCS#11 session for masters kept in a token (the store takes ownership). */
void ota_keystore_set_p11(struct ota_keystore *ks, struct ota_p11 *p11);

/* Import a keyset (sealed under the KEK). Replaces an existing one of the same ICCID+version. */
int ota_keystore_import(struct ota_keystore *ks, const char *iccid, const struct ota_keyset *keys);
/* Store a master key sealed under the KEK. */
int ota_keystore_add_master(struct ota_keystore *ks, const char *name, const uint8_t *key, size_t len);
/* Name a master key that lives in the PKCS#11 token under label. */
int ota_keystore_add_master_p11(struct ota_keystore *ks, const char *name, const char *label);
/* Declare a derived keyset: algorithms and key lengths; the keys come from the master. */
struct ota_derived_spec {
	enum ota_alg kic_alg, kid_alg, kik_alg;
	uint8_t kic_len, kid_len, kik_len;
};
int ota_keystore_add_derived(struct ota_keystore *ks, const char *iccid, uint8_t kvn, const char *master,
			     const struct ota_derived_spec *spec);
/* Load a keyset into out (which should come from ota_keyset_new). -ENOENT when absent,
 * -EACCES when the seal does not open (wrong KEK, tampered or moved record). */
int ota_keystore_get(struct ota_keystore *ks, const char *iccid, uint8_t kvn, struct ota_keyset *out);
int ota_keystore_delete(struct ota_keystore *ks, const char *iccid, uint8_t kvn);

/* Listing: never a key, only what the key is. */
struct ota_keyset_info {
	char iccid[OTA_ICCID_MAX + 1];
	uint8_t kvn;
	const char *source; /* "imported", "derived" */
	const char *master; /* derived: master name */
	enum ota_alg kic_alg, kid_alg, kik_alg;
	uint8_t kic_len, kid_len, kik_len;
};
typedef int (*ota_keyset_cb)(void *ud, const struct ota_keyset_info *info);
int ota_keystore_list(struct ota_keystore *ks, ota_keyset_cb cb, void *ud);

#endif
