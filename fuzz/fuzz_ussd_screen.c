/* libFuzzer: screen length counting and pagination (GW-OUTPUT) over arbitrary bytes, as an
 * external application's answer would arrive. Every page produced must fit a USSD string. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "screen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	screen_gsm7_septets(text);
	screen_ucs2_units(text);
	static struct screen_pages p;
	if (screen_paginate(text, "98 More", &p) == 0) {
		for (unsigned i = 0; i < p.n; i++)
			if (!screen_fits(p.page[i]))
				__builtin_trap();
	}
	free(text);
	return 0;
}
