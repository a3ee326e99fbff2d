"""Every citation of every loaded ruleset points at a seed text that says what the quote says.

A rule's or parameter's `cite` names a source; the source names its seed file under
`../shared/seeds`. The seed must exist and the quote must appear in it. Whitespace is ignored on
both sides (the seeds are web and slide copies, with line breaks inside sentences); every other
character, punctuation included, must match.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SEEDS = Path(__file__).resolve().parents[2].parent / "shared" / "seeds"

pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"the policy seed texts are not here: {SEEDS}")


def normalise(text: str) -> str:
    return "".join(text.split())


def citations(registry):
    """(ruleset id, what, source id, citation) for every rule and parameter citation, inherited ones included."""
    for ruleset_id in registry.ids():
        for compiled in registry.revisions(ruleset_id):
            resolved = compiled.resolved
            for rule in resolved.rules:
                yield ruleset_id, f"rule {rule['id']}", resolved.sources, rule.get("cite")
            for name, spec in resolved.parameters.items():
                yield ruleset_id, f"parameter {name}", resolved.sources, spec.get("cite")
            for level, spec in resolved.scope.items():
                yield ruleset_id, f"scope {level}", resolved.sources, spec.get("cite")


def test_every_rule_and_parameter_cites_a_seed_with_its_quote(registry):
    seed_texts = {path.name: normalise(path.read_text(encoding="utf-8")) for path in SEEDS.glob("*.txt")}
    problems = []
    checked = 0
    for ruleset_id, what, sources, cite in citations(registry):
        where = f"{ruleset_id} {what}"
        if not cite:
            problems.append(f"{where}: no citation")
            continue
        source = sources.get(cite.get("source"))
        if source is None:
            problems.append(f"{where}: unknown source {cite.get('source')!r}")
            continue
        seed = source.get("seed")
        if seed not in seed_texts:
            problems.append(f"{where}: seed file {seed!r} is not in {SEEDS}")
            continue
        quote = cite.get("quote")
        if not quote:
            problems.append(f"{where}: citation of {seed} has no quote")
        elif normalise(quote) not in seed_texts[seed]:
            problems.append(f"{where}: quote not found in {seed}: {quote!r}")
        checked += 1
    assert checked > 0
    assert problems == []


@pytest.mark.parametrize("ruleset_id", ["national", "guangdong", "hunan-yueyang", "liaoning-wafangdian",
                                        "jilin-baishan"])
def test_every_source_names_an_existing_seed(registry, ruleset_id):
    sources = registry.get(ruleset_id, registry.revisions(ruleset_id)[0].resolved.effective_from).resolved.sources
    assert sources
    for source in sources.values():
        assert (SEEDS / source["seed"]).is_file(), source


def test_a_wrong_quote_is_caught():
    """The check itself can fail: a quote with one character changed is not in the seed."""
    text = normalise((SEEDS / "000_78111344019430a3.txt").read_text(encoding="utf-8"))
    assert normalise("保证50%实践应用学时确有实效") in text
    assert normalise("保证60%实践应用学时确有实效") not in text
