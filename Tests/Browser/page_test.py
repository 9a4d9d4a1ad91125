#!/usr/bin/env python3
"""The sales page of `leadscore serve`, in headless Chromium (Debian's `chromium`, its own headless
mode: no browser download, no driver).

For each lead: start `leadscore serve` on a free port of 127.0.0.1, load the page with the lead in
the address (`#lead=…`, which fills the box and submits it), let Chromium run it, read the result from
the DOM it dumps, and compare it with `leadscore explain --format json` on the same lead: score,
grade, every contribution in points, the main reasons and "what would raise it" in the same words.
A lead whose category values are hostile HTML must show them as text, never as elements. A
screenshot of the page is taken and checked (a PNG of a plausible size).

Usage: page_test.py [--screenshot OUT.png]   (LEADSCORE_BIN: the binary; default .build-test/release/leadscore, what make test builds)
Prints one line per check and 'N passed, N failed'; exits 1 when a check fails or Chromium is missing.
"""
import html.parser
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("LEADSCORE_BIN", os.path.join(ROOT, ".build-test/release/leadscore"))
MODEL = os.path.join(ROOT, "models/leads.json")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

NORMAL = """lead_id=N0000005
lead_source=event
industry=retail
country=US
company_size=113
job_level=manager
email_type=corporate
page_views=5
days_since_last_activity=8
webinar_attended=no
budget_confirmed=no
marketing_touches=3
newsletter=yes"""

HOSTILE_INDUSTRY = "<img src=x onerror=alert(1)>\"&'"
HOSTILE_COUNTRY = "<b id=injected>bold</b><script>document.title='pwned'</script>"
HOSTILE = f"""lead_id=<i id=idtag>X</i>
lead_source=cold_list
industry={HOSTILE_INDUSTRY}
country={HOSTILE_COUNTRY}
page_views=2"""

passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what}")


class DOM(html.parser.HTMLParser):
    """Text of elements by id, the text of each <li> and <tr> under an id, and every tag seen."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []      # (tag, id, owner ids in scope)
        self.text = {}       # id -> text
        self.items = {}      # list id -> [li text]
        self.rows = {}       # table id -> [[cell text]]
        self.tags = []       # (tag, attrs)
        self.title = ""
        self._li = None
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        scope = [i for (_, i, _) in self.stack if i]
        self.stack.append((tag, attrs.get("id"), scope))
        if tag == "li" and scope:
            self._li = (scope[-1], [])
        if tag == "tr" and scope:
            self._row = (scope[-1], [])
        if tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        while self.stack:
            t, _, _ = self.stack.pop()
            if t == tag:
                break
        if tag == "li" and self._li:
            self.items.setdefault(self._li[0], []).append("".join(self._li[1]))
            self._li = None
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row[1].append("".join(self._cell))
            self._cell = None
        if tag == "tr" and self._row:
            self.rows.setdefault(self._row[0], []).append(self._row[1])
            self._row = None

    def handle_data(self, data):
        for (t, i, _) in self.stack:
            if i:
                self.text[i] = self.text.get(i, "") + data
        if self.stack and self.stack[-1][0] == "title":
            self.title += data
        if self._li is not None:
            self._li[1].append(data)
        if self._cell is not None:
            self._cell.append(data)


def start_server():
    log = tempfile.NamedTemporaryFile(prefix="leadscore-serve-", suffix=".log", delete=False)
    proc = subprocess.Popen([BIN, "serve", "--model", MODEL, "--port", "0"], stdout=subprocess.DEVNULL, stderr=log, cwd=ROOT)
    deadline = time.time() + 60
    while time.time() < deadline:
        with open(log.name) as f:
            m = re.search(r'"msg":"listening".*?"port":(\d+)', f.read())
        if m:
            return proc, int(m.group(1)), log.name
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    sys.exit(f"leadscore serve did not start:\n{open(log.name).read()}")


def chromium(args, url):
    profile = tempfile.mkdtemp(prefix="leadscore-chromium-")
    try:
        return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                               "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}",
                               "--virtual-time-budget=10000", *args, url],
                              capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def explain(lead_text):
    pairs = {}
    for line in lead_text.splitlines():
        k, v = line.split("=", 1)
        pairs[k.strip()] = v.strip()
    r = subprocess.run([BIN, "explain", "--model", MODEL, "--format", "json"], input=json.dumps(pairs),
                       capture_output=True, text=True, cwd=ROOT)
    if r.returncode != 0:
        sys.exit(f"leadscore explain failed: {r.stderr}")
    return json.loads(r.stdout)


def page(port, lead_text):
    url = f"http://127.0.0.1:{port}/#lead=" + urllib.parse.quote(lead_text, safe="")
    r = chromium(["--dump-dom"], url)
    dom = DOM()
    dom.feed(r.stdout)
    return dom, url, r


def signed(p):
    """explain's signedPoints: rounded half away from zero to one decimal, signed by the rounded value."""
    r = math.floor(abs(p) * 10 + 0.5) / 10
    return ("-" if p < 0 and r > 0 else "+") + f"{r:.1f}"


