/* GSM 03.38 / 3GPP TS 23.038 alphabets, packing and data coding schemes. */
#include "gsm0338.h"

#include <errno.h>
#include <string.h>

#include "dfs_hex.h"

/* TS 23.038 6.2.1: the default alphabet, code -> Unicode. 0x1B is the escape to 6.2.1.1. */
static const uint16_t gsm7_basic[128] = {
	0x0040, 0x00a3, 0x0024, 0x00a5, 0x00e8, 0x00e9, 0x00f9, 0x00ec, /* @ £ $ ¥ è é ù ì */
	0x00f2, 0x00c7, 0x000a, 0x00d8, 0x00f8, 0x000d, 0x00c5, 0x00e5, /* ò Ç LF Ø ø CR Å å */
	0x0394, 0x005f, 0x03a6, 0x0393, 0x039b, 0x03a9, 0x03a0, 0x03a8, /* Δ _ Φ Γ Λ Ω Π Ψ */
	0x03a3, 0x0398, 0x039e, 0x00a0, 0x00c6, 0x00e6, 0x00df, 0x00c9, /* Σ Θ Ξ ESC Æ æ ß É */
	0x0020, 0x0021, 0x0022, 0x0023, 0x00a4, 0x0025, 0x0026, 0x0027, /* SP ! " # ¤ % & ' */
	0x0028, 0x0029, 0x002a, 0x002b, 0x002c, 0x002d, 0x002e, 0x002f,
	0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,
	0x0038, 0x0039, 0x003a, 0x003b, 0x003c, 0x003d, 0x003e, 0x003f,
	0x00a1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047, /* ¡ A-G */
	0x0048, 0x0049, 0x004a, 0x004b, 0x004c, 0x004d, 0x004e, 0x004f,
	0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,
	0x0058, 0x0059, 0x005a, 0x00c4, 0x00d6, 0x00d1, 0x00dc, 0x00a7, /* X Y Z Ä Ö Ñ Ü § */
	0x00bf, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067, /* ¿ a-g */
	0x0068, 0x0069, 0x006a, 0x006b, 0x006c, 0x006d, 0x006e, 0x006f,
	0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,
	0x0078, 0x0079, 0x007a, 0x00e4, 0x00f6, 0x00f1, 0x00fc, 0x00e0, /* x y z ä ö ñ ü à */
};

/* TS 23.038 6.2.1.1: the extension table (after 0x1B). */
static const struct {
	uint8_t code;
	uint16_t cp;
} gsm7_ext[] = {
	{0x0a, 0x000c}, {0x14, '^'}, {0x28, '{'}, {0x29, '}'}, {0x2f, '\\'},
	{0x3c, '['},    {0x3d, '~'}, {0x3e, ']'}, {0x40, '|'}, {0x65, 0x20ac},
};

const struct value_string gsm_charset_names[] = {
	{GSM_CHARSET_7BIT, "GSM 7-bit"},
	{GSM_CHARSET_8BIT, "8-bit data"},
	{GSM_CHARSET_UCS2, "UCS2"},
	{0, NULL},
};

int utf8_next(const char *s, uint32_t *cp)
{
	const uint8_t *u = (const uint8_t *)s;
	int n;
	uint32_t c;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	} else if ((u[0] & 0xe0) == 0xc0) {
		n = 2;
		c = u[0] & 0x1f;
	} else if ((u[0] & 0xf0) == 0xe0) {
		n = 3;
		c = u[0] & 0x0f;
	} else if ((u[0] & 0xf8) == 0xf0) {
		n = 4;
		c = u[0] & 0x07;
	} else {
		return -EILSEQ;
	}
	for (int i = 1; i < n; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return -EILSEQ;
		c = (c << 6) | (u[i] & 0x3f);
	}
	static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
	if (c < min_for_len[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -EILSEQ; /* overlong, out of range, or a surrogate */
	*cp = c;
	return n;
}

int utf8_put(char *out, size_t outsz, size_t *pos, uint32_t cp)
{
	uint8_t b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | (cp >> 6));
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | (cp >> 12));
		b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | (cp >> 18));
		b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (outsz == 0 || outsz - 1 - *pos < n) /* keep room for the NUL */
		return -ENOSPC;
	memcpy(out + *pos, b, n);
	*pos += n;
	out[*pos] = 0;
	return 0;
}

