// Starts an S3-compatible server (@20minutes/s3rver) on 127.0.0.1 for the functional tests.
// usage: node s3rver.js <directory> <bucket>...   prints "port <n>" once listening (a free port, or
// S3RVER_PORT when set); stops when stdin closes or the process is killed (the tests kill it by process id).
//
// s3rver implements neither ListMultipartUploads nor AbortMultipartUpload; the gateway's sweep of
// abandoned uploads needs both, so they are added here over s3rver's own on-disk layout
// (<directory>/<bucket>/._S3rver_uploads/<uploadId>/key): path-style requests only, as the gateway sends.
const fs = require("fs");
const path = require("path");
const S3rver = require("@20minutes/s3rver");
const v4 = require("@20minutes/s3rver/lib/signature/v4");

// S3 signs the path as the client sent it. s3rver rebuilds the canonical path from its route
// parameters instead, so a bucket-level request sent as "/bucket/" (the AWS SDK for .NET sends
// ListObjects, DeleteObjects and ListMultipartUploads so) is checked as "/bucket" and refused.
// The path as sent is remembered per request (keyed by its headers object, which s3rver hands to the
// signature check) and used when it is that canonical path plus its trailing slash. Nothing else
// about verification changes.
const pathAsSent = new WeakMap();
const getStringToSign = v4.getStringToSign;
v4.getStringToSign = (canonicalRequest, signature) => {
  const sent = pathAsSent.get(canonicalRequest.headers);
  return getStringToSign(sent === `${canonicalRequest.uri}/` ? { ...canonicalRequest, uri: sent } : canonicalRequest, signature);
};
async function keepPathAsSent(ctx, next) {
  pathAsSent.set(ctx.headers, ctx.path);
  await next();
}

// s3rver writes an object's file in place. While a PUT or a multipart completion is under way, a HEAD or GET of the key
// finds the half-written file: 200, its length so far, and an ETag computed from the bytes so far — and kept, since
// s3rver stores the MD5 it computes for a file that has none yet, so a GET pinned to that ETag is then answered with
// the partial body too. Two PUTs of one key write into one file at once. S3 makes a write visible whole or not at all,
// and keeps the version it replaces readable whole. So here a body is written beside the object's file and moved into
// place with its metadata and MD5 in one turn of the key; a GET or HEAD takes the same turn until its file is open (it
// reads the old version whole or the new one whole), and so do a delete and a copy onto the key.
const crypto = require("crypto");
const FilesystemStore = require("@20minutes/s3rver/lib/stores/filesystem");
const { ensureDir } = require("@20minutes/s3rver/lib/utils");
const turns = new Map();
function inTurn(objectPath, action) {
  const previous = turns.get(objectPath) || Promise.resolve();
  const run = previous.then(action);
  const done = run.then(() => {}, () => {});
  turns.set(objectPath, done);
  done.then(() => turns.get(objectPath) === done && turns.delete(objectPath));
  return run;
}
const store = FilesystemStore.prototype;
const { getObject, deleteObject, copyObject } = store;
store.putObject = async function putObject(object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, "object");
  await ensureDir(path.dirname(objectPath));
  const incoming = `${objectPath}.${crypto.randomUUID()}.incoming`;
  try {
    // A PUT's body, a form upload's file and a multipart completion's joined parts all arrive as streams.
    const [size, md5] = await this.putContent(incoming, object.content);
    await inTurn(objectPath, async () => {
      await fs.promises.rename(incoming, objectPath);
      await this.putMetadata(object.bucket, object.key, object.metadata, md5);
    });
    return { size, md5 };
  } finally {
    await fs.promises.rm(incoming, { force: true });
  }
};
store.getObject = function (bucket, key, options) {
  return inTurn(this.getResourcePath(bucket, key, "object"), () => getObject.call(this, bucket, key, options));
};
store.deleteObject = function (bucket, key) {
  return inTurn(this.getResourcePath(bucket, key, "object"), () => deleteObject.call(this, bucket, key));
};
store.copyObject = function (srcBucket, srcKey, destBucket, destKey, replacementMetadata) {
  return inTurn(this.getResourcePath(destBucket, destKey, "object"), () => copyObject.call(this, srcBucket, srcKey, destBucket, destKey, replacementMetadata));
};

const [directory, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  port: Number(process.env.S3RVER_PORT || 0),
  address: "127.0.0.1",
  silent: true,
  directory,
  configureBuckets: buckets.map((name) => ({ name })),
});

const escape = (text) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const uploadsOf = (bucket) => path.join(directory, bucket, "._S3rver_uploads");

async function multipartExtensions(ctx, next) {
  const url = new URL(ctx.url, "http://s3");
  const segments = url.pathname.split("/").slice(1);
  const bucket = decodeURIComponent(segments[0] || "");
  const key = segments.slice(1).map(decodeURIComponent).join("/");
  if (ctx.method === "GET" && key === "" && url.searchParams.has("uploads")) {
    const prefix = url.searchParams.get("prefix") || "";
    const uploads = [];
    const root = uploadsOf(bucket);
    for (const id of fs.existsSync(root) ? fs.readdirSync(root) : []) {
      const keyFile = path.join(root, id, "key");
      if (!fs.existsSync(keyFile)) continue;
      const uploadKey = fs.readFileSync(keyFile, "utf8");
      if (!uploadKey.startsWith(prefix)) continue;
      const initiated = fs.statSync(keyFile).mtime.toISOString();
      uploads.push(`<Upload><Key>${escape(uploadKey)}</Key><UploadId>${id}</UploadId><Initiated>${initiated}</Initiated><StorageClass>STANDARD</StorageClass></Upload>`);
    }
    ctx.type = "application/xml";
    ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult><Bucket>${escape(bucket)}</Bucket><Prefix>${escape(prefix)}</Prefix><MaxUploads>1000</MaxUploads><IsTruncated>false</IsTruncated>${uploads.join("")}</ListMultipartUploadsResult>`;
    return;
  }
  if (ctx.method === "DELETE" && key !== "" && url.searchParams.has("uploadId")) {
    const dir = path.join(uploadsOf(bucket), path.basename(url.searchParams.get("uploadId")));
    if (!fs.existsSync(dir)) {
      ctx.status = 404;
      ctx.type = "application/xml";
      ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>';
      return;
    }
    fs.rmSync(dir, { recursive: true, force: true });
    ctx.status = 204;
    return;
  }
  await next();
}
server.middleware.unshift(multipartExtensions);
server.middleware.unshift(keepPathAsSent);

server
  .run()
  .then(({ port }) => console.log(`port ${port}`))
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
process.stdin.on("end", () => server.close().then(() => process.exit(0)));
process.stdin.resume();
