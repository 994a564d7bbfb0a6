/* GW-APPAUTH: HMAC-SHA256 authentication of the HTTP callbacks between the gateway and DFS
 * applications / aggregators, in both directions.
 *
 *   X-DFSG-Timestamp: <unix seconds>
 *   X-DFSG-Signature: hex(HMAC-SHA256(key, timestamp "." body))
 *
 * A request is accepted when the signature matches, the timestamp is within the replay window
 * of now, and the same signature was not accepted before within the window. */
#ifndef DFS_APPAUTH_H
#define DFS_APPAUTH_H
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "value_string.h"

#define APPAUTH_SIG_HEX 65
#define APPAUTH_TS_HEADER "X-DFSG-Timestamp"
#define APPAUTH_SIG_HEADER "X-DFSG-Signature"

enum appauth_result {
	APPAUTH_OK = 0,
	APPAUTH_MISSING,   /* no timestamp or signature header */
	APPAUTH_BAD_SIG,   /* signature does not match */
	APPAUTH_STALE,     /* timestamp outside the replay window */
	APPAUTH_REPLAY,    /* this exact signed request was seen before */
};
extern const struct value_string appauth_result_names[];

#define APPAUTH_REPLAY_SLOTS 65536

struct appauth_replay {
	pthread_mutex_t lock;
	struct {
		uint8_t tag[16];
		int64_t expires;
	} *slot;
	unsigned nslots;
};

int appauth_replay_init(struct appauth_replay *r, unsigned slots);
void appauth_replay_free(struct appauth_replay *r);

void appauth_sign(const uint8_t *key, size_t keylen, const char *ts, const void *body, size_t n,
		  char out[APPAUTH_SIG_HEX]);
/* Check a request's headers against its body. replay may be NULL (responses). */
enum appauth_result appauth_verify(const uint8_t *key, size_t keylen, const char *ts,
				   const char *sig, const void *body, size_t n, int64_t now,
				   int64_t window, struct appauth_replay *replay);

#endif
