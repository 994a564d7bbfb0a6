/* dfsguard ota: build and verify TS 102 225 secured packets, manage the OTA key store.
 * Keys may come from the command line (for testing), from files, or from a key store; they are
 * held in secure memory, wiped from argv once read, and never printed. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "cli.h"
#include "json_writer.h"
#include "ota_counter.h"
#include "ota_keystore.h"
#include "ota_packet.h"
#include "ota_service.h"
#include "ota_transport.h"
#include "ota_wallet.h"

struct ota_opts {
	const char *spi, *kic, *kid, *tar, *cntr, *data, *packet, *por;
	char *kic_key, *kid_key, *kik_key; /* argv strings, wiped after reading */
	const char *kic_key_file, *kid_key_file, *kik_key_file, *key_file;
	const char *kic_alg, *kid_alg, *kik_alg, *kic_len, *kid_len, *kik_len;
	const char *len, *keystore, *kek_file, *iccid, *keyset, *counters, *master, *name, *label, *out;
	const char *p11_module, *p11_token, *p11_pin_file;
	const char *bearer;
	int json, allow_des;
};

enum {
	O_SPI = 256, O_KIC, O_KID, O_TAR, O_CNTR, O_DATA, O_PACKET, O_POR, O_KIC_KEY, O_KID_KEY, O_KIK_KEY,
	O_KIC_KEY_FILE, O_KID_KEY_FILE, O_KIK_KEY_FILE, O_KEY_FILE, O_KIC_ALG, O_KID_ALG, O_KIK_ALG,
	O_KIC_LEN, O_KID_LEN, O_KIK_LEN, O_KEYSTORE, O_KEK_FILE, O_ICCID, O_KEYSET, O_COUNTERS, O_MASTER,
	O_NAME, O_LABEL, O_OUT, O_P11_MODULE, O_P11_TOKEN, O_P11_PIN_FILE, O_LEN, O_BEARER, O_JSON, O_ALLOW_DES,
	O_HELP,
};

static const struct option long_opts[] = {
	{"spi", 1, NULL, O_SPI}, {"kic", 1, NULL, O_KIC}, {"kid", 1, NULL, O_KID}, {"tar", 1, NULL, O_TAR},
	{"cntr", 1, NULL, O_CNTR}, {"data", 1, NULL, O_DATA}, {"packet", 1, NULL, O_PACKET},
	{"por", 1, NULL, O_POR}, {"kic-key", 1, NULL, O_KIC_KEY}, {"kid-key", 1, NULL, O_KID_KEY},
	{"kik-key", 1, NULL, O_KIK_KEY}, {"kic-key-file", 1, NULL, O_KIC_KEY_FILE},
	{"kid-key-file", 1, NULL, O_KID_KEY_FILE}, {"kik-key-file", 1, NULL, O_KIK_KEY_FILE},
	{"key-file", 1, NULL, O_KEY_FILE}, {"kic-alg", 1, NULL, O_KIC_ALG}, {"kid-alg", 1, NULL, O_KID_ALG},
	{"kik-alg", 1, NULL, O_KIK_ALG}, {"kic-len", 1, NULL, O_KIC_LEN}, {"kid-len", 1, NULL, O_KID_LEN},
	{"kik-len", 1, NULL, O_KIK_LEN}, {"keystore", 1, NULL, O_KEYSTORE}, {"kek-file", 1, NULL, O_KEK_FILE},
	{"iccid", 1, NULL, O_ICCID}, {"keyset", 1, NULL, O_KEYSET}, {"counters", 1, NULL, O_COUNTERS},
	{"master", 1, NULL, O_MASTER}, {"name", 1, NULL, O_NAME}, {"label", 1, NULL, O_LABEL},
	{"out", 1, NULL, O_OUT}, {"p11-module", 1, NULL, O_P11_MODULE}, {"p11-token", 1, NULL, O_P11_TOKEN},
	{"p11-pin-file", 1, NULL, O_P11_PIN_FILE}, {"len", 1, NULL, O_LEN}, {"bearer", 1, NULL, O_BEARER}, {"json", 0, NULL, O_JSON},
	{"allow-des", 0, NULL, O_ALLOW_DES}, {"help", 0, NULL, O_HELP}, {NULL, 0, NULL, 0},
};

