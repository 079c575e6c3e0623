"""Third-party notices: the licences of the packages the hub runs on, and whether the EUPL-1.2 can live with them.

The runtime dependencies are pyproject.toml's ``[project.dependencies]`` and, through the installed packages'
metadata, everything they require in turn (with the extras asked for, on this platform); development tools are not
among them. Their licences are read by pip-licenses from the same installed metadata, so this works offline.

``python -m tools.notices`` (``make notices``) writes THIRD_PARTY_NOTICES.md and refuses when a licence is not on
:data:`ALLOWED`; tests/test_third_party_licences.py checks the installed packages against the same list.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
NOTICES = ROOT / "THIRD_PARTY_NOTICES.md"

# Licences a runtime dependency may have. Permissive licences (MIT, BSD, Apache-2.0, ISC, PSF, ...) put no condition
# on the licence of the work that uses them beyond keeping their notices; the weak copyleft licences are among the
# EUPL-1.2 appendix's compatible licences (MPL-2.0, LGPL-2.1 and 3) and cover only their own files or library.
# GPL and AGPL are not on it: a work that includes them must as a whole be distributed under them (the EUPL's
# compatibility clause would allow that, but then the hub would no longer be distributed under the EUPL).
ALLOWED = frozenset(
    {
        "0BSD",
        "Apache-2.0",
        "BSD",  # the "BSD License" classifier: one of the BSD family, all permissive
        "BSD-2-Clause",
        "BSD-3-Clause",
        "CC0-1.0",
        "EUPL-1.1",
        "EUPL-1.2",
        "HPND",
        "ISC",
        "LGPL-2.1-only",
        "LGPL-2.1-or-later",
        "LGPL-3.0-only",
        "LGPL-3.0-or-later",
        "MIT",
        "MIT-0",
        "MPL-2.0",
        "PSF-2.0",
        "Python-2.0",
        "Unlicense",
        "Zlib",
    }
)
# Packages whose metadata lists alternatives as classifiers (which read as "all of these"): the licence they grant, as
# an SPDX expression. odfpy is offered under Apache-2.0, GPL-2.0+ or LGPL-2.1+ at the user's choice (its project page;
# its source files carry the LGPL-2.1-or-later notice); the hub takes it under Apache-2.0 or the LGPL.
DECLARED = {
    "odfpy": "Apache-2.0 OR GPL-2.0-or-later OR LGPL-2.1-or-later",
}
# Trove classifiers (what older packages declare) as SPDX identifiers.
CLASSIFIERS = {
    "Apache Software License": "Apache-2.0",
    "BSD License": "BSD",
    "European Union Public Licence 1.1 (EUPL 1.1)": "EUPL-1.1",
    "European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",
    "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.1-or-later",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "Historical Permission Notice and Disclaimer (HPND)": "HPND",
    "ISC License (ISCL)": "ISC",
    "MIT License": "MIT",
    "MIT No Attribution License (MIT-0)": "MIT-0",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "Python Software Foundation License": "PSF-2.0",
    "The Unlicense (Unlicense)": "Unlicense",
    "zlib/libpng License": "Zlib",
}


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    licence: str  # as pip-licenses reports it: an SPDX expression, or classifiers joined by "; "
    url: str
    licence_text: str
    notice_text: str

    @property
    def allowed(self) -> bool:
        return licence_allowed(self.licence)


def runtime_distributions(root: Path = ROOT) -> list[str]:
    """The installed distributions the hub needs at run time (their own spelling), sorted; every one must be there."""
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pending = [Requirement(line) for line in project["dependencies"]]
    names: dict[str, str] = {}
    done: set[tuple[str, frozenset[str]]] = set()
    while pending:
        requirement = pending.pop()
        key = (canonicalize_name(requirement.name), frozenset(requirement.extras))
        if key in done:
            continue
        done.add(key)
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            raise RuntimeError(f"{requirement.name} is required but not installed: run `make test` or pip") from None
        names[key[0]] = dist.metadata["Name"]
        extras = requirement.extras or {""}
        for line in dist.requires or []:
            needed = Requirement(line)
            if needed.marker is None or any(needed.marker.evaluate({"extra": extra}) for extra in extras):
                pending.append(needed)
    return sorted(names.values(), key=str.lower)


def read_packages(names: list[str]) -> list[Package]:
    """The licences of ``names`` as pip-licenses reads them from the installed metadata."""
    options = ["--from=mixed", "--format=json", "--with-urls", "--with-license-file", "--no-license-path"]
    done = subprocess.run(  # noqa: S603  (this interpreter's pip-licenses, on names of installed packages)
        [sys.executable, "-m", "piplicenses", *options, "--with-notice-file", "--packages", *names],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(done.stdout)
    packages = [
        Package(
            name=row["Name"],
            version=row["Version"],
            licence=DECLARED.get(canonicalize_name(row["Name"]), row["License"]),
            url=row.get("URL", "UNKNOWN"),
            licence_text=row.get("LicenseText", "UNKNOWN"),
            notice_text=row.get("NoticeText", "UNKNOWN"),
        )
        for row in rows
    ]
    missing = {canonicalize_name(n) for n in names} - {canonicalize_name(p.name) for p in packages}
    if missing:
        raise RuntimeError(f"pip-licenses did not report: {', '.join(sorted(missing))}")
    return sorted(packages, key=lambda p: p.name.lower())


def licence_allowed(licence: str) -> bool:
    """Classifiers joined by ";" must each be allowed; an SPDX expression is allowed when its OR/AND tree is."""
    parts = [part.strip() for part in licence.split(";") if part.strip()]
    return bool(parts) and all(_expression_allowed(CLASSIFIERS.get(part, part)) for part in parts)


def _expression_allowed(expression: str) -> bool:
    tokens = re.findall(r"\(|\)|[^\s()]+", expression)
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def either() -> bool:  # a OR b: either will do
        ok = both()
        while peek() == "OR":
            take()
            ok = both() or ok
        return ok

    def both() -> bool:  # a AND b: each must be allowed
        ok = single()
        while peek() == "AND":
            take()
            ok = single() and ok
        return ok

    def single() -> bool:
        if peek() == "(":
            take()
            ok = either()
            if peek() != ")":
                raise ValueError(expression)
            take()
            return ok
        if peek() in (None, ")", "AND", "OR", "WITH"):
            raise ValueError(expression)
        identifier = take()
        if peek() == "WITH":  # a licence exception only widens what the licence allows
            take()
            take()
        return identifier in ALLOWED

    try:
        ok = either()
    except (ValueError, IndexError):
        return False
    return ok and position == len(tokens)


def render(packages: list[Package]) -> str:
    lines = [
        "# Third-party notices",
        "",
        "The hub (EUPL-1.2, see `LICENSE`) runs on the Python packages below: its runtime dependencies and what they",
        "require in turn. This file is generated by `make notices` (`python -m tools.notices`), which reads the",
        "installed packages' metadata with pip-licenses; do not edit it by hand. The versions are those of the",
        "environment it was generated in. Every licence here is on the allow-list of licences compatible with the",
        "EUPL-1.2 in `tools/notices.py`, checked by `tests/test_third_party_licences.py`.",
        "",
        "| package | version | licence | project |",
        "|---|---|---|---|",
        *(f"| {p.name} | {p.version} | {p.licence} | {p.url} |" for p in packages),
        "",
        "## Licence texts and notices",
    ]
    for p in packages:
        lines += ["", f"### {p.name} {p.version}", "", f"Licence: {p.licence}", ""]
        for text in (p.licence_text, p.notice_text):
            if text and text != "UNKNOWN":
                body = "\n".join(line.rstrip() for line in text.strip("\n").splitlines())
                lines += ["````text", body, "````", ""]
        if p.licence_text == "UNKNOWN":
            lines += ["The package ships no licence file; its metadata names the licence above.", ""]
        while lines[-1] == "":
            lines.pop()
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write THIRD_PARTY_NOTICES.md from the installed packages.")
    parser.add_argument("--output", type=Path, default=NOTICES)
    args = parser.parse_args(argv)
    packages = read_packages(runtime_distributions())
    refused = [f"{p.name} {p.version}: {p.licence}" for p in packages if not p.allowed]
    if refused:
        print("licences not on the EUPL-1.2 allow-list (tools/notices.py):", *refused, sep="\n  ", file=sys.stderr)
        return 1
    args.output.write_text(render(packages), encoding="utf-8")
    print(f"{args.output}: {len(packages)} packages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
