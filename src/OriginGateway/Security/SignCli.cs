using System.CommandLine;
using OriginGateway.Protocol;

namespace OriginGateway.Security;

/// <summary>
/// <c>sign METHOD URL</c>: a COS signature for curl and other plain HTTP tools — the <c>Authorization</c>
/// value (host and the URL's query parameters signed), or with <c>--presign</c> a presigned URL for that method.
/// The credential is <c>--secret-id</c>/<c>--secret-key</c>, else <c>ORIGIN_GATEWAY_SECRET_ID</c> /
/// <c>ORIGIN_GATEWAY_SECRET_KEY</c>, else the development credential.
/// </summary>
internal static class SignCli
{
    /// <summary>The development credential's key, as <c>appsettings.Development.json</c> configures it.</summary>
    private const string DevelopmentSecretKey = "origin-gateway-development-secret";

    /// <summary>The options naming a credential, shared by the commands that sign.</summary>
    public static (Option<string?> SecretId, Option<string?> SecretKey) CredentialOptions() =>
    (
        new Option<string?>("--secret-id") { Description = "SecretId to sign with (default: $ORIGIN_GATEWAY_SECRET_ID, else the development credential)." },
        new Option<string?>("--secret-key") { Description = "SecretKey to sign with (default: $ORIGIN_GATEWAY_SECRET_KEY, else the development credential)." }
    );

    public static (string SecretId, string SecretKey) Credential(string? secretId, string? secretKey) =>
    (
        secretId ?? Environment.GetEnvironmentVariable("ORIGIN_GATEWAY_SECRET_ID") ?? CredentialStore.DevelopmentSecretId,
        secretKey ?? Environment.GetEnvironmentVariable("ORIGIN_GATEWAY_SECRET_KEY") ?? DevelopmentSecretKey
    );

    public static Command Create(TextWriter output, TextWriter error)
    {
        var method = new Argument<string>("method") { Description = "The HTTP method: GET, PUT, POST, DELETE, HEAD or OPTIONS." };
        method.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } verb && verb.ToUpperInvariant() is not ("GET" or "PUT" or "POST" or "DELETE" or "HEAD" or "OPTIONS"))
            {
                result.AddError($"'{verb}' is not an HTTP method the gateway takes (GET, PUT, POST, DELETE, HEAD, OPTIONS).");
            }
        });
        var url = new Argument<string>("url") { Description = "The whole URL, e.g. http://127.0.0.1:8080/dir/a.txt?acl" };
        var (secretId, secretKey) = CredentialOptions();
        var presign = new Option<bool>("--presign") { Description = "Print a presigned URL for the method instead of an Authorization value." };
        var expires = new Option<int>("--expires") { Description = "Seconds the signature stays valid (at most 7 days).", DefaultValueFactory = _ => 600 };
        var sign = new Command("sign", """
            Sign a request for curl. Examples:
              curl -X PUT --data-binary @a.txt -H "Authorization: $(OriginGateway sign PUT http://127.0.0.1:8080/a.txt)" http://127.0.0.1:8080/a.txt
              curl "$(OriginGateway sign GET http://127.0.0.1:8080/private.txt --presign)"
            """)
        {
            method, url, secretId, secretKey, presign, expires,
        };
        sign.SetAction(result =>
        {
            var verb = result.GetValue(method)!.ToUpperInvariant();
            if (!Uri.TryCreate(result.GetValue(url), UriKind.Absolute, out var target) || target.Scheme is not ("http" or "https"))
            {
                error.WriteLine("url must be an absolute http(s) URL.");
                return 2;
            }
            var seconds = result.GetValue(expires);
            if (seconds is < 1 or > 7 * 24 * 3600)
            {
                error.WriteLine("--expires must be 1 to 604800 seconds.");
                return 2;
            }
            var (id, key) = Credential(result.GetValue(secretId), result.GetValue(secretKey));
            var now = DateTimeOffset.UtcNow;
            if (result.GetValue(presign))
            {
                output.WriteLine(CosSignature.Presign(target, id, key, now, TimeSpan.FromSeconds(seconds), verb));
                return 0;
            }
            KeyDecoding.TryDecodePath(target.AbsolutePath, out var decodedPath);
            var query = target.Query.TrimStart('?');
            List<KeyValuePair<string, string>> parameters = query.Length > 0 && QueryParameters.TryParse(query, out var parsed) ? parsed : [];
            output.WriteLine(CosSignature.Authorization(id, key, now, now.AddSeconds(seconds), verb, decodedPath, parameters, [new("host", target.Authority)]));
            return 0;
        });
        return sign;
    }
}
