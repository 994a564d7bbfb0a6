/* Transports over loopback: TCP and SCTP over UDP (usrsctp); kernel SCTP when the kernel has it
 * (skipped here otherwise). Message boundaries, large messages, many messages in order (per
 * stream for SCTP), stream ids, back-pressure and pause/resume, framing errors with a final
 * message, peer close and refused connections, endpoint parsing. Every wait is bounded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "evloop.h"
#include "transport.h"

#define MAX_STREAMS 16

struct side {
	struct tp_conn *c;
	bool up;
	int downs, down_err;
	size_t msgs, bytes;
	uint32_t next_seq[MAX_STREAMS];
	bool bad;           /* content, order or stream mismatch */
	int drains;
	size_t pause_after; /* pause once this many messages arrived (0: never) */
	const uint8_t *final_msg; /* sent from on_down (after a framing error) */
	size_t final_len;
	int final_rc;
};

struct fx {
	struct evloop *l;
	struct tp_net *net;
	struct tp_listener *ls;
	struct side cli, srv;
	enum tp_kind kind;
};

/* An M3UA-framed test message: header (version 1, class 1 DATA, type 1, length), the stream
 * and sequence number, then a pattern that depends on both. */
static size_t make_msg(uint8_t *b, size_t len, uint16_t stream, uint32_t seq)
{
	b[0] = 1, b[1] = 0, b[2] = 1, b[3] = 1;
	b[4] = (uint8_t)(len >> 24), b[5] = (uint8_t)(len >> 16), b[6] = (uint8_t)(len >> 8);
	b[7] = (uint8_t)len;
	uint32_t s = stream;
	memcpy(b + 8, &s, 4);
	memcpy(b + 12, &seq, 4);
	for (size_t i = 16; i < len; i++)
		b[i] = (uint8_t)(i * 7 + seq + stream);
	return len;
}

static bool check_msg(const uint8_t *b, size_t len, uint16_t *stream, uint32_t *seq)
{
	if (len < 16 || b[0] != 1 || b[2] != 1 || b[3] != 1)
		return false;
	uint32_t l = ((uint32_t)b[4] << 24) | ((uint32_t)b[5] << 16) | ((uint32_t)b[6] << 8) | b[7];
	if (l != len)
		return false;
	uint32_t s;
	memcpy(&s, b + 8, 4);
	memcpy(seq, b + 12, 4);
	*stream = (uint16_t)s;
	for (size_t i = 16; i < len; i++)
		if (b[i] != (uint8_t)(i * 7 + *seq + s))
			return false;
	return true;
}

static void on_up(struct tp_conn *c, void *ud)
{
	struct side *s = ud;
	s->up = true;
}

static void on_msg(struct tp_conn *c, const uint8_t *p, size_t len, uint16_t stream, void *ud)
{
	struct side *s = ud;
	uint16_t st = 0;
	uint32_t seq = 0;
	if (!check_msg(p, len, &st, &seq) || st >= MAX_STREAMS || seq != s->next_seq[st])
		s->bad = true;
	/* SCTP: the stream it arrived on is the one it was sent on (TCP: always 0) */
	if (tp_conn_kind(c) != TP_TCP && st % tp_out_streams(c) != stream)
		s->bad = true;
	if (st < MAX_STREAMS)
		s->next_seq[st] = seq + 1;
	s->msgs++;
	s->bytes += len;
	if (s->pause_after && s->msgs == s->pause_after)
		tp_pause(c, true);
}

static void on_drain(struct tp_conn *c, void *ud)
{
	struct side *s = ud;
	s->drains++;
}

static void on_down(struct tp_conn *c, int err, void *ud)
{
	struct side *s = ud;
	s->downs++;
	s->down_err = err;
	s->up = false;
	if (s->final_msg)
		s->final_rc = tp_send(c, s->final_msg, s->final_len, 0);
	s->c = NULL;
}

static const struct tp_cbs cbs = {on_up, on_msg, on_drain, on_down};

static void on_accept(struct tp_listener *ls, struct tp_conn *c, void *ud)
{
	struct fx *f = ud;
	f->srv.c = c;
	f->srv.up = true;
	tp_conn_set_cbs(c, &cbs, &f->srv);
}

