/* core/lazy: one table of functions per library (pq.c, curl.c, crypto.c, geos.c), each a
 * stub with the library's own prototype (from its header, so the compiler checks it) that
 * calls through a pointer filled by dlopen + dlsym on first use, once (pthread_once). The
 * technique of systemd's dlopen_*() and Implib.so. */
#ifndef FSIM_LAZY_INTERNAL_H
#define FSIM_LAZY_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <fleetsim/lazy.h>

/* Any function pointer type converts to this one and back (C11 6.3.2.3p8). */
typedef void (*fsim__lazy_fn)(void);

/* One library: what to load and the pointers it fills. Written only inside `once`. */
struct fsim__lazy_lib {
    fsim_lazy_lib id;
    const char *const *names; /* the functions to resolve, in the order of fns */
    fsim__lazy_fn *fns;
    size_t n;
    pthread_once_t once;
    void (*load)(void);       /* calls fsim__lazy_load on this struct */
    bool loaded;
    char why[512];            /* when not loaded: dlerror() or the missing function */
};

/* Resolves names[0..n) from `soname` into fns; on failure writes why (never dlclosed: a
 * library once loaded stays, as the ones linked at start-up do). */
bool fsim__lazy_resolve(const char *soname, const char *const *names, size_t n,
                        fsim__lazy_fn *fns, char *why, size_t why_size);
/* The body of each library's once-function. */
void fsim__lazy_load(struct fsim__lazy_lib *lib);
/* A stub called although its library could not be loaded: a caller skipped
 * fsim_lazy_need. Prints why to stderr and aborts (a bug, not a user error). */
_Noreturn void fsim__lazy_fail(const struct fsim__lazy_lib *lib, const char *function);

/* The sentence fsim_lazy_need gives, for `why` from loading `soname` (a test passes its
 * own soname to see it). */
fsim_status fsim__lazy_explain(fsim_lazy_lib lib, const char *soname, const char *why,
                               const char *who, fsim_error *err);

/* fsim_lazy_need's answer had `lib` the soname `soname`, without touching the process's
 * tables (tests/unit/test_lazy.c: a soname that does not exist, one without the functions). */
fsim_status fsim__lazy_probe(fsim_lazy_lib lib, const char *soname, const char *who,
                             fsim_error *err);

/* The four tables (their files define them). */
extern struct fsim__lazy_lib fsim__lazy_pq, fsim__lazy_curl, fsim__lazy_crypto,
    fsim__lazy_geos;

static inline void fsim__lazy_ensure(struct fsim__lazy_lib *lib, const char *function)
{
    pthread_once(&lib->once, lib->load);
    if (!lib->loaded)
        fsim__lazy_fail(lib, function);
}

/* FSIM__LAZY_DEFINE(ID, LIST) defines the table of library FSIM_LAZY_<ID> and one stub
 * per entry of LIST(F, V, H): F(return type, name, (parameters), (arguments)) for a
 * function returning a value, V(name, (parameters), (arguments)) for a void one, H(name) for
 * one resolved here whose stub the file writes by hand (a variadic one), calling
 * FSIM__LAZY_FN(name) after fsim__lazy_ensure. */
#define FSIM__LAZY_INDEX_F(ret, name, params, args) FSIM__LAZY_I_##name,
#define FSIM__LAZY_INDEX_V(name, params, args) FSIM__LAZY_I_##name,
#define FSIM__LAZY_INDEX_H(name) FSIM__LAZY_I_##name,
#define FSIM__LAZY_NAME_F(ret, name, params, args) #name,
#define FSIM__LAZY_NAME_V(name, params, args) #name,
#define FSIM__LAZY_NAME_H(name) #name,
#define FSIM__LAZY_STUB_H(name)
#define FSIM__LAZY_FN(name) (FSIM__LAZY_VAR.fns[FSIM__LAZY_I_##name])
#define FSIM__LAZY_STUB_F(ret, name, params, args)                                   \
    ret name params                                                                  \
    {                                                                                \
        fsim__lazy_ensure(&FSIM__LAZY_VAR, #name);                                   \
        return ((ret(*) params)FSIM__LAZY_VAR.fns[FSIM__LAZY_I_##name]) args;        \
    }
#define FSIM__LAZY_STUB_V(name, params, args)                                        \
    void name params                                                                 \
    {                                                                                \
        fsim__lazy_ensure(&FSIM__LAZY_VAR, #name);                                   \
        ((void(*) params)FSIM__LAZY_VAR.fns[FSIM__LAZY_I_##name]) args;              \
    }

/* Expects FSIM__LAZY_VAR #defined to the table's name before use. */
#define FSIM__LAZY_DEFINE(ID, LIST)                                                  \
    enum { LIST(FSIM__LAZY_INDEX_F, FSIM__LAZY_INDEX_V, FSIM__LAZY_INDEX_H) FSIM__LAZY_N };              \
    static const char *const fsim__lazy_names[] = {                                  \
        LIST(FSIM__LAZY_NAME_F, FSIM__LAZY_NAME_V, FSIM__LAZY_NAME_H)};                                 \
    static fsim__lazy_fn fsim__lazy_fns[FSIM__LAZY_N];                               \
    static void fsim__lazy_load_this(void) { fsim__lazy_load(&FSIM__LAZY_VAR); }     \
    struct fsim__lazy_lib FSIM__LAZY_VAR = {                                         \
        .id = FSIM_LAZY_##ID,                                                        \
        .names = fsim__lazy_names,                                                   \
        .fns = fsim__lazy_fns,                                                       \
        .n = FSIM__LAZY_N,                                                           \
        .once = PTHREAD_ONCE_INIT,                                                   \
        .load = fsim__lazy_load_this,                                                \
    };                                                                               \
    LIST(FSIM__LAZY_STUB_F, FSIM__LAZY_STUB_V, FSIM__LAZY_STUB_H)

#endif
