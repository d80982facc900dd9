"""The plugin host: registration through hooks, conflicts, failures and the public look-ups."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace

import pytest

import j1_plugin
from j1_plugin import DuplicateRegistrationError, NotRegisteredError, PluginError, hookimpl
from j1_plugin.cli import main as j1_main
from j1_plugin.plugins import create_plugin_manager, get_plugin_manager


class FormatPlugin:
    """A plugin object providing one format (a renamed copy of pav)."""

    def __init__(self, name):
        self.fmt = replace(j1_plugin.get_format("pav"), name=name)

    @hookimpl
    def register_formats(self, register):
        register(self.fmt)


def test_builtins_register_through_the_public_hooks():
    pm = create_plugin_manager(load_entry_points=False)
    assert pm.get_plugin("j1_plugin.builtin") is not None
    owners = {r.name: r.plugin for r in pm.registry.registrations("format")}
    assert owners == dict.fromkeys(["pav", "pas", "pavs", "pos", "pav-plan"], "j1_plugin.builtin")
    assert pm.registry.names("judge") == ["hf", "vllm", "openai", "reward-model"]


def test_a_registered_plugin_adds_its_format():
    pm = get_plugin_manager()
    pm.register(FormatPlugin("acme-pav"), name="acme")
    assert "acme-pav" in j1_plugin.list_formats()
    assert j1_plugin.get_format("acme-pav").parse("<think></think><answer>[[A]]</answer>").verdict == "A"


def test_duplicate_names_fail_loudly_naming_both_providers():
    pm = get_plugin_manager()
    pm.register(FormatPlugin("pav"), name="acme")
    with pytest.raises(DuplicateRegistrationError, match=r"format 'pav'.*'j1_plugin\.builtin'.*'acme'"):
        j1_plugin.list_formats()


def test_duplicate_rewards_are_detected_by_function_name():
    def length_reward(completions, **kwargs):
        return [0.0] * len(completions)

    class Twice:
        @hookimpl
        def register_rewards(self, register):
            register(length_reward)
            register(length_reward)

    get_plugin_manager().register(Twice(), name="twice")
    with pytest.raises(DuplicateRegistrationError, match=r"reward 'length_reward'.*'twice' and by plugin 'twice'"):
        j1_plugin.list_rewards()


def test_a_hook_that_raises_disables_that_plugin_alone_and_is_reported_once(capsys):
    half = replace(j1_plugin.get_format("pav"), name="half-registered")

    class Broken:
        @hookimpl
        def register_formats(self, register):
            register(half)

        @hookimpl
        def register_judges(self, register):
            raise RuntimeError("backend library missing")

    pm = get_plugin_manager()
    pm.register(FormatPlugin("acme-pav"), name="acme")
    pm.register(Broken(), name="broken-judges")
    with pytest.warns(UserWarning) as caught:
        assert "acme-pav" in j1_plugin.list_formats() and j1_plugin.get_format("pav").name == "pav"
        assert "half-registered" not in j1_plugin.list_formats()  # none of a failed plugin's things count
        assert j1_plugin.list_judges() == ["hf", "vllm", "openai", "reward-model"]
    (warning,) = caught  # once, however many look-ups follow
    assert str(warning.message) == (
        "j1-plugin: plugin 'broken-judges' was disabled: plugin 'broken-judges' failed in register_judges: "
        "RuntimeError: backend library missing; J1_PLUGINS=<names> chooses which plugins load"
    )
    assert j1_main(["plugins", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert "broken-judges" not in {p["name"] for p in report["plugins"]} and "acme" in {
        p["name"] for p in report["plugins"]
    }
    (failure,) = report["failed"]
    assert failure["name"] == "broken-judges" and "RuntimeError: backend library missing" in failure["error"]


def test_a_failing_builtin_hook_is_raised_not_hidden(monkeypatch):
    from j1_plugin import builtin

    def broken(register):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(builtin.register_judges, "__code__", broken.__code__)
    with pytest.raises(
        PluginError, match=r"'j1_plugin\.builtin' failed in register_judges: RuntimeError: a bug of ours"
    ):
        _ = create_plugin_manager(load_entry_points=False).registry


@pytest.mark.parametrize(
    ("hook", "thing", "message"),
    [
        ("register_formats", SimpleNamespace(name="fake"), "must be a JudgmentFormat"),
        ("register_rewards", "not callable", "must be a callable"),
        ("register_benchmarks", SimpleNamespace(name=""), "non-empty string 'name'"),
        ("register_judges", SimpleNamespace(name="remote"), "must be callable"),
    ],
)
def test_registering_the_wrong_kind_of_object_disables_the_plugin_with_a_clear_reason(hook, thing, message):
    plugin = SimpleNamespace(**{hook: hookimpl(lambda register: register(thing))})
    pm = get_plugin_manager()
    pm.register(plugin, name="sloppy")
    with pytest.warns(UserWarning, match=f"plugin 'sloppy' was disabled: plugin 'sloppy': .*{message}"):
        assert j1_plugin.list_formats()[:1] == ["pav"]
    assert [failure.name for failure in pm.failures] == ["sloppy"]


def test_unknown_names_in_j1_plugins_are_reported(monkeypatch):
    with pytest.warns(UserWarning, match="plugin 'acme-typo' is unknown: J1_PLUGINS names it, but no installed"):
        pm = create_plugin_manager(allowed={"acme-typo"})
    assert [failure.name for failure in pm.failures] == ["acme-typo"]
    assert j1_plugin.list_formats()[0] == "pav"


def test_benchmarks_contribute_their_task_folders_once(tmp_path):
    class Suite:
        @hookimpl
        def register_benchmarks(self, register):
            register(SimpleNamespace(name="acme-bench", task_dir=tmp_path))
            register(SimpleNamespace(name="acme-bench-hard", task_dir=tmp_path))
            register(SimpleNamespace(name="no-tasks", task_dir=None))

    get_plugin_manager().register(Suite(), name="suite")
    assert {"acme-bench", "acme-bench-hard", "no-tasks"} <= set(j1_plugin.list_benchmarks())
    assert j1_plugin.get_benchmark("no-tasks").task_dir is None
    assert j1_plugin.task_dirs().count(tmp_path) == 1


def test_unknown_names_list_what_is_registered():
    with pytest.raises(NotRegisteredError, match="no format named 'pv'; registered formats: pav, pas"):
        j1_plugin.get_format("pv")
    registered = "hf, vllm, openai, reward-model"
    with pytest.raises(NotRegisteredError, match=f"no judge named 'sglang'; registered judges: {registered}"):
        j1_plugin.get_judge("sglang")


def test_registry_is_rebuilt_when_plugins_change():
    pm = get_plugin_manager()
    plugin = FormatPlugin("late")
    assert "late" not in j1_plugin.list_formats()
    pm.register(plugin, name="late-plugin")
    assert "late" in j1_plugin.list_formats()
    pm.unregister(plugin)
    assert "late" not in j1_plugin.list_formats()


def test_plugins_command_reports_each_plugin_and_what_it_registers(capsys):
    get_plugin_manager().register(FormatPlugin("acme-pav"), name="acme")
    assert j1_main(["plugins", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    by_name = {p["name"]: p for p in report["plugins"]}
    assert by_name["j1_plugin.builtin"]["formats"] == ["pav", "pas", "pavs", "pos", "pav-plan"]
    assert by_name["j1_plugin.builtin"]["distribution"] == "j1-plugin"
    assert by_name["acme"]["formats"] == ["acme-pav"] and by_name["acme"]["judges"] == []
    assert j1_main(["plugins"]) == 0
    text = capsys.readouterr().out
    assert "j1_plugin.builtin (j1-plugin" in text and "formats:    pav, pas, pavs, pos, pav-plan" in text


def test_plugins_command_exits_nonzero_on_a_conflict(capsys):
    get_plugin_manager().register(FormatPlugin("pos"), name="acme")
    assert j1_main(["plugins"]) == 2
    assert "format 'pos' is registered twice" in capsys.readouterr().err
