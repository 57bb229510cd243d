"""Plugins: found through entry points, disabled by settings, refused when broken."""

from __future__ import annotations

import inspect
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from mentorlog.core.access import person_actor
from mentorlog.core.application import Mentoring
from mentorlog.core.errors import GoalInvalid, ParticipantsInvalid, UnknownFormat
from mentorlog.plugins import hookspecs, interfaces
from mentorlog.plugins.manager import HOOKS, Catalog, PluginError, load_catalog

import mentorlog
from mentorlog.services import Services, open_services
from mentorlog.settings import Settings
from tests.conftest import INSTALLED_PLUGINS

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "mentorlog-grow"
DOCS = ROOT / "docs" / "plugins.md"
SYSTEM = "system:tests"
BUILTIN_FORMATS = {"one_on_one", "reverse", "circle", "peer", "group"}
BUILTIN_FRAMEWORKS = {"plain", "smart", "smarty", "okr"}
BUILTIN_PLUGINS = ["formats", "goal_frameworks", "matching", "email", "webhook"]


# -- the example distribution, installed into a temporary directory ----------


def _builds_offline() -> bool:
    """Tell whether setuptools here can build a wheel without pip fetching one."""
    try:
        import setuptools
    except ImportError:
        return False
    try:
        import wheel  # noqa: F401
    except ImportError:
        major, minor = (int(x) for x in setuptools.__version__.split(".")[:2])
        return (major, minor) >= (70, 1)
    return True


@pytest.fixture(scope="module")
def grow_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pip-install (not editable) a copy of examples/mentorlog-grow into a temp dir."""
    base = tmp_path_factory.mktemp("grow")
    source = base / "source"
    shutil.copytree(
        EXAMPLE,
        source,
        ignore=shutil.ignore_patterns(
            "build", "*.egg-info", "__pycache__", ".pytest_cache"
        ),
    )
    target = base / "site"
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-input"]
    command += ["--disable-pip-version-check", "--target", str(target)]
    if _builds_offline():
        command.append("--no-build-isolation")
    result = subprocess.run(
        [*command, str(source)], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (target / "mentorlog_grow" / "__init__.py").exists()
    return target


def _forget_modules(prefix: str) -> None:
    for name in [m for m in sys.modules if m.split(".")[0] == prefix]:
        del sys.modules[name]


@pytest.fixture
def grow_on_path(grow_target: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Put the installed example on sys.path for this test only."""
    _forget_modules("mentorlog_grow")
    monkeypatch.syspath_prepend(str(grow_target))
    yield grow_target
    _forget_modules("mentorlog_grow")


def _env_with(path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(path), env.get("PYTHONPATH", "")) if p
    )
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for name in ("MENTORLOG_DISABLE_PLUGINS", "MENTORLOG_SKIP_FAILING_PLUGINS"):
        env.pop(name, None)
    return env


