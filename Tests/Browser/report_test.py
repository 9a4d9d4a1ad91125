#!/usr/bin/env python3
"""`leadscore report` in headless Chromium (Debian's `chromium`).

Run from the repository root:  LEADSCORE_BIN=.build-test/release/leadscore python3 Tests/Browser/report_test.py
With --screenshot PATH, writes the README's picture of the report on the bundled data instead.

What it checks, on a report of the bundled leads whose categories were made hostile (a lead source
`<img src=x onerror=alert(1)>`, an industry `"&'`, a reject reason `<script>alert(2)</script>`):
  - the HTML is one self-contained file: no <script>, no http(s) URL it would fetch, inline <svg> charts;
  - Chromium renders it without errors (exit status 0, no console error) and its DOM has every section
    (definitions, quality, drivers, patterns, monthly, drift, comparison), each chart with a table;
  - the hostile values are text: the DOM has no <img> or <script> element, the values appear as text,
    and the raw HTML has them escaped (&lt;img …&gt;, "&amp;');
  - a screenshot is taken and its size checked (a PNG of the window size, not blank).
Prints "N passed, N failed"; exits 1 on any failure, or when Chromium is missing (`make test` installs it).
"""
import csv
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from html.parser import HTMLParser

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.abspath(os.path.join(ROOT, os.environ.get("LEADSCORE_BIN", ".build-test/release/leadscore")))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
HOSTILE_SOURCE = "<img src=x onerror=alert(1)>"
HOSTILE_INDUSTRY = "\"&'"
HOSTILE_REASON = "<script>alert(2)</script>"
SECTIONS = ["definitions", "quality", "drivers", "patterns", "monthly", "drift", "comparison"]
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL", what)


