"""Command line: ``coopmetrics report | validate | indicators`` (命令行).

A thin wrapper over the library: :func:`coopmetrics.load`,
:func:`coopmetrics.build_report` and :func:`coopmetrics.indicators`. Errors are
printed as one clear bilingual message (no traceback unless ``--debug``).

Exit codes (退出码)
-------------------
0    success; for ``validate``: no problems found
1    ``validate``: problems found (the input is usable; see the report)
2    unusable input (unreadable file, missing required column, bad option), or an output
     file open in Excel ("请先在 Excel 中关闭 … / close … in Excel")
3    unexpected internal error (please report it; ``--debug`` shows the traceback)
130  interrupted with Ctrl-C (nothing written)

Examples
--------
>>> from coopmetrics.cli import main
>>> main(["--version"])  # doctest: +ELLIPSIS
coopmetrics ...
0
"""

from __future__ import annotations

import argparse
import math
import re
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["main", "build_parser", "EXIT_OK", "EXIT_PROBLEMS", "EXIT_UNUSABLE", "EXIT_INTERNAL"]

EXIT_OK, EXIT_PROBLEMS, EXIT_UNUSABLE, EXIT_INTERNAL = 0, 1, 2, 3

_DESCRIPTION = """\
coopmetrics —— 校企合作评价指标、队列比较与年度报告
coopmetrics — indicators, cohort comparisons and yearly reports for
school–enterprise cooperation in vocational education.

子命令 / commands:
  report      生成年度报告（Excel 工作簿 + 单文件 HTML） / write the yearly report (Excel + HTML)
  validate    检查导出数据并列出问题（含 Excel 行号） / check exported files, list problems with Excel rows
  indicators  列出全部指标的定义与出处 / list every indicator with its definition and source
  partners    合作企业评估：每家企业一份企业年报数据附录 / partner scorecard, one appendix per partner
  convert     把导出的 CSV/XLSX 一次转换为 Parquet（再次运行更快） / convert exports once to typed Parquet

示例 / examples:
  coopmetrics report --year 2024 --out 报告            # 用内置样例数据 / on the shipped sample
  coopmetrics report 导出数据/ --year 2024 --out out --lang en --by major
  coopmetrics validate 导出数据/毕业生.csv
  coopmetrics indicators --lang en
  coopmetrics convert 各校导出/ --out 省级面板          # 每校一个文件夹 / one folder per college
  coopmetrics report 省级面板/ --per college --year 2024 --out 各校报告

退出码 / exit codes: 0 成功 ok · 1 发现数据问题 problems found (validate) ·
2 输入不可用或报告文件被占用 unusable input or output open in Excel · 3 内部错误 internal error ·
130 已中断 interrupted (Ctrl-C)
"""

