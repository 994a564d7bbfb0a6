/* Frame dissection: link layers, IPv4/IPv6, exported PDU, MTP3 link type. SCTP and TCP
 * are in capture_sctp.c and capture_tcp.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "capture_int.h"

const struct value_string cap_proto_names[] = {
	{CAP_M3UA, "M3UA"},
	{CAP_MTP3, "MTP3"},
	{0, NULL},
};

const struct value_string cap_transport_names[] = {
	{CAP_TR_SCTP, "SCTP"},
	{CAP_TR_SCTP_M2UA, "SCTP/M2UA"},
	{CAP_TR_SCTP_M2PA, "SCTP/M2PA"},
	{CAP_TR_TCP, "TCP"},
	{CAP_TR_EXPORTED_PDU, "exported PDU"},
	{CAP_TR_MTP3_LINK, "MTP3 link"},
	{0, NULL},
};

void cap_unit_emit(struct cap_ctx *c, enum cap_proto proto, enum cap_transport tr,
		   const uint8_t *p, size_t len, bool reassembled)
{
	if (c->stop)
		return;
	struct cap_unit u = {
		.frame = c->frame,
		.ts = c->ts,
		.proto = proto,
		.transport = tr,
		.p = p,
		.len = len,
		.index_in_frame = c->index++,
		.reassembled = reassembled,
		.flow = c->flow,
	};
	c->d->stats.units++;
	if (c->cb && c->cb(c->ud, &u))
		c->stop = true;
}

void cap_report(struct cap_ctx *c, const char *layer, const char *field, const uint8_t *at,
		const char *reason)
{
	if (c->stop)
		return;
	struct cap_error e = {
		.frame = c->frame,
		.ts = c->ts,
		.layer = layer,
		.field = field,
		.offset = at ? (size_t)(at - c->start) : 0,
		.reason = reason,
	};
	c->d->stats.errors++;
	c->nerr++;
	if (c->ecb && c->ecb(c->ud, &e))
		c->stop = true;
}

void cap_report_short(struct cap_ctx *c, const char *layer, const char *field, const uint8_t *at)
{
	cap_report(c, layer, field, at,
		   c->snap_truncated ? "truncated by the capture's snap length" : "truncated");
}

/* A first IP fragment (offset 0, more fragments) whose start shows signalling: TCP to or from
 * the M3UA port, SCTP with a signalling port or a first DATA chunk with a signalling PPID.
 * Only these are reported: later fragments have no ports, and fragments of other traffic are
 * none of this reader's business. */
static bool fragment_is_signalling(uint8_t proto, bool first, const uint8_t *p, size_t len)
{
	if (!first || len < 4)
		return false;
	uint16_t sp = cap_be16(p), dp = cap_be16(p + 2);
	if (proto == CAP_IPPROTO_TCP)
		return sp == CAP_PORT_M3UA || dp == CAP_PORT_M3UA;
	if (cap_ulp_by_port(sp) != CAP_ULP_NONE || cap_ulp_by_port(dp) != CAP_ULP_NONE)
		return true;
	/* common header (12), then a DATA chunk: type 0 ... PPID at chunk offset 12 */
	return len >= 28 && p[12] == 0 && cap_ulp_by_ppid(cap_be32(p + 24)) != CAP_ULP_NONE;
}

static void report_fragment(struct cap_ctx *c, const char *layer, const uint8_t *at)
{
	cap_report(c, layer, "fragment", at,
		   "first IP fragment of a signalling packet: fragment reassembly is not "
		   "supported, the packet is lost");
}

