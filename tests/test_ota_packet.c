/* TS 102 225 secured packets: the known-answer vectors of ../shared/vectors/ota-kat.md, random
 * round trips over every algorithm and SPI combination, tamper detection, truncation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "ota_packet.h"
#include "sigmsg.h"
#include "ota_test_util.h"

static const char *kat_md;

static const char SELECT_MF[] = "00a40004023f00";

struct cmd_kat {
	const char *name, *spi;
	uint8_t kic_kid;
	bool aes;
	const char *packet;
	uint8_t pcntr;
	const char *cc;
};
static const struct cmd_kat cmd_kats[] = {
	{"aes-cc-cipher", "0619", 0x22, true,
	 "00281506192222b00011e87cceebb2d93083011ce294f93fc4d8de80da1abae8c37ca3e72ec4432e5058", 0x0b,
	 "ecbab1f8f55502c5"},
	{"3des-cc-cipher", "0619", 0x35, false,
	 "00201506193535b00011ae733256918d050b87c94fbfe12e4dc402f262c41cf67f2f", 0x03, "04ceaed74c102a01"},
	{"3des por-cc", "0609", 0x35, false,
	 "00201506093535b00011c49ac91ab8159ba5b83a54fb6385e0a5e31694f8b215fafc", 0x03, NULL},
	{"3des no-por-cc", "0601", 0x35, false,
	 "00201506013535b000113190be334900f52b025f3f7eddfe868e96ebf310023b7769", 0x03, NULL},
};

struct rsp_kat {
	const char *name, *spi;
	uint8_t kic_kid;
	int keys; /* 0 none, 1 AES, 2 3DES */
	const char *por;
	uint8_t pcntr;
	const char *cc;
};
static const struct rsp_kat rsp_kats[] = {
	{"aes", "0619", 0x22, 1,
	 "027100002412b00011ebc6b497e2cad7aedf36ace0e3a29b38853f0fe9ccde81913be5702b73abce1f", 0x0e,
	 "34d237db461c150b"},
	{"3des ciphered+CC", "0619", 0x35, 2,
	 "027100001c12b000118bb989492c632529326a2f4681feb37c825bc9021c9f6d0b", 6, NULL},
	{"3des CC only", "0609", 0x35, 2, "027100001612b0001100000000000000b5bcd6353a421fae016132", 0,
	 "b5bcd6353a421fae"},
	{"no security", "0601", 0x35, 0, "027100000e0ab0001100000000000000016132", 0, NULL},
};

static const uint8_t SMS_POR_UDH[3] = {0x02, 0x71, 0x00};

static void kat_keys(bool aes, struct ota_keyset *ks)
{
	if (aes)
		t_kat_aes(ks);
	else
		t_kat_3des(ks);
}

static void test_vectors_are_in_shared_file(void **state)
{
	for (size_t i = 0; i < sizeof(cmd_kats) / sizeof(cmd_kats[0]); i++)
		assert_non_null(strstr(kat_md, cmd_kats[i].packet));
	for (size_t i = 0; i < sizeof(rsp_kats) / sizeof(rsp_kats[0]); i++)
		assert_non_null(strstr(kat_md, rsp_kats[i].por));
}

static void test_cmd_kat_encode(void **state)
{
	for (size_t i = 0; i < sizeof(cmd_kats) / sizeof(cmd_kats[0]); i++) {
		const struct cmd_kat *k = &cmd_kats[i];
		struct ota_keyset ks;
		uint8_t data[16], out[128], want[128];
		struct ota_cmd_params p = {.kic = k->kic_kid, .kid = k->kic_kid, .tar = 0xb00011};
		kat_keys(k->aes, &ks);
		t_hex(k->spi, p.spi, 2);
		p.data = data;
		p.data_len = t_hex(SELECT_MF, data, sizeof(data));
		struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
		assert_int_equal(ota_cmd_encode(&w, &p, &ks, NULL, 0, 0), 0);
		size_t n = t_hex(k->packet, want, sizeof(want));
		assert_int_equal(w.len, n);
		assert_memory_equal(out, want, n);
	}
}