_REPORT_HELP = """\
生成年度报告：Excel 工作簿和一个可直接打开的 HTML 文件（图表内嵌）。工作簿依次为：摘要、计分卡、
教学资源表、服务贡献表、落实政策表、国际影响表、学生反馈表（按质量年报格式，每项一行、两个届别并列，
未提供输入的项目写“未提供数据”），然后是指标明细、分组指标、合作企业贡献、队列比较、年度变化、
指标定义、数据校验、技术信息和说明。每个工作表均可直接按 A4 横向打印。不给 DATA 时使用内置样例数据。

数字默认精确：人数、金额和比例不取整、不抑制，与上报状态数据平台的数字一致。只有对外公开发布时才用
“--publish 公开”：人数取整到5，人数太少的单元格不公布（标为“<抑制>”）。

已有同名报告时，旧文件改名保留为备份（…备份-时间.xlsx）；加 --force 则直接覆盖。报告文件在 Excel 中
打开时无法写入：请先关闭后再运行。按 Ctrl-C 可随时中断，不会留下写了一半的文件。

Write the yearly report: an Excel workbook and one self-contained HTML file (plots embedded). The
workbook has a summary, the official 质量年报 tables (scorecard, teaching resources, service
contribution, policy implementation, international influence, student feedback: one row per item,
two cohorts side by side, "no data supplied" where an input is missing), then details, breakdowns,
partner firms, cohort comparisons, year-over-year changes, definitions, validation, a technical
sheet and the about sheet; every sheet prints on A4 landscape. Figures are exact by default;
--publish public rounds counts to 5 and withholds small cells for a public release. An existing
report is kept as a backup unless --force. Without DATA the shipped sample is used.

口径选项 / definition options: 官方文件未明确、标为未核实 [U] 的口径可在此改选，所选口径写入报告的
“说明”工作表（键、值、状态、如何更改）。默认值与 Python 的 coopmetrics.registry.Options() 相同。
Definitions graded unverified [U] can be chosen here; the choice is written to the report's 说明 (About)
sheet. Defaults are those of coopmetrics.registry.Options().

示例 / examples:
  coopmetrics report --year 2024 --out 报告
  coopmetrics report exports/ --year 2023 --out out --lang en --profile moe_2024 --publish public
  coopmetrics report exports/ --year 2024 --platform --force
  coopmetrics report exports/ --year 2024 --dual 2004_evaluation --top-box 3 --weights none
  coopmetrics report exports/ --year 2024 --practice-days 183 --pay-rule 2016 --weights column

省级报告 / provincial report: “--per college”对面板数据（coopmetrics convert 的输出、每校一个导出文件夹，
或毕业生表含学校名称列的文件夹）每所学校各写一个工作簿（文件名为学校名称），指标对全部学校只计算一次；
“--combined”改为写一个汇总工作簿（每表加学校列）。省级报告默认不写 HTML、不做合作企业评估（费时），
需要时加 --html / --partners。“--by”仍是每份报告内部的分组。
--per college writes one workbook per college of a panel (a folder written by coopmetrics convert,
one export folder per college, or a folder whose graduates have a college column), named after
the college; every indicator is computed once for all colleges. --combined writes one workbook
instead (a college column in every table). HTML and the partner evaluation are off on this route
(they cost time per college): add --html / --partners. --by stays the breakdown inside a report.
  coopmetrics report 省级面板/ --per college --year 2024 --out 各校报告
  coopmetrics report 省级面板/ --per college --combined --out 汇总
"""

_CONVERT_HELP = """\
把导出的文件（一个文件、一所学校的文件夹，或每校一个子文件夹的文件夹）读入、校验（个人信息按 load 的规则
删除或哈希），每张表写成一个带类型的 Parquet 文件，并保存校验报告与行数核对；之后 report / validate
直接读取 Parquet，不再重复校验，速度快得多。
Read exports (a file, one college's folder, or a folder with one sub-folder per college), validate
them (personal data dropped or hashed as load does) and write each table as typed Parquet with the
validation report and row accounting beside it; report / validate then read the Parquet directly.

示例 / examples:
  coopmetrics convert 导出数据/ --out 数据parquet
  coopmetrics convert 各校导出/ --out 省级面板 --force
"""

_VALIDATE_HELP = """\
读取导出的文件（文件夹、工作簿或单个 CSV/XLSX），列出发现的问题（文件、工作表、Excel 行号、列、问题）
和逐表的行数核对。退出码：0 无问题，1 发现问题，2 输入不可用（文件无法读取、缺少必需列）。

Read exported files (a folder, a workbook or one CSV/XLSX file) and list the problems found
(file, sheet, Excel row, column, problem) with row accounting per table. Exit code 0 clean,
1 problems found, 2 unusable input (unreadable file, missing required column).

示例 / examples:
  coopmetrics validate 导出数据/
  coopmetrics validate 毕业生.csv --all
"""

