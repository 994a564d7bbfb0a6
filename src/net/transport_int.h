/* Internals shared by transport.c and the transport implementations (transport_tcp.c,
 * transport_usrsctp.c, transport_ksctp.c). Not for users of transport.h. */
#ifndef DFS_TRANSPORT_INT_H
#define DFS_TRANSPORT_INT_H
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "transport.h"

struct socket; /* usrsctp */
struct tp_usrsctp;

/* Output queue: records of [u32 len][u16 stream][u16 0][len bytes] in one buffer. */
struct tp_outq {
	uint8_t *buf;
	size_t head, tail, cap;
	size_t bytes;   /* payload bytes queued */
	size_t partial; /* bytes of the head record already written (byte streams) */
	unsigned count;
};
#define TP_REC_HDR 8

struct tp_ops {
	enum tp_kind kind;
	const char *name;
	int (*listen)(struct tp_listener *ls, const struct tp_endpoint *ep, char *err, size_t errsz);
	int (*connect)(struct tp_conn *c, const struct tp_endpoint *ep, char *err, size_t errsz);
	/* Read what is available and deliver messages until paused, closed or drained. */
	void (*input)(struct tp_conn *c);
	/* Write queued output: 0 all written, -EAGAIN some left (the transport waits for room),
	 * other negative errno: the connection failed. */
	int (*flush)(struct tp_conn *c);
	/* The connection is established (connect finished, or accepted): options, peer name,
	 * stream count. */
	void (*established)(struct tp_conn *c);
	/* Reading was paused or resumed (c->paused). */
	void (*read_changed)(struct tp_conn *c);
	/* Release the socket. */
	void (*close)(struct tp_conn *c);
	void (*close_listener)(struct tp_listener *ls);
};

struct tp_conn {
	const struct tp_ops *ops;
	struct tp_net *net;
	struct tp_opts o;
	struct tp_cbs cbs;
	void *ud;
	int fd;           /* TCP and kernel SCTP */
	struct socket *so; /* usrsctp */
	bool up, paused, dead, dirty, blocked_write, above_high, lingering;
	int busy;             /* callback nesting: free only when 0 */
	uint64_t resume_timer; /* delivers input buffered while paused */
	uint64_t linger_timer;
	uint8_t *in;          /* TCP: unparsed stream bytes; SCTP: a message being reassembled */
	size_t in_len, in_cap;
	struct tp_outq out;
	uint16_t out_streams;
	char peer[TP_ADDR_LEN + 8];
	struct tp_conn *prev, *next; /* net->conns */
};

struct tp_listener {
	const struct tp_ops *ops;
	struct tp_net *net;
	struct tp_opts o;
	tp_accept_cb cb;
	void *ud;
	int fd;
	struct socket *so;
	uint16_t port;
	struct tp_listener *prev, *next; /* net->listeners */
};

struct tp_net {
	struct evloop *loop;
	uint64_t flush_hook;
	struct tp_conn *conns;
	struct tp_listener *listeners;
	struct tp_conn **dirty; /* connections with output to write before the loop waits */
	size_t ndirty, dirty_cap;
	struct tp_usrsctp *us;
};

extern const struct tp_ops tp_tcp_ops;
extern const struct tp_ops tp_usrsctp_ops;
extern const struct tp_ops tp_ksctp_ops;

/* transport.c: lifecycle shared by all transports */
struct tp_conn *tp_conn_alloc(struct tp_net *n, const struct tp_ops *ops, const struct tp_opts *o);
void tp_conn_deliver(struct tp_conn *c, const uint8_t *p, size_t len, uint16_t stream);
void tp_conn_set_up(struct tp_conn *c);
/* The connection failed or the peer closed it: on_down(err), then free. */
void tp_conn_fail(struct tp_conn *c, int err);
void tp_conn_hold(struct tp_conn *c);
/* Returns false when the connection died during the hold (and may now be freed). */
bool tp_conn_release(struct tp_conn *c);
/* Try to write queued output now (on a write event). */
void tp_conn_flush(struct tp_conn *c);
/* Queue head access for flush implementations. */
const uint8_t *tp_outq_peek(const struct tp_outq *q, size_t *off, uint32_t *len, uint16_t *stream);
void tp_outq_consume(struct tp_outq *q, size_t n);
void tp_accepted(struct tp_listener *ls, struct tp_conn *c);
/* Call ops->input again on the next loop iteration (input left unread). */
void tp_conn_schedule_input(struct tp_conn *c);

/* Resolve the endpoint addresses (numeric) with its port into sockaddrs. */
int tp_endpoint_sockaddrs(const struct tp_endpoint *ep, uint16_t port, struct sockaddr_storage *out,
			  socklen_t *lens, unsigned max, char *err, size_t errsz);
void tp_sockaddr_name(const struct sockaddr *sa, char *out, size_t outsz);
/* Pack sockaddrs back to back, as sctp_bindx/sctp_connectx want them. */
size_t tp_sockaddrs_pack(const struct sockaddr_storage *ss, const socklen_t *lens, unsigned n,
			 uint8_t *out, size_t outsz);
