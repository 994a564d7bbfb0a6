/* GW-APPAUTH: HMAC-SHA256 over timestamp and body, replay window and cache. See appauth.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "appauth.h"

const struct value_string appauth_result_names[] = {
	{APPAUTH_OK, "ok"},
	{APPAUTH_MISSING, "missing signature"},
	{APPAUTH_BAD_SIG, "bad signature"},
	{APPAUTH_STALE, "timestamp outside the replay window"},
	{APPAUTH_REPLAY, "replayed request"},
	{0, NULL},
};

int appauth_replay_init(struct appauth_replay *r, unsigned slots)
{
	memset(r, 0, sizeof(*r));
	r->slot = calloc(slots, sizeof(*r->slot));
	if (!r->slot)
		return -ENOMEM;
	r->nslots = slots;
	pthread_mutex_init(&r->lock, NULL);
	return 0;
}

void appauth_replay_free(struct appauth_replay *r)
{
	if (!r->slot)
		return;
	free(r->slot);
	r->slot = NULL;
	pthread_mutex_destroy(&r->lock);
}

void appauth_sign(const uint8_t *key, size_t keylen, const char *ts, const void *body, size_t n,
		  char out[APPAUTH_SIG_HEX])
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_init(&st, key, keylen);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)ts, strlen(ts));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)".", 1);
	crypto_auth_hmacsha256_update(&st, body, n);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(out, APPAUTH_SIG_HEX, mac, sizeof(mac));
}

/* 0 = first time seen (now remembered), 1 = seen. A full probe run evicts the entry that
 * expires first; entries are only needed until their timestamp leaves the window. */
static int replay_seen(struct appauth_replay *r, const char *sig, int64_t now, int64_t expires)
{
	uint8_t tag[16];
	crypto_generichash(tag, sizeof(tag), (const unsigned char *)sig, strlen(sig), NULL, 0);
	uint64_t h;
	memcpy(&h, tag, sizeof(h));
	int ret = 0;
	pthread_mutex_lock(&r->lock);
	unsigned victim = (unsigned)(h % r->nslots);
	for (unsigned i = 0; i < 32; i++) {
		unsigned k = (unsigned)((h + i) % r->nslots);
		if (r->slot[k].expires > now && !memcmp(r->slot[k].tag, tag, sizeof(tag))) {
			ret = 1;
			break;
		}
		if (r->slot[k].expires < r->slot[victim].expires)
			victim = k;
	}
	if (!ret) {
		memcpy(r->slot[victim].tag, tag, sizeof(tag));
		r->slot[victim].expires = expires;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

enum appauth_result appauth_verify(const uint8_t *key, size_t keylen, const char *ts,
				   const char *sig, const void *body, size_t n, int64_t now,
				   int64_t window, struct appauth_replay *replay)
{
	if (!ts || !sig || !*ts || strlen(ts) > 12 || strlen(sig) != APPAUTH_SIG_HEX - 1)
		return APPAUTH_MISSING;
	for (const char *p = ts; *p; p++)
		if (*p < '0' || *p > '9')
			return APPAUTH_MISSING;
	char want[APPAUTH_SIG_HEX], got[APPAUTH_SIG_HEX];
	appauth_sign(key, keylen, ts, body, n, want);
	/* compare lower-cased, in constant time */
	for (int i = 0; i < APPAUTH_SIG_HEX; i++)
		got[i] = (char)(sig[i] >= 'A' && sig[i] <= 'F' ? sig[i] + 32 : sig[i]);
	if (sodium_memcmp(want, got, APPAUTH_SIG_HEX - 1) != 0)
		return APPAUTH_BAD_SIG;
	int64_t t = strtoll(ts, NULL, 10);
	if (t < now - window || t > now + window)
		return APPAUTH_STALE;
	if (replay && replay_seen(replay, want, now, t + window + 1))
		return APPAUTH_REPLAY;
	return APPAUTH_OK;
}
