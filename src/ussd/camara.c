/* CAMARA SIM Swap API request bodies, see camara.h. Error codes and texts follow the CAMARA
 * SIM Swap definition (Generic400 / Generic422 responses). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "camara.h"
#include "simswap.h"

static int fail(struct camara_error *e, unsigned status, const char *code, const char *msg)
{
	e->status = status;
	e->code = code;
	e->message = msg;
	return -EINVAL;
}

bool camara_correlator_ok(const char *x)
{
	if (!x)
		return true;
	if (strlen(x) > 256)
		return false;
	for (const char *p = x; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_:;./<>{}",
			    *p))
			return false;
	return true;
}

int camara_parse(const char *body, size_t len, bool check, char *msisdn, size_t msisdn_sz,
		 int64_t *max_age, struct camara_error *e)
{
	struct json_tokener *tok = json_tokener_new_ex(8);
	json_object *o = tok ? json_tokener_parse_ex(tok, body, (int)len) : NULL;
	bool complete = tok && json_tokener_get_error(tok) == json_tokener_success &&
			json_tokener_get_parse_end(tok) == len;
	json_tokener_free(tok);
	int rc = 0;
	if (!o || !complete || !json_object_is_type(o, json_type_object)) {
		rc = fail(e, 400, "INVALID_ARGUMENT",
			  "Client specified an invalid argument, request body or query param.");
		goto out;
	}
	json_object *pn = NULL, *ma = NULL;
	json_object_object_get_ex(o, "phoneNumber", &pn);
	json_object_object_get_ex(o, "maxAge", &ma);
	/* two-legged tokens only: the phone number must be in the request */
	if (!pn) {
		rc = fail(e, 422, "MISSING_IDENTIFIER", "The device cannot be identified.");
		goto out;
	}
	const char *phone = json_object_is_type(pn, json_type_string) ? json_object_get_string(pn)
								       : NULL;
	if (!phone || phone[0] != '+' || phone[1] < '1' || phone[1] > '9' ||
	    !simswap_valid_msisdn(phone + 1) || strlen(phone + 1) >= msisdn_sz) {
		rc = fail(e, 400, "INVALID_ARGUMENT", "phoneNumber must match ^\\+[1-9][0-9]{4,14}$");
		goto out;
	}
	snprintf(msisdn, msisdn_sz, "%s", phone + 1);
	*max_age = 240;
	if (check && ma) {
		if (!json_object_is_type(ma, json_type_int)) {
			rc = fail(e, 400, "INVALID_ARGUMENT", "maxAge must be an integer");
			goto out;
		}
		*max_age = json_object_get_int64(ma);
		if (*max_age < 1 || *max_age > 2400) {
			rc = fail(e, 400, "OUT_OF_RANGE", "maxAge must be 1 to 2400 hours");
			goto out;
		}
	}
out:
	json_object_put(o);
	return rc;
}
