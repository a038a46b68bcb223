"""The coach's web app: routes, guards against foreign pages, and the live WebSocket measuring a
rendered one-sided smile whose excursions are known."""

from __future__ import annotations

import json
import struct
from datetime import datetime, timedelta, timezone
import tempfile
import time

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from smilescope.io import open_video
from smilescope.testing import synth
from smilescope.store import Store
from smilescope.web.app import Settings, create_app
from smilescope.web.session import MAX_FRAME_BYTES

from conftest import FACES

BASE = "http://127.0.0.1:8000"
WS = "ws://127.0.0.1:8000"  # the test client ignores base_url for WebSockets
OWN = {"origin": BASE}
FOREIGN = {"origin": "http://evil.example"}
RIGHT_MM, LEFT_MM = 2.0, 6.0  # a one-sided smile: the right corner moves a third as far
HOLD = dict(onset_s=1.4, rise_s=0.4, hold_s=1.0, fall_s=0.3)


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(Settings(port=8000)), base_url=BASE) as c:
        yield c


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    face = synth.load_face(FACES / "yale01.jpg")
    path = tmp_path_factory.mktemp("web") / "smile.mp4"
    motions = synth.smile_motions(face, right_mm=RIGHT_MM, left_mm=LEFT_MM, **HOLD)
    synth.render(path, face=face, fps=30, duration_s=3.6, motions=motions, write_truth=False)
    return path


def _jpeg(rgb: np.ndarray, quality: int = 95) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def _timed(t_s: float, jpeg: bytes) -> bytes:
    return struct.pack("<d", t_s) + jpeg


def _claiming(width: int, height: int) -> bytes:
    """A 16 x 16 px JPEG whose header (SOF0) claims another size: a few hundred bytes that
    would decode to gigabytes."""
    data = bytearray(_jpeg(np.full((16, 16, 3), 128, np.uint8)))
    sof = data.index(b"\xff\xc0")  # marker, length (2), precision (1), height (2), width (2)
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def test_health(client):
    assert client.get("/api/health").json() == {"status": "ok"}


@pytest.mark.parametrize("path", ["/", "/live", "/settings", "/progress", "/check", "/analyse", "/journal"])
def test_pages_carry_the_disclaimer_and_load_nothing_from_elsewhere(client, path):
    r = client.get(path)
    assert r.status_code == 200
    assert "does not diagnose" in r.text
    # works offline: every script and style comes from this app
    assert "http://" not in r.text.replace(BASE, "") and "https://" not in r.text


def test_static_files_are_served(client):
    assert client.get("/static/live.js").status_code == 200
    assert client.get("/static/../app.py").status_code == 404  # no path traversal


def test_foreign_host_is_refused(client):
    """DNS rebinding: a foreign name pointed at 127.0.0.1 does not reach the app."""
    assert client.get("/api/health", headers={"host": "evil.example:8000"}).status_code == 400


def test_foreign_origin_cannot_open_the_live_socket(client):
    with pytest.raises(WebSocketDisconnect) as e:
        with client.websocket_connect(WS + "/ws/live", headers=FOREIGN) as ws:
            ws.receive_json()
    assert e.value.code == 1008


def test_foreign_origin_cannot_change_state(client):
    r = client.post("/api/health", headers=FOREIGN)
    assert r.status_code == 403 and "foreign origin" in r.json()["error"]


