/* The push envelope: the JSON body Cloud Pub/Sub POSTs to a push endpoint. It is Pub/Sub's
 * format, not ours (so it is not in wire.h), but it is parsed here, next to the client, so
 * that the worker program parses no JSON of its own. Base64 is OpenSSL's. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include <fleetsim/lazy.h>
#include <fleetsim/pubsub.h>
#include <fleetsim/util.h>

/* Standard base64 with padding, as Pub/Sub sends it; EVP_DecodeBlock alone accepts some
 * malformed input (whitespace, a length that is not a multiple of 4 is rejected but stray
 * padding is not), so the alphabet and the padding are checked first. */
static bool base64_decode(const char *text, size_t len, fsim_arena *arena, char **out,
                          size_t *out_len)
{
    if (len % 4 != 0)
        return false;
    size_t pad = 0;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '+' || c == '/';
        if (c == '=') {
            if (i < len - 2)
                return false;
            pad++;
        } else if (!alpha || pad) {
            return false;
        }
    }
    char *buf = fsim_arena_alloc(arena, len / 4 * 3 + 1);
    if (!buf)
        return false;
    if (len > (size_t)INT32_MAX)
        return false;
    int n = len ? EVP_DecodeBlock((unsigned char *)buf, (const unsigned char *)text, (int)len) : 0;
    if (n < 0 || (size_t)n < pad)
        return false;
    *out_len = (size_t)n - pad;
    buf[*out_len] = '\0';
    *out = buf;
    return true;
}

/* An optional string member, under either of two names (Pub/Sub sends both spellings). */
static const cJSON *member2(const cJSON *obj, const char *a, const char *b)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(obj, a);
    return m ? m : cJSON_GetObjectItemCaseSensitive(obj, b);
}

fsim_status fsim_pubsub_push_decode(const char *body, size_t len, const char *source,
                                    fsim_arena *arena, fsim_pubsub_message *msg,
                                    const char **subscription, fsim_error *err)
{
    memset(msg, 0, sizeof *msg);
    if (subscription)
        *subscription = NULL;
    if (fsim_lazy_need(FSIM_LAZY_CRYPTO, "the push endpoint", err) != FSIM_OK)
        return FSIM_INTERNAL;
    fsim_status st = FSIM_OK;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(body, len, &end, false);
    if (!root) {
        size_t off = end ? (size_t)(end - body) : 0;
        const char *e = cJSON_GetErrorPtr();
        if (e && e >= body && e <= body + len)
            off = (size_t)(e - body);
        return fsim_json_syntax_error(body, len, off, source, err);
    }
    if (!cJSON_IsObject(root)) {
        st = fsim_error_set(err, FSIM_INVALID, source, 0, 0, NULL, "must be an object");
        goto out;
    }
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "message");
    if (!cJSON_IsObject(m)) {
        st = fsim_error_set(err, FSIM_INVALID, source, 0, 0, "message",
                            m ? "must be an object" : "is required");
        goto out;
    }
    const cJSON *id = member2(m, "messageId", "message_id");
    if (id && !cJSON_IsString(id)) {
        st = fsim_error_set(err, FSIM_INVALID, source, 0, 0, "message.messageId",
                            "must be a string");
        goto out;
    }
    msg->message_id = fsim_arena_strdup(arena, id ? id->valuestring : "");

    const cJSON *pt = member2(m, "publishTime", "publish_time");
    if (pt && (!cJSON_IsString(pt) || !fsim_time_parse(pt->valuestring, &msg->publish_time))) {
        st = fsim_error_set(err, FSIM_INVALID, source, 0, 0, "message.publishTime",
                            "must be an RFC 3339 date-time");
        goto out;
    }

    const cJSON *attrs = cJSON_GetObjectItemCaseSensitive(m, "attributes");
    if (attrs && !cJSON_IsNull(attrs)) {
        if (!cJSON_IsObject(attrs)) {
            st = fsim_error_set(err, FSIM_INVALID, source, 0, 0, "message.attributes",
                                "must be an object of strings");
            goto out;
        }
        size_t count = (size_t)cJSON_GetArraySize(attrs);
        fsim_pubsub_attribute *a = fsim_arena_calloc(arena, count ? count : 1, sizeof *a);
        if (!a) {
            st = fsim_error_set(err, FSIM_NOMEM, source, 0, 0, NULL, "out of memory");
            goto out;
        }
        size_t i = 0;
        for (const cJSON *it = attrs->child; it; it = it->next, i++) {
            if (!cJSON_IsString(it)) {
                char path[256];
                snprintf(path, sizeof path, "message.attributes.%s", it->string);
                st = fsim_error_set(err, FSIM_INVALID, source, 0, 0, path, "must be a string");
                goto out;
            }
            a[i].key = fsim_arena_strdup(arena, it->string);
            a[i].value = fsim_arena_strdup(arena, it->valuestring);
        }
        msg->attributes = a;
        msg->n_attributes = count;
    }

    /* data last: a payload that is not base64 still leaves the id and attributes filled,
     * so the caller can log and fail the job they name */
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(m, "data");
    char *decoded = NULL;
    size_t n = 0;
    if (data && !cJSON_IsNull(data)) {
        if (!cJSON_IsString(data)) {
            st = fsim_error_set(err, FSIM_INVALID, source, 0, 0, "message.data",
                                "must be a base64 string");
            goto out;
        }
        if (!base64_decode(data->valuestring, strlen(data->valuestring), arena, &decoded, &n)) {
            st = fsim_error_set(err, FSIM_INVALID, source, 0, 0, "message.data",
                                "not valid base64");
            goto out;
        }
    } else {
        decoded = fsim_arena_strdup(arena, "");
    }
    msg->data = decoded;
    msg->len = n;

    const cJSON *da = cJSON_GetObjectItemCaseSensitive(root, "deliveryAttempt");
    if (da && !cJSON_IsNull(da)) {
        if (!cJSON_IsNumber(da) || da->valuedouble < 0 || da->valuedouble > 1e9 ||
            da->valuedouble != (double)(int)da->valuedouble) {
            st = fsim_error_set(err, FSIM_INVALID, source, 0, 0, "deliveryAttempt",
                                "must be a non-negative integer");
            goto out;
        }
        msg->delivery_attempt = da->valueint;
    }
    const cJSON *sub = cJSON_GetObjectItemCaseSensitive(root, "subscription");
    if (sub && !cJSON_IsNull(sub)) {
        if (!cJSON_IsString(sub)) {
            st = fsim_error_set(err, FSIM_INVALID, source, 0, 0, "subscription",
                                "must be a string");
            goto out;
        }
        if (subscription)
            *subscription = fsim_arena_strdup(arena, sub->valuestring);
    }
    if (!msg->data || !msg->message_id)
        st = fsim_error_set(err, FSIM_NOMEM, source, 0, 0, NULL, "out of memory");
