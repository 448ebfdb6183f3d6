/* Migrations: numbered SQL files applied in order, each in its own transaction, recorded
 * with their SHA-256 in schema_migrations, serialized across processes by a session
 * advisory lock. Run by `fleetsim migrate` (CI, deploy), never by a server at start-up. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fleetsim/util.h>

#include "store_internal.h"

/* pg_advisory_lock key: "fsimmigr" as a bigint */
#define MIGRATE_LOCK_KEY "7378646877238315634"

typedef struct migration {
    char version[5];
    char name[200];
    char file[512]; /* dir/NNNN_name.sql */
    char checksum[65];
    char *sql;
    size_t len;
} migration;

typedef struct migration_set {
    fsim_arena *arena;
    migration *items;
    size_t n;
} migration_set;

static int cmp_migration(const void *a, const void *b)
{
    return strcmp(((const migration *)a)->version, ((const migration *)b)->version);
}

/* NNNN_name.sql with name [A-Za-z0-9_-]+ */
static bool parse_file_name(const char *f, char version[5], char *name, size_t name_size)
{
    size_t len = strlen(f);
    if (len < 10 || strcmp(f + len - 4, ".sql") != 0 || f[4] != '_')
        return false;
    for (int i = 0; i < 4; i++)
        if (f[i] < '0' || f[i] > '9')
            return false;
    for (size_t i = 5; i < len - 4; i++) {
        char ch = f[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_' || ch == '-'))
            return false;
    }
    memcpy(version, f, 4);
    version[4] = '\0';
    snprintf(name, name_size, "%.*s", (int)(len - 9), f + 5);
    return true;
}

/* Reads and checksums every migration file of `dir`, sorted by version. */
static fsim_status load_dir(const char *dir, migration_set *set, fsim_error *err)
{
    DIR *d = opendir(dir);
    if (!d)
        return fsim_error_set(err, FSIM_NOT_FOUND, dir, 0, 0, NULL,
                              "could not open the migrations directory");
    size_t cap = 16;
    set->items = fsim_arena_calloc(set->arena, cap, sizeof *set->items);
    fsim_status st = FSIM_OK;
    struct dirent *e;
    while (st == FSIM_OK && (e = readdir(d)) != NULL) {
        const char *f = e->d_name;
        size_t len = strlen(f);
        if (f[0] == '.' || len < 4 || strcmp(f + len - 4, ".sql") != 0)
            continue;
        if (set->n == cap) {
            migration *bigger = fsim_arena_calloc(set->arena, cap * 2, sizeof *bigger);
            memcpy(bigger, set->items, cap * sizeof *bigger);
            set->items = bigger;
            cap *= 2;
        }
        migration *m = &set->items[set->n];
        snprintf(m->file, sizeof m->file, "%s/%s", dir, f);
        if (!parse_file_name(f, m->version, m->name, sizeof m->name)) {
            st = fsim_error_set(err, FSIM_INVALID, m->file, 0, 0, NULL,
                                "migration file names are NNNN_name.sql (name: letters, digits, "
                                "_ and -)");
            break;
        }
        st = fsim_read_file(m->file, set->arena, &m->sql, &m->len, err);
        if (st != FSIM_OK)
            break;
        fsim_sha256_hex(m->sql, m->len, m->checksum);
        set->n++;
    }
    closedir(d);
    if (st != FSIM_OK)
        return st;
    qsort(set->items, set->n, sizeof *set->items, cmp_migration);
    for (size_t i = 1; i < set->n; i++)
        if (strcmp(set->items[i].version, set->items[i - 1].version) == 0)
            return fsim_error_set(err, FSIM_INVALID, set->items[i].file, 0, 0, NULL,
                                  "version %s is also used by \"%s\"", set->items[i].version,
                                  set->items[i - 1].file);
    return FSIM_OK;
}

static migration *find_version(migration_set *set, const char *version)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->items[i].version, version) == 0)
            return &set->items[i];
    return NULL;
}

