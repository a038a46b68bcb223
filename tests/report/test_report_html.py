"""The HTML report: content from a real analysis, empty and null blocks, escaping, no network.

The tests edit the analysis.json document as a dict, then read it with ``Analysis.from_dict`` (as
``smilescope report`` does) before rendering, so every odd document also passes the validation.
"""

from __future__ import annotations

import base64
import copy
import html as htmllib
import json
import math
import re
from datetime import date, datetime

import pandas as pd
import pytest

from smilescope.assess import assess
from smilescope.measures.flags import MIN_RATE_S
from smilescope.report.html import num
from smilescope.report.html import render_html as render_analysis
from smilescope.results import Analysis
from smilescope.signals import SignalTable

from conftest import ROOT
from report_data import analysis_folder, nan_numbers

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return analysis_folder(tmp_path_factory)


@pytest.fixture
def doc(folder) -> dict:
    return json.loads((folder / "analysis.json").read_text())


@pytest.fixture(scope="module")
def table(folder) -> SignalTable:
    return SignalTable.read_csv(folder / "signals.csv")


def _raster_shown(doc: dict) -> bool:
    """The twitch raster is drawn when twitches were looked for on enough quiet face."""
    tw = Analysis.from_dict(doc).twitches
    return tw is not None and tw.judged


def render_html(doc: dict, **kw) -> str:
    """The report of an analysis.json document, read as ``smilescope report`` reads it."""
    return render_analysis(Analysis.from_dict(doc), **kw)


def _images(html: str) -> list[bytes]:
    return [base64.b64decode(m) for m in re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)]


def _external_refs(html: str) -> list[str]:
    """Every URL or src/href that is not an inline data: URI."""
    refs = re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}", html)
    refs += [m for m in re.findall(r'(?:src|href)\s*=\s*["\']?([^"\'\s>]+)', html) if not m.startswith("data:")]
    refs += re.findall(r"url\(\s*['\"]?(?!data:)[^)]*\)", html)
    refs += re.findall(r"@import", html)
    return refs


def _text(html: str) -> str:
    """The visible text: tags and the inline style sheet removed, whitespace collapsed."""
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_real_analysis_has_every_section_and_its_numbers(doc, table):
    html = render_html(doc, table=table, assessment=assess(None, Analysis.from_dict(doc)), analysed_at=datetime(2024, 5, 1, 9, 30))
    text = _text(html)
    assert "d0.mp4" in text and "2024-05-01 09:30" in text
    for section in ("overview", "smile", "shake", "history", "guidance", "disclaimer"):
        assert f'<section id="{section}">' in html
    ex = doc["smile"]["excursion_mm"]
    assert f"{ex['right']:.1f} mm" in text and f"{ex['left']:.1f} mm" in text
    assert f"{doc['smile']['asymmetry_pct']:.0f} %" in text
    bl, duration = doc["shake"]["blinks"], doc["video"]["duration_s"]
    if duration >= MIN_RATE_S:
        assert f"{bl['rate_per_min']:.0f} per minute" in text
    else:  # the 3 s example: a count, no rate (one blink would read as 20 a minute)
        assert f"{bl['count']} blink" in text and "no rate per minute from under 30 s of video" in text
        assert bl["rate_per_min"] is None  # and none in analysis.json either
    tr = doc["shake"]["tremor"]
    if tr["detected"]:
        assert f"{tr['frequency_hz']:.1f} Hz" in text and f"{tr['amplitude_mm']:.1f} mm" in text
    elif tr.get("not_judged"):
        assert f"could not be judged: {tr['not_judged']}" in text
        assert "strongest rhythm" not in text  # no sizes listed beside "could not be judged"
    else:
        assert "No regular shaking" in text
    assert text.count("person's own") == 1  # sides explained once
    assert "not a diagnosis" in text and "call emergency services" in text


def test_figures_are_embedded_pngs(doc, table):
    html = render_html(doc, table=table)
    images = _images(html)
    # smile, spectrum and (when twitches were measured) the twitch raster
    assert len(images) == 2 + _raster_shown(doc)
    for png in images:
        assert png.startswith(PNG_MAGIC) and len(png) > 2000


def test_no_external_urls(doc, table):
    history = pd.DataFrame({"t": [datetime(2024, 1, d) for d in (1, 8)], "excursion_left_mm": [10.0, 12.0],
                            "excursion_right_mm": [14.0, 13.0], "asymmetry_pct": [30.0, 8.0],
                            "tremor_amplitude_mm": [0.5, None], "twitch_rate_per_min": [None, None]})
    diary = pd.DataFrame({"day": [date(2024, 1, 1)], "caffeine_cups": [3.0], "sleep_hours": [6.5],
                          "stress_0_10": [4.0], "water_glasses": [5.0], "note": ["<b>bad</b> night"]})
    html = render_html(doc, table=table, history=history, diary=diary, assessment=assess(None, Analysis.from_dict(doc)))
    assert _external_refs(html) == []
    assert "<script" not in html and "<link" not in html


