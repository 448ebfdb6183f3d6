/* Fuzz target "config": the YAML config loader and the JSON overrides (fsim_config_load).
 * The scratch folder holds a copy of the bundled config/ (its routes/ linked); byte 0 picks
 * what the rest of the input replaces: vehicles.yaml, chargers.yaml, routes.yaml,
 * tariffs.yaml, the environment's overrides or the request's. The other parts stay the
 * bundled ones, so a mutation is judged against a config that is otherwise valid and
 * reaches the cross-file checks (a vehicle's charger, a route's GeoJSON). */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fleetsim/config.h>

static const char *const files[] = {"vehicles.yaml", "chargers.yaml", "routes.yaml",
                                    "tariffs.yaml"};
enum { N_FILES = sizeof files / sizeof *files };

static char *dir;
static char *paths[N_FILES];
static char *bundled[N_FILES];
static size_t bundled_len[N_FILES];

static char *read_bundled(const char *name, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config/%s", FUZZ_SOURCE_ROOT, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        abort();
    }
    char *text = malloc(1 << 20);
    if (!text)
        abort();
    *len = fread(text, 1, (1 << 20) - 1, f);
    fclose(f);
    return text;
}

/* The bundled config, copied once per process. */
static void setup(void)
{
    dir = fuzz_path("config");
    char *routes = fuzz_path("config/routes");
    char target[4096];
    snprintf(target, sizeof target, "%s/config/routes", FUZZ_SOURCE_ROOT);
    if (mkdir(dir, 0700) != 0 || symlink(target, routes) != 0) {
        perror(dir);
        abort();
    }
    free(routes);
    for (int i = 0; i < N_FILES; i++) {
        char name[64];
        snprintf(name, sizeof name, "config/%s", files[i]);
        paths[i] = fuzz_path(name);
        bundled[i] = read_bundled(files[i], &bundled_len[i]);
        fuzz_write(paths[i], bundled[i], bundled_len[i]);
    }
}

/* Before the first input: the setup is not timed as that input's run (fuzz.h). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setup();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (!dir)
        setup();
    unsigned part = data[0] % (N_FILES + 2);
    char *overrides[2] = {NULL, NULL};
    if (part < N_FILES)
        fuzz_write(paths[part], data + 1, size - 1);
    else
        overrides[part - N_FILES] = fuzz_cstr(data + 1, size - 1);
    fsim_config *config = NULL;
    fsim_error err;
    if (fsim_config_load(dir, overrides[0], overrides[1], &config, &err) == FSIM_OK) {
        fsim_config_section_json(config, "vehicles");
        fsim_config_section_json(config, "routes");
    }
    fsim_config_free(config);
    if (part < N_FILES)
        fuzz_write(paths[part], bundled[part], bundled_len[part]);
    free(overrides[0]);
    free(overrides[1]);
    return 0;
}
