/* Reading signalling out of packet captures, and writing captures tshark can read.
 *
 * The reader opens pcap and pcapng files through libpcap and hands out "signalling units":
 * one M3UA message (RFC 4666 common header onwards) or one MTP3 MSU (SIO onwards, Q.704),
 * in file order and, within a frame, in wire order. Link types: Ethernet (802.1Q / QinQ),
 * Linux cooked SLL and SLL2, raw IPv4/IPv6, BSD NULL/loopback, MTP3 (141) and exported PDU
 * (252). Over IP: SCTP (every DATA / I-DATA chunk, fragmented user messages reassembled)
 * carrying M3UA, M2UA or M2PA; M3UA over TCP port 2905 (re-framed by its length field).
 * See docs/capture.md for the exact rules.
 *
 * Frames that cannot be parsed are reported through the error callback with the frame
 * number, layer, field and reason; the read goes on. Frames that hold no signalling (ARP,
 * SCTP control chunks, other ports) are skipped silently.
 *
 * Nothing is allocated per unit: units point into the frame or into a reassembly buffer and
 * are valid only during the callback. */
#ifndef DFS_CAPTURE_H
#define DFS_CAPTURE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "value_string.h"

enum cap_proto {
	CAP_M3UA = 1, /* an M3UA message: common header, parameters */
	CAP_MTP3 = 2, /* an MTP3 MSU: SIO, routing label, user part (see mtp3.h) */
};

/* How the unit reached the capture. */
enum cap_transport {
	CAP_TR_SCTP = 1,         /* M3UA directly over SCTP */
	CAP_TR_SCTP_M2UA = 2,    /* MTP3 in an M2UA DATA message (RFC 3331) over SCTP */
	CAP_TR_SCTP_M2PA = 3,    /* MTP3 in an M2PA User Data message (RFC 4165) over SCTP */
	CAP_TR_TCP = 4,          /* M3UA over TCP */
	CAP_TR_EXPORTED_PDU = 5, /* link type 252 (Wireshark "exported PDU") */
	CAP_TR_MTP3_LINK = 6,    /* link type 141: the frame is an MSU */
};

extern const struct value_string cap_proto_names[];
extern const struct value_string cap_transport_names[];

/* Addresses and ports of the packet that completed the unit (all zero when the link type
 * has none: 141, and 252 without address tags). */
struct cap_flow {
	uint8_t ip_version;      /* 0 (none), 4 or 6 */
	uint8_t src[16], dst[16]; /* IPv4 in the first 4 bytes */
	uint16_t sport, dport;
	uint16_t sctp_stream;    /* SCTP stream identifier */
	uint32_t ppid;           /* SCTP payload protocol identifier as on the wire */
};

struct cap_unit {
	uint64_t frame;          /* 1-based frame number in the file */
	struct timespec ts;      /* frame time stamp */
	enum cap_proto proto;
	enum cap_transport transport;
	const uint8_t *p;        /* the unit's bytes, valid during the callback only */
	size_t len;
	unsigned index_in_frame; /* 0 for the first unit a frame yields, then 1, 2, ... */
	bool reassembled;        /* from several SCTP fragments or TCP segments */
	struct cap_flow flow;
};

/* A frame (or part of one) that could not be parsed. */
struct cap_error {
	uint64_t frame;          /* 1-based */
	struct timespec ts;
	const char *layer;       /* "pcap", "eth", "sll", "ipv4", "ipv6", "sctp", "tcp", "m2ua", ... */
	const char *field;       /* the field that did not fit or was not valid */
	size_t offset;           /* byte offset in the frame (for reassembled data: of the payload
				    of the packet that completed it) */
	const char *reason;      /* static text */
};

/* Return nonzero to stop the read (cap_reader_run then returns 1). */
typedef int (*cap_unit_cb)(void *ud, const struct cap_unit *u);
typedef int (*cap_error_cb)(void *ud, const struct cap_error *e);

