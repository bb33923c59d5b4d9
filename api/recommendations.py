"""Recommended next lessons and what the child did with them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry
import strawberry_django
from strawberry import auto
from strawberry.types import Info

from api.base import NotFound, RecommendationEventEnum, parse_id, require_user
from learnify.ai import selectors
from learnify.ai.models import Recommendation
from learnify.ai.services import record_recommendation_event

if TYPE_CHECKING:
    from api.lessons import LessonType


@strawberry_django.type(Recommendation, name="Recommendation")
class RecommendationType:
    id: strawberry.ID
    lesson: Annotated[LessonType, strawberry.lazy("api.lessons")]
    score: float
    rank: int
    reason_code: auto
    reason: auto
    source: auto
    status: str
    pinned: bool
    created_at: auto


@strawberry.type
class RecommendationMutation:
    @strawberry.mutation
    def record_recommendation_event(
        self, info: Info, recommendation_id: strawberry.ID, event: RecommendationEventEnum
    ) -> RecommendationType:
        """Tell the recommender the child saw, opened or dismissed a recommendation."""
        user = require_user(info)
        recommendation = (
            selectors.recommendations_visible_to(user, action="record")
            .filter(pk=parse_id(recommendation_id, what="recommendationId"))
            .select_related("child")
            .first()
        )
        if recommendation is None:
            raise NotFound("No such recommendation.")
        return record_recommendation_event(  # type: ignore[return-value]
            recommendation=recommendation, event=event.value, actor=user
        )
