"""What a run leaves on GitHub: the job summary (markdown), workflow-command annotations, step outputs."""

from __future__ import annotations

from checker.results import Result, RunReport

VERDICT_ORDER = {"fail": 0, "error": 1, "pass": 2}  # failed results first: they are what a reader came for
VERDICT_BADGE = {"pass": "✅ pass", "fail": "❌ fail", "error": "⚠️ error"}


def escape_data(text: str) -> str:
    """Escaping of a workflow command's message, as @actions/core does it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(level: str, file: str, line: int, title: str, message: str) -> str:
    return f"::{level} file={escape_property(file)},line={line},title={escape_property(title)}::{escape_data(message)}"


def failure_annotations(report: RunReport, config_file: str) -> list[str]:
    """An ::error for every result that did not pass, at the line of its mode's `expect:` in the config."""
    lines = []
    for result in sorted(report.results, key=lambda r: VERDICT_ORDER[r.verdict]):
        if result.verdict == "pass":
            continue
        message = result.reason + (f"\nwhy: {result.diagnosis}" if result.diagnosis else "")
        title = f"burstcheck {result.verdict}: {result.mode} {result.endpoint}"
        lines.append(annotation("error", config_file, result.config_line, title, message))
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _row(result: Result) -> str:
    figures = result.figures
    burst = figures.median_burst if figures else None
    cells = [
        VERDICT_BADGE[result.verdict],
        result.mode,
        f"`{result.endpoint}`",
        result.server,
        result.expected,
        f"{figures.measured:.1f} ({figures.basis})" if figures else "-",
        f"{figures.effective_concurrency:.1f}" if figures else "-",
        str(burst.server.admitted_concurrency) if burst and burst.server else "n/a",
        f"{burst.burst_wall_s:.2f} s" if burst else "-",
        result.diagnosis or result.reason,
    ]
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def summary_markdown(report: RunReport) -> str:
    ordered = sorted(report.results, key=lambda r: VERDICT_ORDER[r.verdict])
    counts = {v: sum(r.verdict == v for r in report.results) for v in VERDICT_ORDER}
    out = [
        f"## burstcheck: {VERDICT_BADGE[report.verdict]}",
        "",
        f"{counts['fail']} missed, {counts['error']} could not be measured, {counts['pass']} met"
        f" · config `{report.config_path}` · {report.duration_s:.1f} s",
        "",
        "| verdict | mode | endpoint | server | expected | measured | client C | admitted | burst wall | why |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        *[_row(r) for r in ordered],
    ]
    for result in ordered:
        if result.verdict == "pass":
            continue
        out += ["", f"### {VERDICT_BADGE[result.verdict]}: {result.mode} `{result.endpoint}`", "", result.reason]
        if result.diagnosis:
            out += ["", f"**Why:** {result.diagnosis}"]
    return "\n".join(out) + "\n"


def outputs(report: RunReport, json_path: str | None) -> dict[str, str]:
    return {
        "verdict": report.verdict,
        "report": json_path or "",
        "failed": str(sum(r.verdict == "fail" for r in report.results)),
    }
