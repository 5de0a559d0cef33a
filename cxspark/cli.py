"""The ``cxspark`` command line: one sub-command per job, plus ``pipeline``.

    cxspark generate --customers 10000 --seed 7
    cxspark ingest --source calls --source web
    cxspark pipeline --generate

``jobs/<job>.py`` are the same commands for ``spark-submit``.  Errors a user can fix are
printed as one line, ``cxspark <job>: error: ...``, with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from cxspark.core.config import Settings, load_settings
from cxspark.core.errors import CxsparkError

__all__ = ["JOBS", "Job", "main"]

log = logging.getLogger("cxspark")


@dataclass(frozen=True)
class Job:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace, Settings, Any], dict[str, Any]]


# -- generate ------------------------------------------------------------------------------
def _generate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--customers", type=int, help="number of customers (default from config)")
    p.add_argument("--seed", type=int, help="random seed (default from config)")
    p.add_argument("--months", type=int, help="months of activity to simulate")
    p.add_argument("--workers", type=int, help="worker processes (default: all cores)")
    p.add_argument("--force", action="store_true", help="replace data generated with other parameters")


def _run_generate(args: argparse.Namespace, settings: Settings, run: Any) -> dict[str, Any]:
    from cxspark.generate.job import run_generate

    return run_generate(
        settings,
        output=getattr(args, "output", None),
        customers=args.customers,
        seed=args.seed,
        months=args.months,
        workers=args.workers,
        force=args.force,
        run=run,
    )


def _generate_only_args(p: argparse.ArgumentParser) -> None:
    _generate_args(p)
    p.add_argument("--output", help="landing folder to write (default: the configured landing folder)")


# -- ingest --------------------------------------------------------------------------------
def _ingest_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--source",
        action="append",
        dest="sources",
        help="ingest only this source (repeatable; default: every source)",
    )


def _run_ingest(args: argparse.Namespace, settings: Settings, run: Any) -> dict[str, Any]:
    from cxspark.ingest.job import run_ingest

    summary = run_ingest(run, args.sources)
    return asdict(summary)


# -- resolve -------------------------------------------------------------------------------
def _rerun_arg(p: argparse.ArgumentParser) -> None:
    """``--rerun``, shared by the jobs that skip unchanged inputs (once, also in ``pipeline``)."""
    if not any(a.dest == "rerun" for a in p._actions):
        p.add_argument(
            "--rerun",
            action="store_true",
            help="run even if the input, configuration and code are unchanged since the last successful run",
        )


def _resolve_args(p: argparse.ArgumentParser) -> None:
    _rerun_arg(p)


def _run_resolve(args: argparse.Namespace, settings: Settings, run: Any) -> dict[str, Any]:
    from cxspark.identity.job import run_resolve

    return run_resolve(run, force=args.rerun)


# -- redact --------------------------------------------------------------------------------
def _redact_args(p: argparse.ArgumentParser) -> None:
    _rerun_arg(p)


def _run_redact(args: argparse.Namespace, settings: Settings, run: Any) -> dict[str, Any]:
    from cxspark.redact.job import run_redact

    return run_redact(run, force=args.rerun)


# -- journeys and conformance ----------------------------------------------------------------
def _no_args(p: argparse.ArgumentParser) -> None:
    del p


def _run_journeys(args: argparse.Namespace, settings: Settings, run: Any) -> dict[str, Any]:
    from cxspark.journeys.job import run_journeys

    return run_journeys(run)


def _run_conform(args: argparse.Namespace, settings: Settings, run: Any) -> dict[str, Any]:
    from cxspark.journeys.job import run_conform

    return run_conform(run)


# -- drivers -----------------------------------------------------------------------------------
def _drivers_args(p: argparse.ArgumentParser) -> None:
    _rerun_arg(p)
    p.add_argument(
        "--target",
        action="append",
        dest="targets",
        choices=("dissatisfied", "detractor", "repeat_contact", "churn"),
        help="train for this target (repeatable; default: drivers.targets)",
    )


def _run_drivers(args: argparse.Namespace, settings: Settings, run: Any) -> dict[str, Any]:
    from cxspark.drivers.job import run_drivers

    return run_drivers(run, args.targets, force=args.rerun)


def _import_xes_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", required=True, help="an XES event log (.xes or .xes.gz)")
    p.add_argument("--journey-type", required=True, help="the journey type (blueprint) its cases follow")
    p.add_argument("--name", help="the log's name in silver.imported_events (default: from the file name)")


def _run_import_xes(args: argparse.Namespace, settings: Settings, run: Any) -> dict[str, Any]:
    from pathlib import Path

    from cxspark.journeys.interop import import_xes

    return import_xes(run, Path(args.input), args.journey_type, args.name)


def _export_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("xes", "csv"), default="xes", help="default xes")
    p.add_argument("--output", required=True, help="the file to write (.xes, .xes.gz or .csv)")
    p.add_argument("--journey-type", help="only journeys of this type")


def _run_export(args: argparse.Namespace, settings: Settings, run: Any) -> dict[str, Any]:
    from pathlib import Path

    from cxspark.journeys.interop import export_journeys

    return export_journeys(run, args.format, Path(args.output), args.journey_type)


# -- evaluate ------------------------------------------------------------------------------
EVALUATIONS = ("identity", "redaction", "journeys", "conformance", "drivers")


def _evaluate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "what", choices=EVALUATIONS, help="what to evaluate (conformance: against pm4py, on --xes)"
    )
    p.add_argument("--check", action="store_true", help="exit with status 2 when a target is missed")
    p.add_argument("--xes", help="conformance: an XES event log (.xes or .xes.gz)")
    p.add_argument("--model", help="conformance: the model, a BPMN (.bpmn) or Petri net (.pnml) file")
    p.add_argument(
        "--method",
        choices=("alignments", "token_replay"),
        help="conformance: default journeys.conformance.method",
    )
    p.add_argument(
        "--corpus",
        help="redaction: a labelled corpus (JSON lines): cxspark and plain Presidio scored on it, no Spark",
    )
    p.add_argument(
        "--export-corpus",
        metavar="FILE",
        help="redaction: write the generated texts and their planted spans as a corpus file",
    )


def _run_evaluate(args: argparse.Namespace, settings: Settings, run: Any) -> dict[str, Any]:
    from pathlib import Path

    from cxspark.core.errors import EvaluationError, InputError
    from cxspark.drivers.evaluate import evaluate_drivers
    from cxspark.identity.evaluate import evaluate_identity
    from cxspark.journeys.evaluate import evaluate_conformance_xes, evaluate_journeys
    from cxspark.redact.evaluate import evaluate_redaction

    if args.what == "redaction" and args.export_corpus:
        from cxspark.redact.evaluate import export_corpus

        return export_corpus(run.spark, settings, run.read_optional, Path(args.export_corpus))
    if args.what == "conformance":
        if not args.xes or not args.model:
            raise InputError("evaluate conformance needs --xes LOG and --model MODEL")
        result = evaluate_conformance_xes(run.spark, settings, Path(args.xes), Path(args.model), args.method)
    else:
        evaluate = {
            "identity": evaluate_identity,
            "redaction": evaluate_redaction,
            "journeys": evaluate_journeys,
            "drivers": evaluate_drivers,
        }[args.what]
        with run.scratch() as scratch:
            result = evaluate(run.spark, settings, run.read, scratch.materialize)
    _count_metrics(run, result)
    if not result["all_targets_met"] and args.check:
        missed = ", ".join(k for k, v in result["targets"].items() if not v["met"])
        raise EvaluationError(f"evaluate {args.what}: targets not met: {missed}")
    return result


def _run_corpus(args: argparse.Namespace, settings: Settings) -> None:
    """``evaluate redaction --corpus``: no Spark, no lakehouse; the result is printed only."""
    from pathlib import Path

    from cxspark.core.errors import EvaluationError, InputError
    from cxspark.redact.corpus import evaluate_corpus

    if args.what != "redaction":
        raise InputError("--corpus is for `evaluate redaction`")
    result = evaluate_corpus(settings, Path(args.corpus))
    _print("evaluate", result, args.json)
    if not result["all_targets_met"] and args.check:
        missed = ", ".join(k for k, v in result["targets"].items() if not v["met"])
        raise EvaluationError(f"evaluate redaction --corpus {args.corpus}: targets not met: {missed}")


def _count_metrics(run: Any, metrics: dict[str, Any], prefix: str = "") -> None:
    """Numbers of an evaluation into the run's audit counts (integers: rates in parts per million)."""
    for name, value in metrics.items():
        if isinstance(value, dict):
            _count_metrics(run, value, f"{prefix}{name}.")
        elif isinstance(value, float):
            run.count(f"{prefix}{name}_ppm", round(value * 1_000_000))
        elif isinstance(value, int) and not isinstance(value, bool):
            run.count(f"{prefix}{name}", value)


