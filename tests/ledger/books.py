"""Small ledger workbooks made on the spot: a valid base to which a test adds one bad cell."""

import io
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from liaison.ledger import schema

# The shared samples sit beside the project: <root>/../shared/samples.
SAMPLES = str(Path(__file__).resolve().parents[2].parent / "shared" / "samples")

BASE: dict[str, list[list[Any]]] = {
    "派出所": [["S01", "城关派出所"]],
    "民警": [["612601", "王警官", "S01", "13800000001"], [612602, "李警官", "S01", None]],
    "企业": [
        [
            "91350100MA0000001P",
            "星河科技有限公司",
            "科技",
            "城关街道",
            "一号路",
            "张三",
            "13900000001",
        ]
    ],
    "重点项目": [
        [
            "XM001",
            "星河产业园",
            "91350100MA0000001P",
            "市级",
            "工业",
            "在建",
            12.5,
            "S01",
            "612601",
            "2025-01-02",
        ],
        ["XM002", "星河二期", "91350100MA0000001P", "区级", "", "前期", None, "S01", None, None],
    ],
    "隐患": [
        [
            "YH001",
            "XM001",
            "消防安全",
            "一般",
            "通道堆物",
            "2025-03-01",
            "612601",
            "2025-03-31",
            "已销号",
            "2025-03-10",
        ]
    ],
    "纠纷": [
        [
            "JF001",
            "XM001",
            "劳资纠纷",
            "2025-04-01",
            "1200.50",
            "调解成功",
            "2025-04-05",
            "612602",
            "欠薪",
        ]
    ],
    "挽回损失": [
        ["WH001", "XM001", "1000.00", "2025-04-06", "纠纷化解", "JF001", "612602", ""],
        ["WH002", "XM001", "-100.00", "2025-04-07", "纠纷化解", "WH001", "612602", "更正"],
    ],
    "诉求": [
        [
            "SQ001",
            "求助",
            "治安秩序",
            "2025-05-01 09:30",
            "电话",
            "XM001",
            "夜间有人偷电缆",
            "周经理",
            "13700000001",
            "2025-05-01 10:00",
            "2025-05-03 18:00",
            "已办结",
            "满意",
        ]
    ],
}


def workbook(sheets: dict[str, list[list[Any]]] | None = None, **changes: Any) -> bytes:
    """BASE (or `sheets`), with `changes` as {"sheet__row__column": value} (row from 0)."""
    data = {name: [list(row) for row in rows] for name, rows in (sheets or BASE).items()}
    for where, value in changes.items():
        sheet, row, column = where.split("__")
        spec = schema.BY_NAME[sheet]
        index = [c.key for c in spec.columns].index(column)
        data[sheet][int(row)][index] = value
    book = Workbook()
    book.remove(book.active)
    for name, rows in data.items():
        sheet = book.create_sheet(name)
        sheet.append([c.header for c in schema.BY_NAME[name].columns])
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
