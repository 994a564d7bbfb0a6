/* Capture reading and writing: every link type with synthetic frames, SCTP bundling,
 * fragmentation and retransmission, M3UA over TCP, errors that do not stop the read, the
 * shared captures against tshark, and captures the writer makes read back by tshark. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "capture_testlib.h"
#include "mtp3.h"

struct env {
	char dir[64];
	char path[128];
	struct got *g;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	if (!e)
		return -1;
	snprintf(e->dir, sizeof(e->dir), "/tmp/test_capture_XXXXXX");
	if (!mkdtemp(e->dir))
		return -1;
	e->g = calloc(1, sizeof(*e->g));
	*state = e;
	return e->g ? 0 : -1;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->dir);
	if (getenv("CAPTURE_TEST_KEEP")) /* the synthetic captures, e.g. as fuzzing seeds */
		fprintf(stderr, "captures kept in %s\n", e->dir);
	else if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", e->dir);
	free(e->g);
	free(e);
	return 0;
}

static const char *tpath(struct env *e, const char *name)
{
	snprintf(e->path, sizeof(e->path), "%s/%s", e->dir, name);
	return e->path;
}

/* Per-frame unit counts of the reader equal tshark's (skipped without tshark). */
static void assert_counts_match_tshark(const char *path, const struct got *g)
{
	if (!have_tshark()) {
		fprintf(stderr, "tshark not installed: per-frame comparison of %s skipped\n", path);
		return;
	}
	static unsigned ts[4096], mine[4096];
	int frames = tshark_unit_counts(path, ts, 4095);
	assert_true(frames > 0);
	memset(mine, 0, sizeof(mine));
	for (unsigned i = 0; i < g->n && i < GOT_MAX; i++)
		if (g->u[i].frame < 4096)
			mine[g->u[i].frame]++;
	for (int f = 1; f <= frames && f < 4096; f++) {
		if (mine[f] != ts[f])
			fprintf(stderr, "%s frame %d: reader %u units, tshark %u\n", path, f, mine[f],
				ts[f]);
		assert_int_equal(mine[f], ts[f]);
	}
}

/* ---- MTP3 codec -------------------------------------------------------------- */
static void test_mtp3_codec(void **state)
{
	/* SIO 0x83: NI national, SCCP; DPC 100, OPC 10, SLS 12 (camel.pcap frame 1) */
	const uint8_t msu[] = {0x83, 0x64, 0x80, 0x02, 0xc0, 0x09, 0x80, 0x03};
	struct mtp3_msg m;
	struct dfs_err err;
	assert_int_equal(mtp3_decode(msu, sizeof(msu), 100, &m, &err), 0);
	assert_int_equal(m.si, MTP3_SI_SCCP);
	assert_int_equal(m.ni, MTP3_NI_NATIONAL);
	assert_int_equal(m.prio, 0);
	assert_int_equal(m.dpc, 100);
	assert_int_equal(m.opc, 10);
	assert_int_equal(m.sls, 12);
	assert_int_equal(m.user.len, 3);
	assert_ptr_equal(m.user.p, msu + 5);
	assert_string_equal(mtp3_si_name(m.si), "SCCP");
	assert_string_equal(get_value_string(mtp3_ni_names, m.ni), "National network");

	/* round trip */
	uint8_t out[16];
	struct dfs_wbuf w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(mtp3_encode(&w, &m), 0);
	assert_int_equal(w.len, sizeof(msu));
	assert_memory_equal(out, msu, sizeof(msu));

	/* every truncation point is a clean error with field and absolute offset */
	for (size_t n = 0; n < MTP3_HDR_LEN + 1; n++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(mtp3_decode(msu, n, 100, &m, &err), -EBADMSG);
		assert_string_equal(err.layer, "mtp3");
		assert_string_equal(err.field, n == 0 ? "sio" : n < MTP3_HDR_LEN ? "routing_label"
									      : "user_part");
		assert_int_equal(err.offset, 100 + n);
	}

	/* extremes of every field survive encode/decode */
	struct mtp3_msg x = {.si = 15, .ni = 3, .prio = 3, .dpc = 0x3fff, .opc = 0x2aaa, .sls = 15};
	const uint8_t ud[] = {0xaa};
	x.user.p = ud;
	x.user.len = 1;
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(mtp3_encode(&w, &x), 0);
	assert_int_equal(mtp3_decode(out, w.len, 0, &m, NULL), 0);
	assert_int_equal(m.sio, 0xff);
	assert_int_equal(m.dpc, 0x3fff);
	assert_int_equal(m.opc, 0x2aaa);
	assert_int_equal(m.sls, 15);
	assert_int_equal(m.prio, 3);

	struct m3ua_proto_data pd;
	mtp3_to_proto_data(&m, &pd);
	assert_int_equal(pd.opc, 0x2aaa);
	assert_int_equal(pd.dpc, 0x3fff);
	assert_int_equal(pd.si, 15);
	assert_int_equal(pd.ni, 3);
	assert_int_equal(pd.mp, 3);
	assert_int_equal(pd.sls, 15);
	assert_int_equal(pd.user_data.len, 1);

	/* bad input and overflow */
	x.dpc = 0x4000;
	w = dfs_wbuf_init(out, sizeof(out));
	assert_int_equal(mtp3_encode(&w, &x), -EINVAL);
	x.dpc = 1;
	x.sls = 16;
	assert_int_equal(mtp3_encode(&w, &x), -EINVAL);
	x.sls = 1;
	w = dfs_wbuf_init(out, 5);
	assert_int_equal(mtp3_encode(&w, &x), -ENOSPC);
}

/* the MTP3 fields of the shared M2UA captures equal tshark's */
static void test_mtp3_vs_tshark(void **state)
{
	struct env *e = *state;
	if (!have_tshark()) {
		skip();
		return;
	}
	const char *files[] = {"camel.pcap", "gsm_map_with_ussd_string.pcap"};
	for (size_t i = 0; i < 2; i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/captures/%s", DFSG_VECTORS_DIR, files[i]);
		assert_int_equal(got_read(e->g, path), 0);
		FILE *f = tshark_popen(path, "-T fields -e mtp3.service_indicator "
					     "-e mtp3.network_indicator -e mtp3.opc -e mtp3.dpc "
					     "-e mtp3.sls");
		assert_non_null(f);
		unsigned k = 0;
		unsigned si, ni, opc, dpc, sls;
		while (fscanf(f, "%x %x %u %u %u", &si, &ni, &opc, &dpc, &sls) == 5) {
			assert_true(k < e->g->n);
			struct mtp3_msg m;
			assert_int_equal(mtp3_decode(e->g->u[k].data, e->g->u[k].len, 0, &m, NULL), 0);
			assert_int_equal(m.si, si);
			assert_int_equal(m.ni, ni);
			assert_int_equal(m.opc, opc);
			assert_int_equal(m.dpc, dpc);
			assert_int_equal(m.sls, sls);
			k++;
		}
		pclose(f);
		assert_int_equal(k, e->g->n);
		assert_true(k > 0);
	}
}

/* ---- CRC32c ---------------------------------------------------------------- */
static void test_crc32c(void **state)
{
	/* RFC 3720 B.4 test vectors and the usual check value */
	uint8_t buf[48];
	assert_int_equal(crc32c(0, "123456789", 9), 0xe3069283);
	memset(buf, 0, 32);
	assert_int_equal(crc32c(0, buf, 32), 0x8a9136aa);
	memset(buf, 0xff, 32);
	assert_int_equal(crc32c(0, buf, 32), 0x62a8ab43);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	assert_int_equal(crc32c(0, buf, 32), 0x46dd794e);
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)(31 - i);
	assert_int_equal(crc32c(0, buf, 32), 0x113fdb5c);
	/* incremental over any split equals one pass */
	for (int i = 0; i < 48; i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	uint32_t whole = crc32c(0, buf, 48);
	for (size_t cut = 0; cut <= 48; cut++)
		assert_int_equal(crc32c(crc32c(0, buf, cut), buf + cut, 48 - cut), whole);
}

