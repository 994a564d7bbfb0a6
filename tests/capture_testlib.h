/* Helpers for the capture tests: build frames byte by byte, write them with libpcap,
 * collect what the reader hands out, and ask tshark what it sees. Header-only, used by
 * tests/test_capture.c. */
#ifndef CAPTURE_TESTLIB_H
#define CAPTURE_TESTLIB_H
#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "crc32c.h"

/* ---- a growable byte string ---- */
struct bytes {
	uint8_t b[70000];
	size_t n;
};

static inline void b_put(struct bytes *x, const void *p, size_t n)
{
	if (n)
		memcpy(x->b + x->n, p, n);
	x->n += n;
}
static inline void b_u8(struct bytes *x, uint8_t v) { x->b[x->n++] = v; }
static inline void b_u16(struct bytes *x, uint16_t v)
{
	b_u8(x, (uint8_t)(v >> 8));
	b_u8(x, (uint8_t)v);
}
static inline void b_u32(struct bytes *x, uint32_t v)
{
	b_u16(x, (uint16_t)(v >> 16));
	b_u16(x, (uint16_t)v);
}
static inline void b_pad4(struct bytes *x)
{
	while (x->n & 3)
		b_u8(x, 0);
}

/* ---- messages ---- */
/* M3UA BEAT (RFC 4666 3.5.5) with n bytes of heartbeat data: a valid message of any size. */
static inline void m3ua_beat(struct bytes *x, size_t n, uint8_t seed)
{
	size_t pl = 4 + n, padded = (pl + 3) & ~(size_t)3;
	x->n = 0;
	b_u8(x, 1);
	b_u8(x, 0);
	b_u8(x, 3); /* ASPSM */
	b_u8(x, 3); /* BEAT */
	b_u32(x, (uint32_t)(8 + padded));
	b_u16(x, 0x0009); /* heartbeat data */
	b_u16(x, (uint16_t)pl);
	for (size_t i = 0; i < n; i++)
		b_u8(x, (uint8_t)(seed + i));
	b_pad4(x);
}

/* An MTP3 MSU: SNM (SI 0) national, label dpc/opc/sls, heading 0x11 (COO) and one octet */
static inline void mtp3_snm(struct bytes *x, uint16_t dpc, uint16_t opc, uint8_t sls)
{
	uint32_t l = (uint32_t)dpc | (uint32_t)opc << 14 | (uint32_t)sls << 28;
	x->n = 0;
	b_u8(x, 0x80);
	b_u8(x, (uint8_t)l);
	b_u8(x, (uint8_t)(l >> 8));
	b_u8(x, (uint8_t)(l >> 16));
	b_u8(x, (uint8_t)(l >> 24));
	b_u8(x, 0x11);
	b_u8(x, 0x00);
}

/* ---- SCTP ---- */
static inline void sctp_data(struct bytes *x, uint8_t flags, uint32_t tsn, uint16_t stream,
			     uint16_t ssn, uint32_t ppid, const uint8_t *p, size_t n)
{
	b_u8(x, 0);
	b_u8(x, flags);
	b_u16(x, (uint16_t)(16 + n));
	b_u32(x, tsn);
	b_u16(x, stream);
	b_u16(x, ssn);
	b_u32(x, ppid);
	b_put(x, p, n);
	b_pad4(x);
}

static inline void sctp_idata(struct bytes *x, uint8_t flags, uint32_t tsn, uint16_t stream,
			      uint32_t mid, uint32_t ppid_fsn, const uint8_t *p, size_t n)
{
	b_u8(x, 64);
	b_u8(x, flags);
	b_u16(x, (uint16_t)(20 + n));
	b_u32(x, tsn);
	b_u16(x, stream);
	b_u16(x, 0);
	b_u32(x, mid);
	b_u32(x, ppid_fsn);
	b_put(x, p, n);
	b_pad4(x);
}

