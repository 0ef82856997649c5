// Plain http for the COS SDK's http-only cases: each connection to <port> is carried over TLS to the
// gateway's https endpoint, so one gateway (one data directory) answers both schemes.
// Usage: node bridge.js <listen port> <gateway TLS port>
'use strict';
const net = require('net');
const tls = require('tls');

const [listen, target] = process.argv.slice(2).map(Number);
net.createServer((client) => {
  const upstream = tls.connect({ host: '127.0.0.1', port: target, rejectUnauthorized: false });
  client.pipe(upstream).pipe(client);
  const close = () => { client.destroy(); upstream.destroy(); };
  client.on('error', close);
  upstream.on('error', close);
}).listen(listen, '127.0.0.1');
