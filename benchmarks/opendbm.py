"""smilescope against OpenDBM's facial tremor and facial asymmetry on OpenDBM's two sample videos.

OpenDBM (AiCure/open_dbm, AGPL-3.0) ships two short talking-head videos and its own outputs for
them (../shared/data/videos/opendbm/, see ../shared/data/SOURCES.md). This script runs
``smilescope.analyze`` on each video, reads OpenDBM's ``*_fac_tremor.csv`` and ``*_facasym.csv``
and prints the numbers side by side. No OpenDBM code is used or copied; its definitions were
read from its documentation and source (docs/docs/facial-tremor.md, facial-asymmetry.md,
dbm_lib/dbm_features/raw_features/movement/facial_tremor.py, util/math_util.py,
video/face_asymmetry.py, resources/features/facial/config.json) and re-implemented here from
the definitions, on our own landmarks.

What OpenDBM's columns are
--------------------------
Facial tremor (one row per video; X = OpenFace-68 landmark, 0-based iBUG numbering; the nine
landmarks are jaw 5 and 12, chin 8, mouth corners 48 (subject's right) and 54 (left), nose
bridge 28 (the reference), upper-lip top 51, inner lower lip 66, lower-lip bottom 57):

* ``fac_disp_median_X``: median over frames of the landmark's frame-to-frame Euclidean
  displacement in image pixels (2-D OpenFace FaceLandmarkVid tracking, raw, unfiltered;
  the first frame counts as 0).
* ``fac_corr_X``: Pearson r between that displacement series and the nose bridge's (28) -
  OpenDBM's only handling of head motion: a point moving with the head has r near 1.
* ``fac_tremor_median_X`` = A * fac_disp_median_X * (1 - fac_corr_X), with
  A = 350000 px^2 / (face width * face height) of the FIRST frame (|x15 - x1| * |y8 - y27|):
  an area ratio multiplying a length, so the unit is "px per frame, rescaled to a
  350000 px^2 face" - neither pixels nor a normalised length. ``fac_features_mean_X`` is the
  same with the mean displacement. No frequency band, no spectrum, no threshold: a median
  speed that is not shared with the nose. Jitter of the landmark detector and talking both
  count as "tremor".

Facial asymmetry (one row per frame): OpenFace's 3-D landmarks (X, Y, Z in OpenFace's
millimetres - the scale of its generic 3-D face model and assumed camera, not a calibrated
scale) are mirrored through the face's mid-sagittal plane (through landmarks 27 nasion, 30
nose tip, 8 chin); for each left/right pair the distance between the mirrored left point and
the right point, with its component along the head's forward axis (OpenFace pose) removed, is
averaged: ``fac_asymmaskmouth`` over 8 mouth pairs, ``..eyebrow`` 5 pairs, ``..eye`` 6 pairs,
``..com`` all 19. It is a static SHAPE asymmetry in mm, frame by frame, not a movement.

What ours are
-------------
* Tremor (``shake.tremor.by_region``): per region and side, head motion removed first
  (similarity alignment on stable points, optical-flow refined), Welch spectrum of the
  displacement from 3 Hz to Nyquist, the dominant peak's frequency and amplitude (mm, iris-
  calibrated); called only with SNR >= 10, amplitude >= 3x the noise floor, the same peak in both
  halves of the recording, and not shared with the lips' speech rhythm.
* Smile asymmetry (``smile.asymmetry_pct``): difference of the two mouth corners' excursions
  during smiles; None without a smile (both videos have none).

Comparisons printed
-------------------
(a) tremor, per OpenDBM landmark: OpenDBM's three numbers; their median displacement in mm/frame
    (px x our mm_per_px: OpenFace ran on the same 1080x720 frames, and the face area implied
    by OpenDBM's numbers matches ours within 3 %); OpenDBM's definition recomputed on
    (i) our raw MediaPipe landmarks (nearest of the 478 points) and (ii) our head-motion-added-
    back smilescope signals (image-space, mm -> px); and our own spectral peak for the region.
(b) asymmetry, per frame: OpenDBM's four scores; OpenDBM's definition recomputed on MediaPipe
    3-D landmarks (mm via our calibration); our mouth-corner left/right difference from the
    signals (total, from the lip midline, and the part that changes from the neutral frame);
    Pearson r over frames between OpenDBM's series and each of ours, and with confounders
    (head yaw/pitch, lip opening).

    .venv/bin/python benchmarks/opendbm.py
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from smilescope.io import open_video
from smilescope.pipeline import analyze
from smilescope.track.facemesh import MediaPipeFaceMesh

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "videos" / "opendbm"
VIDEOS = ("subj01_timepoint01", "subj02_timepoint01")

# OpenDBM tremor landmarks (OpenFace/iBUG-68, 0-based) -> nearest MediaPipe FaceMesh point,
# and the smilescope signal that follows the same place (None: no signal of ours there).
TREMOR_LMK = {
    5: ("jaw, subject's right", 136, None),
    12: ("jaw, subject's left", 397, None),
    8: ("chin", 152, None),
    48: ("mouth corner right", 61, "mouth_corner_right"),
    54: ("mouth corner left", 291, "mouth_corner_left"),
    28: ("nose bridge (ref)", 197, "origin"),
    51: ("upper lip top", 0, "upper_lip"),
    66: ("inner lower lip", 14, None),
    57: ("lower lip bottom", 17, "lower_lip"),
}
REF_LMK = 28
REF_AREA_PX2 = 350000.0
# region of ours nearest to each OpenDBM landmark (for the spectral peak column)
OUR_REGION = {48: ("mouth", "right"), 54: ("mouth", "left"), 5: ("cheek", "right"), 12: ("cheek", "left")}

# OpenDBM's left/right pairs (subject's left, subject's right) translated to MediaPipe indices
# (iBUG -> FaceMesh: mouth 54/48 -> 291/61, 53/49 -> 270/40, 52/50 -> 267/37, 55/59 -> 321/91,
# 56/58 -> 314/84, 64/60 -> 308/78, 63/61 -> 311/81, 65/67 -> 402/178; brows 26..22/17..21;
# eyes 45,44,43,42,47,46 / 36,37,38,39,40,41).
PAIRS = {
    "mouth": [(291, 61), (270, 40), (267, 37), (321, 91), (314, 84), (308, 78), (311, 81), (402, 178)],
    "eyebrow": [(300, 70), (293, 63), (334, 105), (296, 66), (336, 107)],
    "eye": [(263, 33), (387, 160), (385, 158), (362, 133), (380, 153), (373, 144)],
}
PLANE = (168, 1, 152)  # nasion, nose tip, chin: OpenFace 27, 30, 8
ASYM_COLS = {"mouth": "fac_asymmaskmouth", "eyebrow": "fac_asymmaskeyebrow", "eye": "fac_asymmaskeye",
             "composite": "fac_asymmaskcom"}


# --- helpers --------------------------------------------------------------------------------

def pearson(a, b) -> tuple[float, int]:
    a, b = np.asarray(a, float), np.asarray(b, float)
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 5 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan"), int(ok.sum())
    return float(np.corrcoef(a[ok], b[ok])[0, 1]), int(ok.sum())


def fmt(x, spec=".3f") -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    return format(x, spec)


def table(rows: list[dict], cols: list[str]) -> str:
    cells = [[str(r.get(c, "")) for c in cols] for r in rows]
    w = [max(len(c), *(len(x[i]) for x in cells)) for i, c in enumerate(cols)]
    line = lambda xs: "  ".join(x.rjust(w[i]) if i else x.ljust(w[i]) for i, x in enumerate(xs))
    return "\n".join([line(cols), line(["-" * k for k in w]), *(line(x) for x in cells)])


def frame_steps(p: np.ndarray) -> np.ndarray:
    """Frame-to-frame Euclidean displacement of a (n, 2) track; 0 for the first frame, NaN
    where either frame is missing (OpenDBM keeps every frame; ours drop invalid ones)."""
    return np.r_[0.0, np.hypot(*np.diff(p, axis=0).T)]


def odbm_tremor(steps: dict[int, np.ndarray], area_px2: float) -> dict[int, dict]:
    """OpenDBM's tremor definition on any set of displacement series (px/frame)."""
    ref = steps[REF_LMK]
    out = {}
    for k, d in steps.items():
        r, _ = pearson(d, ref)
        med = float(np.nanmedian(d))
        out[k] = {"disp_median": med, "corr": r, "tremor": REF_AREA_PX2 / area_px2 * med * (1 - r)}
    return out


