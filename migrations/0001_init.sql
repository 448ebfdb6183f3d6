-- 0001_init: fleets, vehicles, state_data and the simulations envelope (DESIGN.md "Storage").
-- Applied by `fleetsim migrate` in one transaction; never edit once applied (the checksum is
-- recorded): add a new numbered file instead.

-- gen_random_uuid() is built in since PostgreSQL 13.

-- updated_at kept current by the database, whoever writes the row.
CREATE FUNCTION fsim_touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TABLE state_data (
    state_code              text PRIMARY KEY CHECK (state_code ~ '^[A-Z]{2}$'),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    electricity_usd_per_kwh double precision NOT NULL CHECK (electricity_usd_per_kwh >= 0),
    grid_co2_g_per_kwh      double precision NOT NULL CHECK (grid_co2_g_per_kwh >= 0),
    gasoline_usd_per_gallon double precision NOT NULL CHECK (gasoline_usd_per_gallon >= 0),
    diesel_usd_per_gallon   double precision CHECK (diesel_usd_per_gallon >= 0)
);

CREATE TABLE fleets (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- no foreign key: a fleet may name its state before state data is imported
    state_code  text CHECK (state_code ~ '^[A-Z]{2}$'),
    CONSTRAINT fleets_name_key UNIQUE (name)
);

CREATE TABLE vehicles (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    fleet_id      uuid NOT NULL REFERENCES fleets(id) ON DELETE CASCADE,
    vin           text NOT NULL CHECK (vin ~ '^[A-HJ-NPR-Z0-9]{17}$'),
    vehicle_type  text NOT NULL,
    depot         text NOT NULL,
    make          text,
    model         text,
    model_year    integer CHECK (model_year BETWEEN 1900 AND 2200),
    CONSTRAINT vehicles_vin_key UNIQUE (vin)
);
CREATE INDEX vehicles_fleet_idx ON vehicles (fleet_id);

CREATE TABLE simulations (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    fleet_id         uuid NOT NULL REFERENCES fleets(id) ON DELETE CASCADE,
    status           text NOT NULL,
    -- the envelope: request, summary, trips, engineVersion, configHash, warnings, traceId,
    -- error, vehicleSeries — all produced and read through the wire codec
    metadata         jsonb NOT NULL,
    time_series_data jsonb NOT NULL,
    charging_events  jsonb NOT NULL,
    -- what queries need, as columns
    name             text,
    progress         double precision NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 1),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    lease_expires_at timestamptz,
    started_at       timestamptz,
    finished_at      timestamptz,
    deleted_at       timestamptz,
    -- Idempotency-Key of POST /v1/simulations and the SHA-256 of the body it came with: the
    -- row itself is the first response, kept as long as the row (well over 24 h)
    idempotency_key  text CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_hash     text,
    CONSTRAINT simulations_status_check CHECK (status IN
        ('queued', 'running', 'succeeded', 'failed', 'cancelled', 'imported')),
    CONSTRAINT simulations_idempotency_key_key UNIQUE (idempotency_key),
    CONSTRAINT simulations_envelope_check CHECK (jsonb_typeof(metadata) = 'object'
        AND jsonb_typeof(time_series_data) = 'array'
        AND jsonb_typeof(charging_events) = 'array')
);

-- "a fleet's latest simulations": keyset pagination on (created_at desc, id desc)
CREATE INDEX simulations_fleet_latest_idx ON simulations (fleet_id, created_at DESC, id DESC)
    WHERE deleted_at IS NULL;
-- "jobs still queued or running": the claim query and lease expiry scan
CREATE INDEX simulations_active_idx ON simulations (status, created_at)
    WHERE status IN ('queued', 'running') AND deleted_at IS NULL;
-- one imported series per fleet and name (re-import updates it)
CREATE UNIQUE INDEX simulations_imported_name_idx ON simulations (fleet_id, name)
    WHERE status = 'imported' AND deleted_at IS NULL;

CREATE TRIGGER state_data_touch BEFORE UPDATE ON state_data
    FOR EACH ROW EXECUTE FUNCTION fsim_touch_updated_at();
CREATE TRIGGER fleets_touch BEFORE UPDATE ON fleets
    FOR EACH ROW EXECUTE FUNCTION fsim_touch_updated_at();
CREATE TRIGGER vehicles_touch BEFORE UPDATE ON vehicles
    FOR EACH ROW EXECUTE FUNCTION fsim_touch_updated_at();
CREATE TRIGGER simulations_touch BEFORE UPDATE ON simulations
    FOR EACH ROW EXECUTE FUNCTION fsim_touch_updated_at();
