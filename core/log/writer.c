/* Where log lines go: stdout, in batches.
 *
 * Why: one access line per request written with its own locked fputs + fflush made every
 * request pay a write(2) while holding the stdout lock, and under load the request threads
 * queued on that lock (a quarter of the CPU of GET /healthz under wrk went there). Now a
 * line is copied into a shared buffer (a memcpy under a mutex) and a flusher thread writes
 * the buffer out every FLUSH_MS in one write(2); a line that must not wait (start-up,
 * errors, shutdown: every event line) flushes everything before it, in order, at once.
 * A crash can lose at most the last FLUSH_MS of access lines.
 *
 * Order: buffers are swapped out under `mu` and written under `write_mu`, taken before
 * `mu` is released, so bytes reach stdout in the order the lines were added. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fleetsim/log.h>
#include <fleetsim/util.h>

enum {
    FLUSH_MS = 20,
    FIRST_CAP = 64 * 1024,
    HIGH_WATER = 1024 * 1024, /* past this, the writer that adds a line flushes itself */
};

static struct {
    pthread_mutex_t mu;
    pthread_mutex_t write_mu;
    pthread_cond_t cv;        /* the flusher waits for a first line, or for stop */
    char *buf;                /* malloc'd; NULL when empty */
    size_t len, cap;
    bool started, stopping;
    pthread_t thread;
} lw = {.mu = PTHREAD_MUTEX_INITIALIZER, .write_mu = PTHREAD_MUTEX_INITIALIZER,
        .cv = PTHREAD_COND_INITIALIZER};

/* stdout gone: nothing sensible left to do with the lines */
static void write_all(const char *p, size_t n)
{
    (void)fsim_write_all(STDOUT_FILENO, p, n);
}

/* With `mu` held: takes the buffer, then hands over from `mu` to `write_mu` and writes. */
static void flush_locked(void)
{
    char *out = lw.buf;
    size_t n = lw.len;
    lw.buf = NULL;
    lw.len = lw.cap = 0;
    pthread_mutex_lock(&lw.write_mu);
    pthread_mutex_unlock(&lw.mu);
    if (out)
        write_all(out, n);
    pthread_mutex_unlock(&lw.write_mu);
    free(out);
}

static void *flusher(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lw.mu);
    for (;;) {
        while (!lw.stopping && lw.len == 0)
            pthread_cond_wait(&lw.cv, &lw.mu);
        if (lw.stopping)
            break;
        /* a first line arrived: let more join it, then write them all at once */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += FLUSH_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!lw.stopping &&
               pthread_cond_timedwait(&lw.cv, &lw.mu, &until) != ETIMEDOUT)
            ;
        flush_locked(); /* releases mu */
        pthread_mutex_lock(&lw.mu);
    }
    flush_locked();
    return NULL;
}

void fsim_log_write(const char *line, size_t len, bool now)
{
    pthread_mutex_lock(&lw.mu);
    if (lw.len + len + 1 > lw.cap) {
        size_t cap = lw.cap ? lw.cap : FIRST_CAP;
        while (cap < lw.len + len + 1)
            cap *= 2;
        char *grown = realloc(lw.buf, cap);
        if (!grown) { /* no memory for a buffer: this line goes out on its own */
            pthread_mutex_lock(&lw.write_mu);
            pthread_mutex_unlock(&lw.mu);
            write_all(line, len);
            write_all("\n", 1);
            pthread_mutex_unlock(&lw.write_mu);
            return;
        }
        lw.buf = grown;
        lw.cap = cap;
    }
    bool was_empty = lw.len == 0;
    memcpy(lw.buf + lw.len, line, len);
    lw.buf[lw.len + len] = '\n';
    lw.len += len + 1;
    if (now || !lw.started || lw.len >= HIGH_WATER) {
        flush_locked(); /* releases mu */
        return;
    }
    if (was_empty)
        pthread_cond_signal(&lw.cv);
    pthread_mutex_unlock(&lw.mu);
}

bool fsim_log_writer_start(void)
{
    pthread_mutex_lock(&lw.mu);
    bool ok = lw.started || pthread_create(&lw.thread, NULL, flusher, NULL) == 0;
    lw.started = ok;
    pthread_mutex_unlock(&lw.mu);
    return ok;
}

void fsim_log_writer_stop(void)
{
    pthread_mutex_lock(&lw.mu);
    bool started = lw.started;
    lw.stopping = true;
    pthread_cond_signal(&lw.cv);
    pthread_mutex_unlock(&lw.mu);
    if (started)
        pthread_join(lw.thread, NULL);
    pthread_mutex_lock(&lw.mu);
    lw.started = lw.stopping = false;
    flush_locked(); /* anything added after the join */
}
