"""The portal in a real browser (Debian's Chromium driven by Playwright) against the real ASGI server.

A teacher signs in, writes a lesson with a picture, builds a two-question quiz and publishes it; a child answers
it through the GraphQL API and the teacher's open live view shows it without a reload; an admin finds the
teacher's sign-in in the audit log. Screenshots of the main pages go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

from tests.servers import manage, server_env, uvicorn_servers

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ROOT = Path(settings.BASE_DIR)
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
PASSWORD = "violet tractor harbour 91"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)

SETUP = f"""
import json
from learnify.accounts.models import User
from learnify.accounts import services
admin = User.objects.create_superuser(username="admin", password={PASSWORD!r}, role=User.Role.ADMIN)
teacher = services.create_teacher(username="teacher1", password={PASSWORD!r}, display_name="Ms. Amal", approved=True, actor=admin)
classroom = services.create_classroom(name="Sunflowers", kg_level="KG1", school_year="2026-2027", teachers=[teacher], actor=admin)
import datetime
child = services.enrol_child(display_name="Sami", birth_date=datetime.date.today().replace(year=datetime.date.today().year - 4) - datetime.timedelta(days=20), classroom=classroom, actor=admin, picture_code=["cat", "sun", "tree"])
from learnify.lessons.models import Skill
Skill.objects.create(code="NUM-SHAPES", name="Shapes", domain="numeracy", kg_level="KG1")
print(json.dumps({{"classroom": classroom.pk, "class_code": classroom.class_code, "child": child.pk}}))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    pytest.importorskip("playwright.sync_api")
    tmp = tmp_path_factory.mktemp("browser")
    env = server_env(
        SQLITE_PATH=str(tmp / "db.sqlite3"), MEDIA_ROOT=str(tmp / "media"), PYTHONUNBUFFERED="1"
    )
    manage(env, "migrate", "--noinput", "-v0")
    ids = json.loads(manage(env, "shell", "-c", SETUP).stdout.strip().splitlines()[-1])
    with open(tmp / "server.log", "w") as log, uvicorn_servers(env, log=log) as (base,):
        yield {"base": base, "tmp": tmp, **ids}


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/portal/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/portal/classrooms/")


def _graphql(
    base: str, query: str, variables: dict | None = None, token: str | None = None
) -> dict:
    request = urllib.request.Request(  # noqa: S310 - loopback only
        base + "/api/graphql/",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
        return json.loads(response.read())


def test_teacher_builds_a_quiz_child_answers_live_view_updates_admin_audits(
    server, browser, tmp_path
):
    base = server["base"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )

    _sign_in(page, base, "teacher1")
    _shot(page, "01-classes")

    # A lesson with a picture.
    page.goto(base + "/portal/lessons/new/")
    page.get_by_label("Title").fill("Circles and squares")
    page.get_by_label("What the child does").fill("Find the round and the square things.")
    page.get_by_label("Skills").select_option(label="NUM-SHAPES: Shapes")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url("**/portal/lessons/*/")
    picture = tmp_path / "circle.png"
    picture.write_bytes(PNG)
    page.locator("#media").get_by_label("File").set_input_files(str(picture))
    page.locator("#media").get_by_label("Description for screen readers").fill("A red circle")
    page.locator("#media").get_by_role("button", name="Upload").click()
    page.locator("#media img[alt='A red circle']").wait_for()
    _shot(page, "02-lesson")

    # A quiz of two questions, built inline without reloading the page.
    page.get_by_role("link", name="Quiz").click()
    page.wait_for_url("**/quiz/")
    for prompt, right, wrong in (
        ("Which one is round?", "Ball", "Box"),
        ("Which one has corners?", "Box", "Ball"),
    ):
        page.locator("#id_prompt").fill(prompt)
        page.get_by_role("button", name="Add question").click()
        item = page.locator(f"ol.question-list > li:has(input[value='{prompt}'])")
        item.wait_for()
        for label, correct in ((right, True), (wrong, False)):
            item.get_by_label("New answer").fill(label)
            if correct:
                item.get_by_label("Correct").check()
            item.get_by_role("button", name="Add answer").click()
            item.locator("ul li span", has_text=label).first.wait_for()
    page.get_by_role("button", name="Publish quiz").click()
    page.get_by_text("Published", exact=True).wait_for()
    _shot(page, "03-quiz-builder")
    page.get_by_role("link", name="Back to the lesson").click()
    page.get_by_role("button", name="Publish").click()
    page.get_by_text("Published: children can open it.").wait_for()

    # The teacher opens the live view of the class.
    page.goto(f"{base}/portal/classrooms/{server['classroom']}/live/")
    page.wait_for_timeout(1000)  # the websocket connects
    _shot(page, "04-live-before")

    # The child signs in with pictures and answers through the API.
    signed_in = _graphql(
        base,
        'mutation($c: String!, $id: ID!) { childLogin(classCode: $c, childId: $id, pictureCode: ["cat", "sun", "tree"]) { token } }',
        {"c": server["class_code"], "id": str(server["child"])},
    )
    token = signed_in["data"]["childLogin"]["token"]
    lessons = _graphql(
        base,
        "{ lessons { title quiz { id questions { id prompt choices { id label } } } } }",
        token=token,
    )
    lesson = next(
        item for item in lessons["data"]["lessons"] if item["title"] == "Circles and squares"
    )
    right = {"Which one is round?": "Ball", "Which one has corners?": "Box"}
    answers = [
        {
            "questionId": q["id"],
            "choiceIds": [next(c["id"] for c in q["choices"] if c["label"] == right[q["prompt"]])],
            "seconds": 5,
        }
        for q in lesson["quiz"]["questions"]
    ]
    result = _graphql(
        base,
        'mutation($q: ID!, $a: [AnswerInput!]!) { submitQuizAttempt(quizId: $q, clientAttemptId: "browser-1", answers: $a) { attempt { score } } }',
        {"q": lesson["quiz"]["id"], "a": answers},
        token=token,
    )
    assert result["data"]["submitQuizAttempt"]["attempt"]["score"] == 1.0

    # Without a reload, the live grid now shows the lesson and the score.
    page.locator("#live-grid th", has_text="Circles and squares").wait_for(timeout=10_000)
    page.locator(f"#live-row-{server['child']} .cell", has_text="100 %").wait_for(timeout=10_000)
    _shot(page, "05-live-after")

    page.goto(f"{base}/portal/children/{server['child']}/")
    _shot(page, "06-child")
    context.close()

    # The admin finds the teacher's sign-in in the audit log.
    admin_context = browser.new_context(viewport={"width": 1280, "height": 900})
    admin_page = admin_context.new_page()
    _sign_in(admin_page, base, "admin")
    admin_page.goto(base + "/portal/audit/")
    admin_page.get_by_label("Action").fill("auth.login")
    admin_page.get_by_role("button", name="Filter").click()
    admin_page.wait_for_url("**action=auth.login**")
    rows = admin_page.locator("#results tbody tr")
    assert rows.filter(has_text="auth.login").filter(has_text="TEACHER").count() >= 1
    _shot(admin_page, "07-audit")
    admin_page.goto(base + "/portal/analytics/")
    _shot(admin_page, "08-analytics")
    admin_context.close()

    assert not [e for e in errors if "Content Security Policy" in e], errors
