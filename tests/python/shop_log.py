"""A synthetic shop's event log, written for the tests and unlike the demo: its own event names,
amounts (purchases positive, returns negative), text keys, and personas of very different sizes
that differ in what they do more than in how much.

`write_shop(con, n_users, seed)` creates schema `shop` with `customers` and `activity` and a
`persona_truth` table, and SHOP_VARS maps them through the documented vars alone."""

from __future__ import annotations

import numpy as np
import pandas as pd

EVENT_NAMES = ("open", "search", "view_item", "add_to_cart", "purchase", "return_item",
               "write_review", "rate", "wishlist_add")

# persona -> (share of users, mean events per event name over 14 days)
PERSONAS: dict[str, tuple[float, dict[str, float]]] = {
    "window_shoppers": (0.34, {"open": 10, "view_item": 25, "search": 2, "wishlist_add": 1}),
    "searchers": (0.20, {"open": 6, "search": 18, "view_item": 8, "add_to_cart": 1}),
    "regular_buyers": (0.18, {"open": 8, "view_item": 6, "add_to_cart": 5, "purchase": 4}),
    "reviewers": (0.12, {"open": 5, "view_item": 4, "purchase": 1, "write_review": 4,
                         "rate": 6}),
    "returners": (0.10, {"open": 6, "view_item": 5, "add_to_cart": 4, "purchase": 4,
                         "return_item": 3}),
    "wishlisters": (0.06, {"open": 4, "view_item": 6, "wishlist_add": 12}),
}
# per persona, the typical amount of one purchase
BASKET = {"window_shoppers": 20.0, "searchers": 30.0, "regular_buyers": 45.0, "reviewers": 40.0,
          "returners": 60.0, "wishlisters": 25.0}
WINDOW_DAYS = 14

SHOP_VARS = {
    "segscope_source_schema": "shop",
    "segscope_events_table": "activity",
    "segscope_users_table": "customers",
    "segscope_events_columns": {
        "event_id": "activity_ref", "user_id": "customer_ref", "occurred_at": "happened_at",
        "event_name": "action", "item_id": "sku", "value": "amount",
    },
    "segscope_users_columns": {"user_id": "customer_ref", "signed_up_at": "first_seen"},
    "segscope_user_attributes": {"country": "region", "device": None,
                                 "acquisition_channel": None},
    "segscope_user_key_type": "string",
    "segscope_window_days": WINDOW_DAYS,
}


def write_shop(con, n_users: int, seed: int) -> None:
    """Create shop.customers, shop.activity and shop.persona_truth in the DuckDB connection."""
    rng = np.random.default_rng(seed)
    names = list(PERSONAS)
    shares = np.array([PERSONAS[name][0] for name in names])
    persona = rng.choice(len(names), size=n_users, p=shares / shares.sum())
    refs = np.array([f"C{index:07d}" for index in range(n_users)])
    start = pd.Timestamp("2026-03-01")
    first_seen = start + pd.to_timedelta(rng.uniform(0, 30, n_users), unit="D")
    # heavy-tailed activity: the same persona comes in light and heavy users
    activity = rng.lognormal(0.0, 0.5, n_users)
    rows = []
    for name_index, event_name in enumerate(EVENT_NAMES):
        means = np.array([PERSONAS[name][1].get(event_name, 0.0) for name in names])[persona]
        # negative binomial (gamma-Poisson): overdispersed counts, zero where the mean is 0
        counts = rng.poisson(rng.gamma(2.0, means * activity / 2.0))
        users = np.repeat(np.arange(n_users), counts)
        n = len(users)
        amount = np.full(n, np.nan)
        if event_name in ("purchase", "return_item"):
            basket = np.array([BASKET[name] for name in names])[persona[users]]
            amount = np.round(rng.lognormal(np.log(basket), 0.3), 2)
            if event_name == "return_item":
                amount = -amount
        rows.append(pd.DataFrame({
            "user": users,
            "action": event_name,
            "offset_days": rng.uniform(0, WINDOW_DAYS, n),
            "sku": [f"SKU-{code:04d}" for code in rng.integers(0, 400, n)],
            "amount": amount,
            "name_index": name_index,
        }))
    events = pd.concat(rows, ignore_index=True)
    events["customer_ref"] = refs[events.user]
    events["happened_at"] = first_seen[events.user] + pd.to_timedelta(events.offset_days, "D")
    events["activity_ref"] = [f"A{user}-{name}-{row}" for row, (user, name) in
                              enumerate(zip(events.user, events.name_index, strict=True))]
    activity_table = events[["activity_ref", "customer_ref", "action", "happened_at", "sku",
                             "amount"]]
    customers = pd.DataFrame({
        "customer_ref": refs,
        "first_seen": first_seen,
        "region": rng.choice(["north", "south", "east", "west"], n_users),
    })
    truth = pd.DataFrame({"customer_ref": refs, "persona": np.array(names)[persona]})
    con.execute("create schema if not exists shop")
    for table, frame in (("activity", activity_table), ("customers", customers),
                         ("persona_truth", truth)):
        con.register("frame", frame)
        con.execute(f"create or replace table shop.{table} as select * from frame")
        con.unregister("frame")
