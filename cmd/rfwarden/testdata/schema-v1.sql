-- index alert_incident
CREATE INDEX alert_incident ON alert(CASE WHEN json_valid(body) THEN json_extract(body, '$.incident') END);

-- index alert_site_state
CREATE INDEX alert_site_state ON alert(site, state, updated_ns);

-- index alert_site_updated
CREATE INDEX alert_site_updated ON alert(site, updated_ns);

-- index alert_unsettled
CREATE INDEX alert_unsettled ON alert(site) WHERE (state != 'resolved' OR ack_ns = 0);

-- index audit_object
CREATE INDEX audit_object ON audit(object, id);

-- index audit_time
CREATE INDEX audit_time ON audit(time_ns);

-- index audit_view_time
CREATE INDEX audit_view_time ON audit(time_ns) WHERE substr(action, 1, 5) = 'view.' AND action != 'view.snippet';

-- index dashboard_sessions_expires
CREATE INDEX dashboard_sessions_expires ON dashboard_sessions(expires_ns);

-- index dashboard_sessions_user
CREATE INDEX dashboard_sessions_user ON dashboard_sessions(user);

-- index dashboard_users_name_nocase
CREATE UNIQUE INDEX dashboard_users_name_nocase ON dashboard_users(name COLLATE NOCASE);

-- index detection_site_time
CREATE INDEX detection_site_time ON detection(site, time_ns);

-- index health_sensor_time
CREATE INDEX health_sensor_time ON health(site, sensor, time_ns);

-- index incident_open
CREATE INDEX incident_open ON incident(site) WHERE CASE WHEN json_valid(body) THEN json_extract(body, '$.state') END = 'open';

-- index incident_site_updated
CREATE INDEX incident_site_updated ON incident(site, updated_ns);

-- index location_site_time
CREATE INDEX location_site_time ON location(site, time_ns);

-- index notify_outbox_alert
CREATE INDEX notify_outbox_alert ON notify_outbox (site, output, alert_id, seq);

-- index phone_repeat_site_at
CREATE INDEX phone_repeat_site_at ON phone_repeat(site, at_ns);

-- index spectrum_sensor_time
CREATE INDEX spectrum_sensor_time ON spectrum(site, sensor, time_ns);

-- table ack_held
CREATE TABLE ack_held (
	alert_id TEXT PRIMARY KEY,
	site TEXT NOT NULL,
	ack_ns INTEGER NOT NULL,
	body TEXT NOT NULL -- the event.Ack
);

-- table alert
CREATE TABLE alert (
	id TEXT PRIMARY KEY,
	site TEXT NOT NULL,
	rule TEXT NOT NULL,
	severity TEXT NOT NULL,
	state TEXT NOT NULL,
	zone TEXT NOT NULL,
	updated_ns INTEGER NOT NULL,
	ack_ns INTEGER NOT NULL,
	body TEXT NOT NULL
);

-- table audit
CREATE TABLE audit (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	time_ns INTEGER NOT NULL,
	user TEXT NOT NULL,
	action TEXT NOT NULL,
	object TEXT NOT NULL,
	before TEXT NOT NULL,
	after TEXT NOT NULL
, addr TEXT NOT NULL DEFAULT '');

-- table case_change
CREATE TABLE case_change (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	n INTEGER NOT NULL
);

-- table dashboard_search_outcomes
CREATE TABLE dashboard_search_outcomes (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	time_ns INTEGER NOT NULL,
	user TEXT NOT NULL,
	room TEXT NOT NULL,
	found INTEGER NOT NULL,
	note TEXT NOT NULL
);

-- table dashboard_sessions
CREATE TABLE dashboard_sessions (
	token_hash TEXT PRIMARY KEY, -- hex SHA-256 of the cookie's token: the table alone opens no session
	csrf TEXT NOT NULL,
	user TEXT NOT NULL,
	issued_ns INTEGER NOT NULL,
	expires_ns INTEGER NOT NULL,
	must_change INTEGER NOT NULL DEFAULT 0
);

-- table dashboard_users
CREATE TABLE dashboard_users (
	name TEXT PRIMARY KEY,
	hash TEXT NOT NULL,
	role TEXT NOT NULL,
	created_ns INTEGER NOT NULL,
	disabled_ns INTEGER NOT NULL DEFAULT 0,
	revoked_ns INTEGER NOT NULL DEFAULT 0,
	must_change INTEGER NOT NULL DEFAULT 0
);

-- table detection
CREATE TABLE detection (
	id TEXT NOT NULL,
	site TEXT NOT NULL,
	sensor TEXT NOT NULL DEFAULT '', -- the default: rows an older binary writes after a rollback
	time_ns INTEGER NOT NULL,
	room TEXT NOT NULL,
	authorised INTEGER NOT NULL,
	body TEXT NOT NULL,
	lead INTEGER NOT NULL DEFAULT 0, -- DetectionRecord.Lead: the heatmap counts its emission by it
	PRIMARY KEY (site, sensor, id) -- a detection is its sensor's: IDs of two sensors may collide
);

