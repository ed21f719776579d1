"""Charts of the reports as PNG bytes (matplotlib, headless), in one house style."""

from __future__ import annotations

import io
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

GREEN, RED, GREY, BLUE = "#2f6f4f", "#b4443a", "#9a9a9a", "#3b6ea8"
PALETTE = ["#2f6f4f", "#3b6ea8", "#c4862d", "#8e4f9a", "#b4443a", "#4a9a9a", "#6d6d2f", "#a85b7d"]


@contextmanager
def figure(width: float = 8.0, height: float = 4.0):
    """A figure and its axes; the caller draws, ``png(fig)`` renders it."""
    fig, ax = plt.subplots(figsize=(width, height))
    try:
        yield fig, ax
    finally:
        plt.close(fig)


def png(fig) -> bytes:
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def empty(ax, message: str) -> None:
    ax.text(0.5, 0.5, message, ha="center", va="center", color=GREY)
    ax.set_axis_off()


def shorten(label: str, n: int = 40) -> str:
    return label if len(label) <= n else label[: n - 1] + "…"
