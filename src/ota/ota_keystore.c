/* OTA key store: sealed and derived per-card keysets, PKCS#11 masters. See ota_keystore.h. */
#include "ota_keystore.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <p11-kit-1/p11-kit/pkcs11.h>
#include <sodium.h>
#include <sqlite3.h>

#include "dfs_hex.h"

int ota_harden_process(void)
{
	struct rlimit rl = {0, 0};
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	if (setrlimit(RLIMIT_CORE, &rl) < 0)
		return -errno;
	return 0;
}

/* ---- secure memory ----------------------------------------------------------------------- */
void *ota_secret_alloc(size_t n)
{
	if (sodium_init() < 0)
		return NULL;
	void *p = sodium_malloc(n); /* guard pages, mlock, canary */
	if (p)
		sodium_memzero(p, n);
	return p;
}

void ota_secret_free(void *p)
{
	if (p)
		sodium_free(p); /* wipes before unmapping */
}

struct ota_keyset *ota_keyset_new(void) { return ota_secret_alloc(sizeof(struct ota_keyset)); }
void ota_keyset_free(struct ota_keyset *ks) { ota_secret_free(ks); }

int ota_key_hex_read(const char *hex, uint8_t *out, size_t outsz)
{
	size_t n = 0;
	int hi = -1;
	for (const char *c = hex; *c; c++) {
		if (isspace((unsigned char)*c))
			continue;
		int v = dfs_hex_nibble(*c);
		if (v < 0)
			return -EINVAL;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= outsz)
			return -E2BIG;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0 || n == 0)
		return -EINVAL;
	return (int)n;
}

int ota_key_file_read(const char *path, uint8_t *out, size_t outsz)
{
	char *text = ota_secret_alloc(4 * OTA_KEY_MAX + 2);
	FILE *f;
	int rc;

	if (!text)
		return -ENOMEM;
	f = fopen(path, "re");
	if (!f) {
		rc = -errno;
		ota_secret_free(text);
		return rc;
	}
	setvbuf(f, NULL, _IONBF, 0); /* no stdio buffer copy of the key */
	size_t n = fread(text, 1, 4 * OTA_KEY_MAX + 1, f);
	fclose(f);
	text[n] = 0;
	rc = n > 4 * OTA_KEY_MAX ? -E2BIG : ota_key_hex_read(text, out, outsz);
	ota_secret_free(text);
	return rc;
}

bool ota_iccid_valid(const char *iccid)
{
	size_t n = strlen(iccid);
	if (n < 18 || n > OTA_ICCID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (iccid[i] < '0' || iccid[i] > '9')
			return false;
	return true;
}

/* ---- KDF --------------------------------------------------------------------------------- */
static const char *usage_label(enum ota_key_usage u)
{
	switch (u) {
	case OTA_USAGE_KIC:
		return "dfsguard OTA KIc";
	case OTA_USAGE_KID:
		return "dfsguard OTA KID";
	case OTA_USAGE_KIK:
		return "dfsguard OTA KIK";
	}
	return NULL;
}

size_t ota_kdf_block_input(uint32_t i, const char *iccid, uint8_t kvn, enum ota_key_usage usage,
			   size_t outlen, uint8_t *buf, size_t bufsz)
{
	const char *label = usage_label(usage);
	size_t ll = label ? strlen(label) : 0, il = strlen(iccid);
	size_t n = 4 + ll + 1 + il + 1 + 4;
	uint32_t bits = (uint32_t)(outlen * 8);
	if (!label || n > bufsz)
		return 0;
	uint8_t *p = buf;
	for (int s = 24; s >= 0; s -= 8)
		*p++ = (uint8_t)(i >> s);
	memcpy(p, label, ll);
	p += ll;
	*p++ = 0x00;
	memcpy(p, iccid, il);
	p += il;
	*p++ = kvn;
	for (int s = 24; s >= 0; s -= 8)
		*p++ = (uint8_t)(bits >> s);
	return n;
}

int ota_kdf_derive(const uint8_t *master, size_t master_len, const char *iccid, uint8_t kvn,
		   enum ota_key_usage usage, uint8_t *out, size_t outlen)
{
	const char *label = usage_label(usage);
	uint8_t context[OTA_ICCID_MAX + 1];
	size_t il = strlen(iccid);
	EVP_KDF *kdf;
	EVP_KDF_CTX *ctx;
	OSSL_PARAM params[7], *p = params;
	int rc = -EIO;

	if (!label || il > OTA_ICCID_MAX || (master_len != 16 && master_len != 32) || !outlen)
		return -EINVAL;
	memcpy(context, iccid, il);
	context[il] = kvn;
	kdf = EVP_KDF_fetch(NULL, "KBKDF", NULL);
	ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (!ctx)
		return -EIO;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MODE, "counter", 0);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_MAC, "CMAC", 0);
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_CIPHER,
						master_len == 16 ? "AES-128-CBC" : "AES-256-CBC", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)master, master_len);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)label, strlen(label));
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, context, il + 1);
	*p = OSSL_PARAM_construct_end();
	if (EVP_KDF_derive(ctx, out, outlen, params) > 0)
		rc = 0;
	EVP_KDF_CTX_free(ctx);
	return rc;
}

