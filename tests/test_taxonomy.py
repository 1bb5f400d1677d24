from pathlib import Path

import pytest

from kmsearch.errors import ValidationError
from kmsearch.taxonomy import load_taxonomy

SHIPPED = Path(__file__).resolve().parent.parent / "corpus" / "taxonomy.yaml"


def test_the_shipped_taxonomy_has_every_vocabulary_of_the_spec():
    taxonomy = load_taxonomy(SHIPPED)
    assert taxonomy.nexus_areas.codes() == [
        "natural-resources", "smart-cities", "mobility-connectivity", "measuring-sdgs"
    ]
    assert all(term.description for term in taxonomy.nexus_areas)
    assert [int(t.code) for t in taxonomy.sdgs] == list(range(1, 18))
    assert taxonomy.sdgs.name_of(9) == "Industry, innovation and infrastructure"
    assert len(taxonomy.divisions) == 8
    assert len(taxonomy.partner_types) == 7
    assert len(taxonomy.partnership_types) == 10
    assert taxonomy.core_sdgs == [3, 6, 7, 8, 9, 11, 12, 13, 15]


def test_codes_and_names_resolve_case_insensitively():
    taxonomy = load_taxonomy(SHIPPED)
    assert taxonomy.divisions.resolve("forests, land and HOUSING").code == "forests-land-housing"
    assert taxonomy.divisions.resolve("Transport").code == "transport"
    assert taxonomy.partnership_types.resolve("Data sharing").code == "data-sharing"
    assert taxonomy.divisions.resolve("Space") is None


def test_a_broken_taxonomy_names_each_problem(tmp_path):
    path = tmp_path / "taxonomy.yaml"
    text = SHIPPED.read_text(encoding="utf-8")
    text = text.replace('{code: 9, name: "Industry, innovation and infrastructure"}',
                        "{code: 9, name: Industry, innovation and infrastructure}")
    text = text.replace("  - {code: transport, name: Transport}\n",
                        "  - {code: transport, name: Transport}\n  - {code: transport, name: T}\n")
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValidationError) as error:
        load_taxonomy(path)
    messages = [str(p) for p in error.value.problems]
    assert any("sdgs[8]" in m and "quote names" in m for m in messages)
    assert any("divisions[2]" in m and "duplicate code" in m for m in messages)


def test_an_unreadable_taxonomy_is_reported_with_its_path(tmp_path):
    path = tmp_path / "taxonomy.yaml"
    path.write_text("nexus_areas: [unclosed\n", encoding="utf-8")
    with pytest.raises(ValidationError) as error:
        load_taxonomy(path)
    assert str(path) in str(error.value)