def test_malformed_messages_get_an_error_and_the_session_goes_on(client, clip):
    with open_video(clip) as src:
        rgb = next(iter(src)).rgb
    with client.websocket_connect(WS + "/ws/live?clock=client", headers=OWN) as ws:
        bad = [
            b"not a jpeg at all",
            _timed(0.0, b"\x89PNG\r\n\x1a\n" + b"\0" * 100),  # a PNG is not a JPEG
            _timed(0.0, b"\xff\xd8\xff" + b"\0" * 100),  # JPEG magic, broken inside
            _timed(float("nan"), _jpeg(rgb)),
            b"\xff" * 4,  # too short for a time
            _timed(0.0, b"\xff\xd8\xff" + b"\0" * MAX_FRAME_BYTES),  # oversized
            _timed(0.0, _claiming(16, 60000)),  # the face model would abort the server on this side
            _timed(0.0, _claiming(30000, 30000)),  # 2.7 GB decoded
        ]
        for data in bad:
            ws.send_bytes(data)
            assert "error" in ws.receive_json()
        for text in ("{", "[1, 2]", json.dumps({"action": "dance"}), "[" * 100_000, json.dumps({"x": 1})):
            ws.send_text(text)
            assert "error" in ws.receive_json()
        ws.send_bytes(_timed(0.0, _jpeg(rgb)))  # a good frame still works
        ok = ws.receive_json()
        assert "error" not in ok and ok["face"] is True
        ws.send_bytes(_timed(0.0, _jpeg(rgb)))  # time going backwards: skipped, said why
        assert "not after" in ws.receive_json()["error"]
    with client.websocket_connect(WS + "/ws/live?clock=client", headers=OWN) as ws:
        ws.send_bytes(_timed(-1.7e308, _jpeg(rgb)))
        assert ws.receive_json()["t_s"] == 0.0
        ws.send_bytes(_timed(1.7e308, _jpeg(rgb)))  # finite, but an infinite time after the first
        assert "too far" in ws.receive_json()["error"]
        ws.send_bytes(_timed(-1.7e308 + 1e292, _jpeg(rgb)))  # the session goes on
        assert ws.receive_json()["t_s"] > 0
    assert client.get("/api/health").json() == {"status": "ok"}  # the server kept running


def test_unknown_clock_is_refused(client):
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect(WS + "/ws/live?clock=sundial", headers=OWN) as ws:
            ws.receive_json()


def test_live_socket_measures_a_rendered_one_sided_smile(client, clip):
    """Frames of a rendered smile (right 2 mm, left 6 mm) sent as JPEGs: the hold reads the
    truth within 0.5 mm per side, sides the person's own."""
    answers = []
    with client.websocket_connect(WS + "/ws/live?clock=client", headers=OWN) as ws, open_video(clip) as src:
        for f in src:
            ws.send_bytes(_timed(f.t_s, _jpeg(f.rgb)))
            answers.append(ws.receive_json())
    assert all("error" not in a for a in answers)
    first = answers[0]
    assert first["excursion_mm"] == {"right": None, "left": None} and not first["baseline_ready"]
    t0 = HOLD["onset_s"] + HOLD["rise_s"] + 0.1
    hold = [a for a in answers if a["valid"] and t0 <= a["t_s"] <= t0 + HOLD["hold_s"] - 0.2]
    assert len(hold) >= 15 and all(a["baseline_ready"] for a in hold)
    for side, truth in (("right", RIGHT_MM), ("left", LEFT_MM)):
        assert np.median([a["excursion_mm"][side] for a in hold]) == pytest.approx(truth, abs=0.5)
        assert all(a["eye_opening_mm"][side] > 3 for a in hold)
    assert np.median([a["steadiness_mm"] for a in hold]) < 0.3
    assert all(a["quality"] == [] for a in hold)  # a well-lit frontal face: nothing to warn of


def test_smile_hold_exercise_scores_the_repetition(client, clip):
    """The rendered one-sided smile as an exercise: one repetition, sides and balance from the truth."""
    reps = []
    with client.websocket_connect(WS + "/ws/live?clock=client", headers=OWN) as ws, open_video(clip) as src:
        ws.send_text(json.dumps({"action": "exercise", "key": "smile_hold"}))
        started = ws.receive_json()
        assert started["ok"] == "exercise" and started["scored"] and started["exercise"]["hold_s"] == 7.0
        for f in src:
            ws.send_bytes(_timed(f.t_s, _jpeg(f.rgb)))
            a = ws.receive_json()
            if "rep" in a:
                reps.append(a["rep"])
        ws.send_text(json.dumps({"action": "stop"}))
        stopped = ws.receive_json()
    assert len(reps) == 1 and stopped["reps"] == [{k: v for k, v in reps[0].items() if k not in ("exercise", "number")}]
    rep = reps[0]
    assert rep["hold_mm"]["right"] == pytest.approx(RIGHT_MM, abs=0.5)
    assert rep["hold_mm"]["left"] == pytest.approx(LEFT_MM, abs=0.5)
    assert rep["balance"] == pytest.approx(RIGHT_MM / LEFT_MM, abs=0.1)
    assert rep["scores"]["timing"] < 30  # a 1 s hold of a 7 s exercise
    assert HOLD["onset_s"] < rep["start_s"] < HOLD["onset_s"] + HOLD["rise_s"]


