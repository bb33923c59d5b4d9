"""Sentences a teacher understands, from a recommendation's reason code and the facts behind it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _


def _percent(value: float) -> str:
    return f"{round(value * 100)} %"


def reason_text(
    *, code: str, child_name: str, lesson_title: str, skill_name: str | None, params: dict[str, Any]
) -> str:
    """Return the sentence explaining why `lesson_title` is recommended to the child."""
    skill = skill_name or _("this skill")
    scores = params.get("last_scores") or []
    if code == "RESUME":
        return _(
            "%(child)s started \u201c%(lesson)s\u201d and got to %(percent)s %%: finish it."
        ) % {
            "child": child_name,
            "lesson": lesson_title,
            "percent": params.get("percent", 0),
        }
    if code in ("SKILL_GAP", "REVIEW"):
        text = _("%(skill)s is LOW for %(child)s") % {"skill": skill, "child": child_name}
        if len(scores) >= 2:
            text += _("; last two quizzes %(a)s and %(b)s") % {
                "a": _percent(scores[-2]),
                "b": _percent(scores[-1]),
            }
        elif len(scores) == 1:
            text += _("; last quiz %(a)s") % {"a": _percent(scores[-1])}
        if code == "REVIEW":
            text += _(": practise \u201c%(lesson)s\u201d again.") % {"lesson": lesson_title}
        return text + ("" if code == "REVIEW" else ".")
    if code == "NEXT_STEP":
        return _("The next lesson in %(skill)s for %(child)s.") % {
            "skill": skill,
            "child": child_name,
        }
    if code == "STRETCH":
        return _(
            "%(child)s is doing very well: a first step into the next class level in %(skill)s."
        ) % {
            "child": child_name,
            "skill": skill,
        }
    if code == "PREDICTED":
        return _(
            "%(child)s has a %(p)s chance to succeed here: the right challenge in %(skill)s."
        ) % {
            "child": child_name,
            "p": _percent(float(params.get("p_success", 0))),
            "skill": skill,
        }
    return _("Popular with other children in %(skill)s.") % {"skill": skill}