/* ---- link types -------------------------------------------------------------- */
/* one M3UA message (over SCTP) per frame, wrapped for the link type under test */
static void wrap_link(struct bytes *frame, int dlt, const struct bytes *ip, bool v6)
{
	static struct bytes tmp;
	frame->n = 0;
	switch (dlt) {
	case DLT_LINUX_SLL:
		b_u16(frame, 0);     /* to us */
		b_u16(frame, 1);     /* ARPHRD_ETHER */
		b_u16(frame, 6);
		for (int i = 0; i < 8; i++)
			b_u8(frame, (uint8_t)i);
		b_u16(frame, v6 ? 0x86dd : 0x0800);
		break;
	case DLT_LINUX_SLL2:
		b_u16(frame, v6 ? 0x86dd : 0x0800);
		b_u16(frame, 0);
		b_u32(frame, 3);     /* interface index */
		b_u16(frame, 1);
		b_u8(frame, 0);
		b_u8(frame, 6);
		for (int i = 0; i < 8; i++)
			b_u8(frame, (uint8_t)i);
		break;
	case DLT_NULL: /* host byte order of a little-endian writer */
		b_u8(frame, v6 ? 30 : 2);
		b_u8(frame, 0);
		b_u8(frame, 0);
		b_u8(frame, 0);
		break;
	case DLT_LOOP:
		b_u32(frame, v6 ? 24 : 2);
		break;
	case DLT_EN10MB:
		eth_frame(&tmp, v6 ? 0x86dd : 0x0800, 0, ip);
		*frame = tmp;
		return;
	default: /* raw IP */
		break;
	}
	b_put(frame, ip->b, ip->n);
}

static void test_link_types(void **state)
{
	struct env *e = *state;
	static struct bytes msg, chunks, sctp, ip, frame;
	const int dlts[] = {DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_IPV4,
			    DLT_IPV6, DLT_NULL, DLT_LOOP};
	for (size_t k = 0; k < sizeof(dlts) / sizeof(dlts[0]); k++) {
		int dlt = dlts[k];
		struct tpcap t;
		assert_int_equal(tp_open(&t, tpath(e, "link.pcap"), dlt), 0);
		for (int v = 0; v < 2; v++) {
			bool v6 = v == 1;
			if ((dlt == DLT_IPV4 && v6) || (dlt == DLT_IPV6 && !v6))
				continue;
			m3ua_beat(&msg, 10 + (size_t)v, (uint8_t)v);
			chunks.n = 0;
			sctp_data(&chunks, 3, 100 + (uint32_t)v, 0, 0, 3, msg.b, msg.n);
			sctp_pkt(&sctp, 2905, 2905, 0x1234, &chunks);
			if (v6)
				ipv6_pkt(&ip, 132, &sctp, v == 1);
			else
				ipv4_pkt(&ip, 132, &sctp, 0, 0, 1);
			wrap_link(&frame, dlt, &ip, v6);
			tp_put(&t, &frame);
		}
		tp_close(&t);
		assert_int_equal(got_read(e->g, e->path), 0);
		unsigned expect = (dlt == DLT_IPV4 || dlt == DLT_IPV6) ? 1 : 2;
		if (e->g->n != expect || e->g->nerr)
			fprintf(stderr, "link type %d: %u units, %u errors\n", dlt, e->g->n, e->g->nerr);
		assert_int_equal(e->g->nerr, 0);
		assert_int_equal(e->g->n, expect);
		for (unsigned i = 0; i < e->g->n; i++) {
			assert_int_equal(e->g->u[i].proto, CAP_M3UA);
			assert_int_equal(e->g->u[i].tr, CAP_TR_SCTP);
			assert_int_equal(e->g->u[i].frame, i + 1);
			assert_int_equal(e->g->u[i].index, 0);
			assert_int_equal(e->g->u[i].flow.sport, 2905);
			assert_int_equal(e->g->u[i].flow.ppid, 3);
			/* frame i was written at 1700000000 + i s, i ms */
			assert_int_equal(e->g->u[i].tv_sec, 1700000000 + (long)i);
			assert_int_equal(e->g->u[i].tv_nsec, 1000000L * (long)i);
		}
		bool v6first = dlt == DLT_IPV6;
		assert_int_equal(e->g->u[0].flow.ip_version, v6first ? 6 : 4);
		if (!v6first)
			assert_int_equal(e->g->u[0].flow.src[3], 1);
		if (expect == 2) {
			assert_int_equal(e->g->u[1].flow.ip_version, 6);
			assert_int_equal(e->g->u[1].flow.dst[15], 2);
			assert_int_equal(e->g->u[1].len, 8 + 16);
		}
		assert_counts_match_tshark(e->path, e->g);
	}
}

static void test_vlan_llc_ipopts(void **state)
{
	struct env *e = *state;
	static struct bytes msg, chunks, sctp, ip, frame, snap;
	struct tpcap t;
	assert_int_equal(tp_open(&t, tpath(e, "vlan.pcap"), DLT_EN10MB), 0);
	m3ua_beat(&msg, 4, 0);
	chunks.n = 0;
	sctp_data(&chunks, 3, 1, 0, 0, 3, msg.b, msg.n);
	sctp_pkt(&sctp, 2905, 2905, 0, &chunks);
	ipv4_pkt(&ip, 132, &sctp, 2, 0, 1); /* 8 bytes of IPv4 options */
	for (unsigned tags = 0; tags <= 3; tags++) { /* plain, 802.1Q, QinQ, three tags */
		eth_frame(&frame, 0x0800, tags, &ip);
		tp_put(&t, &frame);
	}
	/* 802.3 length + LLC/SNAP carrying IPv4 */
	snap.n = 0;
	const uint8_t llc[8] = {0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x00};
	b_put(&snap, llc, 8);
	b_put(&snap, ip.b, ip.n);
	eth_frame(&frame, (uint16_t)snap.n, 0, &snap);
	tp_put(&t, &frame);
	/* Ethernet padding after a short IP packet is ignored (IP total length wins) */
	eth_frame(&frame, 0x0800, 0, &ip);
	memset(frame.b + frame.n, 0, 8);
	frame.n += 8;
	tp_put(&t, &frame);
	/* ARP: nothing, silently */
	eth_frame(&frame, 0x0806, 0, &msg);
	tp_put(&t, &frame);
	tp_close(&t);
	assert_int_equal(got_read(e->g, e->path), 0);
	assert_int_equal(e->g->nerr, 0);
	assert_int_equal(e->g->n, 6);
	for (unsigned i = 0; i < 6; i++) {
		assert_int_equal(e->g->u[i].frame, i + 1);
		assert_int_equal(e->g->u[i].len, msg.n);
		assert_memory_equal(e->g->u[i].data, msg.b, msg.n);
	}
	assert_counts_match_tshark(e->path, e->g);
}

/* link type 141: each frame is an MSU; link type 252: exported PDUs with protocol tags */
static void exp_pdu(struct bytes *x, uint16_t tag, const char *name, const struct bytes *pdu)
{
	size_t nl = strlen(name), padded = (nl + 3) & ~(size_t)3;
	x->n = 0;
	b_u16(x, tag);
	b_u16(x, (uint16_t)padded);
	b_put(x, name, nl);
	for (size_t i = nl; i < padded; i++)
		b_u8(x, 0);
	/* source IPv4 address tag */
	b_u16(x, 20);
	b_u16(x, 4);
	b_u32(x, 0x0a000009);
	b_u16(x, 0);
	b_u16(x, 0);
	b_put(x, pdu->b, pdu->n);
}

