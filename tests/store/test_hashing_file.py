"""The checksum of a shard is taken while it is written: it must equal the file's."""

from __future__ import annotations

import hashlib

import pyarrow as pa
import pyarrow.parquet as pq

from upgradeflow.store.hashing_file import HashingFile


def test_the_digest_and_size_are_the_files(tmp_path):
    path = tmp_path / "shard.bin"
    with HashingFile(path) as sink:
        sink.write(b"abc")
        sink.write(bytearray(b"def"))
        sink.write(memoryview(b"0123456789")[2:6])
        assert sink.tell() == sink.size == 10
    data = path.read_bytes()
    assert data == b"abcdef2345" and sink.hexdigest() == hashlib.sha256(data).hexdigest()
    sink.close()  # closing twice is harmless


def test_a_parquet_writer_can_write_through_it(tmp_path):
    path = tmp_path / "shard.parquet"
    table = pa.table({"id": [f"item-{i}" for i in range(1000)]})
    with HashingFile(path) as sink:
        pq.write_table(table, sink)
    assert sink.size == path.stat().st_size
    assert sink.hexdigest() == hashlib.sha256(path.read_bytes()).hexdigest()
    assert pq.read_table(path).equals(table)
