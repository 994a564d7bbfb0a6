/* Wallet PIN hashing, format rules and lockout (GW-PIN), see pin.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pin.h"
#include "value_string.h"

const struct value_string pin_format_names[] = {
	{PIN_FORMAT_OK, "ok"},
	{PIN_FORMAT_LENGTH, "length"},
	{PIN_FORMAT_DIGITS, "digits"},
	{PIN_FORMAT_WEAK, "weak"},
	{0, NULL},
};

const struct value_string pin_result_names[] = {
	{PIN_OK, "ok"},
	{PIN_WRONG, "wrong"},
	{PIN_LOCKED, "locked"},
	{PIN_NO_USER, "no-user"},
	{0, NULL},
};

void pin_policy_defaults(struct pin_policy *pp)
{
	pp->min_len = 4;
	pp->max_len = 6;
	pp->max_failures = 3;
	pp->lockout_s = 24 * 3600;
	pp->ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
	pp->mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
}

enum pin_format pin_check_format(const struct pin_policy *pp, const char *pin, const char *msisdn)
{
	size_t n = strlen(pin);
	if (n < pp->min_len || n > pp->max_len)
		return PIN_FORMAT_LENGTH;
	for (size_t i = 0; i < n; i++)
		if (pin[i] < '0' || pin[i] > '9')
			return PIN_FORMAT_DIGITS;
	bool same = true, up = true, down = true;
	for (size_t i = 1; i < n; i++) {
		same &= pin[i] == pin[0];
		up &= pin[i] == (char)('0' + (pin[i - 1] - '0' + 1) % 10);
		down &= pin[i] == (char)('0' + (pin[i - 1] - '0' + 9) % 10);
	}
	if (same || up || down)
		return PIN_FORMAT_WEAK;
	/* the last digits of the phone number are the first thing an attacker tries */
	if (msisdn && strlen(msisdn) >= n && !strcmp(msisdn + strlen(msisdn) - n, pin))
		return PIN_FORMAT_WEAK;
	return PIN_FORMAT_OK;
}

int pin_hash(const struct pin_policy *pp, const char *pin, char out[PIN_HASH_MAX])
{
	if (crypto_pwhash_str_alg(out, pin, strlen(pin), pp->ops, pp->mem,
				  crypto_pwhash_ALG_ARGON2ID13) != 0)
		return -ENOMEM;
	return 0;
}

bool pin_matches(const char *hash, const char *pin)
{
	return crypto_pwhash_str_verify(hash, pin, strlen(pin)) == 0;
}

struct user_row {
	bool seen;
	char hash[PIN_HASH_MAX];
	int64_t fail, locked_until;
	int rc;
};

static int user_cb(void *ud, int ncol, const char *const *cols)
{
	struct user_row *u = ud;
	u->seen = true;
	if (ncol < 3 || !cols[0] || strlen(cols[0]) >= sizeof(u->hash) ||
	    udb_parse_i64(cols[1], &u->fail) || udb_parse_i64(cols[2], &u->locked_until))
		u->rc = -EIO;
	else
		snprintf(u->hash, sizeof(u->hash), "%s", cols[0]);
	return 1;
}

int pin_verify(struct udb *db, const struct pin_policy *pp, const char *msisdn, const char *pin,
	       int64_t now, enum pin_result *res, unsigned *left)
{
	struct user_row u = {0};
	struct udb_val p[] = {UDB_TEXT(msisdn)};
	struct udb_conn *c = udb_get(db);
	int rc = udb_exec(c, "SELECT pin_hash, pin_fail, locked_until FROM wallet_users"
			     " WHERE msisdn = ?1", p, 1, user_cb, &u);
	udb_put(db, c);
	*left = 0;
	if (rc)
		return rc;
	if (!u.seen) {
		*res = PIN_NO_USER;
		return 0;
	}
	if (u.rc)
		return u.rc;
	bool locked = u.fail >= pp->max_failures &&
		      (pp->lockout_s == 0 || u.locked_until > now);
	if (locked) {
		*res = PIN_LOCKED;
		sodium_memzero(u.hash, sizeof(u.hash));
		return 0;
	}
	/* Argon2id runs without holding a database connection */
	bool ok = pin_matches(u.hash, pin);
	sodium_memzero(u.hash, sizeof(u.hash));
	c = udb_get(db);
	if (ok) {
		rc = udb_exec(c, "UPDATE wallet_users SET pin_fail = 0, locked_until = 0"
				 " WHERE msisdn = ?1", p, 1, NULL, NULL);
		*res = PIN_OK;
	} else {
		/* a lockout that ran out starts a fresh count */
		int64_t fail = u.fail >= pp->max_failures ? 0 : u.fail;
		struct udb_val q[] = {UDB_TEXT(msisdn), UDB_INT(pp->max_failures),
				      UDB_INT(now + pp->lockout_s), UDB_INT(fail)};
		rc = udb_exec(c,
			      "UPDATE wallet_users SET"
			      " pin_fail = CASE WHEN pin_fail >= ?2 THEN ?4 ELSE pin_fail END + 1,"
			      " locked_until = CASE WHEN (CASE WHEN pin_fail >= ?2 THEN ?4 ELSE"
			      "  pin_fail END) + 1 >= ?2 THEN ?3 ELSE locked_until END"
			      " WHERE msisdn = ?1",
			      q, 4, NULL, NULL);
		int64_t now_fail = 0;
		if (rc == 0)
			rc = udb_query_int(c, "SELECT pin_fail FROM wallet_users WHERE msisdn = ?1",
					   p, 1, &now_fail);
		*res = now_fail >= pp->max_failures ? PIN_LOCKED : PIN_WRONG;
		*left = now_fail >= pp->max_failures ? 0 : (unsigned)(pp->max_failures - now_fail);
		/* the lockout takes effect now, but this attempt was a wrong PIN: report it so */
		if (*res == PIN_LOCKED)
			*res = PIN_WRONG;
	}
	udb_put(db, c);
	return rc;
}

int pin_store(struct udb *db, const char *msisdn, const char *hash)
{
	struct udb_val p[] = {UDB_TEXT(msisdn), UDB_TEXT(hash)};
	struct udb_conn *c = udb_get(db);
	int64_t n = 0;
	int rc = udb_query_int(c, "UPDATE wallet_users SET pin_hash = ?2, pin_fail = 0,"
				  " locked_until = 0 WHERE msisdn = ?1 RETURNING 1", p, 2, &n);
	udb_put(db, c);
	return rc;
}