class DOM(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = {}
        self.ids = []
        self.text = []
        self.section = None
        self.section_tags = {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1
        attrs = dict(attrs)
        if tag == "section" and "id" in attrs:
            self.section = attrs["id"]
            self.ids.append(attrs["id"])
        if self.section:
            counts = self.section_tags.setdefault(self.section, {})
            counts[tag] = counts.get(tag, 0) + 1

    def handle_data(self, data):
        self.text.append(data)


def chromium(args, path):
    profile = tempfile.mkdtemp(prefix="leadscore-chromium-")
    try:
        return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0"] + args + ["file://" + path],
                              capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def run(args, cwd=ROOT):
    env = dict(os.environ, LEADSCORE_CREATED_AT="2026-11-01T06:00:00Z")
    r = subprocess.run([BIN] + args, capture_output=True, text=True, cwd=cwd, env=env)
    if r.returncode != 0:
        print("FAIL", " ".join(args), r.stderr)
        sys.exit(1)
    return r


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def distinct_colours(path):
    """Colours in the first rows of the PNG (enough to tell a rendered page from a blank one)."""
    data = open(path, "rb").read()
    pos, idat = 8, b""
    width = height = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    channels = len(raw) // height // width if height and width else 3
    stride = width * channels + 1
    seen = set()
    for row in range(0, min(height, 600), 7):
        line = raw[row * stride + 1:(row + 1) * stride]
        for x in range(0, len(line) - channels, channels * 5):
            seen.add(line[x:x + 3])
    return len(seen)


def hostile_copy(directory):
    path = os.path.join(directory, "hostile-leads.csv")
    with open(os.path.join(ROOT, "datasets", "leads.csv"), newline="") as f, open(path, "w", newline="") as out:
        rows = csv.reader(f)
        w = csv.writer(out)
        header = next(rows)
        w.writerow(header)
        s, i, r = header.index("lead_source"), header.index("industry"), header.index("reject_reason")
        for row in rows:
            if row[s] == "partner":
                row[s] = HOSTILE_SOURCE
            if row[i] == "retail":
                row[i] = HOSTILE_INDUSTRY
            if row[r] == "no_budget":
                row[r] = HOSTILE_REASON
            w.writerow(row)
    return path


def make_report(directory, data, out):
    """Trains this month's model and a previous one (λ 300) on DATA and reports, from DIRECTORY
    (names relative to it, as a user would type them)."""
    env_args = ["--target", "status", "--positive", "accepted", "--id", "lead_id", "--exclude", "reject_reason",
                "--time", "created_at", "--holdout-after", "2026-06-30", "--quiet"]
    os.makedirs(os.path.join(directory, "models"), exist_ok=True)
    if not os.path.exists(os.path.join(directory, "datasets")):
        os.symlink(os.path.join(ROOT, "datasets"), os.path.join(directory, "datasets"))
    data = os.path.relpath(data, directory) if data.startswith(directory) else os.path.join("datasets", os.path.basename(data))
    model, previous = "models/leads-2026-11-01.json", "models/leads-2026-10-01.json"
    run(["train", data, "--out", model] + env_args, cwd=directory)
    run(["train", data, "--out", previous, "--lambda", "300"] + env_args, cwd=directory)
    run(["report", "--model", model, "--data", data, "--previous", previous, "--out", out, "--quiet"], cwd=directory)
    return out


def main():
    if not CHROMIUM:
        print("FAIL chromium is not installed (apt-get install chromium): the report cannot be tested")
        print("0 passed, 1 failed")
        sys.exit(1)
    directory = tempfile.mkdtemp(prefix="leadscore-report-")
    try:
        if "--screenshot" in sys.argv:
            target = os.path.abspath(sys.argv[sys.argv.index("--screenshot") + 1])
            out = make_report(directory, os.path.join(ROOT, "datasets", "leads.csv"), os.path.join(directory, "report.html"))
            chromium([f"--screenshot={target}", "--window-size=1000,2400", "--hide-scrollbars"], out)
            print("wrote", target)
            return
        out = make_report(directory, hostile_copy(directory), os.path.join(directory, "report.html"))
        html = open(out, encoding="utf-8").read()
        check("<script" not in html.lower(), "no <script> in the report")
        check("http://" not in html and "https://" not in html, "no network URL in the report")
        check(html.count("<svg") >= 8, f"inline SVG charts ({html.count('<svg')})")
        check("&lt;img src=x onerror=alert(1)&gt;" in html, "the hostile lead source is escaped in the HTML")
        check("&lt;script&gt;alert(2)&lt;/script&gt;" in html, "the hostile reason is escaped in the HTML")
        check("\"&amp;'" in html, "the value \"&' is escaped in the HTML")

        r = chromium(["--dump-dom"], out)
        check(r.returncode == 0, f"chromium --dump-dom exits 0 ({r.returncode})")
        console_errors = [l for l in r.stderr.splitlines() if "CONSOLE" in l and ("Error" in l or "error" in l)]
        check(not console_errors, f"no console errors: {console_errors[:3]}")
        dom = DOM()
        dom.feed(r.stdout)
        check(dom.tags.get("img", 0) == 0, "no <img> element in the rendered DOM")
        check(dom.tags.get("script", 0) == 0, "no <script> element in the rendered DOM")
        text = "".join(dom.text)
        check(HOSTILE_SOURCE in text, "the hostile lead source shows as text")
        check(HOSTILE_INDUSTRY in text, "the value \"&' shows as text")
        check(HOSTILE_REASON in text, "the hostile reason shows as text")
        for section in SECTIONS:
            check(section in dom.ids, f"section #{section} in the DOM")
        for section in ["quality", "drivers", "patterns", "monthly", "drift"]:
            tags = dom.section_tags.get(section, {})
            check(tags.get("svg", 0) >= 1 and tags.get("table", 0) >= tags.get("svg", 0),
                  f"#{section}: every chart has a table beside it ({tags.get('svg', 0)} charts, {tags.get('table', 0)} tables)")
        check("NEW ranks better" in text or "OLD ranks better" in text or "no significant difference" in text, "the comparison verdict")

        shot = os.path.join(directory, "report.png")
        r = chromium([f"--screenshot={shot}", "--window-size=1200,3000", "--hide-scrollbars"], out)
        check(r.returncode == 0 and os.path.exists(shot), "screenshot taken")
        size = png_size(shot) if os.path.exists(shot) else None
        check(size == (1200, 3000), f"screenshot is 1200×3000 ({size})")
        check(os.path.exists(shot) and os.path.getsize(shot) > 50_000, "screenshot is not blank (size)")
        check(os.path.exists(shot) and distinct_colours(shot) > 20, "screenshot has the page's colours")
        phone = os.path.join(directory, "phone.png")
        r = chromium([f"--screenshot={phone}", "--window-size=390,2000", "--hide-scrollbars"], out)
        check(png_size(phone) == (390, 2000) if os.path.exists(phone) else False, "renders at a phone's width")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
