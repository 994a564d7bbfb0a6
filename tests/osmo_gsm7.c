/* Second oracle for GSM-7 USSD packing: libosmocore's gsm_7bit_encode_n_ussd and
 * gsm_7bit_decode_n_ussd against ours over many random strings. Built and run by osmo_gsm7.sh.
 * libosmocore pads with CR but does not double a wanted trailing CR on an octet boundary,
 * so strings ending in CR are compared on decoding only. Its USSD decoder also drops a last
 * septet whenever the last octet shifted right by one reads CR, even when that octet holds the
 * high bits of a real character; so it is used only when the octets end on a septet boundary
 * (the only case 6.1.2.3.1 pads), and gsm_7bit_decode_n otherwise. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gsm0338.h"

/* from <osmocom/gsm/gsm_utils.h>, which cannot be included next to our value_string.h */
int gsm_7bit_encode_n_ussd(uint8_t *result, size_t n, const char *data, int *octets_written);
int gsm_7bit_decode_n_ussd(char *decoded, size_t n, const uint8_t *user_data, uint8_t length);
int gsm_7bit_decode_n(char *decoded, size_t n, const uint8_t *user_data, uint8_t length);

/* ASCII characters of the default alphabet and its extension table */
static const char alphabet[] = "@$_ !\"#%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			       "abcdefghijklmnopqrstuvwxyz^{}\\[~]|\n\r";

int main(int argc, char **argv)
{
	unsigned long iters = argc > 1 ? strtoul(argv[1], NULL, 10) : 20000;
	unsigned seed = 20240611;
	unsigned long compared = 0, cr_decoded = 0;
	for (unsigned long it = 0; it < iters; it++) {
		char s[200];
		seed = seed * 1103515245u + 12345u;
		size_t n = 1 + (seed >> 16) % 150;
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			s[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		s[n] = 0;
		uint8_t ours[USSD_MAX_OCTETS + 2], theirs[USSD_MAX_OCTETS + 2];
		int on = ussd_encode_text(s, 0x0f, ours, sizeof(ours));
		if (on < 0)
			continue; /* more than 160 octets: libosmocore has no such limit */
		int tn = 0;
		int septets = gsm_7bit_encode_n_ussd(theirs, sizeof(theirs), s, &tn);
		if (s[n - 1] != '\r' && (on != tn || memcmp(ours, theirs, (size_t)on))) {
			fprintf(stderr, "encode mismatch at %lu: \"%s\" (%d vs %d octets)\n", it, s, on, tn);
			return 1;
		}
		compared += s[n - 1] != '\r';
		/* both decoders read our encoding back to the same text */
		char dec_ours[400], dec_theirs[400];
		if (ussd_decode_text(0x0f, ours, (size_t)on, dec_ours, sizeof(dec_ours)) < 0) {
			fprintf(stderr, "our decode failed at %lu\n", it);
			return 1;
		}
		uint8_t len_septets = (uint8_t)((size_t)on * 8 / 7);
		if (on % 7 == 0)
			gsm_7bit_decode_n_ussd(dec_theirs, sizeof(dec_theirs), ours, len_septets);
		else
			gsm_7bit_decode_n(dec_theirs, sizeof(dec_theirs), ours, len_septets);
		if (strcmp(dec_ours, dec_theirs)) {
			fprintf(stderr, "decode mismatch at %lu: \"%s\" vs \"%s\"\n", it, dec_ours, dec_theirs);
			return 1;
		}
		cr_decoded += s[n - 1] == '\r';
		(void)septets;
	}
	printf("osmo_gsm7: %lu encodings identical, %lu trailing-CR strings decoded alike\n", compared,
	       cr_decoded);
	return compared > iters / 2 ? 0 : 1;
}
