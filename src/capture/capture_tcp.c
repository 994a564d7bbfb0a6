/* M3UA over TCP (port 2905): the byte stream of each direction is cut into messages by the
 * length field of the M3UA common header (RFC 4666 3.1: version, reserved, class, type,
 * 32-bit length including the header). Segments are followed by sequence number; a gap
 * (a segment the capture missed) or a header that is not M3UA loses the message boundary,
 * and the stream is picked up again at the next segment that starts with an M3UA header. */
#include <errno.h>
#include <string.h>

#include "capture.h"
#include "capture_int.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define M3UA_HDR_LEN 8

size_t cap_m3ua_header_len(const uint8_t *p)
{
	if (p[0] != 1 || p[1] != 0)
		return 0;
	uint32_t len = cap_be32(p + 4);
	if (len < M3UA_HDR_LEN || len > CAP_MSG_MAX)
		return 0;
	return len;
}

static void tcp_lose_sync(struct cap_ctx *c, struct cap_flow_ent *f, const uint8_t *at,
			  const char *field, const char *reason)
{
	f->len = 0;
	f->need = 0;
	f->synced = false;
	if (!f->loss_reported)
		cap_report(c, "tcp", field, at, reason);
	f->loss_reported = true;
}

/* Feed in-order stream bytes p[0..n) (at: their place in the frame) to the framer. */
static void tcp_stream_bytes(struct cap_ctx *c, struct cap_flow_ent *f, const uint8_t *p,
			     size_t n)
{
	const uint8_t *end = p + n;
	if (!f->synced) {
		/* pick the stream up only where a segment starts with an M3UA header */
		if (n < M3UA_HDR_LEN || !cap_m3ua_header_len(p))
			return tcp_lose_sync(c, f, p, "m3ua_header",
					     "M3UA message boundary lost: data skipped until a segment "
					     "starts with an M3UA header");
		f->synced = true;
		f->loss_reported = false;
	}
	while (p < end && !c->stop) {
		size_t left = (size_t)(end - p);
		if (f->len == 0 && left >= M3UA_HDR_LEN) {
			/* fast path: whole messages straight out of the segment */
			size_t ml = cap_m3ua_header_len(p);
			if (!ml)
				return tcp_lose_sync(c, f, p, "m3ua_header",
						     "not an M3UA header where a message should start");
			if (left >= ml) {
				cap_unit_emit(c, CAP_M3UA, CAP_TR_TCP, p, ml, false);
				p += ml;
				continue;
			}
		}
		/* collect a header, then the rest of the message, in the flow's buffer */
		size_t want = f->need ? f->need - f->len : M3UA_HDR_LEN - f->len;
		size_t take = want < left ? want : left;
		int rc = cap_flow_append(&c->d->flows, f, p, take);
		if (rc < 0)
			return tcp_lose_sync(c, f, p, "reassembly",
					     "reassembly memory limit reached: stream resynchronised");
		p += take;
		if (!f->need && f->len == M3UA_HDR_LEN) {
			f->need = cap_m3ua_header_len(f->buf);
			if (!f->need)
				return tcp_lose_sync(c, f, p - take, "m3ua_header",
						     "not an M3UA header where a message should start");
		}
		if (f->need && f->len == f->need) {
			cap_unit_emit(c, CAP_M3UA, CAP_TR_TCP, f->buf, f->len, true);
			f->len = 0;
			f->need = 0;
		}
	}
}

/* FIN or RST: the direction ends; forget its position. */
static void tcp_close(struct cap_ctx *c, struct cap_flow_ent *f, const uint8_t *tcp)
{
	if (f->len)
		cap_report(c, "tcp", "flags", tcp + 13, "connection closed inside an M3UA message");
	f->len = 0;
	f->need = 0;
	f->seq_known = false;
	f->synced = false;
	f->loss_reported = false;
}

/* RFC 9293 3.1 header: ports, sequence, acknowledgement, data offset, flags, ... */
void cap_tcp_dissect(struct cap_ctx *c, const uint8_t *p, size_t len)
{
	if (len < 20)
		return cap_report_short(c, "tcp", "header", p);
	uint16_t sport = cap_be16(p), dport = cap_be16(p + 2);
	if (sport != CAP_PORT_M3UA && dport != CAP_PORT_M3UA)
		return;
	size_t off = (size_t)(p[12] >> 4) * 4;
	if (off < 20)
		return cap_report(c, "tcp", "data_offset", p + 12, "header length below 20 bytes");
	if (off > len)
		return cap_report_short(c, "tcp", "data_offset", p + 12);
	uint32_t seq = cap_be32(p + 4);
	uint8_t flags = p[13];
	const uint8_t *data = p + off;
	size_t n = len - off;
	c->flow.sport = sport;
	c->flow.dport = dport;
	c->flow.sctp_stream = 0;
	c->flow.ppid = 0;

	struct cap_flow_key key;
	bool evicted = false;
	cap_flow_key_from(&key, &c->flow, CAP_IPPROTO_TCP);
	struct cap_flow_ent *f;
	if (c->ip_truncated) {
		/* the segment's end is not in the capture: what follows cannot be framed */
		f = cap_flow_find(&c->d->flows, &key);
		if (f) {
			f->len = 0;
			f->need = 0;
			f->synced = false;
			f->seq_known = false;
			f->loss_reported = true;
		}
		return cap_report(c, "tcp", "payload", data,
				  "segment cut by the capture's snap length: M3UA stream resynchronised");
	}
	if (!n && !(flags & TCP_SYN)) {
		/* pure ACK / FIN / RST: only touch a flow that exists, never create one */
		f = (flags & (TCP_FIN | TCP_RST)) ? cap_flow_find(&c->d->flows, &key) : NULL;
		if (f)
			tcp_close(c, f, p);
		return;
	}
	f = cap_flow_get(&c->d->flows, &key, &evicted);
	if (!f)
		return cap_report(c, "tcp", "reassembly", p, "out of memory");
	if (evicted)
		cap_report(c, "tcp", "reassembly", p,
			   "too many TCP flows: a partial M3UA message was dropped");
	if (flags & TCP_SYN) {
		f->seq = seq + 1;
		f->seq_known = true;
		f->synced = true;
		f->loss_reported = false;
		f->len = 0;
		f->need = 0;
		seq++;
	}
	if (n) {
		if (!f->seq_known) { /* the capture began inside the connection */
			f->seq = seq;
			f->seq_known = true;
			f->synced = false;
		}
		int32_t d = (int32_t)(seq - f->seq);
		if (d > 0) {
			f->len = 0;
			f->need = 0;
			f->synced = false;
			f->loss_reported = false;
			cap_report(c, "tcp", "seq", p + 4,
				   "bytes missing before this segment (not captured): "
				   "M3UA stream resynchronised");
			f->loss_reported = true;
			f->seq = seq;
		} else if (d < 0) {
			size_t dup = (size_t)(-(int64_t)d);
			if (dup >= n)
				n = 0; /* a retransmission of bytes already seen */
			else {
				data += dup;
				n -= dup;
			}
		}
		if (n) {
			f->seq += (uint32_t)n;
			tcp_stream_bytes(c, f, data, n);
		}
	}
	if (flags & (TCP_FIN | TCP_RST))
		tcp_close(c, f, p);
}
