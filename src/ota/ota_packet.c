/* ETSI TS 102 225 / 3GPP TS 31.115 secured command and response packets. */
#include "ota_packet.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "dfs_hex.h"
#include "ota_wallet.h"
#include "sigmsg.h"

const struct value_string ota_status_names[] = {
	{OTA_ST_OK, "PoR OK"},
	{OTA_ST_RC_CC_DS_FAILED, "RC/CC/DS failed"},
	{OTA_ST_CNTR_LOW, "CNTR low"},
	{OTA_ST_CNTR_HIGH, "CNTR high"},
	{OTA_ST_CNTR_BLOCKED, "CNTR blocked"},
	{OTA_ST_CIPHER_ERROR, "ciphering error"},
	{OTA_ST_SECURITY_ERROR, "unidentified security error"},
	{OTA_ST_NO_MEMORY, "insufficient memory"},
	{OTA_ST_MORE_TIME, "more time needed"},
	{OTA_ST_TAR_UNKNOWN, "TAR unknown"},
	{OTA_ST_INSUFFICIENT_SECURITY, "insufficient security level"},
	{0, NULL},
};

const struct value_string ota_chk_kind_names[] = {
	{OTA_CHK_NONE, "none"}, {OTA_CHK_RC, "RC"}, {OTA_CHK_CC, "CC"}, {OTA_CHK_DS, "DS"}, {0, NULL},
};
const struct value_string ota_cntr_mode_names[] = {
	{OTA_CNTR_NONE, "none"},
	{OTA_CNTR_NO_CHECK, "no-check"},
	{OTA_CNTR_HIGHER, "higher"},
	{OTA_CNTR_NEXT, "one-higher"},
	{0, NULL},
};
const struct value_string ota_por_req_names[] = {
	{OTA_POR_NONE, "none"},
	{OTA_POR_ALWAYS, "always"},
	{OTA_POR_ON_ERROR, "on-error"},
	{OTA_POR_RESERVED, "reserved"},
	{0, NULL},
};
const struct value_string ota_alg_names[] = {
	{OTA_ALG_NONE, "none"},   {OTA_ALG_DES, "DES"},     {OTA_ALG_3DES2, "3DES-2key"},
	{OTA_ALG_3DES3, "3DES-3key"}, {OTA_ALG_AES, "AES"}, {OTA_ALG_CRC16, "CRC16"},
	{OTA_ALG_CRC32, "CRC32"}, {0, NULL},
};

/* ---- SPI (TS 102 225 5.1.1) -------------------------------------------------------------- */
void ota_spi_decode(const uint8_t spi[2], struct ota_spi *s)
{
	s->chk = (enum ota_chk_kind)(spi[0] & 0x03);
	s->cipher = spi[0] & 0x04;
	s->cntr = (enum ota_cntr_mode)((spi[0] >> 3) & 0x03);
	s->por = (enum ota_por_req)(spi[1] & 0x03);
	s->por_chk = (enum ota_chk_kind)((spi[1] >> 2) & 0x03);
	s->por_cipher = spi[1] & 0x10;
	s->por_submit = spi[1] & 0x20;
	s->reserved_bits = (spi[0] & 0xe0) || (spi[1] & 0xc0);
}

void ota_spi_encode(const struct ota_spi *s, uint8_t spi[2])
{
	spi[0] = (uint8_t)((s->chk & 3) | (s->cipher ? 0x04 : 0) | ((s->cntr & 3) << 3));
	spi[1] = (uint8_t)((s->por & 3) | ((s->por_chk & 3) << 2) | (s->por_cipher ? 0x10 : 0) |
			   (s->por_submit ? 0x20 : 0));
}

/* ---- algorithms (TS 102 225 5.1.2, 5.1.3) ------------------------------------------------ */
enum ota_alg ota_kic_alg(uint8_t kic, enum ota_alg implicit)
{
	switch (kic & 0x0f) {
	case 0x0:
		return implicit;
	case 0x1:
		return OTA_ALG_DES; /* DES-CBC */
	case 0x5:
		return OTA_ALG_3DES2;
	case 0x9:
		return OTA_ALG_3DES3;
	case 0x2:
		return OTA_ALG_AES;
	default: /* 0xd DES-ECB, reserved, proprietary (b2b1 = 11) */
		return OTA_ALG_NONE;
	}
}

enum ota_alg ota_kid_alg(uint8_t kid, enum ota_chk_kind kind, enum ota_alg implicit)
{
	uint8_t n = kid & 0x0f;
	if (n == 0)
		return implicit;
	if (kind == OTA_CHK_RC) { /* 5.1.3.2 */
		if (n == 0x1)
			return OTA_ALG_CRC16;
		if (n == 0x5)
			return OTA_ALG_CRC32;
		return OTA_ALG_NONE;
	}
	if (kind == OTA_CHK_CC) /* 5.1.3.1: same coding as KIc, AES = CMAC */
		return ota_kic_alg(kid, OTA_ALG_NONE);
	return OTA_ALG_NONE;
}

