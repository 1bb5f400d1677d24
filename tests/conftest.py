"""Session-wide test set-up: one embedding cache shared by every test's indexes.

The cache is keyed by passage content, so sharing it changes no result; it only keeps the
real model from embedding the same sample passages again in each test that builds an index.
"""

import os

import pytest

# The accounts test application's fixtures (settings, app, client) for the web security tests.
pytest_plugins = ("accounts_app",)


@pytest.fixture(scope="session", autouse=True)
def shared_embedding_cache(tmp_path_factory):
    path = tmp_path_factory.mktemp("embedding-cache") / "embedding-cache.sqlite"
    previous = os.environ.get("KMSEARCH_EMBEDDING_CACHE")
    os.environ["KMSEARCH_EMBEDDING_CACHE"] = str(path)
    yield path
    if previous is None:
        os.environ.pop("KMSEARCH_EMBEDDING_CACHE", None)
    else:
        os.environ["KMSEARCH_EMBEDDING_CACHE"] = previous
