"""Message template routes under /api/v1/templates: what each purpose says per channel, the variables
it may use, and a preview against an incident or the sample (also of text not yet saved).
The config tree's `templates:` section is where templates change; these routes only read and render."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from firebell.api.deps import DB, CurrentActor, Now
from firebell.api.problems import problem, problem_responses
from firebell.messages import templates

router = APIRouter(prefix="/api/v1/templates", tags=["templates"], responses=problem_responses(401, 404, 422))
TemplateText = Annotated[str, Field(max_length=20_000)]


class PartOut(BaseModel):
    part: str = Field(description="subject, text, html, title or body")
    source: str = Field(description="built-in, organisation or service NAME: where the text comes from")
    text: str
    services: list[str] = Field(description="services with their own override of this part")


class ChannelOut(BaseModel):
    channel: str
    parts: list[PartOut]


class TemplateOut(BaseModel):
    name: str = Field(description="the purpose, e.g. escalation")
    title: str
    wording: str = Field(description="where the built-in's words come from")
    channels: list[ChannelOut]


class VariableOut(BaseModel):
    name: str = Field(description="as written in a template, e.g. incident.ref")
    meaning: str


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: str | None = Field(default=None, description="default: the purpose's first channel")
    incident: str | None = Field(default=None, max_length=100,
                                 description="render against this incident (INC-3); default: a made-up P1")
    service: str | None = Field(default=None, max_length=100,
                                description="as for an incident of this service (its overrides win)")
    parts: dict[str, TemplateText] = Field(default_factory=dict,
                                           description="template text not yet saved, by part: it wins")


class FallbackOut(BaseModel):
    part: str
    message: str


class PreviewOut(BaseModel):
    name: str
    channel: str
    incident: str = Field(description="the incident's reference, or `sample`")
    parts: dict[str, str] = Field(description="the rendered text of each part")
    sources: dict[str, str] = Field(description="per part: unsaved, service NAME, organisation or built-in")
    fell_back: list[FallbackOut] = Field(description="parts whose template failed while rendering: the "
                                                     "built-in's words were used, as a real message would")


def template_out(found: templates.PurposeTexts) -> TemplateOut:
    return TemplateOut(name=found.name, title=found.title, wording=found.wording, channels=[
        ChannelOut(channel=c.channel, parts=[PartOut(part=p.part, source=p.source, text=p.text,
                                                     services=list(p.services)) for p in c.parts])
        for c in found.channels])


@router.get("", response_model=list[TemplateOut], summary="Every message purpose, per channel and part, with "
                                                           "where its text comes from")
def list_templates(db: DB, actor: CurrentActor) -> list[TemplateOut]:
    with db.unit_of_work(write=False) as session:
        return [template_out(t) for t in templates.listing(session)]


@router.get("/{name}", response_model=TemplateOut, summary="The effective text of one purpose's parts")
def show(name: str, db: DB, actor: CurrentActor,
         service: Annotated[str | None, Query(max_length=100, description="as for this service")] = None
         ) -> TemplateOut:
    with db.unit_of_work(write=False) as session:
        return template_out(templates.effective(session, name, service))


@router.get("/{name}/variables", response_model=list[VariableOut], summary="The variables a purpose may use")
def variables(name: str, actor: CurrentActor) -> list[VariableOut]:
    return [VariableOut(name=n, meaning=m) for n, m in templates.variables_of(name)]


@router.post("/{name}/preview", response_model=PreviewOut,
             summary="Render a purpose against an incident or the sample, with unsaved text if given "
                     "(a 422's `errors` give each unsaved part's problems with their lines)")
def preview(name: str, body: PreviewIn, request: Request, db: DB, actor: CurrentActor, now: Now
            ) -> PreviewOut | JSONResponse:
    try:
        with db.unit_of_work(write=False) as session:
            shown = templates.preview(session, actor, name, channel=body.channel, now=now(),
                                      incident_ref=body.incident, service=body.service, unsaved=body.parts,
                                      public_url=request.app.state.channels.public_url)
    except templates.TemplateProblems as exc:
        return problem(422, exc.message, request, errors=[
            {"field": f"parts.{p.part}", "message": p.message, "line": p.line} for p in exc.problems])
    return PreviewOut(name=shown.purpose, channel=shown.channel, incident=shown.incident, parts=shown.parts,
                      sources=shown.sources,
                      fell_back=[FallbackOut(part=p.part, message=p.message) for p in shown.fell_back])
