"""Runs API (/api/v1/runs/…): start (with the estimate), status, steering, and a run's rows.

Starting work (runs, forks, re-runs, injected posts, interviews) honours ``Idempotency-Key``.
A run's actions and posts page with a cursor over their id (stable while the run writes
more); its events page by sequence number, the contract of the websocket and of the SSE
stream at ``runs/<id>/events/stream/``. Any role reads and interviews; members steer.
"""

from __future__ import annotations

from functools import cached_property

from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from simnet.api.idempotency import idempotent
from simnet.api.pagination import IdCursorPagination
from simnet.api.schema import IDEMPOTENCY_KEY_PARAMETER, error_responses
from simnet.api.viewsets import ScopedJsonViewSet
from simnet.tenancy import roles
from simnet.tenancy.access import get_for_org
from simnet.tenancy.actors import request_actor
from simnet.tenancy.audit import client_ip
from simnet.tenancy.errors import ApplicationError
from simnet.tenancy.mixins import OrganizationScopedMixin
from simulations.models import Run, RunAction, RunEvent, RunPost
from simulations.runs import services, worlds
from simulations.runs.events import events_after
from simulations.runs.serializers import (
    ActionFilterSerializer,
    EventFilterSerializer,
    ForkedRunSerializer,
    InjectedSerializer,
    InterviewRequestSerializer,
    InterviewSerializer,
    PostFilterSerializer,
    RunActionSerializer,
    RunDetailSerializer,
    RunEventSerializer,
    RunFilterSerializer,
    RunForkSerializer,
    RunInjectSerializer,
    RunPostSerializer,
    RunRerunSerializer,
    RunSerializer,
    RunsStartedSerializer,
    RunStartSerializer,
)

READ_ACTIONS = ("interview",)  # any role may interview a persona, as in the run room


def _steering(summary: str, *, request=None, created=RunSerializer, code: int = 200, errors=(404, 409)):
    """``extend_schema`` of a run action."""
    return extend_schema(
        summary=summary,
        request=request,
        parameters=[IDEMPOTENCY_KEY_PARAMETER] if code == 201 else None,
        responses={code: created, **error_responses(*errors)},
    )


