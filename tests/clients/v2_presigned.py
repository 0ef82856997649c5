"""Signature Version 2 presigned URLs of boto (2.x, Debian's python3-boto) and botocore (signature_version "s3") against a
running gateway whose bucket is private. Both move the x-amz-* headers of the request they sign into the URL, where
Version 2 signs them: a key's metadata in boto's GET URLs, Metadata and ACL in botocore's PUT URLs. Prints one JSON
document of what it saw; the functional test (PresignedUrlTests) asserts on it.

usage: python3 v2_presigned.py <endpoint> <access key> <secret> <bucket>
"""
import http.client
import json
import sys
import time
import urllib.parse

import boto
import boto.s3.connection
import boto3
from botocore.config import Config

endpoint, access_key, secret, bucket_name = sys.argv[1:5]
parsed = urllib.parse.urlsplit(endpoint)
prefix = "v2presigned-%d/" % int(time.time() * 1000)
seen = {}


def send(url, method="GET", body=None, headers=None):
    """The request as curl or a browser's fetch of a URL sends it: no Content-Type unless given (urllib would add one)."""
    target = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
    try:
        connection.request(method, target.path + ("?" + target.query if target.query else ""), body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def code(body):
    start = body.find("<Code>")
    return body[start + 6:body.find("</Code>")] if start >= 0 else None


# boto 2: a key read back carries its metadata, and generate_url signs it into the URL as x-amz-meta-* parameters.
connection = boto.connect_s3(aws_access_key_id=access_key, aws_secret_access_key=secret, host=parsed.hostname, port=parsed.port,
                             is_secure=False, calling_format=boto.s3.connection.OrdinaryCallingFormat())
bucket = connection.get_bucket(bucket_name)
key = bucket.new_key(prefix + "boto.txt")
key.set_metadata("color", "blue")
key.set_contents_from_string("from boto 2")
url = bucket.get_key(prefix + "boto.txt").generate_url(300)
status, body = send(url)
seen["boto_get"] = {"has_meta_parameter": "x-amz-meta-color=blue" in url, "status": status, "body": body}
status, body = send(url.replace("x-amz-meta-color=blue", "x-amz-meta-color=red"))
seen["boto_get_tampered"] = {"status": status, "code": code(body)}
# Version 2 signs every x-amz-* header; an x-cos-* one (which the gateway reads as the same directive) never.
put_url = bucket.new_key(prefix + "boto-put.txt").generate_url(300, method="PUT")
status, body = send(put_url, "PUT", b"x", {"x-cos-acl": "public-read"})
seen["boto_put_with_cos_header"] = {"status": status, "code": code(body)}

# Version 2 signs S3's sub-resources (an added ?acl breaks the signature) but not COS's own (?append&position=0): a
# presigned URL must sign those it carries.
status, body = send(put_url + "&acl", "PUT", b"<AccessControlPolicy/>")
seen["boto_put_with_acl_added"] = {"status": status, "code": code(body)}
status, body = send(put_url + "&append&position=0", "PUT", b"appended")
seen["boto_put_with_append_added"] = {"status": status, "code": code(body), "parameters_not_signed": body[body.find("<ParametersNotSigned>") + 21:body.find("</ParametersNotSigned>")]}

# botocore with Signature Version 2: Metadata and ACL of a presigned PutObject become x-amz-* parameters.
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=access_key, aws_secret_access_key=secret, region_name="us-east-1",
                  config=Config(signature_version="s3", s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
put_key = prefix + "botocore.txt"
url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket_name, "Key": put_key, "Metadata": {"color": "green"}, "ACL": "public-read"},
                                ExpiresIn=300)
status, body = send(url, "PUT", b"from botocore")
head = s3.head_object(Bucket=bucket_name, Key=put_key)
seen["botocore_put"] = {"status": status, "metadata": head["Metadata"], "anonymous_get": send("%s/%s/%s" % (endpoint, bucket_name, put_key))[0]}
status, body = send(url.replace("x-amz-acl=public-read", "x-amz-acl=private"), "PUT", b"tampered")
seen["botocore_put_tampered"] = {"status": status, "code": code(body), "body_kept": s3.get_object(Bucket=bucket_name, Key=put_key)["Body"].read().decode()}

print(json.dumps(seen))
