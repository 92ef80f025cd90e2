-- Seats reserved ahead of a registration's transaction (PostgreSQL; see seats.rs): a seat is
-- counted in organizations.seats_used by a relaxed commit together with its reservation
-- row, and the registration's durable transaction deletes the row. A row that outlives its
-- request (a crash between the two) is swept and its seat given back. SQLite takes seats
-- inside the registration's transaction and leaves this table empty.

CREATE TABLE seat_reservations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id BIGINT NOT NULL REFERENCES organizations(id),
    created_at BIGINT NOT NULL
);
CREATE INDEX seat_reservations_created ON seat_reservations(created_at);