@extend_schema_view(
    list=extend_schema(
        summary="List runs, newest first",
        parameters=[RunFilterSerializer],
        responses={200: RunSerializer(many=True), **error_responses(400)},
    ),
    retrieve=extend_schema(
        summary="Get a run: status, progress, usage, budget, estimate, reproducibility record, quality gate",
        responses={200: RunDetailSerializer, **error_responses(404)},
    ),
)
class RunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedJsonViewSet):
    """Runs: one execution of a scenario with one seed, taken one step at a time by workers.
    Any role reads and interviews personas; members and above start and steer runs."""

    queryset = Run.objects.all()
    serializer_class = RunSerializer

    @property
    def write_role(self) -> str:
        return roles.READ if self.action in READ_ACTIONS else roles.WRITE

    def get_serializer_class(self):
        return RunDetailSerializer if self.action == "retrieve" else super().get_serializer_class()

    def scoped_queryset(self, queryset):
        runs = queryset.select_related("scenario")
        if self.action != "list":
            return runs
        query = RunFilterSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return runs.filter(**query.validated_data)

    @extend_schema(
        summary="Start runs of a scenario (queued): one per seed; answers with the runs and the estimate",
        request=RunStartSerializer,
        parameters=[IDEMPOTENCY_KEY_PARAMETER],
        responses={201: RunsStartedSerializer, **error_responses(400, 402, 404, 409, 422)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        arguments = RunStartSerializer(data=request.data, context=self.get_serializer_context())
        arguments.is_valid(raise_exception=True)
        data = arguments.validated_data
        runs = services.run_start(
            organization=self.organization,
            actor=request_actor(request),
            scenario=data["scenario"],
            seeds=data.get("seeds"),
            replicates=data["replicates"],
            ip=client_ip(request),
        )
        body = RunsStartedSerializer({"runs": runs, "estimate": runs[0].estimate}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @_steering("Pause: at once when queued, else after the current step")
    @action(detail=True, methods=["post"])
    def pause(self, request, *args, **kwargs):
        run = services.run_pause(run=self.get_object(), actor=request_actor(request))
        return Response(RunSerializer(run).data)

    @_steering("Resume a paused run (or withdraw a pause not yet taken)")
    @action(detail=True, methods=["post"])
    def resume(self, request, *args, **kwargs):
        run = services.run_resume(run=self.get_object(), actor=request_actor(request))
        return Response(RunSerializer(run).data)

    @_steering("Cancel a run; what ran so far stays")
    @action(detail=True, methods=["post"])
    def cancel(self, request, *args, **kwargs):
        run = services.run_cancel(run=self.get_object(), actor=request_actor(request), ip=client_ip(request))
        return Response(RunSerializer(run).data)

    @_steering(
        "Fork: a new run continuing from the world before a step, with an edited stimulus or provider",
        request=RunForkSerializer,
        created=ForkedRunSerializer,
        code=201,
        errors=(400, 404, 409, 422),
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def fork(self, request, *args, **kwargs):
        run = self.get_object()
        arguments = RunForkSerializer(data=request.data, context=self.get_serializer_context())
        arguments.is_valid(raise_exception=True)
        fork = services.run_fork(run=run, actor=request_actor(request), **arguments.validated_data)
        body = {**RunSerializer(fork).data, "warnings": services.fork_warnings(fork)}
        return Response(body, status=status.HTTP_201_CREATED)

    @_steering(
        "Run the same scenario again with another seed",
        request=RunRerunSerializer,
        code=201,
        errors=(400, 402, 404, 409, 422),
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def rerun(self, request, *args, **kwargs):
        run = self.get_object()
        arguments = RunRerunSerializer(data=request.data)
        arguments.is_valid(raise_exception=True)
        new_run = services.run_rerun(
            run=run, actor=request_actor(request), seed=arguments.validated_data.get("seed")
        )
        return Response(RunSerializer(new_run).data, status=status.HTTP_201_CREATED)

    @_steering(
        "Inject a post live: it enters feeds at the next step",
        request=RunInjectSerializer,
        created=InjectedSerializer,
        code=201,
        errors=(400, 404, 409, 422),
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def inject(self, request, *args, **kwargs):
        run = self.get_object()
        arguments = RunInjectSerializer(data=request.data)
        arguments.is_valid(raise_exception=True)
        stimulus = services.run_inject(run=run, actor=request_actor(request), **arguments.validated_data)
        return Response(InjectedSerializer(stimulus).data, status=status.HTTP_201_CREATED)

    @_steering(
        "Interview a persona about the run (by agent_key or handle); the run is not changed",
        request=InterviewRequestSerializer,
        created=InterviewSerializer,
        code=201,
        errors=(400, 404, 409, 422),
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def interview(self, request, *args, **kwargs):
        run = self.get_object()
        arguments = InterviewRequestSerializer(data=request.data)
        arguments.is_valid(raise_exception=True)
        data = arguments.validated_data
        agent_key = data.get("agent_key") or _agent_key_for(run, data["handle"])
        interview = services.run_interview(
            run=run, actor=request_actor(request), agent_key=agent_key, question=data["question"]
        )
        return Response(InterviewSerializer(interview).data, status=status.HTTP_201_CREATED)


def _agent_key_for(run: Run, handle: str) -> str:
    wanted = handle.strip().lstrip("@").lower()
    for persona in worlds.run_personas(run):
        if str(persona.get("handle", "")).lower() == wanted:
            return str(persona["id"])
    raise ApplicationError("That persona is not in this run.", code="not_found", status=404)


class RunChildViewSet(OrganizationScopedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    # Rows of one run (``runs/<run_id>/…``): the run is looked up first, in the caller's
    # organization, so another organization's run is a 404 whatever the method. Subclasses'
    # docstrings are their OpenAPI descriptions.

    parser_classes = (JSONParser,)
    filter_serializer_class: type | None = None

    @cached_property
    def run(self) -> Run:
        try:
            run_id = int(self.kwargs["run_id"])
        except ValueError:
            raise Http404 from None
        return get_for_org(Run.objects.only("id", "organization_id"), self.organization, pk=run_id)

    def http_method_not_allowed(self, request, *args, **kwargs):
        self.run  # noqa: B018  (404 before 405)
        return super().http_method_not_allowed(request, *args, **kwargs)

    def get_queryset(self):
        queryset = self.queryset.model.objects.filter(run=self.run)
        if self.filter_serializer_class is None:
            return queryset
        query = self.filter_serializer_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        filters = {name: value for name, value in query.validated_data.items() if value is not None}
        return queryset.filter(**filters)


@extend_schema_view(
    list=extend_schema(
        summary="A run's actions, oldest first (cursor pagination)",
        parameters=[ActionFilterSerializer],
        responses={200: RunActionSerializer(many=True), **error_responses(400, 404)},
    )
)
class RunActionViewSet(RunChildViewSet):
    """Every persona's decision in every step: post, reply, quote, repost, like, follow, mute,
    report or ignore, with its text, reason, outcome and cost."""

    queryset = RunAction.objects.all()
    serializer_class = RunActionSerializer
    pagination_class = IdCursorPagination
    filter_serializer_class = ActionFilterSerializer


@extend_schema_view(
    list=extend_schema(
        summary="A run's posts with their counters, oldest first (cursor pagination)",
        parameters=[PostFilterSerializer],
        responses={200: RunPostSerializer(many=True), **error_responses(400, 404)},
    )
)
class RunPostViewSet(RunChildViewSet):
    """Posts as they stand in the run's world, with their counters (likes, reposts, replies...)."""

    queryset = RunPost.objects.all()
    serializer_class = RunPostSerializer
    pagination_class = IdCursorPagination
    filter_serializer_class = PostFilterSerializer


@extend_schema_view(
    list=extend_schema(
        summary="A run's events after ?after=<seq>, in order (resume from the last seq you saw)",
        parameters=[EventFilterSerializer],
        responses={200: RunEventSerializer(many=True), **error_responses(400, 404)},
    )
)
class RunEventViewSet(RunChildViewSet):
    """The run's event log (the websocket and SSE contract): ``seq`` is gap-free per run, so a
    client asks for the events after the last ``seq`` it saw and misses nothing."""

    queryset = RunEvent.objects.all()
    serializer_class = RunEventSerializer
    pagination_class = None

    def list(self, request, *args, **kwargs):
        query = EventFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        events = events_after(self.run, query.validated_data["after"], limit=query.validated_data["limit"])
        return Response(RunEventSerializer(events, many=True).data)
