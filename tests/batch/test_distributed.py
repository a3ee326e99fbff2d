"""The same evaluation on a Dask cluster of two worker processes (on loopback): byte-identical
verdicts, the same errors and the same summary as a local run over the same Parquet parts."""

from __future__ import annotations

import datetime as dt
import json

import batch_data
import pytest

distributed = pytest.importorskip("distributed")

from kaohe.batch.distributed import concatenate, run_dask  # noqa: E402
from kaohe.batch import worker as batch_worker  # noqa: E402
from kaohe.batch import run_batch  # noqa: E402
from kaohe.batch.formats import to_parquet  # noqa: E402
from kaohe.plugins.manager import RegistryLoader  # noqa: E402

AS_OF = dt.date(2022, 12, 31)


def test_two_dask_workers_write_what_a_local_run_writes(tmp_path):
    data = batch_data.schools()
    records = [json.dumps(s, ensure_ascii=False) for s in data]
    spoilt = json.loads(records[5])
    spoilt["teachers"][0]["hours"] = "many"
    records[5] = json.dumps(spoilt, ensure_ascii=False)
    source = batch_data.write_jsonl(tmp_path / "schools.jsonl", records)
    parts = to_parquet(source, tmp_path / "parts", teachers_per_file=100)
    assert len(parts) >= 4

    local = run_batch("guangdong", tmp_path / "parts", tmp_path / "local.jsonl", as_of=AS_OF, workers=1,
                      load_registry=RegistryLoader(),
                      errors_path=tmp_path / "local.err", summary_path=tmp_path / "local.json")

    cluster = distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                                       dashboard_address=None)
    try:
        with distributed.Client(cluster) as client:
            remote = run_dask("guangdong", tmp_path / "parts", tmp_path / "out", scheduler=client, as_of=AS_OF,
                              load_registry=RegistryLoader(),
                              errors_path=tmp_path / "dask.err", summary_path=tmp_path / "dask.json")
            # the rulesets were loaded on each worker process by the plugin, not by the client
            loaded = client.run(lambda: len(batch_worker._STATES))
    finally:
        cluster.close()

    assert remote.workers == 2 and sorted(loaded.values()) == [1, 1]
    concatenate(tmp_path / "out", tmp_path / "dask.jsonl")
    assert (tmp_path / "dask.jsonl").read_bytes() == (tmp_path / "local.jsonl").read_bytes()
    assert (tmp_path / "dask.err").read_bytes() == (tmp_path / "local.err").read_bytes()
    assert remote.records_invalid == local.records_invalid == 1
    mine, theirs = (json.loads((tmp_path / name).read_text(encoding="utf-8")) for name in ("dask.json", "local.json"))
    for key in ("totals", "counties", "cities", "schools", "records", "status"):
        assert mine[key] == theirs[key], key
