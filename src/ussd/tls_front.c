/* OpenSSL TLS termination in front of libmicrohttpd, see tls_front.h. */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "tls_front.h"

#define TLS_MAX_CONNS 512
#define TLS_IDLE_MS 30000

struct tls_front {
	SSL_CTX *ctx;
	struct MHD_Daemon *d;
	int lfd;
	unsigned port;
	int stop_pipe[2];
	pthread_t acceptor;
	atomic_int active;
	atomic_bool stopping;
};

struct tls_conn {
	struct tls_front *t;
	int fd;
	struct sockaddr_storage peer;
	socklen_t peerlen;
};

int tcp_listen(const char *host, unsigned port, unsigned *bound, char *err, size_t errsz)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
	struct addrinfo *ai = NULL;
	char ps[8];
	snprintf(ps, sizeof(ps), "%u", port);
	int rc = getaddrinfo(host, ps, &hints, &ai);
	if (rc) {
		snprintf(err, errsz, "%s: %s", host, gai_strerror(rc));
		return -EINVAL;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errsz, "socket: %s", strerror(errno));
		freeaddrinfo(ai);
		return -errno;
	}
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 256)) {
		int e = errno;
		snprintf(err, errsz, "bind/listen %s:%u: %s", host, port, strerror(e));
		close(fd);
		freeaddrinfo(ai);
		return -e;
	}
	freeaddrinfo(ai);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	*bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						: ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

/* Plaintext pump between the TLS connection and MHD's end of the socketpair. */
static void pump(struct tls_front *t, SSL *ssl, int fd, int pfd)
{
	char buf[16384];
	int idle = 0;
	while (!atomic_load(&t->stopping) && idle < TLS_IDLE_MS) {
		struct pollfd p[2] = {{fd, POLLIN, 0}, {pfd, POLLIN, 0}};
		int n = SSL_pending(ssl) ? 1 : poll(p, 2, 250);
		if (n < 0 && errno != EINTR)
			return;
		if (n == 0) {
			idle += 250;
			continue;
		}
		idle = 0;
		if (SSL_pending(ssl) || (p[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			int r = SSL_read(ssl, buf, sizeof(buf));
			if (r <= 0) {
				int e = SSL_get_error(ssl, r);
				if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
					continue;
				return;
			}
			for (int off = 0; off < r;) {
				ssize_t w = write(pfd, buf + off, (size_t)(r - off));
				if (w <= 0)
					return;
				off += (int)w;
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = read(pfd, buf, sizeof(buf));
			if (r <= 0)
				return;
			if (SSL_write(ssl, buf, (int)r) <= 0)
				return;
		}
	}
}

static void *conn_main(void *arg)
{
	struct tls_conn *c = arg;
	struct tls_front *t = c->t;
	struct timeval tv = {10, 0};
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	SSL *ssl = SSL_new(t->ctx);
	int sv[2] = {-1, -1};
	if (ssl && SSL_set_fd(ssl, c->fd) == 1 && SSL_accept(ssl) == 1 &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0) {
		/* MHD owns sv[1] from here, also on failure */
		if (MHD_add_connection(t->d, sv[1], (const struct sockaddr *)&c->peer,
				       c->peerlen) == MHD_YES)
			pump(t, ssl, c->fd, sv[0]);
		close(sv[0]);
		SSL_shutdown(ssl);
	}
	ERR_clear_error();
	SSL_free(ssl);
	close(c->fd);
	free(c);
	atomic_fetch_sub(&t->active, 1);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct tls_front *t = arg;
	for (;;) {
		struct pollfd p[2] = {{t->lfd, POLLIN, 0}, {t->stop_pipe[0], POLLIN, 0}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		struct tls_conn *c = calloc(1, sizeof(*c));
		if (!c)
			continue;
		c->peerlen = sizeof(c->peer);
		c->fd = accept4(t->lfd, (struct sockaddr *)&c->peer, &c->peerlen, SOCK_CLOEXEC);
		if (c->fd < 0) {
			free(c);
			continue;
		}
		c->t = t;
		pthread_t th;
		pthread_attr_t at;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		if (atomic_fetch_add(&t->active, 1) >= TLS_MAX_CONNS ||
		    pthread_create(&th, &at, conn_main, c)) {
			atomic_fetch_sub(&t->active, 1);
			close(c->fd);
			free(c);
		}
		pthread_attr_destroy(&at);
	}
	return NULL;
}

int tls_front_start(struct tls_front **tp, const char *host, unsigned port, const char *cert,
		    const char *key, struct MHD_Daemon *d, char *err, size_t errsz)
{
	*tp = NULL;
	struct tls_front *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->d = d;
	t->lfd = -1;
	t->ctx = SSL_CTX_new(TLS_server_method());
	if (!t->ctx || !SSL_CTX_set_min_proto_version(t->ctx, TLS1_2_VERSION) ||
	    SSL_CTX_use_certificate_chain_file(t->ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(t->ctx, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(t->ctx) != 1) {
		unsigned long e = ERR_get_error();
		snprintf(err, errsz, "tls: %s / %s: %s", cert, key,
			 e ? ERR_reason_error_string(e) : "cannot set up");
		ERR_clear_error();
		SSL_CTX_free(t->ctx);
		free(t);
		return -EINVAL;
	}
	SSL_CTX_set_options(t->ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	int fd = tcp_listen(host, port, &t->port, err, errsz);
	if (fd < 0 || pipe2(t->stop_pipe, O_CLOEXEC)) {
		if (fd >= 0)
			close(fd);
		SSL_CTX_free(t->ctx);
		free(t);
		return fd < 0 ? fd : -errno;
	}
	t->lfd = fd;
	if (pthread_create(&t->acceptor, NULL, accept_main, t)) {
		close(fd);
		close(t->stop_pipe[0]);
		close(t->stop_pipe[1]);
		SSL_CTX_free(t->ctx);
		free(t);
		return -EAGAIN;
	}
	*tp = t;
	return 0;
}

unsigned tls_front_port(const struct tls_front *t)
{
	return t->port;
}

void tls_front_stop(struct tls_front *t)
{
	if (!t)
		return;
	atomic_store(&t->stopping, true);
	if (write(t->stop_pipe[1], "x", 1) != 1)
		fprintf(stderr, "tls: stop pipe write failed\n");
	pthread_join(t->acceptor, NULL);
	close(t->lfd);
	/* connection threads notice the flag within one poll period */
	for (int i = 0; i < 400 && atomic_load(&t->active) > 0; i++)
		usleep(25000);
	close(t->stop_pipe[0]);
	close(t->stop_pipe[1]);
	if (atomic_load(&t->active) == 0) {
		SSL_CTX_free(t->ctx);
		free(t);
	}
	/* else: a stuck handshake still holds the context; leave it to process exit */
}
