/* core/job's private interface: the sink table. */
#ifndef FLEETSIM_JOB_INTERNAL_H
#define FLEETSIM_JOB_INTERNAL_H

#include <fleetsim/job.h>

/* A place a result can go: a small struct of callbacks, picked by name (dav1d's muxers). */
struct fsim_sink {
    const char *name;
    bool needs_row;
    /* Before the run: can this sink deliver at all? (gcs needs its client.) Optional. On
     * failure *code says which permanent error it is. */
    fsim_status (*ready)(const fsim_job_run_options *o, fsim_job_error *code, fsim_error *err);
    /* Delivers `res` (for a row: stores it and marks the row finished). `where` receives a
     * description for the log ("gs://…", "out/"). FSIM_CANCELLED / FSIM_NOT_FOUND: the row was
     * cancelled or deleted meanwhile, or (with `stopping`) the program is stopping. On
     * another failure *code says which error it is. */
    fsim_status (*deliver)(const fsim_job_run_options *o, const char *id, fsim_result *res,
                           char *where, size_t where_size, fsim_job_error *code,
                           fsim_error *err);
    /* Optional, a streaming sink: runs the request (`ro`: the job's runner options) with
     * its rows going straight to where they are delivered, so memory stays bounded by the
     * fleet, not the horizon, and delivers. *res: the result without its rows (summary,
     * metadata). Used unless the caller needs the whole result (o->whole_result). *code
     * says which error a failure is. */
    fsim_status (*stream)(const fsim_job_run_options *o, const char *id,
                          const fsim_request *request, const fsim_runner_options *ro,
                          fsim_arena *arena, fsim_result **res, char *where, size_t where_size,
                          fsim_job_error *code, fsim_error *err);
};

/* One log line through svc->log (nothing without a logger). */
void fsim__job_log(const fsim_services *svc, const char *severity, const char *trace,
                   const char *id, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* ---- The plan cache (plan_cache.c): plans prepared once per process, shared by threads -- */

struct fsim_plan;
typedef struct fsim__plan_ref fsim__plan_ref;

/* The plan of `plan_id`, built from `request` (copied) with `runner` when not cached. The
 * plan stays valid until fsim__plan_cache_put(*ref). */
fsim_status fsim__plan_cache_get(const char *plan_id, const fsim_request *request,
                                 const fsim_runner_options *runner,
                                 const struct fsim_plan **plan, fsim__plan_ref **ref,
                                 fsim_error *err);
void fsim__plan_cache_put(fsim__plan_ref *ref);

#endif
