"""The request loaders: a row loaded once answers at once after, and is forgotten when asked."""

from __future__ import annotations

import asyncio
import inspect

from schema.context import Loader


def _loader() -> tuple[Loader, list[list[int]]]:
    batches: list[list[int]] = []

    async def load(keys: list[int]) -> list[str]:
        batches.append(list(keys))
        return [f"row {k}" for k in keys]

    return Loader(load), batches


async def test_what_a_page_filled_answers_at_once_and_loads_once():
    loader, batches = _loader()
    assert await loader.fill([3, 1, 3]) == ["row 3", "row 1", "row 3"]
    assert loader.soon(1, str.upper) == "ROW 1"  # a value, not an awaitable: no task per field
    assert loader.soon_many([3, 1], len) == 2
    assert await loader.load(3) == "row 3" and await loader.fill([1, 3]) == ["row 1", "row 3"]
    assert batches == [[3, 1]]


async def test_what_it_does_not_hold_it_loads_in_one_batch_and_then_holds():
    loader, batches = _loader()
    first, second = loader.soon(7, str.upper), loader.soon(8, str.upper)
    assert inspect.isawaitable(first) and inspect.isawaitable(second)
    assert await asyncio.gather(first, second) == ["ROW 7", "ROW 8"]  # as graphql-core runs them
    assert loader.soon(7, str.upper) == "ROW 7"
    assert batches == [[7, 8]]


async def test_primed_rows_are_held_and_forgotten_rows_are_read_again():
    loader, batches = _loader()
    loader.prime(5, "written")
    assert loader.soon(5, str) == "written" and await loader.load(5) == "written"
    loader.clear_all()  # after a mutation the request must not answer from what it read before
    assert await loader.fill([5]) == ["row 5"]
    loader.clear(5)
    again = loader.soon(5, str)
    assert inspect.isawaitable(again) and await again == "row 5"
    assert batches == [[5], [5]]
