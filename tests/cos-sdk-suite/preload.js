// Loaded into the COS SDK's own test run (node --require): every connection to a COS host name
// (*.myqcloud.com, *.tencentcos.cn) goes to the gateway on 127.0.0.1 instead — https to the gateway's
// TLS port, http to its plain port — keeping the host name for SNI and the Host header. Nothing in
// the SDK or its tests is changed. Ports come from OG_TLS_PORT and OG_HTTP_PORT.
'use strict';
const net = require('net');
const tls = require('tls');

const tlsPort = Number(process.env.OG_TLS_PORT);
const httpPort = Number(process.env.OG_HTTP_PORT);
const isCosHost = (host) => typeof host === 'string' && /(^|\.)(myqcloud\.com|tencentcos\.cn)\.?$/i.test(host);

function redirect(args, port, secure) {
  const options = typeof args[0] === 'object' && args[0] !== null ? { ...args[0] } : null;
  if (!options) {
    return args;
  }
  if (!isCosHost(options.host) && !isCosHost(options.servername)) {
    return args;
  }
  const wanted = Number(options.port || (secure ? 443 : 80));
  if (wanted !== (secure ? 443 : 80)) {
    return args;
  }
  if (secure && !options.servername) {
    options.servername = options.host;
  }
  options.host = '127.0.0.1';
  options.port = port;
  delete options.lookup;
  return [options, ...args.slice(1)];
}

const tlsConnect = tls.connect;
tls.connect = function (...args) {
  return tlsConnect.apply(this, redirect(args, tlsPort, true));
};
const netConnect = net.connect;
net.connect = net.createConnection = function (...args) {
  return netConnect.apply(this, redirect(args, httpPort, false));
};
