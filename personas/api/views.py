"""REST API for panels and personas (/api/v1/panels/…, /api/v1/personas/…).

Reads see the organization's own panels and those shared with it; every write (update, delete,
share, unshare) looks the panel up among the organization's *own* panels, so a shared panel
answers 404 to edits. Copying works on shared panels too: that is what sharing is for.
"""

from __future__ import annotations

from django.db.models import Count
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from personas import selectors, summaries
from personas.api.serializers import (
    BoardCreateSerializer,
    HistoryFilterSerializer,
    HistoryItemSerializer,
    PanelCopySerializer,
    PanelDetailSerializer,
    PanelSerializer,
    PanelShareRequestSerializer,
    PersonaDetailSerializer,
    PersonaFilterSerializer,
    PersonaSerializer,
    PersonaSummaryRequestSerializer,
    PopulationCreateSerializer,
    PopulationJobSerializer,
)
from personas.builders.boards import BoardMember
from personas.models import Panel, Persona
from personas.services import panels as services
from personas.services import population_jobs, synthetic
from simnet.api.idempotency import idempotent
from simnet.api.mixins import NotFoundBeforeMethodNotAllowedMixin
from simnet.api.schema import error_responses
from simnet.tenancy.actors import request_actor
from simnet.tenancy.audit import client_ip
from simnet.tenancy.mixins import OrganizationScopedMixin

READ_ACTIONS = ("list", "retrieve", "copy")
SUMMARY_ACTIONS = ("summary", "summary_clear")  # edits: only the organization's own personas


