/* TLS termination with OpenSSL in front of libmicrohttpd (Debian's libmicrohttpd is built
 * with GnuTLS; the project's TLS is OpenSSL). An accept thread takes TCP connections, each
 * connection thread runs the TLS handshake (TLS 1.2 minimum) and pumps plaintext through a
 * socketpair whose other end is handed to the HTTP daemon with MHD_add_connection(), with the
 * client's real address. */
#ifndef DFS_TLS_FRONT_H
#define DFS_TLS_FRONT_H
#include <stddef.h>

struct MHD_Daemon;
struct tls_front;

int tls_front_start(struct tls_front **tp, const char *host, unsigned port, const char *cert,
		    const char *key, struct MHD_Daemon *d, char *err, size_t errsz);
unsigned tls_front_port(const struct tls_front *t);
void tls_front_stop(struct tls_front *t);

/* Bind a listening TCP socket on host:port (port 0 = any). fd or negative errno. */
int tcp_listen(const char *host, unsigned port, unsigned *bound, char *err, size_t errsz);

#endif
