#include "tbcd.h"
#include <string.h>

static const char tbcd_chars[16] = "0123456789*#abc";

static int tbcd_nibble(char c)
{
	for (int i = 0; i < 15; i++)
		if (tbcd_chars[i] == c || (i > 11 && tbcd_chars[i] == (c | 0x20)))
			return i;
	return -1;
}

int tbcd_decode(const uint8_t *p, size_t len, int max_digits, char *out, size_t outsz)
{
	size_t n = 0;
	if (outsz == 0)
		return -1;
	for (size_t i = 0; i < len * 2; i++) {
		if (max_digits >= 0 && n == (size_t)max_digits)
			break;
		uint8_t nib = (i & 1) ? (p[i / 2] >> 4) : (p[i / 2] & 0x0f);
		if (nib == 0x0f) {
			if (i != len * 2 - 1) { /* a filler is only valid as the last nibble */
				out[0] = 0;
				return -1;
			}
			break;
		}
		if (n + 1 >= outsz) {
			out[0] = 0;
			return -1;
		}
		out[n++] = tbcd_chars[nib];
	}
	out[n] = 0;
	return (int)n;
}

int tbcd_encode(const char *digits, uint8_t *out, size_t outsz)
{
	size_t n = strlen(digits), bytes = (n + 1) / 2;
	if (bytes > outsz)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = tbcd_nibble(digits[i]);
		if (v < 0)
			return -1;
		if (i & 1)
			out[i / 2] = (uint8_t)((out[i / 2] & 0x0f) | (v << 4));
		else
			out[i / 2] = (uint8_t)v;
	}
	if (n & 1)
		out[n / 2] |= 0xf0;
	return (int)bytes;
}
