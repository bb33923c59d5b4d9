"""The live class view's websocket: the teacher's browser receives the redrawn grid as an htmx fragment."""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from learnify.accounts.access import PORTAL_ROLES, has_role
from learnify.accounts.selectors import classrooms_visible_to
from learnify.core import events, metrics

logger = logging.getLogger(__name__)


class ClassroomLiveConsumer(AsyncWebsocketConsumer):
    """Joins the classroom's event group when the signed-in teacher may see that classroom."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        classroom_id = int(self.scope["url_route"]["kwargs"]["pk"])
        self.classroom = await self._classroom(user, classroom_id)
        if self.classroom is None:
            await self.close(code=4403)
            return
        self.user = user
        self.group = events.classroom_group(self.classroom.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        metrics.websocket_opened()

    async def disconnect(self, code: int) -> None:
        group = getattr(self, "group", None)
        if group:
            metrics.websocket_closed()
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:  # the layer may be the thing that went away
                logger.warning("could not leave %s", group, exc_info=True)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        """The page sends nothing the server needs; ignore it."""

    async def child_event(self, message: dict[str, Any]) -> None:
        if message.get("kind") not in events.PROGRESS_KINDS:
            return
        html = await self._grid(message.get("child_id"))
        await self.send(text_data=html)

    @database_sync_to_async
    def _classroom(self, user: Any, classroom_id: int):
        if not has_role(user, *PORTAL_ROLES):
            return None
        return classrooms_visible_to(user).filter(pk=classroom_id).first()

    @database_sync_to_async
    def _grid(self, child_id: int | None) -> str:
        from portal.views.live import render_grid

        return render_grid(self.user, self.classroom, swap_oob=True, flash_child_id=child_id)