JOBS: dict[str, Job] = {
    j.name: j
    for j in (
        Job("generate", "synthetic landing files with ground truth", _generate_only_args, _run_generate),
        Job("ingest", "landing files -> bronze Delta tables and quarantine", _ingest_args, _run_ingest),
        Job(
            "resolve",
            "bronze -> identity graph, stable customer keys and the unified timeline (silver)",
            _resolve_args,
            _run_resolve,
        ),
        Job(
            "redact",
            "bronze free text -> redacted silver.texts, silver.pii_findings and the redaction report",
            _redact_args,
            _run_redact,
        ),
        Job(
            "journeys",
            "silver.events -> silver.journey_events and gold.journeys (journeys and their measures)",
            _no_args,
            _run_journeys,
        ),
        Job(
            "conform",
            "journeys vs blueprints (pm4py) -> gold.variants, conformance, deviations, breakpoints, models",
            _no_args,
            _run_conform,
        ),
        Job(
            "drivers",
            "journeys -> driver models in MLflow, gold.drivers and gold.remediation (priorities, owners)",
            _drivers_args,
            _run_drivers,
        ),
        Job(
            "import-xes",
            "an XES event log from another system -> silver.imported_events (mined like the timeline)",
            _import_xes_args,
            _run_import_xes,
        ),
        Job("export-journeys", "journeys as an XES event log or a CSV file", _export_args, _run_export),
        Job("evaluate", "accuracy against the generator's ground truth", _evaluate_args, _run_evaluate),
    )
}