@extend_schema_view(
    list=extend_schema(summary="Panels you own and panels shared with you"),
    retrieve=extend_schema(summary="A panel", responses={200: PanelDetailSerializer, **error_responses(404)}),
    create=extend_schema(
        summary="Create an empty custom panel", responses={201: PanelSerializer, **error_responses(400, 403)}
    ),
    update=extend_schema(
        summary="Rename or describe a panel you own",
        responses={200: PanelSerializer, **error_responses(400, 403, 404)},
    ),
    partial_update=extend_schema(
        summary="Rename or describe a panel you own",
        responses={200: PanelSerializer, **error_responses(400, 403, 404)},
    ),
    destroy=extend_schema(
        summary="Delete a panel you own", responses={204: None, **error_responses(403, 404, 409)}
    ),
)
class PanelViewSet(NotFoundBeforeMethodNotAllowedMixin, OrganizationScopedMixin, viewsets.ModelViewSet):
    """Named sets of personas with a follow graph. Any role reads; members create, edit and
    copy; admins share. Panels shared with you are read-only: copy them to change them."""

    queryset = Panel.objects.all()
    serializer_class = PanelSerializer
    parser_classes = (JSONParser,)

    def get_queryset(self):
        if self.action in READ_ACTIONS:
            return selectors.panel_list(organization=self.organization)
        return (
            Panel.objects.for_org(self.organization)
            .select_related("organization")
            .annotate(member_count=Count("memberships", distinct=True))
        )

    def get_serializer_class(self):
        return PanelDetailSerializer if self.action == "retrieve" else PanelSerializer

    def _panel_response(self, panel: Panel, code: int = status.HTTP_200_OK) -> Response:
        panel = selectors.panel_list(organization=self.organization).get(pk=panel.pk)
        return Response(PanelSerializer(panel, context=self.get_serializer_context()).data, status=code)

    @idempotent
    def create(self, request, *args, **kwargs):
        data = self._valid(PanelSerializer, request.data)
        panel = services.panel_create(
            organization=self.organization,
            actor=request_actor(request),
            name=data["name"],
            description=data.get("description", ""),
        )
        return self._panel_response(panel, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        panel = self.get_object()
        data = self._valid(PanelSerializer, request.data, partial=kwargs.get("partial", False))
        panel = services.panel_update(
            panel=panel,
            organization=self.organization,
            actor=request_actor(request),
            name=data.get("name"),
            description=data.get("description"),
        )
        return self._panel_response(panel)

    def destroy(self, request, *args, **kwargs):
        services.panel_delete(
            panel=self.get_object(), organization=self.organization, actor=request_actor(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _valid(self, serializer_class, data, partial: bool = False) -> dict:
        serializer = serializer_class(data=data, partial=partial, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    @extend_schema(
        summary="Copy a panel (yours or shared with you) into your organization",
        request=PanelCopySerializer,
        responses={201: PanelSerializer, **error_responses(403, 404)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def copy(self, request, pk=None):
        panel = self.get_object()
        data = self._valid(PanelCopySerializer, request.data)
        copy = services.panel_copy(
            panel=panel,
            organization=self.organization,
            actor=request_actor(request),
            name=data["name"],
        )
        return self._panel_response(copy, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Share a panel you own with another organization (read-only for them; admins)",
        request=PanelShareRequestSerializer,
        responses={200: PanelDetailSerializer, **error_responses(400, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def share(self, request, pk=None):
        return self._sharing(request, services.panel_share)

    @extend_schema(
        summary="Stop sharing a panel with an organization (admins)",
        request=PanelShareRequestSerializer,
        responses={200: PanelDetailSerializer, **error_responses(400, 403, 404)},
    )
    @action(detail=True, methods=["post"])
    def unshare(self, request, pk=None):
        return self._sharing(request, services.panel_unshare)

    def _sharing(self, request, service) -> Response:
        panel = self.get_object()
        data = self._valid(PanelShareRequestSerializer, request.data)
        service(
            panel=panel,
            organization=self.organization,
            actor=request_actor(request),
            ip=client_ip(request),
            organization_slug=data["organization"],
        )
        panel = selectors.panel_list(organization=self.organization).get(pk=panel.pk)
        return Response(PanelDetailSerializer(panel, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Sample a population panel from survey data, with quotas (a background job)",
        description="Checks the arguments, then samples in the background: poll the job's ``url`` for "
        "``done`` of ``total`` until ``status`` is completed (``panel`` is the new panel) or failed "
        "(``message``; nothing was saved).",
        request=PopulationCreateSerializer,
        responses={202: PopulationJobSerializer, **error_responses(400, 403)},
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def population(self, request):
        data = self._valid(PopulationCreateSerializer, request.data)
        job = population_jobs.population_job_start(
            organization=self.organization, actor=request_actor(request), **data
        )
        return Response(PopulationJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="A population sampling job: where it stands, and its panel once completed",
        responses={200: PopulationJobSerializer, **error_responses(404)},
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"population/jobs/(?P<job_id>[0-9]+)",
        url_name="population-job",
    )
    def population_job(self, request, job_id: str):
        job = selectors.population_job_get(organization=self.organization, job_id=int(job_id))
        return Response(PopulationJobSerializer(job).data)

    def http_method_not_allowed(self, request, *args, **kwargs):
        # A job's URL names its id, not the panel's: look the job up first, so another
        # organization's id answers 404 for every method, as the panels' own URLs do.
        if "job_id" in kwargs:
            selectors.population_job_get(organization=self.organization, job_id=int(kwargs["job_id"]))
        return super().http_method_not_allowed(request, *args, **kwargs)

    @extend_schema(
        summary="Build a virtual board from members, pasted bios, or the default board",
        request=BoardCreateSerializer,
        responses={201: PanelSerializer, **error_responses(400, 403)},
    )
    @action(detail=False, methods=["post"])
    @idempotent
    def board(self, request):
        data = self._valid(BoardCreateSerializer, request.data)
        members = None
        if "members" in data:
            members = [
                BoardMember(
                    **{**m, "priorities": tuple(m["priorities"]), "objections": tuple(m["objections"])}
                )
                for m in data["members"]
            ]
        panel = synthetic.panel_create_board(
            organization=self.organization,
            actor=request_actor(request),
            name=data["name"],
            description=data["description"],
            members=members,
            bios=data["bios"],
        )
        return self._panel_response(panel, status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="Personas you can see (yours and those of panels shared with you)",
        parameters=[PersonaFilterSerializer],
        responses={200: PersonaSerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="A persona with its card and derived profile",
        responses={200: PersonaDetailSerializer, **error_responses(404)},
    ),
)
class PersonaViewSet(
    NotFoundBeforeMethodNotAllowedMixin,
    OrganizationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Simulated people: identity, traits, the card the model reads, an optional summary a
    hosted language model wrote from it and, for imported accounts, the real history they were
    built from. Members summarise their own personas; those of shared panels are read-only."""

    queryset = Persona.objects.all()
    serializer_class = PersonaSerializer
    parser_classes = (JSONParser,)

    def get_queryset(self):
        if self.action in SUMMARY_ACTIONS:
            return Persona.objects.for_org(self.organization).select_related("source_account")
        if self.action != "list":
            return selectors.persona_list(organization=self.organization)
        query = PersonaFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return selectors.persona_list(
            organization=self.organization,
            panel_id=query.validated_data.get("panel"),
            origin=query.validated_data.get("origin", ""),
            search=query.validated_data.get("search", ""),
        )

    def get_serializer_class(self):
        return PersonaDetailSerializer if self.action == "retrieve" else PersonaSerializer

    @extend_schema(
        summary="The persona's real history, newest first (held-out items flagged)",
        parameters=[HistoryFilterSerializer],
        responses={200: HistoryItemSerializer(many=True), **error_responses(400, 404)},
    )
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        persona = self.get_object()
        query = HistoryFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        items = selectors.persona_history(persona=persona, kind=query.validated_data.get("kind", ""))
        page = self.paginate_queryset(items)
        return self.get_paginated_response(HistoryItemSerializer(page, many=True).data)

    def _detail(self, persona: Persona) -> Response:
        persona = selectors.persona_get(organization=self.organization, persona_id=persona.pk)
        return Response(PersonaDetailSerializer(persona, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Have a hosted language model summarise a persona you own, from its card",
        description="Two or three sentences in the third person: who the person is, what they care about "
        "and how they write. Runs started afterwards read it as an “In short:” line before the card; the "
        "card itself is unchanged. The call is paid from this month's budget (402 when it could exceed "
        "what is left); nothing is stored when the provider fails (502) or is out of quota (402).",
        request=PersonaSummaryRequestSerializer,
        responses={200: PersonaDetailSerializer, **error_responses(400, 402, 403, 404, 502)},
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def summary(self, request, pk=None):
        persona = self.get_object()
        arguments = PersonaSummaryRequestSerializer(data=request.data, context=self.get_serializer_context())
        arguments.is_valid(raise_exception=True)
        persona = summaries.persona_summarize(
            organization=self.organization,
            actor=request_actor(request),
            persona=persona,
            config=arguments.validated_data["provider"],
            ip=client_ip(request),
        )
        return self._detail(persona)

    @extend_schema(
        summary="Remove the summary of a persona you own (runs then read the card alone)",
        request=None,
        responses={200: PersonaDetailSerializer, **error_responses(403, 404)},
    )
    @summary.mapping.delete
    def summary_clear(self, request, pk=None):
        persona = summaries.persona_summary_clear(
            organization=self.organization,
            actor=request_actor(request),
            persona=self.get_object(),
            ip=client_ip(request),
        )
        return self._detail(persona)
