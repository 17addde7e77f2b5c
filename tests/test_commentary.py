import pytest

from followup.commentary import chapter_text, load_commentary, missing_actions
from followup.errors import PlanError


def write(tmp_path, text, year=2025, slug="skolan"):
    path = tmp_path / str(year) / f"{slug}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_a_placeholder(tmp_path):
    c = load_commentary(tmp_path, 2025, "skolan")
    assert c.path is None and c.override is None
    assert chapter_text(c, 2025) == "## Analys\n\nIngen analys har skrivits för 2025."


def test_ej_uppfyllt_without_actions_says_so(tmp_path):
    write(tmp_path, "## Analys\n\nText.\n\n## Åtgärder\n\n")
    c = load_commentary(tmp_path, 2025, "skolan")
    assert not c.has_actions and missing_actions(c, "ej uppfyllt") and not missing_actions(c, "delvis uppfyllt")
    assert chapter_text(c, 2025) == c.body  # judged otherwise: the text as written
    text = chapter_text(c, 2025, missing_actions=True)
    assert text.startswith("## Analys\n\nText.") and ":::{warning} Åtgärder saknas" in text
    assert "\n## Åtgärder\n" in text  # a heading of its own: a section of the chapter


def test_actions_are_found(tmp_path):
    write(tmp_path, "## Analys\n\nA.\n\n## Åtgärder\n\n- Göra något.\n\n## Orsaker\n\nB.\n")
    c = load_commentary(tmp_path, 2025, "skolan")
    assert c.has_actions and chapter_text(c, 2025) == c.body


def test_override_with_justification(tmp_path):
    write(
        tmp_path,
        "---\noverride:\n  verdict: delvis uppfyllt\n  justification: >\n    Ett skäl\n    på två rader.\n"
        "---\n## Analys\n\nA.\n",
    )
    c = load_commentary(tmp_path, 2025, "skolan")
    assert c.override == "delvis uppfyllt" and c.justification == "Ett skäl på två rader."
    assert c.body == "## Analys\n\nA."


@pytest.mark.parametrize(
    "front, key, message",
    [
        ("override:\n  verdict: nästan\n  justification: x", "override.verdict", "expected one of uppfyllt"),
        (
            "override:\n  verdict: uppfyllt\n  justification: ''",
            "override.justification",
            "needs a written justification",
        ),
        ("override:\n  verdict: uppfyllt", "override", "expected the keys verdict and justification"),
        ("verdict: uppfyllt", "front matter", "expected only the key 'override'"),
        ("override: [", "front matter", "not valid YAML"),
    ],
)
def test_bad_front_matter(tmp_path, front, key, message):
    path = write(tmp_path, f"---\n{front}\n---\n## Analys\n")
    with pytest.raises(PlanError) as info:
        load_commentary(tmp_path, 2025, "skolan")
    assert info.value.key == key and message in info.value.message and info.value.path == str(path)


def test_top_level_heading_is_refused(tmp_path):
    write(tmp_path, "## Analys\n\n# Åtgärder\n")
    with pytest.raises(PlanError, match="use '## ' headings") as info:
        load_commentary(tmp_path, 2025, "skolan")
    assert info.value.key == "line 3"