def mediapipe_landmarks(path: Path) -> np.ndarray:
    """Raw FaceMesh landmarks (n, 478, 3), px, tracking mode as in the pipeline (no refinement,
    no alignment); NaN where no face."""
    out = []
    with open_video(path) as src, MediaPipeFaceMesh() as det:
        for fr in src:
            o = det(fr.rgb)
            out.append(o.landmarks_px if o is not None else np.full((478, 3), np.nan))
    return np.array(out)


def signal_tracks_px(df: pd.DataFrame, ref_mm: dict, mmpp: float) -> dict[str, np.ndarray]:
    """Image-space tracks (px, face axes: x to the subject's left, y up) of the points our
    signals follow, with the head motion put back: p = head_t + s R(-roll) (p_ref + d).
    The reference landmark is the origin (between the irises), whose image motion is head_t."""
    hx, hy = df["head_x_mm"].to_numpy(), df["head_y_mm"].to_numpy()
    s, th = df["head_scale"].to_numpy(), np.radians(df["head_roll_deg"].to_numpy())
    c, sn = np.cos(-th), np.sin(-th)

    def put_back(x, y):
        return np.stack([hx + s * (c * x - sn * y), hy + s * (sn * x + c * y)], axis=1) / mmpp

    lat = {"right": -1.0, "left": 1.0}  # lateral (+ away from midline) -> face x
    tr = {"origin": np.stack([hx, hy], axis=1) / mmpp}
    for side in ("right", "left"):
        x0, y0 = ref_mm[f"mouth_corner_{side}"]
        tr[f"mouth_corner_{side}"] = put_back(x0 + lat[side] * df[f"mouth_corner_{side}_x_mm"].to_numpy(),
                                              y0 + df[f"mouth_corner_{side}_y_mm"].to_numpy())
    for name in ("upper_lip", "lower_lip"):
        x0, y0 = ref_mm[name]
        tr[name] = put_back(np.full(len(df), x0), y0 + df[f"{name}_y_mm"].to_numpy())
    return tr


