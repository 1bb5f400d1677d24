"""Session-wide test state, as fixtures: one embedding cache shared by every test's indexes, the
web tests' library built once, and private copies of it for tests that change data.

The cache is keyed by passage content, so sharing it changes no result; it only keeps the
real model from embedding the same sample passages again in each test that builds an index.
The fast tier (``make test-fast``: ``-m "not model and not browser"``) leaves out every test
that loads the embedding model or drives Chromium.
"""

import os
import sys
from collections.abc import Callable

import pytest
from contribution_library import copy_library
from web_library import build_library

from kmsearch.config import Settings

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


@pytest.fixture(scope="session")
def web_settings(tmp_path_factory, shared_embedding_cache) -> Settings:
    """The web tests' library: the shipped corpus, the hostile note, indexes built; read-only."""
    return build_library(tmp_path_factory.mktemp("web-library"))


@pytest.fixture(scope="session")
def library_copy(tmp_path_factory, web_settings) -> Callable[[str], Settings]:
    """Make a private copy of the web tests' library, for tests that change data."""
    return lambda name: copy_library(web_settings, tmp_path_factory.mktemp(name))


MODEL_BEFORE = pytest.StashKey[bool]()


def model_loaded() -> bool:
    """Whether this process has loaded the embedding model: OpenVINO, or sentence-transformers
    for PyTorch, is imported only then."""
    return "openvino" in sys.modules or "sentence_transformers" in sys.modules


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    item.stash[MODEL_BEFORE] = model_loaded()
    result = yield
    _check_model_marker(item)
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    _check_model_marker(item)
    return result


def _check_model_marker(item) -> None:
    """A test (or its fixtures) that loads the embedding model must carry the ``model`` marker
    (or ``browser``, also outside the fast tier), or the fast tier would silently slow down:
    the first such test fails and says so."""
    if item.stash.get(MODEL_BEFORE, True) or not model_loaded():
        return
    if item.get_closest_marker("model") is None and item.get_closest_marker("browser") is None:
        pytest.fail(f"{item.nodeid} loaded the embedding model: mark it @pytest.mark.model",
                    pytrace=False)


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for a module's browser tests (see ``live.chromium``)."""
    from live import chromium

    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser):
    """A desktop page in a fresh context that records console errors (``page.errors``)."""
    from live import new_page

    page = new_page(browser)
    yield page
    page.context.close()
