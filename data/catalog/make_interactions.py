"""Regenerate ``interactions.csv``: a synthetic, seeded log for the fictional Voltline.

Each customer follows one shopping persona (phone buyer, home cinema, gamer…),
views and buys mostly within it, with some noise. Flip Z and Terra X Rugged never
appear, so the reference assistant always has cold-start items that only the
content model can recommend. Run: ``python data/catalog/make_interactions.py``.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

import yaml

HERE = Path(__file__).parent
PERSONAS = {
    "phone": [
        "nova-8",
        "nova-8-mini",
        "nova-7a",
        "case-nova-8",
        "glass-nova-8",
        "wireless-pad",
        "power-bank",
        "charger-65w",
        "pulse-buds",
    ],
    "work": [
        "aerobook-14",
        "aerobook-16",
        "laptop-sleeve",
        "usb-c-hub",
        "wireless-mouse",
        "webcam-hd",
        "charger-65w",
        "pulse-anc",
    ],
    "gamer": [
        "forge-g15",
        "gaming-mouse",
        "gaming-headset",
        "hdmi-cable",
        "vista-65-oled",
        "aerobook-16",
    ],
    "cinema": [
        "vista-55",
        "vista-65-oled",
        "vista-43",
        "sound-bar-300",
        "tv-wall-mount",
        "hdmi-cable",
        "console-stand",
        "home-hub",
    ],
    "family": ["slate-kids", "kids-headphones", "slate-11", "slate-mini", "stylus-pen", "vista-43"],
    "fitness": ["watch-s", "band-2", "pulse-sport", "pulse-buds", "echo-speaker", "power-bank"],
    "student": [
        "studybook-13",
        "pulse-lite",
        "slate-mini",
        "power-bank",
        "nova-7a",
        "wireless-mouse",
        "laptop-sleeve",
    ],
}
EVENTS = [("view", 0.7), ("cart", 0.15), ("purchase", 0.15)]
NEVER_SEEN = {"flip-z", "terra-x"}


def main(*, users: int = 150, seed: int = 7) -> None:
    rng = random.Random(seed)  # noqa: S311 (synthetic data, not security)
    catalog = yaml.safe_load((HERE / "products.yml").read_text(encoding="utf-8"))
    everything = [p["id"] for p in catalog["products"] if p["id"] not in NEVER_SEEN]
    start = datetime(2026, 1, 1)
    rows = []
    for n in range(users):
        items = PERSONAS[rng.choice(sorted(PERSONAS))]
        when = start + timedelta(days=rng.randrange(300))
        for _ in range(rng.randint(3, 10)):
            item = rng.choice(everything) if rng.random() < 0.1 else rng.choice(items)
            event = rng.choices([e for e, _ in EVENTS], weights=[w for _, w in EVENTS])[0]
            when += timedelta(minutes=rng.randint(1, 3000))
            rows.append((f"c{n:04d}", item, event, when.isoformat(timespec="minutes")))
    with (HERE / "interactions.csv").open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["customer_id", "product_id", "event", "timestamp"])
        writer.writerows(rows)


if __name__ == "__main__":
    main()