/* ---- IPv4 (RFC 791) ---------------------------------------------------- */
static void ipv4_dissect(struct cap_ctx *c, const uint8_t *p, size_t len)
{
	if (len < 20)
		return cap_report_short(c, "ipv4", "header", p);
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	if (ihl < 20)
		return cap_report(c, "ipv4", "ihl", p, "header length below 20 bytes");
	if (ihl > len)
		return cap_report_short(c, "ipv4", "options", p + 20);
	size_t tot = cap_be16(p + 2);
	if (tot < ihl)
		return cap_report(c, "ipv4", "total_length", p + 2, "total length below header length");
	if (tot > len) {
		if (!c->snap_truncated)
			return cap_report(c, "ipv4", "total_length", p + 2,
					  "total length beyond the end of the frame");
		tot = len; /* cut by the snap length: dissect what is there */
		c->ip_truncated = true;
	}
	uint8_t proto = p[9];
	if (proto != CAP_IPPROTO_SCTP && proto != CAP_IPPROTO_TCP)
		return;
	uint16_t frag = cap_be16(p + 6);
	if (frag & 0x3fff) { /* MF or a fragment offset */
		if (fragment_is_signalling(proto, !(frag & 0x1fff), p + ihl, tot - ihl))
			report_fragment(c, "ipv4", p + 6);
		return;
	}
	c->flow.ip_version = 4;
	memset(c->flow.src, 0, sizeof(c->flow.src));
	memset(c->flow.dst, 0, sizeof(c->flow.dst));
	memcpy(c->flow.src, p + 12, 4);
	memcpy(c->flow.dst, p + 16, 4);
	if (proto == CAP_IPPROTO_SCTP)
		cap_sctp_dissect(c, p + ihl, tot - ihl);
	else
		cap_tcp_dissect(c, p + ihl, tot - ihl);
}

/* ---- IPv6 (RFC 8200) ----------------------------------------------------- */
static void ipv6_dissect(struct cap_ctx *c, const uint8_t *p, size_t len)
{
	if (len < 40)
		return cap_report_short(c, "ipv6", "header", p);
	size_t plen = cap_be16(p + 4);
	if (plen == 0 && p[6] == 0) /* RFC 2675: the length is in a hop-by-hop option */
		return cap_report(c, "ipv6", "payload_length", p + 4,
				  "jumbogram (payload length 0) is not supported");
	if (40 + plen > len) {
		if (!c->snap_truncated)
			return cap_report(c, "ipv6", "payload_length", p + 4,
					  "payload length beyond the end of the frame");
		plen = len - 40; /* cut by the snap length: dissect what is there */
		c->ip_truncated = true;
	}
	uint8_t nh = p[6];
	const uint8_t *q = p + 40, *end = p + 40 + plen;
	bool fragment = false, first_fragment = false;
	const uint8_t *frag_at = NULL;
	/* walk the extension headers (RFC 8200 4.1) */
	for (;;) {
		size_t hl;
		switch (nh) {
		case 0:   /* hop-by-hop options */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 139: /* HIP */
		case 140: /* shim6 */
			if (end - q < 8)
				return cap_report_short(c, "ipv6", "extension_header", q);
			hl = ((size_t)q[1] + 1) * 8;
			break;
		case 51: /* AH (RFC 4302): length in 4-octet units minus 2 */
			if (end - q < 8)
				return cap_report_short(c, "ipv6", "extension_header", q);
			hl = ((size_t)q[1] + 2) * 4;
			break;
		case 44: /* fragment */
			if (end - q < 8)
				return cap_report_short(c, "ipv6", "fragment_header", q);
			if (cap_be16(q + 2) & 0xfff9) { /* offset or M flag */
				fragment = true;
				first_fragment = !(cap_be16(q + 2) & 0xfff8);
				frag_at = q;
			}
			hl = 8;
			break;
		default:
			goto upper;
		}
		if ((size_t)(end - q) < hl)
			return cap_report_short(c, "ipv6", "extension_header", q);
		nh = q[0];
		q += hl;
	}
upper:
	if (nh != CAP_IPPROTO_SCTP && nh != CAP_IPPROTO_TCP)
		return;
	if (fragment) {
		if (fragment_is_signalling(nh, first_fragment, q, (size_t)(end - q)))
			report_fragment(c, "ipv6", frag_at);
		return;
	}
	c->flow.ip_version = 6;
	memcpy(c->flow.src, p + 8, 16);
	memcpy(c->flow.dst, p + 24, 16);
	if (nh == CAP_IPPROTO_SCTP)
		cap_sctp_dissect(c, q, (size_t)(end - q));
	else
		cap_tcp_dissect(c, q, (size_t)(end - q));
}

