"""A partnership register as divisions keep them, for the import tests and benchmark: foreign
column names and words, bracketed acronyms, "#" titles, mojibake, duplicate titles, 20 languages."""

from __future__ import annotations

import random
from pathlib import Path

from openpyxl import Workbook

COLUMNS = ["Commitment ID", "Commitment title", "Short description", "Description",
           "Lead entity", "Entity type", "Progress", "SDG targets", "Start date", "Deadline",
           "Unit", "Website"]
TYPES = ["Private sector", "Government", "Academic institution", "United Nations entity",
         "Intergovernmental organization", "Civil society organization", "Foundation"]
STATUSES = ["Ongoing", "Completed", "On track", "Planned", "Cancelled"]
UNITS = ["Environment", "Transport", "Statistics", "Trade", "Sustainable Energy",
         "Forests, Land and Housing", "Economic Cooperation and Integration"]
# Titles in twenty languages (and scripts), so slugs, folding and search meet them all.
PHRASES = [
    "Clean water for rural schools", "Agua limpia para escuelas rurales",
    "Eau potable pour les écoles rurales", "Sauberes Wasser für ländliche Schulen",
    "Чистая вода для сельских школ", "مياه نظيفة للمدارس الريفية", "农村学校的清洁水",
    "Água limpa para escolas rurais", "Acqua pulita per le scuole rurali",
    "Schoon water voor plattelandsscholen", "Czysta woda dla wiejskich szkół",
    "Kırsal okullar için temiz su", "Καθαρό νερό για αγροτικά σχολεία",
    "ग्रामीण स्कूलों के लिए स्वच्छ पानी", "農村の学校にきれいな水を", "시골 학교를 위한 깨끗한 물",
    "Čistá voda pro venkovské školy", "Tiszta víz vidéki iskoláknak",
    "Rent vatten för landsbygdsskolor", "Air bersih untuk sekolah pedesaan",
]
ENTITIES = ["Zona Libre de Turismo (ZOLITUR)", "Acme Water Ltd", "Ministry of Environment",
            "Universidad Técnica (UTEC)", "Blue Planet Foundation", "Velox Logistics GmbH"]


def write_register(path: Path, rows: int = 3000, seed: int = 7, bad_every: int = 97) -> Path:
    """An .xlsx register of ``rows`` rows; every ``bad_every``-th row has a real mistake."""
    rng = random.Random(seed)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Commitments")
    sheet.append(COLUMNS)
    for n in range(1, rows + 1):
        phrase = PHRASES[n % len(PHRASES)]
        title = f"{phrase} {n // 3}"  # every title three times: duplicate titles
        if n % 50 == 0:
            title = f"#OceanAction{n} {phrase}"
        if n % 40 == 0:
            title = f"CafÃ© {title}"  # mojibake, as exports of exports have
        sdgs = f"{rng.randint(1, 17)}.{rng.randint(1, 9)}, {rng.randint(1, 17)}.a"
        status = STATUSES[n % len(STATUSES)]
        if n % bad_every == 0:
            sdgs = "18.1"  # there is no SDG 18
        entity = f"{ENTITIES[n % len(ENTITIES)]}; Partner {n} (Private sector)"
        sheet.append([
            f"#OceanAction{20000 + n}", title, f"Commitment {n}: {phrase.lower()}.",
            f"{phrase}. " * 8, entity, TYPES[n % len(TYPES)], status, sdgs,
            f"{2010 + n % 14}-0{1 + n % 9}-15", f"{2024 + n % 6}", UNITS[n % len(UNITS)],
            f"https://example.org/commitments/{n}",
        ])
    book.save(path)
    return path


MAPPING = """\
columns:
  title: Commitment title
  summary: Short description
  body: Description
  partners: Lead entity
  partner_type: Entity type
  status: Progress
  sdgs: SDG targets
  start_year: Start date
  end_year: Deadline
  division: Unit
  extra.website: Website
defaults:
  visibility: public
source_key: Commitment ID
id_prefix: sdgp-
"""
