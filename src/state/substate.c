/* Choosing the subscriber state implementation from the configuration. */
#include "substate.h"

#include <stdio.h>

#include "substate_mem.h"

struct sub_state *sub_state_open(enum sub_state_backend backend, const struct sub_state_redis_cfg *redis,
				 const struct sub_state_limits *lim, char *err, size_t errsz)
{
	if (backend == SUB_STATE_REDIS)
		return sub_state_redis_new(redis, lim, err, errsz);
	struct sub_state *s = sub_state_mem_new(lim);
	if (!s)
		snprintf(err, errsz, "cannot allocate the state for %u subscribers", lim->max_subscribers);
	return s;
}

enum sub_state_backend sub_state_backend_of(const struct sub_state *s)
{
	return s->ops == &sub_state_mem_ops ? SUB_STATE_MEMORY : SUB_STATE_REDIS;
}
