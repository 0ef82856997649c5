// Drives Tencent's official tencentcloud-sdk-nodejs-vod, unchanged, against a gateway's control
// endpoint over http: PullUpload, DescribeTaskDetail until FINISH, and the error codes the SDK
// reads from its exceptions. Prints one JSON object.
// usage: node vod-sdk-check.js <control port> <secretId> <secretKey> <media url> <session id>
const tencentcloud = require("tencentcloud-sdk-nodejs-vod");
const VodClient = tencentcloud.vod.v20180717.Client;

const [port, secretId, secretKey, mediaUrl, sessionId] = process.argv.slice(2);

function client(id, key) {
  return new VodClient({
    credential: { secretId: id, secretKey: key },
    region: "",
    profile: { httpProfile: { endpoint: `127.0.0.1:${port}`, protocol: "http://", reqTimeout: 30 } },
  });
}

async function code(promise) {
  try {
    await promise;
    return "no error";
  } catch (e) {
    return e.code || `no code: ${e.message}`;
  }
}

(async () => {
  const vod = client(secretId, secretKey);
  const out = {};
  const pulled = await vod.PullUpload({
    MediaUrl: mediaUrl,
    MediaName: "sdk-video",
    SessionContext: "context from the sdk",
    SourceContext: "source",
    SessionId: sessionId,
    TasksPriority: 3,
    ClassId: 7,
  });
  out.taskId = pulled.TaskId;
  out.requestId = pulled.RequestId;
  const deadline = Date.now() + 30000;
  let detail;
  do {
    detail = await vod.DescribeTaskDetail({ TaskId: pulled.TaskId });
    if (detail.Status === "FINISH") break;
    await new Promise((r) => setTimeout(r, 100));
  } while (Date.now() < deadline);
  out.detail = detail;
  out.repeatedSession = await code(vod.PullUpload({ MediaUrl: mediaUrl, SessionId: sessionId }));
  out.sessionIdTooLong = await code(vod.PullUpload({ MediaUrl: mediaUrl, SessionId: "s".repeat(51) }));
  out.storagePath = await code(vod.PullUpload({ MediaUrl: mediaUrl, MediaStoragePath: "no-slash.mp4" }));
  out.dash = await code(vod.PullUpload({ MediaUrl: "http://example.com/stream.mpd" }));
  out.badMediaUrl = await code(vod.PullUpload({ MediaUrl: "ftp://example.com/a.mp4" }));
  out.missingMediaUrl = await code(vod.PullUpload({}));
  out.unknownTask = await code(vod.DescribeTaskDetail({ TaskId: "nope" }));
  out.wrongKey = await code(client(secretId, secretKey + "x").PullUpload({ MediaUrl: mediaUrl }));
  out.unknownId = await code(client("AKIDUNKNOWN", secretKey).PullUpload({ MediaUrl: mediaUrl }));
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e);
  process.exit(1);
});
