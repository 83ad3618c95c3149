"""The import formats: one :class:`Kind` per ``threadline import KIND``.

Each kind names its columns (the header an import file carries after any mapping), their types,
which are required, the allowed values, the key that identifies a record (re-importing a row with
the same key updates that record), and the references it makes to other tables. The validators
in :mod:`threadline.ingest.validate` and the schema in :mod:`threadline.workspace.schema` are both
generated from these specs, so the three cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from threadline import vocab

# Field types.
ID = "id"  # an identifier: trimmed text, no control characters
TEXT = "text"
INT = "int"
FLOAT = "float"
TIMESTAMP = "timestamp"  # ISO 8601 date or date-time (or a mapping's format)
DATE = "date"
ENUM = "enum"  # one of ``values``
FLAGS = "flags"  # semicolon-separated subset of ``values``
LAT = "latitude"
LON = "longitude"


@dataclass(frozen=True)
class Field:
    """One column of an import format."""

    name: str
    type: str
    required: bool = False
    values: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    doc: str = ""
    #: The schema version that added the column. Columns added after version 1 count towards a row's
    #: hash only when they hold a value, so a file without them hashes as it did before they existed.
    since: int = 1

    @property
    def sql_type(self) -> str:
        return {
            INT: "INTEGER",
            FLOAT: "DOUBLE",
            TIMESTAMP: "TIMESTAMP",
            DATE: "DATE",
            LAT: "DOUBLE",
            LON: "DOUBLE",
        }.get(self.type, "VARCHAR")


@dataclass(frozen=True)
class Reference:
    """``column`` must name a row already in ``table`` (or in the same file, for self-kinds)."""

    column: str
    table: str
    target: str


@dataclass(frozen=True)
class Kind:
    """An import format and the register table it loads."""

    name: str
    table: str
    key: tuple[str, ...]
    fields: tuple[Field, ...]
    references: tuple[Reference, ...] = ()
    #: Whether ``latitude``/``longitude`` may come as British National Grid ``easting``/``northing``.
    accepts_bng: bool = False
    doc: str = ""
    extra_columns_kept: bool = True

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)


def _place_fields() -> tuple[Field, ...]:
    return (
        Field("latitude", LAT, doc="WGS84 latitude; or give easting/northing (British National Grid)"),
        Field("longitude", LON, doc="WGS84 longitude"),
        Field("lsoa_code", TEXT, doc="2011 or 2021 LSOA code (E01/W01 and six digits)"),
    )


CASES = Kind(
    name="cases",
    table="cases",
    key=("case_id",),
    accepts_bng=True,
    doc="One row per death investigation or near-miss homicide victim.",
    fields=(
        Field("case_id", ID, required=True, doc="The force's unique reference for the investigation"),
        Field("force", TEXT, required=True, doc="Police force area; filled from threadline.toml when one force"),
        Field("category", ENUM, required=True, values=vocab.CATEGORIES),
        Field("reported_at", TIMESTAMP, required=True, doc="When the death or attack was reported to police"),
        Field("occurred_from", TIMESTAMP, doc="Earliest time it may have happened"),
        Field("occurred_to", TIMESTAMP, doc="Latest time it may have happened"),
        *_place_fields(),
        Field("location_type", ENUM, values=vocab.LOCATION_TYPES),
        Field("method", ENUM, values=vocab.METHODS),
        Field("circumstance", ENUM, values=vocab.CIRCUMSTANCES),
        Field("substance", TEXT, doc="Substance involved, free text (e.g. GHB, heroin)"),
        Field("victim_person_id", ID, doc="The victim's person_id in persons"),
        Field("victim_age", INT, minimum=0, maximum=120),
        Field("victim_sex", ENUM, values=vocab.SEXES),
        Field("victim_ethnicity", ENUM, values=vocab.ETHNICITIES),
        Field("suspect_relationship", ENUM, values=vocab.SUSPECT_RELATIONSHIPS),
        Field("flags", FLAGS, values=vocab.FLAGS),
        Field("status", ENUM, values=vocab.STATUSES),
        Field("narrative", TEXT),
    ),
    references=(Reference("victim_person_id", "persons", "person_id"),),
)

PERSONS = Kind(
    name="persons",
    table="persons",
    key=("person_id",),
    doc="People connected to cases, incidents and partner records.",
    fields=(
        Field("person_id", ID, required=True),
        Field("given_name", TEXT),
        Field("family_name", TEXT),
        Field("date_of_birth", DATE),
        Field("sex", ENUM, values=vocab.SEXES),
        Field("ethnicity", ENUM, values=vocab.ETHNICITIES),
        Field("postcode", TEXT),
        Field("aliases", TEXT, doc="Other names, semicolon-separated"),
    ),
)

CASE_PERSONS = Kind(
    name="case-persons",
    table="case_persons",
    key=("case_id", "person_id", "role"),
    doc="Who was connected to a case, and how.",
    fields=(
        Field("case_id", ID, required=True),
        Field("person_id", ID, required=True),
        Field("role", ENUM, required=True, values=vocab.PERSON_ROLES),
    ),
    references=(
        Reference("case_id", "cases", "case_id"),
        Reference("person_id", "persons", "person_id"),
    ),
)

CASE_ENTITIES = Kind(
    name="case-entities",
    table="case_entities",
    key=("case_id", "entity_type", "entity_value"),
    doc="Things connected to a case: vehicles, phones, addresses, drug batches, premises.",
    fields=(
        Field("case_id", ID, required=True),
        Field("entity_type", ENUM, required=True, values=vocab.ENTITY_TYPES),
        Field("entity_value", TEXT, required=True, doc="As recorded; partial values allowed (e.g. 'YK6?')"),
    ),
    references=(Reference("case_id", "cases", "case_id"),),
)

INCIDENTS = Kind(
    name="incidents",
    table="incidents",
    key=("incident_id",),
    accepts_bng=True,
    doc="Other police crimes and incidents, including lower-level offending that can escalate.",
    fields=(
        Field("incident_id", ID, required=True),
        Field("force", TEXT, required=True),
        Field("incident_type", ENUM, required=True, values=vocab.INCIDENT_TYPES),
        Field("occurred_at", TIMESTAMP, required=True),
        Field("reported_at", TIMESTAMP),
        *_place_fields(),
        Field("location_text", TEXT),
        Field("severity", FLOAT, minimum=0, doc="Harm weight, e.g. ONS Crime Severity Score weight"),
        Field("ho_offence_code", TEXT, doc="Home Office offence code, e.g. 8N"),
        Field("outcome", TEXT, doc="Outcome as recorded (e.g. police.uk last outcome category)"),
        Field("outcome_code", INT, minimum=0, maximum=22, doc="Home Office outcome type 0-22"),
        Field("flags", FLAGS, values=vocab.FLAGS),
        Field("narrative", TEXT),
        Field("source_system", TEXT, since=5, doc="The recording system, e.g. Niche, Athena, Connect"),
        Field("recording_unit", TEXT, since=5, doc="The unit or district that recorded the crime"),
    ),
)

INCIDENT_PERSONS = Kind(
    name="incident-persons",
    table="incident_persons",
    key=("incident_id", "person_id", "role"),
    doc="Who was connected to an incident, and how; with what the crime record says of them.",
    fields=(
        Field("incident_id", ID, required=True),
        Field("person_id", ID, required=True),
        Field("role", ENUM, required=True, values=vocab.INCIDENT_ROLES),
        # As recorded on this crime record, for this person in this role.
        Field("age", INT, minimum=0, maximum=120, since=5, doc="Age at the incident, as recorded on the crime"),
        Field("sex", ENUM, values=vocab.SEXES, since=5),
        Field("ethnicity_self_defined", ENUM, values=vocab.ETHNICITY_SELF_DEFINED, since=5,
              doc="Self-defined ethnicity, Home Office 18+1 code (2011 Census categories)"),
        Field("ethnicity_observed", ENUM, values=vocab.ETHNICITY_OBSERVED, since=5,
              doc="Officer-observed ethnicity, PNC identity code"),
        Field("disability", ENUM, values=vocab.DISABILITY, since=5),
        Field("religion", ENUM, values=vocab.RELIGIONS, since=5),
        Field("sexual_orientation", ENUM, values=vocab.SEXUAL_ORIENTATIONS, since=5),
        Field("gender_identity", ENUM, values=vocab.GENDER_IDENTITIES, since=5),
        Field("arrested", ENUM, values=vocab.YES_NO, since=5, doc="The person was arrested for this crime"),
    ),
    references=(
        Reference("incident_id", "incidents", "incident_id"),
        Reference("person_id", "persons", "person_id"),
    ),
)

PARTNER_RECORDS = Kind(
    name="partner-records",
    table="partner_records",
    key=("agency", "record_id"),
    accepts_bng=True,
    doc="Records from partner agencies: identifiable (under a data-sharing agreement) or anonymised.",
    fields=(
        Field("record_id", ID, required=True, doc="The agency's own record reference"),
        Field("agency", ENUM, required=True, values=vocab.AGENCIES),
        Field("record_type", TEXT, required=True, doc="e.g. assault_attendance, referral, disposal"),
        Field("occurred_at", TIMESTAMP, required=True),
        Field("location_text", TEXT, doc="Free-text place (ISTV: where the assault happened)"),
        *_place_fields(),
        Field("source_person_ref", ID, doc="The agency's own person reference, if any"),
        Field("given_name", TEXT),
        Field("family_name", TEXT),
        Field("date_of_birth", DATE),
        Field("age", INT, minimum=0, maximum=120),
        Field("sex", ENUM, values=vocab.SEXES),
        Field("ethnicity", ENUM, values=vocab.ETHNICITIES),
        Field("postcode", TEXT),
        Field("weapon", TEXT),
        Field("assailant_count", INT, minimum=0, maximum=100),
        Field("narrative", TEXT),
    ),
)

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (CASES, PERSONS, CASE_PERSONS, CASE_ENTITIES, INCIDENTS, INCIDENT_PERSONS, PARTNER_RECORDS)
}

#: The order a full load must follow so that references resolve.
LOAD_ORDER: tuple[str, ...] = (
    "persons",
    "cases",
    "case-persons",
    "case-entities",
    "incidents",
    "incident-persons",
    "partner-records",
)


def get_kind(name: str) -> Kind:
    """Return the kind called ``name`` (``case_persons`` and ``case-persons`` both work)."""
    key = name.strip().lower().replace("_", "-")
    if key not in KINDS:
        from threadline.errors import InputError

        raise InputError(f"unknown import kind {name!r}; choose one of {', '.join([*KINDS, 'police-uk'])}")
    return KINDS[key]


__all__ = ["Field", "Kind", "Reference", "KINDS", "LOAD_ORDER", "get_kind", "field"]
