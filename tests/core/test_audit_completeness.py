"""Every write service leaves an audit entry: a new service that forgets fails here.

The check reads the service modules: each public function must call `record_audit_event`, or call another
service that does, or be listed below as a helper that writes nothing of its own (with the reason).
"""

import ast
from pathlib import Path

from django.conf import settings

SERVICE_MODULES = [
    *sorted(
        path.relative_to(settings.BASE_DIR).as_posix()
        for path in (Path(settings.BASE_DIR) / "learnify/accounts/services").glob("*.py")
    ),
    "learnify/accounts/sign_in.py",
    "learnify/accounts/data_rights.py",
    "learnify/ai/services.py",
    "learnify/lessons/services.py",
    "learnify/progress/services.py",
    "learnify/quizzes/services.py",
    "learnify/quizzes/builder.py",
]

NOT_AUDITED = {
    "generate_class_code": "returns a code, writes nothing",
    "generate_picture_code": "returns icons, writes nothing",
    "suggest_kg_level": "returns a level, writes nothing",
    "check_roster_rate": "counts a look-up in the cache",
    "count_password_attempt": "counts a password check in the cache",
    "check_current_password": "a counted read; the password change it guards is audited",
    "picture_sign_in_locked_until": "reads the cache",
    "clear_picture_failures": "cache counters, called by audited sign-in and unlock",
    "refresh_session": "rotation every 15 minutes; reuse of a rotated token is audited in tokens",
    "child_data": "a read; export_child_data audits it",
    "create_ml_student_map": "part of enrol_child, which is audited",
    "lessons_changed": "a cache version; the lesson and skill writes it follows are audited",
    "log_lesson_interaction": "the ML row of an audited progress update",
    "log_quiz_answers": "the ML rows of an audited quiz attempt",
    "compute_recommendations": "a read",
    "refresh_recommendations": "derived data, refreshed by audited attempts and by the batch pipeline",
    "refresh_after_attempt": "derived data; runs inside the audited quiz attempt",
    "refresh_pending_recommendations": "derived data, catching up with audited attempts",
    "mark_recommendations_pending": "derived data; runs inside the audited quiz attempt",
    "apply_lesson_progress": "part of audited progress updates and attempts",
    "award_new_achievements": "part of audited progress updates and attempts",
    "publish_progress_events": "sends events after an audited commit",
    "progress_events": "builds the events of an audited change; writes nothing",
    "publish_attempt_events": "sends events after an audited commit",
    "quiz_publish_problems": "a read",
}


def _functions():
    for relative in SERVICE_MODULES:
        tree = ast.parse((Path(settings.BASE_DIR) / relative).read_text())
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                called = {
                    (
                        call.func.id
                        if isinstance(call.func, ast.Name)
                        else getattr(call.func, "attr", "")
                    )
                    for call in ast.walk(node)
                    if isinstance(call, ast.Call)
                }
                yield f"{relative}:{node.name}", node.name, called


def test_every_write_service_leaves_an_audit_entry():
    functions = list(_functions())
    audited = {
        name
        for _, name, called in functions
        if "record_audit_event" in called or "_revoke_family" in called
    }
    changed = True
    while changed:  # a service that calls an audited service is audited too
        changed = False
        for _, name, called in functions:
            if name not in audited and called & audited:
                audited.add(name)
                changed = True

    missing = [
        where for where, name, _ in functions if name not in audited and name not in NOT_AUDITED
    ]

    assert missing == [], f"services without an audit entry: {missing}"


def test_the_allow_list_names_only_real_functions():
    names = {name for _, name, _ in _functions()}

    assert set(NOT_AUDITED) <= names


# Admin actions that are known to go through an audited service, with the test that proves it.
AUDITED_ADMIN_ACTIONS = {
    ("ai.mlmodel", "activate"): "tests/ai/test_recommender_serving.py (ml_model.activated)",
}


def test_every_admin_of_ours_audits_its_changes_and_actions():
    from django.contrib import admin

    from learnify.core.admin_audit import AuditedAdminMixin

    ours = {
        model._meta.label_lower: model_admin
        for model, model_admin in admin.site._registry.items()
        if model.__module__.startswith("learnify.")
    }
    not_audited = [label for label, ma in ours.items() if not isinstance(ma, AuditedAdminMixin)]
    custom_actions = {
        (label, name)
        for label, ma in ours.items()
        for name in (ma.actions or [])
        if isinstance(name, str)
    }

    assert ours, "no admin registered for the learnify apps"
    assert not_audited == [], f"admins whose add/change/delete are not audited: {not_audited}"
    assert custom_actions == set(AUDITED_ADMIN_ACTIONS), (
        f"admin actions without a proof of audit: {custom_actions - set(AUDITED_ADMIN_ACTIONS)}"
    )
