/* libFuzzer: the HTTP face's request decoders — form fields (application/x-www-form-urlencoded,
 * AT convention) and CAMARA SIM Swap JSON bodies. Neither may read out of bounds, and a decoded
 * field always fits its buffer and is NUL-terminated. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "camara.h"
#include "http_face.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fields[] = {"sessionId", "serviceCode", "phoneNumber",
					     "networkCode", "text", "imsi"};
	char out[64];
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (http_form_field((const char *)data, size, fields[i], out, sizeof(out)) == 0 &&
		    strlen(out) >= sizeof(out))
			__builtin_trap();
	}
	char msisdn[16];
	int64_t max_age;
	struct camara_error e;
	for (int check = 0; check < 2; check++)
		if (camara_parse((const char *)data, size, check, msisdn, sizeof(msisdn), &max_age,
				 &e) == 0 &&
		    (strlen(msisdn) < 5 || (check && (max_age < 1 || max_age > 2400))))
			__builtin_trap();
	return 0;
}