def test_the_installed_example_is_an_entry_point_in_a_fresh_interpreter(
    grow_target: Path, tmp_path: Path
) -> None:
    script = textwrap.dedent(
        """
        import json
        from importlib.metadata import entry_points

        import mentorlog_grow
        from mentorlog.plugins.manager import load_catalog

        catalog = load_catalog()
        print(json.dumps({
            "entry_points": [
                [ep.name, ep.value, ep.dist.name if ep.dist else None]
                for ep in entry_points(group="mentorlog")
            ],
            "module": mentorlog_grow.__file__,
            "formats": sorted(catalog.formats),
            "frameworks": sorted(catalog.frameworks),
            "plugins": [[p.name, p.distribution, p.hooks] for p in catalog.plugins],
        }))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=_env_with(grow_target),
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)
    assert ["grow", "mentorlog_grow", "mentorlog-grow"] in seen["entry_points"]
    assert Path(seen["module"]).is_relative_to(grow_target)
    assert set(seen["formats"]) == BUILTIN_FORMATS | {"speed"}
    assert set(seen["frameworks"]) == BUILTIN_FRAMEWORKS | {"grow"}
    assert [
        "grow",
        "mentorlog-grow",
        ["match_score", "register_formats", "register_goal_frameworks"],
    ] in seen["plugins"]


def test_mentorlog_plugins_lists_the_example_with_its_distribution_and_hooks(
    grow_target: Path, tmp_path: Path
) -> None:
    env = _env_with(grow_target)
    env["COLUMNS"] = "200"
    result = subprocess.run(
        [sys.executable, "-m", "mentorlog", "plugins"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    row = next(line for line in result.stdout.splitlines() if "mentorlog-grow" in line)
    assert "grow" in row.replace("mentorlog-grow", "")
    assert "register_formats" in row and "register_goal_frameworks" in row
    assert "match_score" in row
    assert "speed" in result.stdout


def test_the_example_plugins_own_tests_pass_once_installed(
    grow_target: Path,
) -> None:
    source = grow_target.parent / "source"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        env=_env_with(grow_target),
        cwd=source,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"\b\d+ passed\b", result.stdout), result.stdout


MENTORLOG_SOURCES = ["pyproject.toml", "README.md", "mentorlog", "core", "plugins"]
MENTORLOG_SOURCES += ["projections", "schema"]
# A plugin author's mistakes, which mypy sees only when mentorlog is typed (PEP 561).
MISTYPED = """
from mentorlog.core.errors import NotFound
from mentorlog.plugins.interfaces import Role

wrong: int = Role("mentor", "Mentor", "mentor", 1, 1)
also_wrong: str = NotFound("no such goal", "goalId").code + 1
"""


@pytest.fixture(scope="module")
def mentorlog_wheel_target(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Pip-install (not editable) a copy of mentorlog itself into a temp dir."""
    base = tmp_path_factory.mktemp("mentorlog")
    source = base / "source"
    source.mkdir()
    for name in MENTORLOG_SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy(ROOT / name, source / name)
    target = base / "site"
    command = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-input"]
    command += ["--disable-pip-version-check", "--target", str(target)]
    if _builds_offline():
        command.append("--no-build-isolation")
    result = subprocess.run(
        [*command, str(source)], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def test_a_plugin_authors_type_checker_sees_mentorlog_as_typed(
    grow_target: Path, mentorlog_wheel_target: Path, tmp_path: Path
) -> None:
    installed = mentorlog_wheel_target / "mentorlog"
    assert (installed / "py.typed").is_file()
    assert (installed / "core" / "errors.py").is_file()
    source = grow_target.parent / "source"
    probe = tmp_path / "probe.py"
    probe.write_text(MISTYPED)
    env = _env_with(mentorlog_wheel_target)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "src", str(probe)],
        capture_output=True,
        text=True,
        env=env,
        cwd=source,  # the example's own mypy settings (ignore_missing_imports)
        timeout=300,
    )
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 2, result.stdout + result.stderr
    assert 'expression has type "Role", variable has type "int"' in errors[0]
    assert 'Unsupported operand types for + ("str" and "int")' in errors[1]
    assert all(line.startswith(str(probe)) for line in errors), errors


def _grow_fields(app: Mentoring, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "goal": "Lead the team's next release",
        "reality": "I have shipped features but never coordinated a release",
        "options": "Shadow the current release lead\nRun a dry-run release",
        "will": "Ask the release lead to shadow the next release",
        "will_by": (app.today() + timedelta(days=7)).isoformat(),
    }
    fields.update(changes)
    return fields


def _person(app: Mentoring, name: str, stage: str, years: float) -> str:
    return app.register_person(
        actor=SYSTEM,
        display_name=name,
        career_stage=stage,
        years_experience=years,
        tenure_years=min(years, 3),
    ).id


