/* MAP face over M3UA (map_listener.h). */
#include "map_listener.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "evloop.h"
#include "sigmsg.h"

#define ML_SWEEP_MS 1000

struct map_listener {
	struct tp_net *net;
	struct m3ua_sg *sg;
	struct map_face face;
	struct gw *g;
	uint64_t timer;
};

struct ml_out {
	struct map_listener *ml;
	struct m3ua_link *lk; /* NULL: pick by the answer's SLS */
	uint16_t stream;
};

static void ml_send(void *ud, const uint8_t *p, size_t len)
{
	struct ml_out *o = ud;
	struct m3ua_link *lk = o->lk;
	uint16_t stream = o->stream;
	if (!lk) {
		/* our own answer: its SLS says which ASP (sig_decode_m3ua, as m3ua.h and
		 * m3ua_asp.h do not go in one unit) */
		struct sig_msg *m = calloc(1, sizeof(*m));
		struct dfs_err e;
		uint8_t sls = 0;
		if (!m)
			return;
		if (sig_decode_m3ua(p, len, m, &e) == 0 && m->m3ua.has_proto_data)
			sls = m->m3ua.pd.sls;
		free(m);
		lk = m3ua_sg_pick(o->ml->sg, sls);
		if (!lk)
			return; /* no ASP active: the HLR's own timer ends its side */
		stream = m3ua_link_stream_for_sls(lk, sls);
	}
	m3ua_link_send(lk, p, len, stream);
}

static void ml_on_data(struct m3ua_link *lk, const uint8_t *msg, size_t len,
		       const struct m3ua_msg *m, uint16_t stream, void *ud)
{
	(void)m;
	struct map_listener *ml = ud;
	struct ml_out o = {ml, lk, stream};
	map_face_input(&ml->face, msg, len, ml->g->clock(ml->g->clock_ud), ml_send, &o);
}

static int ml_sweep(struct evloop *l, uint64_t id, void *ud)
{
	(void)l;
	(void)id;
	struct map_listener *ml = ud;
	struct ml_out o = {ml, NULL, 0};
	map_face_sweep(&ml->face, ml->g->clock(ml->g->clock_ud), ml_send, &o);
	return ML_SWEEP_MS;
}

static const struct m3ua_cbs ml_cbs = {.on_data = ml_on_data};

struct map_listener *map_listener_new(struct tp_net *net, const struct m3ua_sg_cfg *sg,
				      struct gw *g, const struct map_face_config *fc, char *err,
				      size_t errsz)
{
	struct map_listener *ml = calloc(1, sizeof(*ml));
	if (!ml) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	ml->net = net;
	ml->g = g;
	if (map_face_init(&ml->face, g, fc)) {
		snprintf(err, errsz, "map face: bad configuration");
		free(ml);
		return NULL;
	}
	struct m3ua_sg_cfg c = *sg;
	if (!c.name)
		c.name = "ussd-map";
	ml->sg = m3ua_sg_new(net, &c, &ml_cbs, ml, err, errsz);
	if (!ml->sg) {
		free(ml);
		return NULL;
	}
	ml->timer = evloop_timer_add(tp_net_loop(net), ML_SWEEP_MS, ml_sweep, ml);
	if (!ml->timer) {
		snprintf(err, errsz, "out of memory");
		m3ua_sg_close(ml->sg);
		free(ml);
		return NULL;
	}
	return ml;
}

uint16_t map_listener_port(const struct map_listener *ml)
{
	return m3ua_sg_port(ml->sg);
}

int map_listener_push(struct map_listener *ml, const struct map_push *req)
{
	if (!m3ua_sg_count(ml->sg, M3UA_ASP_ACTIVE))
		return -ENOTCONN;
	struct ml_out o = {ml, NULL, 0}; /* the ASP for the dialogue's SLS */
	return map_face_push(&ml->face, req, ml->g->clock(ml->g->clock_ud), ml_send, &o);
}

const struct map_face *map_listener_face(const struct map_listener *ml)
{
	return &ml->face;
}

void map_listener_free(struct map_listener *ml)
{
	if (!ml)
		return;
	evloop_timer_del(tp_net_loop(ml->net), ml->timer);
	m3ua_sg_close(ml->sg);
	map_face_destroy(&ml->face);
	free(ml);
}