def test_tremor_table_shows_each_region_with_its_second_points_coherence(doc):
    peak = {"region": "mouth", "side": "left", "frequency_hz": 6.0, "amplitude_mm": 0.46, "snr": 1764.9,
            "consistency": 1.0, "detected": True, "near_nyquist": False, "band_power_mm2": 0.1, "peak_share": 0.98,
            "speech_like": False, "spatial_coherence": 0.99}
    spot = dict(peak, region="eye", side="right", frequency_hz=5.0, amplitude_mm=0.55, spatial_coherence=0.25,
                detected=False)
    older = {k: v for k, v in dict(peak, region="brow", detected=False).items() if k != "spatial_coherence"}
    doc["shake"]["tremor"] = {"detected": True, "frequency_hz": 6.0, "amplitude_mm": 0.46, "side": "left",
                              "region": "mouth", "phase": "rest", "laterality_index": 0.9,
                              "by_region": [peak, spot, older]}
    text = _text(render_html(doc))
    assert "mouth left 6.0 Hz 0.46 mm 0.99 yes" in text
    assert "eye right 5.0 Hz 0.55 mm 0.25 no" in text
    assert "brow left 6.0 Hz 0.46 mm — no" in text  # an analysis made before the second points


def test_smile_table_shows_the_head_turn_and_whether_sides_were_compared(doc):
    ep = doc["smile"]["episodes"][0]
    lifted = dict(ep, head_turn_deg=3.04, head_turned=False, sides_compared_on="lift")
    turned = dict(ep, head_turn_deg=12.44, head_turned=True, sides_compared_on="")
    older = {k: v for k, v in ep.items() if k not in ("head_turn_deg", "head_turned", "sides_compared_on")}
    doc["smile"]["episodes"] = [dict(ep, head_turn_deg=0.6, head_turned=False), lifted, turned, older]
    text = _text(render_html(doc))
    assert "0.6° 2 " in text and "3.0° (sides compared on the lift) 3 " in text and "12.4° (sides not compared) 4 " in text
    assert text.count("(sides not compared)") == 1 and text.count("(sides compared on the lift)") == 1


def test_guidance_shows_level_message_action_and_source(doc):
    doc["flags"] = [{"id": "one_sided_shaking", "side": "left", "why": "tremor on the left eye only"}]
    result = assess({"sudden_onset": True, "drooping": True}, Analysis.from_dict(doc))
    html = render_html(doc, assessment=result)
    text = _text(html)
    assert result.level == "emergency" and f"level-{result.level}" in html
    for m in result.matches:
        for part in (m.message, m.action, m.source):
            assert _text(part) in text
    assert "Shaking on one side only" in text and "tremor on the left eye only" in text


def test_without_signals_says_plots_need_signals_csv(doc):
    html = render_html(doc)
    assert _images(html) == []
    assert "signals.csv" in _text(html)


def test_signals_without_a_figure_column_leave_a_note(doc, table):
    # neither the smile activation nor the smile score (the plot's fallback) is in this table
    cols = {k: v for k, v in table.columns.items() if not k.startswith("smile_")}
    html = render_html(doc, table=SignalTable(t_s=table.t_s, valid=table.valid, columns=cols))
    assert "smile_score" in _text(html)
    assert len(_images(html)) == 1 + _raster_shown(doc)


@pytest.mark.parametrize("video_name", ["<script>alert(1)</script>.mp4", 'a"onload="x.mp4', "<img src=x>.mp4"])
def test_autoescape(doc, video_name):
    doc["video"]["path"] = "/videos/" + video_name
    doc["quality"]["warnings"] = ["<b>bold</b> warning"]
    doc["flags"] = [{"id": "<i>odd</i>", "side": "left", "why": "<script>bad()</script>"}]
    html = render_html(doc)
    assert video_name not in html
    assert "<script" not in html and "<b>bold" not in html and "<i>odd" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;bold&lt;/b&gt;" in html


def test_empty_blocks_of_an_old_file(doc):
    for key in ("smile", "shake", "synkinesis", "head_motion", "peaks"):
        doc[key] = {}
    doc["flags"] = []
    html = render_html(doc, assessment=assess(None, Analysis.from_dict(doc)))
    text = _text(html)
    assert "Smiles were not measured" in text
    assert "Shaking was not measured" in text
    assert "synkinesis) was not measured" in text


def test_old_shake_block_without_twitches(doc):
    # a file from before twitches were measured: none of the twitch keys (they came in together)
    for key in ("twitches", "twitch_rate_per_min", "spread_eye_to_mouth", "spread_side"):
        doc["shake"].pop(key, None)
    assert "Twitches were not measured" in _text(render_html(doc))


