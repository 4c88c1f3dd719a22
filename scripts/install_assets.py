#!/usr/bin/env python3
"""Install the front-end assets from the npm registry and copy them to static/vendor.

Nothing third-party is committed: package.json + package-lock.json pin the
versions, `npm ci` fetches them, and this script copies the files the pages
load into static/vendor (git-ignored). Pages never load anything from the
internet.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
FILES = {
    "htmx.org/dist/htmx.min.js": "htmx.min.js",
    "@picocss/pico/css/pico.min.css": "pico.min.css",
    "swagger-ui-dist/swagger-ui-bundle.js": "swagger-ui/swagger-ui-bundle.js",
    "swagger-ui-dist/swagger-ui.css": "swagger-ui/swagger-ui.css",
    # Drag to move on the host stand's grid (static/js/owner-drag.js).
    "sortablejs/Sortable.min.js": "Sortable.min.js",
    # htmx's morph swap: a live refresh of the day view keeps scroll, focus and typed input.
    "idiomorph/dist/idiomorph-ext.min.js": "idiomorph-ext.min.js",
}
# Test-only (devDependencies): read from node_modules by the browser tests, never served.
AXE_CORE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def npm_install() -> None:
    modules = ROOT / "node_modules"
    lock = ROOT / "package-lock.json"
    stamp = modules / ".installed-lock"
    if stamp.exists() and lock.exists() and stamp.read_bytes() == lock.read_bytes():
        return
    if shutil.which("npm") is None:
        sys.exit("booking-manager: npm is needed to install the front-end assets "
                 "(apt-get install -y nodejs npm)")
    env = dict(os.environ, SCARF_ANALYTICS="false", npm_config_update_notifier="false")
    # --ignore-scripts: no install hook of a dependency runs (or phones home).
    command = ["npm", "ci" if lock.exists() else "install", "--ignore-scripts", "--no-audit",
               "--no-fund", "--loglevel=error"]
    subprocess.run(command, cwd=ROOT, env=env, check=True)
    stamp.write_bytes(lock.read_bytes())


def copy_assets() -> None:
    for source, target in FILES.items():
        src = ROOT / "node_modules" / source
        dst = VENDOR / target
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)


if __name__ == "__main__":
    npm_install()
    copy_assets()
    print(f"front-end assets ready in {VENDOR.relative_to(ROOT)}/")
