/* M3UA over TCP: messages framed by the length in the M3UA common header (RFC 4666 3.1). */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "transport_int.h"

#define TCP_IOV_MAX 64
#define TCP_ACCEPT_BATCH 64


/* ---- plumbing for transports on a kernel socket (TCP, kernel SCTP) --------------------------- */

int tp_fd_watch(struct tp_conn *c)
{
	int ev = (c->paused ? 0 : EVLOOP_READ) | (c->blocked_write ? EVLOOP_WRITE : 0);
	return evloop_fd_set(c->net->loop, c->fd, ev, tp_fd_on_event, c);
}

void tp_fd_name_peer(struct tp_conn *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	if (getpeername(c->fd, (struct sockaddr *)&ss, &sl) == 0)
		tp_sockaddr_name((struct sockaddr *)&ss, c->peer, sizeof(c->peer));
}

void tp_fd_on_event(struct evloop *l, int fd, int events, void *ud)
{
	struct tp_conn *c = ud;
	tp_conn_hold(c);
	if (!c->up) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
			soerr = errno;
		if (soerr) {
			tp_conn_fail(c, -soerr);
		} else {
			c->ops->established(c);
			tp_fd_watch(c);
			tp_conn_set_up(c);
		}
	} else if ((events & EVLOOP_ERROR) && c->paused) {
		/* hang-up while paused: stop watching (the level-triggered event would repeat);
		 * resuming reads what is left and then sees the end */
		evloop_fd_set(l, fd, 0, NULL, NULL);
	} else {
		if (events & EVLOOP_WRITE)
			tp_conn_flush(c);
		if (!c->dead && (events & (EVLOOP_READ | EVLOOP_ERROR)))
			c->ops->input(c);
	}
	tp_conn_release(c);
}

void tp_fd_read_changed(struct tp_conn *c)
{
	if (c->fd >= 0 && c->up)
		tp_fd_watch(c);
}

/* The write side could not take everything: wait for room (or stop waiting). */
static void tp_fd_blocked(struct tp_conn *c, bool blocked)
{
	if (c->blocked_write != blocked) {
		c->blocked_write = blocked;
		tp_fd_watch(c);
	}
}

/* Stop watching *fd and close it. */
static void tp_fd_release(struct tp_net *n, int *fd)
{
	if (*fd >= 0) {
		evloop_fd_set(n->loop, *fd, 0, NULL, NULL);
		close(*fd);
		*fd = -1;
	}
}

void tp_fd_close(struct tp_conn *c) { tp_fd_release(c->net, &c->fd); }

int tp_fd_flushed(struct tp_conn *c, int rc)
{
	if (rc == 0 || rc == -EAGAIN)
		tp_fd_blocked(c, rc == -EAGAIN);
	return rc;
}

/* connect() was started on fd: writable (or an error) means the handshake finished. */
static int tp_fd_connecting(struct tp_conn *c, int fd, char *err, size_t errsz)
{
	c->fd = fd;
	int rc = evloop_fd_set(c->net->loop, fd, EVLOOP_WRITE, tp_fd_on_event, c);
	if (rc < 0) {
		snprintf(err, errsz, "evloop: %s", strerror(-rc));
		tp_fd_close(c);
	}
	return rc;
}

static void tp_fd_on_accept(struct evloop *l, int fd, int events, void *ud)
{
	struct tp_listener *ls = ud;
	for (int i = 0; i < TCP_ACCEPT_BATCH; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0)
			return; /* EAGAIN, or a transient error (EMFILE, ECONNABORTED): next event */
		struct tp_conn *c = tp_conn_alloc(ls->net, ls->ops, &ls->o);
		if (!c) {
			close(cfd);
			return;
		}
		c->fd = cfd;
		c->up = true;
		c->ops->established(c);
		if (tp_fd_watch(c) < 0) {
			tp_close(c);
			continue;
		}
		tp_accepted(ls, c);
	}
}

