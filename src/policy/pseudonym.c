/* Keyed pseudonyms for identities in exported alerts: HMAC-SHA256 (RFC 2104, FIPS 180-4)
 * truncated, so that the same IMSI always maps to the same token under one key, and the
 * token cannot be reversed or recomputed without the key. */
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "policy.h"

int policy_pseudonym(const struct policy_config *cfg, const char *digits, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	if (!cfg->pseudo_enabled || !cfg->pseudo_key_len || outsz < (size_t)cfg->pseudo_len + 2)
		return -EINVAL;
	if (!HMAC(EVP_sha256(), cfg->pseudo_key, (int)cfg->pseudo_key_len, (const unsigned char *)digits,
		  strlen(digits), md, &mdlen) || mdlen * 2 < cfg->pseudo_len)
		return -EINVAL;
	out[0] = 'p';
	for (unsigned i = 0; i < cfg->pseudo_len; i++)
		out[1 + i] = hex[(md[i / 2] >> (i % 2 ? 0 : 4)) & 0x0f];
	out[1 + cfg->pseudo_len] = 0;
	return 0;
}
