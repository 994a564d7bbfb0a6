/* dfsguard subcommands. Each lives in cli/cmd_<name>.c and is listed in main.c. */
#ifndef DFS_CLI_H
#define DFS_CLI_H

struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
	const char *summary;
};

int cmd_version(int argc, char **argv);
int cmd_ota(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_ussd(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_sim(int argc, char **argv);
int cmd_sim_dial(int argc, char **argv); /* `sim dial`, dispatched by cmd_sim */
int cmd_analyze(int argc, char **argv);
int cmd_fw(int argc, char **argv);

#endif