/* ---- PKCS#11 ----------------------------------------------------------------------------- */
struct ota_p11 {
	void *dl;
	CK_FUNCTION_LIST_PTR f;
	CK_SESSION_HANDLE s;
	bool session, logged_in;
};

static void p11_errf(char *err, size_t errsz, const char *what, CK_RV rv)
{
	if (err && errsz)
		snprintf(err, errsz, "%s: CKR 0x%lx", what, (unsigned long)rv);
}

int ota_p11_open(struct ota_p11 **out, const char *module, const char *token_label, const char *pin,
		 char *err, size_t errsz)
{
	struct ota_p11 *p = calloc(1, sizeof(*p));
	CK_C_GetFunctionList getf;
	CK_C_INITIALIZE_ARGS args = {.flags = CKF_OS_LOCKING_OK};
	CK_SLOT_ID slots[32];
	CK_ULONG nslots = 32;
	CK_RV rv;
	char want[32];

	*out = NULL;
	if (!p)
		return -ENOMEM;
	p->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL);
	if (!p->dl) {
		if (err && errsz)
			snprintf(err, errsz, "dlopen(%s) failed", module);
		free(p);
		return -ENOENT;
	}
	getf = (CK_C_GetFunctionList)dlsym(p->dl, "C_GetFunctionList");
	if (!getf || (rv = getf(&p->f)) != CKR_OK) {
		if (err && errsz)
			snprintf(err, errsz, "%s: no C_GetFunctionList", module);
		goto fail;
	}
	rv = p->f->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		p11_errf(err, errsz, "C_Initialize", rv);
		goto fail;
	}
	rv = p->f->C_GetSlotList(CK_TRUE, slots, &nslots);
	if (rv != CKR_OK) {
		p11_errf(err, errsz, "C_GetSlotList", rv);
		goto fail;
	}
	memset(want, ' ', sizeof(want));
	memcpy(want, token_label, strlen(token_label) < 32 ? strlen(token_label) : 32);
	for (CK_ULONG i = 0; i < nslots; i++) {
		CK_TOKEN_INFO ti;
		if (p->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK || memcmp(ti.label, want, 32))
			continue;
		rv = p->f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &p->s);
		if (rv != CKR_OK) {
			p11_errf(err, errsz, "C_OpenSession", rv);
			goto fail;
		}
		p->session = true;
		rv = p->f->C_Login(p->s, CKU_USER, (CK_UTF8CHAR_PTR)pin, strlen(pin));
		if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
			p11_errf(err, errsz, "C_Login", rv); /* never the PIN */
			goto fail;
		}
		p->logged_in = true;
		*out = p;
		return 0;
	}
	if (err && errsz)
		snprintf(err, errsz, "no token labelled '%s'", token_label);
fail:
	ota_p11_close(p);
	return -EIO;
}

void ota_p11_close(struct ota_p11 *p)
{
	if (!p)
		return;
	if (p->f) {
		if (p->logged_in)
			p->f->C_Logout(p->s);
		if (p->session)
			p->f->C_CloseSession(p->s);
		p->f->C_Finalize(NULL);
	}
	if (p->dl)
		dlclose(p->dl);
	free(p);
}

