-- Layerguard cache, revision 5: a finding's evidence and origin by reference.
-- Of the ~450 bytes of a Kubernetes finding, ~180 were its evidence JSON, which repeats for every pod a rule
-- fails on (1,270 distinct texts in 113,000 findings), and its origin, the URL of its resource, which its
-- ~12 findings share. Each scan now keeps each such text once, in scan_texts; the findings a scan writes from
-- revision 5 on refer to them by number (their evidence and origin columns are then ''). Rows written before
-- keep their texts and no reference.
CREATE TABLE scan_texts (
    scan_id INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    id      INTEGER NOT NULL,
    text    TEXT NOT NULL,
    PRIMARY KEY (scan_id, id)
) WITHOUT ROWID;
ALTER TABLE findings ADD COLUMN evidence_ref INTEGER;
ALTER TABLE findings ADD COLUMN origin_ref INTEGER;
