/* dfsguard config check FILE: validate a firewall configuration. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: dfsguard config check FILE\n"
		   "  Validates a firewall configuration; errors are printed as file:line: field: problem.\n");
}

static int config_check(const char *path)
{
	struct policy_config *c = policy_config_load_report(path, stderr);
	if (!c)
		return 1;
	unsigned cats[4] = {0};
	for (int op = 0; op < 256; op++)
		cats[c->op_cat[op]]++;
	printf("%s: ok: operator '%s', home +%s, %u home/partner GT prefixes, %u IMSI prefixes, "
	       "%u partners, %u node prefixes, categories 1/2/3: %u/%u/%u operations, mode %s%s%s%s%s\n",
	       path, c->operator_name[0] ? c->operator_name : "(unnamed)", c->home_cc, c->gt_net.n_prefixes,
	       c->imsi_net.n_prefixes, c->n_partners, c->roles.n_prefixes, cats[1], cats[2], cats[3],
	       c->mode == MODE_STRICT ? "strict" : "learning", c->monitor ? ", monitor only" : "",
	       c->pseudo_enabled ? ", pseudonymised alerts" : "",
	       c->state_backend == SUB_STATE_REDIS ? ", state in Redis at " : "",
	       c->state_backend != SUB_STATE_REDIS ? "" : c->redis.address[0] ? c->redis.address : "127.0.0.1:6379");
	policy_config_free(c);
	return 0;
}

int cmd_config(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc != 3 || strcmp(argv[1], "check")) {
		usage(stderr);
		return 2;
	}
	return config_check(argv[2]);
}
