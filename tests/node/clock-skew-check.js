// Clients whose machine clock is wrong, as faketime runs them (the test starts this script under `faketime -f <offset>`):
// the official COS Node.js SDK (CorrectClockSkew, on by default) and the AWS SDK for JavaScript v3 each sign with their
// own clock, are refused, read the server's time from the refusal (its Date header), sign again with the corrected
// clock and succeed. COS's SDK recognises a refusal as a clock error only by COS's exact answers: RequestTimeTooSkewed,
// or AccessDenied with the message "Request has expired".
// Usage: node clock-skew-check.js <port> <secretId> <secretKey> <bucket> <keyPrefix>
// Prints one JSON document; exits non-zero on a failure it did not expect.
'use strict';
const connect = require('./cos-client');
const { S3Client, PutObjectCommand, GetObjectCommand } = require('@aws-sdk/client-s3');

const [port, secretId, secretKey, bucket, prefix] = process.argv.slice(2);
const outcome = async (work) => {
  try {
    return { ok: true, ...(await work()) };
  } catch (e) {
    const detail = e.detail || e;
    return { ok: false, code: detail.code || detail.name, message: detail.message };
  }
};

(async () => {
  const result = { clock: new Date().toISOString() };
  const { cos, call } = connect(port, secretId, secretKey, bucket);
  result.cos = await outcome(async () => {
    await call('putObject', { Key: `${prefix}/cos.txt`, Body: Buffer.from('written with a wrong clock (COS)') });
    const read = await call('getObject', { Key: `${prefix}/cos.txt` });
    return { body: read.Body.toString(), offsetMs: cos.options.SystemClockOffset };
  });

  const s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: secretId, secretAccessKey: secretKey },
  });
  result.s3 = await outcome(async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/s3.txt`, Body: 'written with a wrong clock (S3)' }));
    const read = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/s3.txt` }));
    return { attempts: put.$metadata.attempts, body: await read.Body.transformToString(), offsetMs: await s3.config.systemClockOffset };
  });
  console.log(JSON.stringify(result));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
