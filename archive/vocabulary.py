"""Load the controlled predicate vocabulary, which is data: `archive/vocabulary.yaml`."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

from archive.domain.vocabulary import Vocabulary, parse_vocabulary

VOCABULARY_FILE = Path(__file__).resolve().parent / "vocabulary.yaml"


@cache
def load_vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    """Parse the vocabulary file (once per path: it is part of the release, not of the data)."""
    return parse_vocabulary(yaml.safe_load(path.read_text(encoding="utf-8")))
