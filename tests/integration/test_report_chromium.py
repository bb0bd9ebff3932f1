"""The HTML report in a real headless Chromium (Debian's ``chromium`` package).

Chromium renders the demo's report (which has no scripts) with the network
unreachable: its DOM holds the statement's figures, it asked for nothing but the
file, it fits a phone's width, and it prints. Screenshots are kept under each test's temporary
directory, and their paths printed. Without Chromium these tests are skipped,
except under CI ($CI set), where they fail: CI must never skip them.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sla_ledger import formatting as fmt
from sla_ledger import open_ledger
from sla_ledger.reports import ContractReport, contract_report, render_report

pytestmark = pytest.mark.slow

FLAGS = (
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
    "--mute-audio",
    # Nothing the page asks for could be fetched; the net log still shows any request.
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
PHONE_WIDTH = 360


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@dataclass(frozen=True)
class Chromium:
    executable: str

    def run(self, workdir: Path, *args: str) -> str:
        """Run Chromium headless with a fresh profile; its standard output."""
        profile = tempfile.mkdtemp(dir=workdir, prefix="chromium-profile-")
        command = [self.executable, *FLAGS, f"--user-data-dir={profile}", *args]
        if os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium's sandbox refuses to run as root
        done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
        assert done.returncode == 0, f"{command} failed:\n{done.stderr[-3000:]}"
        return done.stdout

    def dump_dom(self, workdir: Path, page: Path, *args: str) -> str:
        return self.run(workdir, *args, "--dump-dom", page.as_uri())

    def screenshot(self, workdir: Path, page: Path, name: str, width: int, height: int) -> Path:
        path = workdir / name
        self.run(workdir, f"--window-size={width},{height}", f"--screenshot={path}", page.as_uri())
        print(f"\nscreenshot: {path}")
        assert png_size(path) == (width, height)
        return path


@pytest.fixture(scope="session")
def chromium() -> Chromium:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        reason = "Chromium is not installed (Debian: apt-get install chromium)"
        if _in_ci():
            pytest.fail(f"CI must run the browser tests, but {reason}", pytrace=False)
        pytest.skip(reason)
    return Chromium(found)


@pytest.fixture(scope="module")
def report(demo_store) -> ContractReport:
    ledger = open_ledger(demo_store)
    yield contract_report(ledger, "acme-eu", "2026-03")
    ledger.close()


@pytest.fixture
def page(report, tmp_path) -> Path:
    path = tmp_path / "report-acme-eu-2026-03.html"
    path.write_text(render_report(report, "html"), encoding="utf-8")
    return path


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = False

    def handle_starttag(self, tag, attrs):
        self._skip = tag == "style"

    def handle_endtag(self, tag):
        self._skip = False

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def text_of(dom: str) -> str:
    parser = _Text()
    parser.feed(dom)
    return " ".join(" ".join(parser.parts).split())


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def page_requests(net_log: Path) -> list[str]:
    """URLs a page asked for (the browser's own background requests left out)."""
    events = json.loads(net_log.read_text())["events"]
    return sorted(
        {
            p["url"]
            for e in events
            if "url" in (p := e.get("params", {}))
            and p.get("initiator", "not an origin") != "not an origin"
        }
    )


def test_chromium_shows_every_key_figure_of_the_statements(chromium, report, page, tmp_path):
    dom = chromium.dump_dom(tmp_path, page)
    text = text_of(dom)
    assert "ACME GmbH" in text and "Monthly SLA report · March 2026" in text
    for line in report.lines:
        s = line.statement
        assert f"{s.availability_percent} %" in text
        assert f"exactly {s.availability}" in text
        assert f"{fmt.money(s.credit, s.currency)}" in text
        assert s.log_digest.root in text
        for outage in s.outages:
            assert fmt.local(outage.start, s.time_zone) in text
    assert "99.8945 %" in text and "400.00 EUR" in text and "missed" in text
    assert "PROVISIONAL" not in text
    assert dom.count("<svg") == 8  # per line: three timeline lanes and the day bars
    assert len(re.findall(r'<rect class="(?:full|met|missed|poor)"', dom)) == 62
    chromium.screenshot(tmp_path, page, "report-acme-eu-2026-03-desktop.png", 1280, 4200)


def test_the_report_asks_the_network_for_nothing(chromium, page, tmp_path):
    log = tmp_path / "net-log.json"
    chromium.dump_dom(tmp_path, page, f"--log-net-log={log}")
    assert page_requests(log) == []


def test_the_network_check_sees_a_page_that_fetches(chromium, tmp_path):
    fetching = tmp_path / "fetching.html"
    fetching.write_text('<img src="http://example.invalid/x.png"><p>x</p>')
    log = tmp_path / "net-log.json"
    chromium.dump_dom(tmp_path, fetching, f"--log-net-log={log}")
    assert page_requests(log) == ["http://example.invalid/x.png"]


LAYOUT_PROBE = """<script>
(() => {
  const out = {
    viewport: innerWidth,
    overflowing: [...document.querySelectorAll("body *")]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
      .map((e) => e.tagName.toLowerCase() + "." + e.getAttribute("class")).slice(0, 10),
    figureColumns: new Set([...document.querySelectorAll(".figure")]
      .map((e) => Math.round(e.getBoundingClientRect().left))).size,
    tableHeads: [...document.querySelectorAll("table.stack thead")]
      .filter((e) => getComputedStyle(e).display !== "none").length,
  };
  parent.document.body.setAttribute("data-layout", JSON.stringify(out));
})();
</script>"""


def test_on_a_phone_the_report_fits_the_screen(chromium, page, tmp_path):
    # Headless windows are at least 500 px wide: a phone is an iframe of its width.
    probed = page.read_text(encoding="utf-8").replace("</body>", LAYOUT_PROBE + "</body>")
    frame = (
        '<!doctype html><body style="margin:0">'
        f'<iframe style="border:0;width:{PHONE_WIDTH}px;height:900px" '
        f'srcdoc="{html.escape(probed, quote=True)}"></iframe></body>'
    )
    phone = tmp_path / "phone.html"
    phone.write_text(frame, encoding="utf-8")
    dom = chromium.dump_dom(tmp_path, phone, "--window-size=800,1000")
    found = re.search(r'data-layout="([^"]*)"', dom)
    assert found, "the layout probe did not run"
    layout = json.loads(html.unescape(found.group(1)))
    assert layout == {
        "viewport": PHONE_WIDTH,
        "overflowing": [],
        "figureColumns": 1,
        "tableHeads": 0,
    }
    chromium.screenshot(tmp_path, page, "report-acme-eu-2026-03-phone.png", 390, 9000)


def test_the_report_prints_to_pages(chromium, page, tmp_path):
    pdf = tmp_path / "report-acme-eu-2026-03.pdf"
    chromium.run(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 2
    print(f"\nprinted: {pdf}")
