"""The Merkle tree of RFC 6962 §2.1 (as restated in RFC 9162 §2.1), SHA-256, standard library only.

    leaf_hash(data)                          SHA-256(0x00 || data)                 RFC 6962 §2.1
    node_hash(left, right)                   SHA-256(0x01 || left || right)        RFC 6962 §2.1
    root(leaf_hashes)                        MTH(D[n]); the empty tree is SHA-256("")
    inclusion_proof(leaf_hashes, index)      PATH(m, D[n])                         RFC 6962 §2.1.1
    verify_inclusion(leaf_hash, index, size, proof, root)                          RFC 9162 §2.1.3.2
    consistency_proof(leaf_hashes, old_size) PROOF(m, D[n])                        RFC 6962 §2.1.2
    verify_consistency(old_size, new_size, old_root, new_root, proof)              RFC 9162 §2.1.4.2

Everything here takes *leaf hashes* (32 bytes each), never leaf data: the log stores the hash of
each leaf, and whoever builds a leaf hashes it once with `leaf_hash`.

Streaming, for a log too large to hold (a verifier walking a million leaves):

    CompactRange           appends leaf hashes one at a time and keeps only the roots of the
                           perfect subtrees that make up the tree so far, one per set bit of
                           the size: at most 64 hashes, whatever the size. `root()` at any time.
    consistency_proof_stream(leaf_hashes, old_size, new_size)
                           one pass over the leaf hashes gives the old root, the new root and
                           the consistency proof between them, in O(log n) memory.
    inclusion_proof_from / consistency_proof_from(subtree_hash, ...)
                           the proofs from any source of subtree hashes (stored interior
                           nodes, tiles, or `leaf_range_hasher(leaf_hash_at)`), O(log n) calls.

Costs: a proof has at most log2(n) + 1 hashes. Computed from leaf hashes alone (the list
functions, `leaf_range_hasher`, the stream), a proof costs about one node hash per leaf, since
the subtrees it names are disjoint and cover the tree: O(n) time, O(log n) memory beyond the
input. A store that keeps interior nodes answers `subtree_hash` in O(log n) and the proof then
costs O(log² n).

Verification returns True or False and never raises on bad input (wrong sizes, wrong lengths,
garbage proofs are simply False): the caller decides what a failure means.
"""
from __future__ import annotations

import hashlib
from itertools import islice
from typing import Callable, Iterable, NamedTuple, Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()   # MTH({}) = SHA-256() (RFC 6962 §2.1)

_sha256 = hashlib.sha256
_LEAF = b"\x00"
_NODE = b"\x01"

SubtreeHasher = Callable[[int, int], bytes]
"""subtree_hash(start, end) -> MTH(D[start:end]), the hash of the tree over leaves start..end-1."""


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d) (RFC 6962 §2.1)."""
    return _sha256(_LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || MTH(left) || MTH(right)) (RFC 6962 §2.1)."""
    return _sha256(_NODE + left + right).digest()


def _split(n: int) -> int:
    """k, the largest power of two smaller than n (n > 1): MTH(D[n]) splits into D[0:k], D[k:n]."""
    return 1 << ((n - 1).bit_length() - 1)


