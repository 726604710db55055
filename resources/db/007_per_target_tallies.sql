-- Layerguard cache, revision 7: the estate. A scan may cover several targets, and targets are scanned at
-- different times: the posture of the estate is the latest scan of each target, so what each target of a
-- scan contributed is kept on its own (the same columns as scan_layers, per target).
CREATE TABLE scan_targets (
    scan_id          INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    target           TEXT NOT NULL,
    layer            TEXT NOT NULL,
    evaluated        INTEGER NOT NULL,
    evaluated_weight INTEGER NOT NULL,
    failed_weight    INTEGER NOT NULL,
    accepted_weight  INTEGER NOT NULL,
    score            INTEGER,
    critical INTEGER NOT NULL, high INTEGER NOT NULL, medium INTEGER NOT NULL,
    low INTEGER NOT NULL, info INTEGER NOT NULL,
    PRIMARY KEY (scan_id, target, layer)
) WITHOUT ROWID;
CREATE INDEX scan_targets_target ON scan_targets(target, scan_id);
-- Scans of earlier revisions kept one tally per layer: a scan of one target gives it that target; a scan of
-- several is shown as one target named after all of them (their shares cannot be told apart any more).
INSERT INTO scan_targets
    SELECT l.scan_id,
           (SELECT group_concat(t, ' + ') FROM
               (SELECT DISTINCT json_extract(value, '$.target') AS t FROM json_each(s.sources)
                WHERE json_extract(value, '$.ok') AND json_extract(value, '$.target') <> '' ORDER BY 1)),
           l.layer, l.evaluated, l.evaluated_weight, l.failed_weight, l.accepted_weight, l.score,
           l.critical, l.high, l.medium, l.low, l.info
    FROM scan_layers l JOIN scans s ON s.id = l.scan_id
    WHERE (SELECT count(*) FROM json_each(s.sources) WHERE json_extract(value, '$.ok')) > 0;