_INDICATORS_HELP = """\
列出指标注册表：编号、中英文名称、单位、分子、分母、口径版本和出处。
List the indicator registry: id, Chinese and English names, unit, numerator, denominator,
definition edition and source.

示例 / examples:
  coopmetrics indicators
  coopmetrics indicators --lang en --csv indicators.csv
"""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keep the bilingual paragraphs as written and show defaults."""


# argparse writes its usage errors in English; each gets a Chinese line above it. Patterns cover
# the messages argparse (3.11-3.13) produces for this parser; anything else gets a generic line.
_USAGE_ZH: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"argument (\S+): invalid choice: (.+?) \(choose from (.+)\)$"), r"参数 \1 的取值 \2 无效（可选：\3）"),
    (re.compile(r"argument (\S+): invalid int value: (.+)$"), r"参数 \1 的取值 \2 无效：应为整数"),
    (re.compile(r"argument (\S+): must be a positive number, got (.+)$"), r"参数 \1 必须是正数，收到 \2"),
    (re.compile(r"argument (\S+): expected one argument$"), r"参数 \1 后面需要一个取值"),
    (re.compile(r"the following arguments are required: (.+)$"), r"缺少必需的参数：\1"),
    (re.compile(r"unrecognized arguments: (.+)$"), r"无法识别的参数：\1"),
)


def _usage_zh(message: str) -> str:
    for pattern, zh in _USAGE_ZH:
        if pattern.match(message):
            return pattern.sub(zh, message)
    return "命令行参数有误（详见下一行英文说明）"


class _Parser(argparse.ArgumentParser):
    """ArgumentParser whose usage errors are bilingual (exit code 2, no traceback)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_UNUSABLE, f"{self.prog}: 错误：{_usage_zh(message)}\n{self.prog}: error: {message}\n")