/* The septets for one code point: 1 (basic), 2 (ESC + extension), or -EINVAL. */
static int gsm7_code(uint32_t cp, uint8_t code[2])
{
	for (unsigned i = 0; i < 128; i++) {
		if (i != GSM7_ESC && gsm7_basic[i] == cp) {
			code[0] = (uint8_t)i;
			return 1;
		}
	}
	for (size_t i = 0; i < sizeof(gsm7_ext) / sizeof(gsm7_ext[0]); i++) {
		if (gsm7_ext[i].cp == cp) {
			code[0] = GSM7_ESC;
			code[1] = gsm7_ext[i].code;
			return 2;
		}
	}
	return -EINVAL;
}

/* UTF-8 -> septets; with septets NULL it only counts. */
static int gsm7_encode_or_count(const char *utf8, uint8_t *septets, size_t maxsept)
{
	size_t n = 0;
	while (*utf8) {
		uint32_t cp;
		uint8_t code[2];
		int l = utf8_next(utf8, &cp);
		if (l < 0)
			return l;
		int k = gsm7_code(cp, code);
		if (k < 0)
			return k;
		if (septets) {
			if (maxsept - n < (size_t)k)
				return -ENOSPC;
			memcpy(septets + n, code, (size_t)k);
		}
		n += (size_t)k;
		utf8 += l;
	}
	return (int)n;
}

int gsm7_encode(const char *utf8, uint8_t *septets, size_t maxsept)
{
	return gsm7_encode_or_count(utf8, septets, maxsept);
}

int gsm7_count_septets(const char *utf8)
{
	return gsm7_encode_or_count(utf8, NULL, 0);
}

int gsm7_decode(const uint8_t *septets, size_t n, char *utf8, size_t outsz)
{
	size_t pos = 0;
	if (outsz == 0)
		return -ENOSPC;
	utf8[0] = 0;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = septets[i] & 0x7f;
		uint32_t cp = gsm7_basic[c];
		if (c == GSM7_ESC) {
			cp = ' '; /* 6.2.1.1: ESC ESC, or an ESC with nothing after it, shows a space */
			if (i + 1 < n) {
				uint8_t x = septets[++i] & 0x7f;
				if (x != GSM7_ESC) {
					cp = gsm7_basic[x]; /* unknown extension: the basic character */
					for (size_t k = 0; k < sizeof(gsm7_ext) / sizeof(gsm7_ext[0]); k++)
						if (gsm7_ext[k].code == x)
							cp = gsm7_ext[k].cp;
				}
			}
		}
		int rc = utf8_put(utf8, outsz, &pos, cp);
		if (rc < 0)
			return rc;
	}
	return (int)pos;
}

/* TS 23.038 6.1.2.1.1: septet i occupies bits 7i.. of the stream, least significant bit first. */
int gsm7_pack(const uint8_t *septets, size_t n, unsigned fill_bits, uint8_t *out, size_t outsz)
{
	if (fill_bits > 6)
		return -EINVAL;
	size_t bits = fill_bits + 7 * n, octets = (bits + 7) / 8;
	if (octets > outsz)
		return -ENOSPC;
	memset(out, 0, octets);
	for (size_t i = 0; i < n; i++) {
		size_t bit = fill_bits + 7 * i;
		unsigned v = (unsigned)(septets[i] & 0x7f) << (bit % 8);
		out[bit / 8] |= (uint8_t)v;
		if (v >> 8)
			out[bit / 8 + 1] |= (uint8_t)(v >> 8);
	}
	return (int)octets;
}

int gsm7_unpack(const uint8_t *p, size_t len, unsigned fill_bits, size_t n, uint8_t *septets,
		size_t maxsept)
{
	if (fill_bits > 6 || (fill_bits + 7 * n + 7) / 8 > len)
		return -EINVAL;
	if (n > maxsept)
		return -ENOSPC;
	for (size_t i = 0; i < n; i++) {
		size_t bit = fill_bits + 7 * i;
		unsigned v = p[bit / 8] >> (bit % 8);
		if (bit % 8 > 1)
			v |= (unsigned)p[bit / 8 + 1] << (8 - bit % 8);
		septets[i] = (uint8_t)(v & 0x7f);
	}
	return (int)n;
}

