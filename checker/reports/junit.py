"""JUnit XML (`--junit PATH`): one testcase per mode x endpoint, so CI test views list them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from checker.results import Result, RunReport
from checker.safe_text import one_line, printable


def _testcase(result: Result) -> ET.Element:
    case = ET.Element(
        "testcase",
        {
            "classname": f"burstcheck.{one_line(result.mode)}",
            "name": one_line(result.endpoint),
            "time": f"{result.duration_s:.3f}",
        },
    )
    # XML 1.0 cannot hold most control characters (a werkzeug banner's colours): every text is escaped.
    reason = printable(result.reason)
    details = [reason, f"expected: {result.expected}", f"server: {one_line(result.server)}"]
    if result.figures is not None:
        figures = result.figures
        measured = f"{figures.basis} {figures.measured:.2f} (client-side C {figures.effective_concurrency:.2f})"
        details.insert(2, f"measured: {measured}")
    if result.diagnosis:
        details.insert(1, f"why: {printable(result.diagnosis)}")
    if result.verdict == "fail":
        failure = ET.SubElement(case, "failure", {"message": reason, "type": "ConcurrencyExpectationFailed"})
        failure.text = "\n".join(details)
    elif result.verdict == "error":
        error = ET.SubElement(case, "error", {"message": reason, "type": "CouldNotMeasure"})
        error.text = "\n".join(details)
    else:
        ET.SubElement(case, "system-out").text = "\n".join(details)
    return case


def _run_problem(report: RunReport) -> ET.Element:
    """A run that ended early (config error, deadline, interruption, internal error) is one errored case."""
    case = ET.Element("testcase", {"classname": "burstcheck", "name": "run", "time": f"{report.duration_s:.3f}"})
    problem = printable(report.problem)
    error = ET.SubElement(case, "error", {"message": problem.splitlines()[0] if problem else "", "type": report.ending})
    error.text = problem
    return case


def render(report: RunReport) -> str:
    cases = [_testcase(r) for r in report.results]
    if report.ending != "complete":
        cases.append(_run_problem(report))
    counts = {
        "tests": str(len(cases)),
        "failures": str(report.counts["fail"]),
        "errors": str(report.counts["error"] + (report.ending != "complete")),
        "time": f"{report.duration_s:.3f}",
    }
    suites = ET.Element("testsuites", {"name": "burstcheck", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": f"burstcheck {one_line(report.config_path)}", **counts})
    suite.extend(cases)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
