"""The shared sample inputs (real postmortems, a Slack export, alert payloads), read in place
from ``../shared/samples`` beside the project's root: see that folder's README.md and the
Markdown postmortems' LICENSE."""

from pathlib import Path

SHARED_SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"
