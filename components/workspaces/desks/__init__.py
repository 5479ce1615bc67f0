"""Tool desks of the bank, school and clinic workspaces (issue 19).

Each desk follows the order desk's protocol (components/orders/order_desk.py): `names_product`, `wants`, `step`
over `DeskState`/`DeskTurn`, and is built by `build_desk(workspace_dir, data_dir)` named in the workspace's
workspace.yaml. What the three share lives here: `seeded_database.py` (a SQLite file seeded from the workspace's
data/ folder), `verified_desk.py` (flows, identity checks, confirmations, tool-call records), `desk_dates.py`
(dates and times in English and Chinese).
"""