def compare(dom, e, what):
    check(dom.text.get("score") == f"{e['score']:.1f}", f"{what}: score {dom.text.get('score')!r} = explain's {e['score']:.1f}")
    check(dom.text.get("grade") == e["grade"], f"{what}: grade {dom.text.get('grade')!r} = explain's {e['grade']!r}")
    rows = dom.rows.get("contributions", [])
    shown = [(r[0], r[3]) for r in rows if len(r) == 4]
    wanted = [(c["column"], signed(c["points"])) for c in e["contributions"]]
    check(shown == wanted, f"{what}: {len(shown)} contributions in points, in explain's order")
    # Each bar as its printed points: a "+0.0" has none, a negative one is red, a positive one green,
    # and the longest is the largest |points|.
    fills = [a for (t, a) in dom.tags if t == "div" and a.get("class", "").startswith("fill ")]
    widths = [float(re.search(r"width:\s*([0-9.]+)%", a.get("style", "")).group(1)) for a in fills]
    shown_points = [float(p) for (_, p) in wanted]
    check(len(fills) == len(wanted)
          and all((w == 0) == (p == 0) for w, p in zip(widths, shown_points))
          and all(("neg" in a["class"]) == (p < 0) for a, p in zip(fills, shown_points) if p != 0)
          and max(widths) == 50,
          f"{what}: each bar follows its printed points (none for ±0.0, red below 0; widths {widths})")
    reasons = [c["reason"] + " [" + c["code"] + "]" for c in e["contributions"] if c["points"] <= -0.5][:3]
    check(dom.items.get("reasons", []) == reasons, f"{what}: main reasons in explain's words {dom.items.get('reasons')}")
    raise_ = [f"{i['reason']} → score {i['new_score']:.1f}" for i in e["what_would_raise"]]
    check(dom.items.get("raise", []) == raise_, f"{what}: what would raise it {dom.items.get('raise')}")


def main():
    shot = None
    if "--screenshot" in sys.argv:
        shot = os.path.abspath(sys.argv[sys.argv.index("--screenshot") + 1])
    if not CHROMIUM:
        print("FAIL chromium is not installed (apt-get install chromium): the page cannot be tested")
        print("0 passed, 1 failed")
        return 1
    if not os.access(BIN, os.X_OK):
        print(f"FAIL no leadscore binary at {BIN} (set LEADSCORE_BIN)")
        print("0 passed, 1 failed")
        return 1
    proc, port, log = start_server()
    try:
        dom, url, run = page(port, NORMAL)
        check(dom.text.get("result") is not None, "the page loaded and has a result section")
        e = explain(NORMAL)
        compare(dom, e, "lead N0000005")
        check(dom.text.get("lead-id") == "Lead N0000005", "the lead's id is shown")

        dom, _, _ = page(port, HOSTILE)
        e = explain(HOSTILE)
        compare(dom, e, "hostile lead")
        values = [r[1] for r in dom.rows.get("contributions", []) if len(r) == 4]
        check(HOSTILE_INDUSTRY in values, "the hostile industry value is shown as text, exactly")
        check(HOSTILE_COUNTRY in values, "the hostile country value is shown as text, exactly")
        check(dom.text.get("lead-id") == "Lead <i id=idtag>X</i>", "the hostile id is shown as text")
        result_tags = [t for (t, a) in dom.tags if t in ("img", "b", "i", "script") and a.get("id") in (None, "injected", "idtag") and t != "script"]
        check(not result_tags, f"no element made from data (found {result_tags})")
        scripts = [t for (t, a) in dom.tags if t == "script"]
        check(len(scripts) == 1, "only the page's own script")
        check(dom.title == "Lead score", f"no data script ran (title {dom.title!r})")
        notes = " ".join(dom.items.get("notes", []))
        check(HOSTILE_INDUSTRY in notes, "the note quoting the hostile value shows it as text")

        # A refusal is shown as an error naming the column.
        dom, _, _ = page(port, "Lead Source=referral")
        check("did you mean 'lead_source'" in dom.text.get("error", ""), f"a misspelt column is named: {dom.text.get('error')!r}")

        out = shot or os.path.join(tempfile.gettempdir(), "leadscore-page.png")
        url = f"http://127.0.0.1:{port}/#lead=" + urllib.parse.quote(NORMAL, safe="")
        chromium([f"--screenshot={out}", "--window-size=1280,1000"], url)
        ok = os.path.exists(out) and open(out, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
        size = os.path.getsize(out) if os.path.exists(out) else 0
        check(ok and size > 30_000, f"screenshot {out}: a PNG of {size} bytes")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        check(proc.returncode == 0, f"the server stopped cleanly on SIGTERM (status {proc.returncode})")
        os.unlink(log)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
