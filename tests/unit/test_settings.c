/* The settings table (<fleetsim/settings.h>): typed reads that name the variable on a bad
 * value, table defaults, and docs/environment.md's table equal to the declaration.
 * `test_settings --markdown` prints the table to paste into docs/environment.md. */
#include <stdlib.h>
#include <string.h>

#include <fleetsim/settings.h>

#include "check.h"

/* test names embed error messages; check.h cuts them at 512 bytes, which is fine */
#pragma GCC diagnostic ignored "-Wformat-truncation"

/* The table rows of docs/environment.md, from its header row to the first line that is not a
 * row. malloc'd; NULL when the file or the table is missing. */
static char *documented_table(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *out = malloc(cap), line[4096];
    bool in = false;
    while (out && fgets(line, sizeof line, f)) {
        if (!in && strncmp(line, "| variable |", 12) == 0)
            in = true;
        else if (in && line[0] != '|')
            break;
        if (in) {
            size_t n = strlen(line);
            if (len + n + 1 > cap)
                break;
            memcpy(out + len, line, n + 1);
            len += n;
        }
    }
    fclose(f);
    if (out && !in) {
        free(out);
        return NULL;
    }
    return out;
}

static void test_reads(void)
{
    fsim_error err;
    long n = 0;
    unsetenv("FLEETSIM_API_WORKERS");
    CHECK(fsim_setting_int(FSIM_SETTING_API_WORKERS, 99, &n, &err) == FSIM_OK && n == 2,
          "unset: the table's default (2)");
    setenv("FLEETSIM_API_WORKERS", "", 1);
    CHECK(fsim_setting_int(FSIM_SETTING_API_WORKERS, 99, &n, &err) == FSIM_OK && n == 2,
          "empty counts as unset");
    setenv("FLEETSIM_API_WORKERS", "7", 1);
    CHECK(fsim_setting_int(FSIM_SETTING_API_WORKERS, 99, &n, &err) == FSIM_OK && n == 7,
          "a whole number in range is read");
    setenv("FLEETSIM_API_WORKERS", "7x", 1);
    fsim_status st = fsim_setting_int(FSIM_SETTING_API_WORKERS, 99, &n, &err);
    CHECK(st == FSIM_USAGE &&
              strcmp(err.source, "FLEETSIM_API_WORKERS") == 0 && strstr(err.message, "\"7x\"") &&
              strstr(err.message, "0..256"),
          "malformed: a usage error naming the variable, the value and the range (%s)",
          err.message);
    setenv("FLEETSIM_API_WORKERS", "257", 1);
    CHECK(fsim_setting_int(FSIM_SETTING_API_WORKERS, 99, &n, &err) == FSIM_USAGE,
          "out of range: refused");
    unsetenv("FLEETSIM_API_WORKERS");
    unsetenv("FLEETSIM_API_DB_POOL");
    CHECK(fsim_setting_int(FSIM_SETTING_API_DB_POOL, 10, &n, &err) == FSIM_OK && n == 10,
          "no table default: the caller's computed one");

    bool b = true;
    unsetenv("FLEETSIM_API_DOCS");
    CHECK(fsim_setting_bool(FSIM_SETTING_API_DOCS, &b, &err) == FSIM_OK && !b,
          "docs off by default");
    setenv("FLEETSIM_API_DOCS", "1", 1);
    CHECK(fsim_setting_bool(FSIM_SETTING_API_DOCS, &b, &err) == FSIM_OK && b, "1 is on");
    setenv("FLEETSIM_API_DOCS", "yes", 1);
    CHECK(fsim_setting_bool(FSIM_SETTING_API_DOCS, &b, &err) == FSIM_USAGE &&
              strcmp(err.source, "FLEETSIM_API_DOCS") == 0,
          "FLEETSIM_API_DOCS=yes: refused, naming the variable (it used to mean off)");
    unsetenv("FLEETSIM_API_DOCS");

    const char *c = NULL;
    setenv("FLEETSIM_RESULT_MODE", "s3", 1);
    st = fsim_setting_choice(FSIM_SETTING_RESULT_MODE, &c, &err);
    CHECK(st == FSIM_USAGE &&
              strstr(err.message, "db|gcs"),
          "a choice outside the list: refused, the choices named (%s)", err.message);
    unsetenv("FLEETSIM_RESULT_MODE");
    CHECK(fsim_setting_choice(FSIM_SETTING_RESULT_MODE, &c, &err) == FSIM_OK &&
              strcmp(c, "db") == 0,
          "a choice unset: its default");
    unsetenv("FLEETSIM_CONFIG_DIR");
    CHECK(strcmp(fsim_setting_text(FSIM_SETTING_CONFIG_DIR), "config") == 0,
          "text default (FLEETSIM_CONFIG_DIR = config)");
}

static void test_docs(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/environment.md", getenv("FSIM_SOURCE_ROOT"));
    char *doc = documented_table(path);
    char *decl = fsim_settings_markdown();
    bool same = doc && decl && strcmp(doc, decl) == 0;
    if (!same && doc && decl) {
        /* the first line that differs, to say what to fix */
        const char *a = doc, *b = decl;
        while (*a && *a == *b)
            a++, b++;
        while (a > doc && a[-1] != '\n')
            a--, b--;
        printf("# docs:     %.*s\n# declared: %.*s\n", (int)strcspn(a, "\n"), a,
               (int)strcspn(b, "\n"), b);
        printf("# regenerate with: build-asan/tests/unit/test_settings --markdown\n");
    }
    CHECK(same, "docs/environment.md's table is FSIM_SETTINGS_MAP (%s)",
          doc ? "compared" : "table not found");
    free(doc);
    free(decl);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--markdown") == 0) {
        char *md = fsim_settings_markdown();
        fputs(md ? md : "", stdout);
        free(md);
        return md ? 0 : 1;
    }
    test_reads();
    test_docs();
    return check_done();
}