def _positive_number(text: str) -> int | float:
    """argparse type of ``--practice-days``: a positive finite number (whole numbers kept as int)."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return int(value) if value.is_integer() else value


#: ``--publish`` choice -> disclosure preset of :func:`coopmetrics.build_report`.
PUBLISH: dict[str, str] = {"内部": "none", "internal": "none", "公开": "hesa", "public": "hesa"}
EXIT_INTERRUPTED = 130

#: ``--top-box`` choice -> satisfied levels (scores) used for every survey kind.
TOP_BOX: dict[int, tuple[int, ...]] = {2: (5, 4), 3: (5, 4, 3)}
#: ``--weights`` choice -> ``Options.survey_weights``.
WEIGHTS: dict[str, str | None] = {"raking": "raking", "column": "column", "none": None}


def _option_default(name: str) -> Any:
    from .registry import Options

    return Options.__dataclass_fields__[name].default


def _add_definition_options(rep: argparse.ArgumentParser) -> None:
    """The ``report`` switches that set :class:`coopmetrics.registry.Options` fields."""
    from .registry import DUAL_DEFINITIONS, PAY_RULES

    grp = rep.add_argument_group(
        "口径选项 / definition options",
        "未核实 [U] 的口径可改选；所选口径写入报告的“说明”工作表。\n"
        "Unverified [U] definitions are selectable; the choice is shown in the 说明 (About) sheet.")
    grp.add_argument("--profile", choices=["moe_2021", "moe_2024", "legacy"], default=_option_default("profile"),
                     help="毕业去向代码归类口径（moe_2024 为暂定 [U]） / destination-code profile "
                          "(default: %(default)s; moe_2024 is provisional)")
    grp.add_argument("--dual", choices=list(DUAL_DEFINITIONS), default=_option_default("dual_definition"),
                     help="双师认定口径：school_flag = 导出数据的“是否双师素质教师”标记；2004_evaluation = "
                          "按2004评估方案条件由教师信息计算（讲师及以上且满足一项行业条件，暂定 [U]）；"
                          "2022_standard = 按2022标准认定的等级（暂定 [U]） / 双师 definition: the export's "
                          "flag; the 2004 evaluation conditions computed from teacher columns (provisional); "
                          "a certified level under the 2022 standard (provisional) (default: %(default)s)")
    grp.add_argument("--practice-days", type=_positive_number, default=_option_default("practice_days"),
                     metavar="N",
                     help="企业实践达标天数（5年累计，“6个月”折算为天数，[U]） / days of enterprise practice "
                          "in five years that meet the six-month rule (positive number; default: %(default)s)")
    grp.add_argument("--pay-rule", choices=list(PAY_RULES), default=_option_default("pay_rule"),
                     help="实习报酬合规规则：2021 = 不低于相同岗位工资的80%%或最低档工资；2016 = 不低于试用期"
                          "工资的80%% / internship pay rule: 2021 = at least 80%% of the post wage or the "
                          "lowest-grade wage; 2016 = at least 80%% of the probation wage (default: %(default)s)")
    default_weights = next(k for k, v in WEIGHTS.items() if v == _option_default("survey_weights"))
    grp.add_argument("--weights", choices=list(WEIGHTS), default=default_weights,
                     help="问卷加权：raking = 按毕业生名册边际加权；column = 使用问卷数据自带的权重列（权重/weight）；"
                          "none = 不加权 / survey weighting: rake to the graduate roster's margins; the survey "
                          "table's own weight column; unweighted (default: %(default)s)")
    grp.add_argument("--top-box", type=int, choices=sorted(TOP_BOX), default=None,
                     help="所有问卷计为“满意”的选项：2 = 很满意+满意（5、4分，麦可思2014口径）；3 = 再加基本满意/一般"
                          "（3分，[U]） / satisfied levels for every survey: 2 = scores 5 and 4 (top-2-box, MyCOS "
                          "2014); 3 = also score 3 (default: 2, as Options())")


def _version() -> str:
    from . import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    """Return the ``coopmetrics`` argument parser (used by :func:`main` and the docs).

    Examples
    --------
    >>> p = build_parser()
    >>> p.parse_args(["report", "--year", "2024"]).year
    2024
    """
    parser = _Parser(prog="coopmetrics", description=_DESCRIPTION, formatter_class=_Formatter)
    parser.add_argument("--version", action="store_true", help="显示版本 / show the version and exit")
    common = _Parser(add_help=False)
    common.add_argument("--debug", action="store_true",
                        help="出错时显示完整回溯 / show the full traceback on errors")
    common.add_argument("-q", "--quiet", action="store_true",
                        help="不显示进度条 / no progress bar")
    sub = parser.add_subparsers(dest="command", metavar="{report,validate,indicators,partners,convert}")

    rep = sub.add_parser("report", parents=[common], description=_REPORT_HELP, formatter_class=_Formatter,
                         help="生成年度报告 / write the yearly report")
    rep.add_argument("data", nargs="?", default=None,
                     help="导出数据（文件夹、工作簿或文件）；省略则用样例 / exported data; default the sample")
    rep.add_argument("--year", type=int, default=None,
                     help="报告年份（毕业届别）；默认数据中最新年份 / report year; default the latest in the data")
    rep.add_argument("--out", default="coopmetrics-report",
                     help="输出文件夹 / output folder (default: %(default)s)")
    rep.add_argument("--lang", choices=["zh", "en"], default="zh", help="语言 / language (default: %(default)s)")
    rep.add_argument("--by", choices=["department", "major"], default="department",
                     help="分组 / breakdown (default: %(default)s)")
    rep.add_argument("--publish", choices=list(PUBLISH), default="内部",
                     help="发布范围：内部/internal = 精确数字（默认，学校自用与上报）；公开/public = 对外公开发布，"
                          "人数取整到5、人数太少的单元格不公布 / audience: internal = exact figures (default); "
                          "public = counts rounded to 5 and small cells withheld (default: %(default)s)")
    rep.add_argument("--disclosure", choices=["none", "hesa", "min_n"], default=None,
                     help="高级：直接指定披露规则（覆盖 --publish）；none = 精确，hesa = 取整并抑制，min_n = 只抑制 / "
                          "advanced: the disclosure preset itself (overrides --publish)")
    rep.add_argument("--force", action="store_true",
                     help="覆盖已有报告，不保留备份 / overwrite an existing report without keeping a backup")
    rep.add_argument("--platform", action="store_true",
                     help="另加状态数据采集格式的工作表（A7-4 岗位实习、A7-5 校企合作，按专业） / also write the state "
                          "data platform layouts (A7-4 internships, A7-5 partnerships, per major)")
    rep.add_argument("--salt", default=None,
                     help="个人信息列哈希用的盐 / salt for hashing personal-data columns at load time")
    grp = rep.add_argument_group("省级报告 / provincial report")
    grp.add_argument("--per", choices=["college"], default=None,
                     help="每所学校各写一份报告 / one report per college of a panel")
    grp.add_argument("--combined", action="store_true",
                     help="与 --per 同用：写一个汇总工作簿 / with --per: one combined workbook")
    grp.add_argument("--html", action="store_true",
                     help="与 --per 同用：每校另写 HTML（含图表，较慢） / with --per: also HTML per college (slower)")
    grp.add_argument("--partners", action="store_true",
                     help="与 --per 同用：每校做合作企业评估（较慢） / with --per: partner evaluation per college")
    _add_definition_options(rep)

    con = sub.add_parser("convert", parents=[common], description=_CONVERT_HELP, formatter_class=_Formatter,
                         help="转换为 Parquet / convert exports to Parquet")
    con.add_argument("src", help="导出数据（文件或文件夹） / exported data (file or folder)")
    con.add_argument("--out", required=True, help="输出文件夹 / output folder")
    con.add_argument("--force", action="store_true",
                     help="替换已有的转换结果 / replace an earlier conversion in --out")
    con.add_argument("--salt", default=None, help="个人信息列哈希用的盐 / salt for hashing personal-data columns")

    val = sub.add_parser("validate", parents=[common], description=_VALIDATE_HELP, formatter_class=_Formatter,
                         help="检查数据 / check exported data")
    val.add_argument("data", help="导出数据 / exported data (folder, workbook or file)")
    val.add_argument("--all", action="store_true", help="列出全部问题（默认前 30 条） / list every problem")
    val.add_argument("--csv", default=None, help="把校验报告写到 CSV / also write the validation report to CSV")

    ind = sub.add_parser("indicators", parents=[common], description=_INDICATORS_HELP,
                         formatter_class=_Formatter, help="列出指标 / list indicators")
    ind.add_argument("--lang", choices=["zh", "en"], default="zh", help="语言 / language (default: %(default)s)")
    ind.add_argument("--csv", default=None, help="写到 CSV / also write the registry to CSV")
    _add_partners_parser(sub, common)
    return parser


# --- commands ------------------------------------------------------------------------------------

def _progress_enabled(args: argparse.Namespace) -> bool:
    return not args.quiet and sys.stderr.isatty()


def _load(path: str | None, salt: str | None = None) -> Any:
    from . import sample
    from .io import load

    if path is None:
        loader = getattr(sample, "load_sample", None)
        return loader() if loader is not None else load(sample.SAMPLE_DIR)
    p = Path(path)
    if not p.exists():
        from .errors import InputError

        raise InputError(f"找不到文件或文件夹：{p}", f"file or folder not found: {p}", file=str(p))
    from .convert import is_converted, open_converted

    if is_converted(p):  # written by `coopmetrics convert`: typed Parquet, validated once already
        return open_converted(p)
    return load(p, salt=salt) if salt is not None else load(p)


def _options(args: argparse.Namespace) -> Any:
    """The :class:`coopmetrics.registry.Options` chosen by the ``report`` switches.

    Examples
    --------
    >>> o = _options(build_parser().parse_args(["report", "--dual", "2004_evaluation", "--top-box", "3"]))
    >>> o.dual_definition, o.satisfied_levels["school"], o.survey_weights
    ('2004_evaluation', (5, 4, 3), 'raking')
    """
    from .registry import DEFAULT_SATISFIED, Options

    kw: dict[str, Any] = {"profile": args.profile, "dual_definition": args.dual,
                          "practice_days": args.practice_days, "pay_rule": args.pay_rule,
                          "survey_weights": WEIGHTS[args.weights]}
    if args.top_box is not None:  # unset: keep the Options default levels, whatever they are
        kw["satisfied_levels"] = {kind: TOP_BOX[args.top_box] for kind in DEFAULT_SATISFIED}
    return Options(**kw)


def _progress(args: argparse.Namespace) -> Any:
    """One progress display over every phase of a report run (load, compute, compare, plots, write).

    Returns a callable taking a phase id (see :data:`coopmetrics.report.PHASES`) and a
    ``close`` function; a no-op pair when progress is off (``--quiet`` or not a terminal).
    """
    from .report import PHASES

    if not _progress_enabled(args):
        return (lambda phase: None), (lambda: None)
    from tqdm import tqdm

    words = {k: zh for k, zh, _ in PHASES}
    bar = tqdm(total=len(PHASES), desc="生成报告", unit="步", leave=False, file=sys.stderr,
               bar_format="{desc}: {n_fmt}/{total_fmt} 步 {bar} {postfix}")
    seen: list[str] = []

    def step(phase: str) -> None:
        if seen:
            bar.update(1)
        seen.append(phase)
        bar.set_postfix_str(words.get(phase, phase))

    def close() -> None:
        bar.update(bar.total - bar.n)
        bar.close()

    return step, close


def _cmd_report(args: argparse.Namespace) -> int:
    if args.per is not None:
        return _cmd_report_panel(args)
    if args.combined or args.html or args.partners:
        from .errors import InputError

        raise InputError("--combined、--html、--partners 只能与 --per college 同用",
                         "--combined, --html and --partners go with --per college only")
    from .report import build_report
    from .report.writing import check_targets, write_all

    out = Path(args.out)
    disclosure = args.disclosure or PUBLISH[args.publish]
    stem = f"coopmetrics_{args.year if args.year is not None else '{year}'}_{'报告' if args.lang == 'zh' else 'report'}"
    # fail fast: a workbook left open in Excel stops the run before any work (without --year, every
    # earlier report in the folder is checked, since the year is known only after loading)
    first = [out / f"{stem}.xlsx", out / f"{stem}.html"] if args.year is not None else sorted(
        out.glob(f"coopmetrics_*_{'报告' if args.lang == 'zh' else 'report'}.*"))
    check_targets([p for p in first if p.suffix in (".xlsx", ".html")])
    step, close = _progress(args)
    try:
        step("load")
        data = _load(args.data, args.salt)
        report = build_report(data, args.year, by=args.by, lang=args.lang, options=_options(args),
                              disclosure=disclosure, progress=step, platform=args.platform)
        report.render_figures()  # still the figure phase of the progress display
        stem = stem.replace("{year}", str(report.year))
        xlsx, html = out / f"{stem}.xlsx", out / f"{stem}.html"
        check_targets([xlsx, html])
        step("write")
        result = write_all({xlsx: report.to_excel, html: report.to_html}, force=args.force)
    finally:
        close()
    print(f"已写出 / written:\n  {xlsx}\n  {html}")
    for target, backup in result.backups.items():
        print(f"原有报告已备份为 / previous report kept as backup: {backup.name}  ({target.name})")
    for target in result.overwritten:
        print(f"已覆盖原有报告（--force） / previous report overwritten (--force): {target.name}")
    if disclosure != "none":
        print("注意：这是对外公开版（人数取整、小单元格不公布），不要用于上报 / note: public-release version "
              "(rounded, small cells withheld); do not submit it as the college's figures")
    return EXIT_OK


def _cmd_validate(args: argparse.Namespace) -> int:
    from .report import validation_summary

    data = _load(args.data)
    text, problems = validation_summary(data, limit=None if args.all else 30)
    print(text)
    if args.csv:
        from .report import scrub_validation
        from .validation import ValidationReport

        ValidationReport(scrub_validation(data.validation)).to_csv(args.csv)  # atomic, =+-@ escaped, backup
        print(f"校验报告已写出 / validation report written: {args.csv}")
    return EXIT_PROBLEMS if problems else EXIT_OK


def _cmd_indicators(args: argparse.Namespace) -> int:
    from .plots import unit_label
    from .report import definitions_table

    table = definitions_table(lang=args.lang)
    zh = args.lang == "zh"
    labels = (("分子", "分母", "口径", "目标", "出处") if zh
              else ("numerator", "denominator", "edition", "target", "source"))
    for rec in table.to_dict("records"):
        name = rec["name_zh"] if zh else rec["name_en"]
        other = rec["name_en"] if zh else rec["name_zh"]
        grade = f" [{rec['grade']}]" if rec.get("grade") else ""
        prov = (" 暂定" if zh else " provisional") if rec.get("provisional") is True else ""
        print(f"{rec['indicator']}  {name} / {other}  ({unit_label(rec['unit'], args.lang)}, {rec['kind']}, "
              f"{rec['table']}){grade}{prov}")
        for label, key in zip(labels, ("numerator", "denominator", "edition", "target", "source"), strict=True):
            value = rec.get(key)
            if value is None or (isinstance(value, float) and value != value) or value == "":
                continue
            print(f"    {label}: {value}")
    print(f"共 {len(table)} 个指标 / {len(table)} indicators")
    if args.csv:
        table.to_csv(args.csv, index=False, encoding="utf-8-sig")
        print(f"已写出 / written: {args.csv}")
    return EXIT_OK


# --- partners (issue 13): one self-contained block ------------------------------------------------

def _add_partners_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    par = sub.add_parser("partners", parents=[common], formatter_class=_Formatter,
                         description="为每家合作企业写出企业年报数据附录（投入、学生、成效、服务，附全校水平） / "
                                     "write one enterprise annual-report data appendix per partner",
                         help="合作企业评估与企业年报附录 / partner scorecard and appendices")
    par.add_argument("data", nargs="?", default=None,
                     help="导出数据（文件夹、工作簿或文件）；省略则用样例 / exported data; default the sample")
    par.add_argument("--year", type=int, default=None, help="年份；默认台账最新年份 / year; default the latest")
    par.add_argument("--out", default="coopmetrics-partners", help="输出文件夹 / output folder (default: %(default)s)")
    par.add_argument("--lang", choices=["zh", "en"], default="zh", help="语言 / language (default: %(default)s)")
    par.add_argument("--salt", default=None, help="个人信息列哈希用的盐 / salt for hashing personal-data columns")


def _cmd_partners(args: argparse.Namespace) -> int:
    from .partners import partner_scorecard
    from .partners.appendix import write_appendices
    from .partners.measures import _pandas

    data = _load(args.data, args.salt)
    year = args.year if args.year is not None else int(_pandas(data["enterprises"])["year"].max())
    sc = partner_scorecard(data, year)
    out = Path(args.out)
    paths = write_appendices(sc, out, year=year, lang=args.lang)
    table = out / (f"{year}_合作企业评估.csv" if args.lang == "zh" else f"{year}_partner_scorecard.csv")
    sc.table.to_csv(table, index=False, encoding="utf-8-sig")
    print(sc.summary(args.lang))
    print(f"已写出 {len(paths)} 个企业附录和评估表 / wrote {len(paths)} partner appendices and the scorecard:\n"
          f"  {out}\n  {table}")
    return EXIT_OK


def _cmd_convert(args: argparse.Namespace) -> int:
    from .convert import convert

    res = convert(args.src, args.out, overwrite=args.force, **({"salt": args.salt} if args.salt else {}))
    print(res.summary())
    print(f"已写出 / written: {res.folder}  ({', '.join(f'{t} {n:,}' for t, n in res.rows.items())})")
    return EXIT_OK


def _panel_progress(args: argparse.Namespace) -> Any:
    """One progress display for the provincial report: load, compute, compare, then one step per college."""
    if not _progress_enabled(args):
        return (lambda phase, college=None: None), (lambda: None), (lambda n: None)
    from tqdm import tqdm

    from .report import PHASES

    words = {k: f"{zh} / {en}" for k, zh, en in PHASES}
    bar = tqdm(total=3, desc="各校报告 / reports", unit="步", leave=False, file=sys.stderr)

    def step(phase: str, college: str | None = None) -> None:
        if bar.n or phase != "load":
            bar.update(1)
        bar.set_postfix_str(college or words.get(phase, phase))

    def close() -> None:
        bar.update(max(bar.total - bar.n, 0))
        bar.close()

    def total(n: int) -> None:
        bar.total = 3 + n
        bar.refresh()

    return step, close, total


def _cmd_report_panel(args: argparse.Namespace) -> int:
    """``report PANEL --per college``: one workbook per college (or one combined), computed once."""
    import warnings

    from .report.panel import (
        build_college_reports,
        colleges_of,
        combined_tables,
        load_panel,
        safe_filename,
        write_workbooks,
    )
    from .report.writing import check_targets, write_all

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    disclosure = args.disclosure or PUBLISH[args.publish]
    step, close, total = _panel_progress(args)
    written: list[Path] = []
    with warnings.catch_warnings(record=True) as caught:  # printed once as messages, not as warnings
        warnings.simplefilter("always")
        try:
            step("load")
            if args.data is None:
                from .errors import InputError

                raise InputError("--per college 需要面板数据文件夹", "--per college needs a panel folder (DATA)")
            data = load_panel(args.data, split=args.per, salt=args.salt)
            total(len(colleges_of(data, args.per)))
            reports = build_college_reports(
                data, args.year, split=args.per, by=args.by, lang=args.lang, options=_options(args),
                disclosure=disclosure, platform=args.platform, partners=args.partners, figures=args.html,
                progress=step)
            if args.combined:
                written += _write_combined(list(reports), out, args, check_targets, combined_tables)
            elif not args.html:  # workbooks only: written by two worker processes while the next are built
                names = colleges_of(data, args.per)
                check_targets([out / f"{safe_filename(c)}.xlsx" for c in names])
                written += write_workbooks(reports, out, workers=2, force=args.force)
            else:
                for rep in reports:  # written as built: memory holds one college's report
                    stem = safe_filename(rep.college)
                    targets = {out / f"{stem}.xlsx": rep.to_excel}
                    if args.html:
                        rep.render_figures()
                        targets[out / f"{stem}.html"] = rep.to_html
                    check_targets(list(targets))
                    written += write_all(targets, force=args.force).written
        finally:
            close()
    for w in caught:
        print(f"注意 / note: {w.message}", file=sys.stderr)
    print(f"已写出 {len(written)} 个文件 / wrote {len(written)} file(s) to {out}")
    for path in written[:5]:
        print(f"  {path.name}")
    if len(written) > 5:
        print(f"  … (+{len(written) - 5})")
    return EXIT_OK


def _write_combined(reports: list[Any], out: Path, args: argparse.Namespace, check_targets: Any,
                    combined_tables: Any) -> list[Path]:
    """One workbook: each report table once, every college's rows stacked under a college column."""
    from .report.writing import write_all

    if not reports:
        return []
    first = reports[0]
    tables = combined_tables(reports, args.per)
    name = f"汇总_{first.year}.xlsx" if args.lang == "zh" else f"combined_{first.year}.xlsx"
    target = out / name
    check_targets([target])

    def write(path: Path) -> None:
        with pd_excel_writer(path) as xl:
            for key, frame in tables.items():
                cols = {c: ("学校" if args.lang == "zh" else "College") if c == args.per else first.header(c, key)
                        for c in frame.columns if not str(c).startswith("_")}
                frame[list(cols)].rename(columns=cols).to_excel(xl, sheet_name=first.sheet_name(key)[:31],
                                                                index=False)

    return write_all({target: write}, force=args.force).written


