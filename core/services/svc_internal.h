/* Internal to core/services: the handle, the circuit breakers, the cache and the one HTTP
 * call every service makes (see fleetsim/services.h). */
#ifndef FLEETSIM_SVC_INTERNAL_H
#define FLEETSIM_SVC_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include <fleetsim/services.h>

struct cJSON;

/* One breaker per service: `failures` consecutive failed calls open it for open_s; then one
 * trial call (half-open) closes it on success or opens it again. */
struct fsim__breaker {
    int failures;
    bool open;
    bool trial;           /* half-open: a trial call is in flight */
    double opened_at;     /* monotonic seconds */
    double last_request;  /* monotonic seconds, for the rate limit */
};

struct fsim_svc {
    fsim_svc_options o;   /* strings below are owned copies */
    char *strings[8];
    pthread_mutex_t lock;
    struct fsim__breaker breakers[FSIM_SVC_COUNT];
};

/* "routing", "elevation", "weather" */
const char *fsim__svc_name(fsim_svc_kind kind);
double fsim__svc_now(void);

/* Checks a 200 answer before it is cached: FSIM_OK, or an error (not retried, not cached). */
typedef fsim_status (*fsim__svc_check_fn)(const struct cJSON *body, fsim_error *err);

/* GET `url` (no credentials in it: it is the cache key and what errors quote) of service
 * `kind`, from the cache or, unless offline, over HTTP with retries and the breaker; with
 * `token` (may be NULL) appended as access_token. *out: the parsed body, the caller's to
 * cJSON_Delete. `hint`: the command that would fetch it, for the offline error. */
fsim_status fsim__svc_get_json(fsim_svc *svc, fsim_svc_kind kind, const char *url,
                               const char *token, fsim__svc_check_fn check, const char *hint,
                               struct cJSON **out, fsim_error *err);

/* ---- the cache (cache.c) ----------------------------------------------------------------- */

/* The entry's file: <cache_dir>/<sha256 of "GET url">.json into buf; false without a cache
 * dir. */
bool fsim__cache_path(const fsim_svc *svc, const char *url, char *buf, size_t size);
/* The cached body of `url`, or NULL when absent or unreadable. */
struct cJSON *fsim__cache_get(const fsim_svc *svc, const char *url);
/* Stores {service, request, fetchedAt, body}; errors are ignored by the caller (a cache
 * that cannot be written costs a later fetch, not this answer). */
fsim_status fsim__cache_put(const fsim_svc *svc, fsim_svc_kind kind, const char *url,
                            const struct cJSON *body, fsim_error *err);

#endif
