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
};
