/* Small helpers shared by the codec tests (test_m3ua.c, test_sccp.c, test_isup.c). */
#ifndef DFS_CODEC_TESTLIB_H
#define DFS_CODEC_TESTLIB_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Hex text (as tshark -x or a capture dump prints it, no spaces) into bytes; returns the count. */
static inline size_t unhex(const char *h, uint8_t *out, size_t cap)
{
	size_t n = 0;
	for (; h[0] && h[1] && n < cap; h += 2) {
		unsigned v;
		if (sscanf(h, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

#endif
