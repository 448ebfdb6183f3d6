/* Elevation: points → metres above sea level, from Open-Meteo's elevation API (Copernicus
 * DEM GLO-90, no key): GET {url}?latitude=a,b,…&longitude=c,d,… → {"elevation": [m, …]},
 * at most 100 points a request. Chosen over Mapbox Terrain-RGB tiles (docs/services.md):
 * one JSON request per 100 points instead of tile arithmetic and PNG decoding, no token, and
 * the same provider as the weather. */
#include "svc_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

static fsim_status check_elevation(const cJSON *body, fsim_error *err)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(body, "elevation");
    if (!cJSON_IsArray(e))
        return fsim_error_set(err, FSIM_UNAVAILABLE, NULL, 0, 0, NULL,
                              "elevation service: the answer has no \"elevation\" array");
    return FSIM_OK;
}

fsim_status fsim_svc_elevation(fsim_svc *s, const double *lon, const double *lat, size_t n,
                               const char *hint, double *out_m, fsim_error *err)
{
    for (size_t first = 0; first < n; first += FSIM_SVC_ELEVATION_BATCH) {
        size_t m = n - first < FSIM_SVC_ELEVATION_BATCH ? n - first : FSIM_SVC_ELEVATION_BATCH;
        size_t len = strlen(s->o.elevation_url) + m * 28 + 64;
        char *url = malloc(len);
        if (!url)
            return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        int k = snprintf(url, len, "%s?latitude=", s->o.elevation_url);
        for (size_t i = 0; i < m; i++)
            k += snprintf(url + k, len - (size_t)k, "%s%.5f", i ? "," : "", lat[first + i]);
        k += snprintf(url + k, len - (size_t)k, "&longitude=");
        for (size_t i = 0; i < m; i++)
            k += snprintf(url + k, len - (size_t)k, "%s%.5f", i ? "," : "", lon[first + i]);
        cJSON *body = NULL;
        fsim_status st = fsim__svc_get_json(s, FSIM_SVC_ELEVATION, url, NULL, check_elevation,
                                            hint, &body, err);
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(body, "elevation");
        if (st == FSIM_OK && (size_t)cJSON_GetArraySize(e) != m)
            st = fsim_error_set(err, FSIM_UNAVAILABLE, url, 0, 0, NULL,
                                "elevation service: %d values for %zu points",
                                cJSON_GetArraySize(e), m);
        for (size_t i = 0; st == FSIM_OK && i < m; i++) {
            const cJSON *v = cJSON_GetArrayItem(e, (int)i);
            if (!cJSON_IsNumber(v))
                st = fsim_error_set(err, FSIM_UNAVAILABLE, url, 0, 0, NULL,
                                    "elevation service: elevation[%zu] is not a number", i);
            else
                out_m[first + i] = v->valuedouble;
        }
        cJSON_Delete(body);
        free(url);
        if (st != FSIM_OK)
            return st;
    }
    return FSIM_OK;
}
