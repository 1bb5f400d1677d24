"""The Library facade: parts built once under concurrent first use, and writes that keep the
indexes in step without the caller asking."""

import threading

import pytest

from kmsearch.config import Settings
from kmsearch.errors import NotFound, ValidationError
from kmsearch.library import Library

PASSWORD = "correct horse battery"


@pytest.fixture
def library(tmp_path) -> Library:
    settings = Settings.from_env(environ={}, db_path=tmp_path / "k.db",
                                 index_dir=tmp_path / "indexes")
    library = Library(settings)
    yield library
    library.close()


def test_first_requests_racing_on_a_fresh_library_build_each_part_once(library):
    threads_count = 16
    barrier = threading.Barrier(threads_count)
    seen: list[tuple] = []

    def first_request():
        barrier.wait()
        seen.append((library.search, library.store, library.taxonomy, library.contributions,
                     library.accounts))

    threads = [threading.Thread(target=first_request) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == threads_count
    for position, name in enumerate(("search", "store", "taxonomy", "contributions", "accounts")):
        built = {id(parts[position]) for parts in seen}
        assert len(built) == 1, f"{len(built)} {name} objects were built"
    search, store = seen[0][0], seen[0][1]
    assert search.store is store and library.contributions.store is store


def test_a_state_change_of_a_note_that_does_not_exist_is_not_found(library):
    with pytest.raises(NotFound, match="no-such-note"):
        library.set_state("no-such-note", "archived", author="rev")


def test_accounts_are_managed_and_signed_in_through_the_library(library):
    accounts = library.accounts
    accounts.add("Cora", PASSWORD, roles=["contributor"], divisions=["Trade"])
    assert accounts.require("cora").divisions == ("trade",)
    assert accounts.sign_in("cora", "wrong password!") is None
    user = accounts.sign_in("CORA", PASSWORD)
    assert user.username == "cora" and user.last_login is not None
    accounts.set_roles("cora", ["reviewer"])
    accounts.disable("cora")
    assert accounts.sign_in("cora", PASSWORD) is None
    assert [(u.username, u.roles, u.disabled) for u in accounts.users()] == [
        ("cora", ("reviewer",), True)
    ]
    with pytest.raises(ValidationError):
        accounts.set_password("cora", "short")
    with pytest.raises(NotFound):
        accounts.enable("nobody")