static const char USAGE[] =
	"usage: dfsguard ota build  --spi HEX --kic HEX --kid HEX --tar HEX [--cntr HEX] --data HEX KEYS\n"
	"                          [--bearer raw|sms|ussd] [--counters FILE] [--json] [--allow-des]\n"
	"       dfsguard ota verify --packet HEX KEYS [--bearer raw|sms|ussd] [--json]\n"
	"       dfsguard ota verify --por HEX --spi HEX --kic HEX --kid HEX KEYS [--bearer sms|ussd|raw] [--json]\n"
	"       dfsguard ota keys gen-kek --out FILE\n"
	"       dfsguard ota keys import --keystore F --kek-file F --iccid N --keyset V\n"
	"                          --kic-alg A --kic-key-file F --kid-alg A --kid-key-file F [--kik-alg A --kik-key-file F]\n"
	"       dfsguard ota keys add-master --keystore F --kek-file F --name M --key-file F\n"
	"       dfsguard ota keys add-master --keystore F --name M --label L (master in a PKCS#11 token)\n"
	"       dfsguard ota keys derive --keystore F --iccid N --keyset V --master M\n"
	"                          --kic-alg A --kic-len N --kid-alg A --kid-len N [--kik-alg A --kik-len N]\n"
	"       dfsguard ota keys list|delete --keystore F [--iccid N --keyset V] [--json]\n"
	"       dfsguard ota keys p11-generate --label L [--len 16|32] P11\n"
	"       dfsguard ota keys p11-import --label L --key-file F P11\n"
	"KEYS: --kic-key HEX|--kic-key-file F and --kid-key HEX|--kid-key-file F (testing), or\n"
	"      --keystore F --kek-file F --iccid N --keyset V\n"
	"P11:  --p11-module SO --p11-token LABEL --p11-pin-file F (also with --keystore, for token masters)\n"
	"algorithms A: des (needs --allow-des), 3des2, 3des3, aes, crc16, crc32\n";

static const struct value_string alg_opt_names[] = {
	{OTA_ALG_DES, "des"}, {OTA_ALG_3DES2, "3des2"}, {OTA_ALG_3DES3, "3des3"}, {OTA_ALG_AES, "aes"},
	{OTA_ALG_CRC16, "crc16"}, {OTA_ALG_CRC32, "crc32"}, {0, NULL},
};