uint8_t ota_alg_nibble(enum ota_alg alg)
{
	switch (alg) {
	case OTA_ALG_DES:
	case OTA_ALG_CRC16:
		return 0x1;
	case OTA_ALG_3DES2:
	case OTA_ALG_CRC32:
		return 0x5;
	case OTA_ALG_3DES3:
		return 0x9;
	case OTA_ALG_AES:
		return 0x2;
	default:
		return 0x0;
	}
}

bool ota_alg_key_len_ok(enum ota_alg alg, size_t len)
{
	switch (alg) {
	case OTA_ALG_DES:
		return len == 8;
	case OTA_ALG_3DES2:
		return len == 16;
	case OTA_ALG_3DES3:
		return len == 24;
	case OTA_ALG_AES:
		return len == 16 || len == 24 || len == 32;
	default:
		return false;
	}
}

static size_t alg_block(enum ota_alg alg) { return alg == OTA_ALG_AES ? 16 : 8; }

/* Length of the RC/CC field for an integrity algorithm. */
static size_t chk_len_of(enum ota_alg alg)
{
	switch (alg) {
	case OTA_ALG_CRC16:
		return 2;
	case OTA_ALG_CRC32:
		return 4;
	case OTA_ALG_DES:
	case OTA_ALG_3DES2:
	case OTA_ALG_3DES3:
	case OTA_ALG_AES:
		return OTA_CC_LEN;
	default:
		return 0;
	}
}

/* ---- CRCs (ISO/IEC 13239, as TS 102 225 5.1.3.2 asks) ------------------------------------- */
static uint16_t crc16_update(uint16_t crc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (uint16_t)((crc >> 1) ^ 0x8408) : (uint16_t)(crc >> 1);
	}
	return crc;
}
static uint32_t crc32_update(uint32_t crc, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		crc ^= p[i];
		for (int b = 0; b < 8; b++)
			crc = (crc & 1) ? (crc >> 1) ^ 0xedb88320u : crc >> 1;
	}
	return crc;
}
uint16_t ota_crc16(const uint8_t *p, size_t n) { return (uint16_t)~crc16_update(0xffff, p, n); }
uint32_t ota_crc32(const uint8_t *p, size_t n) { return ~crc32_update(0xffffffffu, p, n); }

/* ---- block ciphers and MACs through OpenSSL EVP ------------------------------------------ */
struct seg {
	const uint8_t *p;
	size_t n;
};

static const char *cbc_cipher_name(enum ota_alg alg, size_t keylen)
{
	switch (alg) {
	case OTA_ALG_AES:
		return keylen == 16 ? "AES-128-CBC" : keylen == 24 ? "AES-192-CBC" : "AES-256-CBC";
	case OTA_ALG_3DES2:
		return "DES-EDE-CBC";
	case OTA_ALG_3DES3:
	case OTA_ALG_DES: /* single DES = EDE3 with K1 = K2 = K3; no legacy provider needed */
		return "DES-EDE3-CBC";
	default:
		return NULL;
	}
}

/* Set up a CBC context, IV 0, no padding. */
static EVP_CIPHER_CTX *cbc_ctx(enum ota_alg alg, const struct ota_key *key, int enc)
{
	const char *name = cbc_cipher_name(alg, key->len);
	uint8_t k[24];
	const uint8_t iv[16] = {0};
	EVP_CIPHER_CTX *ctx = NULL;
	EVP_CIPHER *ciph;

	if (!name || !ota_alg_key_len_ok(alg, key->len))
		return NULL;
	ciph = EVP_CIPHER_fetch(NULL, name, NULL);
	if (!ciph)
		return NULL;
	ctx = EVP_CIPHER_CTX_new();
	const uint8_t *kp = key->k;
	if (alg == OTA_ALG_DES) {
		for (int i = 0; i < 3; i++)
			memcpy(k + 8 * i, key->k, 8);
		kp = k;
	}
	if (!ctx || !EVP_CipherInit_ex2(ctx, ciph, kp, iv, enc, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0)) {
		EVP_CIPHER_CTX_free(ctx);
		ctx = NULL;
	}
	OPENSSL_cleanse(k, sizeof(k));
	EVP_CIPHER_free(ciph);
	return ctx;
}

