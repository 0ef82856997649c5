"""S3 scenarios driven by boto3 (Debian's python3-boto3) against the gateway, as a boto3 user drives them.

usage: python3 boto3_s3.py <endpoint> <access key> <secret key> <bucket>
Prints one JSON object with what each scenario saw; the functional test asserts on it. Credentials and the
endpoint are always explicit: boto3 never looks for an instance-metadata address."""
import concurrent.futures
import hashlib
import io
import json
import os
import sys
import time
import urllib.error
import urllib.request

import boto3
import boto3.s3.transfer
import botocore.config
import botocore.exceptions

endpoint, access_key, secret_key, bucket = sys.argv[1:5]


def client(secret=secret_key):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, max_pool_connections=32),
    )


s3 = client()
seen = {}

seen["buckets"] = [b["Name"] for b in s3.list_buckets()["Buckets"]]

s3.put_object(Bucket=bucket, Key="boto/hello.txt", Body=b"hello from boto3", ContentType="text/plain")
got = s3.get_object(Bucket=bucket, Key="boto/hello.txt")
seen["get"] = got["Body"].read().decode()
seen["head_length"] = s3.head_object(Bucket=bucket, Key="boto/hello.txt")["ContentLength"]
seen["range"] = s3.get_object(Bucket=bucket, Key="boto/hello.txt", Range="bytes=0-4")["Body"].read().decode()
awkward = "boto/a b/\u00fc+%.txt"
s3.put_object(Bucket=bucket, Key=awkward, Body=b"awkward")
seen["awkward"] = s3.get_object(Bucket=bucket, Key=awkward)["Body"].read().decode()

# 2,500 keys, then every page size the issue names, in both listing versions.
keys = [f"boto/many/{i:05d}" for i in range(2500)]
with concurrent.futures.ThreadPoolExecutor(16) as pool:
    list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=k.encode()), keys))
for version, operation in (("v1", "list_objects"), ("v2", "list_objects_v2")):
    for size in (1, 7, 1000):
        pages = s3.get_paginator(operation).paginate(Bucket=bucket, Prefix="boto/many/", PaginationConfig={"PageSize": size})
        listed = [c["Key"] for page in pages for c in page.get("Contents", [])]
        seen[f"list_{version}_{size}"] = {"count": len(listed), "exact": listed == keys}
delimited = s3.list_objects_v2(Bucket=bucket, Prefix="boto/", Delimiter="/")
seen["common_prefixes"] = sorted(p["Prefix"] for p in delimited.get("CommonPrefixes", []))
seen["key_count"] = delimited["KeyCount"]

url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "boto/hello.txt"}, ExpiresIn=300)
seen["presigned"] = urllib.request.urlopen(url).read().decode()
try:
    urllib.request.urlopen(url[:-4] + ("0000" if not url.endswith("0000") else "1111"))
    seen["presigned_tampered"] = 200
except urllib.error.HTTPError as e:
    seen["presigned_tampered"] = e.code
short = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "boto/hello.txt"}, ExpiresIn=1)
time.sleep(2.5)
try:
    urllib.request.urlopen(short)
    seen["presigned_expired"] = 200
except urllib.error.HTTPError as e:
    seen["presigned_expired"] = e.code

try:
    client("not-the-secret").head_object(Bucket=bucket, Key="boto/hello.txt")
    seen["wrong_secret"] = "accepted"
except botocore.exceptions.ClientError as e:
    seen["wrong_secret"] = e.response["Error"]["Code"]
try:
    client("not-the-secret").get_object(Bucket=bucket, Key="boto/hello.txt")
    seen["wrong_secret_code"] = "accepted"
except botocore.exceptions.ClientError as e:
    seen["wrong_secret_code"] = e.response["Error"]["Code"]

s3.delete_object(Bucket=bucket, Key="boto/hello.txt")
try:
    s3.head_object(Bucket=bucket, Key="boto/hello.txt")
    seen["deleted"] = False
except botocore.exceptions.ClientError:
    seen["deleted"] = True
deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[:100]]})
seen["batch_deleted"] = len(deleted.get("Deleted", []))

# The bucket as S3 shows an unversioned one: versioning never enabled, every object one version ("null", the
# latest) paged by key marker, the public group's read in its ACL; then a prefix emptied version by version (what
# scripts written to work on versioned buckets too do).
left = keys[100:]
for size in (7, 1000):
    pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix="boto/many/", PaginationConfig={"PageSize": size})
    versions = [v for page in pages for v in page.get("Versions", [])]
    seen[f"versions_{size}"] = {"count": len(versions), "exact": [v["Key"] for v in versions] == left,
                                "null_latest": all(v["VersionId"] == "null" and v["IsLatest"] for v in versions)}
