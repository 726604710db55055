-- Layerguard cache, revision 8: a target is the same target however it was scanned. The identity of a source
-- (a folder's canonical path, a cluster's server, a registry's host, a machine) maps to the name the user last
-- gave it; a scan that names nothing takes that name, so its findings keep their fingerprints.
CREATE TABLE target_identities (
    identity TEXT PRIMARY KEY,
    name     TEXT NOT NULL
) WITHOUT ROWID;