def test_grow_goal_and_speed_format_work_through_the_service(
    grow_on_path: Path, tmp_path: Path
) -> None:
    services = open_services(Settings(data_dir=tmp_path / "data"))
    try:
        app = services.app
        assert services.catalog.format("speed") is not None
        program = app.create_program(
            actor=SYSTEM,
            name="Speed mentoring day",
            formats=["speed"],
            default_framework="grow",
        ).id
        mentor = _person(app, "Sam Senior", "late", 20)
        mentee = _person(app, "Jo Junior", "early", 2)
        mentorship = app.propose_mentorship(
            actor=SYSTEM,
            program_id=program,
            format="speed",
            participants=[
                {"person_id": mentor, "role": "mentor"},
                {"person_id": mentee, "role": "mentee"},
            ],
        ).id
        app.start_mentorship(mentorship, actor=SYSTEM)

        before = app.recorder.max_notification_id()
        with pytest.raises(GoalInvalid) as refused:
            app.set_goal(
                mentorship,
                actor=person_actor(mentee),
                title="Lead a release",
                framework="grow",
                fields=_grow_fields(app, options="Just one way"),
            )
        assert refused.value.code == "GOAL_INVALID"
        assert app.recorder.max_notification_id() == before

        goal = app.set_goal(
            mentorship,
            actor=person_actor(mentee),
            title="Lead a release",
            framework="grow",
            fields=_grow_fields(app),
        ).id
        assert app.get_mentorship(mentorship).goal(goal)["framework"] == "grow"

        services.runner.catch_up()
        with sqlite3.connect(services.settings.views_db) as con:
            row = con.execute(
                "SELECT framework, fields FROM goals WHERE id = ?", (goal,)
            ).fetchone()
        assert row[0] == "grow"
        assert json.loads(row[1]) == _grow_fields(app)
    finally:
        services.close()


# -- disabling ---------------------------------------------------------------


def test_load_catalog_disabled_leaves_the_plugin_out(grow_on_path: Path) -> None:
    assert "grow" in {p.name for p in load_catalog().plugins}
    catalog = load_catalog(disabled=["grow"])
    assert catalog.format("speed") is None
    assert catalog.framework("grow") is None
    assert "grow" not in {p.name for p in catalog.plugins}
    assert set(catalog.formats) == BUILTIN_FORMATS


def test_mentorlog_disable_plugins_disables_plugins_and_built_ins(
    grow_on_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MENTORLOG_DISABLE_PLUGINS", " grow , goal_frameworks ")
    settings = Settings.from_env(tmp_path / "data")
    assert settings.disabled_plugins == ("grow", "goal_frameworks")
    services = open_services(settings)
    try:
        assert set(services.catalog.formats) == BUILTIN_FORMATS
        assert services.catalog.frameworks == {}
        assert [p.name for p in services.catalog.plugins] == [
            "formats",
            "matching",
            "email",
            "webhook",
        ]
        with pytest.raises(UnknownFormat):
            services.app.create_program(
                actor=SYSTEM, name="Speed day", formats=["speed"]
            )
    finally:
        services.close()


# -- a distribution made on the spot, to test how plugins are loaded -----------


MakeDist = Callable[..., Path]


@pytest.fixture
def make_dist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeDist]:
    """Write an installed distribution (module + .dist-info) and put it on sys.path."""
    site = tmp_path / "site"
    site.mkdir()
    modules: list[str] = []

    def make(dist: str, module: str, source: str, plugin: str | None = None) -> Path:
        (site / f"{module}.py").write_text(textwrap.dedent(source))
        info = site / f"{dist.replace('-', '_')}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: 0.1\n"
        )
        (info / "entry_points.txt").write_text(
            f"[mentorlog]\n{plugin or module} = {module}\n"
        )
        modules.append(module)
        return site

    monkeypatch.syspath_prepend(str(site))
    yield make
    for module in modules:
        _forget_modules(module)


FORMATS_ONLY = '''
    """A plugin that adds one format."""
    from mentorlog import hookimpl
    from mentorlog.plugins.interfaces import Format, Problem, Role


    def _rules(candidates):
        return [
            Problem("participants", "the observer must not be the most senior")
            for c in candidates
            if c.role == "observer"
            and all(c.years_experience >= o.years_experience for o in candidates)
        ]


    @hookimpl
    def register_formats():
        """Add the triad format."""
        return [
            Format(
                "triad",
                "Triad",
                "A mentor, a mentee and an observer who learns by watching.",
                (
                    Role("mentor", "Mentor", "mentor", 1, 1),
                    Role("mentee", "Mentee", "mentee", 1, 1),
                    Role("observer", "Observer", "mentee", 1, 1),
                ),
                default_cadence_days=21,
                rules=_rules,
            )
        ]
'''


