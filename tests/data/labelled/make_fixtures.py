"""Re-create the non-.ts fixtures of this folder from the .ts fixtures (run from the repo root).

    .venv/bin/python tests/data/labelled/make_fixtures.py

Values are the archive's (read from the .ts fixtures or the bundled files with the project's
reader); only the container changes. README.md says what each file holds.
"""

from pathlib import Path

import h5py
import numpy as np
import pandas as pd

from lstm_pipeline.ingest.labelled import read_ts

HERE = Path(__file__).resolve().parent
UCR = HERE.parents[2] / "data" / "01_raw" / "ucr"


def case_text(line: str) -> tuple[str, list[str]]:
    """Label and value texts of a univariate .ts data line (values kept as written)."""
    values, label = line.rsplit(":", 1)
    return label, values.split(",")


def ts_lines(path: Path) -> list[str]:
    lines = path.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().lower() == "@data")
    return [line for line in lines[start + 1 :] if line.strip()]


def tsv_gunpoint() -> None:
    folder = HERE / "GunPointTsv"
    folder.mkdir(exist_ok=True)
    for split in ("TRAIN", "TEST"):
        rows = [case_text(line) for line in ts_lines(HERE / "GunPoint" / f"GunPoint_{split}.ts")]
        text = "".join("\t".join([label, *values]) + "\n" for label, values in rows)
        (folder / f"GunPoint_{split}.tsv").write_text(text)


def tsv_padded_vowels() -> None:
    """JapaneseVowels dimension 0 as a UCR-2018 style variable-length .tsv: NaN padding at
    the end of each case to the longest; case 1 step 2 blanked as missing (NaN inside)."""
    folder = HERE / "JapaneseVowelsDim0"
    folder.mkdir(exist_ok=True)
    for split in ("TRAIN", "TEST"):
        lines = ts_lines(HERE / "JapaneseVowels" / f"JapaneseVowels_{split}.ts")
        rows = [(line.rsplit(":", 1)[1], line.split(":")[0].split(",")) for line in lines]
        longest = max(len(values) for _, values in rows)
        if split == "TRAIN":
            rows[1][1][2] = "NaN"
        text = "".join(
            "\t".join([label, *values, *["NaN"] * (longest - len(values))]) + "\n"
            for label, values in rows
        )
        (folder / f"JapaneseVowelsDim0_{split}.tsv").write_text(text)


def txt_italy() -> None:
    """ItalyPowerDemand TRAIN cases 0-5 and TEST cases 0-3 in the old (2015) .txt layout:
    whitespace-separated, label and values in %.7e (every value round-trips exactly)."""
    folder = HERE / "ItalyPowerDemandTxt"
    folder.mkdir(exist_ok=True)
    for split, n in (("TRAIN", 6), ("TEST", 4)):
        lines = ts_lines(UCR / "ItalyPowerDemand" / f"ItalyPowerDemand_{split}.ts")[:n]
        out = []
        for label, values in map(case_text, lines):
            written = [f"{float(v):.7e}" for v in values]
            assert all(float(w) == float(v) for w, v in zip(written, values, strict=True))
            out.append("  ".join([f"{float(label):.7e}", *written]))
        (folder / f"ItalyPowerDemand_{split}.txt").write_text("\n".join(out) + "\n")


def hdf5_basic_motions() -> None:
    """BasicMotions (6 dims, length 100): TRAIN cases 0,1,10,11,20,21,30,31, TEST 0,10,20,30,
    as float32 data (n, 100, 6) and one-hot labels over the header's class order."""
    folder = HERE / "BasicMotionsHdf5"
    folder.mkdir(exist_ok=True)
    classes = ["Standing", "Running", "Walking", "Badminton"]
    for split, picks in (("TRAIN", [0, 1, 10, 11, 20, 21, 30, 31]), ("TEST", [0, 10, 20, 30])):
        cases = read_ts(UCR / "BasicMotions" / f"BasicMotions_{split}.ts")
        data = np.stack([cases.values[i] for i in picks])
        one_hot = np.zeros((len(picks), len(classes)), dtype=np.int8)
        one_hot[np.arange(len(picks)), [classes.index(cases.labels[i]) for i in picks]] = 1
        with h5py.File(folder / f"BasicMotions_{split}.h5", "w") as handle:
            handle.create_dataset("data", data=data)
            handle.create_dataset("labels", data=one_hot)


def hdf5_padded_vowels() -> None:
    """The JapaneseVowels fixtures zero-padded to the longest case, true lengths in 'len',
    labels as bytes in 'y', data in 'X' (names other than the defaults on purpose)."""
    folder = HERE / "JapaneseVowelsHdf5"
    folder.mkdir(exist_ok=True)
    for split in ("TRAIN", "TEST"):
        cases = read_ts(HERE / "JapaneseVowels" / f"JapaneseVowels_{split}.ts")
        lengths = cases.lengths()
        data = np.zeros((len(cases), int(lengths.max()), 12), dtype=np.float32)
        for i, values in enumerate(cases.values):
            data[i, : len(values)] = values
        with h5py.File(folder / f"JapaneseVowels_{split}.h5", "w") as handle:
            handle.create_dataset("X", data=data)
            handle.create_dataset("y", data=np.array([s.encode() for s in cases.labels]))
            handle.create_dataset("len", data=lengths)


def long_tables() -> None:
    """The JapaneseVowels fixtures as long tables. CSV: id, step, c1..c12, label, rows
    shuffled (seed 0). Parquet: id, time (timestamps 10 ms apart), c1..c12 with labels in
    labels.csv beside it."""
    csv, parquet = HERE / "VowelsTable", HERE / "VowelsParquet"
    csv.mkdir(exist_ok=True)
    parquet.mkdir(exist_ok=True)
    labels = []
    for split in ("TRAIN", "TEST"):
        cases = read_ts(HERE / "JapaneseVowels" / f"JapaneseVowels_{split}.ts")
        frames = []
        for i, (values, label) in enumerate(zip(cases.values, cases.labels, strict=True)):
            frame = pd.DataFrame(values, columns=[f"c{d + 1}" for d in range(12)])
            frame.insert(0, "step", np.arange(len(values)))
            frame.insert(0, "id", f"{split.lower()}-{i}")
            frame["label"] = label
            frames.append(frame)
            labels.append((f"{split.lower()}-{i}", label))
        table = pd.concat(frames, ignore_index=True)
        table.sample(frac=1.0, random_state=0).to_csv(csv / f"vowels_{split}.csv", index=False)
        table["time"] = pd.Timestamp("2024-01-01") + pd.to_timedelta(table.pop("step") * 10, "ms")
        table.drop(columns="label").to_parquet(parquet / f"vowels_{split}.parquet", index=False)
    pd.DataFrame(labels, columns=["id", "label"]).to_csv(parquet / "labels.csv", index=False)


if __name__ == "__main__":
    tsv_gunpoint()
    tsv_padded_vowels()
    txt_italy()
    hdf5_basic_motions()
    hdf5_padded_vowels()
    long_tables()
