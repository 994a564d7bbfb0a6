/* SCTP over UDP encapsulation (RFC 6951) with the usrsctp userland stack.
 *
 * usrsctp runs its own threads (UDP receive, timers). Its sockets are non-blocking with an
 * upcall; the upcall (on a usrsctp thread) only records the socket in a ready list and signals
 * an eventfd watched by the event loop, which then reads, writes and accepts on the loop thread.
 * The upcall never dereferences connection state, so a socket closed in the meantime is simply
 * not found in the list of live sockets. */
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <usrsctp.h>

#include "transport_int.h"

#define US_RECV_BATCH 256  /* messages per socket per wakeup before yielding to the loop */
#define US_FINISH_TRIES 300 /* 10 ms apart: associations finish their SHUTDOWN first */

struct tp_usrsctp {
	struct tp_net *net;
	uint16_t port;
	int efd;
	pthread_mutex_t mu;
	struct socket **ready; /* filled by upcalls, under mu */
	size_t nready, cap;
	struct socket **work; /* the loop thread's copy */
	size_t work_cap;
};

/* usrsctp keeps one stack per process (usrsctp_init/usrsctp_finish act on library globals), so
 * this flag mirrors that state: it is the library's constraint, not ours. */
static atomic_flag us_stack_taken = ATOMIC_FLAG_INIT;

static void us_upcall(struct socket *so, void *arg, int flags)
{
	struct tp_usrsctp *us = arg;
	bool signal = false;
	pthread_mutex_lock(&us->mu);
	size_t i;
	for (i = 0; i < us->nready; i++)
		if (us->ready[i] == so)
			break;
	if (i == us->nready) {
		if (us->nready == us->cap) {
			size_t cap = us->cap ? us->cap * 2 : 16;
			struct socket **r = realloc(us->ready, cap * sizeof(*r));
			if (r) {
				us->ready = r;
				us->cap = cap;
			}
		}
		if (us->nready < us->cap) {
			us->ready[us->nready++] = so;
			signal = us->nready == 1;
		}
	}
	pthread_mutex_unlock(&us->mu);
	if (signal) {
		uint64_t one = 1;
		(void)!write(us->efd, &one, sizeof(one));
	}
}

static void us_input(struct tp_conn *c);
static int us_flush(struct tp_conn *c);
static void us_accept_all(struct tp_listener *ls);

static void us_conn_fill_streams(struct tp_conn *c)
{
	struct sctp_status st;
	socklen_t sl = sizeof(st);
	memset(&st, 0, sizeof(st));
	if (usrsctp_getsockopt(c->so, IPPROTO_SCTP, SCTP_STATUS, &st, &sl) == 0 &&
	    st.sstat_outstrms > 0)
		c->out_streams = st.sstat_outstrms;
	else
		c->out_streams = 1;
}

static void us_conn_name_peer(struct tp_conn *c)
{
	struct sockaddr *addrs = NULL;
	int n = usrsctp_getpaddrs(c->so, 0, &addrs);
	if (n > 0 && addrs)
		tp_sockaddr_name(addrs, c->peer, sizeof(c->peer));
	if (addrs)
		usrsctp_freepaddrs(addrs);
}

static void us_handle_ready(struct tp_usrsctp *us, struct socket *so)
{
	struct tp_net *n = us->net;
	for (struct tp_listener *ls = n->listeners; ls; ls = ls->next) {
		if (ls->so == so && ls->ops == &tp_usrsctp_ops) {
			us_accept_all(ls);
			return;
		}
	}
	for (struct tp_conn *c = n->conns; c; c = c->next) {
		if (c->so != so || c->ops != &tp_usrsctp_ops || c->dead)
			continue;
		tp_conn_hold(c);
		if (c->out.bytes > 0 && c->up)
			tp_conn_flush(c);
		if (!c->dead && !c->paused)
			us_input(c);
		tp_conn_release(c);
		return;
	}
}

static void us_on_wake(struct evloop *l, int fd, int events, void *ud)
{
	struct tp_usrsctp *us = ud;
	uint64_t v;
	(void)!read(us->efd, &v, sizeof(v));
	pthread_mutex_lock(&us->mu);
	size_t n = us->nready;
	if (n > us->work_cap) {
		struct socket **w = realloc(us->work, n * sizeof(*w));
		if (!w) { /* keep them for the next wakeup */
			pthread_mutex_unlock(&us->mu);
			uint64_t one = 1;
			(void)!write(us->efd, &one, sizeof(one));
			return;
		}
		us->work = w;
		us->work_cap = n;
	}
	if (n)
		memcpy(us->work, us->ready, n * sizeof(*us->work));
	us->nready = 0;
	pthread_mutex_unlock(&us->mu);
	for (size_t i = 0; i < n; i++)
		us_handle_ready(us, us->work[i]);
}