/* CBC en/decryption of n bytes (a multiple of the block size), in place allowed. */
static int cbc_crypt(enum ota_alg alg, const struct ota_key *key, int enc, const uint8_t *in,
		     size_t n, uint8_t *out)
{
	EVP_CIPHER_CTX *ctx;
	int outl = 0, finl = 0, rc = 0;

	if (n % alg_block(alg) || n > INT32_MAX)
		return -EINVAL;
	ctx = cbc_ctx(alg, key, enc);
	if (!ctx)
		return -EINVAL;
	if (!EVP_CipherUpdate(ctx, out, &outl, in, (int)n) || !EVP_CipherFinal_ex(ctx, out + outl, &finl) ||
	    (size_t)(outl + finl) != n)
		rc = -EIO;
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* DES / 3DES CBC-MAC (ISO 9797-1 algorithm 1, padding method 1: zeros, not transmitted):
 * the last ciphertext block is the CC. */
static int cbc_mac(enum ota_alg alg, const struct ota_key *key, const struct seg *s, unsigned ns,
		   uint8_t mac[8])
{
	EVP_CIPHER_CTX *ctx = cbc_ctx(alg, key, 1);
	uint8_t out[256 + 16];
	static const uint8_t zeros[8];
	size_t total = 0;
	int outl, rc = -EIO;
	bool have = false;

	if (!ctx)
		return -EINVAL;
	for (unsigned i = 0; i <= ns; i++) {
		const uint8_t *p = i < ns ? s[i].p : zeros;
		size_t n = i < ns ? s[i].n : (8 - total % 8) % 8;
		while (n) {
			size_t chunk = n > 256 ? 256 : n;
			if (!EVP_EncryptUpdate(ctx, out, &outl, p, (int)chunk))
				goto out;
			if (outl >= 8) {
				memcpy(mac, out + outl - 8, 8);
				have = true;
			}
			p += chunk;
			n -= chunk;
			total += chunk;
		}
	}
	rc = have ? 0 : -EINVAL;
out:
	OPENSSL_cleanse(out, sizeof(out));
	EVP_CIPHER_CTX_free(ctx);
	return rc;
}

/* AES-CMAC (NIST SP 800-38B) through EVP_MAC; the CC is its first 8 bytes. */
static int aes_cmac(const struct ota_key *key, const struct seg *s, unsigned ns, uint8_t cc[8])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	uint8_t full[16];
	size_t outl = 0;
	int rc = -EIO;
	OSSL_PARAM params[2];

	if (!ctx || !ota_alg_key_len_ok(OTA_ALG_AES, key->len))
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
						     (char *)cbc_cipher_name(OTA_ALG_AES, key->len), 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key->k, key->len, params))
		goto out;
	for (unsigned i = 0; i < ns; i++)
		if (s[i].n && !EVP_MAC_update(ctx, s[i].p, s[i].n))
			goto out;
	if (!EVP_MAC_final(ctx, full, &outl, sizeof(full)) || outl != 16)
		goto out;
	memcpy(cc, full, 8);
	rc = 0;
out:
	OPENSSL_cleanse(full, sizeof(full));
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

/* Compute the RC or CC of alg over the segments into out (chk_len_of(alg) bytes). */
static int compute_chk(enum ota_alg alg, const struct ota_key *key, const struct seg *s, unsigned ns,
		       uint8_t *out)
{
	switch (alg) {
	case OTA_ALG_CRC16: {
		uint16_t c = 0xffff;
		for (unsigned i = 0; i < ns; i++)
			c = crc16_update(c, s[i].p, s[i].n);
		c = (uint16_t)~c;
		out[0] = (uint8_t)(c >> 8);
		out[1] = (uint8_t)c;
		return 0;
	}
	case OTA_ALG_CRC32: {
		uint32_t c = 0xffffffffu;
		for (unsigned i = 0; i < ns; i++)
			c = crc32_update(c, s[i].p, s[i].n);
		c = ~c;
		for (int i = 0; i < 4; i++)
			out[i] = (uint8_t)(c >> (24 - 8 * i));
		return 0;
	}
	case OTA_ALG_AES:
		return aes_cmac(key, s, ns, out);
	case OTA_ALG_DES:
	case OTA_ALG_3DES2:
	case OTA_ALG_3DES3:
		return cbc_mac(alg, key, s, ns, out);
	default:
		return -EINVAL;
	}
}

/* ---- algorithm resolution shared by encoders and verifiers -------------------------------- */
struct sec_plan {
	enum ota_alg chk_alg;    /* OTA_ALG_NONE: no RC/CC */
	size_t chk_len;
	enum ota_alg cipher_alg; /* OTA_ALG_NONE: not ciphered */
	size_t block;            /* padding multiple: 1 when not ciphered */
};

/* 3DES whose key halves repeat (K1 = K2, or K2 = K3) is single DES in disguise. */
static bool des_degenerate(enum ota_alg alg, const struct ota_key *k)
{
	if (alg == OTA_ALG_DES)
		return true;
	if (alg == OTA_ALG_3DES2)
		return !CRYPTO_memcmp(k->k, k->k + 8, 8);
	if (alg == OTA_ALG_3DES3)
		return !CRYPTO_memcmp(k->k, k->k + 8, 8) || !CRYPTO_memcmp(k->k + 8, k->k + 16, 8);
	return false;
}

