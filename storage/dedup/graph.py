"""Duplicate clusters and fragment edges, and the links that follow from them.

Links are a pure function of the graph (nodes with their canonical keys, near-duplicate edges,
fragment edges) and of which node's text is mostly in which other's (a pure function of the two
texts, asked of the index), never of the order the edges were added in: that is what makes the
canonical set order-independent. Incremental updates only recompute the clusters whose links can
change.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from typing import Any


class ClusterGraph:
    """Union-find over same-document (exact/near) edges plus directed fragment edges between docs.

    A node alone in its cluster (most of them) costs 4 bytes: member lists and best members are kept
    only for clusters of two or more.
    """

    def __init__(self, key: Callable[[int], Any], mostly_in: Callable[[int, int], bool] = lambda a, b: True) -> None:
        """`key`: node -> comparable, a cluster's canonical is the member with the largest.
        `mostly_in(a, b)`: whether most of node a's text occurs in node b's (see `_containers`)."""
        self._key = key
        self._mostly_in = mostly_in
        self._parent = array("i")
        self._members: dict[int, list[int]] = {}  # root -> members, clusters of two or more only
        self._best: dict[int, int] = {}  # root -> best member, clusters of two or more only
        self._contained_in: dict[int, dict[int, float]] = {}  # fragment doc -> {container doc: containment}
        self._contains: dict[int, list[int]] = {}  # container doc -> fragment docs

    def __len__(self) -> int:
        return len(self._parent)

    def add_node(self) -> int:
        node = len(self._parent)
        self._parent.append(node)
        return node

    def add_nodes(self, count: int) -> None:
        self._parent.extend(range(len(self._parent), len(self._parent) + count))

    def find(self, node: int) -> int:
        parent = self._parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        members_a, members_b = self._members.get(ra, [ra]), self._members.get(rb, [rb])
        if len(members_a) < len(members_b):
            ra, rb, members_a, members_b = rb, ra, members_b, members_a
        self._parent[rb] = ra
        members_a.extend(members_b)
        self._members[ra] = members_a
        self._members.pop(rb, None)
        best_a, best_b = self._best.get(ra, ra), self._best.pop(rb, rb)
        self._best[ra] = best_a if self._key(best_a) >= self._key(best_b) else best_b
        return ra

    def add_fragment(self, fragment: int, container: int, containment: float) -> None:
        edges = self._contained_in.setdefault(fragment, {})
        if container not in edges:
            self._contains.setdefault(container, []).append(fragment)
        edges[container] = max(containment, edges.get(container, 0.0))

    def _best_member(self, root: int) -> int:
        return self._best.get(root, root)

    def canonical(self, node: int) -> int:
        return self._best_member(self.find(node))

    def members(self, node: int) -> list[int]:
        root = self.find(node)
        return self._members.get(root, [root])

    def clusters(self) -> list[int]:
        """Every cluster's root."""
        return [node for node, parent in enumerate(self._parent) if node == parent]

    def linked_clusters(self) -> set[int]:
        """Roots of the clusters with more than one member or a fragment edge: the others link to nothing."""
        roots = set(self._members)
        for fragment, containers in self._contained_in.items():
            roots.add(self.find(fragment))
            roots.update(self.find(container) for container in containers)
        return roots

    def upstream(self, node: int) -> set[int]:
        """Cluster roots whose links can depend on `node`'s cluster: it and every cluster that is a fragment of it, transitively."""
        start = self.find(node)
        seen = {start}
        todo = [start]
        while todo:
            root = todo.pop()
            for member in self._members.get(root, [root]):
                for fragment in self._contains.get(member, ()):
                    fragment_root = self.find(fragment)
                    if fragment_root not in seen:
                        seen.add(fragment_root)
                        todo.append(fragment_root)
        return seen

    def _containers(self, root: int) -> list[int]:
        """The clusters `root` is a fragment of at its highest containment: one, or several on a tie.

        A member's fragment edge counts only where the cluster's canonical is mostly in that
        container too. A repost that dropped a report's own paragraphs keeps the paragraphs the
        report shares with next year's report, and so is contained in it; the report is not.
        """
        best = self._best_member(root)
        top, tied = 0.0, []
        best_in: dict[int, bool] = {}  # container node -> whether best is mostly in it (near-copies share containers)
        for member in self._members.get(root, [root]):
            for container, containment in self._contained_in.get(member, {}).items():
                container_root = self.find(container)
                if container_root == root or containment < top:
                    continue
                if member != best and container not in best_in:
                    best_in[container] = self._mostly_in(best, container)
                if member != best and not best_in[container]:
                    continue
                if containment > top:
                    top, tied = containment, [container_root]
                elif container_root not in tied:
                    tied.append(container_root)
        return tied

    def _best_keyed(self, roots: list[int]) -> int:
        return max(roots, key=lambda r: self._key(self._best_member(r)))

    def _tie_broken_container(self, root: int) -> int | None:
        """The cluster `root` is a fragment of, a tie going to the best canonical."""
        tied = self._containers(root)
        return self._best_keyed(tied) if tied else None

    def _container_cluster(self, root: int, tie_broken: dict[int, int]) -> int | None:
        """The cluster `root` is a fragment of, or None; `tie_broken`: memo of `_tie_broken_container` chains.

        A tie between containers that end in different clusters whose canonicals are not mostly in
        one another (a report and next year's report, both holding all of an excerpt's sentences)
        leaves `root` a fragment of neither: which one it was taken from cannot be told.
        """
        tied = self._containers(root)
        if len(tied) > 1:
            finals = sorted({self._follow(c, self._tie_broken_container, tie_broken) for c in tied})
            canonicals = [self._best_member(final) for final in finals]
            for i, a in enumerate(canonicals):
                if any(not self._mostly_in(a, b) and not self._mostly_in(b, a) for b in canonicals[i + 1 :]):
                    return None
        return self._best_keyed(tied) if tied else None

    def _follow(self, root: int, step: Callable[[int], int | None], memo: dict[int, int]) -> int:
        """Follow `step` from `root` to the end; on a cycle the cycle's best-keyed cluster ends it."""
        path: list[int] = []
        on_path: dict[int, int] = {}
        current: int | None = root
        while current is not None and current not in memo and current not in on_path:
            on_path[current] = len(path)
            path.append(current)
            current = step(current)
        if current is None:
            final = path[-1]
        elif current in memo:
            final = memo[current]
        else:
            final = self._best_keyed(path[on_path[current] :])
        for visited in path:
            memo[visited] = final
        return final

    def resolve(self, roots: Iterable[int]) -> dict[int, tuple[int | None, bool]]:
        """node -> (the canonical it points at or None, whether it is a fragment) for every member of `roots`."""
        memo: dict[int, int] = {}
        tie_broken: dict[int, int] = {}
        result: dict[int, tuple[int | None, bool]] = {}
        for root in roots:
            final = self._follow(root, lambda r: self._container_cluster(r, tie_broken), memo)
            target = self._best_member(final)
            for member in self._members.get(root, [root]):
                result[member] = (None, False) if member == target else (target, final != root)
        return result
