"""XES event logs (IEEE 1849-2016) in and out, streamed: memory stays flat however long the log.

:func:`iter_xes` yields one :class:`XesEvent` per ``<event>`` of a ``.xes`` or gzip-compressed
``.xes.gz`` file (told apart by their first bytes, not the suffix); :func:`write_xes` writes cases
and their events out as XES, atomically. Neither holds more than one event (and the attributes of
its trace) in memory, so logs of millions of events pass through; ``pm4py.read_xes`` builds the
whole log and is only used by the tests, as a reference.

Reading drives the expat parser (the one ElementTree's ``iterparse`` uses underneath) directly
from its start/end callbacks: no element tree is built, so there is nothing to clear, and every
error carries the exact line of the element at fault, e.g.
``XES file log.xes line 12: mismatched tag``. Rules the reader follows:

* Element names are matched without their namespace, so ``<xes:log xmlns:xes=...>`` and plain
  ``<log>`` read alike.
* Simple attributes (``string``, ``date``, ``int``, ``float``, ``boolean``, ``id``) are kept as
  the strings written; ``list`` and ``container`` attributes and meta-attributes nested in another
  attribute are skipped without error.
* ``<global scope="event">`` and ``<global scope="trace">`` (``scope`` defaults to ``event``) give
  default values for keys that an event or trace lacks; a trace-scope default for
  ``concept:name`` is not used as a case id, because case ids must tell cases apart.
* A trace without ``concept:name`` gets the case id ``trace-<n>``, *n* its 1-based position
  among the log's traces.
* Trace attributes must come before the trace's first event, as the XES schema says; one that
  comes after is an error, because the earlier events were already handed on.
* Timestamps without an offset are taken as UTC; all are returned in UTC.
* Events outside a trace and log-level attributes are ignored; duplicate case ids are not checked.

    >>> import tempfile
    >>> from datetime import datetime, timedelta, timezone
    >>> path = Path(tempfile.mkdtemp()) / "journeys.xes.gz"
    >>> at = datetime(2024, 3, 1, 9, 30, 0, 250000, tzinfo=timezone(timedelta(hours=1)))
    >>> write_xes([("c1", {"segment": "smb"}, [{"concept:name": "visit", "time:timestamp": at}])], path)
    {'cases': 1, 'events': 1}
    >>> event = next(iter_xes(path))
    >>> event.case_id, event.index, event.activity, event.timestamp.isoformat(), event.case_attributes
    ('c1', 0, 'visit', '2024-03-01T08:30:00.250000+00:00', {'segment': 'smb'})
"""

from __future__ import annotations

import contextlib
import gzip as gzip_module
import math
import numbers
import os
import re
import uuid
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO
from xml.parsers import expat
from xml.sax.saxutils import escape

from cxspark.core.errors import CxsparkError, InputError

__all__ = ["XES_NAMESPACE", "XesEvent", "iter_xes", "write_xes"]

XES_NAMESPACE = "http://www.xes-standard.org/"

_SIMPLE_TYPES = frozenset({"string", "date", "int", "float", "boolean", "id"})
_STANDARD_KEYS = ("concept:name", "time:timestamp", "lifecycle:transition", "org:resource", "org:group")
_CHUNK = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class XesEvent:
    """One event of an XES log, with the attributes of its trace.

    ``attributes`` holds every event-level simple attribute other than the five standard ones
    given their own fields; ``case_attributes`` every trace-level simple attribute other than
    ``concept:name`` (which is ``case_id``). Values are the strings written in the file. The
    ``case_attributes`` dict is shared by the events of one trace: copy it before changing it.

        >>> XesEvent("c1", 0, "visit", None, None, None, None).attributes
        {}
    """

    case_id: str
    index: int
    activity: str | None
    timestamp: datetime | None
    lifecycle: str | None
    resource: str | None
    group: str | None
    attributes: dict[str, str] = field(default_factory=dict)
    case_attributes: dict[str, str] = field(default_factory=dict)


def iter_xes(path: str | Path) -> Iterator[XesEvent]:
    """Yield the events of an XES log (plain or gzip) in file order, one at a time.

    ``index`` is the event's 0-based position in its trace. A missing file raises at once;
    malformed XML, a root other than ``<log>`` and unparsable timestamps raise
    :class:`~cxspark.core.errors.InputError` while iterating, naming the file and line.

        >>> next(iter_xes("no/such/log.xes"))
        Traceback (most recent call last):
        ...
        cxspark.core.errors.InputError: XES file no/such/log.xes not found
    """
    source = Path(path)
    if not source.is_file():
        raise InputError(f"XES file {source} {'is a directory' if source.is_dir() else 'not found'}")
    return _read(source)


