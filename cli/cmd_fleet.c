/* fleetsim fleet create | list — fleets through fleetsim-api (POST / GET /v1/fleets), so a
 * scenario's fleetId can be made without SQL. The API address and key as for submit. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
    "fleetsim fleet create NAME [--state XX] [--id UUID] [--api URL] | fleet list [--json] "
    "[--api URL]";

static const char help[] =
    "  create NAME   create a fleet; prints its id (a scenario's fleetId)\n"
    "  list          every fleet by name: id, name, state, vehicles, simulations\n"
    "  --state XX    the fleet's US state (two capitals): its electricity price and grid\n"
    "                CO2 price the fleet's runs (state data: fleetsim import state-data)\n"
    "  --id UUID     the id to give it (default: a new one), e.g. a scenario's fleetId\n"
    "  --json        list: the FleetPage of every page as JSON lines\n"
    "  --api URL     fleetsim-api's base URL (default: $FLEETSIM_API_URL, else\n"
    "                http://127.0.0.1:8080); the key is $FLEETSIM_API_KEY\n"
    "exit codes: 0 done, 1 the API failed (5xx, no answer), 2 bad input or usage (4xx: a\n"
    "fleet of that name exists, a bad state code; the API's message is printed)\n";

struct fleet_options {
    const char *api, *state, *id;
    int json;
};

static int create(const struct fleet_options *o, const char *name)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    fsim_error_clear(&err);
    fsim_new_fleet nf = {.name = name, .state_code = o->state, .id = o->id};
    char url[1200], *text = NULL, *body = fsim_wire_encode(FSIM_WIRE_NEW_FLEET, &nf, 0, NULL);
    long http;
    void *f = NULL;
    int rc = 0;
    snprintf(url, sizeof url, "%s/v1/fleets", cli_api_base(o->api));
    if (!arena || !body)
        fsim_error_set(&err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    else if (cli_api_request("POST", url, body, NULL, arena, &text, &http, &err) == FSIM_OK)
        fsim_wire_decode(FSIM_WIRE_FLEET, text, strlen(text), url, FSIM_WIRE_IGNORE_UNKNOWN,
                         arena, &f, &err);
    if (f)
        printf("%s\n", ((fsim_fleet *)f)->id);
    else
        rc = cli_fail("fleet", &err);
    free(body);
    fsim_arena_free(arena);
    return rc;
}

/* Every page, following nextCursor. */
static int list(const struct fleet_options *o)
{
    fsim_arena *arena = fsim_arena_new();
    fsim_error err;
    fsim_error_clear(&err);
    const char *cursor = NULL;
    int rc = 0, shown = 0;
    if (!arena)
        return 1;
    do {
        char url[1600], *text;
        long http;
        void *p = NULL;
        snprintf(url, sizeof url, "%s/v1/fleets?limit=1000%s%s", cli_api_base(o->api),
                 cursor ? "&cursor=" : "", cursor ? cursor : "");
        if (cli_api_request("GET", url, NULL, NULL, arena, &text, &http, &err) != FSIM_OK ||
            fsim_wire_decode(FSIM_WIRE_FLEET_PAGE, text, strlen(text), url,
                             FSIM_WIRE_IGNORE_UNKNOWN, arena, &p, &err) != FSIM_OK) {
            rc = cli_fail("fleet", &err);
            break;
        }
        const fsim_fleet_page *page = p;
        if (o->json)
            puts(text);
        for (size_t i = 0; !o->json && i < page->n_items; i++, shown++) {
            const fsim_fleet *f = &page->items[i];
            if (!shown)
                printf("%-36s  %-24s %-5s %8s %11s\n", "id", "name", "state", "vehicles",
                       "simulations");
            printf("%-36s  %-24s %-5s %8d %11d\n", f->id, f->name,
                   f->state_code ? f->state_code : "-", f->vehicles, f->simulations);
        }
        cursor = page->next_cursor;
    } while (cursor);
    fsim_arena_free(arena);
    return rc;
}

int cmd_fleet(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"api", required_argument, NULL, 'a'}, {"state", required_argument, NULL, 's'},
        {"id", required_argument, NULL, 'i'},  {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},      {NULL, 0, NULL, 0}};
    struct fleet_options o = {0};
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'a': o.api = optarg; break;
        case 's': o.state = optarg; break;
        case 'i': o.id = optarg; break;
        case 'j': o.json = 1; break;
        case 'h': cli_help(usage, help); return 0;
        default: return cli_option_error("fleet", usage, c, argv);
        }
    }
    const char *sub = optind < argc ? argv[optind] : NULL;
    if (sub && strcmp(sub, "create") == 0 && argc - optind == 2)
        return create(&o, argv[optind + 1]);
    if (sub && strcmp(sub, "list") == 0 && argc - optind == 1)
        return list(&o);
    if (sub && strcmp(sub, "create") == 0)
        return cli_usage("fleet", usage, "create needs one NAME");
    return cli_usage("fleet", usage, sub ? "unknown sub-command \"%s\"" : "a sub-command is required",
                     sub);
}
