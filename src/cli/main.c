/* dfsguard: one command, several subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#define DFSG_VERSION "0.1.0"

static const struct cli_cmd commands[] = {
	{"version", cmd_version, "print the version"},
	{"decode", cmd_decode, "decode signalling in captures to JSON"},
	{"analyze", cmd_analyze, "find attacks in captures (policy engine over decoded traffic)"},
	{"sim", cmd_sim, "simulate interconnect traffic and attacks into a capture"},
	{"ota", cmd_ota, "build and verify SIM OTA secured packets, manage OTA keys"},
	{"config", cmd_config, "check a firewall configuration file"},
	{"ussd", cmd_ussd, "run the secure USSD gateway"},
	{"audit", cmd_audit, "verify a USSD gateway audit log"},
	{"fw", cmd_fw, "run the inline signalling firewall (M3UA relay with the policy)"},
	{NULL, NULL, NULL},
};

int cmd_version(int argc, char **argv)
{
	printf("dfsguard %s\n", DFSG_VERSION);
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: dfsguard COMMAND [ARGS...]\n\ncommands:\n");
	for (const struct cli_cmd *c = commands; c->name; c++)
		fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n'dfsguard COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (const struct cli_cmd *c = commands; c->name; c++)
		if (!strcmp(c->name, argv[1]))
			return c->run(argc - 1, argv + 1);
	fprintf(stderr, "dfsguard: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
