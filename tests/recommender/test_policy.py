from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recommender.features import FEATURE_COLUMNS
from recommender.policy import RULES_SOURCE, recommend, recommend_with_model
from recommender.rules import RECOMMENDATION_COLUMNS, ChildState
from recommender.training import ModelLoadError, load_model, save_model, train_success_model

NOW = pd.Timestamp("2025-03-10 10:00", tz="UTC")


class FixedModel:
    """A stand-in model: predicts the success probability stored in the candidates' `p` column."""

    version = "fixed-1"
    feature_names = FEATURE_COLUMNS

    def __init__(self, p: dict[int, float] | None = None) -> None:
        self.p = p or {}

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        return frame["lesson_id"].map(self.p).fillna(0.75).to_numpy(dtype=float)


class BrokenModel(FixedModel):
    version = "broken-1"

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        raise RuntimeError("the booster is gone")


def _lessons() -> pd.DataFrame:
    rows = []
    lesson_id = 1
    for level, skill in [("KG1", 1), ("KG1", 2), ("KG2", 3), ("KG3", 4)]:
        for order in (1, 2):
            rows.append((lesson_id, level, order, [skill], []))
            lesson_id += 1
    rows.append((lesson_id, "MIXED", 1, [1, 2], []))
    return pd.DataFrame(
        rows, columns=["lesson_id", "kg_level", "order", "skill_ids", "prereq_skill_ids"]
    ).assign(popularity=0.5)


def _candidates(lessons: pd.DataFrame, **columns) -> pd.DataFrame:
    frame = lessons.copy()
    for column in FEATURE_COLUMNS:
        frame[column] = 0.0
    frame["status"] = "NOT_STARTED"
    frame["as_of"] = NOW
    return frame.assign(**columns)


def _mastery(bands: dict[int, str]) -> pd.DataFrame:
    estimate = {"LOW": 0.4, "MEDIUM": 0.65, "HIGH": 0.9}
    return pd.DataFrame(
        {
            "skill_id": list(bands),
            "estimate": [estimate[b] for b in bands.values()],
            "attempts": 10,
            "band": list(bands.values()),
            "last_practiced_at": NOW,
        }
    )


def test_recommend_with_model_keeps_to_own_level_and_mixed():
    lessons = _lessons()
    ranked = recommend_with_model(
        FixedModel(), _candidates(lessons), _mastery({1: "LOW", 2: "MEDIUM"}), "KG1", limit=20
    )
    levels = lessons.set_index("lesson_id").loc[ranked["lesson_id"], "kg_level"]

    assert set(levels) == {"KG1", "MIXED"}
    assert list(ranked.columns) == RECOMMENDATION_COLUMNS


def test_recommend_with_model_offers_the_next_level_only_when_most_skills_are_high():
    lessons = _lessons()
    ranked = recommend_with_model(
        FixedModel(),
        _candidates(lessons),
        _mastery({1: "HIGH", 2: "HIGH", 5: "HIGH"}),
        "KG1",
        limit=20,
    )
    levels = set(lessons.set_index("lesson_id").loc[ranked["lesson_id"], "kg_level"])

    assert "KG2" in levels
    assert "KG3" not in levels


def test_recommend_with_model_never_returns_a_lesson_outside_the_candidates():
    rng = np.random.default_rng(0)
    lessons = _lessons()
    offered = lessons.sample(5, random_state=1)  # e.g. only the published ones
    model = FixedModel(dict(zip(lessons["lesson_id"], rng.random(len(lessons)), strict=True)))
    ranked = recommend_with_model(
        model, _candidates(offered), _mastery({1: "LOW"}), "KG3", limit=20
    )

    assert set(ranked["lesson_id"]) <= set(offered["lesson_id"])


def test_recommend_with_model_serves_many_children_within_their_own_candidates():
    lessons = _lessons()
    one = _candidates(lessons[lessons["kg_level"].isin(["KG1", "MIXED"])], ml_student_id="a")
    two = _candidates(lessons[lessons["kg_level"] == "KG2"], ml_student_id="b")
    mastery = pd.concat(
        [
            _mastery({1: "LOW"}).assign(ml_student_id="a"),
            _mastery({3: "LOW"}).assign(ml_student_id="b"),
        ]
    )
    ranked = recommend_with_model(
        FixedModel(), pd.concat([one, two]), mastery, {"a": "KG1", "b": "KG2"}, limit=2
    )

    assert ranked.groupby("ml_student_id").size().to_dict() == {"a": 2, "b": 2}
    assert set(ranked.loc[ranked["ml_student_id"] == "b", "lesson_id"]) <= set(two["lesson_id"])


