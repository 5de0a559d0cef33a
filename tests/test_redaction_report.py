"""The privacy officer's redaction report (cxspark.redact.report): numbers, verdict, escaping,
embedded charts and empty inputs (pure pandas, no Spark)."""

from __future__ import annotations

import datetime as dt
import doctest
import re
import xml.etree.ElementTree as ET
from typing import Any

import pandas as pd
import pytest

from cxspark.redact.report import REPORT_COLUMNS, render_redaction_report

COLUMNS = list(REPORT_COLUMNS)
CHART = re.compile(r'<figure class="chart">(<svg .*?</svg>)</figure>', re.S)
META = {
    "run_id": "run-2",
    "run_at": "2024-06-02T03:00:00Z",
    "config_hash": "abc123",
    "texts_analysed": "4321",
}


def make_report(
    *,
    run_id: str = "run-2",
    redacted: int = 1234,
    clean: int = 5000,
    quarantined: int = 0,
    residual: int = 0,
    person_findings: int = 1500,
    email_findings: int = 300,
) -> pd.DataFrame:
    """One run's rows of gold.redaction_report, with the measures the report reads."""
    run_at = dt.datetime(2024, 6, 2, 3, 0)
    rows: list[dict[str, Any]] = []

    def add(measure: str, value: float, **dims: Any) -> None:
        rows.append(
            {
                "run_id": run_id,
                "run_at": run_at,
                "config_hash": "abc123",
                "model": "en_core_web_sm",
                "measure": measure,
                "value": float(value),
                **dims,
            }
        )

    d1, d2 = dt.date(2024, 6, 1), dt.date(2024, 6, 2)
    add("texts", redacted - 200, source="crm", field="notes", day=d1, detail="redacted")
    add("texts", 200, source="chat", field="messages[i].text", day=d2, detail="redacted")
    add("texts", clean, source="crm", field="notes", day=d2, detail="clean")
    add("texts", 7, source="crm", field="notes", day=None, detail="empty")
    if quarantined:
        add("texts", quarantined, source="chat", field="messages[i].text", day=d2, detail="quarantined")
        add("quarantined", quarantined, source="chat", field="messages[i].text", detail="too_long")
    add("text_kinds", clean + redacted - 10, source="crm", field="notes", detail="plain")
    add("text_kinds", 10, source="crm", field="notes", detail="html")
    add(
        "findings",
        person_findings,
        source="crm",
        field="notes",
        day=d1,
        entity_type="PERSON",
        recognizer="SpacyRecognizer",
    )
    add(
        "findings",
        email_findings,
        source="chat",
        field="messages[i].text",
        day=d2,
        entity_type="EMAIL_ADDRESS",
        recognizer="EmailRecognizer",
    )
    add("texts_with_entity", 900, source="crm", field="notes", day=d1, entity_type="PERSON")
    add(
        "texts_with_entity", 250, source="chat", field="messages[i].text", day=d2, entity_type="EMAIL_ADDRESS"
    )
    add("score_histogram", person_findings - 100, entity_type="PERSON", detail="0.8")
    add("score_histogram", 100, entity_type="PERSON", detail="0.5")
    add("score_histogram", email_findings, entity_type="EMAIL_ADDRESS", detail="0.9")
    add("residual_texts_scanned", redacted + clean)
    if residual:
        add("residual_findings", residual, entity_type="PHONE_NUMBER", detail="long_digit_run")
    return pd.DataFrame(rows).reindex(columns=COLUMNS)


def make_examples(*texts: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": ["crm"] * len(texts),
            "field": ["notes"] * len(texts),
            "entity_types": ["PERSON,EMAIL_ADDRESS"] * len(texts),
            "text": list(texts),
        }
    )


def make_quarantine(n: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": ["chat"] * n,
            "record_id": [f"rec-{i:03d}" for i in range(n)],
            "field": ["messages[i].text"] * n,
            "reason": ["too_long"] * n,
            "text_length": [25_000 + i for i in range(n)],
        }
    )


def render(report: pd.DataFrame, previous: pd.DataFrame | None = None, **kwargs: Any) -> str:
    return render_redaction_report(
        report,
        previous,
        kwargs.get("examples", make_examples("Called <PERSON> about the bill.")),
        kwargs.get("quarantine", make_quarantine(0)),
        kwargs.get("meta", META),
    )


def verdict_class(page: str) -> str:
    match = re.search(r'class="verdict (verdict-[a-z]+)"', page)
    assert match, "no verdict box"
    return match.group(1)


def test_headline_numbers_are_formatted_with_thousands_separators():
    page = render(make_report(redacted=1234, clean=5000))
    assert "Redaction report" in page
    assert "All 6,241 texts were checked." in page  # 1,234 + 5,000 + 7 empty
    assert "1,234" in page  # texts with personal data
    assert "1,800" in page  # findings: 1,500 + 300
    assert "19.8%" in page  # 1,234 / 6,241
    assert "4,321" in page  # meta texts_analysed in the run details


def test_entity_types_and_sources_are_tabled():
    page = render(make_report())
    for code in ("PERSON", "EMAIL_ADDRESS", "SpacyRecognizer", "EmailRecognizer", "messages[i].text"):
        assert code in page
    assert "Person&#x27;s name" in page  # plain-language name, escaped
    assert "83.3%" in page  # PERSON's share of findings: 1,500 / 1,800


