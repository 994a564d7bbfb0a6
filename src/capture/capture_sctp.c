/* SCTP (RFC 9260) as seen in a capture: every DATA chunk (and I-DATA, RFC 8260) of every
 * packet, fragmented user messages put back together, then M3UA, M2UA (RFC 3331) or
 * M2PA (RFC 4165) by payload protocol identifier or, failing that, by port.
 * Checksums and the association state are not verified: a capture shows what was sent. */
#include <errno.h>
#include <string.h>

#include "capture.h"
#include "capture_int.h"

#define SCTP_CHUNK_DATA 0
#define SCTP_CHUNK_IDATA 64
#define SCTP_DATA_E 0x01 /* last fragment */
#define SCTP_DATA_B 0x02 /* first fragment */
#define SCTP_DATA_U 0x04 /* unordered */

/* RFC 3331 3.1.3, 3.3.1.1 */
#define M2UA_CLASS_MAUP 6
#define M2UA_MAUP_DATA 1
#define M2UA_TAG_PROTOCOL_DATA_1 0x0300
#define M2UA_TAG_PROTOCOL_DATA_2 0x0301
/* RFC 4165 2.1 */
#define M2PA_CLASS 11
#define M2PA_TYPE_USER_DATA 1
#define M2PA_HDR_LEN 16 /* common header 8 + BSN 4 + FSN 4 */

/* Where to point an error inside data that may be a reassembly buffer. */
static const uint8_t *err_at(const uint8_t *p, const uint8_t *q, const uint8_t *at, bool reasm)
{
	return reasm ? at : at + (q - p);
}

/* The SIGTRAN common header (RFC 3331 3.1.1, RFC 4165 2.1): version 1, spare, class, type,
 * 32-bit length. Returns the message length, or 0 after reporting why it does not fit. */
static uint32_t ua_header(struct cap_ctx *c, const char *layer, const uint8_t *p, size_t len,
			  const uint8_t *at, bool reasm, uint32_t min_len)
{
	if (len < 8) {
		cap_report_short(c, layer, "header", at);
		return 0;
	}
	if (p[0] != 1) {
		cap_report(c, layer, "version", at, "version is not 1");
		return 0;
	}
	uint32_t mlen = cap_be32(p + 4);
	if (mlen < min_len || mlen > len) {
		cap_report(c, layer, "length", err_at(p, p + 4, at, reasm),
			   "message length does not fit the user message");
		return 0;
	}
	return mlen;
}

void cap_m2ua_dissect(struct cap_ctx *c, const uint8_t *p, size_t len, const uint8_t *at,
		      bool reasm, enum cap_transport tr)
{
	uint32_t mlen = ua_header(c, "m2ua", p, len, at, reasm, 8);
	if (!mlen)
		return;
	if (p[2] != M2UA_CLASS_MAUP || p[3] != M2UA_MAUP_DATA)
		return; /* management, link state, ...: no MTP3 inside */
	const uint8_t *q = p + 8, *end = p + mlen;
	while (q < end && !c->stop) {
		if (end - q < 4)
			return cap_report_short(c, "m2ua", "parameter", err_at(p, q, at, reasm));
		uint16_t tag = cap_be16(q), pl = cap_be16(q + 2);
		if (pl < 4 || pl > end - q)
			return cap_report(c, "m2ua", "parameter_length", err_at(p, q + 2, at, reasm),
					  "parameter length outside the message");
		const uint8_t *v = q + 4;
		size_t vl = pl - 4u;
		if (tag == M2UA_TAG_PROTOCOL_DATA_2 && vl) { /* TTC: an LI/priority octet first */
			v++;
			vl--;
		}
		if (tag == M2UA_TAG_PROTOCOL_DATA_1 || tag == M2UA_TAG_PROTOCOL_DATA_2) {
			if (vl)
				cap_unit_emit(c, CAP_MTP3, tr, v, vl, reasm);
			else
				cap_report(c, "m2ua", "protocol_data", err_at(p, q, at, reasm),
					   "protocol data parameter without an MSU");
		}
		size_t adv = (pl + 3u) & ~3u;
		if (adv >= (size_t)(end - q))
			break;
		q += adv;
	}
}

