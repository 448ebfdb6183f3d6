/* The services handle: options from the settings, the owned copies, the breakers' state. */
#include "svc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fleetsim/settings.h>

static char default_cache[4096];

/* The settings, read once per program start; the cache defaults to the XDG cache folder
 * so a developer's second `routes fetch` is served from disk. */
fsim_status fsim_svc_options_from_settings(fsim_svc_options *o, fsim_error *err)
{
    *o = (fsim_svc_options){0};
    long timeout = 0, attempts = 0;
    bool offline = false;
    fsim_status st;
    if ((st = fsim_setting_int(FSIM_SETTING_SERVICE_TIMEOUT_SECONDS, 20, &timeout, err)) ||
        (st = fsim_setting_int(FSIM_SETTING_SERVICE_MAX_ATTEMPTS, 4, &attempts, err)) ||
        (st = fsim_setting_bool(FSIM_SETTING_OFFLINE, &offline, err)) ||
        (st = fsim_setting_choice(FSIM_SETTING_ROUTING_PROFILE, &o->routing_profile, err)))
        return st;
    o->routing_url = fsim_setting_text(FSIM_SETTING_ROUTING_URL);
    o->mapbox_token = fsim_setting_text(FSIM_SETTING_MAPBOX_ACCESS_TOKEN);
    o->elevation_url = fsim_setting_text(FSIM_SETTING_ELEVATION_URL);
    o->weather_url = fsim_setting_text(FSIM_SETTING_WEATHER_URL);
    o->weather_archive_url = fsim_setting_text(FSIM_SETTING_WEATHER_ARCHIVE_URL);
    o->cache_dir = fsim_cache_dir(default_cache, sizeof default_cache);
    o->offline = offline;
    o->timeout_s = timeout;
    o->max_attempts = (int)attempts;
    return FSIM_OK;
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

fsim_svc *fsim_svc_new(const fsim_svc_options *opts)
{
    fsim_svc *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->o = *opts;
    const char **fields[] = {&s->o.routing_url, &s->o.routing_profile, &s->o.mapbox_token,
                             &s->o.elevation_url, &s->o.weather_url,
                             &s->o.weather_archive_url, &s->o.cache_dir};
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        s->strings[i] = dup_or_null(*fields[i]);
        if (*fields[i] && !s->strings[i]) {
            fsim_svc_free(s);
            return NULL;
        }
        *fields[i] = s->strings[i];
    }
    if (!s->o.routing_profile)
        s->o.routing_profile = "driving";
    if (s->o.timeout_s <= 0)
        s->o.timeout_s = 20;
    if (s->o.max_attempts <= 0)
        s->o.max_attempts = 4;
    if (s->o.backoff_initial_s <= 0)
        s->o.backoff_initial_s = 0.5;
    if (s->o.backoff_max_s <= 0)
        s->o.backoff_max_s = 8;
    if (s->o.min_interval_s < 0)
        s->o.min_interval_s = 0;
    else if (s->o.min_interval_s == 0)
        s->o.min_interval_s = 0.2; /* Mapbox Directions: 300 requests per minute */
    if (s->o.breaker_failures <= 0)
        s->o.breaker_failures = 5;
    if (s->o.breaker_open_s <= 0)
        s->o.breaker_open_s = 30;
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

void fsim_svc_free(fsim_svc *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < sizeof s->strings / sizeof *s->strings; i++)
        free(s->strings[i]);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

bool fsim_svc_offline(const fsim_svc *s)
{
    return s && s->o.offline;
}

const char *fsim__svc_name(fsim_svc_kind kind)
{
    static const char *const names[FSIM_SVC_COUNT] = {"routing", "elevation", "weather"};
    return (unsigned)kind < FSIM_SVC_COUNT ? names[kind] : "?";
}

double fsim__svc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *fsim_svc_breaker_state(fsim_svc *s, fsim_svc_kind kind)
{
    pthread_mutex_lock(&s->lock);
    const struct fsim__breaker *b = &s->breakers[kind];
    const char *state = !b->open                                              ? "closed"
                        : b->trial || fsim__svc_now() - b->opened_at >= s->o.breaker_open_s
                            ? "half-open"
                            : "open";
    pthread_mutex_unlock(&s->lock);
    return state;
}
