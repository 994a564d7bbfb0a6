/* Kernel SCTP through lksctp: one-to-one style sockets (SOCK_STREAM, IPPROTO_SCTP), streams per
 * message, multi-homing with sctp_bindx/sctp_connectx. Chosen at run time: the kernel may not
 * have SCTP at all (tp_ksctp_available()). Built only with lksctp (DFSG_HAVE_LKSCTP). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "transport_int.h"

#ifdef DFSG_HAVE_LKSCTP
#include <netinet/sctp.h>

#define KSCTP_RECV_BATCH 256

bool tp_ksctp_available(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_SCTP);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int ksctp_socket(int family, const struct tp_opts *o, char *err, size_t errsz)
{
	int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_SCTP);
	if (fd < 0) {
		snprintf(err, errsz, "socket(SCTP): %s", strerror(errno));
		return -1;
	}
	int one = 1;
	struct sctp_initmsg init = {.sinit_num_ostreams = o->streams,
				    .sinit_max_instreams = o->streams};
	struct sctp_event_subscribe ev;
	memset(&ev, 0, sizeof(ev));
	ev.sctp_data_io_event = 1; /* stream ids with every message */
	ev.sctp_association_event = 1;
	ev.sctp_shutdown_event = 1;
	if (setsockopt(fd, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof(init)) < 0 ||
	    setsockopt(fd, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof(ev)) < 0) {
		int e = errno;
		snprintf(err, errsz, "setsockopt(SCTP): %s", strerror(e));
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Bind every address of ep (one or more: multi-homing). */
static int ksctp_bind(int fd, const struct tp_endpoint *ep, char *err, size_t errsz)
{
	struct sockaddr_storage ss[TP_MAX_ADDRS];
	socklen_t lens[TP_MAX_ADDRS];
	int n = tp_endpoint_sockaddrs(ep, ep->port, ss, lens, TP_MAX_ADDRS, err, errsz);
	if (n < 0)
		return n;
	uint8_t packed[sizeof(ss)];
	size_t plen = tp_sockaddrs_pack(ss, lens, (unsigned)n, packed, sizeof(packed));
	if (plen == 0 || sctp_bindx(fd, (struct sockaddr *)packed, n, SCTP_BINDX_ADD_ADDR) < 0) {
		snprintf(err, errsz, "sctp_bindx(%s:%u): %s", ep->addrs[0], ep->port, strerror(errno));
		return -errno;
	}
	return 0;
}

static void ksctp_established(struct tp_conn *c)
{
	struct sctp_status st;
	socklen_t sl = sizeof(st);
	memset(&st, 0, sizeof(st));
	if (getsockopt(c->fd, IPPROTO_SCTP, SCTP_STATUS, &st, &sl) == 0 && st.sstat_outstrms > 0)
		c->out_streams = st.sstat_outstrms;
	tp_fd_name_peer(c);
}

static const struct tp_sctp_consts ksctp_consts = {
	.assoc_change = SCTP_ASSOC_CHANGE, .shutdown_event = SCTP_SHUTDOWN_EVENT,
	.comm_up = SCTP_COMM_UP, .restart = SCTP_RESTART, .comm_lost = SCTP_COMM_LOST,
	.cant_start = SCTP_CANT_STR_ASSOC, .shutdown_comp = SCTP_SHUTDOWN_COMP,
	.off_state = offsetof(struct sctp_assoc_change, sac_state),
	.off_out_streams = offsetof(struct sctp_assoc_change, sac_outbound_streams),
};

static void ksctp_input(struct tp_conn *c)
{
	for (int i = 0; i < KSCTP_RECV_BATCH; i++) {
		if (c->dead || c->paused || c->lingering)
			return;
		struct sctp_sndrcvinfo sinfo;
		int flags = 0;
		memset(&sinfo, 0, sizeof(sinfo));
		int n = sctp_recvmsg(c->fd, c->in + c->in_len, c->in_cap - c->in_len, NULL, NULL,
				     &sinfo, &flags);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				tp_conn_fail(c, -errno);
			return;
		}
		if (n == 0) {
			tp_conn_fail(c, 0);
			return;
		}
		size_t len;
		int rc = tp_sctp_received(c, (size_t)n, flags & MSG_EOR, flags & MSG_NOTIFICATION,
					  sinfo.sinfo_stream, &len);
		if (rc < 0)
			return;
		if (rc == 1)
			tp_sctp_notification(c, &ksctp_consts, c->in, len);
	}
	/* level-triggered: epoll reports the rest on the next iteration */
}