static void test_mtp3_and_exported_pdu(void **state)
{
	struct env *e = *state;
	static struct bytes msu, m3ua, frame, m2ua;
	struct tpcap t;
	assert_int_equal(tp_open(&t, tpath(e, "mtp3.pcap"), DLT_MTP3), 0);
	for (int i = 0; i < 3; i++) {
		mtp3_snm(&msu, (uint16_t)(100 + i), 10, (uint8_t)i);
		tp_put(&t, &msu);
	}
	tp_close(&t);
	assert_int_equal(got_read(e->g, e->path), 0);
	assert_int_equal(e->g->n, 3);
	assert_int_equal(e->g->nerr, 0);
	struct mtp3_msg m;
	assert_int_equal(mtp3_decode(e->g->u[2].data, e->g->u[2].len, 0, &m, NULL), 0);
	assert_int_equal(m.dpc, 102);
	assert_int_equal(e->g->u[2].proto, CAP_MTP3);
	assert_int_equal(e->g->u[2].tr, CAP_TR_MTP3_LINK);
	assert_counts_match_tshark(e->path, e->g);

	assert_int_equal(tp_open(&t, tpath(e, "exported.pcap"), DLT_WIRESHARK_UPPER_PDU), 0);
	m3ua_beat(&m3ua, 5, 1);
	exp_pdu(&frame, 12, "m3ua", &m3ua);
	tp_put(&t, &frame);
	mtp3_snm(&msu, 7, 8, 9);
	exp_pdu(&frame, 12, "mtp3", &msu);
	tp_put(&t, &frame);
	/* M2UA DATA with Protocol Data 1 */
	m2ua.n = 0;
	b_u32(&m2ua, 0x01000601);
	b_u32(&m2ua, (uint32_t)(8 + 8 + ((4 + msu.n + 3) & ~3u)));
	b_u32(&m2ua, 0x00010008); /* interface identifier */
	b_u32(&m2ua, 0);
	b_u16(&m2ua, 0x0300);
	b_u16(&m2ua, (uint16_t)(4 + msu.n));
	b_put(&m2ua, msu.b, msu.n);
	b_pad4(&m2ua);
	exp_pdu(&frame, 12, "m2ua", &m2ua);
	tp_put(&t, &frame);
	tp_close(&t);
	assert_int_equal(got_read(e->g, e->path), 0);
	assert_int_equal(e->g->nerr, 0);
	assert_int_equal(e->g->n, 3);
	assert_int_equal(e->g->u[0].proto, CAP_M3UA);
	assert_int_equal(e->g->u[0].tr, CAP_TR_EXPORTED_PDU);
	assert_int_equal(e->g->u[0].len, m3ua.n);
	assert_memory_equal(e->g->u[0].data, m3ua.b, m3ua.n);
	assert_int_equal(e->g->u[0].flow.ip_version, 4);
	assert_int_equal(e->g->u[0].flow.src[3], 9);
	assert_int_equal(e->g->u[1].proto, CAP_MTP3);
	assert_memory_equal(e->g->u[1].data, msu.b, msu.n);
	assert_int_equal(e->g->u[2].proto, CAP_MTP3);
	assert_int_equal(e->g->u[2].len, msu.n);
	assert_memory_equal(e->g->u[2].data, msu.b, msu.n);
	assert_counts_match_tshark(e->path, e->g);

	/* exported PDUs as Wireshark's own text2pcap writes them (pcapng) */
	if (system("command -v text2pcap >/dev/null 2>&1") == 0) {
		const char *protos[] = {"m3ua", "mtp3"};
		const struct bytes *pdus[] = {&m3ua, &msu};
		for (int i = 0; i < 2; i++) {
			FILE *f = fopen(tpath(e, "t2p.txt"), "w");
			assert_non_null(f);
			fprintf(f, "000000");
			for (size_t k = 0; k < pdus[i]->n; k++)
				fprintf(f, " %02x", pdus[i]->b[k]);
			fprintf(f, "\n");
			fclose(f);
			char cmd[512], out[160];
			snprintf(out, sizeof(out), "%s/t2p.pcapng", e->dir);
			snprintf(cmd, sizeof(cmd), "text2pcap -q -P %s '%s' '%s' 2>/dev/null", protos[i],
				 e->path, out);
			assert_int_equal(system(cmd), 0);
			assert_int_equal(got_read(e->g, out), 0);
			assert_int_equal(e->g->nerr, 0);
			assert_int_equal(e->g->n, 1);
			assert_int_equal(e->g->u[0].proto, i ? CAP_MTP3 : CAP_M3UA);
			assert_int_equal(e->g->u[0].len, pdus[i]->n);
			assert_memory_equal(e->g->u[0].data, pdus[i]->b, pdus[i]->n);
		}
	}

	/* by dissector table (sctp.ppi = 3), an unsupported protocol, a missing name */
	assert_int_equal(tp_open(&t, tpath(e, "exported2.pcap"), DLT_WIRESHARK_UPPER_PDU), 0);
	frame.n = 0;
	b_u16(&frame, 14);
	b_u16(&frame, 8);
	b_put(&frame, "sctp.ppi", 8);
	b_u16(&frame, 32);
	b_u16(&frame, 4);
	b_u32(&frame, 3);
	b_u32(&frame, 0);
	b_put(&frame, m3ua.b, m3ua.n);
	tp_put(&t, &frame);
	exp_pdu(&frame, 12, "sip", &m3ua);
	tp_put(&t, &frame);
	frame.n = 0;
	b_u32(&frame, 0);
	b_put(&frame, m3ua.b, m3ua.n);
	tp_put(&t, &frame);
	exp_pdu(&frame, 12, "m3ua", &m3ua);
	frame.n = 6; /* tags cut off */
	tp_put(&t, &frame);
	tp_close(&t);
	assert_int_equal(got_read(e->g, e->path), 0);
	assert_int_equal(e->g->n, 1);
	assert_int_equal(e->g->u[0].frame, 1);
	assert_int_equal(e->g->nerr, 3);
	assert_int_equal(e->g->e[0].frame, 2);
	assert_string_equal(e->g->e[0].layer, "exported_pdu");
	assert_string_equal(e->g->e[0].field, "protocol");
	assert_int_equal(e->g->e[0].offset, 4);
	assert_int_equal(e->g->e[1].frame, 3);
	assert_string_equal(e->g->e[1].field, "protocol");
	assert_int_equal(e->g->e[2].frame, 4);
	assert_string_equal(e->g->e[2].field, "tag_length");
}

