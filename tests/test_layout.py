"""The packaging trap and the layout DESIGN.md asks for."""
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_platform_is_not_a_package():
    # platform/__init__.py would shadow the standard library module `platform`
    # for any process started from the repo root (python -m pytest, python -c ...).
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_stdlib_platform_is_the_real_one():
    import platform

    assert hasattr(platform, "python_implementation")


def test_top_level_folders_exist():
    for folder in ("platform/hmis", "form_definitions", "workflows", "report_definitions", "admin", "tests",
                   "benchmarks"):
        assert (ROOT / folder).is_dir(), folder


def test_console_script_and_package_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["hmis"] == "hmis.cli:main"
    assert project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["platform/hmis"]


def test_ci_calls_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and "make run" in readme
    assert "make test" in ci and "HMIS_REQUIRE_SERVICES=1" in ci