static int p11_find_key(struct ota_p11 *p, const char *label, CK_OBJECT_HANDLE *h)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &cls, sizeof(cls)},
		{CKA_LABEL, (void *)label, strlen(label)},
	};
	CK_ULONG n = 0;
	if (p->f->C_FindObjectsInit(p->s, tmpl, 2) != CKR_OK)
		return -EIO;
	CK_RV rv = p->f->C_FindObjects(p->s, h, 1, &n);
	p->f->C_FindObjectsFinal(p->s);
	if (rv != CKR_OK)
		return -EIO;
	return n == 1 ? 0 : -ENOENT;
}

int ota_p11_import_aes(struct ota_p11 *p, const char *label, const uint8_t *key, size_t len)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_AES;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_OBJECT_HANDLE h;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_CLASS, &cls, sizeof(cls)},       {CKA_KEY_TYPE, &kt, sizeof(kt)},
		{CKA_TOKEN, &yes, sizeof(yes)},       {CKA_PRIVATE, &yes, sizeof(yes)},
		{CKA_SENSITIVE, &yes, sizeof(yes)},   {CKA_EXTRACTABLE, &no, sizeof(no)},
		{CKA_SIGN, &yes, sizeof(yes)},        {CKA_VERIFY, &yes, sizeof(yes)},
		{CKA_ENCRYPT, &no, sizeof(no)},       {CKA_DECRYPT, &no, sizeof(no)},
		{CKA_LABEL, (void *)label, strlen(label)}, {CKA_VALUE, (void *)key, len},
	};
	if (len != 16 && len != 32)
		return -EINVAL;
	if (p11_find_key(p, label, &h) == 0)
		return -EEXIST;
	return p->f->C_CreateObject(p->s, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &h) == CKR_OK ? 0 : -EIO;
}

int ota_p11_generate_aes(struct ota_p11 *p, const char *label, size_t len)
{
	CK_MECHANISM mech = {CKM_AES_KEY_GEN, NULL, 0};
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG vlen = len;
	CK_OBJECT_HANDLE h;
	CK_ATTRIBUTE tmpl[] = {
		{CKA_TOKEN, &yes, sizeof(yes)},     {CKA_PRIVATE, &yes, sizeof(yes)},
		{CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_EXTRACTABLE, &no, sizeof(no)},
		{CKA_SIGN, &yes, sizeof(yes)},      {CKA_VERIFY, &yes, sizeof(yes)},
		{CKA_LABEL, (void *)label, strlen(label)}, {CKA_VALUE_LEN, &vlen, sizeof(vlen)},
	};
	if (len != 16 && len != 32)
		return -EINVAL;
	if (p11_find_key(p, label, &h) == 0)
		return -EEXIST;
	return p->f->C_GenerateKey(p->s, &mech, tmpl, sizeof(tmpl) / sizeof(tmpl[0]), &h) == CKR_OK ? 0
												    : -EIO;
}

int ota_p11_cmac(struct ota_p11 *p, const char *label, const uint8_t *in, size_t n, uint8_t out[16])
{
	CK_MECHANISM mech = {CKM_AES_CMAC, NULL, 0};
	CK_OBJECT_HANDLE h;
	CK_ULONG outlen = 16;
	int rc = p11_find_key(p, label, &h);
	if (rc)
		return rc;
	if (p->f->C_SignInit(p->s, &mech, h) != CKR_OK)
		return -EIO;
	if (p->f->C_Sign(p->s, (CK_BYTE_PTR)in, n, out, &outlen) != CKR_OK || outlen != 16)
		return -EIO;
	return 0;
}

/* SP 800-108 counter mode with the PRF computed by the token. */
static int p11_kdf_derive(struct ota_p11 *p, const char *label, const char *iccid, uint8_t kvn,
			  enum ota_key_usage usage, uint8_t *out, size_t outlen)
{
	uint8_t in[64], *block = ota_secret_alloc(16);
	const size_t total = outlen; /* [L]_32 is the whole output length in every block */
	int rc = 0;
	if (!block)
		return -ENOMEM;
	for (uint32_t i = 1; outlen && !rc; i++) {
		size_t n = ota_kdf_block_input(i, iccid, kvn, usage, total, in, sizeof(in));
		rc = n ? ota_p11_cmac(p, label, in, n, block) : -EINVAL;
		size_t take = outlen < 16 ? outlen : 16;
		if (!rc)
			memcpy(out, block, take);
		out += take;
		outlen -= take;
	}
	ota_secret_free(block);
	return rc;
}

