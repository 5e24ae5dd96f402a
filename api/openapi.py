"""The OpenAPI document says what the server enforces, and its UI works without the internet.

- Access: each operation behind a role carries a bearer security requirement per role that may call it
  (OpenAPI 3.1 lets a requirement list role names) and says so in its description; reads carry one only
  when the settings require a token for them.
- Bodies: a Struct that refuses unknown fields is `additionalProperties: false`; a field or a query
  parameter that takes a name from the vocabulary (a predicate, an entity kind) lists them as `enum`;
  partial dates have their pattern, and `as_of` is a date-time.
- Versions: a write whose body takes `expected_version` documents `If-Match` and its 412; an answer
  showing one versioned resource documents its `ETag` (`api.etags`).
- The UI at /schema is Swagger UI, its script and stylesheet served from the pinned `swagger-ui-py`
  package under /schema/assets, not from a CDN.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin, get_type_hints

import msgspec
from litestar import Litestar, Response, Router
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import (
    Components,
    OpenAPIHeader,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Schema,
    SecurityScheme,
)
from litestar.plugins import OpenAPISchemaPlugin
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from litestar.typing import FieldDefinition

from api.auth import RoleGuard, reads_guard
from api.requests import PARTIAL_DATE
from archive.reads import EntityView, FactView, SourceView
from archive.settings import Settings

#: Where the documentation's own script and stylesheet are served.
DOCS_ASSETS_PATH = "/schema/assets"
SWAGGER_UI_ASSETS = Path(str(files("swagger_ui") / "static"))
#: The one security scheme: `Authorization: Bearer arc_...` (see `archive token create`).
BEARER = "bearer"
#: An entity tag as `If-Match` takes it: one strong tag holding a version (`api.etags`).
ETAG_PATTERN = r'^"(0|[1-9][0-9]{0,17})"$'
#: The key of `msgspec.Meta(extra=...)` naming the vocabulary a text field's values come from.
VOCABULARY = "vocabulary"
#: Query parameters that mean the same everywhere (`api.params`), with the form the server reads.
SHARED_PARAMETERS: Mapping[str, Mapping[str, Any]] = {
    "as_of": {"format": "date-time"},
    "valid_at": {"pattern": PARTIAL_DATE},
}


def docs_assets() -> Router:
    """The Swagger UI files of the pinned package, served by the app itself."""
    return create_static_files_router(
        path=DOCS_ASSETS_PATH, directories=[SWAGGER_UI_ASSETS], name="docs_assets", include_in_schema=False
    )


def openapi_config() -> OpenAPIConfig:
    """The document's metadata, the bearer scheme, and Swagger UI at /schema (and /schema/swagger)."""
    swagger = SwaggerRenderPlugin(
        path=["/", "/swagger"],
        js_url=f"{DOCS_ASSETS_PATH}/swagger-ui-bundle.js",
        css_url=f"{DOCS_ASSETS_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{DOCS_ASSETS_PATH}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{DOCS_ASSETS_PATH}/favicon-32x32.png'>",
    )
    return OpenAPIConfig(
        title="Archive",
        version="0.1.0",
        description="Source-cited assertions with bitemporal history and an audit trail.",
        path="/schema",
        render_plugins=[swagger],
        components=Components(
            security_schemes={
                BEARER: SecurityScheme(
                    type="http",
                    scheme="bearer",
                    bearer_format="arc_ token",
                    description=(
                        "A token made by `archive tokens create --role ROLE --name NAME`: archivist, "
                        "auditor or admin (admin may do everything). A requirement's list names the "
                        "role it needs."
                    ),
                )
            },
        ),
    )


#: What `msgspec.Meta(extra_json_schema=...)` may state that Litestar's Struct schemas leave out.
_JSON_SCHEMA_HINTS = ("pattern", "format")


def _metas(annotation: Any) -> list[msgspec.Meta]:
    """Every `msgspec.Meta` of a field's annotation, looking through optionals and unions."""
    found = []
    if get_origin(annotation) is Annotated:
        found += [meta for meta in annotation.__metadata__ if isinstance(meta, msgspec.Meta)]
    for member in get_args(annotation):
        found += _metas(member)
    return found


class ClosedStructs(OpenAPISchemaPlugin):
    """Request Structs as the server reads them: closed to unknown fields, vocabulary fields as enums,
    and the `pattern` or `format` a field's `Meta(extra_json_schema=...)` states.

    The schema itself is the one Litestar's own Struct plugin builds; this adds what it leaves out.
    """

    def __init__(self, vocabularies: Mapping[str, Sequence[str]]) -> None:
        self.vocabularies = vocabularies

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        """Structs declared with `forbid_unknown_fields=True`."""
        return (
            not field_definition.is_union
            and field_definition.is_subclass_of(msgspec.Struct)
            and field_definition.type_.__struct_config__.forbid_unknown_fields
        )

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: Any) -> Schema:
        """The Struct's schema, with `additionalProperties: false` and the vocabularies' names."""
        builder = next(
            plugin
            for plugin in schema_creator.plugins
            if plugin is not self and schema_creator.plugin_supports_field(plugin, field_definition)
        )
        schema: Schema = builder.to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        hints = get_type_hints(field_definition.type_, include_extras=True)
        for field in msgspec.structs.fields(field_definition.type_):
            target = (schema.properties or {}).get(field.encode_name)
            if not isinstance(target, Schema):
                continue
            for meta in _metas(hints[field.name]):
                for key in _JSON_SCHEMA_HINTS:
                    if meta.extra_json_schema and key in meta.extra_json_schema:
                        setattr(target, key, meta.extra_json_schema[key])
                vocabulary = (meta.extra or {}).get(VOCABULARY)
                if isinstance(vocabulary, str) and vocabulary in self.vocabularies:
                    target.enum = list(self.vocabularies[vocabulary])
        return schema


