/* Internals of the in-process subscriber state, shared with its SQLite snapshot code. */
#ifndef DFS_SUBSTATE_MEM_H
#define DFS_SUBSTATE_MEM_H
#include "lru_table.h"
#include "substate.h"

struct sub_mem {
	struct sub_state base; /* first: a struct sub_state * is a struct sub_mem * */
	struct sub_state_limits lim;
	struct lru_table subs;    /* digits_key(IMSI) -> struct sub_record */
	struct lru_table msisdns; /* digits_key(MSISDN) -> IMSI text */
	struct lru_table rates;   /* digits_key(key), kind -> token bucket */
};

extern const struct sub_state_ops sub_state_mem_ops;

#endif
