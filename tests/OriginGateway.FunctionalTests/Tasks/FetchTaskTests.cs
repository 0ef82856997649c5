using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using OriginGateway.Callbacks;
using OriginGateway.FunctionalTests.Infrastructure;
using WireMock.ResponseBuilders;

namespace OriginGateway.FunctionalTests.Tasks;

/// <summary>COS fetch tasks end to end against a real gateway process and a WireMock.Net origin (<c>02-tasks.md</c> §2.2–2.3).</summary>
public sealed class FetchTaskTests(TaskFixture fixture) : IClassFixture<TaskFixture>
{
    private GatewayProcess Gateway => fixture.Gateway;

    private FetchTaskClient Tasks => fixture.Tasks;

    private static string Unique(string name = "obj.bin") => $"/t/{Guid.NewGuid():N}/{name}";

    private async Task<HttpResponseMessage> GetObjectAsync(string key) => await Gateway.Client.GetAsync(new Uri(Gateway.DataUrl, key));

    [Fact]
    public async Task Submit_SchemeLessUrl_StoresTheOriginsBytes_AndReportsProgress()
    {
        var path = Unique();
        var body = RandomNumberGenerator.GetBytes(300_000);
        fixture.Origin.Serve(path, body, "video/mp4", ("x-amz-meta-source", "seed"));
        var key = "fetched" + path;

        var submitted = await Tasks.SubmitAsync(new { Url = fixture.OriginUrl(path), Key = key });

        Assert.Equal(HttpStatusCode.OK, submitted.Status);
        Assert.Equal("0", submitted.Code);
        Assert.Equal("SUCCESS", submitted.Json.GetProperty("message").GetString());
        Assert.Equal(submitted.RequestIdHeader, submitted.Json.GetProperty("request_id").GetString());
        Assert.Matches("^[A-Za-z0-9_-]{22}$", submitted.TaskId);

        var done = await Tasks.WaitAsync(submitted.TaskId);
        Assert.Equal("TASK_SUCCESS", done.State);
        Assert.Equal(100, done.Data.GetProperty("percent").GetInt32());
        Assert.Equal(key, done.Data.GetProperty("Key").GetString());
        Assert.Equal(fixture.OriginUrl(path), done.Data.GetProperty("Url").GetString());
        Assert.Equal(body.Length, done.Data.GetProperty("size").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(body)), done.Data.GetProperty("etag").GetString());
        Assert.Equal(1, done.Data.GetProperty("attempts").GetInt32());
        Assert.False(done.Data.TryGetProperty("code", out _));

