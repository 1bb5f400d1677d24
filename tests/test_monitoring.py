"""The monitoring dashboard, its figures and lists, /api/v1/stats and the partnerships report:
one function computes them all, only notes the viewer may see are counted, and bad input
changes nothing."""

import io
import re

import pytest
from click.testing import CliRunner
from docx import Document
from monitoring_library import (
    READER,
    REVIEWER,
    SECRET_LESSON,
    SECRET_PARTNER,
    build_monitoring_library,
    with_today,
)
from openpyxl import load_workbook
from web_library import signed_in

from kmsearch.cli import cli
from kmsearch.errors import Forbidden
from kmsearch.library import Library
from kmsearch.records import CaseNote
from kmsearch.web import create_app

REC5 = "private-sector-2021/5"


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return build_monitoring_library(tmp_path_factory.mktemp("monitoring"))


@pytest.fixture(scope="module")
def library(settings):
    library = Library(settings)
    yield library
    library.store.close()


@pytest.fixture(scope="module")
def client(settings):
    app = create_app({"SETTINGS": settings, "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "TRUST_USER_HEADER": True, "TRUST_ROLE_HEADERS": True})
    return app.test_client()


def filters(library, **args):
    return library.monitoring.read_filters({k: v if isinstance(v, list) else [str(v)]
                                            for k, v in args.items()})


def docx_text(body: bytes) -> str:
    document = Document(io.BytesIO(body))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_every_figure_equals_the_list_it_links_to(library):
    chosen = filters(library)
    figures = library.monitoring.figures(REVIEWER, chosen)
    assert figures.notes == 49  # the 48 shipped notes and the restricted one
    for name, chart in figures.charts.items():
        for bar in chart.bars:
            listed = library.monitoring.notes(REVIEWER, chosen, name, bar.key)
            assert len(listed) == bar.count, (name, bar.key)
    for figure, value, count in (("cross_sectoral", "yes", figures.cross_sectoral),
                                 ("good_practice", "yes", figures.good_practice),
                                 ("sdg", "5", figures.sdg5), ("all", "all", figures.notes)):
        assert len(library.monitoring.notes(REVIEWER, chosen, figure, value)) == count
    assert "5" in [bar.key for bar in figures.charts["sdg"].bars] and figures.sdg5 >= 1
    assert sum(b.count for b in figures.charts["division"].bars) == figures.notes


def test_only_notes_the_viewer_may_see_are_counted(library):
    everything = library.monitoring.figures(REVIEWER, filters(library))
    staff_view = library.monitoring.figures(READER, filters(library))
    assert everything.notes - staff_view.notes == 6  # five shipped restricted notes + ours
    with pytest.raises(Forbidden):
        from kmsearch.access import ANONYMOUS

        library.monitoring.figures(ANONYMOUS, filters(library))


def test_filters_cut_notes_by_division_and_years_and_the_follow_up_by_evaluation(library):
    trade = library.monitoring.figures(REVIEWER, filters(library, division="Trade"))
    assert {b.key for b in trade.charts["division"].bars if b.count} == {"trade"}
    in_2025 = library.monitoring.figures(REVIEWER, filters(library, year_from=2025,
                                                           year_to=2025))
    listed = library.monitoring.notes(REVIEWER, filters(library, year_from=2025,
                                                        year_to=2025), "all", "all")
    # an active partnership without an end year runs until today (2026)
    assert any(n.end_year is None and n.status == "active" for n in listed)
    assert all(n.start_year <= 2025 for n in listed) and in_2025.notes == len(listed)
    assert len(library.monitoring.figures(REVIEWER, filters(
        library, evaluation="private-sector-2021")).followup) == 8


def test_contribution_activity_and_review_turnaround(tmp_path):
    library = Library(build_monitoring_library(tmp_path, restricted=False))
    store = library.store
    before = library.monitoring.figures(REVIEWER, filters(library))  # now cached
    assert before.activity == [] and before.turnaround_median is None
    note = CaseNote.from_dict(store.get_case("road-safety-campaign-sponsorship").note.to_dict()
                              | {"id": "activity-test", "title": "Activity test"})
    store.save_case(note, author="tina", state="draft")
    for state in ("submitted", "draft", "submitted", "published"):
        store.save_case(store.get_case("activity-test").note, author="rita", state=state)
    figures = library.monitoring.figures(REVIEWER, filters(library))
    assert figures.notes == before.notes + 1  # a changed note is never answered from cache
    assert figures.activity_totals == {"submitted": 2, "published": 1, "returned": 1}
    assert len(figures.turnaround_days) == 1 and figures.turnaround_median < 1
    (row,) = figures.activity
    steps = library.monitoring.steps(REVIEWER, filters(library), "submitted", row.division,
                                     row.month)
    assert [s.case_id for s in steps] == ["activity-test", "activity-test"]
    store.close()


def test_the_docx_report_opens_and_its_division_sections_equal_the_dashboard(library):
    chosen = filters(library, year_from=2025, year_to=2025)
    figures = library.monitoring.figures(REVIEWER, chosen)
    document = Document(io.BytesIO(library.monitoring.report(REVIEWER, chosen, "docx")))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    sections = dict(re.fullmatch(r"(.+) \((\d+) partnerships?\)", h).groups()
                    for h in headings if re.fullmatch(r".+ \(\d+ partnerships?\)", h))
    expected = {bar.label: str(bar.count) for bar in figures.charts["division"].bars if bar.count}
    assert sections == expected and sections
    division_table = document.tables[1]
    rows = {r.cells[0].text: r.cells[1].text for r in division_table.rows[1:]}
    assert rows == expected
    summary = {r.cells[0].text: r.cells[1].text for r in document.tables[0].rows}
    assert summary["Partnerships (case notes)"] == str(figures.notes)
    assert summary["Overdue key actions"].startswith(f"{figures.overdue_actions} in ")
    title = [p.text for p in document.paragraphs if p.style.name == "Title"]
    assert title == ["Partnerships with the private sector by subprogramme"]
    text = docx_text(library.monitoring.report(REVIEWER, chosen, "docx"))
    assert "Period: 2025" in text and "Date: 30 November 2026" in text
    footer = document.sections[0].footer._element.xml
    assert "PAGE" in footer and 'w:fldCharType="begin"' in footer
    assert "Annex: follow-up of the evaluation's recommendations" in headings


def test_a_restricted_note_never_reaches_a_report_for_a_viewer_who_may_not_see_it(library):
    chosen = filters(library)
    for fmt in ("docx", "html", "md", "xlsx"):
        for viewer, present in ((READER, False), (REVIEWER, True)):
            body = library.monitoring.report(viewer, chosen, fmt)
            if fmt == "docx":
                text = docx_text(body)
            elif fmt == "xlsx":
                book = load_workbook(io.BytesIO(body))
                text = "\n".join(str(c.value) for ws in book for row in ws.iter_rows()
                                 for c in row)
            else:
                text = body.decode("utf-8")
            for secret in (SECRET_PARTNER, SECRET_LESSON, "Restricted quartz supply"):
                assert (secret in text) is present, (fmt, viewer.username, secret)


def test_html_report_prints_cleanly_and_markdown_has_the_sections(library):
    chosen = filters(library, year_from=2025, year_to=2025)
    html = library.monitoring.report(READER, chosen, "html").decode()
    assert "@media print" in html and "page-break-before" in html and "<script" not in html
    assert '<svg class="chart"' in html
    markdown = library.monitoring.report(READER, chosen, "md").decode()
    assert markdown.startswith("# Partnerships with the private sector by subprogramme")
    assert "## Annex: follow-up of the evaluation's recommendations" in markdown


def test_dashboard_pages_for_staff_and_sign_in_for_visitors(client):
    page = client.get("/monitoring", headers=signed_in("vic"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count('<svg class="chart"') == 7 and "<script" not in html
    assert 'role="img"' in html and "Data table" in html
    assert "SDG 5 highlighted" in html and "Download report" in html
    assert re.search(r'href="/monitoring/notes\?figure=sdg&amp;value=5"', html)
    assert client.get("/monitoring", headers={}).status_code in (303, 403)
    bad = client.get("/monitoring?year_from=twenty&division=space", headers=signed_in("vic"))
    assert bad.status_code == 400
    assert "year_from" in bad.get_data(as_text=True) and "division" in bad.get_data(as_text=True)
    listed = client.get("/monitoring/notes?figure=good_practice&value=yes",
                        headers=signed_in("vic"))
    assert listed.status_code == 200 and "case note" in listed.get_data(as_text=True)
    report = client.get("/monitoring/report?format=docx&year_from=2025&year_to=2025",
                        headers=signed_in("vic"))
    assert report.status_code == 200 and report.data[:2] == b"PK"
    assert "attachment" in report.headers["Content-Disposition"]


def test_stats_api_gives_the_dashboard_figures(client, library):
    answer = client.get("/api/v1/stats?division=trade&year_from=2020",
                        headers=signed_in("rita", "reviewer")).json
    figures = library.monitoring.figures(REVIEWER, filters(library, division="trade",
                                                           year_from=2020))
    assert answer == figures.to_json()
    assert answer["follow_up"]["overdue_actions"] == figures.overdue_actions
    assert client.get("/api/v1/stats").status_code == 403
    bad = client.get("/api/v1/stats?year_to=1", headers=signed_in("vic")).json
    assert bad["error"]["problems"][0]["field"] == "year_to"


def test_overdue_shows_everywhere_a_recommendation_appears(tmp_path):
    settings = build_monitoring_library(tmp_path, restricted=False)
    app = create_app({"SETTINGS": settings, "TESTING": True, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    home = client.get("/").get_data(as_text=True)
    listing = client.get("/recommendations").get_data(as_text=True)
    page = client.get(f"/recommendations/{REC5}").get_data(as_text=True)
    assert home.count("badge-overdue") == 8 and listing.count("badge-overdue") == 8
    assert "Overdue" in page and "key-action-overdue" in page
    api = client.get("/api/v1/recommendations").json
    recs = api["evaluations"][0]["recommendations"]
    assert api["today"] == "2026-11-30" and [r["overdue"] for r in recs] == [True] * 8
    one = client.get(f"/api/v1/recommendations/{REC5}").json
    assert one["actions"][0]["overdue"] is True and one["actions"][0]["due_date"] == "2023-12-31"
    earlier = create_app({"SETTINGS": with_today(settings, "2022-06-01"), "TESTING": True})
    assert "badge-overdue" not in earlier.test_client().get("/recommendations").get_data(
        as_text=True)


def test_reviewer_forms_record_actions_and_refuse_bad_input_with_400(tmp_path):
    settings = build_monitoring_library(tmp_path, restricted=False)
    app = create_app({"SETTINGS": settings, "TESTING": True, "TRUST_USER_HEADER": True,
                      "TRUST_ROLE_HEADERS": True, "WTF_CSRF_ENABLED": False})
    client, rita = app.test_client(), signed_in("rita", "reviewer")
    library = app.extensions["kmsearch"]
    base = f"/recommendations/{REC5}/actions"
    added = client.post(base, headers=rita, data={
        "text": "Publish guidance", "responsible_unit": "PMU", "due_date": "2027-03-31",
        "status": "not-started"})
    assert added.status_code == 303 and "done=added" in added.headers["Location"]
    new_id = library.monitoring.followup.actions(REC5)[-1].id
    before = {t: library.store.db[t].count for t in ("actions", "action_updates")}
    refused = [
        (base, {"text": "x", "due_date": "31/02/2027"}, "expected a date such as"),
        (f"{base}/{new_id}", {"status": "finished"}, "expected one of not-started"),
        (f"{base}/{new_id}/updates", {"text": "x", "evidence_url": "ftp://files.example"},
         "expected an http:// or https:// address"),
        (f"/recommendations/private-sector-2021/4/actions/{new_id}/updates", {"text": "x"},
         "belongs to recommendation private-sector-2021/5"),
    ]
    for url, data, message in refused:
        answer = client.post(url, headers=rita, data=data)
        assert answer.status_code == 400, url
        assert message in answer.get_data(as_text=True)
        assert "Nothing was changed" in answer.get_data(as_text=True)
    assert {t: library.store.db[t].count for t in ("actions", "action_updates")} == before
    assert client.post(base, headers=signed_in("vic"), data={"text": "x"}).status_code == 403
    done = client.post(f"{base}/{new_id}/updates", headers=rita, data={
        "date": "2026-11-20", "text": "Guidance published", "status": "completed",
        "evidence_url": "https://unece.org/guidance"})
    assert done.status_code == 303
    page = client.get(f"/recommendations/{REC5}?done=recorded").get_data(as_text=True)
    assert "Guidance published" in page and "https://unece.org/guidance" in page
    assert "Progress update recorded." in page


def test_forms_need_a_csrf_token(tmp_path):
    settings = build_monitoring_library(tmp_path, restricted=False)
    app = create_app({"SETTINGS": settings, "TESTING": True, "TRUST_USER_HEADER": True,
                      "TRUST_ROLE_HEADERS": True})
    answer = app.test_client().post(f"/recommendations/{REC5}/actions",
                                    headers=signed_in("rita", "reviewer"), data={"text": "x"})
    assert answer.status_code == 400
    assert app.extensions["kmsearch"].store.db["actions"].count == 8


def test_cli_follow_up_and_report(settings, tmp_path):
    env = {"KMSEARCH_DB": str(settings.db_path), "KMSEARCH_TODAY": "2026-11-30",
           "KMSEARCH_CORPUS_DIR": str(settings.corpus_dir)}
    shown = CliRunner().invoke(cli, ["follow-up", "3"], env=env)
    assert shown.exit_code == 0 and "OVERDUE" in shown.output
    assert "1 overdue as of 2026-11-30" in shown.output
    target = tmp_path / "report.docx"
    made = CliRunner().invoke(cli, ["report", "--year", "2025", "--format", "docx",
                                    "-o", str(target)], env=env)
    assert made.exit_code == 0, made.output
    assert "Period: 2025" in docx_text(target.read_bytes())
    assert SECRET_PARTNER not in docx_text(target.read_bytes())
    bad = CliRunner().invoke(cli, ["report", "--year", "1", "-o", str(target)], env=env)
    assert bad.exit_code == 1 and "year_from" in bad.output


def test_warming_reads_every_notes_facts_before_the_first_request(tmp_path):
    library = Library(build_monitoring_library(tmp_path, restricted=False))
    monitoring = library.monitoring
    monitoring.warm()
    version, notes, _ = monitoring._cache
    assert len(notes) == 48 and all(note.keys for note in notes)
    assert monitoring.figures(REVIEWER, filters(library)).notes == 48
    assert monitoring._cache[0] == version  # the first request read nothing again
    library.close()
