"""boto3 (Debian's python3-boto3, its default legacy retry mode) uploading bodies that stall once, past the gateway's
minimum request body data rate: a PutObject and an UploadPart whose stream stops for longer than the rate's grace period
right after the request is sent. S3 answers such a body 400 RequestTimeout, which the SDKs retry; the retry sends the
body again, whole. Prints one JSON document of what it saw; the functional test (S3ToolsTests) asserts on it.

usage: python3 boto3_stalled_upload.py <endpoint> <access key> <secret> <bucket> <stall seconds>
"""
import hashlib
import io
import json
import os
import sys
import time

import boto3
from botocore.config import Config

endpoint, access_key, secret, bucket, stall_seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5])
prefix = "stalled-%d/" % int(time.time() * 1000)
client = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret,
                      region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))


class StallsOnce(io.RawIOBase):
    """A seekable body that, once armed, stops for stall_seconds at its next read (then never again)."""

    def __init__(self, data):
        self.data, self.position, self.armed, self.stalled = data, 0, False, False

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.position

    def seek(self, offset, whence=io.SEEK_SET):
        self.position = offset if whence == io.SEEK_SET else self.position + offset if whence == io.SEEK_CUR else len(self.data) + offset
        return self.position

    def readinto(self, buffer):
        chunk = self.read(len(buffer))
        buffer[:len(chunk)] = chunk
        return len(chunk)

    def read(self, size=-1):
        if self.armed and not self.stalled:
            self.stalled = True
            time.sleep(stall_seconds)
        end = len(self.data) if size is None or size < 0 else min(len(self.data), self.position + size)
        chunk = self.data[self.position:end]
        self.position = end
        return chunk


def upload(operation, body, call):
    """Arms the body when botocore sends the request (its checksums are computed by then); returns what each attempt got."""
    attempts = []

    def arm(**_):
        body.armed = True

    def record(response=None, caught_exception=None, **_):
        if response is not None:
            attempts.append({"status": response[0].status_code, "code": response[1].get("Error", {}).get("Code")})
        elif caught_exception is not None:
            attempts.append({"exception": type(caught_exception).__name__})

    client.meta.events.register_first("before-send.s3." + operation, arm, unique_id="arm-" + operation)
    client.meta.events.register("needs-retry.s3." + operation, record, unique_id="record-" + operation)
    try:
        result = call()
        return {"ok": True, "retries": result["ResponseMetadata"]["RetryAttempts"], "attempts": attempts, "result": result}
    except Exception as e:  # the test prints what failed
        return {"ok": False, "error": repr(e), "attempts": attempts}
    finally:
        client.meta.events.unregister("before-send.s3." + operation, unique_id="arm-" + operation)
        client.meta.events.unregister("needs-retry.s3." + operation, unique_id="record-" + operation)


def stored_md5(key):
    return hashlib.md5(client.get_object(Bucket=bucket, Key=key)["Body"].read()).hexdigest()


seen = {}
data = os.urandom(300_000)
body = StallsOnce(data)
put = upload("PutObject", body, lambda: client.put_object(Bucket=bucket, Key=prefix + "put.bin", Body=body))
put.pop("result", None)
put["stalled"] = body.stalled
put["whole"] = put["ok"] and stored_md5(prefix + "put.bin") == hashlib.md5(data).hexdigest()
seen["put"] = put

first, last = os.urandom(5 * 1024 * 1024), os.urandom(200_000)
upload_id = client.create_multipart_upload(Bucket=bucket, Key=prefix + "parts.bin")["UploadId"]
one = client.upload_part(Bucket=bucket, Key=prefix + "parts.bin", UploadId=upload_id, PartNumber=1, Body=first)
body = StallsOnce(last)
part = upload("UploadPart", body, lambda: client.upload_part(Bucket=bucket, Key=prefix + "parts.bin", UploadId=upload_id, PartNumber=2, Body=body))
two = part.pop("result", None)
part["stalled"] = body.stalled
if part["ok"]:
    client.complete_multipart_upload(Bucket=bucket, Key=prefix + "parts.bin", UploadId=upload_id, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": one["ETag"]}, {"PartNumber": 2, "ETag": two["ETag"]}]})
    part["whole"] = stored_md5(prefix + "parts.bin") == hashlib.md5(first + last).hexdigest()
else:
    client.abort_multipart_upload(Bucket=bucket, Key=prefix + "parts.bin", UploadId=upload_id)
seen["part"] = part

print(json.dumps(seen))
