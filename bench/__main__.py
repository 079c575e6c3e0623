"""`make bench`: run every benchmark and print its results as a table.

Each benchmark module has `run() -> list[dict]`; rows name what was measured, the figure and, where an issue set
one, the goal. Speed figures live here, never in timed unit tests.
"""

from __future__ import annotations

import importlib
import sys
import time
from typing import Any

BENCHMARKS = ("bench.upload_bench", "bench.messaging_bench")


def print_table(title: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(dict.fromkeys(k for row in rows for k in row))
    cells = [[_fmt(row.get(c, "")) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print(f"\n{title}")
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)))


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def main(argv: list[str]) -> int:
    selected = [b for b in BENCHMARKS if not argv or any(a in b for a in argv)]
    for name in selected:
        module = importlib.import_module(name)
        started = time.perf_counter()
        rows = module.run()
        print_table(f"{name} ({time.perf_counter() - started:.0f} s)", rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
