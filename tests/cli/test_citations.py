"""Citations name a document — title, 文号 where it has one, date, clause — wherever they are shown;
the seed file name is only a footnote."""

import datetime as dt
import json
from pathlib import Path

from openpyxl import load_workbook

from kaohe.cli import main
from kaohe.engine.sources import shipped_documents

ROOT = Path(__file__).resolve().parents[2]
YUEYANG = ROOT / "examples" / "hunan-yueyang" / "dataset.json"
NOTICE = "《岳阳市教育体育局办公室关于组织开展2021年岳阳市中小学(幼儿园)教师信息技术应用能力提升工程2.0培训的通知》(岳教体办通〔2021〕8号, 2021-05-18)"


def test_every_shipped_ruleset_source_has_its_document_described(registry):
    documents = shipped_documents()
    for rid in registry.ids():
        for source in registry.get(rid, None if rid != "jilin-baishan" else dt.date(2021, 1, 1)).resolved.sources.values():
            document = documents[source["seed"]]
            assert document["title"]["zh"] and document["title"]["en"] and "date" in document and "number" in document


def test_text_report_and_csv_cite_the_notice_by_title_number_and_date(capsys, tmp_path):
    assert main(["evaluate", "--ruleset", "hunan-yueyang", "--as-of", "2022-12-31", str(YUEYANG)]) == 0
    out = capsys.readouterr().out
    cited = [line.strip() for line in out.splitlines() if line.strip().startswith("依据: ")]
    assert cited and all(line.startswith(f"依据: {NOTICE} ") for line in cited)
    assert all(line.endswith("[001_672f569689167dd6.txt]") for line in cited)  # the seed, as a footnote
    csv = tmp_path / "r.csv"
    assert main(["evaluate", "--ruleset", "hunan-yueyang", "--as-of", "2022-12-31", "--format", "csv", "-o", str(csv), str(YUEYANG)]) == 0
    assert NOTICE in csv.read_text(encoding="utf-8-sig")


def test_workbook_and_english_report_cite_the_document(capsys, tmp_path):
    book = tmp_path / "r.xlsx"
    assert main(["evaluate", "--ruleset", "hunan-yueyang", "--as-of", "2022-12-31", "--format", "xlsx", "-o", str(book), str(YUEYANG)]) == 0
    cells = [str(c.value) for sheet in load_workbook(book) for row in sheet.iter_rows() for c in row if c.value]
    assert any(NOTICE in c for c in cells) and not any(c.startswith("001_672f569689167dd6.txt") for c in cells)
    assert main(["evaluate", "--ruleset", "hunan-yueyang", "--as-of", "2022-12-31", "--lang", "en", str(YUEYANG)]) == 0
    assert "source: “Notice of the Yueyang Education and Sports Bureau office" in capsys.readouterr().out


def test_json_and_policy_document_carry_title_number_and_date(capsys):
    assert main(["evaluate", "--ruleset", "hunan-yueyang", "--as-of", "2022-12-31", "--format", "json", str(YUEYANG)]) == 0
    rule = json.loads(capsys.readouterr().out)["schools"][0]["teachers"][0]["rules"][0]
    assert rule["citation"]["number"] == "岳教体办通〔2021〕8号" and rule["citation"]["date"] == "2021-05-18"
    assert rule["citation"]["document_en"].startswith("Notice of the Yueyang")
    assert main(["doc", "--ruleset", "hunan-yueyang", "--as-of", "2022-12-31"]) == 0
    doc = capsys.readouterr().out
    assert f"**依据**: {NOTICE} " in doc
