"""Uploading and reviewing many notes from the web: a long upload's progress page, "submit
all", corrected re-uploads, and reviewers publishing a selection or a whole import at once."""

import csv
import io
import re
import time

import pytest
from register import MAPPING, write_register
from web_library import signed_in

from kmsearch.access import staff
from kmsearch.files.mapping import check_mapping
from kmsearch.files.sheets import read_rows
from kmsearch.web import create_app

pytestmark = pytest.mark.model  # a copy of the web tests' library, indexed with the model

TRADE = signed_in("tina", "contributor", "trade")
TRANSPORT = signed_in("tom", "contributor", "transport")
REVIEWER = signed_in("rita", "reviewer")
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
HEADER = ["id", "title", "division", "partners", "sdgs", "status", "visibility", "summary"]


@pytest.fixture(scope="module")
def app(library_copy):
    settings = library_copy("web-import")
    app = create_app({"SETTINGS": settings, "TRUST_USER_HEADER": True,
                      "TRUST_ROLE_HEADERS": True, "SECRET_KEY": "import-tests-secret",
                      "TESTING": True})
    yield app
    app.extensions["kmsearch"].store.close()


@pytest.fixture
def client(app):
    return app.test_client()


def post(client, path, data, headers, **kwargs):
    page = client.get("/contribute/upload", headers=headers).get_data(as_text=True)
    return client.post(path, data={"csrf_token": TOKEN.search(page).group(1)} | data,
                       headers=headers, **kwargs)


def sheet(rows: int, prefix: str, title: str = "Grain corridor data {n}") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for n in range(1, rows + 1):
        partners = f"Zona Libre de Turismo (ZOLITUR) (public-sector); Grain Co {n} (business)"
        writer.writerow([f"{prefix}-{n}", title.format(n=n), "Trade", partners,
                         "2; 17.11", "active", "public",
                         "Traders shared grain shipment data along the corridor. " * 3])
    return out.getvalue().encode()


def upload(client, data: bytes, name="notes.csv", headers=TRADE):
    return post(client, "/contribute/upload", {"files": (io.BytesIO(data), name)}, headers,
                content_type="multipart/form-data")


def wait_for_job(client, address, headers=TRADE, seconds=120):
    deadline = time.monotonic() + seconds
    while True:
        page = client.get(address, headers=headers)
        text = page.get_data(as_text=True)
        assert page.status_code == 200, text[-1500:]
        if "Upload done" in text:
            return text
        assert '<meta http-equiv="refresh" content="1">' in text
        assert time.monotonic() < deadline, "the upload did not finish"
        time.sleep(0.2)


def test_a_long_upload_runs_in_the_background_with_a_progress_page(app, client):
    response = upload(client, sheet(150, "grain"))
    assert response.status_code == 303
    address = response.headers["Location"]
    assert "/contribute/upload/jobs/" in address
    assert client.get(address, headers=TRANSPORT).status_code == 404  # someone else's upload
    report = wait_for_job(client, address)
    assert "150 notes saved as drafts" in report
    assert "Grain corridor data 17</a>" in report  # drafts listed by title, not by id
    store = app.extensions["kmsearch"].store
    partners = store.get_case("grain-1").note.partners
    assert [(p.name, p.type) for p in partners] == [
        ("Zona Libre de Turismo (ZOLITUR)", "public-sector"), ("Grain Co 1", "business")]
    ids = re.findall(r'name="ids" value="([^"]+)"', report)
    assert len(ids) == 150
    done = post(client, "/contribute/submit-all", {"ids": ids}, TRADE)
    assert "150 notes submitted for review" in done.get_data(as_text=True)
    assert {store.get_case(i).state for i in ids} == {"submitted"}


def test_a_corrected_sheet_updates_its_drafts_instead_of_being_refused(app, client):
    first = upload(client, sheet(3, "fix", "Wheat data {n}")).get_data(as_text=True)
    assert "3 notes saved as drafts" in first
    again = upload(client, sheet(3, "fix", "Wheat data, corrected {n}")).get_data(as_text=True)
    assert "3 notes saved as drafts" in again and "(updated)" in again
    store = app.extensions["kmsearch"].store
    assert store.get_case("fix-2").note.title == "Wheat data, corrected 2"
    other = upload(client, sheet(1, "fix"), headers=TRANSPORT).get_data(as_text=True)
    assert "already used by a note that is draft, by tina" in other


def test_a_sheet_row_without_partner_types_shows_the_syntax_that_fixes_it(client):
    data = "id,title,division,partners,status\nnotype,Partner without type,Trade,Acme Ltd,active\n"
    page = upload(client, data.encode()).get_data(as_text=True)
    assert "notes.csv row 2, partners[1].type: required:" in page
    assert "write each partner as &#34;Name (type)&#34;, e.g. &#34;Acme Ltd (business)&#34;" in page


def test_reviewers_publish_a_selection_and_return_another_in_one_step(app, client):
    store = app.extensions["kmsearch"].store
    upload(client, sheet(4, "pick"))
    trade = staff("tina", "contributor", divisions=("trade",))
    service = app.extensions["kmsearch"].contributions
    for n in range(1, 5):
        service.submit(trade, f"pick-{n}")
    queue = client.get("/review", headers=REVIEWER).get_data(as_text=True)
    assert 'form="bulk"' in queue and 'value="pick-1"' in queue
    page = post(client, "/review/bulk", {"action": "publish", "ids": ["pick-1", "pick-2"]},
                REVIEWER).get_data(as_text=True)
    assert "2 notes published" in page
    refused = post(client, "/review/bulk", {"action": "return", "ids": ["pick-3"]}, REVIEWER)
    assert "say what the author should change" in refused.get_data(as_text=True)
    post(client, "/review/bulk", {"action": "return", "ids": ["pick-3", "pick-4"],
                                  "comment": "Add the years."}, REVIEWER)
    assert [store.get_case(f"pick-{n}").state for n in range(1, 5)] == \
        ["published", "published", "draft", "draft"]
    hits = client.get("/api/v1/search?q=grain+corridor&mode=keyword&per_page=100",
                      headers=REVIEWER).get_json()["hits"]
    assert {"pick-1", "pick-2"} <= {hit["id"] for hit in hits}
    contributor = post(client, "/review/bulk", {"action": "publish", "ids": ["pick-3"]}, TRADE)
    assert contributor.status_code == 200 and "Only reviewers" in contributor.get_data(as_text=True)
    assert store.get_case("pick-3").state == "draft"


def test_a_whole_import_is_published_from_the_review_queue(app, client, tmp_path):
    library = app.extensions["kmsearch"]
    path = write_register(tmp_path / "register.xlsx", rows=12)
    header, rows = read_rows(path)
    mapping = check_mapping(__import__("yaml").safe_load(MAPPING), header, library.taxonomy, "m")
    report = library.import_sheet(path, mapping, rows, source="import:register", index=False)
    queue = client.get("/review", headers=REVIEWER).get_data(as_text=True)
    assert "<strong>import:register</strong>: 12 notes" in queue
    page = post(client, "/review/bulk", {"action": "publish-import", "source": "import:register"},
                REVIEWER).get_data(as_text=True)
    assert "12 notes published" in page
    assert {library.store.get_case(i).state for i in report.created} == {"published"}
    hits = client.get("/api/v1/search?q=sdgp&mode=keyword", headers=REVIEWER).get_json()
    found = client.get(f"/cases/{report.created[0]}", headers=REVIEWER)
    assert found.status_code == 200 and hits["total"] >= 0