void cap_m2pa_dissect(struct cap_ctx *c, const uint8_t *p, size_t len, const uint8_t *at,
		      bool reasm, enum cap_transport tr)
{
	uint32_t mlen = ua_header(c, "m2pa", p, len, at, reasm, M2PA_HDR_LEN);
	if (!mlen)
		return;
	if (p[2] != M2PA_CLASS)
		return cap_report(c, "m2pa", "class", err_at(p, p + 2, at, reasm),
				  "message class is not 11 (M2PA)");
	if (p[3] != M2PA_TYPE_USER_DATA || mlen == M2PA_HDR_LEN)
		return; /* link status, or user data without data (an acknowledgement) */
	/* RFC 4165 2.3.1: priority octet, then the MTP3 message from the SIO on */
	if (mlen == M2PA_HDR_LEN + 1)
		return cap_report(c, "m2pa", "data", err_at(p, p + M2PA_HDR_LEN, at, reasm),
				  "user data holds a priority octet but no MSU");
	cap_unit_emit(c, CAP_MTP3, tr, p + M2PA_HDR_LEN + 1, mlen - M2PA_HDR_LEN - 1, reasm);
}

/* IANA SCTP payload protocol identifiers and the ports tshark registers */
static const struct {
	uint32_t ppid;
	uint16_t port;
	enum cap_ulp ulp;
} sctp_ulps[] = {
	{CAP_PPID_M3UA, CAP_PORT_M3UA, CAP_ULP_M3UA},
	{CAP_PPID_M2UA, CAP_PORT_M2UA, CAP_ULP_M2UA},
	{CAP_PPID_M2PA, CAP_PORT_M2PA, CAP_ULP_M2PA},
};

enum cap_ulp cap_ulp_by_ppid(uint32_t ppid)
{
	for (size_t i = 0; i < sizeof(sctp_ulps) / sizeof(sctp_ulps[0]); i++)
		if (sctp_ulps[i].ppid == ppid)
			return sctp_ulps[i].ulp;
	return CAP_ULP_NONE;
}

enum cap_ulp cap_ulp_by_port(uint16_t port)
{
	for (size_t i = 0; i < sizeof(sctp_ulps) / sizeof(sctp_ulps[0]); i++)
		if (sctp_ulps[i].port == port)
			return sctp_ulps[i].ulp;
	return CAP_ULP_NONE;
}

/* By PPID, else by port, the lower one first, as tshark does (its dissectors for other
 * PPIDs reject what is not theirs, and a PPID in host byte order is no PPID). */
static enum cap_ulp ulp_classify(uint32_t ppid, uint16_t sport, uint16_t dport)
{
	enum cap_ulp u = cap_ulp_by_ppid(ppid);
	if (u != CAP_ULP_NONE)
		return u;
	uint16_t lo = sport < dport ? sport : dport, hi = sport < dport ? dport : sport;
	u = cap_ulp_by_port(lo);
	return u != CAP_ULP_NONE ? u : cap_ulp_by_port(hi);
}

void cap_ulp_deliver(struct cap_ctx *c, enum cap_ulp u, bool exported, const uint8_t *p,
		     size_t n, const uint8_t *at, bool reasm)
{
	switch (u) {
	case CAP_ULP_M3UA:
		return cap_unit_emit(c, CAP_M3UA, exported ? CAP_TR_EXPORTED_PDU : CAP_TR_SCTP, p, n,
				     reasm);
	case CAP_ULP_MTP3:
		return cap_unit_emit(c, CAP_MTP3, exported ? CAP_TR_EXPORTED_PDU : CAP_TR_MTP3_LINK, p,
				     n, reasm);
	case CAP_ULP_M2UA:
		return cap_m2ua_dissect(c, p, n, at, reasm,
					exported ? CAP_TR_EXPORTED_PDU : CAP_TR_SCTP_M2UA);
	case CAP_ULP_M2PA:
		return cap_m2pa_dissect(c, p, n, at, reasm,
					exported ? CAP_TR_EXPORTED_PDU : CAP_TR_SCTP_M2PA);
	case CAP_ULP_NONE:
		return;
	}
}

/* A whole user message: at is its place in the frame (the last fragment's when reassembled). */
static void sctp_deliver(struct cap_ctx *c, uint32_t ppid, const uint8_t *p, size_t n,
			 const uint8_t *at, bool reasm)
{
	cap_ulp_deliver(c, ulp_classify(ppid, c->flow.sport, c->flow.dport), false, p, n, at, reasm);
}

struct sctp_frag {
	uint8_t kind;     /* flow key kind: DATA/I-DATA, ordered/unordered */
	bool first, last;
	uint32_t seq;     /* TSN (DATA) or FSN (I-DATA) */
	uint32_t mid;     /* I-DATA message identifier */
	uint32_t ppid;    /* first fragment only */
	const uint8_t *p; /* fragment payload in the frame */
	size_t n;
};

