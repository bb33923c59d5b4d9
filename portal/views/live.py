"""The live class view: children against this week's lessons, redrawn whenever a child makes progress."""

from __future__ import annotations

from django.http import HttpResponse
from django.template.loader import render_to_string

from learnify.progress.selectors import live_grid
from portal.decorators import teacher_required
from portal.http import PortalRequest, render_page
from portal.views.classrooms import get_classroom_or_404

GRID_TEMPLATE = "portal/classrooms/live.html"


def render_grid(
    user, classroom, *, swap_oob: bool = False, flash_child_id: int | None = None
) -> str:
    """Return the grid's HTML; with `swap_oob` ready for htmx to swap in over a websocket."""
    return render_to_string(
        f"{GRID_TEMPLATE}#grid",
        {
            "grid": live_grid(user, classroom),
            "swap_oob": swap_oob,
            "flash_child_id": flash_child_id,
        },
    )


@teacher_required
def classroom_live(request: PortalRequest, pk: int) -> HttpResponse:
    classroom = get_classroom_or_404(request, pk)
    return render_page(
        request,
        GRID_TEMPLATE,
        {"classroom": classroom, "grid": live_grid(request.user, classroom), "nav": "classes"},
        partial="grid",
    )
