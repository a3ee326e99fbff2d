"""Where a batch run writes: output, errors and per-school lines, to temporaries moved into place
at the end, and the checks that a destination is writable before hours of work."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from kaohe.engine import InputFormatError

from . import formats, worker
from .runner import append_file
from .tallies import school_entry, write_summary

STDERR_ERRORS_SHOWN = 50


class Sinks:
    """Output, error and per-school spool files, written to temporaries and moved into place at the
    end, so a run that starts over (or fails) never leaves half a result behind."""

    def __init__(self, output: str, output_format: str, errors_path: str | None, workdir: str, metadata: dict):
        self.output, self.output_format, self.errors_path = output, output_format, errors_path
        self.workdir, self.metadata = workdir, metadata
        self.stdout = output == "-"
        self._open()

    def _temporary(self, path: str) -> str:
        # beside the destination (same filesystem, so the final move is a rename), with the usual permissions
        folder = os.path.dirname(os.path.abspath(path))
        return os.path.join(folder, f".{os.path.basename(path)}.{os.getpid()}.partial")

    def _open(self) -> None:
        if self.stdout:
            self.out_path = None
            self.out = sys.stdout.buffer
        else:
            self.out_path = self._temporary(self.output)
            if self.output_format == "parquet":
                self.out = formats.ParquetVerdicts(self.out_path, self.metadata)
            else:
                self.out = open(self.out_path, "wb", buffering=1 << 20)
        self.errors_file = os.path.join(self.workdir, "errors.jsonl")
        self.errors = open(self.errors_file, "wb", buffering=1 << 16)
        self.schools_file = os.path.join(self.workdir, "schools.jsonl")
        self.schools = open(self.schools_file, "wb", buffering=1 << 16)

    def reset(self) -> None:
        """Forget everything written: the run starts over."""
        self.out.close() if not self.stdout else None
        self.errors.close()
        self.schools.close()
        if self.out_path:
            os.unlink(self.out_path)
        self._open()

    def write(self, out, tallies: list, errors: list) -> None:
        if isinstance(out, tuple):  # a spool file written by a pool worker
            append_file(self.out, *out)
        elif out:
            self.out.write(out)
        for tally in tallies:
            self.schools.write(worker.dumps(school_entry(tally)) + b"\n")
        for error in errors:
            self.errors.write(worker.dumps(error) + b"\n")

    def finish(self, report: dict, summary_path: str | None) -> None:
        if self.stdout:
            self.out.flush()
        else:
            self.out.close()
            os.replace(self.out_path, self.output)
            self.out_path = None
        self.errors.close()
        self.schools.close()
        if self.errors_path:
            os.replace(self.errors_file, self.errors_path) if _same_device(self.errors_file, self.errors_path) \
                else _copy(self.errors_file, self.errors_path)
        else:
            self._print_errors()
        if summary_path:
            with open(self.schools_file, "rb") as lines:
                write_summary(summary_path, report, lines)

    def _print_errors(self) -> None:
        with open(self.errors_file, "rb") as lines:
            shown = 0
            for shown, line in enumerate(lines, 1):
                if shown > STDERR_ERRORS_SHOWN:
                    continue
                print(f"kaohe: bad record: {formats.error_text(json.loads(line))}", file=sys.stderr)
            if shown > STDERR_ERRORS_SHOWN:
                print(f"kaohe: ... and {shown - STDERR_ERRORS_SHOWN} more bad records (give an errors file to keep them all)",
                      file=sys.stderr)

    def abandon(self) -> None:
        for handle in (getattr(self, "errors", None), getattr(self, "schools", None)):
            if handle is not None:
                handle.close()
        if not self.stdout and self.out_path:
            try:
                self.out.close()
            finally:
                if os.path.exists(self.out_path):
                    os.unlink(self.out_path)


def _same_device(a: str, b: str) -> bool:
    try:
        return os.stat(a).st_dev == os.stat(os.path.dirname(os.path.abspath(b))).st_dev
    except OSError:
        return False


def _copy(src: str, dst: str) -> None:
    import shutil

    shutil.copyfile(src, dst)


def check_writable(path: str | None, what: str) -> None:
    """Fail before hours of work, not after: the folder must exist and be writable."""
    if not path or path == "-":
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputFormatError(f"{path}: cannot write the {what}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise InputFormatError(f"{path}: cannot write the {what}: permission denied")
    if os.path.isdir(path):
        raise InputFormatError(f"{path}: cannot write the {what}: it is a folder")


def output_format_of(output: str, output_format: str | None) -> str:
    if output_format:
        if output_format not in ("jsonl", "parquet"):
            raise InputFormatError(f"unknown output format '{output_format}'", hint="jsonl or parquet")
        return output_format
    suffix = Path(output).suffix.lower() if output != "-" else ".jsonl"
    if suffix in formats.JSONL_SUFFIXES:
        return "jsonl"
    if suffix in formats.PARQUET_SUFFIXES:
        return "parquet"
    raise InputFormatError(f"{output}: unknown output format '{suffix}'", hint="write .jsonl (full results) or .parquet (verdicts)")