static int ksctp_flush(struct tp_conn *c)
{
	struct tp_outq *q = &c->out;
	while (q->bytes > 0) {
		size_t off = q->head;
		uint32_t len;
		uint16_t stream;
		const uint8_t *p = tp_outq_peek(q, &off, &len, &stream);
		struct sctp_sndrcvinfo sinfo;
		memset(&sinfo, 0, sizeof(sinfo));
		sinfo.sinfo_stream = stream;
		sinfo.sinfo_ppid = htonl(c->o.ppid);
		char cbuf[CMSG_SPACE(sizeof(sinfo))];
		memset(cbuf, 0, sizeof(cbuf));
		struct iovec iov = {.iov_base = (void *)p, .iov_len = len};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf)};
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = IPPROTO_SCTP;
		cm->cmsg_type = SCTP_SNDRCV;
		cm->cmsg_len = CMSG_LEN(sizeof(sinfo));
		memcpy(CMSG_DATA(cm), &sinfo, sizeof(sinfo));
		ssize_t w = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				tp_fd_blocked(c, true);
				return -EAGAIN;
			}
			return -errno;
		}
		tp_outq_consume(q, len);
	}
	tp_fd_blocked(c, false);
	return 0;
}

static int ksctp_connect(struct tp_conn *c, const struct tp_endpoint *ep, char *err, size_t errsz)
{
	struct sockaddr_storage ss[TP_MAX_ADDRS];
	socklen_t lens[TP_MAX_ADDRS];
	int n = tp_endpoint_sockaddrs(ep, ep->port, ss, lens, TP_MAX_ADDRS, err, errsz);
	if (n < 0)
		return n;
	int fd = ksctp_socket(ss[0].ss_family, &c->o, err, errsz);
	if (fd < 0)
		return -errno;
	int rc;
	if (c->o.local && (rc = ksctp_bind(fd, c->o.local, err, errsz)) < 0) {
		close(fd);
		return rc;
	}
	uint8_t packed[sizeof(ss)];
	size_t plen = tp_sockaddrs_pack(ss, lens, (unsigned)n, packed, sizeof(packed));
	if (plen == 0 || (sctp_connectx(fd, (struct sockaddr *)packed, n, NULL) < 0 &&
			  errno != EINPROGRESS)) {
		int e = errno;
		snprintf(err, errsz, "sctp_connectx(%s:%u): %s", ep->addrs[0], ep->port, strerror(e));
		close(fd);
		return -e;
	}
	return tp_fd_connecting(c, fd, err, errsz);
}

static int ksctp_listen(struct tp_listener *ls, const struct tp_endpoint *ep, char *err,
			size_t errsz)
{
	struct sockaddr_storage ss[1];
	socklen_t lens[1];
	if (tp_endpoint_sockaddrs(ep, ep->port, ss, lens, TP_MAX_ADDRS, err, errsz) < 0)
		return -EINVAL;
	int fd = ksctp_socket(ss[0].ss_family, &ls->o, err, errsz);
	if (fd < 0)
		return -errno;
	int one = 1;
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	int rc = ksctp_bind(fd, ep, err, errsz);
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return tp_fd_listening(ls, fd, ep, err, errsz);
}

const struct tp_ops tp_ksctp_ops = {
	.kind = TP_KSCTP,
	.name = "ksctp",
	.listen = ksctp_listen,
	.connect = ksctp_connect,
	.input = ksctp_input,
	.flush = ksctp_flush,
	.established = ksctp_established,
	.read_changed = tp_fd_read_changed,
	.close = tp_fd_close,
	.close_listener = tp_fd_close_listener,
};

#else /* !DFSG_HAVE_LKSCTP: this build cannot use kernel SCTP */

bool tp_ksctp_available(void) { return false; }

static int ksctp_unavailable(struct tp_conn *c, const struct tp_endpoint *ep, char *err,
			     size_t errsz)
{
	snprintf(err, errsz, "kernel SCTP: built without lksctp");
	return -EPROTONOSUPPORT;
}

static int ksctp_unavailable_listen(struct tp_listener *ls, const struct tp_endpoint *ep,
				    char *err, size_t errsz)
{
	snprintf(err, errsz, "kernel SCTP: built without lksctp");
	return -EPROTONOSUPPORT;
}

const struct tp_ops tp_ksctp_ops = {
	.kind = TP_KSCTP,
	.name = "ksctp",
	.listen = ksctp_unavailable_listen,
	.connect = ksctp_unavailable,
	.close = tp_fd_close,
	.close_listener = tp_fd_close_listener,
};
#endif
