"""Builds the SQL expression equivalent to a LeadScore model (for DuckDB), from the model file alone.

Mirrors the documented design (README, "The design"): numeric (x - mean)/sd with a missing
indicator, categorical one-hot over level groups with pooled rare levels and the unseen policy,
booleans read as 1/0. Used only by the benchmark; the shipped tool needs no Python.
"""
import json
import math


def q(s):
    return "'" + s.replace("'", "''") + "'"


def ident(s):
    return '"' + s.replace('"', '""') + '"'


def expression(model):
    beta = model["coefficients"]["terms"]
    parts = [repr(model["coefficients"]["intercept"])]
    for col in model["design"]["columns"]:
        name = ident(col["name"])
        raw = f"nullif(trim(CAST({name} AS VARCHAR)), '')"
        if col["type"] in ("numeric", "boolean"):
            if col["type"] == "boolean":
                value = (f"(CASE lower({raw}) WHEN 'yes' THEN 1.0 WHEN 'true' THEN 1.0 WHEN '1' THEN 1.0 "
                         f"WHEN 'no' THEN 0.0 WHEN 'false' THEN 0.0 WHEN '0' THEN 0.0 END)")
            else:
                value = f"TRY_CAST({raw} AS DOUBLE)"
            b = beta[col["term"]]
            parts.append(f"{b!r} * coalesce(({value} - {col['mean']!r}) / {col['scale']!r}, 0)")
            if col.get("missing_term") is not None:
                parts.append(f"(CASE WHEN {raw} IS NULL THEN {beta[col['missing_term']]!r} ELSE 0 END)")
        elif col["type"] == "categorical":
            groups = col["groups"]
            total = sum(g["count"] for g in groups)
            whens = []
            other = None
            for g in groups:
                coef = beta[g["term"]] if g.get("term") is not None else 0.0
                if g["value"] == "(other)":
                    other = coef
                    for v in g.get("pooled", []):
                        if v != "":
                            whens.append(f"WHEN {q(v)} THEN {coef!r}")
                elif g["value"] != "":
                    whens.append(f"WHEN {q(g['value'])} THEN {coef!r}")
            missing = next((beta[g["term"]] if g.get("term") is not None else 0.0 for g in groups if g["value"] == ""), None)
            average = sum((beta[g["term"]] if g.get("term") is not None else 0.0) * g["count"] / total for g in groups)
            unseen = other if col.get("unseen") == "other" else average
            missing_value = missing if missing is not None else unseen
            parts.append(f"(CASE WHEN {raw} IS NULL THEN {missing_value!r} ELSE (CASE {raw} {' '.join(whens)} ELSE {unseen!r} END) END)")
    eta = " + ".join(parts)
    sc = model["scorecard"]
    return eta, sc["offset"], sc["factor"]


def scoring_sql(model, source, target, id_column):
    eta, offset, factor = expression(model)
    return (f"COPY (SELECT {ident(id_column)}, 1 / (1 + exp(-eta)) AS probability, "
            f"round(least(100, greatest(0, {offset!r} + {factor!r} * eta)), 1) AS score "
            f"FROM (SELECT {ident(id_column)}, {eta} AS eta FROM read_csv({q(source)}, header=true, all_varchar=true))) "
            f"TO {q(target)} (HEADER, DELIMITER ',')")


if __name__ == "__main__":
    import sys
    print(scoring_sql(json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4]))
