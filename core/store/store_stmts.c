/* The SQL of the `simulations` envelope, its job queue and the fleets: one table of prepared
 * statements (the ids are in store_sim.h).
 *
 * JSON goes in and out only through the wire codec: the C side encodes a request / result /
 * api error with fsim_wire_encode and hands it over as one jsonb parameter; SQL only
 * splits (->) and merges (||, jsonb_build_object) those documents into the envelope
 * columns. Reads build the wire shape in SQL and decode it with fsim_wire_decode, which
 * validates it like any other input. */
#include "store_sim.h"


#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* The Fleet of a `fleets f` row, as JSON text (its counts: vehicles, simulations not
 * deleted). */
#define FLEET_JSON                                                                           \
    "jsonb_strip_nulls(jsonb_build_object('id', f.id, 'name', f.name,"                      \
    " 'stateCode', f.state_code,"                                                           \
    " 'vehicles', (SELECT count(*) FROM vehicles v WHERE v.fleet_id = f.id),"               \
    " 'simulations', (SELECT count(*) FROM simulations s WHERE s.fleet_id = f.id"           \
    " AND s.deleted_at IS NULL), 'createdAt', " TS("f.created_at") "))::text"

/* The JobStatus of a row, as JSON text. The error is read only from a row that can hold
 * one: metadata->'error' decompresses the whole metadata (a succeeded run keeps its trips and
 * series there: tens of kB to read for a status), and only S_FAIL / S_EXPIRE write an error,
 * each making the row 'failed' for good — succeeded and imported rows never have one. */
#define STATUS_ERROR                                                                         \
    "CASE WHEN status IN ('succeeded', 'imported') THEN NULL ELSE metadata->'error' END"
#define STATUS_JSON                                                                          \
    "jsonb_build_object('id', id, 'fleetId', fleet_id, 'name', name, 'status', status,"     \
    " 'progress', progress, 'createdAt', " TS("created_at") ", 'updatedAt', "               \
    TS("updated_at") ", 'startedAt', " TS("started_at") ", 'finishedAt', "                  \
    TS("finished_at") ", 'error', " STATUS_ERROR ")::text"

#define CLAIM_SET                                                                            \
    "SET status = 'running', attempts = s.attempts + 1, progress = 0,"                      \
    " lease_expires_at = now() + make_interval(secs => $1::int),"                           \
    " started_at = coalesce(s.started_at, now())"
#define CLAIM_RETURNING                                                                      \
    " RETURNING s.id, s.fleet_id, s.attempts, (s.metadata->'request')::text,"              \
    " s.metadata->>'traceId'"

/* A plan batch's claim: running under a lease, one more attempt. */
#define PLAN_CLAIM_SET                                                                       \
    "SET status = 'running', attempts = b.attempts + 1,"                                    \
    " lease_expires_at = now() + make_interval(secs => $1::int)"
/* Claimable: queued, or running with its lease run out and attempts left ($4), while its
 * plan still runs. */
#define PLAN_CLAIMABLE                                                                       \
    "(b.status = 'queued' OR (b.status = 'running' AND b.lease_expires_at < now()"          \
    " AND b.attempts < $4::int)) AND EXISTS (SELECT 1 FROM plans p WHERE p.id = b.plan_id"   \
    " AND p.status IN ('queued', 'running') AND p.deleted_at IS NULL)"
#define PLAN_CLAIM_RETURNING                                                                 \
    " RETURNING b.plan_id, b.batch, b.first_variant, b.variant_count, b.attempts"