def test_an_exercise_begun_in_the_middle_of_a_smile_still_measures_the_eyes(client, clip):
    """Begin pressed while already smiling: no open, relaxed eyes come before the repetition, so
    the eyes' narrowing (the synkinesis part of the score) is measured from the relaxed baseline
    taken when the mirror started. (It was missing: null, and no eye score.) The rendered smile
    does not move the eyes: no narrowing."""
    reps, begun = [], False
    with client.websocket_connect(WS + "/ws/live?clock=client", headers=OWN) as ws, open_video(clip) as src:
        for f in src:
            if not begun and f.t_s >= HOLD["onset_s"] + HOLD["rise_s"] + 0.1:  # at the hold
                ws.send_text(json.dumps({"action": "exercise", "key": "smile_hold"}))
                assert ws.receive_json()["ok"] == "exercise"
                begun = True
            ws.send_bytes(_timed(f.t_s, _jpeg(f.rgb)))
            a = ws.receive_json()
            if "rep" in a:
                reps.append(a["rep"])
    assert begun and len(reps) == 1
    rep = reps[0]
    assert rep["hold_mm"]["left"] == pytest.approx(LEFT_MM, abs=0.5)
    assert all(rep["eye_narrowing"][s] == pytest.approx(0.0, abs=0.1) for s in ("right", "left")), rep["eye_narrowing"]
    assert "eyes" in rep["scores"]


def test_repetitions_are_stored_as_a_practice_session(client, clip):
    """The rendered one-sided smile as an exercise: /api/practice then holds the session with the
    repetition's per-side measures and scores; export has it; delete (from this app's own page)
    removes it."""
    assert client.get("/api/practice").json() == []
    with client.websocket_connect(WS + "/ws/live?clock=client", headers=OWN) as ws, open_video(clip) as src:
        ws.send_text(json.dumps({"action": "exercise", "key": "smile_hold"}))
        ws.receive_json()
        live = []
        for f in src:
            ws.send_bytes(_timed(f.t_s, _jpeg(f.rgb)))
            a = ws.receive_json()
            assert "warning" not in a
            live += [a["rep"]] if "rep" in a else []
    sessions = client.get("/api/practice").json()
    for _ in range(100):  # the server closes the session just after the socket closes
        if sessions and sessions[0]["ended_at"] is not None:
            break
        time.sleep(0.05)
        sessions = client.get("/api/practice").json()
    assert len(sessions) == 1 and sessions[0]["ended_at"] is not None
    (rep,) = sessions[0]["reps"]
    assert rep["exercise"] == "smile_hold" and rep["number"] == 1 and rep["score"] == live[0]["score"]
    assert rep["hold_mm"]["right"] == pytest.approx(RIGHT_MM, abs=0.5)
    assert rep["hold_mm"]["left"] == pytest.approx(LEFT_MM, abs=0.5)
    progress = client.get("/api/progress").json()
    assert progress["streak_days"] == 1 and 5 <= progress["plan_minutes"] <= 10
    (week,) = progress["weeks"]
    assert week["exercise"] == "smile_hold" and week["reps"] == 1
    assert week["hold_mm"]["left"] == rep["hold_mm"]["left"] and week["change_since_first_week"]["balance"] == 0
    exported = client.get("/api/export")
    assert "attachment" in exported.headers["content-disposition"] and exported.json()["practice"] == sessions
    assert client.post("/api/delete", json={"confirm": True}, headers=FOREIGN).status_code == 403
    assert client.post("/api/delete", json={"confirm": "yes"}, headers=OWN).status_code == 400
    assert client.post("/api/delete", content=b"{", headers={**OWN, "content-type": "application/json"}).status_code == 400
    assert client.get("/api/practice").json() == sessions  # nothing deleted by the refused requests
    assert client.post("/api/delete", json={"confirm": True}, headers=OWN).json() == {"deleted": True}
    assert client.get("/api/practice").json() == []


