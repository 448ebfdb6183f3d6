/* Helpers shared by the sub-commands: errors, usage, config location. */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/settings.h>
#include <fleetsim/util.h>

#include "cli.h"

int cli_fail(const char *cmd, const fsim_error *err)
{
    char buf[1200];
    fsim_error_format(err, buf, sizeof buf);
    fprintf(stderr, "fleetsim %s: %s\n", cmd, buf);
    int code = fsim_status_exit_code(err->status);
    return code ? code : 1;
}

int cli_usage(const char *cmd, const char *usage, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fleetsim %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nusage: %s\n", usage);
    return 2;
}

void cli_help(const char *usage, const char *help)
{
    printf("usage: %s\n\n%s", usage, help);
}

int cli_option_error(const char *cmd, const char *usage, int c, char **argv)
{
    if (c == ':')
        return cli_usage(cmd, usage, "%s needs a value", argv[optind - 1]);
    return cli_usage(cmd, usage, "unknown option \"%s\"", argv[optind - 1]);
}

const char *cli_config_dir(const char *option)
{
    if (option)
        return option;
    return fsim_setting_text(FSIM_SETTING_CONFIG_DIR);
}

fsim_status cli_load_config(const char *dir, const char *request_overrides, fsim_config **out,
                            fsim_error *err)
{
    return fsim_config_load(dir, fsim_setting_text(FSIM_SETTING_CONFIG_OVERRIDES),
                            request_overrides, out, err);
}

fsim_status cli_load_request(const char *path, fsim_arena *arena, fsim_request **out,
                             fsim_error *err)
{
    char *text;
    size_t len;
    fsim_status st = fsim_read_file(path, arena, &text, &len, err);
    if (st != FSIM_OK)
        return st;
    return fsim_request_decode(text, len, path, 0, arena, out, err);
}

fsim_runner_options cli_runner_options(const char *config_dir, const char *scenario)
{
    fsim_error ignored; /* a malformed service setting: the run fails if it needs one */
    return (fsim_runner_options){.config_dir = config_dir,
                                 .env_overrides_json =
                                     fsim_setting_text(FSIM_SETTING_CONFIG_OVERRIDES),
                                 .source = scenario, .services = cli_services(&ignored)};
}

const char *cli_default_scenario(const char *config_dir, fsim_arena *arena)
{
    return fsim_arena_sprintf(arena, "%s/scenarios/demo.json", config_dir);
}

int cli_scenario_open(const char *cmd, const char *scenario, const char *config_option,
                      struct cli_scenario *s)
{
    fsim_error err;
    fsim_error_clear(&err);
    memset(s, 0, sizeof *s);
    if (!(s->arena = fsim_arena_new())) {
        fsim_error_set(&err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        return cli_fail(cmd, &err);
    }
    s->config_dir = cli_config_dir(config_option);
    s->path = scenario ? scenario : cli_default_scenario(s->config_dir, s->arena);
    s->opts = cli_runner_options(s->config_dir, s->path);
    if (cli_load_request(s->path, s->arena, &s->req, &err) != FSIM_OK) {
        fsim_arena_free(s->arena);
        s->arena = NULL;
        return cli_fail(cmd, &err);
    }
    return 0;
}

int cli_parse_double(const char *text, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end != '\0' || !isfinite(v))
        return 0;
    *out = v;
    return 1;
}

/* One services handle per process (the CLI runs one command), built from the settings on
 * first use; --offline forces the cache-only mode whatever FLEETSIM_OFFLINE says. */
static fsim_svc *cli_svc;
static bool cli_svc_offline;

void cli_services_offline(void)
{
    cli_svc_offline = true;
}

fsim_svc *cli_services(fsim_error *err)
{
    if (cli_svc)
        return cli_svc;
    fsim_svc_options o;
    if (fsim_svc_options_from_settings(&o, err) != FSIM_OK)
        return NULL;
    o.offline = o.offline || cli_svc_offline;
    cli_svc = fsim_svc_new(&o);
    if (!cli_svc)
        fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    return cli_svc;
}
