/* OTA key store: sealed keysets, KDF derivation, PKCS#11 masters in SoftHSM2, and keys absent
 * from the SQLite file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>
#include <sqlite3.h>

#include "ota_keystore.h"
#include "ota_test_util.h"

#define ICCID "8949000000000000012"
static char tmpdir[256];
static uint8_t kek[32];

/* A sentinel key: easy to find if it ever leaks */
static const char SENTINEL_HEX[] = "5e471e1ddeadbeef5e471e1ddeadbeef";

static void tmp_path(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", tmpdir, name); }

static void sentinel_keyset(struct ota_keyset *ks)
{
	memset(ks, 0, sizeof(*ks));
	ks->kvn = 3;
	t_key(&ks->kic, OTA_ALG_AES, SENTINEL_HEX);
	t_key(&ks->kid, OTA_ALG_AES, SENTINEL_HEX);
	t_key(&ks->kik, OTA_ALG_3DES3, "5e471e1ddeadbeef5e471e1ddeadbeef5e471e1ddeadbeef");
}

/* Neither the raw sentinel bytes nor their hex text are in the file. */
static void assert_file_clean(const char *path)
{
	size_t n = 0;
	char *s = t_slurp(path, &n);
	uint8_t raw[16];
	t_hex(SENTINEL_HEX, raw, sizeof(raw));
	assert_non_null(s);
	assert_null(memmem(s, n, raw, 8));
	assert_null(memmem(s, n, "5e471e1d", 8));
	assert_null(memmem(s, n, "5E471E1D", 8));
	free(s);
}

static void test_sealed_round_trip(void **state)
{
	char path[300];
	struct ota_keystore *ks;
	struct ota_keyset in, *out = ota_keyset_new();
	tmp_path(path, sizeof(path), "sealed.db");
	sentinel_keyset(&in);
	assert_non_null(out);
	assert_int_equal(ota_keystore_open(&ks, path, kek, NULL, 0), 0);
	assert_int_equal(ota_keystore_import(ks, ICCID, &in), 0);
	assert_int_equal(ota_keystore_get(ks, ICCID, 3, out), 0);
	assert_int_equal(out->kic.len, 16);
	assert_memory_equal(out->kic.k, in.kic.k, 16);
	assert_memory_equal(out->kik.k, in.kik.k, 24);
	assert_int_equal(out->kik.alg, OTA_ALG_3DES3);
	assert_int_equal(ota_keystore_get(ks, ICCID, 4, out), -ENOENT);
	assert_int_equal(ota_keystore_get(ks, "8949000000000000099", 3, out), -ENOENT);
	/* bad input */
	assert_int_equal(ota_keystore_import(ks, "12ab", &in), -EINVAL);
	ota_keystore_close(ks);
	assert_file_clean(path);

	/* another KEK does not open the seal */
	uint8_t other[32];
	memcpy(other, kek, 32);
	other[0] ^= 1;
	assert_int_equal(ota_keystore_open(&ks, path, other, NULL, 0), 0);
	assert_int_equal(ota_keystore_get(ks, ICCID, 3, out), -EACCES);
	ota_keystore_close(ks);

	/* a sealed blob moved to another record, or a flipped bit, does not open either */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "UPDATE ota_keysets SET kvn = 5", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(ota_keystore_open(&ks, path, kek, NULL, 0), 0);
	assert_int_equal(ota_keystore_get(ks, ICCID, 5, out), -EACCES);
	ota_keystore_close(ks);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	/* octet 31 changed for sure: 00 unless it already was 00 (1 run in 256 otherwise) */
	assert_int_equal(sqlite3_exec(db, "UPDATE ota_keysets SET kvn = 3,"
					  " sealed = substr(sealed, 1, 30) ||"
					  " CASE WHEN substr(sealed, 31, 1) = x'00' THEN x'01' ELSE x'00' END"
					  " || substr(sealed, 32)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(ota_keystore_open(&ks, path, kek, NULL, 0), 0);
	assert_int_equal(ota_keystore_get(ks, ICCID, 3, out), -EACCES);
	assert_int_equal(ota_keystore_delete(ks, ICCID, 3), 0);
	assert_int_equal(ota_keystore_delete(ks, ICCID, 3), -ENOENT);
	ota_keystore_close(ks);
	ota_keyset_free(out);
}

/* The KDF through EVP_KDF "KBKDF" equals SP 800-108 counter mode computed by hand with CMAC. */
static void cmac_by_hand(const uint8_t *key, size_t kl, const uint8_t *in, size_t n, uint8_t out[16])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	OSSL_PARAM p[2] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER,
							    kl == 16 ? "AES-128-CBC" : "AES-256-CBC", 0),
			   OSSL_PARAM_construct_end()};
	size_t ol;
	assert_true(EVP_MAC_init(ctx, key, kl, p));
	assert_true(EVP_MAC_update(ctx, in, n));
	assert_true(EVP_MAC_final(ctx, out, &ol, 16));
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
}

