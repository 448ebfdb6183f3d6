-- 0003_plans: a depot plan as a job (POST /v1/plans, docs/plan.md "As a job"). A plan is one
-- `plans` row in the simulations' envelope shape (columns for what is queried, JSONB for the
-- rest) and one `plan_batches` row per batch of variants: a batch is claimed under a lease
-- like a simulation, its outcome (a PlanBatchOutcome) stored once, and the transaction that
-- stores the last one composes the plan's result (`remaining` reaches 0 under the plan row's
-- lock, so exactly one finisher sees it).
-- Applied by `fleetsim migrate`; never edit once applied: add a new numbered file instead.

CREATE TABLE plans (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    fleet_id         uuid NOT NULL REFERENCES fleets(id) ON DELETE CASCADE,
    status           text NOT NULL,
    -- the envelope: request, traceId, result (the PlanResult), error
    metadata         jsonb NOT NULL,
    -- what queries need, as columns
    name             text,
    variants         integer NOT NULL CHECK (variants >= 1),
    batch_variants   integer NOT NULL CHECK (batch_variants >= 1),
    batches          integer NOT NULL CHECK (batches >= 1),
    -- batches not stored yet: the finisher is the transaction that takes it to 0
    remaining        integer NOT NULL CHECK (remaining >= 0),
    -- NULL: the API's own workers run the batches; 'pubsub': Pub/Sub workers do
    dispatch         text CONSTRAINT plans_dispatch_check CHECK (dispatch IN ('pubsub')),
    started_at       timestamptz,
    finished_at      timestamptz,
    deleted_at       timestamptz,
    CONSTRAINT plans_status_check CHECK (status IN
        ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    CONSTRAINT plans_envelope_check CHECK (jsonb_typeof(metadata) = 'object')
);
CREATE INDEX plans_fleet_idx ON plans (fleet_id, created_at);
CREATE TRIGGER plans_touch BEFORE UPDATE ON plans
    FOR EACH ROW EXECUTE FUNCTION fsim_touch_updated_at();

CREATE TABLE plan_batches (
    plan_id          uuid NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
    batch            integer NOT NULL CHECK (batch >= 0),
    first_variant    integer NOT NULL CHECK (first_variant >= 0),
    variant_count    integer NOT NULL CHECK (variant_count >= 1),
    status           text NOT NULL DEFAULT 'queued',
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    lease_expires_at timestamptz,
    -- when its PlanBatchMessage was accepted by Pub/Sub (dispatch 'pubsub'); NULL: not yet
    published_at     timestamptz,
    finished_at      timestamptz,
    -- the PlanBatchOutcome: the batch's designs, through the wire codec
    outcome          jsonb,
    PRIMARY KEY (plan_id, batch),
    CONSTRAINT plan_batches_status_check CHECK (status IN ('queued', 'running', 'done')),
    CONSTRAINT plan_batches_outcome_check CHECK ((status = 'done') = (outcome IS NOT NULL))
);
-- the API's workers take the oldest open batch of a local plan
CREATE INDEX plan_batches_open_idx ON plan_batches (plan_id, batch) WHERE status <> 'done';
