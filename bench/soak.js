#!/usr/bin/env node
// OriginGateway soak: a steady mix of hits, Mirror misses, Proxy requests and fetch tasks against one
// gateway for a while (default 10 minutes), with one origin flapping (healthy, then 503s, in turns).
// Samples the gateway's RSS, open file descriptors and sockets every 10 s, counts every answer by
// kind, and at the end re-reads every object the gateway stored and checks it byte for byte against
// what the origin serves. Writes a Markdown report. Everything on 127.0.0.1; the gateway and the
// origins are stopped by process id at the end (also on Ctrl-C).
//
//   node bench/soak.js [--minutes 10] [--rate 120] [--keys 2000] [--out report.md] [--dll path/to/OriginGateway.dll]
//
// Stored keys cycle over --keys names, and a Mirror miss deletes its object once it is verified, so
// misses stay misses and the bucket stays bounded: memory that still grows is not the key index.
// Without --dll the gateway is built (dotnet build -c Release) and its build output is run.
'use strict';
const http = require('http');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
const minutes = Number(args.minutes || 10);
const rate = Number(args.rate || 120); // requests per second, all kinds together
const keys = Number(args.keys || 2000); // names each stored kind cycles over
const repo = path.resolve(__dirname, '..');
const out = args.out || path.join(os.tmpdir(), `soak-${Date.now()}.md`);
const secretId = 'AKIDORIGINGATEWAYDEV';
const secretKey = 'origin-gateway-development-secret';
const bucket = 'examplebucket-1250000000';
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'og-soak-'));
const children = [];
const servers = [];

const log = (...m) => console.log(`[${new Date().toISOString().slice(11, 19)}]`, ...m);

// --- deterministic bodies: the origin's content for a path (1 KiB – 257 KiB at a path-dependent offset of
// one fixed pseudo-random megabyte), so the end can verify every stored object without the harness
// spending its CPU on generating bodies ---
const corpus = (() => {
  const out = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < out.length; i += 32) crypto.createHash('sha256').update(`soak#${i}`).digest().copy(out, i);
  return out;
})();
const bodyOf = (p) => {
  const digest = crypto.createHash('md5').update(p).digest();
  const size = 1024 + (digest.readUInt32BE(0) % (256 * 1024));
  const offset = digest.readUInt32BE(4) % (corpus.length - size);
  return corpus.subarray(offset, offset + size);
};

// --- origins: a stable one, and one that flaps (30 s healthy, 30 s 503) ---
const listen = (handler) => new Promise((resolve) => {
  const server = http.createServer(handler);
  server.keepAliveTimeout = 5000;
  server.listen(0, '127.0.0.1', () => resolve(server));
  servers.push(server);
});
const started = Date.now();
const flappingNow = () => Math.floor((Date.now() - started) / 30000) % 2 === 1;
const serve = (req, res) => {
  const body = bodyOf(req.url.split('?')[0]);
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
};

// --- the COS signature (q-sign-algorithm=sha1), host signed ---
const sign = (method, pathname, host) => {
  const now = Math.floor(Date.now() / 1000);
  const time = `${now - 60};${now + 600}`;
  const signKey = crypto.createHmac('sha1', secretKey).update(time).digest('hex');
  const httpString = `${method.toLowerCase()}\n${decodeURIComponent(pathname)}\n\nhost=${encodeURIComponent(host)}\n`;
  const stringToSign = `sha1\n${time}\n${crypto.createHash('sha1').update(httpString).digest('hex')}\n`;
  const signature = crypto.createHmac('sha1', signKey).update(stringToSign).digest('hex');
  return `q-sign-algorithm=sha1&q-ak=${secretId}&q-sign-time=${time}&q-key-time=${time}&q-header-list=host&q-url-param-list=&q-signature=${signature}`;
};

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const request = (port, method, pathname, { body, headers = {}, timeout = 30000 } = {}) => new Promise((resolve) => {
  const t0 = process.hrtime.bigint();
  const req = http.request({ host: '127.0.0.1', port, method, path: pathname, agent, headers, timeout }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks), headers: res.headers, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    res.on('error', (e) => resolve({ status: 0, error: e.code || e.message }));
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => resolve({ status: 0, error: e.code || e.message }));
  req.end(body);
});

const freePort = () => new Promise((resolve) => {
  const s = require('net').createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});

