"""The agency-wide log (issue 15): one RFC 6962 Merkle tree over every event the product acts on,
and signed checkpoints of it that leave the database.

merkle.py is the tree (leaf and node hashes, roots, inclusion and consistency proofs, and the
streaming compact range a verifier uses to walk a million leaves in bounded memory); it needs
only the standard library. checkpoint.py is the signed tree head in the C2SP tlog-checkpoint and
signed-note formats (Ed25519, through `cryptography`, imported only when a key is used). Both
are pure: no database, no configuration, no files. This module imports nothing, so that using
the tree never loads the signature code.
"""