int gsm7_pack_ussd(const uint8_t *septets, size_t n, uint8_t *out, size_t outsz)
{
	int rc = gsm7_pack(septets, n, 0, out, outsz);
	if (rc < 0)
		return rc;
	if (n % 8 == 7) {
		out[rc - 1] |= GSM7_CR << 1; /* the 7 spare bits carry CR, not '@' */
	} else if (n > 0 && n % 8 == 0 && septets[n - 1] == GSM7_CR) {
		if ((size_t)rc >= outsz) /* a wanted CR on the octet boundary: one more CR */
			return -ENOSPC;
		out[rc++] = GSM7_CR;
	}
	return rc;
}

int gsm7_unpack_ussd(const uint8_t *p, size_t len, uint8_t *septets, size_t maxsept)
{
	size_t n = len * 8 / 7;
	int rc = gsm7_unpack(p, len, 0, n, septets, maxsept);
	if (rc < 0)
		return rc;
	if (n > 0 && n % 8 == 0 && septets[n - 1] == GSM7_CR)
		n--;
	return (int)n;
}

int ucs2_to_utf8(const uint8_t *p, size_t len, char *utf8, size_t outsz)
{
	size_t pos = 0;
	if (outsz == 0)
		return -ENOSPC;
	utf8[0] = 0;
	if (len % 2)
		return -EILSEQ;
	for (size_t i = 0; i < len; i += 2) {
		uint32_t cp = (uint32_t)(p[i] << 8 | p[i + 1]);
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (i + 3 >= len)
				return -EILSEQ;
			uint32_t lo = (uint32_t)(p[i + 2] << 8 | p[i + 3]);
			if (lo < 0xdc00 || lo > 0xdfff)
				return -EILSEQ;
			cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		} else if ((cp >= 0xdc00 && cp <= 0xdfff) || cp == 0) {
			return -EILSEQ; /* a lone low surrogate; U+0000 has no place in a C string */
		}
		int rc = utf8_put(utf8, outsz, &pos, cp);
		if (rc < 0)
			return rc;
	}
	return (int)pos;
}

int utf8_to_ucs2(const char *utf8, uint8_t *out, size_t outsz)
{
	size_t n = 0;
	while (*utf8) {
		uint32_t cp;
		int l = utf8_next(utf8, &cp);
		if (l < 0)
			return l;
		uint16_t units[2] = {(uint16_t)cp, 0};
		size_t k = 1;
		if (cp >= 0x10000) {
			units[0] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
			units[1] = (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff));
			k = 2;
		}
		if (outsz - n < 2 * k)
			return -ENOSPC;
		for (size_t i = 0; i < k; i++) {
			out[n++] = (uint8_t)(units[i] >> 8);
			out[n++] = (uint8_t)units[i];
		}
		utf8 += l;
	}
	return (int)n;
}

/* TS 23.038 sections 4 and 5: the character set in bits 3..2 of a general data coding DCS. */
static void dcs_alphabet(struct gsm_dcs *d, uint8_t dcs)
{
	switch ((dcs >> 2) & 3) {
	case 0: d->charset = GSM_CHARSET_7BIT; break;
	case 1: d->charset = GSM_CHARSET_8BIT; break;
	case 2: d->charset = GSM_CHARSET_UCS2; break;
	default: d->reserved = true; break;
	}
}

/* TS 23.038 section 4: SMS data coding scheme. */
struct gsm_dcs sms_dcs_parse(uint8_t dcs)
{
	struct gsm_dcs d = {0};
	uint8_t group = dcs >> 4;
	if (group <= 0x7) { /* 00xx general data coding, 01xx automatic deletion */
		d.compressed = dcs & 0x20;
		d.has_class = dcs & 0x10;
		d.msg_class = dcs & 0x03;
		dcs_alphabet(&d, dcs);
	} else if (group <= 0xb) {
		d.reserved = true;
	} else if (group <= 0xd) { /* message waiting indication, discard / store: GSM-7 */
		d.charset = GSM_CHARSET_7BIT;
	} else if (group == 0xe) { /* message waiting indication, store: UCS2 */
		d.charset = GSM_CHARSET_UCS2;
	} else { /* 1111: data coding / message class */
		d.charset = (dcs & 0x04) ? GSM_CHARSET_8BIT : GSM_CHARSET_7BIT;
		d.has_class = true;
		d.msg_class = dcs & 0x03;
	}
	return d;
}

