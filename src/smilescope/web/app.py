"""The coach's web app: pages, the JSON API and the live WebSocket, thin over the library.

Everything stays on this computer. The app listens on 127.0.0.1 unless told otherwise and
guards against the two ways a web page elsewhere could reach it:

- **foreign Origin**: a WebSocket and every state-changing request (anything but GET, HEAD,
  OPTIONS) whose ``Origin`` header is not this app's own is refused (403). Browsers always send
  ``Origin`` on these; a client with no ``Origin`` (a script the user runs) is not a browser
  page and may pass.
- **DNS rebinding**: a request whose ``Host`` is not a name of this app (127.0.0.1, localhost,
  or the host it was told to bind) is refused (400), so a foreign name pointed at 127.0.0.1
  cannot read the person's data.
"""

from __future__ import annotations

import dataclasses
import json
import re
import secrets
import tempfile
import unicodedata
from urllib.parse import unquote
from collections.abc import Callable
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from dataclasses import dataclass
from pathlib import Path, PurePath

import jinja2
from fastapi import FastAPI, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Receive, Scope, Send

from smilescope import __version__
from smilescope.measures.practice import (
    BY_KEY,
    DAILY_PLAN,
    EXERCISES,
    micro_smile_hold_s,
    plan_minutes,
    streak_days,
    weekly_progress,
)
from smilescope.pipeline import analyze as analyze_video
from smilescope.pipeline.live import LiveMeasures
from smilescope.report.browser import html_to_pdf
from smilescope.report.html import render_html
from smilescope.assess import QUESTIONS, assess, validate_answers
from smilescope.errors import BadInputError
from smilescope.output import dumps
from smilescope.store import FACTORS, Store, check_day
from smilescope.web.session import LiveSession

HERE = Path(__file__).parent
EMERGENCY_STOP = ("Your last answers said this may be an emergency: call emergency services now (sudden facial "
                  "weakness can be a stroke). Practice is not for now. If things have changed, answer the questions again.")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_REPORTS = 20  # reports of uploaded clips kept in memory while the app runs (the oldest go first)
DISCLAIMER = ("smilescope measures; it does not diagnose. If your face suddenly became weak or droops, "
              "call emergency services now: it can be a stroke.")


@dataclass(frozen=True)
class Settings:
    """Where the app listens: the names and origins it accepts follow from this."""

    host: str = "127.0.0.1"
    port: int = 8000
    db: str | None = None  # the store's URL; default: $SMILESCOPE_DB, else the user's data folder
    max_upload_mb: float = 500.0  # a recorded clip: a 5-minute 1080p phone video is about 300-600 MB

    @property
    def hosts(self) -> list[str]:
        """The names a request's Host header may carry; an IPv6 address in brackets, as in a URL
        (``http://[::1]:8000``) and as browsers send it."""
        names = ["127.0.0.1", "localhost"]
        if self.host not in ("0.0.0.0", "::", "") and self.host not in names:
            names.append(f"[{self.host}]" if ":" in self.host else self.host)
        return names

    @property
    def origins(self) -> frozenset[str]:
        return frozenset(f"http://{h}:{self.port}" for h in self.hosts)


# A live mirror holds a face model and its buffers (about 70 MB): a person has one camera, and a
# few tabs left open are plenty; more are refused rather than let memory grow without bound
MAX_LIVE_SESSIONS = 4

# No other site may frame the pages. (A policy limiting every source to the app itself, tried
# on 2026-12-03, made the live mirror's baseline fail to arrive in 1 of 2 headless-Chromium runs,
# not understood yet; the pages load nothing from elsewhere, which test_app checks.)
CONTENT_SECURITY_POLICY = "frame-ancestors 'none'"