static void test_kdf(void **state)
{
	uint8_t master[32], a[40], b[40], in[64], blk[16];
	randombytes_buf(master, sizeof(master));
	for (size_t ml = 16; ml <= 32; ml += 16) {
		for (size_t len = 8; len <= 40; len += 8) {
			assert_int_equal(ota_kdf_derive(master, ml, ICCID, 2, OTA_USAGE_KID, a, len), 0);
			for (uint32_t i = 1; (i - 1) * 16 < len; i++) {
				size_t n = ota_kdf_block_input(i, ICCID, 2, OTA_USAGE_KID, len, in, sizeof(in));
				assert_true(n > 0);
				cmac_by_hand(master, ml, in, n, blk);
				size_t take = len - (i - 1) * 16 < 16 ? len - (i - 1) * 16 : 16;
				memcpy(b + (i - 1) * 16, blk, take);
			}
			assert_memory_equal(a, b, len);
		}
	}
	/* every input matters */
	assert_int_equal(ota_kdf_derive(master, 16, ICCID, 2, OTA_USAGE_KIC, a, 16), 0);
	assert_int_equal(ota_kdf_derive(master, 16, ICCID, 2, OTA_USAGE_KID, b, 16), 0);
	assert_memory_not_equal(a, b, 16);
	assert_int_equal(ota_kdf_derive(master, 16, ICCID, 3, OTA_USAGE_KIC, b, 16), 0);
	assert_memory_not_equal(a, b, 16);
	assert_int_equal(ota_kdf_derive(master, 16, "8949000000000000013", 2, OTA_USAGE_KIC, b, 16), 0);
	assert_memory_not_equal(a, b, 16);
	/* the length is part of the input: a 16-byte key is not a prefix of a 24-byte one */
	assert_int_equal(ota_kdf_derive(master, 16, ICCID, 2, OTA_USAGE_KIC, b, 24), 0);
	assert_memory_not_equal(a, b, 16);
	assert_int_equal(ota_kdf_derive(master, 20, ICCID, 2, OTA_USAGE_KIC, b, 16), -EINVAL);
}

static void test_derived_keyset(void **state)
{
	char path[300];
	struct ota_keystore *ks;
	struct ota_keyset *out = ota_keyset_new();
	uint8_t master[16], want[24];
	struct ota_derived_spec spec = {.kic_alg = OTA_ALG_AES, .kid_alg = OTA_ALG_AES, .kik_alg = OTA_ALG_3DES3,
					.kic_len = 16, .kid_len = 16, .kik_len = 24};
	tmp_path(path, sizeof(path), "derived.db");
	t_hex(SENTINEL_HEX, master, sizeof(master));
	assert_int_equal(ota_keystore_open(&ks, path, kek, NULL, 0), 0);
	assert_int_equal(ota_keystore_add_master(ks, "m1", master, 16), 0);
	assert_int_equal(ota_keystore_add_derived(ks, ICCID, 1, "m1", &spec), 0);
	assert_int_equal(ota_keystore_get(ks, ICCID, 1, out), 0);
	assert_int_equal(ota_kdf_derive(master, 16, ICCID, 1, OTA_USAGE_KIC, want, 16), 0);
	assert_memory_equal(out->kic.k, want, 16);
	assert_int_equal(ota_kdf_derive(master, 16, ICCID, 1, OTA_USAGE_KIK, want, 24), 0);
	assert_memory_equal(out->kik.k, want, 24);
	assert_int_equal(out->kid.alg, OTA_ALG_AES);
	/* a derived keyset whose master is missing */
	assert_int_equal(ota_keystore_add_derived(ks, ICCID, 2, "nope", &spec), 0);
	assert_int_equal(ota_keystore_get(ks, ICCID, 2, out), -ENOENT);
	/* invalid spec */
	spec.kic_len = 15;
	assert_int_equal(ota_keystore_add_derived(ks, ICCID, 3, "m1", &spec), -EINVAL);
	ota_keystore_close(ks);
	assert_file_clean(path);
	ota_keyset_free(out);
}

