"""An SVG timeline of one statement: the whole month, then a window of it close up.

Probes are drawn as recorded, one mark each; outages, maintenance, absorbed
failures and figures are drawn as the statement gives them. Nothing here
computes a figure. Coordinates are exact fractions printed to 0.1 px, so the
same statement always gives the same file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from zoneinfo import ZoneInfo

from sla_ledger import Probe, Statement
from sla_ledger.formatting import duration

WIDTH, LEFT, RIGHT = 760, 170, 20
PLOT = WIDTH - LEFT - RIGHT
ROW, GAP = 14, 8
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
COLOURS = {
    "up": "#43a047",
    "down": "#e53935",
    "excluded": "#90a4ae",
    "late": "#fb8c00",
    "absorbed": "#8e24aa",
    "text": "#212121",
    "muted": "#757575",
    "grid": "#e0e0e0",
    "zoom": "#eceff1",
}
LEGEND = (
    ("up", "probe up, service up"),
    ("down", "probe down, outage"),
    ("excluded", "qualifying maintenance, excluded"),
    ("late", "late maintenance, counts"),
    ("absorbed", "instance failure absorbed by redundancy"),
)
_US = timedelta(microseconds=1)
Span = tuple[datetime, datetime]


@dataclass(frozen=True)
class Picture:
    """A worked example: the issued statement, the probes behind it, the window to show."""

    name: str
    title: str
    statement: Statement
    evidence: Sequence[Probe]
    window: Span
    notes: tuple[str, ...] = ()


def num(value: Fraction | int) -> str:
    """A coordinate to 0.1 px, without a trailing ``.0``."""
    tenths = round(Fraction(value) * 10)
    return f"{tenths // 10}.{tenths % 10}" if tenths % 10 else str(tenths // 10)


class Canvas:
    """The SVG document and a cursor ``y`` going down it, lane by lane."""

    def __init__(self, picture: Picture) -> None:
        self.picture = picture
        self.zone = ZoneInfo(picture.statement.time_zone)
        self.svg = ET.Element("svg", xmlns="http://www.w3.org/2000/svg", role="img")
        self.svg.set("width", str(WIDTH))
        self.svg.set("font-family", FONT)
        self.svg.set("font-size", "12")
        ET.SubElement(self.svg, "title").text = picture.title
        self.background = ET.SubElement(self.svg, "rect", width=str(WIDTH), fill="#ffffff")
        self.y = 22

    def x(self, instant: datetime, span: Span | None = None) -> Fraction:
        """Where ``instant`` is drawn on a timeline of ``span`` (default the close-up)."""
        start, end = span or self.picture.window
        clipped = min(max(instant, start), end)
        return LEFT + PLOT * Fraction((clipped - start) // _US, (end - start) // _US)

    def add(self, tag: str, **attributes: str) -> ET.Element:
        return ET.SubElement(self.svg, tag, {k.replace("_", "-"): v for k, v in attributes.items()})

    def rect(self, x0: Fraction, x1: Fraction, y: int, height: int, kind: str) -> None:
        width = num(max(x1 - x0, Fraction(3, 2)))  # anything at all stays visible
        self.add("rect", x=num(x0), y=str(y), width=width, height=str(height), fill=COLOURS[kind])

    def text(self, x: Fraction | int, y: int, words: str, fill: str = "text", **style: str) -> None:
        self.add("text", x=num(x), y=str(y), fill=COLOURS.get(fill, fill), **style).text = words

    def label(self, words: str, fill: str = "text", **style: str) -> None:
        """The name of the lane at ``y``, right-aligned in the left column."""
        self.text(LEFT - 8, self.y + ROW - 3, words, fill, text_anchor="end", **style)

    def bar(self, start: datetime, end: datetime, kind: str, words: str = "") -> None:
        """A period of the close-up in the lane at ``y``, its words inside if they fit."""
        x0, x1 = self.x(start), self.x(end)
        self.rect(x0, x1, self.y, ROW, kind)
        if words and x1 - x0 >= 7 * len(words):
            self.text(x0 + 4, self.y + ROW - 3, words, "#ffffff")
        elif words:
            self.text(x1 + 4, self.y + ROW - 3, words, kind)

    def finish(self) -> str:
        height = str(self.y + 12)
        for element in (self.svg, self.background):
            element.set("height", height)
        self.svg.set("viewBox", f"0 0 {WIDTH} {height}")
        ET.indent(self.svg)
        return ET.tostring(self.svg, encoding="unicode") + "\n"


def draw(picture: Picture) -> str:
    """The picture as SVG text."""
    canvas = Canvas(picture)
    canvas.text(10, canvas.y, picture.title, font_size="15", font_weight="bold")
    canvas.y += 16
    _month(canvas)
    grid = _axis(canvas)
    top = canvas.y
    _evidence(canvas)
    _maintenance(canvas)
    _absorbed(canvas)
    _service(canvas)
    for x, line in grid:  # drawn before the lanes, so that they lie on top of it
        attributes = {"x1": num(x), "x2": num(x), "y1": str(top - 6), "y2": str(canvas.y)}
        line.attrib.update(attributes, stroke=COLOURS["grid"])
    canvas.y += GAP + 10
    _figures(canvas)
    _legend(canvas)
    return canvas.finish()


def _month(canvas: Canvas) -> None:
    """The whole month: outages and excluded maintenance, and where the close-up is."""
    s = canvas.picture.statement
    month = (s.period_start, s.period_end)
    canvas.y -= 2
    canvas.label(f"the month ({duration(s.month_length)})")
    y = canvas.y + 2
    canvas.rect(Fraction(LEFT), Fraction(LEFT + PLOT), y, 8, "up")
    for m in s.maintenance:
        if m.excluded:
            canvas.rect(
                canvas.x(m.start, month), canvas.x(m.start + m.excluded, month), y, 8, "excluded"
            )
    for outage in s.outages:
        canvas.rect(canvas.x(outage.start, month), canvas.x(outage.end, month), y, 8, "down")
    x0, x1 = (canvas.x(t, month) for t in canvas.picture.window)
    corners = f"{num(x0)},{y + 10} {num(x1)},{y + 10} {LEFT + PLOT},{y + 40} {LEFT},{y + 40}"
    canvas.add("polygon", points=corners, fill=COLOURS["zoom"])
    for instant, anchor in zip(month, ("start", "end"), strict=True):
        local = instant.astimezone(canvas.zone)
        words = f"{local.day} {local:%b %H:%M %Z}"
        canvas.text(canvas.x(instant, month), y + 22, words, "muted", text_anchor=anchor)
    canvas.y = y + 58


def _ticks(canvas: Canvas) -> list[datetime]:
    """Round local times across the close-up, about every twelfth of it."""
    start, end = canvas.picture.window
    steps = (timedelta(minutes=m) for m in (5, 15, 30, 60, 120))
    step = next(step for step in steps if end - start <= 12 * step)
    local = start.astimezone(canvas.zone)
    past = timedelta(hours=local.hour, minutes=local.minute, seconds=local.second) % step
    first = start + (step - past) % step
    return [first + step * k for k in range((end - first) // step + 1)]


def _axis(canvas: Canvas) -> list[tuple[Fraction, ET.Element]]:
    """The close-up's date and times in the contract's zone; its grid lines, to be placed."""
    start = canvas.picture.window[0].astimezone(canvas.zone)
    canvas.y -= 30
    canvas.label(f"{start.day} {start:%B %Y (%Z)}", font_weight="bold")
    canvas.y += 30
    grid = []
    for tick in _ticks(canvas):
        x = canvas.x(tick)
        words = f"{tick.astimezone(canvas.zone):%H:%M}"
        canvas.text(x, canvas.y, words, "muted", text_anchor="middle")
        grid.append((x, canvas.add("line")))
    canvas.y += 10
    return grid


def _evidence(canvas: Canvas) -> None:
    """One row of marks per target and location: each mark is one probe as recorded."""
    start, end = canvas.picture.window
    rows: dict[tuple[str, str], list[Probe]] = {}
    for probe in canvas.picture.evidence:
        shown = rows.setdefault((probe.target, probe.location), [])
        if start <= probe.at < end:
            shown.append(probe)
    for (target, location), probes in rows.items():
        canvas.label(f"{target} from {location}", "muted")
        for probe in probes:
            x = canvas.x(probe.at)
            kind, top, height = ("up", 4, ROW - 8) if probe.ok else ("down", 0, ROW)
            canvas.rect(x - 1, x + 1, canvas.y + top, height, kind)
        canvas.y += ROW + 2
    canvas.y += GAP


def _maintenance(canvas: Canvas) -> None:
    for m in canvas.picture.statement.maintenance:
        canvas.label(f"maintenance ({m.status})")
        lead = (
            f"{m.lead.days} days"
            if m.lead % timedelta(days=1) == timedelta(0)
            else duration(m.lead)
        )
        words = f"announced {lead} ahead, {duration(m.excluded)} excluded"
        canvas.bar(m.start, m.end, "excluded" if m.status == "qualifying" else "late", words)
        canvas.y += ROW + GAP


def _absorbed(canvas: Canvas) -> None:
    for failure in canvas.picture.statement.absorbed_failures:
        canvas.label(f"{failure.target} (zone {failure.zone})")
        words = f"down {duration(failure.duration)}, absorbed"
        canvas.bar(failure.start, failure.end, "absorbed", words)
        canvas.y += ROW + GAP


def _service(canvas: Canvas) -> None:
    """The service as the statement measured it: up, outages, excluded maintenance."""
    s = canvas.picture.statement
    canvas.label(f"{s.service} on the statement", font_weight="bold")
    canvas.bar(*canvas.picture.window, "up")
    for m in s.maintenance:
        if m.excluded:
            canvas.bar(m.start, m.start + m.excluded, "excluded", "excluded")
    for outage in s.outages:
        canvas.bar(outage.start, outage.end, "down", f"outage {duration(outage.duration)}")
    canvas.y += ROW


def _figures(canvas: Canvas) -> None:
    s = canvas.picture.statement
    exact = f"{s.availability.numerator}/{s.availability.denominator}"
    credit = f"credit {s.credit_percent} % of {s.base:,} = {s.credit:,} {s.currency}"
    lines = [
        f"down {duration(s.down)}, excluded {duration(s.excluded)}, "
        f"eligible {duration(s.eligible)}",
        f"availability {exact} = {s.availability_percent} % (truncated), target {s.target} %: "
        f"{'met' if s.met else 'missed'}; {credit if s.credit else 'no credit'}",
        *canvas.picture.notes,
    ]
    for words in lines:
        canvas.text(10, canvas.y, words)
        canvas.y += 17


def _legend(canvas: Canvas) -> None:
    x, canvas.y = 10, canvas.y + 4
    for kind, words in LEGEND:
        width = 30 + 6 * len(words)  # about 6 px a character at 11 px
        if x + width > WIDTH:
            x, canvas.y = 10, canvas.y + 16
        canvas.rect(Fraction(x), Fraction(x + 10), canvas.y - 9, 10, kind)
        canvas.text(x + 14, canvas.y, words, "muted", font_size="11")
        x += width
