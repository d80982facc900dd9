"""Real installed distributions: third-party plugins found by entry point, and our own wheel.

Each distribution is built from a temporary source tree with pip and installed with
``pip install --target`` into a temporary folder that child processes put on ``PYTHONPATH``,
so the test environment itself is never modified.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
J1 = Path(sys.executable).with_name("j1")

ACME = """
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

from j1_plugin import hookimpl
from j1_plugin.formats import PairwiseFormat

TEMPLATE = "Judge.\\n{question}\\nA) {response_a}\\nB) {response_b}\\nAnswer <answer> [[A]] </answer> or [[B]]."


def acme_length_reward(completions, **kwargs):
    return [float(len(str(c)) < 100) for c in completions]


@hookimpl
def register_formats(register):
    register(PairwiseFormat(name="acme-short", description="terse pairwise", template=TEMPLATE))


@hookimpl
def register_rewards(register):
    register(acme_length_reward)


@hookimpl
def register_benchmarks(register):
    register(SimpleNamespace(name="acme-bench", task_dir=Path(__file__).parent / "tasks"))
"""

BROKEN = "import module_that_does_not_exist_anywhere\n"

CLASH = """
from dataclasses import replace
import j1_plugin
from j1_plugin import hookimpl


@hookimpl
def register_formats(register):
    from j1_plugin.formats import builtin_formats
    register(builtin_formats()[0])
"""


FAULTY = """
from j1_plugin import hookimpl


@hookimpl
def register_rewards(register):
    raise RuntimeError("the reward server is not configured")
"""

SHADOW = """
from pathlib import Path
from types import SimpleNamespace

from j1_plugin import hookimpl


@hookimpl
def register_benchmarks(register):
    register(SimpleNamespace(name="shadow-bench", task_dir=Path(__file__).parent / "tasks"))
"""
SHADOW_TASK = (
    "task: j1_rewardbench\nclass: !function j1_plugin.lmeval.task.J1JudgeTask\nmetadata:\n  benchmark: judgebench\n"
)


def make_distribution(
    root: Path, dist: str, module: str, source: str, entry_name: str, files: dict[str, str] | None = None
) -> Path:
    folder = root / dist
    (folder / module).mkdir(parents=True)
    (folder / module / "__init__.py").write_text(textwrap.dedent(source))
    for name, text in (files or {}).items():
        (folder / module / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / module / name).write_text(text)
    (folder / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""
            [build-system]
            requires = ["setuptools"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{dist}"
            version = "1.2.3"

            [project.entry-points.j1_plugin]
            {entry_name} = "{module}"

            [tool.setuptools.package-data]
            "*" = ["tasks/*.yaml"]
            """
        )
    )
    return folder


def pip_install_target(target: Path, *sources: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), *map(str, sources)],
        check=True,
        capture_output=True,
    )  # fmt: skip


def run_in_child(args, *, pythonpath, env_extra=None, cwd=None):
    env = {k: v for k, v in os.environ.items() if k not in ("J1_PLUGINS", "PYTHONPATH")}
    env["PYTHONPATH"] = os.pathsep.join(map(str, pythonpath))
    env.update(env_extra or {})
    return subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def plugin_sites(tmp_path_factory):
    """Two install targets: one with a good and a broken plugin, one with a name-clashing plugin."""
    root = tmp_path_factory.mktemp("plugin-src")
    good_site, clash_site = tmp_path_factory.mktemp("site-good"), tmp_path_factory.mktemp("site-clash")
    pip_install_target(
        good_site,
        make_distribution(root, "acme-j1", "acme_j1", ACME, "acme"),
        make_distribution(root, "broken-j1", "broken_j1", BROKEN, "broken"),
    )
    pip_install_target(clash_site, make_distribution(root, "clash-j1", "clash_j1", CLASH, "clash"))
    return good_site, clash_site


@pytest.fixture(scope="module")
def faulty_site(tmp_path_factory):
    """A good plugin beside one whose hook raises."""
    root, site = tmp_path_factory.mktemp("faulty-src"), tmp_path_factory.mktemp("site-faulty")
    pip_install_target(
        site,
        make_distribution(root, "acme-j1", "acme_j1", ACME, "acme"),
        make_distribution(root, "faulty-j1", "faulty_j1", FAULTY, "faulty"),
    )
    return site


@pytest.fixture(scope="module")
def shadow_site(tmp_path_factory):
    """A plugin whose task folder defines a task named like a built-in one."""
    root, site = tmp_path_factory.mktemp("shadow-src"), tmp_path_factory.mktemp("site-shadow")
    files = {"tasks/j1_rewardbench.yaml": SHADOW_TASK}
    pip_install_target(site, make_distribution(root, "shadow-j1", "shadow_j1", SHADOW, "shadow", files))
    return site


