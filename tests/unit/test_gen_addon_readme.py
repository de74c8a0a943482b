"""scripts/gen_addon_readme.py: a README.rst that is not what its readme/
fragments give fails the check, and what it writes is reStructuredText
that docutils reads without a warning."""

import importlib.util
import shutil

import pytest
from conftest import ROOT

spec = importlib.util.spec_from_file_location(
    "gen_addon_readme", ROOT / "scripts" / "gen_addon_readme.py"
)
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)


@pytest.fixture
def addon(tmp_path):
    """A copy of my_webhooks' manifest, fragments and README.rst."""
    copy = tmp_path / "my_webhooks"
    shutil.copytree(ROOT / "my_webhooks" / "readme", copy / "readme")
    for name in ("__manifest__.py", "README.rst"):
        shutil.copy(ROOT / "my_webhooks" / name, copy / name)
    return copy


def test_one_fragment_change_fails_the_check_until_regenerated(addon, capsys):
    assert gen.main(["--check", str(addon)]) == 0, "the committed README.rst is stale"
    usage = addon / "readme" / "USAGE.md"
    usage.write_text(usage.read_text() + "\nOne more sentence.\n")

    assert gen.main(["--check", str(addon)]) == 1
    assert "run scripts/gen_addon_readme.py" in capsys.readouterr().err
    assert "One more sentence." not in (addon / "README.rst").read_text(), "check writes nothing"

    assert gen.main([str(addon)]) == 0
    assert "One more sentence." in (addon / "README.rst").read_text()
    assert gen.main(["--check", str(addon)]) == 0


def test_hand_edit_of_the_readme_fails_the_check(addon):
    readme = addon / "README.rst"
    readme.write_text(readme.read_text().replace("Signed", "Signet", 1))
    assert gen.main(["--check", str(addon)]) == 1


def test_sections_in_oca_order_with_the_website(addon):
    text = gen.render(addon)
    titles = ["Table of contents", "Configuration", "Usage", "Bug Tracker", "Credits"]
    assert [text.index(t) for t in titles] == sorted(text.index(t) for t in titles)
    assert text.startswith("===============\nSigned Webhooks\n===============\n")
    assert "https://integration-suite.example.org" in text
    assert "!! source digest: sha256:" in text


def test_highest_heading_of_a_fragment_becomes_a_subsection(addon):
    (addon / "readme" / "CONFIGURE.md").write_text("### Deep\n\ntext\n\n#### Deeper\n\nmore\n")
    text = gen.render(addon)
    gen.check_rst(addon.name, text)
    assert "\nDeep\n----\n" in text and "\nDeeper\n~~~~~~\n" in text


def test_inconsistent_headings_are_refused(addon):
    (addon / "readme" / "CONFIGURE.md").write_text("## A\n\n#### B\n\ntext\n")
    (addon / "readme" / "USAGE.md").write_text("## C\n\n### D\n\ntext\n")
    with pytest.raises(SystemExit, match="not valid reStructuredText"):
        gen.main(["--check", str(addon)])


def test_manifest_without_website_is_refused(addon):
    manifest = addon / "__manifest__.py"
    text = manifest.read_text()
    manifest.write_text("\n".join(ln for ln in text.splitlines() if '"website"' not in ln))
    with pytest.raises(SystemExit, match="no 'website'"):
        gen.render(addon)


@pytest.mark.parametrize("addon_name", ["my_api", "my_webhooks", "my_oauth_provider"])
def test_every_manifest_names_the_project_website(addon_name):
    manifest = gen.read_manifest(ROOT / addon_name)
    assert manifest["website"] == "https://integration-suite.example.org"
