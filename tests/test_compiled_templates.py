"""Templates compiled by an earlier run: used only for the same source and settings, harmless
when the folder is missing, unwritable or damaged, and never a way around the sandbox."""

from __future__ import annotations

import os

import pytest
from test_drafts import email_template, render

from sheetfollow.drafts import DraftError, TemplateLibrary
from sheetfollow.templatefiles import CompiledTemplates, compiled_templates, load_template_dir


def cached_files(folder):
    return sorted(folder.glob("*.jinja")) if folder.exists() else []


def test_a_second_run_loads_what_the_first_compiled(tmp_path, monkeypatch):
    cache = CompiledTemplates(tmp_path / "c")
    first = render(TemplateLibrary(load_template_dir(), compiled=cache), "recap")
    assert len(cached_files(tmp_path / "c")) == 1
    import jinja2.environment
    monkeypatch.setattr(jinja2.environment.Environment, "compile",
                        lambda *a, **k: pytest.fail("compiled again"))
    again = render(TemplateLibrary(load_template_dir(), compiled=CompiledTemplates(
        tmp_path / "c")), "recap")
    assert again == first


def test_a_changed_template_is_compiled_again(tmp_path):
    cache = CompiledTemplates(tmp_path / "c")
    assert render(TemplateLibrary({"t": email_template("one")}, compiled=cache)).body == "one"
    assert render(TemplateLibrary({"t": email_template("two")}, compiled=cache)).body == "two"
    assert len(cached_files(tmp_path / "c")) == 1  # same name: the entry is replaced


def test_a_damaged_entry_is_compiled_again(tmp_path):
    cache = CompiledTemplates(tmp_path / "c")
    render(TemplateLibrary({"t": email_template("one")}, compiled=cache))
    for entry in cached_files(tmp_path / "c"):
        entry.write_bytes(b"\x00garbage")
    assert render(TemplateLibrary({"t": email_template("one")}, compiled=cache)).body == "one"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_an_unwritable_folder_just_compiles(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    cache = CompiledTemplates(locked / "c")
    assert render(TemplateLibrary({"t": email_template("one")}, compiled=cache)).body == "one"


def test_a_folder_that_is_a_file_just_compiles(tmp_path):
    (tmp_path / "c").write_text("not a folder")
    cache = CompiledTemplates(tmp_path / "c")
    assert render(TemplateLibrary({"t": email_template("one")}, compiled=cache)).body == "one"


def test_the_sandbox_holds_for_compiled_code(tmp_path):
    """The entry of an escaping template is loaded, and refused, in the second run too."""
    body = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    for _ in range(2):
        library = TemplateLibrary({"t": email_template(body)},
                                  compiled=CompiledTemplates(tmp_path / "c"))
        with pytest.raises(DraftError, match="template t"):
            render(library)
    assert len(cached_files(tmp_path / "c")) == 1


def test_where_they_are_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("SHEETFOLLOW_CACHE_DIR", str(tmp_path))
    assert compiled_templates().folder == tmp_path / "templates"
    monkeypatch.setenv("SHEETFOLLOW_CACHE_DIR", "")
    assert compiled_templates() is None
    monkeypatch.delenv("SHEETFOLLOW_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if os.name == "posix" and not os.uname().sysname == "Darwin":
        assert compiled_templates().folder == tmp_path / "xdg" / "sheetfollow" / "templates"