/* ---- SCTP ---------------------------------------------------------------------- */
static void test_sctp_bundling_fragments(void **state)
{
	struct env *e = *state;
	static struct bytes a, b, big, chunks, sctp, ip, frame, m2pa, msu;
	struct tpcap t;
	assert_int_equal(tp_open(&t, tpath(e, "sctp.pcap"), DLT_EN10MB), 0);
#define PUT_SCTP(sp, dp, vt)                                                                      \
	do {                                                                                      \
		sctp_pkt(&sctp, sp, dp, vt, &chunks);                                             \
		ipv4_pkt(&ip, 132, &sctp, 0, 0, 1);                                               \
		eth_frame(&frame, 0x0800, 0, &ip);                                                \
		tp_put(&t, &frame);                                                               \
	} while (0)
	m3ua_beat(&a, 3, 0);
	m3ua_beat(&b, 9, 50);
	m3ua_beat(&big, 1000, 7);
	/* 1: SACK + three DATA chunks bundled */
	chunks.n = 0;
	sctp_sack(&chunks, 0);
	sctp_data(&chunks, 3, 1, 0, 0, 3, a.b, a.n);
	sctp_data(&chunks, 3, 2, 1, 0, 3, b.b, b.n);
	sctp_data(&chunks, 3, 3, 2, 0, 3, a.b, a.n);
	PUT_SCTP(2905, 2905, 77);
	/* 2..4: big message in three fragments (consecutive TSNs, RFC 9260 6.9) on stream 5,
	 * bundled in the last packet with an unfragmented one on stream 6 */
	chunks.n = 0;
	sctp_data(&chunks, 2, 4, 5, 0, 3, big.b, 300);
	PUT_SCTP(2905, 2905, 77);
	chunks.n = 0;
	sctp_data(&chunks, 0, 5, 5, 0, 3, big.b + 300, 300);
	PUT_SCTP(2905, 2905, 77);
	chunks.n = 0;
	sctp_data(&chunks, 1, 6, 5, 0, 3, big.b + 600, big.n - 600);
	sctp_data(&chunks, 3, 7, 6, 0, 3, b.b, b.n);
	PUT_SCTP(2905, 2905, 77);
	/* 5: retransmission of TSN 7: not handed out again */
	chunks.n = 0;
	sctp_data(&chunks, 3, 7, 6, 0, 3, b.b, b.n);
	PUT_SCTP(2905, 2905, 77);
	/* 6: PPID 0 on port 2905, and a PPID in host byte order */
	chunks.n = 0;
	sctp_data(&chunks, 3, 8, 0, 1, 0, a.b, a.n);
	sctp_data(&chunks, 3, 9, 0, 2, 0x03000000, a.b, a.n);
	PUT_SCTP(40000, 2905, 77);
	/* 7: other ports, other PPID: not signalling */
	chunks.n = 0;
	sctp_data(&chunks, 3, 1, 0, 0, 46, a.b, a.n);
	PUT_SCTP(3868, 3868, 5);
	/* 8..9: I-DATA (RFC 8260) fragmented in two */
	chunks.n = 0;
	sctp_idata(&chunks, 2, 10, 3, 1, 3, big.b, 500);
	PUT_SCTP(2905, 2905, 77);
	chunks.n = 0;
	sctp_idata(&chunks, 1, 11, 3, 1, 1, big.b + 500, big.n - 500);
	PUT_SCTP(2905, 2905, 77);
	/* 10: M2PA user data (priority octet, then the MSU), then an empty one */
	mtp3_snm(&msu, 300, 400, 3);
	m2pa.n = 0;
	b_u32(&m2pa, 0x01000b01);
	b_u32(&m2pa, (uint32_t)(16 + 1 + msu.n));
	b_u32(&m2pa, 0xffffff);
	b_u32(&m2pa, 0);
	b_u8(&m2pa, 0);
	b_put(&m2pa, msu.b, msu.n);
	chunks.n = 0;
	sctp_data(&chunks, 3, 1, 0, 0, 5, m2pa.b, m2pa.n);
	m2pa.n = 0;
	b_u32(&m2pa, 0x01000b01);
	b_u32(&m2pa, 16);
	b_u32(&m2pa, 0xffffff);
	b_u32(&m2pa, 1);
	sctp_data(&chunks, 3, 2, 0, 1, 5, m2pa.b, m2pa.n);
	PUT_SCTP(3565, 3565, 99);
	/* 11: M2UA DATA with interface identifier, Protocol Data 1 and Protocol Data 2 (TTC) */
	static struct bytes m2ua;
	m2ua.n = 0;
	b_u32(&m2ua, 0x01000601);
	b_u32(&m2ua, 0); /* length, below */
	b_u32(&m2ua, 0x00010008);
	b_u32(&m2ua, 7);
	b_u16(&m2ua, 0x0300);
	b_u16(&m2ua, (uint16_t)(4 + msu.n));
	b_put(&m2ua, msu.b, msu.n);
	b_pad4(&m2ua);
	b_u16(&m2ua, 0x0301);
	b_u16(&m2ua, (uint16_t)(4 + 1 + msu.n));
	b_u8(&m2ua, 0x03);
	b_put(&m2ua, msu.b, msu.n);
	b_pad4(&m2ua);
	m2ua.b[7] = (uint8_t)m2ua.n;
	chunks.n = 0;
	sctp_data(&chunks, 3, 1, 0, 0, 2, m2ua.b, m2ua.n);
	PUT_SCTP(2904, 2904, 98);
	tp_close(&t);

	assert_int_equal(got_read(e->g, e->path), 0);
	struct got *g = e->g;
	assert_int_equal(g->nerr, 0);
	assert_int_equal(g->n, 11);
	/* frame 1: three units in wire order */
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(g->u[i].frame, 1);
		assert_int_equal(g->u[i].index, i);
		assert_int_equal(g->u[i].flow.sctp_stream, i);
	}
	assert_memory_equal(g->u[1].data, b.b, b.n);
	/* frame 4: the reassembled message, then the unfragmented one */
	assert_int_equal(g->u[3].frame, 4);
	assert_true(g->u[3].reasm);
	assert_int_equal(g->u[3].len, big.n);
	assert_memory_equal(g->u[3].data, big.b, sizeof(g->u[3].data));
	assert_int_equal(g->u[3].flow.sctp_stream, 5);
	assert_int_equal(g->u[4].frame, 4);
	assert_int_equal(g->u[4].index, 1);
	assert_false(g->u[4].reasm);
	assert_memory_equal(g->u[4].data, b.b, b.n);
	/* frame 6: two, by port */
	assert_int_equal(g->u[5].frame, 6);
	assert_int_equal(g->u[6].frame, 6);
	assert_int_equal(g->u[6].index, 1);
	assert_int_equal(g->u[6].flow.ppid, 0x03000000);
	/* frame 9: I-DATA reassembled */
	assert_int_equal(g->u[7].frame, 9);
	assert_true(g->u[7].reasm);
	assert_int_equal(g->u[7].len, big.n);
	assert_memory_equal(g->u[7].data, big.b, sizeof(g->u[7].data));
	/* frame 10: one MSU from M2PA */
	assert_int_equal(g->u[8].frame, 10);
	assert_int_equal(g->u[8].proto, CAP_MTP3);
	assert_int_equal(g->u[8].tr, CAP_TR_SCTP_M2PA);
	assert_int_equal(g->u[8].len, msu.n);
	assert_memory_equal(g->u[8].data, msu.b, msu.n);
	/* frame 11: both Protocol Data parameters, the TTC octet left out */
	for (unsigned i = 9; i < 11; i++) {
		assert_int_equal(g->u[i].frame, 11);
		assert_int_equal(g->u[i].index, i - 9);
		assert_int_equal(g->u[i].tr, CAP_TR_SCTP_M2UA);
		assert_int_equal(g->u[i].len, msu.n);
		assert_memory_equal(g->u[i].data, msu.b, msu.n);
	}
	assert_counts_match_tshark(e->path, g);

	/* broken fragment sequences: reported, and the read goes on */
	assert_int_equal(tp_open(&t, tpath(e, "sctpfrag.pcap"), DLT_EN10MB), 0);
	chunks.n = 0; /* 1: a middle fragment with no beginning */
	sctp_data(&chunks, 0, 20, 1, 0, 3, big.b + 300, 300);
	PUT_SCTP(2905, 2905, 78);
	chunks.n = 0; /* 2: first fragment */
	sctp_data(&chunks, 2, 21, 1, 1, 3, big.b, 300);
	PUT_SCTP(2905, 2905, 78);
	chunks.n = 0; /* 3: TSN 22 missing, 23 is the last fragment */
	sctp_data(&chunks, 1, 23, 1, 1, 3, big.b + 600, big.n - 600);
	PUT_SCTP(2905, 2905, 78);
	chunks.n = 0; /* 4: a good message still comes through */
	sctp_data(&chunks, 3, 24, 1, 2, 3, a.b, a.n);
	PUT_SCTP(2905, 2905, 78);
	chunks.n = 0; /* 5: first fragment, then 6: another first fragment on the same stream */
	sctp_data(&chunks, 2, 25, 1, 3, 3, big.b, 300);
	PUT_SCTP(2905, 2905, 78);
	chunks.n = 0;
	sctp_data(&chunks, 2, 26, 1, 4, 3, big.b, 300);
	sctp_data(&chunks, 1, 27, 1, 4, 3, big.b + 300, big.n - 300);
	PUT_SCTP(2905, 2905, 78);
#undef PUT_SCTP
	tp_close(&t);
	assert_int_equal(got_read(e->g, e->path), 0);
	assert_int_equal(g->n, 2);
	assert_int_equal(g->u[0].frame, 4);
	assert_int_equal(g->u[1].frame, 6);
	assert_int_equal(g->u[1].len, big.n);
	assert_int_equal(g->nerr, 3);
	assert_int_equal(g->e[0].frame, 1);
	assert_string_equal(g->e[0].field, "fragment");
	assert_int_equal(g->e[0].offset, 14 + 20 + 12 + 16);
	assert_int_equal(g->e[1].frame, 3);
	assert_string_equal(g->e[1].reason, "fragments missing: message dropped");
	assert_int_equal(g->e[2].frame, 6);
}

