/* TBCD / BCD digit strings (TS 29.002 TBCD-STRING, Q.713 GT digits, E.164, E.212, E.214).
 * Two digits an octet, low nibble first; 0xF fills an odd count. Nibbles a-e are the
 * telephony characters '*', '#', 'a', 'b', 'c'. */
#ifndef DFS_TBCD_H
#define DFS_TBCD_H
#include <stddef.h>
#include <stdint.h>

/* Decode len octets into out (NUL-terminated). Stops at a 0xF filler nibble. When
 * max_digits >= 0, at most that many digits are taken (SCCP's odd/even indicator).
 * Returns the number of digits, or -1 if out (outsz bytes) is too small or a filler
 * appears before the last nibble. */
int tbcd_decode(const uint8_t *p, size_t len, int max_digits, char *out, size_t outsz);

/* Encode a digit string (0-9 * # a b c); an odd count is filled with 0xF.
 * Returns the number of octets written, or -1 on a bad character or lack of room. */
int tbcd_encode(const char *digits, uint8_t *out, size_t outsz);

#endif
