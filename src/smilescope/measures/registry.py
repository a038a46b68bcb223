"""Every measure family, in one list: :func:`measure_all` runs them in order over a signal table.

Adding a measure is one pure module under ``measures/`` plus one :class:`Step` in
:data:`MEASURES`. A step gets the table, the recording's :class:`MeasureContext` and what the
steps before it produced (by name), and returns its own named results: those it names in
``Step.blocks`` (by default its own name) are the recording's results, written to
``analysis.json`` under that name; anything else it returns is shared with the later steps only
(the smile's excursions, read by the synkinesis step). A step that derives per-frame columns
returns them as ``columns`` ({name: array}, units in the names); they join the table the later
steps see and :attr:`MeasureResults.table`, never the table given to :func:`measure_all`.

The families with their own field below (smile, synkinesis, shake, blinks, twitches, flags) are
read back from ``analysis.json`` as typed objects; a new family's block lands in
:attr:`MeasureResults.extra` and ``Analysis.extra`` (typed when fresh, plain JSON when read
back) until a reader needs it typed, when it gets a field in :class:`MeasureResults` and
``results.Analysis`` like the others. A new block changes ``analysis.json``: the golden files
(``tests/data/golden/make_golden.py``) are regenerated with it, as for any intended change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from smilescope.measures.expressivity import BlinkResult, blink_summary, eyes_shut_mask
from smilescope.measures.flags import Flag, derive_flags
from smilescope.measures.shake import ShakeResult, tremor
from smilescope.measures.smile import SmileResult, analyze_smiles, apex_plateau, smile_columns
from smilescope.measures.synkinesis import SynkinesisResult, synkinesis
from smilescope.measures.twitch import TwitchResult, twitch_summary
from smilescope.signals import SignalTable


@dataclass(frozen=True)
class MeasureContext:
    """What the measures need to know about the recording beyond its signals.

    Attributes
    ----------
    noise_floor_mm : float
        The video's frame-to-frame noise floor (``quality.noise_floor_mm``); 0 when unknown.
    reference_points_mm : dict of str to [x, y]
        Key points of the relaxed reference face (mm, face axes).
    mm_per_px : float
        The recording's scale (``quality.mm_per_px``): what a pixel of tracking error is in mm;
        NaN when unknown.
    """

    noise_floor_mm: float = 0.0
    reference_points_mm: Mapping[str, Any] = field(default_factory=dict)
    mm_per_px: float = float("nan")

    @classmethod
    def of(cls, *, noise_floor_mm: float | None, reference_points_mm: Mapping[str, Any] | None = None,
           mm_per_px: float | None = None) -> "MeasureContext":
        floor = noise_floor_mm if noise_floor_mm is not None and np.isfinite(noise_floor_mm) else 0.0
        return cls(noise_floor_mm=float(floor), reference_points_mm=dict(reference_points_mm or {}),
                   mm_per_px=float(mm_per_px) if mm_per_px is not None else float("nan"))


@dataclass
class MeasureResults:
    """Every measure family's result for one recording, plus the warnings they raised."""

    smile: SmileResult
    synkinesis: SynkinesisResult
    shake: ShakeResult
    blinks: BlinkResult
    twitches: TwitchResult
    flags: list[Flag]
    warnings: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)  # blocks of families without a field here, by name
    table: SignalTable | None = None  # the table given, with the columns the steps derived


# the blocks with a field of their own in MeasureResults (the rest of its fields are not blocks)
TYPED_BLOCKS = tuple(f.name for f in fields(MeasureResults) if f.name not in ("warnings", "extra", "table"))
SHARED_NAMES = ("warnings", "columns")  # what a step may return besides its blocks and names for later steps
# analysis.json's own blocks beside the measures' (smilescope.results.DOCUMENT_KEYS): a new
# family's block cannot take one of these names, or it would be lost on writing
DOCUMENT_NAMES = ("schema_version", "video", "quality", "head_motion", "reference", "peaks", "signals")

StepFn = Callable[[SignalTable, MeasureContext, Mapping[str, Any]], Mapping[str, Any]]


@dataclass(frozen=True)
class Step:
    """One measure family: ``run(table, context, done) -> {name: result}``.

    ``blocks``: the names among its results that are the recording's results (default: the
    step's own name). ``needs``: the names it reads from ``done``, which earlier steps must give
    (checked before it runs, so a list in the wrong order says so instead of failing inside the
    step). A measure function takes keyword arguments (STYLE); ``run`` is the small adapter that
    reads them from the table, the context and ``done``.
    """

    name: str
    run: StepFn
    blocks: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()

    @property
    def result_names(self) -> tuple[str, ...]:
        return self.blocks or (self.name,)


def _smiles_where(episodes, keep: Callable[[Any], bool]) -> tuple[int, str]:
    """How many smiles ``keep`` picks, and them listed ("smile 1 at 11.0 s (6.3°), ...")."""
    picked = [(k, e) for k, e in enumerate(episodes, 1) if keep(e)]
    return len(picked), ", ".join(f"smile {k} at {e.apex_s:.1f} s ({e.head_turn_deg:.1f}°)" for k, e in picked)


