/* Helpers shared by the policy test programs: message builders and config loading. */
#ifndef DFS_POLICY_TESTLIB_H
#define DFS_POLICY_TESTLIB_H
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"
#include "sigmsg_build.h"

static inline struct policy_config *tl_config(const char *yaml)
{
	struct cfg_errors errs;
	struct policy_config *c = policy_config_parse("test.yaml", yaml, strlen(yaml), &errs);
	for (unsigned i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.msg[i]);
	assert_non_null(c);
	return c;
}

static inline struct policy_ctx *tl_ctx(const struct policy_config *c)
{
	char err[128];
	struct policy_ctx *p = policy_new(c, NULL, err, sizeof(err));
	assert_non_null(p);
	return p;
}

#endif