def pd_excel_writer(path: Path) -> Any:
    """A pandas Excel writer on xlsxwriter (imported on use)."""
    import pandas as pd

    return pd.ExcelWriter(path, engine="xlsxwriter")


_COMMANDS = {"report": _cmd_report, "validate": _cmd_validate, "indicators": _cmd_indicators,
             "partners": _cmd_partners, "convert": _cmd_convert}


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (the console script exits with it).

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 success, 1 problems found by ``validate``, 2 unusable input, 3 internal error.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors and 0 on --help
        return int(exc.code or 0)
    if args.version:
        print(f"coopmetrics {_version()}")
        return EXIT_OK
    if args.command is None:
        parser.print_help()
        return EXIT_UNUSABLE
    from .errors import CoopmetricsError

    try:
        return _COMMANDS[args.command](args)
    except CoopmetricsError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"错误 / error:\n{exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except (OSError, UnicodeDecodeError) as exc:
        if args.debug:
            traceback.print_exc()
        name = getattr(exc, "filename", None) or ""
        print(f"错误：无法读取或写入文件 {name}\nerror: cannot read or write {name}: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except KeyboardInterrupt:  # Ctrl-C: one line, no traceback; write_all() left no partial file
        print("\n已中断，未写出任何文件 / interrupted, nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the CLI turns every failure into one message
        if args.debug:
            traceback.print_exc()
        print(f"内部错误（请报告此问题，加 --debug 查看回溯）：{type(exc).__name__}: {exc}\n"
              f"internal error (please report it; run with --debug for the traceback): "
              f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
