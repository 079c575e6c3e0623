"""`make bench`: run every benchmark and print its results as a table.

Each benchmark module has `run() -> list[dict]`; rows name what was measured, the figures and, where an issue set
one, the goal and whether it was met. A module may keep a list `notes` of lines printed under its table. Speed
figures live here, never in timed unit tests. `python -m bench upload` runs only the benchmarks whose name matches.
"""

from __future__ import annotations

import importlib
import sys
import time
from typing import Any

BENCHMARKS = (
    "bench.upload_bench",
    "bench.messaging_bench",
    "bench.login_bench",
    "bench.name_search_bench",
    "bench.start_page_bench",
    "bench.monitoring_bench",
    "bench.api_bench",
)


def print_table(title: str, rows: list[dict[str, Any]], notes: list[str] | None = None) -> None:
    if not rows:
        return
    columns = list(dict.fromkeys(k for row in rows for k in row))
    cells = [[_fmt(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    numeric = [all(_is_number(row.get(c)) for row in rows if row.get(c, "") != "") for c in columns]

    def line(values: list[str]) -> str:
        return "  ".join(
            (v.rjust(w) if num else v.ljust(w)) for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    print(f"\n{title}")
    print(line(columns))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row))
    for note in notes or []:
        print(f"  * {note}")
    sys.stdout.flush()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def main(argv: list[str]) -> int:
    selected = [b for b in BENCHMARKS if not argv or any(a in b for a in argv)]
    if not selected:
        print(f"no benchmark matches {' '.join(argv)}; there are: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    begun = time.perf_counter()
    missed = 0
    for name in selected:
        module = importlib.import_module(name)
        started = time.perf_counter()
        rows = module.run()
        missed += sum(1 for row in rows if row.get("met") == "NO")
        print_table(f"{name} ({time.perf_counter() - started:.0f} s)", rows, getattr(module, "notes", None))
    total = time.perf_counter() - begun
    print(f"\nmake bench: {len(selected)} benchmark(s) in {total / 60:.1f} min; goals not met: {missed}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