def mirror_asymmetry(lm_mm: np.ndarray) -> dict[str, np.ndarray]:
    """OpenDBM's asymmetry definition on MediaPipe 3-D points (n, 478, 3), mm: mirror the
    subject's left points through the plane (nasion, nose tip, chin), distance to the right
    points without its component along the face's forward axis, mean per region."""
    a, b, c = (lm_mm[:, i] for i in PLANE)
    n = np.cross(c - b, a - b)
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    # forward axis of the face (as in head_angles_deg): eye-corner x, forehead-chin y
    x = lm_mm[:, 263] - lm_mm[:, 33]
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    down = lm_mm[:, 152] - lm_mm[:, 10]
    y = down - x * np.sum(down * x, axis=1, keepdims=True)
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    f = np.cross(x, y)
    out, every = {}, []
    for region, pairs in PAIRS.items():
        d = []
        for left, right in pairs:
            pl, pr = lm_mm[:, left], lm_mm[:, right]
            m = pl - 2 * np.sum((pl - b) * n, axis=1, keepdims=True) * n
            v = m - pr
            v = v - np.sum(v * f, axis=1, keepdims=True) * f
            d.append(np.linalg.norm(v, axis=1))
        out[region] = np.mean(d, axis=0)
        every += d
    out["composite"] = np.mean(every, axis=0)
    return out


