/* fleetsim CLI — the sub-command table and helpers shared by cli/cmd_*.c. */
#ifndef FLEETSIM_CLI_H
#define FLEETSIM_CLI_H

struct cli_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

int cmd_help(int argc, char **argv);

#endif
