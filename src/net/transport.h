/* Message transports behind one interface (Redis "connection types" style): M3UA over TCP,
 * SCTP over UDP encapsulation with usrsctp (RFC 6951), and kernel SCTP through lksctp.
 *
 * A connection moves whole messages: the receive callback gets one complete message with the
 * SCTP stream it arrived on (TCP: framed by the M3UA length field, stream 0), and tp_send()
 * queues one message for a stream. Output is batched per event-loop iteration and written
 * before the loop waits again. Everything runs on the event loop's thread; usrsctp's own
 * threads only signal the loop.
 *
 * Lifetime: a connection belongs to its owner until tp_close() or until on_down() returns.
 * It is safe to call tp_close() (or anything else) from inside any callback. */
#ifndef DFS_TRANSPORT_H
#define DFS_TRANSPORT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "evloop.h"

enum tp_kind {
	TP_TCP = 1,
	TP_USRSCTP = 2, /* userland SCTP over UDP (RFC 6951) */
	TP_KSCTP = 3,   /* kernel SCTP through lksctp */
	TP_SCTP = 4,    /* kernel SCTP when the kernel has it, else usrsctp (resolved at listen/connect) */
};
const char *tp_kind_name(enum tp_kind k);

#define TP_MAX_ADDRS 8
#define TP_ADDR_LEN 46 /* INET6_ADDRSTRLEN */

/* Where to listen or connect. More than one address = SCTP multi-homing (bindx/connectx). */
struct tp_endpoint {
	enum tp_kind kind;
	unsigned n_addrs;
	char addrs[TP_MAX_ADDRS][TP_ADDR_LEN]; /* numeric IPv4 or IPv6 */
	uint16_t port;
	uint16_t udp_port; /* usrsctp connect: the peer's UDP encapsulation port (0: our own) */
};

/* Parse "KIND:ADDR[,ADDR...]:PORT[/UDPPORT]" (KIND tcp, sctp, usrsctp, ksctp; IPv6 in
 * brackets: "sctp:[::1],[::2]:2905"). 0 or -EINVAL with a message in err. */
int tp_endpoint_parse(struct tp_endpoint *ep, const char *spec, char *err, size_t errsz);
/* Format as tp_endpoint_parse() reads it. */
int tp_endpoint_format(const struct tp_endpoint *ep, char *out, size_t outsz);

/* Framing of a byte stream (TCP): 0 = need more bytes, > 0 = length of the complete message at
 * p, < 0 = not a valid message start (the stream is out of sync). */
typedef long (*tp_frame_fn)(const uint8_t *p, size_t avail);

#define TP_DEFAULT_MAX_MSG (65536 + 1024)
#define TP_DEFAULT_QUEUE_HIGH (1024 * 1024)
#define TP_DEFAULT_STREAMS 16
#define TP_PPID_M3UA 3

struct tp_opts {
	size_t max_msg;     /* largest message accepted either way (0: TP_DEFAULT_MAX_MSG) */
	size_t queue_high;  /* queued output bytes from which tp_writable() is false (0: default) */
	size_t queue_max;   /* tp_send() fails with -ENOBUFS beyond this (0: 2 * queue_high + max_msg) */
	uint16_t streams;   /* SCTP streams requested each way (0: TP_DEFAULT_STREAMS) */
	uint32_t ppid;      /* SCTP payload protocol identifier (0: 3, M3UA) */
	tp_frame_fn frame;  /* TCP framing (NULL: the M3UA common header length) */
	const struct tp_endpoint *local; /* connect: local addresses to bind first (may be NULL) */
};

struct tp_net;
struct tp_conn;
struct tp_listener;