static void test_cmd_kat_decode(void **state)
{
	for (size_t i = 0; i < sizeof(cmd_kats) / sizeof(cmd_kats[0]); i++) {
		const struct cmd_kat *k = &cmd_kats[i];
		struct ota_keyset ks;
		uint8_t pkt[128], buf[128], data[16], cc[8];
		struct ota_cmd_pkt c;
		struct ota_cmd_open o;
		struct dfs_err e;
		kat_keys(k->aes, &ks);
		size_t n = t_hex(k->packet, pkt, sizeof(pkt));
		assert_int_equal(ota_cmd_decode(pkt, n, 3, &c, &e), 0);
		assert_int_equal(c.tar, 0xb00011);
		assert_int_equal(c.kic, k->kic_kid);
		assert_true(c.spi.cipher);
		assert_int_equal(c.spi.chk, OTA_CHK_CC);
		assert_int_equal(c.chk_len, 8);
		assert_false(c.has_plain);
		assert_int_equal(ota_cmd_unprotect(&c, &ks, NULL, 0, 0, buf, sizeof(buf), &o), OTA_ST_OK);
		assert_int_equal(ota_cntr_get(o.cntr), 0);
		assert_int_equal(o.pcntr, k->pcntr);
		size_t dn = t_hex(SELECT_MF, data, sizeof(data));
		assert_int_equal(o.data_len, dn);
		assert_memory_equal(o.data, data, dn);
		if (k->cc) { /* the intermediate CC of ota-kat.md sits between PCNTR and the data */
			t_hex(k->cc, cc, sizeof(cc));
			assert_memory_equal(buf + 6, cc, 8);
		}
	}
}

static void test_aes_intermediate_cmac(void **state)
{
	/* ota-kat.md: AES-CMAC over the integrity input is ecbab1f8f55502c5b8fb0aed9e6fcae4; with
	 * the command sent unciphered (SPI 0x0201 analog), the CC must be its first 8 bytes. The
	 * integrity input of a ciphered packet is the same apart from SPI, so check the plaintext
	 * the vector gives instead. */
	const char *plain = "00000000000becbab1f8f55502c500a40004023f000000000000000000000000";
	uint8_t pkt[128], buf[128], want[64];
	struct ota_keyset ks;
	struct ota_cmd_pkt c;
	struct ota_cmd_open o;
	t_kat_aes(&ks);
	size_t n = t_hex(cmd_kats[0].packet, pkt, sizeof(pkt));
	assert_int_equal(ota_cmd_decode(pkt, n, 0, &c, NULL), 0);
	assert_int_equal(ota_cmd_unprotect(&c, &ks, NULL, 0, 0, buf, sizeof(buf), &o), OTA_ST_OK);
	size_t wn = t_hex(plain, want, sizeof(want));
	assert_int_equal(c.secured.len, wn);
	assert_memory_equal(buf, want, wn);
}

static void test_rsp_kat(void **state)
{
	for (size_t i = 0; i < sizeof(rsp_kats) / sizeof(rsp_kats[0]); i++) {
		const struct rsp_kat *k = &rsp_kats[i];
		struct ota_keyset ks;
		uint8_t por[128], buf[128], spi[2], out[128], cc[8];
		struct ota_rsp_pkt r;
		struct ota_rsp_open o;
		struct dfs_err e;
		kat_keys(k->keys == 1, &ks);
		t_hex(k->spi, spi, 2);
		size_t n = t_hex(k->por, por, sizeof(por));
		assert_memory_equal(por, SMS_POR_UDH, 3);
		assert_int_equal(ota_rsp_decode(por + 3, n - 3, 3, &r, &e), 0);
		assert_int_equal(r.tar, 0xb00011);
		assert_int_equal(ota_rsp_unprotect(&r, spi, k->kic_kid, k->kic_kid, k->keys ? &ks : NULL,
						   SMS_POR_UDH, 3, 0, buf, sizeof(buf), &o),
				 0);
		assert_int_equal(o.status, OTA_ST_OK);
		assert_int_equal(ota_cntr_get(o.cntr), 0);
		assert_int_equal(o.pcntr, k->pcntr);
		assert_int_equal(o.data_len, 3);
		assert_memory_equal(o.data, "\x01\x61\x32", 3);
		if (k->cc) {
			t_hex(k->cc, cc, 8);
			assert_memory_equal(buf + 7, cc, 8);
		}
		/* and the encoder produces the same bytes */
		struct ota_rsp_params p = {.kic = k->kic_kid, .kid = k->kic_kid, .tar = 0xb00011,
					   .status = 0, .data = (const uint8_t *)"\x01\x61\x32", .data_len = 3};
		memcpy(p.spi, spi, 2);
		struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
		dfs_wbuf_put(&w, SMS_POR_UDH, 3);
		assert_int_equal(ota_rsp_encode(&w, &p, k->keys ? &ks : NULL, SMS_POR_UDH, 3, 0), 0);
		assert_int_equal(w.len, n);
		assert_memory_equal(out, por, n);
	}
}