seen["versioning"] = s3.get_bucket_versioning(Bucket=bucket).get("Status", "never enabled")
bucket_acl = s3.get_bucket_acl(Bucket=bucket)
seen["bucket_acl"] = sorted(("owner" if g["Grantee"].get("ID") == bucket_acl["Owner"]["ID"] else g["Grantee"].get("URI", g["Grantee"].get("ID")))
                            + ":" + g["Permission"] for g in bucket_acl["Grants"])
resource = boto3.resource("s3", endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name="us-east-1",
                          config=botocore.config.Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
emptied = resource.Bucket(bucket).object_versions.filter(Prefix="boto/many/").delete()
seen["versions_deleted"] = sum(len(r.get("Deleted", [])) for r in emptied)
seen["versions_left"] = s3.list_objects_v2(Bucket=bucket, Prefix="boto/many/")["KeyCount"]

try:
    s3.create_bucket(Bucket=bucket)
    seen["create_existing"] = "created"
except botocore.exceptions.ClientError as e:
    seen["create_existing"] = e.response["Error"]["Code"]
try:
    s3.create_bucket(Bucket="not-configured-1250000000")
    seen["create_other"] = "created"
except botocore.exceptions.ClientError as e:
    seen["create_other"] = e.response["Error"]["Code"]
seen["head_bucket"] = s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"]
try:
    s3.get_object(Bucket="not-configured-1250000000", Key="boto/hello.txt")
    seen["unknown_bucket"] = "found"
except botocore.exceptions.ClientError as e:
    seen["unknown_bucket"] = e.response["Error"]["Code"]

s3.put_object(Bucket=bucket, Key="boto/versioned.txt", Body=b"current")
seen["version_null_get"] = s3.get_object(Bucket=bucket, Key="boto/versioned.txt", VersionId="null")["Body"].read().decode()
seen["version_null_head"] = s3.head_object(Bucket=bucket, Key="boto/versioned.txt", VersionId="null")["ContentLength"]
try:
    s3.get_object(Bucket=bucket, Key="boto/versioned.txt", VersionId="3HL4kqtJlcpXroDTDmjVBH40Nrjfkd")
    seen["version_other"] = "found"
except botocore.exceptions.ClientError as e:
    seen["version_other"] = e.response["Error"]["Code"]
# A batch delete naming another version deletes nothing (the object is not that version).
other = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "boto/versioned.txt", "VersionId": "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd"}]})
seen["version_other_batch"] = {"errors": [e["Code"] for e in other.get("Errors", [])], "deleted": len(other.get("Deleted", [])),
                               "kept": s3.get_object(Bucket=bucket, Key="boto/versioned.txt")["Body"].read().decode()}
# A copy of another version copies nothing (not the current bytes in its place); of version null, the object.
# Its tags are set and read as version null's.
copies = {}
for name, version in (("other", "3HL4kqtJlcpXroDTDmjVBH40Nrjfkd"), ("null", "null")):
    try:
        s3.copy_object(Bucket=bucket, Key=f"boto/version-copy-{name}.txt", CopySource={"Bucket": bucket, "Key": "boto/versioned.txt", "VersionId": version})
        copies[name] = s3.get_object(Bucket=bucket, Key=f"boto/version-copy-{name}.txt")["Body"].read().decode()
    except botocore.exceptions.ClientError as e:
        copies[name] = e.response["Error"]["Code"]
    upload = s3.create_multipart_upload(Bucket=bucket, Key=f"boto/version-part-{name}.txt")["UploadId"]
    try:
        s3.upload_part_copy(Bucket=bucket, Key=f"boto/version-part-{name}.txt", UploadId=upload, PartNumber=1,
                            CopySource={"Bucket": bucket, "Key": "boto/versioned.txt", "VersionId": version})
        copies[f"part_{name}"] = "copied"
    except botocore.exceptions.ClientError as e:
        copies[f"part_{name}"] = e.response["Error"]["Code"]
    s3.abort_multipart_upload(Bucket=bucket, Key=f"boto/version-part-{name}.txt", UploadId=upload)
try:
    s3.head_object(Bucket=bucket, Key="boto/version-copy-other.txt")
    copies["other_stored"] = True
except botocore.exceptions.ClientError:
    copies["other_stored"] = False
