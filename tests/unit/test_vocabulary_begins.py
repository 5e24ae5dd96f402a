"""`begins`: which slot of a predicate names the entity whose beginning its facts date.

The archive's own vocabulary is parsed once, at import, so these parse vocabularies of their own: a
predicate whose entity object begins with it (an establishment, an opening) must load, and the same
predicate with a literal or no object must be refused, naming the predicate and the field.
"""

from __future__ import annotations

import pytest

from archive.domain.errors import InvalidVocabulary
from archive.domain.vocabulary import parse_vocabulary
from tests.unit.test_vocabulary import one_predicate


@pytest.mark.parametrize("slot", ["subject", "object"])
def test_a_predicate_with_an_entity_object_may_date_either_slots_beginning(slot: str) -> None:
    predicate = parse_vocabulary(one_predicate(begins=slot)).get("example_of")
    assert (predicate.object, predicate.begins) == ("entity", slot)


@pytest.mark.parametrize("object_type", ["literal", "none"])
def test_begins_object_is_refused_when_the_object_is_no_entity(object_type: str) -> None:
    with pytest.raises(InvalidVocabulary) as refused:
        parse_vocabulary(one_predicate(object=object_type, begins="object"))
    assert str(refused.value).endswith(
        "predicate 'example_of': begins 'object' needs an entity object, whose beginning it dates"
    )


@pytest.mark.parametrize("object_type", ["literal", "none"])
def test_begins_subject_needs_no_entity_object(object_type: str) -> None:
    predicate = parse_vocabulary(one_predicate(object=object_type, begins="subject")).get("example_of")
    assert (predicate.object, predicate.begins) == (object_type, "subject")
