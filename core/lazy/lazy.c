/* The loader behind the stubs of core/lazy (lazy_internal.h): dlopen a soname, dlsym each
 * function of its table, and the one sentence a missing library gets. */
#define _GNU_SOURCE /* RTLD_DEFAULT */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lazy_internal.h"

static const struct {
    const char *label, *soname, *package;
} libs[] = {
#define LIB_ROW(name, label, soname, package) {label, soname, package},
    FSIM_LAZY_MAP(LIB_ROW)
#undef LIB_ROW
};

static struct fsim__lazy_lib *const tables[] = {
    &fsim__lazy_pq, &fsim__lazy_curl, &fsim__lazy_crypto, &fsim__lazy_geos,
};
_Static_assert(sizeof tables / sizeof *tables == FSIM_LAZY_COUNT, "one table per library");

const char *fsim_lazy_soname(fsim_lazy_lib lib) { return libs[lib].soname; }

bool fsim__lazy_resolve(const char *soname, const char *const *names, size_t n,
                        fsim__lazy_fn *fns, char *why, size_t why_size)
{
    /* RTLD_LAZY: bind the library's own calls when they happen, as at start-up; LOCAL:
     * its symbols serve only the pointers taken here. */
    void *handle = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
    if (!handle) {
        const char *e = dlerror();
        snprintf(why, why_size, "%s", e ? e : "dlopen failed");
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        void *p = dlsym(handle, names[i]);
        if (!p) {
            snprintf(why, why_size, "%s has no function %s", soname, names[i]);
            return false;
        }
        memcpy(&fns[i], &p, sizeof p); /* POSIX: a data pointer from dlsym holds a function */
    }
    return true;
}

void fsim__lazy_load(struct fsim__lazy_lib *lib)
{
    lib->loaded = fsim__lazy_resolve(libs[lib->id].soname, lib->names, lib->n, lib->fns,
                                     lib->why, sizeof lib->why);
}

_Noreturn void fsim__lazy_fail(const struct fsim__lazy_lib *lib, const char *function)
{
    fprintf(stderr, "fleetsim: bug: %s called without fsim_lazy_need, and %s could not be "
            "loaded: %s\n", function, libs[lib->id].soname, lib->why);
    abort();
}

fsim_status fsim__lazy_explain(fsim_lazy_lib lib, const char *soname, const char *why,
                               const char *who, fsim_error *err)
{
    if (!err)
        return FSIM_INTERNAL;
    /* Not fsim_error_set: core/util uses these stubs, so this module stays below it. */
    memset(err, 0, sizeof *err);
    err->status = FSIM_INTERNAL;
    if (strstr(why, "No such file"))
        snprintf(err->message, sizeof err->message,
                 "%s is not installed (Debian package %s): %s needs it", soname,
                 libs[lib].package, who);
    else
        snprintf(err->message, sizeof err->message,
                 "could not load %s (Debian package %s), which %s needs: %.300s", soname,
                 libs[lib].package, who, why);
    return FSIM_INTERNAL;
}

fsim_status fsim_lazy_need(fsim_lazy_lib lib, const char *who, fsim_error *err)
{
    struct fsim__lazy_lib *t = tables[lib];
    pthread_once(&t->once, t->load);
    if (t->loaded)
        return FSIM_OK;
    return fsim__lazy_explain(lib, libs[lib].soname, t->why, who, err);
}

fsim_status fsim__lazy_probe(fsim_lazy_lib lib, const char *soname, const char *who,
                             fsim_error *err)
{
    const struct fsim__lazy_lib *t = tables[lib];
    fsim__lazy_fn *fns = calloc(t->n, sizeof *fns);
    char why[512] = "out of memory";
    bool ok = fns && fsim__lazy_resolve(soname, t->names, t->n, fns, why, sizeof why);
    free(fns);
    return ok ? FSIM_OK : fsim__lazy_explain(lib, soname, why, who, err);
}

void *fsim_lazy_symbol(const char *soname, const char *name)
{
    void *p = dlsym(RTLD_DEFAULT, name);
    if (p)
        return p;
    void *handle = dlopen(soname, RTLD_LAZY | RTLD_LOCAL);
    return handle ? dlsym(handle, name) : NULL;
}
