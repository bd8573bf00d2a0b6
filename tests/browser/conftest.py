"""A real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright against the playground.

Set GTM_SCREENSHOTS=docs/screenshots to write the README's screenshots while the tests run.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio
from playwright.async_api import Browser, Page, async_playwright

from tests.playground.fixtures import PlaygroundServer, playground_server

__all__ = ["playground_server"]

CHROMIUM = os.environ.get("GTM_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser() -> AsyncIterator[Browser]:
    assert os.path.exists(CHROMIUM), (  # noqa: ASYNC240 (once per session)
        f"the browser tests need Debian's Chromium at {CHROMIUM}: apt-get install chromium"
    )
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser, playground_server: PlaygroundServer) -> AsyncIterator[Page]:
    context = await browser.new_context(
        viewport={"width": 1200, "height": 760}, base_url=playground_server.origin
    )
    opened = await context.new_page()
    opened.set_default_timeout(8000)
    yield opened
    await context.close()


async def screenshot(page: Page, name: str) -> None:
    folder = os.environ.get("GTM_SCREENSHOTS", "").strip()
    if folder:
        await page.screenshot(path=str(Path(folder) / f"{name}.png"))
