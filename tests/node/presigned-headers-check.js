// Presigned URLs of the AWS SDK for JavaScript v3 (@aws-sdk/s3-request-presigner) against a running gateway whose bucket
// is private: what the presigner moves into the URL (Metadata, ACL, Tagging as x-amz-* parameters; the checksum of an
// empty body its default checksums sign into every PutObject URL) and what the holder of a URL may not add to it. Prints
// one JSON document of what it saw; the functional test (PresignedUrlTests) asserts on it.
// usage: node presigned-headers-check.js <endpoint> <access key> <secret> <bucket>
'use strict';
const {
  S3Client, PutObjectCommand, HeadObjectCommand, GetObjectTaggingCommand, GetObjectCommand,
} = require('@aws-sdk/client-s3');
const { getSignedUrl } = require('@aws-sdk/s3-request-presigner');

const [endpoint, accessKeyId, secretAccessKey, bucket] = process.argv.slice(2);
const prefix = `presigned-${Date.now()}/`;
const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId, secretAccessKey } });
const anonymous = (key) => fetch(`${endpoint}/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`);
const status = async (command) => {
  try {
    await s3.send(command);
    return 200;
  } catch (e) {
    return e.$metadata?.httpStatusCode ?? String(e);
  }
};
const element = (xml, name) => (xml.match(new RegExp(`<${name}>([^<]*)</${name}>`)) || [])[1] || null;

(async () => {
  const seen = {};

  // 1. Metadata, ACL and tags go into the URL; whoever holds it sends the body alone.
  const hoistedKey = `${prefix}hoisted.txt`;
  const hoistedUrl = await getSignedUrl(s3, new PutObjectCommand({
    Bucket: bucket, Key: hoistedKey, Metadata: { color: 'blue' }, ACL: 'public-read', Tagging: 'team=media',
  }), { expiresIn: 300 });
  const hoistedPut = await fetch(hoistedUrl, { method: 'PUT', body: 'uploaded through a presigned url' });
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: hoistedKey }));
  const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: hoistedKey }));
  seen.hoisted = {
    url_parameters: [...new URL(hoistedUrl).searchParams.keys()].filter((k) => k.toLowerCase().startsWith('x-amz-') && !k.startsWith('X-Amz-')),
    status: hoistedPut.status,
    metadata: head.Metadata,
    tags: tags.TagSet,
    anonymous_get: (await anonymous(hoistedKey)).status,
  };

  // 2. An upload URL signed for host alone, and headers its holder adds: each is refused and nothing is written.
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}secret.txt`, Body: 'not for the holder of an upload url' }));
  const uploadKey = `${prefix}upload.txt`;
  const uploadUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: uploadKey }), { expiresIn: 300 });
  seen.added = {};
  for (const [name, value] of [
    ['x-amz-copy-source', `/${bucket}/${prefix}secret.txt`],
    ['x-cos-copy-source', `/${bucket}/${prefix}secret.txt`],
    ['x-amz-acl', 'public-read'],
    ['x-cos-acl', 'public-read'],
    ['x-amz-meta-owner', 'someone else'],
  ]) {
    const response = await fetch(uploadUrl, { method: 'PUT', body: '', headers: { [name]: value } });
    const body = await response.text();
    seen.added[name] = { status: response.status, code: element(body, 'Code'), not_signed: element(body, 'HeadersNotSigned') };
  }
  seen.upload_after_refusals = await status(new HeadObjectCommand({ Bucket: bucket, Key: uploadKey }));
  seen.upload_anonymous_get = (await anonymous(uploadKey)).status;
  // The same URL with nothing added uploads (its default checksum parameter, an empty body's CRC32, is not applied).
  seen.checksum_parameter = [...new URL(uploadUrl).searchParams.keys()].find((k) => k.startsWith('x-amz-checksum-')) || null;
  const plain = await fetch(uploadUrl, { method: 'PUT', body: 'the upload itself' });
  seen.plain_upload = { status: plain.status, body: await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: uploadKey }))).Body.transformToString() };

  // 3. A header the signer kept out of the URL (unhoistableHeaders) is signed: sent as signed, it is applied.
  const signedKey = `${prefix}signed-header.txt`;
  const signedUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: signedKey, Metadata: { origin: 'camera' } }),
    { expiresIn: 300, unhoistableHeaders: new Set(['x-amz-meta-origin']) });
  const signedPut = await fetch(signedUrl, { method: 'PUT', body: 'x', headers: { 'x-amz-meta-origin': 'camera' } });
  seen.signed_header = { status: signedPut.status, metadata: (await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: signedKey }))).Metadata };

  process.stdout.write(JSON.stringify(seen));
})().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
