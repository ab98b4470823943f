"""Import: drop ERP, hierarchy, bank or remittance files; preview, map unknown headers, import, see every problem.

Every file is checked (size, type) and read once in a separate process with a memory limit before
the page shows or imports it (cashbook.uploads): a file that would exhaust memory or crash a reader
is refused by name instead of taking the server, and every clerk's session, down with it.
"""

import hashlib

import pandas as pd
import streamlit as st

from app_pages.widgets import download, paged_table, show_error, frame_download, plural
from app_pages import views
from app_pages.state import state, workspace
from cashbook.errors import CashbookError, Problem
from cashbook.access import Role
from app_pages.grids import grid
from cashbook.templates import TEMPLATES, MappingProfile
from cashbook.uploads import Inspection, UploadRefused, check_upload, inspect_upload, limits_from

KINDS = {"customers": "Customer master", "items": "Open items", "hierarchy": "Hierarchy",
         "payments": "Bank or remittance file"}
ws = workspace()
s = state()
limits = limits_from(ws.settings)


def read_upload(data: bytes, name: str, kind: str | None = None) -> Inspection | list[Problem]:
    """The child process's reading of a file (or why it was refused), kept per content across reruns."""
    key = (name, hashlib.blake2b(data, digest_size=16).hexdigest(), kind or "")
    readings = s.upload_readings
    if key not in readings:
        problems = check_upload(data, name, limits)
        if not problems:
            try:
                readings[key] = inspect_upload(data, name, limits, kind)
            except UploadRefused as exc:
                problems = exc.problems
        if problems:
            readings[key] = problems
    return readings[key]


def show_refusal(name: str, problems: list[Problem], index: int) -> None:
    st.error(f"{name}: refused before reading, nothing was written ({len(problems)} "
             f"problem{'s' if len(problems) != 1 else ''})")
    grid(pd.DataFrame([vars(p) for p in problems], columns=["file", "location", "column", "message"]),
         f"import_refused_{index}")


allowed = list(KINDS) if ws.may(Role.SUPERVISOR) else ["payments"]  # ERP and hierarchy files: a supervisor's

st.title("Import")
st.write("Drop customer-master, open-items, hierarchy, bank or remittance files. A file with any problem is refused "
         "as a whole and nothing of it is written; importing the same file twice changes nothing.")

uploaded = st.file_uploader("Files", accept_multiple_files=True, key="import_upload")
files = [(f.getvalue(), f.name) for f in uploaded or []]
local = views.local_files(ws)
if local:
    picked = st.multiselect("...or files beside the workspace", local, key="import_local",
                            help="The demo's erp/, bank/ and remittance/ folders.")
    files += [(views.read_local_file(ws, name), name.rsplit("/", 1)[-1]) for name in picked]

plans = []
for index, (data, name) in enumerate(files):
    reading = read_upload(data, name)
    with st.expander(f"{name} ({len(data):,} bytes)", expanded=len(files) <= 3):
        if not isinstance(reading, Inspection):
            show_refusal(name, reading, index)
            continue
        detected = reading.kind
        if detected in KINDS and detected not in allowed:
            st.warning(f"This is a {KINDS[detected].lower()} file: importing it needs the supervisor role.")
            continue
        known = detected in allowed
        if not known:
            st.warning("Cashbook cannot tell what kind of file this is: say which it is.")
        kind = st.selectbox("This file is", allowed, index=allowed.index(detected) if known else None,
                            format_func=KINDS.get, key=f"import_kind_{index}", placeholder="Choose the kind of file")
        if kind is None:
            continue
        if kind != detected:
            reading = read_upload(data, name, kind)  # read again the way this kind's import will read it
            if not isinstance(reading, Inspection):
                show_refusal(name, reading, index)
                continue
        for note in reading.notes:
            st.warning(note)
        if reading.preview:
            width = max(len(row) for row in reading.preview)
            preview = pd.DataFrame([row + [""] * (width - len(row)) for row in reading.preview],
                                   columns=[f"col {i + 1}" for i in range(width)])
            grid(preview, f"import_preview_{index}", height=180)
        mapping = None
        if kind in TEMPLATES:
            header, found, missing = reading.headers.get(kind, ([], {}, []))
            saved = views.saved_profiles(ws, kind)
            profile = st.selectbox("Mapping profile", ["(headers as found)", *saved], key=f"import_profile_{index}")
            if profile != "(headers as found)":
                mapping = MappingProfile.load(views.profile_path(ws, profile))
            elif missing:
                st.warning(f"Required column{'s' if len(missing) > 1 else ''} not found: {', '.join(missing)}. "
                           "Say which column holds each:")
                columns = {}
                grid = st.columns(3)
                for n, column in enumerate(TEMPLATES[kind].columns):
                    options = ["(none)", *header]
                    default = options.index(found[column.name]) if found.get(column.name) in options else 0
                    choice = grid[n % 3].selectbox(f"{column.name}{' *' if column.required else ''}", options,
                                                   index=default, key=f"import_map_{index}_{column.name}")
                    if choice != "(none)":
                        columns[column.name] = choice
                mapping = MappingProfile(columns=columns)
                left, right = st.columns([2, 1])
                profile_name = left.text_input("Save this mapping as", key=f"import_profile_name_{index}")
                if right.button("Save profile", key=f"import_profile_save_{index}", disabled=not profile_name):
                    st.success(f"Saved mappings/{views.save_profile(ws, kind, profile_name, columns)}")
        plans.append((data, name, kind, mapping))

if st.button("Import", type="primary", key="import_go", disabled=not plans):
    results = []
    for data, name, kind, mapping in plans:
        bar = st.progress(0.0, text=f"{name}...")
        try:
            for outcome in ws.import_file(data, file_name=name, kind=kind, mapping=mapping,
                                          progress=lambda f, text: bar.progress(min(max(f, 0.0), 1.0), text=text)):
                warned = [line for line in outcome.lines if line.startswith("  warning: ")]
                results.append({"file": outcome.file, "ok": outcome.ok,
                                "lines": [line for line in outcome.lines if line not in warned],
                                "problems": [vars(p) for p in outcome.problems],
                                "warnings": [line[len("  warning: "):] for line in warned]})
        except CashbookError as exc:
            show_error(exc)
        bar.progress(1.0, text=f"{name}: done")
    s.import_results = results

for result in s.import_results:
    if result["ok"]:
        st.success("\n\n".join(result["lines"][:12]))
        for warning in result.get("warnings", [])[:20]:  # imported, but a clerk must look: entries may be missing
            st.warning(warning)
        if len(result.get("warnings", [])) > 20:
            st.warning(f"{len(result['warnings']) - 20} more warnings: see the import history")
        if result.get("conflicts"):
            st.warning(f"**The ERP and Cashbook disagree on {len(result['conflicts'])} documents.** They are on the "
                       "Exceptions list; nothing more is applied to them until a supervisor resolves them.\n\n"
                       + "\n\n".join(result["conflicts"][:12]))
            st.page_link("app_pages/exceptions.py", label="Open the Exceptions list", icon=":material/rule:")
    else:
        count = len(result["problems"])
        st.error(f"{result['file']}: refused, nothing was written ({count} {plural(count, 'problem')})")
        problems = pd.DataFrame(result["problems"], columns=["file", "location", "column", "message"])
        grid(problems, f"import_problems_{result['file']}")
        frame_download(f"import_problems_dl_{result['file']}", problems, f"problems_{result['file']}")

st.subheader("Import history")
paged_table("import_history", views.import_history_query(), page_size=20)
download("import_history_dl", views.import_history_query(), "import_history")