/* ota-kat.md: flip any bit of the "3des CC only" PoR and the check must fail. */
static void test_rsp_bitflip(void **state)
{
	const struct rsp_kat *k = &rsp_kats[2];
	struct ota_keyset ks;
	uint8_t por[64], buf[64], spi[2];
	t_kat_3des(&ks);
	t_hex(k->spi, spi, 2);
	size_t n = t_hex(k->por, por, sizeof(por));
	for (size_t bit = 0; bit < n * 8; bit++) {
		struct ota_rsp_pkt r;
		struct ota_rsp_open o;
		por[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		int rc = -1;
		if (ota_rsp_decode(por + 3, n - 3, 3, &r, NULL) == 0)
			rc = ota_rsp_unprotect(&r, spi, 0x35, 0x35, &ks, por, 3, 0, buf, sizeof(buf), &o);
		assert_int_not_equal(rc, 0);
		por[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
}

static void test_cmd_bitflip(void **state)
{
	for (size_t i = 0; i < sizeof(cmd_kats) / sizeof(cmd_kats[0]); i++) {
		struct ota_keyset ks;
		uint8_t pkt[128], buf[128];
		kat_keys(cmd_kats[i].aes, &ks);
		size_t n = t_hex(cmd_kats[i].packet, pkt, sizeof(pkt));
		for (size_t bit = 0; bit < n * 8; bit++) {
			struct ota_cmd_pkt c;
			struct ota_cmd_open o;
			pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			int rc = -1;
			if (ota_cmd_decode(pkt, n, 0, &c, NULL) == 0)
				rc = ota_cmd_unprotect(&c, &ks, NULL, 0, 0, buf, sizeof(buf), &o);
			assert_int_not_equal(rc, OTA_ST_OK);
			pkt[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
	}
}

/* Every truncation of a valid packet gives a clean decode error with an offset inside it. */
static void test_truncation(void **state)
{
	uint8_t pkt[128];
	for (size_t i = 0; i < sizeof(cmd_kats) / sizeof(cmd_kats[0]); i++) {
		size_t n = t_hex(cmd_kats[i].packet, pkt, sizeof(pkt));
		for (size_t cut = 0; cut < n; cut++) {
			struct ota_cmd_pkt c;
			struct dfs_err e = {0};
			assert_int_equal(ota_cmd_decode(pkt, cut, 100, &c, &e), -EBADMSG);
			assert_string_equal(e.layer, "ota");
			assert_true(e.offset >= 100 && e.offset <= 100 + n);
		}
	}
	for (size_t i = 0; i < sizeof(rsp_kats) / sizeof(rsp_kats[0]); i++) {
		size_t n = t_hex(rsp_kats[i].por, pkt, sizeof(pkt));
		for (size_t cut = 3; cut < n; cut++) {
			struct ota_rsp_pkt r;
			struct dfs_err e = {0};
			assert_int_equal(ota_rsp_decode(pkt + 3, cut - 3, 3, &r, &e), -EBADMSG);
			assert_non_null(e.field);
		}
	}
}

static const enum ota_alg cipher_algs[] = {OTA_ALG_DES, OTA_ALG_3DES2, OTA_ALG_3DES3, OTA_ALG_AES};

static void random_key(struct ota_key *k, enum ota_alg alg)
{
	static const uint8_t aes_lens[] = {16, 24, 32};
	k->alg = alg;
	switch (alg) {
	case OTA_ALG_DES: k->len = 8; break;
	case OTA_ALG_3DES2: k->len = 16; break;
	case OTA_ALG_3DES3: k->len = 24; break;
	case OTA_ALG_AES: k->len = aes_lens[randombytes_uniform(3)]; break;
	default: k->len = 0; break;
	}
	randombytes_buf(k->k, k->len);
}

/* Round trips: every SPI integrity kind x cipher x counter mode x PoR setting, every algorithm,
 * random keys, data lengths 0..300, through command and response packets. */
static void test_round_trips(void **state)
{
	unsigned combos = 0;
	for (int chk = 0; chk <= 2; chk++)
		for (int ciph = 0; ciph <= 1; ciph++)
			for (int cm = 0; cm <= 3; cm++)
				for (int por_chk = 0; por_chk <= 2; por_chk++)
					for (int por_ciph = 0; por_ciph <= 1; por_ciph++)
						for (size_t ia = 0; ia < 4; ia++)
							for (int rc_alg = 0; rc_alg <= 1; rc_alg++) {
		enum ota_alg ca = cipher_algs[ia];
		struct ota_keyset ks = {.kvn = 1};
		struct ota_spi s = {.chk = chk, .cipher = ciph, .cntr = cm, .por = OTA_POR_ALWAYS,
				    .por_chk = por_chk, .por_cipher = por_ciph};
		struct ota_cmd_params p = {.tar = randombytes_uniform(0x1000000)};
		uint8_t data[300], pkt[400], buf[400], rsp[400];
		enum ota_alg kida = chk == OTA_CHK_RC ? (rc_alg ? OTA_ALG_CRC32 : OTA_ALG_CRC16) : ca;
		if (chk == OTA_CHK_RC && ia)
			continue; /* the cipher loop adds nothing to RC */
		random_key(&ks.kic, ca);
		random_key(&ks.kid, chk == OTA_CHK_RC ? ca : ca);
		ota_spi_encode(&s, p.spi);
		p.kic = (uint8_t)(0x10 | ota_alg_nibble(ca));
		p.kid = (uint8_t)(0x10 | ota_alg_nibble(kida));
		p.data_len = randombytes_uniform(sizeof(data) + 1);
		randombytes_buf(data, p.data_len);
		randombytes_buf(p.cntr, sizeof(p.cntr));
		p.data = data;
		struct dfs_wbuf w = dfs_wbuf_init(pkt, sizeof(pkt));
		assert_int_equal(ota_cmd_encode(&w, &p, &ks, (const uint8_t *)"\x70", 1, OTA_F_ALLOW_DES), 0);
		/* DES only with the explicit flag */
		struct dfs_wbuf w2 = dfs_wbuf_init(rsp, sizeof(rsp));
		if (ca == OTA_ALG_DES && (ciph || chk == OTA_CHK_CC))
			assert_int_equal(ota_cmd_encode(&w2, &p, &ks, NULL, 0, 0), -EPERM);

		struct ota_cmd_pkt c;
		struct ota_cmd_open o;
		assert_int_equal(ota_cmd_decode(pkt, w.len, 0, &c, NULL), 0);
		assert_int_equal(c.tar, p.tar);
		assert_int_equal(ota_cmd_unprotect(&c, &ks, (const uint8_t *)"\x70", 1, OTA_F_ALLOW_DES, buf,
						   sizeof(buf), &o),
				 OTA_ST_OK);
		assert_int_equal(o.data_len, p.data_len);
		if (p.data_len)
			assert_memory_equal(o.data, data, p.data_len);
		assert_memory_equal(o.cntr, p.cntr, 5);
		if (ciph)
			assert_int_equal((w.len - 10) % (ca == OTA_ALG_AES ? 16 : 8), 0);
		/* the wrong prefix fails integrity whenever there is an RC/CC */
		if (chk != OTA_CHK_NONE)
			assert_int_equal(ota_cmd_unprotect(&c, &ks, (const uint8_t *)"\x71", 1, OTA_F_ALLOW_DES,
							   buf, sizeof(buf), &o),
					 OTA_ST_RC_CC_DS_FAILED);

		/* the PoR for it */
		struct ota_rsp_params rp = {.kic = p.kic, .kid = p.kid, .tar = p.tar, .status = (uint8_t)(combos % 11),
					    .data = data, .data_len = p.data_len / 2};
		memcpy(rp.spi, p.spi, 2);
		memcpy(rp.cntr, p.cntr, 5);
		w2 = dfs_wbuf_init(rsp, sizeof(rsp));
		assert_int_equal(ota_rsp_encode(&w2, &rp, &ks, SMS_POR_UDH, 3, OTA_F_ALLOW_DES), 0);
		struct ota_rsp_pkt r;
		struct ota_rsp_open ro;
		assert_int_equal(ota_rsp_decode(rsp, w2.len, 3, &r, NULL), 0);
		assert_int_equal(ota_rsp_unprotect(&r, p.spi, p.kic, p.kid, &ks, SMS_POR_UDH, 3, OTA_F_ALLOW_DES,
						   buf, sizeof(buf), &ro),
				 0);
		assert_int_equal(ro.status, rp.status);
		assert_int_equal(ro.data_len, rp.data_len);
		if (rp.data_len)
			assert_memory_equal(ro.data, data, rp.data_len);
		combos++;
	}
	assert_true(combos > 300);
}

static void test_wrong_key_and_reserved(void **state)
{
	struct ota_keyset ks, other;
	uint8_t pkt[128], buf[128];
	struct ota_cmd_pkt c;
	struct ota_cmd_open o;
	t_kat_aes(&ks);
	t_kat_aes(&other);
	other.kid.k[0] ^= 1;
	size_t n = t_hex(cmd_kats[0].packet, pkt, sizeof(pkt));
	assert_int_equal(ota_cmd_decode(pkt, n, 0, &c, NULL), 0);
	assert_int_equal(ota_cmd_unprotect(&c, &other, NULL, 0, 0, buf, sizeof(buf), &o),
			 OTA_ST_RC_CC_DS_FAILED);
	/* 3DES keys for an AES packet: the key length does not fit the algorithm */
	t_kat_3des(&other);
	other.kic.len = 8;
	assert_int_equal(ota_cmd_unprotect(&c, &other, NULL, 0, 0, buf, sizeof(buf), &o),
			 OTA_ST_SECURITY_ERROR);
	/* buffer too small is a caller error, not a status */
	assert_int_equal(ota_cmd_unprotect(&c, &ks, NULL, 0, 0, buf, 4, &o), -ENOSPC);
	/* a reserved SPI bit or DS cannot be built */
	struct ota_cmd_params p = {.spi = {0x80, 0x00}, .tar = 1};
	struct dfs_wbuf w = dfs_wbuf_init(pkt, sizeof(pkt));
	assert_int_equal(ota_cmd_encode(&w, &p, &ks, NULL, 0, 0), -EINVAL);
	p.spi[0] = 0x03;
	assert_int_equal(ota_cmd_encode(&w, &p, &ks, NULL, 0, 0), -ENOTSUP);
	/* too small an output buffer */
	p.spi[0] = 0x00;
	w = dfs_wbuf_init(pkt, 10);
	assert_int_equal(ota_cmd_encode(&w, &p, &ks, NULL, 0, 0), -ENOSPC);
}

/* 3DES with repeated key halves is single DES: refused like DES unless allowed. */
static void test_degenerate_3des(void **state)
{
	struct ota_keyset ks;
	uint8_t pkt[128];
	struct ota_cmd_params p = {.spi = {0x06, 0x00}, .kic = 0x15, .kid = 0x15, .tar = 1,
				   .data = (const uint8_t *)"\x00", .data_len = 1};
	t_kat_3des(&ks);
	memcpy(ks.kic.k + 8, ks.kic.k, 8);
	struct dfs_wbuf w = dfs_wbuf_init(pkt, sizeof(pkt));
	assert_int_equal(ota_cmd_encode(&w, &p, &ks, NULL, 0, 0), -EPERM);
	assert_int_equal(ota_cmd_encode(&w, &p, &ks, NULL, 0, OTA_F_ALLOW_DES), 0);
	struct ota_cmd_pkt c;
	struct ota_cmd_open o;
	uint8_t buf[128];
	assert_int_equal(ota_cmd_decode(pkt, w.len, 0, &c, NULL), 0);
	assert_int_equal(ota_cmd_unprotect(&c, &ks, NULL, 0, 0, buf, sizeof(buf), &o), OTA_ST_SECURITY_ERROR);
	assert_int_equal(ota_cmd_unprotect(&c, &ks, NULL, 0, OTA_F_ALLOW_DES, buf, sizeof(buf), &o), OTA_ST_OK);
	/* three-key with K2 = K3 */
	t_key(&ks.kid, OTA_ALG_3DES3, "010203040506070811111111111111111111111111111111");
	p.spi[0] = 0x02;
	p.kid = 0x19;
	w = dfs_wbuf_init(pkt, sizeof(pkt));
	assert_int_equal(ota_cmd_encode(&w, &p, &ks, NULL, 0, 0), -EPERM);
	ks.kid.k[23] ^= 1;
	assert_int_equal(ota_cmd_encode(&w, &p, &ks, NULL, 0, 0), 0);
}

static void test_crc_check_values(void **state)
{
	/* standard check values over "123456789": CRC-16/X-25 0x906e, CRC-32 0xcbf43926 */
	assert_int_equal(ota_crc16((const uint8_t *)"123456789", 9), 0x906e);
	assert_int_equal(ota_crc32((const uint8_t *)"123456789", 9), 0xcbf43926u);
}

static void test_spi_and_tar(void **state)
{
	uint8_t raw[2] = {0x16, 0x39}, back[2];
	struct ota_spi s;
	ota_spi_decode(raw, &s);
	assert_int_equal(s.chk, OTA_CHK_CC);
	assert_true(s.cipher);
	assert_int_equal(s.cntr, OTA_CNTR_HIGHER);
	assert_int_equal(s.por, OTA_POR_ALWAYS);
	assert_int_equal(s.por_chk, OTA_CHK_CC);
	assert_true(s.por_cipher);
	assert_true(s.por_submit);
	assert_false(s.reserved_bits);
	ota_spi_encode(&s, back);
	assert_memory_equal(raw, back, 2);
	assert_true(ota_tar_is_browser(0x505348));
	assert_true(ota_tar_is_browser(0x534054));
	assert_true(ota_tar_is_browser(0x000005));
	assert_true(ota_tar_is_browser(0xbfff42));
	assert_false(ota_tar_is_browser(0xb00011));
	assert_false(ota_tar_is_browser(0x000000));
	assert_int_equal(ota_kic_alg(0x22, OTA_ALG_NONE), OTA_ALG_AES);
	assert_int_equal(ota_kid_alg(0x15, OTA_CHK_RC, OTA_ALG_NONE), OTA_ALG_CRC32);
	assert_int_equal(ota_kid_alg(0x10, OTA_CHK_CC, OTA_ALG_3DES3), OTA_ALG_3DES3);
	assert_int_equal(ota_kic_alg(0x1d, OTA_ALG_NONE), OTA_ALG_NONE); /* DES-ECB: refused */
}

/* The 16-byte header alone, as the first SMS segment of a long packet carries it. */
static void test_header_only(void **state)
{
	uint8_t pkt[128];
	struct ota_cmd_hdr h;
	struct dfs_err e = {0};
	size_t n = t_hex(cmd_kats[0].packet, pkt, sizeof(pkt));
	assert_int_equal(ota_cmd_hdr_decode(pkt, 16, 0, &h, &e), 0);
	assert_int_equal(h.cpl, n - 2);
	assert_int_equal(h.tar, 0xb00011);
	assert_int_equal(h.spi[0], 0x06);
	assert_int_equal(h.kic, 0x22);
	for (size_t cut = 0; cut < 16; cut++) {
		assert_int_equal(ota_cmd_hdr_decode(pkt, cut, 7, &h, &e), -EBADMSG);
		assert_int_equal(e.offset, 7 + cut);
	}
	pkt[2] = 0x0c; /* CHL below 13 */
	assert_int_equal(ota_cmd_hdr_decode(pkt, n, 0, &h, &e), -EBADMSG);
	assert_string_equal(e.field, "CHL");
}

static int setup(void **state)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/ota-kat.md", DFSG_VECTORS_DIR);
	kat_md = t_slurp(path, NULL);
	if (!kat_md) {
		fprintf(stderr, "cannot read %s\n", path);
		return -1;
	}
	return sodium_init() < 0 ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_are_in_shared_file),
		cmocka_unit_test(test_cmd_kat_encode),
		cmocka_unit_test(test_cmd_kat_decode),
		cmocka_unit_test(test_aes_intermediate_cmac),
		cmocka_unit_test(test_rsp_kat),
		cmocka_unit_test(test_rsp_bitflip),
		cmocka_unit_test(test_cmd_bitflip),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_round_trips),
		cmocka_unit_test(test_wrong_key_and_reserved),
		cmocka_unit_test(test_degenerate_3des),
		cmocka_unit_test(test_crc_check_values),
		cmocka_unit_test(test_spi_and_tar),
		cmocka_unit_test(test_header_only),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
