"""S3 (or any S3-compatible server: Ceph RGW, MinIO) as an object store, through boto3.

Endpoint, region and credentials come from the standard AWS environment variables
(``AWS_ENDPOINT_URL``, ``AWS_DEFAULT_REGION``, ``AWS_ACCESS_KEY_ID``, ...) unless given.
Compare-and-swap is a conditional ``PutObject``: ``IfMatch`` on the ETag that was read,
``IfNoneMatch='*'`` for the first write, so the server decides who wins. A server that
ignores those headers would turn every pointer move into last-writer-wins without a
sign, so before its first write a store checks, once per process and bucket, that the
server refuses both a stale ``If-Match`` and ``If-None-Match: *`` on an existing object,
and refuses to write where it does not. Large objects go up as one ``upload_file``
(multipart): nothing is visible until the upload completes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from upgradeflow.errors import ConflictError, UserInputError
from upgradeflow.scratch import scratch

# Fail fast on a dead endpoint instead of botocore's default minute of retries.
CLIENT_CONFIG = Config(
    connect_timeout=3,
    read_timeout=60,
    retries={"max_attempts": 3, "mode": "standard"},
    s3={"addressing_style": "path"},
    # Servers without the newer default CRC checksums (Ceph 16) reject them.
    request_checksum_calculation="when_required",
    response_checksum_validation="when_required",
)
TRANSFER = TransferConfig(multipart_threshold=64 * 2**20, multipart_chunksize=64 * 2**20, max_concurrency=4)
CONFLICT_CODES = {"PreconditionFailed", "ConditionalRequestConflict", "412", "409"}
# A private object (its name starts with ".") that the conditional-write check writes to.
PROBE_KEY = ".conditional-write-probe"
_HONOURING: set[tuple[str, str]] = set()  # (endpoint, bucket) pairs checked in this process


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class S3Store:
    def __init__(self, bucket: str, prefix: str = "", *, endpoint_url: str | None = None, client=None):
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.uri = f"s3://{bucket}/{self.prefix}".rstrip("/")
        self.client = client or boto3.client(
            "s3", endpoint_url=endpoint_url or os.environ.get("AWS_ENDPOINT_URL"), config=CLIENT_CONFIG
        )
        self.endpoint = self.client.meta.endpoint_url

    def check(self) -> None:
        """Fail with one line if the endpoint is unreachable or the bucket is missing."""
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (EndpointConnectionError, BotoCoreError) as error:
            raise UserInputError(f"cannot reach S3 endpoint {self.endpoint}: {error}") from None
        except ClientError as error:
            code = _code(error)
            if code in {"404", "NoSuchBucket"}:
                raise UserInputError(f"s3://{self.bucket}: no such bucket at {self.endpoint}") from None
            if code in {"403", "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch"}:
                raise UserInputError(f"s3://{self.bucket}: access denied at {self.endpoint} (credentials?)") from None
            raise UserInputError(f"s3://{self.bucket} at {self.endpoint}: {error}") from None

    def check_conditional_writes(self) -> None:
        """Refuse to write unless the server honours conditional writes (checked once).

        The probe object is never deleted: a concurrent check relies on it existing.
        """
        if (self.endpoint, self.bucket) in _HONOURING:
            return
        key = self._key(PROBE_KEY)
        self.client.put_object(Bucket=self.bucket, Key=key, Body=b"probe")
        for header, condition in [("If-None-Match: *", {"IfNoneMatch": "*"}), ("If-Match", {"IfMatch": "0" * 32})]:
            try:
                self.client.put_object(Bucket=self.bucket, Key=key, Body=b"probe", **condition)
            except ClientError as error:
                if _code(error) in CONFLICT_CODES:
                    continue
                raise UserInputError(
                    f"{self.uri} at {self.endpoint}: conditional writes fail ({header}: {_code(error)}); "
                    "pointers cannot move by compare-and-swap"
                ) from None
            raise UserInputError(
                f"{self.uri} at {self.endpoint}: the server ignores {header} on PutObject, so concurrent "
                "pointer moves could both win; refusing to write (use a server with conditional writes)"
            )
        _HONOURING.add((self.endpoint, self.bucket))

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def read(self, key: str) -> bytes:
        return self._get(key)[0]

    def _get(self, key: str, **condition: str) -> tuple[bytes, str]:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key), **condition)
        except ClientError as error:
            if _code(error) in {"NoSuchKey", "404"}:
                raise FileNotFoundError(f"{self.uri}/{key}") from None
            raise
        return response["Body"].read(), response["ETag"]

    def read_if_changed(self, key: str, token: str | None) -> tuple[bytes, str] | None:
        """A conditional GET: the server answers 304 without a body while the ETag holds."""
        try:
            return self._get(key, **({"IfNoneMatch": token} if token else {}))
        except ClientError as error:
            if _code(error) in {"304", "NotModified"}:
                return None
            raise

    def read_versioned(self, key: str) -> tuple[bytes, str] | None:
        try:
            return self._get(key)
        except FileNotFoundError:
            return None

    def write(self, key: str, data: bytes) -> None:
        self.check_conditional_writes()
        self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)

    def write_if(self, key: str, data: bytes, expected_token: str | None) -> None:
        # Ceph RGW compares If-Match with its stored, unquoted ETag; AWS accepts both forms.
        self.check_conditional_writes()
        condition = {"IfMatch": expected_token.strip('"')} if expected_token else {"IfNoneMatch": "*"}
        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data, **condition)
        except ClientError as error:
            if _code(error) in CONFLICT_CODES:
                raise ConflictError(f"{self.uri}/{key} changed since it was read") from None
            raise

    @contextlib.contextmanager
    def publish(self, key: str) -> Iterator[Path]:
        self.check_conditional_writes()
        with scratch() as directory:
            path = directory / Path(key).name
            yield path
            self.client.upload_file(str(path), self.bucket, self._key(key), Config=TRANSFER)

    @contextlib.contextmanager
    def local_copy(self, key: str) -> Iterator[Path]:
        with scratch() as directory:
            path = directory / Path(key).name
            try:
                self.client.download_file(self.bucket, self._key(key), str(path), Config=TRANSFER)
            except ClientError as error:
                if _code(error) in {"NoSuchKey", "404"}:
                    raise FileNotFoundError(f"{self.uri}/{key}") from None
                raise
            yield path

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if _code(error) in {"NoSuchKey", "404"}:
                return False
            raise
        return True

    def list(self, prefix: str) -> list[str]:
        full = self._key(prefix).rstrip("/") + "/"
        skip = len(self.prefix) + 1 if self.prefix else 0
        keys = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full):
            keys += [item["Key"][skip:] for item in page.get("Contents", [])]
        return sorted(k for k in keys if not Path(k).name.startswith("."))

    def delete(self, keys: list[str]) -> None:
        for start in range(0, len(keys), 1000):
            chunk = [{"Key": self._key(k)} for k in keys[start : start + 1000]]
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": chunk, "Quiet": True})

    def changed_at(self, prefix: str) -> float | None:
        full = self._key(prefix).rstrip("/") + "/"
        newest = None
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=full):
            for item in page.get("Contents", []):
                stamp = item["LastModified"].timestamp()
                newest = stamp if newest is None else max(newest, stamp)
        for upload in self._uploads(prefix):
            stamp = upload["Initiated"].timestamp()
            newest = stamp if newest is None else max(newest, stamp)
        return newest

    def _uploads(self, prefix: str) -> list[dict]:
        full = self._key(prefix).rstrip("/") + "/"
        paginator = self.client.get_paginator("list_multipart_uploads")
        return [u for page in paginator.paginate(Bucket=self.bucket, Prefix=full) for u in page.get("Uploads", [])]

    def sweep_leftovers(self, prefix: str, before: float) -> tuple[int, int]:
        """Incomplete multipart uploads (a killed ``upload_file``): invisible, but their
        parts are stored, and billed, until aborted."""
        count = size = 0
        for upload in self._uploads(prefix):
            if upload["Initiated"].timestamp() >= before:
                continue
            parts = self.client.get_paginator("list_parts").paginate(
                Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
            )
            size += sum(part["Size"] for page in parts for part in page.get("Parts", []))
            with contextlib.suppress(ClientError):  # another sweeper may have aborted it first
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"])
                count += 1
        return count, size
