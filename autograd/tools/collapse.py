"""Big graphs, drawn so they fit: each nn.Module call collapses into one box, from the deepest level up, until the
drawing has few enough boxes (and, by default, a longest path that fits a screen); past that, only the boxes nearest
the output are kept. draw() and animate() both ask here which box each item is drawn in."""
from __future__ import annotations

from typing import Any

from .graph import value_key
from .paint import _Item

# A default drawing fits a screen: at most this many boxes, and at most this many along its longest path (about 120 pt
# each, left to right: 24 fit a 1920-pixel screen at half size, which stays readable once zoomed). An explicit
# max_nodes= asks for up to that many boxes however long the drawing gets.
MAX_NODES = 300
SCREEN_RANKS = 24


def fit(items: dict, edges: list, max_nodes: int | None, roots: list) -> tuple[dict, list[str]]:
    """Which box each item is drawn in: itself, or its module's box when the graph is too big.

    Too big is more than `max_nodes` boxes; with `max_nodes=None` (the default), more than MAX_NODES boxes or a longest
    path of more than SCREEN_RANKS boxes (a model drawn op by op is a strip many screens wide). Modules collapse from
    the deepest level up, to the first level that fits.
    """
    reps = {i: it for i, it in items.items()}
    limit = MAX_NODES if max_nodes is None else max_nodes
    by_length = max_nodes is None  # an explicit max_nodes asks for that many boxes, however long the drawing

    def fits(level: int | None) -> bool:
        if len({_box_key(it, level) for it in items.values()}) > limit:
            return False
        return not by_length or _longest_path(items, edges, level) <= SCREEN_RANKS

    if fits(None):
        return reps, []
    depth = max((len(it.scope) for it in items.values()), default=0)
    chosen = None
    for d in range(depth - 1, -1, -1):
        chosen = d
        if fits(d):
            break
    notes = []
    if chosen is not None:
        boxes: dict = {}
        for i, it in items.items():
            if len(it.scope) > chosen:
                scope = it.scope[:chosen + 1]
                if scope not in boxes:
                    boxes[scope] = _Item(f"m{len(boxes)}", "module", [], module_label(scope), scope[:-1], scope)
                boxes[scope].obj.append(it)
                reps[i] = boxes[scope]
        why = (f"{len(items)} nodes is more than max_nodes={limit}" if len(items) > limit else
               f"the longest path has {_longest_path(items, edges, None)} boxes, more than fit on a screen")
        notes.append(f"{why}: each module call is drawn as one box (draw(..., max_nodes={len(items)}) shows every op)")
    kept = _nearest(items, edges, reps, limit, roots)
    if kept is not None:
        left_out = len({id(r) for r in reps.values()}) - len(kept)
        reps = {i: r for i, r in reps.items() if id(r) in kept}
        notes.append(f"{left_out} more nodes, farthest from the output, are not drawn (raise max_nodes to see them)")
    return reps, notes


def _box_key(item: _Item, level: int | None) -> Any:
    """The box `item` is drawn in when modules collapse at `level` (None: none collapse)."""
    return item.scope[:level + 1] if level is not None and len(item.scope) > level else item.id


def _longest_path(items: dict, edges: list, level: int | None) -> int:
    """How many boxes the longest path through the drawing passes (a left-to-right drawing is about that many boxes
    wide), with modules collapsed at `level`."""
    into: dict = {}
    waiting = {i: 0 for i in items}
    for src, dst, _ in edges:
        into.setdefault(dst, []).append(src)
        waiting[dst] += 1
    out_of: dict = {}
    for src, dst, _ in edges:
        out_of.setdefault(src, []).append(dst)
    ready = [i for i, n in waiting.items() if n == 0]
    length: dict = {}
    while ready:  # Kahn's order: every item after the items it is made from
        i = ready.pop()
        box = _box_key(items[i], level)
        length[i] = max((length[j] + (_box_key(items[j], level) != box) for j in into.get(i, ())), default=1)
        for k in out_of.get(i, ()):
            waiting[k] -= 1
            if waiting[k] == 0:
                ready.append(k)
    return max(length.values(), default=0)


def _nearest(items: dict, edges: list, reps: dict, max_nodes: int, roots: list) -> set | None:
    """The `max_nodes` boxes nearest the roots (walking back along edges), or None when all of them fit."""
    boxes = {id(r) for r in reps.values()}
    if len(boxes) <= max_nodes:
        return None
    into: dict = {}
    for src, dst, _ in edges:
        into.setdefault(dst, []).append(src)
    root_keys = {value_key(r) for r in roots}
    frontier = [i for i, it in items.items() if it.key in root_keys]
    kept: set = set()
    seen = set(frontier)
    while frontier and len(kept) < max_nodes:
        nxt = []
        for i in frontier:
            if len(kept) >= max_nodes:
                break
            kept.add(id(reps[i]))
            for j in into.get(i, ()):
                if j not in seen:
                    seen.add(j)
                    nxt.append(j)
        frontier = nxt
    return kept


def module_label(scope: tuple) -> str:
    name, type_name = scope[-1]
    return f"{name}: {type_name}" if name else type_name