static void us_forget(struct tp_net *n, struct socket *so)
{
	struct tp_usrsctp *us = n->us;
	if (!us)
		return;
	pthread_mutex_lock(&us->mu);
	size_t j = 0;
	for (size_t i = 0; i < us->nready; i++)
		if (us->ready[i] != so)
			us->ready[j++] = us->ready[i];
	us->nready = j;
	pthread_mutex_unlock(&us->mu);
}

/* The UDP port usrsctp should bind: ask the kernel for a free one. */
static int us_pick_udp_port(uint16_t *port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	struct sockaddr_in sin = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sin);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sin, &sl) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	close(fd);
	*port = ntohs(sin.sin_port);
	return 0;
}

/* usrsctp_init() does not report a failed UDP bind: check that the port is taken now. */
static bool us_udp_port_bound(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return true; /* cannot tell */
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	bool taken = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 && errno == EADDRINUSE;
	close(fd);
	return taken;
}

int tp_net_usrsctp_start(struct tp_net *n, uint16_t udp_port, char *err, size_t errsz)
{
	if (n->us) {
		snprintf(err, errsz, "usrsctp: already started on UDP port %u", n->us->port);
		return -EALREADY;
	}
	if (atomic_flag_test_and_set(&us_stack_taken)) {
		snprintf(err, errsz, "usrsctp: the process-wide stack is in use by another tp_net");
		return -EBUSY;
	}
	int rc = 0;
	if (udp_port == 0 && (rc = us_pick_udp_port(&udp_port)) < 0) {
		snprintf(err, errsz, "usrsctp: no free UDP port: %s", strerror(-rc));
		atomic_flag_clear(&us_stack_taken);
		return rc;
	}
	struct tp_usrsctp *us = calloc(1, sizeof(*us));
	if (!us) {
		snprintf(err, errsz, "usrsctp: out of memory");
		atomic_flag_clear(&us_stack_taken);
		return -ENOMEM;
	}
	us->net = n;
	us->port = udp_port;
	pthread_mutex_init(&us->mu, NULL);
	us->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (us->efd < 0 ||
	    (rc = evloop_fd_set(n->loop, us->efd, EVLOOP_READ, us_on_wake, us)) < 0) {
		rc = us->efd < 0 ? -errno : rc;
		snprintf(err, errsz, "usrsctp: eventfd: %s", strerror(-rc));
		if (us->efd >= 0)
			close(us->efd);
		pthread_mutex_destroy(&us->mu);
		free(us);
		atomic_flag_clear(&us_stack_taken);
		return rc;
	}
	usrsctp_init(udp_port, NULL, NULL);
	n->us = us;
	if (!us_udp_port_bound(udp_port)) {
		snprintf(err, errsz, "usrsctp: could not bind UDP port %u", udp_port);
		tp_usrsctp_stop(n);
		return -EADDRINUSE;
	}
	return 0;
}

uint16_t tp_net_usrsctp_port(const struct tp_net *n) { return n->us ? n->us->port : 0; }

void tp_usrsctp_stop(struct tp_net *n)
{
	struct tp_usrsctp *us = n->us;
	if (!us)
		return;
	/* every usrsctp socket is closed by now; associations may still be shutting down */
	int tries = 0;
	while (usrsctp_finish() != 0 && ++tries < US_FINISH_TRIES)
		usleep(10000);
	evloop_fd_set(n->loop, us->efd, 0, NULL, NULL);
	close(us->efd);
	pthread_mutex_destroy(&us->mu);
	free(us->ready);
	free(us->work);
	free(us);
	n->us = NULL;
	/* a stack that did not finish cannot be started again in this process */
	if (tries < US_FINISH_TRIES)
		atomic_flag_clear(&us_stack_taken);
}

/* ---- sockets ------------------------------------------------------------------------------ */

static int us_setup_socket(struct tp_net *n, struct socket *so, const struct tp_opts *o,
			   char *err, size_t errsz)
{
	int one = 1;
	struct sctp_initmsg init = {.sinit_num_ostreams = o->streams,
				    .sinit_max_instreams = o->streams};
	if (usrsctp_set_non_blocking(so, 1) < 0 ||
	    usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof(one)) < 0 ||
	    usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_RECVRCVINFO, &one, sizeof(one)) < 0 ||
	    usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init)) < 0) {
		snprintf(err, errsz, "usrsctp_setsockopt: %s", strerror(errno));
		return -errno;
	}
	const uint16_t events[] = {SCTP_ASSOC_CHANGE, SCTP_SHUTDOWN_EVENT};
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		struct sctp_event ev = {.se_assoc_id = SCTP_ALL_ASSOC, .se_type = events[i], .se_on = 1};
		if (usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof(ev)) < 0) {
			snprintf(err, errsz, "usrsctp_setsockopt(SCTP_EVENT): %s", strerror(errno));
			return -errno;
		}
	}
	usrsctp_set_upcall(so, us_upcall, n->us);
	return 0;
}

