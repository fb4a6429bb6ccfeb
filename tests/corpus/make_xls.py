"""Make the two checked-in legacy .xls files of the messy corpus (run once; not at test time).

xlwt (Debian's ``python3-xlwt``) is the only writer of the old BIFF8 format at hand and it is
not a project dependency, so its output is checked in under ``tests/corpus/data/``::

    /usr/bin/python3 tests/corpus/make_xls.py

The contents are listed in ``XLS_EXPECTED`` of ``tests/corpus/make_corpus.py``; keep them in step.
"""

from pathlib import Path

HERE = Path(__file__).parent / "data"


def graduates() -> None:
    """毕业生_旧版.xls: a title row, numeric student ids (Excel floats), a totals row, a PII phone."""
    import xlwt  # not a dependency: imported here so that pytest's doctest collection can import this file

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("毕业生")
    ws.write_merge(0, 0, 0, 5, "某职业技术学院2024届毕业生去向登记表")
    for j, h in enumerate(["学号", "姓名", "届别", "专业名称", "毕业去向代码", "月收入（元）"]):
        ws.write(1, j, h)
    rows = [(2024010101, "赵一", 2024, "数控技术", "10", 4200),
            (2024010102, "钱二", 2024, "数控技术", "70", 3900),
            (2024010103, "孙三", 2024, "会计", "13912345678", 3600)]  # a phone typed in the code column
    for i, r in enumerate(rows, start=2):
        for j, v in enumerate(r):
            ws.write(i, j, v)
    ws.write(5, 0, "合计")
    ws.write(5, 5, 11700)
    wb.save(str(HERE / "毕业生_旧版.xls"))


def partners() -> None:
    """合作企业_A7-4.xls: state-platform layout, 专业 merged over its partners' rows; a 代码表 sheet."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("A7-4 校企合作")
    for j, h in enumerate(["专业名称", "企业名称", "年份", "接收实习学生数", "资金投入（万元）"]):
        ws.write(0, j, h)
    ws.write_merge(1, 2, 0, 0, "数控技术")
    ws.write_merge(3, 3, 0, 0, "会计")
    for i, (e, n, f) in enumerate([("甲机床有限公司", 12, 1.5), ("乙精工有限公司", 8, 0.5),
                                   ("丙会计师事务所", 5, 0.2)], start=1):
        ws.write(i, 1, e)
        ws.write(i, 2, 2024)
        ws.write(i, 3, n)
        ws.write(i, 4, f)
    codes = wb.add_sheet("代码表")
    codes.write(0, 0, "合作形式代码")
    codes.write(1, 0, "订单培养")
    wb.save(str(HERE / "合作企业_A7-4.xls"))


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    graduates()
    partners()
