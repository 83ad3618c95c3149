"""Importers: files from a force's systems, partners and data.police.uk into the register."""

from threadline.ingest.kinds import KINDS, LOAD_ORDER, Kind, get_kind
from threadline.ingest.load import ImportResult, StrictImportError, import_file
from threadline.ingest.mapping import Mapping
from threadline.ingest.validate import validate_frame

__all__ = ["KINDS", "LOAD_ORDER", "ImportResult", "Kind", "Mapping", "StrictImportError", "get_kind",
           "import_file", "validate_frame"]