static void us_release_socket(struct tp_net *n, struct socket *so)
{
	usrsctp_set_upcall(so, NULL, NULL);
	us_forget(n, so);
	usrsctp_close(so);
}

static const struct tp_sctp_consts us_consts = TP_SCTP_CONSTS_INIT;

static ssize_t us_recv(struct tp_conn *c, bool *eor, bool *notification, uint16_t *sid)
{
	struct sctp_rcvinfo rcv;
	socklen_t infolen = sizeof(rcv);
	unsigned int infotype = 0;
	int flags = 0;
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	memset(&rcv, 0, sizeof(rcv));
	ssize_t n = usrsctp_recvv(c->so, c->in + c->in_len, c->in_cap - c->in_len,
				  (struct sockaddr *)&from, &fromlen, &rcv, &infolen, &infotype, &flags);
	if (n < 0 && errno == ENOTCONN && !c->up)
		errno = EAGAIN; /* still connecting */
	*eor = flags & MSG_EOR;
	*notification = flags & MSG_NOTIFICATION;
	*sid = infotype == SCTP_RECVV_RCVINFO ? rcv.rcv_sid : 0;
	return n;
}

static void us_input(struct tp_conn *c)
{
	/* more may be waiting after a batch: come back on the next iteration rather than starve
	 * the loop */
	if (tp_sctp_input(c, US_RECV_BATCH, us_recv, &us_consts))
		tp_conn_schedule_input(c);
}

static int us_send(struct tp_conn *c, const uint8_t *p, uint32_t len, uint16_t stream)
{
	struct sctp_sndinfo snd = {.snd_sid = stream, .snd_ppid = htonl(c->o.ppid)};
	if (usrsctp_sendv(c->so, p, len, NULL, 0, &snd, sizeof(snd), SCTP_SENDV_SNDINFO, 0) >= 0)
		return 0;
	/* no room: the upcall reports it */
	return errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS ? -EAGAIN : -errno;
}

static int us_flush(struct tp_conn *c) { return tp_sctp_flush(c, us_send); }

static void us_established(struct tp_conn *c)
{
	us_conn_fill_streams(c);
	us_conn_name_peer(c);
}

static void us_read_changed(struct tp_conn *c)
{
	/* nothing to unregister: while paused, input is not read and the receive window fills */
}

static void us_close(struct tp_conn *c)
{
	if (c->so) {
		us_release_socket(c->net, c->so);
		c->so = NULL;
	}
}

static struct socket *us_socket(struct tp_net *n, int family, const struct tp_opts *o, char *err,
				size_t errsz)
{
	struct socket *so = usrsctp_socket(family, SOCK_STREAM, IPPROTO_SCTP, NULL, NULL, 0, NULL);
	if (!so) {
		snprintf(err, errsz, "usrsctp_socket: %s", strerror(errno));
		return NULL;
	}
	if (us_setup_socket(n, so, o, err, errsz) < 0) {
		usrsctp_close(so);
		return NULL;
	}
	return so;
}

/* Bind all local addresses: the first with bind, the rest with bindx (multi-homing). */
static int us_bind_all(struct socket *so, const struct tp_endpoint *ep, uint16_t port, char *err,
		       size_t errsz)
{
	struct sockaddr_storage ss[TP_MAX_ADDRS];
	socklen_t lens[TP_MAX_ADDRS];
	int n = tp_endpoint_sockaddrs(ep, port, ss, lens, TP_MAX_ADDRS, err, errsz);
	if (n < 0)
		return n;
	if (usrsctp_bind(so, (struct sockaddr *)&ss[0], lens[0]) < 0) {
		snprintf(err, errsz, "usrsctp_bind(%s:%u): %s", ep->addrs[0], port, strerror(errno));
		return -errno;
	}
	for (int i = 1; i < n; i++) {
		if (usrsctp_bindx(so, (struct sockaddr *)&ss[i], 1, SCTP_BINDX_ADD_ADDR) < 0) {
			snprintf(err, errsz, "usrsctp_bindx(%s): %s", ep->addrs[i], strerror(errno));
			return -errno;
		}
	}
	return 0;
}

