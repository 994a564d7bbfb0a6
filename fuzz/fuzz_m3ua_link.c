/* libFuzzer target: the M3UA ASP and SGP state machines over arbitrary message sequences.
 *
 * Input: one role byte (even: an SGP link facing a partner ASP, odd: an ASP link facing an SGP),
 * then messages, each [length u16][stream u8][bytes], fed to a fresh link over a real loopback
 * TCP association (answers are written and read back by a discarding peer). Every state
 * transition, ERR path, NTFY/SSNM handling and override/loadshare bookkeeping is reachable. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evloop.h"
#include "m3ua_asp.h"
#include "transport.h"

struct fz {
	struct evloop *l;
	struct tp_net *net;
	struct m3ua_sg *sg;
	struct tp_listener *ls;
	struct m3ua_link *accepted;
	struct tp_conn *peer; /* the discarding side */
	bool peer_up;
};

static void peer_up(struct tp_conn *c, void *ud) { ((struct fz *)ud)->peer_up = true; }
static void peer_msg(struct tp_conn *c, const uint8_t *p, size_t len, uint16_t s, void *ud) {}
static void peer_down(struct tp_conn *c, int err, void *ud)
{
	struct fz *f = ud;
	f->peer = NULL;
	f->peer_up = false;
}
static const struct tp_cbs peer_cbs = {peer_up, peer_msg, NULL, peer_down};

static void on_accept(struct m3ua_sg *sg, struct m3ua_link *lk, void *ud)
{
	((struct fz *)ud)->accepted = lk;
}
static void on_free(struct m3ua_link *lk, void *ud)
{
	struct fz *f = ud;
	if (f->accepted == lk)
		f->accepted = NULL;
}
static int dest_state(struct m3ua_link *lk, uint32_t pc, void *ud) { return (int)(pc % 3) - 1; }
static const struct m3ua_cbs cbs = {.on_accept = on_accept, .on_free = on_free,
				    .dest_state = dest_state};

static void srv_accept(struct tp_listener *ls, struct tp_conn *c, void *ud)
{
	struct fz *f = ud;
	if (f->peer)
		tp_close(f->peer);
	f->peer = c;
	f->peer_up = true;
	tp_conn_set_cbs(c, &peer_cbs, f);
}

static struct fz *fz_get(void)
{
	static struct fz *f; /* the harness's one context, built on first use */
	if (f)
		return f;
	char err[256];
	f = calloc(1, sizeof(*f));
	f->l = evloop_new(err, sizeof(err));
	f->net = tp_net_new(f->l, err, sizeof(err));
	struct tp_endpoint ep = {.kind = TP_TCP, .n_addrs = 1, .addrs = {"127.0.0.1"}};
	struct m3ua_sg_cfg sc = {.name = "fuzz-sg", .local = ep, .has_rctx = true, .rctx = 10,
				 .tmt = M3UA_TMT_LOADSHARE, .min_active = 1, .recovery_ms = 1};
	f->sg = m3ua_sg_new(f->net, &sc, &cbs, f, err, sizeof(err));
	f->ls = tp_listen(f->net, &ep, NULL, srv_accept, f, err, sizeof(err));
	if (!f->sg || !f->ls) {
		fprintf(stderr, "fuzz_m3ua_link: %s\n", err);
		abort();
	}
	return f;
}

static void spin(struct fz *f, int n)
{
	for (int i = 0; i < n; i++)
		evloop_run_once(f->l, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz *f = fz_get();
	if (size < 1)
		return 0;
	char err[256];
	bool sgp = !(data[0] & 1);
	struct m3ua_link *lk = NULL;
	struct tp_endpoint ep = {.kind = TP_TCP, .n_addrs = 1, .addrs = {"127.0.0.1"}};
	if (sgp) {
		ep.port = m3ua_sg_port(f->sg);
		f->accepted = NULL;
		f->peer = tp_connect(f->net, &ep, NULL, &peer_cbs, f, err, sizeof(err));
		for (int i = 0; i < 1000 && f->peer && !f->accepted; i++)
			evloop_run_once(f->l, 1);
		lk = f->accepted;
	} else {
		struct m3ua_asp_cfg ac = {.name = "fuzz-asp", .has_rctx = true, .rctx = 10,
					  .tmt = M3UA_TMT_OVERRIDE};
		ac.remote = ep;
		ac.remote.port = tp_listener_port(f->ls);
		lk = m3ua_asp_new(f->net, &ac, &cbs, f, err, sizeof(err));
		for (int i = 0; i < 1000 && lk &&
				!(m3ua_link_conn(lk) && tp_is_up(m3ua_link_conn(lk)) && f->peer);
		     i++)
			evloop_run_once(f->l, 1);
	}
	if (!lk)
		return 0;
	size_t pos = 1;
	while (pos + 3 <= size) {
		size_t len = (size_t)data[pos] << 8 | data[pos + 1];
		uint16_t stream = data[pos + 2] % 4;
		pos += 3;
		if (len > size - pos)
			len = size - pos;
		/* a heap copy of exactly len bytes, so reads past the message are caught */
		uint8_t *msg = malloc(len ? len : 1);
		memcpy(msg, data + pos, len);
		if (sgp ? f->accepted == lk : true)
			m3ua_link_input(lk, msg, len, stream);
		free(msg);
		pos += len;
		spin(f, 2);
	}
	if (sgp) {
		if (f->peer)
			tp_close(f->peer);
		f->peer = NULL;
		for (int i = 0; i < 1000 && f->accepted; i++)
			evloop_run_once(f->l, 1);
	} else {
		m3ua_link_close(lk);
		spin(f, 4);
	}
	return 0;
}