# The order `pipeline` runs the jobs that read the lakehouse.
PIPELINE: list[str] = ["ingest", "resolve", "redact", "journeys", "conform", "drivers"]


def _common(p: argparse.ArgumentParser, *, lakehouse: bool = True) -> None:
    p.add_argument("--env", help="config environment: conf/<env>.yaml (default $CXSPARK_ENV or local)")
    p.add_argument("--conf-dir", help="config folder (default $CXSPARK_CONF_DIR or ./conf)")
    if lakehouse:  # redact-file reads and writes files only
        p.add_argument("--lakehouse", help="lakehouse root (overrides lakehouse.root)")
        p.add_argument("--landing", help="landing folder (overrides lakehouse.landing)")
    p.add_argument("--json", action="store_true", help="print the job summary as JSON")
    p.add_argument("-v", "--verbose", action="store_true", help="log more")


def _redact_file_parser(sub: Any) -> None:
    p = sub.add_parser(
        "redact-file",
        help="redact a JSON-lines or CSV file of sample texts with the configuration (no Spark)",
        description="Redact each text of a JSON-lines or CSV file with the redaction configuration and "
        "write JSON lines: the redacted text, status and findings (type, offsets, score) per line.",
    )
    _common(p, lakehouse=False)
    p.add_argument("--input", required=True, help="a .jsonl or .csv file of texts")
    p.add_argument("--output", required=True, help="the JSON-lines file to write")
    p.add_argument(
        "--field", default="text", help="the JSON key or CSV column holding the text (default text)"
    )


def _run_redact_file(args: argparse.Namespace, settings: Settings) -> None:
    from pathlib import Path

    from cxspark.redact.sample import redact_file

    summary = redact_file(settings, Path(args.input), Path(args.output), args.field)
    _print("redact-file", summary, args.json)


def build_parser() -> argparse.ArgumentParser:
    description = __doc__.splitlines()[0].replace("``", "")  # plain text, not reST
    parser = argparse.ArgumentParser(prog="cxspark", description=description)
    sub = parser.add_subparsers(dest="job", metavar="<job>", required=True)
    _redact_file_parser(sub)
    for job in JOBS.values():
        p = sub.add_parser(job.name, help=job.help, description=job.help)
        _common(p)
        job.add_arguments(p)
    p = sub.add_parser("pipeline", help="run every job in order", description="Run " + " -> ".join(PIPELINE))
    _common(p)
    p.add_argument("--generate", action="store_true", help="generate synthetic landing data first")
    _generate_args(p)  # into the configured landing folder, which the pipeline then ingests
    for name in PIPELINE:
        JOBS[name].add_arguments(p)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "lakehouse", None):
        overrides.setdefault("lakehouse", {})["root"] = args.lakehouse
    if getattr(args, "landing", None):
        overrides.setdefault("lakehouse", {})["landing"] = args.landing
    return load_settings(args.env, args.conf_dir, overrides=overrides)


