"""The analysis, typed: one dataclass per block of ``analysis.json``, one schema version.

:class:`Analysis` is what :func:`smilescope.analyze` returns and what every reader (report,
store, guidance) works with. :meth:`Analysis.to_dict` writes the ``analysis.json`` document
(schema :data:`SCHEMA_VERSION`); :meth:`Analysis.from_dict` reads one back, validated with
pydantic at the boundary, so a hand-edited or foreign file is a clear :class:`BadInputError`
instead of a crash deep in a reader.

The measure families own their result types (``measures.smile.SmileResult``,
``measures.shake.TremorPeak``, ``measures.twitch.Twitch``, ...); this module adds the blocks
of the whole recording (video, quality, head motion, reference, peaks) and composes them.
In the document, blinks and twitches sit inside ``shake`` (schema 1); here they are blocks of
their own.

Missing values: a number that could not be measured is ``None`` in the document (JSON has no
NaN) and may be ``None`` or NaN in a fresh result.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from typing import Annotated, Any, Literal

import pydantic

from smilescope.errors import BadInputError
from smilescope.geometry.calibration import Calibration
from smilescope.measures.expressivity import BlinkResult
from smilescope.measures.flags import Flag
from smilescope.measures.shake import ShakeResult
from smilescope.measures.smile import MAX_HEAD_TURN_DEG, SmileResult, compared_on
from smilescope.measures.synkinesis import SynkinesisResult
from smilescope.measures.twitch import TwitchResult
from smilescope.output import dumps, plain
from smilescope.signals import SignalTable


# 2: every number names its unit: the video's size in pixels (``width_px``, ``height_px``) and the
# speech stretches in seconds (``shake.speech.stretches_s``); 1 said ``width``, ``height``, ``stretches``.
# 3: what was not judged is left empty rather than given a value that reads as a finding: a
# ``weaker_side`` (of the recording or of a smile) whose sides were not compared is null, not
# "none"; a tremor that could not be judged has ``detected`` and ``side`` null, not false and "none"
SCHEMA_VERSION = 3
Num = float | None


@dataclass(frozen=True)
class FrameInterval:
    """Spread of the time between frames (s); variable on phone recordings."""

    median: Num = None
    min: Num = None
    max: Num = None


@dataclass(frozen=True)
class VideoBlock:
    """The recording: size, frame rate from the container (or timestamps), duration."""

    path: str | None
    fps: Num
    frames: int | None
    duration_s: Num
    width_px: int | None
    height_px: int | None
    rotation_deg: int | None = 0
    codec: str | None = None
    frame_interval_s: FrameInterval = field(default_factory=FrameInterval)
    mirrored: bool | None = None  # played as a mirror image (a selfie recording) and flipped back; None: older file
    mirrored_by: str | None = None  # "option" (--mirrored/--not-mirrored), "container" (its display matrix), "default"

    def sides_convention(self) -> str:
        """One line in plain words: which way the picture was taken to face, and why."""
        why = {"option": "as you said", "container": "the video file says so"}.get(self.mirrored_by or "", "")
        if self.mirrored:
            return f"video mirrored like a selfie ({why}): flipped back, so sides are the person's own"
        if self.mirrored is None:
            return "the person's own, if the video is not mirrored (an older analysis that did not record it)"
        return (f"video not mirrored ({why}): sides are the person's own" if why else
                "video taken as not mirrored: sides are the person's own; if it plays like a mirror (a selfie), "
                "analyse it again with --mirrored")


@dataclass
class QualityBlock:
    """How well the recording could be measured; ``warnings`` are plain words for the person."""

    face_frames_ratio: Num
    valid_frames_ratio: Num
    invalid_reasons: dict[str, int | None]
    mm_per_px: Num
    mm_per_px_spread: Num
    iris_mm: Num
    iris_px: Num
    face_width_px: Num
    noise_floor_mm: Num
    noise_floor_by_signal_mm: dict[str, Num]
    refined_fraction: Num
    refinement: str | None = None
    warnings: list[str] = field(default_factory=list)
    tracking_jumps_mended: int | None = None  # one-frame jumps of a point mended (signals.mend_tracking_jumps)


@dataclass(frozen=True)
class HeadMotion:
    """Spread of the rigid head motion over the valid frames: RMS about the mean and range."""

    head_x_rms_mm: Num = None
    head_x_range_mm: Num = None
    head_y_rms_mm: Num = None
    head_y_range_mm: Num = None
    head_roll_rms_deg: Num = None
    head_roll_range_deg: Num = None
    head_yaw_rms_deg: Num = None
    head_yaw_range_deg: Num = None
    head_pitch_rms_deg: Num = None
    head_pitch_range_deg: Num = None
    head_scale_rms: Num = None
    head_scale_range: Num = None


@dataclass(frozen=True)
class Peaks:
    """Largest sustained movement (95th percentile of the distance from rest, mm) per point."""

    mouth_corner_right_mm: Num = None
    mouth_corner_left_mm: Num = None
    cheek_right_mm: Num = None
    cheek_left_mm: Num = None
    nasolabial_right_mm: Num = None
    nasolabial_left_mm: Num = None


@dataclass(frozen=True)
class Reference:
    """The relaxed reference frame: its time and where key points sat (mm, face axes)."""

    t_s: Num = None
    points_mm: dict[str, list[float | None]] = field(default_factory=dict)


def _signal_schema(table: SignalTable) -> tuple[list[str], dict[str, str]]:
    """The per-frame table's columns (as signals.csv has them) and each signal's unit."""
    return ["t_s", "valid", *table.names], {n: table.series(n).unit for n in table.names}


@dataclass
class Analysis:
    """One analysed recording. ``signals`` and ``calibration`` are present on a fresh result and
    ``None`` on one read back from ``analysis.json`` (the per-frame table is in signals.csv).

    A fresh result has every block. One read back may lack a block (an empty or missing block
    in the file: ``None``, "not measured"), e.g. ``twitches`` in a file from before twitches
    were measured.
    """

    video: VideoBlock
    quality: QualityBlock
    head_motion: HeadMotion | None
    smile: SmileResult | None
    shake: ShakeResult | None
    blinks: BlinkResult | None
    twitches: TwitchResult | None
    synkinesis: SynkinesisResult | None
    flags: list[Flag]
    reference: Reference | None
    peaks: Peaks | None
    signals: SignalTable | None = None
    calibration: Calibration | None = None
    signal_columns: list[str] = field(default_factory=list)
    signal_units: dict[str, str] = field(default_factory=dict)
    # blocks of measure families without a field of their own (measures.registry), by name:
    # typed on a fresh result, plain JSON values on one read back
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # a fresh result names its per-frame columns as one read back from analysis.json does
        if self.signals is not None and not self.signal_columns:
            self.signal_columns, self.signal_units = _signal_schema(self.signals)

    @property
    def reference_t_s(self) -> float | None:
        return self.reference.t_s

    def not_judged(self) -> list[tuple[str, str]]:
        """What this recording could not show, and why: (what, reason) in plain words, for the
        blocks that abstained (no relaxed face, talking, too short, too noisy)."""
        sm, sh, tw, sk = self.smile, self.shake, self.twitches, self.synkinesis
        tremor = sh.tremor if sh is not None else None
        out = [("smile movement", sm.not_judged if sm else ""),
               ("shaking (tremor)", tremor.not_judged if tremor and not tremor.detected else ""),
               ("head tremor", sh.head.not_judged if sh is not None and not sh.head.tremor_detected else ""),
               ("twitches", tw.not_judged if tw is not None else ""),
               ("eye narrowing with the smile", sk.not_judged if sk is not None and sk.judged is False else "")]
        return [(what, why) for what, why in out if why]

    def to_dict(self) -> dict:
        """The ``analysis.json`` document (schema :data:`SCHEMA_VERSION`)."""
        if self.signals is not None:  # the table itself: columns may have been added since
            columns, units = _signal_schema(self.signals)
        else:
            columns, units = self.signal_columns, self.signal_units
        shake = {**(plain(self.shake) or {}), **({"blinks": plain(self.blinks)} if self.blinks is not None else {}),
                 **(plain(self.twitches) or {})}
        return {
            "schema_version": SCHEMA_VERSION,
            "video": plain(self.video),
            "quality": plain(self.quality),
            "head_motion": plain(self.head_motion) or {},
            "smile": plain(self.smile) or {},
            "shake": shake,
            "synkinesis": plain(self.synkinesis) or {},
            "flags": plain(self.flags),
            "reference": plain(self.reference) or {},
            "peaks": plain(self.peaks) or {},
            **{name: plain(b) for name, b in self.extra.items() if name not in DOCUMENT_KEYS},
            "signals": {"columns": columns, "units": units},
        }

    def to_frame(self):
        """Per-frame signals as a pandas DataFrame (one row per frame, units in the names)."""
        if self.signals is None:
            raise BadInputError("This analysis was read from analysis.json and holds no per-frame signals.",
                                "Read signals.csv beside it with SignalTable.read_csv.")
        return self.signals.to_frame()

    def to_json(self, *, indent: int | None = 2) -> str:
        """The document as JSON text (NaN written as null)."""
        return dumps(self.to_dict(), indent=indent)

    @classmethod
    def from_dict(cls, doc: Any, *, source: str = "the analysis") -> "Analysis":
        """Read an ``analysis.json`` document back, validated.

        Raises
        ------
        BadInputError
            Not a smilescope analysis of a known schema, or a block of the wrong shape; the
            message names the first places that are wrong.
        """
        if not isinstance(doc, dict):
            raise BadInputError(f"{source} is not a smilescope analysis: expected a JSON object, got {type(doc).__name__}.",
                                "Give the analysis.json that `smilescope analyze` wrote.")
        version = doc.get("schema_version")
        if version not in (1, 2, SCHEMA_VERSION):
            raise BadInputError(f"{source} has schema_version {version!r}; this smilescope reads {SCHEMA_VERSION} "
                                "(and 1 and 2, from earlier versions).", "Analyse the video again with this version of smilescope.")
        if version == 1:
            doc = _from_schema_1(doc)
        def block(x):  # an empty or missing block: not measured (older file)
            return None if x is None or x == {} else x

        shake = doc.get("shake")
        blinks = twitches = None
        if isinstance(shake, dict):
            shake = dict(shake)
            blinks = shake.pop("blinks", None)
            twitch_keys = tuple(f.name for f in fields(TwitchResult))  # they sit in shake (since schema 1)
            twitches = {k: shake.pop(k) for k in twitch_keys if k in shake}
            for k in ("judged", "not_judged"):  # the twitch search's, derived from its fields
                shake.pop(k, None)
            twitches = twitches if "twitches" in twitches else None  # no event list: not measured (older file)
        flags = doc.get("flags") or []
        if isinstance(flags, list):
            # an early file listed flags by id only
            flags = [{"id": f, "side": "none", "why": ""} if isinstance(f, str) else f for f in flags]
        smile = doc.get("smile")
        if isinstance(smile, dict) and "episodes" in smile and "sides_compared_on" not in smile:
            # from before the lift comparison: the sides were compared on the excursions of the
            # smiles with the head within MAX_HEAD_TURN_DEG of rest, or (none such) not at all
            eps = [e for e in smile.get("episodes") or [] if isinstance(e, dict) and not e.get("not_judged")]
            turned = [isinstance(t := e.get("head_turn_deg"), (int, float)) and t > MAX_HEAD_TURN_DEG for e in eps]
            smile = {**smile, "sides_compared_on": "excursion" if smile.get("relaxed_face") is not False and not all(turned)
                     else ""}
        if version in (1, 2):
            smile, shake = _unjudged_as_null(smile), _unjudged_as_null_tremor(shake)
        signals = doc.get("signals") or {}
        data = {
            "video": doc.get("video"),
            "quality": doc.get("quality"),
            "head_motion": block(doc.get("head_motion")),
            "smile": block(smile),
            "shake": block(shake),
            "blinks": block(blinks),
            "twitches": twitches,
            "synkinesis": block(doc.get("synkinesis")),
            "flags": flags,
            "reference": block(doc.get("reference")),
            "peaks": block(doc.get("peaks")),
            "signal_columns": signals.get("columns") or [] if isinstance(signals, dict) else signals,
            "signal_units": signals.get("units") or {} if isinstance(signals, dict) else signals,
        }
        extra = {k: v for k, v in doc.items() if k not in DOCUMENT_KEYS}  # a newer family's block, kept as read
        try:
            blocks = _document_adapter().validate_python(data)
            return cls(**{f.name: getattr(blocks, f.name) for f in fields(blocks)}, extra=extra)
        except pydantic.ValidationError as e:
            where = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()[:5])
            raise BadInputError(f"{source} is not a valid smilescope analysis ({e.error_count()} problem{'s' if e.error_count() != 1 else ''}: {where}).",
                                "Give the analysis.json that `smilescope analyze` wrote, unedited.") from None
        except RecursionError:
            raise BadInputError(f"{source} is nested too deeply to be a smilescope analysis.",
                                "Give the analysis.json that `smilescope analyze` wrote.") from None


def _from_schema_1(doc: dict) -> dict:
    """A schema-1 document as schema 2: the same values, with the names that carry their unit."""
    def renamed(block, names):
        return {names.get(k, k): v for k, v in block.items()} if isinstance(block, dict) else block

    shake = doc.get("shake")
    if isinstance(shake, dict) and "speech" in shake:
        shake = {**shake, "speech": renamed(shake["speech"], {"stretches": "stretches_s"})}
    return {**doc, "schema_version": SCHEMA_VERSION, "video": renamed(doc.get("video"), {"width": "width_px", "height": "height_px"}),
            "shake": shake}


def _unjudged_as_null(smile: Any) -> Any:
    """A schema-1/2 smile block as schema 3: a weaker side of sides that were not compared was
    written "none"; it is null now (the recording's when ``sides_compared_on`` is empty, a
    smile's when it has a ``not_judged`` reason, no relaxed face, or a head turned too far)."""
    if not isinstance(smile, dict):
        return smile
    out = dict(smile)
    if out.get("sides_compared_on") == "" and out.get("weaker_side") == "none":
        out["weaker_side"] = None
    eps = out.get("episodes")
    if isinstance(eps, list):
        def episode(e):
            if not isinstance(e, dict) or e.get("weaker_side") != "none":
                return e
            turn = e.get("head_turn_deg")
            unjudged = (bool(e.get("not_judged")) or out.get("relaxed_face") is False
                        or e.get("sides_compared_on", compared_on(turn) if isinstance(turn, (int, float)) else "excursion") == "")
            return {**e, "weaker_side": None} if unjudged else e
        out["episodes"] = [episode(e) for e in eps]
    return out


def _unjudged_as_null_tremor(shake: Any) -> Any:
    """A schema-1/2 shake block as schema 3: a tremor that could not be judged said
    ``detected: false`` and ``side: "none"``; both are null now."""
    tr = shake.get("tremor") if isinstance(shake, dict) else None
    if not isinstance(tr, dict) or not tr.get("not_judged") or tr.get("detected") is not False:
        return shake
    return {**shake, "tremor": {**tr, "detected": None, "side": None}}


# the top-level keys of analysis.json that Analysis reads into its own fields
DOCUMENT_KEYS = ("schema_version", "video", "quality", "head_motion", "smile", "shake", "synkinesis", "flags",
                 "reference", "peaks", "signals")


@dataclass
class _Document:
    """The blocks of :class:`Analysis` that the document holds (what :meth:`Analysis.from_dict` validates)."""

    video: VideoBlock
    quality: QualityBlock
    head_motion: HeadMotion | None
    smile: SmileResult | None
    shake: ShakeResult | None
    blinks: BlinkResult | None
    twitches: TwitchResult | None
    synkinesis: SynkinesisResult | None
    flags: list[Flag]
    reference: Reference | None
    peaks: Peaks | None
    signal_columns: list[str] = field(default_factory=list)
    signal_units: dict[str, str] = field(default_factory=dict)


@functools.cache
def _document_adapter() -> pydantic.TypeAdapter:
    return pydantic.TypeAdapter(_Document)  # built on first use: the schema takes a moment


# -- photo.json (``smilescope photo``) -------------------------------------------------------------
PHOTO_SCHEMA_VERSION = 1

# a measure that could not be taken is null; a number is finite and within what any measure of a
# photo can be (mm, degrees, ratios: far under 10 000): NaN, Infinity or 1e300 is a damaged file
_Num = Annotated[float, pydantic.Field(allow_inf_nan=False, ge=-1e4, le=1e4)] | None


class _Sides(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    right: _Num = None
    left: _Num = None


class _PhotoStatic(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    mouth_corner_below_eyes_mm: _Sides | None = None
    mouth_corner_difference_mm: _Num = None
    brow_above_eyes_mm: _Sides | None = None
    palpebral_fissure_height_mm: _Sides | None = None
    palpebral_fissure_width_mm: _Sides | None = None
    philtrum_from_midline_mm: _Num = None
    mouth_centre_from_midline_mm: _Num = None
    smile_angle_deg: _Sides | None = None
    nasolabial_fold_contrast: _Sides | None = None
    nasolabial_fold_visible_mm: _Sides | None = None


class _PhotoDynamic(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    excursion_mm: _Sides | None = None
    brow_lift_mm: _Sides | None = None
    eye_closure: _Sides | None = None
    eface_style_item: Annotated[float, pydantic.Field(allow_inf_nan=False, ge=0, le=100)] | None = None
    not_judged: str | None = None


class _PhotoEntry(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    path: str
    expression: Literal["rest", "brow_raise", "eye_closure", "smile", "snarl", "pucker", "unknown"]
    static: _PhotoStatic
    affected_side: Literal["left", "right", "none", "unknown"]
    confidence: str
    why: str
    warnings: list[str] = []
    scale: dict[str, Any] = {}
    dynamic: _PhotoDynamic | None = None
    annotated: str | None = None


class _PhotoDocument(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    schema_version: pydantic.StrictInt
    photos: list[_PhotoEntry] = pydantic.Field(min_length=1)


def check_photo_document(doc: Any, *, source: str = "the photo analysis") -> dict:
    """``doc`` (a ``photo.json`` read back) checked against its schema; returned as it is.

    Raises
    ------
    BadInputError
        Another schema version, or the first places of the wrong shape.
    """
    hint = "Give the photo.json that `smilescope photo` wrote, unedited (the annotated pictures beside it)."
    version = doc.get("schema_version") if isinstance(doc, dict) else None
    if isinstance(version, int) and not isinstance(version, bool) and version != PHOTO_SCHEMA_VERSION:
        raise BadInputError(f"{source} has schema_version {version!r}; this smilescope reads photo "
                            f"analyses of schema {PHOTO_SCHEMA_VERSION}.", "Analyse the photos again with this version of smilescope.")
    try:
        _PhotoDocument.model_validate(doc)
    except pydantic.ValidationError as e:
        where = "; ".join(f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in e.errors()[:5])
        raise BadInputError(f"{source} is not a valid smilescope photo analysis ({e.error_count()} problem{'s' if e.error_count() != 1 else ''}: {where}).",
                            hint) from None
    except RecursionError:
        raise BadInputError(f"{source} is nested too deeply to be a smilescope photo analysis.", hint) from None
    return doc