-- table health
CREATE TABLE health (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	site TEXT NOT NULL,
	sensor TEXT NOT NULL,
	time_ns INTEGER NOT NULL,
	body TEXT NOT NULL
);

-- table heat_quarter
CREATE TABLE heat_quarter (
	site TEXT NOT NULL,
	room TEXT NOT NULL,
	quarter INTEGER NOT NULL,
	authorised INTEGER NOT NULL,
	count INTEGER NOT NULL,
	target INTEGER NOT NULL, -- of count, those event.Alertable
	PRIMARY KEY (site, quarter, room, authorised)
) WITHOUT ROWID;

-- table incident
CREATE TABLE incident (
	id TEXT PRIMARY KEY,
	site TEXT NOT NULL,
	updated_ns INTEGER NOT NULL,
	body TEXT NOT NULL
);

-- table intake_journal
CREATE TABLE intake_journal (
	seq INTEGER PRIMARY KEY, -- fusion's, increasing in the order it took them in
	topic TEXT NOT NULL,
	payload BLOB NOT NULL,
	received_ns INTEGER NOT NULL
);

-- table location
CREATE TABLE location (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	site TEXT NOT NULL,
	time_ns INTEGER NOT NULL,
	body TEXT NOT NULL,
	-- the fix's head (FixHead), NULL in rows written before these columns
	-- (migrateFixHeads) or by an older binary after a rollback: read from the body
	track TEXT,
	class TEXT,
	link TEXT,
	authorised INTEGER
);

-- table notify_outbox
CREATE TABLE notify_outbox (
	seq       INTEGER PRIMARY KEY AUTOINCREMENT,
	site      TEXT NOT NULL,
	output    TEXT NOT NULL,
	alert_id  TEXT NOT NULL,
	state     TEXT NOT NULL,
	acked     INTEGER NOT NULL,
	critical  INTEGER NOT NULL,
	body      BLOB NOT NULL,
	version   INTEGER NOT NULL DEFAULT 0,
	first_ns  INTEGER NOT NULL,
	queued_ns INTEGER NOT NULL,
	attempts  INTEGER NOT NULL DEFAULT 0,
	next_ns   INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT ''
);

-- table phone_repeat
CREATE TABLE phone_repeat (
	site TEXT NOT NULL,
	rule TEXT NOT NULL,
	kind TEXT NOT NULL, -- burst, case
	alert_id TEXT NOT NULL,
	at_ns INTEGER NOT NULL,
	body TEXT NOT NULL,
	PRIMARY KEY (site, rule, kind, alert_id)
);

-- table registry_entry
CREATE TABLE registry_entry (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL);

-- table registry_version
CREATE TABLE registry_version (id INTEGER PRIMARY KEY CHECK (id = 1), v INTEGER NOT NULL);

-- table sensor_maintenance
CREATE TABLE sensor_maintenance (
	site TEXT NOT NULL,
	sensor TEXT NOT NULL,
	from_ns INTEGER NOT NULL,
	until_ns INTEGER NOT NULL,
	by TEXT NOT NULL,
	reason TEXT NOT NULL,
	PRIMARY KEY (site, sensor)
);

-- table spectrum
CREATE TABLE spectrum (
	site TEXT NOT NULL,
	sensor TEXT NOT NULL,
	time_ns INTEGER NOT NULL,
	body TEXT NOT NULL
);

-- table write_probe
CREATE TABLE write_probe (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	at_ns INTEGER NOT NULL
);

-- trigger alert_delete_change
CREATE TRIGGER alert_delete_change AFTER DELETE ON alert BEGIN UPDATE case_change SET n = n + 1 WHERE id = 1; END;

-- trigger alert_insert_change
CREATE TRIGGER alert_insert_change AFTER INSERT ON alert BEGIN UPDATE case_change SET n = n + 1 WHERE id = 1; END;

-- trigger alert_update_change
CREATE TRIGGER alert_update_change AFTER UPDATE ON alert BEGIN UPDATE case_change SET n = n + 1 WHERE id = 1; END;

-- trigger incident_delete_change
CREATE TRIGGER incident_delete_change AFTER DELETE ON incident BEGIN UPDATE case_change SET n = n + 1 WHERE id = 1; END;

-- trigger incident_insert_change
CREATE TRIGGER incident_insert_change AFTER INSERT ON incident BEGIN UPDATE case_change SET n = n + 1 WHERE id = 1; END;

-- trigger incident_update_change
CREATE TRIGGER incident_update_change AFTER UPDATE ON incident BEGIN UPDATE case_change SET n = n + 1 WHERE id = 1; END;

-- trigger registry_entry_delete
CREATE TRIGGER registry_entry_delete AFTER DELETE ON registry_entry BEGIN UPDATE registry_version SET v = v + 1; END;

-- trigger registry_entry_insert
CREATE TRIGGER registry_entry_insert AFTER INSERT ON registry_entry BEGIN UPDATE registry_version SET v = v + 1; END;

-- trigger registry_entry_update
CREATE TRIGGER registry_entry_update AFTER UPDATE ON registry_entry BEGIN UPDATE registry_version SET v = v + 1; END;

