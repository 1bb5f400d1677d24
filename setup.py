"""Packaging beyond pyproject.toml: the top-level ``templates/`` folder and the default corpus
(taxonomy and evaluation) ship inside the package as ``kmsearch/templates`` and
``kmsearch/corpus``, so an installed wheel renders every page and ingests from any folder."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["kmsearch", "kmsearch.*"]), "kmsearch.templates",
              "kmsearch.corpus"],
    package_dir={"kmsearch.templates": "templates", "kmsearch.corpus": "corpus"},
    package_data={
        "kmsearch.web": ["openapi.json", "static/*", "static/**/*"],
        "kmsearch.index": ["calibration.txt"],
        "kmsearch.templates": ["*.html", "**/*.html", "*.md"],
        "kmsearch.corpus": ["taxonomy.yaml", "evaluations/*"],
    },
    include_package_data=False,
)
