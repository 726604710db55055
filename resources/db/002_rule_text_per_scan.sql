-- Layerguard cache, revision 2. A rule's title, remediation, references and frameworks are stored once
-- per scan and rule instead of once per finding (a 50,000-pod scan repeated them ~600,000 times), and
-- findings become a rowid table with a unique (scan_id, fid) index: smaller rows, faster writes.
CREATE TABLE scan_rules (
    scan_id     INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    rule        TEXT NOT NULL,
    title       TEXT NOT NULL,
    remediation TEXT NOT NULL,          -- JSON
    refs        TEXT NOT NULL,          -- JSON
    frameworks  TEXT NOT NULL,          -- JSON
    PRIMARY KEY (scan_id, rule)
) WITHOUT ROWID;
INSERT OR IGNORE INTO scan_rules SELECT scan_id, rule, title, remediation, refs, frameworks FROM findings;

CREATE TABLE findings_v2 (
    scan_id     INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    fid         TEXT NOT NULL,          -- stable fingerprint
    rule        TEXT NOT NULL,
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
    origin      TEXT NOT NULL
);
INSERT INTO findings_v2 SELECT scan_id, fid, rule, layer, severity, status, target, kind, namespace, name,
    container, message, evidence, origin FROM findings;
DROP TABLE findings;
ALTER TABLE findings_v2 RENAME TO findings;
CREATE UNIQUE INDEX findings_scan_fid ON findings(scan_id, fid);
CREATE INDEX findings_fid ON findings(fid);
CREATE INDEX findings_scan_layer ON findings(scan_id, layer, severity);