const cleanup = () => {
  for (const c of children) {
    try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (const s of servers) s.close();
  agent.destroy();
  fs.rmSync(work, { recursive: true, force: true });
};
process.on('SIGINT', () => { cleanup(); process.exit(130); });
process.on('SIGTERM', () => { cleanup(); process.exit(143); });

/** Objects in the default bucket's store: its object files. */
const objectCount = () => {
  const root = path.join(work, 'data', 'buckets', bucket, 'objects');
  if (!fs.existsSync(root)) return 0;
  return fs.readdirSync(root).reduce((n, shard) => n + fs.readdirSync(path.join(root, shard)).length, 0);
};

const gatewayStats = (pid) => {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
  const fds = fs.readdirSync(`/proc/${pid}/fd`);
  let sockets = 0;
  for (const fd of fds) {
    try { if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) sockets++; } catch { /* closed meanwhile */ }
  }
  return { rss, fds: fds.length, sockets };
};

(async () => {
  const stable = await listen(serve);
  const flapping = await listen((req, res) => (flappingNow() ? (res.writeHead(503), res.end('down')) : serve(req, res)));
  const stableHost = `127.0.0.1:${stable.address().port}`;
  const flappingHost = `127.0.0.1:${flapping.address().port}`;
  const [data, control] = [await freePort(), await freePort()];

  let dll = args.dll;
  if (!dll) {
    log('building the gateway (Release)');
    execFileSync('dotnet', ['build', path.join(repo, 'src/OriginGateway'), '-c', 'Release', '-v', 'q', '-nologo'], { stdio: 'ignore' });
    dll = path.join(repo, 'src/OriginGateway/bin/Release/net10.0/OriginGateway.dll');
  }
  const rule = (priority, type, prefix, host, extra = '') => `<OriginRule><RulePriority>${priority}</RulePriority><OriginType>${type}</OriginType>`
    + `<OriginCondition><HTTPStatusCode>404</HTTPStatusCode><Prefix>${prefix}</Prefix></OriginCondition>`
    + `<OriginParameter><Protocol>HTTP</Protocol>${extra}</OriginParameter><OriginInfo><HostInfo><HostName>${host}</HostName></HostInfo></OriginInfo></OriginRule>`;
  fs.writeFileSync(path.join(work, 'rules.xml'), `<OriginConfiguration>${rule(1, 'Mirror', 'm/', stableHost)}${rule(2, 'Proxy', 'p/', stableHost, '<CopyOriginData>false</CopyOriginData>')}${rule(3, 'Mirror', 'f/', flappingHost)}</OriginConfiguration>`);
  const gateway = spawn('dotnet', [dll, `--Endpoints:Data=http://127.0.0.1:${data}`, `--Endpoints:Control=http://127.0.0.1:${control}`,
    `--DataDirectory=${path.join(work, 'data')}`, `--Buckets:0:OriginFile=${path.join(work, 'rules.xml')}`, '--Logging:LogLevel:Default=Warning'],
  { env: { ...process.env, DOTNET_ENVIRONMENT: 'Development', ASPNETCORE_ENVIRONMENT: 'Development' }, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(gateway);
  for (let i = 0; i < 120; i++) {
    if ((await request(control, 'GET', '/readyz')).status === 200) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  log(`gateway pid ${gateway.pid} on ${data}/${control}; stable origin ${stableHost}, flapping origin ${flappingHost}; ${minutes} min at ${rate} req/s`);

  // Warm set for hits.
  const hitKeys = Array.from({ length: 200 }, (_, i) => `m/warm/${i}.bin`);
  for (const k of hitKeys) await request(data, 'GET', `/${k}`);

  const counts = {};
  const count = (kind, outcome) => { counts[kind] ??= {}; counts[kind][outcome] = (counts[kind][outcome] || 0) + 1; };
  const stored = new Set(hitKeys);
  const busy = new Set();
  // Each kind cycles over its own `keys` names.
  const cursors = {};
  const next = (kind) => { cursors[kind] = ((cursors[kind] ?? -1) + 1) % keys; return cursors[kind]; };
  const tasks = [];
  const samples = [];
  const latencies = {};
  let n = 0;

  const one = async (i) => {
    const pick = i % 20;
    if (pick < 11) { // hits
      const k = hitKeys[i % hitKeys.length];
      const r = await request(data, 'GET', `/${k}`);
      count('hit', r.status === 200 && r.body.equals(bodyOf(`/${k}`)) ? 'ok' : `bad ${r.status} ${r.error || ''}`);
      (latencies.hit ??= []).push(r.ms);
    } else if (pick < 15) { // Mirror misses on the stable origin, deleted once verified (the next one is a miss again)
      const k = `m/cold/${next('mirror')}.bin`;
      if (busy.has(k)) return;
      busy.add(k);
      const r = await request(data, 'GET', `/${k}`);
      const ok = r.status === 200 && r.body.equals(bodyOf(`/${k}`));
      count('mirror', ok ? r.headers['x-origin-action'] : `bad ${r.status} ${r.error || ''}`);
      if (ok) {
        const d = await request(data, 'DELETE', `/${k}`, { headers: { Authorization: sign('DELETE', `/${k}`, `127.0.0.1:${data}`) } });
        count('delete', d.status === 204 ? 'ok' : `bad ${d.status} ${d.error || ''}`);
      }
      busy.delete(k);
    } else if (pick < 18) { // Proxy
      const k = `p/${i % 500}.bin`;
      const r = await request(data, 'GET', `/${k}`);
      count('proxy', r.status === 200 && r.body.equals(bodyOf(`/${k}`)) ? 'ok' : `bad ${r.status} ${r.error || ''}`);
    } else if (pick < 19) { // Mirror on the flapping origin: 200 while it is up, 424 while it is down
      const k = `f/${next('flapping')}.bin`;
      const r = await request(data, 'GET', `/${k}`);
      const ok = r.status === 200 && r.body.equals(bodyOf(`/${k}`));
      count('flapping', ok ? 'ok' : r.status === 424 || r.status === 502 ? `origin down (${r.status})` : `bad ${r.status} ${r.error || ''}`);
      if (ok) stored.add(k);
    } else { // a fetch task
      const t = next('task');
      const k = `task/${t}.bin`;
      const p = `/${bucket}/`;
      const r = await request(control, 'POST', p, {
        body: JSON.stringify({ Url: `http://${stableHost}/t/${t}.bin`, Key: k }),
        headers: { 'Content-Type': 'application/json', Authorization: sign('POST', p, `127.0.0.1:${control}`) },
      });
      const id = r.status === 200 ? JSON.parse(r.body).data?.taskid : null;
      count('task submit', id ? 'ok' : `bad ${r.status} ${r.error || ''}`);
      if (id) tasks.push({ id, key: k });
    }
  };

  const loadStart = Date.now();
  const end = loadStart + minutes * 60000;
  let nextSample = Date.now();
  const inflight = new Set();
  while (Date.now() < end) {
    if (Date.now() >= nextSample) {
      const s = gatewayStats(gateway.pid);
      samples.push({ t: Math.round((Date.now() - started) / 1000), ...s, flapping: flappingNow() ? 'down' : 'up', inflight: inflight.size, stored: objectCount() });
      log(`t=${samples.at(-1).t}s rss ${s.rss.toFixed(0)} MiB fds ${s.fds} sockets ${s.sockets} in flight ${inflight.size} objects ${samples.at(-1).stored}`);
      nextSample += 10000;
    }
    const p = one(n++).finally(() => inflight.delete(p));
    inflight.add(p);
    // The n-th request leaves at loadStart + n/rate: a steady rate whatever each step costs.
    const wait = loadStart + (n * 1000) / rate - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const loadSeconds = (Date.now() - loadStart) / 1000;
  await Promise.all(inflight);
  log('load done; waiting for tasks, then verifying every stored object');

  // Tasks: every one must succeed.
  for (const t of tasks) {
    for (let a = 0; a < 600; a++) {
      const p = `/${bucket}/${t.id}`;
      const r = await request(control, 'GET', p, { headers: { Authorization: sign('GET', p, `127.0.0.1:${control}`) } });
      const state = r.status === 200 ? JSON.parse(r.body).data?.status : `http ${r.status}`;
      if (state === 'TASK_SUCCESS' || state === 'TASK_FAILED') { count('task result', state); if (state === 'TASK_SUCCESS') stored.add(t.key); break; }
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  // Every stored object, byte for byte; tasks stored /t/<i>.bin under task/<i>.bin.
  let verified = 0;
  const mismatched = [];
  for (const k of stored) {
    const r = await request(data, 'GET', `/${k}`);
    const origin = k.startsWith('task/') ? `/t/${k.slice(5)}` : `/${k}`;
    if (r.status === 200 && r.headers['x-origin-action'] === 'hit' && r.body.equals(bodyOf(origin))) verified++;
    else mismatched.push(`${k}: ${r.status} ${r.headers?.['x-origin-action']}`);
  }
  // Let idle connections close, then the last sample.
  agent.destroy();
  await new Promise((r) => setTimeout(r, 6000));
  const final = gatewayStats(gateway.pid);
  samples.push({ t: Math.round((Date.now() - started) / 1000), ...final, flapping: '-', inflight: 0, stored: objectCount() });
  const errors = Object.entries(counts).flatMap(([kind, outcomes]) => Object.entries(outcomes).filter(([o]) => o.startsWith('bad')).map(([o, c]) => `${kind}: ${o} ×${c}`));
  const pct = (a, q) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor((s.length - 1) * q)]; };
  const steady = samples.slice(Math.floor(samples.length / 4), -1);
  const [first, last] = [steady[0], steady.at(-1)];
  const slope = ((last.rss - first.rss) / Math.max(1, last.t - first.t)) * 60;
  const report = [
    `# Soak, ${new Date(started).toISOString().slice(0, 16)}Z — ${minutes} min at ${rate} req/s (\`node bench/soak.js --minutes ${minutes} --rate ${rate}\`)`,
    '',
    `${n} requests in ${loadSeconds.toFixed(0)} s: ${(n / loadSeconds).toFixed(1)} req/s achieved.`,
    '',
    `Machine: ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.release()}. Gateway: Release build, Development settings, filesystem store, SQLite.`,
    `Mix per 20 requests: 11 hits (200 warm keys), 4 Mirror misses on the stable origin (each deleted once verified, so the next is a miss again), 3 Proxy (stable origin), 1 Mirror miss on the flapping origin (30 s up, 30 s 503), 1 fetch task. Stored keys cycle over ${keys} names per kind, so the bucket stays bounded.`,
    '',
    '## Answers',
    '',
    '| kind | outcome | count |', '|---|---|---|',
    ...Object.entries(counts).flatMap(([kind, outcomes]) => Object.entries(outcomes).map(([o, c]) => `| ${kind} | ${o} | ${c} |`)),
    '',
    `Errors beyond the flapping origin's: **${errors.length === 0 ? 'none' : errors.join('; ')}**. Hit latency p50 ${pct(latencies.hit, 0.5).toFixed(1)} ms, p99 ${pct(latencies.hit, 0.99).toFixed(1)} ms.`,
    '',
    `Every stored object re-read at the end: **${verified} of ${stored.size} whole** (served as hits, bytes equal to the origin's)${mismatched.length ? `; not: ${mismatched.slice(0, 20).join(', ')}` : ''}.`,
    '',
    '## Gateway process over time',
    '',
    `RSS over the last three quarters of the load: ${Math.min(...steady.map((s) => s.rss)).toFixed(0)}–${Math.max(...steady.map((s) => s.rss)).toFixed(0)} MiB (${slope >= 0 ? '+' : ''}${slope.toFixed(2)} MiB/min from t=${first.t} s to t=${last.t} s) with ${first.stored}–${last.stored} objects in the bucket; open descriptors ${Math.min(...steady.map((s) => s.fds))}–${Math.max(...steady.map((s) => s.fds))}, sockets ${Math.min(...steady.map((s) => s.sockets))}–${Math.max(...steady.map((s) => s.sockets))}. After the load, idle connections closed: ${final.fds} descriptors, ${final.sockets} sockets, RSS ${final.rss.toFixed(0)} MiB.`,
    '',
    '| t (s) | RSS (MiB) | objects stored | open fds | sockets | requests in flight | flapping origin |', '|---|---|---|---|---|---|---|',
    ...samples.map((s) => `| ${s.t} | ${s.rss.toFixed(0)} | ${s.stored} | ${s.fds} | ${s.sockets} | ${s.inflight} | ${s.flapping} |`),
    '',
  ].join('\n');
  fs.writeFileSync(out, report);
  log(`report: ${out}`);
  console.log(report);
  cleanup();
  process.exit(errors.length === 0 && mismatched.length === 0 ? 0 : 1);
})().catch((e) => { console.error(e); cleanup(); process.exit(2); });
