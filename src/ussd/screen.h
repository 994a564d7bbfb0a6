/* USSD screens (GW-OUTPUT): how long a text is on the air interface, and pagination that
 * keeps every page within the limit without cutting a word, so never an amount.
 *
 * TS 23.038: a USSD string is at most 160 octets; in the GSM 7-bit default alphabet that is
 * 182 septets (extension-table characters take two), in UCS2 it is 80 UTF-16 code units. */
#ifndef DFS_SCREEN_H
#define DFS_SCREEN_H
#include <stdbool.h>
#include <stddef.h>

#define USSD_MAX_GSM7 182
#define USSD_MAX_UCS2 80
#define SCREEN_MAX_BYTES 1024 /* one screen in UTF-8, comfortably above 182 two-byte chars */
#define SCREEN_MAX_PAGES 16

/* Septets the UTF-8 text needs in the GSM 7-bit default alphabet with its extension table,
 * or -1 when a character is not in it (the text then goes out as UCS2). -2 on bad UTF-8. */
int screen_gsm7_septets(const char *utf8);
/* UTF-16 code units of the text, or -2 on bad UTF-8. */
int screen_ucs2_units(const char *utf8);
/* True when the text fits one USSD string in the encoding it needs. */
bool screen_fits(const char *utf8);

struct screen_pages {
	unsigned n;
	char page[SCREEN_MAX_PAGES][SCREEN_MAX_BYTES];
};

/* Split text into pages that each fit together with the "more" line appended to every page
 * but the last (e.g. "98 More"). Breaks at line ends, else at spaces; a word longer than a
 * page is an error. 0, -E2BIG (too many pages or a word too long), -EINVAL (bad UTF-8). */
int screen_paginate(const char *text, const char *more_line, struct screen_pages *out);

#endif
