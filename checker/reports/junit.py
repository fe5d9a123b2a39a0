"""JUnit XML (`--junit PATH`): one testcase per mode x endpoint, so CI test views list them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from checker.results import Result, RunReport


def _testcase(result: Result) -> ET.Element:
    case = ET.Element(
        "testcase",
        {"classname": f"burstcheck.{result.mode}", "name": result.endpoint, "time": f"{result.duration_s:.3f}"},
    )
    details = [result.reason, f"expected: {result.expected}", f"server: {result.server}"]
    if result.figures is not None:
        figures = result.figures
        measured = f"{figures.basis} {figures.measured:.2f} (client-side C {figures.effective_concurrency:.2f})"
        details.insert(2, f"measured: {measured}")
    if result.diagnosis:
        details.insert(1, f"why: {result.diagnosis}")
    if result.verdict == "fail":
        failure = ET.SubElement(case, "failure", {"message": result.reason, "type": "ConcurrencyExpectationFailed"})
        failure.text = "\n".join(details)
    elif result.verdict == "error":
        error = ET.SubElement(case, "error", {"message": result.reason, "type": "CouldNotMeasure"})
        error.text = "\n".join(details)
    else:
        ET.SubElement(case, "system-out").text = "\n".join(details)
    return case


def render(report: RunReport) -> str:
    counts = {
        "tests": str(len(report.results)),
        "failures": str(sum(r.verdict == "fail" for r in report.results)),
        "errors": str(sum(r.verdict == "error" for r in report.results)),
        "time": f"{report.duration_s:.3f}",
    }
    suites = ET.Element("testsuites", {"name": "burstcheck", **counts})
    suite = ET.SubElement(suites, "testsuite", {"name": f"burstcheck {report.config_path}", **counts})
    suite.extend(_testcase(r) for r in report.results)
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode") + "\n"