/* ---- the store -------------------------------------------------------------------------- */
struct ota_keystore {
	sqlite3 *db;
	uint8_t *kek; /* secure memory, no access between uses */
	struct ota_p11 *p11;
};

static const char SCHEMA[] =
	"PRAGMA secure_delete = ON;"
	"CREATE TABLE IF NOT EXISTS ota_masters(name TEXT PRIMARY KEY, backend TEXT NOT NULL,"
	" sealed BLOB, p11_label TEXT);"
	"CREATE TABLE IF NOT EXISTS ota_keysets(iccid TEXT NOT NULL, kvn INTEGER NOT NULL,"
	" source TEXT NOT NULL, master TEXT, kic_alg INTEGER, kid_alg INTEGER, kik_alg INTEGER,"
	" kic_len INTEGER, kid_len INTEGER, kik_len INTEGER, sealed BLOB, PRIMARY KEY(iccid, kvn));";

int ota_keystore_open(struct ota_keystore **out, const char *path, const uint8_t *kek, char *err,
		      size_t errsz)
{
	struct ota_keystore *ks = calloc(1, sizeof(*ks));
	*out = NULL;
	if (!ks || sodium_init() < 0) {
		free(ks);
		return -ENOMEM;
	}
	if (kek) {
		ks->kek = ota_secret_alloc(OTA_KEK_LEN);
		if (!ks->kek) {
			free(ks);
			return -ENOMEM;
		}
		memcpy(ks->kek, kek, OTA_KEK_LEN);
		sodium_mprotect_noaccess(ks->kek);
	}
	if (sqlite3_open(path, &ks->db) != SQLITE_OK ||
	    sqlite3_exec(ks->db, SCHEMA, NULL, NULL, NULL) != SQLITE_OK) {
		if (err && errsz)
			snprintf(err, errsz, "keystore %s: %s", path, sqlite3_errmsg(ks->db));
		ota_keystore_close(ks);
		return -EIO;
	}
	sqlite3_busy_timeout(ks->db, 5000);
	*out = ks;
	return 0;
}

void ota_keystore_close(struct ota_keystore *ks)
{
	if (!ks)
		return;
	sqlite3_close(ks->db);
	ota_secret_free(ks->kek);
	ota_p11_close(ks->p11);
	free(ks);
}

void ota_keystore_set_p11(struct ota_keystore *ks, struct ota_p11 *p11)
{
	ota_p11_close(ks->p11);
	ks->p11 = p11;
}

/* Sealed blob: nonce(24) || secretbox(ctx_len(1) || ctx || secret). The context names the
 * record, so a blob copied to another record does not open. */
#define SEAL_CTX_MAX 64
static int seal(struct ota_keystore *ks, const char *ctx, const uint8_t *secret, size_t n,
		uint8_t *out, size_t outsz, size_t *outlen)
{
	size_t cl = strlen(ctx), ml = 1 + cl + n;
	if (!ks->kek)
		return -EACCES;
	if (cl > SEAL_CTX_MAX || outsz < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + ml)
		return -EINVAL;
	uint8_t *m = ota_secret_alloc(ml);
	if (!m)
		return -ENOMEM;
	m[0] = (uint8_t)cl;
	memcpy(m + 1, ctx, cl);
	memcpy(m + 1 + cl, secret, n);
	randombytes_buf(out, crypto_secretbox_NONCEBYTES);
	sodium_mprotect_readonly(ks->kek);
	crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, m, ml, out, ks->kek);
	sodium_mprotect_noaccess(ks->kek);
	ota_secret_free(m);
	*outlen = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + ml;
	return 0;
}

/* Open a blob into secret (secure memory); returns the secret length or -EACCES. */
static int unseal(struct ota_keystore *ks, const char *ctx, const uint8_t *blob, size_t bl,
		  uint8_t *secret, size_t secsz)
{
	size_t cl = strlen(ctx);
	int rc = -EACCES;
	if (!ks->kek || bl < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + 1)
		return -EACCES;
	size_t ml = bl - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
	uint8_t *m = ota_secret_alloc(ml);
	if (!m)
		return -ENOMEM;
	sodium_mprotect_readonly(ks->kek);
	int bad = crypto_secretbox_open_easy(m, blob + crypto_secretbox_NONCEBYTES,
					     bl - crypto_secretbox_NONCEBYTES, blob, ks->kek);
	sodium_mprotect_noaccess(ks->kek);
	if (!bad && m[0] == cl && ml >= 1 + cl && !memcmp(m + 1, ctx, cl) && ml - 1 - cl <= secsz) {
		memcpy(secret, m + 1 + cl, ml - 1 - cl);
		rc = (int)(ml - 1 - cl);
	}
	ota_secret_free(m);
	return rc;
}

