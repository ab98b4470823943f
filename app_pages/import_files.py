"""Import: drop ERP, hierarchy, bank or remittance files; preview, map unknown headers, import, see every problem."""

import pandas as pd
import streamlit as st

from app_pages.grids import grid
from app_pages.widgets import download, frame_download, paged_table, plural, show_error
from cashbook import views
from cashbook.errors import CashbookError, FileRefused
from cashbook.imports import detect_kind
from cashbook.templates import TEMPLATES, MappingProfile
from cashbook.ui_state import state, workspace

KINDS = {"customers": "Customer master", "items": "Open items", "hierarchy": "Hierarchy",
         "payments": "Bank or remittance file"}
ws = workspace()
s = state()

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
    detected = detect_kind(data, name)
    with st.expander(f"{name} ({len(data):,} bytes)", expanded=len(files) <= 3):
        known = detected in KINDS
        if not known:
            st.warning("Cashbook cannot tell what kind of file this is: say which it is.")
        kind = st.selectbox("This file is", list(KINDS), index=list(KINDS).index(detected) if known else None,
                            format_func=KINDS.get, key=f"import_kind_{index}", placeholder="Choose the kind of file")
        if kind is None:
            continue
        preview = views.preview_rows(data, name) if kind != "payments" or name.lower().endswith((".csv", ".xlsx")) else None
        if preview is not None:
            grid(preview, f"import_preview_{index}", height=180)
        mapping = None
        if kind in TEMPLATES:
            header, found, missing = views.header_candidates(data, name, kind)
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
            if kind == "payments":
                for report in ws.receipts.import_files([(data, name)]):
                    results.append({"file": report.file, "ok": report.ok, "lines": report.lines(),
                                    "problems": [vars(p) for p in report.problems]})
            else:
                step = {"customers": ws.import_customers, "items": ws.import_items}.get(kind)
                if step:
                    report = step(data, file_name=name, mapping=mapping,
                                  progress=lambda f, text: bar.progress(min(max(f, 0.0), 1.0), text=text))
                else:
                    report = ws.import_hierarchy(data, file_name=name, mapping=mapping)
                results.append({"file": name, "ok": True, "lines": report.lines(), "problems": []})
        except FileRefused as exc:
            results.append({"file": name, "ok": False, "lines": [str(exc).splitlines()[0]],
                            "problems": [vars(p) for p in exc.problems]})
        except CashbookError as exc:
            show_error(exc)
        bar.progress(1.0, text=f"{name}: done")
    s.import_results = results

for result in s.import_results:
    if result["ok"]:
        st.success("\n\n".join(result["lines"][:12]))
    else:
        count = len(result["problems"])
        st.error(f"{result['file']}: refused, nothing was written ({count} {plural(count, 'problem')})")
        problems = pd.DataFrame(result["problems"], columns=["file", "location", "column", "message"])
        grid(problems, f"import_problems_{result['file']}")
        frame_download(f"import_problems_dl_{result['file']}", problems, f"problems_{result['file']}")

st.subheader("Import history")
paged_table("import_history", views.import_history_query(), page_size=20)
download("import_history_dl", views.import_history_query(), "import_history")
