// GetService (ListAllMyBuckets) through Tencent's official COS Node.js SDK against a running gateway.
// Usage: node cos-service-check.js <port> <secretId> <secretKey>
// Prints the SDK's answer as JSON; exits non-zero on failure.
'use strict';
const COS = require('cos-nodejs-sdk-v5');

const [port, secretId, secretKey] = process.argv.slice(2);
const cos = new COS({ SecretId: secretId, SecretKey: secretKey, Protocol: 'http:', ServiceDomain: `http://127.0.0.1:${port}` });
cos.getService({}, (err, data) => {
  if (err) {
    console.error(JSON.stringify(err, null, 1));
    process.exit(1);
  }
  console.log(JSON.stringify({ statusCode: data.statusCode, owner: data.Owner, buckets: data.Buckets }));
});
