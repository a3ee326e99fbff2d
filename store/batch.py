"""Recording a batch run: every school's decision, in bulk, one transaction per chunk.

The workers make each school's decision (id, input, outcomes) where they evaluate it; the reading
process inserts a chunk's decisions and moves the run's count of decisions kept forward in the same
transaction, before the chunk's output is written. So a run stopped at any moment leaves whole
decisions only, the run's count says exactly how many, and every id in the output is in the store.
"""

from __future__ import annotations

import uuid

from kaohe import __version__

from .decisions import DecisionRow, DecisionStore, utc_now
from .policy import bundle_of


class BatchRecorder:
    def __init__(self, store: DecisionStore, ruleset_id: str, source: str, as_of, caller: str | None = None):
        self.store = store
        self.batch_id = str(uuid.uuid4())
        self.as_of = as_of
        self.caller = caller
        self.recorded = 0
        store.start_batch(self.batch_id, ruleset_id, source)

    def __call__(self, compiled, parts: list) -> None:
        if not parts:
            return
        policy = bundle_of(compiled)
        now = utc_now()
        rows = [DecisionRow(decision_id, now, self.caller, "school", policy, self.as_of, __version__, verdict,
                            school_input, result, index, self.batch_id)
                for decision_id, school_input, result, index, verdict in parts]
        self.store.record(rows, batch_id=self.batch_id)
        self.recorded += len(rows)

    def finish(self) -> None:
        self.store.finish_batch(self.batch_id, self.recorded)
