/* ETSI TS 102 225 / 3GPP TS 31.115 secured packets: command packets and response packets (PoR).
 *
 * Command packet (TS 102 225 5.1.1):
 *   CPL(2) CHL(1) SPI(2) KIc(1) KID(1) TAR(3) | CNTR(5) PCNTR(1) RC/CC/DS data padding
 *   everything right of '|' is ciphered with KIc when SPI asks for it (IV 0, zero padding).
 * Response packet (TS 102 225 5.2.1):
 *   RPL(2) RHL(1) TAR(3) | CNTR(5) PCNTR(1) STATUS(1) RC/CC/DS data padding
 *
 * The integrity check (RC, CC) covers an optional transport prefix (the bytes before CPL/RPL
 * that the transport includes: "02 71 00" for an SMS-PP PoR, the CPI/RPI octet in USSD mode),
 * the header up to PCNTR/STATUS, the data and the padding, but not the RC/CC field itself.
 *
 * Keys never leave the caller's struct ota_keyset (which should live in sodium_malloc memory,
 * see ota_keystore.h); error results carry no key material. */
#ifndef DFS_OTA_PACKET_H
#define DFS_OTA_PACKET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dfs_buf.h"
#include "dfs_err.h"
#include "json_writer.h"
#include "value_string.h"

#define OTA_CNTR_LEN 5
#define OTA_CC_LEN 8       /* CC length for AES-CMAC and DES/3DES CBC-MAC */
#define OTA_CHK_MAX 8      /* longest RC/CC we produce or accept */
#define OTA_KEY_MAX 32
#define OTA_CMD_HDR_LEN 16 /* CPL..PCNTR without RC/CC/DS */
#define OTA_RSP_HDR_LEN 13 /* RPL..STATUS without RC/CC/DS */
#define OTA_PKT_MAX 65537  /* 2 + CPL */

/* TS 102 225 table 5 / TS 31.115 section 7: PoR response status codes */
enum ota_status {
	OTA_ST_OK = 0x00,
	OTA_ST_RC_CC_DS_FAILED = 0x01,
	OTA_ST_CNTR_LOW = 0x02,
	OTA_ST_CNTR_HIGH = 0x03,
	OTA_ST_CNTR_BLOCKED = 0x04,
	OTA_ST_CIPHER_ERROR = 0x05,
	OTA_ST_SECURITY_ERROR = 0x06, /* unidentified security error */
	OTA_ST_NO_MEMORY = 0x07,
	OTA_ST_MORE_TIME = 0x08,
	OTA_ST_TAR_UNKNOWN = 0x09,
	OTA_ST_INSUFFICIENT_SECURITY = 0x0a,
};
extern const struct value_string ota_status_names[];

/* SPI first octet b2b1 / second octet b4b3 */
enum ota_chk_kind { OTA_CHK_NONE = 0, OTA_CHK_RC = 1, OTA_CHK_CC = 2, OTA_CHK_DS = 3 };
/* SPI first octet b5b4 */
enum ota_cntr_mode {
	OTA_CNTR_NONE = 0,     /* no counter available */
	OTA_CNTR_NO_CHECK = 1, /* counter available, no replay or sequence checking */
	OTA_CNTR_HIGHER = 2,   /* process only if higher than the value in the receiving entity */
	OTA_CNTR_NEXT = 3,     /* process only if exactly one higher */
};
/* SPI second octet b2b1 */
enum ota_por_req { OTA_POR_NONE = 0, OTA_POR_ALWAYS = 1, OTA_POR_ON_ERROR = 2, OTA_POR_RESERVED = 3 };
extern const struct value_string ota_chk_kind_names[];
extern const struct value_string ota_cntr_mode_names[];
extern const struct value_string ota_por_req_names[];

/* TS 102 225 5.1.1: the SPI, decoded */
struct ota_spi {
	enum ota_chk_kind chk;      /* b2b1 */
	bool cipher;                /* b3 */
	enum ota_cntr_mode cntr;    /* b5b4 */
	enum ota_por_req por;       /* 2nd octet b2b1 */
	enum ota_chk_kind por_chk;  /* 2nd octet b4b3 */
	bool por_cipher;            /* 2nd octet b5 */
	bool por_submit;            /* 2nd octet b6: PoR by SMS-SUBMIT (1) or SMS-DELIVER-REPORT (0) */
	bool reserved_bits;         /* any reserved bit set (b8..b6 of octet 1, b8..b7 of octet 2) */
};
void ota_spi_decode(const uint8_t spi[2], struct ota_spi *s);
void ota_spi_encode(const struct ota_spi *s, uint8_t spi[2]);

