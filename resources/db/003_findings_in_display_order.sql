-- Layerguard cache, revision 3: findings laid out for the dashboard's windowed table.
-- 1. Each scan's findings are stored in the default order (severity, layer, rule, target, namespace, name,
--    container): a scan's row ids are one range in that order, so its first rows are read without sorting.
-- 2. Each finding carries its rank within the scan by rule, resource, target and message: every sort of a
--    million findings is then an integer sort, and ties keep the default order (the row id).
-- 3. findings_list holds what the table filters and sorts by, so an unfiltered or chip-filtered list is
--    read from that narrow index instead of the rows; findings_scan holds (scan_id, rowid): a scan's first
--    rows and its row range without reading the scan.
-- 4. scans.findings counts the scan's findings: when it equals the size of the scan's row range, the
--    range has no hole and the default view is the range itself.
CREATE TABLE findings_v3 (
    scan_id       INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    fid           TEXT NOT NULL,        -- stable fingerprint
    rule          TEXT NOT NULL,
    layer         TEXT NOT NULL,
    severity      INTEGER NOT NULL,     -- 0 critical .. 4 info (sorts most severe first)
    status        TEXT NOT NULL,        -- open | accepted (resolved findings are absent from a scan)
    target        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    namespace     TEXT NOT NULL,
    name          TEXT NOT NULL,
    container     TEXT NOT NULL,
    message       TEXT NOT NULL,
    evidence      TEXT NOT NULL,        -- JSON, secrets masked
    origin        TEXT NOT NULL,
    rank_rule     INTEGER NOT NULL DEFAULT 0, -- dense rank within the scan, ascending
    rank_resource INTEGER NOT NULL DEFAULT 0, -- by kind, namespace, name, container
    rank_target   INTEGER NOT NULL DEFAULT 0,
    rank_message  INTEGER NOT NULL DEFAULT 0
);
INSERT INTO findings_v3 SELECT scan_id, fid, rule, layer, severity, status, target, kind, namespace, name,
    container, message, evidence, origin,
    dense_rank() OVER (PARTITION BY scan_id ORDER BY rule),
    dense_rank() OVER (PARTITION BY scan_id ORDER BY kind, namespace, name, container),
    dense_rank() OVER (PARTITION BY scan_id ORDER BY target),
    dense_rank() OVER (PARTITION BY scan_id ORDER BY message)
    FROM findings
    ORDER BY scan_id, severity, layer, rule, target, namespace, name, container, kind, fid;
DROP TABLE findings;
ALTER TABLE findings_v3 RENAME TO findings;
CREATE UNIQUE INDEX findings_scan_fid ON findings(scan_id, fid);
CREATE INDEX findings_fid ON findings(fid);
CREATE INDEX findings_scan ON findings(scan_id);
CREATE INDEX findings_list ON findings(scan_id, layer, severity, status, rank_rule, rank_resource, rank_target,
    rank_message);
ALTER TABLE scans ADD COLUMN findings INTEGER NOT NULL DEFAULT 0;
UPDATE scans SET findings = (SELECT count(*) FROM findings f WHERE f.scan_id = scans.id);
