"""What the measuring Spark JVM spent its CPU on, from Java Flight Recorder around one step.

    with JvmProfile(spark, path) as profile:
        run_the_step()
    profile.figures   # {"cpu_machine_pct": 94.1, "cpu_jvm_pct": 82.6, "gc_pause_s": 4.7, ...}

The recording holds three event types only: the CPU load of the machine and of the JVM
and the JIT compilers' statistics once a second, and every garbage collection. It is
started and read back through the JVM's own ``jdk.jfr`` API over Py4J (no JVM option and
no ``jfr`` tool needed) and kept at ``path`` for ``jfr print``. Where the JVM's time goes
method by method needs execution samples, which are many: start the JVM with
``JAVA_TOOL_OPTIONS=-XX:StartFlightRecording=filename=...,settings=profile`` for that.

- ``cpu_machine_pct``: the machine's CPU load over the step, all processes, in % of all
  cores (Python workers included);
- ``cpu_jvm_pct``: the Spark JVM's share of it (user and system);
- ``gc_pause_s``: the sum of garbage-collection pauses;
- ``jit_compile_s`` and ``jit_methods``: time the JIT compilers spent and methods they
  compiled during the step (HotSpot compiles each query's generated classes afresh).
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PERIODIC = ("jdk.CPULoad", "jdk.CompilerStatistics")


class JvmProfile:
    """A Flight Recorder recording of the session's JVM while the ``with`` block runs."""

    def __init__(self, spark: SparkSession, path: Path) -> None:
        self._jvm: Any = spark.sparkContext._jvm
        self.path = path
        self.figures: dict[str, Any] = {}
        self._recording: Any = None

    def __enter__(self) -> JvmProfile:
        jvm = self._jvm
        recording = jvm.jdk.jfr.Recording()
        second = jvm.java.time.Duration.ofSeconds(1)
        for name in PERIODIC:
            recording.enable(name).withPeriod(second)
        recording.enable("jdk.GarbageCollection")
        recording.start()
        self._recording = recording
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        recording, self._recording = self._recording, None
        recording.stop()
        if exc_type is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            recording.dump(self._jvm.java.io.File(str(self.path)).toPath())
            self.figures = self._read()
        recording.close()

    def _read(self) -> dict[str, Any]:
        jvm = self._jvm
        machine: list[float] = []
        own: list[float] = []
        compile_ms: list[int] = []
        compiled: list[int] = []
        gc_ns = 0
        for event in jvm.jdk.jfr.consumer.RecordingFile.readAllEvents(
            jvm.java.io.File(str(self.path)).toPath()
        ):
            name = event.getEventType().getName()
            if name == "jdk.CPULoad":
                machine.append(event.getDouble("machineTotal"))
                own.append(event.getDouble("jvmUser") + event.getDouble("jvmSystem"))
            elif name == "jdk.CompilerStatistics":
                # cumulative since the JVM started: the step's share is last minus first
                compile_ms.append(event.getDuration("totalTimeSpent").toMillis())
                compiled.append(event.getLong("compileCount"))
            elif name == "jdk.GarbageCollection":
                gc_ns += event.getDuration("sumOfPauses").toNanos()
        return {
            "cpu_machine_pct": round(100 * sum(machine) / len(machine), 1) if machine else None,
            "cpu_jvm_pct": round(100 * sum(own) / len(own), 1) if own else None,
            "gc_pause_s": round(gc_ns / 1e9, 1),
            "jit_compile_s": round((max(compile_ms) - min(compile_ms)) / 1000, 1) if compile_ms else None,
            "jit_methods": max(compiled) - min(compiled) if compiled else None,
            "samples": len(machine),
            "recording": str(self.path),
        }


def describe(figures: dict[str, Any]) -> str:
    """One line: ``CPU 94.1% of the machine (JVM 82.6%), GC pauses 4.7 s, JIT 188.0 s (50,391 methods)``."""

    def pct(v: float | None) -> str:
        return "?" if v is None else f"{v}%"

    jit = "?" if figures.get("jit_compile_s") is None else f"{figures['jit_compile_s']} s"
    methods = "" if figures.get("jit_methods") is None else f" ({figures['jit_methods']:,} methods)"
    return (
        f"CPU {pct(figures.get('cpu_machine_pct'))} of the machine (JVM {pct(figures.get('cpu_jvm_pct'))}), "
        f"GC pauses {figures.get('gc_pause_s')} s, JIT compiling {jit}{methods}"
    )
