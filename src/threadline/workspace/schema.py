"""The workspace schema and its migrations.

The schema is versioned in the ``meta`` table. Each migration takes the database from one
version to the next and is frozen once released: a later change is a new migration, never an
edit of an old one, so that a workspace made by any earlier Threadline upgrades in place, step by
step, inside one transaction. A workspace whose version is newer than this Threadline knows is
refused (see :func:`migrate`). ``tests/test_workspace.py`` checks that the migrated schema holds
every column the import formats in :mod:`threadline.ingest.kinds` declare.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from threadline.errors import WorkspaceError
from threadline.workspace.transaction import atomic

# Columns every register table carries: extra attributes, change detection and provenance.
_COMMON = """
    attributes JSON,
    row_hash VARCHAR NOT NULL,
    import_id INTEGER NOT NULL,
    source_name VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL,
    source_row INTEGER NOT NULL,
    imported_at TIMESTAMP NOT NULL
"""

_V1_TABLES = {
    "persons": """
        person_id VARCHAR NOT NULL, given_name VARCHAR, family_name VARCHAR, date_of_birth DATE,
        sex VARCHAR, ethnicity VARCHAR, postcode VARCHAR, aliases VARCHAR""",
    "cases": """
        case_id VARCHAR NOT NULL, force VARCHAR NOT NULL, category VARCHAR NOT NULL,
        reported_at TIMESTAMP NOT NULL, occurred_from TIMESTAMP, occurred_to TIMESTAMP,
        latitude DOUBLE, longitude DOUBLE, lsoa_code VARCHAR, location_type VARCHAR, method VARCHAR,
        circumstance VARCHAR, substance VARCHAR, victim_person_id VARCHAR, victim_age INTEGER,
        victim_sex VARCHAR, victim_ethnicity VARCHAR, suspect_relationship VARCHAR, flags VARCHAR,
        status VARCHAR, narrative VARCHAR""",
    "case_persons": "case_id VARCHAR NOT NULL, person_id VARCHAR NOT NULL, role VARCHAR NOT NULL",
    "case_entities": "case_id VARCHAR NOT NULL, entity_type VARCHAR NOT NULL, entity_value VARCHAR NOT NULL",
    "incidents": """
        incident_id VARCHAR NOT NULL, force VARCHAR NOT NULL, incident_type VARCHAR NOT NULL,
        occurred_at TIMESTAMP NOT NULL, reported_at TIMESTAMP, latitude DOUBLE, longitude DOUBLE,
        lsoa_code VARCHAR, location_text VARCHAR, severity DOUBLE, ho_offence_code VARCHAR,
        outcome VARCHAR, outcome_code INTEGER, flags VARCHAR, narrative VARCHAR""",
    "incident_persons": "incident_id VARCHAR NOT NULL, person_id VARCHAR NOT NULL, role VARCHAR NOT NULL",
    "partner_records": """
        record_id VARCHAR NOT NULL, agency VARCHAR NOT NULL, record_type VARCHAR NOT NULL,
        occurred_at TIMESTAMP NOT NULL, location_text VARCHAR, latitude DOUBLE, longitude DOUBLE,
        lsoa_code VARCHAR, source_person_ref VARCHAR, given_name VARCHAR, family_name VARCHAR,
        date_of_birth DATE, age INTEGER, sex VARCHAR, ethnicity VARCHAR, postcode VARCHAR,
        weapon VARCHAR, assailant_count INTEGER, narrative VARCHAR""",
}

#: The register tables, in the order a full load fills them.
REGISTER_TABLES: tuple[str, ...] = tuple(_V1_TABLES)


def _v1(con: duckdb.DuckDBPyConnection) -> None:
    """The register: one table per import kind, its change history, imports and quarantine."""
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    con.execute("CREATE SEQUENCE import_seq START 1")
    con.execute(
        """CREATE TABLE imports (
            import_id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, source_name VARCHAR NOT NULL,
            source_path VARCHAR, source_sha256 VARCHAR NOT NULL, mapping VARCHAR,
            started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, rows_read BIGINT,
            imported BIGINT, updated BIGINT, unchanged BIGINT, quarantined BIGINT,
            threadline_version VARCHAR)"""
    )
    con.execute(
        """CREATE TABLE quarantine (
            import_id INTEGER NOT NULL, kind VARCHAR NOT NULL, source_name VARCHAR NOT NULL,
            source_sha256 VARCHAR NOT NULL, source_row INTEGER, field VARCHAR, value VARCHAR,
            reason VARCHAR NOT NULL, raw JSON, quarantined_at TIMESTAMP NOT NULL)"""
    )
    for table, cols in _V1_TABLES.items():
        con.execute(f"CREATE TABLE {table} ({cols}, {_COMMON})")
        # History: every superseded version of a row, with when and by which import.
        con.execute(
            f"CREATE TABLE {table}_history AS SELECT *, NULL::TIMESTAMP AS superseded_at, "
            f"NULL::INTEGER AS superseded_by FROM {table} WITH NO DATA"
        )


def _v2(con: duckdb.DuckDBPyConnection) -> None:
    """Views for analysts who work in SQL: one row per case flag, and quarantine per import."""
    con.execute(
        """CREATE VIEW case_flags AS
           SELECT case_id, category, reported_at, unnest(string_split(flags, ';')) AS flag
           FROM cases WHERE flags IS NOT NULL AND flags <> ''"""
    )
    con.execute(
        """CREATE VIEW quarantine_summary AS
           SELECT q.import_id, q.kind, q.source_name, q.field, q.reason, count(*) AS rows
           FROM quarantine q GROUP BY ALL"""
    )


def _v3(con: duckdb.DuckDBPyConnection) -> None:
    """Linked series (``threadline series detect``): each run, its pairs, its series and their members.

    Runs are kept (``run_id``), so a board can see what the analyst saw last quarter; commands read
    the latest run unless told otherwise. See docs/series.md.
    """
    con.execute("CREATE SEQUENCE series_run_seq START 1")
    con.execute(
        """CREATE TABLE series_runs (
            run_id INTEGER PRIMARY KEY, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,
            records VARCHAR NOT NULL, model VARCHAR NOT NULL, parameters JSON, n_records BIGINT,
            n_candidate_pairs BIGINT, n_pairs BIGINT, n_series BIGINT, threadline_version VARCHAR)"""
    )
    con.execute(
        """CREATE TABLE series_pairs (
            run_id INTEGER NOT NULL, case_a VARCHAR NOT NULL, case_b VARCHAR NOT NULL, score DOUBLE NOT NULL,
            reasons VARCHAR, features JSON)"""
    )
    con.execute(
        """CREATE TABLE series (
            run_id INTEGER NOT NULL, series_id VARCHAR NOT NULL, rank INTEGER NOT NULL, kind VARCHAR NOT NULL,
            score DOUBLE NOT NULL, evidence DOUBLE NOT NULL, n_members INTEGER NOT NULL, summary VARCHAR,
            first_at TIMESTAMP, last_at TIMESTAMP, centre_latitude DOUBLE, centre_longitude DOUBLE,
            radius_km DOUBLE, key_entity VARCHAR)"""
    )
    con.execute(
        """CREATE TABLE series_members (
            run_id INTEGER NOT NULL, series_id VARCHAR NOT NULL, case_id VARCHAR NOT NULL, score DOUBLE NOT NULL,
            reason VARCHAR)"""
    )


def _v4(con: duckdb.DuckDBPyConnection) -> None:
    """Person linkage (``threadline link persons``): runs, the scored links between records of people,
    the resulting identities (clusters), and the reviewers' decisions, which win over the model.

    A record is named by its ``source`` (``persons`` for the force's people, ``partner_records`` for an
    agency's record) and its id (``person_id``; ``agency:record_id`` for partner records).
    See docs/person-linkage.md.
    """
    con.execute("CREATE SEQUENCE person_link_run_seq START 1")
    con.execute(
        """CREATE TABLE person_link_runs (
            run_id INTEGER PRIMARY KEY, started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,
            engine VARCHAR NOT NULL, mode VARCHAR NOT NULL, threshold DOUBLE NOT NULL, settings JSON,
            n_records BIGINT, n_pairs BIGINT, n_links BIGINT, n_identities BIGINT, threadline_version VARCHAR)"""
    )
    con.execute(
        """CREATE TABLE person_links (
            run_id INTEGER NOT NULL, source_a VARCHAR NOT NULL, id_a VARCHAR NOT NULL, source_b VARCHAR NOT NULL,
            id_b VARCHAR NOT NULL, match_probability DOUBLE NOT NULL, match_weight DOUBLE NOT NULL,
            decision VARCHAR, explanation JSON)"""
    )
    con.execute(
        """CREATE TABLE person_identities (
            run_id INTEGER NOT NULL, identity_id VARCHAR NOT NULL, source VARCHAR NOT NULL,
            record_id VARCHAR NOT NULL)"""
    )
    con.execute(
        """CREATE TABLE person_link_decisions (
            source_a VARCHAR NOT NULL, id_a VARCHAR NOT NULL, source_b VARCHAR NOT NULL, id_b VARCHAR NOT NULL,
            decision VARCHAR NOT NULL, decided_by VARCHAR, decided_at TIMESTAMP NOT NULL, note VARCHAR)"""
    )


#: Columns version 5 adds to register tables (and their histories), frozen here rather than read from
#: the import kinds, so that this migration stays what it was when released.
_V5_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "incidents": (("source_system", "VARCHAR"), ("recording_unit", "VARCHAR")),
    "incident_persons": (
        ("age", "INTEGER"), ("sex", "VARCHAR"), ("ethnicity_self_defined", "VARCHAR"),
        ("ethnicity_observed", "VARCHAR"), ("disability", "VARCHAR"), ("religion", "VARCHAR"),
        ("sexual_orientation", "VARCHAR"), ("gender_identity", "VARCHAR"), ("arrested", "VARCHAR"),
    ),
}


def _v5(con: duckdb.DuckDBPyConnection) -> None:
    """Serious youth violence: what a crime record says of each person on it, where the crime was
    recorded, and census population denominators (``threadline population import``).

    The new register columns are optional (NULL = not recorded) and appended to each table and its
    ``_history`` twin; the loaders move rows to history by column name, so the order does not matter.
    ``population`` holds one row per local authority, sex, age band and detailed ethnic group; an
    import for an authority replaces that authority's rows. See docs/data-model.md.
    """
    for table, columns in _V5_COLUMNS.items():
        for target in (table, f"{table}_history"):
            for name, sql_type in columns:
                con.execute(f"ALTER TABLE {target} ADD COLUMN {name} {sql_type}")
    con.execute(
        """CREATE TABLE population (
            la_code VARCHAR NOT NULL, la_name VARCHAR, sex VARCHAR NOT NULL, age_min INTEGER NOT NULL,
            age_max INTEGER NOT NULL, ethnic_group VARCHAR NOT NULL, group5 VARCHAR NOT NULL, count BIGINT NOT NULL,
            source_name VARCHAR NOT NULL, source_sha256 VARCHAR NOT NULL, imported_at TIMESTAMP NOT NULL)"""
    )


MIGRATIONS: tuple[Callable[[duckdb.DuckDBPyConnection], None], ...] = (_v1, _v2, _v3, _v4, _v5)
SCHEMA_VERSION = len(MIGRATIONS)


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The version of the workspace behind ``con``; 0 for an empty database."""
    has_meta = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
    ).fetchone()[0]
    if not has_meta:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def migrate(con: duckdb.DuckDBPyConnection, target: int = SCHEMA_VERSION) -> tuple[int, int]:
    """Upgrade the database to ``target``, all steps in one transaction. Returns (from, to).

    Raises :class:`WorkspaceError` when the database is newer than this Threadline knows.
    """
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise WorkspaceError(
            f"this workspace has schema version {current}, made by a newer Threadline; this one "
            f"reads up to version {SCHEMA_VERSION}. Upgrade Threadline (pip install -U threadline)."
        )
    if current >= target:
        return current, current
    with atomic(con):
        for version in range(current + 1, target + 1):
            MIGRATIONS[version - 1](con)
            con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)]
            )
    return current, target