out:
    cJSON_Delete(root);
    return st;
}

char *fsim_pubsub_push_encode(const fsim_pubsub_message *msg, const char *subscription,
                              size_t *len)
{
    char *text = NULL;
    size_t b64_len = (msg->len + 2) / 3 * 4;
    unsigned char *b64 = malloc(b64_len + 1);
    cJSON *root = cJSON_CreateObject();
    cJSON *m = root ? cJSON_AddObjectToObject(root, "message") : NULL;
    if (!b64 || !m || msg->len > (size_t)INT32_MAX)
        goto out;
    EVP_EncodeBlock(b64, (const unsigned char *)msg->data, (int)msg->len);
    b64[b64_len] = '\0';
    cJSON *attrs = cJSON_AddObjectToObject(m, "attributes");
    for (size_t i = 0; attrs && i < msg->n_attributes; i++)
        cJSON_AddStringToObject(attrs, msg->attributes[i].key, msg->attributes[i].value);
    cJSON_AddStringToObject(m, "data", (const char *)b64);
    if (msg->message_id) {
        cJSON_AddStringToObject(m, "messageId", msg->message_id);
        cJSON_AddStringToObject(m, "message_id", msg->message_id);
    }
    if (msg->publish_time > 0) {
        char t[32];
        fsim_time_format(msg->publish_time, t);
        cJSON_AddStringToObject(m, "publishTime", t);
        cJSON_AddStringToObject(m, "publish_time", t);
    }
    if (subscription)
        cJSON_AddStringToObject(root, "subscription", subscription);
    if (msg->delivery_attempt > 0)
        cJSON_AddNumberToObject(root, "deliveryAttempt", msg->delivery_attempt);
    text = cJSON_PrintUnformatted(root);
    if (text && len)
        *len = strlen(text);
out:
    cJSON_Delete(root);
    free(b64);
    return text;
}