def test_questionnaire_guides_and_an_emergency_stops_practice(client, clip):
    """The web questionnaire is the CLI's: sudden weakness within hours is an emergency, kept in
    the store, and the live socket then refuses practice with what to do; later, calmer answers
    open it again."""
    keys = {q["key"] for q in client.get("/api/questions").json()}
    assert {"facial_weakness", "sudden_onset", "onset_hours_ago"} <= keys
    assert client.get("/api/triage/last").json() is None
    emergency = {"facial_weakness": True, "sudden_onset": True, "onset_hours_ago": 2}
    r = client.post("/api/triage", json=emergency, headers=OWN).json()
    assert r["level"] == "emergency" and r["saved"] and "not a diagnosis" in r["disclaimer"].lower()
    assert all(m["source"] for m in r["matches"])
    assert client.get("/api/triage/last").json()["level"] == "emergency"
    with client.websocket_connect(WS + "/ws/live", headers=OWN) as ws:
        stop = ws.receive_json()
    assert "emergency" in stop["stop"]
    calm = {"facial_weakness": False, "drooping": False, "any_shaking": False}
    assert client.post("/api/triage", json=calm, headers=OWN).json()["level"] != "emergency"
    with client.websocket_connect(WS + "/ws/live", headers=OWN) as ws:
        ws.send_text(json.dumps({"action": "baseline"}))
        assert ws.receive_json()["ok"] == "baseline"
    # bad answers: a clear error, nothing saved; a foreign page cannot post answers
    assert "error" in client.post("/api/triage", json={"facial_weakness": "maybe"}, headers=OWN).json()
    assert client.post("/api/triage", json={"nonsense_key": 1}, headers=OWN).status_code == 400
    assert client.post("/api/triage", content=b"[" * 5000, headers={**OWN, "content-type": "application/json"}).status_code == 400
    assert client.post("/api/triage", json=emergency, headers=FOREIGN).status_code == 403
    assert client.get("/api/triage/last").json()["level"] != "emergency"


def test_a_questionnaire_with_nothing_answered_neither_lifts_an_emergency_nor_counts(client):
    """After answers that mean emergency, sending the form empty (or every answer "don't know")
    gives the "nothing answered" guidance but keeps nothing: practice stays stopped and the last
    answers stay the emergency's."""
    emergency = {"facial_weakness": True, "sudden_onset": True, "onset_hours_ago": 2}
    assert client.post("/api/triage", json=emergency, headers=OWN).json()["level"] == "emergency"
    for empty in ({}, {"facial_weakness": None, "any_shaking": None}):
        r = client.post("/api/triage", json=empty, headers=OWN).json()
        assert r["level"] == "info" and r["saved"] is False and r["answered"] is False
        assert client.get("/api/triage/last").json()["level"] == "emergency"
        with client.websocket_connect(WS + "/ws/live", headers=OWN) as ws:
            assert "emergency" in ws.receive_json()["stop"]
    calm = {"facial_weakness": False, "drooping": False, "any_shaking": False}
    assert client.post("/api/triage", json=calm, headers=OWN).json()["answered"] is True
    last = client.get("/api/triage/last").json()
    assert last["level"] != "emergency"
    assert datetime.fromisoformat(last["created_at"]).utcoffset() is not None  # as the export's times


def test_daily_reminder_is_a_calendar_file(client):
    r = client.get("/api/reminder.ics?at=07:30")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    text = r.text
    assert text.startswith("BEGIN:VCALENDAR\r\n") and "RRULE:FREQ=DAILY" in text and "T073000" in text
    for bad in ("25:00", "7", "ab:cd", "07:60"):
        assert client.get(f"/api/reminder.ics?at={bad}").status_code == 400


def test_exercise_catalogue_and_unknown_exercise(client):
    keys = [e["key"] for e in client.get("/api/exercises").json()]
    assert "smile_hold" in keys and "micro_smile" in keys
    with client.websocket_connect(WS + "/ws/live", headers=OWN) as ws:
        ws.send_text(json.dumps({"action": "exercise", "key": "juggling"}))
        assert "unknown exercise" in ws.receive_json()["error"]
        for key, scored in (("eye_closure", True), ("micro_smile", True), ("brow_raise", True), ("pucker", True),
                            ("rest_awareness", False)):
            ws.send_text(json.dumps({"action": "exercise", "key": key}))
            assert ws.receive_json()["scored"] is scored


def test_baseline_action_restarts_the_baseline(client, clip):
    with client.websocket_connect(WS + "/ws/live?clock=client", headers=OWN) as ws:
        ws.send_text(json.dumps({"action": "baseline"}))
        assert ws.receive_json()["ok"] == "baseline"


