/* The two response bodies the wire contract does not declare yet: the 202 of a submit
 * ({id, status, links}) and a list page ({items, nextCursor}). Both are assembled here, and
 * only here, from codec output and cJSON — once wire.h gains SubmitResponse and
 * SimulationPage types, this file goes away. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "api.h"

char *api_submit_body(const char *id, fsim_run_status status, size_t *len)
{
    char self[64], result[80];
    snprintf(self, sizeof self, "/v1/simulations/%s", id);
    snprintf(result, sizeof result, "/v1/simulations/%s/result", id);
    cJSON *o = cJSON_CreateObject();
    cJSON *links = cJSON_CreateObject();
    char *text = NULL;
    if (o && links) {
        cJSON_AddStringToObject(o, "id", id);
        cJSON_AddStringToObject(o, "status", fsim_run_status_name(status));
        cJSON_AddStringToObject(links, "self", self);
        cJSON_AddStringToObject(links, "result", result);
        cJSON_AddItemToObject(o, "links", links);
        links = NULL;
        text = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(links);
    cJSON_Delete(o);
    if (text && len)
        *len = strlen(text);
    return text;
}

/* Growable text buffer for the page. */
typedef struct buf {
    char *p;
    size_t n, cap;
    bool failed;
} buf;

static void put(buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 1024;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->failed = true;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

char *api_page_body(const fsim_store_page *page, size_t *len)
{
    buf b = {0};
    put(&b, "{\"items\":[", 10);
    for (size_t i = 0; i < page->n_items; i++) {
        size_t n = 0;
        char *item = fsim_job_status_encode(&page->items[i], 0, &n);
        if (!item) {
            b.failed = true;
            break;
        }
        if (i)
            put(&b, ",", 1);
        put(&b, item, n);
        free(item);
    }
    put(&b, "],\"nextCursor\":", 15);
    cJSON *cursor = page->next_cursor ? cJSON_CreateString(page->next_cursor) : cJSON_CreateNull();
    char *ct = cursor ? cJSON_PrintUnformatted(cursor) : NULL;
    if (ct)
        put(&b, ct, strlen(ct));
    else
        b.failed = true;
    free(ct);
    cJSON_Delete(cursor);
    put(&b, "}", 1);
    if (b.failed) {
        free(b.p);
        return NULL;
    }
    if (len)
        *len = b.n;
    return b.p;
}
