#include "dialogue.h"

#include <string.h>

/* A dialogue is stored under the initiator's key; the responder's key holds an alias. */
struct dlg_slot {
	bool alias;
	bool has_resp;
	uint64_t ka, kb;       /* alias: the initiator key; main: the responder key when has_resp */
	struct dlg_info info;  /* main entries only */
};

int dlg_init(struct dlg_table *d, uint32_t max, uint64_t timeout_ms)
{
	memset(d, 0, sizeof(*d));
	d->timeout_ms = timeout_ms;
	/* room for both keys of every dialogue */
	return lru_init(&d->t, max * 2u, sizeof(struct dlg_slot));
}

void dlg_free(struct dlg_table *d) { lru_free(&d->t); }

static uint64_t addr_key(const struct sccp_addr *a)
{
	if (a->digits[0])
		return digits_key(a->digits);
	/* no GT: the point code and SSN, tagged so it cannot meet a digits key by accident */
	return (1ull << 62) | ((uint64_t)a->pc << 8) | a->ssn;
}

static uint64_t tid_key(const struct tcap_tid *t) { return ((uint64_t)t->len << 32) | t->val; }

/* The main slot of the dialogue named by (called address, dtid), resolving an alias. */
static struct dlg_slot *lookup(struct dlg_table *d, const struct sig_msg *m, uint64_t now,
			       uint64_t *ka, uint64_t *kb)
{
	*ka = addr_key(&m->sccp.called);
	*kb = tid_key(&m->tcap.dtid);
	struct dlg_slot *s = lru_get(&d->t, *ka, *kb, now, d->timeout_ms);
	if (s && s->alias) {
		*ka = s->ka;
		*kb = s->kb;
		s = lru_get(&d->t, *ka, *kb, now, d->timeout_ms);
		if (s && s->alias)
			s = NULL;
	}
	return s;
}

/* Create or refresh the responder's key pointing at the initiator's. The main slot was
 * refreshed just before, so a full table evicts some other dialogue, never this one. */
static void put_alias(struct dlg_table *d, uint64_t ra, uint64_t rb, uint64_t ka, uint64_t kb,
		      uint64_t now)
{
	struct dlg_slot *a = lru_put(&d->t, ra, rb, now, NULL);
	a->alias = true;
	a->has_resp = false;
	a->ka = ka;
	a->kb = kb;
}

enum dlg_result dlg_match(struct dlg_table *d, const struct sig_msg *m, uint64_t now,
			  struct dlg_info *info)
{
	if (!m->has_tcap || !m->has_sccp)
		return DLG_NONE;
	const struct tcap_msg *t = &m->tcap;
	if (t->msg_type == TCAP_BEGIN)
		return t->otid.present ? DLG_BEGIN : DLG_NONE;
	if (t->msg_type != TCAP_CONTINUE && t->msg_type != TCAP_END && t->msg_type != TCAP_ABORT)
		return DLG_NONE;
	if (!t->dtid.present)
		return DLG_NONE;
	uint64_t ka, kb;
	struct dlg_slot *s = lookup(d, m, now, &ka, &kb);
	if (!s) {
		d->unknown++;
		return DLG_UNKNOWN;
	}
	*info = s->info;
	if (t->msg_type == TCAP_CONTINUE) {
		/* refresh, and learn the responder's transaction id from its first Continue */
		s = lru_put(&d->t, ka, kb, now, NULL);
		if (t->otid.present) {
			uint64_t ra = addr_key(&m->sccp.calling), rb = tid_key(&t->otid);
			if (!(ra == ka && rb == kb) && !(s->has_resp && s->ka == ra && s->kb == rb)) {
				if (s->has_resp)
					lru_del(&d->t, s->ka, s->kb);
				s->has_resp = true;
				s->ka = ra;
				s->kb = rb;
			}
		}
		if (s->has_resp)
			put_alias(d, s->ka, s->kb, ka, kb, now);
		return DLG_FOUND;
	}
	/* End or Abort: the dialogue is over */
	if (s->has_resp)
		lru_del(&d->t, s->ka, s->kb);
	lru_del(&d->t, ka, kb);
	d->closed++;
	return DLG_FOUND;
}

void dlg_open(struct dlg_table *d, const struct sig_msg *m, const struct dlg_info *info, uint64_t now)
{
	if (!m->has_tcap || m->tcap.msg_type != TCAP_BEGIN || !m->tcap.otid.present)
		return;
	uint64_t ka = addr_key(&m->sccp.calling), kb = tid_key(&m->tcap.otid);
	struct dlg_slot *s = lru_put(&d->t, ka, kb, now, NULL);
	if (s->has_resp && !s->alias) /* a reused tid: drop the old dialogue's alias */
		lru_del(&d->t, s->ka, s->kb);
	memset(s, 0, sizeof(*s));
	s->info = *info;
	s->info.start_ms = now;
	d->opened++;
}

unsigned dlg_expire(struct dlg_table *d, uint64_t now) { return lru_expire(&d->t, now, d->timeout_ms); }