static inline void sctp_sack(struct bytes *x, uint32_t cum_tsn)
{
	b_u8(x, 3);
	b_u8(x, 0);
	b_u16(x, 16);
	b_u32(x, cum_tsn);
	b_u32(x, 65535); /* a_rwnd */
	b_u16(x, 0);
	b_u16(x, 0);
}

/* SCTP packet around the chunks, with a correct CRC32c */
static inline void sctp_pkt(struct bytes *x, uint16_t sport, uint16_t dport, uint32_t vtag,
			    const struct bytes *chunks)
{
	x->n = 0;
	b_u16(x, sport);
	b_u16(x, dport);
	b_u32(x, vtag);
	b_u32(x, 0);
	b_put(x, chunks->b, chunks->n);
	uint32_t crc = crc32c_sctp(x->b, x->n);
	x->b[8] = (uint8_t)crc;
	x->b[9] = (uint8_t)(crc >> 8);
	x->b[10] = (uint8_t)(crc >> 16);
	x->b[11] = (uint8_t)(crc >> 24);
}

/* ---- TCP (no checksum: tshark does not verify it by default) ---- */
#define T_FIN 0x01
#define T_SYN 0x02
#define T_RST 0x04
#define T_PSH 0x08
#define T_ACK 0x10
static inline void tcp_seg(struct bytes *x, uint16_t sport, uint16_t dport, uint32_t seq,
			   uint8_t flags, const uint8_t *p, size_t n)
{
	x->n = 0;
	b_u16(x, sport);
	b_u16(x, dport);
	b_u32(x, seq);
	b_u32(x, 1);     /* ack */
	b_u8(x, 5 << 4); /* data offset */
	b_u8(x, flags);
	b_u16(x, 65535);
	b_u16(x, 0);
	b_u16(x, 0);
	b_put(x, p, n);
}