def test_magnified_mirror_follows_the_one_sided_smile(client, clip):
    """At the hold of the rendered smile (left 6 mm, right 2 mm) the magnified outline's left mouth
    corner has moved further than the right; nothing is drawn before the relaxed outline exists."""
    from smilescope import landmarks as lm

    lip = lm.OUTLINES.index(lm.OUTER_LIP)
    corner = {s: lm.OUTER_LIP.index(lm.MOUTH_CORNER[s]) for s in ("right", "left")}
    answers = []
    with client.websocket_connect(WS + "/ws/live?clock=client&mesh=1", headers=OWN) as ws, open_video(clip) as src:
        for f in src:
            ws.send_bytes(_timed(f.t_s, _jpeg(f.rgb)))
            answers.append(ws.receive_json())
    meshes = [a for a in answers if a.get("mesh")]
    assert meshes and not answers[0].get("mesh") and all(a["baseline_ready"] for a in meshes)
    first = meshes[0]["mesh"]["lines"][lip]
    t0 = HOLD["onset_s"] + HOLD["rise_s"] + 0.1
    hold = [a for a in meshes if t0 <= a["t_s"] <= t0 + HOLD["hold_s"] - 0.2]
    moved = {s: np.median([np.hypot(*np.subtract(a["mesh"]["lines"][lip][corner[s]], first[corner[s]])) for a in hold])
             for s in ("right", "left")}
    assert moved["left"] > 2 * moved["right"] > 0


