"""/gtm review ACCOUNT|queue|export|apply ID, the review modal, and the Apply now / Export buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.features.ownership import service as ownership
from bot.features.reviews import service as reviews
from bot.features.reviews.export import split_csv
from bot.handbook.results import Refused
from bot.render import mrkdwn_escape
from handlers.payloads import Click, Clicked, Submission, Submitted, json_object, read, selection, submitter
from handlers.replies import (
    Reply,
    by_number,
    field_error,
    just_ack,
    not_found,
    refused,
    say,
    tell,
    tell_beside,
)
from handlers.router import CommandRouter, Invocation, Subcommand, Verb

SUBMIT_CALLBACK = "review.submit"


# ---- payloads ---------------------------------------------------------------------------------------------
def account_of(metadata: str) -> str | None:
    """The account a review modal was opened for (its metadata, written by the bot), or None if tampered."""
    meta = json_object(metadata)
    account_id = (meta or {}).get("account_id")
    return account_id if isinstance(account_id, str) else None


def review_form(source: Submission) -> reviews.ReviewForm:
    meta = json_object(source.metadata) or {}
    return reviews.ReviewForm(
        review=str(source.option("review", "review.kind") or meta.get("review") or ""),
        count=source.text("count"),
        zip=source.text("zip"),
        state=source.text("state"),
        country=source.text("country"),
        source_url=source.text("source"),
    )


@dataclass(frozen=True, slots=True)
class KindSwitch(Clicked):
    """The modal's "employee count / HQ address" select, changed."""

    user_id: str = submitter()
    review: str = selection()
    account_id: str | None = read(lambda click: account_of(click.metadata))
    view_id: str | None = read(lambda click: click.modal.id)
    view_hash: str | None = read(lambda click: click.modal.hash)


@dataclass(frozen=True, slots=True)
class ReviewSubmission(Submitted):
    """The review modal, submitted: its account (None if tampered with) and the form."""

    user_id: str = submitter()
    account_id: str | None = read(lambda source: account_of(source.metadata))
    form: reviews.ReviewForm = read(lambda source: review_form(source))


# ---- /gtm review and its verbs ------------------------------------------------------------------------
async def sales_ops_queue(deps: Deps, user_id: str, region: str = "") -> Reply | reviews.Queue:
    found = await reviews.queue(deps, user_id, region.strip())
    return refused(deps, found.reason) if isinstance(found, Refused) else found


async def queue(deps: Deps, inv: Invocation) -> Reply:
    found = await sales_ops_queue(deps, inv.user_id)
    if not isinstance(found, reviews.Queue):
        return found
    return deps.renderer.message("reviews/queue.json.j2", rows=found.rows, by_region=found.by_region)


async def export_reply(deps: Deps, user_id: str, region: str = "") -> Reply:
    found = await sales_ops_queue(deps, user_id, region)
    if not isinstance(found, reviews.Queue):
        return found
    chunks = split_csv(reviews.queue_csv(found), measure=lambda line: len(mrkdwn_escape(line)))
    return deps.renderer.message(
        "reviews/export.json.j2",
        parts=chunks.parts,
        rows_shown=chunks.rows_shown,
        rows_left_out=chunks.rows_left_out,
    )


async def export(deps: Deps, inv: Invocation) -> Reply:
    return await export_reply(deps, inv.user_id, inv.text)


async def apply_reply(deps: Deps, user_id: str, text: str) -> Reply:
    usage = "say which review: /gtm review apply ID (the number in /gtm review queue)."
    result = await by_number(
        deps, text, usage, lambda n: reviews.apply_now(deps, request_id=n, actor=user_id)
    )
    if isinstance(result, dict):
        return result
    told = f" {len(result.owners_told)} owner(s) told." if result.owners_told else ""
    misfit = f" The ownership rules no longer fit for: {'; '.join(result.misfits)}." if result.misfits else ""
    return say(
        deps,
        f"Review #{result.request_id} applied: {result.summary}. {result.changed} account(s) changed "
        f"segment or territory.{told}{misfit}",
        ":white_check_mark:",
    )


