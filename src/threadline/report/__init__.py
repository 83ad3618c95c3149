"""The analytical report on death investigations (quarterly) and the problem profile."""

from threadline.report.build import ReportFiles, build_report
from threadline.report.findings import build_findings
from threadline.report.period import Period, profile_period, quarter_period

__all__ = ["Period", "ReportFiles", "build_findings", "build_report", "profile_period", "quarter_period"]
