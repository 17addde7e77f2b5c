from followup import figures
from followup.constants import EXAMPLE_NOTE
from followup.data import load_dataset
from followup.plan import load_plan


def chart(tiny_dataset, tiny_plan, out, index=0):
    ds, plan = load_dataset(tiny_dataset), load_plan(tiny_plan)
    figures.setup()
    area = plan.area("skolan")
    return figures.trend_chart(ds, plan, area, area.indicators[index], 2024, out)


def test_chart_is_svg_with_deterministic_bytes(tiny_dataset, tiny_plan, tmp_path):
    a = chart(tiny_dataset, tiny_plan, tmp_path / "a")
    b = chart(tiny_dataset, tiny_plan, tmp_path / "b")
    assert a.path.name == "skolan-n00001.svg"
    data = a.path.read_bytes()
    assert data.startswith(b"<?xml") and b"<svg" in data
    assert data == b.path.read_bytes()
    assert EXAMPLE_NOTE.encode() in data  # the note is inside the image too
    assert str(tmp_path).encode() not in data


def test_alt_text_and_caption(tiny_dataset, tiny_plan, tmp_path):
    fig = chart(tiny_dataset, tiny_plan, tmp_path)
    assert fig.name == "fig-skolan-n00001"
    assert fig.alt.startswith("Linjediagram: Testandel (andel (%)), 2022–2024.")
    assert "Borlänge 50,0\u00a0% år 2022 och 51,0\u00a0% år 2024" in fig.alt
    assert "Riket 55,0\u00a0% år 2022 och 56,0\u00a0% år 2023" in fig.alt
    assert "Källa: Kolada, N00001 (SCB)." in fig.caption
    assert "egen beräkning på data från Kolada" in fig.caption
    assert f"**{EXAMPLE_NOTE}.**" in fig.caption


def test_local_indicator_chart_credits_the_supplier(tiny_dataset, tiny_plan, tmp_path):
    fig = chart(tiny_dataset, tiny_plan, tmp_path, index=2)
    assert "Källa: Testförvaltningen (lokal uppgift)." in fig.caption
    assert "Kolada" not in fig.caption
    assert "Riket" not in fig.alt


def test_missing_years_are_named_with_their_reason(tiny_dataset, tiny_plan, tmp_path):
    fig = chart(tiny_dataset, tiny_plan, tmp_path, index=1)  # N00002 has 2023 only
    assert "Värde saknas för Borlänge: 2024 (ej publicerat än, väntas 2026-05-01)" in fig.caption
    assert "2022" not in fig.caption  # the series starts in 2023: no years of gaps before it


def test_directive(tiny_dataset, tiny_plan, tmp_path):
    fig = chart(tiny_dataset, tiny_plan, tmp_path / "figures")
    text = fig.directive(tmp_path)
    assert text.startswith(":::{figure} figures/skolan-n00001.svg\n:alt: Linjediagram")
    assert ":name: fig-skolan-n00001" in text and text.endswith(":::\n")


def test_md_escape_keeps_markup_out():
    assert figures.md_escape("<img onerror=x> *a* [b](c)") == "\\<img onerror=x\\> \\*a\\* \\[b\\](c)"
