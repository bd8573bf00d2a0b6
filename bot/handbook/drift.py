"""Drift: an owner set directly in Salesforce that breaks the criteria for reassigning accounts.

"Changing Account Ownership in Salesforce": the new owner's territory, segment, the named-account cap,
an account-owning role, and public sector only to that team (`ownership.new_owner_fit`).
"""

from __future__ import annotations

from bot.handbook.directory import Person
from bot.handbook.ownership import AccountView, is_default_owner, new_owner_fit


def drift_reasons(new_owner: Person | None, owner_id: str, view: AccountView, named_count: int) -> list[str]:
    """Why the account's new owner breaks the rules; empty when the change is fine.

    Someone gtm-bot doesn't know as an active person can't be checked and is reported as such; the default
    Sales Admin user is how Salesforce parks accounts ("Default Ownership"), so it is not drift.
    """
    if new_owner is None:
        return [f"{owner_id} is not an active person in the directory"]
    if is_default_owner(new_owner):
        return []
    return [c.reason for c in new_owner_fit(new_owner, view, named_count) if not c.passed]