def test_register_formats_adds_a_format_the_service_uses(
    make_dist: MakeDist, app_factory: Callable[..., Services]
) -> None:
    make_dist("mentorlog-triad", "mentorlog_triad_plugin", FORMATS_ONLY, "triad")
    services = app_factory()
    app = services.app
    info = next(p for p in services.catalog.plugins if p.name == "triad")
    assert (info.distribution, info.version) == ("mentorlog-triad", "0.1")
    assert info.hooks == ["register_formats"]
    triad = services.catalog.format("triad")
    assert triad is not None and triad.default_cadence_days == 21
    program = app.create_program(actor=SYSTEM, name="Triads", formats=["triad"]).id
    senior = _person(app, "Sam Senior", "late", 20)
    junior = _person(app, "Jo Junior", "early", 2)
    middle = _person(app, "Mo Middle", "mid", 8)

    def propose(mentor: str, mentee: str, observer: str) -> str:
        return app.propose_mentorship(
            actor=SYSTEM,
            program_id=program,
            format="triad",
            participants=[
                {"person_id": mentor, "role": "mentor"},
                {"person_id": mentee, "role": "mentee"},
                {"person_id": observer, "role": "observer"},
            ],
        ).id

    mentorship = propose(senior, junior, middle)
    sides = [p["side"] for p in app.get_mentorship(mentorship).participants]
    assert sides == ["mentor", "mentee", "mentee"]
    before = app.recorder.max_notification_id()
    with pytest.raises(ParticipantsInvalid) as refused:
        propose(middle, junior, senior)
    assert refused.value.code == "PARTICIPANTS_INVALID"
    assert "observer" in refused.value.message
    assert app.recorder.max_notification_id() == before


FRAMEWORKS_ONLY = '''
    """A plugin that adds one goal framework."""
    from mentorlog import hookimpl
    from mentorlog.plugins.interfaces import GoalField, GoalFramework


    class Habit(GoalFramework):
        """A habit: what to do and how many times a week."""

        def validate(self, values, context):
            problems = super().validate(values, context)
            per_week = values.get("per_week")
            if not problems and not 1 <= per_week <= 7:
                from mentorlog.plugins.interfaces import Problem

                problems.append(Problem("fields.per_week", "per_week must be 1-7"))
            return problems

        def validate_progress(self, values, measurement):
            return []

        def progress(self, values, measurement):
            done = measurement.get("percent", 0)
            return min(100.0, float(done) * 2)


    @hookimpl
    def register_goal_frameworks():
        """Add the habit framework."""
        return [
            Habit(
                "habit",
                "Habit",
                "Something done every week.",
                (
                    GoalField("habit", "text", True, "What to do."),
                    GoalField("per_week", "number", True, "How many times a week."),
                ),
            )
        ]
'''


def test_register_goal_frameworks_adds_a_framework_the_service_uses(
    make_dist: MakeDist, app_factory: Callable[..., Services]
) -> None:
    make_dist("mentorlog-habit", "mentorlog_habit_plugin", FRAMEWORKS_ONLY, "habit")
    services = app_factory()
    app = services.app
    info = next(p for p in services.catalog.plugins if p.name == "habit")
    assert info.distribution == "mentorlog-habit"
    assert info.hooks == ["register_goal_frameworks"]
    program = app.create_program(
        actor=SYSTEM, name="Habits", default_framework="habit"
    ).id
    mentor = _person(app, "Sam Senior", "late", 20)
    mentee = _person(app, "Jo Junior", "early", 2)
    mentorship = app.propose_mentorship(
        actor=SYSTEM,
        program_id=program,
        format="one_on_one",
        participants=[
            {"person_id": mentor, "role": "mentor"},
            {"person_id": mentee, "role": "mentee"},
        ],
    ).id
    goal = app.set_goal(
        mentorship,
        actor=person_actor(mentee),
        title="Read",
        fields={"habit": "Read a paper", "per_week": 2},
    ).id
    app.record_goal_progress(mentorship, goal, actor=SYSTEM, percent=30)
    recorded = app.get_mentorship(mentorship).goal(goal)
    assert (recorded["framework"], recorded["progress"]) == ("habit", 60.0)
    before = app.recorder.max_notification_id()
    with pytest.raises(GoalInvalid) as refused:
        app.set_goal(
            mentorship,
            actor=person_actor(mentee),
            title="Run",
            fields={"habit": "Run", "per_week": 9},
        )
    assert [p.field for p in refused.value.problems] == ["fields.per_week"]
    assert app.recorder.max_notification_id() == before


