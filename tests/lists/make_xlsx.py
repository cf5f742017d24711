"""Writes the small spreadsheets the own-lists tests read (openpyxl 3.1).

    python3 -m venv venv && venv/bin/pip install openpyxl && venv/bin/python make_xlsx.py
"""
from openpyxl import Workbook

ROWS = [
    (101, "摩纳哥幼儿园", "幼儿园", 7.4205, 43.7325, 120),
    (102, "Ecole de Fontvieille", "小学", 7.4165, 43.7290, 300),
    (103, "Jardin Exotique", "公园", 7.4128, 43.7315, None),
]


def sheet(ws):
    ws.append(["编号", "名称", "类别", "经度", "纬度", "学位数"])
    for row in ROWS:
        ws.append(list(row))


book = Workbook()
sheet(book.active)
book.active.title = "学校"
book.save("facilities_one_sheet.xlsx")

book = Workbook()
sheet(book.active)
book.active.title = "学校"
notes = book.create_sheet("说明")
notes.append(["来源", "教育局 2024"])
book.save("facilities_two_sheets.xlsx")
