"""API for the caller's organization (read) — the organization comes from the credential."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from simnet.tenancy.models import Organization
from simnet.tenancy.permissions import request_organization, request_role


class OrganizationSerializer(serializers.ModelSerializer):
    role = serializers.SerializerMethodField()

    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "created_at", "monthly_budget_usd", "max_concurrent_runs", "role"]

    def get_role(self, obj) -> str:
        return self.context["role"]


class OrganizationView(APIView):
    @extend_schema(responses=OrganizationSerializer)
    def get(self, request):
        org = request_organization(request)
        return Response(OrganizationSerializer(org, context={"role": request_role(request)}).data)
