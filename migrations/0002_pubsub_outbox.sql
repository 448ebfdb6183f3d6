-- 0002_pubsub_outbox: jobs that run on the Pub/Sub worker, and the outbox that makes sure the
-- API publishes each of them at least once (README, "Publishing and the outbox").
-- Applied by `fleetsim migrate`; never edit once applied: add a new numbered file instead.

ALTER TABLE simulations
    -- NULL: a job for the API's in-process workers (they claim only these rows). 'db' or
    -- 'gcs': a job for the Pub/Sub worker, which stores its result in this row or in Cloud
    -- Storage (metadata.resultUri then points at the object).
    ADD COLUMN result_mode text CONSTRAINT simulations_result_mode_check
        CHECK (result_mode IN ('db', 'gcs')),
    -- when a JobMessage for the row was accepted by Pub/Sub; NULL while it is in the outbox
    ADD COLUMN published_at timestamptz,
    -- outbox bookkeeping: publish attempts by the relayer and when the next one is due
    ADD COLUMN publish_attempts integer NOT NULL DEFAULT 0
        CONSTRAINT simulations_publish_attempts_check CHECK (publish_attempts >= 0),
    ADD COLUMN next_publish_at timestamptz;

-- the outbox: queued Pub/Sub jobs not published yet, oldest first
CREATE INDEX simulations_outbox_idx ON simulations (created_at)
    WHERE result_mode IS NOT NULL AND published_at IS NULL AND status = 'queued'
        AND deleted_at IS NULL;