/* Compares the applied rows (version, name, checksum) with the files. Sets applied[i] for
 * each file already applied. FSIM_INVALID naming the file when one changed or vanished. */
static fsim_status check_applied(PGresult *rows, const char *dir, migration_set *set,
                                 bool *applied, fsim_error *err)
{
    for (int r = 0; r < PQntuples(rows); r++) {
        const char *version = PQgetvalue(rows, r, 0);
        const char *name = PQgetvalue(rows, r, 1);
        const char *sum = PQgetvalue(rows, r, 2);
        migration *m = find_version(set, version);
        if (!m)
            return fsim_error_set(err, FSIM_INVALID, dir, 0, 0, NULL,
                                  "applied migration %s_%s.sql is missing from the directory",
                                  version, name);
        if (strcmp(m->checksum, sum) != 0)
            return fsim_error_set(err, FSIM_INVALID, m->file, 0, 0, NULL,
                                  "checksum changed since it was applied (was sha256 %.12s…, is "
                                  "%.12s…); never edit an applied migration: add a new one",
                                  sum, m->checksum);
        applied[m - set->items] = true;
    }
    return FSIM_OK;
}

/* 1-based line of a 1-based character position in `sql`. */
static int line_of(const char *sql, size_t len, long pos)
{
    int line = 1;
    for (long i = 0; i < pos - 1 && (size_t)i < len; i++)
        if (sql[i] == '\n')
            line++;
    return line;
}

typedef struct migrate_ctx {
    const char *dir;
    migration_set *set;
    fsim_migrate_fn on_applied;
    void *user;
    int applied;
} migrate_ctx;

static const char create_table_sql[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version text PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

static fsim_status apply_one(fsim__conn *c, migration *m, fsim_error *err)
{
    if (!fsim__command(c, "BEGIN", "begin a migration", err))
        return FSIM_IO;
    PGresult *r = PQexec(c->pg, m->sql);
    ExecStatusType rs = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK && rs != PGRES_EMPTY_QUERY) {
        fsim_status st = fsim__fail_result(c, r, "apply the migration", err);
        const char *pos = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
        snprintf(err->source, sizeof err->source, "%.255s", m->file);
        err->line = pos ? line_of(m->sql, m->len, atol(pos)) : 0;
        PQclear(r);
        return st == FSIM_OK ? FSIM_IO : st;
    }
    PQclear(r);
    const char *params[] = {m->version, m->name, m->checksum};
    r = fsim__exec(c, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1,$2,$3)",
                   3, params, "record the migration", err);
    if (!r)
        return FSIM_IO;
    PQclear(r);
    if (!fsim__command(c, "COMMIT", "commit the migration", err))
        return FSIM_IO;
    return FSIM_OK;
}