/* Resolve which algorithms a secured packet uses. kind/cipher from the SPI; kid_kind is the
 * checksum kind the KID byte was coded for (the command's SPI b2b1: a PoR may ask for another).
 * Returns 0, -EPERM (DES not allowed), -ENOTSUP (DS, proprietary), -EINVAL (no usable key). */
static int plan_security(struct sec_plan *pl, enum ota_chk_kind kind, bool cipher, uint8_t kic,
			 uint8_t kid, enum ota_chk_kind kid_kind, const struct ota_keyset *ks,
			 unsigned flags)
{
	memset(pl, 0, sizeof(*pl));
	pl->block = 1;
	if (kind == OTA_CHK_DS)
		return -ENOTSUP;
	if (kind != OTA_CHK_NONE) {
		enum ota_alg implicit = ks ? ks->kid.alg : OTA_ALG_NONE;
		if (kind == kid_kind)
			pl->chk_alg = ota_kid_alg(kid, kind, implicit);
		else if (kind == OTA_CHK_RC)
			pl->chk_alg = (implicit == OTA_ALG_CRC16) ? OTA_ALG_CRC16 : OTA_ALG_CRC32;
		else
			pl->chk_alg = implicit;
		if (kind == OTA_CHK_RC && pl->chk_alg != OTA_ALG_CRC16 && pl->chk_alg != OTA_ALG_CRC32)
			return -ENOTSUP;
		if (kind == OTA_CHK_CC) {
			if (pl->chk_alg == OTA_ALG_NONE || pl->chk_alg == OTA_ALG_CRC16 ||
			    pl->chk_alg == OTA_ALG_CRC32)
				return -ENOTSUP;
			if (!ks || !ota_alg_key_len_ok(pl->chk_alg, ks->kid.len))
				return pl->chk_alg == OTA_ALG_DES && !(flags & OTA_F_ALLOW_DES) ? -EPERM : -EINVAL;
			if (des_degenerate(pl->chk_alg, &ks->kid) && !(flags & OTA_F_ALLOW_DES))
				return -EPERM;
		}
		pl->chk_len = chk_len_of(pl->chk_alg);
	}
	if (cipher) {
		pl->cipher_alg = ota_kic_alg(kic, ks ? ks->kic.alg : OTA_ALG_NONE);
		if (pl->cipher_alg == OTA_ALG_NONE || pl->cipher_alg == OTA_ALG_CRC16 ||
		    pl->cipher_alg == OTA_ALG_CRC32)
			return -ENOTSUP;
		if (!ks || !ota_alg_key_len_ok(pl->cipher_alg, ks->kic.len))
			return pl->cipher_alg == OTA_ALG_DES && !(flags & OTA_F_ALLOW_DES) ? -EPERM : -EINVAL;
		if (des_degenerate(pl->cipher_alg, &ks->kic) && !(flags & OTA_F_ALLOW_DES))
			return -EPERM;
		pl->block = alg_block(pl->cipher_alg);
	}
	return 0;
}

static void put_tar(uint8_t *p, uint32_t tar)
{
	p[0] = (uint8_t)(tar >> 16);
	p[1] = (uint8_t)(tar >> 8);
	p[2] = (uint8_t)tar;
}
static uint32_t get_tar(const uint8_t *p) { return ((uint32_t)p[0] << 16) | ((uint32_t)p[1] << 8) | p[2]; }

/* Shared tail of both encoders: pkt holds hdr_len header bytes, then the secured part
 * (CNTR ... [chk placeholder] data padding). Fill in the checksum, then cipher. */
static int seal(const struct sec_plan *pl, const struct ota_keyset *ks, const uint8_t *prefix,
		size_t prefix_len, uint8_t *pkt, size_t plain_hdr_len, size_t total, size_t clear_len)
{
	/* plain_hdr_len: bytes from RPL/CPL up to PCNTR/STATUS; the chk follows them */
	if (pl->chk_alg != OTA_ALG_NONE) {
		struct seg s[3] = {{prefix, prefix_len},
				   {pkt, plain_hdr_len},
				   {pkt + plain_hdr_len + pl->chk_len, total - plain_hdr_len - pl->chk_len}};
		int rc = compute_chk(pl->chk_alg, &ks->kid, s, 3, pkt + plain_hdr_len);
		if (rc)
			return rc;
	}
	if (pl->cipher_alg != OTA_ALG_NONE)
		return cbc_crypt(pl->cipher_alg, &ks->kic, 1, pkt + clear_len, total - clear_len,
				 pkt + clear_len);
	return 0;
}