static void sctp_frag_append(struct cap_ctx *c, struct cap_flow_ent *f, const struct sctp_frag *fr)
{
	int rc = cap_flow_append(&c->d->flows, f, fr->p, fr->n);
	if (rc == 0)
		return;
	f->in_progress = false;
	f->len = 0;
	cap_report(c, "sctp", "reassembly", fr->p,
		   rc == -EMSGSIZE ? "reassembled message too long: dropped"
				   : "reassembly memory limit reached: message dropped");
}

/* RFC 9260 6.9: fragments of one message carry consecutive TSNs (RFC 8260: consecutive FSNs
 * and one MID); they are collected per association direction and stream in capture order. */
static void sctp_fragment(struct cap_ctx *c, const struct sctp_frag *fr)
{
	struct cap_flow_key key;
	bool evicted = false;
	cap_flow_key_from(&key, &c->flow, CAP_IPPROTO_SCTP);
	key.stream = c->flow.sctp_stream;
	key.kind = fr->kind;
	struct cap_flow_ent *f = cap_flow_get(&c->d->flows, &key, &evicted);
	if (!f)
		return cap_report(c, "sctp", "reassembly", fr->p, "out of memory");
	if (evicted)
		cap_report(c, "sctp", "reassembly", fr->p,
			   "too many streams in reassembly: a partial message was dropped");
	if (fr->first) {
		if (f->in_progress)
			cap_report(c, "sctp", "fragment", fr->p,
				   "a new message began before the previous one was complete");
		f->len = 0;
		f->in_progress = true;
		f->seq = fr->seq;
		f->mid = fr->mid;
		f->ppid = fr->ppid;
	} else if (!f->in_progress || f->mid != fr->mid) {
		return cap_report(c, "sctp", "fragment", fr->p,
				  "fragment without the first part of its message");
	} else {
		int32_t d = (int32_t)(fr->seq - f->seq);
		if (d < 0)
			return; /* a retransmission of a fragment already collected */
		if (d > 0) {
			f->in_progress = false;
			f->len = 0;
			return cap_report(c, "sctp", "fragment", fr->p,
					  "fragments missing: message dropped");
		}
	}
	sctp_frag_append(c, f, fr);
	if (!f->in_progress)
		return;
	f->seq++;
	if (fr->last) {
		f->in_progress = false;
		c->flow.ppid = f->ppid;
		sctp_deliver(c, f->ppid, f->buf, f->len, fr->p, true);
		f->len = 0;
	}
}

/* RFC 9260 3.3.1 DATA: type, flags, length, TSN, stream, SSN, PPID, user data */
static void sctp_data_chunk(struct cap_ctx *c, const uint8_t *q, size_t cl)
{
	if (cl < 16)
		return cap_report(c, "sctp", "chunk_length", q + 2, "DATA chunk shorter than 16 bytes");
	if (cl == 16)
		return cap_report(c, "sctp", "data", q + 16, "DATA chunk without user data");
	uint8_t fl = q[1];
	c->flow.sctp_stream = cap_be16(q + 8);
	c->flow.ppid = cap_be32(q + 12);
	if ((fl & (SCTP_DATA_B | SCTP_DATA_E)) == (SCTP_DATA_B | SCTP_DATA_E))
		return sctp_deliver(c, c->flow.ppid, q + 16, cl - 16, q + 16, false);
	struct sctp_frag fr = {
		.kind = (fl & SCTP_DATA_U) ? CAP_FLOW_DATA_U : CAP_FLOW_DATA,
		.first = fl & SCTP_DATA_B,
		.last = fl & SCTP_DATA_E,
		.seq = cap_be32(q + 4),
		.ppid = c->flow.ppid,
		.p = q + 16,
		.n = cl - 16,
	};
	sctp_fragment(c, &fr);
}

/* RFC 8260 2.1 I-DATA: type, flags, length, TSN, stream, reserved, MID, PPID or FSN, data */
static void sctp_idata_chunk(struct cap_ctx *c, const uint8_t *q, size_t cl)
{
	if (cl < 20)
		return cap_report(c, "sctp", "chunk_length", q + 2, "I-DATA chunk shorter than 20 bytes");
	if (cl == 20)
		return cap_report(c, "sctp", "data", q + 20, "I-DATA chunk without user data");
	uint8_t fl = q[1];
	bool first = fl & SCTP_DATA_B;
	c->flow.sctp_stream = cap_be16(q + 8);
	if (first)
		c->flow.ppid = cap_be32(q + 16);
	if ((fl & (SCTP_DATA_B | SCTP_DATA_E)) == (SCTP_DATA_B | SCTP_DATA_E))
		return sctp_deliver(c, c->flow.ppid, q + 20, cl - 20, q + 20, false);
	struct sctp_frag fr = {
		.kind = (fl & SCTP_DATA_U) ? CAP_FLOW_IDATA_U : CAP_FLOW_IDATA,
		.first = first,
		.last = fl & SCTP_DATA_E,
		.seq = first ? 0 : cap_be32(q + 16),
		.mid = cap_be32(q + 12),
		.ppid = first ? c->flow.ppid : 0,
		.p = q + 20,
		.n = cl - 20,
	};
	sctp_fragment(c, &fr);
}

