"""The dense leg filters vectors in Python: the rules must match the SQL legs exactly."""

import pytest

from assistant.index.vectors import allowed
from assistant.models import Filters

REPORT_2022 = {"access_level": 0, "kind": "report", "dated": True, "year": 2022, "source_id": "s"}
GUIDE = {"access_level": 0, "kind": "guide", "dated": False, "source_id": "s"}
CONTROLLED_ROW = {"access_level": 1, "kind": "catalogue", "dated": True, "year": 1985, "fonds": "38", "source_id": "s"}
SECRET_ROW = {"access_level": 2, "kind": "catalogue", "dated": True, "year": 1985, "fonds": "38", "source_id": "s"}


@pytest.mark.parametrize(
    ("meta", "filters", "level", "expected"),
    [
        (REPORT_2022, Filters(), 0, True),
        (CONTROLLED_ROW, Filters(), 0, False),
        (CONTROLLED_ROW, Filters(), 1, True),
        (SECRET_ROW, Filters(), 1, False),
        (SECRET_ROW, Filters(), 2, True),
        (None, Filters(), 2, False),
        ({"kind": "report"}, Filters(), 2, False),  # no access level: never shown
        (REPORT_2022, Filters(years=(2023,)), 0, False),
        (GUIDE, Filters(years=(2023,)), 0, True),  # undated guides stay with a year in the question
        (REPORT_2022, Filters(year_from=2021, year_to=2022), 0, True),
        (GUIDE, Filters(year_from=2021), 0, False),  # an explicit year range excludes undated text
        (CONTROLLED_ROW, Filters(fonds="038"), 1, True),
        (CONTROLLED_ROW, Filters(fonds="39"), 1, False),
        (REPORT_2022, Filters(kinds=("guide",)), 0, False),
    ],
)
def test_vector_filter_rules(meta: dict | None, filters: Filters, level: int, expected: bool) -> None:
    assert allowed(meta, filters, level) is expected
