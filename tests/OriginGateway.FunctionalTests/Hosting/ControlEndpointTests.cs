using System.Net;
using System.Text.Json;
using OriginGateway.FunctionalTests.Infrastructure;

namespace OriginGateway.FunctionalTests.Hosting;

/// <summary>The control endpoint answers a path or method it does not serve in JSON, like its other errors.</summary>
public sealed class ControlEndpointTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    [Theory]
    [InlineData("GET", "no-such-thing", 404, "NotFound")]
    [InlineData("GET", "a/b/c/d", 404, "NotFound")]
    [InlineData("PUT", "examplebucket-1250000000/", 405, "MethodNotAllowed")]
    [InlineData("PATCH", "metrics", 405, "MethodNotAllowed")]
    [InlineData("GET", "", 405, "MethodNotAllowed")]
    public async Task UnknownPathOrMethod_IsAJsonError_WithRequestId(string method, string path, int status, string code)
    {
        var gateway = fixture.Gateway;
        var response = await gateway.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), new Uri(gateway.ControlUrl, path)));

        Assert.Equal((HttpStatusCode)status, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(code, body.RootElement.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(body.RootElement.GetProperty("message").GetString()));
        var requestId = body.RootElement.GetProperty("request_id").GetString();
        Assert.Equal(requestId, response.Headers.GetValues("x-cos-request-id").Single());
        if (status == 405)
        {
            Assert.NotEmpty(response.Content.Headers.Allow);
        }
    }

    [Fact]
    public async Task KnownPaths_StillAnswerThemselves()
    {
        var gateway = fixture.Gateway;
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "healthz"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "metrics"))).StatusCode);
        // A fetch task that does not exist is the API's own 404, not the endpoint's.
        var task = await gateway.Client.GetAsync(new Uri(gateway.ControlUrl, "examplebucket-1250000000/no-such-task"));
        Assert.NotEqual("NotFound", JsonDocument.Parse(await task.Content.ReadAsStringAsync()).RootElement.GetProperty("code").GetString());
    }
}
