/* The answer cache: one JSON file per request, named by the SHA-256 of the request line
 * (credentials never part of it), holding the request, when it was fetched and the body, so
 * a reviewer can see where a figure came from and an offline run can replay it. */
#include "svc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include <fleetsim/util.h>

bool fsim__cache_path(const fsim_svc *svc, const char *url, char *buf, size_t size)
{
    if (!svc->o.cache_dir || !svc->o.cache_dir[0])
        return false;
    size_t len = strlen(url) + 5;
    char *line = malloc(len);
    char hex[65];
    if (!line)
        return false;
    snprintf(line, len, "GET %s", url);
    fsim_sha256_hex(line, strlen(line), hex);
    free(line);
    return (size_t)snprintf(buf, size, "%s/%s.json", svc->o.cache_dir, hex) < size;
}

struct cJSON *fsim__cache_get(const fsim_svc *svc, const char *url)
{
    char path[4200];
    if (!fsim__cache_path(svc, url, path, sizeof path))
        return NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 + 1 > cap) {
            cap = cap ? 2 * cap : 131072;
            char *t = realloc(text, cap);
            if (!t)
                break;
            text = t;
        }
        size_t got = fread(text + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0)
            break;
    }
    fclose(f);
    if (!text)
        return NULL;
    text[len] = '\0';
    cJSON *entry = cJSON_Parse(text);
    free(text);
    cJSON *body = entry ? cJSON_DetachItemFromObjectCaseSensitive(entry, "body") : NULL;
    cJSON *req = entry ? cJSON_GetObjectItemCaseSensitive(entry, "request") : NULL;
    /* a hash collision or a hand-edited file must not answer another request */
    if (body && (!cJSON_IsString(req) || strcmp(req->valuestring, url) != 0)) {
        cJSON_Delete(body);
        body = NULL;
    }
    cJSON_Delete(entry);
    return body;
}

fsim_status fsim__cache_put(const fsim_svc *svc, fsim_svc_kind kind, const char *url,
                            const struct cJSON *body, fsim_error *err)
{
    char path[4200], tmp[4300], when[32];
    if (!fsim__cache_path(svc, url, path, sizeof path))
        return FSIM_OK;
    if (fsim_make_dirs(svc->o.cache_dir, 0755) != 0)
        return fsim_error_set(err, FSIM_IO, svc->o.cache_dir, 0, 0, NULL,
                              "could not create the cache folder \"%s\": %s",
                              svc->o.cache_dir, strerror(errno));
    cJSON *entry = cJSON_CreateObject();
    cJSON *copy = cJSON_Duplicate(body, true);
    fsim_status st = FSIM_OK;
    char *text = NULL;
    if (!entry || !copy) {
        cJSON_Delete(copy);
        st = fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
        goto out;
    }
    cJSON_AddStringToObject(entry, "service", fsim__svc_name(kind));
    cJSON_AddStringToObject(entry, "request", url);
    cJSON_AddStringToObject(entry, "fetchedAt", fsim_time_format((double)time(NULL), when));
    cJSON_AddItemToObject(entry, "body", copy);
    text = cJSON_PrintUnformatted(entry);
    snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
    FILE *f = text ? fopen(tmp, "wb") : NULL;
    if (!f) {
        st = fsim_error_set(err, FSIM_IO, tmp, 0, 0, NULL, "could not write \"%s\": %s", tmp,
                            strerror(errno));
        goto out;
    }
    bool ok = fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        st = fsim_error_set(err, FSIM_IO, path, 0, 0, NULL, "could not write \"%s\": %s", path,
                            strerror(errno));
        unlink(tmp);
    }
out:
    free(text);
    cJSON_Delete(entry);
    return st;
}
