-- Layerguard cache, revision 1. Applied in one transaction; PRAGMA user_version records it.
CREATE TABLE targets (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,          -- manifests | host | docker | kubernetes | registry | prometheus | demo
    config      TEXT NOT NULL DEFAULT '{}', -- JSON without secrets
    created_at  INTEGER NOT NULL
);

CREATE TABLE scans (
    id            INTEGER PRIMARY KEY,
    started_at    INTEGER NOT NULL,     -- unix seconds, UTC
    finished_at   INTEGER NOT NULL,
    tool_version  TEXT NOT NULL,
    run_by        TEXT NOT NULL DEFAULT '',
    sources       TEXT NOT NULL DEFAULT '[]', -- JSON: [{target, kind, location, status, error}]
    resources     INTEGER NOT NULL DEFAULT 0,
    overall_score INTEGER               -- NULL when nothing was scored
);

CREATE TABLE scan_layers (
    scan_id          INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    layer            TEXT NOT NULL,
    evaluated        INTEGER NOT NULL,
    evaluated_weight INTEGER NOT NULL,
    failed_weight    INTEGER NOT NULL,
    accepted_weight  INTEGER NOT NULL,
    score            INTEGER,           -- NULL: scanned but no rule applied
    critical INTEGER NOT NULL, high INTEGER NOT NULL, medium INTEGER NOT NULL,
    low INTEGER NOT NULL, info INTEGER NOT NULL,
    PRIMARY KEY (scan_id, layer)
) WITHOUT ROWID;

CREATE TABLE rule_results (
    scan_id        INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    rule           TEXT NOT NULL,
    evaluated      INTEGER NOT NULL,
    failed         INTEGER NOT NULL,
    not_applicable INTEGER NOT NULL,
    exempted       INTEGER NOT NULL,
    PRIMARY KEY (scan_id, rule)
) WITHOUT ROWID;

CREATE TABLE resources (
    scan_id   INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    target    TEXT NOT NULL,
    layer     TEXT NOT NULL,
    kind      TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name      TEXT NOT NULL,
    origin    TEXT NOT NULL
);

CREATE TABLE findings (
    scan_id     INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    fid         TEXT NOT NULL,          -- stable fingerprint
    rule        TEXT NOT NULL,
    title       TEXT NOT NULL,
    layer       TEXT NOT NULL,
    severity    INTEGER NOT NULL,       -- 0 critical .. 4 info (sorts most severe first)
    status      TEXT NOT NULL,          -- open | accepted (resolved findings are absent from a scan)
    target      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    namespace   TEXT NOT NULL,
    name        TEXT NOT NULL,
    container   TEXT NOT NULL,
    message     TEXT NOT NULL,
    evidence    TEXT NOT NULL,          -- JSON, secrets masked
    remediation TEXT NOT NULL,          -- JSON
    refs        TEXT NOT NULL,          -- JSON
    frameworks  TEXT NOT NULL,          -- JSON
    origin      TEXT NOT NULL,
    PRIMARY KEY (scan_id, fid)
) WITHOUT ROWID;
CREATE INDEX findings_fid ON findings(fid);
CREATE INDEX findings_scan_layer ON findings(scan_id, layer, severity);

-- Remediation checklist progress, by finding fingerprint: survives rescans of the same finding.
CREATE TABLE checklist (
    fid      TEXT NOT NULL,
    step     INTEGER NOT NULL,
    done_by  TEXT NOT NULL,
    done_at  INTEGER NOT NULL,
    PRIMARY KEY (fid, step)
) WITHOUT ROWID;

CREATE TABLE accepted_risks (
    fid         TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    expires_at  INTEGER,                -- NULL: no expiry
    created_at  INTEGER NOT NULL
);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO settings(key, value) VALUES ('retention_scans', '0'); -- 0 = keep every scan