/* ---- TCP ----------------------------------------------------------------------- */
struct tcp_writer {
	struct tpcap t;
	uint32_t seq;
	struct bytes seg, ip, frame;
};

static void tcp_put(struct tcp_writer *w, uint8_t flags, const uint8_t *p, size_t n, bool v6)
{
	tcp_seg(&w->seg, 40001, 2905, w->seq, flags, p, n);
	if (v6)
		ipv6_pkt(&w->ip, 6, &w->seg, false);
	else
		ipv4_pkt(&w->ip, 6, &w->seg, 0, 0, 1);
	eth_frame(&w->frame, v6 ? 0x86dd : 0x0800, 0, &w->ip);
	tp_put(&w->t, &w->frame);
	w->seq += (uint32_t)n + ((flags & (T_SYN | T_FIN)) ? 1 : 0);
}

static void test_tcp_reassembly(void **state)
{
	struct env *e = *state;
	static struct tcp_writer w;
	static struct bytes m1, m2, m3, stream;
	m3ua_beat(&m1, 40, 1);
	m3ua_beat(&m2, 3, 2);
	m3ua_beat(&m3, 2000, 3);
	stream.n = 0;
	b_put(&stream, m1.b, m1.n);
	b_put(&stream, m2.b, m2.n);
	b_put(&stream, m3.b, m3.n);
	b_put(&stream, m2.b, m2.n);
	size_t total = stream.n;

	assert_int_equal(tp_open(&w.t, tpath(e, "tcp.pcap"), DLT_EN10MB), 0);
	w.seq = 1000;
	tcp_put(&w, T_SYN, NULL, 0, false);                   /* 1 */
	tcp_put(&w, T_ACK, stream.b, 5, false);               /* 2: part of a header */
	tcp_put(&w, T_ACK, stream.b + 5, m1.n + 2, false);    /* 3: m1 done, m2 begun */
	w.seq -= 10;                                          /* 4: overlapping retransmission */
	tcp_put(&w, T_ACK, stream.b + m1.n + 7 - 10, 10 + m2.n - 7 + 100, false);
	size_t off = m1.n + m2.n + 100;
	tcp_put(&w, T_ACK, stream.b + off, 1000, false);      /* 5: middle of m3 */
	off += 1000;
	tcp_put(&w, T_ACK | T_PSH, stream.b + off, total - off, false); /* 6: m3 ends, m2 again */
	w.seq -= (uint32_t)(total - off);                     /* 7: pure duplicate */
	tcp_put(&w, T_ACK, stream.b + off, total - off, false);
	/* 8: several whole messages in one segment, over IPv6 */
	w.seq = 5000;
	tcp_put(&w, T_SYN, NULL, 0, true);
	tcp_put(&w, T_ACK, stream.b, total, true);            /* 9 */
	tcp_put(&w, T_FIN | T_ACK, NULL, 0, true);            /* 10 */
	tp_close(&w.t);

	struct got *g = e->g;
	assert_int_equal(got_read(g, e->path), 0);
	assert_int_equal(g->nerr, 0);
	assert_int_equal(g->n, 8);
	const struct bytes *want[4] = {&m1, &m2, &m3, &m2};
	const uint64_t frames[8] = {3, 4, 6, 6, 9, 9, 9, 9};
	for (unsigned i = 0; i < 8; i++) {
		assert_int_equal(g->u[i].frame, frames[i]);
		assert_int_equal(g->u[i].tr, CAP_TR_TCP);
		assert_int_equal(g->u[i].proto, CAP_M3UA);
		assert_int_equal(g->u[i].len, want[i % 4]->n);
		size_t cmp = want[i % 4]->n < 512 ? want[i % 4]->n : 512;
		assert_memory_equal(g->u[i].data, want[i % 4]->b, cmp);
	}
	assert_true(g->u[0].reasm);   /* header split over two segments */
	assert_false(g->u[3].reasm);  /* m2 whole inside segment 6 */
	assert_int_equal(g->u[2].index, 0);
	assert_int_equal(g->u[3].index, 1);
	assert_int_equal(g->u[7].index, 3);
	assert_int_equal(g->u[4].flow.ip_version, 6);
	assert_int_equal(g->u[4].flow.dport, 2905);

	/* capture starting mid-stream, a lost segment, junk: errors, then resynchronisation */
	assert_int_equal(tp_open(&w.t, tpath(e, "tcploss.pcap"), DLT_EN10MB), 0);
	w.seq = 7000;
	tcp_put(&w, T_ACK, stream.b + 3, 50, false);          /* 1: not at a message start */
	tcp_put(&w, T_ACK, stream.b + 53, 10, false);         /* 2: still lost: no new report */
	tcp_put(&w, T_ACK, m2.b, m2.n, false);                /* 3: picked up */
	tcp_put(&w, T_ACK, m3.b, 100, false);                 /* 4: m3 begins */
	w.seq += 200;                                         /* 200 bytes never captured */
	tcp_put(&w, T_ACK, m3.b + 300, 100, false);           /* 5: gap reported */
	tcp_put(&w, T_ACK, m1.b, m1.n, false);                /* 6: picked up */
	static struct bytes junk;
	junk.n = 0;
	b_u32(&junk, 0x02000000); /* version 2 */
	b_u32(&junk, 8);
	tcp_put(&w, T_ACK, junk.b, junk.n, false);            /* 7: not M3UA */
	tcp_put(&w, T_ACK, m2.b, m2.n, false);                /* 8: picked up */
	tcp_put(&w, T_ACK, m3.b, 10, false);                  /* 9 */
	tcp_put(&w, T_FIN | T_ACK, NULL, 0, false);           /* 10: closed mid-message */
	tp_close(&w.t);
	assert_int_equal(got_read(g, e->path), 0);
	assert_int_equal(g->n, 3);
	assert_int_equal(g->u[0].frame, 3);
	assert_int_equal(g->u[1].frame, 6);
	assert_int_equal(g->u[2].frame, 8);
	assert_int_equal(g->nerr, 4);
	assert_int_equal(g->e[0].frame, 1);
	assert_string_equal(g->e[0].field, "m3ua_header");
	assert_int_equal(g->e[1].frame, 5);
	assert_string_equal(g->e[1].field, "seq");
	assert_int_equal(g->e[1].offset, 14 + 20 + 4);
	assert_int_equal(g->e[2].frame, 7);
	assert_int_equal(g->e[3].frame, 10);
	assert_string_equal(g->e[3].reason, "connection closed inside an M3UA message");
}