def _smile(table: SignalTable, ctx: MeasureContext, done: Mapping[str, Any]) -> Mapping[str, Any]:
    kw = dict(noise_floor_mm=ctx.noise_floor_mm, reference_points_mm=ctx.reference_points_mm, mm_per_px=ctx.mm_per_px,
              eyes_shut=done["eyes_shut"])
    smile, exc = analyze_smiles(table, **kw)
    if not smile.relaxed_face:
        # A rest tremor of the lips can leave no still face to measure from: a tremor of the
        # mouth over the whole recording (smiles not yet known) is then taken out of the
        # corners' position and the smiles are looked for again (without_tremor). Only then: the
        # whole-recording tremor search costs 0.4 s on a 30 s video, where the measures take 0.04 s.
        mouth = tremor(table, noise_floor_mm=ctx.noise_floor_mm, smile_mask=np.zeros(len(table), bool)).tremor
        if mouth.detected and mouth.region == "mouth":
            smile, exc = analyze_smiles(table, **kw, tremor_hz=mouth.frequency_hz)
    warnings = []
    advice = "Keep the head still and facing the camera while smiling, or rest the face a moment in the pose you smile in."
    turned, which = _smiles_where(smile.episodes, lambda e: e.head_turned)
    if turned:
        warnings.append(
            f"The head turned during {which}, away from every pose the face was seen relaxed in. A turn moves one "
            f"mouth corner towards the middle of the picture and the other away, about 1 mm per degree, so left and "
            f"right were not compared in {'that smile' if turned == 1 else 'those smiles'}. {advice}")
    lifted, which = _smiles_where(smile.episodes, lambda e: e.sides_compared_on == "lift" and not e.not_judged)
    if lifted:
        warnings.append(
            f"The head turned a little during {which}. A turn moves one mouth corner towards the middle of the "
            f"picture and the other away, but not up or down, so left and right were compared there on how far each "
            f"corner rises, not on its whole movement. {advice}")
    return {"smile": smile, "smile_excursion": exc, "warnings": warnings, "columns": smile_columns(exc, smile.episodes)}


def _synkinesis(table: SignalTable, ctx: MeasureContext, done: Mapping[str, Any]) -> Mapping[str, Any]:
    exc, smile = done["smile_excursion"], done["smile"]
    return {"synkinesis": synkinesis(table, rest=exc.rest_mask, smile_plateau=apex_plateau(exc, smile.episodes),
                                     eyes_shut=done["eyes_shut"])}


def _shake(table: SignalTable, ctx: MeasureContext, done: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"shake": tremor(table, noise_floor_mm=ctx.noise_floor_mm, smile_mask=table.columns["smile_episode"] > 0)}


def _blinks(table: SignalTable, ctx: MeasureContext, done: Mapping[str, Any]) -> Mapping[str, Any]:
    blinks = blink_summary(table)
    # frames within a blink or wink, shared: the smile's and synkinesis's eye measures leave them out
    return {"blinks": blinks, "eyes_shut": eyes_shut_mask(table.t_s, blinks.events)}


def _twitches(table: SignalTable, ctx: MeasureContext, done: Mapping[str, Any]) -> Mapping[str, Any]:
    return {"twitches": twitch_summary(table)}


def _flags(table: SignalTable, ctx: MeasureContext, done: Mapping[str, Any]) -> Mapping[str, Any]:
    t = table.t_s[table.valid]
    flags = derive_flags(smile=done["smile"], shake=done["shake"], blinks=done["blinks"], twitches=done["twitches"],
                         synkinesis=done["synkinesis"], duration_s=float(t[-1] - t[0]) if len(t) > 1 else None)
    return {"flags": flags}


MEASURES: tuple[Step, ...] = (
    Step("blinks", _blinks),  # first: the smile's and synkinesis's eye measures leave blinks out
    Step("smile", _smile, needs=("eyes_shut",)),
    Step("synkinesis", _synkinesis, needs=("smile", "smile_excursion", "eyes_shut")),
    Step("shake", _shake, needs=("smile",)),  # reads the smile's episodes (the table's smile_episode column)
    Step("twitches", _twitches),
    Step("flags", _flags, needs=("smile", "shake", "blinks", "twitches", "synkinesis")),
)


def measure_all(table: SignalTable, context: MeasureContext, *, steps: tuple[Step, ...] = MEASURES) -> MeasureResults:
    """Run every measure family over ``table``; ``table`` itself is left as it is.

    Raises
    ------
    ValueError
        A step that needs a name no earlier step gave, that does not return a block it names, or
        that returns a name an earlier step produced or analysis.json uses for a block of its own
        (a programming error in the list, not bad input).
    """
    table = SignalTable(t_s=table.t_s, valid=table.valid, columns=dict(table.columns))
    done: dict[str, Any] = {}
    warnings: list[str] = []
    blocks: dict[str, Any] = {}
    for step in steps:
        if absent := [n for n in step.needs if n not in done]:
            raise ValueError(f"measure step {step.name!r} needs {', '.join(absent)}, which no earlier step gave: "
                             f"put the step that gives it first")
        out = dict(step.run(table, context, done))
        warnings += out.pop("warnings", [])
        table.columns.update(out.pop("columns", {}))
        if missing := [n for n in step.result_names if n not in out]:
            raise ValueError(f"measure step {step.name!r} did not return {', '.join(missing)}")
        if again := [n for n in out if n in done or n in SHARED_NAMES or n in DOCUMENT_NAMES]:
            raise ValueError(f"measure step {step.name!r} returned {', '.join(again)}, a name already taken")
        done.update(out)
        blocks.update({n: out[n] for n in step.result_names})
    if missing := [n for n in TYPED_BLOCKS if n not in blocks]:
        raise ValueError(f"no measure step gave {', '.join(missing)}")
    return MeasureResults(**{n: blocks.pop(n) for n in TYPED_BLOCKS}, warnings=warnings, extra=blocks, table=table)
