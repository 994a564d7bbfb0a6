/* USSD screen length and pagination (GW-OUTPUT), see screen.h. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "screen.h"

/* TS 23.038 6.2.1: the non-ASCII characters of the default alphabet. ASCII letters, digits,
 * space and !"#%&'()*+,-./:;<=>?@$_ LF CR are in it as well. */
static const uint16_t gsm7_basic_non_ascii[] = {
	0x00A3, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC, 0x00F2, 0x00C7, 0x00D8, 0x00F8,
	0x00C5, 0x00E5, 0x0394, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8, 0x03A3,
	0x0398, 0x039E, 0x00C6, 0x00E6, 0x00DF, 0x00C9, 0x00A4, 0x00A1, 0x00C4, 0x00D6,
	0x00D1, 0x00DC, 0x00A7, 0x00BF, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,
};
/* TS 23.038 6.2.1.1: the extension table, two septets each (escape + code). */
static const uint16_t gsm7_extension[] = {0x000C, '^', '{', '}', '\\', '[', '~', ']', '|', 0x20AC};

/* Next code point from UTF-8, advancing *p; -1 on malformed input. */
static int32_t utf8_next(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t cp;
	int n;
	if (s[0] < 0x80) {
		cp = s[0];
		n = 1;
	} else if ((s[0] & 0xE0) == 0xC0) {
		cp = s[0] & 0x1F;
		n = 2;
	} else if ((s[0] & 0xF0) == 0xE0) {
		cp = s[0] & 0x0F;
		n = 3;
	} else if ((s[0] & 0xF8) == 0xF0) {
		cp = s[0] & 0x07;
		n = 4;
	} else {
		return -1;
	}
	for (int i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	*p = s + n;
	return (int32_t)cp;
}

static int gsm7_width(int32_t cp)
{
	if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'))
		return 1;
	if (cp < 0x80 && strchr(" !\"#%&'()*+,-./:;<=>?@$_\n\r", (int)cp) && cp != 0)
		return 1;
	for (size_t i = 0; i < sizeof(gsm7_basic_non_ascii) / sizeof(gsm7_basic_non_ascii[0]); i++)
		if (gsm7_basic_non_ascii[i] == cp)
			return 1;
	for (size_t i = 0; i < sizeof(gsm7_extension) / sizeof(gsm7_extension[0]); i++)
		if (gsm7_extension[i] == cp)
			return 2;
	return -1;
}

int screen_gsm7_septets(const char *utf8)
{
	const unsigned char *p = (const unsigned char *)utf8;
	int n = 0, unrepresentable = 0;
	while (*p) {
		int32_t cp = utf8_next(&p);
		if (cp < 0)
			return -2;
		int w = gsm7_width(cp);
		if (w < 0)
			unrepresentable = 1;
		else
			n += w;
	}
	return unrepresentable ? -1 : n;
}

int screen_ucs2_units(const char *utf8)
{
	const unsigned char *p = (const unsigned char *)utf8;
	int n = 0;
	while (*p) {
		int32_t cp = utf8_next(&p);
		if (cp < 0)
			return -2;
		n += cp > 0xFFFF ? 2 : 1;
	}
	return n;
}

bool screen_fits(const char *utf8)
{
	int s = screen_gsm7_septets(utf8);
	if (s >= 0)
		return s <= USSD_MAX_GSM7;
	if (s == -2)
		return false;
	int u = screen_ucs2_units(utf8);
	return u >= 0 && u <= USSD_MAX_UCS2;
}

/* A page under construction: the text so far plus the "more" line must fit. */
static bool fits_with(const char *page, size_t len, const char *add, size_t addlen,
		      const char *more)
{
	char tmp[SCREEN_MAX_BYTES * 2];
	if (len + addlen + strlen(more) + 2 >= sizeof(tmp))
		return false;
	memcpy(tmp, page, len);
	memcpy(tmp + len, add, addlen);
	size_t n = len + addlen;
	if (more[0]) {
		tmp[n++] = '\n';
		strcpy(tmp + n, more);
	} else {
		tmp[n] = 0;
	}
	return screen_fits(tmp);
}

int screen_paginate(const char *text, const char *more, struct screen_pages *out)
{
	out->n = 0;
	if (screen_ucs2_units(text) < 0)
		return -EINVAL;
	if (screen_fits(text) && strlen(text) < SCREEN_MAX_BYTES) {
		snprintf(out->page[0], SCREEN_MAX_BYTES, "%s", text);
		out->n = 1;
		return 0;
	}
	/* Pages break at line ends. Only a line too long for a page of its own is broken inside,
	 * at a space that is not followed by a digit (so "KES 1,500.00" and "Fee 10" stay
	 * whole); a word is never split. */
	const char *p = text;
	char cur[SCREEN_MAX_BYTES];
	size_t len = 0;
	while (*p) {
		size_t rest = strlen(p);
		if (len + rest < SCREEN_MAX_BYTES && fits_with(cur, len, p, rest, "")) {
			memcpy(cur + len, p, rest);
			len += rest;
			break; /* the rest is the last page: no "more" line needed */
		}
		const char *nl = strchr(p, '\n');
		size_t ll = nl ? (size_t)(nl - p) + 1 : rest;
		if (fits_with(cur, len, p, ll, more)) {
			memcpy(cur + len, p, ll);
			len += ll;
			p += ll;
			continue;
		}
		if (len == 0) {
			/* a line longer than a page: take its words one by one */
			const char *w = p;
			while (*w && *w != '\n' && !(*w == ' ' && !(w[1] >= '0' && w[1] <= '9')))
				w++;
			if (*w == ' ')
				w++;
			size_t wl = (size_t)(w - p);
			if (!wl || !fits_with(cur, len, p, wl, more))
				return -E2BIG; /* one word longer than a page */
			while (*w && *w != '\n') {
				const char *x = w;
				while (*x && *x != '\n' && !(*x == ' ' && !(x[1] >= '0' && x[1] <= '9')))
					x++;
				if (*x == ' ')
					x++;
				if (!fits_with(cur, 0, p, (size_t)(x - p), more))
					break;
				w = x;
			}
			memcpy(cur, p, (size_t)(w - p));
			len = (size_t)(w - p);
			p = w;
		}
		if (out->n + 1 >= SCREEN_MAX_PAGES)
			return -E2BIG;
		while (len && (cur[len - 1] == ' ' || cur[len - 1] == '\n'))
			len--;
		snprintf(out->page[out->n++], SCREEN_MAX_BYTES, "%.*s\n%s", (int)len, cur, more);
		len = 0;
	}
	while (len && (cur[len - 1] == ' ' || cur[len - 1] == '\n'))
		len--;
	if (out->n >= SCREEN_MAX_PAGES)
		return -E2BIG;
	snprintf(out->page[out->n++], SCREEN_MAX_BYTES, "%.*s", (int)len, cur);
	return 0;
}
