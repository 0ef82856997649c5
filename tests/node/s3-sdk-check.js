// The AWS SDK for JavaScript v3 (@aws-sdk/client-s3, lib-storage, s3-request-presigner) driven against a
// running gateway as its users drive it: path-style, the gateway's credential as access key and secret,
// the SDK's default checksums left on. Prints one JSON document of what it saw; the functional test
// (S3ToolsTests) asserts on it.
// usage: node s3-sdk-check.js <endpoint> <access key> <secret> <bucket>
'use strict';
const crypto = require('crypto');
const { Readable } = require('stream');
const {
  S3Client, ListBucketsCommand, PutObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsCommand,
  ListObjectsV2Command, DeleteObjectCommand, DeleteObjectsCommand, CopyObjectCommand, paginateListObjectsV2,
  CreateMultipartUploadCommand, UploadPartCommand, CompleteMultipartUploadCommand, ListPartsCommand, AbortMultipartUploadCommand,
} = require('@aws-sdk/client-s3');
const { Upload } = require('@aws-sdk/lib-storage');
const { getSignedUrl } = require('@aws-sdk/s3-request-presigner');

const [endpoint, accessKeyId, secretAccessKey, bucket] = process.argv.slice(2);
const prefix = 'js/';

function client(secret = secretAccessKey) {
  const s3 = new S3Client({
    endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1,
    credentials: { accessKeyId, secretAccessKey: secret },
  });
  // Keep what the SDK put on the wire, to show which upload forms were exercised.
  s3.sent = [];
  s3.middlewareStack.add((next) => async (args) => {
    const h = args.request.headers || {};
    s3.sent.push({ method: args.request.method, path: args.request.path, sha256: h['x-amz-content-sha256'], encoding: h['content-encoding'], trailer: h['x-amz-trailer'], checksum: Object.keys(h).find((n) => n.startsWith('x-amz-checksum-')) });
    return next(args);
  }, { step: 'finalizeRequest', name: 'recordSent' });
  return s3;
}

// CRC-32 (IEEE, as S3's x-amz-checksum-crc32), base64 of its 4 big-endian bytes: computed here, not taken from the SDK.
function crc32(bytes) {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  const out = Buffer.alloc(4);
  out.writeUInt32BE((~c) >>> 0);
  return out.toString('base64');
}

async function text(body) {
  return Buffer.from(await body.transformToByteArray()).toString('utf8');
}

async function inParallel(items, width, work) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const item = items[next++];
      await work(item);
    }
  }));
}

async function listV1(s3, listPrefix, pageSize) {
  const keys = [];
  let marker;
  for (;;) {
    const page = await s3.send(new ListObjectsCommand({ Bucket: bucket, Prefix: listPrefix, MaxKeys: pageSize, Marker: marker }));
    for (const o of page.Contents || []) keys.push(o.Key);
    if (!page.IsTruncated) return keys;
    marker = page.NextMarker || keys[keys.length - 1];
  }
}

async function listV2(s3, listPrefix, pageSize) {
  const keys = [];
  for await (const page of paginateListObjectsV2({ client: s3, pageSize }, { Bucket: bucket, Prefix: listPrefix })) {
    for (const o of page.Contents || []) keys.push(o.Key);
  }
  return keys;
}

async function status(promise) {
  try {
    await promise;
    return 200;
  } catch (e) {
    return { status: e.$metadata && e.$metadata.httpStatusCode, code: e.name };
  }
}

