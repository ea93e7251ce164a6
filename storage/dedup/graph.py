"""Duplicate clusters and fragment edges, and the links that follow from them.

Links are a pure function of the graph (nodes with their canonical keys, near-duplicate edges,
fragment edges), never of the order the edges were added in: that is what makes the canonical
set order-independent. Incremental updates only recompute the clusters whose links can change.
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

    def __init__(self, key: Callable[[int], Any]) -> None:
        self._key = key  # node -> comparable; the cluster's canonical is the member with the largest
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

    def _container_cluster(self, root: int) -> int | None:
        """The cluster `root` is a fragment of: highest containment, then the best canonical."""
        choice: tuple[float, Any] | None = None
        chosen: int | None = None
        for member in self._members.get(root, [root]):
            for container, containment in self._contained_in.get(member, {}).items():
                container_root = self.find(container)
                if container_root == root:
                    continue
                score = (containment, self._key(self._best_member(container_root)))
                if choice is None or score > choice:
                    choice, chosen = score, container_root
        return chosen

    def _final_cluster(self, root: int, memo: dict[int, int]) -> int:
        """Follow container clusters to the end; on a cycle the cycle's best-keyed cluster ends it."""
        path: list[int] = []
        on_path: dict[int, int] = {}
        current: int | None = root
        while current is not None and current not in memo and current not in on_path:
            on_path[current] = len(path)
            path.append(current)
            current = self._container_cluster(current)
        if current is None:
            final = path[-1]
        elif current in memo:
            final = memo[current]
        else:
            cycle = path[on_path[current] :]
            final = max(cycle, key=lambda r: self._key(self._best_member(r)))
        for visited in path:
            memo[visited] = final
        return final

    def resolve(self, roots: Iterable[int]) -> dict[int, tuple[int | None, bool]]:
        """node -> (the canonical it points at or None, whether it is a fragment) for every member of `roots`."""
        memo: dict[int, int] = {}
        result: dict[int, tuple[int | None, bool]] = {}
        for root in roots:
            final = self._final_cluster(root, memo)
            target = self._best_member(final)
            for member in self._members.get(root, [root]):
                result[member] = (None, False) if member == target else (target, final != root)
        return result
