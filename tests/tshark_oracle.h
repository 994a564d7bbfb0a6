/* tshark as the independent oracle in tests (PROTOCOLS.md "tshark as the oracle").
 *
 * Write encoded PDUs into an exported-PDU capture (link type 252), run tshark over it with
 * -T fields, and hand back its output one line per frame, so a test can compare tshark's view
 * with our decoder field by field. Header-only: each test program includes it once. */
#ifndef DFS_TSHARK_ORACLE_H
#define DFS_TSHARK_ORACLE_H
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ORACLE_LINKTYPE_EXPORTED_PDU 252
#define ORACLE_EXP_PDU_TAG_PROTO_NAME 12

static inline bool oracle_have_tshark(void)
{
	return system("command -v tshark >/dev/null 2>&1") == 0;
}

/* One exported-PDU record: tag 12 (protocol name, padded to 4 bytes), end-of-options tag 0, PDU. */
static inline size_t oracle_export_header(uint8_t *out, const char *proto)
{
	size_t n = strlen(proto), padded = (n + 3) & ~(size_t)3, off = 0;
	out[off++] = 0;
	out[off++] = ORACLE_EXP_PDU_TAG_PROTO_NAME;
	out[off++] = (uint8_t)(padded >> 8);
	out[off++] = (uint8_t)padded;
	memset(out + off, 0, padded);
	memcpy(out + off, proto, n);
	off += padded;
	memset(out + off, 0, 4); /* tag 0, length 0: end of tags */
	return off + 4;
}

/* Exported-PDU tag 35 (P2P direction, 4 bytes): 0 sent, 1 received. Dissectors that depend on
 * the direction read it, e.g. gsm_sms: received = MS->SC (SMS-SUBMIT), sent = SC->MS (DELIVER). */
#define ORACLE_EXP_PDU_TAG_P2P_DIRECTION 35

/* As oracle_write_export, with a P2P direction per frame (dirs[i] 0 or 1; dirs NULL: none). */
static inline int oracle_write_export_p2p(const char *path, const char *proto, const uint8_t *const *pdus,
					  const size_t *lens, const int *dirs, size_t n)
{
	pcap_t *pd = pcap_open_dead(ORACLE_LINKTYPE_EXPORTED_PDU, 65535);
	if (!pd)
		return -1;
	pcap_dumper_t *d = pcap_dump_open(pd, path);
	if (!d) {
		pcap_close(pd);
		return -1;
	}
	uint8_t frame[70000];
	for (size_t i = 0; i < n; i++) {
		size_t h = oracle_export_header(frame, proto);
		if (dirs) { /* insert the direction tag before the end-of-tags */
			const uint8_t tag[8] = {0, ORACLE_EXP_PDU_TAG_P2P_DIRECTION, 0, 4, 0, 0, 0, (uint8_t)dirs[i]};
			memcpy(frame + h - 4, tag, sizeof(tag));
			memset(frame + h + 4, 0, 4);
			h += sizeof(tag);
		}
		if (lens[i] > sizeof(frame) - h)
			break;
		memcpy(frame + h, pdus[i], lens[i]);
		struct pcap_pkthdr ph = {.ts = {.tv_sec = 1700000000 + (long)i, .tv_usec = 0},
					 .caplen = (bpf_u_int32)(h + lens[i]),
					 .len = (bpf_u_int32)(h + lens[i])};
		pcap_dump((u_char *)d, &ph, frame);
	}
	pcap_dump_close(d);
	pcap_close(pd);
	return 0;
}

/* Writes n PDUs (pdus[i], lens[i]) as frames 1..n dissected by tshark's `proto` dissector
 * ("m3ua", "sccp", "tcap", "gsm_map", "gsm_sms", ...). Returns 0 or -1. */
static inline int oracle_write_export(const char *path, const char *proto, const uint8_t *const *pdus,
				      const size_t *lens, size_t n)
{
	return oracle_write_export_p2p(path, proto, pdus, lens, NULL, n);
}

/* Runs `tshark -r pcap ARGS` and returns its stdout (malloc'd, NUL-terminated), or NULL. */
static inline char *oracle_tshark(const char *pcap, const char *args)
{
	char cmd[4096];
	snprintf(cmd, sizeof(cmd), "tshark -n -r '%s' %s 2>/dev/null", pcap, args);
	FILE *f = popen(cmd, "r");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	size_t got;
	while (out && (got = fread(out + len, 1, cap - len - 1, f)) > 0) {
		len += got;
		if (cap - len < 2) {
			char *bigger = realloc(out, cap * 2);
			if (!bigger) {
				free(out);
				out = NULL;
				break;
			}
			out = bigger;
			cap *= 2;
		}
	}
	if (pclose(f) != 0) {
		free(out);
		return NULL;
	}
	if (out)
		out[len] = 0;
	return out;
}

/* `tshark -T fields` with the given -e fields: returns stdout, one line per frame, fields
 * separated by '|', repeated occurrences joined by ','. */
static inline char *oracle_fields(const char *pcap, const char *const *fields, size_t nf)
{
	char args[3072];
	size_t off = (size_t)snprintf(args, sizeof(args), "-T fields -E separator='|' -E occurrence=a -E aggregator=,");
	for (size_t i = 0; i < nf && off < sizeof(args); i++)
		off += (size_t)snprintf(args + off, sizeof(args) - off, " -e %s", fields[i]);
	return oracle_tshark(pcap, args);
}

/* Number of frames tshark flags as malformed or with an error-level expert item; -1 if tshark failed. */
static inline int oracle_malformed(const char *pcap)
{
	char *out = oracle_tshark(pcap, "-Y '_ws.malformed || _ws.expert.severity >= error'");
	if (!out)
		return -1;
	int n = 0;
	for (char *p = out; *p; p++)
		n += *p == '\n';
	free(out);
	return n;
}

/* The i-th line (0-based) of text, copied into buf without its newline; returns buf or NULL. */
static inline char *oracle_line(const char *text, size_t i, char *buf, size_t bufsz)
{
	const char *p = text;
	while (i-- > 0) {
		p = strchr(p, '\n');
		if (!p)
			return NULL;
		p++;
	}
	if (!*p)
		return NULL;
	size_t n = strcspn(p, "\n");
	if (n >= bufsz)
		n = bufsz - 1;
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

/* The k-th '|'-separated field (0-based) of a line, copied into buf; "" when absent. */
static inline char *oracle_field(const char *line, size_t k, char *buf, size_t bufsz)
{
	const char *p = line;
	while (k-- > 0) {
		p = strchr(p, '|');
		if (!p) {
			buf[0] = 0;
			return buf;
		}
		p++;
	}
	size_t n = strcspn(p, "|");
	if (n >= bufsz)
		n = bufsz - 1;
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

/* A temporary file name under /tmp with the given suffix (written into buf). */
static inline char *oracle_tmpname(char *buf, size_t bufsz, const char *tag)
{
	snprintf(buf, bufsz, "/tmp/dfsg-%s-%ld.pcap", tag, (long)getpid());
	return buf;
}

#endif