struct tp_cbs {
	/* An outgoing connection is established. */
	void (*on_up)(struct tp_conn *c, void *ud);
	/* One complete message; p is valid only during the call. */
	void (*on_msg)(struct tp_conn *c, const uint8_t *p, size_t len, uint16_t stream, void *ud);
	/* Queued output fell below half of queue_high after tp_writable() had been false. */
	void (*on_drain)(struct tp_conn *c, void *ud);
	/* The connection is gone: err 0 = orderly shutdown by the peer, -EBADMSG = the byte stream
	 * is not valid M3UA framing, -EMSGSIZE = message over max_msg, other negative errno =
	 * failure. Last callback: the connection is freed when it returns. After -EBADMSG or
	 * -EMSGSIZE, tp_send() still works during this call (for a final ERR), and that output is
	 * written before the socket closes. */
	void (*on_down)(struct tp_conn *c, int err, void *ud);
};

/* Accepted connections are up. The callee must call tp_conn_set_cbs() (or tp_close()). */
typedef void (*tp_accept_cb)(struct tp_listener *ls, struct tp_conn *c, void *ud);

/* The set of transports on one event loop. */
struct tp_net *tp_net_new(struct evloop *l, char *err, size_t errsz);
/* Closes every listener and connection (without callbacks) and stops usrsctp. */
void tp_net_free(struct tp_net *n);
struct evloop *tp_net_loop(const struct tp_net *n);

/* Start the userland SCTP stack with UDP encapsulation on udp_port (0: pick a free port).
 * usrsctp keeps process-wide state: one tp_net per process may run it at a time (-EBUSY).
 * Note that usrsctp binds its UDP socket to the wildcard address. */
int tp_net_usrsctp_start(struct tp_net *n, uint16_t udp_port, char *err, size_t errsz);
/* The UDP encapsulation port, 0 when usrsctp is not running. */
uint16_t tp_net_usrsctp_port(const struct tp_net *n);

/* Whether the kernel has SCTP (socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) works) and this
 * build has lksctp. */
bool tp_ksctp_available(void);

struct tp_listener *tp_listen(struct tp_net *n, const struct tp_endpoint *ep,
			      const struct tp_opts *o, tp_accept_cb cb, void *ud, char *err,
			      size_t errsz);
/* The bound port (useful after listening on port 0). */
uint16_t tp_listener_port(const struct tp_listener *ls);
enum tp_kind tp_listener_kind(const struct tp_listener *ls);
void tp_listener_close(struct tp_listener *ls);

/* Start connecting; on_up or on_down follows. NULL with err on immediate failure. */
struct tp_conn *tp_connect(struct tp_net *n, const struct tp_endpoint *ep,
			   const struct tp_opts *o, const struct tp_cbs *cbs, void *ud, char *err,
			   size_t errsz);
void tp_conn_set_cbs(struct tp_conn *c, const struct tp_cbs *cbs, void *ud);

/* Queue one message on a stream (taken modulo the negotiated stream count; ignored by TCP).
 * 0, -ENOTCONN (not up or closing), -EMSGSIZE (over max_msg), -ENOBUFS (queue_max reached:
 * nothing queued). */
int tp_send(struct tp_conn *c, const uint8_t *p, size_t len, uint16_t stream);
/* False once queued output reaches queue_high: stop feeding this connection until on_drain. */
bool tp_writable(const struct tp_conn *c);
size_t tp_queued_bytes(const struct tp_conn *c);
/* Stop (true) or resume (false) reading: messages are not delivered while paused, and the
 * peer is eventually flow-controlled by the TCP/SCTP window. */
void tp_pause(struct tp_conn *c, bool paused);
bool tp_paused(const struct tp_conn *c);
/* Close now; queued output is discarded and no callback follows. */
void tp_close(struct tp_conn *c);
/* Close after queued output is written (at most 2 s); no callback follows. */
void tp_close_flushed(struct tp_conn *c);

bool tp_is_up(const struct tp_conn *c);
enum tp_kind tp_conn_kind(const struct tp_conn *c);
/* Outbound streams usable with tp_send (1 for TCP). */
uint16_t tp_out_streams(const struct tp_conn *c);
/* "ADDR:PORT" of the peer, or "-" when unknown. */
const char *tp_peer_name(const struct tp_conn *c);

#endif