@pytest.mark.parametrize(
    ("quarantined", "residual", "expected"),
    [(0, 0, "verdict-green"), (12, 0, "verdict-amber"), (0, 3, "verdict-red"), (12, 3, "verdict-red")],
)
def test_verdict_colour_follows_quarantine_and_residual_findings(quarantined, residual, expected):
    page = render(make_report(quarantined=quarantined, residual=residual))
    assert verdict_class(page) == expected
    if residual:
        assert "found 3 possible pieces of personal data left in published text" in page
    else:
        assert "the second scan found no personal data left in published text" in page
    if quarantined:
        assert "12 were withheld (quarantined)" in page


def test_verdict_is_amber_when_the_second_scan_did_not_run():
    report = make_report()
    report = report[report["measure"] != "residual_texts_scanned"]
    page = render(report)
    assert verdict_class(page) == "verdict-amber"
    assert "did not run" in page


def test_change_against_the_previous_run_is_shown():
    now = make_report(person_findings=1505, email_findings=290)
    before = make_report(run_id="run-1", person_findings=1500, email_findings=300)
    page = render(now, before)
    assert "+5 (+0.3%)" in page  # PERSON findings
    assert "-10 (-3.3%)" in page  # EMAIL_ADDRESS findings
    assert "run-1" in page
    assert "This is the first run" not in page


def test_first_run_says_so():
    page = render(make_report(), None)
    assert "This is the first run" in page


def test_example_text_is_escaped_and_redaction_tags_are_highlighted():
    examples = make_examples(
        'Hi <PERSON>, mail <EMAIL_ADDRESS:3f9a2c1b> card ************1234 <script>alert("x")</script>'
    )
    page = render(make_report(), examples=examples)
    assert "<script>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert '<span class="tag">&lt;PERSON&gt;</span>' in page
    assert '<span class="tag">&lt;EMAIL_ADDRESS:3f9a2c1b&gt;</span>' in page
    assert '<span class="mask">************</span>1234' in page
    assert "EMAIL_ADDRESS, PERSON" in page  # examples are grouped by their (sorted) entity types


def test_strings_from_data_and_meta_are_escaped():
    report = make_report()
    report.loc[report["measure"] == "texts", "source"] = "<b>crm</b>"
    page = render(report, meta={"run_id": "<img src=x>", "note": "a & b"})
    assert "<b>crm</b>" not in page and "&lt;b&gt;crm&lt;/b&gt;" in page
    assert "<img src=x>" not in page and "&lt;img src=x&gt;" in page
    assert "a &amp; b" in page


def test_at_most_fifty_quarantined_texts_are_listed_with_a_note():
    page = render(make_report(quarantined=120), quarantine=make_quarantine(120))
    listed = re.findall(r"<td>(rec-\d{3})</td>", page)
    assert listed == [f"rec-{i:03d}" for i in range(50)]
    assert "70 more withheld texts are not listed here." in page
    assert "Too long to check reliably" in page
    assert "25,049" in page  # length of the 50th row, formatted


def test_charts_are_inline_svg():
    page = render(make_report())
    charts = CHART.findall(page)
    assert len(charts) >= 4  # entity types, sources, days, scores
    for svg in charts:
        root = ET.fromstring(svg)  # well-formed
        assert root.tag == "svg" and root.find("title").text
        assert root.findall(".//rect") or root.findall(".//polyline")
    assert "data:image" not in page and "<img" not in page
    assert "http://" not in page and "https://" not in page  # self-contained
    assert "<script" not in page.lower()


def test_no_day_chart_without_days():
    report = make_report()
    report["day"] = None
    page = render(report)
    assert "carried no dates" in page
    assert "Texts checked and findings per day" not in page


def test_empty_report_renders_a_page_saying_nothing_to_report():
    empty = pd.DataFrame(columns=COLUMNS)
    page = render_redaction_report(empty, None, pd.DataFrame(), pd.DataFrame(), {})
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert verdict_class(page) == "verdict-none"
    assert "Nothing to report" in page
    assert "No personal data was found in this run." in page
    assert '<figure class="chart">' not in page


def test_empty_report_with_an_empty_previous_run_renders():
    empty = pd.DataFrame(columns=COLUMNS)
    page = render_redaction_report(empty, empty, make_examples(), make_quarantine(0), META)
    assert "Change since the previous run" in page


def test_missing_columns_are_refused():
    with pytest.raises(ValueError, match="value"):
        render_redaction_report(
            make_report().drop(columns=["value"]), None, make_examples(), make_quarantine(0), META
        )


def test_docstring_example_runs():
    from cxspark.redact import report

    assert doctest.testmod(report).failed == 0


def test_residual_examples_mark_the_suspect_span_escaped():
    report = pd.DataFrame(columns=COLUMNS)
    rows = [
        dict.fromkeys(COLUMNS) | {"measure": "residual_texts_scanned", "value": 10.0},
        dict.fromkeys(COLUMNS)
        | {"measure": "residual_findings", "entity_type": "PERSON", "detail": "NER", "value": 1.0},
    ]
    report = pd.DataFrame(rows, columns=COLUMNS)
    examples = pd.DataFrame(
        [
            {
                "entity_type": "PERSON",
                "recognizer": "NER",
                "text": "Spoke to <PERSON> & Bob <b>",
                "start": 20,
                "end": 23,
            }
        ]
    )
    page = render_redaction_report(report, None, pd.DataFrame(), pd.DataFrame(), {}, examples)
    assert '<mark class="suspect">Bob</mark>' in page
    assert "&amp; " in page and "&lt;b&gt;" in page and "<b>" not in page.split("suspect")[-1][:200]
