"""The ``oasis`` command keeps the conventions of a well-kept CLI.

Global options before or after the sub-command, ``--version``, ``--json`` on
listings and on ``render``, plain progress lines when stderr is not a terminal
and none with ``--quiet``, voices by language tag, help text everywhere, a
listing that fits 80 columns, and ``users`` from a shell.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from oasis_core import __version__
from oasis_core.ports.provider import ProviderConfig
from oasis_core.ports.speech_engine import Voice, voice_with_language
from oasis_plugins.espeak.speech_engine import EspeakSpeechEngine
from oasis_server.cli.app import build_parser
from oasis_server.cli.completion_command import bash_script
from oasis_server.cli.output import PlainProgress


def oasis(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {**os.environ, "OASIS_DATA_DIR": str(cwd), "COLUMNS": "80", **(env or {})}
    environ.pop("DATABASE_URL", None)
    environ.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "oasis_server.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environ,
        timeout=300,
    )


@pytest.mark.parametrize("where", ["before", "after"])
def test_global_options_work_before_or_after_the_sub_command(tmp_path: Path, where: str) -> None:
    args = ["--debug", "render", "--category", "astrology"]
    if where == "after":
        args = ["render", "--category", "astrology", "--debug"]
    result = oasis(*args, cwd=tmp_path)
    assert "Traceback" in result.stderr and "InvalidInput: Unknown category 'astrology'" in result.stderr

    quiet = ["--quiet", "categories"] if where == "before" else ["categories", "-q"]
    assert oasis(*quiet, cwd=tmp_path).returncode == 0


def test_an_error_without_debug_is_one_line(tmp_path: Path) -> None:
    result = oasis("render", "--category", "astrology", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("oasis: error: Unknown category") and result.stderr.count("\n") == 1


def test_version(tmp_path: Path) -> None:
    result = oasis("--version", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith(f"oasis {__version__} (Python ")


@pytest.mark.parametrize("command", ["plugins", "categories", "styles", "voices"])
def test_every_listing_has_json(tmp_path: Path, command: str) -> None:
    result = oasis(command, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert isinstance(data, list) and data
    text = oasis(command, cwd=tmp_path).stdout
    first = data[0]
    assert (first.get("id") or first["name"]) in text


def test_plugins_fit_80_columns_and_say_which_key_a_provider_needs(tmp_path: Path) -> None:
    result = oasis("plugins", cwd=tmp_path)
    lines = result.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= 80, result.stdout
    assert any(line.startswith("oasis_plugins.espeak ") for line in lines)
    assert any("speech" in line and "espeak" in line for line in lines)
    assert any("OPENAI_API_KEY" in line for line in lines)


def test_plugins_list_a_missing_extra_with_its_pip_line(tmp_path: Path) -> None:
    # sitecustomize runs before the command: it hides boto3 as if `[s3]` were not installed
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['boto3'] = None\n")
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    listing = json.loads(oasis("plugins", "--json", cwd=tmp_path, env=env).stdout)
    s3 = next(plugin for plugin in listing if plugin["name"] == "oasis_plugins.s3")
    assert s3["installed"] is False
    assert s3["install"] == "pip install 'oasis-video[s3]'"
    assert s3["providers"] == [{"kind": "storage", "id": "s3"}]
    text = oasis("plugins", cwd=tmp_path, env=env).stdout
    assert "oasis_plugins.s3 not installed: pip install 'oasis-video[s3]'" in text


def test_the_server_commands_say_which_extra_they_need(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text("import sys\nsys.modules['uvicorn'] = None\n")
    env = {"PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")])}
    result = oasis("serve", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr == (
        "oasis: error: `oasis serve` needs the 'server' extra (uvicorn is not installed): "
        "pip install 'oasis-video[server]'\n"
    )


def _walk(parser: argparse.ArgumentParser, path: str = "oasis"):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help for choice in action._choices_actions}
            for name, sub in action.choices.items():
                yield f"{path} {name}", "(the command)", helps.get(name)
                yield from _walk(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction):
            yield path, "/".join(action.option_strings) or action.dest, action.help


def test_every_sub_command_and_option_has_help_text() -> None:
    missing = [f"{path}: {option}" for path, option, text in _walk(build_parser()) if not text]
    assert missing == []


def test_every_sub_command_describes_itself_in_its_own_help(tmp_path: Path) -> None:
    result = oasis("users", "set-role", "--help", cwd=tmp_path)
    assert "Make a user an admin, or an admin a user." in result.stdout
    assert "--debug" in result.stdout and "--quiet" in result.stdout


def test_plain_progress_prints_a_line_per_stage_or_ten_percent(tmp_path: Path) -> None:
    out = tmp_path / "log.txt"
    with out.open("w") as stream:
        report = PlainProgress(stream)
        for label, percent in [
            ("Writing", 0),
            ("Speaking", 3),
            ("Speaking", 5),
            ("Speaking", 13),
            ("Done", 100),
        ]:
            report(label, percent)
    assert out.read_text().splitlines() == ["Writing 0%", "Speaking 3%", "Speaking 13%", "Done 100%"]


def test_a_language_tag_names_the_first_voice_of_that_language() -> None:
    voices = [Voice("en-us", "US", "en-us"), Voice("en", "British", "en-gb"), Voice("rp", "RP", "en-gb")]
    assert voice_with_language(voices, "en-GB") == voices[1]
    assert voice_with_language(voices, "en_gb") == voices[1]
    assert voice_with_language(voices, "fr") is None
    engine = EspeakSpeechEngine(ProviderConfig())
    assert engine._resolve_voice("en-gb")[0] == "en"  # eSpeak NG's British voice, documented as en-gb
    assert engine._resolve_voice("en-us")[0] == "en-us"


@pytest.mark.slow
def test_render_progress_and_json_suit_a_log_file(tmp_path: Path) -> None:
    result = oasis(
        "render", "--quote", "Well begun is half done.", "--voice", "en-gb", "--output", "a.mp4", "--json",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["path"] == str(tmp_path / "a.mp4") and Path(data["path"]).stat().st_size == data["size_bytes"]
    assert data["thumbnail"] == str(tmp_path / "a.jpg") and data["text"] == "Well begun is half done."
    lines = result.stderr.splitlines()
    assert lines[0] == "Writing 0%" and lines[-1] == "Done 100%", result.stderr
    assert {line.split()[0] for line in lines} >= {"Writing", "Speaking", "Painting", "Encoding", "Done"}

    quiet = oasis("render", "--quote", "Again.", "--output", "b.mp4", "--quiet", cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == ""
    assert "Wrote " in quiet.stdout and (tmp_path / "b.mp4").exists()


@pytest.mark.slow
def test_users_from_a_shell(tmp_path: Path) -> None:
    env = {"OASIS_PASSWORD": "a long passphrase", "OASIS_BCRYPT_ROUNDS": "4"}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return oasis("users", *args, cwd=tmp_path, env=env)

    first = json.loads(run("create", "--email", "ada@example.com", "--name", "Ada", "--json").stdout)
    assert first["role"] == "admin"  # the first account
    assert run("create", "--email", "bob@example.com", "--name", "Bob").returncode == 0
    listed = json.loads(run("list", "--json").stdout)
    assert [user["email"] for user in listed] == ["ada@example.com", "bob@example.com"]
    assert "password" not in json.dumps(listed)

    demote = run("set-role", "ada@example.com", "user")
    assert demote.returncode == 2 and "last active admin" in demote.stderr
    assert run("set-role", "bob@example.com", "admin").returncode == 0
    assert json.loads(run("set-role", "ada@example.com", "user", "--json").stdout)["role"] == "user"
    assert json.loads(run("set-status", first["id"], "inactive", "--json").stdout)["status"] == "inactive"
    assert run("reset-password", "ada@example.com").returncode == 0
    assert "at least" in run("reset-password", "ada@example.com", "--password", "short").stderr

    refused = run("delete", "bob@example.com")  # stdin is not a terminal: --yes is required
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert run("delete", "bob@example.com", "--yes").returncode == 2  # the last active admin
    assert run("delete", "ada@example.com", "--yes").returncode == 0
    assert [user["email"] for user in json.loads(run("list", "--json").stdout)] == ["bob@example.com"]
    missing = run("set-role", "nobody@example.com", "user")
    assert missing.returncode == 2 and "No user" in missing.stderr


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("oasis us", ["users"]),
        ("oasis users set", ["set-role", "set-status"]),
        ("oasis render --asp", ["--aspect"]),
        (
            "oasis --debug users set-role ada@example.com ",
            ["--help", "--debug", "--quiet", "user", "admin", "--json"],
        ),
        ("oasis users list --status ", ["active", "inactive", "pending"]),
        ("oasis health --sch", ["--scheduler"]),
    ],
)
def test_bash_completion_follows_the_parser(line: str, expected: list[str]) -> None:
    script = bash_script(build_parser())
    probe = (
        f'{script}\nread -ra COMP_WORDS <<< "$LINE"\n'
        '[[ "$LINE" == *" " ]] && COMP_WORDS+=("")\n'
        "COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n_oasis\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    result = subprocess.run(
        ["bash", "-c", probe], env={"LINE": line, "PATH": os.environ["PATH"]}, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == expected
