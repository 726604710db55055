-- Layerguard cache, revision 4: a finding is found by its fingerprint in finding_fids, written in
-- fingerprint order, instead of through indexes on findings.
-- A scan's findings are written in display order (revision 3) while their fingerprints are random: the
-- two indexes keyed on fid took one random-order insert each per finding, most of a large scan's write.
-- findings_fid (fingerprint alone) served no query; (scan_id, fid) lookups — diffs, accepted risks, a
-- finding's detail — now read finding_fids, which each scan fills in one ordered pass after its rows.
-- finding_fids.row is the finding's rowid in findings; one row per (scan, fingerprint).
CREATE TABLE finding_fids (
    scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    fid     TEXT NOT NULL,
    row     INTEGER NOT NULL,
    PRIMARY KEY (scan_id, fid)
) WITHOUT ROWID;
INSERT INTO finding_fids SELECT scan_id, fid, rowid FROM findings ORDER BY scan_id, fid;
DROP INDEX IF EXISTS findings_fid;
DROP INDEX IF EXISTS findings_scan_fid;