/* ---- errors ------------------------------------------------------------------------ */
static void test_errors_go_on(void **state)
{
	struct env *e = *state;
	static struct bytes msg, chunks, sctp, ip, frame, m2ua;
	struct tpcap t;
	m3ua_beat(&msg, 8, 0);
	chunks.n = 0;
	sctp_data(&chunks, 3, 1, 0, 0, 3, msg.b, msg.n);
	sctp_pkt(&sctp, 2905, 2905, 0, &chunks);
	ipv4_pkt(&ip, 132, &sctp, 0, 0, 1);
	eth_frame(&frame, 0x0800, 0, &ip);
	struct bytes *good = &frame;

	assert_int_equal(tp_open(&t, tpath(e, "errors.pcap"), DLT_EN10MB), 0);
	tp_put_len(&t, good->b, 10, 0);                /* 1: short Ethernet header */
	tp_put_len(&t, good->b, 60, good->n);          /* 2: cut by the snap length */
	static struct bytes bad;
	bad = *good;
	bad.b[14] = 0x44;                              /* 3: IHL 4 */
	tp_put(&t, &bad);
	bad = *good;
	bad.b[14 + 6] = 0x20;                          /* 4: MF: a fragment */
	tp_put(&t, &bad);
	bad = *good;
	bad.b[14 + 20 + 12 + 3] = 2;                   /* 5: chunk length 2 */
	tp_put(&t, &bad);
	bad = *good;
	bad.b[14 + 20 + 12 + 2] = 0x10;                /* 6: chunk longer than the packet */
	tp_put(&t, &bad);
	tp_put(&t, good);                              /* 7: fine */
	/* 8: M2UA DATA whose parameter overruns the message */
	m2ua.n = 0;
	b_u32(&m2ua, 0x01000601);
	b_u32(&m2ua, 16);
	b_u16(&m2ua, 0x0300);
	b_u16(&m2ua, 40);
	b_u32(&m2ua, 0);
	chunks.n = 0;
	sctp_data(&chunks, 3, 2, 0, 0, 2, m2ua.b, m2ua.n);
	static struct bytes s2, ip2, f2;
	sctp_pkt(&s2, 2904, 2904, 0, &chunks);
	ipv4_pkt(&ip2, 132, &s2, 0, 0, 1);
	eth_frame(&f2, 0x0800, 0, &ip2);
	tp_put(&t, &f2);
	/* 9: IPv4 total length beyond the frame */
	bad = *good;
	bad.b[14 + 2] = 0x05;
	tp_put(&t, &bad);
	/* 10: IPv6 fragment header with an offset */
	static struct bytes v6;
	ipv6_pkt(&v6, 132, &sctp, false);
	v6.b[6] = 44;
	static struct bytes v6f;
	v6f.n = 0;
	b_put(&v6f, v6.b, 40);
	const uint8_t fh[8] = {132, 0, 0x00, 0x01, 0, 0, 0, 1}; /* offset 0, more fragments */
	b_put(&v6f, fh, 8);
	b_put(&v6f, v6.b + 40, v6.n - 40);
	v6f.b[5] = (uint8_t)(v6f.n - 40);
	eth_frame(&bad, 0x86dd, 0, &v6f);
	tp_put(&t, &bad);
	tp_put(&t, good);                              /* 11: fine */
	bad = *good;
	bad.b[14 + 6] = 0x00;                          /* 12: a later fragment: no ports, */
	bad.b[14 + 7] = 0xb9;                          /*     not reported */
	tp_put(&t, &bad);
	tp_close(&t);

	struct got *g = e->g;
	assert_int_equal(got_read(g, e->path), 0);
	assert_int_equal(g->n, 2);
	assert_int_equal(g->u[0].frame, 7);
	assert_int_equal(g->u[1].frame, 11);
	static const struct {
		uint64_t frame;
		const char *layer, *field;
		size_t offset;
	} want[] = {
		{1, "eth", "header", 0},
		{2, "sctp", "chunk_length", 14 + 20 + 12 + 2},
		{3, "ipv4", "ihl", 14},
		{4, "ipv4", "fragment", 14 + 6},
		{5, "sctp", "chunk_length", 14 + 20 + 12 + 2},
		{6, "sctp", "chunk_length", 14 + 20 + 12 + 2},
		{8, "m2ua", "parameter_length", 14 + 20 + 12 + 16 + 8 + 2},
		{9, "ipv4", "total_length", 14 + 2},
		{10, "ipv6", "fragment", 14 + 40},
	};
	assert_int_equal(g->nerr, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (g->e[i].frame != want[i].frame || strcmp(g->e[i].field, want[i].field))
			fprintf(stderr, "error %zu: frame %llu %s.%s at %zu: %s\n", i,
				(unsigned long long)g->e[i].frame, g->e[i].layer, g->e[i].field,
				g->e[i].offset, g->e[i].reason);
		assert_int_equal(g->e[i].frame, want[i].frame);
		assert_string_equal(g->e[i].layer, want[i].layer);
		assert_string_equal(g->e[i].field, want[i].field);
		assert_int_equal(g->e[i].offset, want[i].offset);
	}
	assert_string_equal(g->e[1].reason, "truncated by the capture's snap length");
	assert_string_equal(g->e[5].reason, "truncated");

	/* a file cut in the middle of a record: the frames before it, then -EIO */
	struct stat st;
	assert_int_equal(stat(e->path, &st), 0);
	assert_int_equal(truncate(e->path, st.st_size - 20), 0);
	assert_int_equal(got_read(g, e->path), -EIO);
	assert_int_equal(g->n, 2);
	assert_string_equal(g->e[g->nerr - 1].layer, "pcap");
	assert_int_equal(g->e[g->nerr - 1].frame, 12);

	/* not a capture; an unsupported link type; a missing file */
	char err[256] = "";
	FILE *f = fopen(e->path, "w");
	assert_non_null(f);
	fputs("not a capture file at all", f);
	fclose(f);
	assert_true(cap_read_file(e->path, got_unit_cb, got_err_cb, g, err, sizeof(err)) < 0);
	assert_true(strlen(err) > 0);
	assert_int_equal(tp_open(&t, tpath(e, "usb.pcap"), DLT_USB_LINUX), 0);
	tp_put(&t, good);
	tp_close(&t);
	assert_int_equal(cap_read_file(e->path, got_unit_cb, got_err_cb, g, err, sizeof(err)),
			 -EPROTONOSUPPORT);
	assert_non_null(strstr(err, "link type"));
	assert_true(cap_read_file(tpath(e, "nonexistent.pcap"), got_unit_cb, got_err_cb, g, err,
				  sizeof(err)) < 0);
}

/* Every prefix of a valid frame, cut by the snap length or short on the wire, gives either the
 * same units as the whole frame or fewer units and an error, never different bytes. */
static void dissect_into(struct got *g, int dlt, const uint8_t *p, size_t caplen, size_t wirelen)
{
	char err[128];
	struct cap_dissector *d = cap_dissector_new(dlt, err, sizeof(err));
	assert_non_null(d);
	struct timespec ts = {1, 2};
	g->n = g->nerr = 0;
	assert_int_equal(cap_dissector_frame(d, 1, &ts, p, caplen, wirelen, got_unit_cb, got_err_cb,
					     g),
			 0);
	const struct cap_stats *st = cap_dissector_stats(d);
	assert_int_equal(st->frames, 1);
	assert_int_equal(st->units, g->n);
	assert_int_equal(st->errors, g->nerr);
	assert_int_equal(st->skipped, (g->n || g->nerr) ? 0 : 1);
	cap_dissector_free(d);
}

