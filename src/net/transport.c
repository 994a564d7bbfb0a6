/* Transport interface: connection life cycle, output queues, batching and endpoint parsing,
 * shared by the TCP, usrsctp and kernel SCTP implementations. */
#include "transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "m3ua.h"
#include "transport_int.h"
#include "value_string.h"

#define TP_LINGER_MS 2000 /* how long a final ERR may take to leave before the socket closes */

static const struct value_string tp_kind_names[] = {
	{TP_TCP, "tcp"}, {TP_USRSCTP, "usrsctp"}, {TP_KSCTP, "ksctp"}, {TP_SCTP, "sctp"}, {0, NULL},
};

const char *tp_kind_name(enum tp_kind k) { return get_value_string(tp_kind_names, k); }

/* ---- endpoints --------------------------------------------------------------------------- */

int tp_endpoint_parse(struct tp_endpoint *ep, const char *spec, char *err, size_t errsz)
{
	memset(ep, 0, sizeof(*ep));
	const char *colon = strchr(spec, ':');
	if (!colon) {
		snprintf(err, errsz, "endpoint '%s': expected KIND:ADDR:PORT", spec);
		return -EINVAL;
	}
	char kind[16];
	size_t klen = (size_t)(colon - spec);
	if (klen >= sizeof(kind)) {
		snprintf(err, errsz, "endpoint '%s': unknown transport", spec);
		return -EINVAL;
	}
	memcpy(kind, spec, klen);
	kind[klen] = 0;
	uint32_t k;
	if (get_string_value(tp_kind_names, kind, &k) < 0) {
		snprintf(err, errsz, "endpoint '%s': unknown transport '%s' (tcp, sctp, usrsctp, ksctp)",
			 spec, kind);
		return -EINVAL;
	}
	ep->kind = (enum tp_kind)k;
	const char *s = colon + 1;
	for (;;) {
		const char *start = s, *end;
		if (*s == '[') {
			start = s + 1;
			end = strchr(start, ']');
			if (!end) {
				snprintf(err, errsz, "endpoint '%s': missing ']'", spec);
				return -EINVAL;
			}
			s = end + 1;
		} else {
			end = s + strcspn(s, ",:");
			s = end;
		}
		size_t alen = (size_t)(end - start);
		if (alen == 0 || alen >= TP_ADDR_LEN || ep->n_addrs == TP_MAX_ADDRS) {
			snprintf(err, errsz, "endpoint '%s': bad or too many addresses", spec);
			return -EINVAL;
		}
		memcpy(ep->addrs[ep->n_addrs], start, alen);
		ep->addrs[ep->n_addrs][alen] = 0;
		struct in6_addr a6;
		if (inet_pton(AF_INET, ep->addrs[ep->n_addrs], &a6) != 1 &&
		    inet_pton(AF_INET6, ep->addrs[ep->n_addrs], &a6) != 1) {
			snprintf(err, errsz, "endpoint '%s': '%s' is not a numeric IPv4/IPv6 address",
				 spec, ep->addrs[ep->n_addrs]);
			return -EINVAL;
		}
		ep->n_addrs++;
		if (*s == ',') {
			s++;
			continue;
		}
		break;
	}
	if (*s != ':') {
		snprintf(err, errsz, "endpoint '%s': missing ':PORT'", spec);
		return -EINVAL;
	}
	char *e;
	unsigned long port = strtoul(s + 1, &e, 10);
	if (e == s + 1 || port > 65535) {
		snprintf(err, errsz, "endpoint '%s': bad port", spec);
		return -EINVAL;
	}
	ep->port = (uint16_t)port;
	if (*e == '/') {
		const char *u = e + 1;
		unsigned long up = strtoul(u, &e, 10);
		if (e == u || up == 0 || up > 65535) {
			snprintf(err, errsz, "endpoint '%s': bad UDP encapsulation port", spec);
			return -EINVAL;
		}
		ep->udp_port = (uint16_t)up;
	}
	if (*e) {
		snprintf(err, errsz, "endpoint '%s': trailing characters '%s'", spec, e);
		return -EINVAL;
	}
	if (ep->kind == TP_TCP && ep->n_addrs > 1) {
		snprintf(err, errsz, "endpoint '%s': TCP takes one address (multi-homing is SCTP)",
			 spec);
		return -EINVAL;
	}
	return 0;
}

