// The official COS Node.js SDK pointed at a gateway on 127.0.0.1, and a promise-returning call helper
// shared by the SDK check scripts: call('putObject', { Key, Body }) with Bucket and Region filled in.
'use strict';
const COS = require('cos-nodejs-sdk-v5');

module.exports = function connect(port, secretId, secretKey, bucket, Region = 'ap-guangzhou') {
  const cos = new COS({ SecretId: secretId, SecretKey: secretKey, Protocol: 'http:', Domain: `127.0.0.1:${port}` });
  const call = (method, params) => new Promise((resolve, reject) =>
    cos[method]({ Bucket: bucket, Region, ...params }, (err, data) => (err ? reject(Object.assign(new Error(`${method} failed`), { detail: err })) : resolve(data))));
  return { cos, call };
};