/* fd is bound: listen and watch for connections. */
static int tp_fd_listening(struct tp_listener *ls, int fd, const struct tp_endpoint *ep,
			   char *err, size_t errsz)
{
	if (listen(fd, 128) < 0) {
		int e = errno;
		snprintf(err, errsz, "listen(%s:%u): %s", ep->addrs[0], ep->port, strerror(e));
		close(fd);
		return -e;
	}
	struct sockaddr_storage bound;
	socklen_t bl = sizeof(bound);
	if (getsockname(fd, (struct sockaddr *)&bound, &bl) == 0)
		ls->port = ntohs(bound.ss_family == AF_INET6
					 ? ((struct sockaddr_in6 *)&bound)->sin6_port
					 : ((struct sockaddr_in *)&bound)->sin_port);
	int rc = evloop_fd_set(ls->net->loop, fd, EVLOOP_READ, tp_fd_on_accept, ls);
	if (rc < 0) {
		snprintf(err, errsz, "evloop: %s", strerror(-rc));
		close(fd);
		return rc;
	}
	ls->fd = fd;
	return 0;
}

void tp_fd_close_listener(struct tp_listener *ls) { tp_fd_release(ls->net, &ls->fd); }

/* Bind fd to the addresses of ep (its port). */
static int tp_fd_bind(int fd, const struct tp_endpoint *ep, const struct tp_fd_proto *p, char *err,
		      size_t errsz)
{
	struct sockaddr_storage ss[TP_MAX_ADDRS];
	socklen_t lens[TP_MAX_ADDRS];
	int n = tp_endpoint_sockaddrs(ep, ep->port, ss, lens, p->max_addrs, err, errsz);
	if (n < 0)
		return n;
	if (p->bind(fd, ss, lens, n) < 0) {
		int e = errno;
		snprintf(err, errsz, "%s(%s:%u): %s", p->bind_name, ep->addrs[0], ep->port,
			 strerror(e));
		return -e;
	}
	return 0;
}

/* A socket for the family of ep's first address: the fd, or negative errno. */
static int tp_fd_open(const struct tp_endpoint *ep, const struct tp_opts *o,
		      const struct tp_fd_proto *p, char *err, size_t errsz)
{
	struct sockaddr_storage ss[TP_MAX_ADDRS];
	socklen_t lens[TP_MAX_ADDRS];
	if (tp_endpoint_sockaddrs(ep, ep->port, ss, lens, p->max_addrs, err, errsz) < 0)
		return -EINVAL;
	int fd = p->open(ss[0].ss_family, o, err, errsz);
	return fd < 0 ? -errno : fd;
}

int tp_fd_listen(struct tp_listener *ls, const struct tp_endpoint *ep, const struct tp_fd_proto *p,
		 char *err, size_t errsz)
{
	int fd = tp_fd_open(ep, &ls->o, p, err, errsz);
	if (fd < 0)
		return fd;
	int one = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int rc = tp_fd_bind(fd, ep, p, err, errsz);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return tp_fd_listening(ls, fd, ep, err, errsz);
}

int tp_fd_connect(struct tp_conn *c, const struct tp_endpoint *ep, const struct tp_fd_proto *p,
		  char *err, size_t errsz)
{
	struct sockaddr_storage ss[TP_MAX_ADDRS];
	socklen_t lens[TP_MAX_ADDRS];
	int n = tp_endpoint_sockaddrs(ep, ep->port, ss, lens, p->max_addrs, err, errsz);
	if (n < 0)
		return n;
	int fd = p->open(ss[0].ss_family, &c->o, err, errsz);
	if (fd < 0)
		return -errno;
	int rc;
	if (c->o.local && (rc = tp_fd_bind(fd, c->o.local, p, err, errsz)) < 0) {
		close(fd);
		return rc;
	}
	if (p->connect(fd, ss, lens, n) < 0 && errno != EINPROGRESS) {
		int e = errno;
		snprintf(err, errsz, "%s(%s:%u): %s", p->connect_name, ep->addrs[0], ep->port,
			 strerror(e));
		close(fd);
		return -e;
	}
	return tp_fd_connecting(c, fd, err, errsz);
}

/* ---- TCP ---------------------------------------------------------------------------------- */