#define RUN_UNTIL(f, cond)                                                                     \
	do {                                                                                   \
		uint64_t deadline_ = evloop_now_ms() + 30000;                                  \
		for (int i_ = 0; i_ < 200000 && !(cond) && evloop_now_ms() < deadline_; i_++) \
			assert_true(evloop_run_once((f)->l, 20) >= 0);                        \
		assert_true(cond);                                                             \
	} while (0)

static struct fx *fx_new(enum tp_kind kind, const struct tp_opts *o)
{
	struct fx *f = calloc(1, sizeof(*f));
	char err[256];
	f->kind = kind;
	f->l = evloop_new(err, sizeof(err));
	assert_non_null(f->l);
	f->net = tp_net_new(f->l, err, sizeof(err));
	assert_non_null(f->net);
	if (kind == TP_USRSCTP) {
		int rc = tp_net_usrsctp_start(f->net, 0, err, sizeof(err));
		if (rc < 0)
			fail_msg("usrsctp: %s", err);
		assert_true(tp_net_usrsctp_port(f->net) > 0);
	}
	struct tp_endpoint ep = {.kind = kind, .n_addrs = 1, .addrs = {"127.0.0.1"}};
	f->ls = tp_listen(f->net, &ep, o, on_accept, f, err, sizeof(err));
	if (!f->ls)
		fail_msg("listen: %s", err);
	assert_true(tp_listener_port(f->ls) > 0);
	assert_int_equal(tp_listener_kind(f->ls), kind);
	ep.port = tp_listener_port(f->ls);
	f->cli.c = tp_connect(f->net, &ep, o, &cbs, &f->cli, err, sizeof(err));
	if (!f->cli.c)
		fail_msg("connect: %s", err);
	RUN_UNTIL(f, f->cli.up && f->srv.up);
	assert_true(tp_is_up(f->cli.c));
	assert_true(tp_is_up(f->srv.c));
	assert_string_equal(strncmp(tp_peer_name(f->srv.c), "127.0.0.1:", 10) == 0 ? "ok"
										   : tp_peer_name(f->srv.c),
			    "ok");
	return f;
}

static void fx_free(struct fx *f)
{
	tp_net_free(f->net);
	evloop_free(f->l);
	free(f);
}

/* Send n messages from a to b, sizes cycling through sizes[], streams cycling 0..nstreams-1,
 * feeding only while the connection is writable, and wait for all of them. */
static void pump(struct fx *f, struct side *from, struct side *to, size_t n, const size_t *sizes,
		 size_t nsizes, uint16_t nstreams)
{
	static uint8_t buf[TP_DEFAULT_MAX_MSG];
	uint32_t seq[MAX_STREAMS] = {0};
	for (unsigned st = 0; st < MAX_STREAMS; st++)
		seq[st] = to->next_seq[st];
	size_t target = to->msgs + n, sent = 0;
	for (int iter = 0; iter < 1000000 && to->msgs < target; iter++) {
		while (sent < n && tp_writable(from->c)) {
			uint16_t st = (uint16_t)(sent % nstreams);
			size_t len = make_msg(buf, sizes[sent % nsizes], st, seq[st]++);
			assert_int_equal(tp_send(from->c, buf, len, st), 0);
			sent++;
		}
		assert_true(evloop_run_once(f->l, 20) >= 0);
		assert_false(to->bad);
	}
	assert_int_equal(to->msgs, target);
	assert_false(to->bad);
}

