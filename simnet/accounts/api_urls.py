"""Members and invitations API routes; included by simnet/api_urls.py under /api/v1/."""

from rest_framework.routers import SimpleRouter

from simnet.accounts.members_api import InvitationViewSet, MemberViewSet

router = SimpleRouter()
router.register("members", MemberViewSet, basename="api_member")
router.register("invitations", InvitationViewSet, basename="api_invitation")

urlpatterns = router.urls