const fsim__stmt fsim__sim_stmts[] = {
    [S_FLEET_EXISTS] = {"SELECT 1 FROM fleets WHERE id = $1::uuid", 1},
    /* $3: the id to give it, or NULL for a new one; an existing fleet of that name or id
     * is returned instead (false) */
    [S_FLEET_CREATE] = {"WITH ins AS (INSERT INTO fleets (id, name, state_code)"
                        " VALUES (coalesce($3::uuid, gen_random_uuid()), $1, $2)"
                        " ON CONFLICT DO NOTHING RETURNING id)"
                        " SELECT id, true FROM ins UNION ALL"
                        " (SELECT id, false FROM fleets WHERE (name = $1 OR id = $3::uuid)"
                        " AND NOT EXISTS (SELECT 1 FROM ins) LIMIT 1)", 3},
    [S_FLEET_GET] = {"SELECT " FLEET_JSON " FROM fleets f WHERE f.id = $1::uuid", 1},
    /* by name (unique), after the cursor's fleet */
    [S_FLEET_LIST] = {"SELECT " FLEET_JSON ", f.id FROM fleets f"
                      " WHERE $1::uuid IS NULL"
                      " OR (f.name, f.id) > (SELECT c.name, c.id FROM fleets c WHERE c.id = $1::uuid)"
                      " ORDER BY f.name, f.id LIMIT $2::int", 2},
    [S_STATE_DATA] = {"SELECT state_code, electricity_usd_per_kwh, grid_co2_g_per_kwh,"
                      " gasoline_usd_per_gallon, diesel_usd_per_gallon FROM state_data"
                      " WHERE state_code = $1", 1},
    [S_FLEET_STATE_DATA] = {"SELECT d.state_code, d.electricity_usd_per_kwh,"
                            " d.grid_co2_g_per_kwh, d.gasoline_usd_per_gallon,"
                            " d.diesel_usd_per_gallon FROM fleets f"
                            " JOIN state_data d ON d.state_code = f.state_code"
                            " WHERE f.id = $1::uuid", 1},
    [S_CREATE] = {"INSERT INTO simulations (fleet_id, status, name, metadata, time_series_data,"
                  " charging_events, idempotency_key, request_hash, result_mode, published_at)"
                  " VALUES ($1::uuid, 'queued', $2, jsonb_build_object('request', $3::jsonb)"
                  " || CASE WHEN $4::text IS NULL THEN '{}'::jsonb"
                  " ELSE jsonb_build_object('traceId', $4::text) END, '[]', '[]', $5, $6, $7,"
                  " CASE WHEN $8::bool THEN now() END)"
                  " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id", 8},
    [S_BY_KEY] = {"SELECT id, request_hash FROM simulations WHERE idempotency_key = $1", 1},
    [S_EXPIRE] = {"UPDATE simulations SET status = 'failed', finished_at = now(),"
                  " lease_expires_at = NULL,"
                  " metadata = metadata || jsonb_build_object('error', $2::jsonb)"
                  " WHERE status = 'running' AND deleted_at IS NULL AND result_mode IS NULL"
                  " AND lease_expires_at < now() AND attempts >= $1::int", 2},
    [S_CLAIM_NEXT] = {"UPDATE simulations s " CLAIM_SET
                      " WHERE s.id = (SELECT id FROM simulations"
                      " WHERE status IN ('queued', 'running') AND deleted_at IS NULL"
                      " AND result_mode IS NULL"
                      " AND (status = 'queued' OR (lease_expires_at < now()"
                      " AND attempts < $2::int))"
                      " ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)" CLAIM_RETURNING,
                      2},
    [S_CLAIM_ID] = {"UPDATE simulations s " CLAIM_SET
                    " WHERE s.id = $2::uuid AND s.deleted_at IS NULL AND (s.status = 'queued'"
                    " OR (s.status = 'running' AND s.lease_expires_at < now()))" CLAIM_RETURNING,
                    2},
    [S_CURRENT] = {"SELECT status FROM simulations WHERE id = $1::uuid AND deleted_at IS NULL",
                   1},
    [S_RELEASE] = {"UPDATE simulations SET lease_expires_at = now() - interval '1 second'"
                   " WHERE id = $1::uuid AND status = 'running' AND deleted_at IS NULL"
                   " RETURNING id", 1},
    [S_HEARTBEAT] = {"UPDATE simulations SET progress = $2::float8,"
                     " lease_expires_at = now() + make_interval(secs => $3::int)"
                     " WHERE id = $1::uuid AND status = 'running' AND deleted_at IS NULL"
                     " RETURNING id", 3},
    [S_FINISH] = {"UPDATE simulations s SET status = $2, progress = 1, finished_at = now(),"
                  " lease_expires_at = NULL, started_at = coalesce(s.started_at, now()),"
                  " time_series_data = r.j->'timeSeriesData',"
                  " charging_events = r.j->'chargingEvents',"
                  " metadata = s.metadata || " FSIM__RESULT_METADATA
                  " FROM (SELECT $3::jsonb AS j) r"
                  " WHERE s.id = $1::uuid AND s.deleted_at IS NULL"
                  " AND s.status IN ('queued', 'running') RETURNING s.id", 3},
    [S_FAIL] = {"UPDATE simulations SET status = 'failed', finished_at = now(),"
                " lease_expires_at = NULL,"
                " metadata = metadata || jsonb_build_object('error', $2::jsonb)"
                " WHERE id = $1::uuid AND deleted_at IS NULL"
                " AND status IN ('queued', 'running') RETURNING id", 2},
    [S_CANCEL] = {"UPDATE simulations SET status = 'cancelled', finished_at = now(),"
                  " lease_expires_at = NULL WHERE id = $1::uuid AND deleted_at IS NULL"
                  " AND status IN ('queued', 'running') RETURNING id", 1},
    [S_DELETE] = {"UPDATE simulations SET deleted_at = now()"
                  " WHERE id = $1::uuid AND deleted_at IS NULL RETURNING id", 1},
    /* the JobStatus's columns, in binary (store_reads.c builds the struct): no JSON built
     * here and parsed there, no timestamps formatted, for the most frequent read */
#define STATUS_COLUMNS                                                                       \
    "id, fleet_id, name, status, progress, created_at, updated_at, started_at, finished_at, " \
    STATUS_ERROR
    [S_STATUS] = {"SELECT " STATUS_COLUMNS " FROM simulations"
                  " WHERE id = $1::uuid AND deleted_at IS NULL", 1, true},
    /* the same for a set of ids: the polls a handler thread found queued together */
    [S_STATUS_MANY] = {"SELECT " STATUS_COLUMNS " FROM simulations"
                       " WHERE id = ANY ($1::uuid[]) AND deleted_at IS NULL", 1, true},
    /* the result's metadata is the envelope's metadata without the envelope's own keys:
     * whatever a writer stored there comes back whole (no list of metadata keys here) */
    [S_RESULT] = {"SELECT status, jsonb_build_object('simulationId', id, 'status', status,"
                  " 'summary', metadata->'summary', 'timeSeriesData', time_series_data,"
                  " 'chargingEvents', charging_events,"
                  " 'trips', coalesce(metadata->'trips', '[]'),"
                  " 'metadata', metadata - " FSIM__ENVELOPE_KEYS ","
                  " 'vehicleSeries', metadata->'vehicleSeries',"
                  " 'vehicles', metadata->'vehicles')::text"
                  " FROM simulations WHERE id = $1::uuid AND deleted_at IS NULL", 1},
    [S_LIST] = {"SELECT " STATUS_JSON ", (extract(epoch FROM created_at) * 1000000)::bigint, id"
                " FROM simulations WHERE ($1::uuid IS NULL OR fleet_id = $1::uuid)"
                " AND deleted_at IS NULL"
                " AND ($2::text IS NULL OR status = $2)"
                " AND ($3::bigint IS NULL OR (created_at, id) <"
                " ('epoch'::timestamptz + $3::bigint * interval '1 microsecond', $4::uuid))"
                " ORDER BY created_at DESC, id DESC LIMIT $5::int", 5},
    /* a result stored elsewhere: the summary and provenance stay queryable in the row, the
     * bulky parts are left out (and any from an earlier run removed) */
    [S_FINISH_URI] = {"UPDATE simulations s SET status = $2, progress = 1, finished_at = now(),"
                      " lease_expires_at = NULL, started_at = coalesce(s.started_at, now()),"
                      " time_series_data = '[]', charging_events = '[]',"
                      " metadata = (s.metadata - 'trips' - 'vehicleSeries' - 'vehicles') || $4::jsonb"
                      " || jsonb_build_object('summary', $3::jsonb, 'resultUri', $5::text)"
                      " WHERE s.id = $1::uuid AND s.deleted_at IS NULL"
                      " AND s.status IN ('queued', 'running') RETURNING s.id", 5},
    [S_RESULT_URI] = {"SELECT metadata->>'resultUri' FROM simulations"
                      " WHERE id = $1::uuid AND deleted_at IS NULL", 1},

    /* ---- plans (store_plans.c): a `plans` row and its `plan_batches` ---- */
    [S_PLAN_CREATE] = {"INSERT INTO plans (fleet_id, status, name, metadata, variants,"
                       " batch_variants, batches, remaining, dispatch)"
                       " VALUES ($1::uuid, 'queued', $2, jsonb_build_object('request', $3::jsonb)"
                       " || CASE WHEN $4::text IS NULL THEN '{}'::jsonb"
                       " ELSE jsonb_build_object('traceId', $4::text) END, $5::int, $6::int,"
                       " $7::int, $7::int, $8) RETURNING id", 8},
    /* batch i: variants i·$2 .. min((i+1)·$2, $3) − 1 */
    [S_PLAN_BATCHES] = {"INSERT INTO plan_batches (plan_id, batch, first_variant, variant_count)"
                        " SELECT $1::uuid, i, i * $2::int, least($2::int, $3::int - i * $2::int)"
                        " FROM generate_series(0, $4::int - 1) AS i", 4},
    [S_PLAN_CLAIM] = {"UPDATE plan_batches b " PLAN_CLAIM_SET
                      " WHERE b.plan_id = $2::uuid AND b.batch = $3::int AND " PLAN_CLAIMABLE
                      PLAN_CLAIM_RETURNING, 4},
    [S_PLAN_CLAIM_NEXT] = {"UPDATE plan_batches b " PLAN_CLAIM_SET
                           " WHERE (b.plan_id, b.batch) = (SELECT o.plan_id, o.batch"
                           " FROM plan_batches o JOIN plans p ON p.id = o.plan_id"
                           " WHERE p.dispatch IS NULL AND p.status IN ('queued', 'running')"
                           " AND p.deleted_at IS NULL AND o.status <> 'done'"
                           " AND (o.status = 'queued' OR (o.lease_expires_at < now()"
                           " AND o.attempts < $2::int))"
                           " ORDER BY p.created_at, o.plan_id, o.batch LIMIT 1"
                           " FOR UPDATE OF o SKIP LOCKED)" PLAN_CLAIM_RETURNING, 2},
    /* the plan's request with the claim; a queued plan starts running */
    [S_PLAN_START] = {"WITH s AS (UPDATE plans SET status = 'running',"
                      " started_at = coalesce(started_at, now())"
                      " WHERE id = $1::uuid AND status = 'queued')"
                      " SELECT (metadata->'request')::text, metadata->>'traceId', variants"
                      " FROM plans WHERE id = $1::uuid", 1},
    /* why a batch was not claimed: its status, attempts, whether its lease ran out, and
     * whether its plan still runs */
    [S_PLAN_BATCH_STATE] = {"SELECT b.status, b.attempts, b.lease_expires_at < now(),"
                            " p.status IN ('queued', 'running') AND p.deleted_at IS NULL"
                            " FROM plan_batches b JOIN plans p ON p.id = b.plan_id"
                            " WHERE b.plan_id = $1::uuid AND b.batch = $2::int", 2},
    [S_PLAN_HEARTBEAT] = {"UPDATE plan_batches b"
                          " SET lease_expires_at = now() + make_interval(secs => $3::int)"
                          " FROM plans p WHERE p.id = b.plan_id AND b.plan_id = $1::uuid"
                          " AND b.batch = $2::int AND b.status = 'running'"
                          " AND p.status IN ('queued', 'running') AND p.deleted_at IS NULL"
                          " RETURNING b.batch", 3},
    [S_PLAN_RELEASE] = {"UPDATE plan_batches SET lease_expires_at = now() - interval '1 second'"
                        " WHERE plan_id = $1::uuid AND batch = $2::int AND status = 'running'", 2},
    /* the finisher's lock: every finisher of one plan queues here, so the one that counts the
     * last batch off sees remaining 0 and nobody else does */
    [S_PLAN_LOCK] = {"SELECT status FROM plans WHERE id = $1::uuid FOR UPDATE", 1},
    /* idempotent: a batch is stored once, a duplicate changes nothing */
    [S_PLAN_BATCH_DONE] = {"UPDATE plan_batches SET status = 'done', outcome = $3::jsonb,"
                           " lease_expires_at = NULL, finished_at = now()"
                           " WHERE plan_id = $1::uuid AND batch = $2::int AND status <> 'done'"
                           " RETURNING batch", 3},
    [S_PLAN_COUNT_OFF] = {"UPDATE plans SET remaining = remaining - 1 WHERE id = $1::uuid"
                          " RETURNING remaining", 1},
    [S_PLAN_OUTCOMES] = {"SELECT outcome::text FROM plan_batches WHERE plan_id = $1::uuid"
                         " ORDER BY batch", 1},
    [S_PLAN_SUCCEED] = {"UPDATE plans SET status = 'succeeded', finished_at = now(),"
                        " metadata = metadata || jsonb_build_object('result', $2::jsonb)"
                        " WHERE id = $1::uuid AND status IN ('queued', 'running')"
                        " RETURNING id", 2},
    [S_PLAN_FAIL] = {"UPDATE plans SET status = 'failed', finished_at = now(),"
                     " metadata = metadata || jsonb_build_object('error', $2::jsonb)"
                     " WHERE id = $1::uuid AND deleted_at IS NULL"
                     " AND status IN ('queued', 'running') RETURNING id", 2},
    [S_PLAN_STATUS] = {"SELECT jsonb_build_object('id', id, 'fleetId', fleet_id, 'name', name,"
                       " 'status', status, 'progress', (batches - remaining)::float8 / batches,"
                       " 'variants', variants, 'batches', batches,"
                       " 'batchesDone', batches - remaining, 'createdAt', " TS("created_at") ","
                       " 'updatedAt', " TS("updated_at") ", 'startedAt', " TS("started_at") ","
                       " 'finishedAt', " TS("finished_at") ", 'error', metadata->'error')::text"
                       " FROM plans WHERE id = $1::uuid AND deleted_at IS NULL", 1},
    [S_PLAN_RESULT] = {"SELECT status, (metadata->'result')::text FROM plans"
                       " WHERE id = $1::uuid AND deleted_at IS NULL", 1},
    /* $1 a plan, or NULL: any Pub/Sub plan's batches older than $2 seconds */
    [S_PLAN_UNPUBLISHED] = {"SELECT b.plan_id, b.batch FROM plan_batches b"
                            " JOIN plans p ON p.id = b.plan_id"
                            " WHERE p.dispatch = 'pubsub' AND p.status IN ('queued', 'running')"
                            " AND p.deleted_at IS NULL AND b.published_at IS NULL"
                            " AND b.status <> 'done' AND ($1::uuid IS NULL"
                            " AND p.created_at < now() - make_interval(secs => $2::float8)"
                            " OR b.plan_id = $1::uuid)"
                            " ORDER BY p.created_at, b.plan_id, b.batch LIMIT $3::int", 3},
    /* a plan of the API's workers whose batch ran out of attempts (its workers kept dying):
     * failed, as S_EXPIRE fails such a simulation; Pub/Sub plans learn it from a delivery */
    [S_PLAN_EXPIRE] = {"UPDATE plans p SET status = 'failed', finished_at = now(),"
                       " metadata = p.metadata || jsonb_build_object('error', $2::jsonb)"
                       " WHERE p.dispatch IS NULL AND p.status = 'running' AND p.deleted_at IS NULL"
                       " AND EXISTS (SELECT 1 FROM plan_batches b WHERE b.plan_id = p.id"
                       " AND b.status = 'running' AND b.lease_expires_at < now()"
                       " AND b.attempts >= $1::int)", 2},
    [S_PLAN_MARK_PUBLISHED] = {"UPDATE plan_batches SET published_at = coalesce(published_at,"
                               " now()) WHERE plan_id = $1::uuid AND batch = ANY($2::int[])", 2},
};
