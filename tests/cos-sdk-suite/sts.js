// The STS endpoint the COS SDK's test suite asks for temporary credentials (GET /sts). The gateway
// does not implement temporary credentials, so it hands out the gateway credential with a session
// token, which the gateway refuses (403 InvalidAccessKeyId): those cases fail at once, for that reason.
// Usage: node sts.js <port> <secretId> <secretKey>
'use strict';
const http = require('http');

const [port, secretId, secretKey] = process.argv.slice(2);
http.createServer((req, res) => {
  const now = Math.floor(Date.now() / 1000);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({
    credentials: { tmpSecretId: secretId, tmpSecretKey: secretKey, sessionToken: 'temporary-credentials-are-not-implemented' },
    startTime: now - 60,
    expiredTime: now + 3600,
  }));
}).listen(Number(port), '127.0.0.1', () => console.log(`sts listening on ${port}`));