async function main() {
  const s3 = client();
  const seen = {};

  seen.buckets = ((await s3.send(new ListBucketsCommand({}))).Buckets || []).map((b) => b.Name);

  // 2,500 keys, then every page size both listing versions, each compared with the exact sorted set.
  const many = Array.from({ length: 2500 }, (_, i) => `${prefix}many/${String(i).padStart(5, '0')}`);
  await inParallel(many, 16, (key) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: 'x' })));
  const expected = JSON.stringify([...many].sort());
  for (const size of [1, 7, 1000]) {
    const v1 = await listV1(s3, `${prefix}many/`, size);
    const v2 = await listV2(s3, `${prefix}many/`, size);
    seen[`list_v1_${size}`] = { count: v1.length, exact: JSON.stringify(v1) === expected };
    seen[`list_v2_${size}`] = { count: v2.length, exact: JSON.stringify(v2) === expected };
  }

  // Small put with metadata; get, head, range.
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}small.txt`, Body: 'hello from the js sdk', ContentType: 'text/plain', Metadata: { color: 'blue', 'mtime': '1700000000.5' } }));
  seen.get = await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}small.txt` }))).Body);
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}small.txt` }));
  seen.head = { length: head.ContentLength, type: head.ContentType, metadata: head.Metadata };
  seen.range = await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}small.txt`, Range: 'bytes=6-9' }))).Body);

  // A checksum asked for on upload is kept and given back with ChecksumMode ENABLED (the SDK then verifies it).
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}checked.txt`, Body: 'checked body', ChecksumAlgorithm: 'SHA256' }));
  const checked = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}checked.txt`, ChecksumMode: 'ENABLED' }));
  seen.checksum = { put: put.ChecksumSHA256, get: checked.ChecksumSHA256, body: await text(checked.Body), expected: crypto.createHash('sha256').update('checked body').digest('base64') };

  // A stream upload with the SDK's default checksum: aws-chunked with a trailing CRC32.
  const streamed = crypto.randomBytes(3 * 1024 * 1024 + 17);
  s3.sent.length = 0;
  const streamedPut = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}streamed.bin`, Body: Readable.from([streamed.subarray(0, 1000000), streamed.subarray(1000000)]), ContentLength: streamed.length }));
  seen.stream_sent = s3.sent[0];
  // Kept as S3 keeps it: answered by the PUT, and by GET and HEAD with ChecksumMode ENABLED (the SDK checks the body against it).
  const streamedGet = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}streamed.bin`, ChecksumMode: 'ENABLED' }));
  const streamedBack = Buffer.from(await streamedGet.Body.transformToByteArray());
  const streamedHead = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}streamed.bin`, ChecksumMode: 'ENABLED' }));
  seen.stream = { length: streamedBack.length, same: streamedBack.equals(streamed), expected: crc32(streamed), put: streamedPut.ChecksumCRC32, get: streamedGet.ChecksumCRC32, head: streamedHead.ChecksumCRC32 };

  // 64 MiB through lib-storage's Upload from a stream of unknown length: a multipart upload with checksummed parts.
  const big = crypto.randomBytes(64 * 1024 * 1024);
  const upload = new Upload({ client: s3, params: { Bucket: bucket, Key: `${prefix}big.bin`, Body: Readable.from((function* () { for (let i = 0; i < big.length; i += 1 << 20) yield big.subarray(i, i + (1 << 20)); })()), Metadata: { color: 'green' } }, partSize: 8 * 1024 * 1024, queueSize: 4 });
  await upload.done();
  const bigHead = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}big.bin` }));
  const bigBack = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}big.bin` }))).Body.transformToByteArray());
  seen.big = { length: bigBack.length, same: bigBack.equals(big), multipart: /-\d+"$/.test(bigHead.ETag), metadata: bigHead.Metadata };

  // Copy: metadata kept (COPY), then replaced (REPLACE).
  await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: `${prefix}copy.txt`, CopySource: `${bucket}/${prefix}small.txt` }));
  const copied = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}copy.txt` }));
  await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: `${prefix}copy.txt`, CopySource: `${bucket}/${prefix}copy.txt`, MetadataDirective: 'REPLACE', Metadata: { color: 'red' }, ContentType: 'text/x-copied' }));
  const replaced = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}copy.txt` }));
  seen.copy = { body: await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}copy.txt` }))).Body), kept: copied.Metadata, replaced: replaced.Metadata, type: replaced.ContentType };

  // An awkward key.
  const awkward = `${prefix}a b/ü+%.txt`;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: awkward, Body: 'awkward' }));
  seen.awkward = await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: awkward }))).Body);
  seen.awkward_listed = ((await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}a b/` }))).Contents || []).map((o) => o.Key);

  // Presigned URLs (SigV4): valid, tampered, expired.
  const url = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: `${prefix}small.txt` }), { expiresIn: 600 });
  const ok = await fetch(url);
  seen.presigned = { status: ok.status, body: await ok.text() };
  seen.presigned_tampered = (await fetch(url.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000'))).status;
  const soon = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: `${prefix}small.txt` }), { expiresIn: 1 });
  await new Promise((r) => setTimeout(r, 2100));
  seen.presigned_expired = (await fetch(soon)).status;
  const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: `${prefix}presigned-put.txt` }), { expiresIn: 600 });
  seen.presigned_put = (await fetch(putUrl, { method: 'PUT', body: 'put through a presigned url' })).status;
  seen.presigned_put_body = await text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}presigned-put.txt` }))).Body);

  // A wrong secret.
  seen.wrong_secret = await status(client('not-the-secret').send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix })));

  // Delete one, then a batch (DeleteObjects carries the SDK's required checksum).
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${prefix}copy.txt` }));
  seen.deleted = (await status(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}copy.txt` })))).status === 404;
  const batch = many.slice(0, 1000);
  const removed = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: batch.map((Key) => ({ Key })) } }));
  seen.batch_deleted = (removed.Deleted || []).length;
  seen.batch_left = (await listV2(s3, `${prefix}many/`, 1000)).length;

  // Conditional writes, as lock files and commit protocols use them: If-None-Match: * creates only, If-Match replaces
  // only the object named; sixteen writers racing to create one key; a completion onto an existing object.
  const outcome = async (promise) => { try { await promise; return 'ok'; } catch (e) { return e.name; } };
  const read = async (Key) => text((await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body);
  const lock = `${prefix}lock`;
  const conditional = { create: await outcome(s3.send(new PutObjectCommand({ Bucket: bucket, Key: lock, Body: 'mine', IfNoneMatch: '*' }))) };
  conditional.create_again = await outcome(s3.send(new PutObjectCommand({ Bucket: bucket, Key: lock, Body: 'theirs', IfNoneMatch: '*' })));
  const lockETag = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: lock }))).ETag;
  conditional.match_other = await outcome(s3.send(new PutObjectCommand({ Bucket: bucket, Key: lock, Body: 'stale', IfMatch: '"00000000000000000000000000000000"' })));
  conditional.match_absent = await outcome(s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}no-lock`, Body: 'x', IfMatch: lockETag })));
  conditional.match = await outcome(s3.send(new PutObjectCommand({ Bucket: bucket, Key: lock, Body: 'mine again', IfMatch: lockETag })));
  conditional.kept = await read(lock);
  const racers = await Promise.all(Array.from({ length: 16 }, async (_, i) => ({
    i, outcome: await outcome(s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}race`, Body: `writer ${i} `.repeat(50000), IfNoneMatch: '*' }))),
  })));
  const winners = racers.filter((r) => r.outcome === 'ok');
  conditional.race = {
    winners: winners.length,
    others: [...new Set(racers.filter((r) => r.outcome !== 'ok').map((r) => r.outcome))].sort(),
    stored_is_winners: winners.length === 1 && (await read(`${prefix}race`)) === `writer ${winners[0].i} `.repeat(50000),
  };
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: lock }));
  const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: lock, UploadId, PartNumber: 1, Body: 'multipart' }));
  const completion = { Bucket: bucket, Key: lock, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } };
  conditional.complete_existing = await outcome(s3.send(new CompleteMultipartUploadCommand({ ...completion, IfNoneMatch: '*' })));
  conditional.parts_kept = ((await s3.send(new ListPartsCommand({ Bucket: bucket, Key: lock, UploadId }))).Parts || []).length;
  await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: lock, UploadId }));
  const fresh = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${prefix}fresh-lock` }));
  const freshPart = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: `${prefix}fresh-lock`, UploadId: fresh.UploadId, PartNumber: 1, Body: 'fresh' }));
  conditional.complete_new = await outcome(s3.send(new CompleteMultipartUploadCommand({
    Bucket: bucket, Key: `${prefix}fresh-lock`, UploadId: fresh.UploadId, IfNoneMatch: '*', MultipartUpload: { Parts: [{ PartNumber: 1, ETag: freshPart.ETag }] },
  })));
  conditional.final = await read(lock);
  // Conditional deletes: If-Match on DeleteObject, an ETag per DeleteObjects entry — only the object named goes.
  const finalETag = (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: lock }))).ETag;
  conditional.delete_other = await outcome(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: lock, IfMatch: '"00000000000000000000000000000000"' })));
  const batchOther = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: lock, ETag: '"00000000000000000000000000000000"' }] } }));
  conditional.batch_delete_other = (batchOther.Errors || []).map((e) => e.Code);
  conditional.after_deletes = await read(lock);
  conditional.delete_match = await outcome(s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: lock, IfMatch: finalETag })));
  conditional.deleted = (await status(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: lock })))).status;
  seen.conditional = conditional;

  process.stdout.write(JSON.stringify(seen));
}

main().catch((e) => {
  process.stderr.write(`${e.name}: ${e.message}\n${e.stack}\n${JSON.stringify(e.$metadata || {})}\n`);
  process.exit(1);
});
