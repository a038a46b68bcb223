"""Shared fixtures: paths to committed data and to the read-only shared data set."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT / "tests" / "data" / "faces"
SHARED = ROOT.parent / "shared" / "data"
EXAMPLE = ROOT / "examples" / "d0.mp4"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` (real videos and photos); tests that need it skip when it is absent."""
    if not SHARED.is_dir():
        pytest.skip(f"shared data not found at {SHARED} (only a clone beside ../shared has it)")
    return SHARED


@pytest.fixture(autouse=True)
def _private_store(tmp_path_factory, monkeypatch):
    """Every test gets its own throw-away database: tests never touch the user's data directory."""
    db = tmp_path_factory.mktemp("store") / "smilescope.db"
    monkeypatch.setenv("SMILESCOPE_DB", f"sqlite:///{db}")


_ANALYSES: dict = {}


def analyse_shared(video: Path):
    """``smilescope.analyze(video)`` once per test session (the analysis, or the BadInputError
    that refused the video): the golden and the labelled-video tests read the same runs."""
    from smilescope import BadInputError, analyze

    if video not in _ANALYSES:
        try:
            _ANALYSES[video] = analyze(video)
        except BadInputError as e:
            _ANALYSES[video] = e
    return _ANALYSES[video]
