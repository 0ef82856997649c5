// Drives a running gateway with Tencent's official COS Node.js SDK (cos-nodejs-sdk-v5 3.x).
// Usage: node cos-sdk-check.js <port> <secretId> <secretKey> <bucket>
// Prints one JSON document with what each call returned; exits non-zero on the first failure.
'use strict';
const crypto = require('crypto');

const [port, secretId, secretKey, bucket] = process.argv.slice(2);
const { call, cos } = require('./cos-client')(port, secretId, secretKey, bucket);

(async () => {
  const key = `sdk-${Date.now()}/${crypto.randomUUID()}/对象 file+name.txt`;
  const body = Buffer.from(`hello from cos-nodejs-sdk-v5 ${crypto.randomUUID()}\n`);
  const result = { key };

  const put = await call('putObject', { Key: key, Body: body, ContentType: 'text/plain', Headers: { 'x-cos-meta-origin': 'sdk' } });
  result.putETag = put.ETag;
  const head = await call('headObject', { Key: key });
  result.headStatus = head.statusCode;
  result.headLength = Number(head.headers['content-length']);
  result.headMeta = head.headers['x-cos-meta-origin'];
  const get = await call('getObject', { Key: key });
  result.getStatus = get.statusCode;
  result.bodyMatches = Buffer.compare(Buffer.from(get.Body), body) === 0;
  result.md5Matches = JSON.parse(put.ETag) === crypto.createHash('md5').update(body).digest('hex');

  // A presigned GET URL from the SDK, fetched as a browser or player would: several times (the gateway compares the
  // later ones with the signature it kept), once with its signature altered, then as made again.
  const presigned = await new Promise((resolve, reject) => cos.getObjectUrl({ Bucket: bucket, Region: 'ap-guangzhou', Key: key, Sign: true, Expires: 300 },
    (err, data) => (err ? reject(Object.assign(new Error('getObjectUrl failed'), { detail: err })) : resolve(data.Url))));
  const fetchPresigned = async (url) => {
    const response = await fetch(url);
    const bytes = Buffer.from(await response.arrayBuffer());
    const code = response.status === 200 ? null : (/<Code>([^<]*)<\/Code>/.exec(bytes.toString()) || [])[1];
    return { status: response.status, intact: response.status === 200 && Buffer.compare(bytes, body) === 0, code };
  };
  const signatureAt = presigned.indexOf('q-signature=') + 'q-signature='.length;
  const altered = presigned.slice(0, signatureAt) + (presigned[signatureAt] === '0' ? '1' : '0') + presigned.slice(signatureAt + 1);
  result.presigned = [];
  for (const url of [presigned, presigned, presigned, altered, presigned]) {
    result.presigned.push(await fetchPresigned(url));
  }

  const list = await call('getBucket', { Prefix: key.split('/')[0] + '/', Delimiter: '' });
  result.listedKeys = list.Contents.map((c) => c.Key);

  const rules = {
    OriginRule: [{
      RulePriority: 1,
      OriginType: 'Mirror',
      OriginCondition: { HTTPStatusCode: '404', Prefix: 'mirror/' },
      OriginParameter: { Protocol: 'HTTP', FollowQueryString: 'true', FollowRedirection: 'true' },
      OriginInfo: { HostInfo: { HostName: 'origin.example.com:8080', Weight: 2 } },
    }],
  };
  const putOrigin = await call('putBucketOrigin', { OriginConfiguration: rules });
  result.putOriginStatus = putOrigin.statusCode;
  const getOrigin = await call('getBucketOrigin', {});
  result.getOriginStatus = getOrigin.statusCode;
  result.getOrigin = getOrigin.OriginRule || (getOrigin.OriginConfiguration && getOrigin.OriginConfiguration.OriginRule);
  const deleteOrigin = await call('deleteBucketOrigin', {});
  result.deleteOriginStatus = deleteOrigin.statusCode;
  try {
    await call('getBucketOrigin', {});
    result.afterDelete = 'still there';
  } catch (e) {
    result.afterDelete = (e.detail && (e.detail.code || e.detail.statusCode)) || String(e);
  }

  const del = await call('deleteObject', { Key: key });
  result.deleteStatus = del.statusCode;
  try {
    await call('headObject', { Key: key });
    result.afterDeleteObject = 'still there';
  } catch (e) {
    result.afterDeleteObject = e.detail && e.detail.statusCode;
  }
  console.log(JSON.stringify(result));
})().catch((e) => {
  console.error(JSON.stringify({ error: e.message, detail: e.detail }, null, 1));
  process.exit(1);
});
