"""Shared fixtures for policy tests: the loaded Guangdong ruleset and records built to order.

Lists the policy defines (the evidence checklist, the documents a school files, a research group's
materials) are read from the ruleset's parameters, so these records stay complete when the policy
text changes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pytest

from kaohe.engine.compiler import CompiledRuleset
from kaohe.engine.records import (Artefact, Assessment, Dataset, Document, HourEntry, Region, ResearchGroup, School,
                                  TeamMember, Teacher)

AS_OF = dt.date(2023, 6, 1)
RULESETS = Path(__file__).resolve().parents[2] / "rulesets"
POINTS = ("GD:B1", "GD:B2", "GD:B4")


@pytest.fixture(scope="session")
def gd_ruleset(registry) -> CompiledRuleset:
    """The Guangdong revision in force on AS_OF, compiled."""
    return registry.get("guangdong", AS_OF)


def hour_ledger(hours: float) -> list[HourEntry]:
    """School-based research entries crediting exactly `hours` before the cap: research homework
    (5 h each), then one offline activity for the rest (under its 10 h cap)."""
    entries = []
    day = dt.date(2022, 5, 1)
    homework, rest = divmod(hours, 5)
    for i in range(int(homework)):
        entries.append(HourEntry(category="校本研修", kind="研修作业", hours=5, date=day + dt.timedelta(days=i)))
    if rest:
        entries.append(HourEntry(category="校本研修", kind="线下活动", hours=rest, date=day + dt.timedelta(days=40)))
    return entries


@dataclass
class Builder:
    ruleset: CompiledRuleset

    def teacher(self, id: str, school_id: str, hours: float, *, plan: bool = True, points=POINTS,
                qualified: bool = True, full_time: bool = True, name: str | None = None,
                research_group: str | None = "语文组") -> Teacher:
        """A teacher who meets every Guangdong teacher rule except, possibly, the hours."""
        artefacts = [Artefact(kind="提升总结", file_name=f"{id}-{p}.pdf", format="pdf", size_kb=300, point=p) for p in points]
        if plan:
            artefacts.append(Artefact(kind="提升计划", file_name=f"{id}-提升计划.docx", format="docx", size_kb=120))
        result = "合格" if qualified else "不合格"
        return Teacher(id=id, school_id=school_id, name=name or id, full_time=full_time, research_group=research_group,
                       ability_points=list(points), hours=hour_ledger(hours), artefacts=artefacts,
                       assessments=[Assessment(kind="应用能力点测评", result=result, point=points[0])])

    def school(self, id: str, teachers: list[Teacher], *, county_id: str | None = None, name: str | None = None,
               complete: bool = True) -> School:
        """A school that meets every school rule its teachers let it meet (complete=False: none of
        the school's own filings). Parameters a ruleset does not define are simply not used."""
        p = self.ruleset.parameters
        filed = dt.date(2022, 4, 20)
        kinds = list(dict.fromkeys(list(p.get("required_school_documents", ())) + list(p.get("school_plans", ()))))
        materials = list(dict.fromkeys(list(p.get("research_group_materials", ())) + list(p.get("research_group_plan_materials", ()))))
        team = [TeamMember(name="校长", role="校长", is_principal=True, is_leader=True)]
        team += [TeamMember(name=f"骨干{i}", role="信息技术骨干") for i in range(1, int(p.get("team_size_min", 3)))]
        group = ResearchGroup(name="语文组", leader="组长", members=[t.id for t in teachers], materials=materials)
        return School(id=id, name=name or id, county_id=county_id, research_groups=[group],
                      documents=[Document(kind=k, filed_on=filed) for k in kinds] if complete else [],
                      management_team=team if complete else [],
                      evidence=list(p.get("evidence_checklist", ())) if complete else [],
                      self_score=90 if complete else None, teachers=teachers)

    def region(self, id: str, name: str | None = None) -> Region:
        """A county that has issued every document a region rule asks for."""
        p = self.ruleset.parameters
        kinds = list(dict.fromkeys(list(p.get("acceptance_plan_documents", ())) + list(p.get("county_documents", ()))))
        return Region(id=id, level="county", name=name, documents=[Document(kind=k, filed_on=dt.date(2022, 4, 1)) for k in kinds])


@pytest.fixture
def build(gd_ruleset) -> Builder:
    return Builder(gd_ruleset)


@pytest.fixture
def as_of() -> dt.date:
    return AS_OF


__all__ = ["AS_OF", "Builder", "Dataset", "hour_ledger"]
