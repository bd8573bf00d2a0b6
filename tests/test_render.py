"""The renderer's filters: pure functions, table-tested."""

from datetime import UTC, date, datetime

import pytest

from bot.render import BUTTONS, slack_day

MIDDAY_2027_02_01 = int(datetime(2027, 2, 1, 12, tzinfo=UTC).timestamp())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2027, 2, 1), f"<!date^{MIDDAY_2027_02_01}^{{date_long}}|2027-02-01>"),
        ("2027-02-01", f"<!date^{MIDDAY_2027_02_01}^{{date_long}}|2027-02-01>"),  # as stored: ISO text
        (datetime(2027, 2, 1, 23, 30, tzinfo=UTC), f"<!date^{MIDDAY_2027_02_01}^{{date_long}}|2027-02-01>"),
        ("", ""),
        (None, ""),
    ],
)
def test_slack_day_formats_a_calendar_date_with_its_iso_fallback(value: object, expected: str) -> None:
    assert slack_day(value) == expected


@pytest.mark.parametrize(
    ("verb", "action_id", "style"),
    [
        ("approve", "approval.approve", "primary"),
        ("override", "approval.approve_override", "primary"),
        ("reject", "approval.reject", "danger"),
        ("reassign", "escalation.reassign", "primary"),
        ("keep", "escalation.reason", "danger"),
        ("disagree", "escalation.reason", "danger"),
    ],
)
def test_every_card_verb_is_a_button_slack_listens_for(verb: str, action_id: str, style: str) -> None:
    assert BUTTONS[verb] == (action_id, style)
