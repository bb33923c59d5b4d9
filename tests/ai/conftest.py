# The serving tests' model and lessons, shared with the online cost tests.
from tests.ai.test_recommender_serving import active_model, levels_world  # noqa: F401