MATCH_SCORE_ONLY = '''
    """A plugin that prefers mentors who share the mentee's time zone."""
    from mentorlog import hookimpl
    from mentorlog.plugins.interfaces import Contribution


    @hookimpl
    def match_score(mentor, mentee):
        """Score the pair on a shared time zone, if the mentee gives one."""
        zones = [i for i in mentee.interests if i.startswith("tz:")]
        if not zones:
            return []
        shared = zones[0] in mentor.skills
        return [
            Contribution(
                "time_zone",
                3.0,
                1.0 if shared else 0.0,
                f"Same time zone ({zones[0][3:]})." if shared else "Other time zone.",
            )
        ]
'''


def _profiles(
    mentor_zone: str, mentee_zone: str | None = "tz:CET"
) -> tuple[interfaces.Profile, interfaces.Profile, interfaces.ProgramProfile]:
    mentor = interfaces.Profile("m", "late", 20, 6, ("python", mentor_zone), (), 2)
    interests = ("python", mentee_zone) if mentee_zone else ("python",)
    mentee = interfaces.Profile("e", "early", 2, 2, (), interests)
    return mentor, mentee, interfaces.ProgramProfile("p", {}, ("one_on_one",))


def test_match_score_adds_a_weighted_explained_contribution(
    make_dist: MakeDist, app_factory: Callable[..., Services]
) -> None:
    make_dist("mentorlog-tz", "mentorlog_tz_plugin", MATCH_SCORE_ONLY, "tz")
    services = app_factory()
    catalog = services.catalog
    info = next(p for p in catalog.plugins if p.name == "tz")
    assert (info.distribution, info.hooks) == ("mentorlog-tz", ["match_score"])
    assert [s.plugin for s in catalog.scorers] == ["matching", "tz"]
    assert set(catalog.formats) == BUILTIN_FORMATS

    same = catalog.match(*_profiles("tz:CET"))
    other = catalog.match(*_profiles("tz:PST"))
    # Weight 3 at score 1 or 0 moves the total more than anything but eligibility.
    assert [c.name for c in same.contributions][:2] == ["eligibility", "time_zone"]
    assert [c.name for c in other.contributions][:2] == ["eligibility", "time_zone"]
    assert same.contribution("time_zone") == interfaces.Contribution(
        "time_zone", 3.0, 1.0, "Same time zone (CET)."
    )
    assert other.contribution("time_zone") == interfaces.Contribution(
        "time_zone", 3.0, 0.0, "Other time zone."
    )
    # Weighed in with the built-in contributions: a weighted mean.
    builtin = load_catalog(disabled=["tz", *INSTALLED_PLUGINS])
    for match, zone, score in ((same, "tz:CET", 1), (other, "tz:PST", 0)):
        alone = builtin.match(*_profiles(zone))
        weights = sum(c.weight for c in alone.contributions)
        expected = (alone.total * weights + 3 * score) / (weights + 3)
        assert match.total == pytest.approx(expected)
        assert match.contributions[2:] == alone.contributions[1:]
    assert other.total < same.total
    # No opinion, no contribution: the mentee gives no time zone.
    plain = catalog.match(*_profiles("tz:CET", None))
    assert plain.contribution("time_zone") is None
    assert plain == builtin.match(*_profiles("tz:CET", None))


MATCH_SCORE_RAISES = """
    from mentorlog import hookimpl


    @hookimpl
    def match_score(mentor, mentee, program):
        return [program.eligibility["coaching"]]
"""

MATCH_SCORE_WRONG_TYPE = """
    from mentorlog import hookimpl


    @hookimpl
    def match_score(mentor, mentee, program):
        return [{"name": "vibes", "score": 1}]
"""