def test_recommend_with_model_aims_at_the_target_band_and_skips_what_was_just_done():
    lessons = _lessons()
    kg1 = lessons[lessons["kg_level"] == "KG1"]
    model = FixedModel({1: 0.98, 2: 0.76, 3: 0.40, 4: 0.74})
    candidates = _candidates(kg1)
    candidates.loc[candidates["lesson_id"] == 4, "last_accessed_at"] = NOW - pd.Timedelta(minutes=5)
    ranked = recommend_with_model(model, candidates, _mastery({}), "KG1", limit=4)

    assert ranked["lesson_id"].iloc[0] == 2
    assert 4 not in set(ranked["lesson_id"])
    assert ranked["params"].iloc[0]["p_success"] == pytest.approx(0.76)
    assert ranked["score"].between(0, 1).all()


def test_recommend_with_model_prefers_an_unfinished_lesson_and_says_resume():
    lessons = _lessons()
    kg1 = lessons[lessons["kg_level"] == "KG1"]
    candidates = _candidates(kg1)
    candidates.loc[candidates["lesson_id"] == 3, ["status", "percent"]] = ["IN_PROGRESS", 40]
    ranked = recommend_with_model(FixedModel(), candidates, _mastery({}), "KG1", limit=1)

    assert ranked.iloc[0]["lesson_id"] == 3
    assert ranked.iloc[0]["reason_code"] == "RESUME"
    assert ranked.iloc[0]["params"]["percent"] == 40


def test_recommend_with_model_weighs_the_considerations_with_the_weights_it_is_given():
    from recommender.scoring import WEIGHTS, PolicyWeights

    lessons = _lessons()
    candidates = _candidates(lessons[lessons["kg_level"] == "KG1"])
    candidates.loc[candidates["lesson_id"] == 3, ["status", "percent"]] = ["IN_PROGRESS", 40]
    # Lesson 1 sits right on the target; lesson 3, started, is predicted a little easier, still in the band.
    model = FixedModel({1: 0.75, 3: 0.8})
    ranked = {
        name: recommend_with_model(
            model, candidates, _mastery({}), "KG1", limit=1, weights=weights
        ).iloc[0]["lesson_id"]
        for name, weights in {
            "default": WEIGHTS,
            "no resume bonus": PolicyWeights(resume_bonus=0.0),
        }.items()
    }

    assert PolicyWeights() == WEIGHTS
    assert ranked == {"default": 3, "no resume bonus": 1}


def test_recommend_with_model_prefers_the_class_level_over_the_next_at_equal_predicted_success():
    # Every KG1 skill is HIGH, so the next level is allowed; the class level's own lessons still come first:
    # the next level's content is not what the class level asks of the child.
    lessons = _lessons()
    ranked = recommend_with_model(
        FixedModel(),
        _candidates(lessons[lessons["kg_level"].isin(["KG1", "KG2"])]),
        _mastery({1: "HIGH", 2: "HIGH", 5: "HIGH"}),
        "KG1",
        limit=20,
    )
    levels = lessons.set_index("lesson_id").loc[ranked["lesson_id"], "kg_level"].tolist()

    assert set(levels) == {"KG1", "KG2"}
    assert levels[:4] == ["KG1"] * 4


def test_recommend_with_model_prefers_a_new_lesson_and_an_earlier_one_of_the_skill():
    # Skill 1 (HIGH, so skipping ahead is not penalised) has lessons in order 1, 2 and 3; the first was done
    # twice. At equal predicted success the next new lesson comes first, then the later one, then the repeat.
    lessons = pd.DataFrame(
        [(30, "KG1", 3, [1], []), (20, "KG1", 2, [1], []), (10, "KG1", 1, [1], [])],
        columns=["lesson_id", "kg_level", "order", "skill_ids", "prereq_skill_ids"],
    ).assign(popularity=0.5)
    candidates = _candidates(lessons)
    candidates.loc[candidates["lesson_id"] == 10, ["status", "lesson_child_attempts"]] = [
        "COMPLETED",
        2.0,
    ]
    ranked = recommend_with_model(FixedModel(), candidates, _mastery({1: "HIGH"}), "KG1", limit=3)

    assert ranked["lesson_id"].tolist() == [20, 30, 10]


