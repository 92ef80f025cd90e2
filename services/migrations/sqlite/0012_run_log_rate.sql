-- The rate cap of a run's log lines (issue 11): lines counted in the current minute.
ALTER TABLE runs ADD COLUMN log_window_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN log_window_lines BIGINT NOT NULL DEFAULT 0;