static void keyset_ctx(char *ctx, size_t n, const char *iccid, uint8_t kvn)
{
	snprintf(ctx, n, "keyset:%s:%u", iccid, kvn);
}

/* Serialised keys: for KIc, KID, KIK: alg(1) len(1) key(OTA_KEY_MAX) */
#define KEYS_BLOB (3 * (2 + OTA_KEY_MAX))
static void keys_pack(const struct ota_keyset *k, uint8_t *b)
{
	const struct ota_key *v[3] = {&k->kic, &k->kid, &k->kik};
	for (int i = 0; i < 3; i++) {
		b[i * (2 + OTA_KEY_MAX)] = (uint8_t)v[i]->alg;
		b[i * (2 + OTA_KEY_MAX) + 1] = v[i]->len;
		memcpy(b + i * (2 + OTA_KEY_MAX) + 2, v[i]->k, OTA_KEY_MAX);
	}
}
static int keys_unpack(const uint8_t *b, struct ota_keyset *k)
{
	struct ota_key *v[3] = {&k->kic, &k->kid, &k->kik};
	for (int i = 0; i < 3; i++) {
		v[i]->alg = (enum ota_alg)b[i * (2 + OTA_KEY_MAX)];
		v[i]->len = b[i * (2 + OTA_KEY_MAX) + 1];
		if (v[i]->len > OTA_KEY_MAX)
			return -EINVAL;
		memcpy(v[i]->k, b + i * (2 + OTA_KEY_MAX) + 2, OTA_KEY_MAX);
	}
	return 0;
}