def template_env() -> jinja2.Environment:
    """The pages' templates, every one autoescaped (Starlette's default escapes only files named
    *.html, and ours are *.html.j2): a video's name or any stored text is shown, never run."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(HERE / "templates")), autoescape=True)
    env.filters["fixed"] = fixed
    return env


def fixed(value, digits: int = 1, *, sign: bool = False) -> str:
    """``value`` with ``digits`` decimals, rounded half up as the pages' JavaScript
    ``toFixed`` does (Python's ``%`` rounds half to even: a median score of 48.5 read 48 in the
    physio report and 49 on the progress page); "—" when not measured."""
    if value is None or value != value:
        return "—"
    text = str(Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))
    return ("+" if sign and value >= 0 else "") + text


class OriginGuard:
    """ASGI middleware: refuse WebSockets and state-changing requests from a foreign Origin."""

    def __init__(self, app: ASGIApp, *, origins: frozenset[str]) -> None:
        self.app = app
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            origin = dict(scope.get("headers") or []).get(b"origin")
            guarded = scope["type"] == "websocket" or scope.get("method", "GET") not in SAFE_METHODS
            if guarded and origin is not None and origin.decode("latin-1") not in self.origins:
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008, "reason": "foreign origin"})
                    return
                response = JSONResponse({"error": "foreign origin: this app only answers its own pages"}, status_code=403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def reminder_ics(hour: int, minute: int, *, minutes: int) -> str:
    """An iCalendar file (RFC 5545) with one daily event at ``hour:minute`` local ("floating") time."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    start = date.today().strftime("%Y%m%d") + f"T{hour:02d}{minute:02d}00"
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//smilescope//coach//EN", "BEGIN:VEVENT",
             f"UID:smilescope-practice-{hour:02d}{minute:02d}@localhost", f"DTSTAMP:{stamp}", f"DTSTART:{start}",
             f"DURATION:PT{minutes}M", "RRULE:FREQ=DAILY", "SUMMARY:Smile practice (smilescope)",
             "DESCRIPTION:A few gentle minutes: open smilescope serve and follow today's plan.",
             "BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Smile practice", "TRIGGER:PT0M", "END:VALARM",
             "END:VEVENT", "END:VCALENDAR"]
    return "\r\n".join(lines) + "\r\n"


MAX_JSON_BYTES = 100_000  # answers, a diary day or a journal text: a few kB at most


class BodyTooLarge(Exception):
    """A JSON request larger than :data:`MAX_JSON_BYTES` (answered 413)."""


async def json_body(request: Request):
    """The request's JSON body, or None when it is not JSON (or nested absurdly deep).

    Read as it arrives and given up past :data:`MAX_JSON_BYTES` (:class:`BodyTooLarge`), so a
    huge body is neither held in memory nor answered as if it were merely malformed."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_JSON_BYTES:
        raise BodyTooLarge
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_JSON_BYTES:
            raise BodyTooLarge
    try:
        return json.loads(bytes(raw))
    except (ValueError, RecursionError):
        return None


def safe_name(name: str | None) -> str:
    """A plain file name for an uploaded clip: no folders, no odd characters (no path traversal);
    letters of any script are kept (笑顔.mp4 stays itself), as batch folder names keep them."""
    plain = unicodedata.normalize("NFC", PurePath((name or "").replace("\\", "/")).name)
    base = re.sub(r"[^\w.-]", "_", plain).lstrip(".")[:100]
    while len(base.encode("utf-8")) > 200:  # a file name holds 255 bytes; a CJK letter takes 3
        base = base[:-1]
    return base or "clip"


def video_kind(path: Path) -> str | None:
    """The container by its first bytes (MP4/MOV, Matroska/WebM, AVI), or None: not a video."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head[4:8] == b"ftyp":
        return "mp4"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "matroska"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    return None


class PracticeKeeper:
    """Stores a connection's repetitions as one practice session, opened at its first repetition."""

    def __init__(self, db: str | None) -> None:
        self.db = db
        self.session_id: int | None = None

    def keep(self, exercise: str, number: int, rep: dict) -> None:
        with Store(self.db) as store:
            # a new session at the first repetition, and again when the person deleted their data
            # (from another tab) while practising: the repetitions from then on go to a new one
            if self.session_id is None or not store.has_practice_session(self.session_id):
                self.session_id = store.start_practice()
            store.add_practice_rep(self.session_id, exercise, number, rep)

    def close(self) -> None:
        if self.session_id is not None:
            try:
                with Store(self.db) as store:
                    store.end_practice(self.session_id)
            except BadInputError:
                pass  # the repetitions are kept; only the end time is missing


