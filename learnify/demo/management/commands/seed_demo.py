from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from learnify.accounts.models import ChildProfile, User
from learnify.demo import activity, world


class Command(BaseCommand):
    help = (
        "Create the demo world: an admin, 3 teachers, 6 classrooms, about 120 children, the curriculum with "
        "quizzes and a few weeks of simulated activity. Safe to run again: what exists is left as it is."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--children", type=int, default=120, help="How many children (default 120)."
        )
        parser.add_argument(
            "--weeks", type=int, default=3, help="Weeks of simulated activity (default 3)."
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed of the simulation.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the demo admin already exists (what `make run` uses).",
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bars.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and User.objects.filter(username=world.ADMIN_USERNAME).exists():
            self.stdout.write("The demo world is already there; nothing to do.")
            return
        password = settings.DEMO_PASSWORD
        created: dict[str, int] = {}
        show = not options["no_progress"]

        admin, teachers = world.ensure_people(password=password, created=created)
        with tqdm(
            total=len(world.TEACHERS), desc="curriculum", disable=not show, leave=False
        ) as bar:
            lessons = world.ensure_curriculum(author=teachers[0], created=created)
            bar.update(len(world.TEACHERS))
        classrooms = world.ensure_classrooms(admin=admin, teachers=teachers, created=created)
        with tqdm(total=options["children"], desc="children", disable=not show) as bar:
            children = world.ensure_children(
                admin=admin,
                classrooms=classrooms,
                children_total=options["children"],
                seed=options["seed"],
                created=created,
                on_progress=bar.update,
            )
        with tqdm(total=len(children), desc="activity", disable=not show) as bar:
            attempts = activity.simulate_activity(
                children=children,
                weeks=options["weeks"],
                seed=options["seed"],
                on_progress=bar.update,
            )
        if attempts:
            created["quiz attempts"] = attempts

        self._report(created, teachers, classrooms, lessons, password)

    def _report(self, created, teachers, classrooms, lessons, password) -> None:
        summary = (
            ", ".join(f"{n} {what}" for what, n in created.items()) or "nothing (all there already)"
        )
        self.stdout.write(self.style.SUCCESS(f"Demo world ready. Created: {summary}."))
        self.stdout.write(f"{len(lessons)} lessons with quizzes.")
        self.stdout.write("")
        self.stdout.write(f"Accounts (password: {password!r}, from DEMO_PASSWORD):")
        self.stdout.write(f"  {world.ADMIN_USERNAME:<10} admin     /admin/ and the portal")
        for teacher in teachers:
            self.stdout.write(f"  {teacher.user.username:<10} teacher   {teacher.display_name}")
        self.stdout.write("")
        self.stdout.write("Classrooms (class code, level, teachers, children):")
        for classroom in classrooms:
            names = ", ".join(t.user.username for t in classroom.teachers.all())
            size = ChildProfile.objects.filter(classroom=classroom).count()
            self.stdout.write(
                f"  {classroom.class_code}  {classroom.kg_level}  {classroom.name:<11} {names:<10} {size} children"
            )
        sample = ChildProfile.objects.filter(classroom=classrooms[0]).order_by("id").first()
        if sample:
            self.stdout.write("")
            self.stdout.write(
                f"A child to sign in as: class code {classrooms[0].class_code}, child id {sample.pk} "
                f"({sample.display_name}), picture code {' '.join(sample.picture_code_icons)}."
            )