/* Algorithms named by the low nibble of KIc (5.1.2) and KID (5.1.3) */
enum ota_alg {
	OTA_ALG_NONE = 0,
	OTA_ALG_DES,    /* single DES CBC / CBC-MAC: insecure, only with OTA_F_ALLOW_DES */
	OTA_ALG_3DES2,  /* triple DES, two keys */
	OTA_ALG_3DES3,  /* triple DES, three keys */
	OTA_ALG_AES,    /* AES-CBC (KIc), AES-CMAC (KID); key 16, 24 or 32 bytes */
	OTA_ALG_CRC16,  /* RC: ISO/IEC 13239 CRC-16 */
	OTA_ALG_CRC32,  /* RC: ISO/IEC 13239 CRC-32 */
};
extern const struct value_string ota_alg_names[];

/* Resolve the algorithm of a KIc byte (cipher) or KID byte (checksum of the given kind).
 * Nibble 0 means "known implicitly": the key's own algorithm (implicit) is used.
 * Returns OTA_ALG_NONE for reserved or proprietary codings. */
enum ota_alg ota_kic_alg(uint8_t kic, enum ota_alg implicit);
enum ota_alg ota_kid_alg(uint8_t kid, enum ota_chk_kind kind, enum ota_alg implicit);
/* The low nibble that names alg in a KIc/KID byte (0 when it has none) */
uint8_t ota_alg_nibble(enum ota_alg alg);
/* Whether len is a valid key length for alg */
bool ota_alg_key_len_ok(enum ota_alg alg, size_t len);

struct ota_key {
	enum ota_alg alg; /* the algorithm the key is for (used when the KIc/KID nibble is 0) */
	uint8_t len;      /* 0 = no key */
	uint8_t k[OTA_KEY_MAX];
};
/* One key version of one card: KIc (ciphering), KID (integrity), KIK (key encryption, for
 * key management commands of TS 102 226). */
struct ota_keyset {
	uint8_t kvn; /* key version number 1..15, the high nibble of KIc/KID */
	struct ota_key kic, kid, kik;
};

#define OTA_F_ALLOW_DES 0x01 /* accept single DES (insecure, pre-Release 8 cards) */

/* ---- command packets --------------------------------------------------------------------- */
struct ota_cmd_params {
	uint8_t spi[2];
	uint8_t kic, kid;
	uint32_t tar; /* 24 bits */
	uint8_t cntr[OTA_CNTR_LEN];
	const uint8_t *data;
	size_t data_len;
};

/* Build a secured command packet starting at CPL. prefix: the transport bytes the integrity
 * check also covers (NULL/0 for SMS-PP, the CPI octet in USSD mode).
 * Returns 0, -EINVAL (bad keys/algorithm), -EPERM (DES without OTA_F_ALLOW_DES),
 * -ENOTSUP (DS or proprietary), -EMSGSIZE (longer than CPL allows), -ENOSPC. */
int ota_cmd_encode(struct dfs_wbuf *w, const struct ota_cmd_params *p, const struct ota_keyset *ks,
		   const uint8_t *prefix, size_t prefix_len, unsigned flags);

/* A command packet as parsed without keys: enough for the firewall (SPI, KIc, KID, TAR). */
struct ota_cmd_pkt {
	uint16_t cpl;
	uint8_t chl;
	uint8_t spi_raw[2];
	struct ota_spi spi;
	uint8_t kic, kid;
	uint32_t tar;
	size_t chk_len;            /* CHL - 13 */
	struct dfs_view hdr;       /* CPL..TAR (10 bytes) */
	struct dfs_view secured;   /* CNTR..end: ciphertext when spi.cipher */
	size_t secured_offset;     /* absolute offset of CNTR */
	/* filled when the packet is not ciphered */
	bool has_plain;
	uint8_t cntr[OTA_CNTR_LEN];
	uint8_t pcntr;
	struct dfs_view chk;       /* RC/CC/DS */
	struct dfs_view data;      /* data followed by pcntr padding bytes */
};
/* Parse a command packet starting at CPL; len must be exactly 2 + CPL. */
int ota_cmd_decode(const uint8_t *p, size_t len, size_t base, struct ota_cmd_pkt *c,
		   struct dfs_err *e);

/* Only the header (CPL..PCNTR, 16 bytes) of a command packet that may continue in further SMS
 * segments: what the SMS codec and FW-SIMJACKER need (SPI, KIc, KID, TAR). CNTR/PCNTR read as
 * they are on the wire (ciphertext when SPI b3 is set). struct ota_cmd_hdr is in sigmsg.h. */
struct ota_cmd_hdr;
int ota_cmd_hdr_decode(const uint8_t *p, size_t len, size_t base, struct ota_cmd_hdr *h,
		       struct dfs_err *e);