MATCH_SCORE_OUT_OF_RANGE = """
    from mentorlog import hookimpl
    from mentorlog.plugins.interfaces import Contribution


    @hookimpl
    def match_score(mentor, mentee, program):
        return [Contribution("vibes", 1.0, 7.0, "Great vibes.")]
"""


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        pytest.param(MATCH_SCORE_RAISES, "KeyError: 'coaching'", id="raises"),
        pytest.param(
            MATCH_SCORE_WRONG_TYPE, "returned dict, not a Contribution", id="wrong-type"
        ),
        pytest.param(
            MATCH_SCORE_OUT_OF_RANGE, "score must be between 0 and 1", id="range"
        ),
    ],
)
@pytest.mark.parametrize("skip_failing", [False, True])
def test_a_failing_match_score_raises_when_called_naming_plugin_and_hook(
    make_dist: MakeDist, source: str, reason: str, skip_failing: bool
) -> None:
    make_dist("mentorlog-coach", "mentorlog_coach_plugin", source, "coach")
    catalog = load_catalog(INSTALLED_PLUGINS, skip_failing=skip_failing)
    assert catalog.skipped == []
    assert "coach" in {p.name for p in catalog.plugins}
    with pytest.raises(PluginError) as failed:
        catalog.match(*_profiles("tz:CET"))
    message = str(failed.value)
    assert message.startswith(
        "plugin 'coach' from distribution 'mentorlog-coach' failed in hook "
        "'match_score': "
    )
    assert reason in message
    assert (
        load_catalog(disabled=["coach", *INSTALLED_PLUGINS])
        .match(*_profiles("tz:CET"))
        .total
        > 0
    )


@pytest.fixture
def app_factory(tmp_path: Path) -> Iterator[Callable[..., Services]]:
    """Open services on a fresh data dir once the test has set up its plugins.

    The plugins installed in the environment stay out: the test sees the built-ins
    and the distributions it made.
    """
    opened: list[Services] = []

    def factory(**settings: Any) -> Services:
        data_dir = tmp_path / f"data{len(opened)}"
        settings.setdefault("disabled_plugins", INSTALLED_PLUGINS)
        opened.append(open_services(Settings(data_dir=data_dir, **settings)))
        return opened[-1]

    yield factory
    for services in opened:
        services.close()


# -- plugins that fail ---------------------------------------------------------

FAILS_ON_IMPORT = """
    raise RuntimeError("cannot reach the licence server")
"""

HOOK_RAISES = """
    from mentorlog import hookimpl
    from mentorlog.plugins.interfaces import GoalField, GoalFramework


    @hookimpl
    def register_goal_frameworks():
        return [GoalFramework("stretch", "Stretch", "A stretch goal.", ())]


    @hookimpl
    def match_score(mentor, mentee):
        return []


    @hookimpl
    def register_formats():
        raise ValueError("formats.yaml is missing")
"""

RETURNS_WRONG_TYPE = """
    from mentorlog import hookimpl


    @hookimpl
    def register_formats():
        return [{"name": "buddy"}]
"""

MISSPELT_HOOK = """
    from mentorlog import hookimpl


    @hookimpl
    def register_format():
        return []
"""

REUSES_A_BUILT_IN_NAME = """
    from mentorlog import hookimpl
    from mentorlog.plugins.interfaces import Format, Role


    @hookimpl
    def register_formats():
        return [
            Format(
                "one_on_one",
                "Hijacked",
                "Replaces the built-in.",
                (Role("peer", "Peer", "peer", 1, 9),),
            )
        ]
"""

MATCH_SCORE_WITH_AN_UNKNOWN_ARGUMENT = """
    from mentorlog import hookimpl


    @hookimpl
    def match_score(mentor, mentee, programme):
        return []
"""

FAILING = [
    pytest.param(FAILS_ON_IMPORT, "failed to load", id="import-error"),
    pytest.param(HOOK_RAISES, "hook 'register_formats'", id="hook-raises"),
    pytest.param(RETURNS_WRONG_TYPE, "hook 'register_formats'", id="wrong-type"),
    pytest.param(MISSPELT_HOOK, "unknown hook 'register_format'", id="misspelt"),
    pytest.param(REUSES_A_BUILT_IN_NAME, "hook 'register_formats'", id="duplicate"),
    pytest.param(
        MATCH_SCORE_WITH_AN_UNKNOWN_ARGUMENT, "programme", id="unknown-argument"
    ),
]


@pytest.mark.parametrize(("source", "where"), FAILING)
def test_a_failing_plugin_stops_start_up_naming_plugin_distribution_and_hook(
    make_dist: MakeDist, tmp_path: Path, source: str, where: str
) -> None:
    make_dist("mentorlog-broken", "mentorlog_broken_plugin", source, "broken")
    with pytest.raises(PluginError) as failed:
        open_services(Settings(data_dir=tmp_path / "data"))
    message = str(failed.value)
    assert "plugin 'broken'" in message
    assert "distribution 'mentorlog-broken'" in message
    assert where in message