static void both_ways(enum tp_kind kind)
{
	struct fx *f = fx_new(kind, NULL);
	uint16_t streams = kind == TP_TCP ? 1 : tp_out_streams(f->cli.c);
	if (kind != TP_TCP) {
		assert_int_equal(tp_out_streams(f->cli.c), TP_DEFAULT_STREAMS);
		assert_int_equal(tp_out_streams(f->srv.c), TP_DEFAULT_STREAMS);
	} else {
		assert_int_equal(streams, 1);
	}
	/* boundaries: the smallest message, around a typical MTU, the largest (M3UA lengths are
	 * multiples of 4, RFC 4666 3.1: the framing refuses anything else) */
	const size_t sizes[] = {16, 20, 100, 1496, 1500, 1504, 4096, 20000, TP_DEFAULT_MAX_MSG};
	const size_t n_sizes = sizeof(sizes) / sizeof(sizes[0]);
	pump(f, &f->cli, &f->srv, n_sizes * 3, sizes, n_sizes, streams);
	pump(f, &f->srv, &f->cli, n_sizes * 3, sizes, n_sizes, streams);
	/* many small messages, interleaved over the streams */
	const size_t small[] = {16, 40, 64, 272, 36};
	pump(f, &f->cli, &f->srv, 20000, small, 5, streams);
	pump(f, &f->srv, &f->cli, 20000, small, 5, streams);
	assert_int_equal(f->cli.downs + f->srv.downs, 0);
	/* a message over max_msg is refused, nothing queued */
	static uint8_t big[TP_DEFAULT_MAX_MSG + 1];
	assert_int_equal(tp_send(f->cli.c, big, sizeof(big), 0), -EMSGSIZE);
	assert_int_equal(tp_send(f->cli.c, big, 0, 0), -EMSGSIZE);
	/* the client closes: the server sees an orderly end */
	tp_close(f->cli.c);
	f->cli.c = NULL;
	RUN_UNTIL(f, f->srv.downs == 1);
	assert_int_equal(f->srv.down_err, 0);
	assert_int_equal(f->cli.downs, 0); /* no callback after tp_close */
	fx_free(f);
}

static void test_tcp_messages(void **state) { both_ways(TP_TCP); }
static void test_usrsctp_messages(void **state) { both_ways(TP_USRSCTP); }

static void test_ksctp_messages(void **state)
{
	if (!tp_ksctp_available()) {
		print_message("kernel SCTP not available here (no lksctp in this build or no SCTP in "
			      "the kernel): skipped\n");
		skip();
	}
	both_ways(TP_KSCTP);
}

/* Back-pressure: the receiver pauses, the sender's queue fills to queue_high (not writable),
 * then queue_max (-ENOBUFS); on resume everything arrives in order and on_drain fires. */
static void flow_control(enum tp_kind kind)
{
	struct tp_opts o = {.queue_high = 64 * 1024, .queue_max = 256 * 1024};
	struct fx *f = fx_new(kind, &o);
	static uint8_t buf[4096];
	f->srv.pause_after = 1;
	uint32_t seq = 0;
	make_msg(buf, 1000, 0, seq++);
	assert_int_equal(tp_send(f->cli.c, buf, 1000, 0), 0);
	RUN_UNTIL(f, f->srv.msgs == 1);
	assert_true(tp_paused(f->srv.c));
	/* fill the pipe: kernel buffers first, then our queue */
	int rc = 0;
	size_t queued_max = 0;
	for (int i = 0; i < 100000 && rc == 0; i++) {
		make_msg(buf, 1000, 0, seq);
		rc = tp_send(f->cli.c, buf, 1000, 0);
		if (rc == 0)
			seq++;
		if (i % 32 == 0)
			evloop_run_once(f->l, 0);
		if (tp_queued_bytes(f->cli.c) > queued_max)
			queued_max = tp_queued_bytes(f->cli.c);
	}
	assert_int_equal(rc, -ENOBUFS);
	assert_false(tp_writable(f->cli.c));
	assert_true(queued_max <= o.queue_max);
	assert_true(queued_max >= o.queue_high);
	/* paused: nothing more is delivered */
	for (int i = 0; i < 20; i++)
		evloop_run_once(f->l, 5);
	assert_int_equal(f->srv.msgs, 1);
	f->srv.pause_after = 0;
	tp_pause(f->srv.c, false);
	RUN_UNTIL(f, f->srv.msgs == seq);
	assert_false(f->srv.bad);
	RUN_UNTIL(f, f->cli.drains >= 1);
	assert_true(tp_writable(f->cli.c));
	fx_free(f);
}

static void test_tcp_flow_control(void **state) { flow_control(TP_TCP); }
static void test_usrsctp_flow_control(void **state) { flow_control(TP_USRSCTP); }