        var stored = await GetObjectAsync(key);
        Assert.Equal(HttpStatusCode.OK, stored.StatusCode);
        Assert.Equal(body, await stored.Content.ReadAsByteArrayAsync());
        Assert.Equal("video/mp4", stored.Content.Headers.ContentType!.ToString());
        Assert.Equal("seed", stored.Headers.GetValues("x-cos-meta-source").Single());
        Assert.Equal(1, fixture.Origin.Count(path));
    }

    /// <summary>
    /// The official COS Node.js SDK has no method for fetch tasks; its users sign them with its generic <c>request</c>. A
    /// task with the right MD5 is stored and read back through the SDK; one with a wrong MD5 fails <c>MD5Mismatch</c>;
    /// bad input, a finished task's cancel and an unknown id are refused with their statuses and a request id.
    /// </summary>
    [Fact]
    public async Task OfficialNodeSdk_SignsFetchTasksWithItsRequestMethod_SubmitsPollsAndReadsTheObject()
    {
        NodeScript.RequirePackage("cos-nodejs-sdk-v5");
        var path = Unique();
        var body = RandomNumberGenerator.GetBytes(200_000);
        fixture.Origin.Serve(path, body, "application/octet-stream");
        var key = "fetched-by-sdk" + path;

        var (exit, stdout, stderr) = await NodeScript.RunAsync("cos-fetch-task-check.js", Gateway.ControlUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            Gateway.DataPort.ToString(System.Globalization.CultureInfo.InvariantCulture), GatewayProcess.DevSecretId, GatewayProcess.DevSecretKey, GatewayProcess.DefaultBucket,
            $"http://{fixture.OriginUrl(path)}", key, Convert.ToHexStringLower(MD5.HashData(body)));

        Assert.True(exit == 0, stderr + stdout);
        using var seen = JsonDocument.Parse(stdout);
        var root = seen.RootElement;
        Assert.Equal(0, root.GetProperty("submitted").GetProperty("code").GetInt32());
        var done = root.GetProperty("done").GetProperty("data");
        Assert.Equal("TASK_SUCCESS", done.GetProperty("status").GetString());
        Assert.Equal(body.Length, done.GetProperty("size").GetInt64());
        Assert.Equal(body.Length, root.GetProperty("storedLength").GetInt32());
        var mismatch = root.GetProperty("mismatch").GetProperty("data");
        Assert.Equal(("TASK_FAILED", "MD5Mismatch"), (mismatch.GetProperty("status").GetString(), mismatch.GetProperty("code").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await GetObjectAsync(key + ".mismatch")).StatusCode);
        foreach (var (refused, status) in new[] { ("cancelFinished", 400), ("withoutKey", 400), ("unknownTask", 404) })
        {
            var answer = root.GetProperty(refused);
            Assert.Equal(status, answer.GetProperty("statusCode").GetInt32());
            Assert.False(string.IsNullOrEmpty(answer.GetProperty("requestId").GetString()), refused);
        }
    }

    public static TheoryData<string, string> BadBodies => new()
    {
        { "not json", "not valid JSON" },
        { "[1]", "JSON object" },
        { """{"Key":"a"}""", "Url is required" },
        { """{"Url":"http://example.com/a"}""", "Key is required" },
        { """{"Url":"ftp://example.com/a","Key":"a"}""", "http or https" },
        { """{"Url":"http://example.com/a","Key":"a","MD5":"xyz"}""", "MD5" },
        { """{"Url":"http://example.com/a","Key":"a","OnKeyExist":"sometimes"}""", "OnKeyExist" },
        { """{"Url":"http://example.com/a","Key":"a","IgnoreSameKey":true,"OnKeyExist":"override"}""", "contradicts" },
        { """{"Url":"http://example.com/a","Key":"a","IgnoreSameKey":"perhaps"}""", "IgnoreSameKey" },
        { """{"Url":"http://example.com/a","Key":"a\u0000b"}""", "Key" },
        { """{"Url":"http://example.com/a","Key":"a","SuccessCallbackUrl":"not a url"}""", "SuccessCallbackUrl" },
        { """{"Url":"http://u:p@example.com/a","Key":"a"}""", "user information" },
        { """{"Url":42,"Key":"a"}""", "Url must be a string" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task BadInput_Is400InvalidArgument_InTheApisJson(string body, string mentions)
    {
        var answer = await Tasks.SubmitRawAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("InvalidArgument", answer.Code);
        Assert.Contains(mentions, answer.Json.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(answer.RequestIdHeader, answer.Json.GetProperty("request_id").GetString());
    }

    [Fact]
    public async Task KeyTooLong_IsRefused()
    {
        var answer = await Tasks.SubmitAsync(new { Url = "http://example.com/a", Key = new string('k', 851) });
        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Contains("850", answer.Json.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthenticationAndBucketErrors_AreJsonToo()
    {
        var unsigned = await Tasks.SubmitAsync(new { Url = "http://example.com/a", Key = "a" }, sign: false);
        Assert.Equal(HttpStatusCode.Forbidden, unsigned.Status);
        Assert.Equal("AccessDenied", unsigned.Code);

        var wrongKey = new HttpRequestMessage(HttpMethod.Post, Tasks.Url()) { Content = new StringContent("{}") }.Sign(secretKey: "wrong");
        var badSignature = await Tasks.SendAsync(wrongKey);
        Assert.Equal(HttpStatusCode.Forbidden, badSignature.Status);
        Assert.Equal("SignatureDoesNotMatch", badSignature.Code);

        var noBucket = await new FetchTaskClient(Gateway, "missing-1250000000").SubmitAsync(new { Url = "http://example.com/a", Key = "a" });
        Assert.Equal(HttpStatusCode.NotFound, noBucket.Status);
        Assert.Equal("NoSuchBucket", noBucket.Code);

        var limited = new HttpRequestMessage(HttpMethod.Post, Tasks.Url()) { Content = new StringContent("{}") }
            .Sign(TaskFixture.LimitedSecretId, TaskFixture.LimitedSecretKey);
        var otherBucket = await Tasks.SendAsync(limited);
        Assert.Equal(HttpStatusCode.Forbidden, otherBucket.Status);
        Assert.Equal("AccessDenied", otherBucket.Code);

        var unknownTask = await Tasks.GetAsync("AAAAAAAAAAAAAAAAAAAAAA");
        Assert.Equal(HttpStatusCode.NotFound, unknownTask.Status);
        Assert.Equal("NoSuchTask", unknownTask.Code);
    }

    [Fact]
    public async Task Md5Mismatch_FailsWithMD5Mismatch_AndStoresNothing()
    {
        var path = Unique();
        fixture.Origin.Serve(path, Encoding.UTF8.GetBytes("the origin's content"));
        var key = "md5" + path;

        var submitted = await Tasks.SubmitAsync(new { Url = fixture.OriginUrl(path), Key = key, MD5 = Convert.ToHexStringLower(MD5.HashData("other"u8)) });
        var done = await Tasks.WaitAsync(submitted.TaskId);

        Assert.Equal("TASK_FAILED", done.State);
        Assert.Equal("MD5Mismatch", done.Data.GetProperty("code").GetString());
        Assert.Equal(1, done.Data.GetProperty("attempts").GetInt32());
        Assert.Equal(HttpStatusCode.NotFound, (await GetObjectAsync(key)).StatusCode);
    }

    [Fact]
    public async Task Md5Match_Stores()
    {
        var path = Unique();
        var body = Encoding.UTF8.GetBytes("verified content");
        fixture.Origin.Serve(path, body);
        var key = "md5ok" + path;

        var submitted = await Tasks.SubmitAsync(new { Url = "http://" + fixture.OriginUrl(path), Key = key, MD5 = Convert.ToHexString(MD5.HashData(body)) });

        Assert.Equal("TASK_SUCCESS", (await Tasks.WaitAsync(submitted.TaskId)).State);
        Assert.Equal(body, await (await GetObjectAsync(key)).Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("""{"OnKeyExist":"ignore"}""")]
    [InlineData("""{"IgnoreSameKey":true}""")]
    public async Task ExistingKey_IsSkippedWhenAsked_WithoutFetching(string option)
    {
        var path = Unique();
        fixture.Origin.Serve(path, "new"u8.ToArray());
        var key = "exists" + path;
        var put = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(Gateway.DataUrl, key)) { Content = new StringContent("old") }.Sign());
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);

        var body = JsonSerializer.Deserialize<Dictionary<string, object>>(option)!;
        body["Url"] = fixture.OriginUrl(path);
        body["Key"] = key;
        var done = await Tasks.WaitAsync((await Tasks.SubmitAsync(body)).TaskId);

        Assert.Equal("TASK_SUCCESS", done.State);
        Assert.Contains("skipped", done.Data.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, fixture.Origin.Count(path));
        Assert.Equal("old", await (await GetObjectAsync(key)).Content.ReadAsStringAsync());
    }

    /// <summary>
    /// A task told to leave existing keys alone found the key empty when it started; a client's PUT lands while the
    /// origin's body is still arriving. The client's object is kept (the task commits only into a key that is still
    /// empty), the task succeeds saying so, and the origin was asked once.
    /// </summary>
    [Theory]
    [InlineData("""{"OnKeyExist":"ignore"}""")]
    [InlineData("""{"IgnoreSameKey":true}""")]
    public async Task AClientsPutWhileTheTaskFetches_IsKept_WhenTheTaskLeavesExistingKeys(string option)
    {
        var path = Unique();
        var origin = RandomNumberGenerator.GetBytes(200_000);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        fixture.Slow.On(path, context => SlowOrigin.SendInTwoAsync(context, origin, started, release.Task));
        var key = "raced" + path;
        var body = JsonSerializer.Deserialize<Dictionary<string, object>>(option)!;
        body["Url"] = fixture.Slow.Host + path;
        body["Key"] = key;

        var submitted = await Tasks.SubmitAsync(body);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var mine = RandomNumberGenerator.GetBytes(1000);
        using (var put = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(Gateway.DataUrl, key)) { Content = new ByteArrayContent(mine) }.Sign()))
        {
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }
        release.SetResult();

        var done = await Tasks.WaitAsync(submitted.TaskId);
        Assert.Equal("TASK_SUCCESS", done.State);
        Assert.Contains("kept", done.Data.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.Equal(mine, await (await GetObjectAsync(key)).Content.ReadAsByteArrayAsync());
        Assert.Equal(1, fixture.Slow.Count(path));
    }

    [Fact]
    public async Task ExistingKey_IsReplacedByDefault()
    {
        var path = Unique();
        fixture.Origin.Serve(path, "new"u8.ToArray());
        var key = "replace" + path;
        await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, new Uri(Gateway.DataUrl, key)) { Content = new StringContent("old") }.Sign());

        var done = await Tasks.WaitAsync((await Tasks.SubmitAsync(new { Url = fixture.OriginUrl(path), Key = key, OnKeyExist = "override" })).TaskId);

        Assert.Equal("TASK_SUCCESS", done.State);
        Assert.Equal("new", await (await GetObjectAsync(key)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task TransientFailures_AreRetried_ThenSucceed()
    {
        var path = Unique();
        var body = RandomNumberGenerator.GetBytes(10_000);
        fixture.Origin.InTurn(path,
            Response.Create().WithStatusCode(503),
            Response.Create().WithStatusCode(503),
            Response.Create().WithStatusCode(200).WithBody(body));
        var key = "retry" + path;

        var done = await Tasks.WaitAsync((await Tasks.SubmitAsync(new { Url = fixture.OriginUrl(path), Key = key })).TaskId);

        Assert.Equal("TASK_SUCCESS", done.State);
        Assert.Equal(3, done.Data.GetProperty("attempts").GetInt32());
        Assert.Equal(3, fixture.Origin.Count(path));
        Assert.Equal(body, await (await GetObjectAsync(key)).Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task PermanentFailure_IsNotRetried()
    {
        var path = Unique();
        fixture.Origin.Status(path, 403, "forbidden");

        var done = await Tasks.WaitAsync((await Tasks.SubmitAsync(new { Url = fixture.OriginUrl(path), Key = "perm" + path })).TaskId);

        Assert.Equal("TASK_FAILED", done.State);
        Assert.Equal("OriginError", done.Data.GetProperty("code").GetString());
        Assert.Contains("403", done.Data.GetProperty("msg").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, done.Data.GetProperty("attempts").GetInt32());
        Assert.Equal(1, fixture.Origin.Count(path));
    }

    [Fact]
    public async Task Cancel_StopsARunningFill_CommitsNothing_AndSendsNoCallback()
    {
        var path = Unique();
        fixture.Slow.ServeSlowly(path, RandomNumberGenerator.GetBytes(200_000), 4_000, TimeSpan.FromMilliseconds(100), TimeSpan.Zero);
        var callbackPath = Unique("cb");
        fixture.Origin.Status(callbackPath, 200);
        var key = "cancel" + path;

        var submitted = await Tasks.SubmitAsync(new { Url = fixture.Slow.Host + path, Key = key, FailureCallbackUrl = $"http://{fixture.Origin.Host}{callbackPath}", SuccessCallbackUrl = $"http://{fixture.Origin.Host}{callbackPath}" });
        await Tasks.WaitAsync(submitted.TaskId, a => a.State == "TASK_DOING" && a.Data.GetProperty("percent").GetInt32() > 0);
        var cancel = await Tasks.CancelAsync(submitted.TaskId);

        Assert.Equal(HttpStatusCode.OK, cancel.Status);
        Assert.Equal("0", cancel.Code);
        Assert.Equal("TASK_CANCELLED", (await Tasks.GetAsync(submitted.TaskId)).State);
        var again = await Tasks.CancelAsync(submitted.TaskId);
        Assert.Equal(HttpStatusCode.BadRequest, again.Status);
        Assert.Equal("InvalidArgument", again.Code);

        await Task.Delay(1500);
        Assert.Equal(HttpStatusCode.NotFound, (await GetObjectAsync(key)).StatusCode);
        Assert.Empty(TestPaths.StagingFiles(Gateway.DataDirectory, GatewayProcess.DefaultBucket));
        Assert.Equal(0, fixture.Origin.Count(callbackPath));
    }

    [Fact]
    public async Task Callback_IsRetriedUntilTheReceiverAccepts_Signed_AndVisibleInTheStatus()
    {
        var path = Unique();
        var body = RandomNumberGenerator.GetBytes(5_000);
        fixture.Origin.Serve(path, body);
        var callbackPath = Unique("cb");
        fixture.Origin.InTurn(callbackPath, Response.Create().WithStatusCode(500), Response.Create().WithStatusCode(500), Response.Create().WithStatusCode(204));
        var key = "callback" + path;

        var submitted = await Tasks.SubmitAsync(new { Url = fixture.OriginUrl(path), Key = key, SuccessCallbackUrl = $"http://{fixture.Origin.Host}{callbackPath}" });
        var done = await Tasks.WaitAsync(submitted.TaskId, a => a.State == "TASK_SUCCESS"
            && a.Data.TryGetProperty("callback", out var c) && c.GetProperty("state").GetString() == "delivered");

        var received = fixture.Origin.Hits(callbackPath).Select(h => (Signature: h.Headers[CallbackSignature.HeaderName], h.Body)).ToList();
        Assert.Equal(3, received.Count);
        Assert.Equal(3, done.Data.GetProperty("callback").GetProperty("attempts").GetInt32());
        var (signature, sent) = received.Last();
        Assert.True(CallbackSignature.Verify(TaskFixture.DevCallbackSecret, signature, sent, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)), signature);
        Assert.False(CallbackSignature.Verify("another-secret", signature, sent, DateTimeOffset.UtcNow, TimeSpan.FromMinutes(5)));
        using var json = JsonDocument.Parse(sent);
        var root = json.RootElement;
        Assert.Equal("fetch.succeeded", root.GetProperty("event").GetString());
        Assert.Equal(submitted.TaskId, root.GetProperty("taskid").GetString());
        Assert.Equal(GatewayProcess.DefaultBucket, root.GetProperty("bucket").GetString());
        Assert.Equal(key, root.GetProperty("key").GetString());
        Assert.Equal("TASK_SUCCESS", root.GetProperty("status").GetString());
        Assert.Equal(body.Length, root.GetProperty("size").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(MD5.HashData(body)), root.GetProperty("md5").GetString());
        Assert.True(DateTimeOffset.TryParse(root.GetProperty("finished_at").GetString(), out _));
        Assert.Equal(1, root.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task FailureCallback_CarriesTheCode()
    {
        var path = Unique();
        var callbackPath = Unique("cb");
        fixture.Origin.Status(callbackPath, 204);
        var submitted = await Tasks.SubmitAsync(new { Url = fixture.OriginUrl(path), Key = "fail" + path, FailureCallbackUrl = $"http://{fixture.Origin.Host}{callbackPath}" });
        var sent = (await fixture.Origin.WaitForHitsAsync(callbackPath))[0].Body;

        using var json = JsonDocument.Parse(sent);
        Assert.Equal("fetch.failed", json.RootElement.GetProperty("event").GetString());
        Assert.Equal("NotFound", json.RootElement.GetProperty("code").GetString());
        Assert.Equal("TASK_FAILED", (await Tasks.GetAsync(submitted.TaskId)).State);
    }

    [Fact]
    public async Task DeniedAddress_FailsWithEgressDenied_WithoutRetry()
    {
        var path = Unique();
        var done = await Tasks.WaitAsync((await Tasks.SubmitAsync(new { Url = $"http://127.0.0.2:{fixture.Origin.Port}{path}", Key = "egress" + path })).TaskId);

        Assert.Equal("TASK_FAILED", done.State);
        Assert.Equal("EgressDenied", done.Data.GetProperty("code").GetString());
        Assert.Equal(1, done.Data.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task RedirectToADeniedAddress_FailsWithEgressDenied()
    {
        var path = Unique();
        fixture.Origin.Redirect(path, $"http://[::1]:{fixture.Origin.Port}{path}x");

        var done = await Tasks.WaitAsync((await Tasks.SubmitAsync(new { Url = fixture.OriginUrl(path), Key = "egress-hop" + path })).TaskId);

        Assert.Equal("EgressDenied", done.Data.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Policy_DenyingTheService_RefusesSubmit_UntilItIsDeleted()
    {
        var policyUrl = new Uri(Gateway.DataUrl, "?policy");
        var deny = $$"""
            {"version":"2.0","Statement":[
              {"Principal":{"service":"cos.qcloud.com"},"Effect":"Allow","Action":["name/cos:PutObject"],"Resource":["qcs::cos:*:uid/1250000000:{{GatewayProcess.DefaultBucket}}/*"]},
              {"Principal":{"service":"cos.qcloud.com"},"Effect":"Deny","Action":["name/cos:*"],"Resource":["qcs::cos:*:uid/1250000000:{{GatewayProcess.DefaultBucket}}/denied/*"]}]}
            """;
        var put = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, policyUrl) { Content = new StringContent(deny) }.Sign());
        Assert.Equal(HttpStatusCode.NoContent, put.StatusCode);
        try
        {
            var get = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, policyUrl).Sign());
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            Assert.Equal(deny, await get.Content.ReadAsStringAsync());

            var refused = await Tasks.SubmitAsync(new { Url = "http://example.com/a", Key = "denied/a" });
            Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
            Assert.Equal("AccessDenied", refused.Code);

            var path = Unique();
            fixture.Origin.Serve(path, "ok"u8.ToArray());
            var allowed = await Tasks.SubmitAsync(new { Url = fixture.OriginUrl(path), Key = "allowed" + path });
            Assert.Equal("TASK_SUCCESS", (await Tasks.WaitAsync(allowed.TaskId)).State);
        }
        finally
        {
            var delete = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, policyUrl).Sign());
            Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        }
        var gone = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, policyUrl).Sign());
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        Assert.Contains("<Code>NoSuchBucketPolicy</Code>", await gone.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var afterwards = Unique();
        fixture.Origin.Serve(afterwards, "ok"u8.ToArray());
        var accepted = await Tasks.SubmitAsync(new { Url = fixture.OriginUrl(afterwards), Key = "denied" + afterwards });
        Assert.Equal(HttpStatusCode.OK, accepted.Status);
        Assert.Equal("TASK_SUCCESS", (await Tasks.WaitAsync(accepted.TaskId)).State);
    }

    [Fact]
    public async Task Policy_MalformedOrUnsigned_IsRefused()
    {
        var policyUrl = new Uri(Gateway.DataUrl, "?policy");
        var malformed = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, policyUrl) { Content = new StringContent("""{"Statement":[]}""") }.Sign());
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("<Code>MalformedPolicy</Code>", await malformed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        var unsigned = await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Put, policyUrl) { Content = new StringContent("{}") });
        Assert.Equal(HttpStatusCode.Forbidden, unsigned.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Gateway.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, policyUrl).Sign())).StatusCode);
    }
}
