// Starts an S3-compatible server (@20minutes/s3rver) on 127.0.0.1 for the functional tests.
// usage: node s3rver.js <directory> <bucket>...   prints "port <n>" once listening (a free port, or
// S3RVER_PORT when set); stops when stdin closes or the process is killed (the tests kill it by process id).
const S3rver = require("@20minutes/s3rver");

const [directory, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  port: Number(process.env.S3RVER_PORT || 0),
  address: "127.0.0.1",
  silent: true,
  directory,
  configureBuckets: buckets.map((name) => ({ name })),
});
server
  .run()
  .then(({ port }) => console.log(`port ${port}`))
  .catch((e) => {
    console.error(e);
    process.exit(1);
  });
process.stdin.on("end", () => server.close().then(() => process.exit(0)));
process.stdin.resume();
