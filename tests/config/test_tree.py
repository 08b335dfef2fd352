"""A configuration split over a folder of files behaves as one tree, and errors name the file
the mistake is in."""

from __future__ import annotations

from pathlib import Path

from tests.config.helpers import errors_in, valid, write


def _tree(root: Path) -> Path:
    write(root, "organisation.yaml", """\
        organisation: {name: PRIA, timezone: Europe/Stockholm}
        teams: [{name: platform}, {name: security}]
        """)
    write(root, "people/engineers.yaml", """\
        users:
          - {name: engineer-a, email: a@example.com, teams: [platform]}
          - {name: engineer-b, email: b@example.com, teams: [platform]}
        """)
    write(root, "people/security.yml", """\
        teams: [{name: devops}]
        users:
          - {name: lina, email: lina@example.com, teams: [security], timezone: Europe/London}
        """)
    write(root, "README.md", "Not configuration: ignored.\n")
    return root


def test_sections_split_across_files_concatenate(tmp_path: Path) -> None:
    config = valid(_tree(tmp_path))
    assert [t.name for t in config.teams] == ["platform", "security", "devops"]
    assert [u.name for u in config.users] == ["engineer-a", "engineer-b", "lina"]
    # A user without a zone of their own gets the organisation's.
    assert [u.timezone for u in config.users] == ["Europe/Stockholm", "Europe/Stockholm", "Europe/London"]


def test_files_are_read_in_sorted_order_so_list_order_is_stable(tmp_path: Path) -> None:
    write(tmp_path, "a-organisation.yaml", "organisation: {name: PRIA}\n")
    write(tmp_path, "severity/b.yaml", "severities: [{key: SEV2}]\n")
    write(tmp_path, "severity/a.yaml", "severities: [{key: SEV1}]\n")
    write(tmp_path, "z.yaml", "severities: [{key: SEV3}]\n")
    config = valid(tmp_path)
    assert [s.key for s in config.severities] == ["SEV1", "SEV2", "SEV3"]


def test_error_names_the_file_and_line_it_is_in(tmp_path: Path) -> None:
    _tree(tmp_path)
    write(tmp_path, "people/security.yml", """\
        teams: [{name: devops}]
        users:
          - {name: lina, email: lina@example.com, teams: [security]}
          - {name: sam, email: sam@example.com, teams: [secuirty]}
        """)
    [error] = errors_in(tmp_path)
    assert (error.file, error.line, error.column) == (str(tmp_path / "people/security.yml"), 4, 49)
    assert error.message.startswith("unknown team 'secuirty'; did you mean 'security'?")


def test_duplicate_across_files_points_at_the_second_and_names_the_first_file(tmp_path: Path) -> None:
    _tree(tmp_path)
    write(tmp_path, "people/security.yml", """\
        users:
          - {name: engineer-b, email: b2@example.com}
        """)
    [error] = errors_in(tmp_path)
    first = tmp_path / "people/engineers.yaml"
    assert (error.file, error.line, error.column) == (str(tmp_path / "people/security.yml"), 2, 12)
    assert error.message == f"duplicate user name 'engineer-b'; it is already defined at {first}:3"


def test_organisation_defined_twice(tmp_path: Path) -> None:
    _tree(tmp_path)
    write(tmp_path, "people/security.yml", "organisation: {name: Other}\n")
    [error] = errors_in(tmp_path)
    assert (error.file, error.line, error.column) == (str(tmp_path / "people/security.yml"), 1, 1)
    assert error.message == (
        f"organisation is defined twice; it is already defined at {tmp_path / 'organisation.yaml'}:1"
    )


def test_organisation_missing_from_the_whole_tree(tmp_path: Path) -> None:
    _tree(tmp_path)
    (tmp_path / "organisation.yaml").write_text("teams: [{name: platform}, {name: security}]\n")
    [error] = errors_in(tmp_path)
    assert (error.file, error.line, error.column) == (str(tmp_path), 1, 1)
    assert error.message.startswith("organisation is missing")


def test_syntax_error_in_one_file_is_reported_without_knock_on_errors(tmp_path: Path) -> None:
    # organisation.yaml cannot be read, so its teams are missing; "unknown team" errors in the
    # other files would only mislead.
    _tree(tmp_path)
    write(tmp_path, "organisation.yaml", "organisation: {name: PRIA\nteams: [{name: platform}]\n")
    errors = errors_in(tmp_path)
    assert [e.file for e in errors] == [str(tmp_path / "organisation.yaml")]
    assert errors[0].message.startswith("YAML syntax error")


def test_errors_in_several_files_are_all_reported(tmp_path: Path) -> None:
    _tree(tmp_path)
    write(tmp_path, "people/engineers.yaml", """\
        users:
          - {name: engineer-a, email: a@example.com, access: boss}
        """)
    write(tmp_path, "people/security.yml", """\
        users:
          - {name: lina, email: lina@example, teams: [security]}
        """)
    errors = errors_in(tmp_path)
    assert [(Path(e.file).name, e.line) for e in errors] == [("engineers.yaml", 2), ("security.yml", 2)]


def test_empty_file_in_a_tree_is_an_error(tmp_path: Path) -> None:
    _tree(tmp_path)
    write(tmp_path, "people/todo.yaml", "")
    [error] = errors_in(tmp_path)
    assert (error.file, error.line) == (str(tmp_path / "people/todo.yaml"), 1)
    assert error.message.startswith("file is empty")


def test_folder_without_yaml_files(tmp_path: Path) -> None:
    write(tmp_path, "notes.txt", "hello\n")
    [error] = errors_in(tmp_path)
    assert (error.file, error.message) == (str(tmp_path), "folder holds no .yaml or .yml files")