static int us_connect(struct tp_conn *c, const struct tp_endpoint *ep, char *err, size_t errsz)
{
	struct tp_net *n = c->net;
	struct sockaddr_storage ss[TP_MAX_ADDRS];
	socklen_t lens[TP_MAX_ADDRS];
	int na = tp_endpoint_sockaddrs(ep, ep->port, ss, lens, TP_MAX_ADDRS, err, errsz);
	if (na < 0)
		return na;
	struct socket *so = us_socket(n, ss[0].ss_family, &c->o, err, errsz);
	if (!so)
		return -EIO;
	struct sctp_udpencaps enc;
	memset(&enc, 0, sizeof(enc));
	enc.sue_address.ss_family = ss[0].ss_family;
	enc.sue_port = htons(ep->udp_port ? ep->udp_port : n->us->port);
	if (usrsctp_setsockopt(so, IPPROTO_SCTP, SCTP_REMOTE_UDP_ENCAPS_PORT, &enc, sizeof(enc)) < 0) {
		snprintf(err, errsz, "usrsctp_setsockopt(SCTP_REMOTE_UDP_ENCAPS_PORT): %s",
			 strerror(errno));
		us_release_socket(n, so);
		return -EIO;
	}
	if (c->o.local && us_bind_all(so, c->o.local, c->o.local->port, err, errsz) < 0) {
		us_release_socket(n, so);
		return -EADDRNOTAVAIL;
	}
	uint8_t packed[TP_MAX_ADDRS * sizeof(struct sockaddr_storage)];
	size_t plen = tp_sockaddrs_pack(ss, lens, (unsigned)na, packed, sizeof(packed));
	int rc = na == 1 ? usrsctp_connect(so, (struct sockaddr *)&ss[0], lens[0])
			 : usrsctp_connectx(so, (const struct sockaddr *)packed, na, NULL);
	if (plen == 0 || (rc < 0 && errno != EINPROGRESS)) {
		int e = errno;
		snprintf(err, errsz, "usrsctp_connect(%s:%u): %s", ep->addrs[0], ep->port, strerror(e));
		us_release_socket(n, so);
		return -e;
	}
	c->so = so;
	snprintf(c->peer, sizeof(c->peer), "%s:%u", ep->addrs[0], ep->port);
	return 0;
}

static void us_accept_all(struct tp_listener *ls)
{
	for (;;) {
		struct socket *so = usrsctp_accept(ls->so, NULL, NULL);
		if (!so)
			return;
		char err[128];
		struct tp_conn *c = tp_conn_alloc(ls->net, &tp_usrsctp_ops, &ls->o);
		if (!c || us_setup_socket(ls->net, so, &ls->o, err, sizeof(err)) < 0) {
			us_release_socket(ls->net, so);
			tp_close(c);
			continue;
		}
		c->so = so;
		us_established(c);
		tp_accepted(ls, c);
	}
}

static int us_listen(struct tp_listener *ls, const struct tp_endpoint *ep, char *err, size_t errsz)
{
	struct sockaddr_storage ss[TP_MAX_ADDRS];
	socklen_t lens[TP_MAX_ADDRS];
	if (tp_endpoint_sockaddrs(ep, ep->port, ss, lens, TP_MAX_ADDRS, err, errsz) < 0)
		return -EINVAL;
	struct socket *so = us_socket(ls->net, ss[0].ss_family, &ls->o, err, errsz);
	if (!so)
		return -EIO;
	if (us_bind_all(so, ep, ep->port, err, errsz) < 0 || usrsctp_listen(so, 128) < 0) {
		if (!err[0])
			snprintf(err, errsz, "usrsctp_listen: %s", strerror(errno));
		us_release_socket(ls->net, so);
		return -EIO;
	}
	ls->port = ep->port;
	struct sockaddr *addrs = NULL;
	if (usrsctp_getladdrs(so, 0, &addrs) > 0 && addrs) {
		if (addrs->sa_family == AF_INET)
			ls->port = ntohs(((struct sockaddr_in *)addrs)->sin_port);
		else if (addrs->sa_family == AF_INET6)
			ls->port = ntohs(((struct sockaddr_in6 *)addrs)->sin6_port);
	}
	if (addrs)
		usrsctp_freeladdrs(addrs);
	ls->so = so;
	return 0;
}

static void us_close_listener(struct tp_listener *ls)
{
	if (ls->so) {
		us_release_socket(ls->net, ls->so);
		ls->so = NULL;
	}
}

const struct tp_ops tp_usrsctp_ops = {
	.kind = TP_USRSCTP,
	.name = "usrsctp",
	.listen = us_listen,
	.connect = us_connect,
	.input = us_input,
	.flush = us_flush,
	.established = us_established,
	.read_changed = us_read_changed,
	.close = us_close,
	.close_listener = us_close_listener,
};