/* A command packet after deciphering and checking. */
struct ota_cmd_open {
	uint8_t cntr[OTA_CNTR_LEN];
	uint8_t pcntr;
	const uint8_t *data; /* into the caller's buffer (or the packet when not ciphered) */
	size_t data_len;     /* without padding */
};
/* Decipher and verify. buf (bufsz >= c->secured.len) receives the plaintext of CNTR..end; the
 * caller wipes it when the data is sensitive. Returns OTA_ST_OK, a PoR status for a failed
 * check (OTA_ST_CIPHER_ERROR, OTA_ST_RC_CC_DS_FAILED, OTA_ST_SECURITY_ERROR), or a negative
 * errno for a caller error (-ENOSPC). */
int ota_cmd_unprotect(const struct ota_cmd_pkt *c, const struct ota_keyset *ks, const uint8_t *prefix,
		      size_t prefix_len, unsigned flags, uint8_t *buf, size_t bufsz, struct ota_cmd_open *o);

/* ---- response packets (PoR) -------------------------------------------------------------- */
struct ota_rsp_params {
	uint8_t spi[2];  /* SPI of the command packet: its second octet says how to secure the PoR */
	uint8_t kic, kid;/* of the command packet */
	uint32_t tar;
	uint8_t cntr[OTA_CNTR_LEN];
	uint8_t status;  /* enum ota_status */
	const uint8_t *data;
	size_t data_len;
};
/* Build a response packet starting at RPL; prefix as for commands ("02 71 00" for SMS-PP). */
int ota_rsp_encode(struct dfs_wbuf *w, const struct ota_rsp_params *p, const struct ota_keyset *ks,
		   const uint8_t *prefix, size_t prefix_len, unsigned flags);
/* Like ota_rsp_encode but never secured: for a PoR when the keys are unknown (TAR unknown,
 * no keyset, unparseable SPI). */
int ota_rsp_encode_plain(struct dfs_wbuf *w, uint32_t tar, const uint8_t cntr[OTA_CNTR_LEN],
			 uint8_t status, const uint8_t *data, size_t data_len);

struct ota_rsp_pkt {
	uint16_t rpl;
	uint8_t rhl;
	uint32_t tar;
	size_t chk_len;          /* RHL - 10 */
	struct dfs_view hdr;     /* RPL..TAR (6 bytes) */
	struct dfs_view secured; /* CNTR..end */
	size_t secured_offset;
	/* the fields as they read when the PoR is not ciphered */
	bool has_plain;
	uint8_t cntr[OTA_CNTR_LEN];
	uint8_t pcntr, status;
	struct dfs_view chk, data;
};
/* Parse a response packet starting at RPL; len must be exactly 2 + RPL. */
int ota_rsp_decode(const uint8_t *p, size_t len, size_t base, struct ota_rsp_pkt *r,
		   struct dfs_err *e);

struct ota_rsp_open {
	uint8_t cntr[OTA_CNTR_LEN];
	uint8_t pcntr, status;
	const uint8_t *data;
	size_t data_len;
};
/* Decipher and verify a PoR, given the command's SPI/KIc/KID. Returns 0, OTA_ST_CIPHER_ERROR,
 * OTA_ST_RC_CC_DS_FAILED, OTA_ST_SECURITY_ERROR, or a negative errno. */
int ota_rsp_unprotect(const struct ota_rsp_pkt *r, const uint8_t spi[2], uint8_t kic, uint8_t kid,
		      const struct ota_keyset *ks, const uint8_t *prefix, size_t prefix_len,
		      unsigned flags, uint8_t *buf, size_t bufsz, struct ota_rsp_open *o);

/* ---- helpers ----------------------------------------------------------------------------- */
uint64_t ota_cntr_get(const uint8_t cntr[OTA_CNTR_LEN]);
void ota_cntr_put(uint8_t cntr[OTA_CNTR_LEN], uint64_t v);
#define OTA_CNTR_MAXVAL 0xffffffffffULL

/* ISO/IEC 13239 checks used as RC */
uint16_t ota_crc16(const uint8_t *p, size_t n);
uint32_t ota_crc32(const uint8_t *p, size_t n);

/* Hex text (upper or lower case, no separators) to bytes: the byte count, or -1 when the
 * text is not hex or does not fit. */
int ota_hex_decode(const char *hex, uint8_t *out, size_t outsz);

/* TS 31.115 / FW-SIMJACKER: TARs of SIM browsers that must never be reached from outside */
bool ota_tar_is_browser(uint32_t tar);

/* JSON objects for decoded packets (no keys involved). */
void ota_cmd_pkt_json(struct json_writer *j, const struct ota_cmd_pkt *c);
void ota_rsp_open_json(struct json_writer *j, uint32_t tar, const struct ota_rsp_open *o);
void ota_spi_json(struct json_writer *j, const uint8_t spi[2]);

#endif