def test_a_recorded_clip_is_analysed_reported_kept_and_deleted(client, clip, tmp_path, monkeypatch):
    """Upload of the rendered smile: the full analysis and its report; the numbers go to the
    history; the uploaded clip does not stay on disk."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    r = client.post("/api/analyse", content=clip.read_bytes(), headers={**OWN, "x-filename": "../../my clip.mp4"})
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["kept_in_history"] and res["smile_episodes"] >= 1 and res["duration_s"] == pytest.approx(3.6, abs=0.1)
    page = client.get(res["report_url"])
    assert page.status_code == 200 and "not a diagnosis" in page.text and "my_clip.mp4" in page.text
    assert list(tmp_path.iterdir()) == []  # the clip and its folder are gone
    with Store() as st:
        assert st.history()["video"].tolist() == ["my_clip.mp4"]
    assert client.get("/reports/" + "0" * 32).status_code == 404
    assert client.get("/reports/..%2Fapp.py").status_code == 404


def test_uploads_that_are_not_a_video_or_too_large_are_refused(client, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 200
    r = client.post("/api/analyse", content=png, headers=OWN)
    assert r.status_code == 415 and "not a video" in r.json()["error"]
    fake = b"\0\0\0\x18ftypmp42" + b"\0" * 5000  # says MP4, holds nothing
    r = client.post("/api/analyse", content=fake, headers=OWN)
    assert r.status_code == 422 and r.json()["error"]
    r = client.post("/api/analyse", content=fake, headers={**OWN, "x-filename": "a%00b%1b[31m.mp4"})
    assert r.status_code == 422 and "ab[31m.mp4" in r.json()["error"]  # the name shown without NUL or ESC
    assert client.post("/api/analyse", content=png, headers=FOREIGN).status_code == 403
    with TestClient(create_app(Settings(port=8000, max_upload_mb=0.001)), base_url=BASE) as small:
        r = small.post("/api/analyse", content=b"\0" * 5000, headers=OWN)
        assert r.status_code == 413 and "larger than" in r.json()["error"]
    assert list(tmp_path.iterdir()) == []
    assert client.get("/api/health").json() == {"status": "ok"}


@pytest.mark.parametrize("name, safe", [("../../etc/passwd", "passwd"), ("C:\\Users\\me\\clip.mp4", "clip.mp4"),
                                        (".hidden.mov", "hidden.mov"), (None, "clip"), ("a b;rm -rf.mp4", "a_b_rm_-rf.mp4"),
                                        ("笑顔 😀.mp4", "笑顔__.mp4"), ("..", "clip")])
def test_uploaded_names_never_leave_the_folder(name, safe):
    from smilescope.web.app import safe_name

    assert safe_name(name) == safe


def test_journal_and_diary_from_the_browser_pages(client):
    """Good moments and diary entries go into the same store as `smilescope journal` and `diary`;
    text is kept as typed (markup is shown as text by the page), bad values are refused."""
    assert client.get("/api/journal").json() == []
    r = client.post("/api/journal", json={"texts": ["laughed with Sam", "  ", "sun on the walk <b>!</b>"]}, headers=OWN)
    assert len(r.json()["added"]) == 2
    assert [j["text"] for j in client.get("/api/journal").json()] == ["laughed with Sam", "sun on the walk <b>!</b>"]
    for bad in ({"texts": []}, {"texts": "one"}, {"texts": [1]}, {"texts": ["x" * 2001]}, {"texts": ["a"], "day": "0001-01-01"}):
        assert client.post("/api/journal", json=bad, headers=OWN).status_code == 400, bad
    assert client.post("/api/diary", json={"caffeine_cups": 3, "sleep_hours": 6.5, "note": "tired"}, headers=OWN).json() == {"saved": True}
    (entry,) = client.get("/api/diary").json()
    assert entry["caffeine_cups"] == 3 and entry["sleep_hours"] == 6.5 and entry["stress_0_10"] is None and entry["note"] == "tired"
    for bad in ('{"caffeine_cups": 1e309}', '{"caffeine_cups": -1}', '{"sleep_hours": 25}', '{"weird": 1}', '{"note": 5}',
                "[1]", "{"):
        r = client.post("/api/diary", content=bad.encode(), headers={**OWN, "content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"], bad
    assert client.post("/api/journal", json={"texts": ["x"]}, headers=FOREIGN).status_code == 403
    assert len(client.get("/api/journal").json()) == 2


def test_pages_escape_what_they_show():
    """A stored video name with markup is shown as text in the progress report, never run."""
    from smilescope.web.app import template_env

    html = template_env().get_template("progress_report.html.j2").render(
        disclaimer="d", version="v", made="now", weeks=[], streak=0, sessions=0,
        analyses=[{"when": "2026-01-01", "video": "<script>alert(1)</script>.mp4", "right": 1.0, "left": 2.0, "asym": 50.0}])
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;.mp4" in html


def test_progress_report_for_the_physiotherapist(client, clip):
    with client.websocket_connect(WS + "/ws/live?clock=client", headers=OWN) as ws, open_video(clip) as src:
        ws.send_text(json.dumps({"action": "exercise", "key": "smile_hold"}))
        ws.receive_json()
        for f in src:
            ws.send_bytes(_timed(f.t_s, _jpeg(f.rgb)))
            ws.receive_json()
    html = client.get("/progress/report").text
    assert "progress report" in html.lower() and "does not diagnose" in html
    assert "<td>smile hold</td>" in html  # the week's row of the exercise practised
    assert "http://" not in html and "https://" not in html  # prints offline


@pytest.fixture(scope="module")
def brow_clip(tmp_path_factory):
    """A rendered one-sided brow raise: the right brow lifts 1 mm, the left 4 mm (image axes: up is -y)."""
    from smilescope import landmarks as lm

    face = synth.load_face(FACES / "yale01.jpg")
    prof = lambda t: synth.smile_profile(t, **HOLD)  # noqa: E731
    motions = [synth.PointMotion(lm.BROW_MID[side], 0.0, -mm, prof, radius_mm=4.0)
               for side, mm in (("right", BROW_RIGHT_MM), ("left", BROW_LEFT_MM))]
    path = tmp_path_factory.mktemp("brow") / "brow.mp4"
    synth.render(path, face=face, fps=30, duration_s=3.6, motions=motions, write_truth=False)
    return path


BROW_RIGHT_MM, BROW_LEFT_MM = 1.0, 4.0


def test_micro_smile_hold_grows_after_a_day_held_in_full(client):
    with Store() as st:
        sid = st.start_practice(datetime.now(timezone.utc) - timedelta(days=1))
        rep = {"start_s": 1.0, "hold_s": 3.1, "hold_mm": {"right": 2.0, "left": 2.2}, "balance": 0.9, "score": 95,
               "scores": {"timing": 100, "balance": 90}, "forced": False}
        st.add_practice_rep(sid, "micro_smile", 1, rep)
    with client.websocket_connect(WS + "/ws/live", headers=OWN) as ws:
        ws.send_text(json.dumps({"action": "exercise", "key": "micro_smile"}))
        assert ws.receive_json()["exercise"]["hold_s"] == 4.0
        ws.send_text(json.dumps({"action": "exercise", "key": "smile_hold"}))
        assert ws.receive_json()["exercise"]["hold_s"] == 7.0  # the others keep their own


def test_brow_raise_exercise_measures_each_brow(client, brow_clip):
    reps = []
    with client.websocket_connect(WS + "/ws/live?clock=client", headers=OWN) as ws, open_video(brow_clip) as src:
        ws.send_text(json.dumps({"action": "exercise", "key": "brow_raise"}))
        assert ws.receive_json()["scored"]
        for f in src:
            ws.send_bytes(_timed(f.t_s, _jpeg(f.rgb)))
            a = ws.receive_json()
            reps += [a["rep"]] if "rep" in a else []
    (rep,) = reps
    assert rep["hold_mm"]["right"] == pytest.approx(BROW_RIGHT_MM, abs=0.5)
    assert rep["hold_mm"]["left"] == pytest.approx(BROW_LEFT_MM, abs=0.5)
    assert rep["balance"] == pytest.approx(BROW_RIGHT_MM / BROW_LEFT_MM, abs=0.15)


def test_delete_removes_the_reports_too_and_a_name_in_any_script_is_kept(clip, tmp_path):
    """Reports of uploaded clips hold the analysis and the history: "delete everything" removes
    them as well. The page sends the file's name URI-encoded (a header holds only Latin-1)."""
    from urllib.parse import quote

    with TestClient(create_app(Settings(port=8000, db=f"sqlite:///{tmp_path}/own.db")), base_url=BASE) as own:
        r = own.post("/api/analyse", content=clip.read_bytes(), headers={**OWN, "x-filename": quote("笑顔.mp4")})
        assert r.status_code == 200, r.text
        url = r.json()["report_url"]
        assert own.get(url).status_code == 200
        stored = own.get("/api/export").json()["analyses"][0]
        assert stored["video"] == "笑顔.mp4"
        # the upload's temporary copy is gone: its path is kept nowhere (the history, the report)
        assert "smilescope-upload-" not in json.dumps(stored, ensure_ascii=False)
        assert "smilescope-upload-" not in own.get(url).text
        assert own.post("/api/delete", json={"confirm": True}, headers=OWN).json() == {"deleted": True}
        gone = own.get(url)
        assert gone.status_code == 404 and "deleting your data removes them" in gone.json()["error"]


