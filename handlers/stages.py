"""`/gtm stage`, `/gtm sao`, `/gtm name` and `/gtm type`: stages, the SAO checklist, names and types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.deps import Deps
from bot.features.stages import forms, lookup
from bot.handbook.stages import thresholds
from handlers.payloads import Clicked, read
from handlers.replies import Rendered, Reply, just_ack
from handlers.router import CommandRouter, Invocation, Subcommand

RENDERED_ANSWERS = 256  # distinct handbook answers kept rendered (they never change while the bot runs)
ANSWER_TEMPLATES: dict[type, str] = {
    lookup.StageList: "stages/list.json.j2",
    lookup.StageDetail: "stages/detail.json.j2",
    lookup.MoveAnswer: "stages/move.json.j2",
    lookup.OpportunityAnswer: "stages/opportunity.json.j2",
    lookup.Choices: "stages/choices.json.j2",
    lookup.NotFound: "stages/not_found.json.j2",
}
RENDERED = "stages.rendered"  # deps.state: handbook answers by text, rendered once


# ---- payloads ---------------------------------------------------------------------------------------------
def form_values(view: dict[str, Any]) -> forms.Form:
    """A stage modal's state as {block_id: text or None}, whatever the input element."""
    values: forms.Form = {}
    for block_id, actions in ((view.get("state") or {}).get("values") or {}).items():
        for action in actions.values():
            option = action.get("selected_option") or {}
            values[block_id] = (
                option.get("value") or action.get("selected_date") or action.get("value") or None
            )
    return values


@dataclass(frozen=True, slots=True)
class NameKindSwitch(Clicked):
    """The name modal's "what are you naming" select, changed."""

    kind: forms.NameKind = read(lambda click: forms.name_kind(click.picked or click.value or None))
    view_id: str | None = read(lambda click: click.modal.id)
    view_hash: str | None = read(lambda click: click.modal.hash)


# ---- /gtm stage and the modals --------------------------------------------------------------------------
async def stage(deps: Deps, inv: Invocation) -> Reply:
    key = inv.text.strip()
    rendered: Rendered = deps.state[RENDERED]
    reply = rendered.get(key)
    if reply is not None:
        return reply
    answer = lookup.handbook_answer(key)
    if answer is None:  # an opportunity: who asks and the directory decide the answer
        answer = await lookup.answer_stage(deps, inv.user_id, inv.text)
        return deps.renderer.message(ANSWER_TEMPLATES[type(answer)], answer=answer)
    return rendered.keep(key, deps.renderer.message(ANSWER_TEMPLATES[type(answer)], answer=answer))


def name_modal(deps: Deps, kind: forms.NameKind) -> dict[str, Any]:
    return deps.renderer.render(
        "stages/name_modal.json.j2",
        kind=kind.value,
        kinds=[(k.value, label) for k, label in forms.NAME_KINDS.items()],
        fields=forms.name_fields(kind),
        editions=forms.EDITIONS,
    )


async def open_sao(deps: Deps, inv: Invocation, client: AsyncWebClient, _respond: AsyncRespond) -> None:
    view = deps.renderer.render("stages/sao_modal.json.j2", next_step_days=thresholds().next_step_days)
    await client.views_open(trigger_id=inv.trigger_id, view=view)


async def open_name(deps: Deps, inv: Invocation, client: AsyncWebClient, _respond: AsyncRespond) -> None:
    kind = forms.name_kind(inv.text.strip().lower().replace(" ", "_").replace("-", "_"))
    await client.views_open(trigger_id=inv.trigger_id, view=name_modal(deps, kind))


async def open_type(deps: Deps, inv: Invocation, client: AsyncWebClient, _respond: AsyncRespond) -> None:
    view = deps.renderer.render("stages/type_modal.json.j2", parent_types=forms.PARENT_TYPES)
    await client.views_open(trigger_id=inv.trigger_id, view=view)


async def switch_name_kind(body: dict[str, Any], client: AsyncWebClient, deps: Deps) -> None:
    switch = NameKindSwitch.parse(body)
    await client.views_update(
        view_id=switch.view_id, hash=switch.view_hash, view=name_modal(deps, switch.kind)
    )


async def checked(ack: AsyncAck, deps: Deps, outcome: Any, template: str) -> None:
    """A checked form: its errors under the inputs, or the modal turned into its result."""
    if outcome.errors:
        await ack(response_action="errors", errors=outcome.errors)
        return
    await ack(response_action="update", view=deps.renderer.render(template, outcome=outcome))


async def submit_sao(ack: AsyncAck, view: dict[str, Any], deps: Deps) -> None:
    outcome = forms.check_sao_form(form_values(view), deps.clock().date())
    await checked(ack, deps, outcome, "stages/sao_result.json.j2")


async def submit_name(ack: AsyncAck, view: dict[str, Any], deps: Deps) -> None:
    form = form_values(view)
    if not form.get(forms.NAME_KIND):  # the select is always set; the metadata is a fallback
        form[forms.NAME_KIND] = view.get("private_metadata") or None
    await checked(ack, deps, forms.build_name_form(form), "stages/name_result.json.j2")


async def submit_type(ack: AsyncAck, view: dict[str, Any], deps: Deps) -> None:
    await checked(ack, deps, forms.check_type_form(form_values(view)), "stages/type_result.json.j2")


def register(app: AsyncApp, deps: Deps, router: CommandRouter) -> None:
    deps.state[RENDERED] = Rendered(RENDERED_ANSWERS)
    router.add(
        Subcommand(
            "stage",
            "/gtm stage [STAGE | FROM -> TO | OPPORTUNITY]",
            "Opportunity stages, moves between them, and where an opportunity stands",
            answer=stage,
            aliases=("stages",),
        )
    )
    router.add(
        Subcommand(
            "sao", "/gtm sao", "Check the Sales Accepted Opportunity criteria (a checklist)", lazy=open_sao
        )
    )
    router.add(
        Subcommand("name", "/gtm name", "Build an opportunity name by the naming convention", lazy=open_name)
    )
    router.add(
        Subcommand(
            "type", "/gtm type", "An opportunity's type, add-on parent rules and Upside IACV", lazy=open_type
        )
    )
    app.action("stages.name_kind")(ack=just_ack, lazy=[switch_name_kind])
    app.view("stages.sao")(submit_sao)
    app.view("stages.name")(submit_name)
    app.view("stages.type")(submit_type)
