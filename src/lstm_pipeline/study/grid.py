"""The study's grid and the order its points run in.

Each seed is a block holding every (length, batch size) pair once, in an order of its
own drawn at random: the machine's slow spells (other processes, thermal limits) then
fall on every point alike instead of on whichever length or batch size runs last.

    >>> [(p["length"], p["batch_size"], p["seed"]) for p in grid_points([8, 16], [4], [1], 0)]
    [(16, 4, 1), (8, 4, 1)]
"""

import itertools

import numpy as np


def grid_points(lengths: list, batch_sizes: list[int], seeds: list[int], order_seed: int):
    """Every (length, batch size, seed) of the grid once, seed block by seed block, each
    block shuffled with ``order_seed``; each point carries its ``position`` in the run."""
    pairs = list(itertools.product(lengths, batch_sizes))
    rng = np.random.default_rng(order_seed)
    points = []
    for seed in seeds:
        for index in rng.permutation(len(pairs)):
            length, batch_size = pairs[index]
            points.append({"length": length, "batch_size": int(batch_size), "seed": int(seed)})
    return [{**point, "position": n} for n, point in enumerate(points)]