class CompactRange:
    """The running root of a log fed one leaf hash at a time, in O(log n) memory.

    It holds the roots of the perfect subtrees that make up a tree of `size` leaves, one per set
    bit of the size, largest (leftmost) first: for 7 leaves, MTH(D[0:4]), MTH(D[4:6]), D[6].
    Appending a leaf merges equal-sized subtrees like a binary counter carries (one node hash per
    leaf on average); the root folds the subtrees from the right, which is exactly RFC 6962's
    split at the largest power of two. (transparency-dev/merkle calls this a compact range
    [0, size); its docs/compact_ranges.md draws it.)
    """

    __slots__ = ("_nodes", "_size")

    def __init__(self) -> None:
        self._nodes: list[bytes] = []
        self._size = 0

    @property
    def size(self) -> int:
        return self._size

    @property
    def nodes(self) -> tuple[bytes, ...]:
        """The perfect-subtree roots, leftmost first (what a verifier would persist to resume)."""
        return tuple(self._nodes)

    def append(self, leaf_hash: bytes) -> None:
        """Add the next leaf hash (32 bytes, `leaf_hash(data)`)."""
        nodes, h, carry = self._nodes, leaf_hash, self._size
        while carry & 1:
            h = _sha256(_NODE + nodes.pop() + h).digest()
            carry >>= 1
        nodes.append(h)
        self._size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> "CompactRange":
        """Append every leaf hash of an iterable (consumed lazily); returns self."""
        nodes, size, sha, node = self._nodes, self._size, _sha256, _NODE
        pop, push = nodes.pop, nodes.append
        try:
            for h in leaf_hashes:
                carry = size
                while carry & 1:
                    h = sha(node + pop() + h).digest()
                    carry >>= 1
                push(h)
                size += 1
        finally:
            self._size = size
        return self

    def append_collect(self, leaf_hash: bytes) -> list[bytes]:
        """`append`, returning every node this leaf completes: the perfect subtrees ending at the
        new size, of 1, 2, 4, ... leaves (index j holds the one of 2**j leaves)."""
        nodes, h, carry = self._nodes, leaf_hash, self._size
        made = [h]
        while carry & 1:
            h = _sha256(_NODE + nodes.pop() + h).digest()
            made.append(h)
            carry >>= 1
        nodes.append(h)
        self._size += 1
        return made

    def suffix_hash(self, start: int) -> bytes:
        """MTH(D[start:size]) for a `start` where one of the held subtrees begins: the right-border
        node of the tree that starts there (start 0 gives the root)."""
        if start == self._size == 0:
            return EMPTY_ROOT
        begin, index = 0, 0
        for bit in range(self._size.bit_length() - 1, -1, -1):
            if not self._size >> bit & 1:
                continue
            if begin == start:
                return _fold(self._nodes[index:])
            begin += 1 << bit
            index += 1
        raise ValueError(f"no subtree of the compact range starts at {start}")

    def root(self) -> bytes:
        """MTH of the leaves appended so far (EMPTY_ROOT before the first)."""
        return _fold(self._nodes) if self._nodes else EMPTY_ROOT


def _fold(nodes: Sequence[bytes]) -> bytes:
    """Fold perfect-subtree roots from the right: H(a, H(b, c)) for [a, b, c]."""
    h = nodes[-1]
    for left in reversed(nodes[:-1]):
        h = _sha256(_NODE + left + h).digest()
    return h


def root(leaf_hashes: Iterable[bytes]) -> bytes:
    """MTH(D[n]) (RFC 6962 §2.1) of any number of leaf hashes; any iterable, streamed."""
    return CompactRange().extend(leaf_hashes).root()


def leaf_range_hasher(leaf_hash_at: Callable[[int], bytes]) -> SubtreeHasher:
    """subtree_hash(start, end) computed from the leaf hashes themselves, read one at a time from
    `leaf_hash_at(i)`: end - start reads and about as many node hashes, O(log n) memory."""
    def subtree_hash(start: int, end: int) -> bytes:
        return CompactRange().extend(leaf_hash_at(i) for i in range(start, end)).root()
    return subtree_hash


# --- which subtrees a proof names (indices only) -------------------------------------------------

def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges [start, end) whose MTH make up PATH(index, D[size]) (RFC 6962 §2.1.1), in
    proof order (from the leaf's sibling up to the root's other child). Disjoint."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} outside a tree of {size} leaves")
    ranges, start, end = [], 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()
    return ranges


def consistency_ranges(old_size: int, new_size: int) -> list[tuple[int, int]]:
    """The leaf ranges whose MTH make up PROOF(m, D[n]) = SUBPROOF(m, D[n], true) (RFC 6962
    §2.1.2), in proof order. Defined for 0 < m <= n; empty when m == n. Disjoint."""
    if not 0 < old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size} leaves")
    ranges, start, end, m, whole = [], 0, new_size, old_size, True
    while m != end - start:
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
            m -= k
            whole = False
    if not whole:
        ranges.append((start, end))
    ranges.reverse()
    return ranges


# --- proofs ---------------------------------------------------------------------------------------

def inclusion_proof_from(subtree_hash: SubtreeHasher, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) from a source of subtree hashes (O(log size) calls)."""
    return [subtree_hash(s, e) for s, e in inclusion_ranges(index, size)]


def consistency_proof_from(subtree_hash: SubtreeHasher, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[new_size]) from a source of subtree hashes (O(log new_size) calls)."""
    return [subtree_hash(s, e) for s, e in consistency_ranges(old_size, new_size)]


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) (RFC 6962 §2.1.1) over all the leaf hashes (O(n) node hashes)."""
    return inclusion_proof_from(leaf_range_hasher(leaf_hashes.__getitem__), index, len(leaf_hashes))


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) (RFC 6962 §2.1.2): that the first old_size leaves are the tree the
    old root was made of (O(n) node hashes). 0 < old_size <= n."""
    return consistency_proof_from(leaf_range_hasher(leaf_hashes.__getitem__), old_size, len(leaf_hashes))