s3.put_object_tagging(Bucket=bucket, Key="boto/versioned.txt", VersionId="null", Tagging={"TagSet": [{"Key": "v", "Value": "null"}]})
copies["tags"] = [f"{t['Key']}={t['Value']}" for t in s3.get_object_tagging(Bucket=bucket, Key="boto/versioned.txt", VersionId="null")["TagSet"]]
seen["version_copies"] = copies
s3.delete_object(Bucket=bucket, Key="boto/versioned.txt", VersionId="null")
try:
    s3.head_object(Bucket=bucket, Key="boto/versioned.txt")
    seen["version_null_deleted"] = False
except botocore.exceptions.ClientError:
    seen["version_null_deleted"] = True

# Metadata round trip; a checksum kept and given back; 64 MiB through the transfer manager (multipart);
# copy keeping and replacing metadata; a presigned URL in Signature Version 4.
s3.put_object(Bucket=bucket, Key="boto/meta.txt", Body=b"with metadata", Metadata={"color": "blue"}, ContentType="text/plain")
seen["metadata"] = s3.head_object(Bucket=bucket, Key="boto/meta.txt")["Metadata"]
s3.put_object(Bucket=bucket, Key="boto/checked.txt", Body=b"checked", ChecksumAlgorithm="SHA256")
checked = s3.head_object(Bucket=bucket, Key="boto/checked.txt", ChecksumMode="ENABLED")
seen["checksum"] = {"got": checked.get("ChecksumSHA256"), "expected": __import__("base64").b64encode(hashlib.sha256(b"checked").digest()).decode()}
big = os.urandom(64 * 1024 * 1024)
s3.upload_fileobj(io.BytesIO(big), bucket, "boto/big.bin", ExtraArgs={"Metadata": {"color": "green"}},
                  Config=boto3.s3.transfer.TransferConfig(multipart_threshold=8 * 1024 * 1024, multipart_chunksize=8 * 1024 * 1024))
big_head = s3.head_object(Bucket=bucket, Key="boto/big.bin")
back = io.BytesIO()
s3.download_fileobj(bucket, "boto/big.bin", back)
seen["big"] = {"same": back.getvalue() == big, "etag": big_head["ETag"], "metadata": big_head["Metadata"]}
s3.copy_object(Bucket=bucket, Key="boto/meta-copy.txt", CopySource={"Bucket": bucket, "Key": "boto/meta.txt"})
kept = s3.head_object(Bucket=bucket, Key="boto/meta-copy.txt")["Metadata"]
s3.copy_object(Bucket=bucket, Key="boto/meta-copy.txt", CopySource={"Bucket": bucket, "Key": "boto/meta-copy.txt"}, MetadataDirective="REPLACE", Metadata={"color": "red"})
seen["copy"] = {"kept": kept, "replaced": s3.head_object(Bucket=bucket, Key="boto/meta-copy.txt")["Metadata"],
                "body": s3.get_object(Bucket=bucket, Key="boto/meta-copy.txt")["Body"].read().decode()}
v4 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret_key, region_name="us-east-1",
                  config=botocore.config.Config(signature_version="s3v4", s3={"addressing_style": "path"}))
url_v4 = v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "boto/meta.txt"}, ExpiresIn=300)
seen["presigned_v4"] = {"url_is_v4": "X-Amz-Signature=" in url_v4, "body": urllib.request.urlopen(url_v4).read().decode()}

# A PUT refused before boto3 sends its body (it waits for 100 Continue, gets the refusal, sends nothing): the next
# request on that connection is answered as usual, not taken for the body that never came.
def code(call):
    try:
        call()
        return "ok"
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]


refusal = {"refused": code(lambda: s3.put_object(Bucket=bucket, Key="boto/refused.txt", Body=b"12345", ACL="authenticated-read"))}
refusal["next_put"] = code(lambda: s3.put_object(Bucket=bucket, Key="boto/refused.txt", Body=b"12345"))
refusal["unknown_bucket"] = code(lambda: s3.put_object(Bucket="not-configured-1250000000", Key="boto/refused.txt", Body=b"12345"))
refusal["next_get"] = s3.get_object(Bucket=bucket, Key="boto/refused.txt")["Body"].read().decode()
seen["early_refusal"] = refusal

# Tags and a storage class on upload (x-amz-tagging, x-amz-storage-class: accepted); the bucket's region.
s3.put_object(Bucket=bucket, Key="boto/tagged.txt", Body=b"tagged", Tagging="team=storage&tier=gold", StorageClass="STANDARD_IA")
seen["tags"] = sorted(f"{t['Key']}={t['Value']}" for t in s3.get_object_tagging(Bucket=bucket, Key="boto/tagged.txt")["TagSet"])
seen["tag_count"] = s3.head_object(Bucket=bucket, Key="boto/tagged.txt").get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("x-amz-tagging-count")
seen["location"] = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")

print(json.dumps(seen))