def _read(source: Path) -> Iterator[XesEvent]:
    reader = _Reader(source)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.EntityDeclHandler = reader.refuse_entity
    reader.parser = parser
    try:
        raw = source.open("rb")
    except OSError as err:
        raise InputError(f"XES file {source} cannot be opened: {err.strerror or err}") from err
    with raw:
        stream: BinaryIO | gzip_module.GzipFile = raw
        magic = raw.read(2)
        raw.seek(0)
        if magic == _GZIP_MAGIC:
            stream = gzip_module.GzipFile(fileobj=raw, mode="rb")
        while True:
            try:
                chunk = stream.read(_CHUNK)
            except (OSError, EOFError, zlib.error) as err:
                raise InputError(f"XES file {source} cannot be read: {err}") from err
            try:
                parser.Parse(chunk, not chunk)
            except expat.ExpatError as err:
                message = expat.errors.messages.get(err.code, str(err))
                raise InputError(f"XES file {source} line {err.lineno}: {message}") from None
            if reader.ready:
                yield from reader.ready
                reader.ready.clear()
            if not chunk:
                return


class _Reader:
    """Expat callbacks: the state of the current trace and event, and the events ready to yield."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.parser: Any = None
        self.ready: list[XesEvent] = []
        self.stack: list[str] = []
        self.defaults: dict[str, dict[str, str]] = {"event": {}, "trace": {}}
        self.scope = "event"
        self.traces = 0
        self.trace_attrs: dict[str, str] = {}
        self.case_id: str | None = None
        self.case_attributes: dict[str, str] = {}
        self.index = 0
        self.event_attrs: dict[str, str] = {}
        self.event_line = 0

    def where(self) -> str:
        return f"XES file {self.source} line {self.parser.CurrentLineNumber}"

    def refuse_entity(self, name: str, *_: Any) -> None:
        raise InputError(f"{self.where()}: entity declaration {name!r} is not allowed in XES")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = name.rpartition(" ")[2]
        path = self.stack
        depth = len(path)
        path.append(tag)
        if depth == 0:
            if tag != "log":
                raise InputError(f"XES file {self.source}: root element is <{tag}>, not <log>")
        elif depth == 1:
            if tag == "trace":
                self.traces += 1
                self.trace_attrs = {}
                self.case_id = None
                self.index = 0
            elif tag == "global":
                self.scope = attrs.get("scope", "event")
        elif tag in _SIMPLE_TYPES and depth in (2, 3):
            parent = path[depth - 1]
            if depth == 3 and parent == "event" and path[1] == "trace":
                self.event_attrs[self._key(attrs, tag)] = attrs.get("value", "")
            elif depth == 2 and parent == "trace":
                key = self._key(attrs, tag)
                if self.case_id is not None:
                    raise InputError(
                        f"{self.where()}: trace attribute {key!r} of case {self.case_id!r} comes after "
                        "the trace's first event (XES puts trace attributes first)"
                    )
                self.trace_attrs[key] = attrs.get("value", "")
            elif depth == 2 and parent == "global" and self.scope in self.defaults:
                self.defaults[self.scope][self._key(attrs, tag)] = attrs.get("value", "")
        elif depth == 2 and tag == "event" and path[1] == "trace":
            if self.case_id is None:
                self._open_case()
            self.event_attrs = {}
            self.event_line = self.parser.CurrentLineNumber

    def _key(self, attrs: dict[str, str], tag: str) -> str:
        key = attrs.get("key")
        if not key:
            raise InputError(f"{self.where()}: <{tag}> attribute without a key")
        return key

    def _open_case(self) -> None:
        attrs = self.trace_attrs
        name = attrs.pop("concept:name", None)
        self.case_id = name if name is not None else f"trace-{self.traces}"
        defaults = {k: v for k, v in self.defaults["trace"].items() if k != "concept:name"}
        self.case_attributes = {**defaults, **attrs}

    def end(self, name: str) -> None:
        path = self.stack
        if len(path) == 3 and path[2] == "event" and path[1] == "trace":
            self.ready.append(self._event())
            self.index += 1
        path.pop()

    def _event(self) -> XesEvent:
        attrs = {**self.defaults["event"], **self.event_attrs}
        activity, raw_time, lifecycle, resource, group = (attrs.pop(key, None) for key in _STANDARD_KEYS)
        timestamp = None
        if raw_time is not None:
            timestamp = _parse_time(raw_time)
            if timestamp is None:
                raise InputError(
                    f"XES file {self.source} line {self.event_line}: case {self.case_id!r} event "
                    f"{self.index}: time:timestamp {raw_time!r} is not an ISO 8601 date"
                )
        case_id = self.case_id or ""  # set when the event started
        return XesEvent(
            case_id, self.index, activity, timestamp, lifecycle, resource, group, attrs, self.case_attributes
        )


def _parse_time(text: str) -> datetime | None:
    """An XES date as an aware UTC datetime (no offset: UTC), or None if it is not ISO 8601.

    >>> _parse_time("2024-03-01T09:30:00.250+01:00").isoformat()
    '2024-03-01T08:30:00.250000+00:00'
    >>> _parse_time("yesterday") is None
    True
    """
    try:
        value = datetime.fromisoformat(text.strip())
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


_HEADER = f"""<?xml version="1.0" encoding="UTF-8"?>
<log xes.version="1.0" xmlns="{XES_NAMESPACE}">
\t<extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
\t<extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
\t<extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
\t<extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
\t<classifier name="Activity" keys="concept:name"/>
"""
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTR_ESCAPES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}


def write_xes(
    cases: Iterable[tuple[str, Mapping[str, Any], Iterable[Mapping[str, Any]]]],
    path: str | Path,
    *,
    gzip: bool | None = None,
) -> dict[str, int]:
    """Stream cases out as an XES log; return ``{"cases": n, "events": m}``.

    Each case is ``(case id, case attributes, events)``; each event needs ``concept:name``
    (str) and ``time:timestamp`` (datetime, written with milliseconds and its own offset; naive
    datetimes are taken as UTC). Other keys become ``string``, ``int``, ``float``, ``boolean``
    or ``date`` attributes by the type of their value (numpy scalars too); ``None`` values are
    left out. The log is written to a temporary file in the target folder and renamed at the
    end, so a failed export leaves no partial file. It is gzip-compressed when ``gzip`` is true,
    or, with ``gzip=None``, when the path ends in ``.gz``. Bad event data raises
    :class:`~cxspark.core.errors.InputError` naming the case and event; an unwritable target raises
    :class:`~cxspark.core.errors.CxsparkError`.

        >>> import tempfile
        >>> from datetime import datetime, timezone
        >>> at = datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)
        >>> events = [{"concept:name": "call", "time:timestamp": at, "minutes": 4, "solved": True}]
        >>> path = Path(tempfile.mkdtemp()) / "calls.xes"
        >>> write_xes([("c1", {}, events)], path)
        {'cases': 1, 'events': 1}
        >>> print(path.read_text().split("<trace>")[1].strip())  # doctest: +NORMALIZE_WHITESPACE
        <string key="concept:name" value="c1"/>
        <event>
            <string key="concept:name" value="call"/>
            <date key="time:timestamp" value="2024-03-01T09:30:00.000+00:00"/>
            <int key="minutes" value="4"/>
            <boolean key="solved" value="true"/>
        </event>
        </trace>
        </log>
    """
    target = Path(path)
    zipped = target.name.endswith(".gz") if gzip is None else gzip
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        raw = temp.open("xb")
    except OSError as err:
        raise CxsparkError(f"XES file {target} cannot be written: {err.strerror or err}") from err
    try:
        with raw:
            packed = (
                gzip_module.GzipFile(filename=target.name, mode="wb", fileobj=raw, mtime=0)
                if zipped
                else None
            )
            try:
                sink = _Sink(packed or raw, target)
                counts = _write_log(sink, cases, target)
                sink.flush()
                if packed is not None:
                    packed.close()
                raw.flush()
                os.fsync(raw.fileno())
            except OSError as err:
                raise CxsparkError(f"XES file {target} cannot be written: {err.strerror or err}") from err
            finally:
                if packed is not None and not packed.closed:
                    with contextlib.suppress(Exception):
                        packed.close()
        try:
            os.replace(temp, target)
        except OSError as err:
            raise CxsparkError(f"XES file {target} cannot be written: {err.strerror or err}") from err
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return counts


class _Sink:
    """Buffers text and writes it out as UTF-8 in blocks, reporting write failures as one line."""

    def __init__(self, out: BinaryIO | gzip_module.GzipFile, target: Path) -> None:
        self.out = out
        self.target = target
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= _CHUNK:
            self.flush()

    def flush(self) -> None:
        try:
            self.out.write("".join(self.parts).encode("utf-8"))
        except OSError as err:
            raise CxsparkError(f"XES file {self.target} cannot be written: {err.strerror or err}") from err
        self.parts.clear()
        self.size = 0


def _write_log(
    sink: _Sink, cases: Iterable[tuple[str, Mapping[str, Any], Iterable[Mapping[str, Any]]]], target: Path
) -> dict[str, int]:
    n_cases = n_events = 0
    sink.write(_HEADER)
    for case_id, case_attributes, events in cases:
        where = f"XES export {target}: case {case_id!r}"
        if not isinstance(case_id, str) or not case_id:
            raise InputError(f"{where}: the case id must be a non-empty string")
        parts = ["\t<trace>\n", _attribute("concept:name", case_id, where, "\t\t")]
        for key, value in case_attributes.items():
            if key == "concept:name":
                if value != case_id:
                    raise InputError(
                        f"{where}: case attribute concept:name {value!r} differs from the case id"
                    )
                continue
            if value is not None:
                parts.append(_attribute(key, value, where, "\t\t"))
        sink.write("".join(parts))
        for index, event in enumerate(events):
            sink.write(_event(event, f"{where} event {index}"))
            n_events += 1
        sink.write("\t</trace>\n")
        n_cases += 1
    sink.write("</log>\n")
    return {"cases": n_cases, "events": n_events}


def _event(event: Mapping[str, Any], where: str) -> str:
    activity = event.get("concept:name")
    timestamp = event.get("time:timestamp")
    if not isinstance(activity, str):
        raise InputError(f"{where}: concept:name must be a string, got {activity!r}")
    if not isinstance(timestamp, datetime):
        raise InputError(f"{where}: time:timestamp must be a datetime, got {timestamp!r}")
    parts = [
        "\t\t<event>\n",
        _attribute("concept:name", activity, where, "\t\t\t"),
        _attribute("time:timestamp", timestamp, where, "\t\t\t"),
    ]
    for key, value in event.items():
        if key not in ("concept:name", "time:timestamp") and value is not None:
            parts.append(_attribute(key, value, where, "\t\t\t"))
    parts.append("\t\t</event>\n")
    return "".join(parts)


def _attribute(key: str, value: Any, where: str, indent: str) -> str:
    """One simple XES attribute element, typed by the Python value.

    >>> _attribute("note", 'a<b & "c"', "", "").strip()
    '<string key="note" value="a&lt;b &amp; &quot;c&quot;"/>'
    >>> _attribute("score", float("-inf"), "", "").strip()
    '<float key="score" value="-INF"/>'
    """
    if type(value).__module__ == "numpy" and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, str):
        kind, text = "string", value
    elif isinstance(value, bool):
        kind, text = "boolean", "true" if value else "false"
    elif isinstance(value, datetime):
        kind, text = "date", _format_time(value)
    elif isinstance(value, numbers.Integral):
        kind, text = "int", str(int(value))
    elif isinstance(value, numbers.Real):
        number = float(value)
        kind, text = "float", repr(number)
        if math.isnan(number):
            text = "NaN"
        elif math.isinf(number):
            text = "INF" if number > 0 else "-INF"
    else:
        raise InputError(
            f"{where}: attribute {key!r} has a {type(value).__name__}, not str/int/float/bool/datetime"
        )
    if not isinstance(key, str) or not key:
        raise InputError(f"{where}: attribute key {key!r} is not a non-empty string")
    for part in (key, text):
        bad = _NOT_XML.search(part)
        if bad:
            raise InputError(f"{where}: attribute {key!r} holds {bad.group()!r}, which XML cannot carry")
    return f'{indent}<{kind} key="{escape(key, _ATTR_ESCAPES)}" value="{escape(text, _ATTR_ESCAPES)}"/>\n'


def _format_time(value: datetime) -> str:
    """ISO 8601 with milliseconds and offset, as XES writers do (naive means UTC).

    >>> _format_time(datetime(2024, 3, 1, 9, 30, 0, 123456))
    '2024-03-01T09:30:00.123+00:00'
    """
    if value.tzinfo is None or value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat(timespec="milliseconds")
