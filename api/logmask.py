"""Log lines leave with ID-card numbers masked (kaohe.engine.jsonio.mask_id_cards, the one place)."""

from __future__ import annotations

import logging

from kaohe.engine.jsonio import mask_id_cards


class MaskIdCards(logging.Filter):
    """Every log line leaves with its ID-card numbers masked: message, arguments and traceback alike
    (uvicorn's access lines too, whose paths and queries a client chose)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: leave it to the handler to report
            return True
        record.msg, record.args = mask_id_cards(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_id_cards(record.exc_text)
        return True
