/* libFuzzer target: the capture reader.
 *
 * Input that starts with a pcap or pcapng magic number is read as a whole file through
 * fmemopen + libpcap (cap_reader_fopen). Anything else is fed to the frame dissector
 * directly, which reaches the protocol code without the fuzzer having to build a file:
 *   byte 0: link type selector (index into link_types[] below, low 7 bits); the high bit
 *           says the frames were cut by the snap length (wire length > captured length)
 *   then frames, each a 2-byte big-endian length and that many bytes (the last one takes
 *   what is left). Frames are dissected by one dissector, so reassembly state carries over. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

static int on_unit(void *ud, const struct cap_unit *u)
{
	/* touch every byte so ASan sees reads outside the buffers */
	unsigned *sum = ud;
	for (size_t i = 0; i < u->len; i++)
		*sum += u->p[i];
	if (!u->frame || u->len > 70000)
		abort();
	return 0;
}

static int on_error(void *ud, const struct cap_error *e)
{
	if (!e->layer || !e->field || !e->reason || !e->frame)
		abort();
	return 0;
}

static const int link_types[] = {1, 113, 276, 12, 228, 229, 0, 108, 141, 252};

static bool is_capture_file(const uint8_t *d, size_t n)
{
	static const uint8_t magics[][4] = {
		{0xd4, 0xc3, 0xb2, 0xa1}, {0xa1, 0xb2, 0xc3, 0xd4}, /* pcap us */
		{0x4d, 0x3c, 0xb2, 0xa1}, {0xa1, 0xb2, 0x3c, 0x4d}, /* pcap ns */
		{0x0a, 0x0d, 0x0d, 0x0a},                           /* pcapng SHB */
	};
	for (size_t i = 0; n >= 4 && i < sizeof(magics) / sizeof(magics[0]); i++)
		if (!memcmp(d, magics[i], 4))
			return true;
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned sum = 0;
	char err[256];
	if (is_capture_file(data, size)) {
		FILE *f = fmemopen((void *)data, size, "rb");
		if (!f)
			return 0;
		struct cap_reader *r = cap_reader_fopen(f, err, sizeof(err));
		if (!r)
			return 0;
		cap_reader_run(r, on_unit, on_error, &sum, err, sizeof(err));
		cap_reader_close(r);
		return 0;
	}
	if (size < 1)
		return 0;
	int lt = link_types[(data[0] & 0x7f) % (sizeof(link_types) / sizeof(link_types[0]))];
	size_t snapped = data[0] & 0x80 ? 64 : 0;
	struct cap_dissector *d = cap_dissector_new(lt, err, sizeof(err));
	if (!d)
		abort();
	size_t pos = 1;
	uint64_t frame = 0;
	struct timespec ts = {0, 0};
	while (pos < size) {
		size_t n = size - pos;
		if (n >= 2) { /* a length prefix; the last frame may be shorter than it says */
			size_t want = (size_t)data[pos] << 8 | data[pos + 1];
			pos += 2;
			n = size - pos;
			if (want < n)
				n = want;
		}
		/* a private copy, so reads past the frame are caught */
		uint8_t *copy = malloc(n ? n : 1);
		if (!copy)
			break;
		memcpy(copy, data + pos, n);
		cap_dissector_frame(d, ++frame, &ts, copy, n, n + snapped, on_unit, on_error, &sum);
		free(copy);
		pos += n;
	}
	cap_dissector_free(d);
	return 0;
}
