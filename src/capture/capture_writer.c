/* Writing M3UA messages as captures: exported PDU (link type 252) or Ethernet/IPv4/SCTP.
 * libpcap writes the file (pcap_open_dead + pcap_dump_fopen); the frames are built in one
 * buffer whose constant headers are filled once at open. */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "capture_int.h"
#include "crc32c.h"

/* PROTOCOLS.md: EXP_PDU_TAG_DISSECTOR_NAME (12), length 4, "m3ua", EXP_PDU_TAG_END_OF_OPT */
static const uint8_t exp_pdu_m3ua_hdr[] = {0x00, 0x0c, 0x00, 0x04, 'm', '3', 'u', 'a',
					   0x00, 0x00, 0x00, 0x00};

#define ETH_LEN 14
#define IP4_LEN 20
#define SCTP_COMMON_LEN 12
#define SCTP_DATA_HDR_LEN 16
#define SCTP_OFF (ETH_LEN + IP4_LEN)
#define WRITER_BUF (ETH_LEN + 65535)
#define WRITER_STDIO_BUF (1 << 20)

struct cap_writer {
	pcap_t *dead;
	pcap_dumper_t *dumper;
	FILE *fp;
	char *iobuf;
	enum cap_out_link link;
	uint16_t ip_id;
	uint32_t tsn;
	uint16_t ssn;
	uint8_t frame[WRITER_BUF];
};

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* RFC 1071 one's complement sum over the IPv4 header */
static uint16_t ipv4_checksum(const uint8_t *h, size_t len)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* The parts of the Ethernet/IPv4/SCTP frame that never change. */
static void eth_sctp_template(uint8_t *f)
{
	static const uint8_t eth[ETH_LEN] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02, /* dst */
					     0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* src */
					     0x08, 0x00};
	memcpy(f, eth, sizeof(eth));
	uint8_t *ip = f + ETH_LEN;
	ip[0] = 0x45;                /* version 4, IHL 5 */
	ip[1] = 0;                   /* DSCP/ECN */
	put_be16(ip + 6, 0x4000);    /* DF, no fragment offset */
	ip[8] = 64;                  /* TTL */
	ip[9] = CAP_IPPROTO_SCTP;
	put_be32(ip + 12, 0x0a000001); /* 10.0.0.1 */
	put_be32(ip + 16, 0x0a000002); /* 10.0.0.2 */
	uint8_t *sctp = f + SCTP_OFF;
	put_be16(sctp, CAP_PORT_M3UA);
	put_be16(sctp + 2, CAP_PORT_M3UA);
	put_be32(sctp + 4, 0x00000001); /* verification tag */
	uint8_t *data = sctp + SCTP_COMMON_LEN;
	data[0] = 0;    /* DATA */
	data[1] = 0x03; /* B and E: an unfragmented user message */
	put_be16(data + 8, 0); /* stream 0 */
	put_be32(data + 12, CAP_PPID_M3UA);
}

struct cap_writer *cap_writer_open(const char *path, enum cap_out_link link, char *err,
				   size_t errsz)
{
	int dlt;
	switch (link) {
	case CAP_OUT_EXPORTED_PDU_M3UA:
		dlt = CAP_DLT_EXPORTED_PDU;
		break;
	case CAP_OUT_ETH_IPV4_SCTP:
		dlt = DLT_EN10MB;
		break;
	default:
		snprintf(err, errsz, "unknown output link %d", (int)link);
		return NULL;
	}
	struct cap_writer *w = calloc(1, sizeof(*w));
	if (!w) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	w->link = link;
	w->tsn = 1;
	w->iobuf = malloc(WRITER_STDIO_BUF);
	w->fp = fopen(path, "wb");
	if (!w->iobuf || !w->fp) {
		snprintf(err, errsz, "%s: %s", path, strerror(w->iobuf ? errno : ENOMEM));
		goto fail;
	}
	setvbuf(w->fp, w->iobuf, _IOFBF, WRITER_STDIO_BUF);
	w->dead = pcap_open_dead_with_tstamp_precision(dlt, 65535 + ETH_LEN,
						       PCAP_TSTAMP_PRECISION_NANO);
	if (!w->dead) {
		snprintf(err, errsz, "pcap_open_dead failed");
		goto fail;
	}
	w->dumper = pcap_dump_fopen(w->dead, w->fp);
	if (!w->dumper) {
		snprintf(err, errsz, "pcap_dump_fopen: %s", pcap_geterr(w->dead));
		goto fail;
	}
	w->fp = NULL; /* the dumper owns it */
	if (link == CAP_OUT_ETH_IPV4_SCTP)
		eth_sctp_template(w->frame);
	else
		memcpy(w->frame, exp_pdu_m3ua_hdr, sizeof(exp_pdu_m3ua_hdr));
	return w;
fail:
	if (w->fp)
		fclose(w->fp);
	if (w->dead)
		pcap_close(w->dead);
	free(w->iobuf);
	free(w);
	return NULL;
}

