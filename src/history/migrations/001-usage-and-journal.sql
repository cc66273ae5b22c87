-- Usage records and the balance journal: the store of record (DOMAIN rules 27, 33).
-- Both tables are partitioned by calendar month (UTC); history_ensure_month()
-- creates a month's partition when the writer first needs it.

CREATE TABLE usage_records (
  usage_id            text        NOT NULL,
  tenant_id           text        NOT NULL,
  call_id             text        NOT NULL,
  conference_id       text,
  user_location       text,
  user_id             text,
  upn                 text,
  user_display_name   text,
  caller_id           text,
  call_type           text        NOT NULL,
  call_direction      text        NOT NULL,
  number_type         text,
  domestic            text,
  destination_dialed  text        NOT NULL,
  destination_number  text        NOT NULL,
  external_country    text,
  start_time          timestamptz NOT NULL,
  end_time            timestamptz NOT NULL,
  duration_seconds    integer     NOT NULL,
  connect_fee_micros  bigint      NOT NULL,
  charge_micros       bigint      NOT NULL,
  currency            text        NOT NULL,
  capability          text        NOT NULL,
  rate_version        text,
  end_reason          text        NOT NULL,
  instance            text,
  -- When the ledger wrote it (Redis time) and when it reached PostgreSQL.
  ledger_at           timestamptz NOT NULL,
  written_at          timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (usage_id, start_time)
) PARTITION BY RANGE (start_time);

CREATE INDEX usage_records_tenant_start ON usage_records (tenant_id, start_time, usage_id);

CREATE TABLE balance_entries (
  tenant_id            text        NOT NULL,
  -- The tenant's journal (Redis time of its first entry) and the entry's place in it: 1, 2, 3 … without gaps.
  journal              bigint      NOT NULL,
  seq                  bigint      NOT NULL,
  at                   timestamptz NOT NULL,
  kind                 text        NOT NULL CHECK (kind IN ('charge', 'top-up', 'recharge', 'adjustment')),
  amount_micros        bigint      NOT NULL,
  balance_after_micros bigint      NOT NULL,
  currency             text        NOT NULL,
  -- Call id for a charge, the top-up / recharge / adjustment reference otherwise.
  reference            text        NOT NULL,
  usage_id             text,
  capability           text,
  call_type            text,
  instance             text,
  written_at           timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, journal, seq, at)
) PARTITION BY RANGE (at);

CREATE INDEX balance_entries_tenant_at ON balance_entries (tenant_id, at);
CREATE INDEX balance_entries_usage ON balance_entries (usage_id) WHERE usage_id IS NOT NULL;

-- Entries the writer could not read (never expected): kept whole, never dropped.
CREATE TABLE history_rejects (
  stream_id   text        NOT NULL,
  slot        integer     NOT NULL,
  fields      jsonb       NOT NULL,
  problem     text        NOT NULL,
  written_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (slot, stream_id)
);

CREATE FUNCTION history_ensure_month(parent regclass, month_start date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  first date := date_trunc('month', month_start)::date;
  name  text := parent::text || '_' || to_char(first, 'YYYY_MM');
BEGIN
  IF to_regclass(name) IS NOT NULL THEN RETURN; END IF;
  -- Two writers may need the same month at once.
  PERFORM pg_advisory_xact_lock(hashtext(name));
  IF to_regclass(name) IS NOT NULL THEN RETURN; END IF;
  EXECUTE format('CREATE TABLE %I PARTITION OF %s FOR VALUES FROM (%L) TO (%L)',
    name, parent, first::text || ' 00:00:00+00', (first + interval '1 month')::date::text || ' 00:00:00+00');
END $$;