void cap_ip_dissect(struct cap_ctx *c, const uint8_t *p, size_t len)
{
	if (len < 1)
		return cap_report_short(c, "ip", "version", p);
	switch (p[0] >> 4) {
	case 4:
		return ipv4_dissect(c, p, len);
	case 6:
		return ipv6_dissect(c, p, len);
	default:
		return cap_report(c, "ip", "version", p, "neither IPv4 nor IPv6");
	}
}

/* ---- Ethernet, VLAN, LLC/SNAP, Linux cooked, loopback ------------------------ */
#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd

/* Dispatch on an EtherType, skipping 802.1Q / 802.1ad tags (QinQ and older TPIDs). */
static void ethertype_dissect(struct cap_ctx *c, const char *layer, uint16_t type,
			      const uint8_t *p, size_t len)
{
	for (;;) {
		if (type == 0x8100 || type == 0x88a8 || type == 0x9100 || type == 0x9200) {
			if (len < 4)
				return cap_report_short(c, "vlan", "tag", p);
			type = cap_be16(p + 2);
			p += 4;
			len -= 4;
			layer = "vlan";
			continue;
		}
		if (type <= 1500) { /* IEEE 802.3 length: LLC, maybe SNAP with an EtherType */
			if (len >= 8 && p[0] == 0xaa && p[1] == 0xaa && p[2] == 0x03 && !p[3] &&
			    !p[4] && !p[5]) {
				type = cap_be16(p + 6);
				p += 8;
				len -= 8;
				layer = "snap";
				continue;
			}
			return;
		}
		break;
	}
	if (type == ETHERTYPE_IPV4 || type == ETHERTYPE_IPV6) {
		if (len < 1)
			return cap_report_short(c, layer, "payload", p);
		if ((p[0] >> 4) != (type == ETHERTYPE_IPV4 ? 4 : 6))
			return cap_report(c, layer, "type", p,
					  "IP version does not match the EtherType");
		cap_ip_dissect(c, p, len);
	}
}

static void eth_dissect(struct cap_ctx *c, const uint8_t *p, size_t len)
{
	if (len < 14)
		return cap_report_short(c, "eth", "header", p);
	ethertype_dissect(c, "eth", cap_be16(p + 12), p + 14, len - 14);
}

/* https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html */
static void sll_dissect(struct cap_ctx *c, const uint8_t *p, size_t len)
{
	if (len < 16)
		return cap_report_short(c, "sll", "header", p);
	ethertype_dissect(c, "sll", cap_be16(p + 14), p + 16, len - 16);
}

/* https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html */
static void sll2_dissect(struct cap_ctx *c, const uint8_t *p, size_t len)
{
	if (len < 20)
		return cap_report_short(c, "sll2", "header", p);
	ethertype_dissect(c, "sll2", cap_be16(p), p + 20, len - 20);
}

/* BSD loopback: a 4-byte address family in the capturing host's byte order (NULL) or in
 * network order (LOOP). AF_INET is 2 everywhere; AF_INET6 is 10, 24, 28 or 30. */
static void null_dissect(struct cap_ctx *c, const uint8_t *p, size_t len, bool network_order)
{
	if (len < 4)
		return cap_report_short(c, "null", "family", p);
	uint32_t af = cap_be32(p);
	if (!network_order && (af & 0xffff) == 0) /* written little-endian */
		af = (uint32_t)p[0] | (uint32_t)p[1] << 8;
	switch (af) {
	case 2:
	case 10:
	case 24:
	case 28:
	case 30:
		return cap_ip_dissect(c, p + 4, len - 4);
	default:
		return;
	}
}

/* ---- exported PDU (Wireshark wsutil/exported_pdu_tlvs.h) ---------------------- */
#define EXP_PDU_TAG_END_OF_OPT 0
#define EXP_PDU_TAG_DISSECTOR_NAME 12
#define EXP_PDU_TAG_HEUR_DISSECTOR_NAME 13
#define EXP_PDU_TAG_DISSECTOR_TABLE_NAME 14
#define EXP_PDU_TAG_IPV4_SRC 20
#define EXP_PDU_TAG_IPV4_DST 21
#define EXP_PDU_TAG_IPV6_SRC 22
#define EXP_PDU_TAG_IPV6_DST 23
#define EXP_PDU_TAG_SRC_PORT 25
#define EXP_PDU_TAG_DST_PORT 26
#define EXP_PDU_TAG_DISSECTOR_TABLE_NAME_NUM_VAL 32

