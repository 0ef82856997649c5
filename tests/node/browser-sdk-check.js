// A web application's uploads and downloads in Debian's headless Chromium (driven by playwright-core): a page served
// from its own origin, http://localhost:<app port>, loads an official SDK and calls the gateway across origins, as a
// browser app calls a bucket — so every request goes through the browser's CORS checks (preflights, exposed headers).
//   cos: Tencent's browser SDK (cos-js-sdk-v5, its published dist file, as a <script> tag loads it)
//   s3:  the AWS SDK for JavaScript v3 (@aws-sdk/client-s3 and lib-storage), bundled for the browser with esbuild
//   cos-put: one putObject only (for a page whose origin the bucket's CORS rules do not allow)
// Usage: node browser-sdk-check.js <cos|s3|cos-put> <gateway data URL> <app port> <SecretId> <SecretKey> <bucket> <prefix>
// Prints one JSON line per SDK call: {"step", "ok", "status", "code", "etag", "text", ...}; exits non-zero when the
// browser or the page fails (a refused call is an "ok": false line, not a failure of the script).
'use strict';
const fs = require('fs');
const http = require('http');
const { launchChromium } = require('./chromium');

const [sdk, endpoint, appPort, secretId, secretKey, bucket, prefix] = process.argv.slice(2);

function pageScript() {
  if (sdk === 's3') {
    const entry = `
      import { S3Client, PutObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, DeleteObjectsCommand,
        CopyObjectCommand } from '@aws-sdk/client-s3';
      import { Upload } from '@aws-sdk/lib-storage';
      window.sdk = { S3Client, PutObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, DeleteObjectsCommand,
        CopyObjectCommand, Upload };`;
    const built = require('esbuild').buildSync({
      stdin: { contents: entry, resolveDir: __dirname, loader: 'js' },
      bundle: true, format: 'iife', platform: 'browser', define: { global: 'globalThis' }, write: false, logLevel: 'error',
    });
    return built.outputFiles[0].text;
  }
  return fs.readFileSync(require.resolve('cos-js-sdk-v5/dist/cos-js-sdk-v5.min.js'), 'utf8');
}

