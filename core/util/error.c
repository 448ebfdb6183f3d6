/* Status names, messages and the error record (see fleetsim/error.h). */
#include <fleetsim/error.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *fsim_status_name(fsim_status status)
{
    switch (status) {
#define FSIM__STATUS_NAME(name, exit_code, text) case FSIM_##name: return #name;
        FSIM_STATUS_MAP(FSIM__STATUS_NAME)
#undef FSIM__STATUS_NAME
    }
    return "UNKNOWN";
}

const char *fsim_strerror(fsim_status status)
{
    switch (status) {
#define FSIM__STATUS_TEXT(name, exit_code, text) case FSIM_##name: return text;
        FSIM_STATUS_MAP(FSIM__STATUS_TEXT)
#undef FSIM__STATUS_TEXT
    }
    return "unknown status";
}

int fsim_status_exit_code(fsim_status status)
{
    switch (status) {
#define FSIM__STATUS_EXIT(name, exit_code, text) case FSIM_##name: return exit_code;
        FSIM_STATUS_MAP(FSIM__STATUS_EXIT)
#undef FSIM__STATUS_EXIT
    }
    return 1;
}

void fsim_error_clear(fsim_error *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

static void copy_truncated(char *dst, size_t size, const char *src)
{
    if (!src) {
        dst[0] = '\0';
        return;
    }
    snprintf(dst, size, "%s", src);
}

fsim_status fsim_error_set(fsim_error *err, fsim_status status, const char *source, int line,
                           int column, const char *path, const char *fmt, ...)
{
    if (!err)
        return status;
    err->status = status;
    copy_truncated(err->source, sizeof err->source, source);
    copy_truncated(err->path, sizeof err->path, path);
    err->line = line;
    err->column = column;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return status;
}

int fsim_error_format(const fsim_error *err, char *buf, size_t size)
{
    char where[320] = "";
    if (err->source[0] && err->line > 0 && err->column > 0)
        snprintf(where, sizeof where, "%s:%d:%d: ", err->source, err->line, err->column);
    else if (err->source[0] && err->line > 0)
        snprintf(where, sizeof where, "%s:%d: ", err->source, err->line);
    else if (err->source[0])
        snprintf(where, sizeof where, "%s: ", err->source);
    return snprintf(buf, size, "%s%s%s%s", where, err->path, err->path[0] ? ": " : "",
                    err->message[0] ? err->message : fsim_strerror(err->status));
}