/* A raw TCP peer sends bytes that are not M3UA: the server side reports -EBADMSG, may send one
 * final message (an M3UA ERR in real use), and that message reaches the peer before the close. */
static void test_tcp_garbage(void **state)
{
	char err[256];
	struct evloop *l = evloop_new(err, sizeof(err));
	struct tp_net *net = tp_net_new(l, err, sizeof(err));
	struct fx f = {.l = l, .net = net};
	struct tp_endpoint ep;
	assert_int_equal(tp_endpoint_parse(&ep, "tcp:127.0.0.1:0", err, sizeof(err)), 0);
	struct tp_listener *ls = tp_listen(net, &ep, NULL, on_accept, &f, err, sizeof(err));
	assert_non_null(ls);
	uint8_t final[16];
	make_msg(final, sizeof(final), 0, 99);
	f.srv.final_msg = final;
	f.srv.final_len = sizeof(final);
	f.srv.final_rc = 1;

	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(tp_listener_port(ls))};
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	/* one good message, then a bad version byte */
	uint8_t good[32];
	make_msg(good, sizeof(good), 0, 0);
	assert_int_equal(write(fd, good, sizeof(good)), (ssize_t)sizeof(good));
	assert_int_equal(write(fd, "GET / HTTP/1.0\r\n", 16), 16);
	RUN_UNTIL(&f, f.srv.downs == 1);
	assert_int_equal(f.srv.msgs, 1);
	assert_false(f.srv.bad);
	assert_int_equal(f.srv.down_err, -EBADMSG);
	assert_int_equal(f.srv.final_rc, 0);
	/* the final message arrives, then EOF */
	uint8_t got[64];
	size_t have = 0;
	for (int i = 0; i < 2000; i++) {
		evloop_run_once(l, 5);
		ssize_t n = recv(fd, got + have, sizeof(got) - have, MSG_DONTWAIT);
		if (n > 0)
			have += (size_t)n;
		else if (n == 0)
			break;
	}
	assert_int_equal(have, sizeof(final));
	assert_memory_equal(got, final, sizeof(final));
	close(fd);

	/* a length beyond the largest M3UA message (m3ua_frame_length: not M3UA): -EBADMSG */
	f.srv.final_msg = NULL;
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	uint8_t huge[8] = {1, 0, 1, 1, 0x00, 0x10, 0x00, 0x00}; /* 1 MiB */
	assert_int_equal(write(fd, huge, 8), 8);
	static uint8_t fill[TP_DEFAULT_MAX_MSG + 16384];
	memset(fill, 0, sizeof(fill));
	(void)!write(fd, fill, sizeof(fill));
	RUN_UNTIL(&f, f.srv.downs == 2);
	assert_int_equal(f.srv.down_err, -EBADMSG);
	close(fd);
	tp_net_free(net);
	evloop_free(l);
}

