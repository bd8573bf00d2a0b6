"""The playground in a real browser: slash commands, the glossary, the Home tab.

The claim flow (modals, inline errors, the confirm prompt, DMs) is in test_playground_claim.py.
"""

from __future__ import annotations

import pytest
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


async def test_glossary_renders_the_answer_like_slack(
    page: Page, playground_server: PlaygroundServer
) -> None:
    await page.goto("/?user=U0AE1")
    await page.get_by_label("Message").fill("/glossary SAO")
    await page.get_by_label("Message").press("Enter")
    answer = page.locator(".msg.ephemeral").last
    await expect(answer).to_contain_text("Only visible to you · /glossary SAO")
    await expect(answer.locator("b").first).to_contain_text("SAO")
    await expect(answer.get_by_role("link", name="Handbook section").first).to_be_visible()
    await expect(answer.get_by_role("button", name="Share in channel").first).to_be_visible()
    await screenshot(page, "glossary")


async def test_the_home_tab_shows_what_the_bot_published(
    page: Page, playground_server: PlaygroundServer
) -> None:
    await page.goto("/?user=U0SAL1")
    await page.get_by_role("button", name="gtm-bot").click()
    await expect(page.get_by_role("tab", name="Home")).to_have_class("active")
    await expect(page.locator("#home")).to_contain_text("Waiting on you (0)")
    await expect(page.locator("#home")).to_contain_text("Your open requests (0)")
    await expect(page.locator("#home")).to_contain_text("Your holdovers")
    await expect(page.locator("#home")).to_contain_text("Nothing. 🎉")


@pytest.mark.parametrize(
    ("mrkdwn", "html"),
    [
        ("*bold*, _italic_ and ~gone~", "<b>bold</b>, <i>italic</i> and <s>gone</s>"),
        ("named_cap and record_ownership", "named_cap and record_ownership"),
        ("2*3*4 and a * b * c", "2*3*4 and a * b * c"),
        ("`*not bold*` and ```a_b\nc```", "<code>*not bold*</code> and <pre>a_b\nc</pre>"),
        (
            ":white_check_mark: done :x: :no_such_emoji:",
            '<span class="emoji" title=":white_check_mark:">✅</span> done'
            ' <span class="emoji" title=":x:">❌</span> :no_such_emoji:',
        ),
        ("line one\nline two", "line one<br>line two"),
        ("&gt; quoted\nafter", "<blockquote>quoted</blockquote>after"),
        (
            "<@U0AE1> and <!here>",
            '<span class="mention">@Ava Cole</span> and <span class="mention">@here</span>',
        ),
        ("&lt;!channel&gt; &amp; co", "&lt;!channel&gt; &amp; co"),
        (
            "<https://h.example/a_b_c*d*|the _handbook_>",
            '<a href="https://h.example/a_b_c*d*" target="_blank" rel="noopener">the _handbook_</a>',
        ),
        ("<javascript:alert(1)|click>", '<a href="#" target="_blank" rel="noopener">click</a>'),
        (
            'x <img src=x onerror="alert(1)"> y',
            'x <a href="#" target="_blank" rel="noopener">img src=x onerror=&quot;alert(1)&quot;</a> y',
        ),
    ],
)
async def test_mrkdwn_renders_like_slack_and_never_as_raw_html(
    page: Page, playground_server: PlaygroundServer, mrkdwn: str, html: str
) -> None:
    await page.goto("/?user=U0AE1")
    rendered = await page.evaluate(
        "([text]) => BlockKit.mrkdwn(text, { people: [{ id: 'U0AE1', name: 'Ava Cole' }] })", [mrkdwn]
    )
    assert rendered == html
