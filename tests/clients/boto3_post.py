"""Browser form uploads (POST Object) signed by boto3's generate_presigned_post, posted as a browser posts them.

usage: python3 boto3_post.py <endpoint> <access key> <secret key> <bucket> <prefix>
           runs every scenario with Signature Version 4 and Version 2; prints one JSON object of what each saw.
       python3 boto3_post.py <endpoint> <access key> <secret key> <bucket> <prefix> --fields <key> <redirect>
           prints the URL and fields of one Version 4 form (for the browser test), nothing posted.
The form body is built here (multipart/form-data, the file last) with the standard library only."""
import base64
import hashlib
import json
import sys
import urllib.error
import urllib.request
import uuid

import boto3
import botocore.config
import botocore.exceptions

endpoint, access_key, secret_key, bucket, prefix = sys.argv[1:6]


def client(version, secret=secret_key):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        region_name="us-east-1",
        config=botocore.config.Config(signature_version=version, s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


opener = urllib.request.build_opener(NoRedirect)


def post(url, fields, filename, content):
    boundary = "----og" + uuid.uuid4().hex
    body = b""
    for name, value in fields.items():
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    body += f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
    body += content + f"\r\n--{boundary}--\r\n".encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    try:
        with opener.open(request) as response:
            return {"status": response.status, "etag": response.headers.get("ETag"), "location": response.headers.get("Location"), "body": response.read().decode()}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "etag": e.headers.get("ETag"), "location": e.headers.get("Location"), "body": e.read().decode()}


def stored(s3, key):
    try:
        head = s3.head_object(Bucket=bucket, Key=key)
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return {"type": head["ContentType"], "meta": head["Metadata"], "cache": head.get("CacheControl"), "body": body.decode(errors="replace")}
    except botocore.exceptions.ClientError as e:
        return {"error": e.response["Error"]["Code"]}


def anonymous_get(key):
    try:
        with opener.open(f"{endpoint}/{bucket}/{urllib.request.quote(key)}") as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


if len(sys.argv) > 6 and sys.argv[6] == "--fields":
    key, redirect = sys.argv[7:9]
    form = client("s3v4").generate_presigned_post(bucket, key, Fields={"success_action_redirect": redirect, "Content-Type": "text/plain", "acl": "public-read"},
                                                  Conditions=[{"success_action_redirect": redirect}, {"Content-Type": "text/plain"}, {"acl": "public-read"},
                                                              ["content-length-range", 1, 1000]], ExpiresIn=300)
    print(json.dumps(form))
    sys.exit(0)

