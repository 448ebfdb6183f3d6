/* Unit tests for core/util: arena, shortest number formatting, RFC 3339 times, errors, the
 * growable byte buffer. */
#include <fleetsim/arena.h>
#include <fleetsim/error.h>
#include <fleetsim/util.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

static void test_arena(void)
{
    fsim_arena *a = fsim_arena_new();
    CHECK(a != NULL, "arena_new");
    int *small = fsim_arena_calloc(a, 10, sizeof *small);
    CHECK(small && small[9] == 0, "calloc returns zeroed memory");
    char *big = fsim_arena_alloc(a, 1 << 20);
    CHECK(big != NULL && ((uintptr_t)big % sizeof(double)) == 0, "large allocation is aligned");
    CHECK(fsim_arena_calloc(a, SIZE_MAX / 2, 4) == NULL, "calloc overflow is refused");
    CHECK_STR(fsim_arena_sprintf(a, "%s-%d", "van", 7), "van-7", "sprintf");
    CHECK_STR(fsim_arena_strndup(a, "abcdef", 3), "abc", "strndup");
    CHECK(fsim_arena_strdup(a, NULL) == NULL, "strdup(NULL) is NULL");
    CHECK(fsim_arena_used(a) >= (1 << 20), "used counts what was handed out");
    /* adopted blocks are freed with the arena: LeakSanitizer fails the test otherwise */
    bool adopted = true;
    for (int i = 0; i < 100; i++) {
        char *block = malloc(1000);
        if (block)
            memset(block, i, 1000);
        adopted = adopted && block && fsim_arena_adopt(a, block);
    }
    CHECK(adopted, "malloc'd blocks adopted by the arena");
    fsim_arena_free(a);
    fsim_arena_free(NULL);
}

static void test_numbers(void)
{
    char buf[FSIM_NUMBER_BUF];
    CHECK_STR(fsim_format_double(0.1, buf), "0.1", "0.1 prints shortest");
    CHECK_STR(fsim_format_double(-3, buf), "-3", "integers print without a fraction");
    CHECK_STR(fsim_format_double(1e300, buf), "1e+300", "huge values use an exponent");
    CHECK_STR(fsim_format_double(0.0, buf), "0", "zero");
    CHECK_STR(fsim_format_double(NAN, buf), "null", "NaN is null");
    double tricky[] = {1.0 / 3, 2.0 / 3, 5e-324, 1.7976931348623157e308, 123456.789, 0.3};
    for (size_t i = 0; i < sizeof tricky / sizeof *tricky; i++)
        CHECK(strtod(fsim_format_double(tricky[i], buf), NULL) == tricky[i],
              "%s round-trips", buf);
}

/* The textbook shortest round trip, slow and obviously right: the reference for the fast
 * paths of fsim_format_double. */
static const char *reference_format(double v, char *buf)
{
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, FSIM_NUMBER_BUF, "%.*g", precision, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}

/* Result values are rounded to 6 decimals and take a fast path; it must print exactly
 * what the reference prints, for those values and for values just beside them. */
static void test_numbers_match_reference(void)
{
    char got[FSIM_NUMBER_BUF], want[FSIM_NUMBER_BUF];
    uint64_t x = 88172645463325252u;
    int mismatches = 0;
    char first[80] = "";
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64: deterministic */
        double mag = pow(10, (double)(x % 15) - 6);           /* 1e-6 .. 1e8 */
        double v = (double)(x >> 11) / 9007199254740992.0 * mag;
        if (i % 3 == 0)
            v = nearbyint(v * 1e6) / 1e6;                       /* a rounded result */
        else if (i % 3 == 1)
            v = nextafter(nearbyint(v * 1e6) / 1e6, INFINITY);  /* one ulp beside it */
        if (x & 1)
            v = -v;
        if (v == 0)
            continue; /* "0" for both zeros, by design */
        fsim_format_double(v, got);
        reference_format(v, want);
        if (strcmp(got, want) != 0 && mismatches++ == 0)
            snprintf(first, sizeof first, "%s vs %s", got, want);
    }
    CHECK(mismatches == 0, "200000 values print as the reference does (%d differ; first: %s)",
          mismatches, first);
}

