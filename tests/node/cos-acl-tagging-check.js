// The official COS Node.js SDK's object ACL and tagging calls against a running gateway, with the
// object's bytes checked after each one. Usage: node cos-acl-tagging-check.js <port> <secretId> <secretKey> <bucket>
// Prints one JSON document of what the calls returned; exits non-zero on the first failure.
'use strict';
const crypto = require('crypto');
const http = require('http');

const [port, secretId, secretKey, bucket] = process.argv.slice(2);
const { call } = require('./cos-client')(port, secretId, secretKey, bucket);
const failed = (method, params) => call(method, params).then(() => 'succeeded', (e) => (e.detail && (e.detail.code || e.detail.statusCode)) || String(e));
const anonymous = (key) => new Promise((resolve, reject) =>
  http.get({ host: '127.0.0.1', port, path: '/' + key.split('/').map(encodeURIComponent).join('/') }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode)); }).on('error', reject));

(async () => {
  const key = `sdk-acl/${crypto.randomUUID()}/对象.txt`;
  const body = Buffer.from(`acl and tags ${crypto.randomUUID()}\n`);
  const sha = (b) => crypto.createHash('sha256').update(b).digest('hex');
  const result = { key, steps: [] };
  const bytesIntact = async (step) => {
    const get = await call('getObject', { Key: key });
    result.steps.push({ step, intact: sha(Buffer.from(get.Body)) === sha(body), etag: get.ETag });
  };

  await call('putObject', { Key: key, Body: body, Headers: { 'x-cos-tagging': 'stage=raw&team=media%20ops' } });
  const head = await call('headObject', { Key: key });
  result.taggingCount = head.headers['x-cos-tagging-count'];
  result.tagsFromPut = (await call('getObjectTagging', { Key: key })).Tags;

  await call('putObjectAcl', { Key: key, ACL: 'private' });
  await bytesIntact('putObjectAcl private');
  const privateAcl = await call('getObjectAcl', { Key: key });
  result.privateAcl = { ACL: privateAcl.ACL, grants: privateAcl.Grants.length };
  result.anonymousWhenPrivate = await anonymous(key);

  await call('putObjectAcl', { Key: key, ACL: 'public-read', GrantRead: 'id="qcs::cam::uin/1001:uin/1001"' });
  await bytesIntact('putObjectAcl public-read');
  const publicAcl = await call('getObjectAcl', { Key: key });
  result.publicAcl = { ACL: publicAcl.ACL, GrantRead: publicAcl.GrantRead };
  result.anonymousWhenPublic = await anonymous(key);

  await call('putObjectAcl', { Key: key, AccessControlPolicy: { Owner: { ID: 'qcs::cam::uin/1250000000:uin/1250000000' }, Grants: [{ Grantee: { ID: 'qcs::cam::uin/10002:uin/10002' }, Permission: 'READ' }] } });
  await bytesIntact('putObjectAcl xml');
  const xmlAcl = await call('getObjectAcl', { Key: key });
  result.xmlAcl = { ACL: xmlAcl.ACL, grants: xmlAcl.Grants.map((g) => `${g.Grantee.ID}:${g.Permission}`) };
  await call('putObjectAcl', { Key: key, ACL: 'default' });
  result.defaultAcl = (await call('getObjectAcl', { Key: key })).ACL;

  await call('putObjectTagging', { Key: key, Tagging: { Tags: [{ Key: 'k1', Value: 'v1' }, { Key: 'k2', Value: 'v2' }] } });
  await bytesIntact('putObjectTagging');
  result.tags = (await call('getObjectTagging', { Key: key })).Tags;
  await call('deleteObjectTagging', { Key: key });
  await bytesIntact('deleteObjectTagging');
  result.tagsAfterDelete = (await call('getObjectTagging', { Key: key })).Tags;

  result.badAcl = await failed('putObjectAcl', { Key: key, ACL: 'public-read-write' });
  result.tooManyTags = await failed('putObjectTagging', { Key: key, Tagging: { Tags: Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: 'v' })) } });
  await bytesIntact('refused calls');
  const missing = `sdk-acl/${crypto.randomUUID()}/missing.txt`;
  result.missing = {
    putObjectAcl: await failed('putObjectAcl', { Key: missing, ACL: 'private' }),
    getObjectTagging: await failed('getObjectTagging', { Key: missing }),
    deleteObjectTagging: await failed('deleteObjectTagging', { Key: missing }),
    headAfter: await failed('headObject', { Key: missing }),
  };
  console.log(JSON.stringify(result));
})().catch((e) => {
  console.error(JSON.stringify({ error: e.message, detail: e.detail }, null, 1));
  process.exit(1);
});
