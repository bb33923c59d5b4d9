"""Portal forms. They validate what a person typed; the services decide what is allowed and write."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from learnify.accounts.models import AVATARS, Classroom
from learnify.accounts.validators import validate_child
from learnify.core.choices import KgLevel, LessonLevel
from learnify.lessons.models import LessonMedia, Skill
from learnify.quizzes.models import Question

MAX_CSV_BYTES = 200_000
MAX_CSV_ROWS = 200


class SignInForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput, max_length=256
    )


class ClassroomForm(forms.Form):
    name = forms.CharField(label=_("Class name"), max_length=80)
    kg_level = forms.ChoiceField(label=_("Level"), choices=KgLevel.choices)
    school_year = forms.RegexField(
        label=_("School year"),
        regex=r"^[0-9]{4}-[0-9]{4}$",
        error_messages={"invalid": _("Write the school year like 2026-2027.")},
    )

    def clean_school_year(self) -> str:
        year = self.cleaned_data["school_year"]
        start, end = (int(part) for part in year.split("-"))
        if end != start + 1:
            raise forms.ValidationError(_("The second year follows the first, like 2026-2027."))
        return year


class ChildForm(forms.Form):
    display_name = forms.CharField(
        label=_("Name"), max_length=60, help_text=_("A first name or nickname is enough.")
    )
    birth_date = forms.DateField(
        label=_("Birth date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    kg_level = forms.ChoiceField(
        label=_("Level"),
        choices=[("", _("Suggest from age")), *KgLevel.choices],
        required=False,
        help_text=_("Leave empty to follow the child's age: 4 is KG1, 5 is KG2, 6 is KG3."),
    )
    avatar = forms.ChoiceField(label=_("Avatar"), choices=[(a, a.title()) for a in AVATARS])
    classroom = forms.ModelChoiceField(label=_("Class"), queryset=Classroom.objects.none())

    def __init__(self, *args, classrooms=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if classrooms is not None:
            self.fields["classroom"].queryset = classrooms  # type: ignore[attr-defined]


@dataclass
class CsvRow:
    line: int
    display_name: str
    birth_date: datetime.date | None
    suggested_level: str | None
    errors: list[str] = field(default_factory=list)


def parse_children_csv(text: str) -> list[CsvRow]:
    """Read rows of `name, birth date` (YYYY-MM-DD or DD/MM/YYYY); a header row is allowed."""
    rows: list[CsvRow] = []
    reader = csv.reader(io.StringIO(text))
    for number, record in enumerate(reader, start=1):
        if not any(cell.strip() for cell in record):
            continue
        if (
            number == 1
            and record
            and record[0].strip().lower() in {"name", "display_name", "child"}
        ):
            continue
        name = record[0].strip() if record else ""
        raw_date = record[1].strip() if len(record) > 1 else ""
        row = CsvRow(line=number, display_name=name, birth_date=None, suggested_level=None)
        if len(record) > 2 and any(cell.strip() for cell in record[2:]):
            row.errors.append(str(_("Only two columns are read: name and birth date.")))
        born = _parse_date(raw_date)
        if born is None:
            row.errors.append(
                str(
                    _("The birth date %(value)s is not a date like 2021-05-02.")
                    % {"value": raw_date or "(empty)"}
                )
            )
        # The same rule as enrolling one child: a row the preview passes is a child the service takes.
        try:
            fields = validate_child(
                display_name=name, birth_date=born, kg_level=None, on=timezone.localdate()
            )
        except ValidationError as error:
            problems = error.message_dict
            if born is None:
                problems.pop("birth_date")  # the date that could not be read is said above
            row.errors.extend(message for messages in problems.values() for message in messages)
        else:
            row.birth_date = born
            row.suggested_level = fields.kg_level
        rows.append(row)
        if len(rows) > MAX_CSV_ROWS:
            rows[-1].errors.append(
                str(_("At most %(n)d children at a time.") % {"n": MAX_CSV_ROWS})
            )
            break
    return rows


def _parse_date(value: str) -> datetime.date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a date, no time zone
        except ValueError:
            continue
    return None


class ChildrenCsvForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), help_text=_("Two columns: name, birth date (2021-05-02).")
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(_("The file is too large (at most 200 KB)."))
        raw = upload.read()
        for encoding in ("utf-8-sig", "cp1252"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                continue
        raise forms.ValidationError(_("The file is not text. Save it as CSV and try again."))


class LessonForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("What the child does"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    kg_level = forms.ChoiceField(label=_("Level"), choices=LessonLevel.choices)
    skills = forms.ModelMultipleChoiceField(label=_("Skills"), queryset=Skill.objects.all())
    estimated_minutes = forms.IntegerField(
        label=_("Minutes"), min_value=1, max_value=120, initial=10
    )
    order = forms.IntegerField(
        label=_("Order within its skill"), min_value=0, max_value=10_000, initial=1
    )


class MediaForm(forms.Form):
    file = forms.FileField(label=_("File"))
    kind = forms.ChoiceField(label=_("Kind"), choices=LessonMedia.Kind.choices)
    alt_text = forms.CharField(
        label=_("Description for screen readers"),
        max_length=250,
        required=False,
        help_text=_("Required for images: what does the picture show?"),
    )


class QuestionForm(forms.Form):
    prompt = forms.CharField(label=_("Question"), max_length=300)
    kind = forms.ChoiceField(label=_("Kind"), choices=Question.Kind.choices)
    skill = forms.ModelChoiceField(label=_("Skill"), queryset=Skill.objects.none(), required=False)
    prompt_image = forms.FileField(label=_("Picture"), required=False)
    prompt_audio = forms.FileField(label=_("Sound"), required=False)

    def __init__(self, *args, skills=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if skills is not None:
            self.fields["skill"].queryset = skills  # type: ignore[attr-defined]


class ChoiceForm(forms.Form):
    label = forms.CharField(label=_("Answer"), max_length=120)
    is_correct = forms.BooleanField(label=_("Correct"), required=False)
    image = forms.FileField(label=_("Picture"), required=False)
    audio = forms.FileField(label=_("Sound"), required=False)


def apply_service_errors(form, error: ValidationError) -> None:
    """Show a service's ValidationError next to the fields it names (or above the form)."""
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)