static fsim_status migrate_op(fsim__conn *c, void *vctx, fsim_error *err)
{
    migrate_ctx *ctx = vctx;
    if (!fsim__command(c, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")",
                       "take the migration lock", err))
        return FSIM_IO;
    fsim_status st = FSIM_OK;
    PGresult *rows = NULL;
    bool *applied = fsim_arena_calloc(ctx->set->arena, ctx->set->n + 1, sizeof *applied);
    if (!fsim__command(c, "SET client_min_messages = warning", "configure the session", err) ||
        !fsim__command(c, create_table_sql, "create schema_migrations", err)) {
        st = FSIM_IO;
        goto out;
    }
    rows = fsim__exec(c, "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
                      0, NULL, "read schema_migrations", err);
    if (!rows) {
        st = FSIM_IO;
        goto out;
    }
    st = check_applied(rows, ctx->dir, ctx->set, applied, err);
    for (size_t i = 0; st == FSIM_OK && i < ctx->set->n; i++) {
        if (applied[i])
            continue;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        st = apply_one(c, &ctx->set->items[i], err);
        if (st != FSIM_OK)
            break;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        ctx->applied++;
        if (ctx->on_applied)
            ctx->on_applied(ctx->user, ctx->set->items[i].version, ctx->set->items[i].name,
                            (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                                (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    }
out:
    PQclear(rows);
    if (PQstatus(c->pg) == CONNECTION_OK) {
        if (PQtransactionStatus(c->pg) != PQTRANS_IDLE)
            PQclear(PQexec(c->pg, "ROLLBACK"));
        PQclear(PQexec(c->pg, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")"));
        PQclear(PQexec(c->pg, "RESET client_min_messages"));
    }
    return st;
}

fsim_status fsim_store_migrate(fsim_store *store, const char *dir, fsim_migrate_fn on_applied,
                               void *user, int *applied, fsim_error *err)
{
    migration_set set = {fsim_arena_new(), NULL, 0};
    if (applied)
        *applied = 0;
    if (!set.arena)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    fsim_status st = load_dir(dir, &set, err);
    migrate_ctx ctx = {dir, &set, on_applied, user, 0};
    if (st == FSIM_OK)
        st = fsim__store_run(store, migrate_op, &ctx, err);
    if (applied)
        *applied = ctx.applied;
    fsim_arena_free(set.arena);
    return st;
}

typedef struct current_ctx {
    const char *dir;
    migration_set *set;
    bool current;
    char why[400];
} current_ctx;

static fsim_status current_op(fsim__conn *c, void *vctx, fsim_error *err)
{
    current_ctx *ctx = vctx;
    PGresult *exists = fsim__exec(c, "SELECT to_regclass('schema_migrations') IS NOT NULL", 0,
                                  NULL, "read schema_migrations", err);
    if (!exists)
        return FSIM_IO;
    bool has_table = PQgetvalue(exists, 0, 0)[0] == 't';
    PQclear(exists);
    if (!has_table) {
        ctx->current = ctx->set->n == 0;
        snprintf(ctx->why, sizeof ctx->why, "no migration has been applied");
        return FSIM_OK;
    }
    PGresult *rows = fsim__exec(c, "SELECT version, name, checksum FROM schema_migrations", 0,
                                NULL, "read schema_migrations", err);
    if (!rows)
        return FSIM_IO;
    bool *applied = fsim_arena_calloc(ctx->set->arena, ctx->set->n + 1, sizeof *applied);
    fsim_error why;
    fsim_error_clear(&why);
    ctx->current = check_applied(rows, ctx->dir, ctx->set, applied, &why) == FSIM_OK;
    PQclear(rows);
    if (!ctx->current) {
        fsim_error_format(&why, ctx->why, sizeof ctx->why);
        return FSIM_OK;
    }
    for (size_t i = 0; i < ctx->set->n; i++) {
        if (!applied[i]) {
            ctx->current = false;
            snprintf(ctx->why, sizeof ctx->why, "\"%.300s\" is not applied",
                     ctx->set->items[i].file);
            break;
        }
    }
    return FSIM_OK;
}

fsim_status fsim_store_migrations_current(fsim_store *store, const char *dir, bool *current,
                                          fsim_error *err)
{
    migration_set set = {fsim_arena_new(), NULL, 0};
    *current = false;
    if (!set.arena)
        return fsim_error_set(err, FSIM_NOMEM, NULL, 0, 0, NULL, "out of memory");
    fsim_status st = load_dir(dir, &set, err);
    current_ctx ctx = {dir, &set, false, ""};
    if (st == FSIM_OK)
        st = fsim__store_run(store, current_op, &ctx, err);
    if (st == FSIM_OK) {
        *current = ctx.current;
        fsim_error_clear(err);
        if (!ctx.current)
            fsim_error_set(err, FSIM_OK, "database", 0, 0, NULL, "%s", ctx.why);
    }
    fsim_arena_free(set.arena);
    return st;
}
