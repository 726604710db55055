-- Layerguard cache, revision 9: how old a finding is. A fingerprint's first sighting (the time and scan it was
-- first stored in) is kept once, and outlives the retention of the scans it was seen in: age, deadlines (SLA)
-- and time to remediate are measured from it.
CREATE TABLE finding_first_seen (
    fid        TEXT PRIMARY KEY,
    first_seen INTEGER NOT NULL,  -- unix seconds: the finished_at of the first scan that had it
    first_scan INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO finding_first_seen
    SELECT ff.fid, min(s.finished_at), min(ff.scan_id) FROM finding_fids ff JOIN scans s ON s.id = ff.scan_id
    GROUP BY ff.fid;