static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int ota_keystore_import(struct ota_keystore *ks, const char *iccid, const struct ota_keyset *keys)
{
	uint8_t *packed = ota_secret_alloc(KEYS_BLOB);
	uint8_t blob[KEYS_BLOB + SEAL_CTX_MAX + 64];
	size_t bl;
	char ctx[80];
	sqlite3_stmt *st = NULL;
	int rc;

	if (!packed)
		return -ENOMEM;
	if (!ota_iccid_valid(iccid) || keys->kvn < 1 || keys->kvn > 15) {
		ota_secret_free(packed);
		return -EINVAL;
	}
	keys_pack(keys, packed);
	keyset_ctx(ctx, sizeof(ctx), iccid, keys->kvn);
	rc = seal(ks, ctx, packed, KEYS_BLOB, blob, sizeof(blob), &bl);
	ota_secret_free(packed);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(ks->db,
			       "INSERT OR REPLACE INTO ota_keysets(iccid, kvn, source, master, kic_alg, kid_alg,"
			       " kik_alg, kic_len, kid_len, kik_len, sealed)"
			       " VALUES(?1, ?2, 'imported', NULL, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, iccid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, keys->kvn);
	sqlite3_bind_int(st, 3, keys->kic.alg);
	sqlite3_bind_int(st, 4, keys->kid.alg);
	sqlite3_bind_int(st, 5, keys->kik.alg);
	sqlite3_bind_int(st, 6, keys->kic.len);
	sqlite3_bind_int(st, 7, keys->kid.len);
	sqlite3_bind_int(st, 8, keys->kik.len);
	sqlite3_bind_blob(st, 9, blob, (int)bl, SQLITE_TRANSIENT);
	return step_done(st);
}

static int add_master_row(struct ota_keystore *ks, const char *name, const char *backend,
			  const uint8_t *blob, size_t bl, const char *label)
{
	sqlite3_stmt *st = NULL;
	if (!*name || strlen(name) > 48)
		return -EINVAL;
	if (sqlite3_prepare_v2(ks->db,
			       "INSERT OR REPLACE INTO ota_masters(name, backend, sealed, p11_label)"
			       " VALUES(?1, ?2, ?3, ?4)",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, backend, -1, SQLITE_STATIC);
	if (blob)
		sqlite3_bind_blob(st, 3, blob, (int)bl, SQLITE_TRANSIENT);
	if (label)
		sqlite3_bind_text(st, 4, label, -1, SQLITE_TRANSIENT);
	return step_done(st);
}

int ota_keystore_add_master(struct ota_keystore *ks, const char *name, const uint8_t *key, size_t len)
{
	uint8_t blob[OTA_KEY_MAX + SEAL_CTX_MAX + 64];
	char ctx[80];
	size_t bl;
	if (len != 16 && len != 32)
		return -EINVAL;
	snprintf(ctx, sizeof(ctx), "master:%s", name);
	int rc = seal(ks, ctx, key, len, blob, sizeof(blob), &bl);
	return rc ? rc : add_master_row(ks, name, "sealed", blob, bl, NULL);
}

int ota_keystore_add_master_p11(struct ota_keystore *ks, const char *name, const char *label)
{
	return add_master_row(ks, name, "pkcs11", NULL, 0, label);
}

int ota_keystore_add_derived(struct ota_keystore *ks, const char *iccid, uint8_t kvn, const char *master,
			     const struct ota_derived_spec *spec)
{
	sqlite3_stmt *st = NULL;
	if (!ota_iccid_valid(iccid) || kvn < 1 || kvn > 15 ||
	    !ota_alg_key_len_ok(spec->kic_alg, spec->kic_len) ||
	    !ota_alg_key_len_ok(spec->kid_alg, spec->kid_len) ||
	    (spec->kik_len && !ota_alg_key_len_ok(spec->kik_alg, spec->kik_len)))
		return -EINVAL;
	if (sqlite3_prepare_v2(ks->db,
			       "INSERT OR REPLACE INTO ota_keysets(iccid, kvn, source, master, kic_alg, kid_alg,"
			       " kik_alg, kic_len, kid_len, kik_len, sealed)"
			       " VALUES(?1, ?2, 'derived', ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULL)",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, iccid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, kvn);
	sqlite3_bind_text(st, 3, master, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 4, spec->kic_alg);
	sqlite3_bind_int(st, 5, spec->kid_alg);
	sqlite3_bind_int(st, 6, spec->kik_alg);
	sqlite3_bind_int(st, 7, spec->kic_len);
	sqlite3_bind_int(st, 8, spec->kid_len);
	sqlite3_bind_int(st, 9, spec->kik_len);
	return step_done(st);
}

/* Derive the keys of one keyset from a master (sealed or in the token). */
static int derive_keys(struct ota_keystore *ks, const char *master, const char *iccid, uint8_t kvn,
		       struct ota_keyset *out)
{
	sqlite3_stmt *st = NULL;
	struct ota_key *v[3] = {&out->kic, &out->kid, &out->kik};
	int rc = -ENOENT;
	if (sqlite3_prepare_v2(ks->db, "SELECT backend, sealed, p11_label FROM ota_masters WHERE name = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, master, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	const char *backend = (const char *)sqlite3_column_text(st, 0);
	if (backend && !strcmp(backend, "pkcs11")) {
		const char *label = (const char *)sqlite3_column_text(st, 2);
		rc = (ks->p11 && label) ? 0 : -ENODEV;
		for (int i = 0; i < 3 && !rc; i++)
			if (v[i]->len)
				rc = p11_kdf_derive(ks->p11, label, iccid, kvn, (enum ota_key_usage)(i + 1), v[i]->k,
						    v[i]->len);
	} else {
		char ctx[80];
		uint8_t *mk = ota_secret_alloc(OTA_KEY_MAX);
		if (!mk) {
			rc = -ENOMEM;
			goto out;
		}
		snprintf(ctx, sizeof(ctx), "master:%s", master);
		int ml = unseal(ks, ctx, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), mk,
				OTA_KEY_MAX);
		rc = ml < 0 ? ml : 0;
		for (int i = 0; i < 3 && !rc; i++)
			if (v[i]->len)
				rc = ota_kdf_derive(mk, (size_t)ml, iccid, kvn, (enum ota_key_usage)(i + 1), v[i]->k,
						    v[i]->len);
		ota_secret_free(mk);
	}
out:
	sqlite3_finalize(st);
	return rc;
}

int ota_keystore_get(struct ota_keystore *ks, const char *iccid, uint8_t kvn, struct ota_keyset *out)
{
	sqlite3_stmt *st = NULL;
	int rc = -ENOENT;
	sodium_memzero(out, sizeof(*out));
	if (sqlite3_prepare_v2(ks->db,
			       "SELECT source, master, kic_alg, kid_alg, kik_alg, kic_len, kid_len, kik_len, sealed"
			       " FROM ota_keysets WHERE iccid = ?1 AND kvn = ?2",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, iccid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, kvn);
	if (sqlite3_step(st) != SQLITE_ROW)
		goto out;
	out->kvn = kvn;
	const char *source = (const char *)sqlite3_column_text(st, 0);
	if (source && !strcmp(source, "derived")) {
		out->kic.alg = (enum ota_alg)sqlite3_column_int(st, 2);
		out->kid.alg = (enum ota_alg)sqlite3_column_int(st, 3);
		out->kik.alg = (enum ota_alg)sqlite3_column_int(st, 4);
		out->kic.len = (uint8_t)sqlite3_column_int(st, 5);
		out->kid.len = (uint8_t)sqlite3_column_int(st, 6);
		out->kik.len = (uint8_t)sqlite3_column_int(st, 7);
		if (out->kic.len > OTA_KEY_MAX || out->kid.len > OTA_KEY_MAX || out->kik.len > OTA_KEY_MAX) {
			rc = -EINVAL;
			goto out;
		}
		char master[64];
		snprintf(master, sizeof(master), "%s", (const char *)sqlite3_column_text(st, 1));
		rc = derive_keys(ks, master, iccid, kvn, out);
	} else {
		char ctx[80];
		uint8_t *packed = ota_secret_alloc(KEYS_BLOB);
		if (!packed) {
			rc = -ENOMEM;
			goto out;
		}
		keyset_ctx(ctx, sizeof(ctx), iccid, kvn);
		int n = unseal(ks, ctx, sqlite3_column_blob(st, 8), (size_t)sqlite3_column_bytes(st, 8), packed,
			       KEYS_BLOB);
		rc = n == KEYS_BLOB ? keys_unpack(packed, out) : n < 0 ? n : -EACCES;
		ota_secret_free(packed);
	}
out:
	sqlite3_finalize(st);
	if (rc)
		sodium_memzero(out, sizeof(*out));
	return rc;
}

int ota_keystore_delete(struct ota_keystore *ks, const char *iccid, uint8_t kvn)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(ks->db, "DELETE FROM ota_keysets WHERE iccid = ?1 AND kvn = ?2", -1, &st,
			       NULL) != SQLITE_OK)
		return -EIO;
	sqlite3_bind_text(st, 1, iccid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, kvn);
	int rc = step_done(st);
	return rc ? rc : sqlite3_changes(ks->db) ? 0 : -ENOENT;
}

int ota_keystore_list(struct ota_keystore *ks, ota_keyset_cb cb, void *ud)
{
	sqlite3_stmt *st = NULL;
	int rc = 0;
	if (sqlite3_prepare_v2(ks->db,
			       "SELECT iccid, kvn, source, master, kic_alg, kid_alg, kik_alg, kic_len, kid_len,"
			       " kik_len FROM ota_keysets ORDER BY iccid, kvn",
			       -1, &st, NULL) != SQLITE_OK)
		return -EIO;
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		struct ota_keyset_info info = {0};
		snprintf(info.iccid, sizeof(info.iccid), "%s", (const char *)sqlite3_column_text(st, 0));
		info.kvn = (uint8_t)sqlite3_column_int(st, 1);
		info.source = strcmp((const char *)sqlite3_column_text(st, 2), "derived") ? "imported" : "derived";
		info.master = (const char *)sqlite3_column_text(st, 3);
		info.kic_alg = (enum ota_alg)sqlite3_column_int(st, 4);
		info.kid_alg = (enum ota_alg)sqlite3_column_int(st, 5);
		info.kik_alg = (enum ota_alg)sqlite3_column_int(st, 6);
		info.kic_len = (uint8_t)sqlite3_column_int(st, 7);
		info.kid_len = (uint8_t)sqlite3_column_int(st, 8);
		info.kik_len = (uint8_t)sqlite3_column_int(st, 9);
		rc = cb(ud, &info);
	}
	sqlite3_finalize(st);
	return rc;
}