def test_absurd_json_is_a_clear_400_not_a_server_error(client):
    deep = ("[" * 40_000 + "]" * 40_000).encode()  # under the 100 kB limit, too deep for the parser
    for url in ("/api/delete", "/api/triage", "/api/journal", "/api/diary"):
        r = client.post(url, content=deep, headers={**OWN, "content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"], url
    # too large: 413 (not "send an object..."), whether its length is declared or it streams in
    # without one (read as it arrives and given up past the limit, never held whole)
    big = json.dumps({"confirm": True, "pad": "x" * 200_000}).encode()
    for content in (big, (big[i:i + 8192] for i in range(0, len(big), 8192))):
        r = client.post("/api/delete", content=content, headers={**OWN, "content-type": "application/json"})
        assert r.status_code == 413 and "larger than 100 kB" in r.json()["error"]
    assert client.get("/api/export").headers["cache-control"] == "no-store"
    post = {**OWN, "content-type": "application/json"}
    before = client.get("/api/journal").json(), client.get("/api/diary").json()  # the client is the module's
    # half a character (a lone surrogate), a number beyond any float, a day that is not a date:
    # each a 400 that says what, and nothing kept (these were 500s, and the journal kept "first")
    for url, body, said in (("/api/journal", b'{"texts": ["first", "\\udfff"]}', "broken character"),
                            ("/api/diary", b'{"note": "\\ud800"}', "broken character"),
                            ("/api/diary", b'{"sleep_hours": 1' + b"0" * 400 + b"}", "sleep"),
                            ("/api/diary", b'{"day": {}, "sleep_hours": 7}', "YYYY-MM-DD"),
                            ("/api/diary", b'{"day": 0, "sleep_hours": 7}', "YYYY-MM-DD"),
                            ("/api/journal", b'{"texts": ["x"], "day": "2024W011"}', "YYYY-MM-DD")):
        r = client.post(url, content=body, headers=post)
        assert r.status_code == 400 and said in r.json()["error"], (url, body, r.text)
    assert (client.get("/api/journal").json(), client.get("/api/diary").json()) == before


def test_messages_speak_to_the_page_not_the_command_line(client):
    r = client.post("/api/journal", json={"texts": []}, headers=OWN)
    assert r.json()["error"] == "write at least one good thing"
    r = client.post("/api/diary", json={}, headers=OWN)
    assert r.status_code == 400 and "--" not in r.json()["error"] and "caffeine (cups)" in r.json()["error"]
    r = client.post("/api/journal", json={"texts": ["a"], "day": 20200101}, headers=OWN)
    assert r.status_code == 400 and "YYYY-MM-DD" in r.json()["error"]  # a number is not a date


def test_pages_may_not_be_framed_by_another_site(client):
    for path in ("/", "/settings", "/api/health"):
        h = client.get(path).headers
        assert h["x-frame-options"] == "DENY" and "frame-ancestors 'none'" in h["content-security-policy"]


def test_an_ipv6_loopback_address_is_its_own_origin():
    """--host ::1: the browser sends Host [::1]:8765 and Origin http://[::1]:8765; both were refused."""
    with TestClient(create_app(Settings(host="::1", port=8765)), base_url="http://[::1]:8765") as c:
        assert c.get("/api/health").status_code == 200
        r = c.post("/api/triage", json={}, headers={"origin": "http://[::1]:8765"})
        assert r.status_code != 403, r.text
        assert c.post("/api/triage", json={}, headers={"origin": "http://evil.example"}).status_code == 403


def test_practice_after_everything_was_deleted_goes_to_a_new_session(tmp_path):
    from smilescope.web.app import PracticeKeeper

    db = f"sqlite:///{tmp_path}/p.db"
    rep = {"start_s": 1.0, "hold_s": 2.0, "score": 80, "hold_mm": {"right": 3.0, "left": 3.1}, "balance": 0.97}
    keeper = PracticeKeeper(db)
    keeper.keep("smile_hold", 1, rep)
    with Store(db) as st:
        st.delete_all()
    keeper.keep("smile_hold", 2, rep)  # raised "No practice session 1. Start one with start_practice()."
    keeper.close()
    with Store(db) as st:
        (sess,) = st.practice()
    assert [r["number"] for r in sess["reps"]] == [2] and sess["ended_at"] is not None


def test_open_mirrors_are_limited_and_a_closed_one_frees_its_place(client, clip):
    """Each mirror holds a face model (about 70 MB); 40 open connections once held 3.4 GB."""
    from contextlib import ExitStack

    from smilescope.web.app import MAX_LIVE_SESSIONS

    with open_video(clip) as src:
        jpeg = _jpeg(next(iter(src)).rgb)
    with ExitStack() as stack:
        mirrors = [stack.enter_context(client.websocket_connect(WS + "/ws/live", headers=OWN)) for _ in range(MAX_LIVE_SESSIONS)]
        for ws in mirrors:
            ws.send_bytes(jpeg)
            assert "error" not in ws.receive_json()
        with client.websocket_connect(WS + "/ws/live", headers=OWN) as extra:
            assert "mirrors are open already" in extra.receive_json()["error"]
            with pytest.raises(WebSocketDisconnect):
                extra.receive_json()
        mirrors[0].close()
        for _ in range(40):  # until the server has seen the close
            with client.websocket_connect(WS + "/ws/live", headers=OWN) as again:
                again.send_bytes(jpeg)
                if "error" not in again.receive_json():
                    break
            time.sleep(0.25)
        else:
            raise AssertionError("a closed mirror did not free its place")


def test_the_physio_report_rounds_as_the_progress_page_does():
    """The progress page writes numbers with JavaScript's toFixed (half up, on the exact binary
    value); the physio report is rendered in Python, whose % rounds half to even: a median score
    of 48.5 read 49 on one and 48 on the other."""
    from smilescope.web.app import fixed

    assert fixed(48.5, 0) == "49" and fixed(47.5, 0) == "48"
    assert fixed(0.125, 2) == "0.13"  # exact in binary: half up, as (0.125).toFixed(2)
    assert fixed(1.005, 2) == "1.00"  # 1.00499... in binary, as (1.005).toFixed(2)
    assert fixed(0.0, 1, sign=True) == "+0.0" and fixed(-0.04, 1, sign=True) == "-0.0" and fixed(2.25, 1, sign=True) == "+2.3"
    assert fixed(None) == "—" and fixed(float("nan")) == "—"


def test_a_diary_note_or_journal_text_is_held_to_the_pages_limits_through_the_api(client):
    post = {**OWN, "content-type": "application/json"}
    before = client.get("/api/journal").json(), client.get("/api/diary").json()
    for url, body, said in (("/api/diary", {"note": "x" * 90_000}, "at most 2000"),
                            ("/api/journal", {"texts": ["y" * 2001]}, "at most 2000")):
        r = client.post(url, content=json.dumps(body).encode(), headers=post)
        assert r.status_code in (400, 413) and said in r.json()["error"], (url, r.json())
    assert (client.get("/api/journal").json(), client.get("/api/diary").json()) == before
