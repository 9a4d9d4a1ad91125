"""The model as one hand-written DuckDB expression over typed columns: what a user would write to
score a CSV with DuckDB's own `read_csv` (type detection), for a straight-line model
(`train --numeric linear`): a `CASE` per categorical column, β·(x − mean)/scale per number with the
missing value at the mean plus its indicator, booleans as DuckDB typed them. No text parsing rules,
no grade, no reasons: the cheapest honest SQL for id, probability and score. Used only by
bench/run.py, which checks its probabilities against `leadscore score`; the shipped tool needs no
Python.

  python3 bench/duckdb_expression.py MODEL.json DATA.csv OUT.csv   # prints the SQL
"""
import json
import sys


def q(s):
    return "'" + s.replace("'", "''") + "'"


def ident(s):
    return '"' + s.replace('"', '""') + '"'


def expression(model):
    beta = model["coefficients"]["terms"]
    parts = [repr(model["coefficients"]["intercept"])]
    for col in model["design"]["columns"]:
        name = ident(col["name"])
        if col["type"] in ("numeric", "boolean"):
            if "term" not in col:
                sys.exit(f"{col['name']} is a shape: this expression is for straight-line models (train --numeric linear)")
            value = f"CAST({name} AS DOUBLE)"
            parts.append(f"{beta[col['term']]!r} * coalesce(({value} - {col['mean']!r}) / {col['scale']!r}, 0)")
            if col.get("missing_term") is not None:
                parts.append(f"(CASE WHEN {name} IS NULL THEN {beta[col['missing_term']]!r} ELSE 0 END)")
        elif col["type"] == "categorical":
            groups = col["groups"]
            total = sum(g["count"] for g in groups)
            whens, other = [], None
            for g in groups:
                coef = beta[g["term"]] if g.get("term") is not None else 0.0
                if g["value"] == "(other)":
                    other = coef
                    whens += [f"WHEN {q(v)} THEN {coef!r}" for v in g.get("pooled", []) if v != ""]
                elif g["value"] != "":
                    whens.append(f"WHEN {q(g['value'])} THEN {coef!r}")
            missing = next((beta[g["term"]] if g.get("term") is not None else 0.0 for g in groups if g["value"] == ""), None)
            average = sum((beta[g["term"]] if g.get("term") is not None else 0.0) * g["count"] / total for g in groups)
            unseen = other if col.get("unseen") == "other" and other is not None else average
            parts.append(f"(CASE WHEN {name} IS NULL THEN {(missing if missing is not None else unseen)!r} "
                         f"ELSE (CASE {name} {' '.join(whens)} ELSE {unseen!r} END) END)")
    if model["design"].get("interactions"):
        sys.exit("this expression has no interactions")
    return " + ".join(parts)


def scoring_sql(model, source, target):
    sc = model["scorecard"]
    idc = ident(model["id_column"])
    return (f"SET threads = 2; COPY (SELECT {idc}, 1 / (1 + exp(-eta)) AS probability, "
            f"round(least(100, greatest(0, {sc['offset']!r} + {sc['factor']!r} * eta)), 1) AS score "
            f"FROM (SELECT {idc}, {expression(model)} AS eta FROM read_csv({q(source)}))) "
            f"TO {q(target)} (HEADER, DELIMITER ',');")


if __name__ == "__main__":
    print(scoring_sql(json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]))
