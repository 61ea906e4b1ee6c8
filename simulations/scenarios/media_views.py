"""A stimulus's keyframes as pages serve them: only inside the organization that uploaded them."""

from __future__ import annotations

from django.http import FileResponse, Http404

from simnet.tenancy.access import get_for_org
from simnet.tenancy.mixins import org_view
from simnet.web import allow
from simulations.models import StimulusKeyframe


@org_view()
def stimulus_keyframe(request, keyframe_id: int):
    keyframe = get_for_org(StimulusKeyframe.objects, request.organization, pk=keyframe_id)
    if (not_allowed := allow(request, "GET")) is not None:
        return not_allowed
    try:
        image = keyframe.image.open("rb")
    except FileNotFoundError:  # the row names a file the storage lost: nothing to serve, not a crash
        raise Http404("No image") from None
    return FileResponse(image, as_attachment=False)
