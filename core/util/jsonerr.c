/* JSON syntax errors as users need them (see fleetsim/util.h): shared by the wire codec
 * and the config loader, which both parse with cJSON. */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <fleetsim/util.h>

/* 1-based line and column (in characters, not bytes) of byte `offset`. */
static void line_column(const char *text, size_t offset, int *line, int *column)
{
    int l = 1, c = 1;
    for (size_t i = 0; i < offset; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *column = c;
}

/* The JSON path (`timeSeriesData[12].waiting`) open at the end of a cut-off document, so a
 * truncated file names the field it stops in; "" at the top level or past 32 levels. */
static void path_at_end(const char *text, size_t len, char *out, size_t size)
{
    struct frame {
        bool object;
        long index;
        char key[64];
    } st[32];
    int depth = 0;
    char last[64] = "";
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (c == '"') { /* a string: keep it, it may be the next key */
            size_t n = 0;
            for (i++; i < len && text[i] != '"'; i++) {
                if (text[i] == '\\')
                    i++;
                else if (n + 1 < sizeof last)
                    last[n++] = text[i];
            }
            last[n] = '\0';
        } else if (c == ':' && depth > 0 && st[depth - 1].object) {
            memcpy(st[depth - 1].key, last, sizeof last);
        } else if (c == '{' || c == '[') {
            if (depth == 32)
                break;
            st[depth++] = (struct frame){.object = c == '{'};
        } else if ((c == '}' || c == ']') && depth > 0) {
            depth--;
        } else if (c == ',' && depth > 0) {
            st[depth - 1].index++;
            st[depth - 1].key[0] = '\0';
        }
    }
    size_t used = 0;
    out[0] = '\0';
    for (int d = 0; d < depth && used < size; d++) {
        int n = st[d].object ? (st[d].key[0] ? snprintf(out + used, size - used, "%s%s",
                                                        used ? "." : "", st[d].key) : 0)
                             : snprintf(out + used, size - used, "[%ld]", st[d].index);
        used += n > 0 ? (size_t)n : 0;
    }
}

fsim_status fsim_json_syntax_error(const char *text, size_t len, size_t offset,
                                const char *source, fsim_error *err)
{
    int line, column;
    if (offset > len)
        offset = len;
    size_t first = 0;
    while (first < len && isspace((unsigned char)text[first]))
        first++;
    if (first == len)
        return fsim_error_set(err, FSIM_INVALID, source, 1, 1, NULL,
                              "invalid JSON: empty document");
    /* cJSON skips whitespace before every token, so a failure offset on whitespace right
     * after a token (it reports some errors one past) means that token is the culprit */
    bool stepped_back = false;
    if (offset > 0 && offset < len && isspace((unsigned char)text[offset]) &&
        !isspace((unsigned char)text[offset - 1])) {
        offset--;
        stepped_back = true;
    }
    /* A missing object key ("{," or ",}") is reported one past the character found instead
     * of the key: step back onto it */
    if (!stepped_back && offset > 0 && offset <= len &&
        !isspace((unsigned char)text[offset - 1]) && text[offset - 1] != '"') {
        size_t k = offset - 1;
        while (k > 0 && isspace((unsigned char)text[k - 1]))
            k--;
        if (k > 0 && (text[k - 1] == ',' || text[k - 1] == '{'))
            offset--;
    }
    size_t rest = offset;
    while (rest < len && isspace((unsigned char)text[rest]))
        rest++;
    line_column(text, offset, &line, &column);
    if (rest >= len) {
        char path[256];
        path_at_end(text, len, path, sizeof path);
        return fsim_error_set(err, FSIM_INVALID, source, line, column, NULL,
                              "invalid JSON: unexpected end of document%s%s%s",
                              path[0] ? " (in " : "", path, path[0] ? ")" : "");
    }
    if (text[offset] == '"' && !memchr(text + offset + 1, '"', len - offset - 1))
        return fsim_error_set(err, FSIM_INVALID, source, line, column, NULL,
                              "invalid JSON: unterminated string");
    if (offset < len && text[offset] == '\0')
        return fsim_error_set(err, FSIM_INVALID, source, line, column, NULL,
                              "invalid JSON: NUL byte in the document");
    char near[24];
    size_t n = 0;
    for (size_t k = offset; k < len && n < 16 && text[k] != '\n'; k++)
        near[n++] = isprint((unsigned char)text[k]) ? text[k] : '?';
    near[n] = '\0';
    return fsim_error_set(err, FSIM_INVALID, source, line, column, NULL,
                          "invalid JSON near \"%s\"", near);
}