/* Nobody listens: the connection attempt ends with on_down and an error. */
static void refused(enum tp_kind kind)
{
	char err[256];
	struct fx f = {0};
	f.l = evloop_new(err, sizeof(err));
	f.net = tp_net_new(f.l, err, sizeof(err));
	if (kind == TP_USRSCTP)
		assert_int_equal(tp_net_usrsctp_start(f.net, 0, err, sizeof(err)), 0);
	/* a port that was free a moment ago */
	int probe = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	socklen_t sl = sizeof(sin);
	assert_int_equal(bind(probe, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(probe, (struct sockaddr *)&sin, &sl), 0);
	close(probe);
	struct tp_endpoint ep = {.kind = kind, .n_addrs = 1, .addrs = {"127.0.0.1"},
				 .port = ntohs(sin.sin_port)};
	struct tp_opts o = {0};
	f.cli.c = tp_connect(f.net, &ep, &o, &cbs, &f.cli, err, sizeof(err));
	if (f.cli.c) {
		assert_int_equal(tp_send(f.cli.c, (const uint8_t *)"x", 1, 0), -ENOTCONN);
		RUN_UNTIL(&f, f.cli.downs == 1);
		assert_true(f.cli.down_err < 0);
	} else {
		/* usrsctp may see the ABORT on loopback before usrsctp_connect() returns */
		assert_int_equal(kind, TP_USRSCTP);
		assert_non_null(strstr(err, "refused"));
	}
	assert_false(f.cli.up);
	tp_net_free(f.net);
	evloop_free(f.l);
}

static void test_tcp_refused(void **state) { refused(TP_TCP); }
static void test_usrsctp_refused(void **state) { refused(TP_USRSCTP); }

static void test_usrsctp_single_stack(void **state)
{
	char err[256];
	struct evloop *l = evloop_new(err, sizeof(err));
	struct tp_net *a = tp_net_new(l, err, sizeof(err));
	struct tp_net *b = tp_net_new(l, err, sizeof(err));
	assert_int_equal(tp_net_usrsctp_start(a, 0, err, sizeof(err)), 0);
	assert_int_equal(tp_net_usrsctp_start(a, 0, err, sizeof(err)), -EALREADY);
	assert_int_equal(tp_net_usrsctp_start(b, 0, err, sizeof(err)), -EBUSY);
	assert_int_equal(tp_net_usrsctp_port(b), 0);
	struct tp_endpoint ep = {.kind = TP_USRSCTP, .n_addrs = 1, .addrs = {"127.0.0.1"}};
	assert_null(tp_listen(b, &ep, NULL, on_accept, NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "not started"));
	tp_net_free(a);
	/* released: the other network may start it now */
	assert_int_equal(tp_net_usrsctp_start(b, 0, err, sizeof(err)), 0);
	tp_net_free(b);
	evloop_free(l);
}

static void test_endpoint_parse(void **state)
{
	struct tp_endpoint ep;
	char err[256], out[256];
	assert_int_equal(tp_endpoint_parse(&ep, "tcp:127.0.0.1:2905", err, sizeof(err)), 0);
	assert_int_equal(ep.kind, TP_TCP);
	assert_int_equal(ep.n_addrs, 1);
	assert_string_equal(ep.addrs[0], "127.0.0.1");
	assert_int_equal(ep.port, 2905);
	assert_int_equal(ep.udp_port, 0);
	assert_int_equal(tp_endpoint_parse(&ep, "sctp:10.0.0.1,10.0.1.1:2905", err, sizeof(err)), 0);
	assert_int_equal(ep.kind, TP_SCTP);
	assert_int_equal(ep.n_addrs, 2);
	assert_string_equal(ep.addrs[1], "10.0.1.1");
	assert_int_equal(tp_endpoint_parse(&ep, "usrsctp:[::1],127.0.0.1:2905/9899", err,
					   sizeof(err)), 0);
	assert_int_equal(ep.kind, TP_USRSCTP);
	assert_string_equal(ep.addrs[0], "::1");
	assert_int_equal(ep.udp_port, 9899);
	assert_int_equal(tp_endpoint_format(&ep, out, sizeof(out)), 0);
	assert_string_equal(out, "usrsctp:[::1],127.0.0.1:2905/9899");
	assert_int_equal(tp_endpoint_parse(&ep, "ksctp:192.0.2.1:1", err, sizeof(err)), 0);
	assert_int_equal(ep.kind, TP_KSCTP);

	const char *bad[] = {
		"", "tcp", "udp:1.2.3.4:5", "tcp:1.2.3.4", "tcp:1.2.3.4:70000", "tcp:host.example:1",
		"tcp:1.2.3.4,5.6.7.8:1", "sctp:[::1:2905", "tcp:1.2.3.4:1x", "usrsctp:1.2.3.4:1/0",
		"sctp:1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8,1.1.1.9:1",
		"tcp::1",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(tp_endpoint_parse(&ep, bad[i], err, sizeof(err)), -EINVAL);
		assert_true(err[0] != 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_parse),
		cmocka_unit_test(test_tcp_messages),
		cmocka_unit_test(test_tcp_flow_control),
		cmocka_unit_test(test_tcp_garbage),
		cmocka_unit_test(test_tcp_refused),
		cmocka_unit_test(test_usrsctp_messages),
		cmocka_unit_test(test_usrsctp_flow_control),
		cmocka_unit_test(test_usrsctp_refused),
		cmocka_unit_test(test_usrsctp_single_stack),
		cmocka_unit_test(test_ksctp_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