def test_recommend_with_model_prefers_a_foundation_skill_at_equal_predicted_success():
    # Skill 2 builds on skill 1, both practised and MEDIUM: at equal predicted success the lesson of the skill
    # the class level builds on comes first, although its id would lose the tie.
    lessons = pd.DataFrame(
        [(10, "KG1", 1, [2], [1]), (20, "KG1", 1, [1], [])],
        columns=["lesson_id", "kg_level", "order", "skill_ids", "prereq_skill_ids"],
    ).assign(popularity=0.5)
    ranked = recommend_with_model(
        FixedModel(), _candidates(lessons), _mastery({1: "MEDIUM", 2: "MEDIUM"}), "KG1", limit=2
    )

    assert ranked["lesson_id"].tolist() == [20, 10]


def _state(lessons: pd.DataFrame) -> ChildState:
    return ChildState(
        kg_level="KG1",
        lessons=lessons[lessons["kg_level"].isin(["KG1", "KG2", "MIXED"])],
        progress=pd.DataFrame(columns=["lesson_id", "status", "percent", "last_accessed_at"]),
        mastery=_mastery({1: "LOW"}),
        attempts=pd.DataFrame(columns=["lesson_id", "skill_ids", "score", "finished_at"]),
        now=NOW,
    )


def test_recommend_falls_back_to_rules_without_a_model():
    served = recommend(
        _state(_lessons()), None, ml_student_id="a", answers=pd.DataFrame(columns=["ml_student_id"])
    )

    assert served.source == RULES_SOURCE
    assert served.reason == "no active model"
    assert len(served.recommendations)


def test_recommend_falls_back_to_rules_when_the_model_file_is_missing_or_corrupt(
    tmp_path, dataset, clean_answers
):
    trained = train_success_model(dataset, seed=0, validate=False)
    path = save_model(trained, tmp_path / "success.json")
    path.write_bytes(b"\\x00 corrupt")
    for candidate in (path, tmp_path / "missing.json"):
        try:
            model = load_model(candidate)
        except ModelLoadError:
            model = None
        child = clean_answers["ml_student_id"].iloc[0]
        served = recommend(_state(_lessons()), model, ml_student_id=child, answers=clean_answers)

        assert served.source == RULES_SOURCE


def test_recommend_falls_back_to_rules_when_prediction_fails_or_history_is_short(clean_answers):
    lessons = _lessons()
    child = clean_answers["ml_student_id"].iloc[0]
    broken = recommend(_state(lessons), BrokenModel(), ml_student_id=child, answers=clean_answers)
    short = recommend(
        _state(lessons), FixedModel(), ml_student_id=child, answers=clean_answers.head(3)
    )

    assert broken.source == RULES_SOURCE
    assert "the booster is gone" in broken.reason
    assert short.source == RULES_SOURCE
    assert short.reason.startswith("too little history")


def test_recommend_serves_the_model_for_a_child_with_enough_history(
    simulator, clean_answers, dataset
):
    trained = train_success_model(dataset, seed=0, validate=False)
    lessons = simulator.curriculum.lessons[
        ["lesson_id", "kg_level", "order", "skill_ids", "prereq_skill_ids"]
    ]
    child = clean_answers.groupby("ml_student_id").size().idxmax()
    state = ChildState(
        kg_level="KG2",
        lessons=lessons[lessons["kg_level"].isin(["KG2", "KG3", "MIXED"])].assign(popularity=0.0),
        progress=pd.DataFrame(columns=["lesson_id", "status", "percent", "last_accessed_at"]),
        mastery=_mastery({}),
        attempts=pd.DataFrame(columns=["lesson_id", "skill_ids", "score", "finished_at"]),
        now=clean_answers["answered_at"].max() + pd.Timedelta(hours=1),
    )
    served = recommend(state, trained, ml_student_id=child, answers=clean_answers, limit=3)

    assert served.source == trained.version
    assert len(served.recommendations) == 3
    assert set(served.recommendations["lesson_id"]) <= set(state.lessons["lesson_id"])
    assert all("p_success" in params for params in served.recommendations["params"])


