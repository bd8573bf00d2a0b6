"""Issue 9's walk-through in a real browser: a rep claims an account, the RD approves from the DM, and the
owner card shows the new owner. Everything is the real bot: /gtm owner, the claim modal, the routed
approval card, the override reason modal."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.conftest import screenshot
from tests.playground.fixtures import PlaygroundServer

AVA = "Ava Cole — AE, US-East"
HAYDN = "Haydn Mack — RD, US-West"


async def be(page: Page, name: str) -> None:
    await page.get_by_label("You are").select_option(label=name)


async def send(page: Page, command: str) -> None:
    await page.get_by_label("Message").fill(command)
    await page.get_by_label("Message").press("Enter")


async def test_a_rep_claims_globex_the_us_west_rd_approves_from_the_dm_and_the_owner_card_changes(
    page: Page, playground_server: PlaygroundServer
) -> None:
    await page.goto("/?user=U0AE1&conv=C0GENERAL1")
    await send(page, "/gtm owner Globex Corporation")
    card = page.locator(".msg.ephemeral").filter(has_text="Globex Corporation").last
    await expect(card).to_contain_text("Owner: @Wen Zhao")
    await expect(card).to_contain_text("🔒 You may not reassign it yourself")
    await expect(card.locator("b").filter(has_text="Owner:")).to_have_count(1)
    await expect(card.get_by_role("link", name="Handbook: Changing Account Ownership")).to_be_visible()
    await screenshot(page, "owner-card")

    await card.get_by_role("button", name="Request ownership").click()
    modal = page.get_by_role("dialog")
    await expect(modal).to_contain_text("Globex Corporation, owned by @Wen Zhao")
    await expect(modal.get_by_label("New owner")).to_have_value("U0AE1")
    await expect(modal).to_contain_text("❌ Segment — the hierarchy is Large; Ava Cole works Mid-Market")
    await modal.get_by_label("Reason").fill("Met their CIO at the summit")
    # another new owner: the bot updates the open modal (views.update) with that person's rules
    await modal.get_by_label("New owner").select_option("U0SAL1")
    await expect(modal).to_contain_text("✅ Segment — the hierarchy is Large; Sally Park works Large")
    await modal.get_by_label("New owner").select_option("U0AE1")
    await expect(modal).to_contain_text("Ava Cole works Mid-Market")
    await expect(modal.get_by_label("Reason")).to_have_value("Met their CIO at the summit")
    await screenshot(page, "claim-modal")
    await modal.get_by_role("button", name="Send request").click()
    await expect(modal).to_contain_text("Request sent")
    await expect(modal).to_contain_text("is waiting on @Haydn Mack")
    await modal.get_by_role("button", name="Done").click()
    await expect(modal).to_be_hidden()

    await be(page, HAYDN)
    await expect(page.locator("#apps .badge")).to_have_text("1")
    await page.get_by_role("button", name="gtm-bot").click()
    await expect(page.locator("#home")).to_contain_text("Waiting on you (1)")
    await expect(page.locator("#home")).to_contain_text("Ava Cole to own Globex Corporation")
    await expect(page.locator("#home").get_by_role("button", name="Override…")).to_be_visible()
    await screenshot(page, "home")
    await page.get_by_role("tab", name="Messages").click()
    await expect(page.locator("#apps .badge")).to_have_count(0)
    approval = page.locator(".msg").filter(has_text="Ownership request #").last
    await expect(approval).to_contain_text("Ava Cole to own Globex Corporation")
    await expect(approval).to_contain_text("Rules broken: Segment")
    await screenshot(page, "rd-dm")

    await approval.get_by_role("button", name="Approve with override…").click()
    await expect(modal).to_contain_text("Approve with override")
    await modal.get_by_role("button", name="Approve").click()
    await expect(modal.get_by_role("alert")).to_have_text("Please write a reason (a sentence is best).")
    await screenshot(page, "modal-errors")
    await modal.get_by_label("Override reason").fill("Exec relationship; agreed with Wen")
    await modal.get_by_role("button", name="Approve").click()
    await expect(modal).to_be_hidden()
    await expect(approval).to_contain_text("This request is over: approved and done.")
    await expect(approval.get_by_role("button")).to_have_count(0)

    await page.get_by_role("button", name="# general").click()
    await be(page, AVA)
    await expect(page.locator("#apps .badge")).to_have_text("2")  # "request sent" and "moved" notes
    await send(page, "/gtm owner Globex Corporation")
    after = page.locator(".msg.ephemeral").filter(has_text="Globex Corporation").last
    await expect(after).to_contain_text("Owner: @Ava Cole")
    await expect(after).to_contain_text("✅ You may reassign it")
    await screenshot(page, "owner-card-after")
    await page.get_by_role("button", name="gtm-bot").click()
    await page.get_by_role("tab", name="Messages").click()
    await expect(page.locator("#timeline")).to_contain_text(
        "🔄 Globex Corporation moved from @Wen Zhao to @Ava Cole"
    )


async def test_cancel_request_asks_for_confirmation_first(
    page: Page, playground_server: PlaygroundServer
) -> None:
    await page.goto("/?user=U0AE1&conv=C0GENERAL1")
    await send(page, "/gtm claim Hooli")
    modal = page.get_by_role("dialog")
    await expect(modal).to_contain_text("The current owner, Ben Ito, decides")
    await modal.get_by_role("button", name="Send request").click()
    await modal.get_by_role("button", name="Done").click()

    await page.get_by_role("button", name="gtm-bot").click()
    await page.get_by_role("tab", name="Messages").click()
    note = page.locator(".msg").filter(has_text="Waiting on @Ben Ito").last
    await note.get_by_role("button", name="Cancel request").click()
    confirm = page.get_by_role("alertdialog")
    await expect(confirm).to_contain_text("Cancel this request?")
    await expect(confirm).to_contain_text("The approvers' cards will say it was cancelled.")
    await confirm.get_by_role("button", name="Keep it").click()
    await expect(confirm).to_be_hidden()
    assert playground_server.standin.calls_to("response_url") == []  # nothing reached the bot

    await note.get_by_role("button", name="Cancel request").click()
    await confirm.get_by_role("button", name="Cancel it").click()
    await expect(page.locator("#timeline")).to_contain_text("is cancelled; the approvers' cards say so")