struct cap_stats {
	uint64_t frames;   /* frames read */
	uint64_t bytes;    /* captured bytes of those frames */
	uint64_t units;    /* units handed out */
	uint64_t errors;   /* errors reported */
	uint64_t skipped;  /* frames without signalling */
};

/* ---- dissecting frames (a file reader, or a live capture via pcap_next_ex) ---- */
struct cap_dissector;

/* linktype: the DLT as returned by pcap_datalink(). Returns NULL with errno ENOMEM, or
 * EPROTONOSUPPORT (with err filled) for a link type this code does not dissect. */
struct cap_dissector *cap_dissector_new(int linktype, char *err, size_t errsz);
void cap_dissector_free(struct cap_dissector *d);

/* Dissect one frame of caplen captured bytes (wirelen on the wire). Calls cb for every
 * unit and ecb (may be NULL) for every error. Returns 0, or 1 when a callback asked to stop.
 * Frame numbers are the caller's (1-based). */
int cap_dissector_frame(struct cap_dissector *d, uint64_t frame, const struct timespec *ts,
			const uint8_t *data, size_t caplen, size_t wirelen, cap_unit_cb cb,
			cap_error_cb ecb, void *ud);
const struct cap_stats *cap_dissector_stats(const struct cap_dissector *d);

/* ---- reading files ---- */
struct cap_reader;

/* Open a pcap or pcapng file. NULL on failure with the reason in err. */
struct cap_reader *cap_reader_open(const char *path, char *err, size_t errsz);
/* The same over an open stream (e.g. fmemopen); the reader owns fp from then on, also
 * when opening fails. */
struct cap_reader *cap_reader_fopen(FILE *fp, char *err, size_t errsz);
int cap_reader_linktype(const struct cap_reader *r);
/* Read to the end. Returns 0 at the end of the file, 1 when a callback stopped the read
 * (calling it again goes on with the next frame; the rest of the frame it stopped in is not
 * delivered), or -EIO when the file is damaged or cut
 * off part way: the units before were delivered, the error callback gets one error (layer
 * "pcap", frame = the record that could not be read) and err says what libpcap found. */
int cap_reader_run(struct cap_reader *r, cap_unit_cb cb, cap_error_cb ecb, void *ud, char *err,
		   size_t errsz);
const struct cap_stats *cap_reader_stats(const struct cap_reader *r);
void cap_reader_close(struct cap_reader *r);

/* Open, run, close. Returns 0, 1 (stopped by a callback), or a negative errno with err set
 * (the file cannot be opened, its link type is not supported, or it is damaged). */
int cap_read_file(const char *path, cap_unit_cb cb, cap_error_cb ecb, void *ud, char *err,
		  size_t errsz);

/* ---- writing ---- */
enum cap_out_link {
	/* link type 252, each packet an exported PDU tagged "m3ua" (PROTOCOLS.md) */
	CAP_OUT_EXPORTED_PDU_M3UA = 1,
	/* Ethernet / IPv4 / SCTP, port 2905 both ways, one DATA chunk (PPID 3) a packet,
	 * stream 0, TSN and SSN counting up, CRC32c checksum */
	CAP_OUT_ETH_IPV4_SCTP = 2,
};

/* Largest M3UA message the writer takes: what fits one IPv4 packet with one DATA chunk,
 * padding included (M3UA lengths are multiples of 4). */
#define CAP_WRITER_MAX_MSG ((65535 - 20 - 12 - 16) & ~3)

struct cap_writer;
struct cap_writer *cap_writer_open(const char *path, enum cap_out_link link, char *err,
				   size_t errsz);
/* Append one M3UA message. 0, -EMSGSIZE (longer than CAP_WRITER_MAX_MSG), -EINVAL, -EIO. */
int cap_writer_put(struct cap_writer *w, const struct timespec *ts, const uint8_t *m3ua,
		   size_t len);
/* Flush and close; 0 or -EIO. Frees w in any case. */
int cap_writer_close(struct cap_writer *w);

#endif