def signal_asymmetry(df: pd.DataFrame, ref_mm: dict) -> dict[str, np.ndarray]:
    """Mouth-corner left/right difference from our signals (mm, head-aligned, 2-D).

    total: |mirrored left corner - right corner| about the lip midline (mean x of the lip
    centres at the neutral frame); change: the same for the displacements from the neutral
    frame only (x is lateral on both sides, so the mirror is the identity)."""
    mid = 0.5 * (ref_mm["upper_lip"][0] + ref_mm["lower_lip"][0])
    dxl, dyl = df["mouth_corner_left_x_mm"].to_numpy(), df["mouth_corner_left_y_mm"].to_numpy()
    dxr, dyr = df["mouth_corner_right_x_mm"].to_numpy(), df["mouth_corner_right_y_mm"].to_numpy()
    (xl, yl), (xr, yr) = ref_mm["mouth_corner_left"], ref_mm["mouth_corner_right"]
    lat_l, lat_r = (xl - mid) + dxl, (mid - xr) + dxr
    return {"total": np.hypot(lat_l - lat_r, (yl + dyl) - (yr + dyr)),
            "change": np.hypot(dxl - dxr, dyl - dyr)}


# --- one video ------------------------------------------------------------------------------

def compare(name: str) -> dict:
    path = DATA / f"{name}.mp4"
    ref_dir = DATA / "reference_output"
    res = analyze(path)
    d = res.to_dict()
    df = res.to_frame()
    mmpp = res.calibration.mm_per_px
    fps = d["video"]["fps"]
    ref_mm = res.reference_points_mm
    trem = pd.read_csv(ref_dir / f"{name}_fac_tremor.csv").iloc[0]
    asym = pd.read_csv(ref_dir / f"{name}_facasym.csv")
    au = pd.read_csv(ref_dir / f"{name}_facau.csv")
    lms = mediapipe_landmarks(path)
    q = d["quality"]
    print(f"\n=== {name}: {d['video']['width_px']}x{d['video']['height_px']}, {d['video']['frames']} frames at {fps:.0f} fps; "
          f"OpenDBM rows: asym {len(asym)}, AU {len(au)}")
    hm = d["head_motion"]
    print(f"ours: mm_per_px {mmpp:.4f} (iris {q['iris_px']:.1f} px), valid frames {q['valid_frames_ratio']:.0%} "
          f"{q['invalid_reasons']}, noise floor {q['noise_floor_mm']:.3f} mm; head motion RMS x {hm['head_x_rms_mm']:.1f} "
          f"y {hm['head_y_rms_mm']:.1f} mm, yaw {hm['head_yaw_rms_deg']:.1f} pitch {hm['head_pitch_rms_deg']:.1f} deg")

    # ---- (a) tremor ---------------------------------------------------------------------
    n_ok = [k for k in TREMOR_LMK if k != REF_LMK and trem[f"fac_corr_{k}"] < 1]
    areas = [trem[f"fac_tremor_median_{k}"] / (trem[f"fac_disp_median_{k}"] * (1 - trem[f"fac_corr_{k}"]))
             for k in n_ok]
    a_odbm = REF_AREA_PX2 / float(np.median(areas))  # OpenFace face width x height, px^2, first frame
    f0 = lms[0]
    a_mp = abs(f0[454, 0] - f0[234, 0]) * abs(f0[152, 1] - f0[168, 1])
    mp = odbm_tremor({k: frame_steps(lms[:, v[1], :2]) for k, v in TREMOR_LMK.items()}, a_mp)
    tracks = signal_tracks_px(df, ref_mm, mmpp)
    valid = df["valid"].to_numpy()
    sig_steps = {}
    for k, v in TREMOR_LMK.items():
        if v[2] is not None:
            st = frame_steps(tracks[v[2]])
            st[~(valid & np.r_[False, valid[:-1]])] = np.nan  # only steps between two valid frames
            sig_steps[k] = st
    sig = odbm_tremor(sig_steps, a_odbm)
    peaks = {(p["region"], p["side"]): p for p in d["shake"]["tremor"]["by_region"]}
    print(f"\n(a) TREMOR. OpenDBM face area (implied by its numbers) {a_odbm:.0f} px^2, MediaPipe first-frame "
          f"|x454-x234|*|y152-y168| = {a_mp:.0f} px^2 ({a_mp / a_odbm - 1:+.1%}).")
    print("    disp = median frame-to-frame step, px/frame (mm/frame = px x our mm_per_px); corr = r with the nose-bridge "
          "step; trem = 350000/area * disp * (1 - corr), OpenDBM's unit.")
    print("    'MP': OpenDBM's definition on our raw FaceMesh point (MediaPipe face area); 'sig': on our refined signals "
          "with head motion put back (valid frames, reference = point between the irises, OpenDBM's face area).")
    rows = []
    for k, (label, mp_idx, _) in TREMOR_LMK.items():
        pk = peaks.get(OUR_REGION.get(k, ("", "")))
        s = sig.get(k, {})
        rows.append({
            "lmk": f"{k} {label}",
            "ODBM disp px": fmt(trem[f"fac_disp_median_{k}"]),
            "ODBM disp mm": fmt(trem[f"fac_disp_median_{k}"] * mmpp),
            "ODBM corr": fmt(trem[f"fac_corr_{k}"]),
            "ODBM trem": fmt(trem[f"fac_tremor_median_{k}"]),
            "MP pt": str(mp_idx),
            "MP disp": fmt(mp[k]["disp_median"]),
            "MP corr": fmt(mp[k]["corr"]),
            "MP trem": fmt(mp[k]["tremor"]),
            "sig disp": fmt(s.get("disp_median")),
            "sig corr": fmt(s.get("corr")),
            "sig trem": fmt(s.get("tremor")),
            "nearest region of ours": (f"{pk['region']}/{pk['side']} {pk['frequency_hz']:.2f} Hz "
                                       f"{pk['amplitude_mm']:.3f} mm snr {pk['snr']:.1f} "
                                       f"{'CALLED' if pk['detected'] else 'no'}") if pk else "-",
        })
    print(table(rows, list(rows[0])))
    print("    our regions (3 Hz..Nyquist Welch peak, head motion removed; no jaw/chin/inner-lip region of ours). "
          "'as ODBM trem': the OpenDBM value a pure sinusoid of this amplitude and frequency would give, uncorrelated "
          "with the nose (median step 2 A sin(pi f/fs) cos(pi/4), in px, x 350000/area):")

    def as_odbm(amp_mm: float, f_hz: float) -> float:
        return REF_AREA_PX2 / a_odbm * 2 * amp_mm * math.sin(math.pi * f_hz / fps) * math.cos(math.pi / 4) / mmpp

    rows2 = [{"region/side": f"{p['region']}/{p['side']}", "Hz": fmt(p["frequency_hz"], ".2f"),
              "amp mm": fmt(p["amplitude_mm"]), "snr": fmt(p["snr"], ".1f"), "halves": fmt(p["consistency"], ".1f"),
              "msc": fmt(p["spatial_coherence"], ".2f"),
              "band mm^2": fmt(p["band_power_mm2"], ".4f"), "share": fmt(p["peak_share"], ".2f"),
              "speech": str(p["speech_like"]), "called": str(p["detected"]),
              "as ODBM trem": fmt(as_odbm(p["amplitude_mm"], p["frequency_hz"]))}
             for p in d["shake"]["tremor"]["by_region"]]
    print(table(rows2, list(rows2[0])))
    lim = 3 * q["noise_floor_mm"]
    print(f"    our detection limit (amplitude 3 x noise floor = {lim:.2f} mm) at 6 Hz reads {as_odbm(lim, 6.0):.2f} "
          f"OpenDBM units (if uncorrelated with the nose), at 10 Hz {as_odbm(lim, 10.0):.2f}.")
    t = d["shake"]["tremor"]
    print(f"    ours overall: tremor detected={t['detected']}, head tremor={d['shake']['head']['tremor_detected']}, "
          f"speech rhythm of the lips={d['shake']['speech']}")
    nf = q["noise_floor_mm"]
    print(f"    jitter alone: a 2-D point with our noise floor {nf:.3f} mm (1 sigma per axis, per frame) has a median step "
          f"of {nf * 1.665:.3f} mm/frame = {nf * 1.665 / mmpp:.2f} px/frame (Rayleigh median of sigma*sqrt(2)).")

    # ---- (b) asymmetry --------------------------------------------------------------------
    mpa = mirror_asymmetry(lms * mmpp)
    sa = signal_asymmetry(df, ref_mm)
    n = min(len(asym), len(df))
    if len(asym) != len(df):
        print(f"    WARNING: OpenDBM has {len(asym)} frames, we have {len(df)}; compared on the first {n}")
    odbm = {k: asym[c].to_numpy(float)[:n] for k, c in ASYM_COLS.items()}
    print("\n(b) ASYMMETRY per frame (mm). OpenDBM: OpenFace 3-D, mirror plane; 'MP mirror': the same definition on "
          "MediaPipe 3-D (our mm); 'sig': our mouth-corner left/right difference (2-D, head-aligned).")
    rows = []
    for k in ASYM_COLS:
        r, m = pearson(odbm[k], mpa[k][:n])
        rows.append({"score": k, "ODBM mean": fmt(np.nanmean(odbm[k])), "ODBM sd": fmt(np.nanstd(odbm[k])),
                     "MP mirror mean": fmt(np.nanmean(mpa[k])), "MP mirror sd": fmt(np.nanstd(mpa[k])),
                     "r(ODBM, MP mirror)": fmt(r), "frames": str(m)})
    print(table(rows, list(rows[0])))
    yaw, pitch = df["head_yaw_deg"].to_numpy()[:n], df["head_pitch_deg"].to_numpy()[:n]
    aperture = (df["upper_lip_y_mm"] - df["lower_lip_y_mm"]).to_numpy()[:n]
    om = odbm["mouth"]
    mask = valid[:n]
    rows = []
    for label, ours in (("MP mirror mouth (all frames)", mpa["mouth"][:n]),
                        ("sig total, lip midline", np.where(mask, sa["total"][:n], np.nan)),
                        ("sig change from neutral", np.where(mask, sa["change"][:n], np.nan))):
        r, m = pearson(om, ours)
        rows.append({"ours vs ODBM mouth": label, "ours mean": fmt(np.nanmean(ours)), "ours sd": fmt(np.nanstd(ours)),
                     "ODBM mean": fmt(np.nanmean(om)), "Pearson r": fmt(r), "frames": str(m)})
    for label, ours in (("our head yaw (deg)", yaw), ("our head pitch (deg)", pitch),
                        ("our lip opening (mm)", np.where(mask, aperture, np.nan)),
                        ("OpenDBM AU25 (lips part)", au["fac_AU25int"].to_numpy(float)[:n])):
        r, m = pearson(om, ours)
        rows.append({"ours vs ODBM mouth": f"confound: {label}", "ours mean": fmt(np.nanmean(ours)),
                     "ours sd": fmt(np.nanstd(ours)), "ODBM mean": fmt(np.nanmean(om)), "Pearson r": fmt(r),
                     "frames": str(m)})
    eye_open = np.where(mask, 0.5 * (df["palpebral_left_height_mm"] + df["palpebral_right_height_mm"]).to_numpy()[:n],
                        np.nan)
    for label, a, b in (("our eye opening vs OpenDBM AU45 (blink)", au["fac_AU45int"].to_numpy(float)[:n], eye_open),
                        ("our lip opening vs OpenDBM AU26 (jaw drop)", au["fac_AU26int"].to_numpy(float)[:n],
                         np.where(mask, aperture, np.nan))):
        r0, m0 = pearson(a, b)
        lags = {lag: pearson(a[max(0, -lag):n - max(0, lag)], b[max(0, lag):n - max(0, -lag)])[0]
                for lag in range(-3, 4)}
        best = max(lags, key=lambda k: abs(lags[k]) if math.isfinite(lags[k]) else -1)
        rows.append({"ours vs ODBM mouth": f"sync check: {label}", "ours mean": "", "ours sd": "", "ODBM mean": "",
                     "Pearson r": fmt(r0),
                     "frames": f"{m0} (best lag {best:+d} fr, + = ours later: r {fmt(lags[best])})"})
    print(table(rows, list(rows[0])))
    lat_diff = (df["mouth_corner_left_x_mm"] - df["mouth_corner_right_x_mm"]).to_numpy()
    yaw_all = df["head_yaw_deg"].to_numpy()
    okv = valid & np.isfinite(lat_diff) & np.isfinite(yaw_all)
    r_yaw, _ = pearson(lat_diff[okv], yaw_all[okv])
    slope = float(np.polyfit(yaw_all[okv], lat_diff[okv], 1)[0])
    print(f"    our own yaw leakage: left-minus-right lateral corner displacement vs our head yaw: r {r_yaw:.2f}, "
          f"slope {slope:.2f} mm/deg, yaw {np.ptp(yaw_all[okv]):.1f} deg range -> difference "
          f"{np.min(lat_diff[okv]):.1f}..{np.max(lat_diff[okv]):.1f} mm (the 2-D similarity alignment cannot undo a head "
          f"turn: the corners lie behind the stable points)")
    sm = d["smile"]
    print(f"    our smile: episodes {len(sm['episodes'])}, asymmetry_pct {sm['asymmetry_pct']}, weaker side "
          f"{sm['weaker_side']} (no smile: OpenDBM AU12 max {au['fac_AU12int'].max():.2f})")

    sig_common = [k for k in sig if k != REF_LMK]
    return {
        "name": name,
        "odbm_trem": [trem[f"fac_tremor_median_{k}"] for k in TREMOR_LMK if k != REF_LMK],
        "mp_trem": [mp[k]["tremor"] for k in TREMOR_LMK if k != REF_LMK],
        "odbm_disp": [trem[f"fac_disp_median_{k}"] for k in TREMOR_LMK],
        "mp_disp": [mp[k]["disp_median"] for k in TREMOR_LMK],
        "odbm_disp_sig": [trem[f"fac_disp_median_{k}"] for k in sig],
        "sig_disp": [sig[k]["disp_median"] for k in sig],
        "odbm_trem_sig": [trem[f"fac_tremor_median_{k}"] for k in sig_common],
        "sig_trem": [sig[k]["tremor"] for k in sig_common],
        "r_asym_mp": pearson(om, mpa["mouth"][:n])[0],
        "r_asym_sig": pearson(om, np.where(mask, sa["total"][:n], np.nan))[0],
        "r_com_mp": pearson(odbm["composite"], mpa["composite"][:n])[0],
        "tremor_called": t["detected"],
    }