def _print(job: str, summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"job": job, **summary}, default=str, sort_keys=True))
        return
    print(f"== {job}")
    for key, value in summary.items():
        if key == "counts":  # every count is in audit.runs (and in --json); too long to read here
            print(f"  counts: {len(value)} in audit.runs.row_counts (or use --json)")
        else:
            _print_value(key, value, "  ")


def _flat(value: Any) -> bool:
    return not isinstance(value, dict | list) or (
        isinstance(value, list) and not any(isinstance(v, dict | list) for v in value)
    )


def _scalar(value: Any) -> str:
    if isinstance(value, float):  # 4 significant digits, never an exponent
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"
    if isinstance(value, list):
        return ", ".join(_scalar(v) for v in value) or "none"
    return str(value)


def _print_value(key: str, value: Any, indent: str) -> None:
    """A summary entry for people: one line for flat values and flat mappings, nested
    mappings indented below their key, a list of mappings as one ``-`` line per item."""
    if isinstance(value, dict) and value and all(_flat(v) for v in value.values()):
        print(f"{indent}{key}: " + ", ".join(f"{k}={_scalar(v)}" for k, v in value.items()))
    elif isinstance(value, dict) and value:
        print(f"{indent}{key}:")
        for k, v in value.items():
            _print_value(str(k), v, indent + "  ")
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        print(f"{indent}{key}:")
        for item in value:
            print(f"{indent}  - " + ", ".join(f"{k}={_scalar(v)}" for k, v in item.items()))
    elif isinstance(value, dict):
        print(f"{indent}{key}: none")
    else:
        print(f"{indent}{key}: {_scalar(value)}")


def _run_jobs(names: list[str], args: argparse.Namespace, settings: Settings) -> None:
    from cxspark.core import progress
    from cxspark.core.session import start_session
    from cxspark.lake.audit import JobRun
    from cxspark.lake.io import check_lakehouse

    gate = _quality_gate(settings)  # suites are checked before any job runs
    spark = start_session(settings)
    check_lakehouse(spark, settings)
    for name in names:
        job = JOBS[name]
        params = {k: v for k, v in vars(args).items() if v not in (None, False) and k not in {"job", "json"}}
        started = time.monotonic()
        progress.job_started(name)
        with JobRun(spark, settings, name, parameters=params, gate=gate(spark, name)) as run:
            summary = job.run(args, settings, run)
        summary = {"run_id": run.run_id, **summary, "seconds": round(time.monotonic() - started, 1)}
        _print(name, summary, args.json)


def _quality_gate(settings: Settings) -> Any:
    """``(spark, job) -> (run_id -> QualityGate)``, or ``(spark, job) -> None`` with gates off."""
    if not settings.quality.enabled:
        return lambda spark, job: None
    from cxspark.quality.gate import QualityGate
    from cxspark.quality.suites import load_suites

    suites = load_suites(settings.conf_path(settings.quality.suites))
    return lambda spark, job: lambda run_id: QualityGate(spark, suites, run_id, job)


def _job_names(args: argparse.Namespace) -> list[str]:
    if args.job != "pipeline":
        return [args.job]
    return (["generate"] if args.generate else []) + PIPELINE


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("py4j").setLevel(logging.WARNING)
    if args.verbose:
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "INFO")
    from cxspark.core import progress

    if sys.stderr.isatty() and not args.json:  # a person watching: a line per finished step
        progress.enable(sys.stderr)
    try:
        settings = _settings(args)
        if args.job == "redact-file":
            _run_redact_file(args, settings)
            return 0
        if args.job == "evaluate" and getattr(args, "corpus", None):
            _run_corpus(args, settings)
            return 0
        _run_jobs(_job_names(args), args, settings)
        if not args.json:
            root = settings.lakehouse.root.rstrip("/")
            print(f"\nDone. Delta tables are under {root}/<layer>/<table>; run history in {root}/audit/runs.")
        return 0
    except CxsparkError as exc:
        print(f"cxspark {args.job}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
