"""Does a single photo's mouth asymmetry separate facial palsy from healthy faces? (Palda set)

For every photo in ../shared/data/images/palda/{peripheral,central,Healthy}, FaceMesh
landmarks give a static mouth-asymmetry index in inter-ocular units: the height difference of
the two mouth corners plus the difference of their distances to the facial midline (the line
through the nasal bridge perpendicular to the iris line). The ROC AUC of palsy (peripheral +
central) against healthy is printed (Mann-Whitney U / n1 n2). The set holds single photos,
mostly expressive (smiles, eye closure); it has no rest/smile pairs for the healthy faces.

    .venv/bin/python benchmarks/palda.py
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from scipy.stats import mannwhitneyu

from smilescope.measures.smile_score import mouth_asymmetry
from smilescope.track.facemesh import MediaPipeFaceMesh

ROOT = Path(__file__).resolve().parents[1]
PALDA = ROOT.parent / "shared" / "data" / "images" / "palda"


def scores(folder: Path, det) -> list[float]:
    out = []
    for f in sorted(folder.iterdir()):
        if f.suffix.lower() not in (".jpg", ".png"):
            continue
        img = cv2.imread(str(f))
        if img is None:
            continue
        obs = det(np.ascontiguousarray(img[:, :, ::-1]))
        if obs is not None:
            out.append(mouth_asymmetry(obs.landmarks_px))
    return out


def main() -> None:
    with MediaPipeFaceMesh(static_image_mode=True, max_num_faces=1) as det:
        palsy = scores(PALDA / "peripheral", det) + scores(PALDA / "central", det)
        healthy = scores(PALDA / "Healthy", det)
    u = mannwhitneyu(palsy, healthy, alternative="greater")
    auc = u.statistic / (len(palsy) * len(healthy))
    print(f"palsy n={len(palsy)} median {np.median(palsy):.3f}; healthy n={len(healthy)} median {np.median(healthy):.3f} (IOD units)")
    print(f"ROC AUC palsy vs healthy: {auc:.3f} (Mann-Whitney p = {u.pvalue:.2g})")


if __name__ == "__main__":
    main()
