"""The yearly report (年度质量报告): build (tables and figures, no I/O), then Excel and HTML renderers.

Modules
-------
``build``       :func:`build_report`: computes every table and figure (no I/O)
``layouts``     the official hand-in table layouts as data (adjust to a province's template)
``official``    official tables (计分卡, 教学资源表, 服务贡献表, 落实政策表, 国际影响表, 学生反馈表) and 摘要
``labels``      the report vocabulary (sheet names, headers, words for codes)
``settings``    definition options and indicator definitions as readable rows
``validation``  personal-data masking and the validation summary
``platform``    状态数据 collection layouts (A7-4, A7-5) per major
``excel``       workbook renderer (xlsxwriter, print-ready)
``html``        HTML renderer (Jinja2 templates in ``templates/``)
``writing``     safe output: temporary files, lock detection, backups

Tables (``Report.tables`` keys, in workbook order)
--------------------------------------------------
``summary`` 摘要 · ``scorecard`` 计分卡 · ``resources`` 教学资源表 · ``service`` 服务贡献表 ·
``policy`` 落实政策表 · ``international`` 国际影响表 · ``feedback`` 学生反馈表 · ``indicators`` 指标明细 ·
``by_group`` 分院系/分专业指标 · ``enterprise`` 合作企业贡献 · ``cohorts`` 队列比较 · ``yoy`` 年度变化 ·
``platform_*`` 状态数据 (optional) · ``definitions`` 指标定义 · ``validation`` 数据校验 ·
``accounting`` 行数核对 · ``technical`` 技术信息 (ids, raw option values) · ``about`` 说明

Examples
--------
>>> import coopmetrics as cm
>>> rep = cm.build_report(cm.sample.load_sample(), 2024)   # doctest: +SKIP
>>> rep.to_excel("报告.xlsx"); rep.to_html("报告.html")      # doctest: +SKIP
"""

from __future__ import annotations

from .build import PHASES, build_report
from .labels import NOT_SUPPLIED, SHEETS, SUPPRESSED
from .model import Report
from .settings import definitions_table, settings_table
from .validation import INFO_PROBLEMS, scrub_validation, validation_summary

__all__ = [
    "Report",
    "build_report",
    "definitions_table",
    "settings_table",
    "validation_summary",
    "scrub_validation",
    "SHEETS",
    "SUPPRESSED",
    "NOT_SUPPLIED",
    "INFO_PROBLEMS",
    "PHASES",
]
