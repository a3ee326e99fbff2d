"""The progress bar: shown on a terminal only."""

from __future__ import annotations

import sys
import time


def shows_progress(progress: bool | None) -> bool:
    return sys.stderr.isatty() if progress is None else progress


class Progress:
    """A tqdm bar on stderr (bytes or rows read, teachers/s, ETA), silent unless stderr is a terminal."""

    def __init__(self, enabled: bool | None, total: int, unit: str, description: str):
        enabled = shows_progress(enabled)
        self.bar = None
        self.started = time.perf_counter()
        self.teachers = 0
        self.done = 0
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:  # the bar is a convenience: without tqdm, none
                return
            self.bar = tqdm(total=total or None, unit=unit, unit_scale=True, unit_divisor=1024 if unit == "B" else 1000,
                            desc=description, file=sys.stderr, dynamic_ncols=True, mininterval=0.5, smoothing=0.1,
                            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}{postfix}]")

    def update(self, position: int, teachers: int) -> None:
        self.teachers += teachers
        if self.bar is None:
            return
        if position > self.done:
            self.bar.update(position - self.done)
            self.done = position
        elapsed = time.perf_counter() - self.started
        if self.teachers and elapsed:
            self.bar.set_postfix_str(f"{self.teachers:,} teachers, {self.teachers / elapsed:,.0f}/s", refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