/* Fill the variable fields of the Ethernet/IPv4/SCTP frame around a message already
 * copied to its place; returns the frame length. */
static size_t eth_sctp_finish(struct cap_writer *w, size_t len)
{
	size_t pad = (4 - (len & 3)) & 3;
	size_t sctp_len = SCTP_COMMON_LEN + SCTP_DATA_HDR_LEN + len + pad;
	uint8_t *ip = w->frame + ETH_LEN;
	put_be16(ip + 2, (uint16_t)(IP4_LEN + sctp_len));
	put_be16(ip + 4, w->ip_id++);
	put_be16(ip + 10, 0);
	put_be16(ip + 10, ipv4_checksum(ip, IP4_LEN));
	uint8_t *sctp = w->frame + SCTP_OFF;
	uint8_t *data = sctp + SCTP_COMMON_LEN;
	put_be16(data + 2, (uint16_t)(SCTP_DATA_HDR_LEN + len)); /* chunk length excludes padding */
	put_be32(data + 4, w->tsn++);
	put_be16(data + 10, w->ssn++);
	memset(data + SCTP_DATA_HDR_LEN + len, 0, pad);
	/* RFC 9260 appendix A: the CRC goes on the wire least significant byte first */
	uint32_t crc = crc32c_sctp(sctp, sctp_len);
	sctp[8] = (uint8_t)crc;
	sctp[9] = (uint8_t)(crc >> 8);
	sctp[10] = (uint8_t)(crc >> 16);
	sctp[11] = (uint8_t)(crc >> 24);
	return SCTP_OFF + sctp_len;
}

int cap_writer_put(struct cap_writer *w, const struct timespec *ts, const uint8_t *m3ua,
		   size_t len)
{
	if (!w || (len && !m3ua))
		return -EINVAL;
	if (len > CAP_WRITER_MAX_MSG)
		return -EMSGSIZE;
	size_t flen;
	if (w->link == CAP_OUT_ETH_IPV4_SCTP) {
		memcpy(w->frame + SCTP_OFF + SCTP_COMMON_LEN + SCTP_DATA_HDR_LEN, m3ua, len);
		flen = eth_sctp_finish(w, len);
	} else {
		memcpy(w->frame + sizeof(exp_pdu_m3ua_hdr), m3ua, len);
		flen = sizeof(exp_pdu_m3ua_hdr) + len;
	}
	struct pcap_pkthdr h;
	/* nanosecond precision: tv_usec carries nanoseconds */
	h.ts.tv_sec = ts ? ts->tv_sec : 0;
	h.ts.tv_usec = ts ? (suseconds_t)ts->tv_nsec : 0;
	h.caplen = h.len = (bpf_u_int32)flen;
	pcap_dump((u_char *)w->dumper, &h, w->frame);
	return ferror(pcap_dump_file(w->dumper)) ? -EIO : 0;
}

int cap_writer_close(struct cap_writer *w)
{
	if (!w)
		return -EINVAL;
	int rc = pcap_dump_flush(w->dumper) == 0 && !ferror(pcap_dump_file(w->dumper)) ? 0 : -EIO;
	pcap_dump_close(w->dumper);
	pcap_close(w->dead);
	free(w->iobuf);
	free(w);
	return rc;
}
