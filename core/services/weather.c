/* Weather: a place and a horizon → hourly air temperature, from Open-Meteo (no key):
 *   GET {forecast|archive}?latitude=…&longitude=…&hourly=temperature_2m&timezone=GMT
 *       &start_date=YYYY-MM-DD&end_date=YYYY-MM-DD
 * → {"hourly": {"time": ["2026-01-05T00:00", …], "temperature_2m": [-3.1, …]}, …}.
 * The archive (ERA5 reanalysis) lags real time by about five days; the forecast covers the
 * recent past and 16 days ahead, so a horizon that ends before that lag goes to the
 * archive. */
#include "svc_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#define ARCHIVE_LAG_S (5 * 86400.0)

static fsim_status check_weather(const cJSON *body, fsim_error *err)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(body, "hourly");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(h, "temperature_2m");
    if (!cJSON_IsArray(t) || cJSON_GetArraySize(t) == 0)
        return fsim_error_set(err, FSIM_UNAVAILABLE, NULL, 0, 0, NULL,
                              "weather service: the answer has no hourly.temperature_2m");
    return FSIM_OK;
}

static void ymd(double unix_s, char buf[16])
{
    time_t t = (time_t)unix_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, 16, "%Y-%m-%d", &tm);
}

fsim_status fsim_svc_weather_hourly(fsim_svc *s, double lon, double lat, double start,
                                    size_t hours, const char *hint, double *out_c,
                                    fsim_error *err)
{
    if (hours == 0)
        return FSIM_OK;
    const double day0 = floor(start / 86400.0) * 86400.0;
    const double first_hour = floor(start / 3600.0) * 3600.0;
    const double end = first_hour + (double)(hours - 1) * 3600.0;
    char from[16], to[16];
    ymd(day0, from);
    ymd(end, to);
    const bool archive = end < (double)time(NULL) - ARCHIVE_LAG_S;
    const char *base = archive ? s->o.weather_archive_url : s->o.weather_url;
    char url[1024];
    snprintf(url, sizeof url,
             "%s?latitude=%.4f&longitude=%.4f&hourly=temperature_2m&timezone=GMT"
             "&start_date=%s&end_date=%s",
             base, lat, lon, from, to);
    cJSON *body = NULL;
    fsim_status st = fsim__svc_get_json(s, FSIM_SVC_WEATHER, url, NULL, check_weather, hint,
                                        &body, err);
    if (st != FSIM_OK)
        return st;
    const cJSON *temps = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(body, "hourly"), "temperature_2m");
    const size_t n = (size_t)cJSON_GetArraySize(temps);
    double last = NAN;
    size_t missing = 0;
    for (size_t h = 0; h < hours; h++) {
        size_t i = (size_t)((first_hour - day0) / 3600.0) + h;
        const cJSON *v = i < n ? cJSON_GetArrayItem(temps, (int)i) : NULL;
        if (cJSON_IsNumber(v))
            last = v->valuedouble;
        else
            missing++;
        out_c[h] = last; /* a gap (null, or past the answer's end) holds the last value */
    }
    /* leading gaps take the first value there is */
    size_t k = 0;
    while (k < hours && isnan(out_c[k]))
        k++;
    if (k == hours)
        st = fsim_error_set(err, FSIM_UNAVAILABLE, url, 0, 0, NULL,
                            "weather service: no temperature for %s..%s", from, to);
    for (size_t h = 0; h < k && k < hours; h++)
        out_c[h] = out_c[k];
    (void)missing;
    cJSON_Delete(body);
    return st;
}