/* ---- command packets (TS 102 225 5.1.1) -------------------------------------------------- */
int ota_cmd_encode(struct dfs_wbuf *w, const struct ota_cmd_params *p, const struct ota_keyset *ks,
		   const uint8_t *prefix, size_t prefix_len, unsigned flags)
{
	struct ota_spi spi;
	struct sec_plan pl;
	int rc;

	ota_spi_decode(p->spi, &spi);
	if (spi.reserved_bits || p->tar > 0xffffff)
		return -EINVAL;
	rc = plan_security(&pl, spi.chk, spi.cipher, p->kic, p->kid, spi.chk, ks, flags);
	if (rc)
		return rc;
	size_t secured = OTA_CNTR_LEN + 1 + pl.chk_len + p->data_len;
	size_t pcntr = (pl.block - secured % pl.block) % pl.block;
	size_t cpl = 1 + 13 + pl.chk_len + p->data_len + pcntr;
	if (cpl > 0xffff)
		return -EMSGSIZE;
	if (w->overflow || w->cap - w->len < 2 + cpl) {
		w->overflow = 1;
		return -ENOSPC;
	}
	uint8_t *pkt = w->p + w->len;
	pkt[0] = (uint8_t)(cpl >> 8);
	pkt[1] = (uint8_t)cpl;
	pkt[2] = (uint8_t)(13 + pl.chk_len);
	pkt[3] = p->spi[0];
	pkt[4] = p->spi[1];
	pkt[5] = p->kic;
	pkt[6] = p->kid;
	put_tar(pkt + 7, p->tar);
	memcpy(pkt + 10, p->cntr, OTA_CNTR_LEN);
	pkt[15] = (uint8_t)pcntr;
	memset(pkt + OTA_CMD_HDR_LEN, 0, pl.chk_len);
	if (p->data_len)
		memcpy(pkt + OTA_CMD_HDR_LEN + pl.chk_len, p->data, p->data_len);
	memset(pkt + OTA_CMD_HDR_LEN + pl.chk_len + p->data_len, 0, pcntr);
	rc = seal(&pl, ks, prefix, prefix_len, pkt, OTA_CMD_HDR_LEN, 2 + cpl, 10);
	if (rc) {
		memset(pkt, 0, 2 + cpl);
		return rc;
	}
	w->len += 2 + cpl;
	return 0;
}

/* TS 31.115 4.2 / 4.4: the packet length (CPL, RPL) and the header length (CHL, RHL) that
 * start command and response packets. */
struct ota_length_fields {
	const char *pl, *hl;             /* field names */
	const char *pl_short, *hl_short; /* the reasons, static text */
	uint8_t hl_min;
};
static const struct ota_length_fields cmd_lengths = {"CPL", "CHL", "packet shorter than CPL",
						     "shorter than 13", 13};
static const struct ota_length_fields rsp_lengths = {"RPL", "RHL", "packet shorter than RPL",
						     "shorter than 10", 10};

static int ota_lengths(const uint8_t *p, size_t len, size_t base, const struct ota_length_fields *f,
		       uint16_t *pl, uint8_t *hl, struct dfs_err *e)
{
	if (len < 2)
		return dfs_err_set(e, "ota", f->pl, base, "truncated");
	*pl = (uint16_t)((p[0] << 8) | p[1]);
	if ((size_t)*pl + 2 > len)
		return dfs_err_set(e, "ota", f->pl, base, f->pl_short);
	if ((size_t)*pl + 2 < len)
		return dfs_err_set(e, "ota", f->pl, base, "bytes after the packet");
	if (len < 3)
		return dfs_err_set(e, "ota", f->hl, base + 2, "truncated");
	*hl = p[2];
	if (*hl < f->hl_min)
		return dfs_err_set(e, "ota", f->hl, base + 2, f->hl_short);
	if ((size_t)*hl + 1 > *pl)
		return dfs_err_set(e, "ota", f->hl, base + 2, "header longer than the packet");
	return 0;
}

int ota_cmd_decode(const uint8_t *p, size_t len, size_t base, struct ota_cmd_pkt *c,
		   struct dfs_err *e)
{
	memset(c, 0, sizeof(*c));
	int rc = ota_lengths(p, len, base, &cmd_lengths, &c->cpl, &c->chl, e);
	if (rc)
		return rc;
	c->spi_raw[0] = p[3];
	c->spi_raw[1] = p[4];
	ota_spi_decode(c->spi_raw, &c->spi);
	c->kic = p[5];
	c->kid = p[6];
	c->tar = get_tar(p + 7);
	c->chk_len = (size_t)c->chl - 13;
	c->hdr.p = p;
	c->hdr.len = 10;
	c->secured.p = p + 10;
	c->secured.len = len - 10;
	c->secured_offset = base + 10;
	if (c->spi.cipher)
		return 0;
	/* not ciphered: the rest reads in clear */
	memcpy(c->cntr, p + 10, OTA_CNTR_LEN);
	c->pcntr = p[15];
	c->chk.p = p + OTA_CMD_HDR_LEN;
	c->chk.len = c->chk_len;
	c->data.p = p + OTA_CMD_HDR_LEN + c->chk_len;
	c->data.len = len - OTA_CMD_HDR_LEN - c->chk_len;
	/* more padding than data: structurally fine, the receiver reports it (after RC/CC) */
	c->has_plain = c->pcntr <= c->data.len;
	return 0;
}

