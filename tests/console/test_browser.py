"""The console end to end: Debian's chromium, driven by Playwright, against a live `kaohe serve`.

What is expected is worked out from the engine and the example data, never written down as
results: the teachers a simulated change moves are the ones `kaohe.tools.simulate` finds, the
missing hours are what the ruleset requires minus what the form entered.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from openpyxl import Workbook


ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "examples" / "guangdong" / "dataset.json"
AS_OF = "2022-12-31"
ID_CARD = "44080219800101123X"


@pytest.fixture(scope="module")
def registry():
    from kaohe.plugins.manager import build_registry

    return build_registry().registry


def test_the_key_is_asked_for_once_and_a_wrong_key_is_refused(make_context, served, traffic):
    url, key = served
    page = make_context().new_page()
    page.goto(url + "/console/rulesets")
    assert "/console/login" in page.url
    page.get_by_label("API 密钥").fill("kh_not-a-key")
    page.get_by_label("API 密钥").press("Enter")  # the keyboard alone signs in
    assert page.get_by_role("alert").inner_text().startswith("密钥无效")
    page.get_by_label("API 密钥").fill(key)
    page.get_by_label("API 密钥").press("Enter")
    page.wait_for_url(url + "/console/rulesets")  # back where the reader was going
    cookie = next(c for c in page.context.cookies() if c["name"] == "kaohe_console_key")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    page.goto(url + "/console/questions")  # no second sign-in
    assert page.url.endswith("/console/questions")
    assert traffic.external == []


def test_browse_a_ruleset_as_its_policy_document(signed_in, served, registry, screenshot):
    url, _ = served
    page = signed_in
    page.get_by_role("link", name="规则集", exact=True).click()
    guangdong = registry.get("guangdong", dt.date.fromisoformat(AS_OF))
    page.get_by_role("link", name=guangdong.resolved.title["zh"]).first.click()
    page.wait_for_url(url + "/console/rulesets/guangdong")
    assert page.locator("h1").inner_text() == guangdong.resolved.title["zh"]
    rule = next(r for r in guangdong.rules["teacher"] if r.id == "gd.teacher.school-based-hours")
    section = page.locator("section.rule", has=page.locator(f"code:text-is('{rule.id}')"))
    text = section.inner_text()
    required = guangdong.parameters["school_based_hours_required"]
    assert f"{required}学时" in text  # the parameter's value with its unit
    source = guangdong.resolved.sources[rule.citation["source"]]
    assert source["title"] in text and rule.citation["clause"] in text
    assert rule.citation["quote"] in text  # the quoted words of the clause
    cap = guangdong.resolved.parameters["school_based_hours_cap"]
    assert cap["question"]["zh"].split("?")[0] in text  # the open question, beside the parameter
    # what Guangdong overrides of the national ruleset it extends
    overrides = page.locator("#overrides + div table").inner_text()
    national_own = registry.get("national", dt.date.fromisoformat(AS_OF)).resolved.documents[0].data["parameters"]
    guangdong_own = guangdong.resolved.documents[0].data["parameters"]
    for name in set(guangdong_own) & set(national_own):
        assert name in overrides
    assert "national" in overrides
    # revisions and their periods
    revisions = page.locator("#revisions + div table").inner_text()
    assert guangdong.revision in revisions and str(guangdong.resolved.effective_from) in revisions
    screenshot(page, "ruleset-guangdong")
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright
    assert page.evaluate("document.documentElement.scrollWidth") <= 820 + 1  # nothing wider than the screen
    screenshot(page, "ruleset-guangdong-tablet")


def test_evaluate_a_failing_teacher_and_read_the_missing_hours(signed_in, served, registry, screenshot):
    url, _ = served
    page = signed_in
    page.goto(url + "/console/try?ruleset=guangdong")
    page.get_by_label("评估日期").fill(AS_OF)
    page.get_by_label("标识", exact=True).fill("T-FORM-1")
    page.get_by_label("学校标识").fill("GD-S00001")
    page.get_by_label("姓名/名称").fill("张老师")
    entered = 5
    page.get_by_label("研修类别 (学时记录 1)").fill("校本研修")
    page.get_by_label("类型 (学时记录 1)").fill("研修作业")
    page.get_by_label("学时 (学时记录 1)").fill(str(entered))
    page.get_by_label("日期 (学时记录 1)").fill("2022-05-07")
    page.get_by_role("button", name="再加一行").first.click()  # htmx brings one more row
    expect_rows = page.locator("#rows-f-teacher-hours tr")
    expect_rows.nth(2).wait_for()
    page.get_by_role("button", name="评估").click()
    result = page.locator("#result")
    result.locator("p.verdict").wait_for()
    required = registry.get("guangdong", dt.date.fromisoformat(AS_OF)).parameters["school_based_hours_required"]
    row = result.locator("tr[data-rule='gd.teacher.school-based-hours']")
    assert "不通过" in row.inner_text()
    assert f"还差 {required - entered}学时" in row.inner_text()
    assert result.locator("[data-verdict]").get_attribute("data-verdict") == "fail"
    screenshot(page, "try-teacher")
    # the same teacher, explained in English
    page.goto(url + "/console/try?ruleset=guangdong&lang=en")
    page.get_by_label("As of").fill(AS_OF)
    page.get_by_role("link", name="Paste JSON").click()
    teacher = {"id": "T-FORM-1", "school_id": "GD-S00001",
               "hours": [{"category": "校本研修", "kind": "研修作业", "hours": entered, "date": "2022-05-07"}]}
    page.get_by_label("JSON").fill(json.dumps(teacher, ensure_ascii=False))
    page.get_by_role("button", name="Evaluate").click()
    row = page.locator("#result tr[data-rule='gd.teacher.school-based-hours']")
    row.wait_for()
    assert re.search(rf"{required - entered}\s*\S+ still missing", row.inner_text())
    page.goto(url + "/console/?lang=zh")  # back to Chinese for the other tests


def test_simulate_a_parameter_change_and_see_the_teachers_who_change(signed_in, served, registry, screenshot):
    from kaohe.engine import read_dataset
    from kaohe.tools import simulate

    url, _ = served
    page = signed_in
    as_of = dt.date.fromisoformat(AS_OF)
    lowered = registry.get("guangdong", as_of).parameters["school_based_hours_required"] - 5
    impact = simulate.run(registry, "guangdong", read_dataset(DATASET), as_of, [f"school_based_hours_required={lowered}"])
    expected = {c.id for c in impact.affected_teachers()}
    assert expected, "the example data should hold teachers between the two thresholds"

    page.goto(url + "/console/whatif?ruleset=guangdong")
    page.get_by_label("评估日期").fill(AS_OF)
    page.get_by_label("新取值: 校本研修应累计学时").fill(str(lowered))
    page.get_by_label("数据集 (JSON、JSON Lines 或 CSV)").set_input_files(str(DATASET))
    page.get_by_role("button", name="模拟").click()
    table = page.locator("#changed-teachers")
    table.wait_for(timeout=120_000)  # the changed revision is compiled in the server's child process
    shown = set(table.locator("tbody tr").evaluate_all("rows => rows.map(r => r.dataset.teacher)"))
    assert shown == expected
    assert "不通过→通过" in table.inner_text()
    chart = page.locator("img.chart")
    assert chart.evaluate("img => img.complete && img.naturalWidth > 100")
    screenshot(page, "whatif-guangdong")


def test_upload_a_platform_export(signed_in, served, tmp_path, screenshot):
    url, _ = served
    page = signed_in
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "姓名", "身份证号", "所属教研组", "个人提升计划", "校本研修学时", "个人提升总结", "完成情况", "考核结果", "操作"])
    sheet.append(["1", "测试教师", ID_CARD, "语文", "未上传", "0/25", "0/3", "未完成", "待考核", "通过 待审核"])
    sheet.append(["2", "王老师", "440402*******", "数学", "已上传", "25/25", "3/3", "完成", "通过", "通过"])
    export = tmp_path / "校本研修考核列表.xlsx"
    book.save(export)
    page.goto(url + "/console/try?mode=upload&ruleset=guangdong")
    page.get_by_label("评估日期").fill(AS_OF)
    page.get_by_label("导入器").select_option("guangdong-review-list")
    page.get_by_label("学校标识").fill("GD-S9")
    page.get_by_label("文件 (CSV 或 XLSX)").set_input_files(str(export))
    page.get_by_role("button", name="评估").click()
    teachers = page.locator("#result table.teachers tbody tr[data-teacher]")
    teachers.first.wait_for()
    assert teachers.count() == 2
    text = page.locator("#result").inner_text()
    assert re.search(r"从导出读取了 \d+ 条记录 \(2 行\)", text)  # the teachers, and whatever else the importer makes
    assert "测试教师" in text and "王老师" in text
    first = page.locator("#result tr[data-teacher='GD-S9-1']").inner_text()
    assert "校本研修" in first and "还差 25学时" in first  # nothing recorded of the 25 hours
    assert ID_CARD not in page.content() and ID_CARD[6:14] not in page.content()  # never echoed
    screenshot(page, "try-upload")


def test_other_pages_and_their_forms_have_labels(signed_in, served, screenshot):
    url, _ = served
    page = signed_in
    unlabelled_js = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
        .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
        .map(el => el.name || el.id)"""
    for path, name in [("/console/", "home"), ("/console/try?mode=form&level=school", "try-school"),
                       ("/console/try?mode=json", None), ("/console/try?mode=upload", None),
                       ("/console/whatif?ruleset=guangdong", None), ("/console/diff?a=national&b=guangdong", "diff"),
                       ("/console/questions", "questions"), ("/console/rulesets", None), ("/console/decisions", None)]:
        page.goto(url + path)
        assert page.evaluate(unlabelled_js) == [], path
        if name:
            screenshot(page, name)
    # the questions register filters by who decides
    page.goto(url + "/console/questions")
    everyone = page.locator("#questions tbody tr").count()
    decider = page.get_by_label("决定方")
    options = decider.locator("option").all_inner_texts()[1:]
    assert len(options) >= 2
    decider.select_option(options[0])
    page.get_by_role("button", name="筛选").click()
    some = page.locator("#questions tbody tr")
    assert 0 < some.count() < everyone
    assert all(options[0] in row for row in some.all_inner_texts())
    # the skip link is the first thing the keyboard reaches
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"


