"""Server-side charts (matplotlib Figure objects, no pyplot state): SVG for pages, PNG for the PDF.

Okabe-Ito colours plus hatching and markers, so every chart still reads in black and white.
"""

from __future__ import annotations

import io
import re
from datetime import date
from html import escape
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: small, selectable, crisp
matplotlib.rcParams["svg.hashsalt"] = "boucle"  # stable ids, so identical charts give identical SVG
# Every text is drawn as typed: names come from the catalogue and the phases, and "$x$" in one of
# them would be read as mathematics (a name with "$$" or "$\\frac" could not be drawn at all).
matplotlib.rcParams["text.parse_math"] = False

from babel.dates import format_date  # noqa: E402
from flask_babel import gettext  # noqa: E402
from flask_babel import lazy_gettext as _l  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter  # noqa: E402

from bottles.rules import wash_yield  # noqa: E402
from reports.french import fmt_value, fr_number, french, locale  # noqa: E402

if TYPE_CHECKING:
    from reports.report import Report

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000"]
HATCHES = ["", "//", "..", "xx", "\\\\", "--", "++", "oo"]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]
GREY = "#8c8c8c"


def _fr(value: float, _pos=None) -> str:
    """An axis tick in the person's language: 12 345 or 12,345."""
    return fr_number(value, 0)


def _percent_axis() -> PercentFormatter:
    """Shares on an axis: 95 % in French, 95% in English."""
    return PercentFormatter(1.0, decimals=0, symbol="\u202f%" if french() else "%")


def _figure(width: float = 7.2, height: float = 3.6) -> tuple[Figure, object]:
    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=9)
    return fig, ax


