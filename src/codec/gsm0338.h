/* GSM 03.38 / 3GPP TS 23.038: the 7-bit default alphabet and its extension table, septet
 * packing (with the USSD CR rule), UCS2, and the data coding schemes of SMS (section 4) and of
 * cell broadcast / USSD (section 5).
 *
 * Text on our side is always UTF-8. Septet strings ("unpacked") hold one GSM 7-bit code per
 * byte, an extension character being two codes: 0x1B then the extension code.
 * Functions return a count (bytes, septets or octets as named) or a negative errno:
 * -EINVAL a character with no GSM-7 code or a bad argument, -ENOSPC the output is too small,
 * -EILSEQ malformed UTF-8 / UTF-16, -ENOTSUP compressed text (TS 23.042). */
#ifndef DFS_GSM0338_H
#define DFS_GSM0338_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "value_string.h"

#define GSM7_ESC 0x1b
#define GSM7_CR 0x0d
#define USSD_MAX_OCTETS 160 /* TS 29.002 maxUSSD-StringLength */

/* ---- 7-bit default alphabet (TS 23.038 6.2.1, 6.2.1.1) ---- */

/* UTF-8 -> septets. Returns the number of septets, -EINVAL on a character the alphabet lacks. */
int gsm7_encode(const char *utf8, uint8_t *septets, size_t maxsept);
/* Septets -> UTF-8 (NUL-terminated). ESC + an unknown code gives the basic-table character
 * (6.2.1.1); ESC ESC and a trailing ESC give a space. Returns the bytes written without NUL. */
int gsm7_decode(const uint8_t *septets, size_t n, char *utf8, size_t outsz);
/* How many septets utf8 needs (extension characters count 2), or -EINVAL / -EILSEQ. */
int gsm7_count_septets(const char *utf8);

/* ---- packing (TS 23.038 6.1.2.1.1) ---- */

/* Pack n septets after fill_bits (0..6) zero bits, as in SMS user data following a UDH.
 * Returns the octets written. */
int gsm7_pack(const uint8_t *septets, size_t n, unsigned fill_bits, uint8_t *out, size_t outsz);
/* Unpack n septets that start after fill_bits bits of p. Returns n, or -EINVAL when len
 * octets do not hold them. */
int gsm7_unpack(const uint8_t *p, size_t len, unsigned fill_bits, size_t n, uint8_t *septets,
		size_t maxsept);
/* USSD / cell broadcast (6.1.2.3.1): when 7 spare bits would remain they carry CR instead of
 * zeros, and a wanted trailing CR that ends on an octet boundary gets a second CR. */
int gsm7_pack_ussd(const uint8_t *septets, size_t n, uint8_t *out, size_t outsz);
/* Unpacks every septet in len octets and drops a padding CR (the 8th septet of a last octet
 * that ends exactly on a septet boundary). Returns the septet count. */
int gsm7_unpack_ussd(const uint8_t *p, size_t len, uint8_t *septets, size_t maxsept);

/* ---- UCS2 / UTF-16BE (TS 23.038 6.2.3; surrogate pairs accepted; U+0000 and lone
 * surrogates are -EILSEQ) ---- */
int ucs2_to_utf8(const uint8_t *p, size_t len, char *utf8, size_t outsz);
int utf8_to_ucs2(const char *utf8, uint8_t *out, size_t outsz);

/* ---- data coding schemes ---- */
enum gsm_charset {
	GSM_CHARSET_7BIT = 0,
	GSM_CHARSET_8BIT = 1,
	GSM_CHARSET_UCS2 = 2,
};
extern const struct value_string gsm_charset_names[];

struct gsm_dcs {
	enum gsm_charset charset;
	bool compressed;  /* TS 23.042 compression: no text without a decompressor */
	bool has_class;
	uint8_t msg_class; /* 0..3 when has_class */
	bool lang_prefix;  /* CBS/USSD 0x10/0x11: text starts with a language indication */
	bool reserved;     /* a reserved coding, read as GSM 7-bit as 4/5 require */
};
/* SMS data coding scheme, TS 23.038 section 4. */
struct gsm_dcs sms_dcs_parse(uint8_t dcs);
/* Cell broadcast and USSD data coding scheme, TS 23.038 section 5. */
struct gsm_dcs cbs_dcs_parse(uint8_t dcs);

/* ---- USSD strings (TS 29.002 USSD-String with its ussd-DataCodingScheme) ---- */

/* Decodes a USSD string to UTF-8: GSM-7 packed (CR rule), UCS2, or for 8-bit data lowercase
 * hex of the octets. A language indication (DCS 0x10, 0x11) is dropped. Returns bytes or <0. */
int ussd_decode_text(uint8_t dcs, const uint8_t *p, size_t len, char *utf8, size_t outsz);
/* Encodes UTF-8 text for dcs (8-bit data: utf8 is hex). Returns octets or <0. */
int ussd_encode_text(const char *utf8, uint8_t dcs, uint8_t *out, size_t outsz);
/* Whether the encoded string fits the 160 octets of a USSD string (182 GSM-7 septets,
 * 80 UCS2 code units). */
bool ussd_text_fits(const char *utf8, uint8_t dcs);

/* ---- helpers shared with the SMS codec ---- */

/* Decode one UTF-8 sequence at s into *cp; returns its length, or -EILSEQ. */
int utf8_next(const char *s, uint32_t *cp);
/* Lowercase hex of len octets (how 8-bit data is shown as text). Returns 2 * len or -ENOSPC. */
int octets_to_hex(const uint8_t *p, size_t len, char *out, size_t outsz);
/* Write cp as UTF-8 at out[*pos] (room for outsz - 1 bytes plus NUL); -ENOSPC when full. */
int utf8_put(char *out, size_t outsz, size_t *pos, uint32_t cp);

#endif