static void test_truncation_points(void **state)
{
	struct env *e = *state;
	static struct bytes a, b, chunks, sctp, ip, frames[5], m2ua, msu, seg;
	static struct got whole;
	int dlts[5];
	m3ua_beat(&a, 13, 1);
	m3ua_beat(&b, 4, 2);
	/* 0: Ethernet/VLAN/IPv4/SCTP with two M3UA messages */
	chunks.n = 0;
	sctp_data(&chunks, 3, 1, 0, 0, 3, a.b, a.n);
	sctp_data(&chunks, 3, 2, 0, 1, 3, b.b, b.n);
	sctp_pkt(&sctp, 2905, 2905, 9, &chunks);
	ipv4_pkt(&ip, 132, &sctp, 1, 0, 1);
	eth_frame(&frames[0], 0x0800, 1, &ip);
	dlts[0] = DLT_EN10MB;
	/* 1: raw IPv6 with extension headers / SCTP / M2UA with one MSU */
	mtp3_snm(&msu, 1, 2, 3);
	m2ua.n = 0;
	b_u32(&m2ua, 0x01000601);
	b_u32(&m2ua, (uint32_t)(8 + ((4 + msu.n + 3) & ~3u)));
	b_u16(&m2ua, 0x0300);
	b_u16(&m2ua, (uint16_t)(4 + msu.n));
	b_put(&m2ua, msu.b, msu.n);
	b_pad4(&m2ua);
	chunks.n = 0;
	sctp_data(&chunks, 3, 1, 0, 0, 2, m2ua.b, m2ua.n);
	sctp_pkt(&sctp, 2904, 2904, 9, &chunks);
	ipv6_pkt(&frames[1], 132, &sctp, true);
	dlts[1] = DLT_RAW;
	/* 2: exported PDU */
	exp_pdu(&frames[2], 12, "m3ua", &a);
	dlts[2] = DLT_WIRESHARK_UPPER_PDU;
	/* 3: SLL2 / IPv4 / TCP with two messages */
	seg.n = 0;
	b_put(&seg, a.b, a.n);
	b_put(&seg, b.b, b.n);
	static struct bytes t;
	tcp_seg(&t, 2905, 1234, 1, T_ACK, seg.b, seg.n);
	ipv4_pkt(&ip, 6, &t, 0, 0, 1);
	wrap_link(&frames[3], DLT_LINUX_SLL2, &ip, false);
	dlts[3] = DLT_LINUX_SLL2;
	/* 4: MTP3 link type */
	frames[4] = msu;
	dlts[4] = DLT_MTP3;
	const unsigned want_units[5] = {2, 1, 1, 2, 1};

	for (int i = 0; i < 5; i++) {
		const struct bytes *fr = &frames[i];
		dissect_into(&whole, dlts[i], fr->b, fr->n, fr->n);
		assert_int_equal(whole.nerr, 0);
		assert_int_equal(whole.n, want_units[i]);
		for (size_t k = 0; k < fr->n; k++) {
			for (int snap = 0; snap < 2; snap++) {
				/* a private copy of exactly k bytes, so ASan sees any overread */
				uint8_t *cut = malloc(k ? k : 1);
				assert_non_null(cut);
				memcpy(cut, fr->b, k);
				dissect_into(e->g, dlts[i], cut, k, snap ? fr->n : k);
				free(cut);
				struct got *g = e->g;
				if (g->n < whole.n && g->nerr == 0)
					fprintf(stderr, "frame kind %d cut at %zu/%zu (snap %d): %u units, "
							"no error\n",
						i, k, fr->n, snap, g->n);
				assert_true(g->n == whole.n || g->nerr > 0);
				assert_true(g->n <= whole.n);
				/* without a length of its own (exported PDU, MTP3 link type) a short
				 * frame is a short message: the decoder above will say so */
				bool no_len = !snap && (dlts[i] == DLT_WIRESHARK_UPPER_PDU ||
							dlts[i] == DLT_MTP3);
				for (unsigned u = 0; u < g->n; u++) {
					if (no_len)
						assert_true(g->u[u].len > 0 &&
							    g->u[u].len <= whole.u[u].len);
					else if (g->u[u].len != whole.u[u].len)
						fail_msg("kind %d cut %zu snap %d: unit %u of %zu bytes, "
							 "not %zu", i, k, snap, u, g->u[u].len,
							 whole.u[u].len);
					assert_memory_equal(g->u[u].data, whole.u[u].data, g->u[u].len);
				}
				for (unsigned x = 0; x < g->nerr && x < 64; x++) {
					if (g->e[x].offset > k)
						fprintf(stderr, "kind %d cut %zu: %s.%s at %zu\n", i, k,
							g->e[x].layer, g->e[x].field, g->e[x].offset);
					assert_true(g->e[x].offset <= k);
				}
			}
		}
	}
}

/* pcapng, written by hand: section header, two interfaces (Ethernet with nanosecond time
 * stamps, MTP3), enhanced packet blocks on both, a simple packet block */
static void le32(struct bytes *x, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b_u8(x, (uint8_t)(v >> (8 * i)));
}

static void pcapng_block(struct bytes *out, uint32_t type, const struct bytes *body)
{
	le32(out, type);
	le32(out, (uint32_t)(12 + body->n));
	b_put(out, body->b, body->n);
	le32(out, (uint32_t)(12 + body->n));
}

static void test_pcapng(void **state)
{
	struct env *e = *state;
	static struct bytes file, body, msg, chunks, sctp, ip, frame, msu;
	file.n = 0;
	body.n = 0; /* SHB: byte-order magic, version 1.0, section length unknown */
	le32(&body, 0x1a2b3c4d);
	le32(&body, 0x00000001);
	le32(&body, 0xffffffff);
	le32(&body, 0xffffffff);
	pcapng_block(&file, 0x0a0d0d0a, &body);
	body.n = 0; /* IDB 0: Ethernet, if_tsresol 9 (nanoseconds) */
	le32(&body, 1);
	le32(&body, 0);
	le32(&body, 0x00010009); /* option if_tsresol, length 1 */
	le32(&body, 0x00000009);
	le32(&body, 0);          /* opt_endofopt */
	pcapng_block(&file, 1, &body);
	m3ua_beat(&msg, 6, 9);
	chunks.n = 0;
	sctp_data(&chunks, 3, 1, 0, 0, 3, msg.b, msg.n);
	sctp_pkt(&sctp, 2905, 2905, 0, &chunks);
	ipv4_pkt(&ip, 132, &sctp, 0, 0, 1);
	eth_frame(&frame, 0x0800, 0, &ip);
	uint64_t ns = 1700000000123456789ull;
	body.n = 0; /* EPB on interface 0 */
	le32(&body, 0);
	le32(&body, (uint32_t)(ns >> 32));
	le32(&body, (uint32_t)ns);
	le32(&body, (uint32_t)frame.n);
	le32(&body, (uint32_t)frame.n);
	b_put(&body, frame.b, frame.n);
	b_pad4(&body);
	pcapng_block(&file, 6, &body);
	body.n = 0; /* SPB: no time stamp */
	le32(&body, (uint32_t)frame.n);
	b_put(&body, frame.b, frame.n);
	b_pad4(&body);
	pcapng_block(&file, 3, &body);
	FILE *f = fopen(tpath(e, "hand.pcapng"), "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(file.b, 1, file.n, f), file.n);
	fclose(f);
	assert_int_equal(got_read(e->g, e->path), 0);
	assert_int_equal(e->g->nerr, 0);
	assert_int_equal(e->g->n, 2);
	assert_int_equal(e->g->u[0].tv_sec, 1700000000);
	assert_int_equal(e->g->u[0].tv_nsec, 123456789);
	assert_int_equal(e->g->u[1].frame, 2);
	assert_memory_equal(e->g->u[1].data, msg.b, msg.n);
	assert_counts_match_tshark(e->path, e->g);

	/* a second interface of another link type: libpcap refuses it, the reader says so */
	body.n = 0;
	le32(&body, 141);
	le32(&body, 0);
	pcapng_block(&file, 1, &body);
	mtp3_snm(&msu, 1, 2, 3);
	body.n = 0;
	le32(&body, 1);
	le32(&body, 0);
	le32(&body, 0);
	le32(&body, (uint32_t)msu.n);
	le32(&body, (uint32_t)msu.n);
	b_put(&body, msu.b, msu.n);
	b_pad4(&body);
	pcapng_block(&file, 6, &body);
	f = fopen(e->path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(file.b, 1, file.n, f), file.n);
	fclose(f);
	assert_int_equal(got_read(e->g, e->path), -EIO);
	assert_int_equal(e->g->n, 2);
	assert_string_equal(e->g->e[0].layer, "pcap");
	assert_int_equal(e->g->e[0].frame, 3);
}

/* a callback can stop the read; fopen-style reading from memory */
static void test_stop_and_memory(void **state)
{
	struct env *e = *state;
	char path[512], err[256];
	snprintf(path, sizeof(path), "%s/captures/m3ua_isup.cap", DFSG_VECTORS_DIR);
	struct got *g = e->g;
	g->stop_after = 10;
	assert_int_equal(got_read(g, path), 1);
	assert_int_equal(g->n, 10);
	g->stop_after = 0;

	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static uint8_t buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	FILE *m = fmemopen(buf, n, "rb");
	assert_non_null(m);
	struct cap_reader *r = cap_reader_fopen(m, err, sizeof(err));
	assert_non_null(r);
	assert_int_equal(cap_reader_linktype(r), DLT_EN10MB);
	g->n = g->nerr = 0;
	assert_int_equal(cap_reader_run(r, got_unit_cb, got_err_cb, g, err, sizeof(err)), 0);
	assert_int_equal(g->n, 481);
	const struct cap_stats *st = cap_reader_stats(r);
	assert_int_equal(st->frames, 810);
	assert_int_equal(st->units, 481);
	assert_int_equal(st->errors, 0);
	assert_int_equal(st->bytes, n - 24 - 16 * 810);
	cap_reader_close(r);
}

/* ---- the shared captures ------------------------------------------------------------ */
static void test_shared_captures(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *name;
		unsigned units;
		enum cap_proto proto;
		enum cap_transport tr;
	} caps[] = {
		{"camel.pcap", 5, CAP_MTP3, CAP_TR_SCTP_M2UA},
		{"centile_m3ua.cap", 6, CAP_M3UA, CAP_TR_SCTP},
		{"gsm_map_with_ussd_string.pcap", 1, CAP_MTP3, CAP_TR_SCTP_M2UA},
		{"m3ua_isup.cap", 481, CAP_M3UA, CAP_TR_SCTP},
	};
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		char path[512];
		snprintf(path, sizeof(path), "%s/captures/%s", DFSG_VECTORS_DIR, caps[i].name);
		assert_int_equal(got_read(e->g, path), 0);
		assert_int_equal(e->g->nerr, 0);
		assert_int_equal(e->g->n, caps[i].units);
		for (unsigned k = 0; k < e->g->n; k++) {
			assert_int_equal(e->g->u[k].proto, caps[i].proto);
			assert_int_equal(e->g->u[k].tr, caps[i].tr);
		}
		assert_counts_match_tshark(path, e->g);
	}
	/* centile frame 5 bundles DAVA and ASPUP */
	char path[512];
	snprintf(path, sizeof(path), "%s/captures/centile_m3ua.cap", DFSG_VECTORS_DIR);
	assert_int_equal(got_read(e->g, path), 0);
	assert_int_equal(e->g->u[0].frame, 5);
	assert_int_equal(e->g->u[1].frame, 5);
	assert_int_equal(e->g->u[1].index, 1);
	assert_int_equal(e->g->u[0].data[2], 2); /* SSNM */
	assert_int_equal(e->g->u[1].data[2], 3); /* ASPSM */
}