/* a NUL-padded string value equals s */
static bool tlv_str_eq(const uint8_t *v, size_t n, const char *s)
{
	size_t sl = strlen(s);
	if (n < sl || memcmp(v, s, sl))
		return false;
	for (size_t i = sl; i < n; i++)
		if (v[i])
			return false;
	return true;
}

static enum cap_ulp exp_ulp_by_name(const uint8_t *v, size_t n)
{
	static const struct {
		const char *name;
		enum cap_ulp ulp;
	} names[] = {{"m3ua", CAP_ULP_M3UA},
		     {"mtp3", CAP_ULP_MTP3},
		     {"m2ua", CAP_ULP_M2UA},
		     {"m2pa", CAP_ULP_M2PA}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (tlv_str_eq(v, n, names[i].name))
			return names[i].ulp;
	return CAP_ULP_NONE;
}

static void exported_pdu_dissect(struct cap_ctx *c, const uint8_t *p, size_t len)
{
	const uint8_t *q = p, *end = p + len, *name_at = NULL;
	bool named = false;
	enum cap_ulp ulp = CAP_ULP_NONE;
	int table = 0; /* 1 sctp.ppi, 2 sctp.port, -1 another table */
	bool have_table_val = false;
	uint32_t table_val = 0;
	for (;;) {
		if (end - q < 4)
			return cap_report_short(c, "exported_pdu", "tag", q);
		uint16_t tag = cap_be16(q), tl = cap_be16(q + 2);
		const uint8_t *v = q + 4;
		if ((size_t)(end - v) < tl)
			return cap_report_short(c, "exported_pdu", "tag_length", q + 2);
		q = v + tl;
		if (tag == EXP_PDU_TAG_END_OF_OPT)
			break;
		switch (tag) {
		case EXP_PDU_TAG_DISSECTOR_NAME:
		case EXP_PDU_TAG_HEUR_DISSECTOR_NAME:
			ulp = exp_ulp_by_name(v, tl);
			named = true;
			name_at = v;
			break;
		case EXP_PDU_TAG_DISSECTOR_TABLE_NAME:
			table = tlv_str_eq(v, tl, "sctp.ppi") ? 1 : tlv_str_eq(v, tl, "sctp.port") ? 2 : -1;
			name_at = v;
			break;
		case EXP_PDU_TAG_DISSECTOR_TABLE_NAME_NUM_VAL:
			if (tl == 4) {
				table_val = cap_be32(v);
				have_table_val = true;
			}
			break;
		case EXP_PDU_TAG_IPV4_SRC:
		case EXP_PDU_TAG_IPV4_DST:
			if (tl == 4) {
				c->flow.ip_version = 4;
				memcpy(tag == EXP_PDU_TAG_IPV4_SRC ? c->flow.src : c->flow.dst, v, 4);
			}
			break;
		case EXP_PDU_TAG_IPV6_SRC:
		case EXP_PDU_TAG_IPV6_DST:
			if (tl == 16) {
				c->flow.ip_version = 6;
				memcpy(tag == EXP_PDU_TAG_IPV6_SRC ? c->flow.src : c->flow.dst, v, 16);
			}
			break;
		case EXP_PDU_TAG_SRC_PORT:
		case EXP_PDU_TAG_DST_PORT:
			if (tl == 4) {
				uint16_t port = (uint16_t)cap_be32(v);
				if (tag == EXP_PDU_TAG_SRC_PORT)
					c->flow.sport = port;
				else
					c->flow.dport = port;
			}
			break;
		default:
			break;
		}
	}
	if (!named && table) {
		if (!have_table_val)
			return cap_report(c, "exported_pdu", "table_value", name_at,
					  "dissector table without a value");
		named = true;
		ulp = table == 1 ? cap_ulp_by_ppid(table_val)
		      : table == 2 ? cap_ulp_by_port((uint16_t)table_val) : CAP_ULP_NONE;
	}
	if (!named)
		return cap_report(c, "exported_pdu", "protocol", p, "no protocol name tag");
	if (q == end || c->snap_truncated) /* no length of its own: the PDU must be whole */
		return cap_report_short(c, "exported_pdu", "data", q);
	if (ulp == CAP_ULP_NONE)
		return cap_report(c, "exported_pdu", "protocol", name_at,
				  "exported protocol is not supported (m3ua, mtp3, m2ua, m2pa are)");
	cap_ulp_deliver(c, ulp, true, q, (size_t)(end - q), q, false);
}

/* ---- the dissector ------------------------------------------------------------ */
static bool linktype_supported(int lt)
{
	switch (lt) {
	case CAP_DLT_NULL:
	case CAP_DLT_EN10MB:
	case CAP_DLT_RAW:
	case CAP_DLT_RAW_OPENBSD:
	case CAP_LINKTYPE_RAW:
	case CAP_DLT_LOOP:
	case CAP_DLT_LINUX_SLL:
	case CAP_DLT_MTP3:
	case CAP_DLT_IPV4:
	case CAP_DLT_IPV6:
	case CAP_DLT_EXPORTED_PDU:
	case CAP_DLT_LINUX_SLL2:
		return true;
	default:
		return false;
	}
}

struct cap_dissector *cap_dissector_new(int linktype, char *err, size_t errsz)
{
	if (!linktype_supported(linktype)) {
		if (err)
			snprintf(err, errsz,
				 "link type %d is not supported (Ethernet, Linux cooked, raw IP, "
				 "loopback, MTP3, exported PDU are)",
				 linktype);
		errno = EPROTONOSUPPORT;
		return NULL;
	}
	struct cap_dissector *d = calloc(1, sizeof(*d));
	if (!d) {
		if (err)
			snprintf(err, errsz, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	d->linktype = linktype;
	return d;
}

void cap_dissector_free(struct cap_dissector *d)
{
	if (!d)
		return;
	cap_flow_table_free(&d->flows);
	free(d);
}

const struct cap_stats *cap_dissector_stats(const struct cap_dissector *d) { return &d->stats; }

int cap_dissector_frame(struct cap_dissector *d, uint64_t frame, const struct timespec *ts,
			const uint8_t *data, size_t caplen, size_t wirelen, cap_unit_cb cb,
			cap_error_cb ecb, void *ud)
{
	struct cap_ctx c = {
		.d = d,
		.frame = frame,
		.start = data,
		.snap_truncated = caplen < wirelen,
		.cb = cb,
		.ecb = ecb,
		.ud = ud,
	};
	if (ts)
		c.ts = *ts;
	d->stats.frames++;
	d->stats.bytes += caplen;
	switch (d->linktype) {
	case CAP_DLT_EN10MB:
		eth_dissect(&c, data, caplen);
		break;
	case CAP_DLT_LINUX_SLL:
		sll_dissect(&c, data, caplen);
		break;
	case CAP_DLT_LINUX_SLL2:
		sll2_dissect(&c, data, caplen);
		break;
	case CAP_DLT_RAW:
	case CAP_DLT_RAW_OPENBSD:
	case CAP_LINKTYPE_RAW:
	case CAP_DLT_IPV4:
	case CAP_DLT_IPV6:
		cap_ip_dissect(&c, data, caplen);
		break;
	case CAP_DLT_NULL:
		null_dissect(&c, data, caplen, false);
		break;
	case CAP_DLT_LOOP:
		null_dissect(&c, data, caplen, true);
		break;
	case CAP_DLT_MTP3:
		if (c.snap_truncated)
			cap_report_short(&c, "mtp3", "msu", data);
		else if (caplen == 0)
			cap_report(&c, "mtp3", "sio", data, "empty frame");
		else
			cap_unit_emit(&c, CAP_MTP3, CAP_TR_MTP3_LINK, data, caplen, false);
		break;
	case CAP_DLT_EXPORTED_PDU:
		exported_pdu_dissect(&c, data, caplen);
		break;
	}
	if (!c.index && !c.nerr)
		d->stats.skipped++;
	return c.stop ? 1 : 0;
}
