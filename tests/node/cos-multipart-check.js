// Multipart upload through Tencent's official COS Node.js SDK (cos-nodejs-sdk-v5 3.x) against a running gateway.
// Usage: node cos-multipart-check.js <port> <secretId> <secretKey> <bucket> <file> <keyPrefix>
// uploadFile (1 MiB slices, Content-MD5 on every part), sliceUploadFile (4 MiB slices), sliceCopyFile
// (Upload Part - Copy in 10 MiB ranges), a sliced upload resumed after it was cut short, then an initiated-and-aborted upload. Prints one JSON document; exits non-zero on the first failure.
'use strict';
const COS = require('cos-nodejs-sdk-v5');

const [port, secretId, secretKey, bucket, file, prefix] = process.argv.slice(2);
const client = (options) => new COS({ SecretId: secretId, SecretKey: secretKey, Protocol: 'http:', Domain: `127.0.0.1:${port}`, ...options });
const Region = 'ap-guangzhou';
const call = (cos, method, params) => new Promise((resolve, reject) =>
  cos[method]({ Bucket: bucket, Region, ...params }, (err, data) => (err ? reject(Object.assign(new Error(`${method} failed`), { detail: err })) : resolve(data))));
const failure = async (promise) => {
  try {
    await promise;
    return 'succeeded';
  } catch (e) {
    return (e.detail && (e.detail.code || e.detail.statusCode)) || String(e);
  }
};

(async () => {
  const result = {};
  const checked = client({ UploadCheckContentMd5: true });
  const plain = client({ ChunkParallelLimit: 4 });

  const uploaded = await call(checked, 'uploadFile', { Key: `${prefix}/upload-file.bin`, FilePath: file, ContentType: 'application/x-test', Headers: { 'x-cos-meta-via': 'uploadFile' } });
  result.uploadFile = { statusCode: uploaded.statusCode, etag: uploaded.ETag };

  const sliced = await call(plain, 'sliceUploadFile', { Key: `${prefix}/slice-upload.bin`, FilePath: file, ChunkSize: 4 * 1024 * 1024 });
  result.sliceUploadFile = { statusCode: sliced.statusCode, etag: sliced.ETag };

  const copied = await call(plain, 'sliceCopyFile', { Key: `${prefix}/slice-copy.bin`, CopySource: `${bucket}.cos.${Region}.myqcloud.com/${prefix}/upload-file.bin` });
  result.sliceCopyFile = { statusCode: copied.statusCode, etag: copied.ETag };

  // A sliced upload cut short (parts 1-3 of 1 MiB sent, then the process gone) and started again: the SDK finds the
  // upload by listing the key's uploads, checks the listed parts' ETags against its own slices, sends only the rest and
  // completes that upload — no second one is begun, none is left behind.
  const resumeKey = `${prefix}/resumed.bin`;
  const cut = await call(plain, 'multipartInit', { Key: resumeKey });
  const whole = require('fs').readFileSync(file);
  for (let n = 1; n <= 3; n++) {
    await call(plain, 'multipartUpload', { Key: resumeKey, UploadId: cut.UploadId, PartNumber: n, Body: whole.subarray((n - 1) * 1048576, n * 1048576) });
  }
  const resumed = await call(plain, 'sliceUploadFile', { Key: resumeKey, FilePath: file, ChunkSize: 1048576 });
  result.resumed = {
    statusCode: resumed.statusCode,
    etag: resumed.ETag,
    uploadsLeft: (await call(plain, 'multipartList', { Prefix: resumeKey })).Upload.length,
    cutUploadAfterwards: await failure(call(plain, 'multipartListPart', { Key: resumeKey, UploadId: cut.UploadId })),
  };

  const abortKey = `${prefix}/aborted.bin`;
  const init = await call(plain, 'multipartInit', { Key: abortKey });
  await call(plain, 'multipartUpload', { Key: abortKey, UploadId: init.UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 7) });
  const listedParts = await call(plain, 'multipartListPart', { Key: abortKey, UploadId: init.UploadId });
  const listedUploads = await call(plain, 'multipartList', { Prefix: `${prefix}/` });
  await call(plain, 'multipartAbort', { Key: abortKey, UploadId: init.UploadId });
  result.aborted = {
    uploadId: init.UploadId,
    partsBeforeAbort: listedParts.Part.map((p) => ({ PartNumber: Number(p.PartNumber), Size: Number(p.Size), ETag: p.ETag })),
    uploadsBeforeAbort: listedUploads.Upload.map((u) => u.Key),
    listPartsAfterAbort: await failure(call(plain, 'multipartListPart', { Key: abortKey, UploadId: init.UploadId })),
    headAfterAbort: await failure(call(plain, 'headObject', { Key: abortKey })),
  };
  const left = await call(plain, 'multipartList', { Prefix: `${prefix}/` });
  result.uploadsLeft = left.Upload.length;
  console.log(JSON.stringify(result));
})().catch((e) => {
  console.error(JSON.stringify({ error: e.message, detail: e.detail }, null, 1));
  process.exit(1);
});
