// COS fetch tasks (offline fetch, "AsyncFetch") submitted, polled and cancelled through the official COS Node.js SDK's own
// signed request method — what a user of the SDK writes for an API the SDK has no method of — against a gateway's control
// endpoint; the fetched object is read back through the data endpoint.
// Usage: node cos-fetch-task-check.js <controlPort> <dataPort> <secretId> <secretKey> <bucket> <url> <key> <md5>
// Prints one JSON document; exits non-zero on a failure it did not expect.
'use strict';
const COS = require('cos-nodejs-sdk-v5');

const [port, dataPort, secretId, secretKey, bucket, url, key, md5] = process.argv.slice(2);
const cos = new COS({ SecretId: secretId, SecretKey: secretKey });
const base = `http://127.0.0.1:${port}/${bucket}/`;
const request = (params) => new Promise((resolve) => cos.request({ Bucket: bucket, Region: 'ap-guangzhou', ...params }, (err, data) => resolve(err
  ? { ok: false, statusCode: err.statusCode, requestId: err.RequestId }
  : { ok: true, statusCode: data.statusCode, json: typeof data.Body === 'string' ? JSON.parse(data.Body) : data })));
const submit = (task) => request({ Method: 'POST', Url: base, Body: JSON.stringify(task), Headers: { 'Content-Type': 'application/json' } });
const finished = async (taskId) => {
  for (let i = 0; i < 300; i++) {
    const status = await request({ Method: 'GET', Url: base + taskId });
    if (!status.ok || !['TASK_WAITING', 'TASK_DOING'].includes(status.json.data.status)) return status;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`task ${taskId} did not finish`);
};
const task = (answer) => (answer.ok ? { code: answer.json.code, data: answer.json.data } : answer);

(async () => {
  const result = {};
  const accepted = await submit({ Url: url, Key: key, MD5: md5 });
  result.submitted = task(accepted);
  result.done = task(await finished(accepted.json.data.taskid));
  result.cancelFinished = await request({ Method: 'DELETE', Url: base + accepted.json.data.taskid });

  const mismatched = await submit({ Url: url, Key: `${key}.mismatch`, MD5: '0'.repeat(32) });
  result.mismatch = task(await finished(mismatched.json.data.taskid));
  result.withoutKey = await submit({ Url: url });
  result.unknownTask = await request({ Method: 'GET', Url: base + 'AAAAAAAAAAAAAAAAAAAAAA' });
  const data = new COS({ SecretId: secretId, SecretKey: secretKey, Protocol: 'http:', Domain: `127.0.0.1:${dataPort}` });
  const read = await new Promise((resolve, reject) => data.getObject({ Bucket: bucket, Region: 'ap-guangzhou', Key: key }, (e, d) => (e ? reject(e) : resolve(d))));
  result.storedLength = read.Body.length;
  console.log(JSON.stringify(result));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
