// A COS form upload (POST Object) made the way COS documents it for browsers: a server signs a policy with the
// credential's SecretKey — SignKey = hex HMAC-SHA1(SecretKey, KeyTime), StringToSign = hex SHA-1 of the policy's JSON,
// q-signature = hex HMAC-SHA1(SignKey, StringToSign) — and the page posts the form with fetch and FormData.
// Usage: node cos-post-object-check.js <bucketUrl> <secretId> <secretKey> <keyPrefix>
// Prints one JSON document of what each post was answered; exits non-zero on a failure to run.
'use strict';
const crypto = require('crypto');

const [bucketUrl, secretId, secretKey, prefix] = process.argv.slice(2);

function form(secret, overrides) {
  const now = Math.floor(Date.now() / 1000);
  const keyTime = `${now - 60};${now + 600}`;
  const policyText = JSON.stringify({
    expiration: new Date((now + 600) * 1000).toISOString(),
    conditions: [
      { 'q-sign-algorithm': 'sha1' },
      { 'q-ak': secretId },
      { 'q-sign-time': keyTime },
      ['starts-with', '$key', prefix],
      { 'Content-Type': 'text/plain' },
      { 'x-cos-meta-origin': 'form' },
      { 'x-cos-tagging': 'team=web&stage=1' },
      { success_action_status: '201' },
      ['content-length-range', 1, 1000],
    ],
  });
  const signKey = crypto.createHmac('sha1', secret).update(keyTime).digest('hex');
  const stringToSign = crypto.createHash('sha1').update(policyText).digest('hex');
  const fields = {
    key: prefix + '${filename}',
    policy: Buffer.from(policyText).toString('base64'),
    'q-sign-algorithm': 'sha1',
    'q-ak': secretId,
    'q-key-time': keyTime,
    'q-signature': crypto.createHmac('sha1', signKey).update(stringToSign).digest('hex'),
    'Content-Type': 'text/plain',
    'x-cos-meta-origin': 'form',
    'x-cos-tagging': 'team=web&stage=1',
    success_action_status: '201',
    ...overrides,
  };
  return fields;
}

async function post(fields, name, text) {
  const body = new FormData();
  for (const [k, v] of Object.entries(fields)) body.append(k, v);
  body.append('file', new Blob([text]), name);
  const response = await fetch(bucketUrl, { method: 'POST', body });
  return { status: response.status, requestId: response.headers.get('x-cos-request-id'), etag: response.headers.get('etag'), body: await response.text() };
}

(async () => {
  const result = {
    created: await post(form(secretKey, {}), 'cos.txt', 'posted to COS'),
    tampered: await post(form(secretKey, { 'x-cos-meta-origin': 'elsewhere' }), 'tampered.txt', 'tampered'),
    wrongSecret: await post(form('not-the-secret', {}), 'forged.txt', 'forged'),
    tooLarge: await post(form(secretKey, {}), 'large.txt', 'x'.repeat(1001)),
  };
  console.log(JSON.stringify(result));
})().catch((e) => { console.error(String(e && e.stack || e)); process.exit(1); });