static int parse_opts(int argc, char **argv, struct ota_opts *o)
{
	int c;
	memset(o, 0, sizeof(*o));
	optind = 0;
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case O_SPI: o->spi = optarg; break;
		case O_KIC: o->kic = optarg; break;
		case O_KID: o->kid = optarg; break;
		case O_TAR: o->tar = optarg; break;
		case O_CNTR: o->cntr = optarg; break;
		case O_DATA: o->data = optarg; break;
		case O_PACKET: o->packet = optarg; break;
		case O_POR: o->por = optarg; break;
		case O_KIC_KEY: o->kic_key = optarg; break;
		case O_KID_KEY: o->kid_key = optarg; break;
		case O_KIK_KEY: o->kik_key = optarg; break;
		case O_KIC_KEY_FILE: o->kic_key_file = optarg; break;
		case O_KID_KEY_FILE: o->kid_key_file = optarg; break;
		case O_KIK_KEY_FILE: o->kik_key_file = optarg; break;
		case O_KEY_FILE: o->key_file = optarg; break;
		case O_KIC_ALG: o->kic_alg = optarg; break;
		case O_KID_ALG: o->kid_alg = optarg; break;
		case O_KIK_ALG: o->kik_alg = optarg; break;
		case O_KIC_LEN: o->kic_len = optarg; break;
		case O_KID_LEN: o->kid_len = optarg; break;
		case O_KIK_LEN: o->kik_len = optarg; break;
		case O_KEYSTORE: o->keystore = optarg; break;
		case O_KEK_FILE: o->kek_file = optarg; break;
		case O_ICCID: o->iccid = optarg; break;
		case O_KEYSET: o->keyset = optarg; break;
		case O_COUNTERS: o->counters = optarg; break;
		case O_MASTER: o->master = optarg; break;
		case O_NAME: o->name = optarg; break;
		case O_LABEL: o->label = optarg; break;
		case O_OUT: o->out = optarg; break;
		case O_P11_MODULE: o->p11_module = optarg; break;
		case O_P11_TOKEN: o->p11_token = optarg; break;
		case O_P11_PIN_FILE: o->p11_pin_file = optarg; break;
		case O_LEN: o->len = optarg; break;
		case O_BEARER: o->bearer = optarg; break;
		case O_JSON: o->json = 1; break;
		case O_ALLOW_DES: o->allow_des = 1; break;
		case O_HELP: fputs(USAGE, stdout); return 1;
		default: fputs(USAGE, stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dfsguard ota: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* hex option of an exact byte length */
static int hex_opt(const char *name, const char *v, uint8_t *out, size_t len)
{
	if (!v) {
		fprintf(stderr, "dfsguard ota: --%s is required\n", name);
		return -1;
	}
	if (ota_hex_decode(v, out, len) != (int)len) {
		fprintf(stderr, "dfsguard ota: --%s must be %zu hex bytes\n", name, len);
		return -1;
	}
	return 0;
}

static int alg_opt(const char *name, const char *v, enum ota_alg *alg)
{
	uint32_t a;
	if (!v || get_string_value(alg_opt_names, v, &a)) {
		fprintf(stderr, "dfsguard ota: --%s must be one of des, 3des2, 3des3, aes, crc16, crc32\n", name);
		return -1;
	}
	*alg = (enum ota_alg)a;
	return 0;
}

/* One key from --X-key HEX (then wiped from argv) or --X-key-file F. Never echoes the key. */
static int key_opt(const char *name, char *hex, const char *file, enum ota_alg alg, struct ota_key *k)
{
	int n;
	if (hex) {
		n = ota_key_hex_read(hex, k->k, OTA_KEY_MAX);
		sodium_memzero(hex, strlen(hex));
	} else if (file) {
		n = ota_key_file_read(file, k->k, OTA_KEY_MAX);
	} else {
		return 0;
	}
	if (n < 0) {
		fprintf(stderr, "dfsguard ota: %s key: %s\n", name,
			n == -EINVAL ? "not hex" : n == -E2BIG ? "too long" : strerror(-n));
		return -1;
	}
	k->len = (uint8_t)n;
	k->alg = alg;
	return 0;
}

static int read_secret_file(const char *path, char *out, size_t outsz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, out, outsz - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		n--;
	out[n] = 0;
	return 0;
}

/* A PKCS#11 session from --p11-module, --p11-token and --p11-pin-file. */
static struct ota_p11 *open_p11(const struct ota_opts *o)
{
	struct ota_p11 *p11 = NULL;
	char *pin = ota_secret_alloc(256), err[256] = "";
	if (!o->p11_module || !o->p11_token || !o->p11_pin_file || !pin ||
	    read_secret_file(o->p11_pin_file, pin, 256)) {
		fprintf(stderr, "dfsguard ota: PKCS#11 needs --p11-module, --p11-token and a readable --p11-pin-file\n");
		ota_secret_free(pin);
		return NULL;
	}
	int rc = ota_p11_open(&p11, o->p11_module, o->p11_token, pin, err, sizeof(err));
	ota_secret_free(pin);
	if (rc) {
		fprintf(stderr, "dfsguard ota: %s\n", err);
		return NULL;
	}
	return p11;
}

/* Open the key store named by the options (KEK and PKCS#11 session when given). */
static struct ota_keystore *open_keystore(const struct ota_opts *o)
{
	struct ota_keystore *ks = NULL;
	uint8_t *kek = NULL;
	char err[256] = "";
	int rc;

	if (!o->keystore) {
		fprintf(stderr, "dfsguard ota: --keystore is required\n");
		return NULL;
	}
	if (o->kek_file) {
		kek = ota_secret_alloc(OTA_KEK_LEN + 1);
		rc = kek ? ota_key_file_read(o->kek_file, kek, OTA_KEK_LEN + 1) : -ENOMEM;
		if (rc != OTA_KEK_LEN) {
			fprintf(stderr, "dfsguard ota: --kek-file %s: %s\n", o->kek_file,
				rc < 0 ? strerror(-rc) : "the KEK must be 32 bytes of hex");
			ota_secret_free(kek);
			return NULL;
		}
	}
	rc = ota_keystore_open(&ks, o->keystore, kek, err, sizeof(err));
	ota_secret_free(kek);
	if (rc) {
		fprintf(stderr, "dfsguard ota: %s\n", err[0] ? err : strerror(-rc));
		return NULL;
	}
	if (o->p11_module || o->p11_token) {
		struct ota_p11 *p11 = open_p11(o);
		if (!p11) {
			ota_keystore_close(ks);
			return NULL;
		}
		ota_keystore_set_p11(ks, p11);
	}
	return ks;
}

static int keyset_opt(const struct ota_opts *o, uint8_t *kvn)
{
	char *end;
	long v = o->keyset ? strtol(o->keyset, &end, 0) : -1;
	if (!o->keyset || *end || v < 1 || v > 15) {
		fprintf(stderr, "dfsguard ota: --keyset must be a key version 1..15\n");
		return -1;
	}
	if (!o->iccid || !ota_iccid_valid(o->iccid)) {
		fprintf(stderr, "dfsguard ota: --iccid must be 18..20 digits\n");
		return -1;
	}
	*kvn = (uint8_t)v;
	return 0;
}

/* Keys for build/verify: from the store, or from --kic-key/--kid-key (algorithm from the
 * KIc/KID byte, or --kic-alg/--kid-alg when the byte says "implicit"). */
static int load_keys(struct ota_opts *o, uint8_t kic, uint8_t kid, enum ota_chk_kind kind,
		     struct ota_keyset *ks, struct ota_keystore **store_out)
{
	if (o->keystore) {
		uint8_t kvn;
		struct ota_keystore *store;
		if (keyset_opt(o, &kvn) || !(store = open_keystore(o)))
			return -1;
		int rc = ota_keystore_get(store, o->iccid, kvn, ks);
		if (rc) {
			fprintf(stderr, "dfsguard ota: keyset %u of %s: %s\n", kvn, o->iccid,
				rc == -ENOENT   ? "not in the key store (or its master is missing)"
				: rc == -EACCES ? "does not open with this KEK"
				: rc == -ENODEV ? "its master is in a PKCS#11 token: add --p11-module, --p11-token, --p11-pin-file"
						: strerror(-rc));
			ota_keystore_close(store);
			return -1;
		}
		if (store_out)
			*store_out = store;
		else
			ota_keystore_close(store);
		return 0;
	}
	enum ota_alg ca = ota_kic_alg(kic, OTA_ALG_NONE), ia = ota_kid_alg(kid, kind, OTA_ALG_NONE);
	if (o->kic_alg && alg_opt("kic-alg", o->kic_alg, &ca))
		return -1;
	if (o->kid_alg && alg_opt("kid-alg", o->kid_alg, &ia))
		return -1;
	ks->kvn = kic >> 4;
	if (key_opt("KIc", o->kic_key, o->kic_key_file, ca, &ks->kic) ||
	    key_opt("KID", o->kid_key, o->kid_key_file, ia, &ks->kid))
		return -1;
	return 0;
}

static enum ota_bearer bearer_opt(const char *v, const char *dflt, bool *raw)
{
	*raw = false;
	if (!v)
		v = dflt;
	if (!strcmp(v, "sms"))
		return OTA_BEARER_SMS;
	if (!strcmp(v, "ussd"))
		return OTA_BEARER_USSD;
	*raw = true;
	return OTA_BEARER_SMS;
}

static void print_hex(FILE *f, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
	fputc('\n', f);
}

static const char *rc_text(int rc)
{
	switch (rc) {
	case -EPERM: return "single DES is insecure: add --allow-des to use it";
	case -ENOTSUP: return "algorithm or DS not supported";
	case -EINVAL: return "keys missing or of the wrong length for the algorithm";
	case -EMSGSIZE: return "packet too long";
	case -ENOSPC: return "output buffer too small";
	case -ERANGE: return "counter exhausted";
	default: return strerror(-rc);
	}
}

static int ota_build(struct ota_opts *o)
{
	struct ota_cmd_params p = {0};
	struct ota_keyset *ks = ota_keyset_new();
	struct ota_keystore *store = NULL;
	uint8_t tar[3], *data = malloc(65536), *pkt = malloc(65600);
	struct ota_spi s;
	int rc = 1, n;
	bool raw;
	enum ota_bearer b = bearer_opt(o->bearer, "raw", &raw);

	if (!ks || !data || !pkt)
		goto out;
	if (hex_opt("spi", o->spi, p.spi, 2) || hex_opt("kic", o->kic, &p.kic, 1) ||
	    hex_opt("kid", o->kid, &p.kid, 1) || hex_opt("tar", o->tar, tar, 3))
		goto out;
	if (o->cntr && hex_opt("cntr", o->cntr, p.cntr, 5))
		goto out;
	n = o->data ? ota_hex_decode(o->data, data, 65536) : -1;
	if (n < 0) {
		fprintf(stderr, "dfsguard ota: --data must be hex\n");
		goto out;
	}
	p.data = data;
	p.data_len = (size_t)n;
	p.tar = (uint32_t)tar[0] << 16 | (uint32_t)tar[1] << 8 | tar[2];
	ota_spi_decode(p.spi, &s);
	if (load_keys(o, p.kic, p.kid, s.chk, ks, &store))
		goto out;
	if (o->counters) { /* take the next counter, persisted before the packet exists */
		struct ota_counter_db *db;
		char err[256] = "";
		uint8_t kvn;
		if (!o->iccid || keyset_opt(o, &kvn))
			goto out;
		if (ota_counter_open(&db, o->counters, err, sizeof(err))) {
			fprintf(stderr, "dfsguard ota: %s\n", err);
			goto out;
		}
		int crc = ota_counter_next(db, o->iccid, kvn, p.cntr);
		ota_counter_close(db);
		if (crc) {
			fprintf(stderr, "dfsguard ota: counter: %s\n", rc_text(crc));
			goto out;
		}
	}
	size_t pl = 0;
	const uint8_t *prefix = raw ? NULL : ota_bearer_cmd_prefix(b, &pl);
	struct dfs_wbuf w = dfs_wbuf_init(pkt, 65600);
	int erc = ota_cmd_encode(&w, &p, ks, prefix, pl, o->allow_des ? OTA_F_ALLOW_DES : 0);
	if (erc) {
		fprintf(stderr, "dfsguard ota build: %s\n", rc_text(erc));
		goto out;
	}
	struct ota_seg *segs = NULL;
	int nseg = 0;
	if (!raw) {
		segs = calloc(255, sizeof(*segs));
		uint8_t ref = (uint8_t)randombytes_uniform(256);
		nseg = !segs ? -ENOMEM
		       : b == OTA_BEARER_USSD ? ota_ussd_segment(pkt, w.len, false, ref, segs, 255)
					      : ota_sms_segment(pkt, w.len, false, ref, segs, 255);
		if (nseg < 0) {
			fprintf(stderr, "dfsguard ota build: %s\n", rc_text(nseg));
			free(segs);
			goto out;
		}
	}
	if (o->json) {
		size_t cap = 8 * w.len + 4096;
		char *jb = malloc(cap);
		struct json_writer j;
		struct ota_cmd_pkt c;
		if (!jb) {
			free(segs);
			goto out;
		}
		json_init(&j, jb, cap);
		json_obj_begin(&j);
		json_kv_hex(&j, "packet", pkt, w.len);
		json_kv_str(&j, "bearer", raw ? "raw" : b == OTA_BEARER_USSD ? "ussd" : "sms");
		if (!raw) {
			json_key(&j, b == OTA_BEARER_USSD ? "ussd_strings" : "tp_ud");
			json_arr_begin(&j);
			for (int i = 0; i < nseg; i++)
				json_hex(&j, segs[i].b, segs[i].len);
			json_arr_end(&j);
		}
		json_kv_uint(&j, "cntr", ota_cntr_get(p.cntr));
		if (!ota_cmd_decode(pkt, w.len, 0, &c, NULL)) {
			json_key(&j, "header");
			ota_cmd_pkt_json(&j, &c);
		}
		json_obj_end(&j);
		puts(jb);
		free(jb);
	} else if (raw) {
		print_hex(stdout, pkt, w.len);
	} else {
		for (int i = 0; i < nseg; i++)
			print_hex(stdout, segs[i].b, segs[i].len);
	}
	free(segs);
	rc = 0;
out:
	ota_keystore_close(store);
	ota_keyset_free(ks);
	free(data);
	free(pkt);
	return rc;
}

static void verify_decode_error(const struct dfs_err *e)
{
	fprintf(stderr, "dfsguard ota verify: %s %s at offset %zu: %s\n", e->layer, e->field, e->offset,
		e->reason);
}

/* The JSON report on an n-byte packet, begun: {"type": type. NULL when out of memory. */
static char *verify_report_begin(struct json_writer *j, size_t n, const char *type)
{
	size_t cap = 8 * n + 4096;
	char *jb = malloc(cap);
	if (!jb)
		return NULL;
	json_init(j, jb, cap);
	json_obj_begin(j);
	json_kv_str(j, "type", type);
	return jb;
}

/* verify --packet: a command packet, as a receiving entity would see it */
static int verify_command(struct ota_opts *o, const uint8_t *in, size_t n, bool raw, enum ota_bearer b)
{
	struct ota_cmd_pkt c;
	struct ota_cmd_open op;
	struct dfs_err e = {0};
	struct ota_keyset *ks = ota_keyset_new();
	uint8_t *buf = ota_secret_alloc(n + 1);
	const uint8_t *pkt = in, *prefix = NULL;
	size_t plen = n, pl = 0, skip = 0;
	int rc = 2;

	if (!ks || !buf)
		goto out;
	if (!raw) { /* strip the UDH / CPI of a single TP-UD or USSD string */
		if (b == OTA_BEARER_SMS) {
			struct ota_udh h;
			if (ota_sms_udh_decode(in, n, 0, &h, &e) || !h.cmd_pkt || h.has_concat) {
				fprintf(stderr, "dfsguard ota verify: not a single SMS with IEI 70 (%s)\n",
					e.reason ? e.reason : "no command packet IE");
				goto out;
			}
			skip = h.hdr_len;
		} else {
			if (n < 1 || in[0] != OTA_IEI_CMD_PKT) {
				fprintf(stderr, "dfsguard ota verify: USSD string does not start with CPI 70\n");
				goto out;
			}
			skip = 1;
		}
		pkt = in + skip;
		plen = n - skip;
		prefix = ota_bearer_cmd_prefix(b, &pl);
	}
	if (ota_cmd_decode(pkt, plen, skip, &c, &e)) {
		verify_decode_error(&e);
		goto out;
	}
	if (load_keys(o, c.kic, c.kid, c.spi.chk, ks, NULL))
		goto out;
	int st = ota_cmd_unprotect(&c, ks, prefix, pl, o->allow_des ? OTA_F_ALLOW_DES : 0, buf, n + 1, &op);
	if (st < 0) {
		fprintf(stderr, "dfsguard ota verify: %s\n", rc_text(st));
		goto out;
	}
	struct json_writer j;
	char *jb = verify_report_begin(&j, n, "command");
	if (!jb)
		goto out;
	json_key(&j, "header");
	ota_cmd_pkt_json(&j, &c);
	json_kv_uint(&j, "status", (uint64_t)st);
	json_kv_str(&j, "status_name", get_value_string(ota_status_names, (uint32_t)st));
	json_kv_bool(&j, "verified", st == OTA_ST_OK);
	if (st == OTA_ST_OK) {
		json_kv_uint(&j, "cntr", ota_cntr_get(op.cntr));
		json_kv_uint(&j, "pcntr", op.pcntr);
		ota_app_data_json(&j, "data", op.data, op.data_len);
	}
	json_obj_end(&j);
	if (o->json || (st == OTA_ST_OK && strstr(jb, "\"wallet\"")))
		puts(jb); /* a wallet transaction is only shown with its PIN redacted */
	else if (st == OTA_ST_OK)
		print_hex(stdout, op.data, op.data_len);
	else
		printf("status %02x %s\n", st, get_value_string(ota_status_names, (uint32_t)st));
	free(jb);
	rc = st == OTA_ST_OK ? 0 : 1;
out:
	ota_keyset_free(ks);
	ota_secret_free(buf);
	return rc;
}

/* verify --por: a response packet for a command sent with --spi/--kic/--kid */
static int verify_por(struct ota_opts *o, const uint8_t *in, size_t n, bool raw, enum ota_bearer b)
{
	struct ota_rsp_pkt r;
	struct ota_rsp_open op;
	struct dfs_err e = {0};
	struct ota_keyset *ks = ota_keyset_new();
	uint8_t spi[2], kic = 0, kid = 0, *buf = malloc(n + 1);
	size_t pl = 0;
	const uint8_t *prefix = raw ? NULL : ota_bearer_rsp_prefix(b, &pl);
	struct ota_spi s;
	int rc = 2;

	if (!ks || !buf || hex_opt("spi", o->spi, spi, 2))
		goto out;
	if ((o->kic && hex_opt("kic", o->kic, &kic, 1)) || (o->kid && hex_opt("kid", o->kid, &kid, 1)))
		goto out;
	if (pl && (n < pl || memcmp(in, prefix, pl))) {
		fprintf(stderr, "dfsguard ota verify: the PoR does not start with the %s response header\n",
			b == OTA_BEARER_USSD ? "USSD (71)" : "SMS (02 71 00)");
		goto out;
	}
	if (ota_rsp_decode(in + pl, n - pl, pl, &r, &e)) {
		verify_decode_error(&e);
		goto out;
	}
	ota_spi_decode(spi, &s);
	if (load_keys(o, kic, kid, s.chk, ks, NULL))
		goto out;
	if (o->keystore) { /* KIc/KID bytes from the keyset unless given */
		uint8_t skic, skid;
		ota_keyset_kic_kid(ks, spi, &skic, &skid);
		kic = o->kic ? kic : skic;
		kid = o->kid ? kid : skid;
	}
	int st = ota_rsp_unprotect(&r, spi, kic, kid, ks, prefix, pl, o->allow_des ? OTA_F_ALLOW_DES : 0, buf,
				   n + 1, &op);
	if (st < 0) {
		fprintf(stderr, "dfsguard ota verify: %s\n", rc_text(st));
		goto out;
	}
	struct json_writer j;
	char *jb = verify_report_begin(&j, n, "por");
	if (!jb)
		goto out;
	json_kv_bool(&j, "verified", st == 0);
	if (st) {
		json_kv_str(&j, "error", get_value_string(ota_status_names, (uint32_t)st));
	} else {
		json_key(&j, "por");
		ota_rsp_open_json(&j, r.tar, &op);
	}
	json_obj_end(&j);
	if (o->json)
		puts(jb);
	else if (!st)
		printf("status %02x %s data %s", op.status, get_value_string(ota_status_names, op.status),
		       op.data_len ? "" : "-\n");
	if (!o->json && !st && op.data_len)
		print_hex(stdout, op.data, op.data_len);
	if (!o->json && st)
		printf("PoR check failed: %s\n", get_value_string(ota_status_names, (uint32_t)st));
	free(jb);
	rc = st ? 1 : 0;
out:
	ota_keyset_free(ks);
	free(buf);
	return rc;
}

static int ota_verify(struct ota_opts *o)
{
	const char *hex = o->packet ? o->packet : o->por;
	if (!hex || (o->packet && o->por)) {
		fprintf(stderr, "dfsguard ota verify: give --packet HEX or --por HEX\n");
		return 2;
	}
	size_t cap = strlen(hex) / 2 + 1;
	uint8_t *in = malloc(cap);
	int n = in ? ota_hex_decode(hex, in, cap) : -1;
	int rc = 2;
	bool raw;
	if (n < 0) {
		fprintf(stderr, "dfsguard ota verify: not hex\n");
	} else if (o->packet) {
		enum ota_bearer b = bearer_opt(o->bearer, "raw", &raw);
		rc = verify_command(o, in, (size_t)n, raw, b);
	} else {
		enum ota_bearer b = bearer_opt(o->bearer, "sms", &raw);
		rc = verify_por(o, in, (size_t)n, raw, b);
	}
	free(in);
	return rc;
}

/* ---- keys ---------------------------------------------------------------------------------- */
static int keys_gen_kek(const struct ota_opts *o)
{
	uint8_t *k = ota_secret_alloc(OTA_KEK_LEN);
	char *hex = ota_secret_alloc(2 * OTA_KEK_LEN + 2);
	int fd, rc = 1;
	if (!o->out) {
		fprintf(stderr, "dfsguard ota keys gen-kek: --out FILE is required\n");
		goto out;
	}
	if (!k || !hex)
		goto out;
	randombytes_buf(k, OTA_KEK_LEN);
	sodium_bin2hex(hex, 2 * OTA_KEK_LEN + 1, k, OTA_KEK_LEN);
	hex[2 * OTA_KEK_LEN] = '\n';
	fd = open(o->out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "dfsguard ota keys gen-kek: %s: %s\n", o->out, strerror(errno));
		goto out;
	}
	rc = write(fd, hex, 2 * OTA_KEK_LEN + 1) == 2 * OTA_KEK_LEN + 1 ? 0 : 1;
	close(fd);
	if (!rc)
		printf("wrote a new 32-byte KEK to %s (mode 0600)\n", o->out);
out:
	ota_secret_free(k);
	ota_secret_free(hex);
	return rc;
}

static int keys_import(struct ota_opts *o, struct ota_keystore *store)
{
	struct ota_keyset *ks = ota_keyset_new();
	enum ota_alg ca, ia, ka = OTA_ALG_NONE;
	uint8_t kvn;
	int rc = 1;
	if (!ks || keyset_opt(o, &kvn) || alg_opt("kic-alg", o->kic_alg, &ca) || alg_opt("kid-alg", o->kid_alg, &ia) ||
	    (o->kik_alg && alg_opt("kik-alg", o->kik_alg, &ka)))
		goto out;
	ks->kvn = kvn;
	if (key_opt("KIc", o->kic_key, o->kic_key_file, ca, &ks->kic) ||
	    key_opt("KID", o->kid_key, o->kid_key_file, ia, &ks->kid) ||
	    key_opt("KIK", o->kik_key, o->kik_key_file, ka, &ks->kik))
		goto out;
	if (!ota_alg_key_len_ok(ca, ks->kic.len) ||
	    ((ia != OTA_ALG_CRC16 && ia != OTA_ALG_CRC32) && !ota_alg_key_len_ok(ia, ks->kid.len)) ||
	    (ks->kik.len && !ota_alg_key_len_ok(ka, ks->kik.len))) {
		fprintf(stderr, "dfsguard ota keys import: a key is missing or its length does not fit the algorithm\n");
		goto out;
	}
	int r = ota_keystore_import(store, o->iccid, ks);
	if (r) {
		fprintf(stderr, "dfsguard ota keys import: %s\n", r == -EACCES ? "a --kek-file is needed" : strerror(-r));
		goto out;
	}
	printf("imported keyset %u of %s (sealed)\n", kvn, o->iccid);
	rc = 0;
out:
	ota_keyset_free(ks);
	return rc;
}

static int keys_add_master(const struct ota_opts *o, struct ota_keystore *store)
{
	int r;
	if (!o->name) {
		fprintf(stderr, "dfsguard ota keys add-master: --name is required\n");
		return 1;
	}
	if (o->label) {
		r = ota_keystore_add_master_p11(store, o->name, o->label);
	} else {
		uint8_t *k = ota_secret_alloc(OTA_KEY_MAX);
		int n = k && o->key_file ? ota_key_file_read(o->key_file, k, OTA_KEY_MAX) : -EINVAL;
		r = n < 0 ? n : ota_keystore_add_master(store, o->name, k, (size_t)n);
		ota_secret_free(k);
	}
	if (r) {
		fprintf(stderr, "dfsguard ota keys add-master: %s\n",
			r == -EACCES ? "a --kek-file is needed" : r == -EINVAL ? "need --key-file with a 16 or 32 byte AES key, or --label" : strerror(-r));
		return 1;
	}
	printf("master %s added (%s)\n", o->name, o->label ? "PKCS#11" : "sealed");
	return 0;
}

static int len_opt(const char *name, const char *v, uint8_t *len)
{
	char *end;
	long n = v ? strtol(v, &end, 10) : -1;
	if (!v || *end || n < 1 || n > OTA_KEY_MAX) {
		fprintf(stderr, "dfsguard ota: --%s must be a key length in bytes\n", name);
		return -1;
	}
	*len = (uint8_t)n;
	return 0;
}

static int keys_derive(const struct ota_opts *o, struct ota_keystore *store)
{
	struct ota_derived_spec spec = {0};
	uint8_t kvn;
	if (keyset_opt(o, &kvn) || !o->master || alg_opt("kic-alg", o->kic_alg, &spec.kic_alg) ||
	    alg_opt("kid-alg", o->kid_alg, &spec.kid_alg) || len_opt("kic-len", o->kic_len, &spec.kic_len) ||
	    len_opt("kid-len", o->kid_len, &spec.kid_len))
		return 1;
	if (o->kik_alg && (alg_opt("kik-alg", o->kik_alg, &spec.kik_alg) || len_opt("kik-len", o->kik_len, &spec.kik_len)))
		return 1;
	int r = ota_keystore_add_derived(store, o->iccid, kvn, o->master, &spec);
	if (r) {
		fprintf(stderr, "dfsguard ota keys derive: %s\n", r == -EINVAL ? "algorithm and length do not fit" : strerror(-r));
		return 1;
	}
	printf("keyset %u of %s derived from master %s\n", kvn, o->iccid, o->master);
	return 0;
}

/* keys p11-generate / p11-import: an AES master inside the token (sensitive, not extractable) */
static int keys_p11(const struct ota_opts *o, bool generate)
{
	struct ota_p11 *p11;
	uint8_t len = 16;
	int rc;
	if (!o->label) {
		fprintf(stderr, "dfsguard ota keys: --label is required\n");
		return 1;
	}
	if (generate && o->len && (len_opt("len", o->len, &len) || (len != 16 && len != 32))) {
		fprintf(stderr, "dfsguard ota keys p11-generate: --len must be 16 or 32\n");
		return 1;
	}
	p11 = open_p11(o);
	if (!p11)
		return 1;
	if (generate) {
		rc = ota_p11_generate_aes(p11, o->label, len);
	} else {
		uint8_t *k = ota_secret_alloc(OTA_KEY_MAX);
		int n = k && o->key_file ? ota_key_file_read(o->key_file, k, OTA_KEY_MAX) : -EINVAL;
		rc = n < 0 ? n : ota_p11_import_aes(p11, o->label, k, (size_t)n);
		ota_secret_free(k);
	}
	ota_p11_close(p11);
	if (rc) {
		fprintf(stderr, "dfsguard ota keys: %s\n",
			rc == -EEXIST ? "the token already has a key with this label"
			: rc == -EINVAL ? "need a 16 or 32 byte AES key (--key-file)" : "the token refused the key");
		return 1;
	}
	printf("AES master '%s' %s in the token\n", o->label, generate ? "generated" : "imported");
	return 0;
}

struct list_ctx {
	int json;
	unsigned n;
};

static int list_one(void *ud, const struct ota_keyset_info *i)
{
	struct list_ctx *l = ud;
	if (l->json) {
		char b[512];
		struct json_writer j;
		json_init(&j, b, sizeof(b));
		json_obj_begin(&j);
		json_kv_str(&j, "iccid", i->iccid);
		json_kv_uint(&j, "keyset", i->kvn);
		json_kv_str(&j, "source", i->source);
		if (i->master)
			json_kv_str(&j, "master", i->master);
		json_kv_str(&j, "kic_alg", get_value_string(ota_alg_names, i->kic_alg));
		json_kv_uint(&j, "kic_len", i->kic_len);
		json_kv_str(&j, "kid_alg", get_value_string(ota_alg_names, i->kid_alg));
		json_kv_uint(&j, "kid_len", i->kid_len);
		if (i->kik_len) {
			json_kv_str(&j, "kik_alg", get_value_string(ota_alg_names, i->kik_alg));
			json_kv_uint(&j, "kik_len", i->kik_len);
		}
		json_obj_end(&j);
		puts(b);
	} else {
		printf("%-20s %2u %-8s KIc %s/%u KID %s/%u%s%s\n", i->iccid, i->kvn, i->source,
		       get_value_string(ota_alg_names, i->kic_alg), i->kic_len * 8,
		       get_value_string(ota_alg_names, i->kid_alg), i->kid_len * 8, i->master ? " master " : "",
		       i->master ? i->master : "");
	}
	l->n++;
	return 0;
}

static int ota_keys(int argc, char **argv)
{
	struct ota_opts o;
	struct ota_keystore *store = NULL;
	int rc;
	if (argc < 2) {
		fputs(USAGE, stderr);
		return 2;
	}
	const char *sub = argv[1];
	rc = parse_opts(argc - 1, argv + 1, &o);
	if (rc)
		return rc > 0 ? 0 : 2;
	if (!strcmp(sub, "gen-kek"))
		return keys_gen_kek(&o);
	if (!strcmp(sub, "p11-generate") || !strcmp(sub, "p11-import"))
		return keys_p11(&o, !strcmp(sub, "p11-generate"));
	if (strcmp(sub, "import") && strcmp(sub, "add-master") && strcmp(sub, "derive") && strcmp(sub, "list") &&
	    strcmp(sub, "delete")) {
		fprintf(stderr, "dfsguard ota keys: unknown subcommand '%s'\n", sub);
		return 2;
	}
	store = open_keystore(&o);
	if (!store)
		return 1;
	if (!strcmp(sub, "import")) {
		rc = keys_import(&o, store);
	} else if (!strcmp(sub, "add-master")) {
		rc = keys_add_master(&o, store);
	} else if (!strcmp(sub, "derive")) {
		rc = keys_derive(&o, store);
	} else if (!strcmp(sub, "list")) {
		struct list_ctx l = {.json = o.json};
		rc = ota_keystore_list(store, list_one, &l) ? 1 : 0;
	} else {
		uint8_t kvn;
		rc = keyset_opt(&o, &kvn) ? 1 : ota_keystore_delete(store, o.iccid, kvn) ? 1 : 0;
		if (rc)
			fprintf(stderr, "dfsguard ota keys delete: no such keyset\n");
	}
	ota_keystore_close(store);
	return rc;
}

int cmd_ota(int argc, char **argv)
{
	struct ota_opts o;
	int rc;
	if (sodium_init() < 0)
		return 1;
	ota_harden_process(); /* no core dump with keys in it */
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(USAGE, argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "keys"))
		return ota_keys(argc - 1, argv + 1);
	if (strcmp(argv[1], "build") && strcmp(argv[1], "verify")) {
		fprintf(stderr, "dfsguard ota: unknown subcommand '%s'\n", argv[1]);
		return 2;
	}
	rc = parse_opts(argc - 1, argv + 1, &o);
	if (rc)
		return rc > 0 ? 0 : 2;
	if (!strcmp(argv[1], "build"))
		return ota_build(&o);
	return ota_verify(&o);
}
