"""The application factory: settings in, the archive built by `archive.bootstrap`, a Litestar app out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide

from api.auth import provide_principal
from api.controllers.audit import AuditController, CitationsController, DiffController
from api.controllers.entities import EntitiesController
from api.controllers.evidence import EvidenceController
from api.controllers.facts import FactsController
from api.controllers.findings import FindingsController
from api.controllers.health import HealthController
from api.controllers.log import LogController
from api.controllers.proposals import ProposalsController
from api.controllers.redaction import RedactionController
from api.controllers.roles import RolesController, TimelineController
from api.controllers.sources import SourcesController
from api.deps import provide_archive, provide_queries, provide_settings
from api.errors import EXCEPTION_HANDLERS
from api.etags import ConditionalRequest, tag_versioned_answer
from api.middleware import AllowHeaderMiddleware, RequestIdMiddleware
from api.openapi import ClosedStructs, docs_assets, document_enforcement, openapi_config
from api.query import refuse_unknown_query_parameters
from api.replica import ReadRouting, ReadYourWritesMiddleware
from api.web import template_config, web_csrf_config, web_route_handlers
from archive.bootstrap import build, build_replica_reads
from archive.domain.vocabulary import ENTITY_KINDS
from archive.logging import configure_logging
from archive.settings import Settings


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the API for `settings` (read from the environment when omitted)."""
    settings = settings or Settings.from_env()
    configure_logging(settings)
    engine, _, commands, reads = build(settings)
    replica_reads = build_replica_reads(settings, reads)
    state = State(
        {
            "settings": settings,
            "engine": engine,  # the auth guards look tokens up through it
            "queries": reads,
            "archive": commands,
            # Which database answers each read: the primary, or the replica when one is configured.
            "read_routing": ReadRouting(reads, replica_reads, settings.read_wait_ms),
        }
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await commands.findings.close()
            await engine.dispose()
            if replica_reads is not None:
                await replica_reads.engine.dispose()

    # The names a request may take from the vocabulary, listed by the OpenAPI document.
    vocabularies = {"predicate": reads.predicates, "kind": ENTITY_KINDS}
    app = Litestar(
        route_handlers=[
            HealthController,
            SourcesController,
            EntitiesController,
            FactsController,
            FindingsController,
            ProposalsController,
            EvidenceController,
            RolesController,
            TimelineController,
            CitationsController,
            DiffController,
            AuditController,
            LogController,
            RedactionController,
            *web_route_handlers(),
            docs_assets(),
        ],
        dependencies={
            "settings": Provide(provide_settings, sync_to_thread=False),
            "queries": Provide(provide_queries),
            "archive": Provide(provide_archive, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[RequestIdMiddleware, AllowHeaderMiddleware, ReadYourWritesMiddleware()],
        lifespan=[lifespan],
        state=state,
        openapi_config=openapi_config(),
        plugins=[ClosedStructs(vocabularies)],
        template_config=template_config(),
        csrf_config=web_csrf_config(settings.csrf_secret),
        request_max_body_size=settings.max_body_bytes,
        request_class=ConditionalRequest,
        before_request=refuse_unknown_query_parameters,
        after_request=tag_versioned_answer,
        debug=False,
    )
    document_enforcement(app, settings, vocabularies)
    return app
