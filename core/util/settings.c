/* The views of FSIM_SETTINGS_MAP: typed, validated reads of the environment, --help lines and
 * the documentation's table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fleetsim/settings.h>

typedef enum { TEXT, INT, BOOL, CHOICE } setting_type;

typedef struct setting {
    const char *name;
    setting_type type;
    const char *value; /* when unset */
    long lo, hi;
    const char *choices;
    const char *used_by;
    const char *doc_default;
    const char *meaning;
} setting;

static const setting table[] = {
#define ROW(id, name, type, value, lo, hi, choices, used_by, doc_default, meaning)           \
    {name, type, value, lo, hi, choices, used_by, doc_default, meaning},
    FSIM_SETTINGS_MAP(ROW)
#undef ROW
};

const char *fsim_setting_name(fsim_setting_id id)
{
    return (unsigned)id < FSIM_SETTING_COUNT ? table[id].name : NULL;
}

const char *fsim_setting_text(fsim_setting_id id)
{
    const char *v = getenv(table[id].name);
    return v && *v ? v : table[id].value;
}

/* Set, and not empty: the value a user gave (NULL when none). */
static const char *given(fsim_setting_id id)
{
    const char *v = getenv(table[id].name);
    return v && *v ? v : NULL;
}

fsim_status fsim_setting_int(fsim_setting_id id, long fallback, long *out, fsim_error *err)
{
    const setting *s = &table[id];
    const char *v = given(id);
    if (!v) {
        *out = s->value ? strtol(s->value, NULL, 10) : fallback;
        return FSIM_OK;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < s->lo || n > s->hi)
        return fsim_error_set(err, FSIM_USAGE, s->name, 0, 0, NULL,
                              "\"%.64s\" is not a whole number in %ld..%ld", v, s->lo, s->hi);
    *out = n;
    return FSIM_OK;
}

fsim_status fsim_setting_bool(fsim_setting_id id, bool *out, fsim_error *err)
{
    const char *v = fsim_setting_text(id);
    if (v && (strcmp(v, "0") == 0 || strcmp(v, "1") == 0)) {
        *out = v[0] == '1';
        return FSIM_OK;
    }
    return fsim_error_set(err, FSIM_USAGE, table[id].name, 0, 0, NULL,
                          "\"%.64s\" is not 0 or 1", v ? v : "");
}

fsim_status fsim_setting_choice(fsim_setting_id id, const char **out, fsim_error *err)
{
    const setting *s = &table[id];
    const char *v = fsim_setting_text(id);
    size_t n = v ? strlen(v) : 0;
    for (const char *c = s->choices; v && c && *c;) {
        size_t len = strcspn(c, "|");
        if (len == n && strncmp(c, v, n) == 0) {
            *out = v;
            return FSIM_OK;
        }
        c += len + (c[len] == '|');
    }
    return fsim_error_set(err, FSIM_USAGE, s->name, 0, 0, NULL, "\"%.64s\" is not one of %s",
                          v ? v : "", s->choices);
}

fsim_status fsim_setting_production(bool *out, fsim_error *err)
{
    *out = false;
    if (!given(FSIM_SETTING_ENV)) {
        *out = given(FSIM_SETTING_K_SERVICE) != NULL;
        return FSIM_OK;
    }
    const char *env;
    fsim_status st = fsim_setting_choice(FSIM_SETTING_ENV, &env, err);
    if (st != FSIM_OK)
        return st;
    *out = strcmp(env, "production") == 0 || given(FSIM_SETTING_K_SERVICE);
    return FSIM_OK;
}

/* Whether the `used by` text names `program` as a word ("api", "pubsub", "migrate", …). */
static bool used_by(const setting *s, const char *program)
{
    if (strcmp(s->used_by, "all") == 0)
        return true;
    size_t n = strlen(program);
    for (const char *p = strstr(s->used_by, program); p; p = strstr(p + 1, program)) {
        bool start = p == s->used_by || strchr(" `,/", p[-1]);
        bool end = !p[n] || strchr(" `,/", p[n]);
        if (start && end)
            return true;
    }
    return false;
}

/* Whether one of the '|'-separated `programs` uses the setting. */
static bool used_by_any(const setting *s, const char *programs)
{
    char word[64];
    for (const char *p = programs; *p;) {
        size_t n = strcspn(p, "|");
        snprintf(word, sizeof word, "%.*s", (int)n, p);
        if (used_by(s, word))
            return true;
        p += n + (p[n] == '|');
    }
    return false;
}

void fsim_settings_print(FILE *out, const char *programs)
{
    fputs("Environment (see docs/environment.md):\n", out);
    for (size_t i = 0; i < FSIM_SETTING_COUNT; i++)
        if (used_by_any(&table[i], programs))
            fprintf(out, "  %-38s %s (default: %s)\n", table[i].name, table[i].meaning,
                    table[i].doc_default);
}

char *fsim_settings_markdown(void)
{
    size_t cap = 256;
    for (size_t i = 0; i < FSIM_SETTING_COUNT; i++)
        cap += strlen(table[i].name) + strlen(table[i].used_by) +
               strlen(table[i].doc_default) + strlen(table[i].meaning) + 16;
    char *md = malloc(cap);
    if (!md)
        return NULL;
    size_t len = (size_t)snprintf(md, cap, "| variable | used by | default | meaning |\n"
                                           "|---|---|---|---|\n");
    for (size_t i = 0; i < FSIM_SETTING_COUNT; i++)
        len += (size_t)snprintf(md + len, cap - len, "| `%s` | %s | %s | %s |\n",
                                table[i].name, table[i].used_by, table[i].doc_default,
                                table[i].meaning);
    return md;
}
