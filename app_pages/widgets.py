"""Pieces every page uses: the sidebar, error messages, cached reads, paged tables and prepared downloads."""

from __future__ import annotations

import importlib.util
import math
from decimal import Decimal
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import views
from app_pages.grids import grid, number_style
from cashbook.money import format_amount
from cashbook.errors import CashbookError
from cashbook.money import MoneyFormatError, parse_money
from app_pages.auth import role_label, sign_out
from app_pages.state import opened, state, workspace, workspace_path
from cashbook.batch_runs import last_finished, running
from cashbook.service import Workspace

PAGE_SIZE = 200
BATCH_POLL_SECONDS = 5  # how often an idle page looks for batch runs


def sidebar(ws: Workspace) -> None:
    """Who is working and in which workspace; batch runs going on; messages left by the previous run."""
    s = state()
    with st.sidebar:
        st.caption(f"Signed in as **{ws.user}** ({role_label(ws)})" if ws.role is not None
                   else f"Working as **{ws.user}** (one-person workspace)")
        if s.session_token and st.button("Sign out", key="signout", icon=":material/logout:"):
            sign_out()
            st.rerun()
        st.caption(f"Workspace: `{workspace_path()}`")
        s.batch_mark = last_finished(workspace_path())[0]  # this run draws every batch run that has ended
        batch_watch()
    if opened().generated and not s.demo_notice_shown:
        s.demo_notice_shown = True
        st.info("No workspace was found, so the demo workspace was built in `data/cashbook.duckdb` from the demo files "
                "(customers, open items, groups and a day of bank and remittance files).", icon=":material/info:")
    for message in s.take_notices():
        st.success(message)


@st.fragment(run_every=BATCH_POLL_SECONDS)
def batch_watch() -> None:
    """Every few seconds: say which batch run is going on; when it has ended, redraw the page with its results."""
    s = state()
    runs = running(workspace_path())
    mark, what = last_finished(workspace_path())
    if runs:
        st.info("**Batch run:** " + "; ".join(r.describe() for r in runs) + ". Your changes wait for it.",
                icon=":material/hourglass_top:")
    elif mark != s.batch_mark:  # only on the fragment's own reruns: a full run has just set the mark
        s.batch_mark = mark
        s.notify(f"Updated: {what}.")
        st.rerun(scope="app")


def show_error(exc: CashbookError) -> None:
    st.error(f"**{exc.title}**\n\n{exc}")


def run_action(action: Callable[[], Any], success: str | Callable[[Any], str]) -> Any:
    """Do a change; on success leave a message for the next run and rerun, on refusal show why."""
    try:
        result = action()
    except CashbookError as exc:
        show_error(exc)
        return None
    state().notify(success(result) if callable(success) else success)
    st.rerun()


@st.cache_data(max_entries=256, show_spinner=False)
def _cached(path: str, token: str, name: str, args: tuple, kwargs: tuple, _ws: Any) -> Any:
    return getattr(views, name)(_ws, *args, **dict(kwargs))