class StreamedProof(NamedTuple):
    old_root: bytes
    new_root: bytes
    proof: list[bytes]


def consistency_proof_stream(leaf_hashes: Iterable[bytes], old_size: int, new_size: int) -> StreamedProof:
    """One pass over exactly new_size leaf hashes: the root at old_size, the root at new_size and
    PROOF(old_size, D[new_size]), holding only a compact range and the proof (O(log n) memory).

    Each leaf costs one `CompactRange.append`; at the ends of the proof's subtrees (O(log n) of
    them) the completed nodes are picked up as they are made. A subtree of the proof is either
    perfect, so the append that ends it makes it, or on the new tree's right border, so it is a
    suffix of the compact range at new_size. ValueError if the iterable holds another count.
    An old_size of 0 gives the empty root and no proof (there is nothing to prove)."""
    if not 0 <= old_size <= new_size:
        raise ValueError(f"no consistency proof from {old_size} to {new_size} leaves")
    ranges = consistency_ranges(old_size, new_size) if old_size else []
    by_end: dict[int, list[tuple[int, int]]] = {}
    for s, e in ranges:
        by_end.setdefault(e, []).append((s, e))
    found: dict[tuple[int, int], bytes] = {}
    cr = CompactRange()
    old_root = EMPTY_ROOT
    it = iter(leaf_hashes)
    done = 0
    for stop in sorted({*by_end, old_size} - {0}):
        # Stream the leaves before `stop` fast, then take the one that ends there with its nodes.
        cr.extend(islice(it, stop - 1 - done))
        if cr.size != stop - 1:
            raise ValueError(f"expected {new_size} leaf hashes, got {cr.size}")
        last = next(it, None)
        if last is None:
            raise ValueError(f"expected {new_size} leaf hashes, got {cr.size}")
        made = cr.append_collect(last)
        done = stop
        for s, e in by_end.get(stop, ()):
            width = e - s
            if width <= (stop & -stop):          # perfect: made by this append
                found[(s, e)] = made[width.bit_length() - 1]
            else:                                # right border of the new tree
                found[(s, e)] = cr.suffix_hash(s)
        if stop == old_size:
            old_root = cr.root()
    cr.extend(islice(it, new_size - done))
    if cr.size != new_size:
        raise ValueError(f"expected {new_size} leaf hashes, got {cr.size}")
    if next(it, None) is not None:
        raise ValueError(f"expected {new_size} leaf hashes, got more")
    return StreamedProof(old_root, cr.root(), [found[r] for r in ranges])


# --- verification (RFC 9162) ---------------------------------------------------------------------

def _is_hash(h) -> bool:
    return isinstance(h, (bytes, bytearray)) and len(h) == HASH_SIZE


def root_from_inclusion_proof(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """The root that `proof` implies for `leaf_hash` at `index` in a tree of `size` leaves, or
    None if the proof cannot be one (RFC 9162 §2.1.3.2 steps 1-4 and the sn == 0 check of 5)."""
    if not (0 <= index < size) or not _is_hash(leaf_hash) or not all(_is_hash(p) for p in proof):
        return None
    fn, sn, r = index, size - 1, bytes(leaf_hash)
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether `proof` shows the leaf hash at `index` in the tree of `size` leaves with `root`
    (RFC 9162 §2.1.3.2)."""
    computed = root_from_inclusion_proof(leaf_hash, index, size, proof)
    return computed is not None and computed == root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes,
                       proof: Sequence[bytes]) -> bool:
    """Whether `proof` shows that the tree of new_size leaves with new_root extends the tree of
    old_size leaves with old_root: same first old_size leaves, nothing removed or rewritten
    (RFC 9162 §2.1.4.2).

    Equal sizes need an empty proof and equal roots. An old size of 0 is refused, as in
    transparency-dev/merkle: the empty tree is a prefix of every tree, so a checkpoint of it
    proves nothing and the caller must not treat it as evidence."""
    if not (0 < old_size <= new_size):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof or not all(_is_hash(p) for p in (old_root, new_root, *proof)):
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:          # step 2: an exact power of two
        path.insert(0, bytes(old_root))
    fn, sn = old_size - 1, new_size - 1         # step 3
    while fn & 1:                               # step 4
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]                           # step 5
    for c in path[1:]:                          # step 6
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root   # step 7