def test_twitches_over_a_short_quiet_time_are_counted_not_given_a_rate(doc):
    """Under MIN_RATE_S of quiet face analysis.json gives no rate (null): the report counts the
    twitches per side and says why there is no rate, instead of "— per minute"."""
    quiet_s = 12.0
    doc["shake"].update({
        "twitches": [{"t_s": 3.0, "duration_s": 0.1, "side": "left", "region": "eye", "peak_mm": 1.2},
                     {"t_s": 7.5, "duration_s": 0.1, "side": "left", "region": "eye", "peak_mm": 1.0}],
        "twitch_rate_per_min": {"total": None, "right": None, "left": None,
                                "by_region": {"eye": {"right": None, "left": None}}},
        "quiet_s": quiet_s, "smallest_twitch_mm": 0.3, "judged": True, "not_judged": ""})
    text = _text(render_html(doc))
    assert "2 twitches found in 12 s of quiet face (right 0, left 2); too short a time for a rate per minute." in text
    assert "per minute (right" not in text


def _null_numbers(x):
    if isinstance(x, dict):
        return {k: _null_numbers(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_null_numbers(v) for v in x]
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return None
    return x


def test_every_number_null(doc, table):
    nulled = _null_numbers(copy.deepcopy(doc))
    nulled["schema_version"] = 2
    html = render_html(nulled, assessment=assess(None, Analysis.from_dict(nulled)))
    text = _text(html)
    assert "—" in text
    assert not re.search(r"\bNone\b|\bnan\b", text)


def test_every_number_nan_in_a_typed_analysis(doc, table):
    analysis = nan_numbers(Analysis.from_dict(doc))
    assert math.isnan(analysis.smile.episodes[0].right.excursion_mm)
    text = _text(render_analysis(analysis, table=table))
    assert "—" in text and "Tiring with repetition: not judged" in text
    assert not re.search(r"\bNone\b|\bnan\b", text, flags=re.I)


def test_flags_as_plain_strings(doc):
    doc["flags"] = ["head_tremor", "uneven_smile"]
    text = _text(render_html(doc))
    assert "Head tremor" in text and "Uneven smile" in text


def test_history_needs_two_analyses(doc):
    one = pd.DataFrame({"t": [datetime(2024, 1, 1)], "excursion_left_mm": [10.0], "excursion_right_mm": [12.0],
                        "asymmetry_pct": [16.0], "tremor_amplitude_mm": [None], "twitch_rate_per_min": [None]})
    html = render_html(doc, history=one)
    assert "One analysis is stored" in _text(html) and _images(html) == []
    two = pd.concat([one, one.assign(t=datetime(2024, 2, 1), excursion_left_mm=11.0)], ignore_index=True)
    html = render_html(doc, history=two)
    assert len(_images(html)) == 1 and "2024-02-01" in _text(html)


def test_history_names_the_recording_and_the_person(doc):
    """Several people and sessions in one history: each row says which video, whose, and what."""
    rows = pd.DataFrame({"t": [datetime(2024, 1, 1), datetime(2024, 2, 1)], "excursion_left_mm": [10.0, 11.0],
                         "excursion_right_mm": [12.0, 12.0], "asymmetry_pct": [16.0, 8.0],
                         "tremor_amplitude_mm": [None, None], "twitch_rate_per_min": [None, None],
                         "video": ["/home/a/clips/week1.mp4", "/home/a/clips/week5.mp4"],
                         "subject": ["P07", "P07"], "label": ["before treatment", None]})
    text = _text(render_html(doc, history=rows))
    assert "week1.mp4 · P07 · before treatment" in text and "week5.mp4 · P07" in text
    assert "/home/a/clips" not in text  # the file's name, not where it lives


@pytest.mark.parametrize(("x", "expected"), [(None, "—"), (float("nan"), "—"), (True, "—"), (2.345, "2.3 mm"), (0, "0.0 mm")])
def test_num(x, expected):
    assert num(x, ".1f", " mm") == expected


def test_every_guidance_level_has_plain_words():
    from smilescope.assess import LEVELS
    from smilescope.report.html import LEVEL_TEXT

    assert set(LEVEL_TEXT) == set(LEVELS)


def test_twitch_raster_only_when_twitches_could_be_judged(doc, table):
    doc["shake"]["quiet_s"] = 1.0
    text = _text(render_html(doc, table=table))
    assert "Twitches could not be judged" in text and "Twitches: " not in text
    doc["shake"]["quiet_s"] = 40.0
    html = render_html(doc, table=table)
    assert "Twitches could not be judged" not in _text(html) and len(_images(html)) == 3


def test_no_relaxed_face_is_said_in_the_report(doc, table):
    doc["smile"]["relaxed_face"] = False
    doc["smile"]["not_judged"] = "no relaxed face to measure from: the mouth never held still for 0.3 s (talking, or the expression changing throughout)"
    doc["synkinesis"]["judged"] = False
    doc["synkinesis"]["not_judged"] = "no relaxed face to compare the eyes with"
    text = _text(render_html(doc, table=table))
    assert "found by the look of the face" in text and "was not judged: no relaxed face to measure from" in text
    assert "How far each mouth corner moved from the relaxed face" not in text
    assert "synkinesis): cannot tell — no relaxed face to compare the eyes with" in text


def test_print_layout_keeps_headers_with_rows_and_what_to_do_first(doc, table):
    """Issue 12 item 22: in the PDF a table's header row repeats and is not left alone at a page's
    foot, and "What to do" comes right after the emergency box."""
    html = render_html(doc, table=table, assessment=assess(None, Analysis.from_dict(doc)))
    tables = [body for attrs, body in re.findall(r"<table([^>]*)>(.*?)</table>", html, flags=re.S) if "facts" not in attrs]
    assert tables and all(t.lstrip().startswith("<thead>") for t in tables)  # the facts table has row headers only
    css = re.search(r"<style>(.*?)</style>", html, flags=re.S).group(1)
    assert "thead { display: table-header-group; }" in css
    assert re.search(r"table, tr, img, \.rule, \.warn, \.sides, \.keep \{ break-inside: avoid; \}", css)  # boxes are not split
    # a lead-in stays with its table, and a guidance heading with its level and first rule
    assert "h2, h3, p:has(+ table), p:has(+ img), p.level-line { break-after: avoid; }" in css
    assert 'class="level-line"' in html and "footer { break-before: avoid; }" in css
    body = html.split("</header>", 1)[1]
    assert body.index('class="emergency-box"') < body.index('<section id="guidance">') < body.index('<section id="overview">')


def test_what_was_not_judged_is_not_reported_as_none(doc):
    """A clip too short for a tremor spectrum: the head tremor is "not judged", not "none
    found"; the twitch figure's title says not judged rather than 0."""
    short = json.loads(json.dumps(doc))
    short["shake"]["tremor"].update(detected=False, not_judged="too short: no stretch of at least 2 s with the face measured")
    short["shake"]["head"]["tremor_detected"] = False
    text = _text(render_html(short))
    assert "Head tremor was not judged: too short" in text and "No head tremor was found" not in text


def test_a_report_without_the_store_says_so_rather_than_no_analyses(doc, table):
    """Saving switched off: the history was not read, which is not the same as none stored."""
    import pandas as pd

    off = render_html(doc, table=table)
    assert "made without the store of past analyses" in off and "stored so far" not in off
    empty = render_html(doc, table=table, history=pd.DataFrame(columns=["t", "excursion_right_mm"]))
    assert "No analyses are stored so far" in empty


def test_the_guidance_of_a_video_alone_names_what_it_could_not_show():
    """A talking video (d10): "No warning sign stood out" is kept, and what could not be judged
    is named beside it rather than left out."""
    golden = json.loads((ROOT / "tests" / "data" / "golden" / "liveportrait_d10.json").read_text())
    a = Analysis.from_dict(golden)
    html = render_analysis(a, assessment=assess(None, a), answers_given=False)
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    assert "No warning sign stood out in these measurements" in text
    assert "This video could not show everything: smile movement, shaking (tremor), head tremor, twitches" in text


def test_a_tremor_not_judged_lists_no_rhythms_or_sizes(doc, table):
    d = copy.deepcopy(doc)
    d["shake"]["tremor"].update(detected=False, judged=False, not_judged="talking: the mouth's movement at the rate of speech")
    assert Analysis.from_dict(d).shake.tremor.by_region  # the per-region rhythms are in the file ...
    text = _text(render_html(d, table=table))
    assert "could not be judged: talking" in text and "strongest rhythm" not in text  # ... but not shown as sizes


def test_each_smile_compared_on_the_lift_shows_the_rises_its_difference_is_taken_of():
    """d9's second smile: the difference, 47 %, is of the rises (9.9 and 5.2 mm); the row showed
    the whole movements (12.3 and 5.7 mm), which give 53 %."""
    d9 = json.loads((ROOT / "tests" / "data" / "golden" / "liveportrait_d9.json").read_text())
    a = Analysis.from_dict(d9)
    e = a.smile.episodes[1]
    assert e.sides_compared_on == "lift"
    text = _text(render_analysis(a))
    row = (f"{e.right.vertical_mm:.1f} mm rise {e.left.vertical_mm:.1f} mm rise {e.asymmetry_pct:.0f} %")
    assert row in text