def cached(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``views.<fn>(ws, ...)``, cached until anything in the workspace changes."""
    ws = workspace()
    return _cached(ws.path, views.version(ws), fn.__name__, args, tuple(sorted(kwargs.items())), ws)


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_page(path: str, token: str, query: views.Query, limit: int, offset: int, _ws: Any) -> Any:
    return views.page(_ws, query, limit, offset)


@st.cache_data(max_entries=256, show_spinner=False)
def _cached_count(path: str, token: str, query: views.Query, _ws: Any) -> int:
    """A query's row count, apart from its pages: counting a big query is as dear as reading it, so once."""
    return views.count(_ws, query)


def paged_table(key: str, query: views.Query, *, page_size: int = PAGE_SIZE, selection: str | None = None,
                height: int | None = None, column_config: dict | None = None, hide: tuple[str, ...] = (),
                money: tuple[str, ...] = (), order: list[str] | None = None) -> tuple[Any, list[int]]:
    """One page of a query in a grid (see app_pages.grids), a page picker when there are more, and the
    selected rows' positions."""
    ws = workspace()
    token = views.version(ws)
    total = _cached_count(ws.path, token, query, ws)
    pages = max(1, math.ceil(total / page_size))
    with st.container(key=key):  # a stable name for the table, whatever its grid's widget key
        number = 1
        if pages > 1:
            left, right = st.columns([1, 4])
            number = int(left.number_input("Page", min_value=1, max_value=pages, value=1, step=1, key=f"{key}_page"))
            right.caption(f"{total:,} {plural(total, 'row')}, {page_size} a page; page {number} of {pages}")
        else:
            st.caption(f"{total:,} {plural(total, 'row')}")
        frame = _cached_page(ws.path, token, query, page_size, (number - 1) * page_size, ws)
        # A selection belongs to the rows it was made on: once the workspace changes, the grid starts afresh.
        grid_key = f"{key}_{token.replace('.', '_')}" if selection else key + "_grid"
        picked = grid(frame, grid_key, selection=selection, height=height, hide=hide, money=money,
                      config=column_config, order=order)
    return frame, picked


def lazy_tabs(labels: list[str], key: str) -> Any:
    """Tabs whose content runs only while open: picking one reruns the page (``tab.open`` says which is).
    A page's first draw then reads, sends and draws only its first tab; on a workspace of 1.5M open items
    that is what keeps it under a second."""
    return st.tabs(labels, key=key, on_change="rerun")


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 proposal', '2 proposals': the word for a count (``many`` when the plural is irregular)."""
    return word if count == 1 else (many or word + "s")


def download(key: str, query: views.Query, stem: str) -> None:
    """Build the file only when asked (with a progress bar), then offer it for download."""
    s = state()
    cols = st.columns([1, 1, 2])
    fmt = cols[0].selectbox("Format", ["xlsx", "csv"], key=f"{key}_fmt", label_visibility="collapsed")
    if cols[1].button("Prepare download", key=f"{key}_prepare"):
        bar = st.progress(0.0, text="Preparing...")
        data = views.file_bytes(workspace(), query, fmt, lambda f, text: bar.progress(f, text=text))
        s.downloads = {**s.downloads, key: (f"{stem}.{fmt}", data)}
    ready = s.downloads.get(key)
    if ready and ready[0].endswith(fmt):
        name, data = ready
        cols[2].download_button(f"Download {name}", data=data, file_name=name, key=f"{key}_download",
                                mime="text/csv" if fmt == "csv" else
                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def bytes_download(key: str, label: str, build: Callable[[], tuple[str, bytes]]) -> None:
    """A file a service writes (postings, statements): built on request, then downloadable."""
    s = state()
    cols = st.columns([1, 2])
    if cols[0].button(label, key=f"{key}_prepare"):
        try:
            with st.spinner("Preparing..."):
                s.downloads = {**s.downloads, key: build()}
        except CashbookError as exc:
            show_error(exc)
    ready = s.downloads.get(key)
    if ready:
        name, data = ready
        cols[1].download_button(f"Download {name}", data=data, file_name=name, key=f"{key}_download")


MONEY = st.column_config.NumberColumn(format="%,.2f")  # kept for pages not yet on grids.grid


def money(value: Any) -> str:
    """An amount for a metric or a sentence, in the workspace's number style."""
    return "—" if value is None else format_amount(value, number_style())


def money_input(where: Any, label: str, key: str, *, placeholder: str = "0.00") -> Decimal | None:
    """A money field typed as text and read as Decimal (a number widget would hand back a float).

    Blank gives None; text that is not an amount shows why under the field and gives None.
    """
    text = where.text_input(label, key=key, placeholder=placeholder)
    if not text.strip():
        return None
    try:
        return parse_money(text)
    except MoneyFormatError as exc:
        where.error(f"{label}: {text.strip()} {exc}" if str(exc).startswith(("is ", "has ")) else f"{label}: {exc}")
        return None


def money_text_ok(*keys: str) -> bool:
    """Whether every money field named is blank or an amount (its own error already shows under it)."""
    for key in keys:
        text = str(st.session_state.get(key) or "").strip()
        if text:
            try:
                parse_money(text)
            except MoneyFormatError:
                return False
    return True


def require_area(module: str, what: str) -> None:
    """Stop the page with a note while an area's service is not installed yet."""
    if importlib.util.find_spec(module) is None:
        st.info(f"{what} is not available in this version of Cashbook yet.")
        st.stop()


def frame_download(key: str, frame: Any, stem: str) -> None:
    """A table already on screen, as .xlsx or .csv. The file is written when the button is clicked, not on
    every run of the page: writing a few thousand rows as .xlsx costs seconds a clerk would wait on each click."""
    cols = st.columns([1, 3])
    fmt = cols[0].selectbox("Format", ["xlsx", "csv"], key=f"{key}_fmt", label_visibility="collapsed")
    cols[1].download_button(f"Download {stem}.{fmt}", data=lambda: views.frame_bytes(frame, fmt),
                            file_name=f"{stem}.{fmt}", key=f"{key}_download")


def money_bars(where: Any, labels: list[Any], amounts: list[Decimal], label: str, value: str, *,
               horizontal: bool = False, height: int = 220) -> None:
    """A bar chart of money in the given order. Charts draw in floating point; the numbers drawn
    never come back into Cashbook, and the tables beside them show the exact amounts.

    When one bar dwarfs the rest (more than 20 times the median), the value axis turns logarithmic
    (symlog, so zero and credits still draw) and a caption says which bar did it.
    """
    numbers = pd.to_numeric(pd.Series(amounts, dtype=object))
    positive = numbers[numbers > 0]
    skewed = len(positive) > 2 and float(positive.max()) > 20 * float(positive.median())
    bars(where, pd.DataFrame({label: labels, value: numbers}), label, value, horizontal=horizontal, height=height,
         log=skewed, value_format=",.2f")
    if skewed:
        top = int(numbers.idxmax())
        where.caption(f"Log scale: {labels[top]} ({money(amounts[top])}) dwarfs the rest; "
                      f"the median bar is {money(Decimal(str(round(float(positive.median()), 2))))}.")


def bars(where: Any, frame: Any, label: str, value: str, *, horizontal: bool = False, height: int = 220,
         log: bool = False, value_format: str = ",d") -> None:
    """Bars of ``frame[value]`` per ``frame[label]``, in the frame's order, as a Vega-Lite spec written here:
    building the same chart through Altair validates it against Vega-Lite's schema on every run, about
    0.1 s a chart on a busy machine, for a spec that never changes shape."""
    title = f"{value.replace('_', ' ')}{' (log scale)' if log else ''}"
    axis_label = {"field": label, "type": "nominal", "sort": None, "title": label.replace("_", " ")}
    axis_value = {"field": value, "type": "quantitative", "title": title, **({"scale": {"type": "symlog"}} if log else {})}
    spec = {"mark": {"type": "bar"}, "height": height,
            "encoding": {"y" if horizontal else "x": axis_label, "x" if horizontal else "y": axis_value,
                         "tooltip": [{"field": label, "type": "nominal"},
                                     {"field": value, "type": "quantitative", "format": value_format}]}}
    where.vega_lite_chart(frame[[label, value]], spec, width="stretch")
