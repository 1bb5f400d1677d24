"""Where an instance keeps its files: the working folder, KMSEARCH_* variables or an explicit
instance folder, never the installed package; the shipped taxonomy and evaluation as fallback."""

from pathlib import Path

from click.testing import CliRunner

import kmsearch
from kmsearch.cli import cli
from kmsearch.config import Settings
from kmsearch.resources import packaged_corpus, templates_dir
from kmsearch.web import create_app

PACKAGE = Path(kmsearch.__file__).parent


def test_defaults_come_from_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env(environ={})
    assert settings.instance_dir == tmp_path / "instance"
    assert settings.db_path == tmp_path / "instance" / "kmsearch.db"
    assert settings.index_dir == tmp_path / "indexes"
    assert settings.corpus_dir == packaged_corpus()  # no corpus here: the shipped one
    assert settings.taxonomy_file == packaged_corpus() / "taxonomy.yaml"
    assert settings.taxonomy_file.exists()
    assert (settings.corpus_dir / "evaluations").is_dir()


def test_a_corpus_in_the_working_folder_wins_and_keeps_the_shipped_taxonomy(tmp_path,
                                                                             monkeypatch):
    (tmp_path / "corpus" / "cases").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env(environ={})
    assert settings.corpus_dir == tmp_path / "corpus"
    assert settings.taxonomy_file == packaged_corpus() / "taxonomy.yaml"
    (tmp_path / "corpus" / "taxonomy.yaml").write_text("divisions: []\n")
    assert settings.taxonomy_file == tmp_path / "corpus" / "taxonomy.yaml"


def test_an_instance_folder_holds_the_database_and_the_indexes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env(environ={"KMSEARCH_INSTANCE_DIR": "site"})
    assert settings.instance_dir == tmp_path / "site"
    assert settings.db_path == tmp_path / "site" / "kmsearch.db"
    assert settings.index_dir == tmp_path / "site" / "indexes"
    moved = Settings.from_env(environ={"KMSEARCH_INSTANCE_DIR": "site",
                                       "KMSEARCH_DB": str(tmp_path / "elsewhere.db")})
    assert moved.db_path == tmp_path / "elsewhere.db"


def test_paths_never_point_into_the_installed_package(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env(environ={})
    for path in (settings.instance_dir, settings.db_path, settings.index_dir,
                 settings.embedding_cache_file):
        assert not path.is_relative_to(PACKAGE)


def test_the_application_keeps_its_secret_key_and_config_in_the_instance_folder(tmp_path):
    instance = tmp_path / "site"
    instance.mkdir()
    (instance / "kmsearch.cfg").write_text('DEFAULT_VIEWER = "staff"\n')
    settings = Settings.from_env(environ={}, instance_dir=instance)
    app = create_app({"SETTINGS": settings})
    assert Path(app.instance_path) == instance and app.config["DEFAULT_VIEWER"] == "staff"
    assert (instance / "secret_key").exists()
    assert Path(app.template_folder) == templates_dir()
    assert (templates_dir() / "base.html").exists() and (templates_dir() / "error.html").exists()


def test_init_creates_the_instance_where_it_is_told(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--instance", "site", "init"], env={
        "KMSEARCH_DB": "", "KMSEARCH_INDEX_DIR": "", "KMSEARCH_INSTANCE_DIR": ""})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "site" / "kmsearch.db").exists()
    assert (tmp_path / "site" / "indexes").is_dir()
    assert f"Instance folder: {tmp_path / 'site'}" in result.output
