"""A classroom's report: mastery per skill as a heat map, the most-missed questions, and the same as CSV."""

from __future__ import annotations

import csv

from django.http import HttpResponse
from django.utils import timezone

from learnify.core.services import record_audit_event
from learnify.progress.selectors import classroom_report
from portal.decorators import teacher_required
from portal.http import PortalRequest, render_page
from portal.views.classrooms import get_classroom_or_404

HEAT = {"LOW": 0, "MEDIUM": 1, "HIGH": 2}


@teacher_required
def classroom_report_view(request: PortalRequest, pk: int) -> HttpResponse:
    classroom = get_classroom_or_404(request, pk)
    report = classroom_report(classroom)
    rows = [
        {
            "child": row["child"],
            "cells": [
                {**row["cells"][skill.pk], "heat": HEAT[row["cells"][skill.pk]["band"]]}
                if skill.pk in row["cells"]
                else None
                for skill in report.skills
            ],
        }
        for row in report.rows
    ]
    return render_page(
        request,
        "portal/reports/classroom.html",
        {"classroom": classroom, "report": report, "rows": rows, "nav": "classes"},
    )


@teacher_required
def classroom_report_csv(request: PortalRequest, pk: int) -> HttpResponse:
    """The report's two tables as CSV: estimates as numbers (0-1), counts as numbers, exactly as on screen."""
    classroom = get_classroom_or_404(request, pk)
    report = classroom_report(classroom)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="report-{classroom.class_code}-{stamp}.csv"'
    )
    writer = csv.writer(response)
    writer.writerow(
        [
            "child",
            *[f"{skill.code} estimate" for skill in report.skills],
            *[f"{skill.code} band" for skill in report.skills],
        ]
    )
    for row in report.rows:
        cells = [row["cells"].get(skill.pk) for skill in report.skills]
        writer.writerow(
            [
                row["child"].display_name,
                *[cell["estimate"] if cell else "" for cell in cells],
                *[cell["band"] if cell else "" for cell in cells],
            ]
        )
    writer.writerow([])
    writer.writerow(["question", "quiz", "answers", "wrong", "wrong_rate"])
    for item in report.most_missed:
        writer.writerow(
            [item["prompt"], item["quiz"], item["answers"], item["wrong"], item["wrong_rate"]]
        )
    record_audit_event(
        action="report.exported",
        actor=request.user,
        target=classroom,
        metadata={"rows": len(report.rows)},
    )
    return response
