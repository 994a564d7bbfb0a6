/* TCAP dialogue tracking (Q.771/Q.774 transaction sub-layer as seen from the middle).
 *
 * A Begin from A with otid X opens a dialogue keyed on (A's address, X). The first Continue
 * from B names it by dtid X (sent to A) and adds its own otid Y, so (B's address, Y) becomes a
 * second key of the same dialogue; later messages in either direction are matched by
 * (called address, dtid). End and Abort close it. The table is bounded (the oldest dialogues
 * are evicted) and dialogues idle longer than the timeout are forgotten.
 * Addresses are the SCCP GT digits, or the point code and SSN when there is no GT. */
#ifndef DFS_DIALOGUE_H
#define DFS_DIALOGUE_H
#include <stdbool.h>
#include <stdint.h>

#include "lru_table.h"
#include "sigmsg.h"

struct dlg_info {
	int32_t opcode;         /* first Invoke opcode of the Begin, -1 none */
	bool is_map;            /* MAP by application context or SSN */
	bool home_initiated;    /* the Begin came from the home network */
	uint8_t action;         /* verdict action of the Begin (enum verdict_action) */
	uint8_t ac, ac_version; /* MAP application context, 0 when none */
	char imsi[16];
	char msisdn[16];
	uint64_t start_ms;
};

enum dlg_result {
	DLG_NONE = 0,   /* not a dialogue message (Unidirectional, no transaction id) */
	DLG_BEGIN,      /* a Begin: the caller records the dialogue with dlg_open() */
	DLG_FOUND,      /* Continue/End/Abort of a known dialogue: *info filled */
	DLG_UNKNOWN,    /* Continue/End/Abort whose Begin was not seen (or timed out) */
};

struct dlg_table {
	struct lru_table t;
	uint64_t timeout_ms;
	uint64_t opened, closed, unknown;
};

/* 0 or negative errno. */
int dlg_init(struct dlg_table *d, uint32_t max, uint64_t timeout_ms);
void dlg_free(struct dlg_table *d);

/* Match a TCAP message to its dialogue. Continue refreshes the dialogue (and learns the
 * responder's tid); End and Abort remove it after copying its info. */
enum dlg_result dlg_match(struct dlg_table *d, const struct sig_msg *m, uint64_t now,
			  struct dlg_info *info);
/* Record the dialogue a Begin opens. */
void dlg_open(struct dlg_table *d, const struct sig_msg *m, const struct dlg_info *info, uint64_t now);
/* Forget dialogues idle longer than the timeout; returns how many. */
unsigned dlg_expire(struct dlg_table *d, uint64_t now);

#endif