def test_no_page_asks_for_anything_from_another_host(signed_in, served, traffic, browser):
    url, _ = served
    page = signed_in
    for path in ("/console/", "/console/rulesets/guangdong", "/console/try", "/console/whatif", "/console/diff",
                 "/console/questions", "/docs", "/redoc"):
        page.goto(url + path, wait_until="networkidle")
    page.goto(url + "/docs", wait_until="networkidle")
    page.locator(".swagger-ui .info").wait_for()  # Swagger UI drew itself from the local files
    page.goto(url + "/redoc", wait_until="networkidle")
    page.locator("h1").first.wait_for()
    assert any(u.endswith("/console/static/htmx.min.js") for u in traffic.local)
    assert any(u.endswith("/swagger-ui-bundle.js") for u in traffic.local)
    assert any(u.endswith("/openapi.json") for u in traffic.local)
    assert traffic.external == []
    # the pages also forbid other hosts themselves, so a browser without this test's guard asks none either
    for path in ("/console/", "/docs", "/redoc"):
        policy = page.goto(url + path).headers.get("content-security-policy", "")
        assert "default-src 'self'" in policy and "http" not in policy, path
    # the check itself: a page that does ask for another host is caught
    page.goto("about:blank")
    page.set_content('<img src="https://cdn.example.org/x.png">')
    page.wait_for_timeout(300)
    assert traffic.external == ["https://cdn.example.org/x.png"]
    traffic.external.clear()
