#!/usr/bin/env python3
"""Copy front-end files from node_modules into the package's static/vendor folder.

Run after ``npm ci``. The vendor folder is gitignored: package-lock.json pins the
exact versions, and this script is the only way files get there, so the pages
never load anything from a CDN.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENDOR = ROOT / "platform" / "hmis" / "web" / "static" / "vendor"

#: (source under node_modules, file name under static/vendor)
ASSETS = (
    ("htmx.org/dist/htmx.min.js", "htmx.min.js"),
)


def main() -> int:
    VENDOR.mkdir(parents=True, exist_ok=True)
    for source, target in ASSETS:
        path = ROOT / "node_modules" / source
        if not path.is_file():
            print(f"missing {path}: run `npm ci` first", file=sys.stderr)
            return 1
        shutil.copyfile(path, VENDOR / target)
        print(f"vendored {source} -> {(VENDOR / target).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
