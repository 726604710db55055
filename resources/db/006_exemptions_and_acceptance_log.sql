-- Layerguard cache, revision 6: what the trust of a scan rests on.
-- 1. An exempted failure is stored (status 'exempted') with who or what exempted it and why: exemption_ref
--    is the scan_texts id of {"by": ..., "reason": ...}. Before, exempted failures were dropped.
-- 2. scored = 0 marks what a source could not see (coverage rules): shown and counted, never in a score.
-- 3. rule_results.not_observed counts the evaluations a rule could not make for want of data.
-- 4. Accepting a risk takes effect from that moment, never rewriting a stored scan: acceptances become a log
--    with who accepted, when, until when, and who revoked it when; a stored scan keeps the statuses and
--    scores it had. Acceptances of earlier revisions keep their owner, reason, expiry and time.
ALTER TABLE findings ADD COLUMN exemption_ref INTEGER;
ALTER TABLE findings ADD COLUMN scored INTEGER NOT NULL DEFAULT 1;
ALTER TABLE rule_results ADD COLUMN not_observed INTEGER NOT NULL DEFAULT 0;
CREATE TABLE risk_acceptances (
    id          INTEGER PRIMARY KEY,
    fid         TEXT NOT NULL,
    owner       TEXT NOT NULL,          -- who owns the risk
    reason      TEXT NOT NULL,
    accepted_by TEXT NOT NULL,          -- who recorded the acceptance ('' before revision 6)
    accepted_at INTEGER NOT NULL,       -- unix seconds: it applies from then on
    expires_at  INTEGER,                -- NULL: no expiry; the finding is open again from then on
    revoked_by  TEXT,
    revoked_at  INTEGER                 -- NULL: not revoked
);
CREATE INDEX risk_acceptances_fid ON risk_acceptances(fid);
INSERT INTO risk_acceptances(fid, owner, reason, accepted_by, accepted_at, expires_at)
    SELECT fid, owner, reason, '', created_at, expires_at FROM accepted_risks;
DROP TABLE accepted_risks;