/* TS 23.038 section 5: cell broadcast (and USSD) data coding scheme. */
struct gsm_dcs cbs_dcs_parse(uint8_t dcs)
{
	struct gsm_dcs d = {0};
	uint8_t group = dcs >> 4;
	switch (group) {
	case 0x0: /* languages in GSM 7-bit (0x0F: unspecified) */
	case 0x2:
	case 0x3:
		break;
	case 0x1:
		if (dcs == 0x10) {
			d.lang_prefix = true;
		} else if (dcs == 0x11) {
			d.lang_prefix = true;
			d.charset = GSM_CHARSET_UCS2;
		} else {
			d.reserved = true;
		}
		break;
	case 0x4: case 0x5: case 0x6: case 0x7: /* 01xx general data coding */
	case 0x9: /* 1001 message with a UDH (TS 23.041) */
		d.compressed = group != 0x9 && (dcs & 0x20);
		d.has_class = group == 0x9 || (dcs & 0x10);
		d.msg_class = dcs & 0x03;
		dcs_alphabet(&d, dcs);
		break;
	case 0xf: /* data coding / message handling */
		d.charset = (dcs & 0x04) ? GSM_CHARSET_8BIT : GSM_CHARSET_7BIT;
		d.has_class = (dcs & 0x03) != 0;
		d.msg_class = dcs & 0x03;
		break;
	default: /* 1000, 1010..1101 reserved, 1110 WAP: GSM-7 as section 5 says for reserved */
		d.reserved = true;
		break;
	}
	return d;
}

int octets_to_hex(const uint8_t *p, size_t len, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	if (outsz < 2 * len + 1)
		return -ENOSPC;
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 15];
	}
	out[2 * len] = 0;
	return (int)(2 * len);
}

int ussd_decode_text(uint8_t dcs, const uint8_t *p, size_t len, char *utf8, size_t outsz)
{
	struct gsm_dcs d = cbs_dcs_parse(dcs);
	if (outsz == 0)
		return -ENOSPC;
	utf8[0] = 0;
	if (len > USSD_MAX_OCTETS)
		return -EINVAL;
	if (d.compressed)
		return -ENOTSUP;
	if (d.charset == GSM_CHARSET_8BIT)
		return octets_to_hex(p, len, utf8, outsz);
	if (d.charset == GSM_CHARSET_UCS2) {
		if (d.lang_prefix) { /* two GSM-7 language characters packed into 2 octets */
			if (len < 2)
				return -EILSEQ;
			p += 2;
			len -= 2;
		}
		return ucs2_to_utf8(p, len, utf8, outsz);
	}
	uint8_t sept[USSD_MAX_OCTETS * 8 / 7 + 8];
	int n = gsm7_unpack_ussd(p, len, sept, sizeof(sept));
	if (n < 0)
		return n;
	size_t skip = 0;
	if (d.lang_prefix && n >= 3 && sept[2] == GSM7_CR) /* "en" CR then the text */
		skip = 3;
	return gsm7_decode(sept + skip, (size_t)n - skip, utf8, outsz);
}

int ussd_encode_text(const char *utf8, uint8_t dcs, uint8_t *out, size_t outsz)
{
	struct gsm_dcs d = cbs_dcs_parse(dcs);
	if (d.compressed || d.lang_prefix)
		return -ENOTSUP;
	if (d.charset == GSM_CHARSET_8BIT)
		return dfs_hex_decode(utf8, out, outsz);
	if (d.charset == GSM_CHARSET_UCS2)
		return utf8_to_ucs2(utf8, out, outsz);
	uint8_t sept[USSD_MAX_OCTETS * 8 / 7 + 8];
	int n = gsm7_encode(utf8, sept, sizeof(sept));
	if (n < 0)
		return n;
	return gsm7_pack_ussd(sept, (size_t)n, out, outsz);
}

bool ussd_text_fits(const char *utf8, uint8_t dcs)
{
	uint8_t out[USSD_MAX_OCTETS];
	return ussd_encode_text(utf8, dcs, out, sizeof(out)) >= 0;
}