int ota_cmd_hdr_decode(const uint8_t *p, size_t len, size_t base, struct ota_cmd_hdr *h,
		       struct dfs_err *e)
{
	static const char *const names[] = {"CPL", "CPL", "CHL", "SPI", "SPI", "KIc", "KID", "TAR", "TAR",
					    "TAR", "CNTR", "CNTR", "CNTR", "CNTR", "CNTR", "PCNTR"};
	memset(h, 0, sizeof(*h));
	if (len < OTA_CMD_HDR_LEN)
		return dfs_err_set(e, "ota", names[len], base + len, "truncated");
	h->cpl = (uint16_t)((p[0] << 8) | p[1]);
	h->chl = p[2];
	if (h->chl < 13 || (size_t)h->chl + 1 > h->cpl)
		return dfs_err_set(e, "ota", "CHL", base + 2, "inconsistent with CPL");
	h->spi[0] = p[3];
	h->spi[1] = p[4];
	h->kic = p[5];
	h->kid = p[6];
	h->tar = get_tar(p + 7);
	memcpy(h->cntr, p + 10, OTA_CNTR_LEN);
	h->pcntr = p[15];
	return 0;
}

/* Map a plan_security() failure to the PoR status a receiving entity reports. */
static int plan_status(int rc) { return rc == -ENOSPC ? rc : OTA_ST_SECURITY_ERROR; }

/* Decipher secured (len n) into buf and verify the checksum; the fields start at buf.
 * fixed: the header bytes before CNTR (CPL..TAR or RPL..TAR); nclear_fields: CNTR+PCNTR(+STATUS). */
static int open_secured(const struct sec_plan *pl, const struct ota_keyset *ks, const uint8_t *prefix,
			size_t prefix_len, const struct dfs_view *fixed, const struct dfs_view *secured,
			size_t nfields, size_t chk_len, uint8_t *buf, size_t bufsz, size_t *pad_out)
{
	if (bufsz < secured->len)
		return -ENOSPC;
	if (pl->chk_len != chk_len)
		return OTA_ST_SECURITY_ERROR;
	if (pl->cipher_alg != OTA_ALG_NONE) {
		if (secured->len % pl->block || secured->len < nfields + chk_len)
			return OTA_ST_CIPHER_ERROR;
		if (cbc_crypt(pl->cipher_alg, &ks->kic, 0, secured->p, secured->len, buf))
			return OTA_ST_CIPHER_ERROR;
	} else {
		if (secured->len < nfields + chk_len)
			return OTA_ST_SECURITY_ERROR;
		if (secured->len)
			memcpy(buf, secured->p, secured->len);
	}
	size_t pcntr = buf[OTA_CNTR_LEN];
	size_t rest = secured->len - nfields - chk_len;
	/* The RC/CC covers data and padding whatever PCNTR says, so it is checked first: a changed
	 * byte anywhere reads as RC/CC failed, not as a padding error. */
	if (pl->chk_alg != OTA_ALG_NONE) {
		uint8_t want[OTA_CHK_MAX];
		struct seg s[4] = {{prefix, prefix_len},
				   {fixed->p, fixed->len},
				   {buf, nfields},
				   {buf + nfields + chk_len, rest}};
		int rc = compute_chk(pl->chk_alg, &ks->kid, s, 4, want);
		if (rc)
			return OTA_ST_SECURITY_ERROR;
		if (CRYPTO_memcmp(want, buf + nfields, chk_len))
			return OTA_ST_RC_CC_DS_FAILED;
	}
	if (pcntr > rest || (pl->cipher_alg != OTA_ALG_NONE && pcntr >= pl->block))
		return pl->cipher_alg != OTA_ALG_NONE ? OTA_ST_CIPHER_ERROR : OTA_ST_SECURITY_ERROR;
	*pad_out = pcntr;
	return OTA_ST_OK;
}

int ota_cmd_unprotect(const struct ota_cmd_pkt *c, const struct ota_keyset *ks, const uint8_t *prefix,
		      size_t prefix_len, unsigned flags, uint8_t *buf, size_t bufsz, struct ota_cmd_open *o)
{
	struct sec_plan pl;
	size_t pad;
	int rc;

	memset(o, 0, sizeof(*o));
	rc = plan_security(&pl, c->spi.chk, c->spi.cipher, c->kic, c->kid, c->spi.chk, ks, flags);
	if (rc)
		return plan_status(rc);
	rc = open_secured(&pl, ks, prefix, prefix_len, &c->hdr, &c->secured, OTA_CNTR_LEN + 1,
			  c->chk_len, buf, bufsz, &pad);
	if (rc)
		return rc;
	memcpy(o->cntr, buf, OTA_CNTR_LEN);
	o->pcntr = buf[OTA_CNTR_LEN];
	o->data = buf + OTA_CNTR_LEN + 1 + c->chk_len;
	o->data_len = c->secured.len - OTA_CNTR_LEN - 1 - c->chk_len - pad;
	return OTA_ST_OK;
}

