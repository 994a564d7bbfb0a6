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

/* sctp_bindx or sctp_connectx with every address (one or more: multi-homing). */
static int ksctp_addrs(int fd, const struct sockaddr_storage *ss, const socklen_t *lens, int n,
		       bool connect)
{
	uint8_t packed[TP_MAX_ADDRS * sizeof(*ss)];
	if (tp_sockaddrs_pack(ss, lens, (unsigned)n, packed, sizeof(packed)) == 0) {
		errno = EINVAL;
		return -1;
	}
	return connect ? sctp_connectx(fd, (struct sockaddr *)packed, n, NULL)
		       : sctp_bindx(fd, (struct sockaddr *)packed, n, SCTP_BINDX_ADD_ADDR);
}

static int ksctp_bind(int fd, const struct sockaddr_storage *ss, const socklen_t *lens, int n)
{
	return ksctp_addrs(fd, ss, lens, n, false);
}

static int ksctp_connectx(int fd, const struct sockaddr_storage *ss, const socklen_t *lens, int n)
{
	return ksctp_addrs(fd, ss, lens, n, true);
}

static const struct tp_fd_proto ksctp_proto = {
	.max_addrs = TP_MAX_ADDRS,
	.open = ksctp_socket,
	.bind = ksctp_bind,
	.connect = ksctp_connectx,
	.bind_name = "sctp_bindx",
	.connect_name = "sctp_connectx",
};

static void ksctp_established(struct tp_conn *c)
{
	struct sctp_status st;
	socklen_t sl = sizeof(st);
	memset(&st, 0, sizeof(st));
	if (getsockopt(c->fd, IPPROTO_SCTP, SCTP_STATUS, &st, &sl) == 0 && st.sstat_outstrms > 0)
		c->out_streams = st.sstat_outstrms;
	tp_fd_name_peer(c);
}

static const struct tp_sctp_consts ksctp_consts = TP_SCTP_CONSTS_INIT;

static ssize_t ksctp_recv(struct tp_conn *c, bool *eor, bool *notification, uint16_t *sid)
{
	struct sctp_sndrcvinfo sinfo;
	int flags = 0;
	memset(&sinfo, 0, sizeof(sinfo));
	int n = sctp_recvmsg(c->fd, c->in + c->in_len, c->in_cap - c->in_len, NULL, NULL, &sinfo,
			     &flags);
	*eor = flags & MSG_EOR;
	*notification = flags & MSG_NOTIFICATION;
	*sid = sinfo.sinfo_stream;
	return n;
}

static void ksctp_input(struct tp_conn *c)
{
	/* level-triggered: epoll reports what is left after a batch on the next iteration */
	(void)tp_sctp_input(c, KSCTP_RECV_BATCH, ksctp_recv, &ksctp_consts);
}

static int ksctp_send(struct tp_conn *c, const uint8_t *p, uint32_t len, uint16_t stream)
{
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
	return sendmsg(c->fd, &mh, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static int ksctp_flush(struct tp_conn *c) { return tp_fd_flushed(c, tp_sctp_flush(c, ksctp_send)); }

static int ksctp_listen(struct tp_listener *ls, const struct tp_endpoint *ep, char *err,
			size_t errsz)
{
	return tp_fd_listen(ls, ep, &ksctp_proto, err, errsz);
}

static int ksctp_connect(struct tp_conn *c, const struct tp_endpoint *ep, char *err, size_t errsz)
{
	return tp_fd_connect(c, ep, &ksctp_proto, err, errsz);
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

static int ksctp_unavailable(char *err, size_t errsz)
{
	snprintf(err, errsz, "kernel SCTP: built without lksctp");
	return -EPROTONOSUPPORT;
}

static int ksctp_unavailable_connect(struct tp_conn *c, const struct tp_endpoint *ep, char *err,
				     size_t errsz)
{
	return ksctp_unavailable(err, errsz);
}

static int ksctp_unavailable_listen(struct tp_listener *ls, const struct tp_endpoint *ep,
				    char *err, size_t errsz)
{
	return ksctp_unavailable(err, errsz);
}

const struct tp_ops tp_ksctp_ops = {
	.kind = TP_KSCTP,
	.name = "ksctp",
	.listen = ksctp_unavailable_listen,
	.connect = ksctp_unavailable_connect,
	.close = tp_fd_close,
	.close_listener = tp_fd_close_listener,
};
#endif
