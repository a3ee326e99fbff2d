"""Decision records: every verdict kept with the input and the exact policy revision that decided it,
looked up, listed, exported and replayed for appeals. SQLite by default, PostgreSQL by URL."""

from .database import DEFAULT_URL, Database, database_url, open_database
from .decisions import DecisionStore, Page
from .policy import PolicyBundle, bundle_of, registry_of
from .recorder import Recorder

__all__ = ["DEFAULT_URL", "Database", "database_url", "open_database", "DecisionStore", "Page", "PolicyBundle",
           "bundle_of", "registry_of", "Recorder"]
