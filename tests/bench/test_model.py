"""The profile of a model-served refresh must measure one: the bench's model serves inside its block only."""

from __future__ import annotations

import pytest

from bench import generate
from bench.model import active_model
from learnify.accounts.models import ChildProfile
from learnify.ai import services
from learnify.ai.models import MLModel, Recommendation

pytestmark = pytest.mark.slow


def _refresh(child: ChildProfile) -> set[str]:
    services.mark_recommendations_pending(child_id=child.pk)
    services.refresh_pending_recommendations(child_id=child.pk)
    return set(
        Recommendation.objects.filter(child=child, is_active=True).values_list("source", flat=True)
    )


def test_the_bench_model_serves_inside_its_block_and_the_rules_after_it(db):
    generate.generate(0.01, seed=1)
    child = ChildProfile.objects.order_by("id").first()

    with active_model():
        served = _refresh(child)

    assert served
    assert Recommendation.RULES_SOURCE not in served  # the source is the model's version

    assert not MLModel.objects.filter(is_active=True).exists()
    assert not _refresh(child) & served