int tp_endpoint_format(const struct tp_endpoint *ep, char *out, size_t outsz)
{
	size_t n = (size_t)snprintf(out, outsz, "%s:", tp_kind_name(ep->kind));
	for (unsigned i = 0; i < ep->n_addrs && n < outsz; i++) {
		bool v6 = strchr(ep->addrs[i], ':') != NULL;
		n += (size_t)snprintf(out + n, outsz - n, "%s%s%s%s", i ? "," : "", v6 ? "[" : "",
				      ep->addrs[i], v6 ? "]" : "");
	}
	if (n < outsz)
		n += (size_t)snprintf(out + n, outsz - n, ":%u", ep->port);
	if (n < outsz && ep->udp_port)
		n += (size_t)snprintf(out + n, outsz - n, "/%u", ep->udp_port);
	return n < outsz ? 0 : -ENOSPC;
}

int tp_endpoint_sockaddrs(const struct tp_endpoint *ep, uint16_t port, struct sockaddr_storage *out,
			  socklen_t *lens, unsigned max, char *err, size_t errsz)
{
	if (ep->n_addrs == 0 || ep->n_addrs > max) {
		snprintf(err, errsz, "endpoint: %u addresses (1..%u)", ep->n_addrs, max);
		return -EINVAL;
	}
	for (unsigned i = 0; i < ep->n_addrs; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		struct sockaddr_in *s4 = (struct sockaddr_in *)&out[i];
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out[i];
		if (inet_pton(AF_INET, ep->addrs[i], &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
			s4->sin_port = htons(port);
			lens[i] = sizeof(*s4);
		} else if (inet_pton(AF_INET6, ep->addrs[i], &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(port);
			lens[i] = sizeof(*s6);
		} else {
			snprintf(err, errsz, "endpoint: '%s' is not a numeric address", ep->addrs[i]);
			return -EINVAL;
		}
	}
	return (int)ep->n_addrs;
}

size_t tp_sockaddrs_pack(const struct sockaddr_storage *ss, const socklen_t *lens, unsigned n,
			 uint8_t *out, size_t outsz)
{
	size_t off = 0;
	for (unsigned i = 0; i < n; i++) {
		if (outsz - off < lens[i])
			return 0;
		memcpy(out + off, &ss[i], lens[i]);
		off += lens[i];
	}
	return off;
}

void tp_sockaddr_name(const struct sockaddr *sa, char *out, size_t outsz)
{
	char host[TP_ADDR_LEN];
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(out, outsz, "%s:%u", host, ntohs(s4->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		snprintf(out, outsz, "[%s]:%u", host, ntohs(s6->sin6_port));
	} else {
		snprintf(out, outsz, "-");
	}
}

int tp_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

/* ---- output queue ------------------------------------------------------------------------ */

static int tp_outq_push(struct tp_outq *q, const uint8_t *p, size_t len, uint16_t stream)
{
	size_t need = TP_REC_HDR + len;
	if (q->cap - q->tail < need && q->head > 0) {
		memmove(q->buf, q->buf + q->head, q->tail - q->head);
		q->tail -= q->head;
		q->head = 0;
	}
	if (q->cap - q->tail < need) {
		size_t cap = q->cap ? q->cap : 16384;
		while (cap - q->tail < need)
			cap *= 2;
		uint8_t *b = realloc(q->buf, cap);
		if (!b)
			return -ENOMEM;
		q->buf = b;
		q->cap = cap;
	}
	uint8_t *r = q->buf + q->tail;
	uint32_t l32 = (uint32_t)len;
	memcpy(r, &l32, 4);
	memcpy(r + 4, &stream, 2);
	memset(r + 6, 0, 2);
	memcpy(r + TP_REC_HDR, p, len);
	q->tail += need;
	q->bytes += len;
	q->count++;
	return 0;
}

const uint8_t *tp_outq_peek(const struct tp_outq *q, size_t *off, uint32_t *len, uint16_t *stream)
{
	if (*off >= q->tail)
		return NULL;
	const uint8_t *r = q->buf + *off;
	memcpy(len, r, 4);
	memcpy(stream, r + 4, 2);
	*off += TP_REC_HDR + *len;
	return r + TP_REC_HDR;
}

/* Drop n payload bytes from the head, across records (byte streams write partial records). */
void tp_outq_consume(struct tp_outq *q, size_t n)
{
	q->bytes -= n;
	while (n > 0) {
		uint32_t len;
		memcpy(&len, q->buf + q->head, 4);
		size_t left = len - q->partial;
		if (n < left) {
			q->partial += n;
			return;
		}
		n -= left;
		q->partial = 0;
		q->head += TP_REC_HDR + len;
		q->count--;
	}
	if (q->head == q->tail)
		q->head = q->tail = 0;
}

static void tp_outq_free(struct tp_outq *q)
{
	free(q->buf);
	memset(q, 0, sizeof(*q));
}

/* ---- network and batching ---------------------------------------------------------------- */

static void tp_flush_dirty(struct evloop *l, void *ud)
{
	struct tp_net *n = ud;
	/* flushing may call on_drain, which may queue more output on other connections */
	for (size_t i = 0; i < n->ndirty; i++) {
		struct tp_conn *c = n->dirty[i];
		if (!c)
			continue;
		n->dirty[i] = NULL;
		c->dirty = false;
		tp_conn_flush(c);
	}
	n->ndirty = 0;
}

struct tp_net *tp_net_new(struct evloop *l, char *err, size_t errsz)
{
	struct tp_net *n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errsz, "transport: out of memory");
		return NULL;
	}
	n->loop = l;
	n->flush_hook = evloop_hook_add(l, tp_flush_dirty, n);
	if (!n->flush_hook) {
		snprintf(err, errsz, "transport: out of memory");
		free(n);
		return NULL;
	}
	return n;
}

struct evloop *tp_net_loop(const struct tp_net *n) { return n->loop; }

static void tp_conn_free(struct tp_conn *c);

void tp_net_free(struct tp_net *n)
{
	if (!n)
		return;
	while (n->listeners)
		tp_listener_close(n->listeners);
	while (n->conns) {
		struct tp_conn *c = n->conns;
		c->busy = 0; /* nothing runs any more: free regardless of holds */
		tp_close(c);
	}
	tp_usrsctp_stop(n);
	evloop_hook_del(n->loop, n->flush_hook);
	free(n->dirty);
	free(n);
}

static void tp_mark_dirty(struct tp_conn *c)
{
	struct tp_net *n = c->net;
	if (c->dirty)
		return;
	if (n->ndirty == n->dirty_cap) {
		size_t cap = n->dirty_cap ? n->dirty_cap * 2 : 16;
		struct tp_conn **d = realloc(n->dirty, cap * sizeof(*d));
		if (!d) /* flushed later by a write event or the next send */
			return;
		n->dirty = d;
		n->dirty_cap = cap;
	}
	n->dirty[n->ndirty++] = c;
	c->dirty = true;
}

/* ---- connections ------------------------------------------------------------------------- */

static void tp_opts_fill(struct tp_opts *dst, const struct tp_opts *o)
{
	if (o)
		*dst = *o;
	else
		memset(dst, 0, sizeof(*dst));
	if (!dst->max_msg)
		dst->max_msg = TP_DEFAULT_MAX_MSG;
	if (!dst->queue_high)
		dst->queue_high = TP_DEFAULT_QUEUE_HIGH;
	if (!dst->queue_max)
		dst->queue_max = 2 * dst->queue_high + dst->max_msg;
	if (!dst->streams)
		dst->streams = TP_DEFAULT_STREAMS;
	if (!dst->ppid)
		dst->ppid = TP_PPID_M3UA;
	if (!dst->frame)
		dst->frame = m3ua_frame_length;
	dst->local = NULL; /* only used while connecting */
}

struct tp_conn *tp_conn_alloc(struct tp_net *n, const struct tp_ops *ops, const struct tp_opts *o)
{
	struct tp_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	tp_opts_fill(&c->o, o);
	c->in_cap = c->o.max_msg + 16384;
	c->in = malloc(c->in_cap);
	if (!c->in) {
		free(c);
		return NULL;
	}
	c->ops = ops;
	c->net = n;
	c->fd = -1;
	c->out_streams = 1;
	snprintf(c->peer, sizeof(c->peer), "-");
	c->next = n->conns;
	if (n->conns)
		n->conns->prev = c;
	n->conns = c;
	return c;
}

static void tp_conn_unlink(struct tp_conn *c)
{
	struct tp_net *n = c->net;
	if (c->prev)
		c->prev->next = c->next;
	else if (n->conns == c)
		n->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void tp_conn_free(struct tp_conn *c)
{
	tp_conn_unlink(c);
	tp_outq_free(&c->out);
	free(c->in);
	free(c);
}

/* Release the socket and every registration; the memory stays until no callback holds it. */
static void tp_conn_kill(struct tp_conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	c->up = false;
	c->ops->close(c);
	if (c->dirty) {
		for (size_t i = 0; i < c->net->ndirty; i++)
			if (c->net->dirty[i] == c)
				c->net->dirty[i] = NULL;
		c->dirty = false;
	}
	if (c->resume_timer)
		evloop_timer_del(c->net->loop, c->resume_timer);
	if (c->linger_timer)
		evloop_timer_del(c->net->loop, c->linger_timer);
	c->resume_timer = c->linger_timer = 0;
}

void tp_conn_hold(struct tp_conn *c) { c->busy++; }

bool tp_conn_release(struct tp_conn *c)
{
	if (--c->busy > 0)
		return !c->dead;
	if (c->dead) {
		tp_conn_free(c);
		return false;
	}
	return true;
}

void tp_close(struct tp_conn *c)
{
	if (!c)
		return;
	tp_conn_kill(c);
	if (c->busy == 0)
		tp_conn_free(c);
}

static int tp_linger_expired(struct evloop *l, uint64_t id, void *ud)
{
	struct tp_conn *c = ud;
	c->linger_timer = 0;
	tp_close(c);
	return EVLOOP_TIMER_DONE;
}

static void tp_linger(struct tp_conn *c)
{
	tp_conn_flush(c);
	if (!c->dead && c->out.bytes > 0 && !c->linger_timer)
		c->linger_timer = evloop_timer_add(c->net->loop, TP_LINGER_MS, tp_linger_expired, c);
}

void tp_close_flushed(struct tp_conn *c)
{
	if (!c || c->dead)
		return;
	if (!c->up || c->out.bytes == 0 || c->lingering) {
		tp_close(c);
		return;
	}
	c->cbs = (struct tp_cbs){0};
	c->paused = true;
	c->ops->read_changed(c);
	c->lingering = true;
	tp_conn_hold(c);
	tp_linger(c);
	tp_conn_release(c);
}

void tp_conn_fail(struct tp_conn *c, int err)
{
	if (c->dead)
		return;
	if (c->lingering) {
		tp_close(c);
		return;
	}
	bool final_msg = c->up && (err == -EBADMSG || err == -EMSGSIZE);
	if (!final_msg)
		c->up = false;
	c->paused = true;
	c->ops->read_changed(c);
	/* from here on tp_send only takes the owner's final message (final_msg) */
	c->lingering = true;
	tp_conn_hold(c);
	if (c->cbs.on_down)
		c->cbs.on_down(c, err, c->ud);
	c->cbs = (struct tp_cbs){0};
	if (!c->dead && final_msg && c->out.bytes > 0) {
		tp_linger(c);
	} else {
		tp_conn_kill(c);
	}
	tp_conn_release(c);
}

void tp_conn_set_up(struct tp_conn *c)
{
	if (c->up || c->dead || c->lingering)
		return;
	c->up = true;
	if (c->cbs.on_up) {
		tp_conn_hold(c);
		c->cbs.on_up(c, c->ud);
		tp_conn_release(c);
	}
}

void tp_conn_deliver(struct tp_conn *c, const uint8_t *p, size_t len, uint16_t stream)
{
	if (c->dead || c->lingering || !c->cbs.on_msg)
		return;
	tp_conn_hold(c);
	c->cbs.on_msg(c, p, len, stream, c->ud);
	tp_conn_release(c);
}

void tp_conn_flush(struct tp_conn *c)
{
	if (c->dead)
		return;
	tp_conn_hold(c);
	if (c->out.bytes > 0) {
		int rc = c->ops->flush(c);
		c->blocked_write = rc == -EAGAIN;
		if (rc < 0 && rc != -EAGAIN)
			tp_conn_fail(c, rc);
	}
	if (!c->dead && c->lingering && c->out.bytes == 0)
		tp_conn_kill(c);
	if (!c->dead && c->above_high && c->out.bytes <= c->o.queue_high / 2) {
		c->above_high = false;
		if (c->cbs.on_drain)
			c->cbs.on_drain(c, c->ud);
	}
	tp_conn_release(c);
}

int tp_send(struct tp_conn *c, const uint8_t *p, size_t len, uint16_t stream)
{
	if (c->dead || !c->up)
		return -ENOTCONN;
	/* lingering: only during on_down, for the final message (c->cbs still set) */
	if (c->lingering && !c->cbs.on_down)
		return -ENOTCONN;
	if (len == 0 || len > c->o.max_msg)
		return -EMSGSIZE;
	if (c->out.bytes + len > c->o.queue_max)
		return -ENOBUFS;
	int rc = tp_outq_push(&c->out, p, len, c->out_streams ? stream % c->out_streams : 0);
	if (rc < 0)
		return rc;
	if (c->out.bytes >= c->o.queue_high)
		c->above_high = true;
	if (!c->blocked_write)
		tp_mark_dirty(c);
	return 0;
}

bool tp_writable(const struct tp_conn *c) { return c->up && c->out.bytes < c->o.queue_high; }
size_t tp_queued_bytes(const struct tp_conn *c) { return c->out.bytes; }
bool tp_is_up(const struct tp_conn *c) { return c->up && !c->lingering; }
enum tp_kind tp_conn_kind(const struct tp_conn *c) { return c->ops->kind; }
uint16_t tp_out_streams(const struct tp_conn *c) { return c->out_streams ? c->out_streams : 1; }
const char *tp_peer_name(const struct tp_conn *c) { return c->peer; }
bool tp_paused(const struct tp_conn *c) { return c->paused; }

void tp_conn_set_cbs(struct tp_conn *c, const struct tp_cbs *cbs, void *ud)
{
	c->cbs = cbs ? *cbs : (struct tp_cbs){0};
	c->ud = ud;
}

static int tp_resume_input(struct evloop *l, uint64_t id, void *ud)
{
	struct tp_conn *c = ud;
	c->resume_timer = 0;
	if (!c->dead && !c->paused) {
		tp_conn_hold(c);
		c->ops->input(c);
		tp_conn_release(c);
	}
	return EVLOOP_TIMER_DONE;
}

void tp_conn_schedule_input(struct tp_conn *c)
{
	if (!c->dead && !c->resume_timer)
		c->resume_timer = evloop_timer_add(c->net->loop, 0, tp_resume_input, c);
}

void tp_pause(struct tp_conn *c, bool paused)
{
	if (c->dead || c->lingering || c->paused == paused)
		return;
	c->paused = paused;
	c->ops->read_changed(c);
	/* input buffered while paused has no event to announce it: deliver it from a timer, never
	 * from inside the caller */
	if (!paused)
		tp_conn_schedule_input(c);
}

int tp_sctp_received(struct tp_conn *c, size_t n, bool eor, bool notification, uint16_t sid,
		     size_t *len)
{
	c->in_len += n;
	if (!eor) {
		if (c->in_len < c->in_cap)
			return 0; /* partial delivery: the rest follows */
		c->in_len = 0;
		tp_conn_fail(c, -EMSGSIZE);
		return -1;
	}
	*len = c->in_len;
	c->in_len = 0;
	if (notification)
		return 1;
	if (*len > c->o.max_msg) {
		tp_conn_fail(c, -EMSGSIZE);
		return -1;
	}
	if (!c->up) /* data can overtake the COMM_UP notification */
		tp_conn_set_up(c);
	tp_conn_deliver(c, c->in, *len, sid);
	return c->dead ? -1 : 0;
}

void tp_sctp_notification(struct tp_conn *c, const struct tp_sctp_consts *k, const uint8_t *p,
			  size_t len)
{
	uint16_t sn_type, sac_state = 0, out_streams = 0;
	if (len < sizeof(sn_type))
		return;
	memcpy(&sn_type, p, sizeof(sn_type));
	if (sn_type == k->assoc_change) {
		if (len < k->off_out_streams + sizeof(out_streams))
			return;
		memcpy(&sac_state, p + k->off_state, sizeof(sac_state));
		memcpy(&out_streams, p + k->off_out_streams, sizeof(out_streams));
	}
	if (sn_type == k->shutdown_event) {
		tp_conn_fail(c, 0);
	} else if (sn_type != k->assoc_change) {
		return;
	} else if (sac_state == k->comm_up || sac_state == k->restart) {
		if (out_streams)
			c->out_streams = out_streams;
		if (!c->up) {
			c->ops->established(c);
			tp_conn_set_up(c);
		}
	} else if (sac_state == k->comm_lost) {
		tp_conn_fail(c, -ECONNRESET);
	} else if (sac_state == k->cant_start) {
		tp_conn_fail(c, -ECONNREFUSED);
	} else if (sac_state == k->shutdown_comp) {
		tp_conn_fail(c, 0);
	}
}

bool tp_sctp_input(struct tp_conn *c, int batch, tp_sctp_recv_fn recv,
		   const struct tp_sctp_consts *k)
{
	for (int i = 0; i < batch; i++) {
		if (c->dead || c->paused || c->lingering)
			return false;
		bool eor = false, notification = false;
		uint16_t sid = 0;
		ssize_t n = recv(c, &eor, &notification, &sid);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				tp_conn_fail(c, -errno);
			return false;
		}
		if (n == 0) {
			tp_conn_fail(c, 0);
			return false;
		}
		size_t len;
		int rc = tp_sctp_received(c, (size_t)n, eor, notification, sid, &len);
		if (rc < 0)
			return false;
		if (rc == 1)
			tp_sctp_notification(c, k, c->in, len);
	}
	return true;
}

int tp_sctp_flush(struct tp_conn *c, tp_sctp_send_fn send)
{
	struct tp_outq *q = &c->out;
	while (q->bytes > 0) {
		size_t off = q->head;
		uint32_t len = 0;
		uint16_t stream = 0;
		const uint8_t *p = tp_outq_peek(q, &off, &len, &stream);
		int rc = send(c, p, len, stream);
		if (rc == -EINTR)
			continue;
		if (rc == -EWOULDBLOCK)
			rc = -EAGAIN;
		if (rc < 0)
			return rc;
		tp_outq_consume(q, len);
	}
	return 0;
}

/* ---- listening and connecting ------------------------------------------------------------ */

static const struct tp_ops *tp_pick_ops(struct tp_net *n, enum tp_kind k, char *err, size_t errsz)
{
	switch (k) {
	case TP_TCP:
		return &tp_tcp_ops;
	case TP_USRSCTP:
		if (!n->us) {
			snprintf(err, errsz, "usrsctp: not started (tp_net_usrsctp_start)");
			return NULL;
		}
		return &tp_usrsctp_ops;
	case TP_KSCTP:
		if (!tp_ksctp_available()) {
			snprintf(err, errsz, "kernel SCTP: not available (no lksctp in this build or "
					     "no SCTP in the kernel)");
			return NULL;
		}
		return &tp_ksctp_ops;
	case TP_SCTP:
		if (tp_ksctp_available())
			return &tp_ksctp_ops;
		if (n->us)
			return &tp_usrsctp_ops;
		snprintf(err, errsz, "sctp: the kernel has no SCTP and usrsctp is not started");
		return NULL;
	}
	snprintf(err, errsz, "transport: unknown kind %d", (int)k);
	return NULL;
}

struct tp_listener *tp_listen(struct tp_net *n, const struct tp_endpoint *ep,
			      const struct tp_opts *o, tp_accept_cb cb, void *ud, char *err,
			      size_t errsz)
{
	const struct tp_ops *ops = tp_pick_ops(n, ep->kind, err, errsz);
	if (!ops)
		return NULL;
	struct tp_listener *ls = calloc(1, sizeof(*ls));
	if (!ls) {
		snprintf(err, errsz, "transport: out of memory");
		return NULL;
	}
	ls->ops = ops;
	ls->net = n;
	tp_opts_fill(&ls->o, o);
	ls->cb = cb;
	ls->ud = ud;
	ls->fd = -1;
	if (ops->listen(ls, ep, err, errsz) < 0) {
		free(ls);
		return NULL;
	}
	ls->next = n->listeners;
	if (n->listeners)
		n->listeners->prev = ls;
	n->listeners = ls;
	return ls;
}

uint16_t tp_listener_port(const struct tp_listener *ls) { return ls->port; }
enum tp_kind tp_listener_kind(const struct tp_listener *ls) { return ls->ops->kind; }

void tp_listener_close(struct tp_listener *ls)
{
	if (!ls)
		return;
	struct tp_net *n = ls->net;
	ls->ops->close_listener(ls);
	if (ls->prev)
		ls->prev->next = ls->next;
	else
		n->listeners = ls->next;
	if (ls->next)
		ls->next->prev = ls->prev;
	free(ls);
}

void tp_accepted(struct tp_listener *ls, struct tp_conn *c)
{
	c->up = true;
	tp_conn_hold(c);
	if (ls->cb)
		ls->cb(ls, c, ls->ud);
	/* an owner that set no callbacks does not want the connection */
	if (!c->dead && !c->cbs.on_msg && !c->cbs.on_down)
		tp_conn_kill(c);
	if (tp_conn_release(c)) /* messages may already be waiting */
		tp_conn_schedule_input(c);
}

struct tp_conn *tp_connect(struct tp_net *n, const struct tp_endpoint *ep,
			   const struct tp_opts *o, const struct tp_cbs *cbs, void *ud, char *err,
			   size_t errsz)
{
	const struct tp_ops *ops = tp_pick_ops(n, ep->kind, err, errsz);
	if (!ops)
		return NULL;
	struct tp_conn *c = tp_conn_alloc(n, ops, o);
	if (!c) {
		snprintf(err, errsz, "transport: out of memory");
		return NULL;
	}
	tp_conn_set_cbs(c, cbs, ud);
	struct tp_opts with_local = c->o;
	with_local.local = o ? o->local : NULL;
	c->o = with_local;
	int rc = ops->connect(c, ep, err, errsz);
	c->o.local = NULL;
	if (rc < 0) {
		c->dead = true; /* the implementation released what it had */
		tp_conn_free(c);
		return NULL;
	}
	return c;
}
