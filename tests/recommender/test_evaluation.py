from __future__ import annotations

from recommender.evaluation import BASELINES, NOTES_MARKER, ORACLE, OURS, POLICIES, main


def test_quick_evaluation_runs_and_its_tables_hold_every_baseline_and_policy(tmp_path):
    output = tmp_path / "evaluation.md"

    assert main(["--quick", "--output", str(output)]) == 0
    report = output.read_text()
    for name in [OURS, ORACLE, *BASELINES, *POLICIES]:
        assert f"| {name} |" in report, name
    for heading in ("held-out children", "per-child time split", "## 2. Policies", "## 3. Speed"):
        assert heading in report
    assert NOTES_MARKER in report


def test_evaluation_keeps_notes_written_below_the_marker(tmp_path, monkeypatch):
    from recommender import evaluation

    output = tmp_path / "evaluation.md"
    output.write_text(f"old tables\n{NOTES_MARKER}\nour reading of the results\n")
    evaluation.write_report(output, "# new tables\n")

    text = output.read_text()
    assert text.startswith("# new tables")
    assert "old tables" not in text
    assert text.rstrip().endswith("our reading of the results")


def test_prediction_benchmark_with_a_seed_is_deterministic():
    import pandas as pd

    from recommender.evaluation import prediction_benchmark, prepare

    runs = [
        pd.DataFrame(
            prediction_benchmark(prepare("bkt", 5, n_children=60, n_lessons=10), n_boot=50)
        )
        for _ in range(2)
    ]

    pd.testing.assert_frame_equal(runs[0], runs[1])
    assert set(runs[0]["model"]) == {OURS, ORACLE, *BASELINES}
