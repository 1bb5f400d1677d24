"""The labelled proposals that measure channelling are well formed: enough of them, every
division represented, and only codes the taxonomy knows."""

import yaml

from kmsearch.config import PROJECT_ROOT
from kmsearch.taxonomy import load_taxonomy

LABELLED = PROJECT_ROOT / "tests" / "data" / "proposals" / "labelled.yaml"


def test_the_labelled_set_has_thirty_proposals_over_every_division_with_known_codes():
    taxonomy = load_taxonomy(PROJECT_ROOT / "corpus" / "taxonomy.yaml")
    items = yaml.safe_load(LABELLED.read_text(encoding="utf-8"))
    assert len(items) >= 30
    assert {item["division"] for item in items} == set(taxonomy.divisions.codes())
    for item in items:
        assert item["title"] and len(item["description"]) > 60 and item["organisation"]
        assert set(item["nexus"]) <= set(taxonomy.nexus_areas.codes()), item["title"]
