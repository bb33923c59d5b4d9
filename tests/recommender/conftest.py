"""Small simulated histories shared by the recommender tests (no database, no Django)."""

from __future__ import annotations

import pandas as pd
import pytest

from recommender.cleaning import clean_lesson_interactions, clean_quiz_answers
from recommender.features import attempt_features
from recommender.simulator import make_simulator, simulate_history


@pytest.fixture(scope="session")
def simulator():
    return make_simulator("irt", seed=3)


@pytest.fixture(scope="session")
def history(simulator):
    return simulate_history(simulator, n_children=40, n_lessons=12, seed=4, dirty=False)


@pytest.fixture(scope="session")
def clean_answers(history) -> pd.DataFrame:
    return clean_quiz_answers(history.answers).frame


@pytest.fixture(scope="session")
def clean_interactions(history) -> pd.DataFrame:
    return clean_lesson_interactions(history.interactions).frame


@pytest.fixture(scope="session")
def dataset(clean_answers, clean_interactions) -> pd.DataFrame:
    return attempt_features(clean_answers, clean_interactions)