def main() -> None:
    out = [compare(v) for v in VIDEOS]
    print("\n=== AGREEMENT (both videos)")
    for key_a, key_b, label in (
            ("odbm_trem", "mp_trem", "fac_tremor_median, OpenDBM vs its definition on MP raw (8 lmk x 2)"),
            ("odbm_disp", "mp_disp", "fac_disp_median px, OpenDBM vs MP raw (9 lmk x 2)"),
            ("odbm_disp_sig", "sig_disp", "fac_disp_median px, OpenDBM vs our signals (5 lmk x 2)"),
            ("odbm_trem_sig", "sig_trem", "fac_tremor_median, OpenDBM vs its definition on our signals (4 lmk x 2)")):
        a = np.concatenate([o[key_a] for o in out])
        b = np.concatenate([o[key_b] for o in out])
        r, m = pearson(a, b)
        rs, _ = pearson(pd.Series(a).rank(), pd.Series(b).rank())
        print(f"  {label}: Pearson r {fmt(r)}, Spearman {fmt(rs)}, n={m}; median ratio ours/OpenDBM "
              f"{fmt(float(np.nanmedian(b / a)), '.2f')}")
    for o in out:
        print(f"  {o['name']}: per-frame r, OpenDBM mouth asym vs MP mirror {fmt(o['r_asym_mp'])}, vs our signals "
              f"{fmt(o['r_asym_sig'])}; composite vs MP mirror {fmt(o['r_com_mp'])}; "
              f"our tremor called: {o['tremor_called']}")


if __name__ == "__main__":
    sys.exit(main())