static void test_times(void)
{
    double t;
    char buf[32];
    CHECK(fsim_time_parse("2026-01-05T00:00:00Z", &t) && t == 1767571200.0, "parse UTC");
    CHECK(fsim_time_parse("2026-01-05T07:30:00+01:00", &t) && t == 1767571200.0 + 6.5 * 3600,
          "parse an offset");
    CHECK(fsim_time_parse("1970-01-01T00:00:00.5Z", &t) && t == 0.5, "fractional seconds");
    CHECK(fsim_time_parse("2024-02-29T00:00:00Z", &t), "leap day in a leap year");
    CHECK(!fsim_time_parse("2026-02-29T00:00:00Z", &t), "no leap day in 2026");
    CHECK(!fsim_time_parse("2026-01-05 00:00:00Z", &t), "space separator refused");
    CHECK(!fsim_time_parse("2026-01-05T25:00:00Z", &t), "hour 25 refused");
    CHECK(!fsim_time_parse("2026-01-05T00:00:00", &t), "missing zone refused");
    CHECK(!fsim_time_parse("2026-01-05T00:00:00Zjunk", &t), "trailing text refused");
    CHECK_STR(fsim_time_format(1767571200.0, buf), "2026-01-05T00:00:00Z", "format");
    CHECK_STR(fsim_time_format(-1, buf), "1969-12-31T23:59:59Z", "format before the epoch");
    /* against the C library, on days that alternate (the date is cached per day) */
    bool same = true;
    char want[32];
    for (int64_t k = 0, at = -400000000; k < 20000 && same; k++, at += 86400 * 7 + 3607 * (k % 5)) {
        int64_t u = k % 2 ? at : 1767571200 + k;
        time_t tt = (time_t)u;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(want, sizeof want, "%Y-%m-%dT%H:%M:%SZ", &tm);
        same = strcmp(fsim_time_format((double)u, buf), want) == 0;
        if (!same)
            printf("# %lld: %s, the C library says %s\n", (long long)u, buf, want);
    }
    CHECK(same, "format: 20000 instants over three centuries from 1957, as gmtime and strftime print them");
    char local[40];
    CHECK_STR(fsim_time_format_local(1767600000.0, -300, local), "2026-01-05T03:00:00-05:00",
              "local time west of UTC: the day's clock and the offset");
    CHECK_STR(fsim_time_format_local(1767571200.0, 330, local), "2026-01-05T05:30:00+05:30",
              "local time east of UTC, half-hour offset");
    CHECK_STR(fsim_time_format_local(1767571200.0, -60, local), "2026-01-04T23:00:00-01:00",
              "local time on the previous day");
    CHECK_STR(fsim_time_format_local(1767571200.0, 0, local), "2026-01-05T00:00:00+00:00",
              "offset zero is written, not Z");
    double back = 0;
    CHECK(fsim_time_parse(fsim_time_format_local(1767600000.0, -840, local), &back) &&
              back == 1767600000.0,
          "the local text parses back to the same instant");
}

static void test_errors(void)
{
    fsim_error e;
    char buf[600];
    fsim_error_set(&e, FSIM_INVALID, "config/vehicles.yaml", 12, 5, "vehicles.cargo-van.batteryKwh",
                   "must be > 0");
    fsim_error_format(&e, buf, sizeof buf);
    CHECK_STR(buf, "config/vehicles.yaml:12:5: vehicles.cargo-van.batteryKwh: must be > 0",
              "error format with every part");
    fsim_error_set(&e, FSIM_NOT_FOUND, NULL, 0, 0, NULL, "no such vehicle");
    fsim_error_format(&e, buf, sizeof buf);
    CHECK_STR(buf, "no such vehicle", "error format with only a message");
    CHECK_STR(fsim_status_name(FSIM_INVALID), "INVALID", "status name");
    CHECK(fsim_status_exit_code(FSIM_INVALID) == 2 && fsim_status_exit_code(FSIM_IO) == 1 &&
              fsim_status_exit_code(FSIM_OK) == 0,
          "exit codes: 2 bad input, 1 runtime failure");
}

/* The buffer every HTTP body collector uses: bytes in order across growth, always
 * NUL-terminated, an empty append still terminates. */
static void test_buf(void)
{
    char *data = NULL;
    size_t len = 0, cap = 0;
    CHECK(fsim_buf_append(&data, &len, &cap, "", 0) && data && len == 0 && data[0] == '\0',
          "an empty append gives an empty string");
    bool ok = true;
    for (int i = 0; i < 3000 && ok; i++)
        ok = fsim_buf_append(&data, &len, &cap, "abc", 3);
    CHECK(ok && len == 9000 && cap > len && data[len] == '\0', "9000 bytes over 4096: grown (%zu)",
          cap);
    CHECK(data && memcmp(data + 8997, "abc", 3) == 0 && strlen(data) == 9000,
          "the bytes are in order, terminated");
    free(data);
}

/* The one SHA-256 hex and base64url of the core (config hash, checksums, request hashes, JWT
 * parts, page cursors): known vectors, and base64url refuses what is not its alphabet. */
static void test_digests(void)
{
    char hex[65];
    fsim_sha256_hex("abc", 3, hex);
    CHECK(strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad") == 0,
          "sha256(\"abc\") is FIPS 180-2's vector, lower-case hex");
    char *enc = fsim_base64url_encode((const unsigned char *)"\xfb\xff\xfe", 3);
    CHECK(enc && strcmp(enc, "-__-") == 0, "base64url: '-' and '_', no padding (%s)",
          enc ? enc : "-");
    unsigned char *dec = NULL;
    size_t n = 0;
    CHECK(fsim_base64url_decode("aGk", 3, &dec, &n) && n == 2 && memcmp(dec, "hi", 2) == 0,
          "base64url decodes an unpadded tail");
    free(dec);
    CHECK(!fsim_base64url_decode("+/8=", 4, &dec, &n), "base64url refuses '+', '/' and '='");
    free(enc);
}

int main(void)
{
    test_digests();
    test_arena();
    test_numbers();
    test_numbers_match_reference();
    test_times();
    test_errors();
    test_buf();
    return check_done();
}