seen = {}
for version in ["s3v4", "s3"]:
    s3 = client(version)
    base = f"{prefix}{version}/"
    out = seen[version] = {}

    # Everything a form may set: the name from the file, ACL, type, metadata, cache control, a 201 with its document.
    form = s3.generate_presigned_post(
        bucket, base + "${filename}",
        Fields={"acl": "public-read", "Content-Type": "image/png", "x-amz-meta-color": "blue", "Cache-Control": "max-age=60", "success_action_status": "201"},
        Conditions=[{"acl": "public-read"}, ["starts-with", "$Content-Type", "image/"], {"x-amz-meta-color": "blue"},
                    {"Cache-Control": "max-age=60"}, {"success_action_status": "201"}, ["content-length-range", 1, 1000]],
        ExpiresIn=300)
    out["created"] = post(form["url"], form["fields"], "picture.png", b"\x89PNG not really")
    out["created_object"] = stored(s3, base + "picture.png")
    out["created_anonymous"] = anonymous_get(base + "picture.png")

    # The default answer (204), and a redirect (303) with the bucket, key and ETag.
    form = s3.generate_presigned_post(bucket, base + "plain.txt", ExpiresIn=300)
    out["default"] = post(form["url"], form["fields"], "ignored-name.txt", b"plain")
    out["default_anonymous"] = anonymous_get(base + "plain.txt")
    form = s3.generate_presigned_post(bucket, base + "redirected.txt", Fields={"success_action_redirect": "http://127.0.0.1:9/done?from=form"},
                                      Conditions=[{"success_action_redirect": "http://127.0.0.1:9/done?from=form"}], ExpiresIn=300)
    out["redirect"] = post(form["url"], form["fields"], "r.txt", b"redirected")

    # Tags (a Tagging document) and a SHA-256 checksum: kept as a PUT's; read back with Signature Version 4 (botocore
    # 1.29 signs the tagging sub-resource twice in Version 2, boto3 issue 4433).
    reader = client("s3v4")
    content = b"tagged and checksummed"
    digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
    tagging = "<Tagging><TagSet><Tag><Key>team</Key><Value>web</Value></Tag></TagSet></Tagging>"
    form = s3.generate_presigned_post(bucket, base + "tagged.txt", Fields={"tagging": tagging, "x-amz-checksum-sha256": digest},
                                      Conditions=[{"tagging": tagging}, {"x-amz-checksum-sha256": digest}], ExpiresIn=300)
    out["tagged"] = post(form["url"], form["fields"], "t", content)
    out["tagged_tags"] = {t["Key"]: t["Value"] for t in reader.get_object_tagging(Bucket=bucket, Key=base + "tagged.txt")["TagSet"]}
    out["tagged_checksum"] = reader.head_object(Bucket=bucket, Key=base + "tagged.txt", ChecksumMode="ENABLED").get("ChecksumSHA256")
    # A checksum of other bytes, a tag key S3 does not take, a document that is not XML: nothing stored.
    other = base64.b64encode(hashlib.sha256(b"other bytes").digest()).decode()
    form = s3.generate_presigned_post(bucket, base + "refused.txt", Fields={"x-amz-checksum-sha256": other},
                                      Conditions=[{"x-amz-checksum-sha256": other}], ExpiresIn=300)
    out["bad_checksum"] = post(form["url"], form["fields"], "r", content)
    bad_tag = "<Tagging><TagSet><Tag><Key>no!</Key><Value>v</Value></Tag></TagSet></Tagging>"
    form = s3.generate_presigned_post(bucket, base + "refused.txt", Fields={"tagging": bad_tag}, Conditions=[{"tagging": bad_tag}], ExpiresIn=300)
    out["bad_tag"] = post(form["url"], form["fields"], "r", content)
    form = s3.generate_presigned_post(bucket, base + "refused.txt", Fields={"tagging": "<Tagging>"}, Conditions=[{"tagging": "<Tagging>"}], ExpiresIn=300)
    out["bad_tagging_xml"] = post(form["url"], form["fields"], "r", content)
    # More user metadata than S3's 2 KB.
    big = "m" * 2100
    form = s3.generate_presigned_post(bucket, base + "refused.txt", Fields={"x-amz-meta-big": big}, Conditions=[{"x-amz-meta-big": big}], ExpiresIn=300)
    out["metadata_too_large"] = post(form["url"], form["fields"], "r", content)
    out["refused_object"] = stored(s3, base + "refused.txt")

    # Refusals: nothing stored, and an object already there stays as it was.
    s3.put_object(Bucket=bucket, Key=base + "kept.txt", Body=b"original")
    ranged = s3.generate_presigned_post(bucket, base + "kept.txt", Conditions=[["content-length-range", 5, 10]], ExpiresIn=300)
    out["too_large"] = post(ranged["url"], ranged["fields"], "k", b"x" * 11)
    out["too_small"] = post(ranged["url"], ranged["fields"], "k", b"xy")
    expired = s3.generate_presigned_post(bucket, base + "kept.txt", ExpiresIn=-60)
    out["expired"] = post(expired["url"], expired["fields"], "k", b"late")
    tampered = dict(form["fields"])
    tampered["key"] = base + "kept.txt"
    out["other_key"] = post(form["url"], tampered, "k", b"elsewhere")
    extra = dict(ranged["fields"])
    extra["x-amz-meta-sneaked"] = "in"
    out["extra_field"] = post(ranged["url"], extra, "k", b"sneaked")
    forged = client(version, "not-the-secret").generate_presigned_post(bucket, base + "kept.txt", ExpiresIn=300)
    out["wrong_secret"] = post(forged["url"], forged["fields"], "k", b"forged")
    out["kept_object"] = stored(s3, base + "kept.txt")
    # ListObjects (v1): botocore signs a path-style bucket as /bucket/ in Version 2 (its ListObjectsV2 adds
    # ?list-type=2 to what it signs, a botocore fault, boto3 issue 4433).
    out["listing"] = sorted(o["Key"][len(base):] for o in s3.list_objects(Bucket=bucket, Prefix=base).get("Contents", []))

print(json.dumps(seen))
