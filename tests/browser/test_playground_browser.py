"""The playground in a real browser: slash commands, buttons, modals with inline errors, DMs, Home."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.browser.conftest import screenshot
from tests.playground.fixtures import PlaygroundServer


async def be(page: Page, name: str) -> None:
    await page.get_by_label("You are").select_option(label=name)


async def test_a_rep_types_gtm_help_and_sees_the_private_answer(
    page: Page, playground_server: PlaygroundServer
) -> None:
    await page.goto("/?user=U0AE1")
    await expect(page.get_by_label("You are")).to_have_value("U0AE1")
    await page.get_by_label("Message").fill("/gtm help")
    await page.get_by_label("Message").press("Enter")
    answer = page.locator(".msg.ephemeral").last
    await expect(answer).to_contain_text("Here is what I can do")
    await expect(answer).to_contain_text("Only visible to you · /gtm help")
    await expect(answer.locator(".who")).to_contain_text("gtm-bot")
    await expect(answer.locator("code").filter(has_text="/gtm help")).to_have_count(1)
    await screenshot(page, "help")

    await be(page, "Dana Reyes — RD, US-East")
    await expect(page.locator("#timeline")).to_contain_text("Nothing here yet")


async def test_text_that_is_not_a_slash_command_is_not_sent(
    page: Page, playground_server: PlaygroundServer
) -> None:
    await page.goto("/?user=U0AE1")
    await page.get_by_label("Message").fill("hello bot")
    await page.get_by_label("Message").press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("Only slash commands reach the bot")
    assert playground_server.standin.calls == []


async def test_a_rep_requests_the_rd_approves_from_the_dm_and_the_owner_card_changes(
    page: Page, playground_server: PlaygroundServer
) -> None:
    await playground_server.post_card()
    await page.goto("/?user=U0AE1&conv=C0GENERAL1")
    card = page.locator(".msg").filter(has_text="Initech").first
    await expect(card).to_contain_text("Sally Park")

    await card.get_by_role("button", name="Request ownership").click()
    modal = page.get_by_role("dialog")
    await expect(modal).to_contain_text("Request ownership")
    await modal.get_by_label("Account").fill("Acme")
    await modal.get_by_role("button", name="Send request").click()
    await expect(modal.get_by_role("alert").first).to_have_text(
        "Pick an account the directory knows, e.g. Initech"
    )
    await expect(modal.get_by_role("alert").nth(1)).to_have_text("Say why")
    await expect(modal.get_by_label("Account")).to_have_value("Acme")  # what was typed survives the redraw
    await screenshot(page, "modal-errors")

    await modal.get_by_label("Account").fill("Initech")
    await modal.locator("select[data-action-id=reason]").select_option(label="Named account")
    await modal.get_by_role("button", name="Send request").click()
    await expect(modal).to_be_hidden()

    await be(page, "Dana Reyes — RD, US-East")
    await page.get_by_role("button", name="gtm-bot").click()
    await page.get_by_role("tab", name="Messages").click()
    dm = page.locator(".msg").filter(has_text="asks to own").last
    await expect(dm).to_contain_text("@Ava Cole asks to own Initech")
    await screenshot(page, "rd-dm")
    await dm.get_by_role("button", name="Approve").click()
    await expect(page.locator("#timeline")).to_contain_text("Approved: @Ava Cole now owns Initech")

    await be(page, "Ava Cole — AE, US-East")
    await page.get_by_role("button", name="# general").click()
    await expect(card).to_contain_text("Ava Cole")
    await expect(card).not_to_contain_text("Sally Park")
    await screenshot(page, "owner-card-after")


async def test_the_home_tab_shows_what_the_bot_published(
    page: Page, playground_server: PlaygroundServer
) -> None:
    await page.goto("/?user=U0SAL1")
    await page.get_by_role("button", name="gtm-bot").click()
    await expect(page.get_by_role("tab", name="Home")).to_have_class("active")
    await expect(page.locator("#home")).to_contain_text("Waiting on you (0)")
    await expect(page.locator("#home")).to_contain_text("Your recent decisions")
    await screenshot(page, "home")
