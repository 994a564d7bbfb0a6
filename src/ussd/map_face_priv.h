/* Internals shared by the MAP face's two halves: map_face.c (dialogues the HLR opens) and
 * map_push.c (dialogues we open for applications). Not for use outside src/ussd/map_*.c. */
#ifndef DFS_MAP_FACE_PRIV_H
#define DFS_MAP_FACE_PRIV_H
#include "map_face.h"

/* How to reach the peer: the routing of the incoming message (or, for our own dialogues, the
 * configured one), swapped when sending. */
struct mf_route {
	uint32_t opc, dpc;
	uint8_t ni, mp, sls, proto_class;
	bool has_rctx, has_na;
	uint32_t rctx, na; /* echoed in answers (RFC 4666 3.3.1) */
	struct sccp_addr called, calling;
};

/* TCAP bytes -> SCCP UDT (called/calling swapped) -> M3UA DATA (OPC/DPC swapped) -> send. */
int mf_send_tcap(const struct mf_route *rt, const uint8_t *tcap, size_t len,
		 map_face_send_fn send, void *ud);
/* Text -> USSD string: GSM 7-bit when every character has a code, UCS2 otherwise. Returns the
 * octets or a negative errno. */
int mf_encode_text(const char *text, uint8_t *dcs, uint8_t *out, size_t outsz);

/* map_push.c, called by map_face.c */
bool map_push_owns(const struct map_face *f, uint32_t otid);
int map_push_input(struct map_face *f, const struct sig_msg *m, int64_t now_ms,
		   map_face_send_fn send, void *ud);
unsigned map_push_sweep(struct map_face *f, int64_t now_ms, map_face_send_fn send, void *ud);
void map_push_destroy(struct map_face *f);

#endif
