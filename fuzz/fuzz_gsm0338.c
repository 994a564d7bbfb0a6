/* libFuzzer target: GSM 03.38 text decoding. Input: DCS octet, then a USSD string.
 * Whatever decodes must encode and decode back to the same text; septet unpacking with fill
 * bits must pack back to the same bits. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gsm0338.h"

static void check_text(uint8_t dcs, const uint8_t *p, size_t len)
{
	char text[4 * USSD_MAX_OCTETS + 8], again[sizeof(text) + 8];
	int n = ussd_decode_text(dcs, p, len, text, sizeof(text));
	if (n < 0)
		return;
	if ((size_t)n != strlen(text))
		abort();
	uint8_t enc[USSD_MAX_OCTETS + 2];
	int o = ussd_encode_text(text, dcs, enc, sizeof(enc));
	if (o == -ENOTSUP && cbs_dcs_parse(dcs).lang_prefix)
		return;
	if (o < 0)
		abort(); /* decoded text always encodes again within 161 octets */
	int m = ussd_decode_text(dcs, enc, (size_t)o, again, sizeof(again));
	if (m < 0)
		abort();
	/* a CR ending on an octet boundary comes back doubled (TS 23.038 6.1.2.3.1) */
	if (strcmp(text, again) && !(m == n + 1 && again[n] == '\r' && !strncmp(text, again, (size_t)n)))
		abort();
}

static void check_packing(const uint8_t *p, size_t len)
{
	if (len < 1)
		return;
	unsigned fill = p[0] % 7;
	p++;
	len--;
	if (len * 8 < fill)
		return;
	size_t n = (len * 8 - fill) / 7;
	uint8_t sept[400], back[400];
	if (n > sizeof(sept))
		return;
	if (gsm7_unpack(p, len, fill, n, sept, sizeof(sept)) != (int)n)
		abort();
	int o = gsm7_pack(sept, n, fill, back, sizeof(back));
	if (o < 0 || (size_t)o > len)
		abort();
	for (size_t bit = fill; bit < fill + 7 * n; bit++)
		if (((p[bit / 8] ^ back[bit / 8]) >> (bit % 8)) & 1)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	check_text(data[0], data + 1, size - 1);
	check_packing(data, size);
	return 0;
}
