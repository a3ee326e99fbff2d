"""Request examples for the OpenAPI document, taken verbatim from examples/guangdong/dataset.json.

School GD-S00002 (湛江市示例第二中学) with three of its teachers: 冯玉 (GD-S00002-T0001, 24 h of
school-based research: fails the hours rule), 龙丽 (GD-S00002-T0008, point assessment 待考核:
fails it) and 马磊 (GD-S00002-T0012, meets every rule); and its county, 赤坎区 (440802).
tests/api/test_openapi.py checks they still equal the dataset's records and still validate.
"""

from __future__ import annotations

EXAMPLE_SCHOOL = {'id': 'GD-S00002',
 'name': '湛江市示例第二中学',
 'county_id': '440802',
 'city_id': '440800',
 'province_id': '440000',
 'is_pilot': False,
 'environment': '多技术融合',
 'management_team': [{'name': '校长2', 'role': '校长', 'is_principal': True, 'is_leader': True},
                     {'name': '主任2', 'role': '教学主任'}],
 'documents': [{'kind': '校本研修计划与考核方案', 'filed_on': '2022-05-10'}],
 'research_groups': [{'name': '语文组', 'leader': '组长语文', 'materials': ['研修计划', '教学设计', '教学视频', '教学反思']},
                     {'name': '数学组', 'materials': ['研修计划']}],
 'evidence': ['学校信息化管理团队成员及其责任分工',
              '学校信息化环境和教师应用现状',
              '学校信息化发展规划',
              '混合式校本研修计划',
              '校长动员讲话稿',
              '教研组活动计划',
              '教师个人研修计划',
              '学校信息化管理制度与运作流程',
              '教师信息化应用选学选测办法',
              '教师信息化应用选学选测问题解决',
              '教师信息化应用能力测评结果分析',
              '教师信息化应用能力测评优秀作品',
              '学校信息化资源库建设目录'],
 'self_score': None,
 'teachers': [{'id': 'GD-S00002-T0001',
               'school_id': 'GD-S00002',
               'name': '冯玉',
               'stage': '小学',
               'subject': '地理',
               'full_time': True,
               'ability_points': ['GD:B2', 'GD:G4', 'GD:B1'],
               'hours': [{'category': '校本研修', 'kind': '研修作业', 'hours': 5, 'date': '2022-04-22'},
                         {'category': '校本研修', 'kind': '听课评课', 'hours': 5, 'date': '2022-04-28'},
                         {'category': '校本研修', 'kind': '线下活动', 'hours': 8, 'date': '2022-05-02'},
                         {'category': '校本研修', 'kind': '教学研讨', 'hours': 2, 'date': '2022-05-07'},
                         {'category': '校本研修', 'kind': '教学研讨', 'hours': 2, 'date': '2022-05-09'},
                         {'category': '校本研修', 'kind': '教学研讨', 'hours': 2, 'date': '2022-05-13'}],
               'artefacts': [{'kind': '提升计划', 'file_name': '冯玉教师信息技术应用能力提升计划.docx', 'format': 'docx', 'size_kb': 300},
                             {'kind': '提升总结',
                              'point': 'GD:B2',
                              'file_name': 'B2提升总结.doc',
                              'format': 'doc',
                              'size_kb': 1635},
                             {'kind': '提升总结',
                              'point': 'GD:G4',
                              'file_name': 'G4提升总结.docx',
                              'format': 'docx',
                              'size_kb': 1663},
                             {'kind': '提升总结',
                              'point': 'GD:B1',
                              'file_name': 'B1提升总结.pdf',
                              'format': 'pdf',
                              'size_kb': 1396}],
               'assessments': [{'kind': '应用能力点测评', 'point': 'GD:B2', 'result': '合格'}],
               'research_group': '语文组'},
              {'id': 'GD-S00002-T0008',
               'school_id': 'GD-S00002',
               'name': '龙丽',
               'stage': '小学',
               'subject': '生物',
               'full_time': True,
               'ability_points': ['GD:B2', 'GD:G6', 'GD:B1'],
               'hours': [{'category': '校本研修', 'kind': '教学研讨', 'hours': 2, 'date': '2022-04-24'},
                         {'category': '校本研修', 'kind': '研修作业', 'hours': 5, 'date': '2022-04-26'},
                         {'category': '校本研修', 'kind': '教学研讨', 'hours': 2, 'date': '2022-05-01'},
                         {'category': '校本研修', 'kind': '听课评课', 'hours': 5, 'date': '2022-05-03'},
                         {'category': '校本研修', 'kind': '听课评课', 'hours': 5, 'date': '2022-05-08'},
                         {'category': '校本研修', 'kind': '研修作业', 'hours': 5, 'date': '2022-05-09'},
                         {'category': '校本研修', 'kind': '教学研讨', 'hours': 2, 'date': '2022-05-12'}],
               'artefacts': [{'kind': '提升计划', 'file_name': '龙丽教师信息技术应用能力提升计划.docx', 'format': 'docx', 'size_kb': 99},
                             {'kind': '提升总结',
                              'point': 'GD:B2',
                              'file_name': 'B2提升总结.pdf',
                              'format': 'pdf',
                              'size_kb': 1028},
                             {'kind': '提升总结',
                              'point': 'GD:G6',
                              'file_name': 'G6提升总结.doc',
                              'format': 'doc',
                              'size_kb': 905},
                             {'kind': '提升总结',
                              'point': 'GD:B1',
                              'file_name': 'B1提升总结.doc',
                              'format': 'doc',
                              'size_kb': 733}],
               'assessments': [{'kind': '应用能力点测评', 'point': 'GD:B2', 'result': '待考核'}],
               'research_group': '语文组'},
              {'id': 'GD-S00002-T0012',
               'school_id': 'GD-S00002',
               'name': '马磊',
               'stage': '初中',
               'subject': '英语',
               'full_time': True,
               'ability_points': ['GD:B2', 'GD:G4', 'GD:B1', 'GD:G6'],
               'hours': [{'category': '校本研修', 'kind': '线下活动', 'hours': 10, 'date': '2022-04-22'},
                         {'category': '校本研修', 'kind': '听课评课', 'hours': 5, 'date': '2022-04-28'},
                         {'category': '校本研修', 'kind': '研修作业', 'hours': 5, 'date': '2022-04-29'},
                         {'category': '校本研修', 'kind': '听课评课', 'hours': 5, 'date': '2022-04-30'}],
               'artefacts': [{'kind': '提升计划', 'file_name': '马磊教师信息技术应用能力提升计划.docx', 'format': 'docx', 'size_kb': 305},
                             {'kind': '提升总结',
                              'point': 'GD:B2',
                              'file_name': 'B2提升总结.doc',
                              'format': 'doc',
                              'size_kb': 1997},
                             {'kind': '提升总结',
                              'point': 'GD:G4',
                              'file_name': 'G4提升总结.docx',
                              'format': 'docx',
                              'size_kb': 51},
                             {'kind': '提升总结',
                              'point': 'GD:B1',
                              'file_name': 'B1提升总结.docx',
                              'format': 'docx',
                              'size_kb': 549},
                             {'kind': '提升总结',
                              'point': 'GD:G6',
                              'file_name': 'G6提升总结.doc',
                              'format': 'doc',
                              'size_kb': 662}],
               'assessments': [{'kind': '应用能力点测评', 'point': 'GD:B2', 'result': '合格'}],
               'research_group': '语文组'}]}

EXAMPLE_REGION = {'id': '440802',
 'level': 'county',
 'name': '赤坎区',
 'documents': [{'kind': '验收与考核方案', 'filed_on': '2022-09-01'},
               {'kind': '整校推进评估指标', 'filed_on': '2022-05-20'},
               {'kind': '校本应用考核实施细则', 'filed_on': '2022-05-20'},
               {'kind': '学校整校推进考核电子档案', 'filed_on': '2022-06-01'}]}

EXAMPLE_TEACHER = EXAMPLE_SCHOOL["teachers"][0]
EXAMPLE_TEACHER_PASSING = EXAMPLE_SCHOOL["teachers"][2]
EXAMPLE_AS_OF = "2022-12-31"

# a changed revision for the simulation example: a city ruleset over Guangdong's, asking 30 hours
EXAMPLE_CHANGED_RULESET = """\
kaohe: 1
id: zhanjiang
extends: guangdong
version: "2022.1"
title:
  zh: 湛江市校本研修考核
  en: Zhanjiang school-based assessment
jurisdiction:
  level: city
  name: {zh: 湛江市, en: Zhanjiang}
effective:
  from: "2022-01-01"
parameters:
  school_based_hours_required:
    value: 30
  school_based_hours_cap:
    value: 30
"""
