/* bench_capread: read a capture and count signalling units; the "just read the file"
 * baseline of the decode benchmark.
 *
 *   bench_capread FILE            read FILE, print units/s and MB/s
 *   bench_capread -g N [FILE]     first write N M3UA messages (Ethernet/IPv4/SCTP) to FILE
 *                                 (default: a temporary file, removed afterwards), then read it
 *   bench_capread -v FILE         also list every unit and error (frame, index, protocol, length) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"

struct counts {
	unsigned long long units, m3ua, mtp3, bytes, errors;
	int verbose;
};

static int on_unit(void *ud, const struct cap_unit *u)
{
	struct counts *c = ud;
	c->units++;
	c->bytes += u->len;
	if (u->proto == CAP_M3UA)
		c->m3ua++;
	else
		c->mtp3++;
	if (c->verbose)
		printf("frame %llu unit %u %s over %s, %zu bytes%s\n", (unsigned long long)u->frame,
		       u->index_in_frame, get_value_string(cap_proto_names, u->proto),
		       get_value_string(cap_transport_names, u->transport), u->len,
		       u->reassembled ? " (reassembled)" : "");
	return 0;
}

static int on_error(void *ud, const struct cap_error *e)
{
	struct counts *c = ud;
	c->errors++;
	if (c->verbose)
		printf("frame %llu error %s.%s at %zu: %s\n", (unsigned long long)e->frame, e->layer,
		       e->field, e->offset, e->reason);
	return 0;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* 160-byte messages, the size of a typical M3UA DATA with SCCP/TCAP/MAP; for the read
 * benchmark the size matters, not the content, so they are M3UA BEATs (RFC 4666 3.5.5)
 * with heartbeat data, which tshark also reads without complaint. */
static int generate(const char *path, unsigned long n)
{
	uint8_t msg[160];
	memset(msg, 0, sizeof(msg));
	msg[0] = 1;                    /* version */
	msg[2] = 3;                    /* ASPSM */
	msg[3] = 3;                    /* BEAT */
	msg[7] = sizeof(msg);          /* length */
	msg[9] = 0x09;                 /* heartbeat data */
	msg[11] = sizeof(msg) - 8;     /* parameter length */
	char err[256];
	struct cap_writer *w = cap_writer_open(path, CAP_OUT_ETH_IPV4_SCTP, err, sizeof(err));
	if (!w) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	for (unsigned long i = 0; i < n; i++) {
		struct timespec ts = {(time_t)(1700000000 + i / 1000), (long)(i % 1000) * 1000000};
		msg[20] = (uint8_t)i;
		if (cap_writer_put(w, &ts, msg, sizeof(msg)) < 0) {
			fprintf(stderr, "write failed\n");
			cap_writer_close(w);
			return -1;
		}
	}
	return cap_writer_close(w);
}

int main(int argc, char **argv)
{
	struct counts c = {0};
	unsigned long gen = 0;
	int opt;
	while ((opt = getopt(argc, argv, "g:v")) != -1) {
		if (opt == 'g')
			gen = strtoul(optarg, NULL, 10);
		else if (opt == 'v')
			c.verbose = 1;
		else {
			fprintf(stderr, "usage: %s [-v] [-g N] [FILE]\n", argv[0]);
			return 2;
		}
	}
	char tmp[] = "/tmp/bench_capread_XXXXXX";
	const char *path = optind < argc ? argv[optind] : NULL;
	int tmpfile = 0;
	if (!path) {
		if (!gen) {
			fprintf(stderr, "usage: %s [-v] [-g N] [FILE]\n", argv[0]);
			return 2;
		}
		int fd = mkstemp(tmp);
		if (fd < 0) {
			perror("mkstemp");
			return 1;
		}
		close(fd);
		path = tmp;
		tmpfile = 1;
	}
	if (gen) {
		double t0 = now();
		if (generate(path, gen) < 0)
			return 1;
		double dt = now() - t0;
		printf("wrote %lu messages in %.3f s: %.0f messages/s\n", gen, dt, (double)gen / dt);
	}
	char err[512];
	struct cap_reader *r = cap_reader_open(path, err, sizeof(err));
	if (!r) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	double t0 = now();
	int rc = cap_reader_run(r, on_unit, on_error, &c, err, sizeof(err));
	double dt = now() - t0;
	const struct cap_stats *st = cap_reader_stats(r);
	if (rc < 0)
		fprintf(stderr, "%s\n", err);
	printf("%s: %llu frames, %llu units (%llu M3UA, %llu MTP3), %llu errors\n", path,
	       (unsigned long long)st->frames, c.units, c.m3ua, c.mtp3, c.errors);
	printf("read in %.3f s: %.0f units/s, %.1f MB/s\n", dt, dt > 0 ? (double)c.units / dt : 0,
	       dt > 0 ? (double)st->bytes / dt / 1e6 : 0);
	cap_reader_close(r);
	if (tmpfile)
		unlink(path);
	return rc < 0 ? 1 : 0;
}
