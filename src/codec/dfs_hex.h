/* Hexadecimal text to octets (either case), as options, configurations and forms give them.
 * Header only: codecs built on their own (tests/osmo_gsm7.sh) use it too. */
#ifndef DFS_HEX_H
#define DFS_HEX_H
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The value of one hex digit, or -1. */
static inline int dfs_hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the whole string s (an even number of hex digits) into out. Returns the number of
 * octets, -EINVAL (odd length or not hex) or -ENOSPC (more than outsz octets). */
static inline int dfs_hex_decode(const char *s, uint8_t *out, size_t outsz)
{
	size_t n = strlen(s);
	if (n % 2)
		return -EINVAL;
	if (n / 2 > outsz || n / 2 > INT_MAX)
		return -ENOSPC;
	for (size_t i = 0; i < n; i += 2) {
		int hi = dfs_hex_nibble(s[i]), lo = dfs_hex_nibble(s[i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	return (int)(n / 2);
}

#endif
