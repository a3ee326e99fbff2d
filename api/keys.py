"""API keys: only their sha256 hashes are configured or kept; a presented key is hashed and compared.

Keys are long random tokens (``python -m kaohe.api.keys new NAME``), so an unsalted sha256 is
enough: there is nothing to guess. Every stored hash is compared with `hmac.compare_digest`, and
all of them are compared, so timing says nothing about which key was close.

Keys file: one key a line, ``sha256:<64 hex>`` optionally followed by a name and by
``scopes=…``; ``#`` starts a comment. A line that is not a hash is refused at start-up, so a plain
key is never left in it.

    # kaohe API keys
    sha256:2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae  county-440802
    sha256:fcde2b2edba56bf408601fb721fe9b5c338d10ee429ea04fae5511b68fbf8fb9  appeals-office scopes=evaluate,decisions:read
    sha256:baa5a0964d3320fbc0c6a922140453c8513ea24ab8fd0577034804a967248096  operator scopes=admin

Scopes: ``evaluate`` (evaluations, rulesets, simulations, questions), ``decisions:read`` (the
decision records: they hold teachers' records), ``admin`` (reloading rulesets; implies the others).
A key without ``scopes=`` may evaluate only.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sys
from pathlib import Path

from kaohe.engine.errors import ConfigError

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
KEY_PREFIX = "kh_"
EVALUATE, READ_DECISIONS, ADMIN = "evaluate", "decisions:read", "admin"
SCOPES = (EVALUATE, READ_DECISIONS, ADMIN)
DEFAULT_SCOPES = EVALUATE


def parse_scopes(text: str, where: str = "scopes") -> str:
    """'evaluate,decisions:read' → the same, checked and in a fixed order; ConfigError for an unknown scope."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCOPES]
    if unknown or not names:
        raise ConfigError(f"{where}: unknown scope {', '.join(unknown) or '(none)'}", hint=f"scopes: {', '.join(SCOPES)}")
    return ",".join(s for s in SCOPES if s in names)


def allows(scopes: str | None, wanted: str) -> bool:
    granted = (scopes or DEFAULT_SCOPES).split(",")
    return wanted in granted or ADMIN in granted


def hash_key(key: str) -> str:
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_hash(text: str) -> str | None:
    """'sha256:<hex>' (or bare hex) → normalised 'sha256:<hex>'; None if it is not a sha256 hash."""
    value = text.strip().lower()
    if value.startswith("sha256:"):
        value = value[len("sha256:"):]
    return "sha256:" + value if _HEX64.match(value) else None


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def load_key_file(path: str | Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    hashes, names, _scopes = load_key_file_with_scopes(path)
    return hashes, names


def load_key_file_with_scopes(path: str | Path) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the API keys file ({exc})") from None
    hashes, names, scopes = [], [], []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        digest = parse_hash(parts[0])
        if digest is None:
            raise ConfigError(f"{path}:{number}: not a sha256 hash",
                              hint="the file holds hashes only, never keys: python -m kaohe.api.keys hash < key")
        granted = [p for p in parts[1:] if p.startswith("scopes=")]
        rest = [p for p in parts[1:] if not p.startswith("scopes=")]
        hashes.append(digest)
        names.append(" ".join(rest) or f"{path.name}:{number}")
        scopes.append(parse_scopes(granted[-1][len("scopes="):], f"{path}:{number}") if granted else DEFAULT_SCOPES)
    if not hashes:  # a keys file was meant to restrict access: an empty one must not open it to everyone
        raise ConfigError(f"{path}: the API keys file holds no key",
                          hint="add one (python -m kaohe.api.keys new NAME >> FILE), or serve without keys on "
                               "loopback with --no-auth")
    return tuple(hashes), tuple(names), tuple(scopes)


class KeyChecker:
    """Which configured key (by name) a presented key is, or None."""

    def __init__(self, hashes: tuple[str, ...], names: tuple[str, ...] = (), scopes: tuple[str, ...] = ()):
        self._digests = [bytes.fromhex(h.split(":", 1)[1]) for h in hashes]
        self._names = list(names) + [f"key-{i + 1}" for i in range(len(names), len(hashes))]
        self._scopes = dict(zip(self._names, scopes))

    def scopes_of(self, name: str) -> str:
        return self._scopes.get(name) or DEFAULT_SCOPES

    def __bool__(self) -> bool:
        return bool(self._digests)

    def identify(self, presented: str | None) -> str | None:
        if not presented or not self._digests:
            return None
        digest = hashlib.sha256(presented.encode("utf-8", "surrogateescape")).digest()
        found = None
        for stored, name in zip(self._digests, self._names):
            if hmac.compare_digest(digest, stored) and found is None:
                found = name
        return found


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["new"]:
        key = new_key()
        name = " ".join(args[1:]) or "unnamed"
        print(f"key (give it to the client; it is not stored): {key}", file=sys.stderr)
        print(f"{hash_key(key)}  {name}")
        return 0
    if args[:1] == ["hash"]:
        key = sys.stdin.readline().strip()
        if not key:
            print("kaohe: error: no key on standard input", file=sys.stderr)
            return 2
        print(hash_key(key))
        return 0
    print("usage: python -m kaohe.api.keys new [NAME]   (prints a new key to stderr, its keys-file line to stdout)\n"
          "       python -m kaohe.api.keys hash < key   (prints the hash of a key)", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
