"""Packaging for spark-submit: the code as a zip for ``--py-files`` and the arguments Delta needs.

    python -m cxspark.core.deploy package --out dist        # writes dist/cxspark-<version>.zip
    python -m cxspark.core.deploy args --zip dist/cxspark-0.1.0.zip

``deploy/package.sh`` and ``deploy/submit.sh`` wrap these; the standalone-cluster test
uses :func:`submit_arguments` too, so the documented command is the tested one.
"""

from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

from cxspark import __version__
from cxspark.core.config import Settings, load_settings
from cxspark.core.session import SESSION_DEFAULTS, cached_jars, delta_coordinate, ivy_path

__all__ = ["build_zip", "submit_arguments"]

PACKAGE_DIR = Path(__file__).resolve().parents[1]


def build_zip(out_dir: str | Path) -> Path:
    """Zip the ``cxspark`` package (sources only) for ``--py-files``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"cxspark-{__version__}.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(PACKAGE_DIR.rglob("*")):
            if (
                path.is_file()
                and "__pycache__" not in path.parts
                and path.suffix in {".py", ".typed", ".yaml", ".json", ".j2", ".css"}
            ):
                zf.write(path, Path("cxspark") / path.relative_to(PACKAGE_DIR))
    return target


def submit_arguments(settings: Settings, py_files: str | Path, *, offline: bool = True) -> list[str]:
    """spark-submit options (before the application file) for a cxspark job.

    With ``offline`` the Delta jars come from the project's Ivy cache as ``--jars``
    (no network on the submitting machine); otherwise ``--packages`` resolves them.
    """
    args = ["--py-files", str(py_files)]
    if settings.spark.delta_package != "provided":
        coordinate = (
            delta_coordinate() if settings.spark.delta_package == "auto" else settings.spark.delta_package
        )
        jars = cached_jars(str(ivy_path(settings.spark.ivy_dir or ".ivy")), coordinate) if offline else []
        args += ["--jars", ",".join(jars)] if jars else ["--packages", coordinate]
    for key, value in {**SESSION_DEFAULTS, **settings.spark.conf}.items():
        args += ["--conf", f"{key}={value}"]
    return args


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m cxspark.core.deploy")
    sub = p.add_subparsers(dest="cmd", required=True)
    pk = sub.add_parser("package", help="build the --py-files zip")
    pk.add_argument("--out", default="dist")
    ar = sub.add_parser("args", help="print spark-submit options for the config")
    ar.add_argument("--zip", required=True)
    ar.add_argument("--env", default=None)
    ar.add_argument("--online", action="store_true", help="use --packages instead of cached --jars")
    a = p.parse_args(argv)
    if a.cmd == "package":
        print(build_zip(a.out))
    else:
        settings = load_settings(a.env)
        print(" ".join(_quote(x) for x in submit_arguments(settings, a.zip, offline=not a.online)))


def _quote(s: str) -> str:
    import shlex

    return shlex.quote(s)


if __name__ == "__main__":  # pragma: no cover
    main()
