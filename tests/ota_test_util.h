/* Helpers shared by the OTA test programs (header-only, test code only). */
#ifndef OTA_TEST_UTIL_H
#define OTA_TEST_UTIL_H
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota_packet.h"

/* hex -> bytes, failing the test on bad hex; returns the length */
static inline size_t t_hex(const char *hex, uint8_t *out, size_t outsz)
{
	int n = ota_hex_decode(hex, out, outsz);
	if (n < 0) {
		fprintf(stderr, "bad hex in test: %s\n", hex);
		abort();
	}
	return (size_t)n;
}

static inline void t_tohex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = 0;
}

static inline void t_key(struct ota_key *k, enum ota_alg alg, const char *hex)
{
	k->alg = alg;
	k->len = (uint8_t)t_hex(hex, k->k, sizeof(k->k));
}

/* the keysets of ../shared/vectors/ota-kat.md */
static inline void t_kat_aes(struct ota_keyset *ks)
{
	memset(ks, 0, sizeof(*ks));
	ks->kvn = 2;
	t_key(&ks->kic, OTA_ALG_AES, "200102030405060708090a0b0c0d0e0f");
	t_key(&ks->kid, OTA_ALG_AES, "201102030405060708090a0b0c0d0e0f");
}
static inline void t_kat_3des(struct ota_keyset *ks)
{
	memset(ks, 0, sizeof(*ks));
	ks->kvn = 3;
	t_key(&ks->kic, OTA_ALG_3DES2, "300102030405060708090a0b0c0d0e0f");
	t_key(&ks->kid, OTA_ALG_3DES2, "301102030405060708090a0b0c0d0e0f");
}

/* whole file into a NUL-terminated malloc'd string (NULL when unreadable) */
static inline char *t_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *s = malloc(cap);
	size_t r;
	while (s && (r = fread(s + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n < 2) {
			char *t = realloc(s, cap * 2);
			if (!t) {
				free(s);
				s = NULL;
				break;
			}
			s = t;
			cap *= 2;
		}
	}
	fclose(f);
	if (s)
		s[n] = 0;
	if (len)
		*len = n;
	return s;
}

#endif
