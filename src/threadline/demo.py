"""``threadline demo``: a newcomer's first run, on embedded defaults.

Creates a workspace, synthesises five years of a West Yorkshire-sized force with planted series
and their answers, imports everything, then imports the shipped excerpt of real data.police.uk
rows, looks for linked series of deaths (``series detect``), builds the latest quarter's analytical
report, whose linked-series section lists what detection found, imports the synthetic census
table and builds the Serious Violence Duty needs assessment for the whole period, and ends by
filling a learning repository (``learning.sqlite``) with synthetic debriefs and recommendations and a demo
administrator, ready for ``threadline serve``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from threadline.errors import WorkspaceError
from threadline.ingest import ImportResult, import_file
from threadline.ingest.folder import import_folder
from threadline.link.detect import SeriesRun, detect_series
from threadline.quarters import quarter_label
from threadline.report import ReportFiles, build_report, quarter_period
from threadline.workspace import DB_NAME, Workspace, init_workspace

DEMO_FORCE = "West Yorkshire"
POLICE_UK_EXCERPT = "police-uk-west-yorkshire-2018-07-excerpt.csv"


def police_uk_excerpt() -> Path:
    """Path of the shipped real data.police.uk excerpt (OGL v3.0; see reference/POLICE-UK-LICENCE.md)."""
    return Path(str(files("threadline") / "reference" / POLICE_UK_EXCERPT))


@dataclass
class DemoResult:
    workspace: Workspace
    synth_dir: Path
    imports: list[ImportResult] = field(default_factory=list)
    report: ReportFiles | None = None
    series: SeriesRun | None = None
    svna: object | None = None  # SvnaFiles: the needs assessment
    learning_url: str | None = None
    learning_admin: tuple[str, str] | None = None  # (user name, password) of the demo administrator
    learning_records: int = 0


def run_demo(path: Path | str = "demo-workspace", *, years: int = 5, seed: int = 1,
             progress: Callable[[str], None] | None = None) -> DemoResult:
    """Build the demo workspace at ``path`` (replacing an earlier demo there) and return it open."""
    from threadline.synth import synthesise

    step = progress or (lambda _s: None)
    folder = Path(path)
    if folder.exists():
        if not (folder / DB_NAME).exists() and any(folder.iterdir()):
            raise WorkspaceError(f"{folder} exists and is not a demo workspace; choose another folder")
        shutil.rmtree(folder)
    ws = init_workspace(folder, forces=[DEMO_FORCE], name="West Yorkshire (synthetic demo)")
    synth_dir = folder / "synth"
    step("synthesising a force")
    synthesise(synth_dir, years=years, seed=seed)
    result = DemoResult(ws, synth_dir)
    step("importing the synthetic force")
    result.imports += import_folder(ws, synth_dir, source="synthetic force", progress=step)
    step("importing real data.police.uk rows")
    result.imports.append(import_file(ws, "police-uk", police_uk_excerpt(), source="data.police.uk excerpt"))
    step("looking for linked series")
    result.series = detect_series(ws, progress=step)
    step("building the latest quarter's report")
    latest = ws.con.execute("SELECT max(reported_at) FROM cases").fetchone()[0]
    period = quarter_period(quarter_label(latest, ws.config.quarter), ws.config.quarter)
    result.report = build_report(ws, period, folder / "reports" / f"quarterly-{period.label}", progress=step)
    step("building the serious violence needs assessment")
    from threadline.analyse.violence.population import import_population
    from threadline.report.svna import make_scope
    from threadline.report.svna_html import build_svna_report

    import_population(ws, synth_dir / "population.csv", source="synthetic census (demo)")
    start, end, training = _synth_period(synth_dir)
    scope = make_scope(ws, None, start, end, training=training)
    result.svna = build_svna_report(ws, scope, folder / "reports" / "svna-force", progress=step)
    step("filling the learning repository")
    _learning_demo(folder / "learning.sqlite", result)
    return result


def _synth_period(synth_dir: Path):
    """The synthetic force's period and the outcome-22 training date it planted (None if none)."""
    import csv
    from datetime import date

    with (synth_dir / "truth" / "parameters.csv").open(encoding="utf-8") as fh:
        params = {r["name"]: r["value"] for r in csv.DictReader(fh)}
    with (synth_dir / "truth" / "outcome22.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    training = date.fromisoformat(rows[0]["training_date"]) if rows else None
    return date.fromisoformat(params["start"]), date.fromisoformat(params["end"]), training


def _learning_demo(path: Path, result: DemoResult) -> None:
    """A learning repository of synthetic debriefs (``synth.learning.sample``) and a demo
    administrator with a fresh random password (shown once; never a fixed one, even in a demo)."""
    import secrets

    from threadline.learning.db import open_database, transaction
    from threadline.learning.records import ensure_taxonomy
    from threadline.learning.users import create_user
    from threadline.synth.learning import sample

    url = f"sqlite:///{path.resolve()}"
    factory = open_database(url)
    password = secrets.token_urlsafe(12)
    with transaction(factory) as session:
        ensure_taxonomy(session)
        report = sample(session)
        create_user(session, None, "demo.admin", password, "West Yorkshire Police", "administrator",
                    display_name="Demo Administrator", organisation_kind="police")
    factory.kw["bind"].dispose()
    result.learning_url = url
    result.learning_admin = ("demo.admin", password)
    result.learning_records = report.records if report else 0