def test_recommend_ranks_exactly_as_the_model_on_every_candidate_of_the_childs_levels(
    simulator, clean_answers, dataset
):
    """`recommend` drops the candidates of levels the child may not see before computing features; the
    ranking must be the one `recommend_with_model` gives on all of them (MIXED content levels included)."""
    from recommender.features import features_for_candidates
    from recommender.mastery import estimate_mastery
    from recommender.policy import candidate_lessons

    trained = train_success_model(dataset, seed=0, validate=False)
    lessons = simulator.curriculum.lessons[
        ["lesson_id", "kg_level", "order", "skill_ids", "prereq_skill_ids"]
    ]
    child = clean_answers.groupby("ml_student_id").size().idxmax()
    own = clean_answers[clean_answers["ml_student_id"] == child]
    state = ChildState(
        kg_level="KG1",
        lessons=lessons[lessons["kg_level"].isin(["KG1", "KG2", "MIXED"])].assign(popularity=0.0),
        progress=pd.DataFrame(columns=["lesson_id", "status", "percent", "last_accessed_at"]),
        mastery=estimate_mastery(own),
        attempts=pd.DataFrame(columns=["lesson_id", "skill_ids", "score", "finished_at"]),
        now=clean_answers["answered_at"].max() + pd.Timedelta(hours=1),
    )
    served = recommend(state, trained, ml_student_id=child, answers=clean_answers, limit=8)
    everything = features_for_candidates(
        clean_answers, None, candidate_lessons(state, ml_student_id=child), state.now
    )
    expected = recommend_with_model(trained, everything, state.mastery, "KG1", limit=8)

    assert served.source == trained.version
    assert (state.lessons["kg_level"] == "KG2").any()  # there was something to drop
    pd.testing.assert_frame_equal(
        served.recommendations.reset_index(drop=True),
        expected[RECOMMENDATION_COLUMNS].reset_index(drop=True),
    )


def test_a_bounded_candidate_set_scores_what_it_keeps_as_the_whole_set_would(
    simulator, clean_answers, dataset, monkeypatch
):
    """`max_candidates` bounds the lessons that get features; the ones kept score exactly as without it, and
    lessons the child started are always kept."""
    import recommender.policy as policy
    from recommender.mastery import estimate_mastery

    trained = train_success_model(dataset, seed=0, validate=False)
    lessons = simulator.curriculum.lessons[
        ["lesson_id", "kg_level", "order", "skill_ids", "prereq_skill_ids"]
    ]
    lessons = lessons[lessons["kg_level"].isin(["KG1", "KG2", "MIXED"])].assign(popularity=0.0)
    child = clean_answers.groupby("ml_student_id").size().idxmax()
    own = clean_answers[clean_answers["ml_student_id"] == child]
    started = lessons[lessons["kg_level"] == "KG1"]["lesson_id"].iloc[-1]
    now = clean_answers["answered_at"].max() + pd.Timedelta(hours=1)
    state = ChildState(
        kg_level="KG1",
        lessons=lessons,
        progress=pd.DataFrame(
            {
                "lesson_id": [started],
                "status": ["IN_PROGRESS"],
                "percent": [40],
                "last_accessed_at": [now - pd.Timedelta(days=1)],
            }
        ),
        mastery=estimate_mastery(own),
        attempts=pd.DataFrame(columns=["lesson_id", "skill_ids", "score", "finished_at"]),
        now=now,
    )
    featured: list[int] = []
    features = policy.features_for_candidates

    def counting(history, interactions, candidates, *args, **kwargs):
        featured.append(len(candidates))
        return features(history, interactions, candidates, *args, **kwargs)

    monkeypatch.setattr(policy, "features_for_candidates", counting)
    whole = recommend(state, trained, ml_student_id=child, answers=clean_answers, limit=1000)
    bounded = recommend(
        state, trained, ml_student_id=child, answers=clean_answers, limit=1000, max_candidates=6
    )

    assert featured[0] > 6
    assert featured[1] == 6
    assert bounded.source == trained.version
    assert started in set(bounded.recommendations["lesson_id"])
    scores = whole.recommendations.set_index("lesson_id")["score"]
    for lesson_id, score in zip(
        bounded.recommendations["lesson_id"], bounded.recommendations["score"], strict=True
    ):
        assert scores[lesson_id] == score