@pytest.mark.parametrize(("source", "where"), FAILING)
def test_skip_failing_skips_the_plugin_with_a_warning(
    make_dist: MakeDist,
    app_factory: Callable[..., Services],
    caplog: pytest.LogCaptureFixture,
    source: str,
    where: str,
) -> None:
    make_dist("mentorlog-broken", "mentorlog_broken_plugin", source, "broken")
    with caplog.at_level(logging.WARNING, logger="mentorlog.plugins.manager"):
        services = app_factory(skip_failing_plugins=True)
    catalog: Catalog = services.catalog
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1
    assert "plugin 'broken'" in warnings[0] and where in warnings[0]
    assert "mentorlog-broken" in warnings[0]
    assert catalog.skipped == [warnings[0].removesuffix(" (skipped)")]
    assert [p.name for p in catalog.plugins] == BUILTIN_PLUGINS
    assert [s.plugin for s in catalog.scorers] == ["matching"]
    # All or nothing: a plugin that fails in one hook adds nothing from another.
    assert set(catalog.formats) == BUILTIN_FORMATS
    assert set(catalog.frameworks) == BUILTIN_FRAMEWORKS
    assert catalog.formats["one_on_one"].title == "One-on-one"


def test_mentorlog_skip_failing_plugins_is_read_from_the_environment(
    make_dist: MakeDist, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_dist("mentorlog-broken", "mentorlog_broken_env", FAILS_ON_IMPORT, "broken")
    monkeypatch.setenv("MENTORLOG_SKIP_FAILING_PLUGINS", "true")
    services = open_services(Settings.from_env(tmp_path / "data"))
    try:
        assert len(services.catalog.skipped) == 1
        assert "mentorlog-broken" in services.catalog.skipped[0]
    finally:
        services.close()


def test_a_failing_plugin_can_also_be_disabled_by_name(make_dist: MakeDist) -> None:
    make_dist("mentorlog-broken", "mentorlog_broken_off", FAILS_ON_IMPORT, "broken")
    with pytest.raises(PluginError):
        load_catalog()
    catalog = load_catalog(disabled=["broken", *INSTALLED_PLUGINS])
    assert catalog.skipped == []
    assert set(catalog.formats) == BUILTIN_FORMATS


# -- the hooks are documented --------------------------------------------------


def _hookspecs() -> dict[str, Callable[..., Any]]:
    return {
        name: fn
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, f"{hookspecs.PROJECT}_spec")
    }


def test_every_hookspec_has_a_one_line_docstring_and_is_collected() -> None:
    specs = _hookspecs()
    assert specs, "no hookspecs found"
    for name, fn in specs.items():
        doc = fn.__doc__ or ""
        assert doc.strip(), f"{name} has no docstring"
        assert "\n" not in doc.strip(), f"{name}'s docstring is not one line"
    assert set(specs) == set(HOOKS), "the manager must collect every hook"


def test_every_hookspec_and_interface_is_documented() -> None:
    docs = DOCS.read_text()
    documented_hooks = set(re.findall(r"^### `(\w+)\(", docs, re.MULTILINE))
    assert documented_hooks == set(_hookspecs())
    for name, fn in _hookspecs().items():
        # Annotations are strings here (postponed evaluation): drop their quotes.
        signature = f"{name}{inspect.signature(fn)}".replace("'", "")
        assert f"def {signature}" in docs, f"docs/plugins.md lacks {signature}"
        assert (fn.__doc__ or "").strip() in docs
    classes = [
        name
        for name, cls in inspect.getmembers(interfaces, inspect.isclass)
        if cls.__module__ == interfaces.__name__
    ]
    for name in classes:
        assert re.search(rf"^### `{name}`", docs, re.MULTILINE), name


def test_hookimpl_is_exported_under_the_project_name() -> None:
    assert mentorlog.hookimpl is hookspecs.hookimpl
    assert mentorlog.hookimpl.project_name == hookspecs.PROJECT == "mentorlog"