/* ---- response packets (TS 102 225 5.2.1) ------------------------------------------------- */
static int rsp_write(struct dfs_wbuf *w, const struct sec_plan *pl, const struct ota_keyset *ks,
		     const uint8_t *prefix, size_t prefix_len, uint32_t tar, const uint8_t cntr[OTA_CNTR_LEN],
		     uint8_t status, const uint8_t *data, size_t data_len)
{
	size_t secured = OTA_CNTR_LEN + 2 + pl->chk_len + data_len;
	size_t pcntr = (pl->block - secured % pl->block) % pl->block;
	size_t rpl = 1 + 3 + secured + pcntr;

	if (tar > 0xffffff)
		return -EINVAL;
	if (rpl > 0xffff)
		return -EMSGSIZE;
	if (w->overflow || w->cap - w->len < 2 + rpl) {
		w->overflow = 1;
		return -ENOSPC;
	}
	uint8_t *pkt = w->p + w->len;
	pkt[0] = (uint8_t)(rpl >> 8);
	pkt[1] = (uint8_t)rpl;
	pkt[2] = (uint8_t)(10 + pl->chk_len);
	put_tar(pkt + 3, tar);
	memcpy(pkt + 6, cntr, OTA_CNTR_LEN);
	pkt[11] = (uint8_t)pcntr;
	pkt[12] = status;
	memset(pkt + OTA_RSP_HDR_LEN, 0, pl->chk_len);
	if (data_len)
		memcpy(pkt + OTA_RSP_HDR_LEN + pl->chk_len, data, data_len);
	memset(pkt + OTA_RSP_HDR_LEN + pl->chk_len + data_len, 0, pcntr);
	int rc = seal(pl, ks, prefix, prefix_len, pkt, OTA_RSP_HDR_LEN, 2 + rpl, 6);
	if (rc) {
		memset(pkt, 0, 2 + rpl);
		return rc;
	}
	w->len += 2 + rpl;
	return 0;
}

int ota_rsp_encode(struct dfs_wbuf *w, const struct ota_rsp_params *p, const struct ota_keyset *ks,
		   const uint8_t *prefix, size_t prefix_len, unsigned flags)
{
	struct ota_spi spi;
	struct sec_plan pl;
	int rc;

	ota_spi_decode(p->spi, &spi);
	rc = plan_security(&pl, spi.por_chk, spi.por_cipher, p->kic, p->kid, spi.chk, ks, flags);
	if (rc)
		return rc;
	return rsp_write(w, &pl, ks, prefix, prefix_len, p->tar, p->cntr, p->status, p->data, p->data_len);
}

int ota_rsp_encode_plain(struct dfs_wbuf *w, uint32_t tar, const uint8_t cntr[OTA_CNTR_LEN],
			 uint8_t status, const uint8_t *data, size_t data_len)
{
	struct sec_plan pl = {.block = 1};
	return rsp_write(w, &pl, NULL, NULL, 0, tar, cntr, status, data, data_len);
}

int ota_rsp_decode(const uint8_t *p, size_t len, size_t base, struct ota_rsp_pkt *r,
		   struct dfs_err *e)
{
	memset(r, 0, sizeof(*r));
	int rc = ota_lengths(p, len, base, &rsp_lengths, &r->rpl, &r->rhl, e);
	if (rc)
		return rc;
	r->tar = get_tar(p + 3);
	r->chk_len = (size_t)r->rhl - 10;
	r->hdr.p = p;
	r->hdr.len = 6;
	r->secured.p = p + 6;
	r->secured.len = len - 6;
	r->secured_offset = base + 6;
	/* the fields as they read in clear (meaningless when the PoR is ciphered) */
	memcpy(r->cntr, p + 6, OTA_CNTR_LEN);
	r->pcntr = p[11];
	r->status = p[12];
	r->chk.p = p + OTA_RSP_HDR_LEN;
	r->chk.len = r->chk_len;
	r->data.p = p + OTA_RSP_HDR_LEN + r->chk_len;
	r->data.len = len - OTA_RSP_HDR_LEN - r->chk_len;
	r->has_plain = r->pcntr <= r->data.len;
	return 0;
}