def to_svg(fig: Figure, standalone: bool = False, label: str = "") -> str:
    """The figure as SVG: a whole file (standalone) or inline (no XML prologue, scalable width;
    `label` names the picture for screen readers)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    svg = buf.getvalue()
    if standalone:
        return svg
    svg = svg[svg.index("<svg"):]
    named = f' aria-label="{escape(label)}"' if label else ""
    svg = re.sub(r'<svg([^>]*?) width="[^"]+" height="[^"]+"',
                 lambda m: f'<svg{m.group(1)} class="chart" role="img"{named}', svg, count=1)
    # The page's CSP refuses inline <style> elements: matplotlib's one rule lives in reports.css.
    return re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)


def to_png(fig: Figure, dpi: int = 150) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def _empty(ax, message: str | None = None) -> None:
    ax.text(0.5, 0.5, message or gettext("Aucune donnée sur la période"), ha="center", va="center",
            transform=ax.transAxes, color=GREY)
    ax.set_xticks([])
    ax.set_yticks([])


def funnel(steps: list[dict]) -> Figure:
    """Waterfall of the loss funnel: what remains at each step, and what was lost before it."""
    fig, ax = _figure(7.6, 4.0)
    if not steps or not steps[0]["value"]:
        _empty(ax)
        return fig
    labels = [str(s["label"]) for s in steps]
    values = [s["value"] for s in steps]
    drops = [s["drop"] for s in steps]
    x = range(len(steps))
    ax.bar(x, values, color=OKABE_ITO[0], edgecolor="black", linewidth=0.6,
           label=gettext("Bouteilles restantes"))
    ax.bar(x, drops, bottom=values, color="white", edgecolor=OKABE_ITO[3], hatch="//", linewidth=0.8,
           label=gettext("Perdues à cette étape"))
    top = max(values) or 1
    for i, s in enumerate(steps):
        ax.text(i, s["value"] / 2, _fr(s["value"]), ha="center", va="center", color="white",
                fontsize=9, fontweight="bold") if s["value"] > top * 0.08 else \
            ax.text(i, s["value"] + top * 0.01, _fr(s["value"]), ha="center", va="bottom", fontsize=9)
        if s["drop"]:
            ax.text(i, s["value"] + s["drop"] + top * 0.01, f"−{_fr(s['drop'])}", ha="center",
                    va="bottom", fontsize=8.5, color=OKABE_ITO[3])
    ax.set_xticks(list(x), [lab.replace(" ", "\n", 1) for lab in labels], fontsize=8.5)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(_fr))
    ax.set_ylabel(gettext("Bouteilles"))
    ax.set_ylim(0, top * 1.12)
    ax.legend(loc="upper right", fontsize=8.5, frameon=False)
    ax.set_title(str(PHASE_CHARTS["entonnoir"]), fontsize=11)
    return fig


def monthly_by_territory(by_territory: dict[str, dict[str, int]]) -> Figure:
    """Stacked bars of bottles collected per month, one hatch and colour per territory."""
    fig, ax = _figure()
    months = sorted({m for per in by_territory.values() for m in per})
    if not months:
        _empty(ax)
        return fig
    bottom = [0] * len(months)
    for i, territory in enumerate(sorted(by_territory)):
        vals = [by_territory[territory].get(m, 0) for m in months]
        ax.bar(range(len(months)), vals, bottom=bottom, color=OKABE_ITO[i % 8], hatch=HATCHES[i % 8],
               edgecolor="black", linewidth=0.5, label=territory)
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    ax.set_xticks(range(len(months)), [_month(m) for m in months], rotation=45, ha="right", fontsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(_fr))
    ax.set_ylabel(gettext("Bouteilles collectées"))
    ax.legend(fontsize=8, frameon=False, ncols=min(4, len(by_territory)), loc="upper left")
    ax.set_ylim(0, max(bottom) * 1.2 or 1)
    ax.set_title(str(PHASE_CHARTS["territoires"]), fontsize=11)
    return fig


def _month(key: str) -> str:
    """A month of the axis ("2024-09") as Babel writes it: "sept. 24" in French, "Sep 24" in English."""
    year, month = key.split("-")
    return format_date(date(int(year), int(month), 1), "MMM yy", locale=locale())


def wash(wash_by_month: dict[str, dict[str, int]], labels: dict[str, str]) -> Figure:
    """Rejects per month stacked by reason (bars) and the wash yield (line with markers)."""
    fig, ax = _figure(7.2, 4.2)
    months = list(wash_by_month)
    if not months:
        _empty(ax)
        return fig
    codes = sorted({k for per in wash_by_month.values() for k in per if k != "clean"})
    bottom = [0] * len(months)
    for i, code in enumerate(codes):
        vals = [wash_by_month[m].get(code, 0) for m in months]
        ax.bar(range(len(months)), vals, bottom=bottom, color=OKABE_ITO[(i + 1) % 8],
               hatch=HATCHES[(i + 1) % 8], edgecolor="black", linewidth=0.5,
               label=gettext("Rebut : %(reason)s", reason=labels.get(code, code)))
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    ax.set_ylabel(gettext("Rebuts (bouteilles)"))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(FuncFormatter(_fr))
    ax.set_ylim(0, (max(bottom) or 1) * 1.1)
    ax2 = ax.twinx()
    yields = [wash_yield(counts.get("clean", 0), sum(counts.values())) for counts in wash_by_month.values()]
    ax2.plot(range(len(months)), yields, color="black", marker="o", linewidth=1.6,
             label=gettext("Rendement de lavage"))
    ax2.axhline(0.95, color=GREY, linestyle="--", linewidth=1,
                label=gettext("Référence ≈ %(share)s", share=fmt_value("ratio", 0.95)))
    ax2.set_ylim(0.5, 1.02)
    ax2.yaxis.set_major_formatter(_percent_axis())
    ax2.set_ylabel(gettext("Rendement"))
    ax2.spines[["top"]].set_visible(False)
    ax.set_xticks(range(len(months)), [_month(m) for m in months], rotation=45, ha="right", fontsize=8)
    handles = ax.get_legend_handles_labels()
    handles2 = ax2.get_legend_handles_labels()
    fig.legend(handles[0] + handles2[0], handles[1] + handles2[1], fontsize=7.5, frameon=False,
               loc="outside lower center", ncols=3)
    ax.set_title(str(PHASE_CHARTS["lavage"]), fontsize=11)
    return fig


def hbars(items: list[tuple[str, float]], title: str, xlabel: str | None = None,
          percent: bool = False) -> Figure:
    """Horizontal bars, largest first, each with its own hatch."""
    fig, ax = _figure(7.2, max(1.6, 0.42 * len(items) + 1.0))
    if not items:
        _empty(ax)
        ax.set_title(str(title), fontsize=11)
        return fig
    items = [(str(lab), v) for lab, v in items[::-1]]
    ys = range(len(items))
    vals = [v for _l, v in items]
    ax.barh(ys, vals, color=[OKABE_ITO[i % 8] for i in range(len(items))][::-1],
            hatch=None, edgecolor="black", linewidth=0.5)
    for bar, i in zip(ax.patches, range(len(items)), strict=True):
        bar.set_hatch(HATCHES[(len(items) - 1 - i) % 8])
    top = max(vals) or 1
    for y, v in zip(ys, vals, strict=True):
        ax.text(v + top * 0.01, y, fmt_value("ratio", v) if percent else _fr(v), va="center", fontsize=8.5)
    ax.set_yticks(list(ys), [lab for lab, _v in items], fontsize=8.5)
    ax.set_xlim(0, top * 1.18)
    if percent:
        ax.xaxis.set_major_formatter(_percent_axis())
    else:  # whole bottles and crates: no 0,5 tick shown twice as "0"
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(_fr))
    ax.set_xlabel(str(xlabel or gettext("Bouteilles")))
    ax.set_title(str(title), fontsize=11)
    return fig


def compare(names: list[str], series: dict[str, list[float | None]]) -> Figure:
    """Grouped bars: one group per ratio indicator, one bar (colour + hatch) per phase."""
    fig, ax = _figure(7.6, 3.8)
    labels = [str(lab) for lab in series]
    width = 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        vals = [values[i] or 0 for values in series.values()]
        xs = [j + (i - (len(names) - 1) / 2) * width for j in range(len(labels))]
        ax.bar(xs, vals, width=width, color=OKABE_ITO[i % 8], hatch=HATCHES[i % 8], edgecolor="black",
               linewidth=0.5, label=name)
        for x, v in zip(xs, vals, strict=True):
            ax.text(x, v + 0.01, f"{v * 100:.0f}", ha="center", va="bottom", fontsize=7.5)
    ax.set_xticks(range(len(labels)), [lab.replace(" ", "\n", 1) for lab in labels], fontsize=8.5)
    ax.yaxis.set_major_formatter(_percent_axis())
    ax.set_ylim(0, 1.12)
    ax.legend(fontsize=8.5, frameon=False, loc="upper left", ncols=len(names))
    ax.set_title(gettext("Taux clés"), fontsize=11)
    return fig


PHASE_CHARTS = {
    "entonnoir": _l("Entonnoir des pertes : collectées → revendues"),
    "territoires": _l("Bouteilles collectées par mois et par territoire"),
    "lavage": _l("Lavage : rendement et rebuts par motif"),
    "ecarts": _l("Écarts au tri par motif"),
    "age-stock": _l("Âge du stock propre"),
    "caisses": _l("Parc de caisses"),
}


def phase_chart(report: Report, name: str) -> Figure:
    """One chart of a phase's report (a name of PHASE_CHARTS), the same on the dashboard and in the PDF."""
    if name == "entonnoir":
        return funnel(report.funnel)
    if name == "territoires":
        return monthly_by_territory(report.by_territory)
    if name == "lavage":
        return wash(report.wash, report.reason_labels)
    if name == "ecarts":
        refusals = [(report.reason_labels.get(code, code), quantity) for code, quantity in
                    sorted((report.values["refused_by_reason"] or {}).items(), key=lambda kv: -kv[1])]
        return hbars(refusals, PHASE_CHARTS[name])
    if name == "age-stock":
        from bottles.i18n import day

        title = gettext("Âge du stock propre au %(day)s", day=day(report.scope.end, "long")) \
            if report.period.in_progress else gettext("Âge du stock propre en fin de phase")
        return hbars(list(report.stock_age.items()), title,
                     gettext("Bouteilles (plus anciennes vendues d'abord)"))
    return hbars([(row[0], row[1]) for row in report.table("caisses").rows], PHASE_CHARTS[name],
                 gettext("Caisses"))
