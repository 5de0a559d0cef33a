"""MLflow for the driver models: where runs go, logging, the registry and the champion alias.

MLflow is imported only here, after its telemetry is switched off and its HTTP client is
told not to retry for minutes. The tracking store is ``drivers.tracking_uri``; the
embedded default is SQLite under the lakehouse (``<root>/mlflow/mlflow.db``, artifacts in
``<root>/mlflow/artifacts``), which ``mlflow ui --backend-store-uri sqlite:///...`` shows.

Logging a Spark model is quick because everything MLflow would otherwise infer is given:
the pip requirements (inferring them starts a second Python with its own Spark, about a
minute), the signature and a one-row input example.
"""

from __future__ import annotations

import io
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cxspark.core.config import Settings
from cxspark.core.errors import ConfigError, InputError
from cxspark.core.paths import join_uri

__all__ = ["CHALLENGER", "CHAMPION", "Champion", "Tracker", "tracking_uri"]

CHAMPION = "champion"
CHALLENGER = "challenger"


def _quiet(timeout: float) -> None:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    # MLflow's INFO lines (creating database tables, uploading files) say nothing a user can act on
    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", str(int(timeout)))


def _local_root(settings: Settings) -> Path | None:
    root = settings.lakehouse.root
    if "://" in root and not root.startswith("file:"):
        return None
    return Path(root.removeprefix("file://").removeprefix("file:")).resolve()


def tracking_uri(settings: Settings) -> str:
    """The configured tracking URI, or SQLite under a local lakehouse."""
    if settings.drivers.tracking_uri:
        return settings.drivers.tracking_uri
    root = _local_root(settings)
    if root is None:
        raise ConfigError(
            f"drivers.tracking_uri: must be set when the lakehouse ({settings.lakehouse.root}) "
            "is not a local "
            "folder (an MLflow server, or sqlite:///path on a shared disk)"
        )
    return f"sqlite:///{root / 'mlflow' / 'mlflow.db'}"


def _check_reachable(uri: str, timeout: float) -> None:
    if uri.startswith(("http://", "https://")):
        try:
            with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout) as r:
                r.read()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise InputError(
                f"MLflow tracking server {uri} is unreachable (drivers.tracking_uri): {reason}; "
                "no model trained"
            ) from None
    elif uri.startswith("sqlite:///"):
        folder = Path(uri.removeprefix("sqlite:///")).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InputError(
                f"MLflow store folder {folder} cannot be created (drivers.tracking_uri): {exc}"
            ) from None


@dataclass(frozen=True)
class Champion:
    version: str
    run_id: str
    model_uri: str


class Tracker:
    """One MLflow store: experiments per target, runs, the registry."""

    def __init__(self, settings: Settings) -> None:
        cfg = settings.drivers
        _quiet(cfg.tracking_timeout_seconds)
        self.uri = tracking_uri(settings)
        _check_reachable(self.uri, cfg.tracking_timeout_seconds)
        import mlflow

        mlflow.set_tracking_uri(self.uri)
        self.mlflow = mlflow
        self.client = mlflow.MlflowClient(self.uri)
        self.prefix = cfg.registered_model_prefix
        root = _local_root(settings)
        self.artifact_root = (
            str(root / "mlflow" / "artifacts") if root is not None and not cfg.tracking_uri else None
        )
        self.dfs_tmpdir = join_uri(settings.lakehouse.root, "_scratch", "mlflow")

    def model_name(self, target: str) -> str:
        return f"{self.prefix}-{target}"

    def experiment(self, target: str) -> str:
        """The experiment id of a target's runs (created on first use)."""
        name = self.model_name(target)
        exp = self.client.get_experiment_by_name(name)
        if exp is not None:
            return str(exp.experiment_id)
        location = f"{self.artifact_root}/{name}" if self.artifact_root else None
        return str(self.client.create_experiment(name, artifact_location=location))

    def log_run(
        self,
        experiment_id: str,
        run_name: str,
        params: dict[str, Any],
        metrics: dict[str, float],
        tags: dict[str, str],
        tables: dict[str, str],
        figures: dict[str, Any],
        model: Any = None,
        example: Any = None,
    ) -> tuple[str, str | None]:
        """Log one trained model's run; with ``model``, the Spark model too. Returns (run id, model URI)."""
        from mlflow.models import infer_signature

        mlflow = self.mlflow
        model_uri = None
        with mlflow.start_run(experiment_id=experiment_id, run_name=run_name) as run:
            mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
            mlflow.log_metrics({k: float(v) for k, v in metrics.items() if v == v})
            mlflow.set_tags(tags)
            for name, text in tables.items():
                mlflow.log_text(text, name)
            for name, fig in figures.items():
                mlflow.log_figure(fig, name)
            if model is not None:
                import mlflow.spark
                import pandas as pd

                signature = infer_signature(example, pd.DataFrame({"probability": [0.5]}))
                info = mlflow.spark.log_model(
                    model,
                    artifact_path="model",
                    signature=signature,
                    input_example=example,
                    pip_requirements=mlflow.spark.get_default_pip_requirements(),
                    dfs_tmpdir=self.dfs_tmpdir,
                )
                model_uri = info.model_uri
            return run.info.run_id, model_uri

    def register(self, target: str, model_uri: str, run_id: str) -> str:
        """Register a logged model as a new version of the target's model; return the version."""
        mv = self.mlflow.register_model(model_uri, self.model_name(target), tags={"run_id": run_id})
        return str(mv.version)

    def champion(self, target: str) -> Champion | None:
        """The version the ``champion`` alias points at, if any."""
        from mlflow.exceptions import MlflowException

        name = self.model_name(target)
        try:
            mv = self.client.get_model_version_by_alias(name, CHAMPION)
        except MlflowException:
            return None
        return Champion(str(mv.version), str(mv.run_id), f"models:/{name}/{mv.version}")

    def set_alias(self, target: str, alias: str, version: str) -> None:
        self.client.set_registered_model_alias(self.model_name(target), alias, version)

    def load(self, model_uri: str) -> Any:
        import mlflow.spark

        return mlflow.spark.load_model(model_uri, dfs_tmpdir=self.dfs_tmpdir)


def csv_text(rows: list[dict[str, Any]]) -> str:
    """Rows as CSV text (for run artifacts)."""
    import csv

    if not rows:
        return ""
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()
