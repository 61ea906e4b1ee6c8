"""Members and invitations API (/api/v1/members/, /api/v1/invitations/).

Any role lists members (as on the members page); admins and owners see invitations.
Changing who belongs to an organization — roles, removals, invitations — needs a
signed-in admin: an API token gets 403 ``use_signed_in_admin``. A leaked token must not
be able to invite its holder in or lock the owners out, and these services record a
person as the actor (the owner and self-demotion rules are about people).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.response import Response

from simnet.api.idempotency import idempotent
from simnet.api.mixins import NotFoundBeforeMethodNotAllowedMixin
from simnet.api.schema import error_responses
from simnet.tenancy import roles, selectors, services
from simnet.tenancy.audit import client_ip
from simnet.tenancy.errors import PermissionDeniedError
from simnet.tenancy.mixins import OrganizationScopedMixin
from simnet.tenancy.models import ApiToken, Invitation, Membership
from simnet.tenancy.permissions import IsOrganizationMember, request_role
from simnet.tenancy.roles import Role


def require_signed_in_person(request) -> None:
    """Membership changes are made by people, never by API tokens (see the module docstring)."""
    if isinstance(request.auth, ApiToken):
        raise PermissionDeniedError(
            "API tokens cannot manage members or invitations; use a signed-in admin.",
            code="use_signed_in_admin",
        )


class IsOrganizationManager(IsOrganizationMember):
    """Every method, reads included, needs admin or owner."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        role = request_role(request)
        if not roles.at_least(role, roles.MANAGE):
            self.message = f"Your role ({role}) cannot see invitations; it needs {roles.MANAGE} or above."
            return False
        return True


class MemberSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    role = serializers.ChoiceField(choices=Role.choices)

    class Meta:
        model = Membership
        fields = ("id", "email", "name", "role", "created_at")
        read_only_fields = ("id", "email", "name", "created_at")


class InvitationSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)
    email = serializers.EmailField(max_length=254)
    invited_by = serializers.SerializerMethodField()
    is_pending = serializers.BooleanField(read_only=True)

    class Meta:
        model = Invitation
        fields = (
            "id", "email", "role", "invited_by", "is_pending", "created_at", "expires_at", "accepted_at",
            "revoked_at",
        )  # fmt: skip
        read_only_fields = (
            "id",
            "invited_by",
            "is_pending",
            "created_at",
            "expires_at",
            "accepted_at",
            "revoked_at",
        )

    def get_invited_by(self, invitation: Invitation) -> str:
        return invitation.invited_by.email if invitation.invited_by_id else ""


@extend_schema_view(
    list=extend_schema(
        summary="List members, highest role first",
        responses={200: MemberSerializer(many=True)},
    ),
    retrieve=extend_schema(summary="Get a member", responses={200: MemberSerializer, **error_responses(404)}),
)
class MemberViewSet(
    NotFoundBeforeMethodNotAllowedMixin,
    OrganizationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The organization's people and their roles. Any role reads; signed-in admins change
    roles and remove members (API tokens get 403 `use_signed_in_admin`)."""

    queryset = Membership.objects.all()
    serializer_class = MemberSerializer
    parser_classes = (JSONParser,)
    write_role = roles.MANAGE

    def get_queryset(self):
        return selectors.membership_list(organization=self.organization)

    @extend_schema(
        summary="Change a member's role (signed-in admins; only owners grant or remove owner)",
        request=MemberSerializer,
        responses={200: MemberSerializer, **error_responses(400, 404)},
    )
    def partial_update(self, request, *args, **kwargs):
        membership = self.get_object()
        require_signed_in_person(request)
        arguments = self.get_serializer(membership, data=request.data, partial=True)
        arguments.is_valid(raise_exception=True)
        if "role" in arguments.validated_data:
            membership = services.membership_change_role(
                membership=membership,
                actor=request.user,
                role=arguments.validated_data["role"],
                ip=client_ip(request),
            )
        return Response(self.get_serializer(membership).data)

    @extend_schema(
        summary="Remove a member (signed-in admins; owners only by an owner)",
        responses={204: None, **error_responses(400, 404)},
    )
    def destroy(self, request, *args, **kwargs):
        membership = self.get_object()
        require_signed_in_person(request)
        services.membership_remove(membership=membership, actor=request.user, ip=client_ip(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(
        summary="List open invitations (admins)",
        responses={200: InvitationSerializer(many=True)},
    ),
    retrieve=extend_schema(
        summary="Get an invitation (admins)", responses={200: InvitationSerializer, **error_responses(404)}
    ),
)
class InvitationViewSet(
    NotFoundBeforeMethodNotAllowedMixin,
    OrganizationScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Email invitations. Admins and owners read; signed-in admins invite and revoke (API
    tokens get 403 `use_signed_in_admin`). The one-time link is only ever emailed."""

    queryset = Invitation.objects.all()
    serializer_class = InvitationSerializer
    permission_classes = (IsOrganizationManager,)
    parser_classes = (JSONParser,)
    write_role = roles.MANAGE

    def scoped_queryset(self, queryset):
        if self.action == "list":
            return selectors.invitation_open_list(organization=self.organization)
        return queryset.select_related("invited_by", "organization")

    @extend_schema(
        summary="Invite someone by email (signed-in admins); the one-time link goes by email only",
        responses={201: InvitationSerializer, **error_responses(400)},
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        require_signed_in_person(request)
        arguments = self.get_serializer(data=request.data)
        arguments.is_valid(raise_exception=True)
        invitation, _link_secret = services.invitation_create(
            organization=self.organization,
            actor=request.user,
            ip=client_ip(request),
            **arguments.validated_data,
        )
        return Response(self.get_serializer(invitation).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke a pending invitation (signed-in admins)",
        request=None,
        responses={200: InvitationSerializer, **error_responses(400, 404)},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, *args, **kwargs):
        invitation = self.get_object()
        require_signed_in_person(request)
        invitation = services.invitation_revoke(
            invitation=invitation, actor=request.user, ip=client_ip(request)
        )
        return Response(self.get_serializer(invitation).data)