def plugins_json(pythonpath, **env):
    result = run_in_child([str(J1), "plugins", "--json"], pythonpath=pythonpath, env_extra=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    return {p["name"]: p for p in report["plugins"]}, {f["name"]: f for f in report["failed"]}


def test_an_installed_third_party_plugin_appears_in_j1_plugins(plugin_sites):
    good_site, _ = plugin_sites
    plugins, _ = plugins_json([good_site])
    acme = plugins["acme"]
    assert (acme["distribution"], acme["version"]) == ("acme-j1", "1.2.3")
    assert acme["formats"] == ["acme-short"]
    assert acme["rewards"] == ["acme_length_reward"]
    assert acme["benchmarks"] == ["acme-bench"]
    assert plugins["j1_plugin.builtin"]["formats"] == ["pav", "pas", "pavs", "pos", "pav-plan"]


def test_a_plugin_that_fails_to_import_is_reported_by_name_with_its_error(plugin_sites):
    good_site, _ = plugin_sites
    plugins, failed = plugins_json([good_site])
    assert "broken" not in plugins and "acme" in plugins
    assert failed["broken"]["distribution"] == "broken-j1 1.2.3"
    assert "ModuleNotFoundError" in failed["broken"]["error"]
    assert "module_that_does_not_exist_anywhere" in failed["broken"]["error"]
    text = run_in_child([str(J1), "plugins"], pythonpath=[good_site])
    assert "not loaded (or disabled):" in text.stdout and "broken (broken-j1 1.2.3): ModuleNotFoundError" in text.stdout


def test_third_party_things_are_usable_through_the_python_api(plugin_sites):
    good_site, _ = plugin_sites
    code = (
        "import j1_plugin\n"
        "fmt = j1_plugin.get_format('acme-short')\n"
        "pair = j1_plugin.PreferencePair('1', 'Q?', 'good', 'bad')\n"
        "print(fmt.requests(pair)[1].messages[0]['content'].splitlines()[2])\n"
        "print(j1_plugin.get_reward('acme_length_reward')(['ok']))\n"
        "print([str(p) for p in j1_plugin.task_dirs()])\n"
    )
    result = run_in_child([sys.executable, "-W", "ignore", "-c", code], pythonpath=[good_site])
    assert result.returncode == 0, result.stderr
    from j1_plugin.lmeval import TASKS_DIR

    shown, reward, folders = result.stdout.splitlines()
    assert (shown, reward) == ("A) bad", "[1.0]")
    builtin, acme = ast.literal_eval(folders)  # a printed list of two path strings
    assert Path(builtin) == TASKS_DIR and Path(acme).parent.name == "acme_j1"


def test_j1_plugins_env_var_restricts_which_plugins_load(plugin_sites):
    good_site, clash_site = plugin_sites
    plugins, failed = plugins_json([good_site, clash_site], J1_PLUGINS="acme")
    assert set(plugins) == {"j1_plugin.builtin", "acme"} and not failed
    plugins, failed = plugins_json([good_site, clash_site], J1_PLUGINS="")
    assert set(plugins) == {"j1_plugin.builtin"} and not failed


def test_a_plugin_reusing_a_builtin_name_fails_loudly_naming_both(plugin_sites):
    good_site, clash_site = plugin_sites
    result = run_in_child([str(J1), "plugins"], pythonpath=[good_site, clash_site])
    assert result.returncode == 2
    assert "format 'pav' is registered twice: by plugin 'j1_plugin.builtin' and by plugin 'clash'" in result.stderr


def test_a_plugin_whose_hook_raises_is_disabled_alone_and_reported_once(faulty_site, tmp_path):
    plugins, failed = plugins_json([faulty_site])
    assert "faulty" not in plugins and plugins["acme"]["formats"] == ["acme-short"]
    assert failed["faulty"]["distribution"] == "faulty-j1 1.2.3"
    assert "failed in register_rewards: RuntimeError: the reward server is not configured" in failed["faulty"]["error"]
    code = (
        "import j1_plugin\n"
        "print(j1_plugin.get_format('pav').name, j1_plugin.get_format('acme-short').name)\n"
        "print(len(j1_plugin.list_rewards()), len(j1_plugin.list_formats()))\n"
        "from j1_plugin.lmeval import task_manager\n"
        "print('j1_judgebench' in task_manager(include_defaults=False).all_tasks)\n"
    )
    result = run_in_child([sys.executable, "-c", code], pythonpath=[faulty_site], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["pav acme-short", "7 6", "True"]  # built-ins plus acme; nothing of faulty
    assert result.stderr.count("plugin 'faulty' (from faulty-j1 1.2.3) was disabled") == 1
    assert "J1_PLUGINS=<names> chooses which plugins load" in result.stderr


def test_unknown_j1_plugins_names_are_reported(plugin_sites):
    good_site, _ = plugin_sites
    plugins, failed = plugins_json([good_site], J1_PLUGINS="acme,acmee")
    assert "acme" in plugins and set(failed) == {"acmee"}
    assert failed["acmee"]["error"] == (
        "J1_PLUGINS names it, but no installed plugin has that entry-point name (installed: acme, broken)"
    )


def test_a_plugin_task_named_like_a_builtin_task_is_an_error_naming_both(shadow_site, tmp_path):
    from j1_plugin.lmeval import TASKS_DIR

    result = run_in_child([str(J1), "tasks-path", "--all"], pythonpath=[shadow_site], cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    shadow = shadow_site / "shadow_j1" / "tasks" / "j1_rewardbench.yaml"
    assert result.stderr == (
        f"j1: error: lm-eval task 'j1_rewardbench' is defined twice: in {TASKS_DIR / 'j1_rewardbench.yaml'} "
        f"(plugin 'j1_plugin.builtin') and in {shadow} (plugin 'shadow'); rename one of them, or leave a plugin "
        "out with J1_PLUGINS=<names>\n"
    )
    evaluated = run_in_child([str(J1), "eval", "--model", "hf", "--tasks", "j1_rewardbench"], pythonpath=[shadow_site],
                             cwd=tmp_path)  # fmt: skip
    assert evaluated.returncode == 2 and "Traceback" not in evaluated.stderr
    assert evaluated.stderr.strip().splitlines()[-1].startswith("j1 eval: error: lm-eval task 'j1_rewardbench' is")
    fine = run_in_child([str(J1), "tasks-path", "--all"], pythonpath=[shadow_site], cwd=tmp_path,
                        env_extra={"J1_PLUGINS": ""})  # fmt: skip
    assert fine.returncode == 0 and fine.stdout.strip() == str(TASKS_DIR)


def test_non_editable_wheel_works_from_another_directory(tmp_path):
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    for folder in ("j1_plugin", "tasks", "trainers"):
        shutil.copytree(REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(wheels),
         str(source)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    (wheel,) = wheels.glob("j1_plugin-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"j1_plugin"}
    assert shipped_layout(names) == checkout_layout()

    site = tmp_path / "site"
    pip_install_target(site, wheel)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import j1_plugin\n"
        "from j1_plugin.formats import builtin_formats\n"
        "print(j1_plugin.__file__)\n"
        "pair = j1_plugin.PreferencePair('1', 'Q?', 'yes', 'no')\n"
        "print(sum(len(f.requests(pair)) for f in builtin_formats()))\n"
        "from j1_plugin.lmeval import plugin_task_dirs\n"
        "import pathlib\n"
        "print(len(list(pathlib.Path(plugin_task_dirs()[0]).glob('j1*.yaml'))))\n"
        "from j1_plugin.trainers.train import ACCELERATE_DIR, RECIPES_DIR, bundled_recipes\n"
        "print(RECIPES_DIR.parent, len(bundled_recipes()), len(list(ACCELERATE_DIR.glob('*.yaml'))))\n"
    )
    result = run_in_child([sys.executable, "-c", code], pythonpath=[site], cwd=elsewhere)
    assert result.returncode == 0, result.stderr
    location, request_count, task_files, trainers = result.stdout.splitlines()
    assert Path(location).is_relative_to(site)
    assert request_count == "10"
    assert int(task_files) == 15
    trainers_dir, recipes, accelerate_configs = trainers.split()
    assert Path(trainers_dir) == site / "j1_plugin" / "trainers"
    assert (int(recipes), int(accelerate_configs)) == (len(list((REPO / "trainers" / "recipes").glob("*.yaml"))), 3)


def checkout_layout() -> set[str]:
    """The task YAML and trainer files of the checkout, as their installed names under j1_plugin/."""
    files = set()
    for folder in ("tasks", "trainers"):
        for path in (REPO / folder).rglob("*"):
            if path.is_file() and path.suffix in (".py", ".yaml") and "__pycache__" not in path.parts:
                files.add(f"j1_plugin/{path.relative_to(REPO).as_posix()}")
    return files


def shipped_layout(names: list[str]) -> set[str]:
    return {name for name in names if name.startswith(("j1_plugin/tasks/", "j1_plugin/trainers/"))}


def test_the_editable_install_serves_the_checkouts_top_level_tasks_and_trainers():
    import j1_plugin.trainers
    from j1_plugin.lmeval import TASKS_DIR
    from j1_plugin.trainers.train import ACCELERATE_DIR, RECIPES_DIR

    assert Path(j1_plugin.trainers.__file__).parent == REPO / "trainers"
    assert (TASKS_DIR, RECIPES_DIR, ACCELERATE_DIR) == (REPO / "tasks", REPO / "trainers" / "recipes",
                                                         REPO / "trainers" / "accelerate")  # fmt: skip
    assert not (REPO / "j1_plugin" / "tasks").exists() and not (REPO / "j1_plugin" / "trainers").exists()
    assert {"j1_plugin/tasks/j1_judgebench.yaml", "j1_plugin/trainers/grpo.py"} <= checkout_layout()


def test_the_vllm_and_deepspeed_extras_ask_for_what_trl_supports():
    import importlib.metadata

    import tomllib
    from packaging.requirements import Requirement

    extras = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]["optional-dependencies"]
    ours = {Requirement(line).name: Requirement(line).specifier for name in ("vllm", "deepspeed")
            for line in extras[name]}  # fmt: skip
    trl = {}
    for line in importlib.metadata.requires("trl") or ():
        requirement = Requirement(line)
        for extra in ("vllm", "deepspeed"):
            if requirement.name == extra and requirement.marker and requirement.marker.evaluate({"extra": extra}):
                trl[extra] = requirement.specifier
    assert ours == trl
