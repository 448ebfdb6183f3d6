/* RFC 3339 parsing and formatting without the C library's locale- and TZ-dependent
 * mktime: days-from-civil arithmetic (Howard Hinnant's algorithm) is exact for any year. */
#include <fleetsim/util.h>

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void fsim_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool digits(const char *s, int n, int *value)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *value = v;
    return true;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

bool fsim_time_parse(const char *s, double *unix_seconds)
{
    int y, mo, d, h, mi, sec;
    if (!s || strlen(s) < 20)
        return false;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' ||
        !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !digits(s + 11, 2, &h) ||
        s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' || !digits(s + 17, 2, &sec))
        return false;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 60)
        return false;
    const char *p = s + 19;
    double frac = 0;
    if (*p == '.') {
        p++;
        double scale = 0.1;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p)) {
            frac += (*p - '0') * scale;
            scale /= 10;
            p++;
        }
    }
    int offset_min = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (!digits(p + 1, 2, &oh) || p[3] != ':' || !digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        offset_min = (oh * 60 + om) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return false;
    }
    if (*p != '\0')
        return false;
    int64_t days = days_from_civil(y, mo, d);
    double t = (double)days * 86400.0 + h * 3600.0 + mi * 60.0 + sec + frac - offset_min * 60.0;
    *unix_seconds = t;
    return true;
}

static void two_digits(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

static const char pairs[121] = "0001020304050607080910111213141516171819"
                               "2021222324252627282930313233343536373839"
                               "4041424344454647484950515253545556575859";

size_t fsim_time_format_n(double unix_seconds, char buf[32])
{
    /* whole seconds (nearly every time of a result) skip llround */
    int64_t t = fabs(unix_seconds) < 9e15 && unix_seconds == (double)(int64_t)unix_seconds
                    ? (int64_t)unix_seconds
                    : (int64_t)llround(unix_seconds);
    /* Results hold hundreds of thousands of times, each twice in the CSV files (UTC and
     * local, often on two dates): the last two dates are kept per thread, printed once, and
     * a time on one of them needs no division by a day (snprintf was the largest cost). */
    static _Thread_local struct {
        int64_t start; /* the day's first second */
        char date[11];
    } days[2] = {{INT64_MIN, ""}, {INT64_MIN, ""}};
    static _Thread_local int older;
    int k = (uint64_t)t - (uint64_t)days[0].start < 86400   ? 0
            : (uint64_t)t - (uint64_t)days[1].start < 86400 ? 1
                                                             : -1;
    if (k < 0) {
        int64_t day = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
        int64_t y;
        int m, d;
        fsim_civil_from_days(day, &y, &m, &d);
        if (y < 0 || y > 9999) { /* outside RFC 3339; printed anyway, the slow way */
            int rem = (int)(t - day * 86400);
            return (size_t)snprintf(buf, 32, "%04lld-%02d-%02dT%02d:%02d:%02dZ", (long long)y,
                                    m, d, rem / 3600, rem % 3600 / 60, rem % 60);
        }
        k = older;
        older ^= 1;
        memcpy(days[k].date, "0000-00-00", 11);
        for (int v = (int)y, i = 3; v; v /= 10, i--)
            days[k].date[i] = (char)('0' + v % 10);
        two_digits(days[k].date + 5, m);
        two_digits(days[k].date + 8, d);
        days[k].start = day * 86400;
    } else {
        older = k ^ 1;
    }
    int rem = (int)(t - days[k].start), h = rem / 3600, mi = (rem - h * 3600) / 60;
    memcpy(buf, days[k].date, 10);
    memcpy(buf + 10, "T00:00:00Z", 11);
    memcpy(buf + 11, pairs + 2 * h, 2);
    memcpy(buf + 14, pairs + 2 * mi, 2);
    memcpy(buf + 17, pairs + 2 * (rem - h * 3600 - mi * 60), 2);
    return 20;
}

char *fsim_time_format(double unix_seconds, char buf[32])
{
    fsim_time_format_n(unix_seconds, buf);
    return buf;
}

/* Local time beside UTC in the CSV files: the same digits as fsim_time_format for the
 * shifted instant, the offset written instead of the Z. */
size_t fsim_time_format_local_n(double unix_seconds, int offset_minutes, char buf[40])
{
    char *z = buf + fsim_time_format_n(unix_seconds + offset_minutes * 60.0, buf) - 1;
    int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    z[0] = offset_minutes < 0 ? '-' : '+';
    z[1] = (char)('0' + a / 600 % 10);
    z[2] = (char)('0' + a / 60 % 10);
    z[3] = ':';
    z[4] = (char)('0' + a % 60 / 10);
    z[5] = (char)('0' + a % 10);
    z[6] = '\0';
    return (size_t)(z + 6 - buf);
}

char *fsim_time_format_local(double unix_seconds, int offset_minutes, char buf[40])
{
    fsim_time_format_local_n(unix_seconds, offset_minutes, buf);
    return buf;
}

struct timespec fsim_deadline_in(double seconds)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    time_t whole = (time_t)seconds;
    t.tv_sec += whole;
    t.tv_nsec += (long)((seconds - (double)whole) * 1e9);
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

char *fsim_time_now_ms(char buf[40])
{
    static _Thread_local time_t cached_sec = -1;
    static _Thread_local char cached[32];
    static _Thread_local size_t cached_len;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (ts.tv_sec != cached_sec) {
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        cached_len = strftime(cached, sizeof cached, "%Y-%m-%dT%H:%M:%S", &tm);
        cached_sec = ts.tv_sec;
    }
    memcpy(buf, cached, cached_len);
    snprintf(buf + cached_len, 40 - cached_len, ".%03ldZ", ts.tv_nsec / 1000000);
    return buf;
}
