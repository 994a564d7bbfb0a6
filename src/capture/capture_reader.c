/* Reading pcap / pcapng files with libpcap and feeding their frames to the dissector. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "capture_int.h"

struct cap_reader {
	pcap_t *pcap;
	struct cap_dissector *d;
};

static struct cap_reader *reader_new(pcap_t *pc, char *err, size_t errsz)
{
	struct cap_reader *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errsz, "out of memory");
		pcap_close(pc);
		errno = ENOMEM;
		return NULL;
	}
	r->pcap = pc;
	r->d = cap_dissector_new(pcap_datalink(pc), err, errsz);
	if (!r->d) {
		int saved = errno;
		pcap_close(pc);
		free(r);
		errno = saved;
		return NULL;
	}
	return r;
}

struct cap_reader *cap_reader_open(const char *path, char *err, size_t errsz)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	errno = 0;
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, pe);
	if (!pc) {
		snprintf(err, errsz, "%s", pe);
		if (!errno || errno == EPROTONOSUPPORT)
			errno = EINVAL;
		return NULL;
	}
	return reader_new(pc, err, errsz);
}

struct cap_reader *cap_reader_fopen(FILE *fp, char *err, size_t errsz)
{
	char pe[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, pe);
	if (!pc) {
		fclose(fp);
		snprintf(err, errsz, "%s", pe);
		errno = EINVAL;
		return NULL;
	}
	return reader_new(pc, err, errsz);
}

int cap_reader_linktype(const struct cap_reader *r) { return r->d->linktype; }

const struct cap_stats *cap_reader_stats(const struct cap_reader *r) { return &r->d->stats; }

int cap_reader_run(struct cap_reader *r, cap_unit_cb cb, cap_error_cb ecb, void *ud, char *err,
		   size_t errsz)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;
	while ((rc = pcap_next_ex(r->pcap, &h, &data)) == 1) {
		/* opened with nanosecond precision: tv_usec holds nanoseconds */
		struct timespec ts = {.tv_sec = h->ts.tv_sec, .tv_nsec = (long)h->ts.tv_usec};
		if (cap_dissector_frame(r->d, r->d->stats.frames + 1, &ts, data, h->caplen, h->len,
					cb, ecb, ud))
			return 1;
	}
	if (rc == PCAP_ERROR_BREAK) /* end of file */
		return 0;
	/* a damaged or cut-off file: say so once, as an error of the frame that failed */
	const char *why = pcap_geterr(r->pcap);
	snprintf(err, errsz, "after frame %llu: %s", (unsigned long long)r->d->stats.frames, why);
	struct cap_error e = {
		.frame = r->d->stats.frames + 1,
		.layer = "pcap",
		.field = "record",
		.reason = "the capture file is damaged or cut off here",
	};
	r->d->stats.errors++;
	if (ecb)
		ecb(ud, &e);
	return -EIO;
}

void cap_reader_close(struct cap_reader *r)
{
	if (!r)
		return;
	cap_dissector_free(r->d);
	pcap_close(r->pcap);
	free(r);
}

int cap_read_file(const char *path, cap_unit_cb cb, cap_error_cb ecb, void *ud, char *err,
		  size_t errsz)
{
	struct cap_reader *r = cap_reader_open(path, err, errsz);
	if (!r)
		return errno ? -errno : -EINVAL;
	int rc = cap_reader_run(r, cb, ecb, ud, err, errsz);
	cap_reader_close(r);
	return rc;
}
