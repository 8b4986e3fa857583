"""Build data/01_raw/seattle_weather/seattle_weather.csv from vega_datasets' seattle-weather.

The shape people bring from weather stations: the date as separate ``year``, ``month`` and
``day`` columns, and a text category (``weather``: drizzle, fog, rain, snow, sun). The values
are the wheel's, unchanged; only the one ``date`` column is split into its parts.

Run from the project root, with the wheel's CSV (``pip download vega_datasets==0.9.0``,
unzip, ``vega_datasets/_data/seattle-weather.csv``):
``.venv/bin/python scripts/make_seattle_weather.py path/to/seattle-weather.csv``.
"""

import sys
from pathlib import Path

import pandas as pd

TARGET = Path("data/01_raw/seattle_weather/seattle_weather.csv")


def main(source: str) -> None:
    frame = pd.read_csv(source)
    date = pd.to_datetime(frame.pop("date"), format="%Y/%m/%d")
    parts = pd.DataFrame({"year": date.dt.year, "month": date.dt.month, "day": date.dt.day})
    TARGET.parent.mkdir(parents=True, exist_ok=True)
    pd.concat([parts, frame], axis=1).to_csv(TARGET, index=False)
    print(f"{TARGET}: {len(frame)} days, {date.min().date()} to {date.max().date()}")


if __name__ == "__main__":
    main(sys.argv[1])
