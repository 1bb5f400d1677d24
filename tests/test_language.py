"""Language-aware analysis: detection, French and Russian stemming, accent folding, storage."""

import sqlite3

import pytest
from sqlite_utils import Database

from kmsearch.documents import documents_for
from kmsearch.index.keyword import KeywordIndex
from kmsearch.languages import detect, name
from kmsearch.records import CaseNote
from kmsearch.store.cases import Store
from kmsearch.store.migrations import INITIAL, case_language


def note(id: str, title: str, summary: str, body: str) -> CaseNote:
    return CaseNote(id=id, title=title, summary=summary, body=body, division="transport",
                    visibility="public", start_year=2020, status="active")


NOTES = [
    note("turkey", "Irrigation pilots in Çukurova", "Farmers near Adana and Mr Güleryüz.",
         "The pilot measured water use."),
    note("railways", "Развитие железнодорожного транспорта",
         "Партнёрство с компанией по железнодорожным перевозкам.",
         "Компания предоставила данные о грузах для статистики."),
    note("routes", "Partenariats pour la sécurité routière",
         "Les partenaires ont financé des campagnes de sécurité routière dans les écoles.",
         "Une entreprise automobile a payé les affiches et la formation des enseignants."),
    note("roads", "Road safety partnerships", "A carmaker paid for posters in schools.",
         "The campaign was evaluated after two years."),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory) -> KeywordIndex:
    index = KeywordIndex(tmp_path_factory.mktemp("language") / "keyword")
    index.rebuild(doc for n in NOTES for doc in documents_for(n))
    return index


def found(index: KeywordIndex, text: str) -> list[str]:
    return [hit.key for hit in index.search(text).hits]


@pytest.mark.parametrize("text, language", [
    ("The partnership with the company was ended early", "en"),
    ("Le partenariat avec l'entreprise a pris fin", "fr"),
    ("Партнёрство с компанией было прекращено", "ru"),
    ("sécurité routière", "fr"),
    ("Çukurova", "en"),
    ("", "en"),
])
def test_the_language_of_a_text_is_detected(text, language):
    assert detect(text) == language


@pytest.mark.parametrize("query, key", [
    ("Cukurova", "case:turkey"),
    ("Guleryuz", "case:turkey"),
    ("çukurova", "case:turkey"),
    ("железнодорожных", "case:railways"),  # another case of the same word
    ("компании", "case:railways"),
    ("sécurité routière", "case:routes"),
    ("partenariat", "case:routes"),  # singular finds the plural
    ("enseignant", "case:routes"),
])
def test_accents_fold_and_french_and_russian_words_are_stemmed(index, query, key):
    assert found(index, query)[:1] == [key]


@pytest.mark.parametrize("phrase, key", [
    ('"a carmaker paid for posters in schools"', "case:roads"),
    ('"campaign was evaluated after two years"', "case:roads"),
    ('"campagnes de sécurité routière dans les écoles"', "case:routes"),
])
def test_a_quoted_phrase_with_stop_words_in_it_still_matches(index, phrase, key):
    assert found(index, phrase) == [key]
    assert found(index, '"carmaker schools"') == []  # words apart stay apart


def test_english_stemming_is_unchanged(index):
    assert found(index, "partnership")[:1] == ["case:roads"]
    assert found(index, "evaluating campaigns")[:1] == ["case:roads"]


def test_a_saved_note_stores_its_language(tmp_path):
    store = Store(tmp_path / "k.db")
    for n in NOTES:
        store.save_case(n, author="test")
    assert {n.id: store.get_case(n.id).language for n in NOTES} == {
        "turkey": "en", "railways": "ru", "routes": "fr", "roads": "en"}
    assert name("fr") == "French"


def test_the_migration_fills_the_language_of_existing_notes(tmp_path):
    conn = sqlite3.connect(tmp_path / "old.db")
    conn.executescript(INITIAL)
    conn.execute("INSERT INTO cases (id, title, summary, body, data, content_hash, revision) "
                 "VALUES ('x', 'Partenariat', 'Les routes et la sécurité', '', '{}', 'h', 1)")
    conn.commit()
    db = Database(conn)
    case_language(db)
    assert conn.execute("SELECT language FROM cases").fetchone() == ("fr",)
