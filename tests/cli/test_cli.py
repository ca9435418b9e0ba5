from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from casebridge.cli import main


def _commands(group: click.Group) -> list[str]:
    return sorted(group.commands)


@pytest.mark.parametrize("command", _commands(main))
def test_every_command_has_help(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert main.commands[command].help, f"{command} has no help text"
    assert "Usage:" in result.output


def test_build_refuses_a_missing_records_folder_with_a_clear_error(tmp_path):
    result = CliRunner().invoke(
        main, ["build", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "does not exist" in result.output


def test_build_refuses_an_empty_records_folder(tmp_path):
    (tmp_path / "records").mkdir()
    result = CliRunner().invoke(
        main, ["build", str(tmp_path / "records"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 1
    assert "holds no files" in result.output


def test_build_refuses_an_unknown_programme(tmp_path):
    result = CliRunner().invoke(
        main, ["build", str(tmp_path), "--programme", "dentistry", "--out", "o"]
    )
    assert result.exit_code == 2
    assert "dentistry" in result.output


def test_eval_refuses_a_folder_without_the_eval_layout(tmp_path):
    result = CliRunner().invoke(main, ["eval", "--data", str(tmp_path)])
    assert result.exit_code == 1
    assert "layout" in result.output
