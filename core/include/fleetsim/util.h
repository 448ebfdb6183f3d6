/* fleetsim — small helpers shared by every module: number formatting, file reading,
 * RFC 3339 times. */
#ifndef FLEETSIM_UTIL_H
#define FLEETSIM_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <fleetsim/arena.h>
#include <fleetsim/error.h>

#define FSIM_NUMBER_BUF 32

/* The shortest decimal text that strtod reads back to exactly `value` ("0.1", "1e+300",
 * "-3"); integers print without a fraction. Non-finite values print as "null" (JSON has
 * no NaN). Returns `buf`, which must hold FSIM_NUMBER_BUF bytes. */
char *fsim_format_double(double value, char buf[FSIM_NUMBER_BUF]);
/* The same text; returns its length (the encoders' hot path, no strlen after it). */
size_t fsim_format_number(double value, char buf[FSIM_NUMBER_BUF]);

/* Reads a whole file into the arena, NUL-terminated; *len (may be NULL) gets its size.
 * Errors name the path: `could not open "x": No such file or directory`. */
fsim_status fsim_read_file(const char *path, fsim_arena *arena, char **data, size_t *len,
                           fsim_error *err);

/* Writes all `len` bytes to fd, retrying short writes and EINTR; false (errno set) on an
 * error. */
bool fsim_write_all(int fd, const void *data, size_t len);

/* mkdir -p: creates `dir` and any missing parents with `mode` (cachedir.c). 0, or -1 with
 * errno set. An existing folder is success. */
int fsim_make_dirs(const char *dir, unsigned mode);

/* Parses an RFC 3339 date-time ("2026-01-05T00:00:00Z", "…T07:30:00.5+01:00") into Unix
 * seconds (UTC). Fractional seconds are kept. Returns false on any syntax or range error. */
bool fsim_time_parse(const char *text, double *unix_seconds);
/* Formats Unix seconds as RFC 3339 UTC with a `Z` ("2026-01-05T07:00:00Z"); whole seconds
 * only (fractions are rounded to the nearest second). `buf` holds at least 32 bytes. */
char *fsim_time_format(double unix_seconds, char buf[32]);
/* The same text; returns its length (20 for the years 0000-9999). */
size_t fsim_time_format_n(double unix_seconds, char buf[32]);
/* Days since 1970-01-01 → civil year, month 1..12 and day 1..31 (proleptic Gregorian;
 * H. Hinnant's algorithm). */
void fsim_civil_from_days(int64_t days, int64_t *year, int *month, int *day);
/* The same instant as local time at `offset_minutes` from UTC (-840..840), with the offset
 * ("2026-01-05T02:00:00-05:00" for 07:00Z at -300). `buf` holds at least 40 bytes. */
char *fsim_time_format_local(double unix_seconds, int offset_minutes, char buf[40]);
/* The same text; returns its length (25 for the years 0000-9999). */
size_t fsim_time_format_local_n(double unix_seconds, int offset_minutes, char buf[40]);
/* The time now as RFC 3339 UTC with milliseconds ("2026-01-05T07:00:00.123Z"), the `time`
 * of a log line; `buf` holds at least 40 bytes. The date and time of day are formatted once
 * a second per thread (gmtime and strftime were a visible share of a logged request). */
char *fsim_time_now_ms(char buf[40]);
/* CLOCK_REALTIME now + `seconds` (>= 0): the absolute deadline pthread_cond_timedwait takes. */
struct timespec fsim_deadline_in(double seconds);

/* Appends `n` bytes to a growable malloc'd buffer (*data, *len bytes used, *cap allocated;
 * all zero to start), keeping it NUL-terminated; the capacity doubles from 4 KiB. False
 * when out of memory, the buffer unchanged. Limits on the total are the caller's. */
bool fsim_buf_append(char **data, size_t *len, size_t *cap, const void *src, size_t n);

/* printf into a new malloc'd string (free() it); NULL when out of memory. */
char *fsim_printf_alloc(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* 8-4-4-4-12 hex digits, either case (what PostgreSQL's uuid type reads); false for NULL. */
bool fsim_uuid_valid(const char *s);

/* A JSON parse failure at byte `offset` of `text` (cJSON's error position) as an error a
 * user can act on: source:line:column (1-based, columns in characters) of the culprit
 * token and a short reason ("invalid JSON near \"}}\"", "unexpected end of document",
 * "unterminated string", "empty document"). Returns FSIM_INVALID. */
fsim_status fsim_json_syntax_error(const char *text, size_t len, size_t offset,
                                   const char *source, fsim_error *err);

/* ---- Digests and encodings (digest.c) ------------------------------------------------------ */

/* Lower-case hex SHA-256 of `len` bytes into hex[65]. */
void fsim_sha256_hex(const void *data, size_t len, char hex[65]);
/* base64url without padding (RFC 7515 §2). malloc'd, NUL-terminated; NULL when out of
 * memory. */
char *fsim_base64url_encode(const unsigned char *data, size_t len);
/* The inverse: `len` characters of the base64url alphabet, no padding, no whitespace.
 * *out malloc'd (free it), *out_len bytes. False for anything else. */
bool fsim_base64url_decode(const char *text, size_t len, unsigned char **out,
                           size_t *out_len);

#endif