static void tcp_established(struct tp_conn *c)
{
	int one = 1;
	/* best effort: latency matters more than packet count for signalling */
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	tp_fd_name_peer(c);
}

/* Deliver the complete frames in c->in. False when the connection failed. */
static bool tcp_parse(struct tp_conn *c)
{
	size_t off = 0;
	bool ok = true;
	while (!c->dead && !c->paused && !c->lingering) {
		long fl = c->o.frame(c->in + off, c->in_len - off);
		if (fl < 0) {
			tp_conn_fail(c, -EBADMSG);
			ok = false;
			break;
		}
		if (fl == 0) {
			/* a frame that cannot fit the buffer will never complete */
			if (off == 0 && c->in_len == c->in_cap) {
				tp_conn_fail(c, -EMSGSIZE);
				ok = false;
			}
			break;
		}
		if ((size_t)fl > c->o.max_msg) {
			tp_conn_fail(c, -EMSGSIZE);
			ok = false;
			break;
		}
		tp_conn_deliver(c, c->in + off, (size_t)fl, 0);
		off += (size_t)fl;
	}
	if (!c->dead && off > 0) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	return ok && !c->dead && !c->lingering;
}

static void tcp_input(struct tp_conn *c)
{
	if (c->paused || !tcp_parse(c) || c->paused)
		return;
	if (c->in_len == c->in_cap) /* tcp_parse() failed it already */
		return;
	ssize_t n = read(c->fd, c->in + c->in_len, c->in_cap - c->in_len);
	if (n > 0) {
		c->in_len += (size_t)n;
		tcp_parse(c);
	} else if (n == 0) {
		tp_conn_fail(c, 0);
	} else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
		tp_conn_fail(c, -errno);
	}
}

static int tcp_write(struct tp_conn *c)
{
	struct tp_outq *q = &c->out;
	while (q->bytes > 0) {
		struct iovec iov[TCP_IOV_MAX];
		int n = 0;
		size_t off = q->head;
		uint32_t len;
		uint16_t stream;
		const uint8_t *p;
		while (n < TCP_IOV_MAX && (p = tp_outq_peek(q, &off, &len, &stream))) {
			size_t skip = n == 0 ? q->partial : 0;
			iov[n].iov_base = (void *)(p + skip);
			iov[n].iov_len = len - skip;
			n++;
		}
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)n};
		ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
		}
		tp_outq_consume(q, (size_t)w);
	}
	return 0;
}

static int tcp_flush(struct tp_conn *c) { return tp_fd_flushed(c, tcp_write(c)); }

static int tcp_socket(int family, const struct tp_opts *o, char *err, size_t errsz)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		snprintf(err, errsz, "socket(TCP): %s", strerror(errno));
	return fd;
}

static int tcp_bind(int fd, const struct sockaddr_storage *ss, const socklen_t *lens, int n)
{
	return bind(fd, (const struct sockaddr *)&ss[0], lens[0]);
}

static int tcp_connect_start(int fd, const struct sockaddr_storage *ss, const socklen_t *lens,
			     int n)
{
	return connect(fd, (const struct sockaddr *)&ss[0], lens[0]);
}

static const struct tp_fd_proto tcp_proto = {
	.max_addrs = 1,
	.open = tcp_socket,
	.bind = tcp_bind,
	.connect = tcp_connect_start,
	.bind_name = "bind",
	.connect_name = "connect",
};

static int tcp_connect(struct tp_conn *c, const struct tp_endpoint *ep, char *err, size_t errsz)
{
	return tp_fd_connect(c, ep, &tcp_proto, err, errsz);
}

static int tcp_listen(struct tp_listener *ls, const struct tp_endpoint *ep, char *err, size_t errsz)
{
	return tp_fd_listen(ls, ep, &tcp_proto, err, errsz);
}

const struct tp_ops tp_tcp_ops = {
	.kind = TP_TCP,
	.name = "tcp",
	.listen = tcp_listen,
	.connect = tcp_connect,
	.input = tcp_input,
	.flush = tcp_flush,
	.established = tcp_established,
	.read_changed = tp_fd_read_changed,
	.close = tp_fd_close,
	.close_listener = tp_fd_close_listener,
};