async def apply(deps: Deps, inv: Invocation) -> Reply:
    return await apply_reply(deps, inv.user_id, inv.text)


async def account(deps: Deps, inv: Invocation) -> Reply | None:
    if not inv.text:
        return say(
            deps,
            "tell me which account: /gtm review ACCOUNT. Sales Ops: /gtm review queue, "
            "/gtm review export [REGION], /gtm review apply ID.",
            ":information_source:",
        )
    return None  # an account: the modal opens after the ack


def modal(deps: Deps, found: reviews.Target, review: str) -> dict[str, Any]:
    view = found.view
    return deps.renderer.render(
        "reviews/modal.json.j2",
        account_id=view.account.account_id,
        account_name=view.account.name,
        segment=str(view.segment.segment or "unsegmented"),
        region=view.region.name if view.region else "",
        own_count=found.own_count,
        address=found.address,
        review=review,
    )


async def open_modal(deps: Deps, inv: Invocation, client: AsyncWebClient, respond: AsyncRespond) -> None:
    if not inv.text:
        return
    found = await reviews.target(deps, inv.user_id, inv.text)
    if isinstance(found, Refused):
        await tell(respond, refused(deps, found.reason))
    elif isinstance(found, ownership.Found):
        await tell(respond, not_found(deps, inv.text, found.candidates))
    else:
        await client.views_open(trigger_id=inv.trigger_id, view=modal(deps, found, reviews.EMPLOYEES))


# ---- the modal and the buttons ------------------------------------------------------------------------
async def kind_changed(body: dict[str, Any], client: AsyncWebClient, deps: Deps) -> None:
    """Switching between employee count and HQ address swaps the modal's fields."""
    switch = KindSwitch.parse(body)
    if switch.review not in (reviews.EMPLOYEES, reviews.ADDRESS) or switch.account_id is None:
        return
    found = await reviews.target(deps, switch.user_id, switch.account_id)
    if isinstance(found, reviews.Target):
        view = modal(deps, found, switch.review)
        await client.views_update(view_id=switch.view_id, hash=switch.view_hash, view=view)


async def submitted(ack: AsyncAck, body: dict[str, Any], deps: Deps) -> None:
    form = ReviewSubmission.parse(body)
    if form.account_id is None:
        await field_error(ack, "source", "This form was tampered with; nothing sent.")
        return
    result = await reviews.submit_review(
        deps, requester_id=form.user_id, account_id=form.account_id, form=form.form
    )
    if isinstance(result, reviews.FieldErrors):
        await ack(response_action="errors", errors={k: v[:300] for k, v in result.errors.items()})
    elif isinstance(result, Refused):
        await field_error(ack, "source", result.reason, limit=None)
    else:
        view = deps.renderer.render(
            "reviews/submitted.json.j2",
            request_id=result.request_id,
            summary=result.summary,
            explanation=result.explanation,
            queued_until=result.queued_until.isoformat() if result.queued_until else "",
        )
        await ack(response_action="update", view=view)


async def apply_button(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, deps: Deps) -> None:
    await ack()
    click = Click.parse(body)
    deps.spawn(tell_beside(respond, await apply_reply(deps, click.user_id, click.value[:20])))


async def export_button(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond, deps: Deps) -> None:
    await ack()
    deps.spawn(tell_beside(respond, await export_reply(deps, Click.parse(body).user_id)))


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    router.add(
        Subcommand(
            "review",
            "/gtm review ACCOUNT",
            "Ask Sales Ops to review an account's employee count or HQ address (Sales Ops: the queue)",
            answer=account,
            lazy=open_modal,
            verbs=(
                Verb("queue", "queue", answer=queue),
                Verb("export", "export [REGION]", answer=export),
                Verb("apply", "apply ID", answer=apply),
            ),
        )
    )
    app.view(SUBMIT_CALLBACK)(submitted)
    app.action("review.kind")(ack=just_ack, lazy=[kind_changed])
    app.action("review.apply")(apply_button)
    app.action("review.export")(export_button)
