using System.Text.RegularExpressions;
using Microsoft.Extensions.Hosting;
using OriginGateway.Configuration;
using OriginGateway.Security;
using OriginGateway.Storage;

namespace OriginGateway.Hosting;

/// <summary>
/// Start-up check of the settings the composition root owns (<see cref="GatewayOptions"/>: the data directory,
/// the buckets and their storage, service hosts, credentials, forwarded headers); every feature checks its
/// own section with its own validator.
/// </summary>
internal sealed partial class GatewayOptionsValidator(IHostEnvironment environment) : SettingsValidator<GatewayOptions>
{
    protected override void Check(GatewayOptions options, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            problems.Add("DataDirectory must not be empty.");
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Buckets.Count; i++)
        {
            var bucket = options.Buckets[i];
            var prefix = $"Buckets:{i}";
            if (!BucketName().IsMatch(bucket.Name))
            {
                problems.Add($"{prefix}:Name '{bucket.Name}' is not a bucket name (3-63 lower-case letters, digits and hyphens, e.g. examplebucket-1250000000).");
            }
            else if (!names.Add(bucket.Name))
            {
                problems.Add($"{prefix}:Name '{bucket.Name}' is configured twice.");
            }
            for (var h = 0; h < bucket.Hosts.Count; h++)
            {
                if (string.IsNullOrWhiteSpace(bucket.Hosts[h]) || bucket.Hosts[h].Contains(':', StringComparison.Ordinal) || bucket.Hosts[h].Contains('/', StringComparison.Ordinal))
                {
                    problems.Add($"{prefix}:Hosts:{h} '{bucket.Hosts[h]}' must be a host name without scheme, port or path.");
                }
                else if (!hosts.Add(bucket.Hosts[h]))
                {
                    problems.Add($"{prefix}:Hosts:{h} '{bucket.Hosts[h]}' selects more than one bucket.");
                }
                else if (options.ServiceHostsOrDefault.FirstOrDefault(p => Buckets.BucketRegistry.HostMatches(p, bucket.Hosts[h])) is { } service)
                {
                    problems.Add($"{prefix}:Hosts:{h} '{bucket.Hosts[h]}' is a service host (ServiceHosts '{service}'), where GET / lists buckets.");
                }
            }
            StorageOptionsValidation.Check(bucket.Storage, prefix + ":Storage", problems);
        }
        for (var i = 0; i < options.ServiceHostsOrDefault.Count; i++)
        {
            var host = options.ServiceHostsOrDefault[i];
            if (string.IsNullOrWhiteSpace(host) || host.Contains(':', StringComparison.Ordinal) || host.Contains('/', StringComparison.Ordinal) || host.Count(c => c == '*') > 1)
            {
                problems.Add($"ServiceHosts:{i} '{host}' must be a host name without scheme, port or path, with at most one '*' label.");
            }
        }
        for (var i = 0; i < options.S3Domains.Count; i++)
        {
            var domain = options.S3Domains[i];
            if (string.IsNullOrWhiteSpace(domain) || domain.IndexOfAny([':', '/', '*']) >= 0 || domain.StartsWith('.') || domain.EndsWith('.'))
            {
                problems.Add($"S3Domains:{i} '{domain}' must be a host name without scheme, port, path or '*'.");
            }
        }
        if (options.DefaultBucket.Length > 0 && !names.Contains(options.DefaultBucket))
        {
            problems.Add($"DefaultBucket '{options.DefaultBucket}' is not one of the configured Buckets:N:Name.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < options.Credentials.Count; i++)
        {
            var credential = options.Credentials[i];
            if (string.IsNullOrWhiteSpace(credential.SecretId) || string.IsNullOrEmpty(credential.SecretKey))
            {
                problems.Add($"Credentials:{i} needs both SecretId and SecretKey.");
            }
            else if (!ids.Add(credential.SecretId))
            {
                problems.Add($"Credentials:{i}:SecretId '{credential.SecretId}' is configured twice.");
            }
            if (environment.IsProduction() && credential.SecretId == CredentialStore.DevelopmentSecretId)
            {
                problems.Add($"Credentials:{i}:SecretId is the published development credential, which is refused in Production.");
            }
        }

        for (var i = 0; i < options.ForwardedHeaders.KnownProxies.Count; i++)
        {
            if (!System.Net.IPAddress.TryParse(options.ForwardedHeaders.KnownProxies[i], out _))
            {
                problems.Add($"ForwardedHeaders:KnownProxies:{i} '{options.ForwardedHeaders.KnownProxies[i]}' is not an IP address.");
            }
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex BucketName();
}
