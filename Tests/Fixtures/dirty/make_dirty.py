#!/usr/bin/env python3
"""Writes the dirty-input corpus (committed) used by Tests/LeadScoreCLITests/DirtyInputTests.swift.

Each file is 5 data rows of the bundled new-leads columns with one kind of damage. The expected
outcome of each (scored, scored with a warning count, or reported with line and column) is listed in
EXPECTED below, in the README ("Dirty input") and asserted by the tests. Run from the repository root.
"""
import os

HEADER = "lead_id,created_at,lead_source,industry,country,company_size,job_level,email_type,page_views,days_since_last_activity,webinar_attended,budget_confirmed,marketing_touches,newsletter"
ROWS = [
    "D1,2026-01-05,web_form,software,US,120,manager,corporate,6,10,yes,yes,4,no",
    "D2,2026-01-06,referral,finance,DE,45,director,free,9,,no,,3,yes",
    "D3,2026-01-07,cold_list,retail,UK,8,student,free,1,60,no,no,7,no",
    "D4,2026-01-08,event,education,FR,30,vp,corporate,4,5,yes,,2,yes",
    "D5,2026-01-09,partner,logistics,CA,300,c_level,,12,2,no,yes,5,no",
]
OUT = os.path.join("Tests", "Fixtures", "dirty")


def write(name, text, binary=False):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(text if binary else text.encode("utf-8"))


def rows(replace=None):
    r = list(ROWS)
    for i, v in (replace or {}).items():
        r[i] = v
    return r


def csv(lines, eol="\n"):
    return eol.join([HEADER] + lines) + eol


write("clean.csv", csv(rows()))
write("quoted-commas.csv", csv(rows({1: 'D2,2026-01-06,referral,"finance",DE,45,"director",free,9,,no,,3,yes',
                                     2: '"D3, ""the"" lead",2026-01-07,cold_list,retail,UK,8,student,free,1,60,no,no,7,no'})))
write("crlf.csv", csv(rows(), eol="\r\n"))
write("bom.csv", "\ufeff" + csv(rows()))
write("too-few-fields.csv", csv(rows({2: "D3,2026-01-07,cold_list,retail,UK,8,student,free,1,60,no,no,7"})))
write("too-many-fields.csv", csv(rows({3: "D4,2026-01-08,event,education,FR,30,vp,corporate,4,5,yes,,2,yes,extra"})))
write("unterminated-quote.csv", csv(rows()) + 'D6,2026-01-10,"web_form,software,US,120,manager,corporate,6,10,yes,yes,4,no\n')
bad = csv(rows()).encode("utf-8").replace(b"D2,2026-01-06,referral,finance", b"D2,2026-01-06,referral,fin\xffance")
write("invalid-utf8.csv", bad, binary=True)
write("nan-inf-overflow.csv", csv(rows({0: "D1,2026-01-05,web_form,software,US,NaN,manager,corporate,6,10,yes,yes,4,no",
                                         1: "D2,2026-01-06,referral,finance,DE,45,director,free,inf,,no,,3,yes",
                                         2: "D3,2026-01-07,cold_list,retail,UK,8,student,free,1e309,60,no,no,7,no"})))
write("negative-zero-and-counts.csv", csv(rows({0: "D1,2026-01-05,web_form,software,US,120,manager,corporate,-0,10,yes,yes,4,no",
                                                 1: "D2,2026-01-06,referral,finance,DE,45,director,free,-3,,no,,-2,yes"})))
write("huge-field.csv", csv(rows({4: "D5,2026-01-09,partner," + "x" * (1 << 20) + ",CA,300,c_level,,12,2,no,yes,5,no"})))
write("empty.csv", "")
write("header-only.csv", HEADER + "\n")
write("duplicate-header.csv", HEADER.replace("newsletter", "country") + "\n" + "\n".join(ROWS) + "\n")
cols = HEADER.split(",")
order = list(reversed(range(len(cols))))
write("reordered-columns.csv", "\n".join(",".join(line.split(",")[i] for i in order) for line in [HEADER] + ROWS) + "\n")
write("unseen-category.csv", csv(rows({0: "D1,2026-01-05,smoke_signal,software,Atlantis,120,manager,corporate,6,10,yes,yes,4,no"})))

# JSON Lines: the clean rows as objects (numbers as JSON numbers, yes/no as true/false, gaps as null
# or absent keys), plus one line that is not JSON.
import json
cols = HEADER.split(",")
lines = []
for k, row in enumerate(ROWS):
    obj = {}
    for c, v in zip(cols, row.split(",")):
        if v == "":
            if k % 2 == 0:
                obj[c] = None
            continue
        if c in ("company_size", "page_views", "days_since_last_activity", "marketing_touches"):
            obj[c] = int(v)
        elif v in ("yes", "no"):
            obj[c] = v == "yes"
        else:
            obj[c] = v
    lines.append(json.dumps(obj))
lines.insert(3, "{this is not json")
write("leads.jsonl", "\n".join(lines) + "\n")