int tp_set_nonblock(int fd);

/* transport_tcp.c: plumbing for transports on a kernel socket (TCP, kernel SCTP) */
/* How one transport opens, binds and connects its kernel sockets. */
struct tp_fd_proto {
	unsigned max_addrs; /* addresses one endpoint may have (multi-homing) */
	/* A non-blocking socket with the options of o: the fd, or -1 with errno set and err filled */
	int (*open)(int family, const struct tp_opts *o, char *err, size_t errsz);
	/* Bind the addresses ss[0..n-1] / start connecting to them: 0, or -1 with errno set */
	int (*bind)(int fd, const struct sockaddr_storage *ss, const socklen_t *lens, int n);
	int (*connect)(int fd, const struct sockaddr_storage *ss, const socklen_t *lens, int n);
	const char *bind_name, *connect_name; /* the calls, as errors name them */
};
/* ops->listen and ops->connect of a transport on a kernel socket. */
int tp_fd_listen(struct tp_listener *ls, const struct tp_endpoint *ep, const struct tp_fd_proto *p,
		 char *err, size_t errsz);
int tp_fd_connect(struct tp_conn *c, const struct tp_endpoint *ep, const struct tp_fd_proto *p,
		  char *err, size_t errsz);
/* End of a flush with result rc (0, -EAGAIN, other negative errno): wait for room or stop
 * waiting for it. Returns rc. */
int tp_fd_flushed(struct tp_conn *c, int rc);
int tp_fd_watch(struct tp_conn *c);
void tp_fd_on_event(struct evloop *l, int fd, int events, void *ud);
void tp_fd_name_peer(struct tp_conn *c);
void tp_fd_read_changed(struct tp_conn *c);
void tp_fd_close(struct tp_conn *c);
void tp_fd_close_listener(struct tp_listener *ls);

/* SCTP receive path shared by usrsctp and kernel SCTP. n bytes were just received at
 * c->in + c->in_len; eor/notification/sid from the receive flags and info. Returns 1 when a
 * complete notification is at c->in (length *len) for the caller to interpret, 0 to go on
 * reading, -1 when the connection failed. */
int tp_sctp_received(struct tp_conn *c, size_t n, bool eor, bool notification, uint16_t sid,
		     size_t *len);
/* The notification constants of one SCTP API (usrsctp and the kernel number them differently). */
struct tp_sctp_consts {
	uint16_t assoc_change, shutdown_event;                         /* sn_type */
	uint16_t comm_up, restart, comm_lost, cant_start, shutdown_comp; /* sac_state */
	size_t off_state, off_out_streams; /* in struct sctp_assoc_change (host byte order) */
};
/* The initializer of struct tp_sctp_consts from the SCTP header the including file uses. */
#define TP_SCTP_CONSTS_INIT                                                                   \
	{                                                                                     \
		.assoc_change = SCTP_ASSOC_CHANGE, .shutdown_event = SCTP_SHUTDOWN_EVENT,     \
		.comm_up = SCTP_COMM_UP, .restart = SCTP_RESTART, .comm_lost = SCTP_COMM_LOST, \
		.cant_start = SCTP_CANT_STR_ASSOC, .shutdown_comp = SCTP_SHUTDOWN_COMP,       \
		.off_state = offsetof(struct sctp_assoc_change, sac_state),                   \
		.off_out_streams = offsetof(struct sctp_assoc_change, sac_outbound_streams),  \
	}
/* Act on the notification at p (RFC 6458 6.1): the association came up, failed or ended. */
void tp_sctp_notification(struct tp_conn *c, const struct tp_sctp_consts *k, const uint8_t *p,
			  size_t len);
/* One receive of an SCTP API into c->in + c->in_len (room c->in_cap - c->in_len): bytes
 * received (0: the peer closed), or -1 with errno set (EAGAIN: nothing waiting); *eor,
 * *notification and *sid from the receive flags and info. */
typedef ssize_t (*tp_sctp_recv_fn)(struct tp_conn *c, bool *eor, bool *notification,
				   uint16_t *sid);
/* Receive and deliver up to batch messages (and act on notifications) until paused, closed or
 * drained. True when it stopped at the batch limit: more may be waiting. */
bool tp_sctp_input(struct tp_conn *c, int batch, tp_sctp_recv_fn recv,
		   const struct tp_sctp_consts *k);
/* Send one message on stream: 0, or negative errno (-EAGAIN: no room now). */
typedef int (*tp_sctp_send_fn)(struct tp_conn *c, const uint8_t *p, uint32_t len, uint16_t stream);
/* Send the queued messages one by one (EINTR retried): 0 all sent, -EAGAIN no room, other
 * negative errno: the connection failed. */
int tp_sctp_flush(struct tp_conn *c, tp_sctp_send_fn send);

/* transport_usrsctp.c */
void tp_usrsctp_stop(struct tp_net *n);

#endif