/* "opc dpc type cic" of every ISUP message tshark finds, one a line (bundled messages
 * unzipped from tshark's comma lists) */
static char *tshark_isup_tuples(const char *path)
{
	char line[8192];
	FILE *f = tshark_popen(path, "-Y isup -T fields -e m3ua.protocol_data_opc "
				     "-e m3ua.protocol_data_dpc -e isup.message_type -e isup.cic "
				     "-E occurrence=a");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	out[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		char *fld[4], *save = NULL;
		line[strcspn(line, "\n")] = 0;
		fld[0] = strtok_r(line, "\t", &save);
		for (int i = 1; i < 4; i++)
			fld[i] = strtok_r(NULL, "\t", &save);
		if (!fld[3])
			continue;
		char *sv[4];
		char *tok[4];
		for (int i = 0; i < 4; i++)
			tok[i] = strtok_r(fld[i], ",", &sv[i]);
		while (tok[0] && tok[1] && tok[2] && tok[3]) {
			if (len + 128 > cap)
				out = realloc(out, cap *= 2);
			len += (size_t)snprintf(out + len, cap - len, "%s %s %s %s\n", tok[0], tok[1],
						 tok[2], tok[3]);
			for (int i = 0; i < 4; i++)
				tok[i] = strtok_r(NULL, ",", &sv[i]);
		}
	}
	pclose(f);
	return out;
}

/* ---- the writer ------------------------------------------------------------------------ */
static void test_writer(void **state)
{
	struct env *e = *state;
	struct got *g = e->g;
	char path[512], err[256];
	static struct got orig;
	/* the messages of two shared captures, written again both ways */
	const char *srcs[] = {"m3ua_isup.cap", "centile_m3ua.cap"};
	const enum cap_out_link links[] = {CAP_OUT_EXPORTED_PDU_M3UA, CAP_OUT_ETH_IPV4_SCTP};
	for (size_t s = 0; s < 2; s++) {
		snprintf(path, sizeof(path), "%s/captures/%s", DFSG_VECTORS_DIR, srcs[s]);
		assert_int_equal(got_read(&orig, path), 0);
		for (size_t l = 0; l < 2; l++) {
			const char *out = tpath(e, l ? "w_sctp.pcap" : "w_exp.pcap");
			struct cap_writer *w = cap_writer_open(out, links[l], err, sizeof(err));
			assert_non_null(w);
			for (unsigned i = 0; i < orig.n; i++) {
				struct timespec ts = {orig.u[i].tv_sec, orig.u[i].tv_nsec};
				assert_true(orig.u[i].len <= sizeof(orig.u[i].data));
				assert_int_equal(cap_writer_put(w, &ts, orig.u[i].data, orig.u[i].len), 0);
			}
			assert_int_equal(cap_writer_close(w), 0);
			assert_int_equal(got_read(g, out), 0);
			assert_int_equal(g->nerr, 0);
			assert_int_equal(g->n, orig.n);
			for (unsigned i = 0; i < orig.n; i++) {
				assert_int_equal(g->u[i].frame, i + 1);
				assert_int_equal(g->u[i].len, orig.u[i].len);
				assert_memory_equal(g->u[i].data, orig.u[i].data, orig.u[i].len);
				assert_int_equal(g->u[i].tv_sec, orig.u[i].tv_sec);
				assert_int_equal(g->u[i].tv_nsec, orig.u[i].tv_nsec);
				assert_int_equal(g->u[i].tr,
						 l ? CAP_TR_SCTP : CAP_TR_EXPORTED_PDU);
			}
			if (!have_tshark())
				continue;
			assert_int_equal(tshark_complaints(out), 0);
			assert_counts_match_tshark(out, g);
			/* the SCTP checksum the writer computes is the one tshark computes */
			if (l == 1)
				assert_int_equal(tshark_lines(out, "-o sctp.checksum:CRC-32C "
								   "-Y 'sctp.checksum.status == 1'",
							      false),
						 (int)orig.n);
			/* tshark decodes the same ISUP over M3UA as in the original capture */
			if (s == 0) {
				char *x = tshark_isup_tuples(path), *y = tshark_isup_tuples(out);
				assert_non_null(x);
				assert_non_null(y);
				assert_true(strlen(x) > 400 * 8);
				assert_string_equal(x, y);
				free(x);
				free(y);
			}
		}
	}
	/* limits */
	struct cap_writer *w = cap_writer_open(tpath(e, "w_lim.pcap"), CAP_OUT_ETH_IPV4_SCTP, err,
					       sizeof(err));
	assert_non_null(w);
	static uint8_t big[CAP_WRITER_MAX_MSG + 1];
	big[0] = 1;
	assert_int_equal(cap_writer_put(w, NULL, big, sizeof(big)), -EMSGSIZE);
	assert_int_equal(cap_writer_put(w, NULL, big, CAP_WRITER_MAX_MSG), 0);
	assert_int_equal(cap_writer_close(w), 0);
	assert_int_equal(got_read(g, e->path), 0);
	assert_int_equal(g->n, 1);
	assert_int_equal(g->u[0].len, CAP_WRITER_MAX_MSG);
	assert_null(cap_writer_open(tpath(e, "nodir/x.pcap"), CAP_OUT_ETH_IPV4_SCTP, err,
				    sizeof(err)));
	assert_true(strlen(err) > 0);
	assert_null(cap_writer_open(tpath(e, "x.pcap"), (enum cap_out_link)99, err, sizeof(err)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mtp3_codec),
		cmocka_unit_test(test_mtp3_vs_tshark),
		cmocka_unit_test(test_crc32c),
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_vlan_llc_ipopts),
		cmocka_unit_test(test_mtp3_and_exported_pdu),
		cmocka_unit_test(test_sctp_bundling_fragments),
		cmocka_unit_test(test_tcp_reassembly),
		cmocka_unit_test(test_errors_go_on),
		cmocka_unit_test(test_truncation_points),
		cmocka_unit_test(test_pcapng),
		cmocka_unit_test(test_stop_and_memory),
		cmocka_unit_test(test_shared_captures),
		cmocka_unit_test(test_writer),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
