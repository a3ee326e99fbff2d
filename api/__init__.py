"""The evaluation API (FastAPI)."""