// Runs in the page: the calls a web app makes, each reported as one plain object.
async function runInPage({ sdk, endpoint, secretId, secretKey, bucket, prefix }) {
  const out = [];
  // 12 MiB of a known pattern: a multipart upload in both SDKs (2 MiB and 5 MiB parts).
  const big = new Uint8Array(12 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 255;

  if (sdk === 'cos' || sdk === 'cos-put') {
    const cos = new COS({ SecretId: secretId, SecretKey: secretKey, Protocol: endpoint.split('//')[0], Domain: endpoint.split('//')[1] });
    const call = (step, fn, params) => new Promise((resolve) => cos[fn]({ Bucket: bucket, Region: 'ap-guangzhou', ...params }, (err, data) => {
      const r = { step, ok: !err };
      if (err) { r.status = err.statusCode || 0; r.code = err.code || (err.error && err.error.Code) || ''; r.message = String(err.message || ''); }
      if (data) {
        r.status = data.statusCode; r.etag = data.ETag || (data.headers && data.headers.etag) || '';
        if (typeof data.Body === 'string') r.text = data.Body;
        if (data.headers) r.meta = data.headers['x-cos-meta-who'] || '';
        if (data.Contents) r.keys = data.Contents.map((c) => c.Key);
        if (data.Deleted) r.deleted = data.Deleted.map((d) => d.Key);
      }
      resolve(r);
    }));
    out.push(await call('put', 'putObject', { Key: prefix + 'a.txt', Body: 'hello from a browser app', Headers: { 'x-cos-meta-who': 'browser' } }));
    if (sdk === 'cos-put') return out;
    out.push(await call('head', 'headObject', { Key: prefix + 'a.txt' }));
    out.push(await call('get', 'getObject', { Key: prefix + 'a.txt' }));
    out.push(await call('multipart', 'sliceUploadFile', { Key: prefix + 'big.bin', Body: new Blob([big]), ChunkSize: 2 * 1024 * 1024 }));
    out.push(await call('list', 'getBucket', { Prefix: prefix }));
    out.push(await call('copy', 'putObjectCopy', { Key: prefix + 'copy.txt', CopySource: `${bucket}.cos.ap-guangzhou.myqcloud.com/${prefix}a.txt` }));
    out.push(await call('missing', 'getObject', { Key: prefix + 'no-such-key' }));
    out.push(await call('batchDelete', 'deleteMultipleObject', { Objects: [{ Key: prefix + 'copy.txt' }] }));
    out.push(await call('delete', 'deleteObject', { Key: prefix + 'a.txt' }));
    return out;
  }

  const { S3Client, PutObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, DeleteObjectsCommand, CopyObjectCommand, Upload } = window.sdk;
  const s3 = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: secretId, secretAccessKey: secretKey } });
  const step = async (name, f) => {
    try {
      const r = await f();
      out.push({ step: name, ok: true, status: r.$metadata ? r.$metadata.httpStatusCode : 200, ...r.seen });
    } catch (e) {
      out.push({ step: name, ok: false, status: e.$metadata ? e.$metadata.httpStatusCode || 0 : 0, code: e.name || '', message: String(e.message || '') });
    }
  };
  const seen = (r, more) => Object.assign(r, { seen: more });
  await step('put', async () => { const r = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: prefix + 'a.txt', Body: 'hello from a browser app', ContentType: 'text/plain', Metadata: { who: 'browser' } })); return seen(r, { etag: r.ETag }); });
  await step('head', async () => { const r = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: prefix + 'a.txt' })); return seen(r, { etag: r.ETag, meta: (r.Metadata || {}).who || '' }); });
  await step('get', async () => { const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + 'a.txt' })); return seen(r, { etag: r.ETag, text: await r.Body.transformToString() }); });
  await step('multipart', async () => { const r = await new Upload({ client: s3, params: { Bucket: bucket, Key: prefix + 'big.bin', Body: new Blob([big]) }, partSize: 5 * 1024 * 1024 }).done(); return seen(r, { etag: r.ETag }); });
  await step('list', async () => { const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix })); return seen(r, { keys: (r.Contents || []).map((c) => c.Key) }); });
  await step('copy', async () => { const r = await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: prefix + 'copy.txt', CopySource: `${bucket}/${prefix}a.txt` })); return seen(r, { etag: r.CopyObjectResult.ETag }); });
  await step('missing', () => s3.send(new GetObjectCommand({ Bucket: bucket, Key: prefix + 'no-such-key' })));
  await step('batchDelete', async () => { const r = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: prefix + 'copy.txt' }, { Key: prefix + 'a.txt' }] } })); return seen(r, { deleted: (r.Deleted || []).map((d) => d.Key) }); });
  return out;
}

(async () => {
  const script = pageScript();
  const app = http.createServer((req, res) => {
    if (req.url === '/sdk.js') {
      res.writeHead(200, { 'content-type': 'application/javascript; charset=utf-8' });
      return res.end(script);
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    return res.end('<!doctype html><html><head><script src="/sdk.js"></script></head><body>app</body></html>');
  });
  await new Promise((resolve) => app.listen(Number(appPort), '127.0.0.1', resolve));
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const pageErrors = [];
    page.on('pageerror', (e) => pageErrors.push(String(e.message)));
    page.on('console', (m) => console.error('page console:', m.text()));
    await page.goto(`http://localhost:${appPort}/app.html`);
    if (pageErrors.length > 0) throw new Error('the page failed: ' + pageErrors.join('; '));
    const results = await page.evaluate(runInPage, { sdk, endpoint, secretId, secretKey, bucket, prefix });
    for (const r of results) console.log(JSON.stringify(r));
  } finally {
    await browser.close();
    app.close();
  }
})().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
