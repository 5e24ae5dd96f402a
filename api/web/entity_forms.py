"""The archivist's entity forms: create an entity; revise its kind, label or aliases; merge it into another.

Every write goes through `Archive`, the same command handlers as POST /entities, /revisions and /merge,
with the same metadata (`api.commands.command_meta`). A refusal is shown on the form with what was typed
kept; a stale version shows the conflict and the entity as it is now, and writes nothing. A merge takes
two steps, as Wikidata's does: the archivist names the target, then confirms against both entities as
shown, so that both versions the merge checks are ones the archivist has seen.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from api.commands import command_meta, entity_changes_of
from api.web.archivist import ARCHIVIST, REASON_CODES, _form_dict, _message, _principal
from api.web.forms import FormError, entity_request, entity_revision_request, merge_request, text
from api.web.rendering import page
from archive.commands import Archive
from archive.domain.errors import DomainError, StaleVersion
from archive.domain.vocabulary import ENTITY_KINDS
from archive.eventstore import ConcurrencyError
from archive.reads import NotFound, Reads

#: Errors a form shows on itself rather than on an error page.
REFUSED = (FormError, DomainError, ConcurrencyError, NotFound)


def _entity_page(entity_id: str, done: str) -> Redirect:
    return Redirect(f"/ui/entities/{quote(entity_id, safe='')}?done={done}", status_code=303)


class EntityFormsController(Controller):
    """GET and POST /ui/entities/new; GET /ui/entities/{entity_id}/edit, POST its revisions and merge
    (archivist)."""

    path = "/entities"
    guards = ARCHIVIST

    @get("/new", name="web:entity-new")
    async def new_form(self, request: Request[Any, Any, Any]) -> Template:
        """The form for a new entity: id, kind, label, aliases (one a line) and why."""
        return page(request, "entity_new.html", form={}, error=None, kinds=ENTITY_KINDS)

    @post("/new", name="web:entity-create")
    async def create(
        self, request: Request[Any, Any, Any], archive: NamedDependency[Archive]
    ) -> Redirect | Template:
        """Create the entity through the archive's command handler, exactly as POST /entities does."""
        form = _form_dict(await request.form())
        try:
            data = entity_request(form)
            written = await archive.create_entity(
                entity_id=data.entity_id,
                kind=data.kind,
                label=data.label,
                aliases=data.aliases,
                meta=command_meta(request, _principal(request), data.reason),
            )
        except REFUSED as error:
            status = 409 if isinstance(error, DomainError) and error.code == "entity_exists" else 422
            return page(
                request,
                "entity_new.html",
                status_code=status,
                form=form,
                error=_message(error),
                kinds=ENTITY_KINDS,
            )
        return _entity_page(data.entity_id, "created" if written.events else "unchanged")

    @get("/{entity_id:str}/edit", name="web:entity-edit")
    async def edit_form(
        self, request: Request[Any, Any, Any], queries: NamedDependency[Reads], entity_id: FromPath[str]
    ) -> Template:
        """The entity as it stands, its history, and the revise and merge forms naming its version."""
        return await self._render(request, queries, entity_id)

    @post("/{entity_id:str}/revisions", name="web:entity-revise")
    async def revise(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        archive: NamedDependency[Archive],
        entity_id: FromPath[str],
    ) -> Redirect | Template:
        """Change kind, label or aliases with a reason code and a justification (as POST .../revisions)."""
        form = _form_dict(await request.form())
        try:
            data = entity_revision_request(form)
            await archive.revise_entity(
                entity_id=entity_id,
                changes=entity_changes_of(data.changes),
                reason_code=data.reason_code,
                justification=data.justification,
                meta=command_meta(request, _principal(request), data.justification),
                expected_version=data.expected_version,
            )
        except REFUSED as error:
            return await self._render(request, queries, entity_id, "revise", form, error)
        return _entity_page(entity_id, "revised")

    @post("/{entity_id:str}/merge", name="web:entity-merge")
    async def merge(
        self,
        request: Request[Any, Any, Any],
        queries: NamedDependency[Reads],
        archive: NamedDependency[Archive],
        entity_id: FromPath[str],
    ) -> Redirect | Template:
        """First step (no target version yet): both entities side by side, to confirm. Second: the merge."""
        form = _form_dict(await request.form())
        if text(form, "into_expected_version") is None:
            return await self._confirm(request, queries, entity_id, form)
        try:
            data = merge_request(form)
            await archive.merge_entity(
                entity_id=entity_id,
                into=data.into,
                justification=data.justification,
                meta=command_meta(request, _principal(request), data.justification),
                expected_version=data.expected_version,
                into_expected_version=data.into_expected_version,
            )
        except REFUSED as error:
            return await self._render(request, queries, entity_id, "merge", form, error)
        return _entity_page(data.into, "merged")

    async def _confirm(
        self, request: Request[Any, Any, Any], queries: Reads, entity_id: str, form: dict[str, str]
    ) -> Template:
        """The merge's second step: what each entity is now, and the versions the merge will check."""
        into = text(form, "into") or ""
        try:
            if not into:
                raise FormError("into: name the entity this one is the same as")
            target = await queries.entity(into)
            if target.redirected_from is not None:
                raise FormError(f"{into!r} was itself merged into {target.id!r}: merge into {target.id!r}")
        except (FormError, NotFound) as error:
            return await self._render(request, queries, entity_id, "merge", form, error)
        return page(
            request,
            "entity_merge.html",
            entity=await queries.entity(entity_id),
            target=target,
            form=form,
        )

    async def _render(
        self,
        request: Request[Any, Any, Any],
        queries: Reads,
        entity_id: str,
        action: str | None = None,
        form: dict[str, str] | None = None,
        error: Exception | None = None,
    ) -> Template:
        """The edit page; with a refusal, its message on the form that failed and what was typed kept."""
        history = await queries.entity_history(entity_id)
        entity = await queries.entity(entity_id)
        conflict = isinstance(error, StaleVersion | ConcurrencyError)
        since = getattr(error, "expected_version", None) if conflict else None
        status = 200 if error is None else 409 if conflict or _is_conflict(error) else 422
        return page(
            request,
            "entity_edit.html",
            status_code=status,
            entity=entity,
            history=history,
            action=action,
            form=form or {},
            error=None if error is None else _message(error),
            conflict=conflict,
            stale_since=since,
            kinds=ENTITY_KINDS,
            reason_codes=REASON_CODES,
        )


def _is_conflict(error: Exception) -> bool:
    return isinstance(error, DomainError) and error.code in ("already_merged", "entity_exists")
