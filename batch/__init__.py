"""Batch evaluation at province scale: files of any size in, one school result per line out, memory
bounded by the largest school, results in input order whatever the number of workers.

The pipeline, one module a step: `formats` reads JSON Lines, CSV or Parquet (only each record's
school id at first) and writes results; `grouping` brings a school's records together (streamed,
or on disk) and cuts chunks of whole schools; `worker` validates, evaluates and serialises a chunk;
`runner` runs chunks in this process or on a pool; `sinks` writes output, errors and per-school
lines; `tallies` adds up the summary; `run` orchestrates (`run_batch`); `distributed` runs the
same on a Dask cluster. Batch uses the engine's public surface only.
"""

from .run import EXIT_BAD_RECORDS, EXIT_OK, BatchSummary, run_batch

__all__ = ["run_batch", "BatchSummary", "EXIT_OK", "EXIT_BAD_RECORDS"]