struct list_ud {
	unsigned n;
	char text[1024];
};
static int list_cb(void *ud, const struct ota_keyset_info *i)
{
	struct list_ud *l = ud;
	size_t used = strlen(l->text);
	snprintf(l->text + used, sizeof(l->text) - used, "%s/%u/%s/%s;", i->iccid, i->kvn, i->source,
		 get_value_string(ota_alg_names, i->kic_alg));
	l->n++;
	return 0;
}

static void test_list_never_prints_keys(void **state)
{
	char path[300];
	struct ota_keystore *ks;
	struct ota_keyset in;
	struct list_ud l = {0};
	tmp_path(path, sizeof(path), "list.db");
	sentinel_keyset(&in);
	assert_int_equal(ota_keystore_open(&ks, path, kek, NULL, 0), 0);
	assert_int_equal(ota_keystore_import(ks, ICCID, &in), 0);
	assert_int_equal(ota_keystore_list(ks, list_cb, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.text, ICCID "/3/imported/AES;");
	ota_keystore_close(ks);
}

/* PKCS#11: a master key inside SoftHSM2; derivation computed by the token equals the software
 * KDF with the same master value. */
static void test_pkcs11_softhsm(void **state)
{
	const char *module = "/usr/lib/softhsm/libsofthsm2.so";
	char conf[300], tokdir[300], cmd[1024], err[200] = "";
	if (access("/usr/bin/softhsm2-util", X_OK) || access(module, R_OK)) {
		print_message("skipped: softhsm2-util or %s not installed\n", module);
		skip();
	}
	tmp_path(conf, sizeof(conf), "softhsm2.conf");
	tmp_path(tokdir, sizeof(tokdir), "tokens");
	assert_int_equal(mkdir(tokdir, 0700), 0);
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fprintf(f, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", tokdir);
	fclose(f);
	setenv("SOFTHSM2_CONF", conf, 1);
	snprintf(cmd, sizeof(cmd),
		 "softhsm2-util --init-token --free --label dfsg-ota --so-pin 12345678 --pin 87654321 >/dev/null");
	assert_int_equal(system(cmd), 0);

	struct ota_p11 *p11;
	assert_int_equal(ota_p11_open(&p11, module, "dfsg-ota", "87654321", err, sizeof(err)), 0);
	uint8_t master[16], in[64], cm[16], want[24];
	t_hex(SENTINEL_HEX, master, sizeof(master));
	assert_int_equal(ota_p11_import_aes(p11, "ota-master-1", master, 16), 0);
	assert_int_equal(ota_p11_import_aes(p11, "ota-master-1", master, 16), -EEXIST);
	/* the token's CMAC equals OpenSSL's */
	size_t n = ota_kdf_block_input(1, ICCID, 1, OTA_USAGE_KIC, 16, in, sizeof(in));
	assert_int_equal(ota_p11_cmac(p11, "ota-master-1", in, n, cm), 0);
	uint8_t soft[16];
	cmac_by_hand(master, 16, in, n, soft);
	assert_memory_equal(cm, soft, 16);
	assert_int_equal(ota_p11_cmac(p11, "no-such-key", in, n, cm), -ENOENT);
	assert_int_equal(ota_p11_generate_aes(p11, "ota-master-gen", 32), 0);

	/* a keystore whose master lives in the token */
	char path[300];
	struct ota_keystore *ks;
	struct ota_keyset *out = ota_keyset_new(), *out2 = ota_keyset_new();
	struct ota_derived_spec spec = {.kic_alg = OTA_ALG_AES, .kid_alg = OTA_ALG_3DES3, .kic_len = 16, .kid_len = 24};
	tmp_path(path, sizeof(path), "p11.db");
	assert_int_equal(ota_keystore_open(&ks, path, NULL, NULL, 0), 0);
	ota_keystore_set_p11(ks, p11);
	assert_int_equal(ota_keystore_add_master_p11(ks, "hsm1", "ota-master-1"), 0);
	assert_int_equal(ota_keystore_add_derived(ks, ICCID, 1, "hsm1", &spec), 0);
	assert_int_equal(ota_keystore_get(ks, ICCID, 1, out), 0);
	assert_int_equal(ota_kdf_derive(master, 16, ICCID, 1, OTA_USAGE_KIC, want, 16), 0);
	assert_memory_equal(out->kic.k, want, 16);
	assert_int_equal(ota_kdf_derive(master, 16, ICCID, 1, OTA_USAGE_KID, want, 24), 0);
	assert_memory_equal(out->kid.k, want, 24);
	/* generated master: stable across calls, differs per card */
	assert_int_equal(ota_keystore_add_master_p11(ks, "hsm2", "ota-master-gen"), 0);
	assert_int_equal(ota_keystore_add_derived(ks, ICCID, 2, "hsm2", &spec), 0);
	assert_int_equal(ota_keystore_add_derived(ks, "8949000000000000020", 2, "hsm2", &spec), 0);
	assert_int_equal(ota_keystore_get(ks, ICCID, 2, out), 0);
	assert_int_equal(ota_keystore_get(ks, ICCID, 2, out2), 0);
	assert_memory_equal(out->kic.k, out2->kic.k, 16);
	assert_int_equal(ota_keystore_get(ks, "8949000000000000020", 2, out2), 0);
	assert_memory_not_equal(out->kic.k, out2->kic.k, 16);
	/* sealed operations need a KEK, which this store does not have */
	assert_int_equal(ota_keystore_add_master(ks, "soft", master, 16), -EACCES);
	ota_keystore_close(ks); /* closes the token session too */
	assert_file_clean(path);
	ota_keyset_free(out);
	ota_keyset_free(out2);

	/* a wrong PIN: the error names the failing call, never the PIN */
	assert_int_equal(ota_p11_open(&p11, module, "dfsg-ota", "00000000", err, sizeof(err)), -EIO);
	assert_null(strstr(err, "00000000"));
	assert_non_null(strstr(err, "C_Login"));
	assert_int_equal(ota_p11_open(&p11, module, "other-token", "87654321", err, sizeof(err)), -EIO);
}

static void test_key_files(void **state)
{
	char path[300];
	uint8_t k[32];
	tmp_path(path, sizeof(path), "kek.hex");
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "%s\n%s\n", SENTINEL_HEX, SENTINEL_HEX);
	fclose(f);
	assert_int_equal(ota_key_file_read(path, k, sizeof(k)), 32);
	assert_int_equal(k[0], 0x5e);
	assert_int_equal(ota_key_file_read(path, k, 16), -E2BIG);
	tmp_path(path, sizeof(path), "missing.hex");
	assert_int_equal(ota_key_file_read(path, k, sizeof(k)), -ENOENT);
	assert_int_equal(ota_key_hex_read("abc", k, sizeof(k)), -EINVAL);
	assert_int_equal(ota_key_hex_read("zz", k, sizeof(k)), -EINVAL);
	assert_true(ota_iccid_valid("89490000000000000123"));
	assert_false(ota_iccid_valid("8949"));
	assert_false(ota_iccid_valid("894900000000000001x"));
}

/* A process holding keys leaves no core dump and cannot be attached by peers. */
static void test_harden_process(void **state)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;
		if (ota_harden_process())
			_exit(1);
		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
			_exit(2);
		if (getrlimit(RLIMIT_CORE, &rl) || rl.rlim_cur != 0 || rl.rlim_max != 0)
			_exit(3);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static int setup(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/dfsg-ota-ks-XXXXXX");
	if (!mkdtemp(tmpdir) || sodium_init() < 0)
		return -1;
	randombytes_buf(kek, sizeof(kek));
	return 0;
}

static int teardown(void **state)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sealed_round_trip),
		cmocka_unit_test(test_kdf),
		cmocka_unit_test(test_derived_keyset),
		cmocka_unit_test(test_list_never_prints_keys),
		cmocka_unit_test(test_pkcs11_softhsm),
		cmocka_unit_test(test_key_files),
		cmocka_unit_test(test_harden_process),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
