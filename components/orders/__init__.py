"""The order desk: the demo shop's database and the multi-turn flows that act on it.

    shop = ShopDatabase(data_dir / "shop.sqlite3", assets_dir / "shop")   # seeded from the tau-bench retail data
    desk = OrderDesk(shop)
    if desk.wants(text, nlu, state):
        turn, state = desk.step(text, nlu, state)     # DeskTurn (reply, tool calls, slots), new DeskState

Files: shop_database.py (SQLite, policy-checked writes), order_desk.py (flows, verification, privacy),
desk_signals.py (reading ids, names, answers, addresses, products from English/Chinese text), desk_replies.py
(reply templates), scenario_runner.py (scripted conversations with expectations).
"""
