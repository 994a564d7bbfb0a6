/* CAMARA SIM Swap API request bodies (GW-SIMSWAP-API), parsed with json-c. */
#ifndef DFS_CAMARA_H
#define DFS_CAMARA_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct camara_error {
	unsigned status;      /* HTTP status */
	const char *code;     /* CAMARA error code */
	const char *message;
};

/* Parse a /check (check = true) or /retrieve-date body for a two-legged token: phoneNumber
 * required (E.164 with '+'), maxAge 1..2400 hours, default 240. 0 with msisdn (digits, no '+')
 * and *max_age set, or -EINVAL with e set. */
int camara_parse(const char *body, size_t len, bool check, char *msisdn, size_t msisdn_sz,
		 int64_t *max_age, struct camara_error *e);
/* x-correlator: ^[a-zA-Z0-9-_:;.\/<>{}]{0,256}$ (NULL = absent, fine). */
bool camara_correlator_ok(const char *x);

#endif
