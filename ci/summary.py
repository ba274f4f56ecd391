#!/usr/bin/env python3
"""The nightly job's summary, as Markdown: per leg (artifact folder), the
failed cases per guide from nextest's JUnit; then per guide the findings the
cases reported (target/harness/**/report.json), marking those a leg reported
that the pinned legs did not as new.

Usage: summary.py <folder of downloaded artifacts>
"""
import collections
import json
import pathlib
import sys
import xml.etree.ElementTree as ET


def legs(root):
    for leg in sorted(p for p in root.iterdir() if p.is_dir()):
        yield leg.name.removeprefix("harness-"), leg


def failures(leg):
    failed = []
    for junit in leg.rglob("junit.xml"):
        for case in ET.parse(junit).getroot().iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed.append(case.get("name"))
    return failed


def findings(leg):
    found = collections.defaultdict(set)
    for report in leg.rglob("report.json"):
        try:
            data = json.loads(report.read_text())
        except (OSError, ValueError):
            continue
        guide = data.get("name", "?").split("/")[0]
        for finding in data.get("findings", []):
            found[guide].add(finding)
    return found


def main():
    root = pathlib.Path(sys.argv[1])
    rows = list(legs(root))
    print("## Nightly: failures per guide\n")
    any_failed = False
    for name, leg in rows:
        failed = failures(leg)
        if not failed:
            continue
        any_failed = True
        print(f"### {name}\n")
        by_guide = collections.defaultdict(list)
        for case in failed:
            by_guide[case.split("/")[0]].append(case)
        for guide, cases in sorted(by_guide.items()):
            print(f"- **{guide}**: " + ", ".join(f"`{c}`" for c in sorted(cases)))
        print()
    if not any_failed:
        print("No case failed.\n")
    pinned = collections.defaultdict(set)
    for name, leg in rows:
        if name.startswith("pinned"):
            for guide, f in findings(leg).items():
                pinned[guide] |= f
    print("## Findings per guide (new: not seen at the pinned versions)\n")
    merged = collections.defaultdict(dict)
    for name, leg in rows:
        for guide, found in findings(leg).items():
            for f in found:
                merged[guide].setdefault(f, set()).add(name)
    for guide in sorted(merged):
        print(f"### {guide}\n")
        for f, where in sorted(merged[guide].items()):
            new = "" if f in pinned[guide] else f" **new** ({', '.join(sorted(where))})"
            print(f"- {f}{new}")
        print()


if __name__ == "__main__":
    main()