@dataclasses.dataclass(frozen=True)
class Enforcement:
    """What the server enforces for one operation, as found on its handler."""

    roles: tuple[str, ...] = ()
    token_required: bool = False
    takes_if_match: bool = False
    answers_one_version: bool = False
    #: Schema keywords for query parameters, by name: the vocabularies' enums and `SHARED_PARAMETERS`.
    parameter_hints: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class EnforcedOperation(Operation):
    """An operation that documents its `Enforcement` (each handler gets a subclass holding its own)."""

    enforcement: ClassVar[Enforcement] = Enforcement()

    def __post_init__(self) -> None:
        rules = self.enforcement
        if rules.roles:
            roles = tuple(dict.fromkeys((*rules.roles, "admin")))
            self.security = [{BEARER: [role]} for role in roles]
            self._describe(
                f"Needs a bearer token of the {' or '.join(rules.roles)} role (admin may too): 401 without "
                "a live token, 403 with another role."
            )
        elif rules.token_required:
            self.security = [{BEARER: []}]
            self._describe("Needs a bearer token of any role: this server requires one for reads.")
        for parameter in self.parameters or []:
            if isinstance(parameter, Parameter) and parameter.param_in == "query":
                hints = rules.parameter_hints.get(parameter.name, {})
                if isinstance(parameter.schema, Schema):
                    for keyword, value in hints.items():
                        setattr(parameter.schema, keyword, value)
        if rules.takes_if_match:
            self.parameters = [*(self.parameters or []), _IF_MATCH]
            self._describe(
                "`If-Match` may name the version instead of (or as well as) `expected_version`: a stale one "
                "is then 412 Precondition Failed, not 409; one that disagrees with the body's is a 400."
            )
        if rules.answers_one_version:
            for status, response in (self.responses or {}).items():
                if status.startswith("2") and isinstance(response, OpenAPIResponse):
                    response.headers = {**(response.headers or {}), "ETag": _ETAG}

    def _describe(self, sentence: str) -> None:
        self.description = f"{self.description}\n\n{sentence}" if self.description else sentence


_IF_MATCH = Parameter(
    name="If-Match",
    param_in="header",
    required=False,
    schema=Schema(type=OpenAPIType.STRING, pattern=ETAG_PATTERN),
    description='The ETag of the version the write was decided against, e.g. "3": the expected_version.',
)
_ETAG = OpenAPIHeader(
    schema=Schema(type=OpenAPIType.STRING, pattern=ETAG_PATTERN),
    description='The version shown, as an entity tag ("3"): send it back as If-Match to change this version.',
)
_VERSIONED = (FactView, SourceView, EntityView)


def _shows_one_version(annotation: Any) -> bool:
    """Whether an answer of this type shows one versioned resource (see `api.etags.version_of`)."""
    if get_origin(annotation) is Response:
        return _shows_one_version(get_args(annotation)[0])
    if get_origin(annotation) is Union or type(annotation).__name__ == "UnionType":
        return all(_shows_one_version(member) for member in get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, _VERSIONED):
        return True
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return get_type_hints(annotation).get("source") is SourceView
    return False


def _enforcement(
    handler: HTTPRouteHandler, settings: Settings, parameter_hints: Mapping[str, Mapping[str, Any]]
) -> Enforcement:
    guards = handler.resolve_guards()
    roles = tuple(role for guard in guards if isinstance(guard, RoleGuard) for role in guard.roles)
    data = handler.parsed_fn_signature.parameters.get("data")
    body_fields = getattr(data.annotation, "__struct_fields__", ()) if data is not None else ()
    return Enforcement(
        roles=roles,
        token_required=reads_guard in guards and settings.require_token_for_reads,
        takes_if_match="expected_version" in body_fields,
        answers_one_version=_shows_one_version(handler.parsed_fn_signature.return_type.annotation),
        parameter_hints=parameter_hints,
    )


def document_enforcement(
    app: Litestar, settings: Settings, vocabularies: Mapping[str, Sequence[str]]
) -> None:
    """Give each documented operation of `app` what its handler enforces; a query parameter named for a
    vocabulary (`predicate`, `kind`) lists its names.

    Litestar builds the document on first use from each handler's `operation_class`; the handlers here
    are this app's own copies, so one app's settings never reach another's document.
    """
    parameter_hints = {**SHARED_PARAMETERS, **{name: {"enum": list(v)} for name, v in vocabularies.items()}}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if handler.resolve_include_in_schema():
                rules = _enforcement(handler, settings, parameter_hints)
                handler.operation_class = type(
                    "EnforcedOperation", (EnforcedOperation,), {"enforcement": rules}
                )