int ota_rsp_unprotect(const struct ota_rsp_pkt *r, const uint8_t spi_raw[2], uint8_t kic, uint8_t kid,
		      const struct ota_keyset *ks, const uint8_t *prefix, size_t prefix_len,
		      unsigned flags, uint8_t *buf, size_t bufsz, struct ota_rsp_open *o)
{
	struct ota_spi spi;
	struct sec_plan pl;
	size_t pad;
	int rc;

	memset(o, 0, sizeof(*o));
	ota_spi_decode(spi_raw, &spi);
	rc = plan_security(&pl, spi.por_chk, spi.por_cipher, kic, kid, spi.chk, ks, flags);
	if (rc)
		return plan_status(rc);
	rc = open_secured(&pl, ks, prefix, prefix_len, &r->hdr, &r->secured, OTA_CNTR_LEN + 2,
			  r->chk_len, buf, bufsz, &pad);
	if (rc)
		return rc;
	memcpy(o->cntr, buf, OTA_CNTR_LEN);
	o->pcntr = buf[OTA_CNTR_LEN];
	o->status = buf[OTA_CNTR_LEN + 1];
	o->data = buf + OTA_CNTR_LEN + 2 + r->chk_len;
	o->data_len = r->secured.len - OTA_CNTR_LEN - 2 - r->chk_len - pad;
	return 0;
}

/* ---- helpers ----------------------------------------------------------------------------- */
uint64_t ota_cntr_get(const uint8_t cntr[OTA_CNTR_LEN])
{
	uint64_t v = 0;
	for (int i = 0; i < OTA_CNTR_LEN; i++)
		v = (v << 8) | cntr[i];
	return v;
}

void ota_cntr_put(uint8_t cntr[OTA_CNTR_LEN], uint64_t v)
{
	for (int i = OTA_CNTR_LEN - 1; i >= 0; i--) {
		cntr[i] = (uint8_t)v;
		v >>= 8;
	}
}

int ota_hex_decode(const char *hex, uint8_t *out, size_t outsz)
{
	int n = dfs_hex_decode(hex, out, outsz);
	return n < 0 ? -1 : n;
}

bool ota_tar_is_browser(uint32_t tar)
{
	return tar == 0x505348 || tar == 0x534054 || (tar >= 0x000001 && tar <= 0x000009) ||
	       (tar & 0xffff00) == 0xbfff00;
}

static void json_tar(struct json_writer *j, uint32_t tar)
{
	char s[8];
	snprintf(s, sizeof(s), "%06x", tar & 0xffffff);
	json_kv_str(j, "tar", s);
}

void ota_spi_json(struct json_writer *j, const uint8_t spi_raw[2])
{
	struct ota_spi s;
	ota_spi_decode(spi_raw, &s);
	json_obj_begin(j);
	json_kv_str(j, "integrity", get_value_string(ota_chk_kind_names, s.chk));
	json_kv_bool(j, "ciphering", s.cipher);
	json_kv_str(j, "counter", get_value_string(ota_cntr_mode_names, s.cntr));
	json_kv_str(j, "por", get_value_string(ota_por_req_names, s.por));
	json_kv_str(j, "por_integrity", get_value_string(ota_chk_kind_names, s.por_chk));
	json_kv_bool(j, "por_ciphered", s.por_cipher);
	json_kv_str(j, "por_via", s.por_submit ? "SMS-SUBMIT" : "SMS-DELIVER-REPORT");
	if (s.reserved_bits)
		json_kv_bool(j, "reserved_bits", true);
	json_obj_end(j);
}

void ota_cmd_pkt_json(struct json_writer *j, const struct ota_cmd_pkt *c)
{
	json_obj_begin(j);
	json_kv_uint(j, "cpl", c->cpl);
	json_kv_uint(j, "chl", c->chl);
	json_kv_hex(j, "spi", c->spi_raw, 2);
	json_key(j, "spi_fields");
	ota_spi_json(j, c->spi_raw);
	json_kv_hex(j, "kic", &c->kic, 1);
	json_kv_hex(j, "kid", &c->kid, 1);
	json_tar(j, c->tar);
	json_kv_bool(j, "browser_tar", ota_tar_is_browser(c->tar));
	json_kv_bool(j, "no_security", c->spi_raw[0] == 0 && c->spi_raw[1] == 0);
	if (c->has_plain) {
		json_kv_uint(j, "cntr", ota_cntr_get(c->cntr));
		json_kv_uint(j, "pcntr", c->pcntr);
		json_kv_hex(j, "chk", c->chk.p, c->chk.len);
		ota_app_data_json(j, "data", c->data.p, c->data.len - c->pcntr);
	} else {
		json_kv_hex(j, "ciphertext", c->secured.p, c->secured.len);
	}
	json_obj_end(j);
}

void ota_rsp_open_json(struct json_writer *j, uint32_t tar, const struct ota_rsp_open *o)
{
	json_obj_begin(j);
	json_tar(j, tar);
	json_kv_uint(j, "cntr", ota_cntr_get(o->cntr));
	json_kv_uint(j, "pcntr", o->pcntr);
	json_kv_uint(j, "status", o->status);
	json_kv_str(j, "status_name", get_value_string(ota_status_names, o->status));
	json_kv_hex(j, "data", o->data, o->data_len);
	json_obj_end(j);
}