/* ---- IP ---- */
static inline uint16_t t_ipsum(const uint8_t *h, size_t n)
{
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(h[i] << 8 | h[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* IPv4 with optional options (nopts 4-byte words of NOP) and fragment field */
static inline void ipv4_pkt(struct bytes *x, uint8_t proto, const struct bytes *payload,
			    unsigned nopts, uint16_t frag, uint8_t src_last)
{
	size_t hl = 20 + 4 * (size_t)nopts;
	x->n = 0;
	b_u8(x, (uint8_t)(0x40 | (hl / 4)));
	b_u8(x, 0);
	b_u16(x, (uint16_t)(hl + payload->n));
	b_u16(x, 1);
	b_u16(x, frag ? frag : 0x4000);
	b_u8(x, 64);
	b_u8(x, proto);
	b_u16(x, 0);
	b_u32(x, 0x0a000000u | src_last);
	b_u32(x, 0x0a000002u);
	for (unsigned i = 0; i < 4 * nopts; i++)
		b_u8(x, 1); /* NOP */
	uint16_t s = t_ipsum(x->b, hl);
	x->b[10] = (uint8_t)(s >> 8);
	x->b[11] = (uint8_t)s;
	b_put(x, payload->b, payload->n);
}

/* IPv6 with a hop-by-hop and a destination options header when ext is true */
static inline void ipv6_pkt(struct bytes *x, uint8_t proto, const struct bytes *payload, bool ext)
{
	x->n = 0;
	b_u32(x, 0x60000000);
	b_u16(x, (uint16_t)(payload->n + (ext ? 16 : 0)));
	b_u8(x, ext ? 0 : proto);
	b_u8(x, 64);
	for (int i = 0; i < 15; i++)
		b_u8(x, i == 0 ? 0xfd : 0);
	b_u8(x, 1);
	for (int i = 0; i < 15; i++)
		b_u8(x, i == 0 ? 0xfd : 0);
	b_u8(x, 2);
	if (ext) {
		/* hop-by-hop: next 60, length 0 (8 bytes), PadN */
		const uint8_t hbh[8] = {60, 0, 1, 4, 0, 0, 0, 0};
		const uint8_t dst[8] = {proto, 0, 1, 4, 0, 0, 0, 0};
		b_put(x, hbh, 8);
		b_put(x, dst, 8);
	}
	b_put(x, payload->b, payload->n);
}

/* Ethernet with ntags VLAN tags (the outer ones 802.1ad, the inner 802.1Q) */
static inline void eth_frame(struct bytes *x, uint16_t type, unsigned ntags,
			     const struct bytes *payload)
{
	static const uint8_t macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	x->n = 0;
	b_put(x, macs, 12);
	for (unsigned i = 0; i < ntags; i++) {
		b_u16(x, i + 1 < ntags ? 0x88a8 : 0x8100);
		b_u16(x, (uint16_t)(100 + i));
	}
	b_u16(x, type);
	b_put(x, payload->b, payload->n);
}

/* ---- writing pcap files ---- */
struct tpcap {
	pcap_t *dead;
	pcap_dumper_t *dump;
	unsigned frames;
};

static inline int tp_open(struct tpcap *t, const char *path, int dlt)
{
	t->dead = pcap_open_dead(dlt, 262144);
	t->dump = t->dead ? pcap_dump_open(t->dead, path) : NULL;
	t->frames = 0;
	return t->dump ? 0 : -1;
}

/* caplen bytes of p, wirelen on the wire (0: same) */
static inline void tp_put_len(struct tpcap *t, const uint8_t *p, size_t caplen, size_t wirelen)
{
	struct pcap_pkthdr h = {0};
	h.ts.tv_sec = 1700000000 + (time_t)t->frames;
	h.ts.tv_usec = 1000 * (suseconds_t)t->frames;
	h.caplen = (bpf_u_int32)caplen;
	h.len = (bpf_u_int32)(wirelen ? wirelen : caplen);
	pcap_dump((u_char *)t->dump, &h, p);
	t->frames++;
}
static inline void tp_put(struct tpcap *t, const struct bytes *x) { tp_put_len(t, x->b, x->n, 0); }

static inline void tp_close(struct tpcap *t)
{
	pcap_dump_close(t->dump);
	pcap_close(t->dead);
}

/* ---- collecting units and errors ---- */
#define GOT_MAX 4096
struct got_unit {
	uint64_t frame;
	unsigned index;
	enum cap_proto proto;
	enum cap_transport tr;
	bool reasm;
	size_t len;
	uint8_t data[512]; /* the first bytes */
	struct cap_flow flow;
	long tv_sec, tv_nsec;
};
struct got_err {
	uint64_t frame;
	char layer[16], field[32];
	size_t offset;
	char reason[128];
};
struct got {
	unsigned n, nerr;
	struct got_unit u[GOT_MAX];
	struct got_err e[64];
	uint8_t hash[GOT_MAX][8];
	unsigned stop_after; /* nonzero: stop at this many units */
};

static inline int got_unit_cb(void *ud, const struct cap_unit *u)
{
	struct got *g = ud;
	if (g->n < GOT_MAX) {
		struct got_unit *x = &g->u[g->n];
		x->frame = u->frame;
		x->index = u->index_in_frame;
		x->proto = u->proto;
		x->tr = u->transport;
		x->reasm = u->reassembled;
		x->len = u->len;
		memcpy(x->data, u->p, u->len < sizeof(x->data) ? u->len : sizeof(x->data));
		x->flow = u->flow;
		x->tv_sec = (long)u->ts.tv_sec;
		x->tv_nsec = u->ts.tv_nsec;
	}
	g->n++;
	return g->stop_after && g->n >= g->stop_after;
}

static inline int got_err_cb(void *ud, const struct cap_error *e)
{
	struct got *g = ud;
	if (g->nerr < 64) {
		struct got_err *x = &g->e[g->nerr];
		x->frame = e->frame;
		snprintf(x->layer, sizeof(x->layer), "%s", e->layer);
		snprintf(x->field, sizeof(x->field), "%s", e->field);
		snprintf(x->reason, sizeof(x->reason), "%s", e->reason);
		x->offset = e->offset;
	}
	g->nerr++;
	return 0;
}

/* Read path into g (cleared first); returns cap_read_file's result. */
static inline int got_read(struct got *g, const char *path)
{
	char err[256];
	memset(g, 0, offsetof(struct got, u));
	g->n = g->nerr = 0;
	int rc = cap_read_file(path, got_unit_cb, got_err_cb, g, err, sizeof(err));
	if (getenv("CAPTURE_TEST_VERBOSE")) { /* what was read, for a failing test */
		fprintf(stderr, "%s: rc %d, %u units, %u errors\n", path, rc, g->n, g->nerr);
		for (unsigned i = 0; i < g->n && i < 64; i++)
			fprintf(stderr, "  unit frame %llu index %u proto %d len %zu\n",
				(unsigned long long)g->u[i].frame, g->u[i].index, g->u[i].proto,
				g->u[i].len);
		for (unsigned i = 0; i < g->nerr && i < 64; i++)
			fprintf(stderr, "  error frame %llu %s.%s at %zu: %s\n",
				(unsigned long long)g->e[i].frame, g->e[i].layer, g->e[i].field,
				g->e[i].offset, g->e[i].reason);
	}
	return rc;
}

/* ---- tshark ---- */
static inline bool have_tshark(void)
{
	return system("command -v tshark >/dev/null 2>&1") == 0;
}

/* popen("tshark -n -r PATH ARGS 2>/dev/null") */
static inline FILE *tshark_popen(const char *path, const char *args)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "tshark -n -r '%s' %s 2>/dev/null", path, args);
	return popen(cmd, "r");
}

/* Lines tshark prints for PATH with ARGS (the first few echoed to stderr when loud), or -1. */
static inline int tshark_lines(const char *path, const char *args, bool loud)
{
	FILE *f = tshark_popen(path, args);
	if (!f)
		return -1;
	char line[4096];
	int n = 0;
	while (fgets(line, sizeof(line), f)) {
		if (loud && n < 5)
			fprintf(stderr, "tshark: %s", line);
		n++;
	}
	return pclose(f) == 0 ? n : -1;
}

static inline unsigned count_list(const char *s)
{
	if (!*s || *s == '\n' || *s == '\t')
		return 0;
	unsigned n = 1;
	for (; *s && *s != '\n' && *s != '\t'; s++)
		n += *s == ',';
	return n;
}

/* Units tshark sees per frame: M3UA messages + MTP3 MSUs. counts[frame] for 1..maxf;
 * returns the number of frames, or -1 when tshark could not run. */
static inline int tshark_unit_counts(const char *path, unsigned *counts, unsigned maxf)
{
	FILE *f = tshark_popen(path, "-T fields -e frame.number -e m3ua.version "
				     "-e mtp3.service_indicator -E occurrence=a");
	if (!f)
		return -1;
	char line[4096];
	int frames = 0;
	memset(counts, 0, sizeof(*counts) * (maxf + 1));
	while (fgets(line, sizeof(line), f)) {
		char *t1 = strchr(line, '\t');
		if (!t1)
			continue;
		unsigned fr = (unsigned)strtoul(line, NULL, 10);
		char *t2 = strchr(t1 + 1, '\t');
		unsigned n = count_list(t1 + 1) + (t2 ? count_list(t2 + 1) : 0);
		if (fr <= maxf)
			counts[fr] = n;
		frames = (int)fr;
	}
	return pclose(f) == 0 ? frames : -1;
}

/* The lines tshark prints for malformed packets or expert errors (0 = clean). */
static inline int tshark_complaints(const char *path)
{
	return tshark_lines(path, "-Y '_ws.malformed || _ws.expert.severity >= error'", true);
}

#endif
