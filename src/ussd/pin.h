/* Wallet PINs (GW-PIN): Argon2id hashes (libsodium crypto_pwhash_str), never the PIN itself,
 * and a failure counter with lockout kept in the database row of the account, so a new session,
 * another gateway node or a restart does not reset it. */
#ifndef DFS_PIN_H
#define DFS_PIN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "udb.h"
#include "value_string.h"

#define PIN_HASH_MAX crypto_pwhash_STRBYTES

struct pin_policy {
	unsigned min_len, max_len; /* digits; defaults 4 and 6 */
	unsigned max_failures;     /* wrong PINs in a row before lockout; default 3 */
	int64_t lockout_s;         /* how long; 0 = until reset by customer care */
	unsigned long long ops;    /* Argon2id opslimit; default crypto_pwhash_OPSLIMIT_INTERACTIVE */
	size_t mem;                /* Argon2id memlimit in bytes; default ..._MEMLIMIT_INTERACTIVE */
};

void pin_policy_defaults(struct pin_policy *pp);

enum pin_format {
	PIN_FORMAT_OK = 0,
	PIN_FORMAT_LENGTH,  /* not min..max digits */
	PIN_FORMAT_DIGITS,  /* something other than 0-9 */
	PIN_FORMAT_WEAK,    /* repeated digit, ascending/descending run, or part of the MSISDN */
};
extern const struct value_string pin_format_names[];
enum pin_format pin_check_format(const struct pin_policy *pp, const char *pin, const char *msisdn);

/* Argon2id string for a PIN. 0 or -ENOMEM (the memory limit could not be met). */
int pin_hash(const struct pin_policy *pp, const char *pin, char out[PIN_HASH_MAX]);
/* True when pin matches an Argon2id string. */
bool pin_matches(const char *hash, const char *pin);

enum pin_result {
	PIN_OK = 0,
	PIN_WRONG,   /* wrong, *left tries remain before lockout */
	PIN_LOCKED,  /* locked: nothing was verified */
	PIN_NO_USER, /* no wallet for this MSISDN */
};
extern const struct value_string pin_result_names[];

/* Verify a wallet user's PIN and keep the failure count. 0 with *res set, or negative errno. */
int pin_verify(struct udb *db, const struct pin_policy *pp, const char *msisdn, const char *pin,
	       int64_t now, enum pin_result *res, unsigned *left);
/* Replace a user's PIN hash and clear the failure count. 0, -ENOENT or negative errno. */
int pin_store(struct udb *db, const char *msisdn, const char *hash);

#endif