def create_app(settings: Settings = Settings(), *, measures: Callable[[], LiveMeasures] | None = None) -> FastAPI:
    """The app. ``measures`` makes the per-connection engine (tests pass a factory)."""
    make_measures = measures or LiveMeasures
    app = FastAPI(title="smilescope coach", version=__version__, docs_url=None, redoc_url=None, openapi_url=None)

    @app.exception_handler(BodyTooLarge)
    async def too_large(request: Request, exc: BodyTooLarge):
        return JSONResponse({"error": f"the request is larger than {MAX_JSON_BYTES // 1000} kB; nothing was kept"},
                            status_code=413)
    templates = Jinja2Templates(env=template_env())
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    def page(request: Request, name: str, **context) -> HTMLResponse:
        return templates.TemplateResponse(request, name, {"disclaimer": DISCLAIMER, "version": __version__, **context})

    @app.get("/", response_class=HTMLResponse)
    def home(request: Request):
        return page(request, "home.html.j2", title="smilescope coach")

    @app.get("/live", response_class=HTMLResponse)
    def live(request: Request):
        return page(request, "live.html.j2", title="Mirror", exercises=EXERCISES,
                    exercises_json=json.dumps([e.to_dict() for e in EXERCISES]).replace("</", "<\\/"))

    @app.get("/api/health")
    def health():
        return {"status": "ok"}

    @app.get("/api/exercises")
    def exercises():
        return [e.to_dict() for e in EXERCISES]

    @app.get("/settings", response_class=HTMLResponse)
    def settings_page(request: Request):
        return page(request, "settings.html.j2", title="Your data")

    def stored(what: Callable[[Store], object], *, bad_status: int = 503):
        """``what(store)``, or the reason it failed as a JSON error: a store that cannot be opened
        is 503; ``bad_status`` is for a failure of ``what`` (400 where it checks what was sent)."""
        try:
            store = Store(settings.db)
        except BadInputError as e:
            return JSONResponse({"error": str(e)}, status_code=503)
        try:
            with store:
                return what(store)
        except BadInputError as e:
            return JSONResponse({"error": str(e)}, status_code=bad_status)

    @app.get("/progress", response_class=HTMLResponse)
    def progress_page(request: Request):
        return page(request, "progress.html.j2", title="Progress")

    @app.get("/api/progress")
    def progress():
        """The daily plan, the streak of days practised, and practice by week against the first week."""
        sessions = stored(lambda s: s.practice())
        if isinstance(sessions, JSONResponse):
            return sessions
        reps, days = [], []
        for sess in sessions:
            day = datetime.fromisoformat(sess["started_at"]).astimezone().date()  # the person's own calendar day
            if sess["reps"]:
                days.append(day)
            reps += [{**r, "day": day} for r in sess["reps"]]
        return {"streak_days": streak_days(days, date.today()), "plan_minutes": round(plan_minutes(), 1),
                "plan": [{"exercise": BY_KEY[k].to_dict(), "reps": n} for k, n in DAILY_PLAN],
                "weeks": weekly_progress(reps)}

    def progress_report_html(request: Request) -> str | JSONResponse:
        data = progress()
        if isinstance(data, JSONResponse):
            return data
        hist = stored(lambda s: s.history())
        rows = [] if isinstance(hist, JSONResponse) else [
            {"when": r["t"].strftime("%Y-%m-%d"), "video": r.get("video") or "—", "right": r.get("excursion_right_mm"),
             "left": r.get("excursion_left_mm"), "asym": r.get("asymmetry_pct")} for r in hist.to_dict("records")]
        sessions = stored(lambda s: s.practice())
        n_sessions = 0 if isinstance(sessions, JSONResponse) else len(sessions)
        return templates.get_template("progress_report.html.j2").render(
            disclaimer=DISCLAIMER, version=__version__, made=datetime.now().strftime("%Y-%m-%d %H:%M"),
            weeks=data["weeks"], streak=data["streak_days"], sessions=n_sessions, analyses=rows)

    @app.get("/progress/report", response_class=HTMLResponse)
    def progress_report(request: Request):
        """A progress report to take to the physiotherapist (print it, or get the PDF)."""
        html = progress_report_html(request)
        return html if isinstance(html, JSONResponse) else HTMLResponse(html)

    @app.get("/progress/report.pdf")
    async def progress_report_pdf(request: Request):
        html = progress_report_html(request)
        if isinstance(html, JSONResponse):
            return html
        with tempfile.TemporaryDirectory(prefix="smilescope-report-") as tmp:
            src = Path(tmp) / "progress.html"
            src.write_text(html, encoding="utf-8")
            try:
                pdf = await run_in_threadpool(html_to_pdf, src, Path(tmp) / "progress.pdf")
            except BadInputError as e:
                return JSONResponse({"error": str(e)}, status_code=503)
            data = pdf.read_bytes()
        return Response(data, media_type="application/pdf",
                        headers={"Content-Disposition": 'attachment; filename="smilescope-progress.pdf"'})

    @app.get("/api/reminder.ics")
    def reminder(at: str = "18:00"):
        """A daily reminder to import into a calendar (at HH:MM local time)."""
        try:
            hh, mm = (int(x) for x in at.split(":"))
            if not (0 <= hh < 24 and 0 <= mm < 60):
                raise ValueError
        except ValueError:
            return JSONResponse({"error": "at must be a time HH:MM, e.g. 18:00"}, status_code=400)
        return Response(reminder_ics(hh, mm, minutes=round(plan_minutes())), media_type="text/calendar",
                        headers={"Content-Disposition": 'attachment; filename="smilescope-practice.ics"'})

    @app.get("/check", response_class=HTMLResponse)
    def check_page(request: Request):
        return page(request, "check.html.j2", title="Before you practise")

    @app.get("/api/questions")
    def questions():
        """The questionnaire (the same questions as ``smilescope triage``), emergency signs first."""
        return [{"key": q.key, "kind": q.kind, "text": q.text, "lo": q.lo, "hi": q.hi, "unit": q.unit,
                 "ask_if": list(q.ask_if)} for q in QUESTIONS]

    @app.post("/api/triage")
    async def triage(request: Request):
        """Guidance from the answers (JSON object of answer key -> value); kept in the store."""
        answers = await json_body(request)
        if answers is None:
            return JSONResponse({"error": "send the answers as a JSON object"}, status_code=400)
        try:
            result = assess(answers).to_dict()
        except BadInputError as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        if not any(v is not None for v in validate_answers(answers).values()):
            # an empty form is not kept: it would stand in for the person's last answers (the
            # first-session gate, an emergency that stops practice) while saying nothing
            return {**result, "saved": False, "answered": False}
        saved = stored(lambda s: s.add_triage(result, answers))
        return {**result, "saved": not isinstance(saved, JSONResponse), "answered": True}

    @app.get("/api/triage/last")
    def last_triage():
        """The latest saved guidance (``null`` before the first questionnaire)."""
        last = stored(lambda s: s.last_triage())
        if isinstance(last, JSONResponse) or last is None:
            return last
        # local time with its offset, as the export's times carry theirs
        return {"created_at": last["created_at"].astimezone().isoformat(), "level": last["level"], "result": last["result"]}

    @app.get("/analyse", response_class=HTMLResponse)
    def analyse_page(request: Request):
        return page(request, "analyse.html.j2", title="Analyse a recording", max_upload_mb=settings.max_upload_mb)

    reports: dict[str, str] = {}  # token -> report HTML, in memory only: never written to disk

    @app.post("/api/analyse")
    async def analyse(request: Request):
        """A recorded clip (the request body, at most ``max_upload_mb``) -> the full analysis, kept
        in the history (numbers only), and its report at ``/reports/<token>`` while the app runs.
        The clip itself is deleted as soon as it is analysed."""
        limit = int(settings.max_upload_mb * 1e6)
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return JSONResponse({"error": f"the clip is larger than {settings.max_upload_mb:g} MB: trim it first"}, status_code=413)
        with tempfile.TemporaryDirectory(prefix="smilescope-upload-") as tmp:  # 0700: owner only
            name = unquote(request.headers.get("x-filename") or "")  # the page sends it URI-encoded (any script)
            path = Path(tmp) / safe_name(name)
            size = 0
            with open(path, "wb") as fh:
                try:
                    async for chunk in request.stream():
                        size += len(chunk)
                        if size > limit:
                            return JSONResponse({"error": f"the clip is larger than {settings.max_upload_mb:g} MB: trim it first"},
                                                status_code=413)
                        fh.write(chunk)
                except ClientDisconnect:  # the page was closed mid-upload: nobody to answer, nothing kept
                    return Response(status_code=400)
            kind = video_kind(path)
            if kind is None:
                return JSONResponse({"error": "this is not a video file smilescope reads (MP4, MOV, WebM, MKV or AVI)"},
                                    status_code=415)
            try:
                result = await run_in_threadpool(analyze_video, path)
            except BadInputError as e:
                # the message names the file as the person chose it, not the temporary copy
                shown = "".join(ch for ch in name if ch.isprintable()) or "the clip"  # no NUL or escape from the header
                return JSONResponse({"error": str(e).replace(str(path), shown)}, status_code=422)
        # the temporary copy is gone: the history and the report name the clip as the person chose it
        result.video = dataclasses.replace(result.video, path=path.name)
        kept = stored(lambda st: st.add_analysis(result, source="coach upload"))

        def html_of(st):
            return render_html(result, table=result.signals, history=st.history(), diary=st.diary(),
                               saved_triage=st.last_triage(), analysed_at=datetime.now())

        html = stored(html_of)
        if isinstance(html, JSONResponse):  # no store: the report without the history
            html = render_html(result, table=result.signals, analysed_at=datetime.now())
        token = secrets.token_hex(16)
        reports[token] = html
        while len(reports) > MAX_REPORTS:  # the oldest go: memory is not a store
            reports.pop(next(iter(reports)))
        return {"report_url": f"/reports/{token}", "kept_in_history": not isinstance(kept, JSONResponse),
                "duration_s": result.video.duration_s, "smile_episodes": len(result.smile.episodes) if result.smile else 0}

    @app.get("/reports/{token}", response_class=HTMLResponse)
    def report(token: str):
        html = reports.get(token) if re.fullmatch(r"[0-9a-f]{32}", token) else None
        if html is None:
            return JSONResponse({"error": f"no such report (the last {MAX_REPORTS} reports are kept while the coach runs, "
                                          "and deleting your data removes them): analyse the recording again"},
                                status_code=404)
        return HTMLResponse(html)

    @app.get("/journal", response_class=HTMLResponse)
    def journal_page(request: Request):
        return page(request, "journal.html.j2", title="Journal and diary")

    @app.get("/api/journal")
    def journal():
        """The journal of good moments, oldest first."""
        rows = stored(lambda s: s.journal())
        if isinstance(rows, JSONResponse):
            return rows
        return [{"id": int(r.id), "day": r.day.isoformat(), "text": r.text} for r in rows.itertuples()]

    @app.post("/api/journal")
    async def journal_add(request: Request):
        """Add good moments: ``{"texts": ["...", ...], "day": "YYYY-MM-DD" (default today)}``."""
        body = await json_body(request)
        if isinstance(body, dict) and body.get("texts") == []:
            return JSONResponse({"error": "write at least one good thing"}, status_code=400)
        if not isinstance(body, dict) or not isinstance(body.get("texts"), list) \
                or not all(isinstance(t, str) and len(t) <= 2000 for t in body["texts"]) or len(body["texts"]) > 10:
            return JSONResponse({"error": 'send {"texts": ["one good thing", ...]} (up to 10 texts of at most 2000 characters)'},
                                status_code=400)
        texts = [t.strip() for t in body["texts"] if t.strip()]
        if not texts:
            return JSONResponse({"error": "write at least one good thing"}, status_code=400)

        def add(st):
            day = check_day(body["day"], "day") if body.get("day") is not None else None
            return st.add_journal_entries(texts, day)  # all or none

        ids = stored(add, bad_status=400)
        return ids if isinstance(ids, JSONResponse) else {"added": ids}

    @app.get("/api/diary")
    def diary():
        """The diary, by day."""
        rows = stored(lambda s: s.diary())
        if isinstance(rows, JSONResponse):
            return rows
        return [{"day": r["day"].isoformat(), **{k: (None if r[k] is None or r[k] != r[k] else r[k])
                                                 for k in (*FACTORS, "note")}} for r in rows.to_dict("records")]

    @app.post("/api/diary")
    async def diary_set(request: Request):
        """Set the diary entry of a day: ``{"day": "YYYY-MM-DD", "caffeine_cups": 2, "sleep_hours": 7,
        "stress_0_10": 3, "water_glasses": 6, "note": "..."}`` (any of them)."""
        body = await json_body(request)
        allowed = {"day", "note", *FACTORS}
        if not isinstance(body, dict) or set(body) - allowed or ("note" in body and body["note"] is not None
                                                                  and not isinstance(body["note"], str)):
            return JSONResponse({"error": f"send an object with some of: {', '.join(sorted(allowed))}"}, status_code=400)

        def put(st):
            day = check_day(body["day"] if body.get("day") is not None else date.today().isoformat(), "day")
            st.set_diary(day, note=body.get("note"), **{k: body.get(k) for k in FACTORS})
            return st.diary_entry(day)

        entry = stored(put, bad_status=400)
        return entry if isinstance(entry, JSONResponse) else {"saved": True}

    @app.get("/api/practice")
    def practice():
        """Every stored practice session with its exercises and per-repetition scores."""
        return stored(lambda s: s.practice())

    @app.get("/api/export")
    def export():
        """Everything stored, as one JSON file to keep (the same as ``smilescope data export``)."""
        doc = stored(lambda s: s.export())
        if isinstance(doc, JSONResponse):
            return doc
        # all the person's data: never kept in the browser's cache, where it would outlive a delete
        return JSONResponse(doc, headers={"Content-Disposition": 'attachment; filename="smilescope-export.json"',
                                          "Cache-Control": "no-store"})

    @app.post("/api/delete")
    async def delete(request: Request):
        """Delete everything stored; the body must be ``{"confirm": true}``."""
        body = await json_body(request)  # at most 100 kB, and no nesting deep enough to break the parser
        if not isinstance(body, dict) or body.get("confirm") is not True:
            return JSONResponse({"error": 'send {"confirm": true} to delete everything'}, status_code=400)
        reports.clear()  # the reports of this run hold the analyses and history too
        done = stored(lambda s: s.delete_all())
        return done if isinstance(done, JSONResponse) else {"deleted": True}

    def todays_hold(key: str) -> float | None:
        """Micro-smiles grow with progress (``measures.practice.micro_smile_hold_s``)."""
        if key != "micro_smile":
            return None
        sessions = stored(lambda s: s.practice())
        if isinstance(sessions, JSONResponse):
            return None
        reps = [{**r, "day": datetime.fromisoformat(p["started_at"]).astimezone().date()}
                for p in sessions for r in p["reps"] if r["exercise"] == "micro_smile"]
        return micro_smile_hold_s(reps)

    live_open = [0]  # mirrors open now (one event loop: no lock needed)

    @app.websocket("/ws/live")
    async def ws_live(ws: WebSocket):
        clock = ws.query_params.get("clock", "server")
        if clock not in ("server", "client"):
            await ws.close(code=1008, reason="clock must be 'server' or 'client'")
            return
        await ws.accept()
        last = await run_in_threadpool(stored, lambda st: st.last_triage())
        if isinstance(last, dict) and last.get("level") == "emergency":
            # the person's own answers said emergency: practice is not what they need now
            await ws.send_json({"stop": EMERGENCY_STOP})
            await ws.close(code=1008, reason="emergency")
            return
        if live_open[0] >= MAX_LIVE_SESSIONS:
            await ws.send_json({"error": f"{MAX_LIVE_SESSIONS} mirrors are open already (other tabs or windows of the coach): "
                                         "close one, then start again"})
            await ws.close(code=1013, reason="too many mirrors open")
            return
        live_open[0] += 1
        keeper = session = None
        try:
            keeper = PracticeKeeper(settings.db)
            session = LiveSession(await run_in_threadpool(make_measures), clock=clock, mesh=ws.query_params.get("mesh") == "1",
                                  on_rep=keeper.keep, hold_for=todays_hold)
            while True:
                msg = await ws.receive()
                if msg["type"] == "websocket.disconnect":
                    break
                if msg.get("bytes") is not None:
                    # MediaPipe and OpenCV hold the CPU, not the event loop: other requests go on
                    answer = await run_in_threadpool(session.on_frame, msg["bytes"])
                else:
                    answer = session.on_text(msg.get("text") or "")
                await ws.send_text(dumps(answer, indent=None))  # NaN and inf as null: the page's JSON.parse refuses them
        except WebSocketDisconnect:
            pass
        finally:
            # not awaited: when the connection is cancelled, an await here would be cancelled too,
            # and the engine and the practice session must still be closed (both are quick)
            live_open[0] -= 1
            if session is not None:
                session.close()
            if keeper is not None:
                keeper.close()

    @app.middleware("http")
    async def no_framing(request: Request, call_next):
        """No other site may show these pages inside its own (clickjacking)."""
        response = await call_next(request)
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        return response

    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.hosts)
    app.add_middleware(OriginGuard, origins=settings.origins)
    return app