/* RFC 9260 6.2: a DATA chunk whose TSN was already seen in this direction of the association
 * is a retransmission; tshark (TSN analysis on, its default) does not hand it to M3UA again,
 * and neither does this reader. The last CAP_TSN_WINDOW TSNs below the highest are remembered;
 * anything older counts as seen. Like tshark, no tracking when the verification tag is 0
 * (hand-made captures often have tag 0 and TSN 0 in every packet). Returns true for a TSN
 * not seen before. */
static bool sctp_tsn_new(struct cap_ctx *c, uint32_t vtag, uint32_t tsn)
{
	struct cap_flow_key key;
	bool evicted;
	if (!vtag)
		return true;
	memset(&key, 0, sizeof(key));
	key.sport = c->flow.sport;
	key.dport = c->flow.dport;
	key.l4 = CAP_IPPROTO_SCTP;
	key.kind = CAP_FLOW_SCTP_TSN;
	key.vtag = vtag;
	struct cap_flow_ent *f = cap_flow_get(&c->d->flows, &key, &evicted);
	if (!f)
		return true; /* out of memory: no retransmission detection */
	uint64_t *w = f->tsn_seen;
	if (!f->seq_known) {
		f->seq_known = true;
		f->seq = tsn;
		w[0] = 1;
		return true;
	}
	int32_t d = (int32_t)(tsn - f->seq);
	if (d > 0) { /* a new highest TSN: slide the window up by d */
		if (d >= CAP_TSN_WINDOW) {
			memset(f->tsn_seen, 0, sizeof(f->tsn_seen));
		} else {
			unsigned words = (unsigned)d / 64, bits = (unsigned)d % 64;
			for (int i = CAP_TSN_WINDOW / 64 - 1; i >= 0; i--) {
				uint64_t v = i >= (int)words ? w[i - words] << bits : 0;
				if (bits && i > (int)words)
					v |= w[i - words - 1] >> (64 - bits);
				w[i] = v;
			}
		}
		w[0] |= 1;
		f->seq = tsn;
		return true;
	}
	unsigned back = (unsigned)(-(int64_t)d);
	if (back >= CAP_TSN_WINDOW)
		return false;
	uint64_t bit = (uint64_t)1 << (back % 64);
	if (w[back / 64] & bit)
		return false;
	w[back / 64] |= bit;
	return true;
}

/* RFC 9260 3: common header (ports, verification tag, checksum), then chunks padded to 4. */
void cap_sctp_dissect(struct cap_ctx *c, const uint8_t *p, size_t len)
{
	if (len < 12)
		return cap_report_short(c, "sctp", "common_header", p);
	c->flow.sport = cap_be16(p);
	c->flow.dport = cap_be16(p + 2);
	const uint8_t *q = p + 12;
	size_t left = len - 12;
	uint32_t vtag = cap_be32(p + 4);
	while (left && !c->stop) {
		if (left < 4)
			return cap_report_short(c, "sctp", "chunk_header", q);
		uint16_t cl = cap_be16(q + 2);
		if (cl < 4)
			return cap_report(c, "sctp", "chunk_length", q + 2, "chunk length below 4");
		if (cl > left)
			return cap_report_short(c, "sctp", "chunk_length", q + 2);
		if ((q[0] == SCTP_CHUNK_DATA || q[0] == SCTP_CHUNK_IDATA) && cl >= 8 &&
		    !sctp_tsn_new(c, vtag, cap_be32(q + 4))) {
			; /* retransmission */
		} else if (q[0] == SCTP_CHUNK_DATA) {
			sctp_data_chunk(c, q, cl);
		} else if (q[0] == SCTP_CHUNK_IDATA) {
			sctp_idata_chunk(c, q, cl);
		}
		size_t adv = (cl + 3u) & ~3u;
		if (adv >= left)
			break;
		q += adv;
		left -= adv;
	}
	if (c->ip_truncated && !c->stop) /* the chunks that would follow are not in the capture */
		cap_report_short(c, "sctp", "chunk_header", p + len);
}
