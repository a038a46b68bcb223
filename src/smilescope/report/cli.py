"""``smilescope report``: the HTML (and PDF) report of one analysis."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to the smilescope app."""

    @app.command()
    def report(
        analysis: Optional[Path] = typer.Argument(None, help="The analysis.json that `smilescope analyze` wrote (signals.csv beside it gives the plots)."),
        last: bool = typer.Option(False, "--last", help="Report the analysis most recently stored in the history instead of a file."),
        out_path: Optional[Path] = typer.Option(None, "--out", "-o", help="HTML file to write (default: report.html beside analysis.json)."),
        pdf: bool = typer.Option(False, "--pdf", help="Also print the report to a PDF beside the HTML (needs Chromium)."),
        answers: Optional[Path] = typer.Option(None, "--answers", help="JSON file of questionnaire answers, for guidance that uses them."),
        db: Optional[str] = typer.Option(None, "--db", help="Database URL for the history (default: SMILESCOPE_DB or the user data folder)."),
    ) -> None:
        """Write a self-contained HTML report (figures inside, no internet needed) of one analysis.

        \b
        Example:
          smilescope analyze examples/d0.mp4 --out out/demo
          smilescope report out/demo/analysis.json --pdf

        Plain words on the smile, shaking, twitches and blinks; trends of stored analyses; guidance with sources. Not a diagnosis.
        """
        from smilescope.cli import exit_on_bad_input, out
        from smilescope.report.make import gather, write_report

        with exit_on_bad_input(interrupted="interrupted; no report was written"):
            html_path = write_report(gather(analysis, last=last, answers=answers, db=db), out_path)
        out.print(f"wrote {html_path}", highlight=False)
        if pdf:
            from smilescope.report.browser import html_to_pdf

            with exit_on_bad_input(interrupted=f"interrupted; {html_path} was written", written=html_path):
                pdf_path = html_to_pdf(html_path, html_path.with_suffix(".pdf"))
            out.print(f"wrote {pdf_path}", highlight=False)
